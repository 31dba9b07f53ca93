// why.cpp — see why.h.
#include "connstate/harness/why.h"

#include <sstream>

#include "connstate/harness/json_input.h"
#include "connstate/harness/spec_links.h"

namespace connstate::harness {

void append_rule_json(std::string& out, RuleId id, std::uint64_t triggers, bool with_quote) {
  const Rule& r = rule(id);
  out += "{\"rule\":";
  append_json_string(out, r.id);
  out += ",\"anchor\":";
  append_json_string(out, r.anchor);
  out += ",\"url\":";
  append_json_string(out, spec_url(r.document, r.anchor));
  out += ",\"notes\":";
  append_json_string(out, rule_notes_link(id));
  out += ",\"summary\":";
  append_json_string(out, r.summary);
  if (with_quote) {
    out += ",\"quote\":";
    append_json_string(out, r.quote);
  }
  out += ",\"transports\":[";
  bool first = true;
  for (unsigned i = 0; i < 64; ++i) {
    if (!((triggers >> i) & 1u)) continue;
    if (!first) out += ',';
    first = false;
    out += std::to_string(i);
  }
  out += "]}";
}

void append_why_json(std::string& out, const Explanation& x, bool with_quote) {
  out += "{\"connectionState\":";
  append_rule_json(out, x.derivation.connection_rule, x.connection_triggers, with_quote);
  out += ",\"iceConnectionState\":";
  append_rule_json(out, x.derivation.ice_connection_rule, x.ice_connection_triggers, with_quote);
  out += '}';
}

std::string connection_state_json(const std::optional<PeerConnectionState>& s) {
  return s ? json_string(to_string(*s)) : std::string("null");
}

std::string transport_text(const TransportState& t) {
  std::string s = std::string(to_string(t.ice)) + "/" + std::string(to_string(t.dtls));
  if (t.sctp_only) s += " (sctp only)";
  return s;
}

std::string explain_text(Profile profile, bool closed, std::span<const TransportState> transports) {
  const Explanation x = explain(profile, closed, transports);
  std::ostringstream out;
  out << "profile     " << to_string(profile) << " — " << profile_info(profile).description << "\n";
  out << "input       " << (closed ? "closed peer connection, " : "open peer connection, ");
  if (transports.empty()) out << "no transports";
  for (std::size_t i = 0; i < transports.size(); ++i)
    out << (i ? ", " : "") << "[" << i << "] " << transport_text(transports[i]);
  out << "\n";
  if (!counts_sctp_only_transports(profile)) {
    for (const auto& t : transports)
      if (t.sctp_only) {
        out << "note        this profile does not count transports referenced only by [[SctpTransport]]\n";
        break;
      }
  }
  auto section = [&](const char* name, std::string value, RuleId id, std::uint64_t triggers) {
    const Rule& r = rule(id);
    out << "\n" << name << " = " << value << "\n";
    out << "  rule      " << r.id << " — " << r.summary << "\n";
    out << "  spec      " << r.document << " #" << r.anchor << "  " << spec_url(r.document, r.anchor) << "\n";
    out << "  quote     \"" << r.quote << "\"\n";
    out << "  notes     " << rule_notes_link(r.rule_id) << "\n";
    out << "  because   ";
    if (triggers == 0) {
      out << (closed ? "[[IsClosed]] is true" : "of the set of states present (no single transport)") << "\n";
    } else {
      bool first = true;
      for (unsigned i = 0; i < 64 && i < transports.size(); ++i) {
        if (!((triggers >> i) & 1u)) continue;
        out << (first ? "" : ", ") << "[" << i << "] " << transport_text(transports[i]);
        first = false;
      }
      out << "\n";
    }
  };
  section("iceConnectionState", std::string(to_string(x.derivation.ice_connection_state)),
          x.derivation.ice_connection_rule, x.ice_connection_triggers);
  section("connectionState",
          x.derivation.connection_state ? std::string(to_string(*x.derivation.connection_state))
                                        : std::string("(no state defined by this profile)"),
          x.derivation.connection_rule, x.connection_triggers);
  if (profile == Profile::Rec2025 && x.derivation.ice_connection_state == IceConnectionState::Completed &&
      x.derivation.connection_state == PeerConnectionState::Connecting) {
    out << "\nnote: the literal REC 2025 text gives `connecting` when [[IceConnectionState]] is `completed`\n"
           "      (PR #2828, labelled editorial); REC 2021 and the amended text give `connected`.\n"
           "      docs/spec/completed-gap.md#completed-gap\n";
  }
  return out.str();
}

}  // namespace connstate::harness
