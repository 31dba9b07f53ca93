// trace_findings_cli_test.cpp — findings from traces end to end: `connstate check-trace --report-dir`
// writes findings.json and a bug report with the minimal excerpt; a clean trace gives no finding;
// `connstate findings` reads check-trace results by their content and gives the same ids; known findings
// listed in an expectations file make the run pass.
#define BOOST_TEST_MODULE trace_findings_cli
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>
#include <filesystem>

#include "../../tests/test_util.h"

using namespace connstate::test;

namespace {

const std::string& kClean = kPassingTrace;

// The clean trace, but the stack fires connectionstatechange "closed" from close().
const std::string kEventOnClose =
    R"({"format":"connstate-trace","version":1,"stack":"test","stack_version":"1.0","scenario":"close"}
{"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"}
{"t_ms":10,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"}
{"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"}
{"t_ms":20,"pc":"a","target":"ice:0","event":"statechange","state":"connected"}
{"t_ms":20,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"connected"}
{"t_ms":40,"pc":"a","target":"dtls:0","event":"statechange","state":"connected"}
{"t_ms":40,"pc":"a","target":"pc","event":"connectionstatechange","state":"connected"}
{"t_ms":50,"pc":"a","target":"api","event":"close"}
{"t_ms":51,"pc":"a","target":"pc","event":"connectionstatechange","state":"closed"}
)";

const std::string kCloseId = "F-close.no-events-extra-event-e128cebb";

}  // namespace

BOOST_AUTO_TEST_CASE(clean_trace_gives_no_finding) {
  TempDir d;
  const std::string t = d.file("traces/test/clean.jsonl", kClean);
  const auto r = run_command(kCli + " check-trace --root " + d.str() + "/traces --report-dir " + d.str() + "/out " + t);
  BOOST_TEST_INFO(r.out);
  BOOST_TEST(r.exit_code == 0);
  const auto json = boost::json::parse(read_text(d.str() + "/out/findings.json")).as_object();
  BOOST_TEST(json.at("format").as_string() == "connstate-findings");
  BOOST_TEST(json.at("findings").as_array().empty());
}

BOOST_AUTO_TEST_CASE(event_on_close_is_a_finding_with_an_excerpt) {
  TempDir d;
  const std::string t = d.file("traces/test/close.jsonl", kEventOnClose);
  const auto r = run_command(kCli + " check-trace --root " + d.str() + "/traces --report-dir " + d.str() + "/out " + t);
  BOOST_TEST_INFO(r.out);
  BOOST_TEST(r.exit_code == 1);  // the check's own exit code: an unexpected fail
  const auto json = boost::json::parse(read_text(d.str() + "/out/findings.json")).as_object();
  const auto& all = json.at("findings").as_array();
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  const auto& f = all[0].as_object();
  BOOST_TEST(f.at("id").as_string() == kCloseId);
  BOOST_TEST(f.at("failing").as_bool());
  BOOST_TEST(f.at("cases").as_int64() == 0);
  BOOST_TEST(f.at("traces").as_int64() == 1);
  const auto& evidence = f.at("by_stack").as_array().at(0).at("trace_evidence").as_object();
  const auto& excerpt = evidence.at("excerpt").as_object();
  BOOST_TEST(excerpt.at("confirmed_on_trace").as_bool());
  BOOST_TEST(excerpt.at("finding_line").as_int64() == 10);
  // The header, close() and the event: nothing else is needed to show it.
  const auto& numbers = excerpt.at("line_numbers").as_array();
  BOOST_REQUIRE_EQUAL(numbers.size(), 3u);
  BOOST_TEST(numbers[0].as_int64() == 1);
  BOOST_TEST(numbers[1].as_int64() == 9);
  BOOST_TEST(numbers[2].as_int64() == 10);
  // The excerpt is a trace check-trace reads, and it shows the finding again.
  std::string lines;
  for (const auto& l : excerpt.at("lines").as_array()) lines += std::string(l.as_string()) + "\n";
  const std::string x = d.file("excerpt.jsonl", lines);
  const auto again = run_command(kCli + " check-trace --report-dir " + d.str() + "/again " + x);
  BOOST_TEST(again.exit_code == 1);
  BOOST_TEST(read_text(d.str() + "/again/findings.json").find(kCloseId) != std::string::npos);
  // The bug report says where the evidence comes from.
  const std::string report = read_text(d.str() + "/out/findings/test-1.0/" + kCloseId + ".md");
  BOOST_TEST(report.find("## Evidence from recorded traces") != std::string::npos);
  BOOST_TEST(report.find("not by re-running the stack") != std::string::npos);
  BOOST_TEST(std::filesystem::exists(d.str() + "/out/findings/test-1.0/" + kCloseId + ".case.json"));

  // `connstate findings` on the check-trace results: the same id; known in an expectations file, it passes.
  const auto fr = run_command(kCli + " findings " + d.str() + "/out/trace-results.json --json " + d.str() + "/f.json");
  BOOST_TEST_INFO(fr.out);
  BOOST_TEST(fr.exit_code == 1);
  BOOST_TEST(read_text(d.str() + "/f.json").find(kCloseId) != std::string::npos);
  const std::string e = d.file("known.json", R"({"expectations":{},"findings":{")" + kCloseId +
                                                 R"json(":{"reason":"fires connectionstatechange from close()"}}})json");
  const auto known = run_command(kCli + " findings " + d.str() + "/out/trace-results.json --expectations " + e);
  BOOST_TEST_INFO(known.out);
  BOOST_TEST(known.exit_code == 0);
  BOOST_TEST(known.out.find("known " + kCloseId) != std::string::npos);
}
