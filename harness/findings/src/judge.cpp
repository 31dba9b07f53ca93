// judge.cpp — every departure of one answer from the reference, step by step (see findings.h).
#include <algorithm>
#include <cstdint>

#include "connstate/findings/findings.h"
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

Departure value_departure(std::string requirement, std::string_view aggregate, const StateText& observed,
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

Departure event_departure(StepKind k, bool was_closed, std::string kind, const std::string& what, int step) {
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
  if (!extra.empty() || !missing.empty() || observed == expected) return;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    if (observed[i] == expected[i]) continue;
    // The observed event that came too early, and the expected one it overtook.
    out.push_back(event_departure(k, was_closed, "misordered-events",
                                  event_class(observed[i]) + "<" + event_class(expected[i]), step));
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

void judge_values(Profile profile, const PeerConnectionModel& model, const ObservedStates& observed,
                  const ObservedStates& reference, SlotRules& rules, int step, std::vector<Departure>& out) {
  const Presence presence = model.presence();
  RuleId ice_rule{}, pcs_rule{};
  const IceConnectionState fresh_ice = derive_ice_connection_state(profile, model.is_closed(), presence, &ice_rule);
  const auto fresh_pcs =
      derive_connection_state(profile, model.is_closed(), model.ice_connection_state(), presence, &pcs_rule);
  if (fresh_ice == model.ice_connection_state()) rules.ice = ice_rule;
  if (fresh_pcs == model.connection_state()) rules.connection = pcs_rule;
  if (observed.ice_connection_state != reference.ice_connection_state) {
    // A stack that re-derived where the spec keeps the old value breaks the set-change requirement; any
    // other wrong value breaks the rule that gave the value kept.
    const bool rederived = fresh_ice != model.ice_connection_state() &&
                           observed.ice_connection_state == std::string(to_string(fresh_ice));
    out.push_back(value_departure(rederived ? "transport-set.no-rederive-on-change" : std::string(rule(rules.ice).id),
                                  "iceConnectionState", observed.ice_connection_state, reference.ice_connection_state,
                                  rederived, step));
  }
  if (connection_state_departs(profile, model.is_closed(), presence, observed, reference.connection_state)) {
    const bool rederived = fresh_pcs != model.connection_state() && observed.connection_state == text_of(fresh_pcs);
    out.push_back(value_departure(rederived ? "transport-set.no-rederive-on-change" : std::string(rule(rules.connection).id),
                                  "connectionState", observed.connection_state, reference.connection_state, rederived,
                                  step));
  }
}

// A removal where the stack's values already departed: "update the connection state" runs after the DTLS
// close and again after the ICE close, so its connectionstatechange may come at either place, or twice.
// Only what the stack's own values demand is checked: the last one carries the final value.
void judge_removal_by_own_values(const StepOutcomeText& observed, std::vector<std::string> expected,
                                 const ObservedStates& before, bool was_closed, int step, std::vector<Departure>& out) {
  auto is_pcs = [](const std::string& e) { return e.starts_with("pc connectionstatechange"); };
  std::vector<std::string> others, pcs;
  for (const auto& e : observed.events) (is_pcs(e) ? pcs : others).push_back(e);
  std::erase_if(expected, is_pcs);
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
    const StepResult r = model.apply(s.step);
    if (!r.ok()) break;  // not a valid sequence: nothing to judge from here on
    std::vector<std::string> reference_events;
    for (const Event& e : r.events) reference_events.push_back(harness::event_text(e, c.transport_names));
    const ObservedStates reference_after{text_of(model.connection_state()),
                                         std::string(to_string(model.ice_connection_state()))};
    const ObservedStates& observed_after = steps[i].states;
    const int step = static_cast<int>(i);
    judge_values(profile, model, observed_after, reference_after, rules, step, out);
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
