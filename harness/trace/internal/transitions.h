// transitions.h — which transport state changes webrtc-pc forbids, for the checker's
// `illegal-transition` findings and for the partial-trace search, which must only try changes a
// real transport can make.
#pragma once

#include <cstdint>
#include <optional>

#include "connstate/states.h"
#include "connstate/trace/trace.h"

namespace connstate::trace::internal {

// The rule a change from `from` to `to` breaks, or nullopt when it is allowed. ICE `failed` may
// go to `checking` (an ICE restart, which a trace cannot see) or `closed`; `closed` is final for
// both; DTLS `failed` may only close.
inline std::optional<EventRuleId> illegal_ice_transition(IceTransportState from, IceTransportState to) {
  if (from == IceTransportState::Closed) return EventRuleId::IceClosedFinal;
  if (from == IceTransportState::Failed && to != IceTransportState::Checking && to != IceTransportState::Closed)
    return EventRuleId::IceFailedTerminal;
  return std::nullopt;
}

inline std::optional<EventRuleId> illegal_dtls_transition(DtlsTransportState from, DtlsTransportState to) {
  if (from == DtlsTransportState::Closed) return EventRuleId::DtlsClosedFinal;
  if (from == DtlsTransportState::Failed && to != DtlsTransportState::Closed) return EventRuleId::DtlsFailedSticky;
  return std::nullopt;
}

}  // namespace connstate::trace::internal
