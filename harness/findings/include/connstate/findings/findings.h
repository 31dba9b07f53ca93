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
//
// Recorded traces are evidence too: the findings of `connstate check-trace` are named by the same
// requirements, kinds and ids (trace_departures), a stack's traces join its run's column (add_traces), and
// `reproduce_from_trace` shrinks a minimal excerpt of the recording, confirmed by checking it again.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/harness/stack.h"
#include "connstate/trace/trace.h"

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

// One peer connection of a recorded trace, as `connstate check-trace --json` judged it (docs/findings.md,
// "Findings from traces").
struct TracePcRecord {
  std::string id;        // "<trace id>#<pc>"
  std::string trace_id;  // the trace file's path relative to check-trace's --root, without extension
  std::string file;      // the trace file as check-trace was given it
  std::string resolved_file;  // where read_trace_results found it ("" = not found: no excerpt)
  std::string pc;
  std::string stack, stack_version, scenario, recorded;
  harness::Verdict verdict = harness::Verdict::Pass;
  Profile profile = kDefaultProfile;
  std::vector<trace::Finding> findings;
};

struct StackRun {
  std::string file;      // the results file
  std::string sut, name, version, homepage, issues;
  std::string profile, tool_version, suite_version, date;
  std::vector<ResultRecord> non_pass;  // every record whose verdict is not pass
  std::size_t total = 0;
  // Recorded traces of the same stack (check-trace results): every pc whose verdict is not pass.
  std::string traces_file;
  std::vector<TracePcRecord> traces;
  std::size_t traces_total = 0;  // pcs checked
  double reorder_window_ms = 0;  // the check-trace option the traces were judged with
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

// Whether a JSON text is check-trace results ("format": "connstate-trace-results") rather than run results.
bool is_trace_results(const std::string& json_text);
// Reads check-trace results (`check-trace --json`, or the traces-N.json a comparison writes) as a run of
// trace evidence: name and version from the traces' headers, one TracePcRecord per pc that did not pass.
// A record's trace file is looked for as written, then under `traces_root`, then under the results
// file's folder (check-trace writes the path it was given); where none exists the finding has no excerpt.
// Throws harness::InputError naming the file on bad input.
StackRun read_trace_results(const std::string& path, const std::string& traces_root = "");
StackRun trace_results_from_json(const std::string& json_text, const std::string& source_name,
                                 const std::string& traces_root = "");
// Whether the traces of `traces` were recorded from the stack that `cases` ran (the trace header's stack
// name is a word of the adapter's name: "pion" in "pion/webrtc (oracle)").
bool same_stack(const StackRun& cases, const StackRun& traces);
// Makes `traces` evidence of `into`: one column with both kinds of evidence.
void add_traces(StackRun& into, StackRun&& traces);

// Every departure one check-trace finding stands for (none for a kind that is not a departure), with the
// same requirement ids, kinds and keys as judge_sequence gives for the same departure in a case.
std::vector<Departure> trace_departures(const TracePcRecord& pc, const trace::Finding& finding);

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

  // Trace evidence: the pcs of run->traces that show it.
  std::vector<std::size_t> trace_records;  // indexes into run->traces, each pc once
  std::map<harness::Verdict, std::size_t> trace_verdicts;
  std::optional<std::size_t> smallest_trace;  // the pc the excerpt starts from (fewest lines to the finding)
  struct TraceExcerpt {
    std::string file;                     // the recording
    std::string trace_id, pc;
    std::size_t finding_line = 0;         // where the recording shows it (a line of `file`)
    double finding_t_ms = 0;
    std::string finding_text;             // check-trace's words for it
    std::size_t lines_before = 0;         // the pc's lines up to the finding, before shrinking
    std::vector<std::size_t> line_numbers;  // the excerpt: lines of `file`, the header first if it has one
    std::vector<std::string> lines;
    bool confirmed_on_trace = false;      // check-trace on the excerpt gives the finding again
    std::vector<std::string> legal_under; // profiles under which the excerpt shows no such finding
  };
  std::optional<TraceExcerpt> trace_excerpt;  // filled by reproduce_from_trace()
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

// The minimal trace excerpt of a finding shown by recorded traces: the pc's lines up to the finding,
// shrunk by delta debugging while check-trace on the excerpt still gives the same finding id, and checked
// once more (`confirmed_on_trace`). Without a case reproduction, `reproduction` becomes the excerpt's
// transport steps as a sequence case (expected values from the reference) and `reproduction_steps` the
// pc events the recording shows after each of them. No stack is run.
void reproduce_from_trace(const Finding& finding, Occurrence& occurrence);
// The trace evidence of an occurrence as a Markdown section for its bug report ("" when it has none).
std::string trace_evidence_markdown(const Finding& finding, const Occurrence& occurrence);
// ... and as the JSON object "trace_evidence" of by_stack[] (docs/schemas/findings.schema.json; "" if none).
std::string trace_evidence_json(const Occurrence& occurrence);

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
