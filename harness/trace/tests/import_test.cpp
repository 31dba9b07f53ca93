// import_test.cpp — `connstate import webrtc-internals` on a small synthetic dump in the real format.
#define BOOST_TEST_MODULE trace_import
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "connstate/harness/json_input.h"
#include "connstate/trace/trace.h"
#include "connstate/trace/webrtc_internals.h"

using namespace connstate;
using namespace connstate::trace;

namespace connstate::harness {
inline std::ostream& operator<<(std::ostream& os, Verdict v) { return os << to_string(v); }
}  // namespace connstate::harness
namespace connstate::trace {
inline std::ostream& operator<<(std::ostream& os, FindingKind k) { return os << to_string(k); }
}  // namespace connstate::trace

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kDump = std::string(CONNSTATE_SOURCE_DIR) + "/harness/trace/tests/data/webrtc-internals-dump.json";

std::vector<boost::json::object> lines_of(const std::string& trace) {
  std::vector<boost::json::object> out;
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) out.push_back(boost::json::parse(line).as_object());
  return out;
}

std::vector<std::string> events_of(const std::vector<boost::json::object>& lines, const std::string& pc) {
  std::vector<std::string> out;
  for (const auto& o : lines) {
    if (!o.contains("pc") || o.at("pc").as_string() != pc) continue;
    std::string s = std::string(o.at("target").as_string()) + " " + std::string(o.at("event").as_string());
    if (o.contains("state")) s += " " + std::string(o.at("state").as_string());
    char t[32];
    std::snprintf(t, sizeof t, "@%g", o.at("t_ms").to_number<double>());
    out.push_back(s + t);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(dump_times) {
  double ms = 0;
  BOOST_TEST(parse_dump_time("2026-11-23T20:00:00.250Z", ms));
  BOOST_TEST(ms == 1795464000250.0);
  BOOST_TEST(parse_dump_time("2026-11-23T21:00:00+01:00", ms));
  BOOST_TEST(ms == 1795464000000.0);
  BOOST_TEST(parse_dump_time("11/23/2026, 8:00:00 PM", ms));
  BOOST_TEST(ms == 1795464000000.0);
  BOOST_TEST(parse_dump_time("11/23/2026, 12:00:01 AM", ms));
  BOOST_TEST(ms == 1795392001000.0);
  BOOST_TEST(parse_dump_time("1795464000250.5", ms));
  BOOST_TEST(!parse_dump_time("yesterday", ms));
  BOOST_TEST(!parse_dump_time("2026-11-23T20:00", ms));
}

BOOST_AUTO_TEST_CASE(imports_pc_events_and_sampled_transport_states) {
  ImportSummary sum;
  const std::string trace = import_webrtc_internals(read(kDump), "dump.json", &sum);
  BOOST_TEST(sum.pcs == 2u);
  BOOST_TEST(sum.pc_events == 9u);
  BOOST_TEST(sum.transport_events == 5u);
  const auto lines = lines_of(trace);
  const auto& h = lines.front();
  BOOST_TEST(h.at("format").as_string() == "connstate-trace");
  BOOST_TEST(h.at("stack").as_string() == "chromium");
  BOOST_TEST(h.at("stack_version").as_string() == "156.0.8078.79");
  BOOST_TEST(h.at("transport_events").as_string() == "sampled");
  BOOST_TEST(h.at("recorded").as_string() == "2026-11-23T20:00:00Z");
  const std::vector<std::string> want0 = {
      "recorder webrtc-internals-pc@0",
      "ice:T01 statechange checking@0",  // a transport change comes first at equal times
      "api createDataChannel@0",
      "api setLocalDescription@0",
      "pc signalingstatechange have-local-offer@0",
      "pc icegatheringstatechange gathering@0",
      "api setRemoteDescription@0",
      "pc signalingstatechange stable@0",
      "pc iceconnectionstatechange checking@0",
      "pc connectionstatechange connecting@0",
      "dtls:T01 statechange connected@1000",  // series in the dump's key order
      "ice:T01 statechange connected@1000",
      "pc iceconnectionstatechange connected@1000",
      "pc connectionstatechange connected@1000",
      "api close@5000",
  };
  const auto got0 = events_of(lines, "pc0");
  BOOST_TEST(got0 == want0, boost::test_tools::per_element());
  const std::vector<std::string> want1 = {
      "recorder webrtc-internals-pc@500",
      "pc iceconnectionstatechange checking@500",
      "ice:T02 statechange checking@1000",
      "pc iceconnectionstatechange connected@1500",  // quotes around the value are dropped
      "ice:T02 statechange connected@2000",
  };
  const auto got1 = events_of(lines, "pc1");
  BOOST_TEST(got1 == want1, boost::test_tools::per_element());
  // Every line checks as format 1 without input problems.
  CheckOptions o;
  o.reorder_window_ms = 1500;
  const TraceResult r = check_text(trace, o, "dump");
  BOOST_TEST(r.problems_total == 0u);
  BOOST_REQUIRE_EQUAL(r.pcs.size(), 2u);
  BOOST_TEST(r.pcs[0].problems_total == 0u);
  // pc0: the samples put DTLS connected before ICE connected, which then fires both pc events.
  for (const auto& f : r.pcs[0].findings) BOOST_TEST_MESSAGE(finding_text(f));
  BOOST_TEST(r.pcs[0].verdict == Verdict::Pass);
  // pc1: the pc events come 500 ms before the samples that show their causes: reordered within
  // 1500 ms; its connectionstatechange is missing (the synthetic pc logs none).
  BOOST_TEST(r.pcs[1].finding_counts[static_cast<std::size_t>(FindingKind::Reordered)] == 2u);
  BOOST_TEST(r.pcs[1].finding_counts[static_cast<std::size_t>(FindingKind::Missing)] == 1u);
}

BOOST_AUTO_TEST_CASE(bad_dumps_name_the_place) {
  try {
    import_webrtc_internals("{\"PeerConnections\": {\"1-1\": {\"updateLog\": [\n {\"type\": \"close\"}]}}}", "d.json");
    BOOST_FAIL("no error");
  } catch (const harness::InputError& e) {
    BOOST_TEST(e.line == 2);
    BOOST_TEST(std::string(e.what()).find("needs a \"time\"") != std::string::npos);
  }
  // Found by fuzz_webrtc_internals: an endTime that parses as infinity gave sampled states t_ms nan.
  try {
    import_webrtc_internals(R"({"PeerConnections": {"1-1": {"updateLog": [], "stats": {"T1-iceState":
      {"statsType": "transport", "startTime": 1700000000000, "endTime": 170000e0002000, "values": ["checking"]}}}}})",
                            "d.json");
    BOOST_FAIL("no error");
  } catch (const harness::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("a time outside") != std::string::npos, e.what());
  }
  BOOST_CHECK_THROW(import_webrtc_internals("{\"x\": 1}", "d.json"), harness::InputError);
  BOOST_CHECK_THROW(import_webrtc_internals("{\"PeerConnections\": ", "d.json"), harness::InputError);
  ImportSummary sum;
  const std::string t = import_webrtc_internals("{\"PeerConnections\": {}}", "d.json", &sum);
  BOOST_TEST(sum.pcs == 0u);
  BOOST_TEST(lines_of(t).size() == 1u);  // the header only
}
