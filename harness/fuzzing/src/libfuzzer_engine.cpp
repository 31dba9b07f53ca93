// libfuzzer_engine.cpp — the libFuzzer engine of a fuzzing campaign (campaign.h): runs the
// fuzz_differential binary of a fuzzing build as a child process, shows its progress, and names
// every crash input it leaves by replaying it once.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "connstate/fuzzing/campaign.h"
#include "connstate/harness/version.h"
#include "internal/campaign_progress.h"

namespace connstate::fuzz {
namespace fs = std::filesystem;

namespace {

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

constexpr std::size_t kMaxReplayed = 500;  // crash inputs replayed after a campaign to name them

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// What a shell command wrote on stdout (and stderr, when it says 2>&1); nullopt when it could not run.
std::optional<std::string> output_of(const std::string& command) {
  FILE* f = popen(command.c_str(), "r");
  if (!f) return std::nullopt;
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  if (pclose(f) == -1) return std::nullopt;
  return text;
}

struct Replay {
  std::string signature;  // "" when the replay named nothing
  std::string report;     // the target's report of the difference (or the sanitizer's)
};

}  // namespace

// UB is a finding too (the fuzz preset does not build with -fno-sanitize-recover).
void set_target_environment(const Campaign& c) {
  setenv("CONNSTATE_FUZZ_SUT", c.sut.c_str(), 1);
  setenv("CONNSTATE_FUZZ_PROFILE", std::string(to_string(c.profile)).c_str(), 1);
  setenv("CONNSTATE_PLUGIN_PROFILE", std::string(to_string(c.profile)).c_str(), 1);
  setenv("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1", 0);
}

bool is_libfuzzer(const std::string& binary) {
  const auto text = output_of(shell_quote(binary) + " -help=1 2>&1");
  return text && text->find("replay-only") == std::string::npos && text->find("Usage:") != std::string::npos;
}

namespace {

// Runs the libFuzzer binary once on `input` (the stack comes from the environment set for the
// campaign) and reads the signature it prints: a difference, a sanitizer error or a libFuzzer error.
Replay replay_artifact(const std::string& binary, const fs::path& input) {
  Replay r;
  const std::string text =
      output_of(shell_quote(binary) + " -runs=1 -timeout=30 " + shell_quote(input.string()) + " 2>&1").value_or("");
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

std::vector<std::string> libfuzzer_argv(const Campaign& c, const std::string& binary) {
  std::vector<std::string> argv = {binary, fs::absolute(c.corpus_dir).string()};
  std::error_code ec;
  for (const auto& d : c.seed_dirs)
    if (fs::is_directory(d, ec)) argv.push_back(fs::absolute(d).string());
  if (!c.dictionary.empty() && fs::exists(c.dictionary, ec)) argv.push_back("-dict=" + c.dictionary.string());
  argv.push_back("-max_len=" + std::to_string(kMaxInputSize));
  argv.push_back("-max_total_time=" + internal::whole_seconds(std::max(1.0, c.max_time)));
  argv.push_back("-artifact_prefix=" + fs::absolute(c.findings_dir).string() + "/");
  argv.push_back("-print_final_stats=1");
  argv.push_back("-timeout=30");
  if (c.seed) argv.push_back("-seed=" + std::to_string(c.seed & 0x7fffffff));
  if (c.jobs > 1 || c.keep_going) {
    argv.push_back("-fork=" + std::to_string(c.jobs));
    argv.push_back("-ignore_crashes=1");
  }
  return argv;
}

// The child runs in the findings folder with stdout and stderr on one pipe; returns its pid and
// the pipe's read end.
std::pair<pid_t, int> start_child(std::vector<std::string> argv, const fs::path& dir) {
  int pipefd[2];
  if (pipe(pipefd) != 0) throw harness::StackError("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw harness::StackError("fork failed");
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    close(pipefd[1]);
    if (chdir(dir.c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(argv[0].c_str(), args.data());
    std::fprintf(stderr, "cannot run %s\n", argv[0].c_str());
    _exit(127);
  }
  close(pipefd[1]);
  return {pid, pipefd[0]};
}

// What the campaign's output says, line by line: the log, the status, the findings as they come.
struct OutputFollower {
  const Campaign& c;
  std::ofstream log;
  LibFuzzerStats stats;
  std::string pending_signature, final_execs, final_rate;
  std::size_t artifacts = 0;

  void line(const std::string& text) {
    log << text << '\n';
    parse_status(text, stats);
    if (auto at = text.find("==connstate== signature: "); at != std::string::npos) pending_signature = text.substr(at + 25);
    if (auto at = text.find("ERROR: AddressSanitizer: "); at != std::string::npos && pending_signature.empty())
      pending_signature = "asan-" + text.substr(at + 25, text.find(' ', at + 25) - at - 25);
    if (auto at = text.find("Test unit written to "); at != std::string::npos) {
      const std::string file = fs::path(text.substr(at + 21)).filename().string();
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
    if (text.starts_with("stat::number_of_executed_units: ")) final_execs = trimmed(text.substr(32));
    if (text.starts_with("stat::average_exec_per_sec: ")) final_rate = trimmed(text.substr(28));
    if (!c.progress && (text.find("==connstate==") != std::string::npos)) std::fprintf(stderr, "%s\n", text.c_str());
  }

  std::string progress() const {
    return (stats.execs.empty() ? std::string("starting") : stats.execs + " execs") +
           (stats.rate.empty() ? "" : ", " + stats.rate + " exec/s") + (stats.cov.empty() ? "" : ", cov " + stats.cov) +
           (stats.corpus.empty() ? "" : ", corpus " + stats.corpus) + ", findings " + std::to_string(artifacts);
  }
};

// Reads the child's output until it ends; returns its wait status.
int follow_child(const Campaign& c, pid_t pid, int fd, OutputFollower& follower) {
  std::string buffer;
  const auto start = std::chrono::steady_clock::now();
  auto last_shown = start - std::chrono::seconds(60);
  bool killed = false;
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 500) > 0) {
      char buf[8192];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      buffer.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        follower.line(buffer.substr(0, nl));
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
      internal::progress_line(c, elapsed, follower.progress());
    }
  }
  if (!buffer.empty()) follower.line(buffer);
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (c.tty && c.progress) std::fputc('\n', stderr);
  if (!follower.final_execs.empty()) {
    // libFuzzer's average is whole executions per whole second: 0 for a run that ended within a second.
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "connstate fuzz: %s executions in %.1f s (%s exec/s)\n", follower.final_execs.c_str(), seconds,
                 follower.final_rate.empty() || follower.final_rate == "0" ? "?" : follower.final_rate.c_str());
  }
  return status;
}

// Every new artifact (no sidecar yet), by signature: crash inputs are replayed to name them (the
// log of a -fork job is not forwarded), the others are named by their prefix.
std::map<std::string, std::vector<std::pair<std::size_t, fs::path>>> artifacts_by_signature(const Campaign& c,
                                                                                            const std::string& binary) {
  std::error_code ec;
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
  if (found.size() > kMaxReplayed)
    std::fprintf(stderr, "connstate fuzz: %zu crash inputs; only the first %zu were replayed to name them\n",
                 found.size(), kMaxReplayed);
  return by_signature;
}

// Keeps the smallest input per signature and moves the others into duplicates/.
void keep_smallest(const Campaign& c, const std::string& binary, std::vector<CampaignFinding>& out) {
  std::error_code ec;
  for (auto& [sig, inputs] : artifacts_by_signature(c, binary)) {
    std::sort(inputs.begin(), inputs.end());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const fs::path& f = inputs[i].second;
      FindingMeta m;
      m.engine = "libfuzzer";
      m.sut = c.sut;
      m.profile = std::string(to_string(c.profile));
      m.signature = sig;
      m.found = harness::utc_now();
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
}

}  // namespace

bool run_libfuzzer(const Campaign& c, const std::string& binary, std::vector<CampaignFinding>& out) {
  const fs::path log_path = c.findings_dir / "libfuzzer.log";
  std::fprintf(stderr, "connstate fuzz: libFuzzer engine (%s), %u job(s), stack %s, profile %s; log %s\n", binary.c_str(),
               c.jobs, c.sut.c_str(), std::string(to_string(c.profile)).c_str(), log_path.c_str());
  const auto [pid, fd] = start_child(libfuzzer_argv(c, binary), c.findings_dir);
  OutputFollower follower{c, std::ofstream(log_path), {}, {}, {}, {}, 0};
  const int status = follow_child(c, pid, fd, follower);
  keep_smallest(c, binary, out);
  if (out.empty() && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "connstate fuzz: %s exited with status %d and no finding; see %s\n", binary.c_str(),
                 WEXITSTATUS(status), log_path.c_str());
    return false;
  }
  return true;
}

}  // namespace connstate::fuzz
