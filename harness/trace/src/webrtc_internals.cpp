// webrtc_internals.cpp — see webrtc_internals.h; the shapes are described in docs/webrtc-internals.md.
#include "connstate/trace/webrtc_internals.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <optional>

#include "connstate/harness/json_input.h"
#include "connstate/states.h"
#include "connstate/trace/trace.h"
#include "internal/number_text.h"
#include "internal/gunzip.h"

namespace connstate::trace {

namespace json = boost::json;
using harness::FieldError;
using harness::InputError;

namespace {

// ---- times ------------------------------------------------------------------------------------

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
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
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

// Chrome's Date.toLocaleString() in the locales whose dates are three numbers: "11/23/2026, 8:41:07 PM"
// (en-US, with a narrow no-break space before PM since ICU 72), "23/11/2026, 20:41:07" (en-GB),
// "23.11.2026, 20:41:07" (de), "2026/11/23 20:41:07" (ja, zh). Wall-clock time without a zone,
// read as UTC. `day_first` reads a numeric date A/B/YYYY as day/month.
bool parse_locale(std::string_view raw, double& out, bool day_first) {
  std::string s;
  for (std::size_t i = 0; i < raw.size(); ++i) {  // no-break spaces (U+00A0, U+202F) count as spaces
    if (raw.compare(i, 2, "\xC2\xA0") == 0) {
      s += ' ';
      ++i;
    } else if (raw.compare(i, 3, "\xE2\x80\xAF") == 0) {
      s += ' ';
      i += 2;
    } else {
      s += raw[i];
    }
  }
  std::size_t i = 0;
  auto number = [&](int& v, std::size_t& width) {
    width = 0;
    v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && width < 5) {
      v = v * 10 + (s[i++] - '0');
      ++width;
    }
    return width > 0;
  };
  int a, b, c;
  std::size_t wa, wb, wc;
  if (!number(a, wa) || i >= s.size()) return false;
  const char sep = s[i];
  if (sep != '/' && sep != '.' && sep != '-') return false;
  ++i;
  if (!number(b, wb) || i >= s.size() || s[i] != sep) return false;
  ++i;
  if (!number(c, wc)) return false;
  if (i < s.size() && s[i] == '.') ++i;  // "23.11.2026."
  if (i < s.size() && s[i] == ',') ++i;
  while (i < s.size() && s[i] == ' ') ++i;
  int h, mi, sec = 0;
  std::size_t wh, wm, ws;
  if (!number(h, wh) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!number(mi, wm)) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!number(sec, ws)) return false;
  }
  while (i < s.size() && s[i] == ' ') ++i;
  const std::string_view rest = std::string_view(s).substr(i);
  if (rest == "AM" || rest == "PM" || rest == "am" || rest == "pm") {
    if (h < 1 || h > 12) return false;
    if (h == 12) h = 0;
    if (rest[0] == 'P' || rest[0] == 'p') h += 12;
  } else if (!rest.empty()) {
    return false;
  }
  int y, mo, d;
  if (wa == 4) {
    y = a, mo = b, d = c;
  } else if (wc == 4) {
    y = c;
    const bool dm = day_first || a > 12;
    mo = dm ? b : a;
    d = dm ? a : b;
  } else {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  out = epoch_ms(y, mo, d, h, mi, sec, 0, 0);
  return true;
}

bool parse_time_text(std::string_view text, double& ms, bool day_first) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  if (parse_iso(text, ms)) return true;
  if (parse_locale(text, ms, day_first)) return true;
  const std::string s(text);  // a number written as text
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end && end != s.c_str() && *end == '\0' && std::isfinite(v)) {
    ms = v;
    return true;
  }
  return false;
}

// A browser wrote these times, so they fall between 1990 and 2200; anything else is damage or a
// value of another unit, and would make every time difference in the trace meaningless.
constexpr double kEarliestMs = 631152000000.0, kLatestMs = 7258118400000.0;

std::string iso(double epoch) {
  const time_t secs = static_cast<time_t>(std::floor(epoch / 1000.0));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- updateLog spellings --------------------------------------------------------------------

enum class Kind { IceConnection, Connection, Gathering, Signaling, Close, Other };

// The updateLog type names of each era (docs/webrtc-internals.md): "oniceconnectionstatechange"
// (JSON-text values), "iceconnectionstatechange", "iceConnectionStateChange"; "stop" was close().
// "legacyIceConnectionStateChange" is Chromium's own pre-standard aggregate, logged beside the
// standard one for a while: not the value listeners read, so it stays an ignored entry.
Kind kind_of(std::string_view type) {
  if (type == "oniceconnectionstatechange" || type == "iceconnectionstatechange" || type == "iceConnectionStateChange")
    return Kind::IceConnection;
  if (type == "onconnectionstatechange" || type == "connectionstatechange" || type == "connectionStateChange")
    return Kind::Connection;
  if (type == "onicegatheringstatechange" || type == "icegatheringstatechange" || type == "iceGatheringStateChange")
    return Kind::Gathering;
  if (type == "onsignalingstatechange" || type == "signalingstatechange" || type == "signalingStateChange")
    return Kind::Signaling;
  if (type == "close" || type == "stop") return Kind::Close;
  return Kind::Other;
}

std::string_view event_name(Kind k) {
  switch (k) {
    case Kind::IceConnection: return "iceconnectionstatechange";
    case Kind::Connection: return "connectionstatechange";
    case Kind::Gathering: return "icegatheringstatechange";
    case Kind::Signaling: return "signalingstatechange";
    default: return "";
  }
}

// "HaveLocalPrAnswer" -> "have-local-pranswer"
std::string from_camel(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0 && !(s.substr(i - 1, 3) == "PrA")) out += '-';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string fixed;
  for (std::size_t i = 0; i < out.size(); ++i) {  // "pr-answer" came from "PrAnswer"
    if (out.compare(i, 9, "pr-answer") == 0) {
      fixed += "pranswer";
      i += 8;
    } else {
      fixed += out[i];
    }
  }
  return fixed;
}

// The state a log entry's value names, in the spec's spelling: JSON text ("\"connected\""), plain
// text ("connected"), or the enum names of the first releases ("ICEConnectionStateConnected",
// "kICEConnectionStateConnected", "SignalingStateHaveLocalOffer"; "ICEConnectionStateStarting" was
// `new`). nullopt when it is none of the attribute's values.
std::optional<std::string> state_of(Kind kind, std::string_view value) {
  std::string v(value);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    boost::system::error_code ec;
    const json::value parsed = json::parse(v, ec);
    if (ec || !parsed.is_string()) return std::nullopt;
    v = std::string(parsed.get_string());
  }
  if (!v.empty() && v[0] == 'k' && v.size() > 1 && std::isupper(static_cast<unsigned char>(v[1]))) v.erase(0, 1);
  for (std::string_view prefix : {"ICEConnectionState", "IceConnectionState", "PeerConnectionState",
                                  "ICEGatheringState", "IceGatheringState", "SignalingState"}) {
    if (v.size() > prefix.size() && v.compare(0, prefix.size(), prefix) == 0) {
      v = from_camel(v.substr(prefix.size()));
      if (v == "starting") v = "new";
      break;
    }
  }
  bool ok = false;
  switch (kind) {
    case Kind::IceConnection: ok = parse_state<IceConnectionState>(v).has_value(); break;
    case Kind::Connection: ok = parse_state<PeerConnectionState>(v).has_value(); break;
    case Kind::Gathering: ok = parse_state<IceGatheringState>(v).has_value(); break;
    case Kind::Signaling: ok = std::find(kSignalingStates.begin(), kSignalingStates.end(), v) != kSignalingStates.end(); break;
    default: break;
  }
  if (!ok) return std::nullopt;
  return v;
}

std::string accepted_for(Kind kind) {
  switch (kind) {
    case Kind::IceConnection: return harness::accepted_values<IceConnectionState>();
    case Kind::Connection: return harness::accepted_values<PeerConnectionState>();
    case Kind::Gathering: return harness::accepted_values<IceGatheringState>();
    default: {
      std::string out;
      for (auto n : kSignalingStates) out += (out.empty() ? "" : ", ") + std::string(n);
      return out;
    }
  }
}

// ---- the dump ---------------------------------------------------------------------------------

struct Line {
  double t;
  std::size_t pc;     // order of the pc in the dump
  int order;          // -1 the pc's marker, 0 a transport sample, 1 a log entry (a sample comes first at equal times)
  std::size_t seq;
  std::string text;   // without t_ms: ,"pc":…}
};

struct TimeReader {
  bool day_first = false;
  bool wall_clock = false;    // some updateLog time was a locale text: a wall-clock time without zone
  bool seconds_only = false;  // some time had one-second resolution

  std::optional<double> read(const json::value* v, const std::string& at) {
    if (!v) return std::nullopt;
    double ms;
    if (v->is_double()) {
      ms = v->get_double();
    } else if (v->is_int64()) {
      ms = static_cast<double>(v->get_int64());
    } else if (v->is_uint64()) {
      ms = static_cast<double>(v->get_uint64());
    } else if (v->is_string()) {
      const std::string_view text = v->get_string();
      if (parse_iso(text, ms)) {
        if (text.size() <= 20) seconds_only = true;
      } else if (parse_locale(text, ms, day_first)) {
        wall_clock = seconds_only = true;
      } else if (!parse_time_text(text, ms, day_first)) {
        throw FieldError(at, "\"" + std::string(text.substr(0, 64)) +
                                 "\" is not a time (expected epoch milliseconds, ISO 8601, or Chrome's "
                                 "\"M/D/YYYY, h:mm:ss AM\" form)");
      }
    } else {
      throw FieldError(at, "a time must be a number (epoch milliseconds) or a string");
    }
    if (!(ms >= kEarliestMs && ms <= kLatestMs))
      throw FieldError(at, internal::number_text(ms) + " is not a time a browser wrote (epoch milliseconds between 1990 and 2200)");
    return ms;
  }
};

std::string transport_target_id(const std::string& pc, const std::string& stats_id) {
  std::string id = pc + "." + stats_id;
  for (char& c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) c = '_';
  return id;
}

const json::array* values_of(const json::object& series, const std::string& at, json::value& storage) {
  const json::value& vals = harness::require(series, "values", at);
  if (vals.is_array()) return &vals.get_array();
  if (vals.is_string()) {
    boost::system::error_code ec;
    storage = json::parse(vals.get_string(), ec);
    if (!ec && storage.is_array()) return &storage.get_array();
  }
  throw FieldError(harness::pointer_join(at, "values"), "\"values\" must be a JSON array, or its text");
}

struct TransportSeries {
  const json::object* ice = nullptr;
  const json::object* dtls = nullptr;
  const json::object* timestamps = nullptr;
  std::string ice_key, dtls_key, timestamp_key;
  std::optional<std::string> type;  // statsType, or the first value of <id>-type
};

void scan_day_first(const json::object& pcs, TimeReader& times) {
  // A numeric date whose first number exceeds 12 can only be day/month: then every date is.
  for (const auto& kv : pcs) {
    const json::value* ul = kv.value().is_object() ? kv.value().get_object().if_contains("updateLog") : nullptr;
    if (!ul || !ul->is_array()) continue;
    for (const auto& e : ul->get_array()) {
      const json::value* tv = e.is_object() ? e.get_object().if_contains("time") : nullptr;
      if (!tv || !tv->is_string()) continue;
      double ms;
      if (parse_locale(tv->get_string(), ms, false)) continue;
      if (parse_locale(tv->get_string(), ms, true)) {
        times.day_first = true;
        return;
      }
    }
  }
}

std::string import_document(const json::value& doc, const std::string& file, ImportSummary& sum) {
  if (!doc.is_object()) throw FieldError("", "not a chrome://webrtc-internals dump: the document is not a JSON object");
  const json::object& root = doc.get_object();
  const json::value* pcs_value = root.if_contains("PeerConnections");
  if (!pcs_value) {
    if (root.contains("format") && root.contains("version"))
      throw FieldError("", "this is a connstate trace, not a webrtc-internals dump: check it with `connstate check-trace`");
    throw FieldError("", "not a chrome://webrtc-internals dump: no \"PeerConnections\" object (save one with the page's "
                         "\"Download the webrtc-internals dump\" button)");
  }
  const json::object& pcs = harness::as_object(*pcs_value, "/PeerConnections");
  const std::string ua = harness::optional_string(root, "UserAgent", "").value_or("");
  // The full version: UserAgentData.fullVersionList (the reduced UA says 156.0.0.0), else the UA's.
  std::string version;
  int version_rank = 0;
  if (const json::value* uad = root.if_contains("UserAgentData"); uad && uad->is_object()) {
    if (const json::value* list = uad->get_object().if_contains("fullVersionList"); list && list->is_array())
      for (const auto& b : list->get_array()) {
        if (!b.is_object()) continue;
        const json::value* brand = b.get_object().if_contains("brand");
        const json::value* ver = b.get_object().if_contains("version");
        if (!brand || !brand->is_string() || !ver || !ver->is_string()) continue;
        const std::string_view name = brand->get_string();
        const int rank = name == "Google Chrome" ? 3 : name == "Chromium" ? 2 : name.find("Brand") == std::string_view::npos ? 1 : 0;
        if (rank > version_rank) {
          version_rank = rank;
          version = std::string(ver->get_string());
        }
      }
  }
  if (version.empty()) {
    if (auto p = ua.find("Chrome/"); p != std::string::npos) {
      const auto e = ua.find(' ', p);
      version = ua.substr(p + 7, e == std::string::npos ? std::string::npos : e - p - 7);
    }
  }

  TimeReader times;
  scan_day_first(pcs, times);
  std::vector<Line> lines;
  std::size_t seq = 0;
  double origin = std::numeric_limits<double>::infinity();
  bool spread_samples = false;
  bool any_timestamp_field = false, any_time_field = false, on_names = false, lower_names = false, camel_names = false;
  std::size_t samples_dropped = 0;
  std::size_t pc_no = 0;
  for (const auto& kv : pcs) {  // the dump's order: the order the page saw the pcs created
    const std::string key(kv.key());
    const std::string at = harness::pointer_join("/PeerConnections", key);
    const json::object& pc = harness::as_object(kv.value(), at);
    ++sum.pcs;
    const std::size_t this_pc = pc_no++;
    std::string marker = ",\"pc\":" + harness::json_string(key) +
                         ",\"target\":\"recorder\",\"event\":\"webrtc-internals-pc\",\"key\":" + harness::json_string(key);
    if (auto url = harness::optional_string(pc, "url", at)) marker += ",\"url\":" + harness::json_string(*url);
    if (const json::value* cfg = pc.if_contains("rtcConfiguration"))
      marker += ",\"rtcConfiguration\":" + (cfg->is_string() ? harness::json_string(cfg->get_string()) : json::serialize(*cfg));
    const std::size_t marker_index = lines.size();
    lines.push_back({0, this_pc, -1, seq++, marker + "}"});
    double first_t = std::numeric_limits<double>::infinity();
    std::vector<std::size_t> log_lines;  // indices of this pc's log entries, to keep their order

    if (const json::value* ul = pc.if_contains("updateLog")) {
      const std::string ulat = harness::pointer_join(at, "updateLog");
      const json::array& log = harness::as_array(*ul, ulat);
      double last_t = -std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < log.size(); ++i) {
        const std::string eat = harness::pointer_join(ulat, i);
        const json::object& e = harness::as_object(log[i], eat);
        const std::string type = harness::require_string(e, "type", eat);
        std::optional<double> t;
        if (const json::value* ts = e.if_contains("timestamp")) {
          t = times.read(ts, harness::pointer_join(eat, "timestamp"));
          any_timestamp_field = true;
        } else if (const json::value* tm = e.if_contains("time")) {
          t = times.read(tm, harness::pointer_join(eat, "time"));
          any_time_field = true;
        }
        if (!t) throw FieldError(eat, "an updateLog entry needs a \"timestamp\" or a \"time\"");
        if (*t < last_t) {
          sum.warnings.push_back(eat + ": its time is " + internal::number_text(last_t - *t) +
                                 " ms before the entry above it; kept in log order at the time above");
          t = last_t;
        }
        last_t = *t;
        const Kind kind = kind_of(type);
        if (type.starts_with("on")) on_names = true;
        else if (kind != Kind::Other && kind != Kind::Close) (type == event_name(kind) ? lower_names : camel_names) = true;
        std::string value;
        const json::value* v = e.if_contains("value");
        if (v) value = v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
        std::string body = ",\"pc\":" + harness::json_string(key);
        if (kind == Kind::Close) {
          body += ",\"target\":\"api\",\"event\":\"close\"";
        } else if (kind != Kind::Other) {
          if (!v) throw FieldError(eat, "a " + type + " entry needs a \"value\"");
          const auto state = state_of(kind, value);
          if (!state)
            throw FieldError(harness::pointer_join(eat, "value"),
                             "\"" + value.substr(0, 64) + "\" is not a value of a " + type + " entry (expected one of: " +
                                 accepted_for(kind) + ")");
          body += ",\"target\":\"pc\",\"event\":\"" + std::string(event_name(kind)) + "\",\"state\":" + harness::json_string(*state);
          if (type != event_name(kind)) body += ",\"logged_as\":" + harness::json_string(type);
          ++sum.pc_events;
        } else {
          if (value.size() > 4096) value = value.substr(0, 4096) + "…";
          body += ",\"target\":\"api\",\"event\":" + harness::json_string(type) + ",\"detail\":" + harness::json_string(value);
        }
        ++sum.log_entries;
        log_lines.push_back(lines.size());
        lines.push_back({*t, this_pc, 1, seq++, body + "}"});
        first_t = std::min(first_t, *t);
      }
    } else {
      sum.warnings.push_back(at + ": no \"updateLog\"; this pc has no events");
    }

    if (const json::value* st = pc.if_contains("stats")) {
      const std::string sat = harness::pointer_join(at, "stats");
      const json::object& stats = harness::as_object(*st, sat);
      std::map<std::string, TransportSeries> transports;  // by stats id
      std::map<std::string, std::pair<const json::object*, std::string>> type_series;
      for (const auto& s : stats) {
        const std::string skey(s.key());
        const auto dash = skey.rfind('-');
        if (dash == std::string::npos || dash == 0) continue;
        const std::string id = skey.substr(0, dash), attribute = skey.substr(dash + 1);
        if (attribute != "iceState" && attribute != "dtlsState" && attribute != "timestamp" && attribute != "type") continue;
        const std::string kat = harness::pointer_join(sat, skey);
        const json::object& series = harness::as_object(s.value(), kat);
        if (attribute == "type") {
          type_series[id] = {&series, kat};
          continue;
        }
        if (attribute == "timestamp") {
          transports[id].timestamps = &series;
          transports[id].timestamp_key = kat;
          continue;
        }
        TransportSeries& ts = transports[id];
        (attribute == "iceState" ? ts.ice : ts.dtls) = &series;
        (attribute == "iceState" ? ts.ice_key : ts.dtls_key) = kat;
        if (auto type = harness::optional_string(series, "statsType", kat)) ts.type = *type;
      }
      for (auto& [id, ts] : transports) {
        if (!ts.ice && !ts.dtls) continue;  // a timestamp series of some other stats object
        if (!ts.type) {
          if (auto it = type_series.find(id); it != type_series.end()) {
            json::value storage;
            const json::array* arr = values_of(*it->second.first, it->second.second, storage);
            if (!arr->empty() && (*arr)[0].is_string()) ts.type = std::string((*arr)[0].get_string());
          }
        }
        if (ts.type && *ts.type != "transport") {
          sum.warnings.push_back(sat + ": series of \"" + id + "\" (type " + *ts.type + ") are not a transport's; skipped");
          continue;
        }
        const std::string target = transport_target_id(key, id);
        if (target.size() > 64) {
          sum.warnings.push_back(sat + ": transport id \"" + id + "\" is too long for a trace id; its samples are skipped");
          continue;
        }
        for (const bool ice : {true, false}) {
          const json::object* series = ice ? ts.ice : ts.dtls;
          if (!series) continue;
          const std::string& kat = ice ? ts.ice_key : ts.dtls_key;
          json::value storage;
          const json::array* arr = values_of(*series, kat, storage);
          // Sample times: the stats' own timestamps (Chromium 117+) when they line up, else spread
          // evenly between startTime and endTime (the page polls about once a second).
          std::vector<double> at_times;
          if (ts.timestamps) {
            json::value tstorage;
            const json::array* tarr = values_of(*ts.timestamps, ts.timestamp_key, tstorage);
            if (tarr->size() == arr->size()) {
              const std::string vat = harness::pointer_join(ts.timestamp_key, "values");
              for (std::size_t i = 0; i < tarr->size(); ++i) {
                try {
                  at_times.push_back(*times.read(&(*tarr)[i], vat));
                } catch (const FieldError& e) {
                  throw FieldError(vat, "element " + std::to_string(i) + ": " + e.what());
                }
              }
            } else {
              sum.warnings.push_back(kat + ": " + std::to_string(arr->size()) + " samples but " +
                                     std::to_string(tarr->size()) + " timestamps; times spread between startTime and endTime");
            }
          }
          if (at_times.empty() && !arr->empty()) {
            const auto start = times.read(series->if_contains("startTime"), harness::pointer_join(kat, "startTime"));
            const auto end = times.read(series->if_contains("endTime"), harness::pointer_join(kat, "endTime"));
            if (!start || !end) throw FieldError(kat, "a stats series needs \"startTime\" and \"endTime\"");
            if (*end < *start) throw FieldError(harness::pointer_join(kat, "endTime"), "\"endTime\" is before \"startTime\"");
            const std::size_t count = arr->size();
            for (std::size_t i = 0; i < count; ++i)
              at_times.push_back(count > 1 ? *start + (*end - *start) * static_cast<double>(i) / static_cast<double>(count - 1) : *start);
            spread_samples = true;
          }
          for (std::size_t i = 0; i < arr->size(); ++i) {
            const json::value& sv = (*arr)[i];
            const std::string_view v = sv.is_string() ? std::string_view(sv.get_string()) : std::string_view();
            const bool ok = ice ? parse_state<IceTransportState>(v).has_value() : parse_state<DtlsTransportState>(v).has_value();
            if (!ok) {
              ++samples_dropped;
              if (samples_dropped <= 5)
                sum.warnings.push_back(harness::pointer_join(kat, "values") + "[" + std::to_string(i) + "]: " +
                                       (sv.is_string() ? "\"" + std::string(v.substr(0, 32)) + "\"" : json::serialize(sv)) +
                                       " is not an " + (ice ? "RTCIceTransportState" : "RTCDtlsTransportState") + "; sample skipped");
              continue;
            }
            lines.push_back({at_times[i], this_pc, 0, seq++,
                             ",\"pc\":" + harness::json_string(key) + ",\"target\":\"" + (ice ? "ice:" : "dtls:") + target +
                                 "\",\"event\":\"sample\",\"state\":" + harness::json_string(v) +
                                 ",\"stats_id\":" + harness::json_string(id) + "}"});
            ++sum.transport_samples;
            first_t = std::min(first_t, at_times[i]);
          }
        }
      }
    }
    lines[marker_index].t = first_t;
    origin = std::min(origin, first_t);
  }
  if (samples_dropped > 5) sum.warnings.push_back(std::to_string(samples_dropped - 5) + " more samples skipped");
  // Local wall-clock log times and zone-less... the samples' absolute times cannot be placed among them.
  if (times.wall_clock && sum.transport_samples > 0) {
    sum.warnings.push_back("the updateLog times are local wall-clock times without a time zone, so the stats "
                           "samples (absolute times) cannot be placed among the events: " +
                           std::to_string(sum.transport_samples) + " transport samples left out");
    std::erase_if(lines, [](const Line& l) { return l.order == 0; });
    sum.transport_samples = 0;
    origin = std::numeric_limits<double>::infinity();
    for (const auto& l : lines)
      if (l.order == 1) origin = std::min(origin, l.t);
  }
  if (!std::isfinite(origin)) origin = 0;
  for (auto& l : lines)
    if (!std::isfinite(l.t)) l.t = origin;  // a pc with nothing timed: its marker at the start
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    if (a.t != b.t) return a.t < b.t;
    if (a.pc != b.pc) return a.pc < b.pc;
    if (a.order != b.order) return a.order < b.order;
    return a.seq < b.seq;
  });

  // How far apart two times may be from the order things happened in. Chromium stamps a log entry
  // when the browser process receives it from the renderer, and a stats sample when the renderer
  // collects it: in the project's recordings the same events were up to ~20 ms apart in the log and
  // in the page's own listeners (docs/webrtc-internals.md). Second-resolution or spread-out times
  // are off by up to a second.
  const double uncertainty = (times.seconds_only || spread_samples) ? 1000.0 : 50.0;
  std::string shape;
  shape += any_timestamp_field ? "updateLog {type, value, timestamp}" : any_time_field ? "updateLog {time, type, value}" : "updateLog without entries";
  shape += on_names ? ", on-prefixed types with JSON-text values" : lower_names ? ", lower-case types" : camel_names ? ", camelCase types" : "";
  if (times.wall_clock) shape += ", local wall-clock times";
  shape += sum.transport_samples == 0 ? ", no transport samples" : spread_samples ? ", stats samples spread between startTime and endTime" : ", stats samples with their own timestamps";
  sum.shape = shape;
  double recorded = origin;
  if (const json::value* ts = root.if_contains("timestamp"); ts && ts->is_number()) {
    const double v = ts->to_number<double>();
    if (v >= kEarliestMs && v <= kLatestMs) recorded = v;
  }
  std::string out = "{\"format\":\"connstate-trace\",\"version\":1,\"stack\":\"chromium\",\"stack_version\":" +
                    harness::json_string(version) + ",\"scenario\":\"webrtc-internals dump\",\"recorded\":" +
                    harness::json_string(recorded >= kEarliestMs ? iso(recorded) : "") +
                    ",\"pc_events\":true,\"transport_events\":\"sampled\",\"time_uncertainty_ms\":" + internal::number_text(uncertainty) +
                    ",\"source\":\"webrtc-internals\",\"dump\":" + harness::json_string(file) +
                    ",\"dump_shape\":" + harness::json_string(shape) + ",\"user_agent\":" + harness::json_string(ua) + "}\n";
  for (const auto& l : lines) out += "{\"t_ms\":" + internal::number_text(l.t - origin) + l.text + "\n";
  return out;
}

std::string_view without_bom(std::string_view s) {
  if (s.size() >= 3 && s.compare(0, 3, "\xEF\xBB\xBF") == 0) s.remove_prefix(3);
  return s;
}

bool is_rtcstats_dump(std::string_view s) { return without_bom(s).starts_with("RTCStatsDump"); }

}  // namespace

bool parse_dump_time(std::string_view text, double& ms) { return parse_time_text(text, ms, false); }

bool looks_like_dump(std::string_view bytes) {
  if (internal::is_gzip(bytes) || is_rtcstats_dump(bytes)) return true;
  std::string_view s = without_bom(bytes);
  const auto start = s.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || s[start] != '{') return false;
  s.remove_prefix(start);
  const std::string_view first = s.substr(0, s.find('\n'));
  boost::system::error_code ec;
  const json::value v = json::parse(first, ec);
  if (ec) return true;  // a document spread over lines (the page writes it indented)
  return v.is_object() && v.get_object().contains("PeerConnections");
}

std::string import_webrtc_internals(std::string_view bytes, const std::string& file, ImportSummary* summary) {
  ImportSummary local;
  ImportSummary& sum = summary ? *summary : local;
  std::string inflated;
  if (internal::is_gzip(bytes)) {
    try {
      inflated = internal::gunzip(bytes, kMaxDumpBytes);
    } catch (const internal::GzipError& e) {
      throw InputError(file, 0, 0, std::string("a gzip-compressed dump that cannot be read: ") + e.what());
    }
    bytes = inflated;
  }
  if (bytes.size() > kMaxDumpBytes)
    throw InputError(file, 0, 0, "the dump is larger than " + std::to_string(kMaxDumpBytes >> 20) + " MiB");
  if (is_rtcstats_dump(bytes))
    throw InputError(file, 1, 1,
                     "this is an rtcstats dump (\"Download the rtcstats dump\"); connstate reads the webrtc-internals "
                     "dump: on chrome://webrtc-internals open \"Create a WebRTC-Internals dump\" and click "
                     "\"Download the webrtc-internals dump\"");
  const std::string_view text = without_bom(bytes);
  json::value doc;
  {
    const auto end = text.find_last_not_of(" \t\r\n");
    // The document lives only while it is read: one arena for all of it instead of a malloc per value.
    json::stream_parser p(json::make_shared_resource<json::monotonic_resource>());
    boost::system::error_code ec;
    const std::size_t n = p.write_some(text.data(), text.size(), ec);
    if (!ec) p.finish(ec);
    if (ec) {
      const bool at_end = end == std::string_view::npos || n >= end;
      const harness::Position pos = harness::position_of(text, n);
      throw InputError(file, pos.line, pos.column,
                       at_end ? "the dump ends before its JSON does (a truncated download?): " + ec.message()
                              : "not valid JSON: " + ec.message());
    }
    doc = p.release();
  }
  try {
    return import_document(doc, file, sum);
  } catch (const FieldError& e) {
    const harness::Position pos = harness::locate(text, e.pointer);
    throw InputError(file, pos.line, pos.column, (e.pointer.empty() ? std::string("/") : e.pointer) + ": " + e.what());
  }
}

}  // namespace connstate::trace
