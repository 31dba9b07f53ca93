// protocol.cpp — see protocol.h.
#include "connstate/harness/protocol.h"

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
  std::string out = "{\"op\":\"evaluate\",\"id\":" + std::to_string(id) + ",\"closed\":" + (c.closed ? "true" : "false") +
                    ",\"transports\":[";
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
  out += "]}\n";
  return out;
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

namespace {

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

// "unsupported"/"error" answers; true when one was present.
bool declined(const json::object& o, std::string_view line, AnswerStatus& status, std::string& message) {
  for (auto [key, st] : {std::pair{"unsupported", AnswerStatus::Unsupported}, {"error", AnswerStatus::Error}}) {
    auto it = o.find(key);
    if (it == o.end()) continue;
    if (!it->value().is_string())
      throw ProtocolError(std::string("\"") + key + "\" must be a string: " + truncate_for_evidence(line));
    status = st;
    message = std::string(it->value().get_string());
    return true;
  }
  return false;
}

StateText read_state(const json::object& o, std::string_view key, std::string_view line) {
  auto it = o.find(key);
  if (it == o.end())
    throw ProtocolError("response has no \"" + std::string(key) + "\": " + truncate_for_evidence(line));
  if (it->value().is_null()) return std::nullopt;
  if (!it->value().is_string())
    throw ProtocolError("\"" + std::string(key) + "\" must be a string or null: " + truncate_for_evidence(line));
  // Any string is accepted here: a wrong state name is a wrong answer (a failure), not a protocol error.
  return std::string(it->value().get_string());
}

}  // namespace

Hello parse_hello(std::string_view line, std::int64_t id) {
  const json::object o = parse_object(line, id);
  Hello h;
  AnswerStatus st;
  std::string msg;
  if (declined(o, line, st, msg)) throw ProtocolError("adapter refused hello: " + msg);
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
  if (declined(o, line, a.status, a.message)) return a;
  a.states.connection_state = read_state(o, "connectionState", line);
  a.states.ice_connection_state = read_state(o, "iceConnectionState", line);
  return a;
}

SnapshotAnswer parse_reset_response(std::string_view line, std::int64_t id) {
  const json::object o = parse_object(line, id);
  SnapshotAnswer a;
  declined(o, line, a.status, a.message);
  return a;
}

StepAnswer parse_step_response(std::string_view line, std::int64_t id) {
  const json::object o = parse_object(line, id);
  StepAnswer a;
  if (declined(o, line, a.status, a.message)) return a;
  auto ev = o.find("events");
  if (ev == o.end() || !ev->value().is_array())
    throw ProtocolError("response has no \"events\" array: " + truncate_for_evidence(line));
  for (const auto& e : ev->value().get_array()) {
    if (!e.is_object()) throw ProtocolError("an event must be an object: " + truncate_for_evidence(line));
    const auto& eo = e.get_object();
    std::string parts[3];
    const char* keys[3] = {"target", "type", "state"};
    for (int k = 0; k < 3; ++k) {
      auto it = eo.find(keys[k]);
      if (it == eo.end() || !it->value().is_string())
        throw ProtocolError(std::string("an event needs a string \"") + keys[k] + "\": " + truncate_for_evidence(line));
      parts[k] = std::string(it->value().get_string());
    }
    a.outcome.events.push_back(parts[0] + " " + parts[1] + " " + parts[2]);
  }
  a.outcome.states.connection_state = read_state(o, "connectionState", line);
  a.outcome.states.ice_connection_state = read_state(o, "iceConnectionState", line);
  return a;
}

void parse_bye_response(std::string_view line, std::int64_t id) { parse_object(line, id); }

}  // namespace connstate::harness::protocol
