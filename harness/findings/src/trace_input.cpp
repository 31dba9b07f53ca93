// trace_input.cpp — check-trace results read back as trace evidence, and each check-trace finding
// named as the departure a case would show for the same thing (findings.h; docs/findings.md, "Findings
// from traces").
//
// The trace checker speaks of delivered events (wrong value, missing, extra, duplicate, out of order, after
// close, …) and cites its own rule refs; the case judge (judge.cpp) speaks of requirements of the event
// model and of derivation rules. The mapping below gives a trace finding the requirement id, kind and key
// that judge_sequence gives the same departure, so both kinds of evidence land in one finding.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "connstate/findings/findings.h"
#include "connstate/harness/json_input.h"
#include "internal/departures.h"
#include "internal/results_header.h"

namespace connstate::findings {

namespace json = boost::json;
namespace fs = std::filesystem;
using harness::as_array;
using harness::as_object;
using harness::FieldError;
using harness::InputError;
using harness::pointer_join;
using harness::Verdict;
using trace::FindingKind;

namespace {

std::string string_or_empty(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

double number_or_zero(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0.0;
}

std::size_t count_or_zero(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_number() ? static_cast<std::size_t>(v->to_number<double>()) : 0;
}

std::optional<FindingKind> parse_finding_kind(std::string_view text) {
  for (std::size_t k = 0; k < trace::kFindingKindCount; ++k)
    if (trace::to_string(static_cast<FindingKind>(k)) == text) return static_cast<FindingKind>(k);
  return std::nullopt;
}

trace::Finding read_trace_finding(const json::object& o, const std::string& at) {
  trace::Finding f;
  const std::string kind = harness::require_string(o, "kind", at);
  const auto k = parse_finding_kind(kind);
  if (!k) throw FieldError(pointer_join(at, "kind"), "unknown check-trace finding kind \"" + kind + "\"");
  f.kind = *k;
  const std::string severity = harness::require_string(o, "severity", at);
  const auto v = harness::parse_verdict(severity);
  if (!v) throw FieldError(pointer_join(at, "severity"), "unknown severity \"" + severity + "\"");
  f.severity = *v;
  f.t_ms = number_or_zero(o, "t_ms");
  f.line = count_or_zero(o, "line");
  f.target = string_or_empty(o, "target");
  f.event = string_or_empty(o, "event");
  f.expected = string_or_empty(o, "expected");
  f.observed = string_or_empty(o, "observed");
  f.message = string_or_empty(o, "message");
  if (const json::value* c = o.if_contains("cause"); c && c->is_object()) {
    f.has_cause = true;
    f.cause_t_ms = number_or_zero(c->as_object(), "t_ms");
    f.cause_line = count_or_zero(c->as_object(), "line");
    f.cause = string_or_empty(c->as_object(), "event");
  }
  if (const json::value* r = o.if_contains("rule"); r && r->is_object()) {
    f.rule.id = string_or_empty(r->as_object(), "id");
    f.rule.document = string_or_empty(r->as_object(), "document");
    f.rule.anchor = string_or_empty(r->as_object(), "anchor");
    f.rule.quote = string_or_empty(r->as_object(), "quote");
  }
  return f;
}

// Where the trace file of a record is: as written (relative to the working directory), under the
// traces root, under the results file's folder.
std::string locate_trace(const std::string& file, const std::string& traces_root, const std::string& results_dir) {
  if (file.empty() || file == "<stdin>") return {};
  std::string path = file;
  if (const auto imported = path.rfind(" (imported)"); imported != std::string::npos && imported + 11 == path.size())
    path.resize(imported);
  std::error_code ec;
  std::vector<fs::path> candidates{fs::path(path)};
  if (!traces_root.empty()) candidates.push_back(fs::path(traces_root) / path);
  if (!results_dir.empty()) candidates.push_back(fs::path(results_dir) / path);
  for (const fs::path& p : candidates)
    if (fs::is_regular_file(p, ec)) return p.string();
  return {};
}

// A trace id without its pc ("aiortc/close" of "aiortc/close#a"), to find the file under the root.
std::string locate_by_id(const std::string& trace_id, const std::string& traces_root) {
  if (traces_root.empty() || trace_id.empty()) return {};
  std::error_code ec;
  for (const char* ext : {".jsonl", ".json", ".txt", ".jsonl.gz", ".gz"}) {
    const fs::path p = fs::path(traces_root) / (trace_id + ext);
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return {};
}

}  // namespace

bool is_trace_results(const std::string& json_text) {
  // The format tag is the first member check-trace writes; look no further than the document's start.
  const std::string_view head = std::string_view(json_text).substr(0, 4096);
  return head.find("\"connstate-trace-results\"") != std::string_view::npos;
}

StackRun trace_results_from_json(const std::string& text, const std::string& source_name, const std::string& traces_root) {
  const json::value doc = harness::parse_document(text, source_name);
  try {
    const json::object& root = as_object(doc, "");
    if (string_or_empty(root, "format") != "connstate-trace-results")
      throw FieldError("/format", "not check-trace results (expected \"format\": \"connstate-trace-results\")");
    StackRun run;
    run.file = source_name;
    run.traces_file = source_name;
    internal::read_run_header(root, run);
    run.reorder_window_ms = number_or_zero(root, "reorder_window_ms");
    const json::array& results = as_array(harness::require(root, "results", ""), "/results");
    run.traces_total = results.size();
    const std::string results_dir = fs::path(source_name).parent_path().string();
    std::set<std::string> names, versions;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const std::string at = pointer_join("/results", i);
      const json::object& record = as_object(results[i], at);
      const json::object& t = as_object(harness::require(record, "trace", at), pointer_join(at, "trace"));
      const std::string stack = string_or_empty(t, "stack"), version = string_or_empty(t, "stack_version");
      if (!stack.empty()) names.insert(stack);
      if (!version.empty()) versions.insert(version);
      const std::string verdict_text = harness::require_string(record, "verdict", at);
      const auto verdict = harness::parse_verdict(verdict_text);
      if (!verdict) throw FieldError(pointer_join(at, "verdict"), "unknown verdict \"" + verdict_text + "\"");
      if (*verdict == Verdict::Pass) continue;
      TracePcRecord r;
      r.id = harness::require_string(record, "id", at);
      r.verdict = *verdict;
      const std::string profile = string_or_empty(record, "profile");
      const auto p = parse_profile(profile.empty() ? run.profile : profile);
      if (!p) throw FieldError(pointer_join(at, "profile"), "unknown profile \"" + profile + "\"");
      r.profile = *p;
      r.pc = string_or_empty(record, "pc");
      r.trace_id = string_or_empty(t, "id");
      r.file = string_or_empty(t, "file");
      r.stack = stack;
      r.stack_version = version;
      r.scenario = string_or_empty(t, "scenario");
      r.recorded = string_or_empty(t, "recorded");
      r.resolved_file = locate_trace(r.file, traces_root, results_dir);
      if (r.resolved_file.empty()) r.resolved_file = locate_by_id(r.trace_id, traces_root);
      if (const json::value* fs_ = record.if_contains("findings"); fs_ && fs_->is_array()) {
        const json::array& found = fs_->as_array();
        for (std::size_t k = 0; k < found.size(); ++k) {
          const std::string fat = pointer_join(pointer_join(at, "findings"), k);
          r.findings.push_back(read_trace_finding(as_object(found[k], fat), fat));
        }
      }
      run.traces.push_back(std::move(r));
    }
    auto joined = [](const std::set<std::string>& items) {
      std::string out;
      for (const auto& s : items) out += (out.empty() ? "" : " / ") + s;
      return out;
    };
    run.name = names.empty() ? std::string("recorded traces") : joined(names);
    run.version = joined(versions);
    run.sut = "";  // a recording cannot be re-run
    return run;
  } catch (const FieldError& e) {
    const harness::Position where = harness::locate(text, e.pointer);
    throw InputError(source_name, where.line, where.column, e.what());
  }
}

StackRun read_trace_results(const std::string& path, const std::string& traces_root) {
  return trace_results_from_json(harness::read_file(path), path, traces_root);
}

bool same_stack(const StackRun& cases, const StackRun& traces) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  const std::string want = lower(traces.name);
  if (want.empty()) return false;
  const std::string have = lower(cases.name);
  std::string word;
  for (std::size_t i = 0; i <= have.size(); ++i) {
    const bool part = i < have.size() && (std::isalnum(static_cast<unsigned char>(have[i])) || have[i] == '-' ||
                                          have[i] == '_' || have[i] == '.');
    if (part) {
      word += have[i];
      continue;
    }
    if (word == want) return true;
    word.clear();
  }
  return false;
}

void add_traces(StackRun& into, StackRun&& traces) {
  into.traces_file = traces.traces_file;
  into.traces_total += traces.traces_total;
  into.reorder_window_ms = traces.reorder_window_ms;
  for (auto& r : traces.traces) into.traces.push_back(std::move(r));
}

// --- trace findings as departures -------------------------------------------------------------------

namespace {

bool is_aggregate_event(const std::string& event) {
  return event == "connectionstatechange" || event == "iceconnectionstatechange";
}
std::string aggregate_of(const std::string& event) {
  return event == "connectionstatechange" ? "connectionState" : "iceConnectionState";
}

// "ice statechange" for "ice:a0"; a pc event by its type: the event classes of the step judge.
std::string event_class(const trace::Finding& f) {
  if (f.target == "pc") return f.event;
  return f.target.substr(0, f.target.find(':')) + " " + f.event;
}

// The step whose task an expected event belongs to: "ice:a0 statechange completed" is an ICE change.
StepKind cause_step(const trace::Finding& f) {
  return f.has_cause && f.cause.starts_with("dtls:") ? StepKind::Dtls : StepKind::Ice;
}

// The value check-trace says the spec has where an extra event came ("the spec's value here is 'X'").
std::string spec_value_in(const std::string& message) {
  const std::string marker = "the spec's value here is '";
  const auto at = message.find(marker);
  if (at == std::string::npos) return {};
  const auto end = message.find('\'', at + marker.size());
  return end == std::string::npos ? std::string() : message.substr(at + marker.size(), end - at - marker.size());
}

// Misordered events as the step judge writes them, "a<b" (a dispatched before b), from check-trace's words.
std::string overtaken(const trace::Finding& f, const std::string& cls, StepKind step) {
  const std::string transport_change = step == StepKind::Dtls ? "dtls statechange" : "ice statechange";
  if (f.message.find("before its cause") != std::string::npos) return cls + "<" + transport_change;
  if (f.message.find("after a later transport change") != std::string::npos) return transport_change + "<" + cls;
  // "… was delivered after connectionstatechange 'connected', which the spec fires after it"
  const std::string marker = "was delivered after ";
  if (const auto at = f.message.find(marker); at != std::string::npos) {
    const std::string rest = f.message.substr(at + marker.size());
    const std::string other = rest.substr(0, rest.find(' '));
    if (other == "connectionstatechange" || other == "iceconnectionstatechange") return other + "<" + cls;
  }
  return cls + "<" + cls;
}

// The rule that gives an aggregate its value once the pc is closed.
std::string closed_rule(Profile profile, const std::string& aggregate) {
  const Derivation d = derive(profile, true, std::span<const TransportState>{});
  return std::string(rule(aggregate == "connectionState" ? d.connection_rule : d.ice_connection_rule).id);
}

// The transport state machine's requirements, by the rule check-trace cites (docs/spec anchors).
std::string transport_requirement(const std::string& rule_id) {
  if (rule_id == "ice.failed-terminal") return "state.ice.failed";
  if (rule_id == "ice.closed-final") return "state.ice.closed";
  if (rule_id == "dtls.failed-sticky") return "dtls-task.failed-sticky";
  if (rule_id == "dtls.closed-final") return "state.dtls.closed";
  return rule_id;
}

}  // namespace

std::vector<Departure> trace_departures(const TracePcRecord& pc, const trace::Finding& f) {
  using internal::event_departure;
  using internal::value_departure;
  std::vector<Departure> out;
  const std::string cls = event_class(f);
  const bool on_pc = f.target == "pc";
  const bool aggregate_event = on_pc && is_aggregate_event(f.event);
  switch (f.kind) {
    case FindingKind::WrongValue:
      if (aggregate_event) out.push_back(value_departure(f.rule.id, aggregate_of(f.event), f.observed, f.expected, false, -1));
      else out.push_back(event_departure(cause_step(f), false, "wrong-event-value", cls, -1));
      break;
    case FindingKind::Extra: {
      const std::string spec_value = spec_value_in(f.message);
      if (aggregate_event && !spec_value.empty() && spec_value != f.observed)
        out.push_back(value_departure(f.rule.id, aggregate_of(f.event), f.observed, spec_value, false, -1));
      else out.push_back(event_departure(StepKind::Ice, false, "extra-event", cls, -1));
      break;
    }
    case FindingKind::Missing:
      out.push_back(event_departure(cause_step(f), false, "missing-event", cls, -1));
      break;
    case FindingKind::Duplicate: {
      const bool dtls = f.rule.id == "event.connection-update" || f.target.starts_with("dtls:");
      Departure d = event_departure(dtls ? StepKind::Dtls : StepKind::Ice, false, "duplicate-event", cls, -1);
      if (f.rule.id == "dtls.failed-sticky") d.requirement = "dtls-task.failed-sticky";
      if (on_pc && !aggregate_event) {  // signalingstatechange, icegatheringstatechange
        d.requirement = f.rule.id;
        d.where = "a signaling or gathering change";
        d.shape = "a second " + cls + " on " + d.where;
      }
      out.push_back(std::move(d));
      break;
    }
    case FindingKind::WrongOrder:
    case FindingKind::Reordered: {
      const StepKind step = f.rule.id == "event.connection-update" ? StepKind::Dtls : cause_step(f);
      out.push_back(event_departure(step, false, "misordered-events", overtaken(f, cls, step), -1));
      break;
    }
    case FindingKind::AfterClose: {
      // close() sets every state to closed without an event: an event carrying `closed` is fired by close()
      // itself (a transport's too); any other is a task that should have aborted.
      const bool by_close = f.observed == "closed" && (f.rule.id != "close.tasks-abort" || !on_pc);
      out.push_back(event_departure(StepKind::Close, !by_close, "extra-event", cls, -1));
      break;
    }
    case FindingKind::NotClosedAfterClose: {
      const std::string attribute = f.event.starts_with("get ") ? f.event.substr(4) : f.event;
      if (on_pc && (attribute == "connectionState" || attribute == "iceConnectionState"))
        out.push_back(value_departure(closed_rule(pc.profile, attribute), attribute, f.observed, "closed", false, -1));
      else
        out.push_back(value_departure("close.states",
                                      on_pc ? attribute
                                            : (f.target.starts_with("ice:") ? "RTCIceTransport.state" : "RTCDtlsTransport.state"),
                                      f.observed, "closed", false, -1));
      break;
    }
    case FindingKind::IllegalTransition: {
      Departure d;
      d.requirement = transport_requirement(f.rule.id);
      d.kind = "illegal-transition";
      d.key = d.kind;
      d.detail = f.observed;
      d.shape = (f.target.starts_with("ice:") ? "the ICE transport went " : "the DTLS transport went ") + f.observed +
                " (" + f.expected + ")";
      d.where = "a transport change";
      out.push_back(std::move(d));
      break;
    }
    case FindingKind::Impossible:
    case FindingKind::NeedsUnshownState:
    case FindingKind::UnexplainedSample: {
      Departure d;
      d.requirement = f.rule.id;
      d.kind = std::string(trace::to_string(f.kind));
      d.key = aggregate_event ? aggregate_of(f.event) : cls;
      d.detail = f.observed.empty() ? cls : cls + " " + f.observed;
      d.shape = d.kind + ": " + d.detail;
      out.push_back(std::move(d));
      break;
    }
    case FindingKind::Count_: break;
  }
  return out;
}

}  // namespace connstate::findings
