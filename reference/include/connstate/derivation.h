// derivation.h — compute connectionState and iceConnectionState from a snapshot.
//
// A snapshot is what the state tables of webrtc-pc are written over: the peer
// connection's [[IsClosed]] flag and the set of transports presently considered,
// each with an ICE state and a DTLS state. `derive` answers under one profile and
// names the rule that decided each value; `explain` also says which transports
// triggered those rules. The order of transports never matters: the tables only
// ask which states are present, so a snapshot reduces to two small presence masks
// and the answer to a lookup in a table computed (at compile time) from the
// readable rule text in internal/rule_text.h.
//
// Example:
//   std::array<TransportState, 1> t{{{IceTransportState::Completed, DtlsTransportState::Connected}}};
//   Derivation d = derive(Profile::Rec2025, /*closed=*/false, t);
//   // d.connection_state == PeerConnectionState::Connecting (the literal REC 2025 gap)
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "connstate/profiles.h"
#include "connstate/rules.h"
#include "connstate/states.h"

namespace connstate {

struct Derivation {
  // std::nullopt: the profile defines no state for this input (only rec-2021 does that).
  std::optional<PeerConnectionState> connection_state;
  IceConnectionState ice_connection_state = IceConnectionState::New;
  RuleId connection_rule = RuleId::Pcs2025New;
  RuleId ice_connection_rule = RuleId::IcsNew;

  friend constexpr bool operator==(const Derivation&, const Derivation&) = default;
};

// Which states are present among the transports a profile counts. Bit i of `ice`
// is IceTransportState i; bit i of `dtls` is DtlsTransportState i.
struct Presence {
  std::uint8_t ice = 0;
  std::uint8_t dtls = 0;
  constexpr bool has_transports() const { return ice != 0; }
  friend constexpr bool operator==(const Presence&, const Presence&) = default;
};

// Whether a profile counts a transport referenced only by [[SctpTransport]].
constexpr bool counts_sctp_only_transports(Profile p) { return p != Profile::Rec2021; }

Presence presence_of(Profile profile, std::span<const TransportState> transports);

// The fast path: a table lookup.
Derivation derive(Profile profile, bool closed, Presence presence);
Derivation derive(Profile profile, bool closed, std::span<const TransportState> transports);

// connectionState given the current [[IceConnectionState]] slot, which can lag the
// transports (a DTLS change does not re-derive it). Profiles that define
// connectionState over the transports themselves ignore `ice_connection_slot`.
std::optional<PeerConnectionState> derive_connection_state(Profile profile, bool closed,
                                                           IceConnectionState ice_connection_slot,
                                                           Presence presence, RuleId* rule = nullptr);

IceConnectionState derive_ice_connection_state(Profile profile, bool closed, Presence presence,
                                               RuleId* rule = nullptr);

// The readable path: evaluates the rule text row by row. Used to build the tables
// and by the test that checks the tables against it on every input.
Derivation derive_by_rules(Profile profile, bool closed, Presence presence);

// RTCIceGatheringState from the transports' gatherer states (the same in every profile).
IceGatheringState derive_gathering_state(std::span<const IceGathererState> gatherers, RuleId* rule = nullptr);

// --- The fast path -------------------------------------------------------------------------
// Both aggregates packed in one byte: bits 0-2 the IceConnectionState, bits 3-5 the
// PeerConnectionState (7 = no state defined). One 4 KiB table per profile, indexed by the
// presence masks (ICE mask << 5 | DTLS mask), computed at compile time from the rule text.
struct PackedStates {
  std::uint8_t bits = 0;
  static constexpr std::uint8_t kUndefined = 7;
  IceConnectionState ice_connection_state() const { return static_cast<IceConnectionState>(bits & 7u); }
  std::optional<PeerConnectionState> connection_state() const {
    const unsigned pcs = (bits >> 3) & 7u;
    if (pcs == kUndefined) return std::nullopt;
    return static_cast<PeerConnectionState>(pcs);
  }
  friend constexpr bool operator==(const PackedStates&, const PackedStates&) = default;
};

namespace internal {
extern const std::array<std::array<std::uint8_t, 1u << 12>, kProfileCount> kPackedTables;
inline constexpr std::uint8_t kPackedClosed = static_cast<std::uint8_t>(
    static_cast<unsigned>(IceConnectionState::Closed) | (static_cast<unsigned>(PeerConnectionState::Closed) << 3));
// rec-2025's connectionState from the [[IceConnectionState]] slot: index (slot * 32 + DTLS mask) * 2 + has_transports.
extern const std::array<std::uint8_t, 7 * 32 * 2> kSlotConnectionTable;
// Each transport's two presence bits (ICE bit + 5 | DTLS bit), looked up by the transport's first two
// bytes (ice, dtls) read as one 16-bit word: one load per transport for the key and one in this
// L1-resident table. Measured faster here than building the key from the two bytes (ice | dtls << 3)
// or computing the two shifts (bench/results.md). rec-2021 does not count SCTP-only transports: their
// keys carry kSctpOnlyKeyBit and land in the table's upper half, which is all zero.
static_assert(offsetof(TransportState, ice) == 0 && offsetof(TransportState, dtls) == 1 &&
              sizeof(IceTransportState) == 1 && sizeof(DtlsTransportState) == 1);
constexpr unsigned pair_key(unsigned ice, unsigned dtls) {
  return std::endian::native == std::endian::little ? (ice | (dtls << 8)) : ((ice << 8) | dtls);
}
inline constexpr unsigned kSctpOnlyKeyBit = std::bit_ceil(pair_key(6, 6) + 1);
constexpr std::array<std::uint16_t, 2 * kSctpOnlyKeyBit> make_pair_bits() {
  std::array<std::uint16_t, 2 * kSctpOnlyKeyBit> bits{};
  for (unsigned ice = 0; ice < 7; ++ice)
    for (unsigned dtls = 0; dtls < 5; ++dtls)
      bits[pair_key(ice, dtls)] = static_cast<std::uint16_t>((1u << (ice + 5)) | (1u << dtls));
  return bits;
}
alignas(64) inline constexpr auto kPairBits = make_pair_bits();
// Valid enum values only (as everywhere in the reference): the key is the two state bytes as they are.
inline unsigned pair_key_of(const TransportState& t) {
  std::uint16_t key;
  std::memcpy(&key, &t, sizeof key);  // the ice and dtls bytes, as pair_key() orders them
  return key;
}
inline unsigned presence_index(const TransportState& t) { return kPairBits[pair_key_of(t)]; }
inline unsigned presence_index_rec2021(const TransportState& t) {
  return kPairBits[pair_key_of(t) | (static_cast<unsigned>(t.sctp_only) * kSctpOnlyKeyBit)];
}
}  // namespace internal

// Derives both states of a snapshot (no rule ids): a few instructions per transport and one
// lookup in a 4 KiB table. Agrees with derive() on every input (reference/tests/table_test.cpp).
inline PackedStates derive_states(Profile profile, bool closed, std::span<const TransportState> transports) {
  if (closed) return {internal::kPackedClosed};
  unsigned index = 0;
  if (profile == Profile::Rec2021) {
    for (const auto& t : transports) index |= internal::presence_index_rec2021(t);
  } else {
    for (const auto& t : transports) index |= internal::presence_index(t);
  }
  return {internal::kPackedTables[static_cast<unsigned>(profile)][index]};
}

// A derivation plus, per aggregate, the transports (by index in the input span;
// the first 64 only) whose states triggered the deciding rule.
struct Explanation {
  Derivation derivation;
  std::uint64_t connection_triggers = 0;
  std::uint64_t ice_connection_triggers = 0;
};

Explanation explain(Profile profile, bool closed, std::span<const TransportState> transports);

}  // namespace connstate
