// protocol.cpp — see protocol.h.
#include "connstate/harness/protocol.h"

#include <algorithm>

#include "connstate/harness/json_input.h"

namespace connstate::harness::protocol {

std::string truncate_for_evidence(std::string_view line, std::size_t max) {
  if (line.size() <= max) return std::string(line);
  return std::string(line.substr(0, max)) + "… (" + std::to_string(line.size()) + " bytes)";
}

std::string hello_request(std::int64_t id) {
  return "{\"op\":\"hello\",\"id\":" + std::to_string(id) + ",\"protocol\":1}\n";
}

std::string evaluate_request(std::int64_t id, const Case& c) {
  std::string out = "{\"op\":\"evaluate\",\"id\":" + std::to_string(id) + ',';
  append_snapshot_fields(out, c);
  out += "}\n";
  return out;
}

void append_snapshot_json(std::string& out, const Case& c) {
  out += '{';
  append_snapshot_fields(out, c);
  out += '}';
}

void append_snapshot_fields(std::string& out, const Case& c) {
  out += "\"closed\":";
  out += c.closed ? "true" : "false";
  out += ",\"transports\":[";
  for (std::size_t i = 0; i < c.transports.size(); ++i) {
    if (i) out += ',';
    out += "{\"ice\":\"";
    out += to_string(c.transports[i].ice);
    out += "\",\"dtls\":\"";
    out += to_string(c.transports[i].dtls);
    out += '"';
    if (c.transports[i].sctp_only) out += ",\"sctp_only\":true";
    out += '}';
  }
  out += "]";
}

std::string reset_request(std::int64_t id, const ModelOptions& o) {
  std::string out = "{\"op\":\"reset\",\"id\":" + std::to_string(id);
  if (o.rederive_on_set_change || o.events_on_close) {
    out += ",\"options\":{\"rederive_on_set_change\":";
    out += o.rederive_on_set_change ? "true" : "false";
    out += ",\"events_on_close\":";
    out += o.events_on_close ? "true" : "false";
    out += '}';
  }
  return out + "}\n";
}

std::string step_request(std::int64_t id, const SequenceStep& s) {
  std::string out = "{\"op\":\"" + std::string(to_string(s.step.kind)) + "\",\"id\":" + std::to_string(id);
  if (s.step.kind != StepKind::Close) {
    out += ",\"transport\":";
    append_json_string(out, s.transport);
  }
  if (s.step.kind == StepKind::Ice)
    out += ",\"state\":\"" + std::string(to_string(static_cast<IceTransportState>(s.step.state))) + "\"";
  if (s.step.kind == StepKind::Dtls)
    out += ",\"state\":\"" + std::string(to_string(static_cast<DtlsTransportState>(s.step.state))) + "\"";
  if (s.step.kind == StepKind::Add && s.step.sctp_only) out += ",\"sctp_only\":true";
  return out + "}\n";
}

std::string bye_request(std::int64_t id) { return "{\"op\":\"bye\",\"id\":" + std::to_string(id) + "}\n"; }

std::string describe_request(std::string_view request_line) {
  boost::system::error_code ec;
  const json::value v = json::parse(request_line, ec);
  if (ec || !v.is_object()) return "a request";
  const json::object& o = v.get_object();
  auto text = [&](std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
  };
  auto it = o.find("id");
  std::string out = "request " + (it != o.end() && it->value().is_int64() ? std::to_string(it->value().get_int64()) : "?");
  const std::string op = text("op");
  std::string what = op;
  if (op == "ice" || op == "dtls") {
    what += " " + text("transport") + " \xE2\x86\x92 " + text("state");
  } else if (op == "add" || op == "remove") {
    what += " " + text("transport");
  } else if (op == "evaluate") {
    auto closed = o.find("closed");
    what += closed != o.end() && closed->value() == true ? ": closed" : ": open";
    auto ts = o.find("transports");
    if (ts != o.end() && ts->value().is_array()) {
      const auto& a = ts->value().get_array();
      if (a.empty()) what += ", no transports";
      for (const auto& t : a) {
        if (!t.is_object()) continue;
        auto state = [&](std::string_view key) {
          auto f = t.get_object().find(key);
          return f != t.get_object().end() && f->value().is_string() ? std::string(f->value().get_string()) : "?";
        };
        what += ", " + state("ice") + "/" + state("dtls");
      }
    }
  } else if (op == "reset" && o.contains("options")) {
    what += " with options " + json::serialize(o.at("options"));
  }
  return out + " (" + what + ")";
}

namespace {

// A value protocol 1 does not allow, in a line that still answers the right request.
struct OutsideProtocol : std::runtime_error {
  using std::runtime_error::runtime_error;
};

json::object parse_object(std::string_view line, std::int64_t id) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) throw ProtocolError("response is not JSON (" + ec.message() + "): " + truncate_for_evidence(line));
  if (!v.is_object()) throw ProtocolError("response is not a JSON object: " + truncate_for_evidence(line));
  json::object o = std::move(v.get_object());
  auto it = o.find("id");
  if (it == o.end() || !it->value().is_int64())
    throw ProtocolError("response has no integer \"id\": " + truncate_for_evidence(line));
  if (it->value().get_int64() != id)
    throw ProtocolError("response answers id " + std::to_string(it->value().get_int64()) + ", expected id " +
                        std::to_string(id) + " (out of order or wrong id): " + truncate_for_evidence(line));
  return o;
}

std::string shown(const json::value& v) { return truncate_for_evidence(json::serialize(v), 80); }

// "unsupported"/"error" answers; true when one was present.
bool declined(const json::object& o, AnswerStatus& status, std::string& message) {
  for (auto [key, st] : {std::pair{"unsupported", AnswerStatus::Unsupported}, {"error", AnswerStatus::Error}}) {
    auto it = o.find(key);
    if (it == o.end()) continue;
    if (!it->value().is_string())
      throw OutsideProtocol(std::string("\"") + key + "\" is " + shown(it->value()) + ", not a string");
    status = st;
    message = std::string(it->value().get_string());
    if (st == AnswerStatus::Error) message = "the adapter answered error: " + message;
    return true;
  }
  return false;
}

template <class E> void check_state_name(std::string_view field, std::string_view text) {
  if (!parse_state<E>(text))
    throw OutsideProtocol(std::string(field) + " is \"" + std::string(text) + "\", which is not an " +
                          std::string(EnumTraits<E>::idl_name) + " (one of: " + accepted_values<E>() + ")");
}

// A state field of a response: one of the spec strings of its type, or null (undefined).
template <class E> StateText read_state(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) throw OutsideProtocol("the response has no \"" + std::string(key) + "\"");
  if (it->value().is_null()) return std::nullopt;
  const std::string field = "\"" + std::string(key) + "\"";
  if (!it->value().is_string()) throw OutsideProtocol(field + " is " + shown(it->value()) + ", not a string or null");
  const std::string text(it->value().get_string());
  check_state_name<E>(field, text);
  return text;
}

ObservedStates read_states(const json::object& o) {
  return {read_state<PeerConnectionState>(o, "connectionState"), read_state<IceConnectionState>(o, "iceConnectionState")};
}

EventText read_event(const json::value& e, std::size_t index, const std::vector<std::string>& names) {
  const std::string at = "events[" + std::to_string(index) + "]";
  if (!e.is_object()) throw OutsideProtocol(at + " is " + shown(e) + ", not an object");
  std::string parts[3];
  const char* keys[3] = {"target", "type", "state"};
  for (int k = 0; k < 3; ++k) {
    auto it = e.get_object().find(keys[k]);
    if (it == e.get_object().end()) throw OutsideProtocol(at + " has no \"" + keys[k] + "\"");
    if (!it->value().is_string())
      throw OutsideProtocol(at + "." + keys[k] + " is " + shown(it->value()) + ", not a string");
    parts[k] = std::string(it->value().get_string());
  }
  const std::string& target = parts[0];
  const std::string& type = parts[1];
  const std::string field = at + ".state";
  if (target == "pc") {
    if (type == "iceconnectionstatechange") check_state_name<IceConnectionState>(field, parts[2]);
    else if (type == "connectionstatechange") check_state_name<PeerConnectionState>(field, parts[2]);
    else
      throw OutsideProtocol(at + ".type is \"" + type +
                            "\": the pc fires iceconnectionstatechange or connectionstatechange");
  } else if (target.starts_with("ice:") || target.starts_with("dtls:")) {
    const std::string name = target.substr(target.find(':') + 1);
    if (name.empty() || (!names.empty() && std::find(names.begin(), names.end(), name) == names.end())) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw OutsideProtocol(at + ".target is \"" + target + "\": no such transport" +
                            (known.empty() ? std::string() : " (this case has: " + known + ")"));
    }
    if (type != "statechange")
      throw OutsideProtocol(at + ".type is \"" + type + "\": a transport fires statechange");
    if (target.starts_with("ice:")) check_state_name<IceTransportState>(field, parts[2]);
    else check_state_name<DtlsTransportState>(field, parts[2]);
  } else {
    throw OutsideProtocol(at + ".target is \"" + target + "\", not pc, ice:<transport> or dtls:<transport>");
  }
  return parts[0] + " " + parts[1] + " " + parts[2];
}

template <class Answer> void broke_protocol(Answer& a, const OutsideProtocol& e, std::string_view line) {
  a.status = AnswerStatus::Error;
  a.message = std::string(kBrokeProtocol) + e.what();
  a.evidence = "response: " + truncate_for_evidence(line);
}

}  // namespace

Hello parse_hello(std::string_view line, std::int64_t id) {
  const json::object o = parse_object(line, id);
  Hello h;
  AnswerStatus st;
  std::string msg;
  try {
    if (declined(o, st, msg)) throw ProtocolError("adapter refused hello: " + msg);
  } catch (const OutsideProtocol& e) {
    throw ProtocolError(std::string(kBrokeProtocol) + e.what());
  }
  auto proto = o.find("protocol");
  if (proto == o.end() || !proto->value().is_int64() || proto->value().get_int64() != kVersion)
    throw ProtocolError("hello must answer \"protocol\":1: " + truncate_for_evidence(line));
  auto str = [&](const char* k, bool required) {
    auto it = o.find(k);
    if (it == o.end()) {
      if (required) throw ProtocolError(std::string("hello has no \"") + k + "\": " + truncate_for_evidence(line));
      return std::string();
    }
    if (!it->value().is_string()) throw ProtocolError(std::string("\"") + k + "\" must be a string");
    return std::string(it->value().get_string());
  };
  h.name = str("name", true);
  h.version = str("version", true);
  h.homepage = str("homepage", false);
  h.issues = str("issues", false);
  auto sup = o.find("supports");
  if (sup == o.end() || !sup->value().is_array())
    throw ProtocolError("hello has no \"supports\" array: " + truncate_for_evidence(line));
  for (const auto& s : sup->value().get_array()) {
    if (s == "evaluate") h.evaluate = true;
    if (s == "sequence") h.sequence = true;
  }
  return h;
}

SnapshotAnswer parse_evaluate_response(std::string_view line, std::int64_t id) {
  const json::object o = parse_object(line, id);
  SnapshotAnswer a;
  try {
    if (declined(o, a.status, a.message)) return a;
    a.states = read_states(o);
  } catch (const OutsideProtocol& e) {
    a = {};
    broke_protocol(a, e, line);
  }
  return a;
}

SnapshotAnswer parse_reset_response(std::string_view line, std::int64_t id) {
  const json::object o = parse_object(line, id);
  SnapshotAnswer a;
  try {
    declined(o, a.status, a.message);
  } catch (const OutsideProtocol& e) {
    broke_protocol(a, e, line);
  }
  return a;
}

StepAnswer parse_step_response(std::string_view line, std::int64_t id, const std::vector<std::string>& names) {
  const json::object o = parse_object(line, id);
  StepAnswer a;
  try {
    if (declined(o, a.status, a.message)) return a;
    auto ev = o.find("events");
    if (ev == o.end()) throw OutsideProtocol("the response has no \"events\"");
    if (!ev->value().is_array()) throw OutsideProtocol("\"events\" is " + shown(ev->value()) + ", not an array");
    const auto& events = ev->value().get_array();
    for (std::size_t i = 0; i < events.size(); ++i) a.outcome.events.push_back(read_event(events[i], i, names));
    a.outcome.states = read_states(o);
  } catch (const OutsideProtocol& e) {
    a = {};
    broke_protocol(a, e, line);
  }
  return a;
}

void parse_bye_response(std::string_view line, std::int64_t id) { parse_object(line, id); }

}  // namespace connstate::harness::protocol
