// runner.cpp — see runner.h.
#include "connstate/harness/runner.h"

#include <algorithm>
#include <charconv>

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

// Readies `r` (reused from the previous case: its storage is kept) for case `c`.
void prepare(CaseResult& r, const Case& c, Profile profile) {
  r.c = &c;
  r.profile = profile;
  r.verdict = Verdict::Pass;
  expected_outcome_into(c, profile, r.expected);
  r.observed_snapshot = {};
  r.observed_steps.clear();
  r.first_difference = -1;
  r.message.clear();
  r.evidence.clear();
  r.matched_note.clear();
  r.micros = 0;
  r.expectation = nullptr;
  r.unexpected = r.unexpected_pass = false;
  r.alternatives = acceptable_alternatives(c, profile, r.expected);
}

// An answer that declined the case or broke the protocol decides the verdict by itself.
bool judged_without_answer(CaseResult& r, AnswerStatus status, const std::string& message, const std::string& evidence) {
  if (status == AnswerStatus::Ok) return false;
  r.verdict = status == AnswerStatus::Unsupported ? Verdict::Unsupported : Verdict::Error;
  r.message = message;
  if (status == AnswerStatus::Error) r.evidence = evidence;
  return true;
}

}  // namespace

void judge_snapshot(CaseResult& r, const SnapshotAnswer& a) {
  if (judged_without_answer(r, a.status, a.message, a.evidence)) return;
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
  if (judged_without_answer(r, a.status, a.message, a.evidence)) return;
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

std::optional<Shard> parse_shard(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<std::size_t> {
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
  };
  const auto index = number(text.substr(0, slash)), count = number(text.substr(slash + 1));
  if (!index || !count || *index < 1 || *index > *count) return std::nullopt;
  return Shard{*index - 1, *count};
}

CaseStream::CaseStream(const Suite& suite, Selection selection, Profile profile, Shard shard, bool with_text)
    : suite_(suite),
      selection_(std::move(selection)),
      profile_(profile),
      shard_(shard),
      generated_(suite.streamed_exhaustive_depth, suite.streamed_sequence_depth, with_text) {}

bool CaseStream::wanted(const Case& c) {
  if (!c.applies_to(profile_) || !selected(c, selection_)) return false;
  return shard_.takes(position_++);
}

const Case* CaseStream::next(Case& scratch) {
  while (hand_written_next_ < suite_.cases.size()) {
    const Case& c = suite_.cases[hand_written_next_++];
    if (wanted(c)) return &c;
  }
  while (generated_.next(scratch))
    if (wanted(scratch)) return &scratch;
  return nullptr;
}

std::size_t count_selected(const Suite& suite, const Selection& selection, Profile profile, Shard shard) {
  CaseStream stream(suite, selection, profile, shard, /*with_text=*/false);
  Case scratch;
  std::size_t n = 0;
  while (stream.next(scratch)) ++n;
  return n;
}

bool any_case(const Suite& suite, const std::function<bool(const Case&)>& pred) {
  if (std::any_of(suite.cases.begin(), suite.cases.end(), pred)) return true;
  GeneratedCases generated(suite.streamed_exhaustive_depth, suite.streamed_sequence_depth);
  Case scratch;
  while (generated.next(scratch))
    if (pred(scratch)) return true;
  return false;
}

namespace {

class VectorSource final : public CaseSource {
 public:
  explicit VectorSource(const std::vector<const Case*>& cases) : cases_(cases) {}
  const Case* next(Case&) override { return next_ < cases_.size() ? cases_[next_++] : nullptr; }

 private:
  const std::vector<const Case*>& cases_;
  std::size_t next_ = 0;
};

using Clock = std::chrono::steady_clock;

// One run's state: the counts so far and the snapshot cases waiting to be evaluated together.
class Run {
 public:
  Run(StackUnderTest& stack, const RunOptions& options, const std::vector<ResultSink*>& sinks)
      : stack_(stack), info_(stack.info()), options_(options), sinks_(sinks), scratch_(std::max<std::size_t>(options.batch, 1)) {}

  // Where the source may build the next case: a slot the pending batch does not use.
  Case& scratch() { return batch_.size() < scratch_.size() ? scratch_[batch_.size()] : sequence_scratch_; }

  void take(const Case& c) {
    if (c.kind == CaseKind::Snapshot) {
      batch_.push_back(&c);
      if (batch_.size() >= scratch_.size()) flush_batch();
      return;
    }
    flush_batch();
    run_sequence(c);
  }

  void flush_batch() {
    if (batch_.empty()) return;
    answers_.assign(batch_.size(), SnapshotAnswer{});
    const auto t0 = Clock::now();
    if (info_.supports_evaluate) {
      stack_.evaluate(batch_, answers_);
    } else {
      for (auto& a : answers_) {
        a.status = AnswerStatus::Unsupported;
        a.message = "the stack does not support snapshot evaluation";
      }
    }
    const double per_case =
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / static_cast<double>(batch_.size());
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      CaseResult& r = result_;
      prepare(r, *batch_[i], options_.profile);
      judge_snapshot(r, answers_[i]);
      r.micros = per_case;
      finish(r);
    }
    batch_.clear();
  }

  RunSummary summary;

 private:
  void run_sequence(const Case& c) {
    CaseResult& r = result_;
    prepare(r, c, options_.profile);
    const auto t0 = Clock::now();
    SequenceAnswer a;
    if (info_.supports_sequence) {
      a = stack_.run_sequence(c);
    } else {
      a.status = AnswerStatus::Unsupported;
      a.message = "the stack does not support sequences";
    }
    r.micros = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    judge_sequence(r, a);
    finish(r);
  }

  void finish(CaseResult& r) {
    r.expectation = options_.expectations ? options_.expectations->find(*r.c) : nullptr;
    r.unexpected_pass = is_unexpected_pass(r.verdict, r.expectation, options_.strict);
    r.unexpected = is_unexpected(r.verdict, r.expectation, options_.strict) &&
                   (!r.unexpected_pass || options_.fail_on_unexpected_pass);
    ++summary.counts[static_cast<std::size_t>(r.verdict)];
    summary.unexpected += r.unexpected ? 1 : 0;
    summary.unexpected_passes += r.unexpected_pass ? 1 : 0;
    ++summary.total;
    for (ResultSink* s : sinks_) s->add(r);
  }

  StackUnderTest& stack_;
  const StackInfo& info_;
  const RunOptions& options_;
  const std::vector<ResultSink*>& sinks_;
  std::vector<Case> scratch_;  // a generated case is built in the slot of its place in the batch
  Case sequence_scratch_;
  std::vector<const Case*> batch_;
  std::vector<SnapshotAnswer> answers_;
  CaseResult result_;  // one at a time: the sinks render it before the next
};

}  // namespace

RunSummary run_cases(CaseSource& cases, std::size_t total, StackUnderTest& stack, const RunOptions& options,
                     const RunHeader& header, const std::vector<ResultSink*>& sinks) {
  const auto start = Clock::now();
  for (ResultSink* s : sinks) s->begin(header);
  Run run(stack, options, sinks);
  std::size_t done = 0;
  while (true) {
    const Case* c = cases.next(run.scratch());
    if (!c) break;
    if (options.stop && *options.stop) {
      run.summary.interrupted = true;
      break;
    }
    run.take(*c);
    ++done;
    if (options.progress && (done & 255) == 0) options.progress(done, total);
  }
  run.flush_batch();
  RunSummary summary = run.summary;
  if (options.progress) options.progress(summary.total, total);
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  summary.stack_diagnostics = stack.diagnostics();
  for (ResultSink* s : sinks) s->end(header, summary);
  return summary;
}

RunSummary run_cases(const std::vector<const Case*>& cases, StackUnderTest& stack, const RunOptions& options,
                     const RunHeader& header, const std::vector<ResultSink*>& sinks) {
  VectorSource source(cases);
  return run_cases(source, cases.size(), stack, options, header, sinks);
}

}  // namespace connstate::harness
