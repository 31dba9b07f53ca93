// rules.h — the catalogue of derivation rules, each with a stable id and its spec text.
//
// Every value the reference derives is attributed to exactly one rule: one row of
// one state table of one spec revision. Reports and `connstate explain` show the
// rule's id, its anchor in the source document and a short quote, so a verdict
// can always be traced to the sentence that decided it. Rule ids never change
// meaning; a rule that is reworded in a later revision gets a new id.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace connstate {

enum class Aggregate : std::uint8_t { IceConnectionState, ConnectionState, IceGatheringState };

enum class RuleId : std::uint8_t {
  // RTCIceConnectionState, ordered table (REC 2021, amended, REC 2025).
  IcsClosed, IcsFailed, IcsDisconnected, IcsNew, IcsChecking, IcsCompleted, IcsConnected,
  // RTCIceConnectionState, 2016–2018 unordered rows (legacy-mdn).
  LegacyIcsClosed, LegacyIcsFailed, LegacyIcsDisconnected, LegacyIcsNew, LegacyIcsChecking,
  LegacyIcsCompleted, LegacyIcsConnected,
  // RTCPeerConnectionState, REC 2025 (built on [[IceConnectionState]]).
  Pcs2025Closed, Pcs2025Failed, Pcs2025Disconnected, Pcs2025New, Pcs2025Connected, Pcs2025Connecting,
  // RTCPeerConnectionState, REC 2021 + amendments 3 and 4.
  Pcs2021aClosed, Pcs2021aFailed, Pcs2021aDisconnected, Pcs2021aNew, Pcs2021aConnecting, Pcs2021aConnected,
  // RTCPeerConnectionState, REC 2021 as published; Undefined = no row applies.
  Pcs2021Closed, Pcs2021Failed, Pcs2021Disconnected, Pcs2021New, Pcs2021Connecting, Pcs2021Connected,
  Pcs2021Undefined,
  // RTCPeerConnectionState, 2015–2018 (MDN), ordered as in docs/profiles/legacy-mdn.md.
  LegacyPcsClosed, LegacyPcsFailed, LegacyPcsConnecting, LegacyPcsDisconnected, LegacyPcsNew,
  LegacyPcsConnected,
  // RTCIceGatheringState (all profiles).
  IgsNew, IgsGathering, IgsComplete,
  Count_
};

inline constexpr std::size_t kRuleCount = static_cast<std::size_t>(RuleId::Count_);

struct Rule {
  RuleId rule_id;
  std::string_view id;        // stable text id, e.g. "pcs-2025.connecting"
  Aggregate aggregate;
  std::string_view document;  // the text the quote comes from
  std::string_view anchor;    // fragment id in that document
  std::string_view summary;   // one line, ours
  std::string_view quote;     // short quote of the spec sentence
  // Which transports "triggered" the rule, for the why: a transport triggers it when
  // its ICE state is in ice_triggers or its DTLS state is in dtls_triggers (bit i =
  // enumerator i of IceTransportState / DtlsTransportState).
  std::uint8_t ice_triggers;
  std::uint8_t dtls_triggers;
};

const Rule& rule(RuleId id);
std::span<const Rule> all_rules();

}  // namespace connstate
