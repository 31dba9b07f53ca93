// ws_connection.cpp — a WebSocket connection of the live server: a probe's page session (its trace
// checked as it arrives, recorded, findings pushed) or a viewer (the live page, pushed everything).
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <tuple>

#include "connstate/harness/cases.h"
#include "connstate/harness/expectations.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"
#include "connstate/trace/trace_reports.h"
#include "internal/connections.h"

namespace connstate::live::internal {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using harness::append_json_string;

namespace {

constexpr std::size_t kViewerMessageMax = 4096;    // viewers send nothing that matters
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxEndMessage = 2 * 1024 * 1024;
constexpr std::size_t kMaxTimelineSvg = 256 * 1024;

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string session_message(const std::string& key, const SessionInfo& info) {
  std::string m = "{\"type\":\"session\",\"session\":";
  append_json_string(m, key);
  m += ",\"trace\":";
  append_json_string(m, info.id);
  m += ",\"started\":";
  append_json_string(m, info.recorded);
  m += ",\"peer\":";
  append_json_string(m, info.peer);
  m += ",\"origin\":";
  append_json_string(m, info.origin);
  m += ",\"file\":";
  if (info.file.empty()) m += "null";
  else append_json_string(m, info.file);
  m += '}';
  return m;
}

std::string line_message(const std::string& key, std::size_t number, std::string_view line) {
  std::string m = "{\"type\":\"line\",\"session\":";
  append_json_string(m, key);
  m += ",\"n\":" + std::to_string(number) + ",\"data\":";
  m += line;  // a JSON object: the session accepted it
  m += '}';
  return m;
}

std::string finding_message(const std::string& key, const trace::PcResult& pc, const trace::Finding& f) {
  std::string m = "{\"type\":\"finding\",\"session\":";
  append_json_string(m, key);
  m += ",\"pc\":";
  append_json_string(m, pc.pc);
  m += ",\"index\":" + std::to_string(pc.findings_total - 1) + ",\"verdict\":\"";
  m += harness::to_string(pc.verdict);
  m += "\",\"finding\":";
  trace::append_finding_json(m, f);
  m += '}';
  return m;
}

std::string problem_message(const std::string& key, const trace::InputProblem& p) {
  std::string m = "{\"type\":\"problem\",\"session\":";
  append_json_string(m, key);
  m += ",\"problem\":";
  trace::append_problem_json(m, p);
  m += '}';
  return m;
}

std::string end_message(const std::string& key, const std::string& reason, const trace::TraceResult& r,
                        const std::string& profile, std::size_t lines, bool with_timelines) {
  std::string m = "{\"type\":\"end\",\"session\":";
  append_json_string(m, key);
  m += ",\"reason\":";
  append_json_string(m, reason);
  m += ",\"verdict\":\"";
  m += harness::to_string(r.verdict);
  m += "\",\"lines\":" + std::to_string(lines) + ",\"results\":[";
  for (std::size_t i = 0; i < r.pcs.size(); ++i) {
    if (i) m += ',';
    trace::append_pc_result_json(m, r, r.pcs[i], profile);
  }
  m += "],\"timelines\":{";
  bool first = true;
  if (with_timelines) {
    for (const auto& pc : r.pcs) {
      if (pc.pc.empty() || pc.timeline.step_t.empty()) continue;
      const std::string svg = trace::timeline_svg(pc);
      if (svg.size() > kMaxTimelineSvg) continue;
      if (!first) m += ',';
      first = false;
      append_json_string(m, pc.pc);
      m += ':';
      append_json_string(m, svg);
    }
  }
  m += "}}";
  return m;
}

// A huge end message (thousands of findings) keeps its summaries only: the findings were pushed already.
std::string trim_end_message(std::string m) {
  if (m.size() <= kMaxEndMessage) return m;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(m, ec);
  if (ec || !v.is_object()) return m;
  auto& o = v.as_object();
  o["timelines"] = boost::json::object();
  if (auto* results = o.if_contains("results"); results && results->is_array())
    for (auto& rec : results->as_array())
      if (rec.is_object()) {
        rec.as_object()["findings"] = boost::json::array();
        rec.as_object()["findings_omitted"] = true;
      }
  return boost::json::serialize(v);
}

std::string close_text(const websocket::close_reason& cr) {
  std::string s = "client closed";
  if (cr.code != websocket::close_code::none) s += " (" + std::to_string(cr.code) + (cr.reason.empty() ? "" : " ");
  if (!cr.reason.empty()) s += std::string(cr.reason.data(), cr.reason.size());
  if (cr.code != websocket::close_code::none) s += ")";
  return s;
}

class WsConnection : public Client, public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(std::shared_ptr<Hub> hub, beast::tcp_stream stream, Role role, std::string peer, std::string origin)
      : hub_(std::move(hub)), ws_(std::move(stream)), kill_timer_(ws_.get_executor()), role_(role),
        peer_(std::move(peer)), origin_(std::move(origin)),
        tokens_(hub_->options.limits.message_burst) {}

  ~WsConnection() override {
    open_ = false;  // nothing can be sent any more; the session still ends properly
    end_session("connection gone", false);
    unregister();
  }

  void start(http::request<http::empty_body> request) {
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts from here on
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(static_cast<long>(hub_->options.request_timeout_seconds * 1000));
    t.idle_timeout = std::chrono::milliseconds(static_cast<long>(hub_->options.idle_timeout_seconds * 1000));
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "connstate-live"); }));
    // Message size is counted by this connection (to close with a reason); a single frame
    // announcing more than twice the limit is failed by Beast itself (close code 1009).
    ws_.read_message_max(2 * max_message_bytes());
    ws_.auto_fragment(false);
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
  }

  void send(SharedText message) override {
    if (closing_ || !open_) return;
    enqueue(std::move(message));
    if (queue_bytes_ > hub_->options.max_send_queue_bytes) {
      close(kClosePolicy, "not reading: more than " + std::to_string(hub_->options.max_send_queue_bytes) +
                              " bytes waiting to be sent");
      return;
    }
    if (!writing_) write_next();
  }

  // A normal close (the trace ended, the server stops) first sends what is queued, the session's
  // last findings and its end message included; any other close drops what has not started to go
  // out: the client broke a rule. A close asked for while the session's checker is running (from one
  // of its callbacks) waits until it returns: the session must not end under its own feet.
  void close(std::uint16_t code, std::string reason) override {
    if (in_session_) {
      if (!deferred_close_) deferred_close_.emplace(code, std::move(reason));
      return;
    }
    if (closing_) return;
    bool graceful = code == websocket::close_code::normal || code == websocket::close_code::going_away;
    auto give_up_queue = [&] {
      ++hub_->stats.disconnected;
      hub_->print((role_ == Role::Probe ? "[" + key_ + "]" : "[viewer " + peer_ + "]") + " disconnected: " + reason +
                  " (close code " + std::to_string(code) + ")");
      while (queue_.size() > (writing_ ? 1u : 0u)) {
        queue_bytes_ -= queue_.back()->size();
        queue_.pop_back();
      }
    };
    if (!graceful) {
      closing_ = true;
      give_up_queue();
    }
    end_session(code == websocket::close_code::normal ? reason : (graceful ? "" : "disconnected: ") + reason, graceful);
    closing_ = true;
    if (graceful && deferred_close_) {  // the last messages did not fit its queue
      std::tie(code, reason) = *deferred_close_;
      graceful = false;
      give_up_queue();
    }
    deferred_close_.reset();
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    close_pending_ = true;
    kill_timer_.expires_after(
        std::chrono::milliseconds(static_cast<long>(hub_->options.close_timeout_seconds * 1000)));
    kill_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) beast::get_lowest_layer(self->ws_).close();  // did not take its messages or the close frame in time
    });
    if (open_ && !writing_) write_next();
  }

 private:
  std::size_t max_message_bytes() const {
    return role_ == Role::Probe ? hub_->options.limits.max_message_bytes : kViewerMessageMax;
  }

  void on_accept(beast::error_code ec) {
    if (ec) return;  // handshake failed or timed out: nothing was opened
    open_ = true;
    // From now on Beast's handshake timeout bounds the close handshake: as long as our own close timer.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(static_cast<long>(hub_->options.close_timeout_seconds * 1000));
    t.idle_timeout = std::chrono::milliseconds(static_cast<long>(hub_->options.idle_timeout_seconds * 1000));
    t.keep_alive_pings = true;
    ws_.set_option(t);
    if (hub_->stopping) {  // upgraded while the server began to stop
      close(websocket::close_code::going_away, "server stopping");
      read();
      return;
    }
    auto& registry = role_ == Role::Probe ? hub_->probes : hub_->viewers;
    registry[this] = weak_from_this();
    registered_ = true;
    if (role_ == Role::Probe) open_session();
    else {
      ++hub_->stats.viewers_open;
      for (auto& m : hub_->viewer_snapshot()) send(std::move(m));
    }
    read();
  }

  void open_session() {
    const std::size_t n = ++hub_->stats.sessions_total;
    ++hub_->stats.sessions_open;
    key_ = "s" + std::to_string(n);
    SessionInfo info;
    info.id = "live-" + hub_->started_stamp + "-" + key_;
    info.recorded = harness::utc_now();
    info.recorder = "connstate live " + harness::tool_version();
    info.peer = peer_;
    info.origin = origin_;
    if (!hub_->options.record_dir.empty()) {
      namespace fs = std::filesystem;
      fs::path p = fs::path(hub_->options.record_dir) / (info.id + ".jsonl");
      for (int k = 2; fs::exists(p); ++k) {  // a second server run within the same second
        info.id = "live-" + hub_->started_stamp + "-" + key_ + "-" + std::to_string(k);
        p = fs::path(hub_->options.record_dir) / (info.id + ".jsonl");
      }
      info.file = p.string();
    }
    file_ = info.file;
    history_ = std::make_shared<SessionHistory>();
    history_->key = key_;
    hub_->histories.push_back(history_);
    SessionCallbacks cb;
    cb.on_line = [this](std::string_view line, std::size_t number) { on_line(line, number); };
    cb.on_finding = [this](const trace::PcResult& pc, const trace::Finding& f) { on_finding(pc, f); };
    cb.on_problem = [this](const trace::InputProblem& p) {
      auto m = make_text(problem_message(key_, p));
      hub_->broadcast(*history_, m);
      send(m);
      if (session_ && session_->lines() == 0) return;  // an empty session: its end says so
      hub_->print("[" + key_ + "] input problem, line " + std::to_string(p.line) + (p.pc.empty() ? "" : " pc " + p.pc) +
                  ": " + p.message + " (" + p.action + ")");
    };
    session_ = std::make_unique<LiveSession>(hub_->options.check, hub_->options.limits, info, std::move(cb));
    send(make_text(hub_->hello("probe", key_)));
    hub_->broadcast(*history_, make_text(session_message(key_, info)));
    hub_->print("[" + key_ + "] opened from " + peer_ + (origin_.empty() ? "" : " (origin " + origin_ + ")") +
                (file_.empty() ? "" : ", recording to " + file_));
  }

  void on_line(std::string_view line, std::size_t number) {
    ++hub_->stats.lines;
    if (!file_.empty() && !record_failed_) {
      if (!record_) {
        record_ = std::fopen(file_.c_str(), "wb");
        if (!record_) {
          record_failed_ = true;
          hub_->warn("[" + key_ + "] cannot write " + file_ + "; not recording this session");
        }
      }
      if (record_ && (std::fwrite(line.data(), 1, line.size(), record_) != line.size() ||
                      std::fputc('\n', record_) == EOF)) {
        record_failed_ = true;
        hub_->warn("[" + key_ + "] write error on " + file_ + "; the recording is incomplete");
      }
    }
    if (number == 1 && session_) {
      hub_->print("[" + key_ + "] " + (session_->stack().empty() ? std::string("unknown stack") : session_->stack()) +
                  (session_->stack_version().empty() ? "" : " " + session_->stack_version()) +
                  (session_->page().empty() ? "" : " " + session_->page()));
    }
    hub_->broadcast(*history_, make_text(line_message(key_, number, line)));
  }

  void on_finding(const trace::PcResult& pc, const trace::Finding& f) {
    ++hub_->stats.findings;
    if (pc.findings.size() >= hub_->options.check.max_findings) return;  // counted only, as in the reports
    auto m = make_text(finding_message(key_, pc, f));
    hub_->broadcast(*history_, m);
    send(m);
    if (!hub_->options.quiet) hub_->print("[" + key_ + "] pc " + pc.pc + ": " + trace::finding_text(f));
  }

  void read() {
    const std::size_t limit = max_message_bytes() + 1 - std::min(in_.size(), max_message_bytes());
    ws_.async_read_some(in_, std::min(limit, kReadChunk),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      std::string why;
      if (ec == websocket::error::closed) why = close_text(ws_.reason());
      else if (ec == beast::error::timeout) why = "timed out";
      else if (ec == asio::error::operation_aborted) why = "connection closed";
      else if (ec == asio::error::eof || ec == beast::http::error::end_of_stream) why = "closed without a close frame";
      else why = "connection lost (" + ec.message() + ")";
      open_ = false;
      end_session(why, false);
      unregister();
      kill_timer_.cancel();
      beast::get_lowest_layer(ws_).close();  // a write stuck on a peer that stopped reading ends too
      return;
    }
    if (closing_) {
      in_.consume(in_.size());
      read();  // until the peer's close frame (or the kill timer)
      return;
    }
    if (in_.size() > max_message_bytes()) {
      close(kCloseTooBig, "message larger than " + std::to_string(max_message_bytes()) + " bytes");
      in_.consume(in_.size());
      read();
      return;
    }
    if (!ws_.is_message_done()) {
      read();
      return;
    }
    ++hub_->stats.messages;
    const bool text = ws_.got_text();
    const std::string_view message(static_cast<const char*>(in_.data().data()), in_.size());
    if (!text) {
      close(kCloseUnsupportedData, "binary messages are not accepted (send trace lines as text)");
    } else if (role_ == Role::Probe) {
      on_probe_message(message);
    } else if (!take_token()) {
      close(kClosePolicy, "more than " + std::to_string(static_cast<long>(hub_->options.limits.messages_per_second)) +
                              " messages per second");
    }
    in_.consume(in_.size());
    read();
  }

  bool take_token() {
    const double now = seconds_now();
    if (last_refill_ > 0)
      tokens_ = std::min(hub_->options.limits.message_burst,
                         tokens_ + (now - last_refill_) * hub_->options.limits.messages_per_second);
    last_refill_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  void on_probe_message(std::string_view message) {
    if (!session_ || session_done_) return;
    const std::size_t before = session_->memory();
    in_session_ = true;
    auto refusal = session_->message(message, seconds_now());
    in_session_ = false;
    const std::size_t after = session_->memory();
    hub_->stats.memory += after - before;
    counted_memory_ += after - before;
    if (record_) std::fflush(record_);  // a reader of the file sees whole messages
    if (refusal) {
      close(refusal->close_code, refusal->reason);
      return;
    }
    if (deferred_close_) {
      auto [code, reason] = *deferred_close_;
      deferred_close_.reset();
      close(code, std::move(reason));
      return;
    }
    if (session_->ended()) {
      close(websocket::close_code::normal, "trace ended");
      return;
    }
    if (after + queue_bytes_ + history_->bytes > hub_->options.limits.max_memory_bytes) {
      close(kClosePolicy, "session memory limit of " + std::to_string(hub_->options.limits.max_memory_bytes) +
                              " bytes");
      return;
    }
    if (hub_->stats.memory > hub_->options.max_total_memory)
      close(kClosePolicy, "the server's memory budget is used up (" +
                              std::to_string(hub_->options.max_total_memory) + " bytes)");
  }

  // Ends the page session once: the checker's last findings, the end message, the terminal summary.
  void end_session(const std::string& reason, bool tell_client) {
    if (role_ != Role::Probe || !session_ || session_done_) return;
    session_done_ = true;
    hub_->stats.memory -= std::min(hub_->stats.memory, counted_memory_);
    counted_memory_ = 0;
    const std::size_t lines = session_->lines();
    in_session_ = true;
    trace::TraceResult r = session_->finish();
    in_session_ = false;
    // As check-trace without an expectations file judges them.
    for (auto& pc : r.pcs) pc.unexpected = harness::is_unexpected(pc.verdict, nullptr, false);
    if (record_) {
      if (std::fclose(record_) != 0 && !record_failed_)
        hub_->warn("[" + key_ + "] write error on " + file_ + "; the recording is incomplete");
      record_ = nullptr;
    }
    const std::string profile(to_string(hub_->options.check.profile));
    auto m = make_text(trim_end_message(end_message(key_, reason, r, profile, lines, true)));
    hub_->broadcast(*history_, m);
    history_->ended = true;
    if (tell_client && open_) enqueue(m);
    std::string summary = "[" + key_ + "] ended (" + reason + "): " + std::to_string(lines) + " lines";
    if (!file_.empty() && lines > 0 && !record_failed_) summary += ", recorded to " + file_;
    hub_->print(summary);
    if (lines > 0)
      for (const auto& pc : r.pcs)
        hub_->print("[" + key_ + "]   " + (pc.pc.empty() ? std::string("(trace)") : "pc " + pc.pc) + " " +
                    std::string(harness::to_string(pc.verdict)) + ": " + pc.message);
    --hub_->stats.sessions_open;
    if (lines > 0 && trace::verdict_rank(r.verdict) >= trace::verdict_rank(harness::Verdict::Fail)) ++hub_->stats.sessions_failed;
    session_.reset();
    hub_->forget_old_histories();
    hub_->session_ended();
  }

  void unregister() {
    if (!registered_) return;
    registered_ = false;
    if (role_ == Role::Probe) hub_->probes.erase(this);
    else {
      hub_->viewers.erase(this);
      --hub_->stats.viewers_open;
    }
  }

  void enqueue(SharedText message) {
    queue_bytes_ += message->size();
    queue_.push_back(std::move(message));
  }

  // Writes the queue in order; once it is empty, a pending close goes out.
  void write_next() {
    if (!open_) return;
    if (queue_.empty()) {
      if (close_pending_) {
        close_pending_ = false;
        ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) {});
      }
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->queue_bytes_ -= self->queue_.front()->size();
      self->queue_.pop_front();
      if (ec) {
        self->queue_.clear();
        self->queue_bytes_ = 0;
        return;  // the read side sees the error too
      }
      self->write_next();
    });
  }

  std::shared_ptr<Hub> hub_;
  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer kill_timer_;
  Role role_;
  std::string peer_, origin_, key_, file_;
  beast::flat_buffer in_;
  std::deque<SharedText> queue_;
  std::size_t queue_bytes_ = 0;
  bool writing_ = false, closing_ = false, open_ = false, registered_ = false, close_pending_ = false;
  websocket::close_reason close_reason_;
  bool in_session_ = false;  // inside the session's checker (its callbacks may ask for a close)
  std::optional<std::pair<std::uint16_t, std::string>> deferred_close_;
  double tokens_;
  double last_refill_ = 0;
  // probe sessions
  std::unique_ptr<LiveSession> session_;
  std::shared_ptr<SessionHistory> history_;
  bool session_done_ = false;
  std::size_t counted_memory_ = 0;  // what this session added to the server's total
  std::FILE* record_ = nullptr;
  bool record_failed_ = false;
};

}  // namespace

void start_websocket(std::shared_ptr<Hub> hub, beast::tcp_stream stream, http::request<http::empty_body> request,
                     Role role, std::string peer, std::string origin) {
  auto c = std::make_shared<WsConnection>(std::move(hub), std::move(stream), role, std::move(peer), std::move(origin));
  c->start(std::move(request));
}

}  // namespace connstate::live::internal
