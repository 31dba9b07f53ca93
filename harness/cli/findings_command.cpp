// findings_command.cpp — `connstate findings RESULTS.json…`: the non-pass results of one or more runs,
// grouped into findings, each with a minimal reproduction confirmed against the stack
// (harness/findings/ does the work; docs/findings.md describes it).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "connstate/findings/findings.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/stack.h"

namespace connstate::cli {
using namespace connstate::harness;

namespace {

void write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw UsageError("cannot write " + path);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw UsageError("cannot write " + path);
}

// Shrinks and confirms every finding's reproduction on each run's stack. Returns false (after printing
// why) when a stack cannot be run.
bool reproduce_all(std::vector<findings::Finding>& all, const std::vector<findings::StackRun>& runs,
                   const std::string& sut_override, const StackOptions& options) {
  for (const findings::StackRun& run : runs) {
    if (run.non_pass.empty() && run.sut.empty()) continue;  // recorded traces only: nothing to run
    const std::string sut = sut_override.empty() ? run.sut : sut_override;
    if (sut.empty()) throw UsageError(run.file + ": the results name no stack (header.stack.sut); give --sut");
    std::unique_ptr<StackUnderTest> stack;
    try {
      stack = make_stack(sut, options);
    } catch (const StackError& e) {
      std::fprintf(stderr, "connstate findings: the stack %s could not be run: %s\n%s%s", sut.c_str(), e.what(),
                   e.evidence.c_str(), e.evidence.empty() || e.evidence.back() == '\n' ? "" : "\n");
      return false;
    }
    for (findings::Finding& f : all)
      for (findings::Occurrence& o : f.stacks)
        if (o.run == &run && !o.records.empty()) findings::reproduce(f, o, *stack);
    if (stack->gave_up()) {
      std::fprintf(stderr, "connstate findings: the stack %s broke too often while reproducing\n", sut.c_str());
      return false;
    }
  }
  return true;
}

void print_finding(const findings::Finding& f, bool known) {
  std::printf("%s %s\n  %s\n", known ? "known" : (f.failing ? "NEW  " : "note "), f.id.c_str(), f.title.c_str());
  for (const findings::Occurrence& o : f.stacks) {
    std::printf("  %s %s: %zu case%s", o.run->name.c_str(), o.run->version.c_str(), o.records.size(),
                o.records.size() == 1 ? "" : "s");
    if (o.reproduction) {
      const auto& c = *o.reproduction;
      if (c.kind == CaseKind::Snapshot) std::printf(", reproduction: a snapshot of %zu transport%s", c.transports.size(),
                                                    c.transports.size() == 1 ? "" : "s");
      else std::printf(", reproduction: %zu step%s", c.steps.size(), c.steps.size() == 1 ? "" : "s");
      if (o.records.empty() && o.trace_excerpt)
        std::printf(" (the excerpt's transport steps; %s on the reference)", o.passes_on_reference ? "passes" : "does NOT pass");
      else
        std::printf(" (%s on the stack, %s on the reference)", o.confirmed_on_stack ? "confirmed" : "NOT confirmed",
                    o.passes_on_reference ? "passes" : "does NOT pass");
    } else if (!o.note.empty()) {
      std::printf(", no reproduction: %s", o.note.c_str());
    }
    if (!o.trace_records.empty()) {
      std::printf("\n    %zu recorded pc%s", o.trace_records.size(), o.trace_records.size() == 1 ? "" : "s");
      if (o.trace_excerpt && !o.trace_excerpt->lines.empty())
        std::printf(", excerpt: %zu lines of %s (%s on the recording)", o.trace_excerpt->lines.size(),
                    o.trace_excerpt->file.c_str(), o.trace_excerpt->confirmed_on_trace ? "confirmed" : "NOT confirmed");
    }
    std::printf("\n");
  }
}

}  // namespace

void write_run_findings(const std::string& results_json, StackUnderTest& stack, const std::string& report_dir) {
  std::vector<findings::StackRun> runs{findings::read_results(results_json)};
  std::vector<findings::Finding> all = findings::group_findings(runs);
  for (findings::Finding& f : all)
    for (findings::Occurrence& o : f.stacks) findings::reproduce(f, o, stack);
  const std::filesystem::path dir(report_dir);
  write_text((dir / "findings.json").string(), findings::findings_json(all, {}));
  findings::write_report_dir(all, {}, (dir / "findings").string());
  std::printf("  findings: %zu (%s, %s/<stack>/index.md)\n", all.size(), (dir / "findings.json").string().c_str(),
              (dir / "findings").string().c_str());
}

int findings_command(const Args& args) {
  ArgParser p("connstate findings",
              "connstate findings RESULTS.json... [--sut SUT] [--json FILE] [--report-dir DIR] [--expectations FILE]\n"
              "                           [--traces-root DIR]",
              "Groups the non-pass results of one or more runs (the JSON of `connstate run --json`, or the\n"
              "results.json of each column of `connstate compare --report-dir`) into findings: one per violated\n"
              "requirement and shape of departure, whatever the number or order of transports, judging every\n"
              "step of a sequence. Each finding has a stable id, the same in every run and for every stack. For\n"
              "each finding and stack it shrinks the smallest case that shows it (fewer transports, fewer steps)\n"
              "against the stack and confirms the result by running it against the stack and the reference.\n"
              "The stack comes from each results file's header unless --sut names it. check-trace results\n"
              "(check-trace --json) are read too: their findings get the same ids, and each gets a minimal trace\n"
              "excerpt confirmed against the recording; a stack's traces join its run's column. See docs/findings.md.");
  p.positional("RESULTS.json", "results files")
      .option("sut", "SUT", "the stack to shrink and confirm against (reference:, plugin:, exec:)")
      .option("json", "FILE", "write the findings as JSON (docs/schemas/findings.schema.json)")
      .option("report-dir", "DIR", "write a Markdown bug report per finding and stack, and index.md/index.html")
      .option("expectations", "FILE", "an expectations file whose \"findings\" object lists the known findings")
      .option("no-reproduce", "", "group only: do not run the stack")
      .option("traces-root", "DIR", "where the trace files of check-trace results are (default: as the results name "
                                    "them, or beside the results file)");
  p.epilog("exit codes: 0 no failing finding, or every one is listed in --expectations; 1 new findings;\n"
           "2 bad usage or bad input files; 3 a stack could not be run.");
  if (!p.parse(args)) return kExitOk;
  if (p.positionals().empty()) throw UsageError("give at least one results file (connstate run --json FILE)");
  std::vector<findings::StackRun> runs;
  runs.reserve(p.positionals().size());
  // Run results and check-trace results, told apart by content; a stack's traces join its run's column.
  const std::string traces_root = p.value_or("traces-root", "");
  std::vector<findings::StackRun> trace_runs;
  for (const auto& path : p.positionals()) {
    if (findings::is_trace_results(read_file(path))) trace_runs.push_back(findings::read_trace_results(path, traces_root));
    else runs.push_back(findings::read_results(path));
  }
  for (findings::StackRun& t : trace_runs) {
    const auto same = std::find_if(runs.begin(), runs.end(), [&](const findings::StackRun& r) {
      return r.traces.empty() && findings::same_stack(r, t);
    });
    if (same != runs.end()) findings::add_traces(*same, std::move(t));
    else runs.push_back(std::move(t));
  }
  std::map<std::string, std::string> known;
  if (auto e = p.value("expectations")) known = findings::read_known_findings(*e);

  std::vector<findings::Finding> all = findings::group_findings(runs);
  if (!p.has("no-reproduce") && !reproduce_all(all, runs, p.value_or("sut", ""), StackOptions{})) return kExitStackError;
  if (!p.has("no-reproduce"))
    for (findings::Finding& f : all)
      for (findings::Occurrence& o : f.stacks) findings::reproduce_from_trace(f, o);

  std::size_t fresh = 0;
  for (const auto& f : all) {
    const bool is_known = known.contains(f.id);
    if (f.failing && !is_known) ++fresh;
    print_finding(f, is_known);
  }
  std::printf("%zu finding%s, %zu new\n", all.size(), all.size() == 1 ? "" : "s", fresh);
  if (auto f = p.value("json")) write_text(*f, findings::findings_json(all, known));
  if (auto d = p.value("report-dir")) {
    findings::write_report_dir(all, known, *d);
    std::printf("reports in %s/<stack>/index.md\n", d->c_str());
  }
  return fresh ? kExitUnexpected : kExitOk;
}

}  // namespace connstate::cli
