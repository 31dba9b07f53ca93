// compare_command.cpp — `connstate compare --config FILE`: every case against every stack, every
// stack's traces checked, one JSON with all results, and an Autobahn-style matrix (HTML and
// Markdown): cases as rows grouped by spec section, one column per stack and profile, every cell
// a verdict that opens the evidence. With --report-dir, also the findings view: every column's
// results grouped into findings (harness/findings/), with a matrix of findings by stack.
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "commands.h"
#include "connstate/findings/findings.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/reports.h"
#include "connstate/harness/runner.h"
#include "connstate/harness/spec_links.h"
#include "connstate/harness/version.h"
#include "connstate/harness/why.h"

namespace connstate::cli {
using namespace connstate::harness;
namespace fs = std::filesystem;

namespace {

struct StackConfig {
  std::string name;
  std::string sut;                   // empty: traces only
  std::vector<Profile> profiles;     // columns
  std::string expectations;          // file, relative to the config's directory
  std::string annotations;           // causes in the stack's code by finding id, relative to the config's directory
  std::string traces;                // folder of recorded traces
  std::string install;               // command run before (documentation; compare does not run it)
  StackOptions options;
  std::string note;
};

struct Config {
  std::string title;
  LoadOptions load;
  std::vector<std::string> patterns;
  std::vector<StackConfig> stacks;
  fs::path dir;
};

Config load_config(const std::string& path) {
  const std::string text = read_file(path);
  const json::value doc = parse_document(text, path);
  Config cfg;
  cfg.dir = fs::absolute(path).parent_path();
  try {
    const json::object& o = as_object(doc, "");
    reject_unknown_keys(o, {"$comment", "title", "cases", "stacks"}, "");
    cfg.title = optional_string(o, "title", "").value_or("connstate comparison");
    cfg.load = LoadOptions{2, 3};
    if (auto it = o.find("cases"); it != o.end()) {
      const json::object& c = as_object(it->value(), "/cases");
      reject_unknown_keys(c, {"exhaustive", "sequence_depth", "patterns"}, "/cases");
      if (auto e = c.find("exhaustive"); e != c.end() && e->value().is_int64())
        cfg.load.exhaustive_depth = static_cast<int>(e->value().get_int64());
      if (auto e = c.find("sequence_depth"); e != c.end() && e->value().is_int64())
        cfg.load.sequence_depth = static_cast<int>(e->value().get_int64());
      if (auto e = c.find("patterns"); e != c.end())
        for (const auto& v : as_array(e->value(), "/cases/patterns")) cfg.patterns.emplace_back(v.as_string());
    }
    const json::array& stacks = as_array(require(o, "stacks", ""), "/stacks");
    for (std::size_t i = 0; i < stacks.size(); ++i) {
      const std::string at = pointer_join("/stacks", i);
      const json::object& s = as_object(stacks[i], at);
      reject_unknown_keys(s, {"name", "sut", "profiles", "expectations", "annotations", "traces", "install",
                              "request_timeout_ms", "window", "note"},
                          at);
      StackConfig sc;
      sc.name = require_string(s, "name", at);
      sc.sut = optional_string(s, "sut", at).value_or("");
      sc.expectations = optional_string(s, "expectations", at).value_or("");
      sc.annotations = optional_string(s, "annotations", at).value_or("");
      sc.traces = optional_string(s, "traces", at).value_or("");
      sc.install = optional_string(s, "install", at).value_or("");
      sc.note = optional_string(s, "note", at).value_or("");
      if (auto it = s.find("profiles"); it != s.end()) {
        for (const auto& v : as_array(it->value(), pointer_join(at, "profiles"))) {
          auto p = v.is_string() ? parse_profile(v.get_string()) : std::nullopt;
          if (!p) throw FieldError(pointer_join(at, "profiles"), "unknown profile in \"profiles\"");
          sc.profiles.push_back(*p);
        }
      }
      if (sc.profiles.empty()) sc.profiles.push_back(kDefaultProfile);
      if (auto it = s.find("request_timeout_ms"); it != s.end() && it->value().is_int64())
        sc.options.request_timeout_ms = static_cast<int>(it->value().get_int64());
      if (auto it = s.find("window"); it != s.end() && it->value().is_int64())
        sc.options.window = static_cast<std::size_t>(it->value().get_int64());
      if (sc.sut.empty() && sc.traces.empty()) throw FieldError(at, "a stack needs \"sut\" or \"traces\" (or both)");
      cfg.stacks.push_back(std::move(sc));
    }
  } catch (const FieldError& e) {
    const Position pos = locate(text, e.pointer);
    throw InputError(path, pos.line, pos.column, e.what());
  }
  return cfg;
}

// One column: a stack under one profile.
struct Column {
  const StackConfig* stack;
  Profile profile;
  StackInfo info;
  RunSummary summary;
  std::string error;  // could not run
  std::map<std::string, std::string> cells;   // case id -> JSON record (append_result_json)
  std::map<std::string, Verdict> verdicts;
  std::map<std::string, bool> unexpected;
  std::map<std::string, std::string> details;  // case id -> text detail for the HTML
  std::string traces_json;                     // check-trace results, when the stack has traces
  int traces_exit = -1;
  std::string report_dir;                      // with --report-dir: this column's run reports, relative to it
};

// "aiortc-rec-2025", "reference-rec-2021-amended-rec-2025": a folder name for a column's reports.
std::string column_slug(const Column& c) {
  std::string slug;
  for (char ch : c.stack->name + " " + std::string(to_string(c.profile))) {
    const bool keep = std::isalnum(static_cast<unsigned char>(ch));
    if (keep) slug += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    else if (!slug.empty() && slug.back() != '-') slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

struct Collect : ResultSink {
  Column* col;
  void add(const CaseResult& r) override {
    col->verdicts[r.c->id] = r.verdict;
    col->unexpected[r.c->id] = r.unexpected;
    // matrix.json keeps every result, compactly; `connstate run --json` has the full records.
    std::string rec = "{\"id\":" + json_string(r.c->id) + ",\"verdict\":\"" + std::string(to_string(r.verdict)) +
                      "\",\"unexpected\":" + (r.unexpected ? "true" : "false");
    if (r.c->kind == CaseKind::Snapshot && r.verdict != Verdict::Error && r.verdict != Verdict::Unsupported)
      rec += ",\"actual\":[" + (r.observed_snapshot.connection_state ? json_string(*r.observed_snapshot.connection_state)
                                                                       : std::string("null")) +
             "," + (r.observed_snapshot.ice_connection_state ? json_string(*r.observed_snapshot.ice_connection_state)
                                                             : std::string("null")) + "]";
    if (r.first_difference >= 0) rec += ",\"first_difference\":" + std::to_string(r.first_difference);
    if (!r.message.empty()) rec += ",\"message\":" + json_string(r.message);
    if (r.expectation) rec += ",\"expectation\":" + json_string(r.expectation->key);
    col->cells[r.c->id] = rec + "}";
    if (r.verdict != Verdict::Pass || !r.c->generated) {
      std::string d = std::string(to_string(r.verdict)) + (r.unexpected ? " (unexpected)" : "") + "\n";
      if (!r.message.empty()) d += "difference: " + r.message + "\n";
      if (!r.matched_note.empty()) d += "matched: " + r.matched_note + "\n";
      if (!r.evidence.empty()) d += "evidence: " + r.evidence + "\n";
      if (r.expectation) d += "expectation: " + r.expectation->reason + "\n";
      if (r.c->kind == CaseKind::Snapshot) {
        if (r.verdict != Verdict::Error && r.verdict != Verdict::Unsupported)
          d += "actual: connectionState=" + show_state(r.observed_snapshot.connection_state) +
               " iceConnectionState=" + show_state(r.observed_snapshot.ice_connection_state) + "\n";
      } else {
        for (std::size_t i = 0; i < r.observed_steps.size(); ++i)
          d += "  " + std::to_string(i) + ". " + step_text(r.c->steps[i]) + " -> " + show_step(r.observed_steps[i]) +
               (static_cast<int>(i) == r.first_difference ? "   <-- differs" : "") + "\n";
      }
      col->details[r.c->id] = std::move(d);
    }
  }
};

const char* cell_text(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::NonStrict: return "non-strict";
    case Verdict::Informational: return "info";
    case Verdict::Fail: return "FAIL";
    case Verdict::Error: return "ERROR";
    case Verdict::Unsupported: return "unsup.";
  }
  return "";
}

std::string column_title(const Column& c) {
  return c.stack->name + " · " + std::string(to_string(c.profile));
}

std::string expected_text(const Case& c, Profile p) {
  const ExpectedOutcome o = expected_outcome(c, p);
  if (c.kind == CaseKind::Snapshot)
    return "connectionState=" + show_state(o.snapshot.connection_state) +
           " iceConnectionState=" + show_state(o.snapshot.ice_connection_state) + " (" + o.reason + ")";
  std::string s;
  for (std::size_t i = 0; i < o.steps.size(); ++i)
    s += "  " + std::to_string(i) + ". " + step_text(c.steps[i]) + " -> " + show_step(o.steps[i]) + "\n";
  return s;
}

std::string input_text(const Case& c) {
  if (c.kind == CaseKind::Snapshot) {
    std::string s = c.closed ? "closed; " : "";
    if (c.transports.empty()) s += "no transports";
    for (std::size_t i = 0; i < c.transports.size(); ++i) s += (i ? ", " : "") + transport_text(c.transports[i]);
    return s;
  }
  std::string s;
  for (std::size_t i = 0; i < c.steps.size(); ++i) s += (i ? "; " : "") + step_text(c.steps[i]);
  return s;
}

void write_text(const fs::path& path, const std::string& s) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw UsageError("cannot write " + path.string());
  std::fwrite(s.data(), 1, s.size(), f);
  std::fclose(f);
}

// The findings view's input: every column's runs, each with the column it came from.
struct ColumnRuns {
  std::vector<findings::StackRun> runs;
  std::vector<const Column*> columns;  // columns[i] made runs[i]
};

// Every column's results as findings input, collected in one place. A column that ran a stack gives
// its results.json; a column whose stack could not run gives nothing (its errors are no findings). A
// column's check-trace results are trace evidence of the same stack: they join its run, or are a run of
// their own for a stack known from its traces only.
ColumnRuns collect_runs(const std::vector<Column>& columns, const Config& cfg, const fs::path& out) {
  ColumnRuns collected;
  for (const Column& c : columns) {
    std::optional<findings::StackRun> run;
    if (!c.stack->sut.empty() && c.error.empty() && !c.report_dir.empty())
      run = findings::read_results((out / c.report_dir / "results.json").string());
    if (!c.traces_json.empty()) {
      const fs::path traces_root = (cfg.dir / c.stack->traces).parent_path();
      const std::string traces_file = (out / ("traces-" + std::to_string(&c - columns.data()) + ".json")).string();
      findings::StackRun traces =
          findings::trace_results_from_json(c.traces_json, traces_file, traces_root.lexically_normal().string());
      if (run && findings::same_stack(*run, traces)) {
        findings::add_traces(*run, std::move(traces));
      } else {
        if (run) {
          collected.runs.push_back(std::move(*run));
          collected.columns.push_back(&c);
        }
        run = std::move(traces);
      }
    }
    if (!run) continue;
    collected.runs.push_back(std::move(*run));
    collected.columns.push_back(&c);
  }
  return collected;
}

struct FindingsView {
  bool written = false;
  bool stack_error = false;
  std::vector<std::string> new_findings;  // "<column>: <id>", for stacks whose expectations list findings
};

// Groups every column's results into findings, shrinks and confirms each reproduction against the
// column's stack, merges the stacks' annotations, and writes out/findings/ (reports per stack,
// findings.json, matrix.md and matrix.html). A failing finding is new for a column whose expectations
// file lists known findings and does not list it.
FindingsView write_findings_view(const std::vector<Column>& columns, const Config& cfg, const fs::path& out) {
  FindingsView view;
  ColumnRuns input = collect_runs(columns, cfg, out);
  std::vector<findings::Finding> all = findings::group_findings(input.runs);
  std::vector<std::string> annotation_files;
  std::vector<std::pair<std::string, StackOptions>> stacks;
  std::map<std::string, std::string> known_any;
  std::map<const findings::StackRun*, std::map<std::string, std::string>> known_by_run;
  for (std::size_t i = 0; i < input.runs.size(); ++i) {
    const StackConfig& sc = *input.columns[i]->stack;
    stacks.push_back({sc.sut, sc.options});
    const std::string annotations = sc.annotations.empty() ? "" : (cfg.dir / sc.annotations).lexically_normal().string();
    if (!annotations.empty() &&
        std::find(annotation_files.begin(), annotation_files.end(), annotations) == annotation_files.end())
      annotation_files.push_back(annotations);
    if (!sc.expectations.empty()) {
      auto known = findings::read_known_findings((cfg.dir / sc.expectations).string());
      known_any.insert(known.begin(), known.end());
      known_by_run[&input.runs[i]] = std::move(known);
    }
  }
  merge_annotations(all, input.runs, annotation_files, "compare");
  std::fprintf(stderr, "compare: findings (%zu, reproducing each against its stacks)\n", all.size());
  view.stack_error = !reproduce_findings(all, input.runs, stacks, "compare");
  const fs::path dir = out / "findings";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError("cannot create " + dir.string() + ": " + ec.message());
  write_text(dir / "findings.json", findings::findings_json(all, known_any));
  findings::write_report_dir(all, known_any, dir.string(), input.runs);
  view.written = true;
  for (const findings::Finding& f : all) {
    if (!f.failing) continue;
    for (const findings::Occurrence& o : f.stacks) {
      const auto known = known_by_run.find(o.run);
      if (known == known_by_run.end() || known->second.empty() || known->second.contains(f.id)) continue;
      const Column& c = *input.columns[static_cast<std::size_t>(o.run - input.runs.data())];
      view.new_findings.push_back(column_title(c) + ": " + f.id);
    }
  }
  return view;
}

}  // namespace

int compare(const Args& args) {
  ArgParser p("connstate compare", "connstate compare --config FILE [--out DIR | --report-dir DIR]",
              "Runs every case against every stack in the config (each under each of its profiles),\n"
              "checks every stack's recorded traces, and writes matrix.json (all results),\n"
              "matrix.html (cases x stacks, grouped by spec section; a cell opens its evidence) and\n"
              "matrix.md. With --report-dir, each column's full run reports (results.json, junit.xml,\n"
              "report.md, report.html, as `connstate run --report-dir` writes them) go into DIR/<stack>-<profile>/\n"
              "next to the matrix, whose column headers link to them. Paths in the config are relative to\n"
              "the config file; sut command lines run from the working directory. With --report-dir, compare\n"
              "also groups every column's results into findings (as `connstate findings` does, reproduced\n"
              "against each column's stack, with the stack's \"annotations\") and writes DIR/findings/: a bug\n"
              "report per finding and stack, findings.json, and matrix.html/matrix.md (findings x stacks).\n\n"
              "exit codes: 0 every column as its expectations say; 1 unexpected results in some column, or a\n"
              "failing finding not listed in the \"findings\" of a stack's expectations file that lists some;\n"
              "2 bad usage or config; 3 some stack could not be run (the matrix is still written).");
  p.option("config", "FILE", "the comparison config (JSON; see docs/conformance/compare.json)")
      .option("out", "DIR", "where to write the matrix (default: the config's directory)")
      .option("report-dir", "DIR", "write the matrix and every column's run reports into DIR")
      .option("cases-dir", "DIR", "case files (default: as connstate run)")
      .option("shard", "I/N", "run only part I of N of each column's cases (as connstate run --shard)")
      .option("no-findings", "", "with --report-dir: do not group the results into findings");
  if (!p.parse(args)) return kExitOk;
  if (!p.positionals().empty()) throw UsageError("unexpected argument '" + p.positionals()[0] + "'");
  auto config_path = p.value("config");
  if (!config_path) throw UsageError("--config FILE is required");
  if (p.has("out") && p.has("report-dir")) throw UsageError("give --out or --report-dir, not both");
  const Config cfg = load_config(*config_path);
  const bool column_reports = p.has("report-dir");
  const fs::path out = column_reports ? fs::path(*p.value("report-dir"))
                                      : (p.value("out") ? fs::path(*p.value("out")) : cfg.dir);
  {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw UsageError("cannot create " + out.string() + ": " + ec.message());
  }
  const bool want_findings = column_reports && !p.has("no-findings");
  if (want_findings)
    // A bad annotations file or "findings" object is bad input: say so now, not after every column ran.
    for (const StackConfig& sc : cfg.stacks) {
      if (!sc.annotations.empty()) findings::read_annotations((cfg.dir / sc.annotations).string());
      if (!sc.expectations.empty()) findings::read_known_findings((cfg.dir / sc.expectations).string());
    }
  LoadOptions load = cfg.load;
  load.stream_generated = true;
  const Suite suite = load_suite(p.value_or("cases-dir", default_cases_dir()), load);
  Shard shard;
  if (auto v = p.value("shard")) {
    const auto parsed = parse_shard(*v);
    if (!parsed) throw UsageError("--shard '" + *v + "' is not I/N with 1 <= I <= N (e.g. --shard 2/8)");
    shard = *parsed;
  }
  Selection sel;
  sel.patterns = cfg.patterns;

  std::vector<Column> columns;
  for (const auto& sc : cfg.stacks)
    for (Profile prof : sc.profiles) columns.push_back(Column{&sc, prof, {}, {}, {}, {}, {}, {}, {}, {}, -1, {}});

  for (Column& col : columns) {
    const StackConfig& sc = *col.stack;
    std::fprintf(stderr, "compare: %s\n", column_title(col).c_str());
    if (!sc.sut.empty()) {
      std::unique_ptr<StackUnderTest> stack;
      try {
        stack = make_stack(sc.sut, sc.options);
      } catch (const StackError& e) {
        col.error = e.what();
        stack = make_unavailable_stack(sc.sut, e);
      }
      std::optional<Expectations> ex;
      if (!sc.expectations.empty()) ex = Expectations::load((cfg.dir / sc.expectations).string());
      RunOptions ro;
      ro.profile = col.profile;
      ro.expectations = ex ? &*ex : nullptr;
      CaseStream selected_cases(suite, sel, col.profile, shard);
      const std::size_t selected_count = count_selected(suite, sel, col.profile, shard);
      RunHeader h;
      h.tool_version = tool_version();
      h.suite_version = suite.suite_version;
      h.profile = std::string(to_string(col.profile));
      h.stack = stack->info();
      h.date = utc_now();
      h.expectations_file = sc.expectations.empty() ? "" : (cfg.dir / sc.expectations).lexically_normal().string();
      h.selected = selected_count;
      if (shard.count > 1) h.shard = shard;
      h.cases_dir = suite.cases_dir;
      Collect sink;
      sink.col = &col;
      std::vector<std::unique_ptr<ResultSink>> reports;
      std::vector<ResultSink*> sinks = {&sink};
      if (column_reports) {
        col.report_dir = column_slug(col);
        const fs::path dir = out / col.report_dir;
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) throw UsageError("cannot create " + dir.string() + ": " + ec.message());
        try {
          reports.push_back(make_json_report((dir / "results.json").string()));
          reports.push_back(make_junit_report((dir / "junit.xml").string()));
          reports.push_back(make_markdown_report((dir / "report.md").string()));
          reports.push_back(make_html_report((dir / "report.html").string()));
        } catch (const std::runtime_error& e) {
          throw UsageError(e.what());
        }
        for (auto& r : reports) sinks.push_back(r.get());
      }
      col.summary = run_cases(selected_cases, selected_count, *stack, ro, h, sinks);
      col.info = stack->info();
    }
    if (!sc.traces.empty()) {
      // The trace checker is its own command; run it and keep its JSON results.
      const fs::path dir = (cfg.dir / sc.traces).lexically_normal();
      std::vector<std::string> files;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".jsonl") files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (!files.empty()) {
        const fs::path res = out / ("traces-" + std::to_string(&col - columns.data()) + ".json");
        std::string cmd = "'" + fs::read_symlink("/proc/self/exe").string() + "' check-trace --profile " +
                          std::string(to_string(col.profile)) + " --json '" + res.string() + "'";
        // As the bundled-trace test does: ids relative to the traces root, the stack's expectations
        // and its recorded check options (e.g. a reorder window for multi-threaded delivery).
        cmd += " --root '" + dir.parent_path().string() + "'";
        const fs::path exp = dir / "expectations.json";
        if (fs::exists(exp)) cmd += " --expectations '" + exp.string() + "'";
        if (const fs::path opts = dir / "check-options"; fs::exists(opts)) {
          std::string line = read_file(opts.string());
          line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
          if (line.find_first_of("'\"`$;&|<>") == std::string::npos) cmd += " " + line;
        }
        for (const auto& f : files) cmd += " '" + f + "'";
        cmd += " > /dev/null 2>&1";
        const int status = std::system(cmd.c_str());
        col.traces_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (fs::exists(res)) col.traces_json = read_file(res.string());
        if (!column_reports) fs::remove(res, ec);
      } else {
        col.error += (col.error.empty() ? "" : "; ") + std::string("no traces in ") + dir.string();
      }
    }
  }

  // What the report embeds from the stacks (trace file paths, adapter stderr) is made relative to the
  // working directory, so a committed report names no machine-specific path.
  const std::string cwd = fs::current_path().string() + "/";
  auto relativize = [&](std::string text) {
    for (std::size_t pos; (pos = text.find(cwd)) != std::string::npos;) text.erase(pos, cwd.size());
    return text;
  };
  for (Column& c : columns) {
    c.traces_json = relativize(std::move(c.traces_json));
    c.summary.stack_diagnostics = relativize(std::move(c.summary.stack_diagnostics));
    c.error = relativize(std::move(c.error));
    for (auto& [id, d] : c.details) d = relativize(std::move(d));
    for (auto& [id, r] : c.cells) r = relativize(std::move(r));
  }

  // --- matrix.json -------------------------------------------------------------------------
  std::string j = "{\"format\":\"connstate-matrix\",\"version\":1,\"title\":" + json_string(cfg.title) +
                  ",\"tool_version\":" + json_string(tool_version()) + ",\"suite_version\":" +
                  json_string(suite.suite_version) + ",\"date\":" + json_string(utc_now()) + ",\"columns\":[";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    j += std::string(i ? "," : "") + "{\"stack\":" + json_string(c.stack->name) + ",\"sut\":" + json_string(c.stack->sut) +
         ",\"profile\":\"" + std::string(to_string(c.profile)) + "\",\"name\":" + json_string(c.info.name) +
         ",\"version\":" + json_string(c.info.version) + ",\"error\":" + json_string(c.error) + ",\"summary\":";
    append_summary_json(j, c.summary);
    j += ",\"traces\":" + (c.traces_json.empty() ? std::string("null") : c.traces_json) + ",\"results\":[";
    bool first = true;
    for (const auto& [id, rec] : c.cells) {
      j += (first ? "" : ",") + rec;
      first = false;
    }
    j += "]}";
  }
  j += "]}\n";
  write_text(out / "matrix.json", j);

  const FindingsView findings_view =
      want_findings ? write_findings_view(columns, cfg, out) : FindingsView{};

  // --- matrix.html / matrix.md --------------------------------------------------------------
  std::vector<const Case*> rows;
  std::map<std::string, std::string> section_titles;
  std::vector<std::string> sections;
  for (const Case& c : suite.cases) {
    if (c.generated || !selected(c, sel)) continue;
    rows.push_back(&c);
    if (!section_titles.count(c.section)) sections.push_back(c.section);
    section_titles[c.section] = c.section_title;
  }
  std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(cfg.title) +
                  "</title><style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}"
                  "td,th{border:1px solid #ccc;padding:.2em .4em;font-size:.85em}th{background:#f3f3f3;position:sticky;top:0}"
                  ".pass{background:#d9f2d9}.nonstrict{background:#fff3c4}.info{background:#dde8ff}.fail{background:#ffb3b3}"
                  ".error{background:#f08080}.unsupported{background:#eee;color:#777}.na{background:#fafafa;color:#bbb}"
                  ".exp{opacity:.55}a{color:inherit;text-decoration:none}tr.sec td{background:#333;color:#fff;font-weight:bold}"
                  "pre{background:#fafafa;border:1px solid #ddd;padding:.5em;white-space:pre-wrap}</style></head><body>\n";
  h += "<h1>" + html_escape(cfg.title) + "</h1><p>tool " + tool_version() + ", suite " + suite.suite_version + ", " +
       utc_now() + ". Rows: hand-written cases by spec section; columns: stack · profile. A faded cell is a known "
       "divergence listed in that stack's expectations file. Click a cell for its evidence.</p>\n";
  if (findings_view.written)
    h += "<p id=\"by-finding\"><a href=\"findings/matrix.html\">By finding</a>: every column's results grouped into "
         "findings, with the stacks that show each one and a bug report per stack.</p>\n";
  h += "<table id=\"matrix\"><thead><tr><th>case</th>";
  for (const Column& c : columns)
    h += "<th class=\"stack\">" +
         (c.report_dir.empty() ? html_escape(column_title(c))
                               : "<a href=\"" + html_escape(c.report_dir) + "/report.html\">" +
                                     html_escape(column_title(c)) + "</a>") +
         "</th>";
  h += "</tr></thead><tbody>\n<tr><td>summary (all cases incl. generated)</td>";
  for (const Column& c : columns) {
    h += "<td>";
    if (!c.stack->sut.empty())
      h += std::to_string(c.summary.count(Verdict::Pass)) + " pass, " + std::to_string(c.summary.count(Verdict::Fail)) +
           " fail, " + std::to_string(c.summary.count(Verdict::NonStrict)) + " non-strict, " +
           std::to_string(c.summary.count(Verdict::Error)) + " error, " + std::to_string(c.summary.count(Verdict::Unsupported)) +
           " unsup.; " + std::to_string(c.summary.unexpected) + " unexpected";
    else h += "traces only";
    h += "</td>";
  }
  h += "</tr>\n<tr><td>recorded traces</td>";
  for (const Column& c : columns) {
    h += "<td>";
    if (!c.traces_json.empty()) {
      std::string counts;
      boost::system::error_code ec;
      const json::value tv = json::parse(c.traces_json, ec);
      if (!ec && tv.is_object() && tv.as_object().contains("summary")) {
        const auto& sm = tv.at("summary");
        counts = std::to_string(sm.at("total").to_number<std::int64_t>()) + " pc traces: " +
                 std::to_string(sm.at("pass").to_number<std::int64_t>()) + " pass, " +
                 std::to_string(sm.at("fail").to_number<std::int64_t>()) + " fail, " +
                 std::to_string(sm.at("unexpected").to_number<std::int64_t>()) + " unexpected";
      }
      h += "<a href=\"#traces-" + std::to_string(&c - columns.data()) + "\">" +
           (counts.empty() ? "check-trace exit " + std::to_string(c.traces_exit) : counts) + "</a>";
    }
    else h += "—";
    h += "</td>";
  }
  h += "</tr>\n";
  std::string md = "# " + cfg.title + "\n\ntool " + tool_version() + ", suite " + suite.suite_version + ", " + utc_now() +
                   "\n\n" +
                   (findings_view.written ? "[By finding](findings/matrix.md): every column's results grouped into "
                                            "findings, with the stacks that show each one.\n\n"
                                          : "") +
                   "| case |";
  for (const Column& c : columns) md += " " + column_title(c) + " |";
  md += "\n|---|";
  for (std::size_t i = 0; i < columns.size(); ++i) md += "---|";
  md += "\n| summary |";
  for (const Column& c : columns)
    md += c.stack->sut.empty() ? std::string(" traces only |")
                               : " " + std::to_string(c.summary.count(Verdict::Pass)) + " pass / " +
                                     std::to_string(c.summary.count(Verdict::Fail)) + " fail / " +
                                     std::to_string(c.summary.unexpected) + " unexpected |";
  md += "\n";
  for (const std::string& sec : sections) {
    h += "<tr class=\"sec\"><td colspan=\"" + std::to_string(columns.size() + 1) + "\">" + html_escape(section_titles[sec]) +
         "</td></tr>\n";
    md += "| **" + section_titles[sec] + "** |" + std::string(columns.size() * 2, ' ') + "\n";
    for (const Case* c : rows) {
      if (c->section != sec) continue;
      h += "<tr><td><a href=\"#case-" + html_escape(c->id) + "\">" + html_escape(c->id) + "</a></td>";
      md += "| `" + c->id + "` |";
      for (const Column& col : columns) {
        auto it = col.verdicts.find(c->id);
        if (it == col.verdicts.end()) {
          h += "<td class=\"na\">—</td>";
          md += " — |";
          continue;
        }
        const bool unexpected = col.unexpected.at(c->id);
        h += std::string("<td class=\"") + verdict_css_class(it->second) + (unexpected || it->second == Verdict::Pass ? "" : " exp") +
             "\"><a href=\"#case-" + html_escape(c->id) + "\">" + cell_text(it->second) + "</a></td>";
        md += std::string(" ") + cell_text(it->second) + (unexpected ? "" : (it->second == Verdict::Pass ? "" : " (expected)")) + " |";
      }
      h += "</tr>\n";
      md += "\n";
    }
  }
  h += "</tbody></table>\n<h2>Cases</h2>\n";
  auto linkify = [&](const std::string& text) { return html_linkified(text, out.string(), suite.cases_dir); };
  auto join = [](const std::vector<std::string>& items) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + item;
    return joined;
  };
  for (const Case* c : rows) {
    std::string notes;
    for (const auto& n : c->see) notes += (notes.empty() ? "" : ", ") + n;
    const std::string url = spec_url(c->spec_document, c->spec_anchor);
    h += "<details id=\"case-" + html_escape(c->id) + "\"><summary><code>" + html_escape(c->id) + "</code> " +
         html_escape(c->title) + "</summary><pre>requirement: " + html_escape(c->requirement) + "\nspec: " +
         html_escape(c->spec_document + " #" + c->spec_anchor) + (url.empty() ? "" : "  " + linkify(url)) +
         "\n      \"" + html_escape(c->spec_quote) + "\"\n" + (notes.empty() ? "" : "notes: " + linkify(notes) + "\n") +
         (c->aliases.empty() ? "" : "former ids: " + html_escape(join(c->aliases)) + "\n") +
         "input: " + html_escape(input_text(*c)) + "\n";
    std::set<Profile> shown;
    for (const Column& col : columns) {
      if (!col.verdicts.count(c->id) || shown.count(col.profile)) continue;
      shown.insert(col.profile);
      h += "expected under " + std::string(to_string(col.profile)) + ":\n" + linkify(expected_text(*c, col.profile)) + "\n";
    }
    for (const Column& col : columns) {
      auto it = col.details.find(c->id);
      if (it == col.details.end()) continue;
      h += "\n[" + html_escape(column_title(col)) + "] " + linkify(it->second);
    }
    h += "</pre></details>\n";
  }
  h += "<h2>Stacks</h2>\n";
  for (const Column& c : columns) {
    h += "<h3 id=\"traces-" + std::to_string(&c - columns.data()) + "\">" + html_escape(column_title(c)) + "</h3><pre>";
    h += "sut: " + html_escape(c.stack->sut.empty() ? "(traces only)" : c.stack->sut) + "\nname: " + html_escape(c.info.name) +
         " " + html_escape(c.info.version) + "\n";
    if (!c.stack->note.empty()) h += "note: " + html_escape(c.stack->note) + "\n";
    if (!c.error.empty()) h += "error: " + html_escape(c.error) + "\n";
    if (!c.summary.stack_diagnostics.empty()) h += "adapter stderr (tail):\n" + html_escape(c.summary.stack_diagnostics) + "\n";
    if (!c.traces_json.empty()) h += "check-trace results:\n" + html_escape(c.traces_json.substr(0, 20000)) + "\n";
    h += "</pre>\n";
  }
  h += "</body></html>\n";
  write_text(out / "matrix.html", h);
  write_text(out / "matrix.md", md);
  std::printf("wrote %s, %s and %s (%zu cases x %zu columns)\n", (out / "matrix.json").c_str(),
              (out / "matrix.html").c_str(), (out / "matrix.md").c_str(), rows.size(), columns.size());
  if (column_reports) {
    for (const Column& c : columns)
      if (!c.report_dir.empty())
        std::printf("  %-40s %s\n", column_title(c).c_str(), (out / c.report_dir / "report.html").c_str());
  }
  if (findings_view.written)
    std::printf("  %-40s %s\n", "by finding", (out / "findings" / "matrix.html").c_str());
  int code = kExitOk;
  for (const Column& c : columns) {
    if (!c.error.empty()) {
      std::fprintf(stderr, "compare: %s: %s\n", column_title(c).c_str(), c.error.c_str());
      code = kExitStackError;
    } else if ((c.summary.unexpected > 0 || c.traces_exit == 1) && code == kExitOk) {
      code = kExitUnexpected;
    }
  }
  for (const std::string& fresh : findings_view.new_findings)
    std::fprintf(stderr, "compare: new finding (not in the expectations' \"findings\"): %s\n", fresh.c_str());
  if (findings_view.stack_error) code = kExitStackError;
  else if (!findings_view.new_findings.empty() && code == kExitOk) code = kExitUnexpected;
  std::fflush(stderr);
  std::printf("open %s\n", (out / "matrix.html").c_str());
  return code;
}

}  // namespace connstate::cli
