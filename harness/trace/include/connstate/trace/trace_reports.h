// trace_reports.h — reports of `connstate check-trace`: JSON, JUnit XML, Markdown, HTML
// (with an SVG timeline per pc) and the console, in the style of the `connstate run` reports.
//
// One record per pc of each trace (id "<trace id>#<pc>"). The JSON file has the shape of
// `connstate run --json` (header with profile and stack.sut, results[] with id and verdict,
// summary), so `connstate expectations update` works on it.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "connstate/harness/runner.h"
#include "connstate/trace/trace.h"

namespace connstate::trace {

struct TraceRunHeader {
  harness::RunHeader run;        // tool version, profile, date, strict, expectations, selected = files
  double reorder_window_ms = 0;
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void begin(const TraceRunHeader&) {}
  virtual void add(const TraceResult&) = 0;
  virtual void end(const TraceRunHeader&, const harness::RunSummary&) {}
};

// The docs/spec note on a rule a finding cites: a rule of the reference by its id, an event-level
// rule by the requirement it states ("docs/spec/ice-task.md#ice-task.event-order"); "" if none.
std::string rule_notes(const RuleRef& r);
// Every note rule_notes() can give (the link test checks them against docs/spec/).
std::vector<std::string> all_rule_notes();

// One pc's record of the JSON report.
void append_pc_result_json(std::string& out, const TraceResult& t, const PcResult& r, const std::string& profile);
// One finding / one input problem as they appear in that record (for pushing them one at a time).
void append_finding_json(std::string& out, const Finding& f);
void append_problem_json(std::string& out, const InputProblem& p);
// The h2spec-style text block of one pc (console, JUnit, Markdown).
std::string pc_detail_text(const TraceResult& t, const PcResult& r, const TraceRunHeader& h);
// The inline SVG timeline of one pc.
std::string timeline_svg(const PcResult& r);

std::unique_ptr<TraceSink> make_trace_json_report(const std::string& path);
std::unique_ptr<TraceSink> make_trace_junit_report(const std::string& path);
std::unique_ptr<TraceSink> make_trace_markdown_report(const std::string& path);
std::unique_ptr<TraceSink> make_trace_html_report(const std::string& path);
std::unique_ptr<TraceSink> make_trace_console_report(std::FILE* out, std::size_t max_details);

}  // namespace connstate::trace
