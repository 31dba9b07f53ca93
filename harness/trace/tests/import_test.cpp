// import_test.cpp — `connstate import webrtc-internals` on the real Chromium dumps the project
// recorded (cases/traces/chromium-internals/), on made-up dumps of the shapes older releases wrote,
// and on bad dumps (each must fail with an error that names the place).
#define BOOST_TEST_MODULE trace_import
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <cmath>
#include <map>
#include <set>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "../internal/gunzip.h"
#include "connstate/harness/json_input.h"
#include "connstate/trace/trace.h"
#include "connstate/trace/webrtc_internals.h"

using namespace connstate;
using namespace connstate::trace;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace connstate::harness {
inline std::ostream& operator<<(std::ostream& os, Verdict v) { return os << to_string(v); }
}  // namespace connstate::harness
namespace connstate::trace {
inline std::ostream& operator<<(std::ostream& os, FindingKind k) { return os << to_string(k); }
}  // namespace connstate::trace

namespace {

const std::string kDumps = std::string(CONNSTATE_SOURCE_DIR) + "/cases/traces/chromium-internals";
const std::string kData = std::string(CONNSTATE_SOURCE_DIR) + "/harness/trace/tests/data";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> real_dumps() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kDumps))
    if (e.path().extension() == ".txt" || e.path().extension() == ".gz") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<json::object> lines_of(const std::string& trace) {
  std::vector<json::object> out;
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line).as_object());
  return out;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

// The spec state a Chromium 156 log value names: JSON text.
std::string unquoted(const std::string& v) { return str(json::parse(v)); }

std::string expect_error(const std::string& dump, const std::string& name = "d.json") {
  try {
    import_webrtc_internals(dump, name);
  } catch (const harness::InputError& e) {
    return e.what();
  }
  BOOST_FAIL("no error for " + dump.substr(0, 80));
  return "";
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
  BOOST_TEST(parse_dump_time("11/23/2026, 8:00:00\xE2\x80\xAFPM", ms));  // ICU 72+: a narrow no-break space
  BOOST_TEST(ms == 1795464000000.0);
  BOOST_TEST(parse_dump_time("11/23/2026, 12:00:01 AM", ms));
  BOOST_TEST(ms == 1795392001000.0);
  BOOST_TEST(parse_dump_time("23.11.2026, 20:00:00", ms));  // de: day first, 24 hours
  BOOST_TEST(ms == 1795464000000.0);
  BOOST_TEST(parse_dump_time("23/11/2026, 20:00:00", ms));  // en-GB: a first number above 12 is the day
  BOOST_TEST(ms == 1795464000000.0);
  BOOST_TEST(parse_dump_time("2026/11/23 20:00:00", ms));   // ja, zh
  BOOST_TEST(ms == 1795464000000.0);
  BOOST_TEST(parse_dump_time("1795464000250.5", ms));
  BOOST_TEST(!parse_dump_time("yesterday", ms));
  BOOST_TEST(!parse_dump_time("2026-11-23T20:00", ms));
  BOOST_TEST(!parse_dump_time("13/13/2026, 20:00:00", ms));
  BOOST_TEST(!parse_dump_time("11/23/2026, 13:00:00 PM", ms));
}

// Acceptance: every state event of every pc's updateLog is in the imported trace, for that pc, in
// order, with its value and its time from `timestamp`; every log entry is there; every transport
// sample is there with its stats timestamp; nothing in a real dump is an input problem.
BOOST_AUTO_TEST_CASE(real_dumps_import_every_state_event_in_order) {
  const auto dumps = real_dumps();
  BOOST_REQUIRE_GE(dumps.size(), 6u);
  for (const auto& path : dumps) {
    BOOST_TEST_CONTEXT(path) {
      const std::string bytes = read(path);
      ImportSummary sum;
      const std::string trace = import_webrtc_internals(bytes, path, &sum);
      BOOST_TEST(sum.warnings.empty());
      const std::string text = trace::internal::is_gzip(bytes) ? trace::internal::gunzip(bytes, kMaxDumpBytes) : bytes;
      const json::object dump = json::parse(text).as_object();
      const auto lines = lines_of(trace);
      const json::object& header = lines.front();
      BOOST_TEST(str(header.at("transport_events")) == "sampled");
      BOOST_TEST(str(header.at("stack_version")).starts_with("156."));
      BOOST_TEST(header.at("time_uncertainty_ms").to_number<double>() == 50.0);
      // The origin: the trace's t_ms 0 is the earliest time of the dump.
      double origin = 1e300;
      for (const auto& [key, pcv] : dump.at("PeerConnections").as_object()) {
        for (const auto& e : pcv.as_object().at("updateLog").as_array())
          origin = std::min(origin, e.as_object().at("timestamp").to_number<double>());
        for (const auto& [skey, series] : pcv.as_object().at("stats").as_object())
          if (skey.ends_with("-timestamp") &&
              pcv.as_object().at("stats").as_object().contains(std::string(skey.substr(0, skey.size() - 10)) + "-iceState")) {
            const json::value stamps = json::parse(series.as_object().at("values").as_string());
            for (const auto& v : stamps.as_array()) origin = std::min(origin, v.to_number<double>());
          }
      }
      std::size_t pcs = 0;
      for (const auto& [key, pcv] : dump.at("PeerConnections").as_object()) {
        ++pcs;
        const std::string pc(key);
        const json::array& log = pcv.as_object().at("updateLog").as_array();
        std::vector<std::string> want_entries, got_entries, want_states, got_states;
        auto at = [](const std::string& what, double t) {
          char buf[64];
          std::snprintf(buf, sizeof buf, " @%.3f", t);
          return what + buf;
        };
        for (const auto& ev : log) {
          const json::object& e = ev.as_object();
          const std::string type = str(e.at("type"));
          std::string what = type;
          if (type == "oniceconnectionstatechange" || type == "onconnectionstatechange" || type == "onsignalingstatechange" ||
              type == "onicegatheringstatechange") {
            what = type.substr(2) + " " + unquoted(str(e.at("value")));
            want_states.push_back(what);
          }
          want_entries.push_back(at(what, e.at("timestamp").to_number<double>() - origin));
        }
        std::map<std::string, std::vector<double>> want_samples, got_samples;
        const json::object& stats = pcv.as_object().at("stats").as_object();
        for (const auto& [skey, series] : stats) {
          const std::string k(skey);
          for (const std::string field : {"iceState", "dtlsState"}) {
            if (!k.ends_with("-" + field)) continue;
            const std::string id = k.substr(0, k.size() - field.size() - 1);
            const json::array values = json::parse(series.as_object().at("values").as_string()).as_array();
            const json::array stamps = json::parse(stats.at(id + "-timestamp").as_object().at("values").as_string()).as_array();
            BOOST_REQUIRE_EQUAL(values.size(), stamps.size());
            for (std::size_t i = 0; i < values.size(); ++i)
              want_samples[(field == "iceState" ? "ice:" : "dtls:") + pc + "." + id + " " + str(values[i])].push_back(
                  std::round((stamps[i].to_number<double>() - origin) * 1000) / 1000);
          }
        }
        double last_t = -1;
        for (const auto& o : lines) {
          if (!o.contains("pc") || str(o.at("pc")) != pc) continue;
          const double t = o.at("t_ms").to_number<double>();
          const std::string target = str(o.at("target")), event = str(o.at("event"));
          if (target == "recorder") continue;
          if (event == "sample") {
            got_samples[target + " " + str(o.at("state"))].push_back(t);
            continue;
          }
          BOOST_TEST(t >= last_t);  // a pc's entries keep their log order
          last_t = t;
          const std::string what = target == "pc" ? event + " " + str(o.at("state")) : event;
          if (target == "pc") got_states.push_back(what);
          got_entries.push_back(at(what, t));
        }
        BOOST_TEST(got_states == want_states, boost::test_tools::per_element());
        BOOST_TEST(got_entries == want_entries, boost::test_tools::per_element());
        BOOST_TEST(got_samples == want_samples);
      }
      BOOST_TEST(sum.pcs == pcs);
      // Checked as a trace, a real dump has no input problem, and no transport is shared by two pcs.
      const TraceResult r = check_text(trace, CheckOptions{}, "dump");
      BOOST_TEST(r.problems_total == 0u);
      for (const auto& p : r.pcs) {
        BOOST_TEST(p.problems_total == 0u, p.id);
        BOOST_TEST(p.partial);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(compressed_dump_reads_like_its_text) {
  const std::string gz = read(kDumps + "/connect.gz");
  BOOST_REQUIRE(trace::internal::is_gzip(gz));
  const std::string text = trace::internal::gunzip(gz, kMaxDumpBytes);
  BOOST_TEST(text.find("\"PeerConnections\"") != std::string::npos);
  BOOST_TEST(import_webrtc_internals(gz, "connect") == import_webrtc_internals(text, "connect"));
  BOOST_TEST(looks_like_dump(gz));
  BOOST_TEST(looks_like_dump(text));
}

BOOST_AUTO_TEST_CASE(two_pcs_per_pair_keep_their_own_transports) {
  const std::string trace = import_webrtc_internals(read(kDumps + "/two-pc.txt"), "two-pc");
  std::map<std::string, std::set<std::string>> transports_of;
  for (const auto& o : lines_of(trace))
    if (o.contains("target") && str(o.at("event")) == "sample") transports_of[str(o.at("pc"))].insert(str(o.at("target")).substr(str(o.at("target")).find(':') + 1));
  BOOST_REQUIRE_EQUAL(transports_of.size(), 4u);
  std::set<std::string> all;
  for (const auto& [pc, ts] : transports_of) {
    for (const auto& t : ts) {
      BOOST_TEST(t.starts_with(pc + "."), t);  // every Chromium pc calls its transport T01
      all.insert(t);
    }
  }
  BOOST_TEST(all.size() == 4u);
}

// The real path-failure dump: connectionState 'failed' while iceConnectionState stays
// 'disconnected' needs DTLS 'failed', which the last dtlsState sample contradicts.
BOOST_AUTO_TEST_CASE(path_failure_dump_names_the_dtls_state_it_needs) {
  const TraceResult r = check_text(import_webrtc_internals(read(kDumps + "/path-failure.txt"), "pf"), CheckOptions{}, "pf");
  BOOST_REQUIRE_EQUAL(r.pcs.size(), 2u);
  for (const auto& p : r.pcs) {
    BOOST_TEST(p.verdict == Verdict::Informational);
    BOOST_REQUIRE_EQUAL(p.findings.size(), 1u);
    const Finding& f = p.findings.front();
    BOOST_TEST(f.kind == FindingKind::NeedsUnshownState);
    BOOST_TEST(f.event == "connectionstatechange");
    BOOST_TEST(f.observed == "failed");
    BOOST_TEST(f.expected == "dtls failed");
    BOOST_TEST(f.rule.id == "pcs-2025.failed");
    BOOST_TEST(f.message.find("a DTLS transport in 'failed'") != std::string::npos, f.message);
    BOOST_TEST(f.message.find("the last dtlsState sample (dtls:" + p.pc + ".T01") != std::string::npos, f.message);
    BOOST_TEST(f.message.find("says 'connected'") != std::string::npos, f.message);
  }
}

BOOST_AUTO_TEST_CASE(older_shapes_by_content) {
  ImportSummary sum;
  const auto legacy = lines_of(import_webrtc_internals(read(kData + "/webrtc-internals-legacy.json"), "legacy", &sum));
  std::vector<std::string> got;
  for (const auto& o : legacy)
    if (!o.contains("target")) continue;  // the header
    else if (o.contains("state")) got.push_back(str(o.at("event")) + " " + str(o.at("state")) + " @" + std::to_string(o.at("t_ms").to_number<double>()));
    else if (str(o.at("target")) == "api") got.push_back(str(o.at("event")));
  const std::vector<std::string> want = {
      "createOffer",
      "signalingstatechange have-local-offer @0.000000",
      "icegatheringstatechange gathering @0.000000",
      "signalingstatechange stable @1000.000000",
      "iceconnectionstatechange checking @1000.000000",
      "legacyIceConnectionStateChange",  // Chromium's pre-standard aggregate: kept, not judged
      "connectionstatechange connecting @1000.000000",
      "iceconnectionstatechange connected @2000.000000",
      "connectionstatechange connected @2000.000000",
      "close",  // "stop"
  };
  BOOST_TEST(got == want, boost::test_tools::per_element());
  BOOST_TEST(legacy.front().at("time_uncertainty_ms").to_number<double>() == 1000.0);  // one-second times
  BOOST_TEST(sum.shape.find("camelCase") != std::string::npos, sum.shape);

  const auto middle = lines_of(import_webrtc_internals(read(kData + "/webrtc-internals-2022.json"), "2022", &sum));
  std::vector<std::string> samples;
  for (const auto& o : middle)
    if (o.contains("event") && str(o.at("event")) == "sample")
      samples.push_back(str(o.at("target")) + " @" + std::to_string(o.at("t_ms").to_number<double>()));
  // No statsType and no timestamps: typed by <id>-type, times spread between startTime and endTime.
  BOOST_TEST(samples.size() == 8u);
  BOOST_TEST(samples[0] == "ice:7-1.RTCTransport_0_1 @1000.000000");
  BOOST_TEST(samples[2] == "ice:7-1.RTCTransport_0_1 @2000.000000");
  BOOST_TEST(middle.front().at("time_uncertainty_ms").to_number<double>() == 1000.0);
  const TraceResult r = check_text(import_webrtc_internals(read(kData + "/webrtc-internals-2022.json"), "2022"), CheckOptions{}, "m");
  BOOST_REQUIRE_EQUAL(r.pcs.size(), 1u);
  BOOST_TEST(r.pcs[0].finding_counts[static_cast<std::size_t>(FindingKind::NeedsUnshownState)] == 1u);
}

BOOST_AUTO_TEST_CASE(bad_dumps_name_the_place) {
  const std::string real = read(kDumps + "/close.txt");
  // Truncated: a download cut short.
  std::string e = expect_error(real.substr(0, real.size() / 2), "close.txt");
  BOOST_TEST(e.find("close.txt:") == 0u, e);
  BOOST_TEST(e.find("truncated") != std::string::npos, e);
  // A dump of another page, a trace, an rtcstats dump, not JSON at all.
  e = expect_error(R"({"log": {"entries": []}})");
  BOOST_TEST(e.find("no \"PeerConnections\"") != std::string::npos, e);
  e = expect_error(R"({"format":"connstate-trace","version":1})");
  BOOST_TEST(e.find("check-trace") != std::string::npos, e);
  e = expect_error("RTCStatsDump\n{\"fileFormat\":3}\n");
  BOOST_TEST(e.find("rtcstats dump") != std::string::npos, e);
  e = expect_error("<!doctype html><title>about:webrtc</title>");
  BOOST_TEST(e.find("not valid JSON") != std::string::npos, e);
  // Missing fields, each named by its JSON pointer and located in the file.
  e = expect_error("{\"PeerConnections\": {\"1-1\": {\"updateLog\": [\n {\"value\": \"\", \"timestamp\": 1700000000000}]}}}");
  BOOST_TEST(e.find("d.json:2:2: /PeerConnections/1-1/updateLog/0: ") == 0u, e);
  BOOST_TEST(e.find("\"type\"") != std::string::npos, e);
  e = expect_error("{\"PeerConnections\": {\"1-1\": {\"updateLog\": [\n {\"type\": \"close\"}]}}}");
  BOOST_TEST(e.find("/PeerConnections/1-1/updateLog/0: an updateLog entry needs a \"timestamp\" or a \"time\"") != std::string::npos, e);
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [{"type": "onconnectionstatechange", "timestamp": 1700000000000}]}}})");
  BOOST_TEST(e.find("needs a \"value\"") != std::string::npos, e);
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [], "stats": {"T01-iceState": {"statsType": "transport", "values": "[\"new\"]"}}}}})");
  BOOST_TEST(e.find("/PeerConnections/1-1/stats/T01-iceState: a stats series needs \"startTime\" and \"endTime\"") != std::string::npos, e);
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [], "stats": {"T01-iceState": {"startTime": 1700000000000, "endTime": 1700000001000}}}}})");
  BOOST_TEST(e.find("\"values\"") != std::string::npos, e);
  // Absurd values.
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [{"type": "close", "value": "", "timestamp": 1e300}]}}})");
  BOOST_TEST(e.find("/PeerConnections/1-1/updateLog/0/timestamp: ") != std::string::npos, e);
  BOOST_TEST(e.find("not a time a browser wrote") != std::string::npos, e);
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [{"type": "close", "value": "", "timestamp": -5}]}}})");
  BOOST_TEST(e.find("not a time a browser wrote") != std::string::npos, e);
  // Found by fuzz_webrtc_internals: an endTime that parses as infinity gave sampled states t_ms nan.
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [], "stats": {"T1-iceState":
      {"statsType": "transport", "startTime": 1700000000000, "endTime": 170000e0002000, "values": ["checking"]}}}}})");
  BOOST_TEST(e.find("/stats/T1-iceState/endTime") != std::string::npos, e);
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [], "stats": {"T1-iceState":
      {"statsType": "transport", "startTime": 1700000001000, "endTime": 1700000000000, "values": ["checking", "connected"]}}}}})");
  BOOST_TEST(e.find("\"endTime\" is before \"startTime\"") != std::string::npos, e);
  e = expect_error(R"({"PeerConnections": {"1-1": {"updateLog": [{"type": "oniceconnectionstatechange", "value": "\"sideways\"", "timestamp": 1700000000000}]}}})");
  BOOST_TEST(e.find("/PeerConnections/1-1/updateLog/0/value: ") != std::string::npos, e);
  BOOST_TEST(e.find("(expected one of: closed, failed") != std::string::npos, e);
  // Damaged compression.
  std::string gz = read(kDumps + "/connect.gz");
  e = expect_error(gz.substr(0, gz.size() - 100), "connect.gz");
  BOOST_TEST(e.find("ends early") != std::string::npos, e);
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  e = expect_error(gz, "connect.gz");
  BOOST_TEST(e.find("gzip") != std::string::npos, e);
  // An empty dump is a dump: no pcs, a header only.
  ImportSummary sum;
  const std::string t = import_webrtc_internals("{\"PeerConnections\": {}}", "d.json", &sum);
  BOOST_TEST(sum.pcs == 0u);
  BOOST_TEST(lines_of(t).size() == 1u);
}

// A 100 MB dump: a long call's worth of stats series. It imports (only the transport series are
// read), and cut short it fails with the position of the cut.
BOOST_AUTO_TEST_CASE(hundred_megabyte_dump) {
  std::string dump = R"({"PeerConnections": {"3-1": {"url": "https://example.test/", "updateLog": [)"
                     R"({"type": "oniceconnectionstatechange", "value": "\"checking\"", "timestamp": 1700000000000},)"
                     R"({"type": "onconnectionstatechange", "value": "\"connecting\"", "timestamp": 1700000000001},)"
                     R"({"type": "oniceconnectionstatechange", "value": "\"connected\"", "timestamp": 1700000000100},)"
                     R"({"type": "onconnectionstatechange", "value": "\"connected\"", "timestamp": 1700000000200}],)"
                     "\n\"stats\": {\n";
  std::string values = "[";
  for (int i = 0; i < 1000; ++i) values += (i ? "," : "") + std::to_string(1000000 + i * 7919);
  values += "]";
  std::string series_values;
  json::string escaped(values);
  const std::string quoted = json::serialize(json::value(escaped));
  std::size_t n = 0;
  while (dump.size() < 100u * 1000 * 1000) {
    dump += "\"IT" + std::to_string(n++) + "-bytesReceived\": {\"statsType\": \"inbound-rtp\", \"startTime\": "
            "\"2023-11-14T22:13:21.000Z\", \"endTime\": \"2023-11-14T22:29:00.000Z\", \"values\": " + quoted + "},\n";
  }
  dump += R"("T01-iceState": {"statsType": "transport", "startTime": 1700000001000, "endTime": 1700000003000, "values": "[\"connected\",\"connected\",\"connected\"]"}}}}})";
  ImportSummary sum;
  const std::string trace = import_webrtc_internals(dump, "big.json", &sum);
  BOOST_TEST(sum.pc_events == 4u);
  BOOST_TEST(sum.transport_samples == 3u);
  BOOST_TEST(trace.size() < 4096u);
  const std::string e = expect_error(dump.substr(0, dump.size() / 2), "big.json");
  BOOST_TEST(e.find("big.json:") == 0u, e);
  BOOST_TEST(e.find("truncated") != std::string::npos, e);
}

// The dumps' runs were also recorded by the page's own listeners (cases/traces/chromium-internals/page/):
// per pc and event type the log holds the values the listeners read, in the same order, and its times
// differ from the listeners' (after removing the clocks' offset) by less than the time uncertainty the
// importer writes into the trace.
BOOST_AUTO_TEST_CASE(dump_logs_agree_with_the_page_listeners) {
  std::size_t compared = 0;
  double worst = 0;
  for (const auto& path : real_dumps()) {
    const fs::path page = fs::path(kDumps) / "page" / (fs::path(path).stem().string() + ".jsonl");
    if (!fs::exists(page)) continue;
    BOOST_TEST_CONTEXT(path) {
      const std::string bytes = read(path);
      const std::string text = trace::internal::is_gzip(bytes) ? trace::internal::gunzip(bytes, kMaxDumpBytes) : bytes;
      const json::object dump = json::parse(text).as_object();
      const double uncertainty =
          lines_of(import_webrtc_internals(bytes, path)).front().at("time_uncertainty_ms").to_number<double>();
      std::vector<std::string> page_pcs;  // in creation order: the recorder names them a, b, c, d
      std::map<std::string, std::map<std::string, std::vector<std::pair<std::string, double>>>> seen;
      for (const auto& o : lines_of(read(page.string()))) {
        if (!o.contains("pc") || str(o.at("target")) != "pc") continue;
        const std::string pc = str(o.at("pc")), event = str(o.at("event"));
        if (std::find(page_pcs.begin(), page_pcs.end(), pc) == page_pcs.end()) page_pcs.push_back(pc);
        if (event == "iceconnectionstatechange" || event == "connectionstatechange")
          seen[pc][event].push_back({str(o.at("state")), o.at("t_ms").to_number<double>()});
      }
      std::sort(page_pcs.begin(), page_pcs.end());
      std::vector<std::pair<double, double>> pairs;  // (log time, listener time)
      std::size_t n = 0;
      for (const auto& [key, pcv] : dump.at("PeerConnections").as_object()) {
        BOOST_REQUIRE_LT(n, page_pcs.size());
        const std::string pc = page_pcs[n++];
        for (const std::string event : {"iceconnectionstatechange", "connectionstatechange"}) {
          std::vector<std::pair<std::string, double>> logged;
          for (const auto& e : pcv.as_object().at("updateLog").as_array())
            if (str(e.as_object().at("type")) == "on" + event)
              logged.push_back({unquoted(str(e.as_object().at("value"))), e.as_object().at("timestamp").to_number<double>()});
          const auto& listened = seen[pc][event];
          // The page's trace ends before the dump is saved: its events are the log's first ones.
          BOOST_REQUIRE_LE(listened.size(), logged.size());
          for (std::size_t i = 0; i < listened.size(); ++i) {
            BOOST_TEST(listened[i].first == logged[i].first, pc << " " << event << " #" << i);
            pairs.push_back({logged[i].second, listened[i].second});
          }
        }
      }
      BOOST_REQUIRE(!pairs.empty());
      std::vector<double> offsets;
      for (const auto& [l, p] : pairs) offsets.push_back(l - p);
      std::nth_element(offsets.begin(), offsets.begin() + static_cast<std::ptrdiff_t>(offsets.size() / 2), offsets.end());
      const double offset = offsets[offsets.size() / 2];
      for (const auto& [l, p] : pairs) {
        worst = std::max(worst, std::fabs(l - p - offset));
        BOOST_TEST(std::fabs(l - p - offset) < uncertainty);
      }
      compared += pairs.size();
    }
  }
  BOOST_TEST(compared >= 40u);
  BOOST_TEST_MESSAGE("log vs listener times: " << compared << " events, largest difference " << worst << " ms");
}
