// cases.cpp — loading, validating and generating cases; the reference's expected outcomes.
#include "connstate/harness/cases.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <unistd.h>

#include "connstate/harness/json_input.h"
#include "connstate/harness/readings.h"
#include "connstate/harness/spec_links.h"
#include "connstate/harness/why.h"

namespace connstate::harness {
namespace fs = std::filesystem;

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::NonStrict: return "non-strict";
    case Verdict::Informational: return "informational";
    case Verdict::Fail: return "fail";
    case Verdict::Error: return "error";
    case Verdict::Unsupported: return "unsupported";
  }
  return "";
}

std::optional<Verdict> parse_verdict(std::string_view t) {
  for (Verdict v : {Verdict::Pass, Verdict::NonStrict, Verdict::Informational, Verdict::Fail, Verdict::Error,
                    Verdict::Unsupported})
    if (to_string(v) == t) return v;
  return std::nullopt;
}

void assign_event_text(std::string& out, const Event& e, const std::vector<std::string>& names) {
  out.clear();
  if (e.type == EventType::IceTransportStateChange) out += "ice:";
  else if (e.type == EventType::DtlsTransportStateChange) out += "dtls:";
  else out += "pc";
  if (e.type == EventType::IceTransportStateChange || e.type == EventType::DtlsTransportStateChange)
    out += e.transport < names.size() ? names[e.transport] : std::to_string(e.transport);
  out += ' ';
  out += e.type_name();
  out += ' ';
  out += e.state_name();
}

std::string event_text(const Event& e, const std::vector<std::string>& names) {
  std::string out;
  assign_event_text(out, e, names);
  return out;
}

std::string step_text(const SequenceStep& s) {
  std::string out(to_string(s.step.kind));
  if (s.step.kind != StepKind::Close) out += " " + s.transport;
  if (s.step.kind == StepKind::Ice) out += " " + std::string(to_string(static_cast<IceTransportState>(s.step.state)));
  if (s.step.kind == StepKind::Dtls) out += " " + std::string(to_string(static_cast<DtlsTransportState>(s.step.state)));
  if (s.step.kind == StepKind::Add && s.step.sctp_only) out += " (sctp only)";
  return out;
}

namespace {

StateText state_text(const std::optional<PeerConnectionState>& s) {
  return s ? StateText(std::string(to_string(*s))) : std::nullopt;
}

ObservedStates states_of(const PeerConnectionModel& m) {
  return {state_text(m.connection_state()), std::string(to_string(m.ice_connection_state()))};
}

void apply(ObservedStates& s, const PartialStates& p) {
  if (p.connection_state) s.connection_state = *p.connection_state;
  if (p.ice_connection_state) s.ice_connection_state = *p.ice_connection_state;
}

void apply(StepOutcomeText& s, const PartialStep& p) {
  if (p.events) s.events = *p.events;
  apply(s.states, p.states);
}

std::uint8_t profile_bit(Profile p) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(p)); }

std::string show(const StateText& s) { return s ? "\"" + *s + "\"" : std::string("null"); }

}  // namespace

ExpectedOutcome outcome_under(const Case& c, Profile profile, const Readings& readings, const ModelOptions& options) {
  ExpectedOutcome out;
  if (c.kind == CaseKind::Snapshot) {
    const Derivation d = derive(profile, c.closed, c.transports);
    out.snapshot = {state_text(d.connection_state), std::string(to_string(d.ice_connection_state))};
    out.reason = std::string(rule(d.connection_rule).id) + ", " + std::string(rule(d.ice_connection_rule).id);
    out.rules = {d.connection_rule, d.ice_connection_rule};
    if (!readings.literal())
      out.snapshot.connection_state = state_text(connection_state_under(
          profile, readings, c.closed, d.ice_connection_state, presence_of(profile, c.transports)));
    return out;
  }
  PeerConnectionModel m(profile, options, readings);
  for (const SequenceStep& s : c.steps) {
    const StepResult r = m.apply(s.step);
    StepOutcomeText t;
    for (const Event& e : r.events) t.events.push_back(event_text(e, c.transport_names));
    t.states = states_of(m);
    out.steps.push_back(std::move(t));
  }
  out.reason = "the event model of " + std::string(to_string(profile)) +
               (options.rederive_on_set_change ? ", with rederive_on_set_change" : "") +
               (options.events_on_close ? ", with events_on_close" : "");
  return out;
}

std::vector<std::pair<Verdict, ExpectedOutcome>> acceptable_alternatives(const Case& c, Profile profile,
                                                                         const ExpectedOutcome& pass) {
  auto out = derived_alternatives(c, profile, pass);
  for (const Alternative& alt : c.alternatives) {
    if (!((alt.profiles >> static_cast<unsigned>(profile)) & 1u)) continue;
    if (alt.verdict == Verdict::NonStrict || alt.verdict == Verdict::Informational) continue;
    out.emplace_back(alt.verdict, alternative_outcome(c, alt, pass));
  }
  return out;
}

namespace {

void assign_state(StateText& out, std::optional<std::string_view> state) {
  if (!state) {
    out.reset();
    return;
  }
  if (!out) out.emplace();
  out->assign(*state);
}

}  // namespace

void expected_outcome_into(const Case& c, Profile profile, ExpectedOutcome& out) {
  if (c.kind == CaseKind::Snapshot) {
    const Derivation d = derive(profile, c.closed, c.transports);
    assign_state(out.snapshot.connection_state,
                 d.connection_state ? std::optional<std::string_view>(to_string(*d.connection_state)) : std::nullopt);
    assign_state(out.snapshot.ice_connection_state, to_string(d.ice_connection_state));
    out.reason.assign(rule(d.connection_rule).id);
    out.reason += ", ";
    out.reason += rule(d.ice_connection_rule).id;
    out.rules.assign({d.connection_rule, d.ice_connection_rule});
    out.steps.clear();
    return;
  }
  out.snapshot = {};
  out.rules.clear();
  PeerConnectionModel m(profile, c.options);
  out.steps.resize(c.steps.size());
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    const StepResult r = m.apply(c.steps[i].step);
    StepOutcomeText& t = out.steps[i];
    std::size_t n = 0;
    for (const Event& e : r.events) {
      if (n == t.events.size()) t.events.emplace_back();
      assign_event_text(t.events[n++], e, c.transport_names);
    }
    t.events.resize(n);
    const std::optional<PeerConnectionState> cs = m.connection_state();
    assign_state(t.states.connection_state, cs ? std::optional<std::string_view>(to_string(*cs)) : std::nullopt);
    assign_state(t.states.ice_connection_state, to_string(m.ice_connection_state()));
  }
  out.reason.assign("the event model of ");
  out.reason += to_string(profile);
  if (c.options.rederive_on_set_change) out.reason += ", with rederive_on_set_change";
  if (c.options.events_on_close) out.reason += ", with events_on_close";
}

ExpectedOutcome expected_outcome(const Case& c, Profile profile) {
  ExpectedOutcome out;
  expected_outcome_into(c, profile, out);
  return out;
}

ExpectedOutcome alternative_outcome(const Case& c, const Alternative& alt, const ExpectedOutcome& pass) {
  ExpectedOutcome out = pass;
  if (c.kind == CaseKind::Snapshot) {
    apply(out.snapshot, alt.snapshot);
  } else {
    for (const auto& [index, partial] : alt.steps)
      if (index < out.steps.size()) apply(out.steps[index], partial);
  }
  out.reason = alt.note;
  return out;
}

// --- parsing --------------------------------------------------------------------------

namespace {

std::uint8_t read_profiles(const json::value& v, const std::string& at) {
  const json::array& a = as_array(v, at);
  if (a.empty()) throw FieldError(at, "\"profiles\" must list at least one profile");
  std::uint8_t bits = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string p = pointer_join(at, i);
    if (!a[i].is_string()) throw FieldError(p, "a profile id must be a string");
    auto prof = parse_profile(a[i].get_string());
    if (!prof) throw FieldError(p, "unknown profile \"" + std::string(a[i].get_string()) + "\"");
    bits |= profile_bit(*prof);
  }
  return bits;
}

StateText read_state_value(const json::value& v, const std::string& at, bool connection) {
  if (v.is_null()) {
    if (!connection) throw FieldError(at, "iceConnectionState is always defined; null is not allowed");
    return std::nullopt;
  }
  if (!v.is_string()) throw FieldError(at, "a state must be a string or null");
  const std::string_view s = v.get_string();
  if (connection) parse_state_or_throw<PeerConnectionState>(s, at);
  else parse_state_or_throw<IceConnectionState>(s, at);
  return std::string(s);
}

PartialStates read_partial_states(const json::object& o, const std::string& at) {
  PartialStates p;
  if (auto it = o.find("connectionState"); it != o.end())
    p.connection_state = read_state_value(it->value(), pointer_join(at, "connectionState"), true);
  if (auto it = o.find("iceConnectionState"); it != o.end())
    p.ice_connection_state = read_state_value(it->value(), pointer_join(at, "iceConnectionState"), false);
  return p;
}

// "pc connectionstatechange connected" / "ice:t0 statechange checking" / "dtls:t0 statechange closed"
EventText read_event(const json::value& v, const std::string& at, const std::map<std::string, TransportId>& names) {
  if (!v.is_string()) throw FieldError(at, "an event must be a string \"<target> <type> <state>\"");
  const std::string s(v.get_string());
  const auto sp1 = s.find(' ');
  const auto sp2 = sp1 == std::string::npos ? std::string::npos : s.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || s.find(' ', sp2 + 1) != std::string::npos)
    throw FieldError(at, "event \"" + s + "\" must be \"<target> <type> <state>\"");
  const std::string target = s.substr(0, sp1), type = s.substr(sp1 + 1, sp2 - sp1 - 1), state = s.substr(sp2 + 1);
  if (target == "pc") {
    if (type == "iceconnectionstatechange") parse_state_or_throw<IceConnectionState>(state, at);
    else if (type == "connectionstatechange") parse_state_or_throw<PeerConnectionState>(state, at);
    else throw FieldError(at, "pc events are iceconnectionstatechange or connectionstatechange, not \"" + type + "\"");
  } else if (target.starts_with("ice:") || target.starts_with("dtls:")) {
    const bool ice = target.starts_with("ice:");
    const std::string name = target.substr(ice ? 4 : 5);
    if (!names.count(name)) throw FieldError(at, "event names transport \"" + name + "\" that no step adds");
    if (type != "statechange") throw FieldError(at, "transport events are statechange, not \"" + type + "\"");
    if (ice) parse_state_or_throw<IceTransportState>(state, at);
    else parse_state_or_throw<DtlsTransportState>(state, at);
  } else {
    throw FieldError(at, "event target must be pc, ice:<transport> or dtls:<transport>, not \"" + target + "\"");
  }
  return s;
}

PartialStep read_partial_step(const json::value& v, const std::string& at, const std::map<std::string, TransportId>& names) {
  const json::object& o = as_object(v, at);
  reject_unknown_keys(o, {"events", "connectionState", "iceConnectionState"}, at);
  PartialStep p;
  if (auto it = o.find("events"); it != o.end()) {
    const std::string ap = pointer_join(at, "events");
    const json::array& a = as_array(it->value(), ap);
    std::vector<EventText> events;
    for (std::size_t i = 0; i < a.size(); ++i) events.push_back(read_event(a[i], pointer_join(ap, i), names));
    p.events = std::move(events);
  }
  p.states = read_partial_states(o, at);
  return p;
}

std::vector<std::string> read_string_list(const json::value& v, const std::string& at) {
  std::vector<std::string> out;
  const json::array& a = as_array(v, at);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) throw FieldError(pointer_join(at, i), "must be a string");
    out.emplace_back(a[i].get_string());
  }
  return out;
}

bool valid_id(std::string_view id) {
  if (id.size() < 3 || id.size() > 81) return false;
  auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_first(id[0])) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return ok_first(c) || c == '.' || c == '-'; });
}

// "docs/spec/connection-state.md#pcs-2025.new": a page of the project's spec notes and an anchor in it.
// Whether that page and anchor exist is checked by a test against docs/spec/ (the suite also
// loads where the docs are not installed).
bool valid_notes_link(std::string_view link) {
  constexpr std::string_view kPrefix = "docs/spec/";
  if (!link.starts_with(kPrefix)) return false;
  const auto hash = link.find('#');
  if (hash == std::string_view::npos || hash + 1 == link.size()) return false;
  const std::string_view page = link.substr(kPrefix.size(), hash - kPrefix.size());
  const std::string_view anchor = link.substr(hash + 1);
  auto slug_char = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'; };
  if (page.size() <= 3 || !page.ends_with(".md") ||
      !std::all_of(page.begin(), page.end() - 3, slug_char))
    return false;
  return std::all_of(anchor.begin(), anchor.end(), [&](char ch) { return slug_char(ch) || ch == '.'; });
}

Case read_case(const json::value& v, const std::string& at) {
  const json::object& o = as_object(v, at);
  reject_unknown_keys(o, {"id", "aliases", "title", "kind", "profiles", "tags", "spec", "requirement", "see", "comment",
                          "options", "closed", "transports", "expect", "expect_by_profile", "steps", "alternatives"},
                      at);
  Case c;
  c.id = require_string(o, "id", at);
  if (!valid_id(c.id))
    throw FieldError(pointer_join(at, "id"), "id \"" + c.id + "\" must match ^[a-z0-9][a-z0-9.-]{2,80}$");
  if (auto it = o.find("aliases"); it != o.end()) {
    const std::string ap = pointer_join(at, "aliases");
    c.aliases = read_string_list(it->value(), ap);
    for (std::size_t i = 0; i < c.aliases.size(); ++i) {
      if (!valid_id(c.aliases[i]))
        throw FieldError(pointer_join(ap, i), "alias \"" + c.aliases[i] + "\" must match ^[a-z0-9][a-z0-9.-]{2,80}$");
      if (c.aliases[i] == c.id || std::find(c.aliases.begin(), c.aliases.begin() + static_cast<std::ptrdiff_t>(i),
                                            c.aliases[i]) != c.aliases.begin() + static_cast<std::ptrdiff_t>(i))
        throw FieldError(pointer_join(ap, i), "alias \"" + c.aliases[i] + "\" repeats the id or another alias");
    }
  }
  c.title = require_string(o, "title", at);
  const std::string kind = require_string(o, "kind", at);
  if (kind == "snapshot") c.kind = CaseKind::Snapshot;
  else if (kind == "sequence") c.kind = CaseKind::Sequence;
  else throw FieldError(pointer_join(at, "kind"), "kind must be \"snapshot\" or \"sequence\", not \"" + kind + "\"");
  if (auto it = o.find("profiles"); it != o.end()) c.profiles = read_profiles(it->value(), pointer_join(at, "profiles"));
  if (auto it = o.find("tags"); it != o.end()) c.tags = read_string_list(it->value(), pointer_join(at, "tags"));
  {
    const std::string sp = pointer_join(at, "spec");
    const json::object& spec = as_object(require(o, "spec", at), sp);
    reject_unknown_keys(spec, {"document", "anchor", "quote"}, sp);
    c.spec_document = optional_string(spec, "document", sp).value_or("webrtc-pc");
    c.spec_anchor = require_string(spec, "anchor", sp);
    c.spec_quote = require_string(spec, "quote", sp);
    if (c.spec_anchor.empty() || c.spec_quote.empty()) throw FieldError(sp, "spec anchor and quote must not be empty");
  }
  c.requirement = require_string(o, "requirement", at);
  if (auto it = o.find("see"); it != o.end()) {
    const std::string sp = pointer_join(at, "see");
    c.see = read_string_list(it->value(), sp);
    for (std::size_t i = 0; i < c.see.size(); ++i)
      if (!valid_notes_link(c.see[i]))
        throw FieldError(pointer_join(sp, i), "\"" + c.see[i] + "\" is not a link docs/spec/<page>.md#<anchor>");
  }
  if (auto it = o.find("options"); it != o.end()) {
    const std::string op = pointer_join(at, "options");
    const json::object& opts = as_object(it->value(), op);
    reject_unknown_keys(opts, {"rederive_on_set_change", "events_on_close"}, op);
    c.options.rederive_on_set_change = optional_bool(opts, "rederive_on_set_change", op, false);
    c.options.events_on_close = optional_bool(opts, "events_on_close", op, false);
  }

  std::map<std::string, TransportId> names;
  if (c.kind == CaseKind::Snapshot) {
    if (o.contains("steps")) throw FieldError(pointer_join(at, "steps"), "a snapshot case has no steps");
    c.closed = optional_bool(o, "closed", at, false);
    const std::string tp = pointer_join(at, "transports");
    c.transports = read_transports(require(o, "transports", at), tp, /*strict=*/true);
    if (c.transports.size() > kMaxTransports) throw FieldError(tp, "at most 64 transports");
    if (auto it = o.find("expect"); it != o.end()) {
      const std::string ep = pointer_join(at, "expect");
      const json::object& e = as_object(it->value(), ep);
      reject_unknown_keys(e, {"connectionState", "iceConnectionState"}, ep);
      c.expect = read_partial_states(e, ep);
    }
    if (auto it = o.find("expect_by_profile"); it != o.end()) {
      const std::string ep = pointer_join(at, "expect_by_profile");
      for (const auto& kv : as_object(it->value(), ep)) {
        const std::string kp = pointer_join(ep, kv.key());
        auto prof = parse_profile(kv.key());
        if (!prof) throw FieldError(kp, "unknown profile \"" + std::string(kv.key()) + "\"");
        const json::object& e = as_object(kv.value(), kp);
        reject_unknown_keys(e, {"connectionState", "iceConnectionState"}, kp);
        c.expect_by_profile[*prof] = read_partial_states(e, kp);
      }
    }
  } else {
    if (o.contains("transports")) throw FieldError(pointer_join(at, "transports"), "a sequence case has steps, not transports");
    if (o.contains("closed")) throw FieldError(pointer_join(at, "closed"), "a sequence case closes with a close step");
    const std::string sp = pointer_join(at, "steps");
    const json::array& steps = as_array(require(o, "steps", at), sp);
    if (steps.empty()) throw FieldError(sp, "a sequence case needs at least one step");
    // First pass: names, so that expectations may name any transport the case adds.
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (!steps[i].is_object()) continue;
      const auto& so = steps[i].get_object();
      if (auto it = so.find("op"); it != so.end() && it->value() == "add") {
        if (auto t = so.find("transport"); t != so.end() && t->value().is_string()) {
          const std::string name(t->value().get_string());
          if (!names.count(name)) {
            if (names.size() >= kMaxTransports) throw FieldError(pointer_join(sp, i), "at most 64 transports");
            names.emplace(name, static_cast<TransportId>(names.size()));
            c.transport_names.push_back(name);
          }
        }
      }
    }
    PeerConnectionModel validator(Profile::Rec2025, c.options);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const std::string p = pointer_join(sp, i);
      const json::object& so = as_object(steps[i], p);
      reject_unknown_keys(so, {"op", "transport", "state", "sctp_only", "expect", "expect_by_profile"}, p);
      SequenceStep s;
      const std::string op = require_string(so, "op", p);
      if (op == "add") s.step.kind = StepKind::Add;
      else if (op == "ice") s.step.kind = StepKind::Ice;
      else if (op == "dtls") s.step.kind = StepKind::Dtls;
      else if (op == "remove") s.step.kind = StepKind::Remove;
      else if (op == "close") s.step.kind = StepKind::Close;
      else throw FieldError(pointer_join(p, "op"), "op must be add, ice, dtls, remove or close, not \"" + op + "\"");
      if (s.step.kind != StepKind::Close) {
        s.transport = require_string(so, "transport", p);
        auto it = names.find(s.transport);
        if (it == names.end())
          throw FieldError(pointer_join(p, "transport"), "transport \"" + s.transport + "\" is never added");
        s.step.transport = it->second;
      } else if (so.contains("transport")) {
        throw FieldError(pointer_join(p, "transport"), "close takes no transport");
      }
      if (s.step.kind == StepKind::Ice)
        s.step.state = static_cast<std::uint8_t>(require_state<IceTransportState>(so, "state", p));
      else if (s.step.kind == StepKind::Dtls)
        s.step.state = static_cast<std::uint8_t>(require_state<DtlsTransportState>(so, "state", p));
      else if (so.contains("state"))
        throw FieldError(pointer_join(p, "state"), op + " takes no state");
      s.step.sctp_only = optional_bool(so, "sctp_only", p, false);
      if (s.step.sctp_only && s.step.kind != StepKind::Add)
        throw FieldError(pointer_join(p, "sctp_only"), "sctp_only belongs on an add step");
      const StepResult r = validator.apply(s.step);
      if (!r.ok())
        throw FieldError(p, "step \"" + step_text(s) + "\" is not valid here: " + std::string(to_string(r.outcome)));
      if (auto it = so.find("expect"); it != so.end()) s.expect = read_partial_step(it->value(), pointer_join(p, "expect"), names);
      if (auto it = so.find("expect_by_profile"); it != so.end()) {
        const std::string ep = pointer_join(p, "expect_by_profile");
        for (const auto& kv : as_object(it->value(), ep)) {
          auto prof = parse_profile(kv.key());
          if (!prof) throw FieldError(pointer_join(ep, kv.key()), "unknown profile \"" + std::string(kv.key()) + "\"");
          s.expect_by_profile[*prof] = read_partial_step(kv.value(), pointer_join(ep, kv.key()), names);
        }
      }
      c.steps.push_back(std::move(s));
    }
  }

  if (auto it = o.find("alternatives"); it != o.end()) {
    const std::string ap = pointer_join(at, "alternatives");
    const json::array& alts = as_array(it->value(), ap);
    for (std::size_t i = 0; i < alts.size(); ++i) {
      const std::string p = pointer_join(ap, i);
      const json::object& ao = as_object(alts[i], p);
      reject_unknown_keys(ao, {"verdict", "profiles", "note", "connectionState", "iceConnectionState", "steps"}, p);
      Alternative alt;
      const std::string verdict = require_string(ao, "verdict", p);
      auto parsed = parse_verdict(verdict);
      if (!parsed || *parsed == Verdict::Error || *parsed == Verdict::Unsupported)
        throw FieldError(pointer_join(p, "verdict"), "verdict must be pass, non-strict, informational or fail");
      alt.verdict = *parsed;
      alt.note = require_string(ao, "note", p);
      alt.profiles = c.profiles;
      if (auto pit = ao.find("profiles"); pit != ao.end()) {
        alt.profiles = read_profiles(pit->value(), pointer_join(p, "profiles"));
        if (alt.profiles & ~c.profiles)
          throw FieldError(pointer_join(p, "profiles"), "an alternative names a profile the case does not apply to");
      }
      if (c.kind == CaseKind::Snapshot) {
        if (ao.contains("steps")) throw FieldError(pointer_join(p, "steps"), "a snapshot case's alternative has no steps");
        alt.snapshot = read_partial_states(ao, p);
      } else {
        if (ao.contains("connectionState") || ao.contains("iceConnectionState"))
          throw FieldError(p, "a sequence case's alternative gives states per step, under \"steps\"");
        const std::string stp = pointer_join(p, "steps");
        for (const auto& kv : as_object(require(ao, "steps", p), stp)) {
          const std::string kp = pointer_join(stp, kv.key());
          std::size_t index = 0;
          const std::string key(kv.key());
          // from_chars, not stoul: a key of more digits than size_t holds is an error of the file, not an
          // exception that escapes the loader (found by fuzz_case_file: "18446744073709551616").
          const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
          if (key.empty() || ec != std::errc() || end != key.data() + key.size() || index >= c.steps.size())
            throw FieldError(kp, "\"" + key + "\" is not a step index of this case (0 to " +
                                     std::to_string(c.steps.size() - 1) + ")");
          alt.steps[index] = read_partial_step(kv.value(), kp, names);
        }
      }
      c.alternatives.push_back(std::move(alt));
    }
  }
  return c;
}

std::string describe_step(const StepOutcomeText& s) {
  std::string out = "events [";
  for (std::size_t i = 0; i < s.events.size(); ++i) out += (i ? ", " : "") + s.events[i];
  out += "], connectionState " + show(s.states.connection_state) + ", iceConnectionState " +
         show(s.states.ice_connection_state);
  return out;
}

}  // namespace

namespace {

std::string describe_outcome(const Case& c, const ExpectedOutcome& o) {
  if (c.kind == CaseKind::Snapshot)
    return "connectionState " + show(o.snapshot.connection_state) + ", iceConnectionState " +
           show(o.snapshot.ice_connection_state);
  std::string out;
  for (std::size_t i = 0; i < o.steps.size(); ++i) out += (i ? "; " : "") + std::to_string(i) + ": " + describe_step(o.steps[i]);
  return out;
}

// A written non-strict or informational alternative must be what a documented reading gives
// (readings.h), under every profile it names: the verdict of an input does not depend on
// whether someone wrote it down.
void check_written_alternatives(const Case& c, Profile p, const std::string& at) {
  std::optional<ExpectedOutcome> pass;
  std::vector<std::pair<Verdict, ExpectedOutcome>> derived;
  for (std::size_t a = 0; a < c.alternatives.size(); ++a) {
    const Alternative& alt = c.alternatives[a];
    if (alt.verdict != Verdict::NonStrict && alt.verdict != Verdict::Informational) continue;
    if (!((alt.profiles >> static_cast<unsigned>(p)) & 1u)) continue;
    if (!pass) {
      pass = expected_outcome(c, p);
      derived = derived_alternatives(c, p, *pass);
    }
    const ExpectedOutcome written = alternative_outcome(c, alt, *pass);
    const bool given = std::any_of(derived.begin(), derived.end(), [&](const auto& d) {
      return d.first == alt.verdict &&
             (c.kind == CaseKind::Snapshot ? d.second.snapshot == written.snapshot : d.second.steps == written.steps);
    });
    if (given) continue;
    std::string readings;
    for (const auto& [verdict, outcome] : derived)
      readings += "\n  " + std::string(to_string(verdict)) + " (" + outcome.reason + "): " + describe_outcome(c, outcome);
    throw FieldError(pointer_join(pointer_join(at, "alternatives"), a),
                     "this " + std::string(to_string(alt.verdict)) + " alternative under " +
                         std::string(to_string(p)) + " is not what any documented reading gives (" +
                         describe_outcome(c, written) + "); the readings give" +
                         (derived.empty() ? std::string(" nothing else for this input") : ":" + readings));
  }
}

}  // namespace

void cross_check(const Case& c, const std::string& at) {
  for (const auto& info : kProfiles) {
    const Profile p = info.profile;
    const bool applies = c.applies_to(p);
    if (c.kind == CaseKind::Snapshot) {
      if (c.expect_by_profile.count(p) && !applies)
        throw FieldError(pointer_join(pointer_join(at, "expect_by_profile"), info.id),
                         "expectation for profile " + std::string(info.id) + ", which the case does not apply to");
      if (!applies) continue;
      const ExpectedOutcome ref = expected_outcome(c, p);
      auto check = [&](const PartialStates& want, const std::string& where) {
        ObservedStates merged = ref.snapshot;
        apply(merged, want);
        if (!(merged == ref.snapshot))
          throw FieldError(where, "case says connectionState " + show(merged.connection_state) +
                                      ", iceConnectionState " + show(merged.ice_connection_state) +
                                      " but the reference under " + std::string(info.id) + " answers " +
                                      show(ref.snapshot.connection_state) + ", " +
                                      show(ref.snapshot.ice_connection_state) + " (" + ref.reason + ")");
      };
      check(c.expect, pointer_join(at, "expect"));
      if (auto it = c.expect_by_profile.find(p); it != c.expect_by_profile.end())
        check(it->second, pointer_join(pointer_join(at, "expect_by_profile"), info.id));
    } else {
      for (std::size_t i = 0; i < c.steps.size(); ++i) {
        if (c.steps[i].expect_by_profile.count(p) && !applies)
          throw FieldError(pointer_join(pointer_join(pointer_join(at, "steps"), i), "expect_by_profile"),
                           "expectation for profile " + std::string(info.id) + ", which the case does not apply to");
      }
      if (!applies) continue;
      const ExpectedOutcome ref = expected_outcome(c, p);
      for (std::size_t i = 0; i < c.steps.size(); ++i) {
        const std::string sp = pointer_join(pointer_join(at, "steps"), i);
        auto check = [&](const PartialStep& want, const std::string& where) {
          StepOutcomeText merged = ref.steps[i];
          apply(merged, want);
          if (!(merged == ref.steps[i]))
            throw FieldError(where, "step " + std::to_string(i) + " (" + step_text(c.steps[i]) + "): case says " +
                                        describe_step(merged) + " but the reference under " + std::string(info.id) +
                                        " gives " + describe_step(ref.steps[i]));
        };
        check(c.steps[i].expect, pointer_join(sp, "expect"));
        if (auto it = c.steps[i].expect_by_profile.find(p); it != c.steps[i].expect_by_profile.end())
          check(it->second, pointer_join(pointer_join(sp, "expect_by_profile"), info.id));
      }
    }
    check_written_alternatives(c, p, at);
  }
}

std::vector<Case> parse_case_file(std::string_view text, const std::string& file_name) {
  const json::value doc = parse_document(text, file_name);
  std::vector<Case> out;
  try {
    const json::object& o = as_object(doc, "");
    reject_unknown_keys(o, {"$schema", "section", "section_title", "comment", "cases"}, "");
    const std::string section = require_string(o, "section", "");
    const std::string section_title = require_string(o, "section_title", "");
    const json::array& cases = as_array(require(o, "cases", ""), "/cases");
    if (cases.empty()) throw FieldError("/cases", "a case file needs at least one case");
    const std::vector<Position> starts = locate_elements(text, "/cases");
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const std::string at = pointer_join("/cases", i);
      Case c = read_case(cases[i], at);
      c.section = section;
      c.section_title = section_title;
      c.file = file_name;
      c.line = i < starts.size() ? starts[i].line : locate(text, at).line;
      cross_check(c, at);
      out.push_back(std::move(c));
    }
  } catch (const FieldError& e) {
    const Position pos = locate(text, e.pointer);
    throw InputError(file_name, pos.line, pos.column, e.what());
  }
  return out;
}

// --- suite loading -----------------------------------------------------------------------

std::string hash_files(const std::vector<std::string>& paths, const std::string& root) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 1099511628211ull;
    }
  };
  for (const auto& p : paths) {
    mix(fs::relative(p, root).generic_string());
    mix(std::string_view("\0", 1));
    mix(read_file(p));
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Suite load_suite(const std::string& cases_dir, const LoadOptions& options) {
  Suite suite;
  suite.cases_dir = cases_dir;
  std::error_code ec;
  if (!fs::is_directory(cases_dir, ec)) throw InputError(cases_dir, 0, 0, "cases directory not found");
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(cases_dir, ec); it != fs::recursive_directory_iterator(); ++it) {
    const auto& p = it->path();
    if (it->is_directory() && (p.filename() == "schema" || p.filename() == "traces")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && p.extension() == ".json") files.push_back(p.string());
  }
  std::sort(files.begin(), files.end());
  // Ids and aliases share one namespace: an old id must keep naming exactly one case.
  std::map<std::string, std::pair<std::string, int>> seen;
  for (const auto& f : files) {
    const std::string rel = fs::relative(f, cases_dir).generic_string();
    const std::string text = read_file(f);
    for (Case& c : parse_case_file(text, rel)) {
      auto claim = [&](const std::string& name, const char* what) {
        auto [it, inserted] = seen.emplace(name, std::make_pair(rel, c.line));
        if (!inserted)
          throw InputError(rel, c.line, 1,
                           std::string("duplicate case ") + what + " \"" + name + "\" (first defined at " +
                               it->second.first + ":" + std::to_string(it->second.second) + ")");
      };
      claim(c.id, "id");
      for (const std::string& alias : c.aliases) claim(alias, "alias");
      suite.cases.push_back(std::move(c));
    }
  }
  suite.hand_written = suite.cases.size();
  suite.suite_version = hash_files(files, cases_dir);
  if (options.stream_generated) {
    suite.streamed_exhaustive_depth = options.exhaustive_depth;
    suite.streamed_sequence_depth = options.sequence_depth;
  } else {
    if (options.exhaustive_depth > 0) add_exhaustive_suite(suite.cases, options.exhaustive_depth);
    if (options.sequence_depth > 0) add_sequence_suite(suite.cases, options.sequence_depth);
  }
  return suite;
}

std::string default_cases_dir() {
  if (const char* env = std::getenv("CONNSTATE_CASES_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "connstate" / "cases";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
#ifdef CONNSTATE_SOURCE_CASES_DIR
  return CONNSTATE_SOURCE_CASES_DIR;
#else
  return "cases";
#endif
}

bool Case::is_named(std::string_view name) const {
  return id == name || std::find(aliases.begin(), aliases.end(), name) != aliases.end();
}

bool Case::matches(std::string_view id_glob) const {
  if (glob_match(id_glob, id)) return true;
  return std::any_of(aliases.begin(), aliases.end(), [&](const std::string& a) { return glob_match(id_glob, a); });
}

const Case* find_case(const Suite& suite, std::string_view id_or_alias) {
  for (const Case& c : suite.cases)
    if (c.is_named(id_or_alias)) return &c;
  return nullptr;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // The usual selection, "prefix.*", is a prefix test (a run checks it on millions of generated ids).
  if (!pattern.empty() && pattern.back() == '*' && pattern.find_first_of("*?") == pattern.size() - 1)
    return text.starts_with(pattern.substr(0, pattern.size() - 1));
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace connstate::harness
