// rule_text.h — the state tables of each spec revision, written row by row.
//
// This is the source of truth of the reference. Each function reads like the
// table it implements: rows in the order the text gives them, each row's
// condition over which states are present. The lookup tables used on the fast
// path are computed from these functions at compile time (derivation.cpp), and
// reference/tests/table_test.cpp checks the two agree on every input.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "connstate/derivation.h"

namespace connstate::internal {

template <class E> constexpr std::uint8_t bit(E e) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(e)); }
template <class E, class... Es> constexpr std::uint8_t set_of(E e, Es... es) { return (bit(e) | ... | bit(es)); }

// "any transport is in one of `states`"
constexpr bool any_in(std::uint8_t present, std::uint8_t states) { return (present & states) != 0; }
// "all transports are in one of `states`" (true for no transports)
constexpr bool all_in(std::uint8_t present, std::uint8_t states) { return (present & ~states) == 0; }

using I = IceTransportState;
using D = DtlsTransportState;

template <class S> struct Row {
  std::optional<S> state;
  RuleId rule;
};

// RTCIceConnectionState, the ordered table of REC 2021, its amendments and REC 2025
// (#rtciceconnectionstate-description). First matching row wins.
constexpr Row<IceConnectionState> ice_connection_row(bool closed, Presence p) {
  using S = IceConnectionState;
  if (closed) return {S::Closed, RuleId::IcsClosed};
  if (any_in(p.ice, set_of(I::Failed))) return {S::Failed, RuleId::IcsFailed};
  if (any_in(p.ice, set_of(I::Disconnected))) return {S::Disconnected, RuleId::IcsDisconnected};
  if (all_in(p.ice, set_of(I::New, I::Closed))) return {S::New, RuleId::IcsNew};
  if (any_in(p.ice, set_of(I::New, I::Checking))) return {S::Checking, RuleId::IcsChecking};
  if (all_in(p.ice, set_of(I::Completed, I::Closed))) return {S::Completed, RuleId::IcsCompleted};
  // Only connected/completed/closed remain here, so this row always matches.
  return {S::Connected, RuleId::IcsConnected};
}

// The 2016–2018 RTCIceConnectionState rows. They are unordered, each with its own
// exclusions; legacy_ice_connection_matches() evaluates every row so the tests can
// check that exactly one matches.
constexpr bool legacy_ice_row_matches(RuleId row, bool closed, Presence p) {
  const std::uint8_t ice = p.ice;
  const bool none = ice == 0;
  switch (row) {
    case RuleId::LegacyIcsClosed: return closed;
    case RuleId::LegacyIcsFailed: return !closed && any_in(ice, set_of(I::Failed));
    case RuleId::LegacyIcsDisconnected:
      return !closed && any_in(ice, set_of(I::Disconnected)) && !any_in(ice, set_of(I::Failed));
    case RuleId::LegacyIcsNew:
      return !closed && ((any_in(ice, set_of(I::New)) && !any_in(ice, set_of(I::Checking, I::Failed, I::Disconnected))) ||
                         (!none && all_in(ice, set_of(I::Closed))) || none);
    case RuleId::LegacyIcsChecking:
      return !closed && any_in(ice, set_of(I::Checking)) && !any_in(ice, set_of(I::Failed, I::Disconnected));
    case RuleId::LegacyIcsConnected:
      return !closed && !none && all_in(ice, set_of(I::Connected, I::Completed, I::Closed)) &&
             any_in(ice, set_of(I::Connected));
    case RuleId::LegacyIcsCompleted:
      return !closed && !none && all_in(ice, set_of(I::Completed, I::Closed)) && any_in(ice, set_of(I::Completed));
    default: return false;
  }
}

inline constexpr RuleId kLegacyIceRows[] = {RuleId::LegacyIcsClosed,    RuleId::LegacyIcsFailed,
                                            RuleId::LegacyIcsDisconnected, RuleId::LegacyIcsNew,
                                            RuleId::LegacyIcsChecking,  RuleId::LegacyIcsCompleted,
                                            RuleId::LegacyIcsConnected};

constexpr IceConnectionState legacy_ice_state_of(RuleId row) {
  switch (row) {
    case RuleId::LegacyIcsClosed: return IceConnectionState::Closed;
    case RuleId::LegacyIcsFailed: return IceConnectionState::Failed;
    case RuleId::LegacyIcsDisconnected: return IceConnectionState::Disconnected;
    case RuleId::LegacyIcsNew: return IceConnectionState::New;
    case RuleId::LegacyIcsChecking: return IceConnectionState::Checking;
    case RuleId::LegacyIcsCompleted: return IceConnectionState::Completed;
    default: return IceConnectionState::Connected;
  }
}

constexpr Row<IceConnectionState> legacy_ice_connection_row(bool closed, Presence p) {
  for (RuleId row : kLegacyIceRows) {
    if (legacy_ice_row_matches(row, closed, p)) return {legacy_ice_state_of(row), row};
  }
  return {std::nullopt, RuleId::LegacyIcsNew};  // unreachable: the rows are total (tested)
}

// RTCPeerConnectionState, REC 2025 (#rtcpeerconnectionstate-description): built on the
// [[IceConnectionState]] slot plus the DTLS transports.
constexpr Row<PeerConnectionState> connection_row_2025(IceConnectionState ics, Presence p) {
  using S = PeerConnectionState;
  using C = IceConnectionState;
  if (ics == C::Closed) return {S::Closed, RuleId::Pcs2025Closed};
  if (ics == C::Failed || any_in(p.dtls, set_of(D::Failed))) return {S::Failed, RuleId::Pcs2025Failed};
  if (ics == C::Disconnected) return {S::Disconnected, RuleId::Pcs2025Disconnected};
  if ((ics == C::New && all_in(p.dtls, set_of(D::New, D::Closed))) || !p.has_transports())
    return {S::New, RuleId::Pcs2025New};
  if (ics == C::Connected && all_in(p.dtls, set_of(D::Connected, D::Closed)))
    return {S::Connected, RuleId::Pcs2025Connected};
  return {S::Connecting, RuleId::Pcs2025Connecting};
}

// RTCPeerConnectionState, REC 2021 as published (`amended` = false) or with
// amendment 4 (`amended` = true: `connecting` also covers ICE/DTLS `new`).
constexpr Row<PeerConnectionState> connection_row_2021(bool closed, Presence p, bool amended) {
  using S = PeerConnectionState;
  const RuleId r_closed = amended ? RuleId::Pcs2021aClosed : RuleId::Pcs2021Closed;
  const RuleId r_failed = amended ? RuleId::Pcs2021aFailed : RuleId::Pcs2021Failed;
  const RuleId r_disconnected = amended ? RuleId::Pcs2021aDisconnected : RuleId::Pcs2021Disconnected;
  const RuleId r_new = amended ? RuleId::Pcs2021aNew : RuleId::Pcs2021New;
  const RuleId r_connecting = amended ? RuleId::Pcs2021aConnecting : RuleId::Pcs2021Connecting;
  const RuleId r_connected = amended ? RuleId::Pcs2021aConnected : RuleId::Pcs2021Connected;
  if (closed) return {S::Closed, r_closed};
  if (any_in(p.ice, set_of(I::Failed)) || any_in(p.dtls, set_of(D::Failed))) return {S::Failed, r_failed};
  if (any_in(p.ice, set_of(I::Disconnected))) return {S::Disconnected, r_disconnected};
  if ((all_in(p.ice, set_of(I::New, I::Closed)) && all_in(p.dtls, set_of(D::New, D::Closed))) ||
      !p.has_transports())
    return {S::New, r_new};
  const bool connecting = amended ? (any_in(p.ice, set_of(I::New, I::Checking)) ||
                                     any_in(p.dtls, set_of(D::New, D::Connecting)))
                                  : (any_in(p.ice, set_of(I::Checking)) || any_in(p.dtls, set_of(D::Connecting)));
  if (connecting) return {S::Connecting, r_connecting};
  if (all_in(p.ice, set_of(I::Connected, I::Completed, I::Closed)) && all_in(p.dtls, set_of(D::Connected, D::Closed)))
    return {S::Connected, r_connected};
  return {std::nullopt, RuleId::Pcs2021Undefined};  // only reachable when !amended
}

// RTCPeerConnectionState, 2015–2018 (MDN): one pool of ICE and DTLS states. The text's
// rows are unordered with exclusions; this order makes each row's exclusions implicit
// (checked exhaustively in the tests against the unordered reading).
constexpr Row<PeerConnectionState> connection_row_legacy(bool closed, Presence p) {
  using S = PeerConnectionState;
  if (closed) return {S::Closed, RuleId::LegacyPcsClosed};
  if (any_in(p.ice, set_of(I::Failed)) || any_in(p.dtls, set_of(D::Failed))) return {S::Failed, RuleId::LegacyPcsFailed};
  if (any_in(p.ice, set_of(I::Checking)) || any_in(p.dtls, set_of(D::Connecting)))
    return {S::Connecting, RuleId::LegacyPcsConnecting};
  if (any_in(p.ice, set_of(I::Disconnected))) return {S::Disconnected, RuleId::LegacyPcsDisconnected};
  if (any_in(p.ice, set_of(I::New)) || any_in(p.dtls, set_of(D::New)) || !p.has_transports() ||
      (all_in(p.ice, set_of(I::Closed)) && all_in(p.dtls, set_of(D::Closed))))
    return {S::New, RuleId::LegacyPcsNew};
  // Left: connected/completed/closed with at least one transport not closed.
  return {S::Connected, RuleId::LegacyPcsConnected};
}

constexpr Row<IceConnectionState> ice_connection_row_for(Profile profile, bool closed, Presence p) {
  return profile == Profile::LegacyMdn ? legacy_ice_connection_row(closed, p) : ice_connection_row(closed, p);
}

constexpr Row<PeerConnectionState> connection_row_for(Profile profile, bool closed, IceConnectionState ics_slot,
                                                      Presence p) {
  switch (profile) {
    case Profile::Rec2025: return connection_row_2025(closed ? IceConnectionState::Closed : ics_slot, p);
    case Profile::Rec2021Amended: return connection_row_2021(closed, p, /*amended=*/true);
    case Profile::Rec2021: return connection_row_2021(closed, p, /*amended=*/false);
    case Profile::LegacyMdn: return connection_row_legacy(closed, p);
  }
  return {std::nullopt, RuleId::Pcs2021Undefined};
}

// RTCIceGatheringState (#rtcicegatheringstate-description), the same in every profile.
constexpr Row<IceGatheringState> gathering_row(std::uint8_t gatherers_present) {
  using G = IceGathererState;
  using S = IceGatheringState;
  if (any_in(gatherers_present, set_of(G::Gathering))) return {S::Gathering, RuleId::IgsGathering};
  if (gatherers_present == 0 || any_in(gatherers_present, set_of(G::New))) return {S::New, RuleId::IgsNew};
  return {S::Complete, RuleId::IgsComplete};
}

}  // namespace connstate::internal
