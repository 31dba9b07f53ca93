// generated_cases.cpp — the generated suites (exhaustive snapshots, bounded sequences), produced
// one case at a time so that a run of millions of cases keeps one case in memory, not the suite.
#include <cstdint>

#include "connstate/harness/cases.h"
#include "connstate/harness/spec_links.h"
#include "connstate/harness/why.h"

namespace connstate::harness {

namespace {

void append_transport(std::string& out, const TransportState& t) {
  out += to_string(t.ice);
  out += '/';
  out += to_string(t.dtls);
  if (t.sctp_only) out += " (sctp only)";
}

void append_snapshot_title(std::string& out, bool closed, std::span<const TransportState> transports) {
  out += closed ? "closed PC" : "open PC";
  if (transports.empty()) {
    out += ", no transports";
    return;
  }
  out += closed ? " with " : ": ";
  for (std::size_t i = 0; i < transports.size(); ++i) {
    if (i) out += " + ";
    append_transport(out, transports[i]);
  }
}

void append_sequence_title(std::string& out, const std::vector<SequenceStep>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const SequenceStep& s = steps[i];
    if (i) out += " \u2192 ";
    switch (s.step.kind) {
      case StepKind::Add: out += s.transport + " added"; break;
      case StepKind::Remove: out += s.transport + " removed"; break;
      case StepKind::Close: out += "close()"; break;
      case StepKind::Ice:
        out += s.transport;
        out += " ICE ";
        out += to_string(static_cast<IceTransportState>(s.step.state));
        break;
      case StepKind::Dtls:
        out += s.transport;
        out += " DTLS ";
        out += to_string(static_cast<DtlsTransportState>(s.step.state));
        break;
    }
  }
}

// A scratch case is reused for every generated case: what one case set must not leak into the next.
void reset_generated(Case& c, CaseKind kind) {
  c.aliases.clear();
  c.kind = kind;
  c.profiles = 0xf;
  c.spec_document.clear();
  c.spec_anchor.clear();
  c.spec_quote.clear();
  c.see.clear();
  c.file.clear();
  c.line = 0;
  c.generated = true;
  c.options = {};
  c.closed = false;
  c.transports.clear();
  c.expect = {};
  c.expect_by_profile.clear();
  c.transport_names.clear();
  c.steps.clear();
  c.alternatives.clear();
}

constexpr std::size_t kPairCount = enum_count<IceTransportState> * enum_count<DtlsTransportState>;

TransportState pair_at(std::size_t index) {
  return {enum_at<IceTransportState>(index / enum_count<DtlsTransportState>),
          enum_at<DtlsTransportState>(index % enum_count<DtlsTransportState>), false};
}

// Every multiset of at most `max` (ICE, DTLS) pairs, each open then closed, in the order of a
// depth-first walk over non-decreasing pair indexes (the order the suite has always had).
class ExhaustiveGenerator {
 public:
  ExhaustiveGenerator(int max, bool with_text)
      : max_(static_cast<std::size_t>(max)), with_text_(with_text), suite_("exhaustive-" + std::to_string(max)) {
    section_title_ = "Generated: every snapshot of at most " + std::to_string(max) + " transports";
  }
  bool next(Case& c) {
    if (done_) return false;
    fill(c);
    if (!closed_) {
      closed_ = true;
    } else {
      closed_ = false;
      done_ = !advance();
    }
    return true;
  }

 private:
  bool advance() {
    if (indexes_.size() < max_) {
      indexes_.push_back(indexes_.empty() ? 0 : indexes_.back());
      return true;
    }
    while (!indexes_.empty()) {
      if (++indexes_.back() < kPairCount) return true;
      indexes_.pop_back();
    }
    return false;
  }
  void fill(Case& c) {
    reset_generated(c, CaseKind::Snapshot);
    for (std::size_t i : indexes_) c.transports.push_back(pair_at(i));
    c.closed = closed_;
    c.id.assign(closed_ ? "exhaustive.closed" : "exhaustive.open");
    if (c.transports.empty()) c.id += ".none";
    for (const TransportState& t : c.transports) {
      c.id += '.';
      c.id += to_string(t.ice);
      c.id += '-';
      c.id += to_string(t.dtls);
    }
    c.title.clear();
    if (with_text_) append_snapshot_title(c.title, closed_, c.transports);
    c.tags.resize(3);
    c.tags[0].assign("generated");
    c.tags[1].assign(suite_);
    c.tags[2] = "transports-" + std::to_string(c.transports.size());
    c.section.assign("exhaustive");
    c.section_title.assign(section_title_);
    // No spec sentence of its own: what it tests is the row that decides each value, which depends
    // on the profile; reports cite those rows with their quotes (citation_of, decided_by_lines).
    c.requirement.assign("connectionState and iceConnectionState are the values the profile's state tables give");
  }

  std::size_t max_;
  bool with_text_;
  std::string suite_, section_title_;
  std::vector<std::size_t> indexes_;
  bool closed_ = false;
  bool done_ = false;
};

// Every step sequence of `depth` steps over t0 and t1 (shorter when it ends with close()), t1 used
// only after t0 is added (no mirror images), each step one the model accepts.
class SequenceGenerator {
 public:
  SequenceGenerator(int depth, bool with_text)
      : depth_(static_cast<std::size_t>(depth)),
        with_text_(with_text),
        alphabet_(sequence_alphabet()),
        suite_("sequences-" + std::to_string(depth)) {
    section_title_ = "Generated: every step sequence of length " + std::to_string(depth) + " over 2 transports";
    frames_.reserve(depth_ + 1);
    frames_.push_back({PeerConnectionModel(Profile::Rec2025), 0, false});
  }
  bool next(Case& c) {
    while (!frames_.empty()) {
      Frame& f = frames_.back();
      if (frames_.size() - 1 == depth_ || f.model.is_closed()) {
        fill(c);
        pop();
        return true;
      }
      if (f.next_step == alphabet_.size()) {
        pop();
        continue;
      }
      const Step& s = alphabet_[f.next_step++];
      if (s.transport == 1 && !f.t1_allowed && s.kind != StepKind::Close) continue;
      PeerConnectionModel after = f.model;
      if (after.apply(s).outcome != StepOutcome::Applied) continue;
      const bool t1_allowed = f.t1_allowed || (s.kind == StepKind::Add && s.transport == 0);
      current_.push_back({s, s.kind == StepKind::Close ? std::string() : kNames[s.transport], {}, {}});
      frames_.push_back({std::move(after), 0, t1_allowed});
    }
    return false;
  }

 private:
  struct Frame {
    PeerConnectionModel model;
    std::size_t next_step;
    bool t1_allowed;
  };
  static inline const std::vector<std::string> kNames = {"t0", "t1"};

  void pop() {
    frames_.pop_back();
    if (!current_.empty() && frames_.size() <= current_.size()) current_.pop_back();
  }
  void fill(Case& c) {
    reset_generated(c, CaseKind::Sequence);
    c.id.assign("seq");
    for (const SequenceStep& s : current_) {
      c.id += '.';
      c.id += to_string(s.step.kind);
      if (s.step.kind != StepKind::Close) {
        c.id += '-';
        c.id += s.transport;
      }
      if (s.step.kind == StepKind::Ice) {
        c.id += '-';
        c.id += to_string(static_cast<IceTransportState>(s.step.state));
      }
      if (s.step.kind == StepKind::Dtls) {
        c.id += '-';
        c.id += to_string(static_cast<DtlsTransportState>(s.step.state));
      }
    }
    c.title.clear();
    c.tags.resize(2);
    c.tags[0].assign("generated");
    c.tags[1].assign(suite_);
    c.section.assign("bounded-sequences");
    c.steps = current_;
    if (!with_text_) return;
    append_sequence_title(c.title, current_);
    c.section_title.assign(section_title_);
    // Each sequence extends a shorter one by its last step: that step is what it adds, so it cites
    // the event-model requirement of that step.
    const Requirement& req = event_requirement(current_.back().step.kind);
    c.spec_document.assign(req.document);
    c.spec_anchor.assign(req.anchor);
    c.spec_quote.assign(req.quote);
    c.requirement.assign(req.text);
    c.see.assign(req.notes.begin(), req.notes.end());
    c.transport_names = kNames;
  }

  std::size_t depth_;
  bool with_text_;
  std::vector<Step> alphabet_;
  std::string suite_, section_title_;
  std::vector<Frame> frames_;
  std::vector<SequenceStep> current_;
};

}  // namespace

struct GeneratedCases::State {
  std::optional<ExhaustiveGenerator> exhaustive;
  std::optional<SequenceGenerator> sequences;
};

GeneratedCases::GeneratedCases(int exhaustive_depth, int sequence_depth, bool with_text)
    : state_(std::make_unique<State>()) {
  if (exhaustive_depth > 0) state_->exhaustive.emplace(exhaustive_depth, with_text);
  if (sequence_depth > 0) state_->sequences.emplace(sequence_depth, with_text);
}
GeneratedCases::~GeneratedCases() = default;
GeneratedCases::GeneratedCases(GeneratedCases&&) noexcept = default;
GeneratedCases& GeneratedCases::operator=(GeneratedCases&&) noexcept = default;

bool GeneratedCases::next(Case& out) {
  if (state_->exhaustive) {
    if (state_->exhaustive->next(out)) return true;
    state_->exhaustive.reset();
  }
  if (state_->sequences) {
    if (state_->sequences->next(out)) return true;
    state_->sequences.reset();
  }
  return false;
}

// "checking/new + connected/connected", "closed PC with connected/connected", "open PC, no transports"
std::string snapshot_title(bool closed, std::span<const TransportState> transports) {
  std::string title;
  append_snapshot_title(title, closed, transports);
  return title;
}

// "t0 added → t0 ICE checking → t0 DTLS connecting → close()"
std::string sequence_title(const std::vector<SequenceStep>& steps) {
  std::string title;
  append_sequence_title(title, steps);
  return title;
}

std::vector<Step> sequence_alphabet() {
  std::vector<Step> alphabet;
  for (TransportId t : {TransportId{0}, TransportId{1}}) {
    alphabet.push_back(Step::add(t));
    alphabet.push_back(Step::remove(t));
    for (std::size_t i = 0; i < enum_count<IceTransportState>; ++i)
      alphabet.push_back(Step::ice(t, enum_at<IceTransportState>(i)));
    for (std::size_t d = 0; d < enum_count<DtlsTransportState>; ++d)
      alphabet.push_back(Step::dtls(t, enum_at<DtlsTransportState>(d)));
  }
  alphabet.push_back(Step::close());
  return alphabet;
}

std::size_t exhaustive_snapshot_count(int max_transports) {
  // Multisets of at most N of the 35 pairs, times the closed flag.
  std::size_t total = 0, term = 1;
  for (int k = 0; k <= max_transports; ++k) {
    if (k > 0) term = term * static_cast<std::size_t>(kPairCount + static_cast<std::size_t>(k) - 1) / static_cast<std::size_t>(k);
    total += term;
  }
  return total * 2;
}

void add_exhaustive_suite(std::vector<Case>& out, int max_transports) {
  out.reserve(out.size() + exhaustive_snapshot_count(max_transports));  // no moves of 164k cases while growing
  GeneratedCases generated(max_transports, 0);
  Case c;
  while (generated.next(c)) out.push_back(c);
}

void add_sequence_suite(std::vector<Case>& out, int depth) {
  GeneratedCases generated(0, depth);
  Case c;
  while (generated.next(c)) out.push_back(c);
}

}  // namespace connstate::harness
