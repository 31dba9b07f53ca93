// Stacks under test end to end: `exec:connstate serve` equals the built-in reference; the
// example adapters (Python, Node.js) pass; the planted-bug adapter fails exactly the cases
// its bug affects; every broken adapter ends in a complete report with the documented exit
// code; plugins load, and a bad one is reported. Also protocol-1 response checking.
#define BOOST_TEST_MODULE stacks
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>

#include "connstate/harness/cases.h"
#include "connstate/harness/protocol.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::test;
namespace json = boost::json;
namespace protocol = connstate::harness::protocol;

namespace {

const std::string kPython = "/usr/bin/python3";
const std::string kAdapters = kSourceDir + "/harness/tests/adapters";
const std::string kSmall = " --exhaustive 2 --sequence-depth 3";

json::value run_json(const std::string& args, int& exit_code, std::string* output = nullptr) {
  TempDir dir;
  const auto r = run_command(kCli + " run --quiet --json " + dir.str() + "/r.json " + args);
  exit_code = r.exit_code;
  if (output) *output = r.out;
  BOOST_TEST_REQUIRE(std::filesystem::exists(dir.str() + "/r.json"), "no JSON report; output: " << r.out);
  return json::parse(read_text(dir.str() + "/r.json"));
}

std::map<std::string, std::string> actual_by_id(const json::value& doc) {
  std::map<std::string, std::string> out;
  for (const auto& r : doc.at("results").as_array())
    out[std::string(r.at("id").as_string())] = json::serialize(r.at("actual")) + " " + std::string(r.at("verdict").as_string());
  return out;
}

bool have(const std::string& program) { return run_command("command -v " + program).exit_code == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE(serve_over_exec_equals_the_reference) {
  for (const char* profile : {"rec-2025", "rec-2021"}) {
    int a = -1, b = -1;
    const auto direct = run_json(std::string("--sut reference:") + profile, a);
    const auto via = run_json("--sut \"exec:" + kCli + " serve --profile " + profile + "\" --profile " + profile, b);
    BOOST_TEST(a == 0);
    BOOST_TEST(b == 0);
    const auto want = actual_by_id(direct), got = actual_by_id(via);
    BOOST_TEST(want.size() == got.size());
    std::size_t differences = 0;
    for (const auto& [id, answer] : want) {
      auto it = got.find(id);
      if (it == got.end() || it->second != answer) {
        if (++differences < 5) BOOST_ERROR(id << ": reference " << answer << " vs exec " << (it == got.end() ? "-" : it->second));
      }
    }
    BOOST_TEST(differences == 0u);
    BOOST_TEST(via.at("header").at("stack").at("name").as_string().find("connstate reference") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(example_adapters_pass) {
  int rc = -1;
  const auto py = run_json("--sut \"exec:" + kPython + " " + kSourceDir + "/docs/examples/adapter.py\"", rc);
  BOOST_TEST(rc == 0);
  BOOST_TEST(py.at("summary").at("fail").as_int64() == 0);
  BOOST_TEST(py.at("summary").at("pass").as_int64() > 15000);
  BOOST_TEST(py.at("header").at("stack").at("name").as_string() == "example (python)");
  if (!have("node")) {
    if (under_ci()) BOOST_FAIL("node is not installed (tools/install-deps installs nodejs)");
    BOOST_TEST_MESSAGE("SKIP part: node is not installed");
    return;
  }
  const auto js = run_json("--sut \"exec:node " + kSourceDir + "/docs/examples/adapter.js\"", rc);
  BOOST_TEST(rc == 0);
  BOOST_TEST(js.at("summary").at("fail").as_int64() == 0);
  BOOST_TEST(js.at("header").at("stack").at("name").as_string() == "example (node)");
}

// The planted bug (ICE disconnected tested before failed) shows exactly where a counted
// ICE transport is failed while another is disconnected, on an open connection.
BOOST_AUTO_TEST_CASE(planted_bug_fails_exactly_the_affected_cases) {
  int rc = -1;
  const auto doc = run_json("--sut \"exec:" + kPython + " " + kAdapters + "/planted_bug_adapter.py\" --exhaustive 3", rc);
  BOOST_TEST(rc == 1);
  harness::Suite suite = harness::load_suite(kSourceDir + "/cases", harness::LoadOptions{3, 4});
  std::map<std::string, const harness::Case*> by_id;
  for (const auto& c : suite.cases) by_id[c.id] = &c;
  auto mixes = [](Presence p) {
    return (p.ice & (1u << static_cast<unsigned>(IceTransportState::Failed))) &&
           (p.ice & (1u << static_cast<unsigned>(IceTransportState::Disconnected)));
  };
  std::size_t failures = 0, mismatches = 0;
  for (const auto& r : doc.at("results").as_array()) {
    const harness::Case& c = *by_id.at(std::string(r.at("id").as_string()));
    bool affected = false;
    if (c.kind == harness::CaseKind::Snapshot) {
      affected = !c.closed && mixes(presence_of(Profile::Rec2025, c.transports));
    } else {
      PeerConnectionModel m(Profile::Rec2025, c.options);
      for (const auto& s : c.steps) {
        m.apply(s.step);
        affected = affected || (!m.is_closed() && mixes(m.presence()));
      }
    }
    const std::string verdict(r.at("verdict").as_string());
    if (verdict == "unsupported") continue;  // cases with options the example does not implement
    const bool failed = verdict == "fail";
    failures += failed;
    if (failed != affected) {
      ++mismatches;
      BOOST_ERROR(c.id << ": verdict " << verdict << ", affected by the bug: " << affected);
    }
  }
  BOOST_TEST(failures > 100u);
  BOOST_TEST(mismatches == 0u);
}

struct BrokenMode {
  const char* mode;
  const char* evidence;  // expected in the error message or evidence
};

const BrokenMode kModes[] = {
    {"crash", "killed by signal 11"},
    {"hang", "no answer within 800 ms"},
    {"exit-early", "exited with status 0"},
    {"garbage", "response is not JSON"},
    {"wrong-id", "expected id"},
    {"out-of-order", "out of order"},
    {"huge-line", "longer than 1048576 bytes"},
};

std::string broken(const std::string& mode, const std::string& extra = "") {
  return "--sut \"exec:" + kPython + " " + kAdapters + "/broken_adapter.py " + mode + " 5" + extra +
         "\" --request-timeout-ms 800 --max-restarts 3" + kSmall;
}

// Misbehaving once: the case being answered gets `error` with the evidence, the adapter is
// restarted, every other case passes, the report is complete, exit code 1.
BOOST_AUTO_TEST_CASE(broken_adapter_once_is_contained) {
  for (const auto& m : kModes) {
    TempDir marker;
    int rc = -1;
    const auto t0 = std::chrono::steady_clock::now();
    const auto doc = run_json(broken(m.mode, " " + marker.str() + "/once"), rc);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST(rc == 1, m.mode);
    BOOST_TEST(doc.at("complete").as_bool(), m.mode);
    BOOST_TEST(doc.at("summary").at("error").as_int64() == 1, m.mode);
    BOOST_TEST(doc.at("summary").at("fail").as_int64() == 0, m.mode);
    std::string evidence;
    for (const auto& r : doc.at("results").as_array())
      if (r.at("verdict") == "error")
        evidence = std::string(r.at("message").as_string()) +
                   (r.as_object().contains("evidence") ? " " + std::string(r.at("evidence").as_string()) : "");
    BOOST_TEST(evidence.find(m.evidence) != std::string::npos, m.mode << ": " << evidence);
    BOOST_TEST(secs < 60.0, m.mode << " took " << secs << " s");
  }
}

// Misbehaving every time: after --max-restarts the adapter is given up on, the remaining
// cases are errors, the report is complete, exit code 3.
BOOST_AUTO_TEST_CASE(broken_adapter_always_is_given_up) {
  for (const char* mode : {"crash", "hang", "garbage", "crash-always"}) {
    int rc = -1;
    const auto doc = run_json(broken(mode), rc);
    BOOST_TEST(rc == 3, mode);
    BOOST_TEST(doc.at("complete").as_bool(), mode);
    BOOST_TEST(doc.at("summary").at("error").as_int64() > 0, mode);
    BOOST_TEST(doc.at("summary").at("stack_diagnostics").as_string().find("restarted") != std::string::npos, mode);
  }
}

BOOST_AUTO_TEST_CASE(adapter_that_cannot_start) {
  int rc = -1;
  std::string out;
  auto doc = run_json(broken("bad-hello"), rc, &out);
  BOOST_TEST(rc == 3);
  BOOST_TEST(doc.at("complete").as_bool());
  BOOST_TEST(doc.at("summary").at("error").as_int64() == doc.at("summary").at("total").as_int64());
  BOOST_TEST(out.find("answered hello wrongly") != std::string::npos, out);
  doc = run_json("--sut \"exec:/nonexistent/adapter\"" + kSmall, rc, &out);
  BOOST_TEST(rc == 3);
  BOOST_TEST(doc.at("complete").as_bool());
}

BOOST_AUTO_TEST_CASE(stderr_flood_is_drained_and_reported) {
  int rc = -1;
  const auto doc = run_json(broken("stderr-flood"), rc);
  BOOST_TEST(rc == 0);
  BOOST_TEST(doc.at("summary").at("error").as_int64() == 0);
  BOOST_TEST(doc.at("summary").at("stack_diagnostics").as_string().find("stderr noise line") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plugins) {
  int rc = -1;
  const auto ok = run_json("--sut plugin:" + kBinaryDir + "/lib/libconnstate_reference_plugin.so", rc);
  BOOST_TEST(rc == 0);
  BOOST_TEST(ok.at("summary").at("fail").as_int64() == 0);
  // Planted bug 1 fires events on close(): exactly the sequences whose close changes a value fail.
  const auto bug = run_json("--sut plugin:" + kBinaryDir + "/lib/libconnstate_planted_bug1_plugin.so", rc);
  BOOST_TEST(rc == 1);
  for (const auto& r : bug.at("results").as_array()) {
    if (r.at("verdict") != "fail") continue;
    BOOST_TEST(r.at("kind") == "sequence");
    const std::string steps = json::serialize(r.at("input"));
    BOOST_TEST(steps.find("\"close\"") != std::string::npos, steps);
  }
  const auto missing = run_json("--sut plugin:/nonexistent.so" + kSmall, rc);
  BOOST_TEST(rc == 3);
  BOOST_TEST(missing.at("complete").as_bool());
}

BOOST_AUTO_TEST_CASE(protocol_responses_are_checked) {
  using protocol::ProtocolError;
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("nope", 1), ProtocolError);
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("[1]", 1), ProtocolError);
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("{\"id\":2,\"connectionState\":null,\"iceConnectionState\":\"new\"}", 1),
                    ProtocolError);
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("{\"id\":1,\"connectionState\":3,\"iceConnectionState\":\"new\"}", 1),
                    ProtocolError);
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("{\"id\":1,\"iceConnectionState\":\"new\"}", 1), ProtocolError);
  const auto ok = protocol::parse_evaluate_response(
      "{\"id\":1,\"connectionState\":null,\"iceConnectionState\":\"new\",\"extra\":1}", 1);
  BOOST_TEST(!ok.states.connection_state.has_value());
  const auto un = protocol::parse_evaluate_response("{\"id\":7,\"unsupported\":\"no\"}", 7);
  BOOST_TEST((un.status == harness::AnswerStatus::Unsupported));
  const auto step = protocol::parse_step_response(
      "{\"id\":3,\"events\":[{\"target\":\"ice:t0\",\"type\":\"statechange\",\"state\":\"checking\"}],"
      "\"connectionState\":\"connecting\",\"iceConnectionState\":\"checking\"}",
      3);
  BOOST_TEST(step.outcome.events.at(0) == "ice:t0 statechange checking");
  BOOST_CHECK_THROW(protocol::parse_step_response("{\"id\":3,\"events\":[{\"target\":1}]}", 3), ProtocolError);
  BOOST_CHECK_THROW(protocol::parse_hello("{\"id\":1,\"protocol\":2,\"name\":\"x\",\"version\":\"1\",\"supports\":[]}", 1),
                    ProtocolError);
  const auto h = protocol::parse_hello(
      "{\"id\":1,\"protocol\":1,\"name\":\"x\",\"version\":\"1\",\"supports\":[\"sequence\"]}", 1);
  BOOST_TEST(h.sequence);
  BOOST_TEST(!h.evaluate);
}
