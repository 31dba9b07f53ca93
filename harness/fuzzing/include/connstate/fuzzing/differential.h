// differential.h — running a decoded sequence against the reference and a stack, and naming the difference.
//
// Shared by fuzz_differential (which aborts at a distinct site per DiffKind, so that a
// fuzzing engine files distinct bugs as distinct crashes), by `connstate fuzz` (its
// generator records findings instead of aborting) and by `connstate case-from-crash`
// (which re-runs an input to minimize it and to say what it shows).
//
// An Observation is what one side did, step by step: the events in dispatch order and
// the two states read afterwards. The reference side comes from PeerConnectionModel; a
// plugin: stack is driven through its C ABI directly (no text on the way: the fast
// path); any other --sut goes through harness::make_stack and its SequenceAnswer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/harness/stack.h"
#include "connstate/fuzzing/sequence_decoder.h"

namespace connstate::fuzz {

inline constexpr int kUndefinedState = -1;  // a state read as null

struct ObservedEvent {
  EventType type = EventType::IceTransportStateChange;
  TransportId transport = 0;  // transport events only (0 for pc events)
  std::uint8_t state = 0;     // enumerator of the state type `type` reports
  friend bool operator==(const ObservedEvent&, const ObservedEvent&) = default;
};

struct ObservedStep {
  std::vector<ObservedEvent> events;
  int connection_state = kUndefinedState;      // PeerConnectionState or kUndefinedState
  int ice_connection_state = kUndefinedState;  // IceConnectionState or kUndefinedState
  friend bool operator==(const ObservedStep&, const ObservedStep&) = default;
};

enum class RunStatus : std::uint8_t { Ok, Unsupported, Error };

struct Observation {
  RunStatus status = RunStatus::Ok;
  std::vector<ObservedStep> steps;  // the steps answered (all of them when Ok)
  std::string message;              // why Unsupported / Error
};

// What the reference model does with the sequence (under seq.profile and seq.options).
Observation reference_observation(const Sequence& seq);

// Each kind of difference has its own abort site in fuzz_differential and its own
// signature string (findings, sidecar files, case-from-crash). Never renumber: the
// signatures are written into finding files.
enum class DiffKind : std::uint8_t {
  StackError,                     // the stack failed or returned garbage on a valid step
  EventAfterClose,                // an event at a step after close()
  EventOnClose,                   // close() fired an event the reference does not
  WrongIceConnectionState,        // iceConnectionState read after a step
  WrongConnectionState,           // connectionState read after a step
  MissingIceStatechange, ExtraIceStatechange, WrongIceStatechange,
  MissingDtlsStatechange, ExtraDtlsStatechange, WrongDtlsStatechange,
  MissingIceConnectionStateChange, ExtraIceConnectionStateChange, WrongIceConnectionStateChange,
  MissingConnectionStateChange, ExtraConnectionStateChange, WrongConnectionStateChange,
  WrongEventOrder,                // the same events, in another order
  Count_
};
inline constexpr std::size_t kDiffKindCount = static_cast<std::size_t>(DiffKind::Count_);

std::string_view signature(DiffKind kind);    // "extra_iceconnectionstatechange"
std::string_view explanation(DiffKind kind);  // "an iceconnectionstatechange the reference does not fire"
std::optional<DiffKind> parse_signature(std::string_view text);

struct Difference {
  DiffKind kind = DiffKind::StackError;
  std::size_t step = 0;  // index into Sequence::steps
  std::string detail;    // one line: expected vs observed
};

// The first difference, step by step; std::nullopt when the stack agrees (or declined:
// RunStatus::Unsupported is never a difference).
std::optional<Difference> compare(const Sequence& seq, const Observation& expected, const Observation& observed);

// "ice:t0 statechange checking", "pc connectionstatechange connected".
std::string event_text(const ObservedEvent& e);
// "dtls:t0 statechange connected, pc connectionstatechange connected -> connected/connected"
std::string step_outcome_text(const ObservedStep& s);

// The decoded sequence with the reference's and the stack's outcome of every step up to the
// difference, for stderr (what a crash report shows).
std::string difference_report(const Sequence& seq, const Observation& expected, const Observation& observed,
                              const Difference& d, const std::string& sut);

// A stack the fuzzers can run sequences on.
class SequenceRunner {
 public:
  virtual ~SequenceRunner() = default;
  virtual Observation run(const Sequence& seq) = 0;
  virtual const std::string& sut() const = 0;
  // True when an out-of-process stack broke so often that it was given up on.
  virtual bool gave_up() const { return false; }
};

// plugin:<path.so> (or a bare path ending in .so): the C ABI, in-process. Anything else
// (exec:…, reference:…) goes through harness::make_stack. Throws harness::StackError when
// the stack cannot be started, harness::UsageError for a malformed SUT.
std::unique_ptr<SequenceRunner> make_runner(const std::string& sut, const harness::StackOptions& options = {});

// The sequence as a harness case (transports named t0..t7); used to drive exec: stacks.
harness::Case to_case(const Sequence& seq);

// Runs the input against the stack and compares: the difference, if any.
struct CheckResult {
  Sequence sequence;
  Observation expected, observed;
  std::optional<Difference> difference;
};
CheckResult check_input(std::span<const std::uint8_t> input, std::optional<Profile> profile, SequenceRunner& runner);

// Shrinks `input` while `still_fails` holds: chunks of step bytes are removed (largest first),
// then header bits are cleared. Deterministic. Returns the smallest input found.
std::vector<std::uint8_t> minimize(std::vector<std::uint8_t> input,
                                   const std::function<bool(const std::vector<std::uint8_t>&)>& still_fails);

// FNV-1a 64 of the bytes, 16 hex digits: case ids and finding file names.
std::string hash_hex(std::span<const std::uint8_t> bytes);

}  // namespace connstate::fuzz
