// run_commands.cpp — `run`, `list` and `expectations`: the conformance runner's CLI.
#include <csignal>
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <unistd.h>

#include "commands.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/reports.h"
#include "connstate/harness/runner.h"
#include "connstate/harness/version.h"

namespace connstate::cli {
using namespace connstate::harness;
namespace fs = std::filesystem;

Profile profile_option(const ArgParser& p, Profile fallback);  // reference_commands.cpp

namespace {

volatile bool g_stop = false;
extern "C" void on_signal(int) { g_stop = true; }

void add_selection_options(ArgParser& p) {
  p.option("cases", "PATTERN", "select case ids by glob, e.g. 'pcs.*' or 'exhaustive.open.*'", true)
      .option("tag", "T", "select cases with tag or section T", true)
      .option("exclude", "PATTERN", "leave out case ids matching the glob", true);
  add_suite_options(p);
}

Suite load(const ArgParser& p) { return load_suite_from(p, /*stream_generated=*/true); }

Selection selection(const ArgParser& p) { return {p.values("cases"), p.values("tag"), p.values("exclude")}; }

std::string selection_text(const Selection& s) {
  std::string out;
  for (const auto& c : s.patterns) out += " --cases '" + c + "'";
  for (const auto& t : s.tags) out += " --tag '" + t + "'";
  for (const auto& e : s.exclude) out += " --exclude '" + e + "'";
  return out.empty() ? out : out.substr(1);
}

// A filter that selects nothing is a mistake (a typo in a CI job must not be a green build):
// a pattern or tag that matches no case of the suite, or a selection empty for the profile.
void check_selection(const Suite& suite, const Selection& sel, Profile profile, std::size_t selected_count) {
  const std::string hint = "; 'connstate list' shows the case ids, sections and tags";
  for (const auto& pattern : sel.patterns)
    if (!any_case(suite, [&](const Case& c) { return c.matches(pattern); }))
      throw UsageError("--cases '" + pattern + "' matches no case" + hint +
                       (pattern.starts_with("exhaustive") || pattern.starts_with("seq")
                            ? " (generated ids depend on --exhaustive and --sequence-depth)"
                            : ""));
  for (const auto& tag : sel.tags)
    if (!any_case(suite, [&](const Case& c) {
          return c.section == tag || std::find(c.tags.begin(), c.tags.end(), tag) != c.tags.end();
        }))
      throw UsageError("--tag '" + tag + "' matches no case (neither a tag nor a section)" + hint);
  if (selected_count == 0)
    throw UsageError("no case of profile " + std::string(to_string(profile)) + " is selected by " + selection_text(sel) +
                     hint + " ('connstate list --profile " + std::string(to_string(profile)) + "' for this profile)");
}

// Whether an expectations key matches some case of the suite (any profile): a key that matches
// none is a typo or a case that is gone.
std::function<bool(const Expectation&)> matches_some_case(const Suite& suite) {
  auto ids = std::make_shared<std::set<std::string_view>>();
  for (const Case& c : suite.cases) {
    ids->insert(c.id);
    ids->insert(c.aliases.begin(), c.aliases.end());
  }
  return [&suite, ids](const Expectation& e) {
    if (!e.is_glob()) return ids->count(e.key) > 0 || any_case(suite, [&](const Case& c) { return c.id == e.key; });
    return any_case(suite, [&](const Case& c) { return c.matches(e.key); });
  };
}

// Warnings go to stderr; what was already printed on stdout comes first.
void warn(const std::string& text) {
  std::fflush(stdout);
  std::fprintf(stderr, "connstate run: warning: %s\n", text.c_str());
}

// The one block a stack that could not be started gets, instead of one per case.
void print_start_failure(const std::string& sut, const StackError& e, std::size_t cases) {
  std::string block = "\nERROR the stack under test could not be started: " + sut + "\n  reason:      " + e.what() + "\n";
  std::size_t start = 0;
  while (start < e.evidence.size()) {
    const std::size_t nl = e.evidence.find('\n', start);
    block += (start ? "               " : "  evidence:    ") +
             e.evidence.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  block += "  every selected case (" + std::to_string(cases) + ") is reported as error; exit code 3\n";
  std::fputs(block.c_str(), stdout);
  std::fflush(stdout);
}

void progress_line(std::size_t done, std::size_t total, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  std::fprintf(stderr, "\r[%zu/%zu] %.0f cases/s, ETA %.0f s   ", done, total, rate, eta);
  if (done == total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace

void add_suite_options(ArgParser& p) {
  p.option("exhaustive", "N", "generated snapshots of at most N transports (0-8, default 3; N=4: 164,502 cases, "
                              "5: 1.3 M, 6: 9.0 M)")
      .option("sequence-depth", "N", "generated step sequences of length N over 2 transports (0-8, default 4; "
                                     "6: 1.1 M cases)")
      .option("cases-dir", "DIR", "case files (default: $CONNSTATE_CASES_DIR, the installed suite or the source tree)");
}

Suite load_suite_from(const ArgParser& p, bool stream_generated) {
  LoadOptions lo;
  lo.stream_generated = stream_generated;
  // The generated suites are streamed: their size costs time, not memory.
  if (auto v = p.value("exhaustive")) lo.exhaustive_depth = static_cast<int>(parse_count("exhaustive", *v, 0, 8));
  if (auto v = p.value("sequence-depth"))
    lo.sequence_depth = static_cast<int>(parse_count("sequence-depth", *v, 0, 8));
  return load_suite(p.value_or("cases-dir", default_cases_dir()), lo);
}

int run(const Args& args) {
  ArgParser p("connstate run",
              "connstate run [--sut SUT] [--profile ID] [--cases PATTERN...] [--tag T] [--strict]\n"
              "                     [--expectations FILE] [--report-dir DIR] [--junit FILE] [--json FILE] [--markdown FILE]",
              "Runs the conformance cases against a stack under test and gives each a verdict:\n"
              "pass, non-strict, informational, fail, error (the stack misbehaved) or unsupported (it declined).\n"
              "The pass outcome of every case is what the reference computes under --profile; case files may\n"
              "list other acceptable outcomes with their verdicts.");
  p.option("sut", "SUT", "stack under test: reference:<profile> (default reference:rec-2025)")
      .option("profile", "ID", "profile whose cases and answers are expected (default: the reference's profile, "
                               "else rec-2025)")
      .option("strict", "", "count non-strict results as failures")
      .option("expectations", "FILE", "known results of this stack; only unexpected results fail the run")
      .option("fail-on-unexpected-pass", "", "with --expectations: a case that passes where the file expects a "
                                             "failure fails the run too (default: it is reported, and the run passes)")
      .option("report-dir", "DIR", "write results.json, junit.xml, report.md, report.html, findings.json and findings/ "
                                   "(docs/findings.md) into DIR")
      .option("no-findings", "", "with --report-dir: do not group the results into findings")
      .option("json", "FILE", "write the JSON results here (written incrementally)")
      .option("junit", "FILE", "write JUnit XML here")
      .option("markdown", "FILE", "write a Markdown summary here")
      .option("shard", "I/N", "run only part I of N of the selected cases (every N-th case from the I-th), e.g. one "
                              "job of a CI matrix; 'connstate merge' joins the shards' results")
      .option("html", "FILE", "write the HTML report here")
      .option("max-details", "N", "print at most N unexpected results on the console (default 20)")
      .option("quiet", "", "no progress and no per-case output; the summary only")
      .option("exit-zero", "", "exit 0 even with unexpected results (still 2/3 for usage/stack errors)")
      .option("window", "N", "exec: requests in flight (default 64)")
      .option("request-timeout-ms", "MS", "exec: an answer must come within MS (default 5000)")
      .option("start-timeout-ms", "MS", "exec: the answer to hello must come within MS (default 30000)")
      .option("run-timeout-s", "S", "exec: the whole run must end within S seconds (default: no limit)")
      .option("max-restarts", "N", "exec: restarts after a crash, hang or protocol error (default 5)")
      .option("max-line-bytes", "N", "exec: longest response line accepted (default 1048576)");
  add_selection_options(p);
  p.epilog("SUT: reference:<profile> | plugin:<path.so> (C ABI, harness/include/connstate/plugin.h) |\n"
           "     exec:<command line> (run as /bin/sh -c '<command line>': environment assignments,\n"
           "     'cd DIR && …', quoting and $VARS work; protocol 1 on stdin/stdout, docs/adapter-protocol.md)\n\n"
           "With --expectations, a case that now passes where the file expects a failure is an unexpected\n"
           "pass: reported (\"PASS (unexpected: expected fail)\") with the command that updates the file, and\n"
           "the run still passes unless --fail-on-unexpected-pass. The run warns (stderr and report header)\n"
           "about TODO reasons, keys that match no case and a file written for another profile.\n\n"
           "exit codes: 0 no unexpected result; 1 unexpected results (including error verdicts from a\n"
           "misbehaving adapter); 2 bad usage or bad input files, or a selection (--cases, --tag) that\n"
           "matches no case (nothing is run); 3 the stack under test could not be started, or broke more\n"
           "than --max-restarts times (reports are still complete).");
  if (!p.parse(args)) return kExitOk;
  if (!p.positionals().empty()) throw UsageError("unexpected argument '" + p.positionals()[0] + "'");

  Suite suite = load(p);
  StackOptions so;
  if (auto v = p.value("window")) so.window = static_cast<std::size_t>(parse_count("window", *v, 1, 65536));
  if (auto v = p.value("request-timeout-ms"))
    so.request_timeout_ms = static_cast<int>(parse_count("request-timeout-ms", *v, 1, 3600000));
  if (auto v = p.value("start-timeout-ms"))
    so.start_timeout_ms = static_cast<int>(parse_count("start-timeout-ms", *v, 1, 3600000));
  if (auto v = p.value("run-timeout-s")) so.run_timeout_s = static_cast<int>(parse_count("run-timeout-s", *v, 0, 604800));
  if (auto v = p.value("max-restarts")) so.max_restarts = static_cast<int>(parse_count("max-restarts", *v, 0, 1000));
  if (auto v = p.value("max-line-bytes"))
    so.max_line_bytes = static_cast<std::size_t>(parse_count("max-line-bytes", *v, 64, 1ll << 32));
  const std::string sut = p.value_or("sut", "reference:" + std::string(to_string(kDefaultProfile)));
  profile_option(p, kDefaultProfile);  // a bad --profile is a usage error before anything starts
  std::optional<Expectations> expectations;
  if (auto f = p.value("expectations")) expectations = Expectations::load(*f);
  if (p.has("fail-on-unexpected-pass") && !expectations)
    throw UsageError("--fail-on-unexpected-pass needs --expectations FILE");
  std::unique_ptr<StackUnderTest> stack;
  std::optional<StackError> start_failure;
  try {
    stack = make_stack(sut, so);
  } catch (const StackError& e) {
    // Still run, so that every report is complete: each case gets `error` with the reason.
    start_failure = e;
    stack = make_unavailable_stack(sut, e);
  }
  const Profile profile = profile_option(p, stack->info().reference_profile.value_or(kDefaultProfile));
  Shard shard;
  if (auto v = p.value("shard")) {
    const auto parsed = parse_shard(*v);
    if (!parsed) throw UsageError("--shard '" + *v + "' is not I/N with 1 <= I <= N (e.g. --shard 2/8)");
    shard = *parsed;
  }
  const std::size_t selected_count = count_selected(suite, selection(p), profile);
  check_selection(suite, selection(p), profile, selected_count);
  const std::size_t shard_count =
      selected_count > shard.index ? (selected_count - shard.index + shard.count - 1) / shard.count : 0;
  RunHeader header;
  header.tool_version = tool_version();
  header.suite_version = suite.suite_version;
  header.profile = std::string(to_string(profile));
  header.stack = stack->info();
  header.date = utc_now();
  header.strict = p.has("strict");
  header.expectations_file = p.value_or("expectations", "");
  header.selected = shard_count;
  if (shard.count > 1) header.shard = shard;
  header.cases_dir = suite.cases_dir;
  header.fail_on_unexpected_pass = p.has("fail-on-unexpected-pass");
  if (expectations) {
    header.warnings = review_expectations(*expectations, header.profile);
    if (std::string w = unmatched_keys_warning(*expectations, matches_some_case(suite), "no case"); !w.empty())
      header.warnings.push_back(std::move(w));
  }
  for (const auto& w : header.warnings) warn(w);
  if (start_failure) print_start_failure(sut, *start_failure, shard_count);

  std::vector<std::unique_ptr<ResultSink>> sinks;
  std::string json = p.value_or("json", ""), junit = p.value_or("junit", ""), md = p.value_or("markdown", ""),
              html = p.value_or("html", "");
  if (auto dir = p.value("report-dir")) {
    std::error_code ec;
    fs::create_directories(*dir, ec);
    if (ec) throw UsageError("cannot create --report-dir " + *dir + ": " + ec.message());
    if (json.empty()) json = (fs::path(*dir) / "results.json").string();
    if (junit.empty()) junit = (fs::path(*dir) / "junit.xml").string();
    if (md.empty()) md = (fs::path(*dir) / "report.md").string();
    if (html.empty()) html = (fs::path(*dir) / "report.html").string();
  }
  header.results_file = json;
  try {
    if (!json.empty()) sinks.push_back(make_json_report(json));
    if (!junit.empty()) sinks.push_back(make_junit_report(junit));
    if (!md.empty()) sinks.push_back(make_markdown_report(md));
    if (!html.empty()) sinks.push_back(make_html_report(html));
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  const bool quiet = p.has("quiet");
  const std::size_t max_details =
      static_cast<std::size_t>(parse_count("max-details", p.value_or("max-details", "20"), 0, 1000000));
  // A stack that could not start got its one block above: no block per case.
  sinks.push_back(make_console_report(stdout, quiet || start_failure ? 0 : max_details));
  std::vector<ResultSink*> raw;
  for (auto& s : sinks) raw.push_back(s.get());

  RunOptions ro;
  ro.profile = profile;
  ro.strict = header.strict;
  ro.expectations = expectations ? &*expectations : nullptr;
  ro.fail_on_unexpected_pass = header.fail_on_unexpected_pass;
  ro.stop = &g_stop;
  if (!quiet && isatty(fileno(stderr))) {
    const auto start = std::chrono::steady_clock::now();
    ro.progress = [start](std::size_t done, std::size_t total) {
      progress_line(done, total, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  RunSummary summary;
  try {
    CaseStream cases(suite, selection(p), profile, shard);
    summary = run_cases(cases, shard_count, *stack, ro, header, raw);
  } catch (const StackError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "connstate run: the stack under test could not be run: %s\n", e.what());
    return kExitStackError;
  }
  for (const auto& [path, what] : {std::pair{json, "JSON"}, {junit, "JUnit"}, {md, "Markdown"}, {html, "HTML"}})
    if (!path.empty() && !quiet) std::printf("  %s report: %s\n", what, path.c_str());
  std::fflush(stdout);
  if (start_failure) {
    std::fprintf(stderr, "connstate run: the stack under test could not be started (see above); exit code 3\n");
    return kExitStackError;
  }
  if (stack->gave_up()) {
    std::fprintf(stderr, "connstate run: the stack under test broke too often and was given up on; the remaining "
                         "cases are errors (see the reports); exit code 3\n");
    return kExitStackError;
  }
  if (auto dir = p.value("report-dir"); dir && !summary.interrupted && !p.has("no-findings"))
    write_run_findings(json, *stack, *dir);
  if (summary.interrupted) return kExitUnexpected;
  if (summary.unexpected > 0 && !p.has("exit-zero")) return kExitUnexpected;
  return kExitOk;
}

int list(const Args& args) {
  ArgParser p("connstate list", "connstate list [--cases PATTERN...] [--tag T] [--profile ID] [--dry-run] [--json]",
              "Lists the cases: id, kind, section, tags and title. Loading validates every case file\n"
              "(exit 2 with file:line:column on the first problem).");
  p.option("profile", "ID", "only cases that apply to this profile")
      .option("dry-run", "", "print counts only (per section and kind)")
      .option("json", "", "one JSON object per case");
  add_selection_options(p);
  if (!p.parse(args)) return kExitOk;
  const Suite suite = load(p);
  const Selection sel = selection(p);
  std::optional<Profile> profile;
  if (p.has("profile")) profile = profile_option(p, kDefaultProfile);
  std::map<std::string, std::array<std::size_t, 2>> per_section;
  std::size_t n = 0;
  any_case(suite, [&](const Case& c) {  // every case, generated ones included, one at a time
    if (!selected(c, sel) || (profile && !c.applies_to(*profile))) return false;
    ++n;
    ++per_section[c.section][c.kind == CaseKind::Snapshot ? 0 : 1];
    if (p.has("dry-run")) return false;
    if (p.has("json")) {
      std::string o = "{\"id\":" + json_string(c.id) + ",\"kind\":\"" +
                      (c.kind == CaseKind::Snapshot ? "snapshot" : "sequence") + "\",\"section\":" +
                      json_string(c.section) + ",\"title\":" + json_string(c.title) + ",\"profiles\":[";
      bool first = true;
      for (const auto& i : kProfiles)
        if (c.applies_to(i.profile)) {
          o += std::string(first ? "" : ",") + json_string(i.id);
          first = false;
        }
      auto list = [&](const std::vector<std::string>& items) {
        std::string a = "[";
        for (std::size_t i = 0; i < items.size(); ++i) a += (i ? "," : "") + json_string(items[i]);
        return a + "]";
      };
      o += "],\"tags\":" + list(c.tags) + ",\"aliases\":" + list(c.aliases) + ",\"see\":" + list(c.see);
      o += ",\"file\":" + json_string(c.file) + ",\"line\":" + std::to_string(c.line) + "}\n";
      std::fputs(o.c_str(), stdout);
    } else {
      std::string tags;
      for (const auto& t : c.tags) tags += (tags.empty() ? "" : ",") + t;
      std::printf("%-48s %-8s %-20s %-24s %s\n", c.id.c_str(), c.kind == CaseKind::Snapshot ? "snapshot" : "sequence",
                  c.section.c_str(), tags.c_str(), c.title.c_str());
    }
    return false;
  });
  if (p.has("dry-run")) {
    for (const auto& [sec, k] : per_section) std::printf("%-24s %7zu snapshot %7zu sequence\n", sec.c_str(), k[0], k[1]);
    std::printf("%zu cases selected (%zu hand-written in the suite, suite version %s)\n", n, suite.hand_written,
                suite.suite_version.c_str());
  }
  return kExitOk;
}

namespace {

// One result of a results file, for `expectations update`.
struct Outcome {
  std::string id;
  Verdict verdict;
  const Expectation* kept_glob = nullptr;  // an existing glob that still covers it
  const Expectation* old_entry = nullptr;  // the existing exact entry for this id
};

// Where an id may be cut for a glob: after each '.', '/' or '#' ("ice.order-failed" -> "ice.").
std::vector<std::string> group_prefixes(const std::string& id) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < id.size(); ++i)
    if (id[i] == '.' || id[i] == '/' || id[i] == '#') out.push_back(id.substr(0, i + 1));
  return out;
}

std::string entry_line(const std::string& key, const std::vector<Verdict>& verdicts, const std::string& reason,
                       const std::string& bug) {
  std::string v;
  for (Verdict x : verdicts) v += (v.empty() ? "" : ", ") + json_string(to_string(x));
  std::string line = "    " + json_string(key) + ": {\"verdict\": " + (verdicts.size() == 1 ? v : "[" + v + "]") +
                     ", \"reason\": " + json_string(reason);
  if (!bug.empty()) line += ", \"bug\": " + json_string(bug);
  return line + "}";
}

}  // namespace

int expectations(const Args& args) {
  ArgParser p("connstate expectations", "connstate expectations update RESULTS.json [-o FILE]",
              "Writes (or refreshes) an expectations file from a results file (connstate run --json, or\n"
              "check-trace --json): an entry for every result whose verdict was not pass, and the profile of\n"
              "the run (a run with another profile warns).\n\n"
              "Groups: where every result under an id prefix has the same verdict (and, when refreshing, the\n"
              "same reason), one glob covers them: the prefix ends at a '.', '/' or '#', holds at least two\n"
              "results, and the shortest such prefix wins; e.g. when every exhaustive.closed.* case fails,\n"
              "the file says \"exhaustive.closed.*\": fail. Any other result is its own entry. Keys are sorted.\n\n"
              "Refreshing (-o FILE that exists): reasons and bug links of entries kept are kept; an existing\n"
              "glob that still covers a result with one of its verdicts is kept as it is; new entries get the\n"
              "reason \"TODO: …\", which every run warns about until it is filled in. The file's \"findings\"\n"
              "(known findings, for 'connstate findings --expectations'), \"comment\" and \"$schema\" are kept as\n"
              "they are.");
  p.option("o", "FILE", "the expectations file to write (default: stdout); existing entries' reasons are kept")
      .positional("update", "the action (the only one)")
      .positional("RESULTS.json", "a results file from 'connstate run --json' or 'connstate check-trace --json'");
  if (!p.parse(args)) return kExitOk;
  const auto& pos = p.positionals();
  if (pos.size() != 2 || pos[0] != "update") throw UsageError("usage: connstate expectations update RESULTS.json [-o FILE]");
  const std::string text = read_file(pos[1]);
  const json::value doc = parse_document(text, pos[1]);
  const std::string out_path = p.value_or("o", "");
  std::optional<Expectations> existing;
  if (!out_path.empty() && fs::exists(out_path)) existing = Expectations::load(out_path);
  std::string stack, profile;
  std::vector<Outcome> outcomes;
  try {
    const json::object& o = as_object(doc, "");
    const json::object& h = as_object(require(o, "header", ""), "/header");
    profile = require_string(h, "profile", "/header");
    stack = require_string(as_object(require(h, "stack", "/header"), "/header/stack"), "sut", "/header/stack");
    const json::array& results = as_array(require(o, "results", ""), "/results");
    for (std::size_t i = 0; i < results.size(); ++i) {
      const std::string at = pointer_join("/results", i);
      const json::object& r = as_object(results[i], at);
      const std::string verdict = require_string(r, "verdict", at);
      const auto v = parse_verdict(verdict);
      if (!v) throw FieldError(pointer_join(at, "verdict"), "unknown verdict " + verdict);
      outcomes.push_back({require_string(r, "id", at), *v});
    }
  } catch (const FieldError& e) {
    const Position pos2 = locate(text, e.pointer);
    throw InputError(pos[1], pos2.line, pos2.column, e.what());
  }

  std::set<const Expectation*> kept_globs;
  // An entry written for a case's former id (an alias) is that case's exact entry: it is rewritten
  // under the current id with its reason.
  std::optional<Suite> hand_written;
  if (existing) hand_written = load_suite(default_cases_dir(), LoadOptions{0, 0});
  for (Outcome& r : outcomes) {
    if (r.verdict == Verdict::Pass || !existing) continue;
    const Case* c = find_case(*hand_written, r.id);
    const Expectation* e = c ? existing->find(*c) : existing->find(r.id);
    if (e && e->is_glob() && e->lists(r.verdict)) {
      r.kept_glob = e;
      kept_globs.insert(e);
    } else if (e && !e->is_glob()) {
      r.old_entry = e;
    }
  }
  // A prefix can be one glob when every result under it is a new (not glob-covered) non-pass
  // result with one verdict and one old reason.
  struct Group {
    std::size_t count = 0;
    bool uniform = true;
    Verdict verdict = Verdict::Pass;
    const Expectation* old_entry = nullptr;
  };
  std::map<std::string, Group> groups;
  auto same_reason = [](const Expectation* a, const Expectation* b) {
    return a == b || (a && b && a->reason == b->reason && a->bug == b->bug);
  };
  for (const Outcome& r : outcomes) {
    const bool candidate = r.verdict != Verdict::Pass && !r.kept_glob;
    for (const std::string& prefix : group_prefixes(r.id)) {
      Group& g = groups[prefix];
      if (!candidate || (g.count && (g.verdict != r.verdict || !same_reason(g.old_entry, r.old_entry))))
        g.uniform = false;
      if (!g.count) {
        g.verdict = r.verdict;
        g.old_entry = r.old_entry;
      }
      ++g.count;
    }
  }
  const std::string todo = "TODO: explain why (spec says X, stack does Y)";
  std::map<std::string, std::string> lines;  // key -> line, sorted by key
  std::size_t in_globs = 0, todo_count = 0;
  for (const Outcome& r : outcomes) {
    if (r.verdict == Verdict::Pass || r.kept_glob) continue;
    std::string key = r.id;
    for (const std::string& prefix : group_prefixes(r.id)) {
      const Group& g = groups.at(prefix);
      if (g.uniform && g.count >= 2) {
        key = prefix + "*";
        ++in_globs;
        break;
      }
    }
    if (lines.count(key)) continue;
    const std::string reason = r.old_entry ? r.old_entry->reason : todo;
    todo_count += reason == todo;
    lines[key] = entry_line(key, {r.verdict}, reason, r.old_entry ? r.old_entry->bug : "");
  }
  for (const Expectation* e : kept_globs) lines[e->key] = entry_line(e->key, e->verdicts, e->reason, e->bug);

  // What the results do not decide is the file's own: its schema link, its comment and its known
  // findings (docs/findings.md, "Gating CI on findings") are written back as they were.
  json::object kept_fields;
  if (existing) kept_fields = parse_document(read_file(out_path), out_path).as_object();
  std::string o = "{\n";
  for (const char* field : {"$schema", "comment"})
    if (const json::value* v = kept_fields.if_contains(field))
      o += "  " + json_string(field) + ": " + json::serialize(*v) + ",\n";
  o += "  \"stack\": " + json_string(stack) + ",\n  \"profile\": " + json_string(profile) + ",\n  \"expectations\": {";
  bool first = true;
  for (const auto& [key, line] : lines) {
    o += std::string(first ? "" : ",") + "\n" + line;
    first = false;
  }
  o += "\n  }";
  std::size_t known_findings = 0;
  if (const json::value* findings = kept_fields.if_contains("findings"); findings && findings->is_object()) {
    o += ",\n  \"findings\": {";
    first = true;
    for (const auto& kv : findings->get_object()) {
      o += std::string(first ? "" : ",") + "\n    " + json_string(std::string(kv.key())) + ": " + json::serialize(kv.value());
      first = false;
      ++known_findings;
    }
    o += first ? "}" : "\n  }";
  }
  o += "\n}\n";
  if (out_path.empty()) {
    std::fputs(o.c_str(), stdout);
  } else {
    std::FILE* f = std::fopen(out_path.c_str(), "wb");
    if (!f) throw UsageError("cannot write " + out_path);
    std::fputs(o.c_str(), f);
    std::fclose(f);
  }
  std::fprintf(stderr, "%s %zu expectation(s) (%zu result(s) under new globs, %zu existing glob(s) kept)%s for profile %s%s\n",
               out_path.empty() ? "wrote" : ("wrote " + out_path + ":").c_str(), lines.size(), in_globs,
               kept_globs.size(),
               known_findings ? (", " + std::to_string(known_findings) + " known finding(s) kept").c_str() : "",
               profile.c_str(),
               todo_count ? ("; " + std::to_string(todo_count) + " reason(s) are TODO: fill them in").c_str() : "");
  return kExitOk;
}

}  // namespace connstate::cli
