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

std::string title_of(const Departure& d, const std::string& profile) {
  const std::string reading = internal::profile_short_name(profile);
  if (d.kind == "value") {
    // "connectionState connecting where the rule gives connected" -> "connectionState is connecting where REC 2025 gives connected"
    std::string shape = d.shape;
    const auto space = shape.find(' ');
    shape.insert(space + 1, "is ");
    for (const std::string_view from : {"the rule gives", "the spec keeps"}) {
      const auto at = shape.find(from);
      if (at != std::string::npos) shape.replace(at, from.size(), reading + (from == "the rule gives" ? " gives" : " keeps"));
    }
    return shape + " (" + d.requirement + ")";
  }
  if (d.kind == "protocol-error") return "answers outside protocol 1: " + d.shape;
  return d.shape + " (" + d.requirement + ")";
}

std::size_t size_of(const ResultRecord& r) {
  return r.c.kind == harness::CaseKind::Snapshot ? r.c.transports.size() : 1000 + r.c.steps.size();
}

Finding new_finding(const Departure& d, const std::string& profile) {
  Finding f;
  f.departure = d;
  f.id = d.id();
  f.title = title_of(d, profile);
  const internal::RequirementInfo info = internal::requirement_info(d.requirement);
  f.spec_document = info.document;
  f.spec_anchor = info.anchor;
  f.spec_quote = info.quote;
  f.spec_url = info.url;
  f.notes = info.notes;
  f.requirement_text = info.text;
  return f;
}

}  // namespace

std::vector<Finding> group_findings(const std::vector<StackRun>& runs) {
  std::map<std::string, Finding> by_id;
  for (const StackRun& run : runs) {
    for (std::size_t i = 0; i < run.non_pass.size(); ++i) {
      const ResultRecord& r = run.non_pass[i];
      std::set<std::string> seen;
      for (const Departure& d : departures_of(r)) {
        const std::string id = d.id();
        if (!seen.insert(id).second) continue;
        auto [it, added] = by_id.try_emplace(id);
        if (added) it->second = new_finding(d, run.profile.empty() ? std::string(to_string(r.profile)) : run.profile);
        Finding& f = it->second;
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
  std::vector<Finding> out;
  for (auto& [id, f] : by_id) out.push_back(std::move(f));
  return out;
}

}  // namespace connstate::findings
