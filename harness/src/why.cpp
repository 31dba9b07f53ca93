// why.cpp — see why.h.
#include "connstate/harness/why.h"

#include <sstream>

#include "connstate/harness/json_input.h"
#include "connstate/harness/spec_links.h"
#include "connstate/harness/runner.h"

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

// --- explain CASE-ID -------------------------------------------------------------------

namespace connstate::harness {
namespace {

struct ModelView {
  struct Transport {
    std::string name;
    TransportState state;
  };
  std::vector<Transport> live;  // in id order
};

ModelView view_of(const PeerConnectionModel& m, const Case& c, const std::vector<bool>& sctp_only) {
  ModelView v;
  for (std::size_t t = 0; t < c.transport_names.size(); ++t) {
    const auto id = static_cast<TransportId>(t);
    if (!m.has_transport(id)) continue;
    v.live.push_back({c.transport_names[t], {m.ice_state(id), m.dtls_state(id), sctp_only[t]}});
  }
  return v;
}

std::string transports_text(const ModelView& v) {
  if (v.live.empty()) return "none";
  std::string s;
  for (const auto& t : v.live) s += (s.empty() ? "" : ", ") + t.name + " " + transport_text(t.state);
  return s;
}

// "rule ics.checking (any transport new or checking), because of t0 checking/new"
std::string rule_because(Profile profile, RuleId id, const ModelView& v) {
  const Rule& r = rule(id);
  std::string s = "rule " + std::string(r.id) + " (" + std::string(r.summary) + ")";
  std::string because;
  for (const auto& t : v.live) {
    if (t.state.sctp_only && !counts_sctp_only_transports(profile)) continue;
    const bool ice = (r.ice_triggers >> static_cast<unsigned>(t.state.ice)) & 1u;
    const bool dtls = (r.dtls_triggers >> static_cast<unsigned>(t.state.dtls)) & 1u;
    if (ice || dtls) because += (because.empty() ? "" : ", ") + t.name + " " + transport_text(t.state);
  }
  if (!because.empty()) s += ", because of " + because;
  return s;
}

std::string pcs_text(const std::optional<PeerConnectionState>& s) {
  return s ? std::string(to_string(*s)) : std::string("undefined (null)");
}

}  // namespace

std::string explain_case_text(const Case& c, Profile profile) {
  std::ostringstream out;
  out << "case        " << c.id << " — " << c.title << "\n";
  out << "kind        " << (c.kind == CaseKind::Snapshot ? "snapshot" : "sequence") << ", section " << c.section;
  if (!c.section_title.empty()) out << " (" << c.section_title << ")";
  out << "\n";
  if (!c.file.empty()) out << "file        " << c.file << ":" << c.line << "\n";
  out << "spec        " << c.spec_document << " #" << c.spec_anchor << "\n";
  out << "            \"" << c.spec_quote << "\"\n";
  out << "requires    " << c.requirement << "\n";
  std::string profiles;
  for (const auto& i : kProfiles)
    if (c.applies_to(i.profile)) profiles += (profiles.empty() ? "" : ", ") + std::string(i.id);
  out << "profiles    " << profiles << "; explained under " << to_string(profile) << "\n";
  if (c.options.rederive_on_set_change || c.options.events_on_close)
    out << "options     " << (c.options.rederive_on_set_change ? "rederive_on_set_change " : "")
        << (c.options.events_on_close ? "events_on_close" : "") << "\n";

  const ExpectedOutcome pass = expected_outcome(c, profile);
  if (c.kind == CaseKind::Snapshot) {
    out << "\n" << explain_text(profile, c.closed, c.transports);
  } else {
    out << "\nA fresh peer connection: no transports, connectionState new, iceConnectionState new.\n";
    PeerConnectionModel m(profile, c.options);
    std::vector<bool> sctp_only(c.transport_names.size(), false);
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      const SequenceStep& s = c.steps[i];
      const Step& step = s.step;
      const IceConnectionState ics_before = m.ice_connection_state();
      const auto pcs_before = m.connection_state();
      const bool was_closed = m.is_closed();
      const IceTransportState ice_before = step.kind == StepKind::Close ? IceTransportState::New : m.ice_state(step.transport);
      const DtlsTransportState dtls_before =
          step.kind == StepKind::Close ? DtlsTransportState::New : m.dtls_state(step.transport);
      if (step.kind == StepKind::Add && step.transport < sctp_only.size()) sctp_only[step.transport] = step.sctp_only;
      const StepResult r = m.apply(step);
      const ModelView after = view_of(m, c, sctp_only);
      const Presence presence = m.presence();
      RuleId ics_rule{}, pcs_rule{};
      derive_ice_connection_state(profile, m.is_closed(), presence, &ics_rule);
      derive_connection_state(profile, m.is_closed(), m.ice_connection_state(), presence, &pcs_rule);

      out << "\nstep " << i << ": " << step_text(s) << "\n";
      auto line = [&](const std::string& text) { out << "  " << text << "\n"; };
      bool fired_ics = false, fired_pcs = false;
      if (was_closed) {
        line("ignored: the connection is closed, and nothing happens after close()");
      } else {
        switch (step.kind) {
          case StepKind::Add:
            line(s.transport + " joins the set with ICE new and DTLS new" +
                 std::string(step.sctp_only ? " (referenced only by [[SctpTransport]])" : "") + ".");
            if (!c.options.rederive_on_set_change)
              line("The set changing re-derives nothing (rederive_on_set_change is off): no event.");
            else
              line("rederive_on_set_change is on: both aggregates are re-derived over the new set.");
            break;
          case StepKind::Ice:
            if (ice_before == static_cast<IceTransportState>(step.state))
              line(s.transport + "'s ICE state is already " + std::string(to_string(ice_before)) +
                   ": no change, no task, no event.");
            else
              line("One task (change the selected candidate pair and state): the transport's state and both "
                   "aggregates are updated first, then the events fire, each only if its value changed.");
            break;
          case StepKind::Dtls:
            if (dtls_before == static_cast<DtlsTransportState>(step.state))
              line(s.transport + "'s DTLS state is already " + std::string(to_string(dtls_before)) +
                   ": no change, no event.");
            else
              line("The DTLS statechange fires; then, in a later task, \"update the connection state\" derives "
                   "connectionState from the [[IceConnectionState]] slot as it is (a DTLS change never re-derives "
                   "iceConnectionState).");
            break;
          case StepKind::Remove:
            line(s.transport + " leaves the set and is closed: its DTLS transport first (statechange, then the "
                               "connection update it queues), then its ICE transport (statechange, with both "
                               "aggregates re-derived without it). A state that is already closed fires nothing.");
            break;
          case StepKind::Close:
            line("close(): every transport and both aggregates become closed" +
                 std::string(c.options.events_on_close
                                 ? "; events_on_close is on, so iceconnectionstatechange and connectionstatechange "
                                   "fire where the value changes."
                                 : " without any event (\"This does not fire any event.\"); later steps are ignored."));
            break;
        }
      }
      // The [[IceConnectionState]] slot as each event sees it: a DTLS-triggered connection update
      // (a dtls step, or the DTLS close of a removal) reads it before the ICE task re-derives it.
      IceConnectionState slot = ics_before;
      bool ice_event_seen = false;
      for (const Event& e : r.events) {
        std::string why;
        switch (e.type) {
          case EventType::IceTransportStateChange:
            ice_event_seen = true;
            why = "its ICE state changed (" + std::string(to_string(ice_before)) + " → " + std::string(e.state_name()) + ")";
            break;
          case EventType::DtlsTransportStateChange:
            why = "its DTLS state changed (" + std::string(to_string(dtls_before)) + " → " +
                  std::string(e.state_name()) + ")";
            break;
          case EventType::IceConnectionStateChange:
            fired_ics = true;
            slot = static_cast<IceConnectionState>(e.state);
            why = "[[IceConnectionState]] " + std::string(to_string(ics_before)) + " → " + std::string(e.state_name()) +
                  (step.kind == StepKind::Close ? " (close)" : ", by " + rule_because(profile, ics_rule, after));
            break;
          case EventType::ConnectionStateChange: {
            fired_pcs = true;
            RuleId event_rule{};
            derive_connection_state(profile, m.is_closed(), slot, presence, &event_rule);
            why = "[[ConnectionState]] " + pcs_text(pcs_before) + " → " + std::string(e.state_name()) +
                  (step.kind == StepKind::Close ? " (close)" : ", by " + rule_because(profile, event_rule, after));
            const bool dtls_update = step.kind == StepKind::Dtls || (step.kind == StepKind::Remove && !ice_event_seen);
            if (dtls_update) why += "; update the connection state reads the [[IceConnectionState]] slot as it is: " +
                                    std::string(to_string(slot));
            break;
          }
        }
        out << "  fires " << event_text(e, c.transport_names) << (e.task ? "  (a later task)" : "") << "\n";
        out << "        " << why << "\n";
      }
      if (!was_closed && step.kind != StepKind::Close) {
        const bool ics_derived = step.kind == StepKind::Ice || step.kind == StepKind::Remove ||
                                 (step.kind == StepKind::Add && c.options.rederive_on_set_change);
        const bool pcs_derived = ics_derived || step.kind == StepKind::Dtls;
        const bool changed_something = !r.events.empty();
        if (changed_something && ics_derived && !fired_ics)
          line("no iceconnectionstatechange: [[IceConnectionState]] stays " +
               std::string(to_string(m.ice_connection_state())) + " (" + rule_because(profile, ics_rule, after) + ")");
        if (changed_something && pcs_derived && !fired_pcs) {
          if (!m.connection_state())
            line("no connectionstatechange: no state is defined (" + std::string(rule(pcs_rule).id) +
                 "), so there is nothing for a listener to read");
          else
            line("no connectionstatechange: [[ConnectionState]] stays " + pcs_text(m.connection_state()) + " (" +
                 rule_because(profile, pcs_rule, after) + ")");
        }
      }
      out << "  then      connectionState=" << show_state(pass.steps[i].states.connection_state)
          << " iceConnectionState=" << show_state(pass.steps[i].states.ice_connection_state)
          << "; transports: " << transports_text(after) << "\n";
    }
  }
  for (const auto& [verdict, o] : acceptable_alternatives(c, profile, pass)) {
    out << "\nalso acceptable (" << to_string(verdict) << "): " << o.reason << "\n";
    if (c.kind == CaseKind::Snapshot) {
      out << "  connectionState=" << show_state(o.snapshot.connection_state)
          << " iceConnectionState=" << show_state(o.snapshot.ice_connection_state) << "\n";
    } else {
      for (std::size_t index = 0; index < o.steps.size() && index < pass.steps.size(); ++index)
        if (!(o.steps[index] == pass.steps[index])) out << "  step " << index << ": " << show_step(o.steps[index]) << "\n";
    }
  }
  return out.str();
}

}  // namespace connstate::harness
