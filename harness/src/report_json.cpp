// report_json.cpp — the canonical JSON results file, written incrementally.
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <unistd.h>

#include "connstate/harness/json_input.h"
#include "connstate/harness/protocol.h"
#include "connstate/harness/reports.h"
#include "connstate/harness/spec_links.h"
#include "connstate/harness/why.h"

namespace connstate::harness {

namespace {

void append_state(std::string& out, const StateText& s) {
  if (s) append_json_string(out, *s);
  else out += "null";
}

void append_states(std::string& out, const ObservedStates& s) {
  out += "{\"connectionState\":";
  append_state(out, s.connection_state);
  out += ",\"iceConnectionState\":";
  append_state(out, s.ice_connection_state);
  out += '}';
}

void append_steps(std::string& out, const std::vector<StepOutcomeText>& steps) {
  out += '[';
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (i) out += ',';
    out += "{\"events\":[";
    for (std::size_t e = 0; e < steps[i].events.size(); ++e) {
      if (e) out += ',';
      append_json_string(out, steps[i].events[e]);
    }
    out += "],\"connectionState\":";
    append_state(out, steps[i].states.connection_state);
    out += ",\"iceConnectionState\":";
    append_state(out, steps[i].states.ice_connection_state);
    out += '}';
  }
  out += ']';
}

void append_string_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, items[i]);
  }
  out += ']';
}

void append_outcome(std::string& out, const Case& c, const ExpectedOutcome& o) {
  if (c.kind == CaseKind::Snapshot) append_states(out, o.snapshot);
  else append_steps(out, o.steps);
}

void append_input(std::string& out, const Case& c) {
  if (c.kind == CaseKind::Snapshot) {
    protocol::append_snapshot_json(out, c);
  } else {
    out += "{\"steps\":[";
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, step_text(c.steps[i]));
    }
    out += ']';
    // What the case asked of the stack beyond the literal spec: `connstate findings` re-judges with it.
    if (c.options.rederive_on_set_change || c.options.events_on_close) {
      out += ",\"options\":{\"rederive_on_set_change\":";
      out += c.options.rederive_on_set_change ? "true" : "false";
      out += ",\"events_on_close\":";
      out += c.options.events_on_close ? "true" : "false";
      out += '}';
    }
    out += '}';
  }
}

}  // namespace

void append_result_json(std::string& out, const CaseResult& r) {
  const Case& c = *r.c;
  out += "{\"id\":";
  append_json_string(out, c.id);
  out += ",\"verdict\":\"";
  out += to_string(r.verdict);
  out += "\",\"unexpected\":";
  out += r.unexpected ? "true" : "false";
  if (r.unexpected_pass) out += ",\"unexpected_pass\":true";
  out += ",\"profile\":\"";
  out += to_string(r.profile);
  out += "\",\"section\":";
  append_json_string(out, c.section);
  out += ",\"kind\":\"";
  out += c.kind == CaseKind::Snapshot ? "snapshot" : "sequence";
  out += "\",\"input\":";
  append_input(out, c);
  out += ",\"actual\":";
  if (c.kind == CaseKind::Snapshot) {
    if (r.verdict == Verdict::Error || r.verdict == Verdict::Unsupported) out += "null";
    else append_states(out, r.observed_snapshot);
  } else {
    append_steps(out, r.observed_steps);
  }
  const bool compact = c.generated && r.verdict == Verdict::Pass;
  if (!compact) {
    out += ",\"title\":";
    append_json_string(out, c.title);
    out += ",\"requirement\":";
    append_json_string(out, c.requirement);
    const Citation cite = citation_of(r);
    out += ",\"spec\":{\"document\":";
    append_json_string(out, cite.document);
    out += ",\"anchor\":";
    append_json_string(out, cite.anchor);
    out += ",\"quote\":";
    append_json_string(out, cite.quote);
    out += ",\"url\":";
    append_json_string(out, cite.url);
    out += "},\"notes\":";
    append_string_array(out, cite.notes);
    if (!c.aliases.empty()) {
      out += ",\"aliases\":";
      append_string_array(out, c.aliases);
    }
    if (!r.expected.rules.empty()) {
      // The rules that decided the pass outcome, each with its quote, URL and note.
      out += ",\"decided_by\":[";
      const char* aggregates[] = {"connectionState", "iceConnectionState"};
      for (std::size_t i = 0; i < r.expected.rules.size() && i < 2; ++i) {
        const Rule& decided = rule(r.expected.rules[i]);
        out += i ? ",{\"aggregate\":\"" : "{\"aggregate\":\"";
        out += aggregates[i];
        out += "\",\"rule\":";
        append_json_string(out, decided.id);
        out += ",\"quote\":";
        append_json_string(out, decided.quote);
        out += ",\"url\":";
        append_json_string(out, spec_url(decided.document, decided.anchor));
        out += ",\"notes\":";
        append_json_string(out, rule_notes_link(decided.rule_id));
        out += '}';
      }
      out += ']';
    }
    if (!c.file.empty()) {
      out += ",\"file\":";
      append_json_string(out, c.file);
      out += ",\"line\":" + std::to_string(c.line);
    }
    out += ",\"expected\":";
    append_outcome(out, c, r.expected);
    out += ",\"reason\":";
    append_json_string(out, r.expected.reason);
    out += ",\"alternatives\":[";
    for (std::size_t i = 0; i < r.alternatives.size(); ++i) {
      if (i) out += ',';
      out += "{\"verdict\":\"";
      out += to_string(r.alternatives[i].first);
      out += "\",\"note\":";
      append_json_string(out, r.alternatives[i].second.reason);
      out += ",\"outcome\":";
      append_outcome(out, c, r.alternatives[i].second);
      out += '}';
    }
    out += ']';
    if (!r.message.empty()) {
      out += ",\"message\":";
      append_json_string(out, r.message);
    }
    if (!r.evidence.empty()) {
      out += ",\"evidence\":";
      append_json_string(out, r.evidence);
    }
    if (!r.matched_note.empty()) {
      out += ",\"matched\":";
      append_json_string(out, r.matched_note);
    }
    if (r.first_difference >= 0) out += ",\"first_difference\":" + std::to_string(r.first_difference);
    if (r.expectation) {
      out += ",\"expectation\":{\"key\":";
      append_json_string(out, r.expectation->key);
      out += ",\"reason\":";
      append_json_string(out, r.expectation->reason);
      out += '}';
    }
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r.micros, std::chars_format::fixed, 3);
  out += ",\"micros\":";
  out.append(buf, ec == std::errc() ? end : buf);
  out += '}';
}

void append_header_json(std::string& out, const RunHeader& h) {
  out += "{\"tool_version\":";
  append_json_string(out, h.tool_version);
  out += ",\"suite_version\":";
  append_json_string(out, h.suite_version);
  out += ",\"profile\":";
  append_json_string(out, h.profile);
  out += ",\"date\":";
  append_json_string(out, h.date);
  out += ",\"strict\":";
  out += h.strict ? "true" : "false";
  out += ",\"expectations\":";
  if (h.expectations_file.empty()) out += "null";
  else append_json_string(out, h.expectations_file);
  out += ",\"selected\":" + std::to_string(h.selected);
  out += ",\"fail_on_unexpected_pass\":";
  out += h.fail_on_unexpected_pass ? "true" : "false";
  out += ",\"warnings\":[";
  for (std::size_t i = 0; i < h.warnings.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, h.warnings[i]);
  }
  out += ']';
  if (h.shard) {
    out += ",\"shard\":{\"index\":" + std::to_string(h.shard->index + 1);
    out += ",\"count\":" + std::to_string(h.shard->count) + '}';
  }
  out += ",\"stack\":{\"sut\":";
  append_json_string(out, h.stack.sut);
  out += ",\"name\":";
  append_json_string(out, h.stack.name);
  out += ",\"version\":";
  append_json_string(out, h.stack.version);
  out += ",\"homepage\":";
  append_json_string(out, h.stack.homepage);
  out += ",\"issues\":";
  append_json_string(out, h.stack.issues);
  out += "}}";
}

void append_summary_json(std::string& out, const RunSummary& s) {
  out += "{\"total\":" + std::to_string(s.total);
  for (Verdict v : {Verdict::Pass, Verdict::NonStrict, Verdict::Informational, Verdict::Fail, Verdict::Error,
                    Verdict::Unsupported}) {
    out += ",\"";
    out += to_string(v);
    out += "\":" + std::to_string(s.count(v));
  }
  out += ",\"unexpected\":" + std::to_string(s.unexpected);
  out += ",\"unexpected_passes\":" + std::to_string(s.unexpected_passes);
  char buf[64];
  std::snprintf(buf, sizeof buf, ",\"seconds\":%.3f", s.seconds);
  out += buf;
  out += ",\"interrupted\":";
  out += s.interrupted ? "true" : "false";
  out += ",\"stack_diagnostics\":";
  append_json_string(out, s.stack_diagnostics);
  out += '}';
}

IncrementalJsonFile::IncrementalJsonFile(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "w+b");
  if (!file_) throw std::runtime_error("cannot write " + path_);
}

IncrementalJsonFile::~IncrementalJsonFile() {
  if (file_) std::fclose(file_);
}

void IncrementalJsonFile::write(const std::string& s) {
  if (std::fwrite(s.data(), 1, s.size(), file_) != s.size()) throw std::runtime_error("cannot write " + path_);
}

void IncrementalJsonFile::begin(const std::string& head) {
  write(head);
  flush();
}

std::string& IncrementalJsonFile::next_record() {
  if (!first_) buffer_ += ",\n";
  first_ = false;
  return buffer_;
}

void IncrementalJsonFile::flush() {
  write(buffer_);
  buffer_.clear();
  // The trailer is written, then overwritten by whatever comes next.
  const long pos = std::ftell(file_);
  write("\n],\"complete\":false}\n");
  std::fflush(file_);
  std::fseek(file_, pos, SEEK_SET);
}

void IncrementalJsonFile::flush_if_large() {
  if (buffer_.size() > (1u << 20)) flush();
}

void IncrementalJsonFile::finish(const std::string& tail) {
  write(buffer_);
  buffer_.clear();
  write(tail);
  std::fflush(file_);
  // A final document shorter than an earlier trailer must not keep its tail.
  if (ftruncate(fileno(file_), std::ftell(file_)) != 0) throw std::runtime_error("cannot write " + path_);
  std::fclose(file_);
  file_ = nullptr;
}

namespace {

class JsonReport final : public ResultSink {
 public:
  explicit JsonReport(const std::string& path) : file_(path) {}
  void begin(const RunHeader& h) override {
    std::string out = "{\"format\":\"connstate-results\",\"version\":1,\"header\":";
    append_header_json(out, h);
    out += ",\"results\":[\n";
    file_.begin(out);
  }
  void add(const CaseResult& r) override {
    append_result_json(file_.next_record(), r);
    file_.flush_if_large();
  }
  void end(const RunHeader&, const RunSummary& s) override {
    std::string out = "\n],\"complete\":";
    out += s.interrupted ? "false" : "true";
    out += ",\"summary\":";
    append_summary_json(out, s);
    out += "}\n";
    file_.finish(out);
  }

 private:
  IncrementalJsonFile file_;
};

}  // namespace

std::unique_ptr<ResultSink> make_json_report(const std::string& path) { return std::make_unique<JsonReport>(path); }

}  // namespace connstate::harness
