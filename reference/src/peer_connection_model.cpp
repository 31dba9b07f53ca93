// peer_connection_model.cpp — see peer_connection_model.h for the semantics.
#include "connstate/peer_connection_model.h"

#include <bit>
#include <cstddef>
#include <cstring>

#include "internal/rule_text.h"

namespace connstate {
namespace {
constexpr std::uint8_t kUndefinedState = PackedStates::kUndefined;

// The 2015–2018 text queued separate tasks for the ICE connection state and the
// connection state; since PR #2400 (2019) they are one task with the transport event.
constexpr bool separate_ice_tasks(Profile p) { return p == Profile::LegacyMdn; }

// `when ? a : b` as arithmetic: the compiler turns some of these into branches otherwise, and
// on random steps each would be a coin toss for the branch predictor.
constexpr unsigned select(bool when, unsigned a, unsigned b) { return b ^ ((a ^ b) & (0u - static_cast<unsigned>(when))); }

// An Event as one 32-bit store (field by field it took four).
static_assert(sizeof(Event) == 4 && offsetof(Event, type) == 0 && offsetof(Event, transport) == 1 &&
              offsetof(Event, state) == 2 && offsetof(Event, task) == 3);
constexpr std::uint32_t event_word(unsigned type, unsigned transport, unsigned state, unsigned task) {
  return std::endian::native == std::endian::little ? type | (transport << 8) | (state << 16) | (task << 24)
                                                    : (type << 24) | (transport << 16) | (state << 8) | task;
}
void store_event(Event* at, std::uint32_t word) { std::memcpy(at, &word, sizeof word); }
}  // namespace

std::string_view Event::type_name() const {
  switch (type) {
    case EventType::IceTransportStateChange:
    case EventType::DtlsTransportStateChange: return "statechange";
    case EventType::IceConnectionStateChange: return "iceconnectionstatechange";
    case EventType::ConnectionStateChange: return "connectionstatechange";
  }
  return "";
}

std::string_view Event::state_name() const {
  switch (type) {
    case EventType::IceTransportStateChange: return to_string(static_cast<IceTransportState>(state));
    case EventType::DtlsTransportStateChange: return to_string(static_cast<DtlsTransportState>(state));
    case EventType::IceConnectionStateChange: return to_string(static_cast<IceConnectionState>(state));
    case EventType::ConnectionStateChange: return to_string(static_cast<PeerConnectionState>(state));
  }
  return "";
}

std::string_view to_string(StepKind kind) {
  switch (kind) {
    case StepKind::Add: return "add";
    case StepKind::Ice: return "ice";
    case StepKind::Dtls: return "dtls";
    case StepKind::Remove: return "remove";
    case StepKind::Close: return "close";
  }
  return "";
}

std::string_view to_string(StepOutcome outcome) {
  switch (outcome) {
    case StepOutcome::Applied: return "applied";
    case StepOutcome::IgnoredAfterClose: return "ignored after close";
    case StepOutcome::UnknownTransport: return "unknown transport";
    case StepOutcome::DuplicateTransport: return "transport already added";
    case StepOutcome::BadTransportId: return "transport id out of range";
  }
  return "";
}

std::optional<PeerConnectionState> connection_state_under(Profile profile, const Readings& readings, bool closed,
                                                          IceConnectionState ice_connection_slot, Presence presence,
                                                          std::optional<PeerConnectionState> previous) {
  if (readings.completed_counts_as_connected && profile == Profile::Rec2025 &&
      ice_connection_slot == IceConnectionState::Completed)
    ice_connection_slot = IceConnectionState::Connected;
  const auto derived = derive_connection_state(profile, closed, ice_connection_slot, presence);
  if (derived) return derived;
  switch (readings.undefined_connection_state) {
    case Readings::Undefined::NoState: return std::nullopt;
    case Readings::Undefined::Connecting: return PeerConnectionState::Connecting;
    case Readings::Undefined::KeepPrevious: return previous;
  }
  return std::nullopt;
}

PeerConnectionModel::PeerConnectionModel(Profile profile, ModelOptions options, Readings readings)
    : profile_(profile), options_(options), readings_(readings), literal_(readings.literal()) {}

void PeerConnectionModel::reset() { *this = PeerConnectionModel(profile_, options_, readings_); }

std::optional<PeerConnectionState> PeerConnectionModel::connection_state() const { return slots_.connection_state(); }

std::size_t PeerConnectionModel::transport_count() const { return static_cast<std::size_t>(std::popcount(live_)); }

Presence PeerConnectionModel::presence() const {
  return Presence{static_cast<std::uint8_t>(presence_index_ >> 5), static_cast<std::uint8_t>(presence_index_ & 31u)};
}

void PeerConnectionModel::count(TransportId t, int delta) {
  if (((sctp_only_ >> t) & 1u) && !counts_sctp_only_transports(profile_)) return;
  for (const unsigned bit : {states_[kIceLayer][t] + kIcePresenceShift, unsigned{states_[kDtlsLayer][t]}}) {
    state_count_[bit] = static_cast<std::uint16_t>(state_count_[bit] + delta);
    // A state is present while its count is non-zero.
    presence_index_ = static_cast<std::uint16_t>(state_count_[bit] ? (presence_index_ | (1u << bit))
                                                                   : (presence_index_ & ~(1u << bit)));
  }
}

// connectionState from the current slot and presence (a table lookup, see derivation.h).
std::uint8_t PeerConnectionModel::connection_from_slot() const {
  if (closed_) return static_cast<std::uint8_t>(PeerConnectionState::Closed);
  if (!literal_) {
    const auto value = connection_state_under(profile_, readings_, closed_, ice_connection_state(), presence(),
                                              slots_.connection_state());
    return value ? static_cast<std::uint8_t>(*value) : kUndefinedState;
  }
  if (profile_ == Profile::Rec2025)
    return internal::kSlotConnectionTable[(static_cast<unsigned>(ice_connection_state()) * 32u + (presence_index_ & 31u)) * 2u +
                                          (presence_index_ ? 1u : 0u)];
  return static_cast<std::uint8_t>((internal::kPackedTables[static_cast<unsigned>(profile_)][presence_index_] >> 3) & 7u);
}

// Re-derives [[IceConnectionState]] and then [[ConnectionState]] from it, and fires
// the PC events whose value changed, in the ICE task's order.
void PeerConnectionModel::rederive_into(Events& out, std::uint8_t task) {
  const IceConnectionState ics =
      closed_ ? IceConnectionState::Closed
              : static_cast<IceConnectionState>(internal::kPackedTables[static_cast<unsigned>(profile_)][presence_index_] & 7u);
  const bool ics_changed = ics != ice_connection_state();
  set_ice_connection_slot(ics);
  const std::uint8_t pcs_raw = connection_from_slot();
  const bool pcs_defined = pcs_raw != kUndefinedState;
  const bool pcs_changed = pcs_raw != connection_slot();
  set_connection_slot(pcs_raw);
  const std::uint8_t connection_task = separate_ice_tasks(profile_) ? static_cast<std::uint8_t>(task + 1) : task;
  if (ics_changed) out.push({EventType::IceConnectionStateChange, 0, static_cast<std::uint8_t>(ics), task});
  // An undefined value (rec-2021) is stored but fires nothing: a listener would have nothing to read.
  if (pcs_changed && pcs_defined) out.push({EventType::ConnectionStateChange, 0, pcs_raw, connection_task});
}

// "Update the connection state" (webrtc-pc §4.4.1.x): the DTLS-triggered task. It uses
// the [[IceConnectionState]] slot as it is and never re-derives it.
void PeerConnectionModel::fire_connection_update(Events& out, std::uint8_t task) {
  const std::uint8_t pcs_raw = connection_from_slot();
  if (pcs_raw == connection_slot()) return;
  set_connection_slot(pcs_raw);
  if (pcs_raw != kUndefinedState) out.push({EventType::ConnectionStateChange, 0, pcs_raw, task});
}

StepResult PeerConnectionModel::apply(const Step& step) {
  static_assert(static_cast<unsigned>(StepKind::Dtls) - static_cast<unsigned>(StepKind::Ice) == kDtlsLayer &&
                static_cast<unsigned>(EventType::IceTransportStateChange) == kIceLayer &&
                static_cast<unsigned>(EventType::DtlsTransportStateChange) == kDtlsLayer);
  // 0 for ICE, 1 for DTLS; any other kind wraps to a large value.
  const unsigned layer = static_cast<unsigned>(step.kind) - static_cast<unsigned>(StepKind::Ice);
  const TransportId t = step.transport;
  if (layer > kDtlsLayer || closed_ || t >= kMaxTransports || !((live_ >> t) & 1u) || !literal_)
    return apply_by_tasks(step);
  switch (profile_) {
    case Profile::Rec2025: return change_state<Profile::Rec2025>(layer, t, step.state);
    case Profile::Rec2021Amended: return change_state<Profile::Rec2021Amended>(layer, t, step.state);
    case Profile::Rec2021: return change_state<Profile::Rec2021>(layer, t, step.state);
    case Profile::LegacyMdn: return change_state<Profile::LegacyMdn>(layer, t, step.state);
  }
  return apply_by_tasks(step);
}

// An ICE (layer 0) or DTLS (layer 1) change of a live transport of an open connection, as
// apply_by_tasks() does it, without a branch on the data. Each count and presence bit is updated
// as if the state changed (a no-change step removes and adds the same transport), the task's
// values are computed and masked in only where it sets them, every event that could fire is
// written and only those that fire are counted.
// Inlined into apply(), one copy per profile: as a call it cost a tenth of a step.
template <Profile P>
[[gnu::always_inline]] inline StepResult PeerConnectionModel::change_state(unsigned layer, TransportId t,
                                                                        std::uint8_t state) {
  std::uint8_t& transport_state = states_[layer][t];
  const unsigned old_state = transport_state, new_state = state;
  const bool changed = old_state != new_state;
  transport_state = state;
  // rec-2021 keeps SCTP-only transports out of the counts (counts_sctp_only_transports).
  const unsigned counted = P == Profile::Rec2021 ? 1u - static_cast<unsigned>((sctp_only_ >> t) & 1u) : 1u;
  const unsigned first_bit = (layer ^ 1u) * kIcePresenceShift;
  const unsigned old_bit = old_state + first_bit, new_bit = new_state + first_bit;
  state_count_[old_bit] = static_cast<std::uint16_t>(state_count_[old_bit] - counted);
  state_count_[new_bit] = static_cast<std::uint16_t>(state_count_[new_bit] + counted);
  const unsigned presence = (presence_index_ & ~(1u << old_bit)) |
                            (static_cast<unsigned>(state_count_[old_bit] != 0) << old_bit) | (counted << new_bit);
  presence_index_ = static_cast<std::uint16_t>(presence);

  // The slots a task sets: the ICE task both, the DTLS task [[ConnectionState]] only; no change, no task.
  constexpr unsigned kIceBits = 7u, kConnectionBits = 7u << 3;
  const unsigned task_sets = (kIceBits | kConnectionBits) ^ (layer * kIceBits);
  const unsigned mask = task_sets & (0u - static_cast<unsigned>(changed));
  const unsigned before = slots_.bits;
  unsigned derived = internal::kPackedTables[static_cast<unsigned>(P)][presence];
  if constexpr (P == Profile::Rec2025) {
    // rec-2025 derives connectionState from the [[IceConnectionState]] slot. The ICE task sets the
    // slot to the packed table's value, whose connectionState is already derived from it
    // (table_test); the DTLS task reads the slot as it is.
    const unsigned from_slot =
        internal::kSlotConnectionTable[((before & kIceBits) * 32u + (presence & 31u)) * 2u + (presence != 0 ? 1u : 0u)];
    derived = select(layer == kDtlsLayer, (derived & kIceBits) | (from_slot << 3), derived);
  }
  const unsigned after = before ^ ((before ^ derived) & mask);
  slots_.bits = static_cast<std::uint8_t>(after);

  // The transport statechange (task 0); for ICE then iceconnectionstatechange and
  // connectionstatechange in the same task (legacy-mdn: tasks 1 and 2); for DTLS the
  // connection update in task 1. An undefined connectionState (rec-2021) fires nothing.
  constexpr unsigned ics_task = separate_ice_tasks(P) ? 1u : 0u;
  const unsigned pcs_task = separate_ice_tasks(P) ? 2u - layer : layer;
  const unsigned moved = before ^ after;
  const bool ics_fires = (moved & kIceBits) != 0;
  bool pcs_fires = (moved & kConnectionBits) != 0;
  if constexpr (P == Profile::Rec2021) pcs_fires &= (after & kConnectionBits) != kConnectionBits;
  StepResult r;
  Event* out = r.events.items.data();
  store_event(out, event_word(layer, t, state, 0));
  unsigned n = changed ? 1u : 0u;
  constexpr auto kIcsEvent = static_cast<unsigned>(EventType::IceConnectionStateChange);
  constexpr auto kPcsEvent = static_cast<unsigned>(EventType::ConnectionStateChange);
  store_event(out + n, event_word(kIcsEvent, 0, after & kIceBits, ics_task));
  n += ics_fires ? 1u : 0u;
  store_event(out + n, event_word(kPcsEvent, 0, (after & kConnectionBits) >> 3, pcs_task));
  n += pcs_fires ? 1u : 0u;
  r.events.count = static_cast<std::uint8_t>(n);
  return r;
}

StepResult PeerConnectionModel::apply_by_tasks(const Step& step) {
  StepResult r;
  if (closed_) {
    r.outcome = StepOutcome::IgnoredAfterClose;
    if (readings_.dtls_statechange_after_close && step.kind == StepKind::Dtls && step.transport < kMaxTransports &&
        ((live_ >> step.transport) & 1u) && step.state != states_[kDtlsLayer][step.transport]) {
      states_[kDtlsLayer][step.transport] = step.state;
      r.events.push({EventType::DtlsTransportStateChange, step.transport, step.state, 0});
    }
    return r;
  }
  const TransportId t = step.transport;
  if (step.kind != StepKind::Close) {
    if (t >= kMaxTransports) {
      r.outcome = StepOutcome::BadTransportId;
      return r;
    }
    const bool present = has_transport(t);
    if (step.kind == StepKind::Add && present) {
      r.outcome = StepOutcome::DuplicateTransport;
      return r;
    }
    if (step.kind != StepKind::Add && !present) {
      r.outcome = StepOutcome::UnknownTransport;
      return r;
    }
  }

  switch (step.kind) {
    case StepKind::Add: {
      live_ |= std::uint64_t{1} << t;
      if (step.sctp_only) sctp_only_ |= std::uint64_t{1} << t;
      states_[kIceLayer][t] = static_cast<std::uint8_t>(IceTransportState::New);
      states_[kDtlsLayer][t] = static_cast<std::uint8_t>(DtlsTransportState::New);
      count(t, +1);
      if (options_.rederive_on_set_change) rederive_into(r.events, 0);
      break;
    }
    case StepKind::Ice: {
      const auto s = static_cast<IceTransportState>(step.state);
      if (s == ice_state(t)) break;  // no state change, no task
      count(t, -1);
      states_[kIceLayer][t] = step.state;
      count(t, +1);
      r.events.push({EventType::IceTransportStateChange, t, step.state, 0});
      rederive_into(r.events, separate_ice_tasks(profile_) ? 1 : 0);
      break;
    }
    case StepKind::Dtls: {
      const auto s = static_cast<DtlsTransportState>(step.state);
      if (s == dtls_state(t)) break;  // no state change (a second failure aborts too)
      count(t, -1);
      states_[kDtlsLayer][t] = step.state;
      count(t, +1);
      r.events.push({EventType::DtlsTransportStateChange, t, step.state, 0});
      fire_connection_update(r.events, 1);
      break;
    }
    case StepKind::Remove: {
      // The transport leaves the set first, then is closed "in a queued task" with events:
      // DTLS, then the connection update it queues, then ICE (which re-derives both aggregates).
      const bool never_started = ice_state(t) == IceTransportState::New && dtls_state(t) == DtlsTransportState::New;
      count(t, -1);
      live_ &= ~(std::uint64_t{1} << t);
      sctp_only_ &= ~(std::uint64_t{1} << t);
      std::uint8_t task = 0;
      bool rederived = false;
      if (readings_.never_started_transport_leaves_silently && never_started) {
        if (options_.rederive_on_set_change) rederive_into(r.events, 0);
        break;
      }
      if (readings_.ice_closes_first_on_remove && ice_state(t) != IceTransportState::Closed) {
        states_[kIceLayer][t] = static_cast<std::uint8_t>(IceTransportState::Closed);
        r.events.push({EventType::IceTransportStateChange, t, static_cast<std::uint8_t>(IceTransportState::Closed), task});
        rederive_into(r.events, separate_ice_tasks(profile_) ? static_cast<std::uint8_t>(task + 1) : task);
        rederived = true;
        task = static_cast<std::uint8_t>(task + 2);
      }
      if (dtls_state(t) != DtlsTransportState::Closed) {
        states_[kDtlsLayer][t] = static_cast<std::uint8_t>(DtlsTransportState::Closed);
        r.events.push({EventType::DtlsTransportStateChange, t, static_cast<std::uint8_t>(DtlsTransportState::Closed), task});
        fire_connection_update(r.events, static_cast<std::uint8_t>(task + 1));
        task = static_cast<std::uint8_t>(task + 2);
      }
      if (ice_state(t) != IceTransportState::Closed) {
        states_[kIceLayer][t] = static_cast<std::uint8_t>(IceTransportState::Closed);
        r.events.push({EventType::IceTransportStateChange, t, static_cast<std::uint8_t>(IceTransportState::Closed), task});
        rederive_into(r.events, separate_ice_tasks(profile_) ? static_cast<std::uint8_t>(task + 1) : task);
        rederived = true;
      }
      if (!rederived && options_.rederive_on_set_change) rederive_into(r.events, static_cast<std::uint8_t>(task + 1));
      break;
    }
    case StepKind::Close: {
      closed_ = true;
      for (std::uint64_t live = live_; live; live &= live - 1) {
        const auto id = static_cast<TransportId>(std::countr_zero(live));
        count(id, -1);
        states_[kIceLayer][id] = static_cast<std::uint8_t>(IceTransportState::Closed);
        states_[kDtlsLayer][id] = static_cast<std::uint8_t>(DtlsTransportState::Closed);
        count(id, +1);
      }
      const bool ics_changed = ice_connection_state() != IceConnectionState::Closed;
      const bool pcs_changed = connection_slot() != static_cast<std::uint8_t>(PeerConnectionState::Closed);
      set_ice_connection_slot(IceConnectionState::Closed);
      set_connection_slot(static_cast<std::uint8_t>(PeerConnectionState::Closed));
      if (options_.events_on_close) {
        if (ics_changed)
          r.events.push({EventType::IceConnectionStateChange, 0, static_cast<std::uint8_t>(IceConnectionState::Closed), 0});
        if (pcs_changed)
          r.events.push({EventType::ConnectionStateChange, 0, static_cast<std::uint8_t>(PeerConnectionState::Closed), 0});
      }
      break;
    }
  }
  return r;
}

}  // namespace connstate
