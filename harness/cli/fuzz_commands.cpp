// fuzz_commands.cpp — `fuzz` and `case-from-crash`: fuzzing campaigns against a stack, and findings as cases.
//
// `connstate fuzz` compares a stack with the reference on step sequences (the byte grammar of
// fuzz/sequence_decoder.h) until --max-time, with one of two engines:
//   * libfuzzer  runs the coverage-guided fuzz_differential binary of a fuzzing build (the `fuzz`
//                preset); the default for plugin: stacks (in its process, so coverage guides it);
//                its crash inputs, replayed once to name them, are the findings;
//   * generator  a seeded random generator and mutator in this process, against any stack
//                (exec: adapters included) through fuzz/differential.h.
// Either way the findings land in one folder (--findings), each input with a .finding.json
// sidecar (target, stack, profile, signature) and a .txt report, and the run exits 1.
//
// `connstate case-from-crash INPUT` turns such an input (or any fuzz_model/fuzz_differential
// input) into a regression case file for cases/, after --minimize if asked.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "case_writer.h"
#include "commands.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"
#include "differential.h"

extern char** environ;

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

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_fuzz_signal(int) { g_stop = 1; }

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path.string());
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_text(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw UsageError("cannot write " + path.string());
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  write_text(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// --- finding sidecars ---------------------------------------------------------------------------

// <input>.finding.json: what `connstate fuzz` knew about an input it wrote.
struct FindingMeta {
  std::string target = "fuzz_differential";
  std::string engine, sut, profile, signature, found;
  std::size_t step = 0;
  bool has_step = false;
};

std::string sidecar_path(const fs::path& input) { return input.string() + ".finding.json"; }

void write_sidecar(const fs::path& input, const FindingMeta& m) {
  std::string out = "{\"target\": " + json_string(m.target) + ", \"engine\": " + json_string(m.engine) +
                    ", \"sut\": " + json_string(m.sut) + ", \"profile\": " + json_string(m.profile) +
                    ", \"signature\": " + json_string(m.signature);
  if (m.has_step) out += ", \"step\": " + std::to_string(m.step);
  out += ", \"found\": " + json_string(m.found) + ", \"tool_version\": " + json_string(tool_version()) + "}\n";
  write_text(sidecar_path(input), out);
}

std::optional<FindingMeta> read_sidecar(const fs::path& input) {
  std::error_code ec;
  std::string path = sidecar_path(input);
  // A minimized input (INPUT.min) shares the sidecar of its original.
  if (!fs::is_regular_file(path, ec) && input.extension() == ".min") path = sidecar_path(input.parent_path() / input.stem());
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const std::string text = read_file(path);
  const json::value v = parse_document(text, path);
  if (!v.is_object()) return std::nullopt;
  FindingMeta m;
  auto str = [&](const char* key, std::string& into) {
    if (auto it = v.get_object().find(key); it != v.get_object().end() && it->value().is_string())
      into = std::string(it->value().get_string());
  };
  str("target", m.target);
  str("engine", m.engine);
  str("sut", m.sut);
  str("profile", m.profile);
  str("signature", m.signature);
  str("found", m.found);
  return m;
}

// --- the campaign -------------------------------------------------------------------------------

struct Finding {
  fs::path input;
  std::string signature;
  std::size_t repeats = 0;  // later inputs with the same signature (generator, --keep-going)
};

struct Campaign {
  std::string sut;
  Profile profile = kDefaultProfile;
  double max_time = 60;
  unsigned jobs = 1;
  fs::path findings_dir, corpus_dir;
  std::vector<fs::path> seed_dirs;
  bool keep_going = false;
  bool progress = true;
  bool tty = false;
  std::uint64_t seed = 0;
  StackOptions stack_options;
};

std::string fmt_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", s);
  return buf;
}

void progress_line(const Campaign& c, double elapsed, const std::string& what) {
  if (!c.progress) return;
  if (c.tty) std::fprintf(stderr, "\r[%4s/%s s] %s   ", fmt_seconds(elapsed).c_str(), fmt_seconds(c.max_time).c_str(), what.c_str());
  else std::fprintf(stderr, "[%s/%s s] %s\n", fmt_seconds(elapsed).c_str(), fmt_seconds(c.max_time).c_str(), what.c_str());
  std::fflush(stderr);
}

std::vector<std::vector<std::uint8_t>> load_inputs(const std::vector<fs::path>& dirs) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file(ec) && e.path().extension() != ".json" && e.path().extension() != ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto bytes = read_bytes(f);
      if (bytes.size() <= fuzz::kMaxInputSize) out.push_back(std::move(bytes));
    }
  }
  return out;
}

// -- generator engine --

// A random input: fresh bytes, or a seed with a few byte-level mutations (flip, insert, erase,
// duplicate a run, splice another seed's tail, a new header).
std::vector<std::uint8_t> next_input(std::mt19937_64& rng, const std::vector<std::vector<std::uint8_t>>& pool) {
  auto below = [&](std::size_t n) { return n ? static_cast<std::size_t>(rng() % n) : 0; };
  std::vector<std::uint8_t> in;
  if (pool.empty() || below(4) == 0) {
    const std::size_t len = below(4) ? 1 + below(24) : 1 + below(fuzz::kMaxInputSize);
    for (std::size_t i = 0; i < len; ++i) in.push_back(static_cast<std::uint8_t>(rng()));
    return in;
  }
  in = pool[below(pool.size())];
  if (in.empty()) in.push_back(0);
  for (std::size_t n = 1 + below(4); n > 0; --n) {
    switch (below(6)) {
      case 0: in[below(in.size())] = static_cast<std::uint8_t>(rng()); break;
      case 1: in.insert(in.begin() + static_cast<std::ptrdiff_t>(1 + below(in.size())), static_cast<std::uint8_t>(rng())); break;
      case 2:
        if (in.size() > 1) in.erase(in.begin() + static_cast<std::ptrdiff_t>(1 + below(in.size() - 1)));
        break;
      case 3: {
        const std::size_t from = below(in.size()), len = 1 + below(std::min<std::size_t>(8, in.size() - from));
        std::vector<std::uint8_t> run(in.begin() + static_cast<std::ptrdiff_t>(from),
                                      in.begin() + static_cast<std::ptrdiff_t>(from + len));
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(from), run.begin(), run.end());
        break;
      }
      case 4: {
        const auto& other = pool[below(pool.size())];
        if (other.size() > 1) {
          in.resize(1 + below(in.size()));
          in.insert(in.end(), other.begin() + static_cast<std::ptrdiff_t>(1 + below(other.size() - 1)), other.end());
        }
        break;
      }
      default: in[0] = static_cast<std::uint8_t>(rng()); break;
    }
  }
  if (in.size() > fuzz::kMaxInputSize) in.resize(fuzz::kMaxInputSize);
  return in;
}

struct GeneratorState {
  std::mutex mutex;
  std::map<fuzz::DiffKind, Finding> findings;
  std::atomic<std::uint64_t> executions{0}, unsupported{0};
  std::atomic<bool> stop{false};
  bool gave_up = false;
  std::string failure;
};

void record_finding(const Campaign& c, GeneratorState& st, const std::vector<std::uint8_t>& input,
                    const fuzz::CheckResult& r) {
  const std::string report = fuzz::difference_report(r.sequence, r.expected, r.observed, *r.difference, c.sut);
  std::lock_guard<std::mutex> lock(st.mutex);
  auto it = st.findings.find(r.difference->kind);
  if (it != st.findings.end()) {
    ++it->second.repeats;
    return;
  }
  const std::string sig(fuzz::signature(r.difference->kind));
  const fs::path path = c.findings_dir / ("diff-" + sig + "-" + fuzz::hash_hex(input));
  write_bytes(path, input);
  write_text(path.string() + ".txt", report);
  FindingMeta m;
  m.engine = "generator";
  m.sut = c.sut;
  m.profile = std::string(to_string(c.profile));
  m.signature = sig;
  m.step = r.difference->step;
  m.has_step = true;
  m.found = utc_now();
  write_sidecar(path, m);
  st.findings.emplace(r.difference->kind, Finding{path, sig, 0});
  if (c.tty && c.progress) std::fputc('\n', stderr);
  std::fputs(report.c_str(), stderr);
  std::fprintf(stderr, "finding written to %s\n", path.c_str());
  if (!c.keep_going) st.stop = true;
}

void generator_worker(const Campaign& c, GeneratorState& st, unsigned index, fuzz::SequenceRunner* given,
                      const std::vector<std::vector<std::uint8_t>>& pool,
                      std::chrono::steady_clock::time_point deadline) {
  std::unique_ptr<fuzz::SequenceRunner> own;
  fuzz::SequenceRunner* runner = given;
  try {
    if (!runner) {
      own = fuzz::make_runner(c.sut, c.stack_options);
      runner = own.get();
    }
    std::mt19937_64 rng(c.seed + index * 0x9e3779b97f4a7c15ull);
    auto one = [&](const std::vector<std::uint8_t>& input) {
      const fuzz::CheckResult r = fuzz::check_input(input, c.profile, *runner);
      ++st.executions;
      if (r.observed.status == fuzz::RunStatus::Unsupported) ++st.unsupported;
      if (r.difference) record_finding(c, st, input, r);
    };
    // The seeds first (as libFuzzer reads its corpus), then random inputs until the deadline.
    for (std::size_t i = index; i < pool.size() && !st.stop && !g_stop; i += c.jobs) one(pool[i]);
    while (!st.stop && !g_stop && std::chrono::steady_clock::now() < deadline) {
      one(next_input(rng, pool));
      if (runner->gave_up()) {
        std::lock_guard<std::mutex> lock(st.mutex);
        st.gave_up = true;
        st.stop = true;
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(st.mutex);
    st.failure = e.what();
    st.stop = true;
  }
}

int run_generator(const Campaign& c, std::unique_ptr<fuzz::SequenceRunner> first, std::vector<Finding>& out) {
  const auto pool = load_inputs([&] {
    std::vector<fs::path> dirs = c.seed_dirs;
    dirs.push_back(c.corpus_dir);
    return dirs;
  }());
  std::fprintf(stderr, "connstate fuzz: generator engine, %u job(s), seed %llu, %zu seed inputs, stack %s, profile %s\n",
               c.jobs, static_cast<unsigned long long>(c.seed), pool.size(), c.sut.c_str(),
               std::string(to_string(c.profile)).c_str());
  GeneratorState st;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(static_cast<long long>(c.max_time * 1000));
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < c.jobs; ++j)
    threads.emplace_back(generator_worker, std::cref(c), std::ref(st), j, j == 0 ? first.get() : nullptr,
                         std::cref(pool), deadline);
  auto last = start;
  std::uint64_t last_execs = 0;
  while (!st.stop && !g_stop && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(c.tty ? 1 : 10)) continue;
    const double dt = std::chrono::duration<double>(now - last).count();
    const std::uint64_t execs = st.executions;
    std::size_t nf;
    {
      std::lock_guard<std::mutex> lock(st.mutex);
      nf = st.findings.size();
    }
    progress_line(c, std::chrono::duration<double>(now - start).count(),
                  std::to_string(execs) + " sequences, " + fmt_seconds(static_cast<double>(execs - last_execs) / dt) +
                      "/s, findings " + std::to_string(nf));
    last = now;
    last_execs = execs;
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (c.tty && c.progress) std::fputc('\n', stderr);
  std::fprintf(stderr, "connstate fuzz: %llu sequences in %.1f s (%.0f/s), %llu declined by the stack\n",
               static_cast<unsigned long long>(st.executions.load()), elapsed,
               elapsed > 0 ? static_cast<double>(st.executions.load()) / elapsed : 0.0,
               static_cast<unsigned long long>(st.unsupported.load()));
  for (auto& [kind, f] : st.findings) out.push_back(f);
  if (!st.failure.empty()) {
    std::fprintf(stderr, "connstate fuzz: the stack under test could not be run: %s\n", st.failure.c_str());
    return kExitStackError;
  }
  if (st.gave_up) {
    std::fprintf(stderr, "connstate fuzz: the stack under test broke too often and was given up on\n");
    return kExitStackError;
  }
  return kExitOk;
}

// -- libFuzzer engine --

struct LibFuzzerStats {
  std::string execs, cov, corpus, rate;
};

void parse_status(const std::string& line, LibFuzzerStats& s) {
  if (line.empty() || line[0] != '#') return;
  std::size_t end = line.find_first_of(" \t:", 1);
  s.execs = line.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  auto token = [&](const char* key) -> std::string {
    const auto at = line.find(key);
    if (at == std::string::npos) return {};
    const auto from = at + std::strlen(key);
    const auto to = line.find_first_of(" \t", from);
    return line.substr(from, to == std::string::npos ? std::string::npos : to - from);
  };
  if (auto v = token("cov: "); !v.empty()) s.cov = v;
  if (auto v = token("corp: "); !v.empty()) s.corpus = v.substr(0, v.find('/'));
  if (auto v = token("exec/s: "); !v.empty()) s.rate = v;
}

std::string find_libfuzzer_binary(const ArgParser& p) {
  if (auto f = p.value("fuzzer")) return fs::absolute(*f).string();  // the campaign runs in --findings
  if (*kFuzzerDir) {
    const fs::path bin = fs::path(kFuzzerDir) / "fuzz_differential";
    std::error_code ec;
    if (fs::exists(bin, ec)) return bin.string();
  }
  return {};
}

// Whether `binary` is a libFuzzer build (the replay-only build says so on -help=1).
bool is_libfuzzer(const std::string& binary) {
  const std::string cmd = "'" + binary + "' -help=1 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return false;
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const int status = pclose(f);
  return status != -1 && text.find("replay-only") == std::string::npos && text.find("Usage:") != std::string::npos;
}

constexpr std::size_t kMaxReplayed = 500;  // crash inputs replayed after a campaign to name them

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

struct Replay {
  std::string signature;  // "" when the replay named nothing
  std::string report;     // the target's report of the difference (or the sanitizer's)
};

// The environment fuzz_differential reads: the campaign's stack and profile; UB is a finding too
// (the fuzz preset does not build with -fno-sanitize-recover).
void set_target_environment(const Campaign& c) {
  setenv("CONNSTATE_FUZZ_SUT", c.sut.c_str(), 1);
  setenv("CONNSTATE_FUZZ_PROFILE", std::string(to_string(c.profile)).c_str(), 1);
  setenv("CONNSTATE_PLUGIN_PROFILE", std::string(to_string(c.profile)).c_str(), 1);
  setenv("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1", 0);
}

// Runs the libFuzzer binary once on `input` (the stack comes from the environment set for the
// campaign) and reads the signature it prints: a difference, a sanitizer error or a libFuzzer error.
Replay replay_artifact(const std::string& binary, const fs::path& input) {
  const std::string cmd = shell_quote(binary) + " -runs=1 -timeout=30 " + shell_quote(input.string()) + " 2>&1";
  Replay r;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return r;
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  pclose(f);
  auto after = [&](std::string_view key) -> std::string {
    const auto at = text.find(key);
    if (at == std::string::npos) return {};
    const auto from = at + key.size();
    return text.substr(from, text.find_first_of(" \n", from) - from);
  };
  if (auto sig = after("==connstate== signature: "); !sig.empty()) {
    r.signature = sig;
    const auto begin = text.find("==connstate== difference");
    const auto end = text.find("==connstate== signature: ");
    if (begin != std::string::npos && end > begin) r.report = text.substr(begin, end - begin);
  } else if (auto asan = after("ERROR: AddressSanitizer: "); !asan.empty()) {
    r.signature = "asan-" + asan;
  } else if (text.find("runtime error: ") != std::string::npos) {
    r.signature = "ubsan";
  } else if (auto lf = after("ERROR: libFuzzer: "); !lf.empty()) {
    r.signature = "libfuzzer-" + lf;
  }
  if (r.report.empty() && !r.signature.empty()) {
    const auto at = text.find("ERROR: ");
    if (at != std::string::npos) r.report = text.substr(at, 4000);
  }
  return r;
}

int run_libfuzzer(const Campaign& c, const std::string& binary, std::vector<Finding>& out) {
  const fs::path log_path = c.findings_dir / "libfuzzer.log";
  std::vector<std::string> argv = {binary, fs::absolute(c.corpus_dir).string()};
  for (const auto& d : c.seed_dirs) {
    std::error_code ec;
    if (fs::is_directory(d, ec)) argv.push_back(fs::absolute(d).string());
  }
  const fs::path dict = fs::path(kFuzzSourceDir) / "fuzz_differential.dict";
  std::error_code ec;
  if (*kFuzzSourceDir && fs::exists(dict, ec)) argv.push_back("-dict=" + dict.string());
  argv.push_back("-max_len=" + std::to_string(fuzz::kMaxInputSize));
  argv.push_back("-max_total_time=" + fmt_seconds(std::max(1.0, c.max_time)));
  argv.push_back("-artifact_prefix=" + fs::absolute(c.findings_dir).string() + "/");
  argv.push_back("-print_final_stats=1");
  argv.push_back("-timeout=30");
  if (c.seed) argv.push_back("-seed=" + std::to_string(c.seed & 0x7fffffff));
  if (c.jobs > 1 || c.keep_going) {
    argv.push_back("-fork=" + std::to_string(c.jobs));
    argv.push_back("-ignore_crashes=1");
  }
  std::fprintf(stderr, "connstate fuzz: libFuzzer engine (%s), %u job(s), stack %s, profile %s; log %s\n", binary.c_str(),
               c.jobs, c.sut.c_str(), std::string(to_string(c.profile)).c_str(), log_path.c_str());

  int pipefd[2];
  if (pipe(pipefd) != 0) throw StackError("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw StackError("fork failed");
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    close(pipefd[1]);
    if (chdir(c.findings_dir.c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(binary.c_str(), args.data());
    std::fprintf(stderr, "cannot run %s\n", binary.c_str());
    _exit(127);
  }
  close(pipefd[1]);
  std::ofstream log(log_path);
  LibFuzzerStats stats;
  std::string pending_signature, final_execs, final_rate, buffer;
  const auto start = std::chrono::steady_clock::now();
  auto last_shown = start - std::chrono::seconds(60);
  std::size_t artifacts = 0;
  bool killed = false;
  auto handle_line = [&](const std::string& line) {
    log << line << '\n';
    parse_status(line, stats);
    if (auto at = line.find("==connstate== signature: "); at != std::string::npos) pending_signature = line.substr(at + 25);
    if (auto at = line.find("ERROR: AddressSanitizer: "); at != std::string::npos && pending_signature.empty())
      pending_signature = "asan-" + line.substr(at + 25, line.find(' ', at + 25) - at - 25);
    if (auto at = line.find("Test unit written to "); at != std::string::npos) {
      const std::string file = fs::path(line.substr(at + 21)).filename().string();
      ++artifacts;
      if (c.tty && c.progress) std::fputc('\n', stderr);
      std::fprintf(stderr, "finding: %s (%s)\n", file.c_str(),
                   pending_signature.empty() ? "named after the run" : pending_signature.c_str());
      pending_signature.clear();
    }
    auto trimmed = [](std::string v) {
      v.erase(0, v.find_first_not_of(' '));
      return v;
    };
    if (line.starts_with("stat::number_of_executed_units: ")) final_execs = trimmed(line.substr(32));
    if (line.starts_with("stat::average_exec_per_sec: ")) final_rate = trimmed(line.substr(28));
    if (!c.progress && (line.find("==connstate==") != std::string::npos)) std::fprintf(stderr, "%s\n", line.c_str());
  };
  for (;;) {
    pollfd pfd{pipefd[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, 500);
    if (ready > 0) {
      char buf[8192];
      const ssize_t n = read(pipefd[0], buf, sizeof buf);
      if (n <= 0) break;
      buffer.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        handle_line(buffer.substr(0, nl));
        buffer.erase(0, nl + 1);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (!killed && elapsed > c.max_time + 60) {  // libFuzzer stops itself at -max_total_time; this is a backstop
      kill(pid, SIGTERM);
      killed = true;
    }
    if (now - last_shown >= std::chrono::seconds(c.tty ? 1 : 10)) {
      last_shown = now;
      progress_line(c, elapsed,
                    (stats.execs.empty() ? std::string("starting") : stats.execs + " execs") +
                        (stats.rate.empty() ? "" : ", " + stats.rate + " exec/s") +
                        (stats.cov.empty() ? "" : ", cov " + stats.cov) +
                        (stats.corpus.empty() ? "" : ", corpus " + stats.corpus) + ", findings " +
                        std::to_string(artifacts));
    }
  }
  if (!buffer.empty()) handle_line(buffer);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (c.tty && c.progress) std::fputc('\n', stderr);
  if (!final_execs.empty()) {
    // libFuzzer's average is whole executions per whole second: 0 for a run that ended within a second.
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "connstate fuzz: %s executions in %.1f s (%s exec/s)\n", final_execs.c_str(), seconds,
                 final_rate.empty() || final_rate == "0" ? "?" : final_rate.c_str());
  }

  // Classify every new artifact by replaying it (the log of a -fork job is not forwarded), then keep
  // the smallest input per signature and move the others into duplicates/.
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(c.findings_dir, ec)) {
    const std::string name = e.path().filename().string();
    const bool artifact = name.starts_with("crash-") || name.starts_with("leak-") || name.starts_with("timeout-") ||
                          name.starts_with("oom-");
    if (artifact && e.path().extension().empty() && !fs::exists(sidecar_path(e.path()), ec)) found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  std::map<std::string, std::vector<std::pair<std::size_t, fs::path>>> by_signature;
  std::size_t replayed = 0;
  for (const auto& f : found) {
    std::string sig = f.filename().string();
    sig.resize(sig.find('-'));  // crash, leak, timeout, oom
    std::string report;
    if (sig == "crash" && replayed < kMaxReplayed) {
      ++replayed;
      const Replay r = replay_artifact(binary, f);
      if (!r.signature.empty()) sig = r.signature;
      report = r.report;
    }
    if (!report.empty()) write_text(f.string() + ".txt", report);
    by_signature[sig].push_back({static_cast<std::size_t>(fs::file_size(f, ec)), f});
  }
  for (auto& [sig, inputs] : by_signature) {
    std::sort(inputs.begin(), inputs.end());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const fs::path& f = inputs[i].second;
      FindingMeta m;
      m.engine = "libfuzzer";
      m.sut = c.sut;
      m.profile = std::string(to_string(c.profile));
      m.signature = sig;
      m.found = utc_now();
      if (i == 0) {
        write_sidecar(f, m);
        out.push_back({f, sig, inputs.size() - 1});
        continue;
      }
      const fs::path dup_dir = c.findings_dir / "duplicates";
      fs::create_directories(dup_dir, ec);
      fs::rename(f, dup_dir / f.filename(), ec);
      if (fs::exists(f.string() + ".txt", ec)) fs::rename(f.string() + ".txt", dup_dir / (f.filename().string() + ".txt"), ec);
      write_sidecar(dup_dir / f.filename(), m);
    }
  }
  if (found.size() > kMaxReplayed)
    std::fprintf(stderr, "connstate fuzz: %zu crash inputs; only the first %zu were replayed to name them\n", found.size(),
                 kMaxReplayed);
  if (out.empty() && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "connstate fuzz: %s exited with status %d and no finding; see %s\n", binary.c_str(),
                 WEXITSTATUS(status), log_path.c_str());
    return kExitStackError;
  }
  return kExitOk;
}

}  // namespace

int fuzz(const Args& args) {
  ArgParser p("connstate fuzz",
              "connstate fuzz --sut SUT [--profile ID] [--max-time S] [--jobs N] [--corpus DIR] [--findings DIR]\n"
              "                      [--engine auto|libfuzzer|generator] [--fuzzer PATH] [--seed N] [--keep-going]",
              "Fuzzes a stack under test against the reference: step sequences over up to 8 transports\n"
              "(fuzz/sequence_decoder.h) are run on both, and every step's events and states are compared.\n"
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
  Campaign c;
  c.sut = p.value_or("sut", "");
  if (c.sut.empty()) throw UsageError("--sut is required (plugin:<path.so> or exec:<command line>)");
  c.profile = profile_option(p, kDefaultProfile);
  c.max_time = parse_number("max-time", p.value_or("max-time", "60"), 1, 1e7);
  c.jobs = static_cast<unsigned>(parse_count("jobs", p.value_or("jobs", "1"), 1, 256));
  c.findings_dir = p.value_or("findings", "fuzz-findings");
  c.corpus_dir = p.has("corpus") ? fs::path(*p.value("corpus")) : c.findings_dir / "corpus";
  if (!p.has("no-seeds") && *kFuzzSourceDir) c.seed_dirs.push_back(fs::path(kFuzzSourceDir) / "seeds" / "fuzz_differential");
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
  if (!binary.empty()) set_target_environment(c);  // for the check below, the campaign and the replays
  if (!binary.empty() && !is_libfuzzer(binary)) {
    if (engine == "libfuzzer" || p.has("fuzzer")) throw UsageError(binary + " is not a libFuzzer build (replay-only?)");
    binary.clear();
  }

  std::signal(SIGINT, on_fuzz_signal);
  std::signal(SIGTERM, on_fuzz_signal);
  std::vector<Finding> findings;
  int rc;
  if (!binary.empty()) {
    runner.reset();  // the plugin runs in the libFuzzer process
    rc = run_libfuzzer(c, binary, findings);
  } else {
    rc = run_generator(c, std::move(runner), findings);
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
  write_text(c.findings_dir / "summary.txt", summary);
  if (rc != kExitOk) return rc;
  return findings.empty() ? kExitOk : kExitUnexpected;
}

int case_from_crash(const Args& args) {
  ArgParser p("connstate case-from-crash",
              "connstate case-from-crash INPUT [--minimize] [--sut SUT] [--profile ID] [--out FILE | --out-dir DIR]",
              "Turns a crash or difference input of fuzz_differential or fuzz_model (the byte grammar of\n"
              "fuzz/sequence_decoder.h) into a regression case file for cases/: one sequence case over\n"
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
  std::vector<std::uint8_t> bytes = read_bytes(input);
  const std::optional<FindingMeta> meta = read_sidecar(input);

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
    throw UsageError("--minimize needs the stack: pass --sut (no " + sidecar_path(input) + " names one)");
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
      write_bytes(input.string() + ".min", bytes);
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
    write_text(out, text);
    std::fprintf(stderr, "connstate case-from-crash: wrote %s (case %s, %zu steps); run it: connstate run --sut '%s' --cases '%s'\n",
                 out.c_str(), id.c_str(), seq.steps.size(), sut.empty() ? "SUT" : sut.c_str(), id.c_str());
  }
  return kExitOk;
}

}  // namespace connstate::cli
