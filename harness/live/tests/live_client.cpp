// live_client.cpp — `connstate-live-client`: the clients the live server's tests and bench/live-load use.
//
//   replay --url URL --out DIR [--clients N] [--hold] [--lines-per-message K] [--pace-ms MS] TRACE...
//       N probe clients at once (one Boost.Asio thread, a coroutine each), client i streaming trace
//       i mod count: its header line, then its lines K per message, MS apart, then the end marker;
//       with --hold every client connects before any streams (N held at once). Each writes what it
//       sent (DIR/client-I.sent, the lines after the header) and what it received (DIR/client-I.jsonl).
//   viewer --url URL --out FILE [--sessions N] [--never-read --seconds S]
//       a live page's connection: every message received, one per line, until N sessions ended; or
//       one that never reads for S seconds, then reports whether the server dropped it.
//   compare --out CHECK.json LOG...
//       what the server pushed (LOG: a replay client's DIR/client-I.jsonl or a viewer's FILE) against
//       `connstate check-trace --json CHECK.json` of the recorded files: per session, the findings
//       pushed for each pc and the end message's results must equal check-trace's, and a replay
//       client's recorded file must be the server's header line followed by exactly what it sent.
//   fault KIND --url URL [--count N] [--seconds S]
//       misbehaving clients (KIND: oversized, garbage, truncated, binary, no-header, rate, pcs, memory,
//       abrupt, slowloris, never-reads, no-token, bad-token, bad-origin, good-origin).
// Every command prints one JSON object (what happened, with counts and close codes) on stdout.
// Exit: 0 when the command ran (the JSON says what the server did), 2 bad usage, 1 it could not run.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

struct Url {
  std::string host, port, token;
};

Url parse_url(const std::string& url) {
  // http://HOST:PORT/?token=T
  Url u;
  const auto scheme = url.find("://");
  std::string rest = scheme == std::string::npos ? url : url.substr(scheme + 3);
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const auto colon = authority.rfind(':');
  u.host = authority.substr(0, colon);
  u.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  const auto t = url.find("token=");
  if (t != std::string::npos) u.token = url.substr(t + 6, url.find('&', t) == std::string::npos ? std::string::npos : url.find('&', t) - t - 6);
  return u;
}

struct Options {
  std::string command, kind, url, out;
  std::size_t clients = 1, lines_per_message = 1, count = 1, sessions = 1;
  double pace_ms = 0, seconds = 10;
  bool hold = false, never_read = false;
  std::vector<std::string> traces;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

using Ws = websocket::stream<beast::tcp_stream>;

// small_receive_buffer: a client that does not read fills up sooner (the server's queue, not the
// kernel's buffers, then holds what it does not take).
awaitable<void> connect_ws(Ws& ws, const Url& u, const std::string& target, const std::string& origin = "",
                           bool small_receive_buffer = false) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto endpoints = co_await resolver.async_resolve(u.host, u.port, use_awaitable);
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(30));
  if (small_receive_buffer) {
    auto& sock = beast::get_lowest_layer(ws).socket();
    sock.open(endpoints.begin()->endpoint().protocol());
    sock.set_option(asio::socket_base::receive_buffer_size(4096));
    co_await sock.async_connect(*endpoints.begin(), use_awaitable);
  } else {
    co_await beast::get_lowest_layer(ws).async_connect(endpoints, use_awaitable);
  }
  if (!origin.empty())
    ws.set_option(websocket::stream_base::decorator(
        [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
  ws.read_message_max(0);
  co_await ws.async_handshake(u.host + ":" + u.port, target, use_awaitable);
  beast::get_lowest_layer(ws).expires_never();
}

std::string ws_target(const Url& u, const std::string& role) { return "/ws?token=" + u.token + "&role=" + role; }

// --- replay -------------------------------------------------------------------------------------------
struct Trace {
  std::string header;
  std::vector<std::string> lines;
};

Trace load_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  Trace t;
  std::string line;
  double last_t = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (t.header.empty() && t.lines.empty() && line.find("\"format\"") != std::string::npos) {
      t.header = line;
      continue;
    }
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (!ec && v.is_object()) {
      if (auto* tm = v.as_object().if_contains("t_ms"); tm && tm->is_number()) last_t = tm->to_number<double>();
      auto* target = v.as_object().if_contains("target");
      auto* event = v.as_object().if_contains("event");
      t.lines.push_back(line);
      if (target && event && *target == "recorder" && *event == "end") return t;
      continue;
    }
    t.lines.push_back(line);
  }
  if (t.header.empty()) t.header = R"({"format":"connstate-trace","version":1,"stack":"replay"})";
  char end[96];
  std::snprintf(end, sizeof end, R"({"t_ms":%.3f,"target":"recorder","event":"end"})", last_t);
  t.lines.push_back(end);
  return t;
}

struct ReplayStats {
  std::size_t connected = 0, completed = 0, failed = 0, messages = 0, lines = 0, concurrent = 0, max_concurrent = 0;
  std::map<std::string, std::size_t> close_codes;
  std::vector<std::string> errors;
};

awaitable<void> replay_client(const Options& o, const Url& u, std::size_t index, const Trace& trace, ReplayStats& stats,
                              std::size_t& ready, asio::steady_timer& start_gate) {
  using namespace asio::experimental::awaitable_operators;
  const std::string base = o.out + "/client-" + std::to_string(index);
  std::ofstream received(base + ".jsonl"), sent(base + ".sent");
  Ws ws(co_await asio::this_coro::executor);
  bool counted = false, got_end = false, passed_gate = false;
  auto pass_gate = [&] {
    if (!o.hold || passed_gate) return;
    passed_gate = true;
    if (++ready == o.clients) start_gate.expires_at(asio::steady_timer::time_point::min());  // wakes the waiting, and the ones to come
  };
  // Everything the server pushes, until it closes (after the end message, or when it drops us).
  auto reader = [&]() -> awaitable<void> {
    beast::flat_buffer buf;
    for (;;) {
      boost::system::error_code ec;
      co_await ws.async_read(buf, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        stats.close_codes[std::to_string(ws.reason().code)]++;
        co_return;
      }
      const std::string m = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      received << m << "\n";
      if (m.starts_with("{\"type\":\"end\"")) got_end = true;
    }
  };
  auto writer = [&]() -> awaitable<void> {
    if (o.hold) {
      pass_gate();
      boost::system::error_code ec;
      co_await start_gate.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    asio::steady_timer pace(co_await asio::this_coro::executor);
    ws.text(true);
    co_await ws.async_write(asio::buffer(trace.header), use_awaitable);
    ++stats.messages;
    for (std::size_t i = 0; i < trace.lines.size(); i += o.lines_per_message) {
      std::string message;
      for (std::size_t k = i; k < std::min(trace.lines.size(), i + o.lines_per_message); ++k) {
        message += (message.empty() ? "" : "\n") + trace.lines[k];
        sent << trace.lines[k] << "\n";
        ++stats.lines;
      }
      if (o.pace_ms > 0) {
        pace.expires_after(std::chrono::microseconds(static_cast<long>(o.pace_ms * 1000)));
        co_await pace.async_wait(use_awaitable);
      }
      co_await ws.async_write(asio::buffer(message), use_awaitable);
      ++stats.messages;
    }
    sent.flush();
  };
  try {
    co_await connect_ws(ws, u, ws_target(u, "probe"));
    ++stats.connected;
    counted = true;
    stats.max_concurrent = std::max(stats.max_concurrent, ++stats.concurrent);
    co_await (reader() && writer());
    received.flush();
    if (got_end) ++stats.completed;
    else {
      ++stats.failed;
      if (stats.errors.size() < 20) stats.errors.push_back("client " + std::to_string(index) + ": no end message");
    }
  } catch (const std::exception& e) {
    ++stats.failed;
    if (stats.errors.size() < 20) stats.errors.push_back("client " + std::to_string(index) + ": " + e.what());
  }
  pass_gate();
  if (counted) --stats.concurrent;
}

int replay(const Options& o) {
  if (o.traces.empty()) throw std::invalid_argument("replay: no trace given");
  if (o.out.empty()) throw std::invalid_argument("replay: --out DIR is required");
  std::filesystem::create_directories(o.out);
  std::vector<Trace> traces;
  for (const auto& t : o.traces) traces.push_back(load_trace(t));
  const Url u = parse_url(o.url);
  asio::io_context io(1);
  ReplayStats stats;
  std::size_t ready = 0;
  asio::steady_timer gate(io);
  gate.expires_at(asio::steady_timer::time_point::max());
  for (std::size_t i = 0; i < o.clients; ++i)
    asio::co_spawn(io, replay_client(o, u, i, traces[i % traces.size()], stats, ready, gate), asio::detached);
  const double start = now_s();
  io.run();
  const double seconds = now_s() - start;
  json::object r;
  r["command"] = "replay";
  r["clients"] = o.clients;
  r["connected"] = stats.connected;
  r["max_concurrent"] = stats.max_concurrent;
  r["completed"] = stats.completed;
  r["failed"] = stats.failed;
  r["messages_sent"] = stats.messages;
  r["lines_sent"] = stats.lines;
  r["seconds"] = seconds;
  r["messages_per_second"] = seconds > 0 ? static_cast<double>(stats.messages) / seconds : 0.0;
  json::object codes;
  for (const auto& [k, v] : stats.close_codes) codes[k] = v;
  r["close_codes"] = codes;
  json::array errors;
  for (const auto& e : stats.errors) errors.emplace_back(e);
  r["errors"] = errors;
  std::cout << json::serialize(r) << std::endl;
  return 0;
}

// --- viewer ---------------------------------------------------------------------------------------------
int viewer(const Options& o) {
  const Url u = parse_url(o.url);
  asio::io_context io(1);
  json::object r;
  r["command"] = "viewer";
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        Ws ws(co_await asio::this_coro::executor);
        co_await connect_ws(ws, u, ws_target(u, "viewer"), "", o.never_read);
        if (o.never_read) {
          // Shrinking the receive buffer makes the server's queue fill sooner.
          asio::steady_timer t(co_await asio::this_coro::executor);
          t.expires_after(std::chrono::milliseconds(static_cast<long>(o.seconds * 1000)));
          co_await t.async_wait(use_awaitable);
          beast::flat_buffer buf;
          std::size_t messages = 0;
          for (;;) {
            boost::system::error_code ec;
            beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));  // still open if nothing comes
            co_await ws.async_read(buf, asio::redirect_error(use_awaitable, ec));
            if (ec) {
              r["closed_by_server"] = ec == websocket::error::closed || ws.reason().code != 0 ||
                                      ec == asio::error::connection_reset || ec == asio::error::eof ||
                                      ec == asio::error::not_connected;
              r["close_code"] = ws.reason().code;
              r["reason"] = std::string(ws.reason().reason.c_str());
              r["error"] = ec.message();
              break;
            }
            ++messages;
            buf.consume(buf.size());
          }
          r["messages_read_after_waiting"] = messages;
          co_return;
        }
        std::ofstream out(o.out);
        std::cout << "{\"viewer\":\"connected\"}" << std::endl;
        beast::flat_buffer buf;
        std::size_t ended = 0, messages = 0;
        for (;;) {
          boost::system::error_code ec;
          co_await ws.async_read(buf, asio::redirect_error(use_awaitable, ec));
          if (ec) {
            r["close_code"] = ws.reason().code;
            r["error"] = ec.message();
            break;
          }
          const std::string m = beast::buffers_to_string(buf.data());
          buf.consume(buf.size());
          out << m << "\n";
          out.flush();
          ++messages;
          if (m.starts_with("{\"type\":\"end\"") && ++ended >= o.sessions) break;
        }
        r["messages"] = messages;
        r["sessions_ended"] = ended;
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          r["error"] = ex.what();
        }
      });
  io.run();
  std::cout << json::serialize(r) << std::endl;
  return 0;
}

// --- faults ----------------------------------------------------------------------------------------------
constexpr const char* kHeader = R"({"format":"connstate-trace","version":1,"stack":"fault"})";

// One misbehaving client; the result says how the server ended it.
awaitable<json::object> fault_client(const Options& o, const Url& u, std::size_t index) {
  json::object r;
  auto executor = co_await asio::this_coro::executor;
  Ws ws(executor);
  auto read_close = [&]() -> awaitable<void> {
    beast::flat_buffer buf;
    for (;;) {
      boost::system::error_code ec;
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(30));
      co_await ws.async_read(buf, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        r["closed_by_server"] = ec == websocket::error::closed;
        r["close_code"] = ws.reason().code;
        r["reason"] = std::string(ws.reason().reason.c_str());
        if (ec != websocket::error::closed) r["error"] = ec.message();
        co_return;
      }
      buf.consume(buf.size());
    }
  };
  const std::string& k = o.kind;
  if (k == "no-token" || k == "bad-token" || k == "bad-origin" || k == "good-origin") {
    const std::string target = k == "no-token" ? "/ws" : k == "bad-token" ? "/ws?token=0123456789abcdef" : ws_target(u, "probe");
    const std::string origin = k == "bad-origin" ? "http://evil.example" : k == "good-origin" ? "http://127.0.0.1:" + u.port : "";
    try {
      tcp::resolver resolver(executor);
      auto endpoints = co_await resolver.async_resolve(u.host, u.port, use_awaitable);
      co_await beast::get_lowest_layer(ws).async_connect(endpoints, use_awaitable);
      websocket::response_type res;
      if (!origin.empty())
        ws.set_option(websocket::stream_base::decorator(
            [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
      boost::system::error_code ec;
      co_await ws.async_handshake(res, u.host + ":" + u.port, target, asio::redirect_error(use_awaitable, ec));
      r["status"] = res.result_int();
      if (!ec) co_await ws.async_close(websocket::close_code::normal, use_awaitable);
    } catch (const std::exception& e) {
      r["error"] = e.what();
    }
    co_return r;
  }
  if (k == "slowloris" || k == "abrupt") {
    tcp::socket s(executor);
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(u.host, u.port, use_awaitable);
    co_await asio::async_connect(s, endpoints, use_awaitable);
    const double start = now_s();
    if (k == "slowloris") {
      // A request that never ends: one header byte a second, until the server hangs up.
      const std::string req = "GET /probe.js?token=" + u.token + " HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      co_await asio::async_write(s, asio::buffer(req), use_awaitable);
      asio::steady_timer t(executor);
      for (;;) {
        t.expires_after(std::chrono::seconds(1));
        co_await t.async_wait(use_awaitable);
        boost::system::error_code ec;
        co_await asio::async_write(s, asio::buffer("a", 1), asio::redirect_error(use_awaitable, ec));
        if (!ec) {
          // The server closing shows as EOF on a read that does not block.
          s.non_blocking(true);
          char c;
          s.read_some(asio::buffer(&c, 1), ec);
          s.non_blocking(false);
        }
        if ((ec && ec != asio::error::would_block) || now_s() - start > o.seconds) {
          r["closed_by_server"] = ec && ec != asio::error::would_block;
          r["after_seconds"] = now_s() - start;
          break;
        }
      }
      co_return r;
    }
    // abrupt: a WebSocket upgrade, the header line, half a frame, then a reset.
    const std::string upgrade = "GET " + ws_target(u, "probe") + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(upgrade), use_awaitable);
    beast::flat_buffer buf;
    http::response_parser<http::empty_body> parser;
    co_await http::async_read_header(s, buf, parser, use_awaitable);
    // A masked text frame announcing 100 bytes, of which 10 are sent.
    std::string frame = "\x81\xE4";
    frame += std::string("\x01\x02\x03\x04", 4);
    frame += std::string(10, 'x');
    co_await asio::async_write(s, asio::buffer(frame), use_awaitable);
    s.set_option(asio::socket_base::linger(true, 0));
    s.close();
    r["reset"] = true;
    r["index"] = index;
    co_return r;
  }
  if (k == "never-reads") {
    // A probe that streams a trace full of findings (pushed back to it) and never reads them, until
    // the server drops it (its writes fail) or --seconds pass.
    co_await connect_ws(ws, u, ws_target(u, "probe"), "", true);
    ws.text(true);
    co_await ws.async_write(asio::buffer(std::string(kHeader)), use_awaitable);
    const double start = now_s();
    std::size_t sent = 0;
    asio::steady_timer t(executor);
    for (std::size_t i = 0; now_s() - start < o.seconds; ++i) {
      std::string m;
      for (int k2 = 0; k2 < 50; ++k2) {
        // A pc event repeating its value: one duplicate finding each, on 32 pcs.
        m += (m.empty() ? "" : "\n") + std::string("{\"t_ms\":") + std::to_string(i) + ",\"pc\":\"p" +
             std::to_string((i * 50 + k2) % 32) + "\",\"target\":\"pc\",\"event\":\"signalingstatechange\",\"state\":\"stable\"}";
      }
      boost::system::error_code ec;
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
      co_await ws.async_write(asio::buffer(m), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        r["write_error"] = ec.message();
        break;
      }
      ++sent;
      t.expires_after(std::chrono::milliseconds(15));
      co_await t.async_wait(use_awaitable);
    }
    r["messages_sent"] = sent;
    r["after_seconds"] = now_s() - start;
    // Now read: the server's close frame is at the end of what it sent before dropping us, unless it
    // gave up on the close handshake and reset the connection (the server's output says why).
    co_await read_close();
    r["dropped_by_server"] = r.contains("write_error") || r.at("closed_by_server").as_bool();
    co_return r;
  }
  co_await connect_ws(ws, u, ws_target(u, "probe"));
  ws.text(true);
  auto send = [&](std::string m, bool text = true) -> awaitable<bool> {
    boost::system::error_code ec;
    ws.text(text);
    co_await ws.async_write(asio::buffer(m), asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  };
  // The misbehaviour, written while the close frame is read: whichever ends first ends the other.
  auto misbehave = [&]() -> awaitable<void> {
    if (k == "oversized") {
      co_await send(kHeader);
      co_await send(std::string(1 << 20, 'x'));
    } else if (k == "garbage") {
      co_await send(kHeader);
      co_await send("this is not JSON at all");
    } else if (k == "truncated") {
      co_await send(kHeader);
      co_await send(R"({"t_ms":1,"pc":"a","target":"pc","event":"connectionstatechange","sta)");
    } else if (k == "binary") {
      co_await send(kHeader);
      co_await send(std::string("\x00\x01\x02", 3), false);
    } else if (k == "no-header") {
      co_await send(R"({"t_ms":1,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})");
    } else if (k == "rate") {
      co_await send(kHeader);
      for (int i = 0; i < 5000; ++i)
        if (!co_await send(R"({"t_ms":1,"target":"app","event":"mark"})")) break;
    } else if (k == "pcs") {
      co_await send(kHeader);
      std::string m;
      for (int i = 0; i < 100; ++i)
        m += (m.empty() ? "" : "\n") + std::string(R"({"t_ms":1,"pc":"pc)") + std::to_string(i) +
             R"(","target":"api","event":"create"})";
      co_await send(m);
    } else if (k == "memory") {
      co_await send(kHeader);
      const std::string line = R"({"t_ms":1,"target":"app","event":"mark","detail":")" + std::string(900, 'm') + "\"}";
      std::string m;
      for (int i = 0; i < 50; ++i) m += (m.empty() ? "" : "\n") + line;
      asio::steady_timer t(executor);
      for (int i = 0; i < 2000; ++i) {
        if (!co_await send(m)) break;
        t.expires_after(std::chrono::milliseconds(12));
        co_await t.async_wait(use_awaitable);
      }
    } else {
      throw std::invalid_argument("unknown fault kind '" + k + "'");
    }
    // Then wait (the reader ends this).
    asio::steady_timer t(executor);
    t.expires_after(std::chrono::seconds(60));
    co_await t.async_wait(use_awaitable);
  };
  using namespace asio::experimental::awaitable_operators;
  co_await (read_close() || misbehave());
  co_return r;
}

int fault(const Options& o) {
  const Url u = parse_url(o.url);
  asio::io_context io(1);
  json::array results;
  for (std::size_t i = 0; i < o.count; ++i)
    asio::co_spawn(io, fault_client(o, u, i), [&results](std::exception_ptr e, json::object r) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          r["error"] = ex.what();
        }
      }
      results.push_back(std::move(r));
    });
  io.run();
  json::object out;
  out["command"] = "fault";
  out["kind"] = o.kind;
  out["results"] = results;
  std::cout << json::serialize(out) << std::endl;
  return 0;
}

// --- compare ----------------------------------------------------------------------------------------------
// What the server pushed (probe or viewer logs) against `connstate check-trace --json` of the recorded files.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

json::value without_file(json::value record) {
  if (auto* t = record.as_object().if_contains("trace"); t && t->is_object()) t->as_object().erase("file");
  return record;
}

int compare(const Options& o) {
  const std::string check_text = [&] {
    std::ifstream in(o.out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  boost::system::error_code ec;
  json::value check = json::parse(check_text, ec);
  if (ec || !check.is_object()) throw std::runtime_error("--out " + o.out + " is not check-trace JSON");
  std::map<std::string, json::value> records;  // "<trace id>#<pc>"
  for (const auto& rec : check.at("results").as_array()) records[std::string(rec.at("id").as_string())] = rec;

  struct Session {
    std::map<std::string, json::array> pushed;  // pc -> findings in the order pushed
    std::optional<json::object> end;
    std::string sent;                           // the probe's .sent file, if any
  };
  std::map<std::string, Session> sessions;
  for (const auto& log : o.traces) {
    std::string probe_session;
    for (const auto& line : read_lines(log)) {
      json::value v = json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      const auto& m = v.as_object();
      const std::string type(m.at("type").as_string());
      if (type == "hello" && m.contains("session")) probe_session = std::string(m.at("session").as_string());
      if (!m.contains("session")) continue;
      Session& s = sessions[std::string(m.at("session").as_string())];
      if (type == "finding") s.pushed[std::string(m.at("pc").as_string())].push_back(m.at("finding"));
      else if (type == "end") s.end = m;
    }
    std::string sent = log.substr(0, log.rfind('.')) + ".sent";
    if (!probe_session.empty() && std::filesystem::exists(sent)) sessions[probe_session].sent = sent;
  }

  std::size_t compared = 0, equal = 0, findings = 0, lines = 0;
  json::array mismatches;
  auto mismatch = [&](const std::string& what) {
    if (mismatches.size() < 50) mismatches.emplace_back(what);
  };
  for (auto& [key, s] : sessions) {
    if (!s.end) {
      mismatch(key + ": no end message");
      continue;
    }
    const auto& results = s.end->at("results").as_array();
    if (s.end->at("lines").as_int64() == 0) continue;  // nothing was recorded
    ++compared;
    bool same = true;
    std::string file;
    for (const auto& r : results) {
      const std::string id(r.at("id").as_string());
      file = std::string(r.at("trace").at("file").as_string());
      auto it = records.find(id);
      if (it == records.end()) {
        mismatch(key + ": check-trace has no result " + id);
        same = false;
        continue;
      }
      if (without_file(r) != without_file(it->second)) {
        mismatch(key + ": end result of " + id + " differs from check-trace");
        same = false;
      }
      const std::string pc(r.at("pc").as_string());
      const auto& expected = it->second.at("findings").as_array();
      const json::array& got = s.pushed[pc];
      findings += got.size();
      if (got != expected) {
        mismatch(key + ": " + std::to_string(got.size()) + " finding(s) pushed for pc " + pc + ", check-trace has " +
                 std::to_string(expected.size()) + (got.size() == expected.size() ? " (different)" : ""));
        same = false;
      }
    }
    for (const auto& [pc, pushed] : s.pushed) {
      const bool known = std::any_of(results.begin(), results.end(), [&](const json::value& r) { return r.at("pc").as_string() == pc; });
      if (!known) {
        mismatch(key + ": findings pushed for pc " + pc + ", which has no result");
        same = false;
      }
    }
    if (!s.sent.empty()) {
      // The recorded file is the server's header line and then exactly the lines the client sent.
      auto recorded = read_lines(file);
      auto sent = read_lines(s.sent);
      lines += sent.size();
      if (recorded.empty() || std::vector<std::string>(recorded.begin() + 1, recorded.end()) != sent) {
        mismatch(key + ": " + file + " is not the header and the " + std::to_string(sent.size()) + " lines sent");
        same = false;
      }
    }
    equal += same;
  }
  json::object r;
  r["command"] = "compare";
  r["sessions"] = sessions.size();
  r["compared"] = compared;
  r["equal"] = equal;
  r["findings_compared"] = findings;
  r["lines_compared"] = lines;
  r["mismatches"] = mismatches;
  std::cout << json::serialize(r) << std::endl;
  return 0;
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) throw std::invalid_argument("usage: connstate-live-client replay|viewer|fault ... (see the source)");
  o.command = argv[1];
  int i = 2;
  if (o.command == "fault") {
    if (argc < 3) throw std::invalid_argument("fault: which KIND?");
    o.kind = argv[i++];
  }
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--url") o.url = next();
    else if (a == "--out") o.out = next();
    else if (a == "--clients") o.clients = std::stoul(next());
    else if (a == "--lines-per-message") o.lines_per_message = std::max<std::size_t>(1, std::stoul(next()));
    else if (a == "--pace-ms") o.pace_ms = std::stod(next());
    else if (a == "--count") o.count = std::stoul(next());
    else if (a == "--sessions") o.sessions = std::stoul(next());
    else if (a == "--seconds") o.seconds = std::stod(next());
    else if (a == "--hold") o.hold = true;
    else if (a == "--never-read") o.never_read = true;
    else if (a.starts_with("--")) throw std::invalid_argument("unknown option " + a);
    else o.traces.push_back(a);
  }
  if (o.url.empty() && o.command != "compare") throw std::invalid_argument("--url is required");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "connstate-live-client: " << e.what() << "\n";
    return 2;
  }
  raise_descriptor_limit();
  try {
    if (o.command == "replay") return replay(o);
    if (o.command == "viewer") return viewer(o);
    if (o.command == "fault") return fault(o);
    if (o.command == "compare") return compare(o);
    std::cerr << "connstate-live-client: unknown command " << o.command << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "connstate-live-client: " << e.what() << "\n";
    return 1;
  }
}
