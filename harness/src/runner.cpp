// runner.cpp — see runner.h.
#include "connstate/harness/runner.h"

#include <algorithm>

namespace connstate::harness {

std::string show_state(const StateText& s) { return s ? *s : std::string("null"); }

std::string show_step(const StepOutcomeText& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.events.size(); ++i) out += (i ? ", " : "") + s.events[i];
  out += "] connectionState=" + show_state(s.states.connection_state) +
         " iceConnectionState=" + show_state(s.states.ice_connection_state);
  return out;
}

bool selected(const Case& c, const Selection& s) {
  if (!s.patterns.empty() &&
      std::none_of(s.patterns.begin(), s.patterns.end(), [&](const std::string& p) { return c.matches(p); }))
    return false;
  if (!s.tags.empty() && std::none_of(s.tags.begin(), s.tags.end(), [&](const std::string& t) {
        return t == c.section || std::find(c.tags.begin(), c.tags.end(), t) != c.tags.end();
      }))
    return false;
  if (std::any_of(s.exclude.begin(), s.exclude.end(), [&](const std::string& p) { return c.matches(p); }))
    return false;
  return true;
}

std::vector<const Case*> select_cases(const Suite& suite, const Selection& s, Profile profile) {
  std::vector<const Case*> out;
  for (const Case& c : suite.cases)
    if (c.applies_to(profile) && selected(c, s)) out.push_back(&c);
  return out;
}

namespace {

int verdict_rank(Verdict v) {  // lower is better
  switch (v) {
    case Verdict::Pass: return 0;
    case Verdict::NonStrict: return 1;
    case Verdict::Informational: return 2;
    default: return 3;
  }
}

void prepare(CaseResult& r, const Case& c, Profile profile) {
  r.c = &c;
  r.profile = profile;
  r.expected = expected_outcome(c, profile);
  r.alternatives = acceptable_alternatives(c, profile, r.expected);
}

}  // namespace

void judge_snapshot(CaseResult& r, const SnapshotAnswer& a) {
  if (a.status == AnswerStatus::Unsupported) {
    r.verdict = Verdict::Unsupported;
    r.message = a.message;
    return;
  }
  if (a.status == AnswerStatus::Error) {
    r.verdict = Verdict::Error;
    r.message = a.message;
    r.evidence = a.evidence;
    return;
  }
  r.observed_snapshot = a.states;
  if (a.states == r.expected.snapshot) {
    r.verdict = Verdict::Pass;
    return;
  }
  r.verdict = Verdict::Fail;
  for (const auto& [verdict, outcome] : r.alternatives) {
    if (a.states == outcome.snapshot && verdict_rank(verdict) < verdict_rank(r.verdict)) {
      r.verdict = verdict;
      r.matched_note = outcome.reason;
    }
  }
  const auto& want = r.expected.snapshot;
  std::string msg;
  if (a.states.connection_state != want.connection_state)
    msg += "connectionState is " + show_state(a.states.connection_state) + ", expected " + show_state(want.connection_state);
  if (a.states.ice_connection_state != want.ice_connection_state)
    msg += std::string(msg.empty() ? "" : "; ") + "iceConnectionState is " + show_state(a.states.ice_connection_state) +
           ", expected " + show_state(want.ice_connection_state);
  r.message = msg;
}

void judge_sequence(CaseResult& r, const SequenceAnswer& a) {
  r.observed_steps = a.steps;
  if (a.status == AnswerStatus::Unsupported) {
    r.verdict = Verdict::Unsupported;
    r.message = a.message;
    return;
  }
  if (a.status == AnswerStatus::Error) {
    r.verdict = Verdict::Error;
    r.message = a.message;
    r.evidence = a.evidence;
    return;
  }
  const auto& want = r.expected.steps;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (i >= a.steps.size() || !(a.steps[i] == want[i])) {
      r.first_difference = static_cast<int>(i);
      break;
    }
  }
  if (r.first_difference < 0 && a.steps.size() == want.size()) {
    r.verdict = Verdict::Pass;
    return;
  }
  r.verdict = Verdict::Fail;
  for (const auto& [verdict, outcome] : r.alternatives) {
    if (a.steps == outcome.steps && verdict_rank(verdict) < verdict_rank(r.verdict)) {
      r.verdict = verdict;
      r.matched_note = outcome.reason;
    }
  }
  const std::size_t i = r.first_difference < 0 ? want.size() : static_cast<std::size_t>(r.first_difference);
  if (i < want.size() && i < a.steps.size()) {
    r.message = "step " + std::to_string(i) + " (" + step_text(r.c->steps[i]) + "): got " + show_step(a.steps[i]) +
                ", expected " + show_step(want[i]);
  } else {
    r.message = "answered " + std::to_string(a.steps.size()) + " of " + std::to_string(want.size()) + " steps";
  }
}

RunSummary run_cases(const std::vector<const Case*>& cases, StackUnderTest& stack, const RunOptions& options,
                     const RunHeader& header, const std::vector<ResultSink*>& sinks) {
  using clock = std::chrono::steady_clock;
  RunSummary summary;
  const auto start = clock::now();
  for (ResultSink* s : sinks) s->begin(header);
  const StackInfo& info = stack.info();

  auto finish = [&](CaseResult& r) {
    r.expectation = options.expectations ? options.expectations->find(*r.c) : nullptr;
    r.unexpected_pass = is_unexpected_pass(r.verdict, r.expectation, options.strict);
    r.unexpected = is_unexpected(r.verdict, r.expectation, options.strict) &&
                   (!r.unexpected_pass || options.fail_on_unexpected_pass);
    ++summary.counts[static_cast<std::size_t>(r.verdict)];
    summary.unexpected += r.unexpected ? 1 : 0;
    summary.unexpected_passes += r.unexpected_pass ? 1 : 0;
    ++summary.total;
    for (ResultSink* s : sinks) s->add(r);
  };

  std::vector<const Case*> batch;
  std::vector<SnapshotAnswer> answers;
  auto flush_batch = [&]() {
    if (batch.empty()) return;
    answers.assign(batch.size(), SnapshotAnswer{});
    const auto t0 = clock::now();
    if (info.supports_evaluate) {
      stack.evaluate(batch, answers);
    } else {
      for (auto& a : answers) {
        a.status = AnswerStatus::Unsupported;
        a.message = "the stack does not support snapshot evaluation";
      }
    }
    const double per_case =
        std::chrono::duration<double, std::micro>(clock::now() - t0).count() / static_cast<double>(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      CaseResult r;
      prepare(r, *batch[i], options.profile);
      judge_snapshot(r, answers[i]);
      r.micros = per_case;
      finish(r);
    }
    batch.clear();
  };

  std::size_t done = 0;
  for (const Case* c : cases) {
    if (options.stop && *options.stop) {
      summary.interrupted = true;
      break;
    }
    if (c->kind == CaseKind::Snapshot) {
      batch.push_back(c);
      if (batch.size() >= options.batch) flush_batch();
    } else {
      flush_batch();
      CaseResult r;
      prepare(r, *c, options.profile);
      const auto t0 = clock::now();
      SequenceAnswer a;
      if (info.supports_sequence) {
        a = stack.run_sequence(*c);
      } else {
        a.status = AnswerStatus::Unsupported;
        a.message = "the stack does not support sequences";
      }
      r.micros = std::chrono::duration<double, std::micro>(clock::now() - t0).count();
      judge_sequence(r, a);
      finish(r);
    }
    ++done;
    if (options.progress && (done & 255) == 0) options.progress(done, cases.size());
  }
  flush_batch();
  if (options.progress) options.progress(summary.total, cases.size());
  summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
  summary.stack_diagnostics = stack.diagnostics();
  for (ResultSink* s : sinks) s->end(header, summary);
  return summary;
}

}  // namespace connstate::harness
