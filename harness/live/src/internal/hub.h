// hub.h — the state the live server's connections share: options, token, who is connected, the
// history a late viewer is sent, memory accounting, and the terminal. Everything runs on the one
// io_context thread, so nothing here is locked.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "connstate/live/server.h"

namespace connstate::live::internal {

using SharedText = std::shared_ptr<const std::string>;

// A WebSocket peer the hub can push to and close.
class Client {
 public:
  virtual ~Client() = default;
  virtual void send(SharedText message) = 0;
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

// What a viewer that connects late is sent for one session: the messages broadcast so far.
struct SessionHistory {
  std::string key;                  // "s3"
  std::vector<SharedText> messages;
  std::size_t bytes = 0;
  std::size_t dropped = 0;          // messages not kept (over the per-session or total cap)
  bool ended = false;
};

class Hub {
 public:
  Hub(boost::asio::io_context& io, ServerOptions options, std::FILE* out, std::FILE* err);

  boost::asio::io_context& io;
  ServerOptions options;
  std::FILE* out;
  std::FILE* err;
  std::string token;
  std::uint16_t port = 0;
  std::string started_stamp;        // "20261124T101530Z": trace ids of this run
  std::vector<std::string> own_origins;
  ServerStats stats;
  bool stopping = false;
  std::size_t sessions_ended = 0;
  std::function<void()> request_stop;  // set by the Server

  // --- who is connected ---
  std::unordered_map<Client*, std::weak_ptr<Client>> probes, viewers;
  // Closers of HTTP connections still reading their request, oldest first.
  std::list<std::function<void()>> pending_http;

  // --- history for late viewers ---
  std::deque<std::shared_ptr<SessionHistory>> histories;
  std::size_t history_bytes = 0;
  std::size_t per_session_history_cap() const { return options.limits.max_memory_bytes / 4; }
  // Appends a message to a session's history (within the caps) and pushes it to every viewer.
  void broadcast(SessionHistory& h, SharedText message);
  void forget_old_histories();
  // The hello and the histories a new viewer is sent (newest sessions that fit half its queue).
  std::vector<SharedText> viewer_snapshot() const;

  bool origin_allowed(const std::string& origin) const;
  std::string hello(const std::string& role, const std::string& session_key) const;
  void session_ended();

  // Terminal lines ("[s3] ..."), flushed at once so a reader sees them as they happen.
  void print(const std::string& text);
  void warn(const std::string& text);
};

SharedText make_text(std::string s);

}  // namespace connstate::live::internal
