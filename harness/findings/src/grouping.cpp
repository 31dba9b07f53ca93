// grouping.cpp — non-pass results into findings (see findings.h).
#include <algorithm>
#include <cctype>
#include <set>

#include "connstate/findings/findings.h"
#include "internal/requirements.h"

namespace connstate::findings {

using harness::Verdict;

namespace {

// A protocol breach without the parts that change from case to case (ids, numbers, quoted lines).
std::string protocol_shape(const std::string& message) {
  std::string first_line = message.substr(0, message.find('\n'));
  std::string out;
  bool in_digits = false;
  for (char ch : first_line) {
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      if (!in_digits) out += 'N';
      in_digits = true;
      continue;
    }
    in_digits = false;
    out += ch;
  }
  return out.substr(0, out.find(" (request"));
}

std::vector<Departure> departures_of(const ResultRecord& r) {
  std::vector<Departure> out;
  if (r.verdict == Verdict::Unsupported || r.verdict == Verdict::Pass) return out;
  if (r.verdict == Verdict::Error) {
    Departure d;
    d.requirement = "adapter-protocol";
    d.kind = "protocol-error";
    d.shape = protocol_shape(r.message.empty() ? "the stack broke" : r.message);
    d.key = d.shape;
    out.push_back(std::move(d));
    return out;
  }
  out = r.c.kind == harness::CaseKind::Snapshot ? judge_snapshot(r.profile, r.c, r.observed_snapshot)
                                                 : judge_sequence(r.profile, r.c, r.observed_steps);
  if (out.empty() && r.verdict == Verdict::Fail) {
    // The runner and the step judge disagree; keep the result visible rather than lose it.
    Departure d;
    d.requirement = "unclassified";
    d.kind = "unclassified";
    d.shape = "judged fail by the runner, with no departure found step by step: " + r.message;
    d.key = r.c.id;
    out.push_back(std::move(d));
  }
  return out;
}

// "a", "a or b", "a, b or c"
std::string one_of(const std::set<std::string>& items, std::string_view last_joiner) {
  std::string out;
  std::size_t i = 0;
  for (const auto& item : items) {
    if (i) out += i + 1 == items.size() ? std::string(last_joiner) : std::string(", ");
    out += item;
    ++i;
  }
  return out;
}

// The title names every variant: "connectionState is new or connecting where REC 2025 gives failed
// (pcs-2025.failed)", "an extra iceconnectionstatechange or connectionstatechange on close() (close.no-events)".
std::string title_of(const Finding& f, const std::vector<Departure>& seen, const std::string& profile) {
  const Departure& d = f.departure;
  if (d.kind == "protocol-error") return "answers outside protocol 1: " + d.shape;
  if (d.kind == "unclassified") return d.shape;
  std::set<std::string> details, expected;
  for (const Departure& v : seen) {
    details.insert(v.detail);
    expected.insert(v.expected);
  }
  const std::string reading = internal::profile_short_name(profile);
  if (d.kind == "value") {
    if (d.requirement == "transport-set.no-rederive-on-change")
      return d.key + " re-derived (" + one_of(details, " or ") + ") where " + reading +
             " keeps the value it had when only the set of transports changes (" + d.requirement + ")";
    return d.key + " is " + one_of(details, " or ") + " where " + reading + " gives " + one_of(expected, " or ") + " (" +
           d.requirement + ")";
  }
  if (d.kind == "illegal-transition")
    return "a transport leaves a state it cannot leave: " + one_of(details, "; ") + " (" + d.requirement + ")";
  if (d.kind == "impossible" || d.kind == "needs-unshown-state" || d.kind == "unexplained-sample")
    return d.key + ": " + one_of(details, "; ") + (d.kind == "impossible" ? " that no transport states can give"
                                                   : d.kind == "needs-unshown-state" ? " only with transport states the trace does not show"
                                                                                     : " at a sample no delivering states pass") +
           " (" + d.requirement + ")";
  if (d.kind == "misordered-events") return one_of(details, "; ") + " on " + d.where + " (" + d.requirement + ")";
  const std::string_view kind = d.kind == "extra-event"       ? "an extra "
                                : d.kind == "missing-event"   ? "no "
                                : d.kind == "duplicate-event" ? "a second "
                                                              : "a wrong value in ";
  return std::string(kind) + one_of(details, " or ") + " on " + d.where + " (" + d.requirement + ")";
}

std::size_t size_of(const ResultRecord& r) {
  return r.c.kind == harness::CaseKind::Snapshot ? r.c.transports.size() : 1000 + r.c.steps.size();
}

Finding new_finding(const Departure& d) {
  Finding f;
  f.departure = d;
  f.id = d.id();
  const internal::RequirementInfo info = internal::requirement_info(d.requirement);
  f.spec_document = info.document;
  f.spec_anchor = info.anchor;
  f.spec_quote = info.quote;
  f.spec_url = info.url;
  f.notes = info.notes;
  f.requirement_text = info.text;
  return f;
}

// The line where a pc's trace first shows finding `id` (its recording's line numbers).
std::size_t first_line_of(const TracePcRecord& pc, const std::string& id) {
  for (const trace::Finding& tf : pc.findings)
    for (const Departure& d : trace_departures(pc, tf))
      if (d.id() == id) return tf.line;
  return static_cast<std::size_t>(-1);
}

}  // namespace

std::vector<Finding> group_findings(const std::vector<StackRun>& runs) {
  std::map<std::string, Finding> by_id;
  std::map<std::string, std::vector<Departure>> seen_by_id;
  std::map<std::string, std::string> profile_by_id;
  for (const StackRun& run : runs) {
    for (std::size_t i = 0; i < run.non_pass.size(); ++i) {
      const ResultRecord& r = run.non_pass[i];
      std::set<std::string> seen, shapes_in_record;
      for (const Departure& d : departures_of(r)) {
        const std::string id = d.id();
        auto [it, added] = by_id.try_emplace(id);
        if (added) it->second = new_finding(d);
        Finding& f = it->second;
        if (shapes_in_record.insert(d.shape).second && ++f.variants[d.shape] == 1) seen_by_id[id].push_back(d);
        if (!seen.insert(id).second) continue;  // each record counts once per finding
        if (profile_by_id[id].empty()) profile_by_id[id] = run.profile.empty() ? std::string(to_string(r.profile)) : run.profile;
        auto occ = std::find_if(f.stacks.begin(), f.stacks.end(), [&](const Occurrence& o) { return o.run == &run; });
        if (occ == f.stacks.end()) {
          f.stacks.push_back({});
          occ = std::prev(f.stacks.end());
          occ->run = &run;
        }
        occ->records.push_back(i);
        ++occ->verdicts[r.verdict];
        if (r.verdict == Verdict::Fail || r.verdict == Verdict::Error) f.failing = true;
        const bool reproducible = r.verdict != Verdict::Error;
        if (reproducible && (!occ->smallest || size_of(r) < size_of(run.non_pass[*occ->smallest])))
          occ->smallest = i;
      }
    }
  }
  // Recorded traces: each pc counts once per finding, like a case.
  for (const StackRun& run : runs) {
    for (std::size_t i = 0; i < run.traces.size(); ++i) {
      const TracePcRecord& pc = run.traces[i];
      std::set<std::string> seen, shapes_in_record;
      for (const trace::Finding& tf : pc.findings) {
        for (const Departure& d : trace_departures(pc, tf)) {
          const std::string id = d.id();
          auto [it, added] = by_id.try_emplace(id);
          if (added) it->second = new_finding(d);
          Finding& f = it->second;
          if (shapes_in_record.insert(d.shape).second && ++f.variants[d.shape] == 1) seen_by_id[id].push_back(d);
          const bool counts_as_failing = tf.severity == Verdict::Fail || tf.severity == Verdict::Error;
          if (counts_as_failing) f.failing = true;
          if (!seen.insert(id).second) continue;
          if (profile_by_id[id].empty()) profile_by_id[id] = std::string(to_string(pc.profile));
          auto occ = std::find_if(f.stacks.begin(), f.stacks.end(), [&](const Occurrence& o) { return o.run == &run; });
          if (occ == f.stacks.end()) {
            f.stacks.push_back({});
            occ = std::prev(f.stacks.end());
            occ->run = &run;
          }
          occ->trace_records.push_back(i);
          ++occ->trace_verdicts[tf.severity];
          // The excerpt starts from the pc whose finding comes earliest in its recording.
          if (!occ->smallest_trace || tf.line < first_line_of(run.traces[*occ->smallest_trace], id)) occ->smallest_trace = i;
        }
      }
    }
  }
  std::vector<Finding> out;
  for (auto& [id, f] : by_id) {
    f.title = title_of(f, seen_by_id[id], profile_by_id[id]);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace connstate::findings
