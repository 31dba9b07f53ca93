// departures.h — how the step judge names a departure, shared with the trace findings so that a departure
// seen in a recording has the very shape and id it has in a case. Private to connstate::findings.
#pragma once

#include <string>
#include <string_view>

#include "connstate/findings/findings.h"

namespace connstate::findings::internal {

// "connectionState connected where the rule gives connecting" (`stale`: "where the spec keeps …").
Departure value_departure(std::string requirement, std::string_view aggregate, const harness::StateText& observed,
                          const harness::StateText& expected, bool stale, int step);
// An event departure of `kind` at a step of kind `k` ("after close()" when `was_closed`), for the event class
// `what` ("connectionstatechange", "ice statechange"; "a<b" for misordered events: a dispatched before b),
// named by the event-model requirement it breaks.
Departure event_departure(StepKind k, bool was_closed, std::string kind, const std::string& what, int step);

}  // namespace connstate::findings::internal
