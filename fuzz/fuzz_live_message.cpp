// fuzz_live_message.cpp — the live server's message handling (connstate::live::LiveSession) on arbitrary messages.
//
// Hunts for: crashes, leaks, undefined behaviour and exceptions escaping when a WebSocket client of
// `connstate live` sends hostile messages (garbage, truncated JSON, control characters, headers in
// the wrong place, many pcs, long lines), and for any break of the server's promise: the input is a
// sequence of messages separated by 0x1E (ASCII record separator), fed as a server would (10 ms apart;
// a 0x1F byte in front of a message sends it at the same instant, which tests the rate limit) until
// the first refusal. Then
//   - a refusal has a close code of 1003/1007/1008/1009 and a reason that fits a close frame;
//   - the session's result equals check_text() of exactly the lines it recorded (what
//     `check-trace` gives for the recorded file), record for record;
//   - the findings pushed as they happened are the result's findings, pc by pc, in order;
//   - no message is accepted once the accounted memory is beyond the limit.
// Small limits (4 pcs, 4 KiB messages, 256 KiB memory) so that the fuzzer reaches each of them.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/live/session.h"
#include "connstate/trace/trace_reports.h"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_live_message: %s\n", what);
  std::abort();
}

std::string records(const connstate::trace::TraceResult& r) {
  std::string out;
  for (const auto& pc : r.pcs) {
    connstate::trace::append_pc_result_json(out, r, pc, "rec-2025");
    out += '\n';
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Budget guard: each message is bounded (4 KiB) and the checker is linear in its input;
  // 64 KiB is far more messages than a mutation explores (fuzz_live_message.options: max_len 8192).
  if (size > 64 * 1024) return -1;
  using namespace connstate;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  live::SessionLimits limits;
  limits.max_message_bytes = 4096;
  limits.max_pcs = 4;
  limits.max_memory_bytes = 256 * 1024;
  live::SessionInfo info;
  info.id = "fuzz";
  info.file = "fuzz.jsonl";
  info.recorded = "2026-11-24T00:00:00Z";
  info.recorder = "fuzz";
  std::string recorded;
  std::size_t recorded_lines = 0;
  std::map<std::string, std::vector<std::string>> pushed;
  live::SessionCallbacks cb;
  cb.on_line = [&](std::string_view line, std::size_t number) {
    if (number != ++recorded_lines) broken("line numbers are not consecutive");
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
      broken("a recorded line holds a line break");
    recorded.append(line);
    recorded += '\n';
  };
  cb.on_finding = [&](const trace::PcResult& pc, const trace::Finding& f) {
    if (pc.findings.size() >= trace::CheckOptions{}.max_findings) return;
    std::string j;
    trace::append_finding_json(j, f);
    pushed[pc.pc].push_back(std::move(j));
  };
  live::LiveSession session(trace::CheckOptions{}, limits, info, std::move(cb));

  double now = 0;
  while (true) {
    const auto sep = input.find('\x1e');
    std::string_view message = input.substr(0, sep);
    if (!message.empty() && message.front() == '\x1f') message.remove_prefix(1);
    else now += 0.01;
    const bool over_limit = session.memory() > limits.max_memory_bytes;
    const std::size_t before = session.lines();
    if (auto refusal = session.message(message, now)) {
      const auto c = refusal->close_code;
      if (c != live::kCloseInvalidData && c != live::kClosePolicy && c != live::kCloseTooBig &&
          c != live::kCloseUnsupportedData)
        broken("a refusal with an unknown close code");
      if (refusal->reason.empty() || refusal->reason.size() > 123) broken("a refusal reason that does not fit");
      if (session.lines() != before) broken("a refused message was fed in part");
      break;
    }
    if (over_limit) broken("a message was accepted beyond the memory limit");
    if (sep == std::string_view::npos) break;
    input.remove_prefix(sep + 1);
  }
  const trace::TraceResult live = session.finish();
  if (recorded_lines != session.lines()) broken("lines fed and lines recorded differ");
  const trace::TraceResult again = trace::check_text(recorded, trace::CheckOptions{}, "fuzz");
  if (records(live) != records(again)) broken("check-trace on the recorded lines gives another result");
  for (const auto& pc : live.pcs) {
    std::vector<std::string> kept;
    for (const auto& f : pc.findings) {
      std::string j;
      trace::append_finding_json(j, f);
      kept.push_back(std::move(j));
    }
    if (pushed[pc.pc] != kept) broken("the findings pushed are not the result's findings");
  }
  return 0;
}
