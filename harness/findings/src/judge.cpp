// judge.cpp — every departure of one answer from the reference, step by step (see findings.h).
#include <algorithm>
#include <cstdint>

#include "connstate/findings/findings.h"
#include "internal/departures.h"
#include "internal/requirements.h"

namespace connstate::findings {

using harness::Case;
using harness::ObservedStates;
using harness::StateText;
using harness::StepOutcomeText;

std::string Departure::id() const {
  std::uint32_t h = 2166136261u;  // FNV-1a 32 over requirement, kind and key
  for (const std::string* part : {&requirement, &kind, &key}) {
    for (unsigned char ch : *part) h = (h ^ ch) * 16777619u;
    h = (h ^ 0x1fu) * 16777619u;
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return "F-" + requirement + "-" + kind + "-" + hex;
}

namespace {

std::string shown(const StateText& s) { return s ? *s : std::string("null"); }

StateText text_of(const std::optional<PeerConnectionState>& s) {
  return s ? StateText(std::string(to_string(*s))) : std::nullopt;
}

}  // namespace

Departure internal::value_departure(std::string requirement, std::string_view aggregate, const StateText& observed,
                          const StateText& expected, bool stale, int step) {
  Departure d;
  d.requirement = std::move(requirement);
  d.kind = "value";
  d.shape = std::string(aggregate) + " " + shown(observed) + " where " +
            (stale ? "the spec keeps " : "the rule gives ") + shown(expected) +
            (stale ? " (not re-derived when only the set of transports changes)" : "");
  d.key = std::string(aggregate);
  d.detail = shown(observed);
  d.expected = shown(expected);
  d.step = step;
  return d;
}

namespace {

using internal::value_departure;
using internal::event_departure;

// connectionState is wrong only when it matches neither the reference nor what the profile derives from
// the stack's own iceConnectionState (rec-2025 builds one on the other: a wrong ICE aggregate is its own
// finding, and a connectionState consistent with it is not a second one).
bool connection_state_departs(Profile profile, bool closed, Presence presence, const ObservedStates& observed,
                              const StateText& expected) {
  if (observed.connection_state == expected) return false;
  if (!observed.ice_connection_state) return true;
  const auto own_ice = parse_state<IceConnectionState>(*observed.ice_connection_state);
  if (!own_ice) return true;
  return observed.connection_state != text_of(derive_connection_state(profile, closed, *own_ice, presence));
}

}  // namespace

std::vector<Departure> judge_snapshot(Profile profile, const Case& c, const ObservedStates& observed) {
  std::vector<Departure> out;
  const Derivation d = derive(profile, c.closed, c.transports);
  const StateText ice(std::string(to_string(d.ice_connection_state)));
  if (observed.ice_connection_state != ice)
    out.push_back(value_departure(std::string(rule(d.ice_connection_rule).id), "iceConnectionState",
                                  observed.ice_connection_state, ice, false, -1));
  const StateText pcs = text_of(d.connection_state);
  if (connection_state_departs(profile, c.closed, presence_of(profile, c.transports), observed, pcs))
    out.push_back(value_departure(std::string(rule(d.connection_rule).id), "connectionState",
                                  observed.connection_state, pcs, false, -1));
  return out;
}

namespace {

// "pc connectionstatechange connected" -> "connectionstatechange"; "ice:t0 statechange new" -> "ice statechange".
std::string event_class(const std::string& text) {
  const auto space = text.find(' ');
  const std::string target = text.substr(0, space);
  const auto second = text.find(' ', space + 1);
  const std::string type = space == std::string::npos ? text : text.substr(space + 1, second - space - 1);
  if (target == "pc") return type;
  return target.substr(0, target.find(':')) + " " + type;
}

std::string_view step_words(StepKind k) {
  switch (k) {
    case StepKind::Add: return "a transport added";
    case StepKind::Ice: return "an ICE change";
    case StepKind::Dtls: return "a DTLS change";
    case StepKind::Remove: return "a transport removed";
    case StepKind::Close: return "close()";
  }
  return "a step";
}

// The events the stack should have fired given its own values before and after the step: the
// reference's transport events (they depend on the inputs only), and a pc event wherever the stack's own
// value changed, in the order the spec dispatches them.
std::vector<std::string> own_value_events(const Case& c, const harness::SequenceStep& s, bool was_closed,
                                          const std::vector<std::string>& reference_events,
                                          const ObservedStates& before, const ObservedStates& after) {
  std::vector<std::string> out;
  if (was_closed) return out;
  for (const auto& e : reference_events)
    if (!e.starts_with("pc ")) out.push_back(e);
  if (s.step.kind == StepKind::Close && !c.options.events_on_close) return out;
  if (after.ice_connection_state != before.ice_connection_state && s.step.kind != StepKind::Dtls)
    out.push_back("pc iceconnectionstatechange " + shown(after.ice_connection_state));
  if (after.connection_state != before.connection_state && after.connection_state)
    out.push_back("pc connectionstatechange " + shown(after.connection_state));
  return out;
}

std::string event_requirement_id(StepKind k, bool was_closed, const std::string& kind, const std::string& cls) {
  if (was_closed) return "close.after-close-ignored";
  const bool transport_event = cls.find(' ') != std::string::npos;
  switch (k) {
    case StepKind::Close: return kind == "missing-event" ? "policy.events-on-close" : "close.no-events";
    case StepKind::Add: return "transport-set.no-rederive-on-change";
    case StepKind::Remove: return "transport-set.removal";
    case StepKind::Ice:
      if (kind == "misordered-events") return "ice-task.event-order";
      if (transport_event) return "ice-task.statechange-always";
      if (kind == "missing-event" || kind == "wrong-event-value") return "ice-task.one-task";
      return "ice-task.no-event-unchanged";
    case StepKind::Dtls:
      if (kind == "misordered-events") return "dtls-task.later-task";
      if (transport_event) return "dtls-task.statechange";
      if (cls == "iceconnectionstatechange") return "dtls-task.no-ice-rederive";
      if (kind == "missing-event" || kind == "wrong-event-value") return "dtls-task.later-task";
      return "dtls-task.no-event-unchanged";
  }
  return "unclassified";
}

// "ice statechange" -> "statechange of the ICE transport" (reads after "an extra", "no", "a second"); pc
// events by their type.
std::string event_words(const std::string& cls) {
  if (cls == "ice statechange") return "statechange of the ICE transport";
  if (cls == "dtls statechange") return "statechange of the DTLS transport";
  return cls;
}

std::string kind_words(const std::string& kind) {
  if (kind == "extra-event") return "an extra";
  if (kind == "missing-event") return "no";
  if (kind == "duplicate-event") return "a second";
  if (kind == "wrong-event-value") return "a wrong value in";
  return kind;
}

}  // namespace

Departure internal::event_departure(StepKind k, bool was_closed, std::string kind, const std::string& what, int step) {
  Departure d;
  const std::string cls = what.find('<') == std::string::npos ? what : what.substr(0, what.find('<'));
  d.requirement = event_requirement_id(k, was_closed, kind, cls);
  d.kind = std::move(kind);
  const std::string where = was_closed ? "a step after close()" : std::string(step_words(k));
  std::string words;
  if (d.kind == "misordered-events") {
    const auto lt = what.find('<');
    words = event_words(what.substr(0, lt)) + " dispatched before " + event_words(what.substr(lt + 1));
  } else {
    words = kind_words(d.kind) + " " + event_words(what);
  }
  d.shape = words + " on " + where;
  d.key = d.kind;
  d.detail = d.kind == "misordered-events" ? event_words(what.substr(0, what.find('<'))) + " dispatched before " +
                                                 event_words(what.substr(what.find('<') + 1))
                                           : event_words(what);
  d.where = where;
  d.step = step;
  return d;
}

namespace {

// Compares the events of one step: multiset first (extra, missing, duplicate, wrong value), then order.
void judge_events(const std::vector<std::string>& observed, const std::vector<std::string>& expected, StepKind k,
                  bool was_closed, int step, std::vector<Departure>& out) {
  std::vector<std::string> extra = observed, missing;
  for (const auto& e : expected) {
    const auto it = std::find(extra.begin(), extra.end(), e);
    if (it != extra.end()) extra.erase(it);
    else missing.push_back(e);
  }
  for (const auto& e : extra) {
    const auto same_class = std::find_if(missing.begin(), missing.end(),
                                         [&](const std::string& m) { return event_class(m) == event_class(e); });
    if (same_class != missing.end()) {
      missing.erase(same_class);
      out.push_back(event_departure(k, was_closed, "wrong-event-value", event_class(e), step));
    } else {
      const bool repeated = std::count(expected.begin(), expected.end(), e) > 0;
      out.push_back(event_departure(k, was_closed, repeated ? "duplicate-event" : "extra-event", event_class(e), step));
    }
  }
  for (const auto& m : missing) out.push_back(event_departure(k, was_closed, "missing-event", event_class(m), step));
  // Order is judged over the events both fired, so a missing or extra event in the same step does not hide
  // a second cause (libwebrtc's removal: the ICE transport's statechange missing, and the pc events before
  // the DTLS transport's).
  std::vector<std::string> unmatched = expected, observed_common, expected_common;
  for (const auto& e : observed) {
    const auto it = std::find(unmatched.begin(), unmatched.end(), e);
    if (it == unmatched.end()) continue;
    unmatched.erase(it);
    observed_common.push_back(e);
  }
  unmatched = observed_common;
  for (const auto& e : expected) {
    const auto it = std::find(unmatched.begin(), unmatched.end(), e);
    if (it == unmatched.end()) continue;
    unmatched.erase(it);
    expected_common.push_back(e);
  }
  for (std::size_t i = 0; i < observed_common.size(); ++i) {
    if (observed_common[i] == expected_common[i]) continue;
    // The observed event that came too early, and the expected one it overtook.
    out.push_back(event_departure(k, was_closed, "misordered-events",
                                  event_class(observed_common[i]) + "<" + event_class(expected_common[i]), step));
    return;
  }
}

}  // namespace

namespace {

// The rule that last decided each aggregate's slot: a value the spec keeps (not re-derived on a set
// change) is attributed to the rule that gave it.
struct SlotRules {
  RuleId ice = RuleId::IcsNew;
  RuleId connection = RuleId::Pcs2025New;
};

// Whether the stack fired, at this step, the aggregate's change event carrying the value it now reads.
bool fired_change(const std::vector<std::string>& events, std::string_view type, const StateText& value) {
  if (!value) return false;
  const std::string event = "pc " + std::string(type) + " " + *value;
  return std::find(events.begin(), events.end(), event) != events.end();
}

// `own_presence`: the transports the stack's connectionState may be derived from at this step — those
// before it for an added transport, which the spec does not re-derive on.
void judge_values(Profile profile, const PeerConnectionModel& model, StepKind step_kind, const StepOutcomeText& answer,
                  const ObservedStates& observed_before, const ObservedStates& reference, const Presence& own_presence,
                  SlotRules& rules, int step, std::vector<Departure>& out) {
  const ObservedStates& observed = answer.states;
  const Presence presence = model.presence();
  RuleId ice_rule{}, pcs_rule{};
  const IceConnectionState fresh_ice = derive_ice_connection_state(profile, model.is_closed(), presence, &ice_rule);
  const auto fresh_pcs =
      derive_connection_state(profile, model.is_closed(), model.ice_connection_state(), presence, &pcs_rule);
  if (fresh_ice == model.ice_connection_state()) rules.ice = ice_rule;
  if (fresh_pcs == model.connection_state()) rules.connection = pcs_rule;
  // A stack that re-derived where the spec keeps the old value breaks the set-change requirement. It shows
  // either as the value a fresh derivation gives, or, when its own derivation is wrong too, as a change
  // announced by its event on a step that only added a transport: then the value it derived is judged
  // against the rule a fresh derivation applies, a second cause that re-derivation alone would not explain.
  auto judge_aggregate = [&](std::string_view aggregate, std::string_view event_type, const StateText& now,
                             const StateText& before, const StateText& expected, bool stale, const StateText& fresh,
                             RuleId kept_rule, RuleId fresh_rule, bool departs_from_fresh) {
    const bool derived_fresh = stale && now == fresh;
    const bool announced =
        stale && step_kind == StepKind::Add && now != before && fired_change(answer.events, event_type, now);
    const bool rederived = derived_fresh || announced;
    out.push_back(value_departure(rederived ? "transport-set.no-rederive-on-change" : std::string(rule(kept_rule).id),
                                  aggregate, now, expected, rederived, step));
    if (announced && !derived_fresh && departs_from_fresh)
      out.push_back(value_departure(std::string(rule(fresh_rule).id), aggregate, now, fresh, false, step));
  };
  if (observed.ice_connection_state != reference.ice_connection_state)
    judge_aggregate("iceConnectionState", "iceconnectionstatechange", observed.ice_connection_state,
                    observed_before.ice_connection_state, reference.ice_connection_state,
                    fresh_ice != model.ice_connection_state(), StateText(std::string(to_string(fresh_ice))), rules.ice,
                    ice_rule, true);
  if (connection_state_departs(profile, model.is_closed(), own_presence, observed, reference.connection_state))
    judge_aggregate("connectionState", "connectionstatechange", observed.connection_state,
                    observed_before.connection_state, reference.connection_state,
                    fresh_pcs != model.connection_state(), text_of(fresh_pcs), rules.connection, pcs_rule,
                    connection_state_departs(profile, model.is_closed(), presence, observed, text_of(fresh_pcs)));
}

// A removal where the stack's values already departed: "update the connection state" runs after the DTLS
// close and again after the ICE close, so its connectionstatechange may come at either place, or twice.
// Only what the stack's own values demand is checked: the last one carries the final value. Its
// iceconnectionstatechange, too, follows its own value (one event, after the ICE transport's statechange,
// where the ICE close task re-derives it), so a value that departed earlier is not counted again here.
void judge_removal_by_own_values(const StepOutcomeText& observed, std::vector<std::string> expected,
                                 const ObservedStates& before, bool was_closed, int step, std::vector<Departure>& out) {
  auto is_pcs = [](const std::string& e) { return e.starts_with("pc connectionstatechange"); };
  auto is_ics = [](const std::string& e) { return e.starts_with("pc iceconnectionstatechange"); };
  std::vector<std::string> others, pcs;
  for (const auto& e : observed.events) (is_pcs(e) ? pcs : others).push_back(e);
  std::erase_if(expected, is_pcs);
  std::erase_if(expected, is_ics);
  if (observed.states.ice_connection_state != before.ice_connection_state) {
    auto ice_close = std::find_if(expected.begin(), expected.end(), [](const std::string& e) { return e.starts_with("ice:"); });
    expected.insert(ice_close == expected.end() ? ice_close : ice_close + 1,
                    "pc iceconnectionstatechange " + shown(observed.states.ice_connection_state));
  }
  judge_events(others, expected, StepKind::Remove, was_closed, step, out);
  const bool changed = observed.states.connection_state != before.connection_state && observed.states.connection_state;
  if (changed && pcs.empty())
    out.push_back(event_departure(StepKind::Remove, was_closed, "missing-event", "connectionstatechange", step));
  else if (changed && pcs.back() != "pc connectionstatechange " + shown(observed.states.connection_state))
    out.push_back(event_departure(StepKind::Remove, was_closed, "wrong-event-value", "connectionstatechange", step));
  else if (!changed && pcs.size() == 1)
    out.push_back(event_departure(StepKind::Remove, was_closed, "extra-event", "connectionstatechange", step));
}

}  // namespace

std::vector<Departure> judge_sequence(Profile profile, const Case& c, const std::vector<StepOutcomeText>& steps) {
  std::vector<Departure> out;
  PeerConnectionModel model(profile, c.options);
  ObservedStates observed_before{std::string("new"), std::string("new")};
  ObservedStates reference_before = observed_before;
  SlotRules rules;
  rules.connection = derive(profile, false, std::span<const TransportState>{}).connection_rule;
  for (std::size_t i = 0; i < c.steps.size() && i < steps.size(); ++i) {
    const harness::SequenceStep& s = c.steps[i];
    const bool was_closed = model.is_closed();
    const Presence presence_before = model.presence();
    const StepResult r = model.apply(s.step);
    if (!r.ok()) break;  // not a valid sequence: nothing to judge from here on
    std::vector<std::string> reference_events;
    for (const Event& e : r.events) reference_events.push_back(harness::event_text(e, c.transport_names));
    const ObservedStates reference_after{text_of(model.connection_state()),
                                         std::string(to_string(model.ice_connection_state()))};
    const ObservedStates& observed_after = steps[i].states;
    const int step = static_cast<int>(i);
    judge_values(profile, model, s.step.kind, steps[i], observed_before, reference_after,
                 s.step.kind == StepKind::Add ? presence_before : model.presence(), rules, step, out);
    const bool values_agree = observed_before == reference_before && observed_after == reference_after;
    if (values_agree)
      judge_events(steps[i].events, reference_events, s.step.kind, was_closed, step, out);
    else if (s.step.kind == StepKind::Remove && !was_closed)
      judge_removal_by_own_values(steps[i], reference_events, observed_before, was_closed, step, out);
    else
      judge_events(steps[i].events, own_value_events(c, s, was_closed, reference_events, observed_before, observed_after),
                   s.step.kind, was_closed, step, out);
    observed_before = observed_after;
    reference_before = reference_after;
  }
  return out;
}

}  // namespace connstate::findings
