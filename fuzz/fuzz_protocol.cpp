// fuzz_protocol.cpp — the protocol-1 response parsers (harness/include/connstate/harness/protocol.h).
//
// Hunts for: crashes, leaks, undefined behaviour, unbounded memory and any exception other
// than ProtocolError when an adapter answers with arbitrary bytes. The input is one response
// line; every parser reads it as the answer to request id 1 (hello, evaluate, reset, step,
// bye), and truncate_for_evidence() cuts it as the reports do. These parsers see whatever an
// exec: adapter writes, so they must hold up against anything.
#include <cstdint>
#include <string_view>

#include "connstate/harness/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Budget guard: the exec: stack refuses response lines over --max-line-bytes (1 MiB by
  // default) before any parser sees them; 64 KiB covers every structure a line can have.
  if (size > 64 * 1024) return -1;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  namespace protocol = connstate::harness::protocol;
  constexpr std::int64_t kId = 1;
  try {
    (void)protocol::parse_hello(line, kId);
  } catch (const protocol::ProtocolError&) {
  }
  try {
    (void)protocol::parse_evaluate_response(line, kId);
  } catch (const protocol::ProtocolError&) {
  }
  try {
    (void)protocol::parse_reset_response(line, kId);
  } catch (const protocol::ProtocolError&) {
  }
  try {
    (void)protocol::parse_step_response(line, kId);
  } catch (const protocol::ProtocolError&) {
  }
  try {
    protocol::parse_bye_response(line, kId);
  } catch (const protocol::ProtocolError&) {
  }
  (void)protocol::truncate_for_evidence(line);
  (void)protocol::truncate_for_evidence(line, 7);
  return 0;
}
