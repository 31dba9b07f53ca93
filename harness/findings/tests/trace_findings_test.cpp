// Findings from recorded traces, on the traces committed in cases/traces/: each folder is checked as
// `connstate check-trace --root cases/traces` would (its JSON results read back), grouped, and every
// finding's minimal excerpt is shrunk. Checks: a trace departure has the id the case judge gives the same
// departure (events on close()); the trace-only requirements (a transport leaving a final state, states
// close() sets) and misordering are named as documented; every excerpt gives its finding again; a passing
// pc gives none; partial-trace notes do not fail; a stack's traces join its run's column.
#define BOOST_TEST_MODULE trace_findings
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "connstate/findings/findings.h"
#include "connstate/harness/json_input.h"
#include "connstate/trace/trace_reports.h"
#include "connstate/trace/webrtc_internals.h"

using namespace connstate;
using namespace connstate::harness;
namespace fs = std::filesystem;

namespace {

const fs::path kTraces = fs::path(CONNSTATE_SOURCE_DIR) / "cases" / "traces";

// A folder's check options, as compare reads them from its check-options file.
trace::CheckOptions folder_options(const fs::path& folder) {
  trace::CheckOptions o;
  o.timeline = false;
  if (fs::exists(folder / "check-options")) {
    const std::string text = read_file((folder / "check-options").string());
    if (const auto at = text.find("--reorder-window-ms"); at != std::string::npos)
      o.reorder_window_ms = std::stod(text.substr(at + std::string("--reorder-window-ms").size()));
  }
  return o;
}

struct CheckedFolder {
  std::vector<trace::TraceResult> results;
  std::string json_path;
};

// check-trace over every trace of a folder, with its JSON results written where the findings reader reads them.
CheckedFolder check_folder(const std::string& stack) {
  CheckedFolder out;
  const fs::path folder = kTraces / stack;
  const trace::CheckOptions options = folder_options(folder);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".jsonl" || ext == ".txt" || ext == ".gz") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  const fs::path dir = fs::path(CONNSTATE_BINARY_DIR) / "trace_findings_test";
  fs::create_directories(dir);
  out.json_path = (dir / (stack + ".json")).string();
  auto sink = trace::make_trace_json_report(out.json_path);
  trace::TraceRunHeader header;
  header.run.profile = "rec-2025";
  header.run.stack.sut = "check-trace";
  header.reorder_window_ms = options.reorder_window_ms;
  sink->begin(header);
  RunSummary summary;
  for (const fs::path& f : files) {
    const std::string bytes = read_file(f.string());
    const std::string text = trace::looks_like_dump(bytes) ? trace::import_webrtc_internals(bytes, f.string()) : bytes;
    trace::TraceResult r = trace::check_text(text, options, f.string(), trace::trace_id(f.string(), kTraces.string()), {});
    for (const auto& pc : r.pcs) {
      ++summary.total;
      ++summary.counts[static_cast<std::size_t>(pc.verdict)];
    }
    sink->add(r);
    out.results.push_back(std::move(r));
  }
  sink->end(header, summary);
  return out;
}

struct Grouped {
  std::vector<findings::StackRun> runs;
  std::vector<findings::Finding> all;
};

Grouped group(const std::vector<std::string>& stacks) {
  Grouped g;
  for (const auto& s : stacks) g.runs.push_back(findings::read_trace_results(check_folder(s).json_path, kTraces.parent_path().string()));
  g.all = findings::group_findings(g.runs);
  for (auto& f : g.all)
    for (auto& o : f.stacks) findings::reproduce_from_trace(f, o);
  return g;
}

const findings::Finding* by_requirement(const std::vector<findings::Finding>& all, const std::string& requirement,
                                        const std::string& kind) {
  for (const auto& f : all)
    if (f.departure.requirement == requirement && f.departure.kind == kind) return &f;
  return nullptr;
}

std::vector<std::string> all_stacks() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kTraces))
    if (e.is_directory()) {
      bool has_trace = false;
      for (const auto& f : fs::directory_iterator(e.path()))
        has_trace |= f.path().extension() == ".jsonl" || f.path().extension() == ".txt" || f.path().extension() == ".gz";
      if (has_trace) out.push_back(e.path().filename().string());
    }
  std::sort(out.begin(), out.end());
  return out;
}

// A sequence case whose stack fires connectionstatechange "closed" from close(), and that answer.
std::pair<Case, std::vector<StepOutcomeText>> close_with_event() {
  Case c;
  c.id = "test.close-events";
  c.kind = CaseKind::Sequence;
  c.transport_names = {"t0"};
  for (const Step& s : {Step::add(0), Step::ice(0, IceTransportState::Checking), Step::close()})
    c.steps.push_back({s, s.kind == StepKind::Close ? "" : "t0", {}, {}});
  std::vector<StepOutcomeText> answer = expected_outcome(c, Profile::Rec2025).steps;
  answer.back().events.push_back("pc connectionstatechange closed");
  return {c, answer};
}

}  // namespace

BOOST_AUTO_TEST_CASE(events_on_close_have_the_id_a_case_gives) {
  const Grouped g = group({"aiortc"});
  const findings::Finding* f = by_requirement(g.all, "close.no-events", "extra-event");
  BOOST_REQUIRE(f != nullptr);
  BOOST_TEST(f->failing);
  BOOST_REQUIRE(f->stacks.size() == 1u);
  BOOST_TEST(f->stacks[0].trace_records.size() >= 1u);

  // The same departure in a case: a stack that fires connectionstatechange "closed" from close().
  const auto [c, answer] = close_with_event();
  const auto departures = findings::judge_sequence(Profile::Rec2025, c, answer);
  BOOST_REQUIRE(departures.size() == 1u);
  BOOST_TEST(departures[0].id() == f->id);
  BOOST_TEST(f->id == "F-close.no-events-extra-event-e128cebb");
}

BOOST_AUTO_TEST_CASE(firefox_trace_only_requirements) {
  const Grouped g = group({"firefox"});
  // dtls failed -> connected on a restart: the DTLS state machine's sticky failed.
  const findings::Finding* sticky = by_requirement(g.all, "dtls-task.failed-sticky", "illegal-transition");
  BOOST_REQUIRE(sticky != nullptr);
  BOOST_TEST(sticky->failing);
  BOOST_TEST(sticky->spec_anchor == "rtcdtlstransport-interface");
  BOOST_TEST(sticky->notes.at(0) == "docs/spec/dtls-task.md#dtls-task.failed-sticky");
  // transports read after close() that are not closed.
  const findings::Finding* states = by_requirement(g.all, "close.states", "value");
  BOOST_REQUIRE(states != nullptr);
  BOOST_TEST(states->notes.at(0) == "docs/spec/close.md#close.states");
  // connectionstatechange out of the DTLS task's order (check-trace's wrong-order).
  BOOST_TEST(by_requirement(g.all, "dtls-task.later-task", "misordered-events") != nullptr);
}

BOOST_AUTO_TEST_CASE(every_excerpt_reproduces_its_finding) {
  const std::vector<std::string> stacks = all_stacks();
  BOOST_TEST(stacks.size() >= 10u);
  const Grouped g = group(stacks);
  std::size_t excerpts = 0;
  for (const auto& f : g.all) {
    for (const auto& o : f.stacks) {
      BOOST_REQUIRE_MESSAGE(o.trace_excerpt.has_value(), f.id + " on " + o.run->name + ": no excerpt");
      const auto& x = *o.trace_excerpt;
      BOOST_REQUIRE_MESSAGE(!x.lines.empty(), f.id + " on " + o.run->name + ": " + o.note);
      BOOST_TEST(x.confirmed_on_trace, f.id << " on " << o.run->name);
      BOOST_TEST(x.lines.size() == x.line_numbers.size());
      BOOST_TEST(std::is_sorted(x.line_numbers.begin(), x.line_numbers.end()));
      BOOST_TEST(x.lines.size() <= x.lines_before + 1, f.id << ": the excerpt is no shorter than the pc's lines");
      // Independently of the shrinker: check-trace on the excerpt, its findings named again.
      std::string text;
      for (const auto& l : x.lines) text += l + "\n";
      trace::CheckOptions options;
      options.reorder_window_ms = o.run->reorder_window_ms;
      const trace::TraceResult r = trace::check_text(text, options, "excerpt");
      bool again = false;
      for (const auto& pc : r.pcs)
        for (const auto& tf : pc.findings)
          for (const auto& d : findings::trace_departures(o.run->traces[*o.smallest_trace], tf)) again |= d.id() == f.id;
      BOOST_TEST(again, f.id << " on " << o.run->name << " is not shown by its excerpt");
      // The excerpt's steps load as a case file.
      if (o.reproduction) {
        const std::string file = findings::reproduction_case_file(f, o);
        const std::vector<Case> loaded = parse_case_file(file, f.id + ".case.json");
        BOOST_TEST(loaded.size() == 1u);
        BOOST_TEST(o.passes_on_reference, f.id);
      }
      ++excerpts;
    }
  }
  BOOST_TEST(excerpts >= 20u);
  BOOST_TEST_MESSAGE(g.all.size() << " findings, " << excerpts << " excerpts over " << stacks.size() << " trace folders");
}

BOOST_AUTO_TEST_CASE(a_passing_pc_gives_no_finding) {
  std::size_t passing = 0;
  for (const std::string& stack : all_stacks()) {
    const CheckedFolder checked = check_folder(stack);
    for (const auto& r : checked.results)
      for (const auto& pc : r.pcs) {
        if (pc.verdict != Verdict::Pass) continue;
        ++passing;
        findings::TracePcRecord record;
        record.pc = pc.pc;
        for (const auto& tf : pc.findings)
          BOOST_TEST(findings::trace_departures(record, tf).empty(), pc.id << ": " << trace::finding_text(tf));
      }
    // Read back, no pass record is kept: no finding can cite a clean pc.
    const findings::StackRun run = findings::read_trace_results(checked.json_path);
    for (const auto& record : run.traces) BOOST_TEST((record.verdict != Verdict::Pass), record.id);
  }
  BOOST_TEST(passing >= 10u);
}

BOOST_AUTO_TEST_CASE(partial_trace_notes_do_not_fail) {
  const Grouped g = group({"chromium-internals"});
  BOOST_REQUIRE(!g.all.empty());
  for (const auto& f : g.all) {
    if (f.departure.kind != "needs-unshown-state" && f.departure.kind != "unexplained-sample") continue;
    BOOST_TEST(!f.failing, f.id);
  }
}

BOOST_AUTO_TEST_CASE(trace_results_are_told_from_run_results) {
  const CheckedFolder checked = check_folder("libnice");
  BOOST_TEST(findings::is_trace_results(read_file(checked.json_path)));
  BOOST_TEST(!findings::is_trace_results("{\"format\":\"connstate-results\",\"header\":{}}"));
  BOOST_CHECK_THROW(findings::trace_results_from_json("{\"format\":\"connstate-results\"}", "x.json"), InputError);
  BOOST_CHECK_THROW(findings::read_results(checked.json_path), InputError);
}

BOOST_AUTO_TEST_CASE(a_stacks_traces_join_its_run) {
  findings::StackRun cases, traces;
  cases.name = "pion/webrtc (oracle)";
  traces.name = "pion";
  BOOST_TEST(findings::same_stack(cases, traces));
  traces.name = "webrtcbin";
  BOOST_TEST(!findings::same_stack(cases, traces));
  cases.name = "GStreamer webrtcbin (oracle)";
  BOOST_TEST(findings::same_stack(cases, traces));

  // One column, both kinds of evidence counted apart: a failing case and the recorded traces.
  findings::StackRun run;
  run.name = "aiortc";
  run.total = 1;
  findings::ResultRecord record;
  std::tie(record.c, record.observed_steps) = close_with_event();
  record.verdict = Verdict::Fail;
  run.non_pass.push_back(record);
  findings::StackRun aiortc = findings::read_trace_results(check_folder("aiortc").json_path, kTraces.parent_path().string());
  findings::add_traces(run, std::move(aiortc));
  std::vector<findings::StackRun> runs{std::move(run)};
  const auto all = findings::group_findings(runs);
  const findings::Finding* f = by_requirement(all, "close.no-events", "extra-event");
  BOOST_REQUIRE(f != nullptr);
  BOOST_REQUIRE(f->stacks.size() == 1u);
  BOOST_TEST(f->stacks[0].records.size() == 1u);
  BOOST_TEST(f->stacks[0].trace_records.size() >= 1u);
  const std::string json = findings::findings_json(all, {});
  BOOST_TEST(json.find("\"trace_evidence\":{") != std::string::npos);
  BOOST_TEST(json.find("\"traces\":") != std::string::npos);
}
