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

void print_finding(const findings::Finding& f, bool known) {
  std::printf("%s %s\n  %s\n", known ? "known" : (f.failing ? "NEW  " : "note "), f.id.c_str(), f.title.c_str());
  for (const findings::Occurrence& o : f.stacks) {
    std::printf("  %s %s: %zu case%s", o.run->name.c_str(), o.run->version.c_str(), o.records.size(),
                o.records.size() == 1 ? "" : "s");
    if (o.reproduction) {
      std::printf(", reproduction: %s", findings::reproduction_size(*o.reproduction).c_str());
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

bool reproduce_findings(std::vector<findings::Finding>& all, const std::vector<findings::StackRun>& runs,
                        const std::vector<std::pair<std::string, StackOptions>>& stacks, const char* command) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const findings::StackRun& run = runs[i];
    if (run.non_pass.empty()) continue;  // no case that did not pass: nothing to shrink on the stack
    const auto& [sut, options] = stacks[i];
    if (sut.empty()) throw UsageError(run.file + ": the results name no stack (header.stack.sut); give --sut");
    std::unique_ptr<StackUnderTest> stack;
    try {
      stack = make_stack(sut, options);
    } catch (const StackError& e) {
      std::fprintf(stderr, "%s: the stack %s could not be run: %s\n%s%s", command, sut.c_str(), e.what(),
                   e.evidence.c_str(), e.evidence.empty() || e.evidence.back() == '\n' ? "" : "\n");
      return false;
    }
    for (findings::Finding& f : all)
      for (findings::Occurrence& o : f.stacks)
        if (o.run == &run && !o.records.empty()) findings::reproduce(f, o, *stack);
    if (stack->gave_up()) {
      std::fprintf(stderr, "%s: the stack %s broke too often while reproducing\n", command, sut.c_str());
      return false;
    }
  }
  // What only recorded traces show is reproduced from the recording: a minimal excerpt, checked again.
  for (findings::Finding& f : all)
    for (findings::Occurrence& o : f.stacks) findings::reproduce_from_trace(f, o);
  return true;
}

std::vector<findings::Annotations> merge_annotations(std::vector<findings::Finding>& all,
                                                     const std::vector<findings::StackRun>& runs,
                                                     const std::vector<std::string>& files, const char* command) {
  std::vector<findings::Annotations> annotations;
  for (const auto& file : files) annotations.push_back(findings::read_annotations(file));
  for (const auto& warning : findings::apply_annotations(all, runs, annotations))
    std::fprintf(stderr, "%s: warning: %s\n", command, warning.c_str());
  return annotations;
}

void write_run_findings(const std::string& results_json, StackUnderTest& stack, const std::string& report_dir) {
  std::vector<findings::StackRun> runs{findings::read_results(results_json)};
  std::vector<findings::Finding> all = findings::group_findings(runs);
  for (findings::Finding& f : all)
    for (findings::Occurrence& o : f.stacks) findings::reproduce(f, o, stack);
  const std::filesystem::path dir(report_dir);
  write_text((dir / "findings.json").string(), findings::findings_json(all, {}));
  findings::write_report_dir(all, {}, (dir / "findings").string(), runs);
  std::printf("  findings: %zu (%s, %s/<stack>/index.md)\n", all.size(), (dir / "findings.json").string().c_str(),
              (dir / "findings").string().c_str());
}

int findings_command(const Args& args) {
  ArgParser p("connstate findings",
              "connstate findings RESULTS.json... [--sut SUT] [--json FILE] [--report-dir DIR] [--expectations FILE]\n"
              "                  [--annotations FILE]... [--stack-summary FILE] [--traces-root DIR] [--no-reproduce]",
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
      .option("report-dir", "DIR",
              "write a bug report per finding and stack (Markdown and HTML), index.md/index.html per stack,\n"
              "and matrix.md/matrix.html (findings x stacks)")
      .option("expectations", "FILE", "an expectations file whose \"findings\" object lists the known findings")
      .option("annotations", "FILE",
              "causes in a stack's code keyed by finding id (docs/schemas/annotations.schema.json); applies\n"
              "to the results whose stack name is the file's \"stack\"; repeatable",
              true)
      .option("stack-summary", "FILE",
              "write the stack's findings as one Markdown page (a stack's FINDINGS.md); one results file only")
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

  if (p.has("stack-summary") && runs.size() != 1)
    throw UsageError("--stack-summary writes one stack's page: give exactly one results file");

  std::vector<findings::Finding> all = findings::group_findings(runs);
  const auto annotations = merge_annotations(all, runs, p.values("annotations"), "connstate findings");
  std::vector<std::pair<std::string, StackOptions>> stacks;
  for (const auto& run : runs) stacks.push_back({p.value_or("sut", run.sut), StackOptions{}});
  if (!p.has("no-reproduce") && !reproduce_findings(all, runs, stacks, "connstate findings")) return kExitStackError;

  std::size_t fresh = 0;
  for (const auto& f : all) {
    const bool is_known = known.contains(f.id);
    if (f.failing && !is_known) ++fresh;
    print_finding(f, is_known);
  }
  std::printf("%zu finding%s, %zu new\n", all.size(), all.size() == 1 ? "" : "s", fresh);
  if (auto f = p.value("json")) write_text(*f, findings::findings_json(all, known));
  if (auto d = p.value("report-dir")) {
    findings::write_report_dir(all, known, *d, runs);
    std::printf("reports in %s/<stack>/index.html, by stack in %s/matrix.html\n", d->c_str(), d->c_str());
  }
  if (auto f = p.value("stack-summary")) {
    const std::string page_dir = std::filesystem::path(*f).parent_path().string();
    std::string preamble = "Generated from the results of a run of " + runs.front().date +
                           "; do not edit, regenerate with `connstate findings " + runs.front().file;
    for (const auto& a : p.values("annotations")) preamble += " --annotations " + a;
    preamble += " --stack-summary " + *f +
                "` (docs/findings.md, \"A stack's FINDINGS.md\"). The causes in the code come from the annotations.";
    write_text(*f, findings::stack_summary_markdown(all, runs.front(), known, page_dir, preamble, annotations));
    std::printf("wrote %s\n", f->c_str());
  }
  return fresh ? kExitUnexpected : kExitOk;
}

}  // namespace connstate::cli
