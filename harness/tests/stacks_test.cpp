// Stacks under test end to end: `exec:connstate serve` equals the built-in reference; the
// example adapters (Python, Node.js) pass; the planted-bug adapter fails exactly the cases
// its bug affects; every broken adapter ends in a complete report with the documented exit
// code, and a clean console (one block per failure, the request that hung, the adapter's
// stderr apart); values outside protocol 1 are `error`, not `fail`; exec: command lines run
// under /bin/sh -c as written, and a shell's children die with it; plugins load, and a bad one
// is reported. Also protocol-1 response checking.
#define BOOST_TEST_MODULE stacks
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <sstream>

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
    {"hang", "within 800 ms (the adapter hangs)"},
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

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = text.find(what, pos)) != std::string::npos; pos += what.size()) ++n;
  return n;
}

// An adapter that cannot start: one block (not one per case) with the reason, its exit status
// and its stderr, attributed and indented; exit code 3.
BOOST_AUTO_TEST_CASE(adapter_that_cannot_start_gives_one_block) {
  const auto r = run_command(kCli + " run --sut \"exec:/nonexistent/adapter\"" + kSmall);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(occurrences(r.out, "ERROR") == 1u, r.out);
  BOOST_TEST(r.out.find("ERROR the stack under test could not be started: exec:/nonexistent/adapter") !=
             std::string::npos, r.out);
  BOOST_TEST(r.out.find("adapter exited with status 127") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("adapter stderr (last 20 lines):") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("| /bin/sh: 1: /nonexistent/adapter: not found") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("\nconnstate run: the stack under test could not be started") != std::string::npos, r.out);
}

// A crashing and a hanging adapter: the request that was not answered is named; the adapter's
// stderr appears only quoted under its heading; every field of a block starts its own line; the
// harness's own stderr lines are whole lines; the same error for many cases is one block.
BOOST_AUTO_TEST_CASE(broken_adapter_console_is_clean) {
  auto r = run_command(kCli + " run " + broken("hang"));
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.out.find("error: no answer to request ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(") within 800 ms (the adapter hangs)") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("(the same error for ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("\nconnstate run: the stack under test broke too often") != std::string::npos, r.out);
  r = run_command(kCli + " run " + broken("crash"));
  BOOST_TEST(r.exit_code == 3);
  std::istringstream lines(r.out);
  std::string line, previous;
  std::size_t quoted = 0;
  while (std::getline(lines, line)) {
    if (line.find("about to crash") != std::string::npos) {
      BOOST_TEST(line.find("| adapter: about to crash on request") != std::string::npos, line);
      BOOST_TEST(line.substr(0, line.find('|')).find_first_not_of(' ') == std::string::npos, line);
      ++quoted;
    }
    if (line.find("reason:      reference") != std::string::npos) BOOST_TEST(line.rfind("  reason:", 0) == 0u, line);
    if (line.find("connstate run:") != std::string::npos) BOOST_TEST(line.rfind("connstate run:", 0) == 0u, line);
  }
  BOOST_TEST(quoted > 0u, r.out);
  BOOST_TEST(r.out.find("adapter stderr (last 20 lines):") != std::string::npos, r.out);
  r = run_command(kCli + " run --quiet " + broken("crash"));
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.out.find("more unexpected") == std::string::npos, r.out);
  BOOST_TEST(r.out.find("ERROR") == std::string::npos, r.out);
}

// A value outside protocol 1 in a line that answers the right request is an `error` verdict
// naming the field and the value, never `fail`, and the adapter is not restarted for it.
BOOST_AUTO_TEST_CASE(values_outside_the_protocol_are_errors) {
  struct Mode {
    const char* mode;
    const char* message;
  };
  for (const Mode& m : {Mode{"wrong-type", "adapter broke the protocol: \"iceConnectionState\" is 3, not a string or null"},
                        Mode{"unknown-target", ".target is \"sctp\", not pc, ice:<transport> or dtls:<transport>"},
                        Mode{"unknown-event", "\"statechange\": the pc fires iceconnectionstatechange or connectionstatechange"}}) {
    int rc = -1;
    const auto doc = run_json(broken(m.mode), rc);
    BOOST_TEST(rc == 1, m.mode);
    BOOST_TEST(doc.at("summary").at("error").as_int64() == 1, m.mode);
    BOOST_TEST(doc.at("summary").at("fail").as_int64() == 0, m.mode);
    BOOST_TEST(doc.at("summary").at("stack_diagnostics").as_string().find("restarted") == std::string::npos, m.mode);
    for (const auto& r : doc.at("results").as_array())
      if (r.at("verdict") == "error") {
        const std::string msg(r.at("message").as_string());
        BOOST_TEST(msg.find(m.message) != std::string::npos, m.mode << ": " << msg);
        BOOST_TEST(std::string(r.at("evidence").as_string()).rfind("response: {", 0) == 0u, m.mode);
      }
  }
  // "Connected" for every connected: each such case is an error, none a failure, and no restart.
  int rc = -1;
  const auto doc = run_json(broken("capitalized"), rc);
  BOOST_TEST(rc == 1);
  BOOST_TEST(doc.at("summary").at("fail").as_int64() == 0);
  BOOST_TEST(doc.at("summary").at("error").as_int64() > 50);
  BOOST_TEST(doc.at("summary").at("pass").as_int64() > 100);
  BOOST_TEST(doc.at("summary").at("stack_diagnostics").as_string().find("restarted") == std::string::npos);
  std::size_t named = 0;
  for (const auto& r : doc.at("results").as_array())
    if (r.at("verdict") == "error")
      named += std::string(r.at("message").as_string())
                   .find("\"connectionState\" is \"Connected\", which is not an RTCPeerConnectionState") !=
               std::string::npos;
  BOOST_TEST(named == static_cast<std::size_t>(doc.at("summary").at("error").as_int64()));
}

// exec: runs the command line with /bin/sh -c as written: environment assignments, cd … &&,
// quoting and $VARS (what docs/ci.md promises).
BOOST_AUTO_TEST_CASE(exec_runs_a_shell_command_line) {
  TempDir dir;
  const std::string spaced = dir.str() + "/with space";
  std::filesystem::create_directories(spaced);
  std::filesystem::copy_file(kSourceDir + "/docs/examples/adapter.py", spaced + "/adapter.py");
  const std::string tiny = " --exhaustive 1 --sequence-depth 1";
  struct Form {
    std::string what, sut, env, name;
  };
  const Form forms[] = {
      {"environment assignment", "exec:BROKEN_ADAPTER_NAME=assigned " + kPython + " " + kAdapters + "/broken_adapter.py correct",
       "", "assigned"},
      {"cd DIR &&", "exec:cd " + kAdapters + " && BROKEN_ADAPTER_NAME=cd " + kPython + " broken_adapter.py correct", "",
       "cd"},
      {"quoting", "exec:" + kPython + " \"" + spaced + "/adapter.py\"", "", "example (python)"},
      {"$VARS", "exec:BROKEN_ADAPTER_NAME=\"$CONNSTATE_TEST_NAME\" " + kPython + " \"$CONNSTATE_TEST_ADAPTER\" correct",
       "CONNSTATE_TEST_NAME='from a variable' CONNSTATE_TEST_ADAPTER=" + kAdapters + "/broken_adapter.py ",
       "from a variable"},
  };
  for (const Form& f : forms) {
    const auto r = run_command(f.env + kCli + " run --quiet --json " + dir.str() + "/r.json --sut '" + f.sut + "'" + tiny);
    BOOST_TEST(r.exit_code == 0, f.what << ": " << r.out);
    const auto doc = json::parse(read_text(dir.str() + "/r.json"));
    BOOST_TEST(doc.at("header").at("stack").at("name").as_string() == f.name, f.what);
    BOOST_TEST(doc.at("summary").at("error").as_int64() == 0, f.what);
  }
}

bool process_with_argument_running(const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string cmdline = read_text(entry.path().string() + "/cmdline");
    if (cmdline.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The shell of an exec: command line does not exec its last command after `cd … &&`: killing
// the adapter must kill the whole process group, or a hung python would outlive the run.
BOOST_AUTO_TEST_CASE(exec_kills_the_shell_and_its_children) {
  TempDir marker;
  const std::string once = marker.str() + "/hang-once";
  const auto r = run_command(kCli + " run --quiet --sut 'exec:cd " + kAdapters + " && " + kPython +
                             " broken_adapter.py hang 5 " + once + "' --request-timeout-ms 800" + kSmall);
  BOOST_TEST(r.exit_code == 1, r.out);
  BOOST_TEST(std::filesystem::exists(once));
  BOOST_TEST(!process_with_argument_running(once));
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
  using harness::AnswerStatus;
  // Lines that lose the conversation throw (the adapter is restarted).
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("nope", 1), ProtocolError);
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("[1]", 1), ProtocolError);
  BOOST_CHECK_THROW(protocol::parse_evaluate_response("{\"id\":2,\"connectionState\":null,\"iceConnectionState\":\"new\"}", 1),
                    ProtocolError);
  // Values outside the protocol in a line that answers the right request are errors.
  auto outside = [](const harness::SnapshotAnswer& a, const std::string& what) {
    BOOST_TEST((a.status == AnswerStatus::Error), what);
    BOOST_TEST(a.message.rfind("adapter broke the protocol: ", 0) == 0u, a.message);
    BOOST_TEST(a.message.find(what) != std::string::npos, a.message);
  };
  outside(protocol::parse_evaluate_response("{\"id\":1,\"connectionState\":3,\"iceConnectionState\":\"new\"}", 1),
          "\"connectionState\" is 3");
  outside(protocol::parse_evaluate_response("{\"id\":1,\"iceConnectionState\":\"new\"}", 1), "no \"connectionState\"");
  outside(protocol::parse_evaluate_response("{\"id\":1,\"connectionState\":\"Connected\",\"iceConnectionState\":\"new\"}", 1),
          "\"connectionState\" is \"Connected\", which is not an RTCPeerConnectionState");
  outside(protocol::parse_evaluate_response("{\"id\":1,\"connectionState\":\"new\",\"iceConnectionState\":\"connecting\"}", 1),
          "\"iceConnectionState\" is \"connecting\", which is not an RTCIceConnectionState");
  outside(protocol::parse_evaluate_response("{\"id\":1,\"unsupported\":false}", 1), "\"unsupported\" is false");
  const auto ok = protocol::parse_evaluate_response(
      "{\"id\":1,\"connectionState\":null,\"iceConnectionState\":\"new\",\"extra\":1}", 1);
  BOOST_TEST(!ok.states.connection_state.has_value());
  const auto un = protocol::parse_evaluate_response("{\"id\":7,\"unsupported\":\"no\"}", 7);
  BOOST_TEST((un.status == AnswerStatus::Unsupported));
  const auto err = protocol::parse_evaluate_response("{\"id\":7,\"error\":\"stack crashed\"}", 7);
  BOOST_TEST((err.status == AnswerStatus::Error));
  BOOST_TEST(err.message == "the adapter answered error: stack crashed");
  const std::vector<std::string> names = {"t0", "t1"};
  const auto step = protocol::parse_step_response(
      "{\"id\":3,\"events\":[{\"target\":\"ice:t0\",\"type\":\"statechange\",\"state\":\"checking\"}],"
      "\"connectionState\":\"connecting\",\"iceConnectionState\":\"checking\"}",
      3, names);
  BOOST_TEST((step.status == AnswerStatus::Ok));
  BOOST_TEST(step.outcome.events.at(0) == "ice:t0 statechange checking");
  auto bad_step = [&](const std::string& events, const std::string& what) {
    const auto a = protocol::parse_step_response(
        "{\"id\":3,\"events\":" + events + ",\"connectionState\":\"new\",\"iceConnectionState\":\"new\"}", 3, names);
    BOOST_TEST((a.status == AnswerStatus::Error), events);
    BOOST_TEST(a.message.find(what) != std::string::npos, a.message);
  };
  bad_step("[{\"target\":1}]", "events[0].target is 1, not a string");
  bad_step("{}", "\"events\" is {}, not an array");
  bad_step("[{\"target\":\"ice:t7\",\"type\":\"statechange\",\"state\":\"new\"}]", "no such transport (this case has: t0, t1)");
  bad_step("[{\"target\":\"dtls:t0\",\"type\":\"statechange\",\"state\":\"checking\"}]",
           "events[0].state is \"checking\", which is not an RTCDtlsTransportState");
  bad_step("[{\"target\":\"pc\",\"type\":\"connectionstatechange\",\"state\":\"completed\"}]",
           "which is not an RTCPeerConnectionState");
  bad_step("[{\"target\":\"ice:t0\",\"type\":\"iceconnectionstatechange\",\"state\":\"new\"}]",
           "a transport fires statechange");
  BOOST_CHECK_THROW(protocol::parse_hello("{\"id\":1,\"protocol\":2,\"name\":\"x\",\"version\":\"1\",\"supports\":[]}", 1),
                    ProtocolError);
  const auto h = protocol::parse_hello(
      "{\"id\":1,\"protocol\":1,\"name\":\"x\",\"version\":\"1\",\"supports\":[\"sequence\"]}", 1);
  BOOST_TEST(h.sequence);
  BOOST_TEST(!h.evaluate);
  BOOST_TEST(protocol::describe_request("{\"op\":\"ice\",\"id\":17,\"transport\":\"t0\",\"state\":\"checking\"}") ==
             "request 17 (ice t0 \u2192 checking)");
  BOOST_TEST(protocol::describe_request(protocol::hello_request(1)) == "request 1 (hello)");
}
