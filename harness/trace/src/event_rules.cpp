// event_rules.cpp — the event-level rules trace findings cite, with verbatim quotes.
//
// Quotes are from w3c/webrtc-pc webrtc.html at 1a2dfb47 (the Editor's Draft, whose
// algorithms quoted here read the same as REC 2025-03-13). Anchors are fragment ids of
// that document.
#include <array>

#include "connstate/trace/trace.h"

namespace connstate::trace {
namespace {

constexpr std::string_view kDoc = "webrtc-pc ED 1a2dfb47 (= REC 2025-03-13)";

struct EventRule {
  EventRuleId rid;
  std::string_view id, anchor, quote;
};

constexpr std::array<EventRule, static_cast<std::size_t>(EventRuleId::Count_)> kEventRules = {{
    {EventRuleId::IceTask, "event.ice-task", "dfn-change-the-selected-candidate-pair-and-state",
     "If connectionIceConnectionStateChanged is true, fire an event named iceconnectionstatechange at connection. "
     "If connectionStateChanged is true, fire an event named connectionstatechange at connection."},
    {EventRuleId::ConnectionUpdate, "event.connection-update", "update-the-connection-state",
     "If connection.[[ConnectionState]] is equal to newState, abort these steps."},
    {EventRuleId::IceStatechange, "event.ice-statechange", "dom-rtcicetransport-onstatechange",
     "This event handler, of event handler event type statechange, MUST be fired any time the RTCIceTransport "
     "state changes."},
    {EventRuleId::DtlsStatechange, "event.dtls-statechange", "dom-rtcdtlstransport-onstatechange",
     "When the underlying DTLS transport needs to update the state of the corresponding RTCDtlsTransport object "
     "for any other reason, the user agent MUST queue a task that runs the following steps: … Set "
     "transport.[[DtlsTransportState]] to newState. … Fire an event named statechange at transport."},
    {EventRuleId::TasksAbort, "close.tasks-abort", "connectionstate-closed",
     "If connection.[[IsClosed]] is true, abort these steps."},
    {EventRuleId::CloseNoEvent, "close.no-event", "dfn-close-the-connection",
     "Set connection.[[SignalingState]] to \"closed\". This does not fire any event. … Set "
     "connection.[[IceConnectionState]] to \"closed\". This does not fire any event. Set "
     "connection.[[ConnectionState]] to \"closed\". This does not fire any event."},
    {EventRuleId::CloseDtlsNoCheck, "close.dtls-no-check", "rtcdtlstransport-interface",
     "When the underlying DTLS transport needs to update the state of the corresponding RTCDtlsTransport object "
     "for any other reason, the user agent MUST queue a task that runs the following steps (they have no "
     "[[IsClosed]] check)"},
    {EventRuleId::CloseStates, "close.states", "dfn-close-the-connection",
     "Set the [[DtlsTransportState]] slot of each of connection's RTCDtlsTransports to \"closed\". … Set the "
     "[[IceTransportState]] slot of each of connection's RTCIceTransports to \"closed\"."},
    {EventRuleId::IceFailedTerminal, "ice.failed-terminal", "rtcicetransportstate-failed-description",
     "This is a terminal state until ICE is restarted."},
    {EventRuleId::IceClosedFinal, "ice.closed-final", "dom-rtcicetransportstate-closed",
     "The RTCIceTransport has shut down and is no longer responding to STUN requests."},
    {EventRuleId::DtlsFailedSticky, "dtls.failed-sticky", "rtcdtlstransport-interface",
     "If the state of transport is already \"failed\", abort these steps."},
    {EventRuleId::DtlsClosedFinal, "dtls.closed-final", "dom-rtcdtlstransportstate-closed",
     "The transport has been closed intentionally as the result of receipt of a close_notify alert, or calling "
     "close()."},
    {EventRuleId::SignalingChange, "event.signaling", "set-description",
     "If connection.[[SignalingState]] changed above, fire an event named signalingstatechange at connection."},
    {EventRuleId::GatheringChange, "event.gathering", "rtcicetransport-gathering",
     "If connectionIceGatheringStateChanged is true, fire an event named icegatheringstatechange at connection."},
}};

}  // namespace

RuleRef rule_ref(EventRuleId id) {
  const EventRule& r = kEventRules[static_cast<std::size_t>(id)];
  return {std::string(r.id), std::string(kDoc), std::string(r.anchor), std::string(r.quote)};
}

RuleRef rule_ref(RuleId id) {
  const Rule& r = rule(id);
  return {std::string(r.id), std::string(r.document), std::string(r.anchor), std::string(r.quote)};
}

std::vector<RuleRef> all_event_rules() {
  std::vector<RuleRef> out;
  for (const auto& r : kEventRules) out.push_back(rule_ref(r.rid));
  return out;
}

}  // namespace connstate::trace
