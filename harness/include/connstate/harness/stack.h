// stack.h — the stack under test, as the runner sees it.
//
// A stack is named by a --sut string: `reference:<profile>` (the built-in
// reference), `plugin:<path.so>` (a C ABI plugin) or `exec:<command line>` (a
// protocol-1 adapter). Whatever it is, the runner asks it to evaluate batches of
// snapshot cases (so adapters can pipeline) and to run sequence cases, and gets
// for each either an answer, `unsupported` (the stack declined) or `error` (the
// stack misbehaved; with evidence).
#pragma once

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "connstate/harness/cases.h"

namespace connstate::harness {

// The stack could not be started or talked to at all (exit code 3). `evidence`: what the
// stack left behind (exit status, last stderr lines), one fact per line.
struct StackError : std::runtime_error {
  explicit StackError(const std::string& message, std::string evidence_ = {})
      : std::runtime_error(message), evidence(std::move(evidence_)) {}
  std::string evidence;
};

struct StackInfo {
  std::string sut;       // the --sut string
  std::string name;
  std::string version;
  std::string homepage;
  std::string issues;
  bool supports_evaluate = true;
  bool supports_sequence = true;
  std::optional<Profile> reference_profile;  // set for reference:<profile>
};

enum class AnswerStatus : std::uint8_t { Ok, Unsupported, Error };

struct SnapshotAnswer {
  AnswerStatus status = AnswerStatus::Ok;
  ObservedStates states;
  std::string message;   // why unsupported / what went wrong
  std::string evidence;  // offending line, exit status, stderr tail
};

// A snapshot as the fast path takes it: no case around it (ids, titles, citations), so a
// generator can hand over snapshots it keeps packed in one buffer.
struct SnapshotView {
  bool closed = false;
  std::span<const TransportState> transports;
};

// A snapshot's answer as enums: the fast path (no text). Any status but Ok carries no reason;
// evaluate() on that case says why.
struct SnapshotStates {
  AnswerStatus status = AnswerStatus::Ok;
  std::optional<PeerConnectionState> connection_state;  // nullopt: undefined (null)
  std::optional<IceConnectionState> ice_connection_state;
  friend bool operator==(const SnapshotStates&, const SnapshotStates&) = default;
};

struct SequenceAnswer {
  AnswerStatus status = AnswerStatus::Ok;
  std::vector<StepOutcomeText> steps;  // the steps answered (all of them when Ok)
  std::string message;
  std::string evidence;
};

class StackUnderTest {
 public:
  virtual ~StackUnderTest() = default;
  virtual const StackInfo& info() const = 0;
  // answers[i] answers cases[i]; every case is a snapshot case.
  virtual void evaluate(std::span<const Case* const> cases, std::span<SnapshotAnswer> answers) = 0;
  // Snapshots answered as enums, for callers that need no text: answers[i] answers snapshots[i].
  // The default goes through evaluate(); in-process stacks (reference:, plugin: with ABI 2's batch
  // entry) answer without any text.
  virtual void evaluate_states(std::span<const SnapshotView> snapshots, std::span<SnapshotStates> answers);
  virtual SequenceAnswer run_sequence(const Case& c) = 0;
  // Free text the stack wrote that belongs in the report (an adapter's stderr).
  virtual std::string diagnostics() { return {}; }
  // True when the stack broke so often that the run could not go on against it
  // (remaining cases got `error`); the run then exits with code 3.
  virtual bool gave_up() const { return false; }
};

// Limits for out-of-process adapters (exec:).
struct StackOptions {
  std::size_t window = 64;                 // requests in flight
  int request_timeout_ms = 5000;           // no answer for this long: the adapter hangs
  int start_timeout_ms = 30000;            // for the answer to hello (the adapter may start a stack)
  int run_timeout_s = 0;                   // whole run; 0 = none
  int max_restarts = 5;                    // after a crash/hang/protocol error
  std::size_t max_line_bytes = 1u << 20;   // a longer response line is an error
};

// Throws UsageError for a malformed --sut, StackError when the stack cannot be run.
std::unique_ptr<StackUnderTest> make_stack(const std::string& sut, const StackOptions& options = {});

std::unique_ptr<StackUnderTest> make_reference_stack(Profile profile);
std::unique_ptr<StackUnderTest> make_plugin_stack(const std::string& path);
// A stack that could not be started: answers every case with `error` and the reason.
std::unique_ptr<StackUnderTest> make_unavailable_stack(const std::string& sut, const StackError& why);
std::unique_ptr<StackUnderTest> make_exec_stack(const std::string& command_line, const StackOptions& options);

}  // namespace connstate::harness
