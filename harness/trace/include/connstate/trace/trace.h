// trace.h — recorded traces (format 1): checking what a real stack delivered against the spec.
//
// A trace is JSON lines (docs/trace-format.md): an optional header, then one event per
// line — transport state changes (`ice:<id>` / `dtls:<id>` `statechange`), peer-connection
// events (`pc` `connectionstatechange`, `iceconnectionstatechange`, …), `api close`, and
// anything else (kept, ignored). TraceChecker reads it line by line in constant memory:
// per pc it feeds the transport changes into a PeerConnectionModel and matches the pc
// events the stack delivered against the events the model requires, producing findings
// (wrong value, missing, extra, duplicate, wrong order, after close, …), each with its
// time, expected vs observed, and the spec rule it rests on.
//
// Example:
//   TraceChecker c(CheckOptions{}, "connect.jsonl", "chromium/connect");
//   for (each line) c.feed(line, line_number);
//   TraceResult r = c.finish();   // r.pcs[i].verdict, r.pcs[i].findings
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/harness/expectations.h"
#include "connstate/profiles.h"
#include "connstate/rules.h"

namespace connstate::trace {

using harness::Verdict;

// RTCSignalingState (webrtc-pc §4.3.1), IDL order; not in states.h because the
// reference does not derive it.
inline constexpr std::array<std::string_view, 6> kSignalingStates = {
    "stable", "have-local-offer", "have-remote-offer", "have-local-pranswer", "have-remote-pranswer", "closed"};

enum class FindingKind : std::uint8_t {
  WrongValue,          // delivered with another value than the spec requires
  Missing,             // required, never delivered
  Extra,               // delivered, nothing calls for it
  Duplicate,           // same value as the last one of that type (or a transport statechange to its own state)
  WrongOrder,          // out of the spec's order, beyond the reorder window
  Reordered,           // out of order within the reorder window (non-strict)
  AfterClose,          // an event after close()
  NotClosedAfterClose, // a state read after close() that is not "closed"
  IllegalTransition,   // a transport left a final state
  // Partial traces (few or no transport events: docs/trace-format.md "Partial traces").
  Impossible,          // no transport states at all could deliver this pc event here
  NeedsUnshownState,   // possible only with transport states the trace does not show (informational)
  UnexplainedSample,   // a transport sample no sequence of states that delivers the pc events passes (informational)
  Count_
};
inline constexpr std::size_t kFindingKindCount = static_cast<std::size_t>(FindingKind::Count_);
std::string_view to_string(FindingKind k);

// The event-level rules findings cite (derivation rules come from connstate::rule()).
enum class EventRuleId : std::uint8_t {
  IceTask, ConnectionUpdate, IceStatechange, DtlsStatechange, TasksAbort, CloseNoEvent, CloseDtlsNoCheck,
  CloseStates, IceFailedTerminal, IceClosedFinal, DtlsFailedSticky, DtlsClosedFinal, SignalingChange,
  GatheringChange, Count_
};

struct RuleRef {
  std::string id;        // "pcs-2025.connecting", "event.ice-task"
  std::string document;  // the text the quote comes from
  std::string anchor;    // fragment id in it
  std::string quote;     // verbatim
};
RuleRef rule_ref(RuleId id);
RuleRef rule_ref(EventRuleId id);
std::vector<RuleRef> all_event_rules();

struct Finding {
  FindingKind kind = FindingKind::Extra;
  Verdict severity = Verdict::Fail;  // Fail, NonStrict or Informational
  double t_ms = 0;
  std::size_t line = 0;
  std::string target;    // "pc", "ice:0", "dtls:0"
  std::string event;     // "connectionstatechange", "statechange", "get connectionState"
  std::string expected;  // what the spec requires ("" = no event / nothing)
  std::string observed;  // what the stack did ("" = nothing)
  bool has_cause = false;
  double cause_t_ms = 0;
  std::size_t cause_line = 0;
  std::string cause;     // "ice:0 statechange completed"
  RuleRef rule;
  std::string message;
};

// A problem with the input itself (not with the stack).
struct InputProblem {
  std::size_t line = 0;
  std::string pc;       // "" = could not be attributed to a pc
  std::string message;
  std::string action;   // what the checker did: "line skipped", "used in line order", …
};

struct TraceHeader {
  bool present = false;
  std::string stack, stack_version, scenario, recorded;
  bool pc_events = true;
  bool sampled = false;   // "transport_events": "sampled": transport lines are polled samples
  bool partial = false;   // "sampled" or "partial": the transport lines do not show every change
  double time_uncertainty_ms = 0;  // "time_uncertainty_ms": items this close may be in either order
  std::string json;       // the header line as written (provenance, for the reports)
};

// The picture of one pc: lanes of states over event steps (the x axis is the step, not time).
struct Timeline {
  struct Point {
    std::uint32_t step;
    std::string state;
  };
  struct Lane {
    std::string name;   // "ice:0", "connectionState (stack)", …
    std::string kind;   // "ice", "dtls", "pcs", "ics", "igs", "signaling"
    std::vector<Point> points;
  };
  std::vector<double> step_t;   // t_ms of each step
  std::vector<std::string> step_label;  // what happened at the step ("ice:0 statechange checking")
  std::vector<Lane> lanes;
  std::vector<std::pair<std::uint32_t, std::size_t>> finding_marks;  // step, index into PcResult::findings
  std::optional<std::uint32_t> close_step;
  bool truncated = false;
};

// Which states were seen (bit i = enumerator i of the state type), for scenario coverage.
struct Coverage {
  std::uint8_t ice = 0;            // IceTransportState reached by some transport
  std::uint8_t dtls = 0;           // DtlsTransportState
  std::uint8_t pcs_observed = 0;   // PeerConnectionState delivered by the stack
  std::uint8_t pcs_expected = 0;   // required by the spec
  std::uint8_t ics_observed = 0;
  std::uint8_t ics_expected = 0;
  bool closed = false;             // close() was called
};

struct PcResult {
  std::string id;        // "<trace id>#<pc>"
  std::string pc;
  Verdict verdict = Verdict::Pass;
  bool unexpected = false;
  const harness::Expectation* expectation = nullptr;
  bool pc_events = true;
  bool partial = false;               // judged as a partial trace (by what its pc events imply)
  std::size_t lines = 0;              // lines of this pc
  std::size_t transports = 0;
  std::size_t transport_changes = 0;
  std::size_t pc_events_delivered = 0;
  std::size_t pc_events_expected = 0;
  std::size_t matched = 0;
  double first_t = 0, last_t = 0;
  std::vector<Finding> findings;      // the first CheckOptions::max_findings
  std::size_t findings_total = 0;
  std::array<std::size_t, kFindingKindCount> finding_counts{};
  std::vector<InputProblem> problems; // this pc's, then the trace-level ones
  std::size_t problems_total = 0;
  Coverage coverage;
  Timeline timeline;
  std::string message;                // one-line summary
};

struct TraceResult {
  std::string file;
  std::string id;
  TraceHeader header;
  std::vector<PcResult> pcs;          // in order of first appearance
  std::vector<InputProblem> problems; // trace-level (unattributed) problems
  std::size_t problems_total = 0;
  std::size_t lines = 0;
  std::size_t events = 0;
  bool checked = true;                // false: unreadable or unsupported version
  Verdict verdict = Verdict::Pass;
  double seconds = 0;
};

struct CheckOptions {
  Profile profile = kDefaultProfile;
  double reorder_window_ms = 0;        // 0 = the spec's order, strictly
  // How long (trace time) an unmatched pc event is held to see whether its cause comes just after
  // it; such an event is then reported early (wrong-order, or reordered within the window) rather
  // than as extra. The hold is max(reorder_window_ms, lookahead_ms).
  double lookahead_ms = 50;
  std::size_t max_findings = 1000;     // per pc; the rest are counted
  std::size_t max_problems = 200;      // per pc and per trace; the rest are counted
  std::size_t max_timeline_steps = 4000;
  bool timeline = true;
};

// The verdict order used to aggregate: pass < informational < non-strict < fail < error.
int verdict_rank(Verdict v);

class TraceChecker {
 public:
  TraceChecker(CheckOptions options, std::string file, std::string id);
  ~TraceChecker();
  TraceChecker(const TraceChecker&) = delete;
  TraceChecker& operator=(const TraceChecker&) = delete;

  // Called for each input problem as it is found (e.g. to print FILE:LINE: message).
  void on_problem(std::function<void(const InputProblem&)> f);
  // Called for each finding as it is produced, while the trace is still being fed (e.g. to show
  // findings as they happen); `pc` is that pc's result so far, its findings_total counting this one.
  // Findings produced by finish() (events never delivered) come through here too, before it returns.
  void on_finding(std::function<void(const PcResult& pc, const Finding& finding)> f);
  // One line of the trace (without its newline); line numbers start at 1.
  void feed(std::string_view line, std::size_t line_number);
  // A line longer than the reader's limit, or a read error: recorded as a problem.
  void problem(std::size_t line_number, std::string message, std::string action);
  TraceResult finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads and checks a whole trace from a FILE* (streaming).
TraceResult check_stream(std::FILE* in, const CheckOptions& options, const std::string& file, const std::string& id,
                         const std::function<void(const InputProblem&)>& on_problem = {});
// Checks a trace held in memory (tests, and dumps imported on the fly by check-trace).
TraceResult check_text(std::string_view text, const CheckOptions& options, const std::string& id = "trace");
TraceResult check_text(std::string_view text, const CheckOptions& options, const std::string& file, const std::string& id,
                       const std::function<void(const InputProblem&)>& on_problem);

// "<path relative to root>" without its extension (.jsonl, .json, .txt, optionally .gz); root "" =
// the current directory.
std::string trace_id(const std::string& path, const std::string& root);

// The one-line text of a finding, h2spec style: "12.5 ms line 7: missing connectionstatechange …".
std::string finding_text(const Finding& f);

}  // namespace connstate::trace
