// reproduce.cpp — the smallest input that still shows a finding on the stack, confirmed by re-running it
// (see findings.h).
#include <algorithm>

#include "connstate/findings/findings.h"

namespace connstate::findings {

using harness::Case;
using harness::CaseKind;

namespace {

// A budget of stack runs per reproduction: delta debugging is quadratic at worst, and an adapter that
// answers slowly must not make `connstate findings` take hours.
constexpr int kMaxStackRuns = 400;

struct Trial {
  bool answered = false;
  harness::ObservedStates snapshot;
  std::vector<harness::StepOutcomeText> steps;
};

Trial run_on(harness::StackUnderTest& stack, const Case& c) {
  Trial t;
  if (c.kind == CaseKind::Snapshot) {
    const Case* one[] = {&c};
    harness::SnapshotAnswer answer;
    stack.evaluate(one, std::span<harness::SnapshotAnswer>(&answer, 1));
    t.answered = answer.status == harness::AnswerStatus::Ok;
    t.snapshot = answer.states;
  } else {
    harness::SequenceAnswer answer = stack.run_sequence(c);
    t.answered = answer.status == harness::AnswerStatus::Ok;
    t.steps = std::move(answer.steps);
  }
  return t;
}

std::vector<Departure> judge(Profile profile, const Case& c, const Trial& t) {
  return c.kind == CaseKind::Snapshot ? judge_snapshot(profile, c, t.snapshot) : judge_sequence(profile, c, t.steps);
}

// The first step (or 0 for a snapshot) where the departure shows, or -1 when it does not.
int shows_at(Profile profile, const Case& c, const Trial& t, const std::string& id) {
  if (!t.answered) return -1;
  for (const Departure& d : judge(profile, c, t))
    if (d.id() == id) return std::max(d.step, 0);
  return -1;
}

bool valid_sequence(const Case& c, Profile profile) {
  PeerConnectionModel model(profile, c.options);
  for (const auto& s : c.steps)
    if (!model.apply(s.step).ok()) return false;
  return !c.steps.empty();
}

class Shrinker {
 public:
  Shrinker(harness::StackUnderTest& stack, Profile profile, std::string id)
      : stack_(stack), profile_(profile), id_(std::move(id)) {}

  // Does the candidate still show the finding? Truncates a sequence after the step that shows it.
  bool keeps(Case& candidate) {
    if (candidate.kind == CaseKind::Sequence && !valid_sequence(candidate, profile_)) return false;
    if (++runs_ > kMaxStackRuns) return false;
    const int at = shows_at(profile_, candidate, run_on(stack_, candidate), id_);
    if (at < 0) return false;
    if (candidate.kind == CaseKind::Sequence) candidate.steps.resize(static_cast<std::size_t>(at) + 1);
    return true;
  }

  void shrink_snapshot(Case& c) {
    for (bool progress = true; progress;) {
      progress = false;
      for (std::size_t i = 0; i < c.transports.size() && !progress; ++i) {
        Case candidate = c;
        candidate.transports.erase(candidate.transports.begin() + static_cast<std::ptrdiff_t>(i));
        if (keeps(candidate)) {
          c = std::move(candidate);
          progress = true;
        }
      }
    }
  }

  // ddmin over the steps: drop chunks while the finding still shows, halving the chunk size down to one.
  void shrink_sequence(Case& c) {
    drop_transports(c);
    for (std::size_t chunk = std::max<std::size_t>(c.steps.size() / 2, 1); chunk >= 1; chunk /= 2) {
      for (bool progress = true; progress;) {
        progress = false;
        for (std::size_t start = 0; start < c.steps.size() && !progress; start += chunk) {
          Case candidate = c;
          const auto first = candidate.steps.begin() + static_cast<std::ptrdiff_t>(start);
          candidate.steps.erase(first, first + static_cast<std::ptrdiff_t>(std::min(chunk, c.steps.size() - start)));
          if (keeps(candidate)) {
            c = std::move(candidate);
            progress = true;
          }
        }
      }
      if (chunk == 1) break;
    }
  }

 private:
  // Every step of one transport at once: the quickest way to fewer transports.
  void drop_transports(Case& c) {
    for (std::size_t t = 0; t < c.transport_names.size(); ++t) {
      Case candidate = c;
      std::erase_if(candidate.steps, [&](const harness::SequenceStep& s) {
        return s.step.kind != StepKind::Close && s.step.transport == t;
      });
      if (candidate.steps.size() != c.steps.size() && keeps(candidate)) c = std::move(candidate);
    }
  }

  harness::StackUnderTest& stack_;
  Profile profile_;
  std::string id_;
  int runs_ = 0;
};

}  // namespace

void reproduce(const Finding& finding, Occurrence& occurrence, harness::StackUnderTest& stack) {
  if (!occurrence.smallest) {
    occurrence.note = "no result to start from (only protocol errors show it)";
    return;
  }
  const ResultRecord& start = occurrence.run->non_pass[*occurrence.smallest];
  const Profile profile = start.profile;
  Case c = start.c;
  Shrinker shrinker(stack, profile, finding.id);
  if (!shrinker.keeps(c)) {
    occurrence.note = "the stack no longer shows it on " + start.c.id + " (it answered differently when re-run)";
    return;
  }
  if (c.kind == CaseKind::Snapshot) shrinker.shrink_snapshot(c);
  else shrinker.shrink_sequence(c);

  const Trial confirmation = run_on(stack, c);
  occurrence.confirmed_on_stack = shows_at(profile, c, confirmation, finding.id) >= 0;
  occurrence.reproduction_snapshot = confirmation.snapshot;
  occurrence.reproduction_steps = confirmation.steps;
  const auto reference = harness::make_reference_stack(profile);
  const Trial by_reference = run_on(*reference, c);
  occurrence.passes_on_reference = by_reference.answered && judge(profile, c, by_reference).empty();
  for (const ProfileInfo& other : kProfiles) {
    if (other.profile == profile || !confirmation.answered) continue;
    if (judge(other.profile, c, confirmation).empty()) occurrence.legal_under.emplace_back(other.id);
  }
  c.id = "finding." + finding.id;
  std::transform(c.id.begin(), c.id.end(), c.id.begin(), [](unsigned char ch) { return std::tolower(ch); });
  c.title = finding.title;
  c.profiles = static_cast<std::uint8_t>(1u << static_cast<unsigned>(profile));
  occurrence.reproduction = std::move(c);
}

}  // namespace connstate::findings
