// fuzz_trace_line.cpp — the trace checker's line parser (connstate::trace::TraceChecker) on arbitrary text.
//
// Hunts for: crashes, leaks, undefined behaviour, unbounded memory and exceptions escaping
// the checker when `connstate check-trace` reads a trace (docs/trace-format.md) that is
// malformed, truncated, contradictory or hostile: header lines, transport and pc events,
// `api close`, timestamps out of order, unknown pcs and transports. The input is the trace
// text, fed line by line as check_stream does, and checked under one of two configurations
// (even length: rec-2025 in strict order; odd length: legacy-mdn with a 50 ms reorder window
// and small caps, which takes the window's and the caps' code paths); then every pc's result
// is rendered as the reports do (JSON record, finding lines, text detail, SVG timeline).
// Before that, every line the fast scanner reads (connstate/trace/trace_line.h) must read the same
// through the full parser: a disagreement aborts.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "connstate/trace/trace.h"
#include "connstate/trace/trace_line.h"
#include "connstate/trace/trace_reports.h"

namespace {
void render(const connstate::trace::TraceResult& r, const std::string& profile) {
  connstate::trace::TraceRunHeader header;
  header.run.profile = profile;
  std::string json;
  for (const auto& pc : r.pcs) {
    connstate::trace::append_pc_result_json(json, r, pc, profile);
    for (const auto& f : pc.findings) (void)connstate::trace::finding_text(f);
    (void)connstate::trace::pc_detail_text(r, pc, header);
    (void)connstate::trace::timeline_svg(pc);
  }
}

bool same(const connstate::trace::TraceLineFields& a, const connstate::trace::TraceLineFields& b) {
  const bool same_time = a.t_ms.has_value() == b.t_ms.has_value() &&
                         (!a.t_ms || std::memcmp(&*a.t_ms, &*b.t_ms, sizeof(double)) == 0);
  return same_time && a.target == b.target && a.event == b.event && a.pc == b.pc && a.state == b.state &&
         a.attribute == b.attribute && a.sctp_only == b.sctp_only;
}

void scanner_agrees_with_full_parser(std::string_view text) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    connstate::trace::TraceLineFields scanned;
    if (!connstate::trace::scan_trace_line(line, scanned)) continue;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object() || v.get_object().contains("format") ||
        !same(scanned, connstate::trace::fields_of(v.get_object())))
      std::abort();  // the scanner read a line differently from the full parser
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Budget guard: the checker is linear in its input and bounded per pc (max_findings,
  // max_problems, max_timeline_steps); 64 KiB holds ~500 event lines, far more structure
  // than a mutation explores (fuzz_trace_line.options sets max_len 4096).
  if (size > 64 * 1024) return -1;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  scanner_agrees_with_full_parser(text);
  using namespace connstate;
  trace::CheckOptions options;
  std::string profile = "rec-2025";
  if (size % 2) {
    options.profile = Profile::LegacyMdn;
    options.reorder_window_ms = 50;
    options.max_findings = 16;
    options.max_problems = 16;
    options.max_timeline_steps = 64;
    profile = "legacy-mdn";
  }
  render(trace::check_text(text, options, "fuzz"), profile);
  return 0;
}
