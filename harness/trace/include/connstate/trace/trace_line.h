// trace_line.h — the fields the trace checker reads from one line of a format-1 trace
// (docs/trace-format.md), and the two parsers that read them.
//
// Nearly every line of a recorded trace is a flat JSON object of short ASCII strings and
// numbers. scan_trace_line reads exactly those with a small hand-written scanner, without
// building a JSON document, and declines everything else: escapes, bytes outside printable
// ASCII, nested objects or arrays, a header ("format"), a field the checker reads given twice,
// a t_ms whose value it cannot reproduce bit for bit, anything that is not valid JSON. Those
// lines go to the full parser (Boost.JSON), which gives every diagnostic; fields_of reads the
// same fields from the object it parsed.
// Where the scanner accepts a line, both give the same fields: trace_line_test compares them
// on every bundled trace line and on the fuzz_trace_line corpus, and fuzz_trace_line does on
// every input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace connstate::trace {

// Views into the line's text (valid while it is).
struct TraceLineFields {
  std::optional<std::string_view> target, event, pc, state, attribute;  // when present and a string
  std::optional<double> t_ms;                                            // when present and a number
  bool sctp_only = false;                                                // present and true
  friend bool operator==(const TraceLineFields&, const TraceLineFields&) = default;
};

// True when the scanner read the line (an event line, never a header) into `out`.
bool scan_trace_line(std::string_view line, TraceLineFields& out);

// The same fields from a line the full parser read (views into `line_object`).
TraceLineFields fields_of(const boost::json::object& line_object);

}  // namespace connstate::trace
