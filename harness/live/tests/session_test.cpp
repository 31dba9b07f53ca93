// Unit tests of LiveSession: what a probe sends is fed to the checker line for line, the recorded
// lines give check-trace's result exactly, the client rules refuse a message whole, and the
// accounted memory bounds what the session really holds on the heap.
#define BOOST_TEST_MODULE live_session
#include <malloc.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "connstate/live/session.h"
#include "connstate/trace/trace_reports.h"

using namespace connstate;
using live::LiveSession;

namespace {

const std::string kSource = CONNSTATE_SOURCE_DIR;
constexpr const char* kHeader = R"({"format":"connstate-trace","version":1,"stack":"test","stack_version":"1"})";

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

// A session whose recorded lines and pushed findings are kept.
struct Recorder {
  std::string recorded;
  std::size_t last_number = 0;
  std::map<std::string, std::vector<std::string>> pushed;  // pc -> finding JSON, in push order
  std::vector<std::string> problems;
  std::unique_ptr<LiveSession> session;

  explicit Recorder(live::SessionLimits limits = {}, trace::CheckOptions options = {}) {
    live::SessionInfo info;
    info.id = "live-test";
    info.file = "live-test.jsonl";
    info.recorded = "2026-11-24T10:00:00Z";
    info.recorder = "connstate live test";
    info.peer = "127.0.0.1:1";
    live::SessionCallbacks cb;
    cb.on_line = [this](std::string_view line, std::size_t n) {
      BOOST_TEST(n == last_number + 1);
      last_number = n;
      recorded.append(line);
      recorded += '\n';
    };
    cb.on_finding = [this](const trace::PcResult& pc, const trace::Finding& f) {
      std::string j;
      trace::append_finding_json(j, f);
      pushed[pc.pc].push_back(j);
    };
    cb.on_problem = [this](const trace::InputProblem& p) { problems.push_back(p.message); };
    session = std::make_unique<LiveSession>(options, limits, info, std::move(cb));
  }
};

std::string result_json(const trace::TraceResult& r) {
  std::string out;
  for (const auto& pc : r.pcs) {
    trace::append_pc_result_json(out, r, pc, "rec-2025");
    out += '\n';
  }
  return out;
}

// Streams `lines` (header first) in messages of `per_message` lines; then checks that the session's
// result equals check_text on what it recorded, and that the findings it pushed are the result's.
void stream_and_compare(const std::vector<std::string>& lines, std::size_t per_message) {
  Recorder rec;
  double t = 0;
  for (std::size_t i = 0; i < lines.size(); i += per_message) {
    std::string m;
    for (std::size_t k = i; k < std::min(lines.size(), i + per_message); ++k) m += (m.empty() ? "" : "\n") + lines[k];
    auto refusal = rec.session->message(m, t += 0.05);
    BOOST_TEST_REQUIRE(!refusal.has_value(), (refusal ? refusal->reason : ""));
  }
  const trace::TraceResult live = rec.session->finish();
  const trace::TraceResult again = trace::check_text(rec.recorded, trace::CheckOptions{}, "live-test");
  BOOST_TEST(result_json(live) == result_json(again));
  for (const auto& pc : live.pcs) {
    std::vector<std::string> kept;
    for (const auto& f : pc.findings) {
      std::string j;
      trace::append_finding_json(j, f);
      kept.push_back(j);
    }
    BOOST_TEST(rec.pushed[pc.pc] == kept, "pc " << pc.pc);
  }
  // The recorded text is the server's header and then the lines as sent.
  const auto recorded = lines_of(rec.recorded);
  BOOST_TEST_REQUIRE(recorded.size() == lines.size());
  BOOST_TEST(std::equal(recorded.begin() + 1, recorded.end(), lines.begin() + 1));
}

}  // namespace

BOOST_AUTO_TEST_CASE(bundled_traces_give_check_trace_results) {
  std::size_t traces = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(kSource + "/cases/traces")) {
    if (e.path().extension() != ".jsonl") continue;
    auto lines = lines_of(read(e.path().string()));
    BOOST_TEST_REQUIRE(!lines.empty());
    BOOST_TEST_CONTEXT(e.path().string()) {
      for (std::size_t per : {1u, 3u, 50u}) stream_and_compare(lines, per);
    }
    ++traces;
  }
  BOOST_TEST(traces >= 20u);
}

BOOST_AUTO_TEST_CASE(header_is_composed_by_the_server) {
  Recorder rec;
  auto r = rec.session->message(
      R"({"format":"connstate-trace","version":1,"stack":"firefox","stack_version":"153.0","pc_events":false,)"
      R"("page":"http://localhost:3000/call","recorded":"1999-01-01","evil":"x"})",
      0);
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST(rec.session->stack() == "firefox");
  BOOST_TEST(rec.session->page() == "http://localhost:3000/call");
  const std::string line = lines_of(rec.recorded).at(0);
  BOOST_TEST(line.find(R"("recorded":"2026-11-24T10:00:00Z")") != std::string::npos);
  BOOST_TEST(line.find("1999") == std::string::npos);
  BOOST_TEST(line.find("evil") == std::string::npos);
  BOOST_TEST(line.find("pc_events") == std::string::npos);  // a probe always has pc events
  BOOST_TEST(line.find(R"("session":"live-test")") != std::string::npos);
  BOOST_TEST(line.find(R"("scenario":"live")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rule_breaking_messages_are_refused_whole) {
  struct Case {
    std::string name, first, message;
    std::uint16_t code;
    std::string reason_part;
  };
  const std::string ok_line = R"({"t_ms":1,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})";
  const std::vector<Case> cases = {
      {"no header", "", ok_line, live::kClosePolicy, "first line must be the trace header"},
      {"second header", kHeader, kHeader, live::kClosePolicy, "second header"},
      {"garbage", kHeader, ok_line + "\nnot json", live::kCloseInvalidData, "line 2 of the message is not JSON"},
      {"truncated", kHeader, ok_line + "\n{\"t_ms\":2,\"pc\":", live::kCloseInvalidData, "not JSON"},
      {"array", kHeader, "[1,2]", live::kCloseInvalidData, "not a JSON object"},
      {"control character", kHeader, std::string("{\"t_ms\":1,\r\"target\":\"x\",\"event\":\"y\"}"),
       live::kCloseInvalidData, "control character"},
      {"version 2", "", R"({"format":"connstate-trace","version":2})", live::kClosePolicy, "version"},
      {"long header field", "", R"({"format":"connstate-trace","version":1,"stack":")" + std::string(2000, 's') + "\"}",
       live::kClosePolicy, "at most 1024 bytes"},
      {"after end", kHeader, R"({"t_ms":1,"target":"recorder","event":"end"})" "\n" + ok_line, live::kClosePolicy,
       "after the end marker"},
      {"too big", kHeader, std::string(70000, ' '), live::kCloseTooBig, "larger than 65536"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Recorder rec;
      if (!c.first.empty()) BOOST_TEST_REQUIRE(!rec.session->message(c.first, 0).has_value());
      const std::size_t before = rec.session->lines();
      const std::string recorded_before = rec.recorded;
      auto r = rec.session->message(c.message, 0.01);
      BOOST_TEST_REQUIRE(r.has_value());
      BOOST_TEST(r->close_code == c.code);
      BOOST_TEST(r->reason.find(c.reason_part) != std::string::npos, r->reason);
      BOOST_TEST(r->reason.size() <= 123u);
      BOOST_TEST(rec.session->lines() == before);  // nothing of it was fed
      BOOST_TEST(rec.recorded == recorded_before);
    }
  }
}

BOOST_AUTO_TEST_CASE(pcs_rate_and_memory_limits) {
  {
    live::SessionLimits l;
    l.max_pcs = 3;
    Recorder rec(l);
    BOOST_TEST_REQUIRE(!rec.session->message(kHeader, 0).has_value());
    std::string m;
    for (int i = 0; i < 3; ++i) m += (m.empty() ? "" : "\n") + std::string(R"({"t_ms":1,"pc":"p)") + std::to_string(i) + R"(","target":"api","event":"create"})";
    BOOST_TEST(!rec.session->message(m, 0.01).has_value());
    auto r = rec.session->message(R"({"t_ms":2,"pc":"p9","target":"api","event":"create"})", 0.02);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->reason == "more than 3 peer connections");
    BOOST_TEST(rec.session->pcs() == 3u);
  }
  {
    live::SessionLimits l;
    l.messages_per_second = 10;
    l.message_burst = 5;
    Recorder rec(l);
    // 5 at once are the burst; the 6th at the same instant is refused; 0.1 s later one more token.
    for (int i = 0; i < 5; ++i) BOOST_TEST(!rec.session->message(i == 0 ? kHeader : "", 1.0).has_value());
    auto r = rec.session->message("", 1.0);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->reason == "more than 10 messages per second");
    BOOST_TEST(!rec.session->message("", 1.11).has_value());
  }
  {
    live::SessionLimits l;
    l.max_memory_bytes = 200 * 1024;
    Recorder rec(l);
    BOOST_TEST_REQUIRE(!rec.session->message(kHeader, 0).has_value());
    const std::string line = R"({"t_ms":1,"target":"app","event":"mark","detail":")" + std::string(1000, 'x') + "\"}";
    std::optional<live::Refusal> r;
    int sent = 0;
    for (; sent < 1000 && !r; ++sent) r = rec.session->message(line, sent * 0.02);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->reason.find("session memory limit") != std::string::npos);
    BOOST_TEST(rec.session->memory() <= l.max_memory_bytes);
    BOOST_TEST(sent < 100);
  }
}

BOOST_AUTO_TEST_CASE(blank_lines_and_crlf_are_not_recorded) {
  Recorder rec;
  BOOST_TEST_REQUIRE(!rec.session->message(std::string(kHeader) + "\r\n\n  \n", 0).has_value());
  BOOST_TEST_REQUIRE(!rec.session->message(R"({"t_ms":1,"target":"app","event":"mark"})" "\r\n", 0.1).has_value());
  BOOST_TEST(rec.session->lines() == 2u);
  BOOST_TEST(rec.recorded.find('\r') == std::string::npos);
  BOOST_TEST(rec.recorded.find("\n\n") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(findings_at_the_end_are_pushed_too) {
  Recorder rec;
  BOOST_TEST_REQUIRE(!rec.session->message(std::string(kHeader) + "\n" +
                                               R"({"t_ms":1,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
                                           0)
                          .has_value());
  BOOST_TEST(rec.pushed["a"].empty());  // the events checking requires may still come
  const auto r = rec.session->finish();
  BOOST_TEST_REQUIRE(r.pcs.size() == 1u);
  BOOST_TEST(r.pcs[0].findings.size() == 2u);  // iceconnectionstatechange and connectionstatechange missing
  BOOST_TEST(rec.pushed["a"].size() == 2u);
}

// The accounted memory is an upper bound of the heap the session really holds, for inputs that
// make the checker keep the most per byte: pending events, held events, findings, problems, pcs.
BOOST_AUTO_TEST_CASE(accounted_memory_bounds_the_heap) {
  struct Input {
    std::string name;
    std::function<std::string(std::size_t)> line;  // the i-th line
  };
  const std::string id64 = std::string(60, 't');
  const std::vector<Input> inputs = {
      // Transport changes that require pc events never delivered: pending expected events.
      {"pending", [&](std::size_t i) {
         return R"({"t_ms":)" + std::to_string(i) + R"(,"pc":"p)" + std::to_string(i % 32) + R"(","target":"ice:)" +
                id64 + std::to_string(i % 32) + R"(","event":"statechange","state":")" +
                (i / 32 % 2 ? "checking" : "connected") + "\"}";
       }},
      // Duplicate pc events: one finding each (kept up to max_findings per pc), on 32 pcs.
      {"findings", [](std::size_t i) {
         return R"({"t_ms":)" + std::to_string(i) + R"(,"pc":"p)" + std::to_string(i % 32) +
                R"(","target":"pc","event":"signalingstatechange","state":"stable"})";
       }},
      // Unmatched pc events held for the lookahead window (all at the same time).
      {"held", [](std::size_t i) {
         return R"({"t_ms":5,"pc":"p)" + std::to_string(i % 32) + R"(","target":"pc","event":"connectionstatechange","state":")" +
                (i % 2 ? "connecting" : "connected") + "\"}";
       }},
      // Unknown states quoted in problems.
      {"problems", [](std::size_t i) {
         return R"({"t_ms":)" + std::to_string(i) + R"(,"pc":"p)" + std::to_string(i % 32) +
                R"(","target":"pc","event":"connectionstatechange","state":")" + std::string(2000, 'z') + "\"}";
       }},
      // New transports on every line (64 per pc), then their changes.
      {"transports", [&](std::size_t i) {
         return R"({"t_ms":)" + std::to_string(i) + R"(,"pc":"p)" + std::to_string(i % 32) + R"(","target":"dtls:)" +
                id64 + std::to_string(i % 2048) + R"(","event":"statechange","state":"connecting"})";
       }},
  };
  for (const auto& input : inputs) {
    BOOST_TEST_CONTEXT(input.name) {
      live::SessionLimits limits;
      limits.max_memory_bytes = 64u << 20;
      limits.messages_per_second = 1e9;
      limits.message_burst = 1e9;
      const std::size_t heap_before = mallinfo2().uordblks;
      std::size_t accounted = 0, peak_real = 0;
      {
        Recorder rec(limits);
        rec.recorded.reserve(0);
        BOOST_TEST_REQUIRE(!rec.session->message(kHeader, 0).has_value());
        for (std::size_t i = 0; i < 12000; ++i) {
          const auto r = rec.session->message(input.line(i), 0);
          if (r) break;
          if (i % 1000 == 999) {
            rec.recorded.clear();
            rec.recorded.shrink_to_fit();
            rec.pushed.clear();
            rec.problems.clear();
            const std::size_t real = mallinfo2().uordblks - heap_before;
            peak_real = std::max(peak_real, real);
            BOOST_TEST(real <= rec.session->memory() + 64 * 1024,
                       "after " << i + 1 << " lines: heap " << real << " > accounted " << rec.session->memory());
          }
        }
        accounted = rec.session->memory();
      }
      BOOST_TEST_MESSAGE(input.name << ": heap " << peak_real << " bytes, accounted " << accounted << " bytes");
    }
  }
}
