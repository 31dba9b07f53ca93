// peer_connection_model.h — the event model: what a peer connection fires, step by step.
//
// A PeerConnectionModel is one RTCPeerConnection seen through its transports.
// Transports join and leave the set the aggregates are computed over (signaling
// does that), their ICE and DTLS states change (the ICE agent and DTLS do that),
// and the connection can be closed. Each step returns the events the spec
// requires, in dispatch order, each with the value a listener reads:
//
//  * ICE change — one task (webrtc-pc "change the selected candidate pair and
//    state"): all slots are updated first, then transport `statechange`,
//    `iceconnectionstatechange`, `connectionstatechange`, each only if its value
//    changed (the 2015–2018 text queued separate tasks, in the same order).
//  * DTLS change — transport `statechange` in one task, then "update the connection
//    state" in a later task, which uses the [[IceConnectionState]] slot as it is
//    (rec-2025) and fires `connectionstatechange` only if the value changed.
//  * close() — every state becomes `closed` with no event at all; every later step
//    is ignored.
//  * remove — the transport's DTLS then ICE close, with their events, and it no
//    longer counts; add — a transport joins with ICE `new` and DTLS `new`.
//    The spec does not re-derive the aggregates when only the set of transports
//    changes; ModelOptions::rederive_on_set_change makes that explicit.
//
// Every step is O(1): the model keeps a count of transports per state. `apply` takes
// an ICE or DTLS change of a live transport through one straight-line path (no branch
// on whether a value changed); every other step, and `apply_by_tasks` always, runs the
// spec's tasks one after the other. The two agree on every input
// (reference/tests/model_fast_path_test.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "connstate/derivation.h"
#include "connstate/profiles.h"
#include "connstate/states.h"

namespace connstate {

using TransportId = std::uint8_t;
inline constexpr std::size_t kMaxTransports = 64;

enum class EventType : std::uint8_t {
  IceTransportStateChange,   // `statechange` at an RTCIceTransport
  DtlsTransportStateChange,  // `statechange` at an RTCDtlsTransport
  IceConnectionStateChange,  // `iceconnectionstatechange` at the RTCPeerConnection
  ConnectionStateChange,     // `connectionstatechange` at the RTCPeerConnection
};

// Trivial on purpose (no default member initializers): a step's event buffer is not zeroed.
struct Event {
  EventType type;
  TransportId transport;  // for transport events
  std::uint8_t state;     // enumerator of the state type that `type` reports
  std::uint8_t task;      // 0 = the step's first task; higher = a later queued task

  bool is_pc_event() const {
    return type == EventType::IceConnectionStateChange || type == EventType::ConnectionStateChange;
  }
  // "statechange", "iceconnectionstatechange" or "connectionstatechange".
  std::string_view type_name() const;
  // The spec string of the state a listener reads.
  std::string_view state_name() const;
  // Compares type, transport and state; `task` is scheduling detail, not observable order.
  bool same_observation(const Event& other) const {
    return type == other.type && state == other.state && (is_pc_event() || transport == other.transport);
  }
};

inline constexpr std::size_t kMaxEventsPerStep = 8;

struct Events {
  std::array<Event, kMaxEventsPerStep> items;  // only [0, count) is meaningful
  std::uint8_t count = 0;
  void push(const Event& e) { items[count++] = e; }
  const Event* begin() const { return items.data(); }
  const Event* end() const { return items.data() + count; }
  std::size_t size() const { return count; }
  bool empty() const { return count == 0; }
  const Event& operator[](std::size_t i) const { return items[i]; }
};

enum class StepKind : std::uint8_t { Add, Ice, Dtls, Remove, Close };

struct Step {
  StepKind kind = StepKind::Close;
  TransportId transport = 0;
  std::uint8_t state = 0;   // IceTransportState for Ice, DtlsTransportState for Dtls
  bool sctp_only = false;   // for Add: referenced only by [[SctpTransport]]

  static Step add(TransportId t, bool sctp_only = false) { return {StepKind::Add, t, 0, sctp_only}; }
  static Step ice(TransportId t, IceTransportState s) { return {StepKind::Ice, t, static_cast<std::uint8_t>(s), false}; }
  static Step dtls(TransportId t, DtlsTransportState s) { return {StepKind::Dtls, t, static_cast<std::uint8_t>(s), false}; }
  static Step remove(TransportId t) { return {StepKind::Remove, t, 0, false}; }
  static Step close() { return {StepKind::Close, 0, 0, false}; }
};

std::string_view to_string(StepKind kind);

enum class StepOutcome : std::uint8_t {
  Applied,             // the step happened (it may have fired no event)
  IgnoredAfterClose,   // the connection is closed: nothing happens
  UnknownTransport,    // ice/dtls/remove of a transport not in the set
  DuplicateTransport,  // add of a transport already in the set
  BadTransportId,      // id >= kMaxTransports
};

std::string_view to_string(StepOutcome outcome);

struct StepResult {
  StepOutcome outcome = StepOutcome::Applied;
  Events events;
  bool ok() const { return outcome == StepOutcome::Applied || outcome == StepOutcome::IgnoredAfterClose; }
};

struct ModelOptions {
  // Re-derive (and fire events for) the aggregates when a transport joins or
  // leaves the set without a state change of its own. The spec is silent; off
  // by default (literal reading).
  bool rederive_on_set_change = false;
  // Fire iceconnectionstatechange/connectionstatechange when close() changes the
  // value (the browser-historical behaviour MDN implies). Off in every profile by
  // default: since 2019 the spec says close() fires no event.
  bool events_on_close = false;
};

// Readings of the text other than the literal one that the project documents as acceptable
// (docs/spec/open-policies.md, docs/spec/completed-gap.md). The literal model has all of them
// off; the harness runs the model under each to derive a case's `non-strict` and
// `informational` alternatives. Unlike ModelOptions they are never sent to a stack: they say
// what else a stack may answer, not what a case asks of it.
struct Readings {
  // What a connectionState the profile leaves undefined (rec-2021) reads as.
  enum class Undefined : std::uint8_t { NoState, Connecting, KeepPrevious };
  // rec-2025: the `connected` row also takes [[IceConnectionState]] `completed` (the intended
  // reading of PR #2828).
  bool completed_counts_as_connected = false;
  Undefined undefined_connection_state = Undefined::NoState;
  // remove: the ICE transport closes (with its re-derivation) before the DTLS transport.
  bool ice_closes_first_on_remove = false;
  // remove of a transport still ICE `new` and DTLS `new`: it leaves the set without closing,
  // so nothing fires (a rollback that discards a transport never started).
  bool never_started_transport_leaves_silently = false;
  // A DTLS step after close(): the queued DTLS task still sets the transport's state and fires
  // its statechange (the DTLS task has no [[IsClosed]] check); the peer connection stays silent.
  bool dtls_statechange_after_close = false;

  bool literal() const {
    return !completed_counts_as_connected && undefined_connection_state == Undefined::NoState &&
           !ice_closes_first_on_remove && !never_started_transport_leaves_silently && !dtls_statechange_after_close;
  }
};

// connectionState under a reading: derive_connection_state() with the reading's changes.
// `previous` is the [[ConnectionState]] slot before (for Undefined::KeepPrevious; std::nullopt
// where there is none, as for a snapshot).
std::optional<PeerConnectionState> connection_state_under(Profile profile, const Readings& readings, bool closed,
                                                          IceConnectionState ice_connection_slot, Presence presence,
                                                          std::optional<PeerConnectionState> previous = std::nullopt);

class PeerConnectionModel {
 public:
  explicit PeerConnectionModel(Profile profile = kDefaultProfile, ModelOptions options = {}, Readings readings = {});

  StepResult apply(const Step& step);
  // The same step through the straightforward path: the spec's tasks one after the other, as
  // the header comment words them. Kept as the readable statement of the semantics; the fast
  // path of apply() is tested against it.
  StepResult apply_by_tasks(const Step& step);
  StepResult add(TransportId t, bool sctp_only = false) { return apply(Step::add(t, sctp_only)); }
  StepResult set_ice(TransportId t, IceTransportState s) { return apply(Step::ice(t, s)); }
  StepResult set_dtls(TransportId t, DtlsTransportState s) { return apply(Step::dtls(t, s)); }
  StepResult remove(TransportId t) { return apply(Step::remove(t)); }
  StepResult close() { return apply(Step::close()); }
  void reset();

  Profile profile() const { return profile_; }
  const ModelOptions& options() const { return options_; }
  const Readings& readings() const { return readings_; }
  bool is_closed() const { return closed_; }
  // std::nullopt: the profile defines no state (rec-2021 only).
  std::optional<PeerConnectionState> connection_state() const;
  IceConnectionState ice_connection_state() const { return slots_.ice_connection_state(); }
  bool has_transport(TransportId t) const { return t < kMaxTransports && ((live_ >> t) & 1u); }
  IceTransportState ice_state(TransportId t) const { return static_cast<IceTransportState>(states_[kIceLayer][t]); }
  DtlsTransportState dtls_state(TransportId t) const { return static_cast<DtlsTransportState>(states_[kDtlsLayer][t]); }
  std::size_t transport_count() const;
  // Which states are present among the transports the profile counts.
  Presence presence() const;

 private:
  // The ICE and DTLS states of the transports live side by side, so that one step code path
  // serves both: layer 0 is ICE, layer 1 DTLS (the order of StepKind::Ice, StepKind::Dtls and
  // of EventType's two transport events).
  static constexpr unsigned kIceLayer = 0, kDtlsLayer = 1;
  // A state's bit in presence_index_ (and its counter): DTLS states 0-4, ICE states 5-11.
  static constexpr unsigned kIcePresenceShift = enum_count<DtlsTransportState>;
  static constexpr unsigned kPresenceBits = enum_count<DtlsTransportState> + enum_count<IceTransportState>;

  template <Profile P> StepResult change_state(unsigned layer, TransportId t, std::uint8_t state);
  void count(TransportId t, int delta);
  void rederive_into(Events& out, std::uint8_t task);
  void fire_connection_update(Events& out, std::uint8_t task);
  std::uint8_t connection_from_slot() const;
  // The [[ConnectionState]] slot: a PeerConnectionState, or PackedStates::kUndefined.
  std::uint8_t connection_slot() const { return static_cast<std::uint8_t>(slots_.bits >> 3); }
  void set_connection_slot(std::uint8_t pcs) { slots_.bits = static_cast<std::uint8_t>((slots_.bits & 7u) | (pcs << 3)); }
  void set_ice_connection_slot(IceConnectionState ics) {
    slots_.bits = static_cast<std::uint8_t>((slots_.bits & ~7u) | static_cast<unsigned>(ics));
  }

  Profile profile_;
  ModelOptions options_;
  Readings readings_;
  bool literal_ = true;  // readings_.literal(): only the literal reading takes the fast path
  bool closed_ = false;
  // [[IceConnectionState]] and [[ConnectionState]] in one byte, so that a step sets both with one mask.
  PackedStates slots_{static_cast<std::uint8_t>(static_cast<unsigned>(IceConnectionState::New) |
                                                (static_cast<unsigned>(PeerConnectionState::New) << 3))};
  std::uint64_t live_ = 0;
  std::uint64_t sctp_only_ = 0;
  std::array<std::array<std::uint8_t, kMaxTransports>, 2> states_{};  // [layer][transport]
  std::array<std::uint16_t, kPresenceBits> state_count_{};  // counted transports per presence bit
  std::uint16_t presence_index_ = 0;  // ICE presence << 5 | DTLS presence: bit b set iff state_count_[b] != 0
};

}  // namespace connstate
