// results_input.cpp — reads a results file (`connstate run --json`) back into cases and answers.
#include <algorithm>
#include <sstream>

#include "connstate/findings/findings.h"
#include "connstate/harness/json_input.h"
#include "internal/results_header.h"

namespace connstate::findings {

namespace json = boost::json;
using harness::as_array;
using harness::as_object;
using harness::FieldError;
using harness::InputError;
using harness::pointer_join;

namespace {

std::string string_or_empty(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

harness::StateText read_state(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) throw FieldError(std::string("/") + std::string(key), "expected a string or null");
  return std::string(v->as_string());
}

// "ice t0 checking", "add t0 (sctp only)", "close": the step texts of harness::step_text.
harness::SequenceStep parse_step(const std::string& text, harness::Case& c, const std::string& at) {
  std::istringstream words(text);
  std::string op, transport, state;
  words >> op >> transport >> state;
  harness::SequenceStep s;
  s.transport = transport;
  TransportId id = 0;
  if (op != "close") {
    if (transport.empty()) throw FieldError(at, "step \"" + text + "\" names no transport");
    auto it = std::find(c.transport_names.begin(), c.transport_names.end(), transport);
    if (it == c.transport_names.end()) it = c.transport_names.insert(c.transport_names.end(), transport);
    id = static_cast<TransportId>(it - c.transport_names.begin());
  }
  if (op == "add") s.step = Step::add(id, state == "(sctp");
  else if (op == "ice") s.step = Step::ice(id, harness::parse_state_or_throw<IceTransportState>(state, at));
  else if (op == "dtls") s.step = Step::dtls(id, harness::parse_state_or_throw<DtlsTransportState>(state, at));
  else if (op == "remove") s.step = Step::remove(id);
  else if (op == "close") s.step = Step::close();
  else throw FieldError(at, "unknown step \"" + text + "\"");
  return s;
}

void read_input(const json::object& record, harness::Case& c, const std::string& at) {
  const json::object& input = as_object(harness::require(record, "input", at), pointer_join(at, "input"));
  const std::string input_at = pointer_join(at, "input");
  if (c.kind == harness::CaseKind::Snapshot) {
    c.closed = harness::optional_bool(input, "closed", input_at, false);
    c.transports = harness::read_transports(harness::require(input, "transports", input_at),
                                            pointer_join(input_at, "transports"), false);
    return;
  }
  const json::array& steps = as_array(harness::require(input, "steps", input_at), pointer_join(input_at, "steps"));
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string step_at = pointer_join(pointer_join(input_at, "steps"), i);
    if (!steps[i].is_string()) throw FieldError(step_at, "expected a step text");
    c.steps.push_back(parse_step(std::string(steps[i].as_string()), c, step_at));
  }
  if (const json::value* o = input.if_contains("options"); o && o->is_object()) {
    c.options.rederive_on_set_change = harness::optional_bool(o->as_object(), "rederive_on_set_change", input_at, false);
    c.options.events_on_close = harness::optional_bool(o->as_object(), "events_on_close", input_at, false);
  }
}

void read_actual(const json::object& record, ResultRecord& r) {
  const json::value* actual = record.if_contains("actual");
  if (!actual || actual->is_null()) return;
  if (r.c.kind == harness::CaseKind::Snapshot) {
    const json::object& o = as_object(*actual, "/actual");
    r.observed_snapshot = {read_state(o, "connectionState"), read_state(o, "iceConnectionState")};
    return;
  }
  for (const json::value& v : as_array(*actual, "/actual")) {
    const json::object& o = as_object(v, "/actual");
    harness::StepOutcomeText step;
    if (const json::value* events = o.if_contains("events"))
      for (const json::value& e : as_array(*events, "/actual/events"))
        if (e.is_string()) step.events.emplace_back(e.as_string());
    step.states = {read_state(o, "connectionState"), read_state(o, "iceConnectionState")};
    r.observed_steps.push_back(std::move(step));
  }
}

ResultRecord read_record(const json::object& record, const std::string& at) {
  ResultRecord r;
  r.c.id = harness::require_string(record, "id", at);
  const std::string verdict = harness::require_string(record, "verdict", at);
  const auto v = harness::parse_verdict(verdict);
  if (!v) throw FieldError(pointer_join(at, "verdict"), "unknown verdict \"" + verdict + "\"");
  r.verdict = *v;
  const std::string profile = harness::require_string(record, "profile", at);
  const auto p = parse_profile(profile);
  if (!p) throw FieldError(pointer_join(at, "profile"), "unknown profile \"" + profile + "\"");
  r.profile = *p;
  const std::string kind = harness::require_string(record, "kind", at);
  if (kind != "snapshot" && kind != "sequence") throw FieldError(pointer_join(at, "kind"), "unknown kind \"" + kind + "\"");
  r.c.kind = kind == "snapshot" ? harness::CaseKind::Snapshot : harness::CaseKind::Sequence;
  r.c.title = string_or_empty(record, "title");
  r.c.requirement = string_or_empty(record, "requirement");
  r.c.section = string_or_empty(record, "section");
  r.message = string_or_empty(record, "message");
  read_input(record, r.c, at);
  try {
    read_actual(record, r);
  } catch (const FieldError& e) {
    throw FieldError(pointer_join(at, "actual") + e.pointer.substr(std::string("/actual").size()), e.what());
  }
  return r;
}

}  // namespace

const json::object& internal::read_run_header(const json::object& root, StackRun& run) {
  const json::object& header = as_object(harness::require(root, "header", ""), "/header");
  run.profile = string_or_empty(header, "profile");
  run.tool_version = string_or_empty(header, "tool_version");
  run.suite_version = string_or_empty(header, "suite_version");
  run.date = string_or_empty(header, "date");
  return header;
}

StackRun read_results(const std::string& path) {
  const std::string text = harness::read_file(path);
  const json::value doc = harness::parse_document(text, path);
  try {
    const json::object& root = as_object(doc, "");
    if (string_or_empty(root, "format") != "connstate-results")
      throw FieldError("/format", "not a connstate results file (expected \"format\": \"connstate-results\" from run or compare, or \"connstate-trace-results\" from check-trace)");
    StackRun run;
    run.file = path;
    const json::object& header = internal::read_run_header(root, run);
    const json::object& stack = as_object(harness::require(header, "stack", "/header"), "/header/stack");
    run.sut = string_or_empty(stack, "sut");
    run.name = string_or_empty(stack, "name");
    run.version = string_or_empty(stack, "version");
    run.homepage = string_or_empty(stack, "homepage");
    run.issues = string_or_empty(stack, "issues");
    const json::array& results = as_array(harness::require(root, "results", ""), "/results");
    run.total = results.size();
    for (std::size_t i = 0; i < results.size(); ++i) {
      const std::string at = pointer_join("/results", i);
      const json::object& record = as_object(results[i], at);
      const json::value* verdict = record.if_contains("verdict");
      if (verdict && verdict->is_string() && verdict->as_string() == "pass") continue;
      run.non_pass.push_back(read_record(record, at));
    }
    return run;
  } catch (const FieldError& e) {
    const harness::Position where = harness::locate(text, e.pointer);
    throw InputError(path, where.line, where.column, e.what());
  }
}

}  // namespace connstate::findings
