// session.cpp — LiveSession (see session.h).
#include "connstate/live/session.h"

#include <algorithm>
#include <boost/json.hpp>
#include <unordered_set>
#include <vector>

namespace connstate::live {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxHeaderField = 1024;
// Header fields a probe may set; the server adds its own (recorded, recorder, session, peer, origin).
constexpr std::string_view kClientHeaderFields[] = {"stack", "stack_version", "scenario", "page", "user_agent", "probe"};

std::size_t string_cost(const std::string& s) {
  // A string beyond the small-string buffer owns a heap block (with the allocator's header).
  return s.size() > 15 ? s.capacity() + 1 + 16 : 0;
}

// Close reasons must fit a close frame's 123 bytes.
std::string fit_reason(std::string s) {
  if (s.size() <= 123) return s;
  s.resize(120);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole UTF-8 sequences
  if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s + "...";
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct Accepted {
  std::string_view text;
  bool is_end = false;
};

}  // namespace

std::size_t finding_cost(const trace::Finding& f) {
  return sizeof(trace::Finding) + string_cost(f.target) + string_cost(f.event) + string_cost(f.expected) +
         string_cost(f.observed) + string_cost(f.cause) + string_cost(f.rule.id) + string_cost(f.rule.document) +
         string_cost(f.rule.anchor) + string_cost(f.rule.quote) + string_cost(f.message) +
         32;  // the timeline's finding mark
}

std::size_t problem_cost(const trace::InputProblem& p) {
  // Trace-level problems are copied into every pc at the end; count them twice.
  return 2 * (sizeof(trace::InputProblem) + string_cost(p.pc) + string_cost(p.message) + string_cost(p.action));
}

struct LiveSession::Impl {
  trace::CheckOptions options;
  SessionLimits limits;
  SessionInfo info;
  SessionCallbacks callbacks;
  trace::TraceChecker checker;
  std::unordered_set<std::string> pc_names;
  std::string stack, stack_version, page;
  std::size_t lines = 0;
  std::size_t memory = 0;
  bool header_seen = false;
  bool ended = false;
  bool finished = false;
  double tokens;
  double last_refill = 0;
  bool refilled_once = false;

  Impl(trace::CheckOptions o, SessionLimits l, SessionInfo i, SessionCallbacks c)
      : options(o), limits(l), info(std::move(i)), callbacks(std::move(c)), checker(o, info.file, info.id),
        tokens(l.message_burst) {
    checker.on_finding([this](const trace::PcResult& pc, const trace::Finding& f) {
      if (pc.findings.size() < options.max_findings) memory += finding_cost(f);
      if (callbacks.on_finding) callbacks.on_finding(pc, f);
    });
    checker.on_problem([this](const trace::InputProblem& p) {
      memory += problem_cost(p);
      if (callbacks.on_problem) callbacks.on_problem(p);
    });
  }

  bool take_token(double now) {
    if (!refilled_once) {
      refilled_once = true;
      last_refill = now;
    }
    if (now > last_refill) {
      tokens = std::min(limits.message_burst, tokens + (now - last_refill) * limits.messages_per_second);
      last_refill = now;
    }
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  static std::size_t line_cost(std::size_t bytes) { return kLineCostBase + kLineCostFactor * bytes; }

  // The header line the server records: the client's allowed fields, then the server's own.
  std::optional<Refusal> compose_header(const json::object& client, std::string& out) {
    const json::value* format = client.if_contains("format");
    const json::value* version = client.if_contains("version");
    if (!format || !format->is_string() || format->get_string() != "connstate-trace")
      return Refusal{kClosePolicy, "header: \"format\" must be \"connstate-trace\""};
    if (!version || !version->is_number() || version->to_number<double>() != 1)
      return Refusal{kClosePolicy, "header: unsupported \"version\" (this server reads format version 1)"};
    json::object h;
    h["format"] = "connstate-trace";
    h["version"] = 1;
    for (std::string_view key : kClientHeaderFields) {
      const json::value* v = client.if_contains(key);
      if (!v) continue;
      if (!v->is_string() || v->get_string().size() > kMaxHeaderField)
        return Refusal{kClosePolicy, fit_reason("header: \"" + std::string(key) + "\" must be a string of at most " +
                                                std::to_string(kMaxHeaderField) + " bytes")};
      h[key] = v->get_string();
    }
    if (!h.contains("scenario")) h["scenario"] = "live";
    h["recorded"] = info.recorded;
    h["recorder"] = info.recorder;
    h["session"] = info.id;
    if (!info.peer.empty()) h["peer"] = info.peer;
    if (!info.origin.empty()) h["origin"] = info.origin;
    out = json::serialize(h);
    auto field = [&](std::string_view key) {
      const json::value* v = h.if_contains(key);
      return v ? std::string(v->get_string()) : std::string();
    };
    stack = field("stack");
    stack_version = field("stack_version");
    page = field("page");
    return std::nullopt;
  }

  std::optional<Refusal> message(std::string_view text, double now) {
    if (finished) return Refusal{kClosePolicy, "the session is finished"};
    if (ended) return Refusal{kClosePolicy, "a message after the end marker"};
    if (!take_token(now))
      return Refusal{kClosePolicy, "more than " + number_text(limits.messages_per_second) + " messages per second"};
    if (text.size() > limits.max_message_bytes)
      return Refusal{kCloseTooBig, "message larger than " + std::to_string(limits.max_message_bytes) + " bytes"};

    // Validate every line before feeding any: a message is accepted or refused whole.
    std::vector<Accepted> accepted;
    std::string header_line;
    std::vector<std::string> new_pcs;
    std::size_t cost = 0;
    std::size_t index = 0;
    bool end_seen = false;
    while (!text.empty() || index == 0) {
      const auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      ++index;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::string where = "line " + std::to_string(index) + " of the message";
      if (line.find_first_not_of(" \t") == std::string_view::npos) {
        if (nl == std::string_view::npos) break;
        continue;  // blank lines carry nothing; they are neither fed nor recorded
      }
      if (end_seen) return Refusal{kClosePolicy, where + ": a line after the end marker"};
      // A line is recorded as it is and read back by check-trace's line reader: no control
      // characters (a stray '\r' would be stripped on reading, and JSON has none outside strings).
      for (char c : line)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
          return Refusal{kCloseInvalidData, where + ": a control character"};
      alignas(std::max_align_t) unsigned char arena[8192];
      json::monotonic_resource mr(arena, sizeof arena);
      boost::system::error_code ec;
      json::value v = json::parse(line, ec, &mr);
      if (ec) return Refusal{kCloseInvalidData, fit_reason(where + " is not JSON (" + ec.message() + ")")};
      if (!v.is_object()) return Refusal{kCloseInvalidData, where + " is not a JSON object"};
      const json::object& o = v.get_object();
      if (o.contains("format")) {
        if (header_seen || !accepted.empty() || !header_line.empty())
          return Refusal{kClosePolicy, where + ": a second header"};
        if (auto refusal = compose_header(o, header_line)) return refusal;
        cost += line_cost(header_line.size());
        if (nl == std::string_view::npos) break;
        continue;
      }
      if (!header_seen && header_line.empty())
        return Refusal{kClosePolicy, "the first line must be the trace header ({\"format\":\"connstate-trace\",...})"};
      if (const json::value* pc = o.if_contains("pc"); pc && pc->is_string()) {
        const std::string name(pc->get_string());
        if (!pc_names.contains(name) && std::find(new_pcs.begin(), new_pcs.end(), name) == new_pcs.end()) {
          if (pc_names.size() + new_pcs.size() >= limits.max_pcs)
            return Refusal{kClosePolicy, "more than " + std::to_string(limits.max_pcs) + " peer connections"};
          new_pcs.push_back(name);
          cost += name.size() + 64;
        }
      }
      Accepted a{line, false};
      const json::value* target = o.if_contains("target");
      const json::value* event = o.if_contains("event");
      if (target && event && target->is_string() && event->is_string() && target->get_string() == "recorder" &&
          event->get_string() == "end") {
        a.is_end = true;
        end_seen = true;
      }
      cost += line_cost(line.size());
      accepted.push_back(a);
      if (nl == std::string_view::npos) break;
    }
    if (memory + cost > limits.max_memory_bytes)
      return Refusal{kClosePolicy, "session memory limit of " + std::to_string(limits.max_memory_bytes) + " bytes"};

    for (auto& name : new_pcs) pc_names.insert(std::move(name));
    memory += cost;
    if (!header_line.empty()) {
      header_seen = true;
      feed(header_line);
    }
    for (const Accepted& a : accepted) {
      feed(a.text);
      if (a.is_end) ended = true;
    }
    return std::nullopt;
  }

  void feed(std::string_view line) {
    ++lines;
    if (callbacks.on_line) callbacks.on_line(line, lines);
    checker.feed(line, lines);
  }
};

LiveSession::LiveSession(trace::CheckOptions options, SessionLimits limits, SessionInfo info,
                         SessionCallbacks callbacks)
    : impl_(std::make_unique<Impl>(options, limits, std::move(info), std::move(callbacks))) {}
LiveSession::~LiveSession() = default;

std::optional<Refusal> LiveSession::message(std::string_view text, double now_seconds) {
  auto r = impl_->message(text, now_seconds);
  if (r) r->reason = fit_reason(std::move(r->reason));
  return r;
}
bool LiveSession::ended() const { return impl_->ended; }
const std::string& LiveSession::stack() const { return impl_->stack; }
const std::string& LiveSession::stack_version() const { return impl_->stack_version; }
const std::string& LiveSession::page() const { return impl_->page; }
std::size_t LiveSession::lines() const { return impl_->lines; }
std::size_t LiveSession::pcs() const { return impl_->pc_names.size(); }
std::size_t LiveSession::memory() const { return impl_->memory; }

trace::TraceResult LiveSession::finish() {
  impl_->finished = true;
  return impl_->checker.finish();
}

}  // namespace connstate::live
