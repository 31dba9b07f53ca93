// trace_line_test.cpp — the trace line scanner against the full parser (trace_line.h): on every line
// of every bundled trace (cases/traces/) and of the fuzz_trace_line corpus, a line the scanner reads
// gives the fields the full parser gives; and on lines made to sit at the edges of what it accepts.
#define BOOST_TEST_MODULE trace_line
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connstate/trace/trace_line.h"

using namespace connstate::trace;
namespace fs = std::filesystem;

namespace {

struct Tally {
  std::size_t lines = 0, scanned = 0;
};

bool same_number(const std::optional<double>& a, const std::optional<double>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return std::memcmp(&*a, &*b, sizeof(double)) == 0;  // bit for bit: -0.0 is not 0.0
}

// When the scanner reads `line`, the full parser must read it as an object with the same fields.
void check_line(std::string_view line, Tally& tally, const std::string& where) {
  ++tally.lines;
  TraceLineFields scanned;
  if (!scan_trace_line(line, scanned)) return;
  ++tally.scanned;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(line, ec);
  BOOST_TEST_INFO(where << ": " << line);
  BOOST_TEST_REQUIRE(!ec);
  BOOST_TEST_REQUIRE(v.is_object());
  BOOST_TEST(!v.get_object().contains("format"));
  const TraceLineFields full = fields_of(v.get_object());
  BOOST_TEST((scanned.target == full.target && scanned.event == full.event && scanned.pc == full.pc &&
              scanned.state == full.state && scanned.attribute == full.attribute &&
              scanned.sctp_only == full.sctp_only));
  BOOST_TEST(same_number(scanned.t_ms, full.t_ms));
}

void check_file(const fs::path& file, Tally& tally) {
  std::ifstream in(file, std::ios::binary);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) check_line(line, tally, file.string() + ":" + std::to_string(++number));
}

Tally check_tree(const fs::path& root, bool jsonl_only) {
  Tally tally;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && (!jsonl_only || e.path().extension() == ".jsonl")) check_file(e.path(), tally);
  return tally;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bundled_traces_read_the_same_both_ways) {
  const Tally t = check_tree(fs::path(CONNSTATE_SOURCE_DIR) / "cases" / "traces", true);
  BOOST_TEST_MESSAGE(t.scanned << " of " << t.lines << " bundled trace lines read by the scanner");
  BOOST_TEST(t.lines > 1000u);
  BOOST_TEST(t.scanned * 10 > t.lines * 9);  // the scanner is the common path, not the exception
}

BOOST_AUTO_TEST_CASE(fuzz_corpus_reads_the_same_both_ways) {
  const Tally t = check_tree(fs::path(CONNSTATE_SOURCE_DIR) / "fuzz" / "seeds" / "fuzz_trace_line", false);
  BOOST_TEST(t.lines > 100u);
  BOOST_TEST(t.scanned > 0u);
}

BOOST_AUTO_TEST_CASE(edges_of_what_the_scanner_reads) {
  const char* read[] = {
      R"({"t_ms":1006.7,"pc":"a","target":"ice:0","event":"statechange","state":"connected"})",
      R"(  { "t_ms" : -0 , "pc" : "a" }  )",
      R"({"t_ms":-0.0})",
      R"({"t_ms":0.1,"sctp_only":true,"x":null,"y":false,"z":12})",
      R"({"t_ms":123456789012.345})",
      R"({"t_ms":"12","target":7})",
      R"({})",
  };
  const char* declined[] = {
      R"({"format":"connstate-trace","version":1})",          // a header
      R"({"t_ms":1,"state":"a\"b"})",                         // an escape
      R"({"t_ms":1e3})",                                      // an exponent
      R"({"t_ms":1234567890123456})",                         // 16 digits
      R"({"t_ms":01})",                                       // not JSON
      R"({"t_ms":1.})",                                       // not JSON
      R"({"t_ms":1,"pc":"a","pc":"b"})",                      // a field given twice
      R"({"t_ms":1,"detail":{"a":1}})",                       // nested
      R"({"t_ms":1,"pc":"caf)" "\xc3\xa9" R"("})",            // not ASCII
      R"({"t_ms":1} x)",                                      // trailing text
      R"({"t_ms":1,})",                                       // trailing comma
      R"([1,2])",                                             // not an object
  };
  Tally tally;
  for (const char* line : read) {
    TraceLineFields f;
    BOOST_TEST_INFO(line);
    BOOST_TEST(scan_trace_line(line, f));
    check_line(line, tally, "edge");
  }
  for (const char* line : declined) {
    TraceLineFields f;
    BOOST_TEST_INFO(line);
    BOOST_TEST(!scan_trace_line(line, f));
  }
  TraceLineFields negative_zero;
  BOOST_TEST_REQUIRE(scan_trace_line(R"({"t_ms":-0.0})", negative_zero));
  BOOST_TEST(std::signbit(*negative_zero.t_ms));
  TraceLineFields integer_zero;
  BOOST_TEST_REQUIRE(scan_trace_line(R"({"t_ms":-0})", integer_zero));
  BOOST_TEST(!std::signbit(*integer_zero.t_ms));
}
