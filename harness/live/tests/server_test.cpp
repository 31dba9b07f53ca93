// Integration tests of `connstate live` on loopback: the URL line, the token and origin checks, every
// kind of misbehaving client disconnected with its reason while the server stays up, and what
// well-behaved clients are pushed equal to `connstate check-trace` on the files it recorded.
// The server runs as a child process; the clients are connstate-live-client (live_client.cpp).
#define BOOST_TEST_MODULE live_server
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <future>

#include "live_test_util.h"

using namespace connstate::test;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

struct Response {
  int status = 0;
  std::string body, csp;
};

Response http_get(const std::string& port, const std::string& target) {
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  boost::asio::ip::tcp::resolver resolver(io);
  stream.connect(resolver.resolve("127.0.0.1", port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1:" + port);
  http::write(stream, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return {static_cast<int>(res.result_int()), res.body(), std::string(res["Content-Security-Policy"])};
}

// Whether some line of `log` starts with `start` and contains `text` (no std::regex: GCC 12's
// -Wmaybe-uninitialized false positive inside <regex> breaks the asan preset's -Werror build).
bool has_line(const std::string& log, std::string_view start, std::string_view text) {
  std::size_t pos = 0;
  while (pos < log.size()) {
    std::size_t end = log.find('\n', pos);
    if (end == std::string::npos) end = log.size();
    const std::string_view line(log.data() + pos, end - pos);
    if (line.starts_with(start) && line.find(text) != std::string_view::npos) return true;
    pos = end + 1;
  }
  return false;
}

std::vector<std::string> bundled_traces() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(kSourceDir + "/cases/traces"))
    if (e.path().extension() == ".jsonl") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += " " + x;
  return s;
}

// check-trace on everything recorded, then every session pushed == check-trace (connstate-live-client compare).
json::object compare_with_check_trace(const TempDir& dir, const std::string& record_dir, const std::string& logs) {
  const auto check = run_command(kCli + " check-trace --quiet --exit-zero --root " + record_dir + " --json " +
                                 dir.str() + "/check.json " + record_dir + "/*.jsonl");
  BOOST_TEST_REQUIRE(check.exit_code == 0, check.out);
  return run_client("compare --out " + dir.str() + "/check.json " + logs);
}

int close_code(const json::object& fault_result, std::size_t i = 0) {
  const auto& r = fault_result.at("results").as_array().at(i).as_object();
  return r.contains("close_code") ? static_cast<int>(r.at("close_code").to_number<long>()) : -1;
}
std::string reason(const json::object& fault_result) {
  const auto& r = fault_result.at("results").as_array().at(0).as_object();
  return r.contains("reason") ? std::string(r.at("reason").as_string()) : "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(url_line_token_and_origin) {
  TempDir dir;
  LiveServerProcess server(dir, "");
  {  // "connstate live: http://127.0.0.1:PORT/?token=<32 hex digits>"
    const std::string line = server.first_line(), head = "connstate live: http://127.0.0.1:";
    const std::size_t slash = line.find("/?token=", head.size());
    const bool ok = line.starts_with(head) && slash != std::string::npos && slash > head.size() &&
                    line.find_first_not_of("0123456789", head.size()) == slash && line.size() == slash + 8 + 32 &&
                    line.find_first_not_of("0123456789abcdef", slash + 8) == std::string::npos;
    BOOST_TEST(ok, line);
  }
  const std::string port = server.port(), token = server.token();
  BOOST_TEST(http_get(port, "/probe.js").status == 401);
  BOOST_TEST(http_get(port, "/probe.js?token=0123456789abcdef0123456789abcdef").status == 403);
  const auto probe = http_get(port, "/probe.js?token=" + token);
  BOOST_TEST(probe.status == 200);
  BOOST_TEST(probe.body.find("ws://127.0.0.1:" + port + "/ws?token=" + token + "&role=probe") != std::string::npos);
  BOOST_TEST(probe.body.find("class RTCPeerConnection extends NativePeerConnection") != std::string::npos);
  BOOST_TEST(http_get(port, "/").status == 401);
  const auto page = http_get(port, "/?token=" + token);
  BOOST_TEST(page.status == 200);
  BOOST_TEST(page.csp.find("script-src 'nonce-") != std::string::npos, page.csp);
  BOOST_TEST(page.csp.find("unsafe-inline'; style") == std::string::npos);
  BOOST_TEST(http_get(port, "/nothing?token=" + token).status == 404);
  // WebSocket upgrades: refused without the right token or from another site's page; accepted (101) otherwise.
  const std::string url = "--url " + server.url();
  BOOST_TEST(run_client("fault no-token " + url).at("results").as_array()[0].at("status") == 401);
  BOOST_TEST(run_client("fault bad-token " + url).at("results").as_array()[0].at("status") == 403);
  BOOST_TEST(run_client("fault bad-origin " + url).at("results").as_array()[0].at("status") == 403);
  BOOST_TEST(run_client("fault good-origin " + url).at("results").as_array()[0].at("status") == 101);
  BOOST_TEST(server.errors().find("refused a WebSocket from origin http://evil.example") != std::string::npos);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(allowed_origins_and_non_loopback_warning) {
  TempDir dir;
  {
    LiveServerProcess server(dir, "--allow-origin http://evil.example");
    BOOST_TEST(run_client("fault bad-origin --url " + server.url()).at("results").as_array()[0].at("status") == 101);
    server.stop();
  }
  // A non-loopback address is warned about before binding (192.0.2.1, TEST-NET-1, is not on this
  // machine: the bind fails, so nothing listens beyond loopback).
  const auto r = run_command("timeout 10 " + kCli + " live --listen 192.0.2.1:0");
  BOOST_TEST(r.out.find("not a loopback address") != std::string::npos, r.out);
  BOOST_TEST(r.exit_code == 2, r.out);
  BOOST_TEST(run_command(kCli + " live --listen 127.0.0.1:99999").exit_code == 2);
}

BOOST_AUTO_TEST_CASE(misbehaving_clients_are_disconnected_with_a_reason) {
  TempDir dir;
  const std::string rec = dir.str() + "/rec";
  LiveServerProcess server(dir, "--quiet --record " + rec +
                                    " --request-timeout 2 --max-send-queue 256K");
  const std::string url = "--url " + server.url();
  struct Expect {
    std::string kind;
    int code;
    std::string reason;
  };
  for (const auto& e : std::vector<Expect>{
           {"oversized", 1009, "message larger than 65536 bytes"},
           {"garbage", 1007, "line 1 of the message is not JSON"},
           {"truncated", 1007, "not JSON (incomplete JSON)"},
           {"binary", 1003, "binary messages are not accepted"},
           {"no-header", 1008, "the first line must be the trace header"},
           {"rate", 1008, "more than 100 messages per second"},
           {"pcs", 1008, "more than 32 peer connections"},
           {"memory", 1008, "session memory limit of 16777216 bytes"},
       }) {
    BOOST_TEST_CONTEXT(e.kind) {
      const auto r = run_client("fault " + e.kind + " --seconds 8 " + url);
      BOOST_TEST(close_code(r) == e.code, json::serialize(r));
      BOOST_TEST(reason(r).find(e.reason) != std::string::npos, json::serialize(r));
      BOOST_TEST(server.running());
    }
  }
  // Slow requests are cut after --request-timeout; a reset in the middle of a frame is survived.
  const auto slow = run_client("fault slowloris --count 20 --seconds 30 " + url);
  for (const auto& r : slow.at("results").as_array()) {
    BOOST_TEST(r.at("closed_by_server").as_bool());
    BOOST_TEST(r.at("after_seconds").to_number<double>() < 10.0);
  }
  run_client("fault abrupt --count 20 " + url);
  // A live page that never reads is dropped once its queue is full; the others go on.
  auto viewer = std::async(std::launch::async, [&] { return run_client("viewer --never-read --seconds 15 --out /dev/null " + url); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // A probe that never reads what is pushed back to it (its findings) likewise.
  const auto never = run_client("fault never-reads --seconds 60 " + url);
  BOOST_TEST(never.at("results").as_array()[0].at("dropped_by_server").as_bool(), json::serialize(never));
  const auto v = viewer.get();
  BOOST_TEST(v.at("closed_by_server").as_bool(), json::serialize(v));
  BOOST_TEST(server.running());
  // Still up, and well-behaved clients get exactly check-trace's findings.
  const std::string out = dir.str() + "/clients";
  const auto traces = bundled_traces();
  const auto replay = run_client("replay --lines-per-message 2 --clients " + std::to_string(traces.size()) + " --out " +
                                 out + " " + url + joined(traces));
  BOOST_TEST(replay.at("completed").to_number<std::size_t>() == traces.size(), json::serialize(replay));
  const auto cmp = compare_with_check_trace(dir, rec, out + "/*.jsonl");
  BOOST_TEST(cmp.at("compared").to_number<std::size_t>() == traces.size(), json::serialize(cmp));
  BOOST_TEST(cmp.at("equal").to_number<std::size_t>() == traces.size(), json::serialize(cmp));
  BOOST_TEST(cmp.at("findings_compared").to_number<std::size_t>() > 0u);
  const std::string log = server.output();
  BOOST_TEST(has_line(log, "[s", "] disconnected: not reading: more than 262144 bytes waiting"));
  BOOST_TEST(has_line(log, "[viewer ", "] disconnected: not reading"));
  BOOST_TEST(server.stop() == 1);  // sessions had failing verdicts (the bundled traces have findings)
}

BOOST_AUTO_TEST_CASE(live_viewer_sees_what_check_trace_sees) {
  TempDir dir;
  const std::string rec = dir.str() + "/rec";
  // Every bundled trace at once is a burst of several MiB for the one viewer; this test is about what the
  // viewer sees, so its queue may hold the whole burst (dropping a slow viewer is tested above).
  LiveServerProcess server(dir, "--record " + rec + " --max-send-queue 256M");
  const auto traces = bundled_traces();
  auto viewer = std::async(std::launch::async, [&] {
    return run_client("viewer --sessions " + std::to_string(traces.size()) + " --out " + dir.str() +
                      "/viewer.jsonl --url " + server.url());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  run_client("replay --lines-per-message 3 --pace-ms 1 --clients " + std::to_string(traces.size()) + " --out " +
             dir.str() + "/clients --url " + server.url() + joined(traces));
  const auto v = viewer.get();
  BOOST_TEST(v.at("sessions_ended").to_number<std::size_t>() == traces.size(), json::serialize(v));
  const auto cmp = compare_with_check_trace(dir, rec, dir.str() + "/viewer.jsonl");
  BOOST_TEST(cmp.at("equal").to_number<std::size_t>() == traces.size(), json::serialize(cmp));
  // The terminal printed the findings as they happened.
  BOOST_TEST(server.output().find("wrong-order [fail]") != std::string::npos);
}

// 1,000 probe clients held at once, streaming the bundled traces, while slow, resetting, garbage-sending,
// oversized and never-reading clients come and go: every well-behaved client's findings are exactly
// check-trace's on its recorded stream, every misbehaving one is disconnected, and the server's peak
// memory stays bounded.
BOOST_AUTO_TEST_CASE(thousand_clients_with_faults_alongside) {
  TempDir dir;
  const std::string rec = dir.str() + "/rec";
  LiveServerProcess server(dir, "--quiet --record " + rec + " --max-sessions 2000 --request-timeout 5 --max-send-queue 256K");
  const std::string url = "--url " + server.url();
  const long rss_at_start = server.peak_rss_kib();
  std::vector<std::future<json::object>> faults;
  auto in_background = [&](const std::string& args) {
    faults.push_back(std::async(std::launch::async, [args] { return run_client(args); }));
  };
  in_background("fault slowloris --count 100 --seconds 30 " + url);
  in_background("fault abrupt --count 50 " + url);
  in_background("fault garbage --count 50 " + url);
  in_background("fault oversized --count 20 " + url);
  in_background("fault never-reads --seconds 60 " + url);
  in_background("viewer --never-read --seconds 20 --out /dev/null " + url);
  const auto traces = bundled_traces();
  const std::string out = dir.str() + "/clients";
  const auto replay = run_client("replay --clients 1000 --hold --lines-per-message 2 --pace-ms 5 --out " + out + " " +
                                 url + joined(traces));
  BOOST_TEST_MESSAGE("replay: " << json::serialize(replay));
  BOOST_TEST(replay.at("max_concurrent").to_number<std::size_t>() == 1000u);
  BOOST_TEST(replay.at("completed").to_number<std::size_t>() == 1000u, json::serialize(replay));
  for (auto& f : faults) {
    const auto r = f.get();
    BOOST_TEST_CONTEXT(json::serialize(r)) {
      if (r.contains("kind")) {
        const std::string kind(r.at("kind").as_string());
        for (const auto& one : r.at("results").as_array()) {
          const auto& o = one.as_object();
          if (kind == "slowloris") BOOST_TEST(o.at("closed_by_server").as_bool());
          else if (kind == "garbage") BOOST_TEST(o.at("close_code").to_number<long>() == 1007);
          else if (kind == "oversized") BOOST_TEST(o.at("close_code").to_number<long>() == 1009);
          else if (kind == "never-reads") BOOST_TEST(o.at("dropped_by_server").as_bool());
          else BOOST_TEST(!o.contains("error"));
        }
      } else {
        BOOST_TEST(r.at("closed_by_server").as_bool());  // the viewer that never read
      }
    }
  }
  BOOST_TEST_REQUIRE(server.running());
  const long peak = server.peak_rss_kib();
  BOOST_TEST_MESSAGE("server peak RSS " << peak << " KiB (at start " << rss_at_start << " KiB)");
  BOOST_TEST(peak < 400 * 1024);
  const auto cmp = compare_with_check_trace(dir, rec, out + "/*.jsonl");
  BOOST_TEST_MESSAGE("compare: " << json::serialize(cmp));
  BOOST_TEST(cmp.at("compared").to_number<std::size_t>() == 1000u);
  BOOST_TEST(cmp.at("equal").to_number<std::size_t>() == 1000u, json::serialize(cmp));
  server.stop();
}
