// campaign.cpp — the generator engine of a fuzzing campaign, the finding sidecars and the file
// helpers (campaign.h); the libFuzzer engine is in libfuzzer_engine.cpp.
#include "connstate/fuzzing/campaign.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"
#include "internal/campaign_progress.h"

namespace connstate::fuzz {
namespace fs = std::filesystem;
using harness::UsageError;

namespace internal {
volatile std::sig_atomic_t g_stop = 0;
}
namespace {
extern "C" void on_campaign_signal(int) { internal::g_stop = 1; }
}  // namespace

void stop_campaign_on_signals() {
  std::signal(SIGINT, on_campaign_signal);
  std::signal(SIGTERM, on_campaign_signal);
}

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

std::string sidecar_path(const fs::path& input) { return input.string() + ".finding.json"; }

void write_sidecar(const fs::path& input, const FindingMeta& m) {
  std::string out = "{\"target\": " + harness::json_string(m.target) + ", \"engine\": " + harness::json_string(m.engine) +
                    ", \"sut\": " + harness::json_string(m.sut) + ", \"profile\": " + harness::json_string(m.profile) +
                    ", \"signature\": " + harness::json_string(m.signature);
  if (m.has_step) out += ", \"step\": " + std::to_string(m.step);
  out += ", \"found\": " + harness::json_string(m.found) + ", \"tool_version\": " + harness::json_string(harness::tool_version()) + "}\n";
  write_text(sidecar_path(input), out);
}

std::optional<FindingMeta> read_sidecar(const fs::path& input) {
  std::error_code ec;
  std::string path = sidecar_path(input);
  // A minimized input (INPUT.min) shares the sidecar of its original.
  if (!fs::is_regular_file(path, ec) && input.extension() == ".min") path = sidecar_path(input.parent_path() / input.stem());
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const std::string text = harness::read_file(path);
  const boost::json::value v = harness::parse_document(text, path);
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

namespace {

// --- the campaign -------------------------------------------------------------------------------

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
      if (bytes.size() <= kMaxInputSize) out.push_back(std::move(bytes));
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
    const std::size_t len = below(4) ? 1 + below(24) : 1 + below(kMaxInputSize);
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
  if (in.size() > kMaxInputSize) in.resize(kMaxInputSize);
  return in;
}

struct GeneratorState {
  std::mutex mutex;
  std::map<DiffKind, CampaignFinding> findings;
  std::atomic<std::uint64_t> executions{0}, unsupported{0};
  std::atomic<bool> stop{false};
  bool gave_up = false;
  std::string failure;
};

void record_finding(const Campaign& c, GeneratorState& st, const std::vector<std::uint8_t>& input,
                    const CheckResult& r) {
  const std::string report = difference_report(r.sequence, r.expected, r.observed, *r.difference, c.sut);
  std::lock_guard<std::mutex> lock(st.mutex);
  auto it = st.findings.find(r.difference->kind);
  if (it != st.findings.end()) {
    ++it->second.repeats;
    return;
  }
  const std::string sig(signature(r.difference->kind));
  const fs::path path = c.findings_dir / ("diff-" + sig + "-" + hash_hex(input));
  write_bytes(path, input);
  write_text(path.string() + ".txt", report);
  FindingMeta m;
  m.engine = "generator";
  m.sut = c.sut;
  m.profile = std::string(to_string(c.profile));
  m.signature = sig;
  m.step = r.difference->step;
  m.has_step = true;
  m.found = harness::utc_now();
  write_sidecar(path, m);
  st.findings.emplace(r.difference->kind, CampaignFinding{path, sig, 0});
  if (c.tty && c.progress) std::fputc('\n', stderr);
  std::fputs(report.c_str(), stderr);
  std::fprintf(stderr, "finding written to %s\n", path.c_str());
  if (!c.keep_going) st.stop = true;
}

void generator_worker(const Campaign& c, GeneratorState& st, unsigned index, SequenceRunner* given,
                      const std::vector<std::vector<std::uint8_t>>& pool,
                      std::chrono::steady_clock::time_point deadline) {
  std::unique_ptr<SequenceRunner> own;
  SequenceRunner* runner = given;
  try {
    if (!runner) {
      own = make_runner(c.sut, c.stack_options);
      runner = own.get();
    }
    std::mt19937_64 rng(c.seed + index * 0x9e3779b97f4a7c15ull);
    auto one = [&](const std::vector<std::uint8_t>& input) {
      const CheckResult r = check_input(input, c.profile, *runner);
      ++st.executions;
      if (r.observed.status == RunStatus::Unsupported) ++st.unsupported;
      if (r.difference) record_finding(c, st, input, r);
    };
    // The seeds first (as libFuzzer reads its corpus), then random inputs until the deadline.
    for (std::size_t i = index; i < pool.size() && !st.stop && !internal::g_stop; i += c.jobs) one(pool[i]);
    while (!st.stop && !internal::g_stop && std::chrono::steady_clock::now() < deadline) {
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

}  // namespace

bool run_generator(const Campaign& c, std::unique_ptr<SequenceRunner> first, std::vector<CampaignFinding>& out) {
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
  while (!st.stop && !internal::g_stop && std::chrono::steady_clock::now() < deadline) {
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
    internal::progress_line(c, std::chrono::duration<double>(now - start).count(),
                  std::to_string(execs) + " sequences, " + internal::whole_seconds(static_cast<double>(execs - last_execs) / dt) +
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
    return false;
  }
  if (st.gave_up) {
    std::fprintf(stderr, "connstate fuzz: the stack under test broke too often and was given up on\n");
    return false;
  }
  return true;
}

// -- libFuzzer engine --

}  // namespace connstate::fuzz
