// webrtc_internals.cpp — see webrtc_internals.h.
#include "connstate/trace/webrtc_internals.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include "connstate/harness/json_input.h"
#include "connstate/states.h"

namespace connstate::trace {

namespace json = boost::json;
using harness::FieldError;
using harness::InputError;

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

double epoch_ms(int y, int mo, int d, int h, int mi, int s, double frac_ms, int offset_min) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const time_t t = timegm(&tm);
  return static_cast<double>(t) * 1000.0 + frac_ms - offset_min * 60000.0;
}

bool parse_iso(std::string_view s, double& out) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return false;
  std::size_t i = 19;
  double frac = 0;
  if (i < s.size() && s[i] == '.') {
    double scale = 100;
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  int offset = 0;
  if (i < s.size()) {
    if (s[i] == 'Z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      int oh, om;
      if (!digits(s, i + 1, 2, oh)) return false;
      std::size_t j = i + 3;
      if (j < s.size() && s[j] == ':') ++j;
      if (!digits(s, j, 2, om)) return false;
      offset = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
      i = j + 2;
    }
  }
  if (i != s.size()) return false;
  out = epoch_ms(y, mo, d, h, mi, sec, frac, offset);
  return true;
}

// "11/23/2026, 8:41:07 PM" (Chrome's toLocaleString() in en-US), taken as UTC.
bool parse_locale(std::string_view s, double& out) {
  int mo, d, y, h, mi, sec;
  char ampm[3] = {0, 0, 0};
  const std::string str(s);
  int n = 0;
  if (std::sscanf(str.c_str(), "%d/%d/%d, %d:%d:%d %2s%n", &mo, &d, &y, &h, &mi, &sec, ampm, &n) == 7 &&
      static_cast<std::size_t>(n) == str.size()) {
    const std::string ap(ampm);
    if (ap != "AM" && ap != "PM") return false;
    if (h == 12) h = 0;
    if (ap == "PM") h += 12;
  } else if (std::sscanf(str.c_str(), "%d/%d/%d, %d:%d:%d%n", &mo, &d, &y, &h, &mi, &sec, &n) == 6 &&
             static_cast<std::size_t>(n) == str.size()) {
  } else {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return false;
  out = epoch_ms(y, mo, d, h, mi, sec, 0, 0);
  return true;
}

// Times beyond ±1e15 ms (about 31,700 years from 1970) are not times a browser wrote; rejecting them keeps
// every difference of two times finite, so the trace never holds inf or nan (found by fuzz_webrtc_internals:
// an endTime of 170000e0002000 parsed as infinity and sampled states got t_ms nan).
constexpr double kMaxAbsTimeMs = 1e15;

std::optional<double> time_of(const json::value* v, const std::string& at) {
  if (!v) return std::nullopt;
  double ms;
  if (v->is_double()) ms = v->get_double();
  else if (v->is_int64()) ms = static_cast<double>(v->get_int64());
  else if (v->is_uint64()) ms = static_cast<double>(v->get_uint64());
  else if (!v->is_string() || !parse_dump_time(v->get_string(), ms)) return std::nullopt;
  if (!(std::fabs(ms) <= kMaxAbsTimeMs)) throw FieldError(at, "a time outside ±1e15 ms of 1970");
  return ms;
}

std::string unquote(std::string_view s) {
  while (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::string iso(double epoch) {
  const time_t secs = static_cast<time_t>(std::floor(epoch / 1000.0));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

struct Line {
  double t;
  int order;  // 0 transport, 1 pc/api (a transport change comes before what it causes at equal times)
  std::size_t seq;
  std::string text;  // without t_ms: ,"pc":…}
};

}  // namespace

bool parse_dump_time(std::string_view text, double& ms) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  if (parse_iso(text, ms)) return true;
  if (parse_locale(text, ms)) return true;
  // A number written as a string.
  char* end = nullptr;
  const std::string s(text);
  const double v = std::strtod(s.c_str(), &end);
  if (end && *end == '\0' && std::isfinite(v)) {
    ms = v;
    return true;
  }
  return false;
}

std::string import_webrtc_internals(std::string_view text, const std::string& file, ImportSummary* summary) {
  ImportSummary local;
  ImportSummary& sum = summary ? *summary : local;
  const json::value doc = harness::parse_document(text, file);
  std::string out;
  try {
    const json::object& root = harness::as_object(doc, "");
    const json::object& pcs = harness::as_object(harness::require(root, "PeerConnections", ""), "/PeerConnections");
    std::string ua = std::string(harness::optional_string(root, "UserAgent", "").value_or(""));
    std::string version;
    if (auto p = ua.find("Chrome/"); p != std::string::npos) {
      const auto e = ua.find(' ', p);
      version = ua.substr(p + 7, e == std::string::npos ? std::string::npos : e - p - 7);
    }
    // Keys in order (json::object keeps insertion order; sort for stability).
    std::vector<std::string> keys;
    for (const auto& kv : pcs) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());

    std::vector<Line> lines;
    std::size_t seq = 0;
    double origin = std::numeric_limits<double>::infinity();
    for (std::size_t n = 0; n < keys.size(); ++n) {
      const std::string at = harness::pointer_join("/PeerConnections", keys[n]);
      const json::object& pc = harness::as_object(pcs.at(keys[n]), at);
      const std::string name = "pc" + std::to_string(n);
      ++sum.pcs;
      std::string marker = ",\"pc\":" + harness::json_string(name) +
                           ",\"target\":\"recorder\",\"event\":\"webrtc-internals-pc\",\"key\":" +
                           harness::json_string(keys[n]);
      if (auto url = harness::optional_string(pc, "url", at)) marker += ",\"url\":" + harness::json_string(*url);
      std::size_t marker_index = lines.size();
      lines.push_back({0, -1, seq++, marker + "}"});
      double first_t = std::numeric_limits<double>::infinity();
      if (const json::value* ul = pc.if_contains("updateLog")) {
        const std::string ulat = harness::pointer_join(at, "updateLog");
        const json::array& log = harness::as_array(*ul, ulat);
        for (std::size_t i = 0; i < log.size(); ++i) {
          const std::string eat = harness::pointer_join(ulat, i);
          const json::object& e = harness::as_object(log[i], eat);
          std::optional<double> t = time_of(e.if_contains("timestamp"), harness::pointer_join(eat, "timestamp"));
          if (!t) t = time_of(e.if_contains("time"), harness::pointer_join(eat, "time"));
          if (!t) throw FieldError(eat, "an updateLog entry needs a \"time\" (epoch ms, ISO 8601 or \"M/D/YYYY, h:mm:ss AM\")");
          const std::string type = harness::require_string(e, "type", eat);
          std::string value;
          if (const json::value* v = e.if_contains("value")) value = v->is_string() ? unquote(v->get_string()) : json::serialize(*v);
          std::string body;
          if (type == "connectionstatechange" || type == "iceconnectionstatechange" ||
              type == "icegatheringstatechange" || type == "signalingstatechange") {
            body = ",\"pc\":" + harness::json_string(name) + ",\"target\":\"pc\",\"event\":\"" + type +
                   "\",\"state\":" + harness::json_string(value);
            ++sum.pc_events;
          } else if (type == "close") {
            body = ",\"pc\":" + harness::json_string(name) + ",\"target\":\"api\",\"event\":\"close\"";
          } else {
            if (value.size() > 4096) value = value.substr(0, 4096) + "…";
            body = ",\"pc\":" + harness::json_string(name) + ",\"target\":\"api\",\"event\":" +
                   harness::json_string(type) + ",\"detail\":" + harness::json_string(value);
          }
          lines.push_back({*t, 1, seq++, body + "}"});
          first_t = std::min(first_t, *t);
        }
      }
      if (const json::value* st = pc.if_contains("stats")) {
        const std::string sat = harness::pointer_join(at, "stats");
        const json::object& stats = harness::as_object(*st, sat);
        for (const auto& kv : stats) {
          const std::string key(kv.key());
          const bool ice = key.ends_with("-iceState"), dtls = key.ends_with("-dtlsState");
          if (!ice && !dtls) continue;
          const std::string kat = harness::pointer_join(sat, key);
          const json::object& series = harness::as_object(kv.value(), kat);
          if (auto type = harness::optional_string(series, "statsType", kat); type && *type != "transport") continue;
          const std::string id = key.substr(0, key.size() - (ice ? 9 : 10));
          bool valid_id = !id.empty() && id.size() <= 64;
          for (char c : id)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) valid_id = false;
          if (!valid_id) {
            sum.warnings.push_back("transport id \"" + id + "\" cannot be a trace id; series " + key + " skipped");
            continue;
          }
          auto start = time_of(series.if_contains("startTime"), harness::pointer_join(kat, "startTime"));
          auto end = time_of(series.if_contains("endTime"), harness::pointer_join(kat, "endTime"));
          if (!start || !end) throw FieldError(kat, "a stats series needs \"startTime\" and \"endTime\"");
          const json::value& vals = harness::require(series, "values", kat);
          json::value parsed;
          const json::array* arr = nullptr;
          if (vals.is_array()) {
            arr = &vals.get_array();
          } else if (vals.is_string()) {
            boost::system::error_code ec;
            parsed = json::parse(vals.get_string(), ec);
            if (ec || !parsed.is_array()) throw FieldError(harness::pointer_join(kat, "values"), "\"values\" must be a JSON array (or its text)");
            arr = &parsed.get_array();
          } else {
            throw FieldError(harness::pointer_join(kat, "values"), "\"values\" must be a JSON array (or its text)");
          }
          std::string prev = "new";
          const std::size_t count = arr->size();
          for (std::size_t i = 0; i < count; ++i) {
            if (!(*arr)[i].is_string()) continue;
            const std::string v((*arr)[i].get_string());
            const bool ok = ice ? parse_state<IceTransportState>(v).has_value() : parse_state<DtlsTransportState>(v).has_value();
            if (!ok) {
              sum.warnings.push_back("series " + key + ": unknown state \"" + v + "\" skipped");
              continue;
            }
            if (v == prev) continue;
            prev = v;
            const double t = count > 1 ? *start + (*end - *start) * static_cast<double>(i) / static_cast<double>(count - 1) : *start;
            lines.push_back({t, 0, seq++,
                             ",\"pc\":" + harness::json_string(name) + ",\"target\":\"" + (ice ? "ice:" : "dtls:") +
                                 id + "\",\"event\":\"statechange\",\"state\":" + harness::json_string(v) +
                                 ",\"sampled\":true}"});
            ++sum.transport_events;
            first_t = std::min(first_t, t);
          }
        }
      }
      if (std::isfinite(first_t)) lines[marker_index].t = first_t;
      origin = std::min(origin, first_t);
    }
    if (!std::isfinite(origin)) origin = 0;
    for (auto& l : lines)
      if (l.order < 0) {
        l.t = std::isfinite(l.t) && l.t != 0 ? l.t : origin;
        l.order = -1;
      }
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
      if (a.t != b.t) return a.t < b.t;
      if (a.order != b.order) return a.order < b.order;
      return a.seq < b.seq;
    });
    out = "{\"format\":\"connstate-trace\",\"version\":1,\"stack\":\"chromium\",\"stack_version\":" +
          harness::json_string(version) + ",\"scenario\":\"imported\",\"recorded\":" +
          harness::json_string(std::isfinite(origin) && origin > 0 ? iso(origin) : "") +
          ",\"pc_events\":true,\"transport_events\":\"sampled\",\"source\":\"webrtc-internals\",\"dump\":" +
          harness::json_string(file) + ",\"user_agent\":" + harness::json_string(ua) + "}\n";
    for (const auto& l : lines) out += "{\"t_ms\":" + num(l.t - origin) + l.text + "\n";
  } catch (const FieldError& e) {
    const harness::Position pos = harness::locate(text, e.pointer);
    throw InputError(file, pos.line, pos.column, e.what());
  }
  return out;
}

}  // namespace connstate::trace
