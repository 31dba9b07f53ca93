// requirements.cpp — see internal/requirements.h.
#include "internal/requirements.h"

#include <array>
#include <string_view>

#include "connstate/harness/spec_links.h"
#include "connstate/profiles.h"
#include "connstate/rules.h"
#include "connstate/trace/trace.h"
#include "connstate/trace/trace_reports.h"

namespace connstate::findings::internal {

namespace {

struct EventModelRequirement {
  std::string_view id;
  std::string_view page;  // under docs/spec/
  StepKind cited_step;    // whose spec sentence it rests on (harness::event_requirement)
  std::string_view text;
};

constexpr std::array<EventModelRequirement, 15> kEventModel = {{
    {"ice-task.one-task", "ice-task.md", StepKind::Ice,
     "an ICE state change is one task: the transport's statechange, then iceconnectionstatechange and "
     "connectionstatechange where the value changed, each carrying the value both aggregates have after the task"},
    {"ice-task.event-order", "ice-task.md", StepKind::Ice,
     "within the ICE task: the transport's statechange, then iceconnectionstatechange, then connectionstatechange"},
    {"ice-task.no-event-unchanged", "ice-task.md", StepKind::Ice,
     "iceconnectionstatechange and connectionstatechange fire only when the value changed"},
    {"ice-task.statechange-always", "ice-task.md", StepKind::Ice,
     "the ICE transport's statechange fires whenever its state changes, and only then"},
    {"dtls-task.statechange", "dtls-task.md", StepKind::Dtls,
     "the DTLS transport's statechange fires whenever its state changes, and only then"},
    {"dtls-task.later-task", "dtls-task.md", StepKind::Dtls,
     "a DTLS change fires the transport's statechange, then connectionstatechange (if the value changed) in a "
     "later task"},
    {"dtls-task.no-ice-rederive", "dtls-task.md", StepKind::Dtls,
     "a DTLS change does not re-derive iceConnectionState and fires no iceconnectionstatechange"},
    {"dtls-task.no-event-unchanged", "dtls-task.md", StepKind::Dtls,
     "connectionstatechange after a DTLS change fires only when the value changed"},
    {"close.no-events", "close.md", StepKind::Close, "close() sets every state to closed and fires no event"},
    {"close.after-close-ignored", "close.md", StepKind::Close,
     "after close() nothing changes and nothing fires"},
    {"policy.events-on-close", "open-policies.md", StepKind::Close,
     "with events_on_close, close() fires iceconnectionstatechange and connectionstatechange closed"},
    {"transport-set.no-rederive-on-change", "transport-set.md", StepKind::Add,
     "a transport joining or leaving the set re-derives nothing and fires nothing by itself"},
    {"transport-set.removal", "transport-set.md", StepKind::Remove,
     "a removed transport's DTLS then ICE transport close with their events, and the aggregates are re-derived "
     "without it"},
    {"adapter-protocol", "", StepKind::Close, "answers follow protocol 1 (docs/adapter-protocol.md)"},
    {"unclassified", "", StepKind::Close, "the stack's answer equals the reference's"},
}};

// Requirements only recorded traces can break (a stack under test is driven through legal transport
// changes): the transport state machine, and the states close() sets. Quoted from the rule check-trace cites.
struct TraceOnlyRequirement {
  std::string_view id;
  std::string_view page;  // under docs/spec/
  trace::EventRuleId cited;
  std::string_view text;
};

constexpr std::array<TraceOnlyRequirement, 5> kTraceOnly = {{
    {"state.ice.failed", "states.md", trace::EventRuleId::IceFailedTerminal,
     "an ICE transport that is failed stays failed until an ICE restart, which goes to checking"},
    {"state.ice.closed", "states.md", trace::EventRuleId::IceClosedFinal, "an ICE transport that is closed stays closed"},
    {"dtls-task.failed-sticky", "dtls-task.md", trace::EventRuleId::DtlsFailedSticky,
     "a DTLS transport that is failed stays failed and fires no further statechange"},
    {"state.dtls.closed", "states.md", trace::EventRuleId::DtlsClosedFinal, "a DTLS transport that is closed stays closed"},
    {"close.states", "close.md", trace::EventRuleId::CloseStates,
     "close() sets signalingState and every transport's state to closed at once"},
}};

}  // namespace

RequirementInfo requirement_info(const std::string& requirement) {
  RequirementInfo info;
  for (const Rule& r : all_rules()) {
    if (r.id != requirement) continue;
    info.text = std::string(r.summary) + ": " + std::string(r.id);
    info.document = r.document;
    info.anchor = r.anchor;
    info.quote = r.quote;
    info.url = harness::spec_url(r.document, r.anchor);
    info.notes = {harness::rule_notes_link(r.rule_id)};
    return info;
  }
  for (const auto& e : kEventModel) {
    if (e.id != requirement) continue;
    const harness::Requirement& cited = harness::event_requirement(e.cited_step);
    info.text = e.text;
    info.document = cited.document;
    info.anchor = cited.anchor;
    info.quote = cited.quote;
    info.url = harness::spec_url(cited.document, cited.anchor);
    if (!e.page.empty()) info.notes = {"docs/spec/" + std::string(e.page) + "#" + std::string(e.id)};
    else if (e.id == "adapter-protocol") info.notes = {"docs/adapter-protocol.md"};
    return info;
  }
  for (const auto& e : kTraceOnly) {
    if (e.id != requirement) continue;
    const trace::RuleRef cited = trace::rule_ref(e.cited);
    info.text = e.text;
    info.document = cited.document;
    info.anchor = cited.anchor;
    info.quote = cited.quote;
    info.url = harness::spec_url(cited.document, cited.anchor);
    info.notes = {"docs/spec/" + std::string(e.page) + "#" + std::string(e.id)};
    return info;
  }
  // Any other rule a check-trace finding cites (signalingstatechange, icegatheringstatechange).
  for (const trace::RuleRef& r : trace::all_event_rules()) {
    if (r.id != requirement) continue;
    info.text = r.quote;
    info.document = r.document;
    info.anchor = r.anchor;
    info.quote = r.quote;
    info.url = harness::spec_url(r.document, r.anchor);
    if (std::string note = trace::rule_notes(r); !note.empty()) info.notes = {std::move(note)};
    return info;
  }
  info.text = requirement;
  return info;
}

std::string profile_short_name(const std::string& profile) {
  if (profile == "rec-2025") return "REC 2025";
  if (profile == "rec-2021-amended") return "amended REC 2021";
  if (profile == "rec-2021") return "REC 2021";
  if (profile == "legacy-mdn") return "the 2015–2018 text (MDN)";
  return profile;
}

}  // namespace connstate::findings::internal
