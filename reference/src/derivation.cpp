// derivation.cpp — table-driven derivation, with tables computed from internal/rule_text.h.
#include "connstate/derivation.h"

#include <array>

#include "internal/rule_text.h"

namespace connstate {
namespace {

constexpr std::size_t kIceMasks = 1u << enum_count<IceTransportState>;
constexpr std::size_t kDtlsMasks = 1u << enum_count<DtlsTransportState>;

// One entry per (ICE presence, DTLS presence) of an open peer connection.
struct Entry {
  std::uint8_t ice_connection_state;
  std::uint8_t ice_connection_rule;
  std::uint8_t connection_state;  // kUndefined when no row applies
  std::uint8_t connection_rule;
};
constexpr std::uint8_t kUndefined = 0xff;

using ProfileTable = std::array<Entry, kIceMasks * kDtlsMasks>;

constexpr ProfileTable build_table(Profile profile) {
  ProfileTable table{};
  for (std::size_t ice = 0; ice < kIceMasks; ++ice) {
    for (std::size_t dtls = 0; dtls < kDtlsMasks; ++dtls) {
      const Presence p{static_cast<std::uint8_t>(ice), static_cast<std::uint8_t>(dtls)};
      const auto ics = internal::ice_connection_row_for(profile, false, p);
      const auto pcs = internal::connection_row_for(profile, false, *ics.state, p);
      table[ice * kDtlsMasks + dtls] = Entry{
          static_cast<std::uint8_t>(*ics.state), static_cast<std::uint8_t>(ics.rule),
          pcs.state ? static_cast<std::uint8_t>(*pcs.state) : kUndefined, static_cast<std::uint8_t>(pcs.rule)};
    }
  }
  return table;
}

constexpr std::array<ProfileTable, kProfileCount> kTables = {
    build_table(Profile::Rec2025), build_table(Profile::Rec2021Amended), build_table(Profile::Rec2021),
    build_table(Profile::LegacyMdn)};

constexpr std::array<std::array<std::uint8_t, kIceMasks * kDtlsMasks>, kProfileCount> build_packed() {
  std::array<std::array<std::uint8_t, kIceMasks * kDtlsMasks>, kProfileCount> packed{};
  for (std::size_t p = 0; p < kProfileCount; ++p) {
    for (std::size_t i = 0; i < kIceMasks * kDtlsMasks; ++i) {
      const Entry& e = kTables[p][i];
      const unsigned pcs = e.connection_state == kUndefined ? PackedStates::kUndefined : e.connection_state;
      packed[p][i] = static_cast<std::uint8_t>(e.ice_connection_state | (pcs << 3));
    }
  }
  return packed;
}


// rec-2025's connectionState depends on the [[IceConnectionState]] slot rather than on
// the ICE transports, so the event model (whose slot can lag the transports) needs
// a second table keyed by slot.
constexpr std::size_t kIcsValues = enum_count<IceConnectionState>;
using SlotTable = std::array<std::array<std::uint8_t, 2>, kIcsValues * kDtlsMasks * 2>;  // {state, rule}
constexpr SlotTable build_slot_table() {
  SlotTable table{};
  for (std::size_t ics = 0; ics < kIcsValues; ++ics) {
    for (std::size_t dtls = 0; dtls < kDtlsMasks; ++dtls) {
      for (std::size_t has = 0; has < 2; ++has) {
        // Only "are there transports" is read from the ICE side by the 2025 table.
        const Presence p{static_cast<std::uint8_t>(has ? 1u : 0u), static_cast<std::uint8_t>(dtls)};
        const auto row = internal::connection_row_2025(static_cast<IceConnectionState>(ics), p);
        table[(ics * kDtlsMasks + dtls) * 2 + has] = {static_cast<std::uint8_t>(*row.state),
                                                      static_cast<std::uint8_t>(row.rule)};
      }
    }
  }
  return table;
}
constexpr SlotTable kSlotTable = build_slot_table();

constexpr RuleId closed_connection_rule(Profile profile) {
  switch (profile) {
    case Profile::Rec2025: return RuleId::Pcs2025Closed;
    case Profile::Rec2021Amended: return RuleId::Pcs2021aClosed;
    case Profile::Rec2021: return RuleId::Pcs2021Closed;
    case Profile::LegacyMdn: return RuleId::LegacyPcsClosed;
  }
  return RuleId::Pcs2025Closed;
}

Derivation closed_derivation(Profile profile) {
  return Derivation{PeerConnectionState::Closed, IceConnectionState::Closed, closed_connection_rule(profile),
                    profile == Profile::LegacyMdn ? RuleId::LegacyIcsClosed : RuleId::IcsClosed};
}

std::uint8_t transports_matching(const Rule& r, const TransportState& t) {
  return ((r.ice_triggers >> static_cast<unsigned>(t.ice)) & 1u) | ((r.dtls_triggers >> static_cast<unsigned>(t.dtls)) & 1u);
}

}  // namespace

namespace internal {
// Constant-initialized from the rule tables (no start-up cost); used by derive_states().
alignas(64) constinit const std::array<std::array<std::uint8_t, 1u << 12>, kProfileCount> kPackedTables =
    build_packed();

constexpr std::array<std::uint8_t, 7 * 32 * 2> build_slot_connection_table() {
  std::array<std::uint8_t, 7 * 32 * 2> t{};
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = kSlotTable[i][0];
  return t;
}
alignas(64) constinit const std::array<std::uint8_t, 7 * 32 * 2> kSlotConnectionTable = build_slot_connection_table();
}  // namespace internal

Presence presence_of(Profile profile, std::span<const TransportState> transports) {
  Presence p;
  const bool count_sctp = counts_sctp_only_transports(profile);
  for (const auto& t : transports) {
    if (t.sctp_only && !count_sctp) continue;
    p.ice |= internal::bit(t.ice);
    p.dtls |= internal::bit(t.dtls);
  }
  return p;
}

Derivation derive(Profile profile, bool closed, Presence presence) {
  if (closed) return closed_derivation(profile);
  const Entry& e = kTables[static_cast<std::size_t>(profile)][presence.ice * kDtlsMasks + presence.dtls];
  Derivation d;
  d.ice_connection_state = static_cast<IceConnectionState>(e.ice_connection_state);
  d.ice_connection_rule = static_cast<RuleId>(e.ice_connection_rule);
  if (e.connection_state != kUndefined) d.connection_state = static_cast<PeerConnectionState>(e.connection_state);
  d.connection_rule = static_cast<RuleId>(e.connection_rule);
  return d;
}

Derivation derive(Profile profile, bool closed, std::span<const TransportState> transports) {
  return derive(profile, closed, presence_of(profile, transports));
}

std::optional<PeerConnectionState> derive_connection_state(Profile profile, bool closed,
                                                           IceConnectionState ice_connection_slot,
                                                           Presence presence, RuleId* rule) {
  if (closed) {
    if (rule) *rule = closed_connection_rule(profile);
    return PeerConnectionState::Closed;
  }
  if (profile == Profile::Rec2025) {
    const auto& e = kSlotTable[(static_cast<std::size_t>(ice_connection_slot) * kDtlsMasks + presence.dtls) * 2 +
                               (presence.has_transports() ? 1 : 0)];
    if (rule) *rule = static_cast<RuleId>(e[1]);
    return static_cast<PeerConnectionState>(e[0]);
  }
  const Entry& e = kTables[static_cast<std::size_t>(profile)][presence.ice * kDtlsMasks + presence.dtls];
  if (rule) *rule = static_cast<RuleId>(e.connection_rule);
  if (e.connection_state == kUndefined) return std::nullopt;
  return static_cast<PeerConnectionState>(e.connection_state);
}

IceConnectionState derive_ice_connection_state(Profile profile, bool closed, Presence presence, RuleId* rule) {
  if (closed) {
    if (rule) *rule = profile == Profile::LegacyMdn ? RuleId::LegacyIcsClosed : RuleId::IcsClosed;
    return IceConnectionState::Closed;
  }
  const Entry& e = kTables[static_cast<std::size_t>(profile)][presence.ice * kDtlsMasks + presence.dtls];
  if (rule) *rule = static_cast<RuleId>(e.ice_connection_rule);
  return static_cast<IceConnectionState>(e.ice_connection_state);
}

Derivation derive_by_rules(Profile profile, bool closed, Presence presence) {
  const auto ics = internal::ice_connection_row_for(profile, closed, presence);
  const auto pcs = internal::connection_row_for(profile, closed, *ics.state, presence);
  return Derivation{pcs.state, *ics.state, pcs.rule, ics.rule};
}

IceGatheringState derive_gathering_state(std::span<const IceGathererState> gatherers, RuleId* rule) {
  std::uint8_t present = 0;
  for (auto g : gatherers) present |= internal::bit(g);
  const auto row = internal::gathering_row(present);
  if (rule) *rule = row.rule;
  return *row.state;
}

Explanation explain(Profile profile, bool closed, std::span<const TransportState> transports) {
  Explanation x;
  x.derivation = derive(profile, closed, transports);
  const Rule& pcs_rule = rule(x.derivation.connection_rule);
  const Rule& ics_rule = rule(x.derivation.ice_connection_rule);
  const bool count_sctp = counts_sctp_only_transports(profile);
  for (std::size_t i = 0; i < transports.size() && i < 64; ++i) {
    if (transports[i].sctp_only && !count_sctp) continue;
    if (transports_matching(pcs_rule, transports[i])) x.connection_triggers |= std::uint64_t{1} << i;
    if (transports_matching(ics_rule, transports[i])) x.ice_connection_triggers |= std::uint64_t{1} << i;
  }
  return x;
}

}  // namespace connstate
