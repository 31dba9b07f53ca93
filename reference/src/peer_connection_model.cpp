// peer_connection_model.cpp — see peer_connection_model.h for the semantics.
#include "connstate/peer_connection_model.h"

#include <bit>

#include "internal/rule_text.h"

namespace connstate {
namespace {
constexpr std::uint8_t kUndefinedState = 0xff;

// The 2015–2018 text queued separate tasks for the ICE connection state and the
// connection state; since PR #2400 (2019) they are one task with the transport event.
constexpr bool separate_ice_tasks(Profile p) { return p == Profile::LegacyMdn; }
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

PeerConnectionModel::PeerConnectionModel(Profile profile, ModelOptions options)
    : profile_(profile), options_(options) {}

void PeerConnectionModel::reset() { *this = PeerConnectionModel(profile_, options_); }

std::optional<PeerConnectionState> PeerConnectionModel::connection_state() const {
  if (connection_ == kUndefinedState) return std::nullopt;
  return static_cast<PeerConnectionState>(connection_);
}

std::size_t PeerConnectionModel::transport_count() const { return static_cast<std::size_t>(std::popcount(live_)); }

Presence PeerConnectionModel::presence() const {
  return Presence{static_cast<std::uint8_t>(presence_index_ >> 5), static_cast<std::uint8_t>(presence_index_ & 31u)};
}

void PeerConnectionModel::count(TransportId t, int delta) {
  if (((sctp_only_ >> t) & 1u) && !counts_sctp_only_transports(profile_)) return;
  const auto ice = static_cast<std::size_t>(ice_[t]);
  const auto dtls = static_cast<std::size_t>(dtls_[t]);
  ice_count_[ice] = static_cast<std::uint16_t>(ice_count_[ice] + delta);
  dtls_count_[dtls] = static_cast<std::uint16_t>(dtls_count_[dtls] + delta);
  // A state is present while its count is non-zero.
  const unsigned ice_bit = 1u << (ice + 5), dtls_bit = 1u << dtls;
  presence_index_ = static_cast<std::uint16_t>(ice_count_[ice] ? (presence_index_ | ice_bit) : (presence_index_ & ~ice_bit));
  presence_index_ =
      static_cast<std::uint16_t>(dtls_count_[dtls] ? (presence_index_ | dtls_bit) : (presence_index_ & ~dtls_bit));
}

// connectionState from the current slot and presence (a table lookup, see derivation.h).
std::uint8_t PeerConnectionModel::connection_from_slot() const {
  if (closed_) return static_cast<std::uint8_t>(PeerConnectionState::Closed);
  unsigned pcs;
  if (profile_ == Profile::Rec2025) {
    pcs = internal::kSlotConnectionTable[(static_cast<unsigned>(ice_connection_) * 32u + (presence_index_ & 31u)) * 2u +
                                         (presence_index_ ? 1u : 0u)];
  } else {
    pcs = (internal::kPackedTables[static_cast<unsigned>(profile_)][presence_index_] >> 3) & 7u;
    if (pcs == PackedStates::kUndefined) return kUndefinedState;
  }
  return static_cast<std::uint8_t>(pcs);
}

// Re-derives [[IceConnectionState]] and then [[ConnectionState]] from it, and fires
// the PC events whose value changed, in the ICE task's order.
void PeerConnectionModel::rederive_into(Events& out, std::uint8_t task) {
  const IceConnectionState ics =
      closed_ ? IceConnectionState::Closed
              : static_cast<IceConnectionState>(internal::kPackedTables[static_cast<unsigned>(profile_)][presence_index_] & 7u);
  const bool ics_changed = ics != ice_connection_;
  ice_connection_ = ics;
  const std::uint8_t pcs_raw = connection_from_slot();
  const bool pcs_defined = pcs_raw != kUndefinedState;
  const bool pcs_changed = pcs_raw != connection_;
  connection_ = pcs_raw;
  const std::uint8_t connection_task = separate_ice_tasks(profile_) ? static_cast<std::uint8_t>(task + 1) : task;
  if (ics_changed) out.push({EventType::IceConnectionStateChange, 0, static_cast<std::uint8_t>(ics), task});
  // An undefined value (rec-2021) is stored but fires nothing: a listener would have nothing to read.
  if (pcs_changed && pcs_defined) out.push({EventType::ConnectionStateChange, 0, pcs_raw, connection_task});
}

// "Update the connection state" (webrtc-pc §4.4.1.x): the DTLS-triggered task. It uses
// the [[IceConnectionState]] slot as it is and never re-derives it.
void PeerConnectionModel::fire_connection_update(Events& out, std::uint8_t task) {
  const std::uint8_t pcs_raw = connection_from_slot();
  if (pcs_raw == connection_) return;
  connection_ = pcs_raw;
  if (pcs_raw != kUndefinedState) out.push({EventType::ConnectionStateChange, 0, pcs_raw, task});
}

StepResult PeerConnectionModel::apply(const Step& step) {
  StepResult r;
  if (closed_) {
    r.outcome = StepOutcome::IgnoredAfterClose;
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
      ice_[t] = IceTransportState::New;
      dtls_[t] = DtlsTransportState::New;
      count(t, +1);
      if (options_.rederive_on_set_change) rederive_into(r.events, 0);
      break;
    }
    case StepKind::Ice: {
      const auto s = static_cast<IceTransportState>(step.state);
      if (s == ice_[t]) break;  // no state change, no task
      count(t, -1);
      ice_[t] = s;
      count(t, +1);
      r.events.push({EventType::IceTransportStateChange, t, step.state, 0});
      rederive_into(r.events, separate_ice_tasks(profile_) ? 1 : 0);
      break;
    }
    case StepKind::Dtls: {
      const auto s = static_cast<DtlsTransportState>(step.state);
      if (s == dtls_[t]) break;  // no state change (a second failure aborts too)
      count(t, -1);
      dtls_[t] = s;
      count(t, +1);
      r.events.push({EventType::DtlsTransportStateChange, t, step.state, 0});
      fire_connection_update(r.events, 1);
      break;
    }
    case StepKind::Remove: {
      // The transport leaves the set first, then is closed "in a queued task" with events:
      // DTLS, then the connection update it queues, then ICE (which re-derives both aggregates).
      count(t, -1);
      live_ &= ~(std::uint64_t{1} << t);
      sctp_only_ &= ~(std::uint64_t{1} << t);
      std::uint8_t task = 0;
      bool rederived = false;
      if (dtls_[t] != DtlsTransportState::Closed) {
        dtls_[t] = DtlsTransportState::Closed;
        r.events.push({EventType::DtlsTransportStateChange, t, static_cast<std::uint8_t>(DtlsTransportState::Closed), task});
        fire_connection_update(r.events, static_cast<std::uint8_t>(task + 1));
        task = static_cast<std::uint8_t>(task + 2);
      }
      if (ice_[t] != IceTransportState::Closed) {
        ice_[t] = IceTransportState::Closed;
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
        ice_[id] = IceTransportState::Closed;
        dtls_[id] = DtlsTransportState::Closed;
        count(id, +1);
      }
      const bool ics_changed = ice_connection_ != IceConnectionState::Closed;
      const bool pcs_changed = connection_ != static_cast<std::uint8_t>(PeerConnectionState::Closed);
      ice_connection_ = IceConnectionState::Closed;
      connection_ = static_cast<std::uint8_t>(PeerConnectionState::Closed);
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
