// findings.h — from results to findings: what a stack gets wrong, once per cause, with a confirmed
// minimal reproduction.
//
// A results file (`connstate run --json`, or a column of `compare --report-dir`) has one record per
// case. Many records fail for the same reason: one wrong row of a state table shows up in hundreds of
// generated snapshots and sequences. This library judges every answer step by step against the
// reference fed the same inputs, names each departure by the requirement it breaks (a rule id of the
// reference, or an event-model requirement of docs/spec/) and the shape of the departure ("connectionState
// connecting where the rule gives connected", "extra connectionstatechange on a DTLS change"), and
// groups the records by it: one finding per requirement broken and kind of departure, whatever value the
// stack gave instead (each distinct shape is listed as a variant). A finding's id depends on nothing else, so the same departure has the same id
// in every run, for every stack and whatever transports the cases used (docs/findings.md, "Ids").
//
// For each finding and stack, `reproduce` shrinks the smallest case that shows it (fewer transports,
// fewer steps, by delta debugging against the stack itself) and re-runs the result against the stack and
// against the reference to confirm it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/harness/stack.h"

namespace connstate::findings {

// One way an answer departs from the reference.
struct Departure {
  std::string requirement;  // a rule id ("pcs-2025.connected") or a docs/spec requirement ("close.no-events")
  std::string kind;         // "value", "extra-event", "missing-event", "duplicate-event", "misordered-events",
                            // "wrong-event-value", "protocol-error", "unclassified"
  std::string shape;        // what the stack did, in words, without transport names
  std::string key;          // the part of the shape the id is made from (the aggregate, for a value)
  std::string detail;       // the value the stack gave, or the event type(s): what varies within a finding
  std::string expected;     // the value the reference gives (values only)
  std::string where;        // "an ICE change", "close()" … (events only)
  int step = -1;            // the sequence step (0-based) where it shows; -1 for a snapshot

  // "F-<requirement>-<kind>-<8 hex digits of a hash of the key>"
  std::string id() const;
};

// Every departure of a stack's answer to a case, judged under `profile`. Snapshot: `observed` is the
// answer. Sequence: `steps` are the answered steps; each step is judged on its own (values against the
// reference after the same steps; events against what the reference fires, or, where the stack's values
// already departed, against the changes of the stack's own values, so one wrong value is not counted again
// as wrong events).
std::vector<Departure> judge_snapshot(Profile profile, const harness::Case& c, const harness::ObservedStates& observed);
std::vector<Departure> judge_sequence(Profile profile, const harness::Case& c,
                                      const std::vector<harness::StepOutcomeText>& steps);

// One result record read back from a results file.
struct ResultRecord {
  harness::Case c;  // rebuilt from the record's input (id, title, citation as recorded)
  harness::Verdict verdict = harness::Verdict::Pass;
  Profile profile = kDefaultProfile;
  harness::ObservedStates observed_snapshot;
  std::vector<harness::StepOutcomeText> observed_steps;
  std::string message;
};

struct StackRun {
  std::string file;      // the results file
  std::string sut, name, version, homepage, issues;
  std::string profile, tool_version, suite_version, date;
  std::vector<ResultRecord> non_pass;  // every record whose verdict is not pass
  std::size_t total = 0;
};

// Reads a results file; throws harness::InputError naming the file (and where in it) on bad input.
StackRun read_results(const std::string& path);

// A cause of a finding in the stack's own code, kept with the stack (tools/adapters/<stack>/annotations.json,
// docs/schemas/annotations.schema.json) and merged into the reports of that stack.
struct CodeCitation {
  std::string file, function, why;
};
struct Annotation {
  std::string finding;  // the finding id; empty when the entry matches no finding (`reason` says why)
  std::string variant;  // optional: the one variant (shape) of the finding this entry explains
  std::string summary, reason;
  std::vector<CodeCitation> code;
};
struct Annotations {
  std::string file, stack, version, code_root;
  std::vector<Annotation> entries;
};

// Where one stack shows a finding.
struct Occurrence {
  const StackRun* run = nullptr;
  std::vector<std::size_t> records;        // indexes into run->non_pass, each case once
  std::map<harness::Verdict, std::size_t> verdicts;
  std::optional<std::size_t> smallest;     // the record the reproduction starts from
  // Filled by reproduce():
  std::optional<harness::Case> reproduction;
  std::vector<harness::StepOutcomeText> reproduction_steps;  // the stack's answer to it
  harness::ObservedStates reproduction_snapshot;
  bool confirmed_on_stack = false;      // the re-run still shows the finding
  bool passes_on_reference = false;     // the reference passes it
  std::vector<std::string> legal_under; // other profiles under which the stack's answer has no departure
  std::string note;                     // why there is no reproduction, if there is none
  // Filled by apply_annotations(): the causes in the stack's code, and where their files are.
  std::vector<Annotation> annotations;
  std::string code_root;
};

struct Finding {
  Departure departure;  // as first seen (requirement, kind, shape, key)
  // Every distinct shape seen, with the number of results showing it (a wrong row of a table can give
  // several wrong values; the finding is the row).
  std::map<std::string, std::size_t> variants;
  std::string id, title;
  std::string spec_document, spec_anchor, spec_quote, spec_url;
  std::vector<std::string> notes;  // docs/spec links
  std::string requirement_text;    // what the stack must do, one line
  std::vector<Occurrence> stacks;
  // True when some result showing it failed (or broke the protocol); false when every result showing it
  // was an accepted alternative (non-strict, informational).
  bool failing = false;
};

// Judges every non-pass record of the runs and groups the departures into findings (sorted by id).
std::vector<Finding> group_findings(const std::vector<StackRun>& runs);

// Shrinks and confirms the reproduction of `occurrence` against `stack` (which must be the stack the
// results came from) and the reference.
void reproduce(const Finding& finding, Occurrence& occurrence, harness::StackUnderTest& stack);

// The reproduction as a case file (docs/case-format.md), loadable by harness::parse_case_file.
std::string reproduction_case_file(const Finding& finding, const Occurrence& occurrence);
// The protocol-1 request lines that replay it (hello, evaluate or reset + steps, bye).
std::vector<std::string> reproduction_requests(const Occurrence& occurrence);

// The findings known to an expectations file: its optional "findings" object, id -> reason.
std::map<std::string, std::string> read_known_findings(const std::string& expectations_path);

// Reads an annotations file; throws harness::InputError naming the file (and where in it) on bad input.
Annotations read_annotations(const std::string& path);
// Attaches each file's entries to the occurrences of the runs whose stack name (the adapter's hello) is
// the file's "stack". Returns the warnings: an entry naming a finding that no run of that stack shows, a
// file that matches no stack of the runs.
std::vector<std::string> apply_annotations(std::vector<Finding>& findings, const std::vector<StackRun>& runs,
                                           const std::vector<Annotations>& files);

// {"format":"connstate-findings","version":1,"findings":[…]} (docs/schemas/findings.schema.json).
std::string findings_json(const std::vector<Finding>& findings, const std::map<std::string, std::string>& known);

// One Markdown and one HTML bug report per finding and stack (F-….md, F-….html, with the reproduction as
// F-….case.json), and index.md + index.html per stack under `dir`/<stack_slug>/; matrix.md and
// matrix.html (rows findings, columns stacks, shared findings first) under `dir`. Returns the files written.
std::vector<std::string> write_report_dir(const std::vector<Finding>& findings,
                                          const std::map<std::string, std::string>& known, const std::string& dir);
// The same, with a column in the matrix and an index for each of `runs`, also those without findings
// (two runs of the same stack and version get their profile in their folder name).
std::vector<std::string> write_report_dir(const std::vector<Finding>& findings,
                                          const std::map<std::string, std::string>& known, const std::string& dir,
                                          const std::vector<StackRun>& runs);

// A stack's findings on one Markdown page that stands alone (what a stack's FINDINGS.md is): the table of
// the index (finding, what, cases, reproduction, cause in the code) and a section per finding with the
// requirement, the reproduction's steps and the causes in the code. `page_dir` is the folder the page is
// written to (its docs/spec links are relative to it); `preamble` a paragraph after the title. The entries
// of `annotations` files for this stack that name no finding (declined inputs, observations) close the page.
std::string stack_summary_markdown(const std::vector<Finding>& findings, const StackRun& run,
                                   const std::map<std::string, std::string>& known, const std::string& page_dir,
                                   const std::string& preamble, const std::vector<Annotations>& annotations = {});

// "3 transports", "a closed pc with no transport", "4 steps": the size of a reproduction, in words.
std::string reproduction_size(const harness::Case& c);

// The folder name of a stack's reports ("aiortc-1.9.0").
std::string stack_slug(const StackRun& run);

}  // namespace connstate::findings
