// session.h — one page session of `connstate live`: the trace a probe streams, checked as it arrives.
//
// A page that includes /probe.js opens one WebSocket; everything it sends over it is one page
// session, and one trace (format 1, docs/trace-format.md). LiveSession is the part of the server
// that does not know about sockets: it takes each WebSocket text message (trace lines separated by
// '\n'), validates it against the client rules (the first line is the header, every line a JSON
// object of one line, at most so many pcs, messages per second and bytes of memory), and feeds the
// accepted lines one by one to the same streaming TraceChecker `connstate check-trace` uses. Every
// line it feeds goes to on_line first, so what the server records is exactly what the checker was
// fed: `check-trace` on the recorded file gives the same findings. A message that breaks a rule is
// refused whole (none of its lines is fed) and the refusal carries the close code and reason the
// server sends before it disconnects the client.
//
// Example:
//   LiveSession s(check_options, SessionLimits{}, info, {.on_line = write_to_file, .on_finding = push});
//   if (auto refusal = s.message(text, seconds_now)) close(refusal->close_code, refusal->reason);
//   trace::TraceResult r = s.finish();   // at disconnect; findings of events never delivered come here
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "connstate/trace/trace.h"

namespace connstate::live {

// What one client may send and hold. Breaking a limit ends its connection with the reason.
struct SessionLimits {
  std::size_t max_message_bytes = 64 * 1024;  // one WebSocket message
  double messages_per_second = 100;           // sustained rate (token bucket) ...
  double message_burst = 200;                 // ... and the burst above it
  std::size_t max_pcs = 32;                   // distinct "pc" values in one session
  // Accounted memory of the session's checker state (lines fed, findings and problems kept); the
  // server adds what waits in its send queue. See LiveSession::memory().
  std::size_t max_memory_bytes = 16 * 1024 * 1024;
};

// Why a client is disconnected: a WebSocket close code (RFC 6455 §7.4.1) and a reason text that
// fits a close frame (at most 123 bytes).
struct Refusal {
  std::uint16_t close_code = 1008;  // 1007 invalid payload, 1008 policy, 1009 too big, 1003 binary
  std::string reason;
};
inline constexpr std::uint16_t kCloseInvalidData = 1007;
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;

// What the server knows about a session (written into the trace header it records).
struct SessionInfo {
  std::string id;        // trace id, e.g. "live-20261124T101530Z-3" (the recorded file's stem)
  std::string file;      // the recorded file's path ("" when not recording): TraceResult::file
  std::string recorded;  // ISO 8601 UTC start of the session
  std::string recorder;  // "connstate live 1.0.0"
  std::string peer;      // "127.0.0.1:53412"
  std::string origin;    // the WebSocket's Origin header ("" when the client sent none)
};

struct SessionCallbacks {
  // A line accepted and about to be fed to the checker (1-based line number of the trace).
  std::function<void(std::string_view line, std::size_t number)> on_line;
  std::function<void(const trace::PcResult& pc, const trace::Finding& finding)> on_finding;
  std::function<void(const trace::InputProblem& problem)> on_problem;
};

class LiveSession {
 public:
  LiveSession(trace::CheckOptions options, SessionLimits limits, SessionInfo info, SessionCallbacks callbacks);
  ~LiveSession();
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  // One WebSocket text message received at `now_seconds` (any monotonic clock). nullopt: accepted
  // and fed. A refusal: nothing of it was fed; the connection must be closed with that reason.
  std::optional<Refusal> message(std::string_view text, double now_seconds);

  // The client sent the end marker ({"target":"recorder","event":"end"}): the trace is complete.
  bool ended() const;
  // The header fields the client gave (empty before the first message).
  const std::string& stack() const;
  const std::string& stack_version() const;
  const std::string& page() const;
  std::size_t lines() const;  // lines fed (the recorded file's line count)
  std::size_t pcs() const;
  // Accounted bytes: every line fed costs kLineCostBase + kLineCostFactor × its size (an upper
  // bound of what the checker keeps for it: timeline step, pending events, held events), and every
  // finding and problem what its strings hold (session_memory_test measures the real heap against it).
  std::size_t memory() const;
  static constexpr std::size_t kLineCostBase = 768;
  static constexpr std::size_t kLineCostFactor = 6;

  // Ends the trace: findings of events never delivered come through on_finding, then the result.
  trace::TraceResult finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The bytes a finding / a problem holds (what memory() adds for it).
std::size_t finding_cost(const trace::Finding& f);
std::size_t problem_cost(const trace::InputProblem& p);

}  // namespace connstate::live
