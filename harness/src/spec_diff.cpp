// spec_diff.cpp — see spec_diff.h.
#include "connstate/harness/spec_diff.h"

#include <algorithm>
#include <map>

#include "connstate/harness/json_input.h"
#include "connstate/harness/why.h"

namespace connstate::harness {

namespace {

std::string value_text(const std::optional<PeerConnectionState>& s) {
  return s ? std::string(to_string(*s)) : std::string("no state");
}

std::string with_rule(const std::string& value, RuleId id) { return value + " (" + std::string(rule(id).id) + ")"; }

// A group is collected under a key that says what kind of disagreement it is; its example is the
// smallest input seen (fewest transports or steps, then the first in exploration order).
// What the group shows of its members (the answers in full) is taken from that smallest one.
template <class Group>
void record(std::map<std::string, Group>& groups, const std::string& key, Group fresh, const std::string& example,
            std::size_t size) {
  fresh.example = example;
  fresh.example_size = size;
  auto [it, inserted] = groups.emplace(key, fresh);
  Group& g = it->second;
  if (!inserted && size < g.example_size) {
    fresh.count = g.count;
    g = std::move(fresh);
  }
  ++g.count;
}

struct Tally {
  std::map<std::string, DiffGroup> values, events;
  std::map<std::string, UndefinedGroup> undefined;
  std::map<RuleId, std::size_t> uses_a, uses_b;
};

void explore_snapshot(const Reading& a, const Reading& b, bool closed, std::span<const TransportState> ts, Tally& t,
                      SpecDiff& out) {
  const Derivation da = a.derive(closed, ts), db = b.derive(closed, ts);
  ++out.snapshots;
  ++t.uses_a[da.connection_rule];
  ++t.uses_a[da.ice_connection_rule];
  ++t.uses_b[db.connection_rule];
  ++t.uses_b[db.ice_connection_rule];
  const std::string example = snapshot_title(closed, ts);
  for (const auto& [reading, d] : {std::pair{&a, &da}, std::pair{&b, &db}}) {
    if (reading == &b && a.name == b.name) break;
    if (d->connection_state) continue;
    const std::string ics(to_string(d->ice_connection_state));
    record(t.undefined, reading->name + "|" + ics, UndefinedGroup{reading->name, ics, {}, 0, 0}, example, ts.size());
  }
  const bool pcs_differs = da.connection_state != db.connection_state;
  const bool ics_differs = da.ice_connection_state != db.ice_connection_state;
  if (!pcs_differs && !ics_differs) return;
  ++out.differing_snapshots;
  // A disagreement that goes away when the transport referenced only by [[SctpTransport]] counts
  // like any other is one kind, whatever the other transports are: the readings count different
  // sets of transports. What remains once it counts like any other is a disagreement of the tables,
  // grouped (and shown) with the input where it counts like any other.
  const bool has_sctp = std::any_of(ts.begin(), ts.end(), [](const TransportState& x) { return x.sctp_only; });
  std::vector<TransportState> counted(ts.begin(), ts.end());
  for (TransportState& x : counted) x.sctp_only = false;
  const Derivation ca = has_sctp ? a.derive(closed, counted) : da, cb = has_sctp ? b.derive(closed, counted) : db;
  const std::string membership =
      "only because one reading counts the transport referenced only by [[SctpTransport]] and the other does not "
      "(counted like any other, both agree)";
  const std::string counted_example = has_sctp ? snapshot_title(closed, counted) : example;
  auto table_group = [&](const std::string& aggregate, const std::string& va, const std::string& vb,
                         const std::string& context) {
    DiffGroup g;
    g.aggregate = aggregate;
    g.a = va;
    g.b = vb;
    g.context = context;
    record(t.values, g.aggregate + "|" + g.a + "|" + g.b + "|" + g.context, g, counted_example, ts.size());
  };
  auto membership_group = [&](const std::string& aggregate, const std::string& va, const std::string& vb) {
    DiffGroup g;
    g.aggregate = aggregate;
    g.a = va;
    g.b = vb;
    g.context = membership;
    record(t.values, g.aggregate + "|" + membership, g, example, ts.size());
  };
  if (pcs_differs) {
    if (ca.connection_state == cb.connection_state) {
      membership_group("connectionState", with_rule(value_text(da.connection_state), da.connection_rule),
                       with_rule(value_text(db.connection_state), db.connection_rule));
    } else {
      const std::string ics_a(to_string(ca.ice_connection_state)), ics_b(to_string(cb.ice_connection_state));
      table_group("connectionState", with_rule(value_text(ca.connection_state), ca.connection_rule),
                  with_rule(value_text(cb.connection_state), cb.connection_rule),
                  "when iceConnectionState is " + ics_a + (ics_a == ics_b ? " in both" : " / " + ics_b));
    }
  }
  if (ics_differs) {
    if (ca.ice_connection_state == cb.ice_connection_state) {
      membership_group("iceConnectionState", with_rule(std::string(to_string(da.ice_connection_state)), da.ice_connection_rule),
                       with_rule(std::string(to_string(db.ice_connection_state)), db.ice_connection_rule));
    } else {
      table_group("iceConnectionState", with_rule(std::string(to_string(ca.ice_connection_state)), ca.ice_connection_rule),
                  with_rule(std::string(to_string(cb.ice_connection_state)), cb.ice_connection_rule), "");
    }
  }
}

// Every multiset of at most `max` transports (each a pair of states, at most one of them
// referenced only by [[SctpTransport]]: a peer connection has one such slot), open and closed.
void explore_snapshots(const Reading& a, const Reading& b, int max, Tally& t, SpecDiff& out) {
  std::vector<TransportState> kinds;
  for (bool sctp : {false, true})
    for (std::size_t i = 0; i < enum_count<IceTransportState>; ++i)
      for (std::size_t d = 0; d < enum_count<DtlsTransportState>; ++d)
        kinds.push_back({enum_at<IceTransportState>(i), enum_at<DtlsTransportState>(d), sctp});
  std::vector<TransportState> current;
  auto rec = [&](auto&& self, std::size_t start, bool sctp_used) -> void {
    explore_snapshot(a, b, false, current, t, out);
    explore_snapshot(a, b, true, current, t, out);
    if (current.size() == static_cast<std::size_t>(max)) return;
    for (std::size_t i = start; i < kinds.size(); ++i) {
      if (kinds[i].sctp_only && sctp_used) continue;
      current.push_back(kinds[i]);
      self(self, kinds[i].sctp_only ? i + 1 : i, sctp_used || kinds[i].sctp_only);
      current.pop_back();
    }
  };
  rec(rec, 0, false);
}

// RTCIceGatheringState is the same in every profile; its rows are explored so that they are
// accounted for like the others.
void explore_gatherers(int max, Tally& t, SpecDiff& out) {
  std::vector<IceGathererState> current;
  auto rec = [&](auto&& self, std::size_t start) -> void {
    RuleId id = RuleId::IgsNew;
    derive_gathering_state(current, &id);
    ++out.gatherer_sets;
    ++t.uses_a[id];
    ++t.uses_b[id];
    if (current.size() == static_cast<std::size_t>(max)) return;
    for (std::size_t i = start; i < enum_count<IceGathererState>; ++i) {
      current.push_back(enum_at<IceGathererState>(i));
      self(self, i);
      current.pop_back();
    }
  };
  rec(rec, 0);
}

std::string states_text(const PeerConnectionModel& m) {
  return "connectionState " + value_text(m.connection_state()) + ", iceConnectionState " +
         std::string(to_string(m.ice_connection_state()));
}

std::string step_outcome_text(const StepResult& r, const PeerConnectionModel& m, const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < r.events.size(); ++i) s += (i ? ", " : "") + event_text(r.events[i], names);
  return s + "] " + states_text(m);
}

// Runs every sequence of at most `depth` steps over t0 and t1 under both event models, and stops
// a sequence at its first difference: a longer sequence with the same prefix says nothing new.
void explore_sequences(const Reading& a, const Reading& b, int depth, Tally& t, SpecDiff& out) {
  const std::vector<Step> alphabet = sequence_alphabet();
  const std::vector<std::string> names = {"t0", "t1"};
  std::vector<SequenceStep> current;
  auto rec = [&](auto&& self, const PeerConnectionModel& ma, const PeerConnectionModel& mb, bool t1_allowed,
                 int left) -> void {
    for (const Step& s : alphabet) {
      if (s.transport == 1 && !t1_allowed && s.kind != StepKind::Close) continue;  // t1 only after t0: no mirror images
      PeerConnectionModel na = ma, nb = mb;
      const StepResult ra = na.apply(s), rb = nb.apply(s);
      if (ra.outcome != StepOutcome::Applied && rb.outcome != StepOutcome::Applied) continue;
      current.push_back({s, s.kind == StepKind::Close ? std::string() : names[s.transport], {}, {}});
      ++out.sequences;
      // In the group key the acting transport is X and the other one Y, so that the same difference
      // on t0 or t1 is one kind.
      const std::vector<std::string> keyed = s.transport == 0 ? std::vector<std::string>{"X", "Y"}
                                                              : std::vector<std::string>{"Y", "X"};
      const std::string ta = step_outcome_text(ra, na, keyed), tb = step_outcome_text(rb, nb, keyed);
      if (ra.outcome != rb.outcome || ta != tb) {
        ++out.differing_sequences;
        SequenceStep labelled = current.back();
        labelled.transport = s.kind == StepKind::Close ? std::string() : "X";
        // When the states read after the step differ, that is the disagreement (the events follow
        // from the values before and after); when they agree, the events themselves are.
        const std::string states_a = states_text(na), states_b = states_text(nb);
        const bool values_differ = states_a != states_b;
        DiffGroup g;
        g.aggregate = "events";
        g.context = "at the step \"" + step_text(labelled) + "\"" +
                    (values_differ ? ": the states read afterwards differ" : ": same states, different events");
        g.a = ra.outcome == StepOutcome::Applied ? ta : std::string(to_string(ra.outcome));
        g.b = rb.outcome == StepOutcome::Applied ? tb : std::string(to_string(rb.outcome));
        const std::string key = values_differ ? g.context + "|" + states_a + "|" + states_b : g.context + "|" + g.a + "|" + g.b;
        record(t.events, key, g, sequence_title(current), current.size());
      } else if (left > 1 && !na.is_closed()) {
        self(self, na, nb, t1_allowed || (s.kind == StepKind::Add && s.transport == 0), left - 1);
      }
      current.pop_back();
    }
  };
  rec(rec, PeerConnectionModel(*a.profile), PeerConnectionModel(*b.profile), false, depth);
}

template <class Group>
std::vector<Group> by_count(const std::map<std::string, Group>& groups) {
  std::vector<Group> out;
  for (const auto& [key, g] : groups) out.push_back(g);
  std::stable_sort(out.begin(), out.end(), [](const Group& x, const Group& y) {
    return x.count != y.count ? x.count > y.count : x.example_size < y.example_size;
  });
  return out;
}

std::string rule_prefix_ics(Profile p) { return p == Profile::LegacyMdn ? "legacy.ics." : "ics."; }
std::string rule_prefix_pcs(Profile p) {
  switch (p) {
    case Profile::Rec2025: return "pcs-2025.";
    case Profile::Rec2021Amended: return "pcs-2021a.";
    case Profile::Rec2021: return "pcs-2021.";
    case Profile::LegacyMdn: return "legacy.pcs.";
  }
  return "";
}

std::string with_thousands(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string explored_text(const SpecDiff& d) {
  std::string s = with_thousands(d.snapshots) + " snapshots of 0-" + std::to_string(d.options.max_transports) +
                  " transports (open and closed; at most one transport referenced only by [[SctpTransport]]), " +
                  with_thousands(d.gatherer_sets) + " sets of ICE gatherer states";
  if (d.options.depth > 0)
    s += ", " + with_thousands(d.sequences) + " step sequences of 1-" + std::to_string(d.options.depth) +
         " steps over 2 transports (each stopped at its first difference)";
  return s;
}

std::vector<RuleUse> unused_rules(const SpecDiff& d, const std::string& reading) {
  std::vector<RuleUse> out;
  for (const RuleUse& u : d.rule_uses)
    if (u.reading == reading && u.decided == 0) out.push_back(u);
  return out;
}

}  // namespace

std::vector<RuleId> rules_of(Profile profile) {
  std::vector<RuleId> out;
  const std::string ics = rule_prefix_ics(profile), pcs = rule_prefix_pcs(profile);
  for (const Rule& r : all_rules()) {
    const std::string_view id = r.id;
    if (id.starts_with(ics) || id.starts_with(pcs) || r.aggregate == Aggregate::IceGatheringState)
      out.push_back(r.rule_id);
  }
  return out;
}

Reading reading_of(Profile profile) {
  return Reading{std::string(to_string(profile)),
                 [profile](bool closed, std::span<const TransportState> ts) { return derive(profile, closed, ts); },
                 rules_of(profile), profile};
}

SpecDiff spec_diff(const Reading& a, const Reading& b, const SpecDiffOptions& options) {
  SpecDiff out;
  out.a = a.name;
  out.b = b.name;
  out.options = options;
  Tally t;
  explore_snapshots(a, b, options.max_transports, t, out);
  explore_gatherers(options.max_transports, t, out);
  if (options.depth > 0 && a.profile && b.profile) explore_sequences(a, b, options.depth, t, out);
  if (!a.profile || !b.profile) out.options.depth = 0;
  out.groups = by_count(t.values);
  for (DiffGroup& g : by_count(t.events)) out.groups.push_back(std::move(g));
  out.undefined = by_count(t.undefined);
  for (const auto& [reading, uses] : {std::pair{&a, &t.uses_a}, std::pair{&b, &t.uses_b}}) {
    if (reading == &b && a.name == b.name) break;
    for (RuleId id : reading->rules) {
      auto it = uses->find(id);
      out.rule_uses.push_back({reading->name, id, it == uses->end() ? 0 : it->second});
    }
  }
  return out;
}

std::string spec_diff_text(const SpecDiff& d) {
  std::string s = "connstate spec-diff " + d.a + " " + d.b + "\n\nexplored: " + explored_text(d) + "\n";
  std::size_t values = 0, events = 0;
  for (const DiffGroup& g : d.groups) (g.aggregate == "events" ? events : values) += 1;
  s += "\nvalues: " + std::to_string(values) + " kind(s) of disagreement over " + with_thousands(d.differing_snapshots) +
       " snapshot(s)\n";
  std::size_t n = 0;
  for (const DiffGroup& g : d.groups) {
    if (g.aggregate == "events") continue;
    s += "  " + std::to_string(++n) + ". " + g.aggregate + ": " + d.a + " " + g.a + ", " + d.b + " " + g.b + "\n";
    if (!g.context.empty()) s += "     " + g.context + "\n";
    s += "     " + with_thousands(g.count) + " snapshot(s); smallest: " + g.example + "\n";
  }
  if (d.options.depth > 0) {
    s += "\nevents: " + std::to_string(events) + " kind(s) of disagreement over " +
         with_thousands(d.differing_sequences) + " sequence(s) (X: the transport of the step, Y: the other one)\n";
    n = 0;
    for (const DiffGroup& g : d.groups) {
      if (g.aggregate != "events") continue;
      s += "  " + std::to_string(++n) + ". " + g.context + "\n     " + d.a + ": " + g.a + "\n     " + d.b + ": " + g.b +
           "\n     " + with_thousands(g.count) + " sequence(s); smallest: " + g.example + "\n";
    }
  }
  s += "\nundefined inputs (no connectionState):\n";
  for (const std::string& reading : {d.a, d.b}) {
    std::size_t total = 0;
    for (const UndefinedGroup& u : d.undefined) total += u.reading == reading ? u.count : 0;
    s += "  " + reading + ": " + (total ? with_thousands(total) + " snapshot(s)" : std::string("none")) + "\n";
    for (const UndefinedGroup& u : d.undefined)
      if (u.reading == reading)
        s += "    iceConnectionState " + u.ice_connection_state + ": " + with_thousands(u.count) +
             " snapshot(s); smallest: " + u.example + "\n";
    if (d.a == d.b) break;
  }
  s += "\nrule rows that decide nothing over these inputs:\n";
  for (const std::string& reading : {d.a, d.b}) {
    std::size_t rules = 0;
    for (const RuleUse& u : d.rule_uses) rules += u.reading == reading;
    const auto unused = unused_rules(d, reading);
    s += "  " + reading + ": " + (unused.empty() ? "none (all " + std::to_string(rules) + " decide some input)" : "") ;
    for (std::size_t i = 0; i < unused.size(); ++i) s += (i ? ", " : "") + std::string(rule(unused[i].rule).id);
    s += "\n";
    if (d.a == d.b) break;
  }
  return s;
}

std::string spec_diff_markdown(const SpecDiff& d) {
  auto cell = [](std::string text) {
    for (std::size_t pos = 0; (pos = text.find('|', pos)) != std::string::npos; pos += 2) text.replace(pos, 1, "\\|");
    return text;
  };
  std::string m = "# `connstate spec-diff " + d.a + " " + d.b + "`\n\nExplored: " + explored_text(d) + ".\n\n";
  m += "## Values (" + with_thousands(d.differing_snapshots) + " snapshots differ)\n\n| # | aggregate | " + d.a + " | " +
       d.b + " | kind | snapshots | smallest input |\n|---:|---|---|---|---|---:|---|\n";
  std::size_t n = 0;
  for (const DiffGroup& g : d.groups)
    if (g.aggregate != "events")
      m += "| " + std::to_string(++n) + " | " + g.aggregate + " | " + cell(g.a) + " | " + cell(g.b) + " | " +
           cell(g.context) + " | " + with_thousands(g.count) + " | " + cell(g.example) + " |\n";
  if (n == 0) m += "| | none | | | | | |\n";
  if (d.options.depth > 0) {
    m += "\n## Events (" + with_thousands(d.differing_sequences) +
         " sequences differ; X is the transport of the step, Y the other one)\n\n| # | where | " + d.a + " | " + d.b +
         " | sequences | smallest sequence |\n|---:|---|---|---|---:|---|\n";
    n = 0;
    for (const DiffGroup& g : d.groups)
      if (g.aggregate == "events")
        m += "| " + std::to_string(++n) + " | " + cell(g.context) + " | " + cell(g.a) + " | " + cell(g.b) + " | " +
             with_thousands(g.count) + " | " + cell(g.example) + " |\n";
    if (n == 0) m += "| | none | | | | |\n";
  }
  m += "\n## Undefined inputs\n\n| profile | iceConnectionState | snapshots | smallest input |\n|---|---|---:|---|\n";
  n = 0;
  for (const UndefinedGroup& u : d.undefined) {
    m += "| " + u.reading + " | " + u.ice_connection_state + " | " + with_thousands(u.count) + " | " + cell(u.example) + " |\n";
    ++n;
  }
  if (n == 0) m += "| none | | | |\n";
  m += "\n## Rule rows that decide nothing\n\n";
  for (const std::string& reading : {d.a, d.b}) {
    const auto unused = unused_rules(d, reading);
    m += "- " + reading + ": ";
    if (unused.empty()) m += "none";
    for (std::size_t i = 0; i < unused.size(); ++i) m += (i ? ", `" : "`") + std::string(rule(unused[i].rule).id) + "`";
    m += "\n";
    if (d.a == d.b) break;
  }
  return m;
}

std::string spec_diff_json(const SpecDiff& d) {
  std::string j = "{\"format\":\"connstate-spec-diff\",\"version\":1,\"a\":" + json_string(d.a) + ",\"b\":" +
                  json_string(d.b) + ",\"max_transports\":" + std::to_string(d.options.max_transports) +
                  ",\"depth\":" + std::to_string(d.options.depth) + ",\"explored\":{\"snapshots\":" +
                  std::to_string(d.snapshots) + ",\"gatherer_sets\":" + std::to_string(d.gatherer_sets) +
                  ",\"sequences\":" + std::to_string(d.sequences) + "},\"differing\":{\"snapshots\":" +
                  std::to_string(d.differing_snapshots) + ",\"sequences\":" + std::to_string(d.differing_sequences) +
                  "},\"groups\":[";
  for (std::size_t i = 0; i < d.groups.size(); ++i) {
    const DiffGroup& g = d.groups[i];
    j += std::string(i ? "," : "") + "{\"aggregate\":" + json_string(g.aggregate) + ",\"a\":" + json_string(g.a) +
         ",\"b\":" + json_string(g.b) + ",\"context\":" + json_string(g.context) + ",\"count\":" +
         std::to_string(g.count) + ",\"example\":" + json_string(g.example) + ",\"example_size\":" +
         std::to_string(g.example_size) + "}";
  }
  j += "],\"undefined\":[";
  for (std::size_t i = 0; i < d.undefined.size(); ++i) {
    const UndefinedGroup& u = d.undefined[i];
    j += std::string(i ? "," : "") + "{\"profile\":" + json_string(u.reading) + ",\"iceConnectionState\":" +
         json_string(u.ice_connection_state) + ",\"count\":" + std::to_string(u.count) + ",\"example\":" +
         json_string(u.example) + "}";
  }
  j += "],\"rules\":[";
  for (std::size_t i = 0; i < d.rule_uses.size(); ++i) {
    const RuleUse& u = d.rule_uses[i];
    j += std::string(i ? "," : "") + "{\"profile\":" + json_string(u.reading) + ",\"rule\":" +
         json_string(rule(u.rule).id) + ",\"decided\":" + std::to_string(u.decided) + "}";
  }
  return j + "]}\n";
}

}  // namespace connstate::harness
