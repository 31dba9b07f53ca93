// runner.h — runs cases against a stack under test and gives each a verdict.
//
// For each selected case under the run's profile: the reference computes the pass
// outcome, the stack answers, and the answer is compared with the pass outcome and
// then with the case's alternatives (best verdict wins). Results stream to sinks
// (the report writers) as they are produced.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/harness/expectations.h"
#include "connstate/harness/stack.h"

namespace connstate::harness {

struct CaseResult {
  const Case* c = nullptr;
  Profile profile = kDefaultProfile;
  Verdict verdict = Verdict::Pass;
  ExpectedOutcome expected;                      // the pass outcome
  std::vector<std::pair<Verdict, ExpectedOutcome>> alternatives;  // for this profile
  ObservedStates observed_snapshot;
  std::vector<StepOutcomeText> observed_steps;
  int first_difference = -1;   // sequence: first step that differs from the pass outcome
  std::string message;         // what differs / why unsupported / what broke
  std::string evidence;
  std::string matched_note;    // the alternative that matched
  double micros = 0;
  const Expectation* expectation = nullptr;
  bool unexpected = false;       // counts against the run
  bool unexpected_pass = false;  // better than its expectation: the expectations file is out of date
};

// One part of a run split over several machines: shard `index` (0-based) of `count` takes the
// selected cases whose position in the selection, counted from 0, is `index` modulo `count`. Every
// case lands in exactly one shard, and the shards' results interleaved in turn are the whole run's.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool takes(std::size_t position) const { return position % count == index; }
};
struct RunHeader {
  std::string tool_version;
  std::string suite_version;
  std::string profile;
  StackInfo stack;
  std::string date;  // ISO 8601, UTC
  bool strict = false;
  std::string expectations_file;
  std::size_t selected = 0;
  std::string cases_dir;  // where the suite was loaded from: reports link docs/spec/ next to it
  std::string results_file;            // the JSON report, if any (for "update the expectations" hints)
  bool fail_on_unexpected_pass = false;
  std::vector<std::string> warnings;   // about the inputs (expectations file); also printed on stderr
  std::optional<Shard> shard;          // set when the run is one shard of several (--shard)
};

struct RunSummary {
  std::size_t counts[6] = {};  // by Verdict
  std::size_t unexpected = 0;
  std::size_t unexpected_passes = 0;
  std::size_t total = 0;
  double seconds = 0;
  bool interrupted = false;
  std::string stack_diagnostics;
  std::size_t count(Verdict v) const { return counts[static_cast<std::size_t>(v)]; }
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void begin(const RunHeader&) {}
  virtual void add(const CaseResult&) = 0;
  virtual void end(const RunHeader&, const RunSummary&) {}
};

struct Selection {
  std::vector<std::string> patterns;  // id globs; empty = all
  std::vector<std::string> tags;      // any of; empty = all
  std::vector<std::string> exclude;   // id globs
};

bool selected(const Case& c, const Selection& s);

struct RunOptions {
  Profile profile = kDefaultProfile;
  bool strict = false;
  const Expectations* expectations = nullptr;
  bool fail_on_unexpected_pass = false;        // unexpected passes count as unexpected results
  std::size_t batch = 512;                     // snapshot cases per evaluate() call
  std::function<void(std::size_t done, std::size_t total)> progress;
  const volatile bool* stop = nullptr;         // set by a signal handler: finish cleanly
};

std::vector<const Case*> select_cases(const Suite& suite, const Selection& s, Profile profile);

// Where a run's cases come from, one at a time.
class CaseSource {
 public:
  virtual ~CaseSource() = default;
  // The next case, or nullptr after the last. A case that has to be built is built in `scratch`
  // (its storage reused); the pointer stays valid until `scratch` is written again.
  virtual const Case* next(Case& scratch) = 0;
};

// "I/N" (1 <= I <= N, as CI matrices count) -> {I-1, N}; std::nullopt when malformed.
std::optional<Shard> parse_shard(std::string_view text);

// The cases of a suite that a run selects under a profile (and shard), in suite order: the
// hand-written ones from the suite, the streamed generated ones built as they are reached.
class CaseStream final : public CaseSource {
 public:
  // with_text = false: generated cases without their titles and citations (enough to select them).
  CaseStream(const Suite& suite, Selection selection, Profile profile, Shard shard = {}, bool with_text = true);
  const Case* next(Case& scratch) override;

 private:
  bool wanted(const Case& c);
  const Suite& suite_;
  Selection selection_;
  Profile profile_;
  Shard shard_;
  std::size_t hand_written_next_ = 0;
  std::size_t position_ = 0;  // among the selected cases, for the shard
  GeneratedCases generated_;
};

// How many cases a CaseStream with the same arguments gives (a pass over the suite; nothing kept).
std::size_t count_selected(const Suite& suite, const Selection& selection, Profile profile, Shard shard = {});
// Whether any case of the suite, under any profile, satisfies `pred` (stops at the first).
bool any_case(const Suite& suite, const std::function<bool(const Case&)>& pred);

// `total` is how many cases `cases` gives (for the progress line).
RunSummary run_cases(CaseSource& cases, std::size_t total, StackUnderTest& stack, const RunOptions& options,
                     const RunHeader& header, const std::vector<ResultSink*>& sinks);
RunSummary run_cases(const std::vector<const Case*>& cases, StackUnderTest& stack, const RunOptions& options,
                     const RunHeader& header, const std::vector<ResultSink*>& sinks);

// Compares one answer with the case's outcomes (exposed for the tests and the fuzzers).
void judge_snapshot(CaseResult& r, const SnapshotAnswer& a);
void judge_sequence(CaseResult& r, const SequenceAnswer& a);

std::string show_state(const StateText& s);
std::string show_step(const StepOutcomeText& s);

}  // namespace connstate::harness
