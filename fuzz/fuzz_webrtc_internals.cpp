// fuzz_webrtc_internals.cpp — the chrome://webrtc-internals importer (connstate::trace) on arbitrary text.
//
// Hunts for: crashes, leaks, undefined behaviour, unbounded memory and any exception other
// than InputError when `connstate import` reads a dump: gzip data (the page's default
// download), updateLog entries of every shape Chromium wrote, stats series (with "values" as
// an array or as JSON text inside a string, with or without per-sample timestamps), the time
// formats of parse_dump_time(). An import that succeeds must produce what the checker can read:
// every line of the trace is a JSON object (else the target aborts), and the trace is then
// checked, which runs the partial-trace search on every pc. The seeds include the real Chromium
// 156 dumps of cases/traces/chromium-internals/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "connstate/harness/json_input.h"
#include "connstate/trace/trace.h"
#include "connstate/trace/webrtc_internals.h"

namespace {
[[noreturn]] __attribute__((noinline)) void importer_wrote_bad_line(std::string_view line) {
  std::fprintf(stderr, "==connstate== the importer wrote a line that is not a JSON object: %.*s\n",
               static_cast<int>(line.size()), line.data());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Budget guard: real dumps run to megabytes, but their structure repeats; 256 KiB holds the
  // committed real dumps whole (the largest is 214 KB) and keeps an execution in milliseconds.
  if (size > 256 * 1024) return -1;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace connstate;
  std::string trace_text;
  try {
    trace::ImportSummary summary;
    trace_text = trace::import_webrtc_internals(text, "dump.json", &summary);
  } catch (const harness::InputError&) {
    return 0;  // not a dump: the importer's documented answer
  }
  std::string_view rest = trace_text;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (!line.empty()) {
      boost::system::error_code ec;
      const boost::json::value v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) importer_wrote_bad_line(line);
    }
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  (void)trace::check_text(trace_text, trace::CheckOptions{}, "imported");
  // The time parser on the raw input as well (it takes any text from a dump).
  double ms = 0;
  (void)trace::parse_dump_time(text.substr(0, 64), ms);
  return 0;
}
