// The examples of docs/adapter-protocol.md are run, not just shown. A fenced block whose info
// string starts with `jsonl example` is a transcript: request lines, each followed by the
// response line an adapter must give (`profile=ID` picks the profile; default rec-2025). Each
// block is replayed against a fresh `connstate serve`, which must answer exactly the documented
// lines (for hello, the stack's own name and version are free). A block `jsonl answer
// status=S` is a request and a documented decline or breach: the harness's parser must read the
// response as status S. Every request in either kind must be exactly what the harness sends for
// it (rebuilt with the protocol module's request builders).
#define BOOST_TEST_MODULE adapter_protocol_doc
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <set>
#include <sstream>

#include "connstate/harness/json_input.h"
#include "connstate/harness/protocol.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::test;
namespace json = boost::json;
namespace protocol = connstate::harness::protocol;

namespace {

struct Block {
  std::string info;  // the fence's info string, e.g. "jsonl example profile=rec-2021"
  int line = 0;      // of the opening fence
  std::vector<std::string> lines;
};

std::vector<Block> marked_blocks(const std::string& markdown) {
  std::vector<Block> out;
  std::istringstream in(markdown);
  std::string line;
  int number = 0;
  Block* open = nullptr;
  Block ignored;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("```", 0) == 0) {
      if (open) {
        open = nullptr;
        continue;
      }
      const std::string info = line.substr(3);
      if (info.rfind("jsonl example", 0) == 0 || info.rfind("jsonl answer", 0) == 0) {
        out.push_back({info, number, {}});
        open = &out.back();
      } else {
        open = &ignored;
      }
      continue;
    }
    if (open && open != &ignored && !line.empty()) open->lines.push_back(line);
  }
  return out;
}

std::string info_value(const std::string& info, const std::string& key, const std::string& fallback) {
  const auto at = info.find(key + "=");
  if (at == std::string::npos) return fallback;
  const auto start = at + key.size() + 1;
  return info.substr(start, info.find(' ', start) - start);
}

// What the harness sends for the request a documented line describes.
std::string as_the_harness_sends_it(const json::object& request) {
  const std::string op(request.at("op").as_string());
  const std::int64_t id = request.at("id").as_int64();
  if (op == "hello") return protocol::hello_request(id);
  if (op == "bye") return protocol::bye_request(id);
  if (op == "evaluate") {
    harness::Case c;
    c.closed = request.at("closed").as_bool();
    c.transports = harness::read_transports(request.at("transports"), "/transports", true);
    return protocol::evaluate_request(id, c);
  }
  if (op == "reset") {
    ModelOptions options;
    if (request.contains("options")) {
      const auto& o = request.at("options").as_object();
      options.rederive_on_set_change = o.at("rederive_on_set_change").as_bool();
      options.events_on_close = o.at("events_on_close").as_bool();
    }
    return protocol::reset_request(id, options);
  }
  harness::SequenceStep s;
  if (op != "close") s.transport = std::string(request.at("transport").as_string());
  if (op == "add") s.step = Step::add(0, request.contains("sctp_only") && request.at("sctp_only").as_bool());
  else if (op == "ice") s.step = Step::ice(0, *parse_state<IceTransportState>(request.at("state").as_string()));
  else if (op == "dtls") s.step = Step::dtls(0, *parse_state<DtlsTransportState>(request.at("state").as_string()));
  else if (op == "remove") s.step = Step::remove(0);
  else if (op == "close") s.step = Step::close();
  else BOOST_FAIL("unknown op " + op);
  return protocol::step_request(id, s);
}

void check_request_form(const std::string& line, const std::string& where) {
  const json::value documented = json::parse(line);
  const std::string sent = as_the_harness_sends_it(documented.as_object());
  BOOST_TEST(json::parse(sent) == documented, where << ": the harness sends " << sent << " for " << line);
}

const std::string kDoc = kSourceDir + "/docs/adapter-protocol.md";

}  // namespace

BOOST_AUTO_TEST_CASE(examples_are_what_the_reference_answers) {
  const auto blocks = marked_blocks(read_text(kDoc));
  std::size_t transcripts = 0, exchanges = 0;
  std::set<std::string> ops;
  for (const Block& b : blocks) {
    if (b.info.rfind("jsonl example", 0) != 0) continue;
    ++transcripts;
    const std::string where = "adapter-protocol.md:" + std::to_string(b.line);
    BOOST_TEST_REQUIRE(b.lines.size() % 2 == 0u, where << ": a transcript alternates request and response lines");
    TempDir dir;
    std::string requests;
    for (std::size_t i = 0; i < b.lines.size(); i += 2) {
      requests += b.lines[i] + "\n";
      check_request_form(b.lines[i], where);
      ops.insert(std::string(json::parse(b.lines[i]).at("op").as_string()));
    }
    const std::string profile = info_value(b.info, "profile", "rec-2025");
    const auto r = run_command(kCli + " serve --profile " + profile + " < " + dir.file("requests.jsonl", requests));
    BOOST_TEST_REQUIRE(r.exit_code == 0, where << ": " << r.out);
    std::istringstream answers(r.out);
    for (std::size_t i = 1; i < b.lines.size(); i += 2) {
      std::string got;
      BOOST_TEST_REQUIRE(static_cast<bool>(std::getline(answers, got)), where << ": no answer to " << b.lines[i - 1]);
      json::value want = json::parse(b.lines[i]), actual = json::parse(got);
      if (json::parse(b.lines[i - 1]).at("op") == "hello") {
        // The stack's own name and version are the adapter's to choose.
        BOOST_TEST(want.at("name").is_string());
        BOOST_TEST(want.at("version").is_string());
        want.as_object().erase("name");
        want.as_object().erase("version");
        actual.as_object().erase("name");
        actual.as_object().erase("version");
      }
      BOOST_TEST(actual == want, where << ": for " << b.lines[i - 1] << "\n  documented: " << b.lines[i]
                                       << "\n  reference:  " << got);
      ++exchanges;
    }
  }
  // The page keeps its examples: every op, several transcripts, two profiles.
  BOOST_TEST(transcripts >= 8u);
  BOOST_TEST(exchanges >= 30u);
  for (const char* op : {"hello", "evaluate", "reset", "add", "ice", "dtls", "remove", "close", "bye"})
    BOOST_TEST(ops.count(op) == 1u, "no example of " << op);
}

BOOST_AUTO_TEST_CASE(declines_and_breaches_read_as_documented) {
  const auto blocks = marked_blocks(read_text(kDoc));
  std::size_t answers = 0;
  for (const Block& b : blocks) {
    if (b.info.rfind("jsonl answer", 0) != 0) continue;
    const std::string where = "adapter-protocol.md:" + std::to_string(b.line);
    BOOST_TEST_REQUIRE(b.lines.size() == 2u, where << ": an answer block is one request and its response");
    check_request_form(b.lines[0], where);
    const json::value request = json::parse(b.lines[0]);
    const std::string op(request.at("op").as_string());
    const std::int64_t id = request.at("id").as_int64();
    harness::AnswerStatus status;
    std::string message;
    if (op == "evaluate") {
      const auto a = protocol::parse_evaluate_response(b.lines[1], id);
      status = a.status;
      message = a.message;
    } else if (op == "reset") {
      const auto a = protocol::parse_reset_response(b.lines[1], id);
      status = a.status;
      message = a.message;
    } else {
      const auto a = protocol::parse_step_response(b.lines[1], id, {"t0", "t1"});
      status = a.status;
      message = a.message;
    }
    const std::string want = info_value(b.info, "status", "");
    const std::string got = status == harness::AnswerStatus::Unsupported ? "unsupported"
                            : status == harness::AnswerStatus::Error     ? "error"
                                                                         : "ok";
    BOOST_TEST(got == want, where << ": " << b.lines[1] << " reads as " << got << " (" << message << ")");
    ++answers;
  }
  BOOST_TEST(answers >= 3u);
}
