// trace_reports.cpp — the check-trace reports (see trace_reports.h).
#include "connstate/trace/trace_reports.h"
#include "internal/number_text.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <unistd.h>

#include "connstate/harness/json_input.h"
#include "connstate/harness/reports.h"
#include "connstate/harness/spec_links.h"

namespace connstate::trace {

using harness::append_json_string;
using harness::html_escape;
using harness::xml_escape;

namespace {

constexpr Verdict kVerdicts[] = {Verdict::Pass, Verdict::NonStrict, Verdict::Informational,
                                 Verdict::Fail, Verdict::Error, Verdict::Unsupported};

template <class E> std::vector<std::string> state_list(std::uint8_t mask) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < enum_count<E>; ++i)
    if ((mask >> i) & 1u) out.emplace_back(EnumTraits<E>::names[i]);
  return out;
}

void append_list(std::string& out, const std::vector<std::string>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, v[i]);
  }
  out += ']';
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s.empty() ? "-" : s;
}

// The requirement of docs/spec/ each event-level rule of event_rules.cpp states.
constexpr std::pair<std::string_view, std::string_view> kEventRuleNotes[] = {
    {"event.ice-task", "docs/spec/ice-task.md#ice-task.event-order"},
    {"event.connection-update", "docs/spec/dtls-task.md#dtls-task.no-event-unchanged"},
    {"event.ice-statechange", "docs/spec/ice-task.md#ice-task.statechange-always"},
    {"event.dtls-statechange", "docs/spec/dtls-task.md#dtls-task.statechange"},
    {"close.tasks-abort", "docs/spec/close.md#close.after-close-ignored"},
    {"close.no-event", "docs/spec/close.md#close.no-events"},
    {"close.dtls-no-check", "docs/spec/close.md#close.queued-dtls-task"},
    {"close.states", "docs/spec/close.md#close.states"},
    {"ice.failed-terminal", "docs/spec/states.md#state.ice.failed"},
    {"ice.closed-final", "docs/spec/states.md#state.ice.closed"},
    {"dtls.failed-sticky", "docs/spec/dtls-task.md#dtls-task.failed-sticky"},
    {"dtls.closed-final", "docs/spec/states.md#state.dtls.closed"},
    {"event.gathering", "docs/spec/gathering-state.md#gathering.ed-algorithm"},
};

void append_rule(std::string& out, const RuleRef& r) {
  out += "{\"id\":";
  append_json_string(out, r.id);
  out += ",\"document\":";
  append_json_string(out, r.document);
  out += ",\"anchor\":";
  append_json_string(out, r.anchor);
  out += ",\"quote\":";
  append_json_string(out, r.quote);
  out += ",\"url\":";
  append_json_string(out, harness::spec_url(r.document, r.anchor));
  out += ",\"notes\":";
  append_json_string(out, rule_notes(r));
  out += '}';
}

void append_finding(std::string& out, const Finding& f) {
  out += "{\"kind\":\"";
  out += to_string(f.kind);
  out += "\",\"severity\":\"";
  out += harness::to_string(f.severity);
  out += "\",\"t_ms\":" + internal::number_text(f.t_ms) + ",\"line\":" + std::to_string(f.line) + ",\"target\":";
  append_json_string(out, f.target);
  out += ",\"event\":";
  append_json_string(out, f.event);
  out += ",\"expected\":";
  if (f.expected.empty()) out += "null";
  else append_json_string(out, f.expected);
  out += ",\"observed\":";
  if (f.observed.empty()) out += "null";
  else append_json_string(out, f.observed);
  if (f.has_cause) {
    out += ",\"cause\":{\"t_ms\":" + internal::number_text(f.cause_t_ms) + ",\"line\":" + std::to_string(f.cause_line) + ",\"event\":";
    append_json_string(out, f.cause);
    out += '}';
  }
  out += ",\"rule\":";
  append_rule(out, f.rule);
  out += ",\"message\":";
  append_json_string(out, f.message);
  out += '}';
}

void append_problem(std::string& out, const InputProblem& p) {
  out += "{\"line\":" + std::to_string(p.line) + ",\"pc\":";
  if (p.pc.empty()) out += "null";
  else append_json_string(out, p.pc);
  out += ",\"message\":";
  append_json_string(out, p.message);
  out += ",\"action\":";
  append_json_string(out, p.action);
  out += '}';
}

std::string coverage_text(const PcResult& r) {
  const Coverage& c = r.coverage;
  std::string s = "ice: " + join(state_list<IceTransportState>(c.ice)) +
                  "; dtls: " + join(state_list<DtlsTransportState>(c.dtls));
  if (r.pc_events) {
    s += "; connectionState delivered: " + join(state_list<PeerConnectionState>(c.pcs_observed)) +
         ", required: " + join(state_list<PeerConnectionState>(c.pcs_expected));
    s += "; iceConnectionState delivered: " + join(state_list<IceConnectionState>(c.ics_observed)) +
         ", required: " + join(state_list<IceConnectionState>(c.ics_expected));
  }
  if (c.closed) s += "; close() called";
  return s;
}

std::string trace_line(const TraceResult& t) {
  std::string s = t.file;
  const TraceHeader& h = t.header;
  if (h.present) {
    s += " (" + (h.stack.empty() ? std::string("?") : h.stack) + (h.stack_version.empty() ? "" : " " + h.stack_version);
    if (!h.scenario.empty()) s += ", scenario " + h.scenario;
    if (!h.recorded.empty()) s += ", recorded " + h.recorded;
    if (h.sampled) s += ", sampled transport states";
    s += ")";
  } else {
    s += " (no header)";
  }
  return s;
}

void write_file(const std::string& path, const std::string& content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write " + path);
}


}  // namespace

std::string rule_notes(const RuleRef& r) {
  for (const Rule& x : all_rules())
    if (x.id == r.id) return harness::rule_notes_link(x.rule_id);
  for (const auto& [id, note] : kEventRuleNotes)
    if (id == r.id) return std::string(note);
  return "";
}

std::vector<std::string> all_rule_notes() {
  std::vector<std::string> out;
  for (const RuleRef& r : all_event_rules())
    if (std::string note = rule_notes(r); !note.empty()) out.push_back(std::move(note));
  return out;
}

void append_finding_json(std::string& out, const Finding& f) { append_finding(out, f); }
void append_problem_json(std::string& out, const InputProblem& p) { append_problem(out, p); }

void append_pc_result_json(std::string& out, const TraceResult& t, const PcResult& r, const std::string& profile) {
  out += "{\"id\":";
  append_json_string(out, r.id);
  out += ",\"verdict\":\"";
  out += harness::to_string(r.verdict);
  out += "\",\"unexpected\":";
  out += r.unexpected ? "true" : "false";
  out += ",\"profile\":";
  append_json_string(out, profile);
  out += ",\"section\":\"traces\",\"kind\":\"trace\",\"trace\":{\"id\":";
  append_json_string(out, t.id);
  out += ",\"file\":";
  append_json_string(out, t.file);
  out += ",\"stack\":";
  append_json_string(out, t.header.stack);
  out += ",\"stack_version\":";
  append_json_string(out, t.header.stack_version);
  out += ",\"scenario\":";
  append_json_string(out, t.header.scenario);
  out += ",\"recorded\":";
  append_json_string(out, t.header.recorded);
  out += ",\"header\":";
  out += t.header.json.empty() ? "null" : t.header.json;
  out += "},\"pc\":";
  append_json_string(out, r.pc);
  out += ",\"pc_events\":";
  out += r.pc_events ? "true" : "false";
  out += ",\"counts\":{\"lines\":" + std::to_string(r.lines) + ",\"transports\":" + std::to_string(r.transports) +
         ",\"transport_changes\":" + std::to_string(r.transport_changes) +
         ",\"pc_events_delivered\":" + std::to_string(r.pc_events_delivered) +
         ",\"pc_events_expected\":" + std::to_string(r.pc_events_expected) + ",\"matched\":" +
         std::to_string(r.matched) + "}";
  out += ",\"time\":{\"first_ms\":" + internal::number_text(r.first_t) + ",\"last_ms\":" + internal::number_text(r.last_t) + "}";
  out += ",\"message\":";
  append_json_string(out, r.message);
  out += ",\"findings_total\":" + std::to_string(r.findings_total) + ",\"finding_counts\":{";
  bool first = true;
  for (std::size_t k = 0; k < kFindingKindCount; ++k) {
    if (!r.finding_counts[k]) continue;
    out += first ? "\"" : ",\"";
    out += to_string(static_cast<FindingKind>(k));
    out += "\":" + std::to_string(r.finding_counts[k]);
    first = false;
  }
  out += "},\"findings\":[";
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    if (i) out += ',';
    append_finding(out, r.findings[i]);
  }
  out += "],\"problems_total\":" + std::to_string(r.problems_total) + ",\"problems\":[";
  for (std::size_t i = 0; i < r.problems.size(); ++i) {
    if (i) out += ',';
    append_problem(out, r.problems[i]);
  }
  out += "],\"coverage\":{\"ice\":";
  append_list(out, state_list<IceTransportState>(r.coverage.ice));
  out += ",\"dtls\":";
  append_list(out, state_list<DtlsTransportState>(r.coverage.dtls));
  out += ",\"connectionState\":{\"delivered\":";
  append_list(out, state_list<PeerConnectionState>(r.coverage.pcs_observed));
  out += ",\"required\":";
  append_list(out, state_list<PeerConnectionState>(r.coverage.pcs_expected));
  out += "},\"iceConnectionState\":{\"delivered\":";
  append_list(out, state_list<IceConnectionState>(r.coverage.ics_observed));
  out += ",\"required\":";
  append_list(out, state_list<IceConnectionState>(r.coverage.ics_expected));
  out += "},\"closed\":";
  out += r.coverage.closed ? "true" : "false";
  out += '}';
  if (r.expectation) {
    out += ",\"expectation\":{\"key\":";
    append_json_string(out, r.expectation->key);
    out += ",\"reason\":";
    append_json_string(out, r.expectation->reason);
    out += '}';
  }
  out += '}';
}

std::string pc_detail_text(const TraceResult& t, const PcResult& r, const TraceRunHeader& h) {
  std::string s;
  s += "  trace:       " + trace_line(t) + "\n";
  s += "  profile:     " + h.run.profile + ", reorder window " + internal::number_text(h.reorder_window_ms) + " ms\n";
  s += "  events:      " + std::to_string(r.lines) + " lines, " + std::to_string(r.transports) + " transports, " +
       std::to_string(r.transport_changes) + " transport changes, " + std::to_string(r.pc_events_delivered) +
       " pc events delivered, " + std::to_string(r.pc_events_expected) + " required, " + std::to_string(r.matched) +
       " matched\n";
  s += "  coverage:    " + coverage_text(r) + "\n";
  s += "  result:      " + r.message + "\n";
  if (!r.findings.empty()) {
    s += "  findings (" + std::to_string(r.findings_total) + "):\n";
    for (const Finding& f : r.findings) s += "    " + finding_text(f) + "\n";
    if (r.findings_total > r.findings.size())
      s += "    … " + std::to_string(r.findings_total - r.findings.size()) + " more\n";
  }
  if (!r.problems.empty()) {
    s += "  input problems (" + std::to_string(r.problems_total) + "):\n";
    for (const InputProblem& p : r.problems)
      s += "    " + t.file + ":" + std::to_string(p.line) + ": " + p.message + " (" + p.action + ")\n";
    if (r.problems_total > r.problems.size())
      s += "    … " + std::to_string(r.problems_total - r.problems.size()) + " more\n";
  }
  if (r.expectation) s += "  expectation: " + r.expectation->key + " — " + r.expectation->reason + "\n";
  return s;
}

// --- the SVG timeline -----------------------------------------------------------------------------

namespace {

const char* state_fill(std::string_view s) {
  if (s == "new") return "#d4d4d4";
  if (s == "checking" || s == "connecting") return "#f3d36b";
  if (s == "connected") return "#86c98a";
  if (s == "completed") return "#3f9a4a";
  if (s == "disconnected") return "#f2a154";
  if (s == "failed") return "#e25555";
  if (s == "closed") return "#555555";
  if (s == "gathering") return "#a9c9f2";
  if (s == "complete") return "#4f86cf";
  if (s == "stable") return "#ececec";
  if (s.starts_with("have-")) return "#c7b2e6";
  return "#ffffff";
}
bool dark(std::string_view s) { return s == "closed" || s == "completed" || s == "failed" || s == "complete"; }

}  // namespace

std::string timeline_svg(const PcResult& r) {
  const Timeline& tl = r.timeline;
  if (tl.step_t.empty() || tl.lanes.empty()) return "<p>(no timeline: no state changes)</p>";
  // Lane order: transports first (as created), then the pc lanes in a fixed order.
  std::vector<const Timeline::Lane*> lanes;
  for (const auto& l : tl.lanes)
    if (l.kind == "ice" || l.kind == "dtls") lanes.push_back(&l);
  for (const char* name : {"connectionState (stack)", "connectionState (spec)", "iceConnectionState (stack)",
                           "iceConnectionState (spec)", "signalingState", "iceGatheringState"})
    for (const auto& l : tl.lanes)
      if (l.name == name) lanes.push_back(&l);
  const std::size_t steps = tl.step_t.size();
  const double label_w = 190, lane_h = 18, gap = 4, top = 22;
  const double step_w = std::clamp(960.0 / static_cast<double>(steps), 3.0, 48.0);
  const double width = label_w + step_w * static_cast<double>(steps) + 16;
  const double lanes_h = static_cast<double>(lanes.size()) * (lane_h + gap);
  const double height = top + lanes_h + 34;
  auto x = [&](double step) { return label_w + step * step_w; };
  std::string o;
  o += "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + internal::number_text(width) + "\" height=\"" +
       internal::number_text(height) + "\" viewBox=\"0 0 " + internal::number_text(width) + " " + internal::number_text(height) +
       "\" font-family=\"system-ui,sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"timeline of pc " +
       html_escape(r.pc) + "\">\n";
  // step columns (hover shows what happened)
  for (std::size_t i = 0; i < steps; ++i) {
    o += "<rect class=\"step\" x=\"" + internal::number_text(x(static_cast<double>(i))) + "\" y=\"" + internal::number_text(top) + "\" width=\"" +
         internal::number_text(step_w) + "\" height=\"" + internal::number_text(lanes_h) + "\" fill=\"" + (i % 2 ? "#fafafa" : "#f2f2f2") +
         "\"><title>step " + std::to_string(i) + ", " + internal::number_text(tl.step_t[i]) + " ms: " + html_escape(tl.step_label[i]) +
         "</title></rect>\n";
  }
  for (std::size_t li = 0; li < lanes.size(); ++li) {
    const auto& l = *lanes[li];
    const double y = top + static_cast<double>(li) * (lane_h + gap);
    o += "<text x=\"4\" y=\"" + internal::number_text(y + lane_h - 5) + "\">" + html_escape(l.name) + "</text>\n";
    for (std::size_t p = 0; p < l.points.size(); ++p) {
      const double s0 = l.points[p].step;
      const double s1 = p + 1 < l.points.size() ? l.points[p + 1].step : static_cast<double>(steps);
      if (s1 <= s0) continue;
      const double x0 = x(s0), w = (s1 - s0) * step_w;
      const std::string& st = l.points[p].state;
      o += "<rect class=\"state\" data-lane=\"" + html_escape(l.name) + "\" data-state=\"" + html_escape(st) +
           "\" x=\"" + internal::number_text(x0) + "\" y=\"" + internal::number_text(y) + "\" width=\"" + internal::number_text(w) + "\" height=\"" + internal::number_text(lane_h) +
           "\" fill=\"" + state_fill(st) + "\" stroke=\"#fff\" stroke-width=\"0.5\"><title>" + html_escape(l.name) +
           ": " + html_escape(st) + " from " + internal::number_text(tl.step_t[static_cast<std::size_t>(s0)]) + " ms</title></rect>\n";
      if (w >= 7.0 * static_cast<double>(st.size()))
        o += "<text x=\"" + internal::number_text(x0 + 3) + "\" y=\"" + internal::number_text(y + lane_h - 5) + "\" fill=\"" +
             (dark(st) ? "#fff" : "#222") + "\" pointer-events=\"none\">" + html_escape(st) + "</text>\n";
    }
  }
  if (tl.close_step) {
    const double cx = x(*tl.close_step);
    o += "<line class=\"close\" x1=\"" + internal::number_text(cx) + "\" x2=\"" + internal::number_text(cx) + "\" y1=\"" + internal::number_text(top - 6) + "\" y2=\"" +
         internal::number_text(top + lanes_h) + "\" stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"4 2\"><title>close() at " +
         internal::number_text(tl.step_t[*tl.close_step]) + " ms</title></line>\n";
    o += "<text x=\"" + internal::number_text(cx + 3) + "\" y=\"" + internal::number_text(top - 8) + "\">close()</text>\n";
  }
  for (const auto& [step, idx] : tl.finding_marks) {
    if (idx >= r.findings.size() || step >= steps) continue;
    const Finding& f = r.findings[idx];
    const double cx = x(step) + step_w / 2;
    const char* color = f.severity == Verdict::Fail ? "#c00000" : f.severity == Verdict::NonStrict ? "#c08000" : "#3060c0";
    o += "<g class=\"finding\" data-kind=\"" + std::string(to_string(f.kind)) + "\"><title>" +
         html_escape(finding_text(f)) + "</title><line x1=\"" + internal::number_text(cx) + "\" x2=\"" + internal::number_text(cx) + "\" y1=\"" +
         internal::number_text(top) + "\" y2=\"" + internal::number_text(top + lanes_h) + "\" stroke=\"" + color +
         "\" stroke-width=\"1.5\" opacity=\"0.7\"/><path d=\"M" + internal::number_text(cx - 5) + " " + internal::number_text(top - 12) + " L" +
         internal::number_text(cx + 5) + " " + internal::number_text(top - 12) + " L" + internal::number_text(cx) + " " + internal::number_text(top - 2) + " Z\" fill=\"" + color +
         "\"/></g>\n";
  }
  // time labels
  const std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(70.0 / step_w)));
  for (std::size_t i = 0; i < steps; i += every) {
    o += "<text x=\"" + internal::number_text(x(static_cast<double>(i))) + "\" y=\"" + internal::number_text(top + lanes_h + 14) + "\" fill=\"#555\">" +
         internal::number_text(tl.step_t[i]) + "</text>\n";
  }
  o += "<text x=\"4\" y=\"" + internal::number_text(top + lanes_h + 14) + "\" fill=\"#555\">t_ms (one step per event)</text>\n";
  if (tl.truncated)
    o += "<text x=\"4\" y=\"" + internal::number_text(top + lanes_h + 28) + "\" fill=\"#a00\">timeline truncated after " +
         std::to_string(steps) + " steps</text>\n";
  o += "</svg>";
  return o;
}

// --- sinks ------------------------------------------------------------------------------------------

namespace {

class JsonReport final : public TraceSink {
 public:
  explicit JsonReport(std::string path) : file_(std::move(path)) {}
  void begin(const TraceRunHeader& h) override {
    profile_ = h.run.profile;
    std::string out = "{\"format\":\"connstate-trace-results\",\"version\":1,\"header\":";
    harness::append_header_json(out, h.run);
    out += ",\"reorder_window_ms\":" + internal::number_text(h.reorder_window_ms) + ",\"results\":[\n";
    file_.begin(out);
  }
  void add(const TraceResult& t) override {
    for (const PcResult& r : t.pcs) {
      append_pc_result_json(file_.next_record(), t, r, profile_);
    }
    // The per-trace verdicts, written after the results.
    traces_ += traces_.empty() ? "" : ",\n";
    traces_ += "{\"id\":";
    append_json_string(traces_, t.id);
    traces_ += ",\"file\":";
    append_json_string(traces_, t.file);
    traces_ += ",\"verdict\":\"";
    traces_ += harness::to_string(t.verdict);
    traces_ += "\",\"checked\":";
    traces_ += t.checked ? "true" : "false";
    traces_ += ",\"lines\":" + std::to_string(t.lines) + ",\"events\":" + std::to_string(t.events) +
               ",\"pcs\":" + std::to_string(t.pcs.size()) + ",\"problems_total\":" +
               std::to_string(t.problems_total) + ",\"seconds\":" + internal::number_text(t.seconds) + "}";
    file_.flush();
  }
  void end(const TraceRunHeader&, const harness::RunSummary& s) override {
    std::string out = "\n],\"traces\":[\n" + traces_ + "\n],\"complete\":";
    out += s.interrupted ? "false" : "true";
    out += ",\"summary\":";
    harness::append_summary_json(out, s);
    out += "}\n";
    file_.finish(out);
  }

 private:
  harness::IncrementalJsonFile file_;
  std::string profile_, traces_;
};

// What the text reports keep of each trace.
struct Kept {
  std::string id, file, line;
  Verdict verdict;
  double seconds;
  struct Pc {
    std::string id, pc, message, detail, svg, findings_html;
    Verdict verdict;
    bool unexpected;
  };
  std::vector<Pc> pcs;
};

class Collector : public TraceSink {
 public:
  // Opens `path` now, so an unwritable report fails before any trace is read.
  Collector(bool svg, const std::string& path) : svg_(svg), report_dir_(directory_of(path)) { write_file(path, ""); }
  void begin(const TraceRunHeader& h) override { header_ = h; }
  void add(const TraceResult& t) override {
    Kept k{t.id, t.file, trace_line(t), t.verdict, t.seconds, {}};
    for (const PcResult& r : t.pcs) {
      Kept::Pc p{r.id, r.pc, r.message, pc_detail_text(t, r, header_), {}, {}, r.verdict, r.unexpected};
      if (svg_) {
        p.svg = timeline_svg(r);
        p.findings_html = findings_table(r);
      }
      k.pcs.push_back(std::move(p));
    }
    kept_.push_back(std::move(k));
  }

 protected:
  // The rule id linked to the published spec, and its docs/spec note (a link relative to the report).
  std::string rule_link(const RuleRef& rule) const {
    const std::string url = harness::spec_url(rule.document, rule.anchor);
    std::string o = url.empty() ? html_escape(rule.id) : "<a href=\"" + html_escape(url) + "\">" + html_escape(rule.id) + "</a>";
    if (const std::string note = rule_notes(rule); !note.empty())
      o += " (<a href=\"" + html_escape(harness::notes_href(note, report_dir_, harness::default_cases_dir())) + "\">notes</a>)";
    return o;
  }
  std::string findings_table(const PcResult& r) const {
    if (r.findings.empty()) return "";
    std::string o = "<table class=\"findings\"><tr><th>t_ms</th><th>line</th><th>kind</th><th>event</th><th>expected</th>"
                    "<th>observed</th><th>rule</th><th>details</th></tr>";
    for (const Finding& f : r.findings) {
      o += "<tr class=\"" + harness::verdict_css_class(f.severity) + "\"><td class=\"num\">" + internal::number_text(f.t_ms) +
           "</td><td class=\"num\">" + std::to_string(f.line) + "</td><td>" + std::string(to_string(f.kind)) +
           "</td><td>" + html_escape(f.target + " " + f.event) + "</td><td>" +
           html_escape(f.expected.empty() ? "no event" : f.expected) + "</td><td>" +
           html_escape(f.observed.empty() ? "nothing" : f.observed) + "</td><td><code>" + rule_link(f.rule) +
           "</code><br><q>" + html_escape(f.rule.quote) + "</q></td><td>" + html_escape(f.message) + "</td></tr>";
    }
    o += "</table>";
    if (r.findings_total > r.findings.size())
      o += "<p>… " + std::to_string(r.findings_total - r.findings.size()) + " more findings (counted only).</p>";
    return o;
  }
  static std::string directory_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
  }
  bool svg_;
  std::string report_dir_;
  TraceRunHeader header_;
  std::vector<Kept> kept_;
};

class JUnitReport final : public Collector {
 public:
  explicit JUnitReport(std::string path) : Collector(false, path), path_(std::move(path)) {}
  void end(const TraceRunHeader&, const harness::RunSummary& s) override {
    std::size_t nfail = 0, nerr = 0, total = 0;
    for (const auto& k : kept_)
      for (const auto& p : k.pcs) {
        ++total;
        nfail += p.unexpected && p.verdict != Verdict::Error;
        nerr += p.unexpected && p.verdict == Verdict::Error;
      }
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"connstate check-trace\" tests=\"" +
                    std::to_string(total) + "\" failures=\"" + std::to_string(nfail) + "\" errors=\"" +
                    std::to_string(nerr) + "\" time=\"" + internal::number_text(s.seconds) + "\">\n";
    for (const auto& k : kept_) {
      std::size_t f = 0, e = 0;
      for (const auto& p : k.pcs) {
        f += p.unexpected && p.verdict != Verdict::Error;
        e += p.unexpected && p.verdict == Verdict::Error;
      }
      x += "  <testsuite name=\"" + xml_escape(k.id) + "\" tests=\"" + std::to_string(k.pcs.size()) +
           "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) + "\" time=\"" +
           internal::number_text(k.seconds) + "\">\n";
      for (const auto& p : k.pcs) {
        x += "    <testcase name=\"" + xml_escape(p.id) + "\" classname=\"connstate.traces." + xml_escape(k.id) +
             "\">";
        const std::string msg = std::string(harness::to_string(p.verdict)) + ": " + p.message;
        if (p.unexpected && p.verdict == Verdict::Error)
          x += "<error message=\"" + xml_escape(msg) + "\" type=\"error\">" + xml_escape(p.detail) + "</error>";
        else if (p.unexpected)
          x += "<failure message=\"" + xml_escape(msg) + "\" type=\"" + std::string(harness::to_string(p.verdict)) +
               "\">" + xml_escape(p.detail) + "</failure>";
        else if (p.verdict != Verdict::Pass)
          x += "<system-out>" + xml_escape("expected " + msg + "\n" + p.detail) + "</system-out>";
        x += "</testcase>\n";
      }
      x += "  </testsuite>\n";
    }
    x += "</testsuites>\n";
    write_file(path_, x);
  }

 private:
  std::string path_;
};

class MarkdownReport final : public Collector {
 public:
  explicit MarkdownReport(std::string path) : Collector(false, path), path_(std::move(path)) {}
  void end(const TraceRunHeader& h, const harness::RunSummary& s) override {
    std::string m = "# connstate check-trace\n\n";
    m += "- profile: `" + h.run.profile + "`" + (h.run.strict ? " (strict)" : "") + ", reorder window " +
         internal::number_text(h.reorder_window_ms) + " ms\n";
    m += "- tool " + h.run.tool_version + ", " + h.run.date + "\n";
    if (!h.run.expectations_file.empty()) m += "- expectations: `" + h.run.expectations_file + "`\n";
    m += "- " + std::to_string(kept_.size()) + " traces, " + std::to_string(s.total) + " peer connections; **" +
         std::to_string(s.unexpected) + " unexpected**\n\n| verdict | pcs |\n|---|---:|\n";
    for (Verdict v : kVerdicts)
      m += "| " + std::string(harness::to_string(v)) + " | " + std::to_string(s.count(v)) + " |\n";
    m += "\n## Traces\n\n| trace | verdict | peer connections |\n|---|---|---:|\n";
    for (const auto& k : kept_)
      m += "| `" + k.id + "` | " + std::string(harness::to_string(k.verdict)) + " | " + std::to_string(k.pcs.size()) +
           " |\n";
    m += "\n## Peer connections\n\n| trace | pc | verdict | result |\n|---|---|---|---|\n";
    for (const auto& k : kept_)
      for (const auto& p : k.pcs)
        m += "| `" + k.id + "` | " + p.pc + " | " + std::string(harness::to_string(p.verdict)) +
             (p.unexpected ? " **(unexpected)**" : "") + " | " + p.message + " |\n";
    bool any = false;
    for (const auto& k : kept_)
      for (const auto& p : k.pcs) {
        if (p.verdict == Verdict::Pass) continue;
        if (!any) m += "\n## Details\n\n";
        any = true;
        m += "<details><summary><code>" + p.id + "</code> — " + std::string(harness::to_string(p.verdict)) +
             (p.unexpected ? " (unexpected)" : "") + ": " + html_escape(p.message) + "</summary>\n\n```\n" + p.detail +
             "```\n</details>\n";
      }
    write_file(path_, m);
  }

 private:
  std::string path_;
};

const char* kCss = R"(body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}
.pass{background:#d9f2d9}.nonstrict{background:#fff3c4}.info{background:#dde8ff}.fail{background:#ffd6d6}
.error{background:#f7b2b2}.unsupported{background:#eee}
details{margin:.4em 0}summary{cursor:pointer}pre{background:#fafafa;border:1px solid #ddd;padding:.6em;overflow-x:auto}
.badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.9em}
.unexpected{font-weight:bold;color:#a00}.tl{overflow-x:auto;border:1px solid #ddd;padding:4px;background:#fff}
table.findings{font-size:.9em}q{color:#555;font-size:.9em}
.legend span{display:inline-block;padding:0 .5em;margin:.1em;border-radius:3px;font-size:.85em})";

class HtmlReport final : public Collector {
 public:
  explicit HtmlReport(std::string path) : Collector(true, path), path_(std::move(path)) {}
  void end(const TraceRunHeader& h, const harness::RunSummary& s) override {
    std::string o = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>connstate — traces</title>"
                    "<style>" + std::string(kCss) + "</style></head><body>\n<h1>connstate check-trace report</h1>\n";
    o += "<section id=\"run\"><table>";
    auto row = [&](const std::string& k, const std::string& v) {
      o += "<tr><th>" + k + "</th><td>" + html_escape(v) + "</td></tr>";
    };
    row("profile", h.run.profile + (h.run.strict ? " (strict)" : ""));
    row("reorder window", internal::number_text(h.reorder_window_ms) + " ms");
    row("tool", h.run.tool_version);
    row("date", h.run.date);
    if (!h.run.expectations_file.empty()) row("expectations", h.run.expectations_file);
    row("duration", internal::number_text(s.seconds) + " s");
    o += "</table></section>\n<section id=\"summary\"><h2>Summary</h2><table class=\"summary\"><tr><th>verdict</th>"
         "<th>peer connections</th></tr>";
    for (Verdict v : kVerdicts)
      o += "<tr class=\"" + harness::verdict_css_class(v) + "\"><td>" + std::string(harness::to_string(v)) +
           "</td><td class=\"num\">" + std::to_string(s.count(v)) + "</td></tr>";
    o += "<tr><th>total</th><td class=\"num\" id=\"total\">" + std::to_string(s.total) + "</td></tr>";
    o += "<tr><th>unexpected</th><td class=\"num\" id=\"unexpected\">" + std::to_string(s.unexpected) +
         "</td></tr></table></section>\n";
    o += "<p class=\"legend\">";
    for (const char* st : {"new", "checking", "connecting", "connected", "completed", "disconnected", "failed",
                           "closed", "gathering", "complete", "stable", "have-local-offer"})
      o += "<span style=\"background:" + std::string(state_fill(st)) + ";color:" + (dark(st) ? "#fff" : "#222") +
           "\">" + st + "</span>";
    o += " &nbsp;▼ finding (red fail, amber non-strict, blue informational), dashed line: close()</p>\n";
    o += "<section id=\"traces\"><h2>Traces</h2>\n";
    for (const auto& k : kept_) {
      o += "<h3 id=\"trace-" + html_escape(k.id) + "\"><span class=\"badge " + harness::verdict_css_class(k.verdict) + "\">" +
           std::string(harness::to_string(k.verdict)) + "</span> <code>" + html_escape(k.id) + "</code></h3>\n<p>" +
           html_escape(k.line) + "</p>\n";
      for (const auto& p : k.pcs) {
        o += "<details class=\"pc\" id=\"pc-" + html_escape(p.id) + "\"" + (p.verdict != Verdict::Pass ? " open" : "") +
             "><summary><span class=\"badge " + harness::verdict_css_class(p.verdict) + "\">" +
             std::string(harness::to_string(p.verdict)) + "</span> " +
             (p.unexpected ? "<span class=\"unexpected\">unexpected</span> " : "") + "pc <code>" +
             html_escape(p.pc) + "</code> — " + html_escape(p.message) + "</summary>\n<div class=\"tl\">" + p.svg +
             "</div>\n" + p.findings_html + "<pre>" + html_escape(p.detail) + "</pre></details>\n";
      }
    }
    o += "</section></body></html>\n";
    write_file(path_, o);
  }

 private:
  std::string path_;
};

class ConsoleReport final : public TraceSink {
 public:
  ConsoleReport(std::FILE* out, std::size_t max_details) : out_(out), max_(max_details) {}
  void begin(const TraceRunHeader& h) override { header_ = h; }
  void add(const TraceResult& t) override {
    for (const PcResult& r : t.pcs) {
      if (max_ > 0)
        std::fprintf(out_, "%-10s %s%s — %s\n", std::string(harness::to_string(r.verdict)).c_str(), r.id.c_str(),
                     r.unexpected ? " (unexpected)" : "", r.message.c_str());
      if (!r.unexpected) continue;
      if (++shown_ > max_) continue;
      std::fputs(pc_detail_text(t, r, header_).c_str(), out_);
    }
  }
  void end(const TraceRunHeader& h, const harness::RunSummary& s) override {
    if (shown_ > max_ && max_ > 0) std::fprintf(out_, "\n… %zu more unexpected results (see the reports)\n", shown_ - max_);
    std::fprintf(out_, "\ncheck-trace against profile %s (reorder window %s ms): %zu peer connections in %.2f s\n",
                 h.run.profile.c_str(), internal::number_text(h.reorder_window_ms).c_str(), s.total, s.seconds);
    std::fprintf(out_, "  %zu pass, %zu non-strict, %zu informational, %zu fail, %zu error\n", s.count(Verdict::Pass),
                 s.count(Verdict::NonStrict), s.count(Verdict::Informational), s.count(Verdict::Fail),
                 s.count(Verdict::Error));
    std::fprintf(out_, "  %zu unexpected\n", s.unexpected);
  }

 private:
  std::FILE* out_;
  std::size_t max_;
  std::size_t shown_ = 0;
  TraceRunHeader header_;
};

}  // namespace

std::unique_ptr<TraceSink> make_trace_json_report(const std::string& path) { return std::make_unique<JsonReport>(path); }
std::unique_ptr<TraceSink> make_trace_junit_report(const std::string& path) {
  return std::make_unique<JUnitReport>(path);
}
std::unique_ptr<TraceSink> make_trace_markdown_report(const std::string& path) {
  return std::make_unique<MarkdownReport>(path);
}
std::unique_ptr<TraceSink> make_trace_html_report(const std::string& path) { return std::make_unique<HtmlReport>(path); }
std::unique_ptr<TraceSink> make_trace_console_report(std::FILE* out, std::size_t max_details) {
  return std::make_unique<ConsoleReport>(out, max_details);
}

}  // namespace connstate::trace
