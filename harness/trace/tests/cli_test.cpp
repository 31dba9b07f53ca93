// cli_test.cpp — `connstate check-trace` and `connstate import` end to end: exit codes, FILE:LINE
// errors, the four reports (HTML with an SVG timeline), expectations, stdin.
#define BOOST_TEST_MODULE trace_cli
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>
#include <filesystem>

#include "../../tests/test_util.h"

using namespace connstate::test;

namespace {

const std::string& kGood = kPassingTrace;

const std::string kBad =
    R"({"format":"connstate-trace","version":1,"stack":"test","scenario":"bad"}
{"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"}
{"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"}
{"t_ms":10,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"}
{"t_ms":9,"pc":"a","target":"ice:0","event":"statechange","state":"connnected"}
{"t_ms":30,"pc":"a","target":"api","event":"close"}
{"t_ms":31,"pc":"a","target":"pc","event":"connectionstatechange","state":"closed"}
{"t_ms":32,"pc":"a","target":"pc","event":"connect)";

}  // namespace

BOOST_AUTO_TEST_CASE(good_trace_exits_zero_and_writes_every_report) {
  TempDir d;
  const std::string t = d.file("traces/test/good.jsonl", kGood);
  const auto r = run_command(kCli + " check-trace --root " + d.str() + "/traces --report-dir " + d.str() + "/out " + t);
  BOOST_TEST_INFO(r.out);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("test/good#a") != std::string::npos);
  const auto json = boost::json::parse(read_text(d.str() + "/out/trace-results.json")).as_object();
  BOOST_TEST(json.at("format").as_string() == "connstate-trace-results");
  BOOST_TEST(json.at("complete").as_bool());
  const auto& res = json.at("results").as_array();
  BOOST_REQUIRE_EQUAL(res.size(), 1u);
  BOOST_TEST(res[0].at("id").as_string() == "test/good#a");
  BOOST_TEST(res[0].at("verdict").as_string() == "pass");
  BOOST_TEST(json.at("summary").at("pass").as_int64() == 1);
  const std::string html = read_text(d.str() + "/out/trace-report.html");
  BOOST_TEST(html.find("<svg class=\"timeline\"") != std::string::npos);
  BOOST_TEST(html.find("data-lane=\"ice:0\"") != std::string::npos);
  BOOST_TEST(read_text(d.str() + "/out/trace-junit.xml").find("<testcase name=\"test/good#a\"") != std::string::npos);
  BOOST_TEST(read_text(d.str() + "/out/trace-report.md").find("| `test/good` | a | pass") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_trace_reports_lines_and_findings) {
  TempDir d;
  const std::string t = d.file("bad.jsonl", kBad);
  const auto r = run_command(kCli + " check-trace --root " + d.str() + " --json " + d.str() + "/r.json " + t);
  BOOST_TEST_INFO(r.out);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.out.find(t + ":5: pc a: unknown RTCIceTransportState \"connnected\"") != std::string::npos);
  BOOST_TEST(r.out.find(t + ":5: pc a: t_ms 9 is lower than 10 on line 4") != std::string::npos);
  BOOST_TEST(r.out.find(t + ":8: not valid JSON") != std::string::npos);
  const auto json = boost::json::parse(read_text(d.str() + "/r.json")).as_object();
  const auto& pc = json.at("results").as_array().at(0).as_object();
  BOOST_TEST(pc.at("verdict").as_string() == "error");
  const auto& counts = pc.at("finding_counts").as_object();
  BOOST_TEST(counts.at("wrong-order").as_int64() == 1);
  BOOST_TEST(counts.at("after-close").as_int64() == 1);
  const auto& f = pc.at("findings").as_array().at(0).as_object();
  BOOST_TEST(f.at("kind").as_string() == "wrong-order");
  BOOST_TEST(f.at("line").as_int64() == 4);
  BOOST_TEST(f.at("rule").at("id").as_string() == "event.ice-task");
  BOOST_TEST(!f.at("rule").at("quote").as_string().empty());
  // expectations: the verdict is known, so the run passes; `expectations update` reads the results.
  const std::string e = d.file("e.json", R"({"stack":"t","expectations":{"bad#a":{"verdict":"error","reason":"bad on purpose"}}})");
  BOOST_TEST(run_command(kCli + " check-trace --quiet --root " + d.str() + " --expectations " + e + " " + t).exit_code == 0);
  const auto u = run_command(kCli + " expectations update " + d.str() + "/r.json");
  BOOST_TEST(u.exit_code == 0);
  BOOST_TEST(u.out.find("\"bad#a\": {\"verdict\": \"error\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(window_stdin_profile_and_usage) {
  TempDir d;
  const std::string t = d.file("w.jsonl", R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"}
{"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"}
{"t_ms":10.5,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"}
)");
  BOOST_TEST(run_command(kCli + " check-trace --quiet " + t).exit_code == 1);
  const auto w = run_command(kCli + " check-trace --reorder-window-ms 1 " + t);
  BOOST_TEST_INFO(w.out);
  BOOST_TEST(w.exit_code == 0);
  BOOST_TEST(w.out.find("non-strict") != std::string::npos);
  BOOST_TEST(run_command(kCli + " check-trace --strict --reorder-window-ms 1 --quiet " + t).exit_code == 1);
  BOOST_TEST(run_command("cat " + t + " | " + kCli + " check-trace --reorder-window-ms 1 -").exit_code == 0);
  BOOST_TEST(run_command(kCli + " check-trace").exit_code == 2);
  BOOST_TEST(run_command(kCli + " check-trace /nonexistent.jsonl").exit_code == 2);
  BOOST_TEST(run_command(kCli + " check-trace --profile nope " + t).exit_code == 2);
  BOOST_TEST(run_command(kCli + " check-trace --help").exit_code == 0);
}

BOOST_AUTO_TEST_CASE(import_then_check) {
  TempDir d;
  const std::string dump = kSourceDir + "/cases/traces/chromium-internals/path-failure.txt";
  const auto r = run_command(kCli + " import webrtc-internals " + dump + " -o " + d.str() + "/t.jsonl");
  BOOST_TEST_INFO(r.out);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("2 peer connection(s), 22 pc events (of 41 log entries), 36 transport samples") != std::string::npos);
  BOOST_TEST(r.out.find("dump shape: updateLog {type, value, timestamp}") != std::string::npos);
  const auto c = run_command(kCli + " check-trace --root " + d.str() + " " + d.str() + "/t.jsonl");
  BOOST_TEST_INFO(c.out);
  BOOST_TEST(c.exit_code == 0);  // informational is not a failure
  BOOST_TEST(c.out.find("informational t#8-1") != std::string::npos);
  // check-trace reads the dump itself too (recognised by content, whatever its name), compressed or not.
  const std::string renamed = d.str() + "/pf.data";
  std::filesystem::copy_file(dump, renamed);
  const auto direct = run_command(kCli + " check-trace --root " + d.str() + " " + renamed);
  BOOST_TEST_INFO(direct.out);
  BOOST_TEST(direct.exit_code == 0);
  BOOST_TEST(direct.out.find("informational pf.data#8-1") != std::string::npos);
  const auto gz = run_command(kCli + " check-trace --root " + kSourceDir + "/cases/traces " + kSourceDir +
                              "/cases/traces/chromium-internals/connect.gz");
  BOOST_TEST_INFO(gz.out);
  BOOST_TEST(gz.exit_code == 0);
  BOOST_TEST(gz.out.find("pass       chromium-internals/connect#8-1") != std::string::npos);
  BOOST_TEST(run_command(kCli + " import webrtc-internals /nonexistent.json").exit_code == 2);
  BOOST_TEST(run_command(kCli + " import other " + dump).exit_code == 2);
  BOOST_TEST(run_command(kCli + " import webrtc-internals --help").exit_code == 0);
}

// A bad dump: exit 2, the place named, and nothing half-written (an existing output file survives).
BOOST_AUTO_TEST_CASE(bad_dump_exits_two_and_writes_nothing) {
  TempDir d;
  const std::string bad = d.file("bad.json", "{\"PeerConnections\": {\"1-1\": {\"updateLog\": [\n {\"type\": 7}]}}}");
  const std::string out = d.file("out.jsonl", "previous content\n");
  const auto b = run_command(kCli + " import webrtc-internals " + bad + " -o " + out);
  BOOST_TEST_INFO(b.out);
  BOOST_TEST(b.exit_code == 2);
  BOOST_TEST(b.out.find("bad.json:2:") != std::string::npos);
  BOOST_TEST(b.out.find("/PeerConnections/1-1/updateLog/0/type") != std::string::npos);
  BOOST_TEST(read_text(out) == "previous content\n");
  const std::string missing = d.str() + "/none.jsonl";
  BOOST_TEST(run_command(kCli + " import webrtc-internals " + bad + " -o " + missing).exit_code == 2);
  BOOST_TEST(!std::filesystem::exists(missing));
  for (const auto& e : std::filesystem::directory_iterator(d.str()))
    BOOST_TEST(e.path().string().find(".tmp") == std::string::npos, e.path().string());
  // check-trace on a damaged dump: exit 2 as well, with the same message.
  const std::string real = read_text(kSourceDir + "/cases/traces/chromium-internals/close.txt");
  const std::string cut = d.file("cut.txt", real.substr(0, real.size() / 3));
  const auto c = run_command(kCli + " check-trace " + cut);
  BOOST_TEST_INFO(c.out);
  BOOST_TEST(c.exit_code == 2);
  BOOST_TEST(c.out.find("truncated") != std::string::npos);
}
