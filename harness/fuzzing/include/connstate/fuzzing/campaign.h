// campaign.h — a fuzzing campaign against a stack under test, and the files its findings leave.
//
// `connstate fuzz` parses its options into a Campaign and runs one of two engines:
//   * the generator: a seeded random generator and mutator in this process, against any stack
//     (exec: adapters included) through differential.h, on --jobs threads;
//   * libFuzzer: the coverage-guided fuzz_differential binary of a fuzzing build, run as a child
//     process; its crash inputs are replayed once each to name them.
// Either way every finding is an input file in the findings folder with a .txt report and a
// .finding.json sidecar (what `connstate case-from-crash` reads back). The engines print their
// progress and findings on stderr; the caller prints the summary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/fuzzing/differential.h"
#include "connstate/harness/stack.h"

namespace connstate::fuzz {

struct Campaign {
  std::string sut;
  Profile profile = kDefaultProfile;
  double max_time = 60;  // seconds
  unsigned jobs = 1;
  std::filesystem::path findings_dir, corpus_dir;
  std::vector<std::filesystem::path> seed_dirs;
  std::filesystem::path dictionary;  // libFuzzer -dict= (empty: none)
  bool keep_going = false;
  bool progress = true;
  bool tty = false;  // progress on one rewritten line
  std::uint64_t seed = 0;
  harness::StackOptions stack_options;
};

struct CampaignFinding {
  std::filesystem::path input;
  std::string signature;
  std::size_t repeats = 0;  // later inputs with the same signature
};

// Both return false when the stack under test could not be run or broke too often (the CLI's
// exit code 3; the reason is on stderr), true when the campaign ran, whatever it found.
// `first` is a runner already started (for job 0), or null.
bool run_generator(const Campaign& c, std::unique_ptr<SequenceRunner> first, std::vector<CampaignFinding>& out);
bool run_libfuzzer(const Campaign& c, const std::string& binary, std::vector<CampaignFinding>& out);

// Whether `binary` is a libFuzzer build (the replay-only build says so on -help=1).
bool is_libfuzzer(const std::string& binary);
// The environment fuzz_differential reads (its stack and profile); set before is_libfuzzer and
// run_libfuzzer, which run the binary.
void set_target_environment(const Campaign& c);
// SIGINT/SIGTERM end the running campaign early (its findings are still written).
void stop_campaign_on_signals();

// <input>.finding.json: what `connstate fuzz` knew about an input it wrote.
struct FindingMeta {
  std::string target = "fuzz_differential";
  std::string engine, sut, profile, signature, found;
  std::size_t step = 0;
  bool has_step = false;
};
std::string sidecar_path(const std::filesystem::path& input);
void write_sidecar(const std::filesystem::path& input, const FindingMeta& m);
// A minimized input (INPUT.min) shares the sidecar of its original.
std::optional<FindingMeta> read_sidecar(const std::filesystem::path& input);

// Whole-file helpers for inputs and reports; they throw harness::UsageError naming the path.
std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, std::string_view text);
void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);

}  // namespace connstate::fuzz
