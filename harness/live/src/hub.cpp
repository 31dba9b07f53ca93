// hub.cpp — the shared state of the live server (see internal/hub.h).
#include "internal/hub.h"

#include <algorithm>

#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"
#include "connstate/profiles.h"

namespace connstate::live::internal {

using harness::append_json_string;

SharedText make_text(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

Hub::Hub(boost::asio::io_context& io_, ServerOptions options_, std::FILE* out_, std::FILE* err_)
    : io(io_), options(std::move(options_)), out(out_), err(err_) {}

void Hub::broadcast(SessionHistory& h, SharedText message) {
  if (h.bytes + message->size() <= per_session_history_cap() &&
      history_bytes + message->size() <= options.max_history_bytes) {
    h.bytes += message->size();
    history_bytes += message->size();
    h.messages.push_back(message);
  } else {
    ++h.dropped;
  }
  for (auto& [raw, weak] : viewers)
    if (auto v = weak.lock()) v->send(message);
}

void Hub::forget_old_histories() {
  // Ended sessions are kept for late viewers while they fit; the oldest go first.
  constexpr std::size_t kMaxEnded = 200;
  std::size_t ended = 0;
  for (const auto& h : histories) ended += h->ended;
  while (!histories.empty()) {
    auto it = std::find_if(histories.begin(), histories.end(), [](const auto& h) { return h->ended; });
    if (it == histories.end()) break;
    if (ended <= kMaxEnded && history_bytes <= options.max_history_bytes * 3 / 4) break;
    history_bytes -= (*it)->bytes;
    histories.erase(it);
    --ended;
  }
}

std::vector<SharedText> Hub::viewer_snapshot() const {
  std::vector<SharedText> out_messages;
  out_messages.push_back(make_text(hello("viewer", "")));
  const std::size_t budget = options.max_send_queue_bytes / 2;
  std::size_t used = 0, first = histories.size(), omitted = 0;
  while (first > 0 && used + histories[first - 1]->bytes <= budget) {
    used += histories[first - 1]->bytes;
    --first;
  }
  omitted = first;
  if (omitted > 0)
    out_messages.push_back(make_text("{\"type\":\"omitted\",\"sessions\":" + std::to_string(omitted) + "}"));
  for (std::size_t i = first; i < histories.size(); ++i) {
    const auto& h = *histories[i];
    out_messages.insert(out_messages.end(), h.messages.begin(), h.messages.end());
    if (h.dropped > 0)
      out_messages.push_back(make_text("{\"type\":\"history-truncated\",\"session\":\"" + h.key +
                                       "\",\"dropped\":" + std::to_string(h.dropped) + "}"));
  }
  return out_messages;
}

bool Hub::origin_allowed(const std::string& origin) const {
  if (origin.empty()) return true;  // not a browser page: no page can be the one feeding it (the token still counts)
  for (const auto& o : own_origins)
    if (o == origin) return true;
  for (const auto& o : options.allowed_origins)
    if (o == "*" || o == origin) return true;
  return false;
}

std::string Hub::hello(const std::string& role, const std::string& session_key) const {
  std::string m = "{\"type\":\"hello\",\"role\":";
  append_json_string(m, role);
  if (!session_key.empty()) {
    m += ",\"session\":";
    append_json_string(m, session_key);
  }
  m += ",\"server\":{\"version\":";
  append_json_string(m, harness::tool_version());
  m += ",\"profile\":";
  append_json_string(m, std::string(to_string(options.check.profile)));
  char window[32];
  std::snprintf(window, sizeof window, "%g", options.check.reorder_window_ms);
  m += ",\"reorder_window_ms\":";
  m += window;
  m += ",\"recording\":";
  m += options.record_dir.empty() ? "false" : "true";
  m += ",\"max_findings\":" + std::to_string(options.check.max_findings);
  m += ",\"limits\":{\"max_message_bytes\":" + std::to_string(options.limits.max_message_bytes) +
       ",\"messages_per_second\":" + std::to_string(static_cast<long>(options.limits.messages_per_second)) +
       ",\"max_pcs\":" + std::to_string(options.limits.max_pcs) +
       ",\"max_memory_bytes\":" + std::to_string(options.limits.max_memory_bytes) + "}}}";
  return m;
}

void Hub::session_ended() {
  ++sessions_ended;
  if (options.stop_after_sessions > 0 && sessions_ended >= options.stop_after_sessions && request_stop)
    request_stop();
}

void Hub::print(const std::string& text) {
  if (!out) return;
  std::fwrite(text.data(), 1, text.size(), out);
  std::fputc('\n', out);
  std::fflush(out);
}

void Hub::warn(const std::string& text) {
  if (!err) return;
  std::fprintf(err, "connstate live: warning: %s\n", text.c_str());
  std::fflush(err);
}

}  // namespace connstate::live::internal
