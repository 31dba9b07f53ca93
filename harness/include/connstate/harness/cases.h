// cases.h — conformance cases: the data model, the loader for cases/, and the generated suites.
//
// A case is pure data (see cases/schema/case-file.schema.json and docs/case-format.md):
// a snapshot (closed flag + transports) or a sequence of steps, the profiles it
// applies to, its spec citation and the docs/spec/ notes that explain it, the old
// ids it used to have (aliases, still accepted wherever a case id is), and
// optionally expected values and alternative outcomes. The `pass` answer of a case under a profile is what the reference
// computes (expected_outcome); expected values written in a case file are only a
// cross-check of the reference, done when the suite loads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connstate/peer_connection_model.h"

namespace connstate::harness {

enum class CaseKind : std::uint8_t { Snapshot, Sequence };

enum class Verdict : std::uint8_t { Pass, NonStrict, Informational, Fail, Error, Unsupported };
std::string_view to_string(Verdict v);
std::optional<Verdict> parse_verdict(std::string_view text);

// A state a listener reads: a spec string, or std::nullopt for null/undefined.
using StateText = std::optional<std::string>;

struct ObservedStates {
  StateText connection_state;
  StateText ice_connection_state;
  friend bool operator==(const ObservedStates&, const ObservedStates&) = default;
};

// "pc connectionstatechange connected", "ice:t0 statechange checking"
using EventText = std::string;

struct StepOutcomeText {
  std::vector<EventText> events;
  ObservedStates states;
  friend bool operator==(const StepOutcomeText&, const StepOutcomeText&) = default;
};

// Partial expectations (a field that is absent is not constrained/overridden).
struct PartialStates {
  std::optional<StateText> connection_state;
  std::optional<StateText> ice_connection_state;
};
struct PartialStep {
  std::optional<std::vector<EventText>> events;
  PartialStates states;
};

struct Alternative {
  Verdict verdict = Verdict::NonStrict;
  std::uint8_t profiles = 0xf;  // bit per Profile
  std::string note;
  PartialStates snapshot;                     // snapshot cases
  std::map<std::size_t, PartialStep> steps;   // sequence cases, by step index
};

struct SequenceStep {
  Step step;                // transport ids are indexes into Case::transport_names
  std::string transport;    // the name used in the case ("t0")
  PartialStep expect;       // for every profile of the case
  std::map<Profile, PartialStep> expect_by_profile;
};

struct Case {
  std::string id;
  std::vector<std::string> aliases;  // former ids: selecting, expecting or explaining them means this case
  std::string title;
  CaseKind kind = CaseKind::Snapshot;
  std::uint8_t profiles = 0xf;
  std::vector<std::string> tags;
  std::string section;        // e.g. "connection-state"
  std::string section_title;
  // Empty for generated snapshots: they are cited by the rule rows that decide them under the
  // profile of the run (reports.h, citation_of).
  std::string spec_document, spec_anchor, spec_quote;
  std::string requirement;
  std::vector<std::string> see;  // the project's notes on it: "docs/spec/<page>.md#<anchor>"
  std::string file;           // relative to the cases directory ("" for generated cases)
  int line = 0;
  bool generated = false;
  ModelOptions options;

  bool closed = false;
  std::vector<TransportState> transports;
  PartialStates expect;
  std::map<Profile, PartialStates> expect_by_profile;

  std::vector<std::string> transport_names;
  std::vector<SequenceStep> steps;

  std::vector<Alternative> alternatives;

  bool applies_to(Profile p) const { return (profiles >> static_cast<unsigned>(p)) & 1u; }
  // Is this case named `name`, by its id or by one of its aliases?
  bool is_named(std::string_view name) const;
  // Does the id glob match its id or one of its aliases?
  bool matches(std::string_view id_glob) const;
};

// The reference's answer for a case under a profile (the `pass` outcome), and the reason.
struct ExpectedOutcome {
  ObservedStates snapshot;                 // snapshot cases
  std::vector<StepOutcomeText> steps;      // sequence cases
  std::string reason;                      // rule ids that decided it (snapshot) or the model's note
  // Snapshot cases: the rules that decided connectionState and iceConnectionState, in that order
  // (reports quote them and link them to the spec and docs/spec/). Empty for sequences.
  std::vector<RuleId> rules;
};

ExpectedOutcome expected_outcome(const Case& c, Profile profile);
// What the reference answers for the case's input under a reading of the text (readings.h) and
// with `options` in place of the case's own: expected_outcome() is the literal reading.
ExpectedOutcome outcome_under(const Case& c, Profile profile, const Readings& readings, const ModelOptions& options);
// The same, written into `out` (its storage reused: a run computes one per case).
void expected_outcome_into(const Case& c, Profile profile, ExpectedOutcome& out);
// The alternative's outcome: the pass outcome with the alternative's overrides applied.
ExpectedOutcome alternative_outcome(const Case& c, const Alternative& alt, const ExpectedOutcome& pass);
// Every answer other than `pass` the case accepts under `profile`, with its verdict: what the
// documented readings give for its input (derived_alternatives in readings.h), then the
// case's written `pass` and `fail` alternatives. Written `non-strict` and `informational`
// alternatives are not added: the loader has checked that the readings give each of them.
std::vector<std::pair<Verdict, ExpectedOutcome>> acceptable_alternatives(const Case& c, Profile profile,
                                                                         const ExpectedOutcome& pass);

std::string event_text(const Event& e, const std::vector<std::string>& transport_names);
void assign_event_text(std::string& out, const Event& e, const std::vector<std::string>& transport_names);
std::string step_text(const SequenceStep& s);   // "ice t0 checking"

// The generated suites (exhaustive-N snapshots, then the sequences of length N), produced one case
// at a time in suite order: a run of millions of generated cases holds one of them, not the suite.
class GeneratedCases {
 public:
  // 0 = that suite is left out. with_text = false: only what selects a case is filled in (id, kind,
  // section, tags, input), not its title, requirement or citation (for counting a selection).
  GeneratedCases(int exhaustive_depth, int sequence_depth, bool with_text = true);
  ~GeneratedCases();
  GeneratedCases(GeneratedCases&&) noexcept;
  GeneratedCases& operator=(GeneratedCases&&) noexcept;
  // Writes the next case into `out`, reusing its storage; false after the last one.
  bool next(Case& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct Suite {
  std::vector<Case> cases;  // the hand-written cases, then the generated ones unless they are streamed
  std::string cases_dir;
  std::string suite_version;  // hash of the case files
  std::size_t hand_written = 0;
  // Generated suites that are not in `cases` (LoadOptions::stream_generated): a CaseStream
  // (runner.h) produces them after the hand-written cases.
  int streamed_exhaustive_depth = 0;
  int streamed_sequence_depth = 0;
};

struct LoadOptions {
  int exhaustive_depth = 3;   // exhaustive-N snapshot suite; 0 = none
  int sequence_depth = 4;     // bounded sequences over 2 transports; 0 = none
  // The generated suites are produced case by case when a run needs them instead of being stored
  // in Suite::cases (what `run` and `compare` do: their memory stays flat in the suite's size).
  bool stream_generated = false;
};

// Loads every cases/**/*.json (sorted), validates it and cross-checks given expected
// values against the reference; adds the generated suites. Throws InputError
// (file, line, column) on the first problem: a bad suite runs nothing.
Suite load_suite(const std::string& cases_dir, const LoadOptions& options);
// Parses one case file's text (used by load_suite and by the parser fuzz target).
std::vector<Case> parse_case_file(std::string_view text, const std::string& file_name);
// Checks a case's written expectations against the reference (FieldError on disagreement).
void cross_check(const Case& c, const std::string& pointer);

// The case with this id or alias, or nullptr. Ids and aliases are unique across the
// suite (the loader refuses a file that reuses one), so the answer is unambiguous. Every
// lookup of a case by a user-given id goes through here.
const Case* find_case(const Suite& suite, std::string_view id_or_alias);

// What a generated case is about, as its title says it:
// "open PC: checking/new + connected/connected", "t0 added → t0 ICE checking → close()".
std::string snapshot_title(bool closed, std::span<const TransportState> transports);
std::string sequence_title(const std::vector<SequenceStep>& steps);
// Every step the generated sequences (and spec-diff) try over transports t0 and t1.
std::vector<Step> sequence_alphabet();

void add_exhaustive_suite(std::vector<Case>& out, int max_transports);
void add_sequence_suite(std::vector<Case>& out, int depth);
std::size_t exhaustive_snapshot_count(int max_transports);

// Where the cases are: --cases-dir, $CONNSTATE_CASES_DIR, the installed data dir, the source tree.
std::string default_cases_dir();
// A stable hash (FNV-1a 64, hex) of the given files' names and contents.
std::string hash_files(const std::vector<std::string>& paths, const std::string& root);

// Case-id glob: '*' any run, '?' one character.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace connstate::harness
