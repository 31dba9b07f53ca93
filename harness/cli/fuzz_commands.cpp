// fuzz_commands.cpp — `fuzz` and `case-from-crash`: fuzzing campaigns against a stack, and findings as cases.
//
// `connstate fuzz` compares a stack with the reference on step sequences (the byte grammar of
// connstate/fuzzing/sequence_decoder.h) until --max-time, with one of two engines (the campaign
// engines are in harness/fuzzing, this file parses the options and prints the summary):
//   * libfuzzer  runs the coverage-guided fuzz_differential binary of a fuzzing build (the `fuzz`
//                preset); the default for plugin: stacks (in its process, so coverage guides it);
//                its crash inputs, replayed once to name them, are the findings;
//   * generator  a seeded random generator and mutator in this process, against any stack
//                (exec: adapters included) through connstate/fuzzing/differential.h.
// Either way the findings land in one folder (--findings), each input with a .finding.json
// sidecar (target, stack, profile, signature) and a .txt report, and the run exits 1.
//
// `connstate case-from-crash INPUT` turns such an input (or any fuzz_model/fuzz_differential
// input) into a regression case file for cases/, after --minimize if asked.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "connstate/fuzzing/campaign.h"
#include "connstate/fuzzing/case_writer.h"
#include "connstate/fuzzing/differential.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"

namespace connstate::cli {
using namespace connstate::harness;
namespace fs = std::filesystem;

Profile profile_option(const ArgParser& p, Profile fallback);  // reference_commands.cpp

namespace {

#ifdef CONNSTATE_FUZZ_SOURCE_DIR
constexpr const char* kFuzzSourceDir = CONNSTATE_FUZZ_SOURCE_DIR;
#else
constexpr const char* kFuzzSourceDir = "";
#endif
#ifdef CONNSTATE_FUZZER_DIR
constexpr const char* kFuzzerDir = CONNSTATE_FUZZER_DIR;
#else
constexpr const char* kFuzzerDir = "";
#endif

std::string find_libfuzzer_binary(const ArgParser& p) {
  if (auto f = p.value("fuzzer")) return fs::absolute(*f).string();  // the campaign runs in --findings
  if (*kFuzzerDir) {
    const fs::path bin = fs::path(kFuzzerDir) / "fuzz_differential";
    std::error_code ec;
    if (fs::exists(bin, ec)) return bin.string();
  }
  return {};
}

}  // namespace

int fuzz(const Args& args) {
  ArgParser p("connstate fuzz",
              "connstate fuzz --sut SUT [--profile ID] [--max-time S] [--jobs N] [--corpus DIR] [--findings DIR]\n"
              "                      [--engine auto|libfuzzer|generator] [--fuzzer PATH] [--seed N] [--keep-going]",
              "Fuzzes a stack under test against the reference: step sequences over up to 8 transports\n"
              "(the byte grammar of docs/fuzzing.md) are run on both, and every step's events and states are compared.\n"
              "A difference is a finding: its input goes into the findings folder with a report (.txt) and a\n"
              "sidecar (.finding.json); `connstate case-from-crash` turns it into a regression case.\n\n"
              "Engines: `libfuzzer` runs the coverage-guided fuzz_differential binary of a fuzzing build\n"
              "(`cmake --preset fuzz`), with the stack in its process (plugin:) or as its child (exec:);\n"
              "`generator` runs a seeded random generator and mutator in this process, against any stack.\n"
              "`auto` (default) picks libfuzzer for plugin: stacks when this build has the binary, else the\n"
              "generator (an exec: adapter's code is out of libFuzzer's sight, so coverage cannot guide it).");
  p.option("sut", "SUT", "stack under test: plugin:<path.so> or exec:<command line> (or reference:<profile>)")
      .option("profile", "ID", "the profile the stack follows (default rec-2025)")
      .option("max-time", "S", "stop after S seconds (default 60)")
      .option("jobs", "N", "parallel jobs: libFuzzer -fork=N, or N generator threads (default 1)")
      .option("corpus", "DIR", "inputs to start from and, with libfuzzer, to grow (default FINDINGS/corpus)")
      .option("findings", "DIR", "where findings are written (default ./fuzz-findings)")
      .option("engine", "E", "auto, libfuzzer or generator (default auto)")
      .option("fuzzer", "PATH", "the libFuzzer fuzz_differential binary (default: this build's, if any)")
      .option("seed", "N", "random seed (default: from the clock; printed)")
      .option("keep-going", "", "do not stop at the first finding (one input per kind of difference)")
      .option("no-seeds", "", "do not start from fuzz/seeds/fuzz_differential")
      .option("quiet", "", "no progress lines")
      .option("request-timeout-ms", "MS", "exec: an answer must come within MS (default 5000)")
      .option("max-restarts", "N", "exec: restarts after a crash, hang or protocol error (default 5)");
  p.epilog("Findings: FINDINGS/<input> (raw bytes), <input>.txt (the decoded sequence and both outcomes),\n"
           "<input>.finding.json (target, stack, profile, signature). Then:\n"
           "  connstate case-from-crash FINDINGS/<input> --minimize --out-dir cases/fuzz\n\n"
           "exit codes: 0 no finding; 1 findings; 2 bad usage; 3 the stack under test could not be run.");
  if (!p.parse(args)) return kExitOk;
  if (!p.positionals().empty()) throw UsageError("unexpected argument '" + p.positionals()[0] + "'");
  fuzz::Campaign c;
  c.sut = p.value_or("sut", "");
  if (c.sut.empty()) throw UsageError("--sut is required (plugin:<path.so> or exec:<command line>)");
  c.profile = profile_option(p, kDefaultProfile);
  c.max_time = parse_number("max-time", p.value_or("max-time", "60"), 1, 1e7);
  c.jobs = static_cast<unsigned>(parse_count("jobs", p.value_or("jobs", "1"), 1, 256));
  c.findings_dir = p.value_or("findings", "fuzz-findings");
  c.corpus_dir = p.has("corpus") ? fs::path(*p.value("corpus")) : c.findings_dir / "corpus";
  if (!p.has("no-seeds") && *kFuzzSourceDir) c.seed_dirs.push_back(fs::path(kFuzzSourceDir) / "seeds" / "fuzz_differential");
  if (*kFuzzSourceDir) c.dictionary = fs::path(kFuzzSourceDir) / "fuzz_differential.dict";
  c.keep_going = p.has("keep-going");
  c.progress = !p.has("quiet");
  c.tty = isatty(fileno(stderr));
  c.seed = p.has("seed") ? static_cast<std::uint64_t>(parse_count("seed", *p.value("seed"), 0, 1ll << 62))
                         : static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) & 0x7fffffff;
  if (auto v = p.value("request-timeout-ms"))
    c.stack_options.request_timeout_ms = static_cast<int>(parse_count("request-timeout-ms", *v, 1, 3600000));
  if (auto v = p.value("max-restarts")) c.stack_options.max_restarts = static_cast<int>(parse_count("max-restarts", *v, 0, 1000));
  const std::string engine = p.value_or("engine", "auto");
  if (engine != "auto" && engine != "libfuzzer" && engine != "generator")
    throw UsageError("--engine must be auto, libfuzzer or generator, not '" + engine + "'");

  std::error_code ec;
  fs::create_directories(c.findings_dir, ec);
  if (ec) throw UsageError("cannot create --findings " + c.findings_dir.string() + ": " + ec.message());
  fs::create_directories(c.corpus_dir, ec);
  if (ec) throw UsageError("cannot create --corpus " + c.corpus_dir.string() + ": " + ec.message());

  // Start the stack once here: a stack that cannot run is exit 3 before any fuzzing.
  std::unique_ptr<fuzz::SequenceRunner> runner;
  try {
    runner = fuzz::make_runner(c.sut, c.stack_options);
  } catch (const StackError& e) {
    std::fprintf(stderr, "connstate fuzz: the stack under test could not be run: %s\n", e.what());
    return kExitStackError;
  }
  // auto: libFuzzer for plugin: stacks (its coverage guidance sees the plugin's code); for an exec:
  // adapter it sees only the harness, so the generator does as well without a fuzzing build.
  const bool plugin = c.sut.starts_with("plugin:");
  std::string binary;
  if (engine == "libfuzzer" || (engine == "auto" && plugin)) binary = find_libfuzzer_binary(p);
  if (engine == "libfuzzer") {
    if (binary.empty())
      throw UsageError("no libFuzzer fuzz_differential in this build: build with `cmake --preset fuzz`, or pass --fuzzer");
  }
  if (!binary.empty()) fuzz::set_target_environment(c);  // for the check below, the campaign and the replays
  if (!binary.empty() && !fuzz::is_libfuzzer(binary)) {
    if (engine == "libfuzzer" || p.has("fuzzer")) throw UsageError(binary + " is not a libFuzzer build (replay-only?)");
    binary.clear();
  }

  fuzz::stop_campaign_on_signals();
  std::vector<fuzz::CampaignFinding> findings;
  bool stack_ran;
  if (!binary.empty()) {
    runner.reset();  // the plugin runs in the libFuzzer process
    stack_ran = fuzz::run_libfuzzer(c, binary, findings);
  } else {
    stack_ran = fuzz::run_generator(c, std::move(runner), findings);
  }

  std::string summary;
  if (findings.empty()) {
    summary = "connstate fuzz: no finding against " + c.sut + " (profile " + std::string(to_string(c.profile)) + ")\n";
  } else {
    summary = "connstate fuzz: " + std::to_string(findings.size()) + " finding(s) against " + c.sut + " (profile " +
              std::string(to_string(c.profile)) + "):\n";
    for (const auto& f : findings) {
      summary += "  " + f.signature + ": " + f.input.string();
      if (f.repeats) summary += " (and " + std::to_string(f.repeats) + " more inputs)";
      summary += "\n";
    }
    summary += "turn each into a regression case:\n";
    for (const auto& f : findings)
      summary += "  connstate case-from-crash " + f.input.string() + " --minimize --out-dir cases/fuzz\n";
  }
  std::fputs(summary.c_str(), stdout);
  fuzz::write_text(c.findings_dir / "summary.txt", summary);
  if (!stack_ran) return kExitStackError;
  return findings.empty() ? kExitOk : kExitUnexpected;
}

int case_from_crash(const Args& args) {
  ArgParser p("connstate case-from-crash",
              "connstate case-from-crash INPUT [--minimize] [--sut SUT] [--profile ID] [--out FILE | --out-dir DIR]",
              "Turns a crash or difference input of fuzz_differential or fuzz_model (the byte grammar of\n"
              "docs/fuzzing.md) into a regression case file for cases/: one sequence case over\n"
              "transports t0..t7 with no expected values (the reference computes them), id fuzz.<hash of the\n"
              "input>, tags fuzz and regression, and a comment saying where it came from.\n\n"
              "The stack and profile come from --sut/--profile, else from INPUT.finding.json (written by\n"
              "`connstate fuzz`). With a stack, the input is re-run to name the difference; --minimize then\n"
              "shrinks it while the same kind of difference remains (and writes INPUT.min).");
  p.positional("INPUT", "the input file (libFuzzer crash-*, connstate fuzz diff-*)")
      .option("minimize", "", "shrink the input first (needs the stack)")
      .option("sut", "SUT", "the stack the input was found against")
      .option("profile", "ID", "the profile of the case (default: the finding's; without one, every profile)")
      .option("out", "FILE", "write the case file here (default: standard output)")
      .option("out-dir", "DIR", "write the case file as DIR/<id>.json");
  p.epilog("Then: connstate list --cases-dir DIR (it loads), and connstate run --sut SUT --cases 'fuzz.*'.\n\n"
           "exit codes: 0 written; 1 --minimize and the input shows no difference; 2 bad usage or input;\n"
           "3 the stack could not be run.");
  if (!p.parse(args)) return kExitOk;
  if (p.positionals().size() != 1) throw UsageError("one INPUT file is needed (see --help)");
  if (p.has("out") && p.has("out-dir")) throw UsageError("--out and --out-dir exclude each other");
  const fs::path input = p.positionals()[0];
  std::vector<std::uint8_t> bytes = fuzz::read_bytes(input);
  const std::optional<fuzz::FindingMeta> meta = fuzz::read_sidecar(input);

  const std::string sut = p.value_or("sut", meta ? meta->sut : "");
  std::optional<Profile> profile;
  if (p.has("profile")) profile = profile_option(p, kDefaultProfile);
  else if (meta && !meta->profile.empty()) profile = parse_profile(meta->profile);

  fuzz::CaseProvenance from;
  from.input_name = input.filename().string();
  from.target = meta ? meta->target : "fuzz_differential";
  from.sut = sut;
  from.date = meta && !meta->found.empty() ? meta->found : utc_now();
  from.tool_version = tool_version();

  if (p.has("minimize") && sut.empty())
    throw UsageError("--minimize needs the stack: pass --sut (no " + fuzz::sidecar_path(input) + " names one)");
  if (!sut.empty()) {
    std::unique_ptr<fuzz::SequenceRunner> runner;
    try {
      runner = fuzz::make_runner(sut);
    } catch (const StackError& e) {
      std::fprintf(stderr, "connstate case-from-crash: the stack under test could not be run: %s\n", e.what());
      return kExitStackError;
    }
    const fuzz::CheckResult first = fuzz::check_input(bytes, profile, *runner);
    if (!first.difference) {
      std::fprintf(stderr, "connstate case-from-crash: %s shows no difference against %s (profile %s)\n",
                   input.c_str(), sut.c_str(), std::string(to_string(first.sequence.profile)).c_str());
      if (p.has("minimize")) return kExitUnexpected;
    } else if (p.has("minimize")) {
      const fuzz::DiffKind kind = first.difference->kind;
      const std::size_t before = bytes.size();
      bytes = fuzz::minimize(bytes, [&](const std::vector<std::uint8_t>& candidate) {
        const auto r = fuzz::check_input(candidate, profile, *runner);
        return r.difference && r.difference->kind == kind;
      });
      from.original_size = before;
      fuzz::write_bytes(input.string() + ".min", bytes);
      std::fprintf(stderr, "connstate case-from-crash: minimized %zu -> %zu bytes (%s), written to %s.min\n", before,
                   bytes.size(), std::string(fuzz::signature(kind)).c_str(), input.c_str());
    }
    const fuzz::CheckResult final = fuzz::check_input(bytes, profile, *runner);
    from.difference = final.difference;
    if (final.difference)
      std::fputs(fuzz::difference_report(final.sequence, final.expected, final.observed, *final.difference, sut).c_str(),
                 stderr);
  }
  const fuzz::Sequence seq = fuzz::decode(bytes, fuzz::DecodeOptions{profile});
  if (seq.steps.empty()) throw UsageError(input.string() + " decodes to no step: there is no sequence to write");
  from.input_hash = fuzz::hash_hex(bytes);
  std::vector<Profile> profiles;
  if (profile) profiles.push_back(*profile);
  const std::string text = fuzz::case_file_text(seq, profiles, from);
  const std::string id = fuzz::case_id(from.input_hash);

  // The case must load (schema rules, valid steps, no cross-check error) before it is written.
  try {
    (void)parse_case_file(text, id + ".json");
  } catch (const InputError& e) {
    std::fprintf(stderr, "connstate case-from-crash: internal error: the case does not load: %s\n", e.what());
    return kExitUsage;
  }
  fs::path out;
  if (auto f = p.value("out")) out = *f;
  if (auto d = p.value("out-dir")) {
    std::error_code ec;
    fs::create_directories(*d, ec);
    if (ec) throw UsageError("cannot create --out-dir " + *d + ": " + ec.message());
    out = fs::path(*d) / (id + ".json");
  }
  if (out.empty() || out == "-") {
    std::fputs(text.c_str(), stdout);
  } else {
    fuzz::write_text(out, text);
    std::fprintf(stderr, "connstate case-from-crash: wrote %s (case %s, %zu steps); run it: connstate run --sut '%s' --cases '%s'\n",
                 out.c_str(), id.c_str(), seq.steps.size(), sut.empty() ? "SUT" : sut.c_str(), id.c_str());
  }
  return kExitOk;
}

}  // namespace connstate::cli
