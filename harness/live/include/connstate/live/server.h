// server.h — `connstate live`: the HTTP + WebSocket server that checks a running page's peer connections.
//
// One Boost.Asio io_context, no thread per client. It serves
//   /probe.js?token=T  the probe a page includes: it streams every RTCPeerConnection's events as trace
//                      lines over /ws (one page session per WebSocket, see session.h);
//   /?token=T          the live page: sessions, their pcs, a timeline per pc and findings as they happen;
//   /ws?token=T&role=probe|viewer  the WebSocket both use.
// Each probe session is checked by a LiveSession as its lines arrive; findings are pushed to the
// viewers and back to the probe (which logs them in the page's console) and printed on the terminal.
// With a record directory, each session's trace is written to <dir>/<session id>.jsonl, line for line
// what the checker was fed.
//
// Security model (docs/live.md): loopback unless told otherwise; every path but /favicon.ico needs the
// token (401 without, 403 with a wrong one); a WebSocket upgrade whose Origin is not allowed is refused
// (403); limits per client (SessionLimits) and per server (sessions, viewers, pending HTTP connections,
// request time, send queue, total memory). A client that breaks one is disconnected with a close frame
// saying why; the others go on.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connstate/live/session.h"
#include "connstate/trace/trace.h"

namespace connstate::live {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8617;          // 0 = a free port
  // Origins (scheme://host[:port], exact) whose pages may open the WebSocket, besides the server's own
  // (http://127.0.0.1:PORT, http://localhost:PORT, http://[::1]:PORT). "*" allows any; "null" file:// pages.
  std::vector<std::string> allowed_origins;
  std::string record_dir;             // "" = do not record
  trace::CheckOptions check;
  SessionLimits limits;
  std::size_t max_sessions = 1024;    // probe connections at once
  std::size_t max_viewers = 32;       // live pages at once
  std::size_t max_pending_http = 1024; // connections still sending their request (beyond: the oldest is dropped)
  std::size_t max_send_queue_bytes = 4 * 1024 * 1024;  // per connection: a client that does not read is dropped
  std::size_t max_total_memory = 1024ull * 1024 * 1024; // accounted memory of all sessions together
  std::size_t max_history_bytes = 64 * 1024 * 1024;    // what a viewer that connects late is sent, all sessions
  double request_timeout_seconds = 10;  // a whole HTTP request (slowloris) or WebSocket handshake
  double idle_timeout_seconds = 120;    // a WebSocket that sends nothing (not even a pong to our ping)
  // A closing client that does not complete the close handshake. Generous: tearing the connection down
  // can reset it, and a busy client then loses the end message it has not read yet.
  double close_timeout_seconds = 30;
  std::size_t stop_after_sessions = 0;  // stop once this many probe sessions have ended (0 = never)
  bool quiet = false;                   // terminal: sessions only, no finding lines
  std::string token;                    // "" = 128 random bits
};

struct ServerStats {
  std::size_t sessions_open = 0, sessions_total = 0, viewers_open = 0;
  std::size_t sessions_failed = 0;  // ended with a pc verdict fail or error
  std::size_t messages = 0, lines = 0, findings = 0;
  std::size_t refused_http = 0, refused_upgrades = 0, disconnected = 0;  // disconnected: broke a limit
  std::size_t memory = 0;  // accounted, all open sessions
};

class Server {
 public:
  // Terminal output goes to `out` (sessions, findings) and `err` (warnings).
  Server(boost::asio::io_context& io, ServerOptions options, std::FILE* out, std::FILE* err);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; throws std::runtime_error when it cannot listen.
  void start();
  std::uint16_t port() const;
  const std::string& token() const;
  std::string url() const;  // http://HOST:PORT/?token=TOKEN (HOST 127.0.0.1 for a wildcard address)
  // Stops accepting, ends every session (results printed, recordings closed) and closes every
  // connection; io_context::run() returns once they are gone.
  void stop();
  // Called once when the server begins to stop (stop(), or stop_after_sessions reached).
  void on_stop(std::function<void()> f);
  ServerStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Whether an address text is a loopback address (127.0.0.0/8, ::1, "localhost").
bool is_loopback_address(const std::string& address);

}  // namespace connstate::live
