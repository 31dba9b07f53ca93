// serve_command.cpp — `connstate serve`: the reference as a protocol-1 adapter on stdin/stdout.
//
// Other tools can use it as an oracle, and it tests the protocol end to end:
// `--sut "exec:connstate serve"` must give the same results as `--sut reference:rec-2025`.
#include <cstdio>
#include <map>

#include "commands.h"
#include "connstate/harness/args.h"
#include "connstate/harness/cases.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/line_reader.h"
#include "connstate/harness/version.h"

namespace connstate::cli {
using namespace connstate::harness;

Profile profile_option(const ArgParser& p, Profile fallback);  // reference_commands.cpp

namespace {

struct Session {
  Profile profile;
  PeerConnectionModel pc;
  std::map<std::string, TransportId> ids;
  std::vector<std::string> names;
};

void append_state_fields(std::string& out, const PeerConnectionModel& pc) {
  out += ",\"connectionState\":";
  if (auto s = pc.connection_state()) append_json_string(out, to_string(*s));
  else out += "null";
  out += ",\"iceConnectionState\":\"";
  out += to_string(pc.ice_connection_state());
  out += '"';
}

// Answers one request line into `out`; returns false for "bye".
bool answer(Session& s, std::string_view line, std::string& out) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  std::string id = "null";
  auto fail = [&](const std::string& why) {
    out += "{\"id\":" + id + ",\"error\":";
    append_json_string(out, why);
    out += "}\n";
    return true;
  };
  if (ec || !v.is_object()) return fail("request is not a JSON object");
  const json::object& o = v.get_object();
  auto idv = o.find("id");
  if (idv == o.end() || !idv->value().is_int64()) return fail("request has no integer id");
  id = std::to_string(idv->value().get_int64());
  auto opv = o.find("op");
  if (opv == o.end() || !opv->value().is_string()) return fail("request has no op");
  const std::string op(opv->value().get_string());
  try {
    if (op == "hello") {
      out += "{\"id\":" + id + ",\"protocol\":1,\"name\":";
      append_json_string(out, "connstate reference (" + std::string(to_string(s.profile)) + ")");
      out += ",\"version\":";
      append_json_string(out, tool_version());
      out += ",\"supports\":[\"evaluate\",\"sequence\"]}\n";
      return true;
    }
    if (op == "bye") {
      out += "{\"id\":" + id + "}\n";
      return false;
    }
    if (op == "evaluate") {
      const auto transports = read_transports(require(o, "transports", ""), "/transports", false);
      const Derivation d = derive(s.profile, optional_bool(o, "closed", "", false), transports);
      out += "{\"id\":" + id + ",\"connectionState\":";
      if (d.connection_state) append_json_string(out, to_string(*d.connection_state));
      else out += "null";
      out += ",\"iceConnectionState\":\"";
      out += to_string(d.ice_connection_state);
      out += "\"}\n";
      return true;
    }
    if (op == "reset") {
      ModelOptions options;
      if (auto it = o.find("options"); it != o.end()) {
        const json::object& oo = as_object(it->value(), "/options");
        options.rederive_on_set_change = optional_bool(oo, "rederive_on_set_change", "/options", false);
        options.events_on_close = optional_bool(oo, "events_on_close", "/options", false);
      }
      s.pc = PeerConnectionModel(s.profile, options);
      s.ids.clear();
      s.names.clear();
      out += "{\"id\":" + id + "}\n";
      return true;
    }
    Step step;
    if (op == "close") {
      step = Step::close();
    } else {
      const std::string name = require_string(o, "transport", "");
      auto it = s.ids.find(name);
      if (op == "add") {
        if (it == s.ids.end()) {
          if (s.names.size() >= kMaxTransports) return fail("too many transports");
          it = s.ids.emplace(name, static_cast<TransportId>(s.names.size())).first;
          s.names.push_back(name);
        }
        step = Step::add(it->second, optional_bool(o, "sctp_only", "", false));
      } else {
        if (it == s.ids.end()) return fail("unknown transport \"" + name + "\"");
        if (op == "ice") step = Step::ice(it->second, require_state<IceTransportState>(o, "state", ""));
        else if (op == "dtls") step = Step::dtls(it->second, require_state<DtlsTransportState>(o, "state", ""));
        else if (op == "remove") step = Step::remove(it->second);
        else return fail("unknown op \"" + op + "\"");
      }
    }
    const StepResult r = s.pc.apply(step);
    if (!r.ok()) return fail(std::string(to_string(r.outcome)));
    out += "{\"id\":" + id + ",\"events\":[";
    for (std::size_t i = 0; i < r.events.size(); ++i) {
      const Event& e = r.events[i];
      const std::string text = event_text(e, s.names);  // "target type state"
      const auto sp1 = text.find(' '), sp2 = text.rfind(' ');
      out += i ? ",{\"target\":" : "{\"target\":";
      append_json_string(out, text.substr(0, sp1));
      out += ",\"type\":";
      append_json_string(out, text.substr(sp1 + 1, sp2 - sp1 - 1));
      out += ",\"state\":";
      append_json_string(out, text.substr(sp2 + 1));
      out += '}';
    }
    out += ']';
    append_state_fields(out, s.pc);
    out += "}\n";
    return true;
  } catch (const FieldError& e) {
    return fail(std::string(e.what()) + (e.pointer.empty() ? "" : " at " + e.pointer));
  }
}

}  // namespace

int serve(const Args& args) {
  ArgParser p("connstate serve", "connstate serve [--profile ID]",
              "Speaks protocol 1 (docs/adapter-protocol.md) on stdin/stdout, answering with the reference:\n"
              "hello, evaluate, reset, add, ice, dtls, remove, close, bye. Exits after bye or at end of input.");
  p.option("profile", "ID", "spec profile (default rec-2025)");
  if (!p.parse(args)) return kExitOk;
  const Profile profile = profile_option(p, kDefaultProfile);
  Session s{profile, PeerConnectionModel(profile), {}, {}};
  LineReader in(stdin);
  std::string out;
  in.on_refill([&] {
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    out.clear();
  });
  std::string_view line;
  bool go_on = true;
  while (go_on && in.next(line)) {
    if (line.empty()) continue;
    go_on = answer(s, line, out);
    if (out.size() > (1u << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace connstate::cli
