// trace_commands.cpp — `check-trace` (recorded traces against the spec) and `import` (dumps to traces).
#include <csignal>
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <unistd.h>

#include "commands.h"
#include "connstate/findings/findings.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"
#include "connstate/trace/trace.h"
#include "connstate/trace/trace_reports.h"
#include "connstate/trace/webrtc_internals.h"

namespace connstate::cli {
using namespace connstate::harness;
using namespace connstate::trace;
namespace fs = std::filesystem;

Profile profile_option(const ArgParser& p, Profile fallback);  // reference_commands.cpp

namespace {
volatile bool g_trace_stop = false;
extern "C" void on_trace_signal(int) { g_trace_stop = true; }

// Whether a file is a webrtc-internals dump (by its content: connstate::trace::looks_like_dump);
// a trace's first line is complete within the first MiB (longer lines are refused anyway).
bool is_webrtc_internals_dump(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::string prefix(std::size_t{1} << 20 | 1, '\0');
  prefix.resize(std::fread(prefix.data(), 1, prefix.size(), f));
  std::fclose(f);
  return looks_like_dump(prefix);
}

std::string read_dump(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxDumpBytes)
    throw InputError(path, 0, 0, "the file is larger than " + std::to_string(kMaxDumpBytes >> 20) + " MiB");
  return read_file(path);
}

// Writes `text` to `path` whole or not at all: a temporary file beside it, renamed over it.
void write_atomically(const std::string& path, const std::string& text) {
  const fs::path target(path);
  const fs::path temp = target.parent_path() / (target.filename().string() + ".tmp" + std::to_string(::getpid()));
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (!f) throw UsageError("cannot write " + path);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw UsageError("cannot write " + path);
  }
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw UsageError("cannot write " + path + ": " + ec.message());
  }
}

// The names an expectation key may give a trace file: its id (relative to --root) and every tail
// of its absolute path ("…/cases/traces/chromium/connect", "traces/chromium/connect",
// "chromium/connect", "connect"), longest first, without .jsonl. So "chromium/connect#a" keeps
// naming that recording whatever the working directory or --root.
std::vector<std::string> trace_names(const std::string& file, const std::string& id) {
  std::vector<std::string> out{id};
  if (file == "-") return out;
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(file, ec), ec);
  p.replace_extension();
  std::vector<std::string> parts;
  for (const auto& part : p.relative_path()) parts.push_back(part.string());
  for (std::size_t first = 0; first < parts.size(); ++first) {
    std::string tail;
    for (std::size_t i = first; i < parts.size(); ++i) tail += (i > first ? "/" : "") + parts[i];
    if (tail != id) out.push_back(tail);
  }
  return out;
}
// `--report-dir`: the run's departures as findings (docs/findings.md, "Findings from traces"), read back
// from the JSON results just written, each with its minimal trace excerpt.
void write_trace_findings(const std::string& results_json, const std::string& root, const std::string& report_dir,
                          const std::string& expectations_file) {
  std::vector<findings::StackRun> runs{findings::read_trace_results(results_json, root)};
  std::vector<findings::Finding> all = findings::group_findings(runs);
  for (findings::Finding& f : all)
    for (findings::Occurrence& o : f.stacks) findings::reproduce_from_trace(f, o);
  const std::map<std::string, std::string> known =
      expectations_file.empty() ? std::map<std::string, std::string>{} : findings::read_known_findings(expectations_file);
  const fs::path dir(report_dir);
  write_atomically((dir / "findings.json").string(), findings::findings_json(all, known));
  findings::write_report_dir(all, known, (dir / "findings").string());
  std::printf("  findings: %zu (%s, %s/<stack>/index.md)\n", all.size(), (dir / "findings.json").string().c_str(),
              (dir / "findings").string().c_str());
}
}  // namespace

int check_trace(const Args& args) {
  ArgParser p("connstate check-trace",
              "connstate check-trace [--profile ID] [--reorder-window-ms N] [--expectations FILE] [--strict]\n"
              "                            [--root DIR] [--report-dir DIR] [--json F] [--junit F] [--markdown F]\n"
              "                            [--html F] [--no-findings] FILE...",
              "Checks recorded traces (format 1, docs/trace-format.md) against the spec: per peer connection,\n"
              "the transport state changes are replayed through the reference model and the events the stack\n"
              "delivered are compared with the events the spec requires. Findings: wrong-value, missing, extra,\n"
              "duplicate, wrong-order (reordered within the window), after-close, not-closed-after-close,\n"
              "illegal-transition; each with its t_ms, line, expected vs observed and the rule (id + quote).\n"
              "Input problems are reported as FILE:LINE: message and the check goes on where it is safe.\n"
              "A pc whose transport changes the trace does not show (a sampled or partial trace, or none at\n"
              "all) is judged by what its events imply: impossible, needs-unshown-state, unexplained-sample.\n"
              "A chrome://webrtc-internals dump (docs/webrtc-internals.md) is recognised by its content and\n"
              "imported first. FILE '-' reads stdin. Traces are streamed (constant memory).");
  p.option("profile", "ID", "spec profile (default rec-2025; see 'connstate profiles')")
      .option("reorder-window-ms", "N", "tolerate delivery skew up to N ms between a transport change and the pc "
                                        "events it causes (non-strict instead of fail; default 0)")
      .option("expectations", "FILE", "known verdicts, keyed by '<trace>#<pc>' where <trace> is the end of the "
                                      "trace file's path without .jsonl, e.g. chromium/connect#a (globs allowed)")
      .option("strict", "", "count non-strict results as failures")
      .option("root", "DIR", "result ids are file paths relative to DIR, without .jsonl (default: the current dir)")
      .option("report-dir", "DIR", "write trace-results.json, trace-junit.xml, trace-report.md, trace-report.html,\n"
                                   "and the findings: findings.json and findings/ (docs/findings.md)")
      .option("no-findings", "", "with --report-dir: do not write findings.json and findings/")
      .option("json", "FILE", "write the JSON results here")
      .option("junit", "FILE", "write JUnit XML here")
      .option("markdown", "FILE", "write a Markdown summary here")
      .option("html", "FILE", "write the HTML report (with a timeline per pc) here")
      .option("max-findings", "N", "findings kept per pc (the rest are counted; default 1000)")
      .option("max-details", "N", "print the details of at most N unexpected results (default 20)")
      .option("quiet", "", "only the summary on stdout")
      .option("exit-zero", "", "exit 0 even with unexpected results")
      .positional("FILE", "trace files (JSON lines); '-' for stdin");
  p.epilog("exit codes: 0 no unexpected verdict; 1 unexpected verdicts (fail, error, or against the\n"
           "expectations); 2 bad usage, a file that cannot be opened, or a dump that cannot be imported.");
  if (!p.parse(args)) return kExitOk;
  if (p.positionals().empty()) throw UsageError("no trace file given (see --help)");

  CheckOptions options;
  options.profile = profile_option(p, kDefaultProfile);
  if (auto v = p.value("reorder-window-ms")) options.reorder_window_ms = parse_number("reorder-window-ms", *v, 0, 1e9);
  if (auto v = p.value("max-findings"))
    options.max_findings = static_cast<std::size_t>(parse_count("max-findings", *v, 0, 100000000));
  std::optional<Expectations> expectations;
  if (auto f = p.value("expectations")) expectations = Expectations::load(*f);
  const bool strict = p.has("strict");
  const std::string root = p.value_or("root", "");

  for (const auto& f : p.positionals())
    if (f != "-" && !fs::is_regular_file(f)) throw UsageError("cannot read trace file '" + f + "'");

  TraceRunHeader header;
  header.run.tool_version = tool_version();
  header.run.profile = std::string(to_string(options.profile));
  header.run.date = utc_now();
  header.run.strict = strict;
  header.run.expectations_file = p.value_or("expectations", "");
  header.run.selected = p.positionals().size();
  header.run.stack.sut = "check-trace";
  header.run.stack.name = "recorded traces";
  header.reorder_window_ms = options.reorder_window_ms;
  auto warn = [](const std::string& w) {
    std::fflush(stdout);
    std::fprintf(stderr, "connstate check-trace: warning: %s\n", w.c_str());
  };
  if (expectations) {
    // TODO reasons and the profile now; keys that match no trace once every trace is read.
    header.run.warnings = review_expectations(*expectations, header.run.profile);
    for (const auto& w : header.run.warnings) warn(w);
  }
  std::vector<std::vector<std::string>> checked_names;  // per pc: the names its result may have

  std::string json = p.value_or("json", ""), junit = p.value_or("junit", ""), md = p.value_or("markdown", ""),
              html = p.value_or("html", "");
  if (auto dir = p.value("report-dir")) {
    std::error_code ec;
    fs::create_directories(*dir, ec);
    if (ec) throw UsageError("cannot create --report-dir " + *dir + ": " + ec.message());
    if (json.empty()) json = (fs::path(*dir) / "trace-results.json").string();
    if (junit.empty()) junit = (fs::path(*dir) / "trace-junit.xml").string();
    if (md.empty()) md = (fs::path(*dir) / "trace-report.md").string();
    if (html.empty()) html = (fs::path(*dir) / "trace-report.html").string();
  }
  std::vector<std::unique_ptr<TraceSink>> sinks;
  try {
    if (!json.empty()) sinks.push_back(make_trace_json_report(json));
    if (!junit.empty()) sinks.push_back(make_trace_junit_report(junit));
    if (!md.empty()) sinks.push_back(make_trace_markdown_report(md));
    if (!html.empty()) sinks.push_back(make_trace_html_report(html));
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  const bool quiet = p.has("quiet");
  const std::size_t max_details =
      static_cast<std::size_t>(parse_count("max-details", p.value_or("max-details", "20"), 0, 1000000));
  sinks.push_back(make_trace_console_report(stdout, quiet ? 0 : max_details));

  std::signal(SIGINT, on_trace_signal);
  std::signal(SIGTERM, on_trace_signal);
  for (auto& s : sinks) s->begin(header);
  RunSummary summary;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& file : p.positionals()) {
    if (g_trace_stop) {
      summary.interrupted = true;
      break;
    }
    const std::string display = file == "-" ? "<stdin>" : file;
    auto report_problem = [&](const InputProblem& pr) {
      std::fprintf(stderr, "%s:%zu: %s%s (%s)\n", display.c_str(), pr.line, pr.pc.empty() ? "" : ("pc " + pr.pc + ": ").c_str(),
                   pr.message.c_str(), pr.action.c_str());
    };
    TraceResult t;
    if (file != "-" && is_webrtc_internals_dump(file)) {
      // A dump is imported in memory first (docs/webrtc-internals.md); its line numbers are the trace's.
      const std::string trace = import_webrtc_internals(read_dump(file), file);  // throws InputError: exit 2
      t = check_text(trace, options, display + " (imported)", trace_id(file, root), report_problem);
    } else {
      std::FILE* in = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
      if (!in) throw UsageError("cannot open trace file '" + file + "'");
      t = check_stream(in, options, display, trace_id(file, root), report_problem);
      if (in != stdin) std::fclose(in);
    }
    const std::vector<std::string> names = trace_names(file, trace_id(file, root));
    for (PcResult& r : t.pcs) {
      std::vector<std::string> ids;
      const auto hash = r.id.rfind('#');
      const std::string pc = hash == std::string::npos ? std::string() : r.id.substr(hash);
      for (const auto& n : names) ids.push_back(n + pc);
      r.expectation = expectations ? expectations->find_any(ids) : nullptr;
      checked_names.push_back(std::move(ids));
      r.unexpected = is_unexpected(r.verdict, r.expectation, strict);
      ++summary.counts[static_cast<std::size_t>(r.verdict)];
      ++summary.total;
      summary.unexpected += r.unexpected;
    }
    for (auto& s : sinks) s->add(t);
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& s : sinks) s->end(header, summary);
  if (expectations && !summary.interrupted) {
    const auto matches_a_trace = [&](const Expectation& e) {
      return std::any_of(checked_names.begin(), checked_names.end(), [&](const std::vector<std::string>& ids) {
        return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) { return e.matches(id); });
      });
    };
    if (const std::string w = unmatched_keys_warning(*expectations, matches_a_trace, "no given trace"); !w.empty())
      warn(w);
  }
  for (const auto& [path, what] : {std::pair{json, "JSON"}, {junit, "JUnit"}, {md, "Markdown"}, {html, "HTML"}})
    if (!path.empty() && !quiet) std::printf("  %s report: %s\n", what, path.c_str());
  if (auto dir = p.value("report-dir"); dir && !p.has("no-findings") && !summary.interrupted)
    write_trace_findings(json, root, *dir, p.value_or("expectations", ""));
  if (summary.interrupted) return kExitUnexpected;
  if (summary.unexpected > 0 && !p.has("exit-zero")) return kExitUnexpected;
  return kExitOk;
}

int import_trace(const Args& args) {
  ArgParser p("connstate import", "connstate import webrtc-internals DUMP [-o TRACE.jsonl]",
              "Converts a chrome://webrtc-internals dump (the page's \"Download the webrtc-internals dump\",\n"
              "compressed or not) into a format-1 trace (docs/webrtc-internals.md): each PeerConnection's\n"
              "updateLog becomes its pc events, in log order, named by the pc's key; the iceState/dtlsState\n"
              "samples of its RTCTransportStats become `sample` lines of transport <key>.<stats id>. The\n"
              "trace says \"transport_events\": \"sampled\", so check-trace judges each pc by what its events\n"
              "imply (docs/trace-format.md, \"Partial traces\"). check-trace also reads a dump directly.");
  p.option("o", "FILE", "the trace to write, whole or not at all (default: stdout)")
      .positional("webrtc-internals", "the kind of input (the only one)")
      .positional("DUMP", "the dump file (.txt, .json, or the page's .gz)");
  p.epilog("exit codes: 0 imported; 2 bad usage, or a file that is not a dump or is damaged (the message names\n"
           "the place: FILE:LINE:COLUMN: /json/pointer: what is wrong).");
  if (!p.parse(args)) return kExitOk;
  const auto& pos = p.positionals();
  if (pos.size() != 2 || pos[0] != "webrtc-internals")
    throw UsageError("usage: connstate import webrtc-internals DUMP [-o TRACE.jsonl]");
  ImportSummary summary;
  const std::string trace = import_webrtc_internals(read_dump(pos[1]), pos[1], &summary);  // throws InputError
  const std::string out = p.value_or("o", "");
  if (out.empty()) std::fwrite(trace.data(), 1, trace.size(), stdout);
  else write_atomically(out, trace);
  std::fprintf(stderr, "import: %zu peer connection(s), %zu pc events (of %zu log entries), %zu transport samples%s\n",
               summary.pcs, summary.pc_events, summary.log_entries, summary.transport_samples,
               out.empty() ? "" : (" -> " + out).c_str());
  std::fprintf(stderr, "import: dump shape: %s\n", summary.shape.c_str());
  for (const auto& w : summary.warnings) std::fprintf(stderr, "import: warning: %s\n", w.c_str());
  return kExitOk;
}

}  // namespace connstate::cli
