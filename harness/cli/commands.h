// commands.h — the `connstate` subcommands; each takes its arguments and returns the exit code.
#pragma once

#include <string>
#include <vector>

#include "connstate/findings/findings.h"
#include "connstate/harness/args.h"
#include "connstate/harness/cases.h"
#include "connstate/harness/stack.h"

namespace connstate::cli {

using Args = std::vector<std::string>;

// Exit codes shared by every command (documented in `connstate --help` and the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUnexpected = 1;
inline constexpr int kExitUsage = 2;       // bad usage or bad input files
inline constexpr int kExitStackError = 3;  // the stack under test could not be run

// The options that choose the suite (--exhaustive, --sequence-depth, --cases-dir), and loading it
// (run_commands.cpp).
void add_suite_options(harness::ArgParser& p);
// stream_generated: the generated cases are produced case by case by a CaseStream instead of
// being stored in the suite (for commands that visit them once, in order).
harness::Suite load_suite_from(const harness::ArgParser& p, bool stream_generated = false);

int eval(const Args& args);
int profiles(const Args& args);
int explain(const Args& args);
int list(const Args& args);
int run(const Args& args);
int expectations(const Args& args);
int serve(const Args& args);
int fuzz(const Args& args);
int case_from_crash(const Args& args);
int compare(const Args& args);
int merge(const Args& args);
int check_trace(const Args& args);
int import_trace(const Args& args);
int spec_diff(const Args& args);
int live(const Args& args);
int findings_command(const Args& args);
// `run --report-dir`: the findings of the run just written to `results_json`, reproduced against the same
// stack, as DIR/findings.json and DIR/findings/ (findings_command.cpp).
void write_run_findings(const std::string& results_json, harness::StackUnderTest& stack, const std::string& report_dir);
// Shrinks and confirms every finding's reproduction on the stack of each run (`stacks[i]`: the sut and
// its options for runs[i]). Returns false, after saying why on stderr, when a stack cannot be run.
bool reproduce_findings(std::vector<findings::Finding>& all, const std::vector<findings::StackRun>& runs,
                        const std::vector<std::pair<std::string, harness::StackOptions>>& stacks, const char* command);
// Reads the annotations files and merges them into the findings; each warning goes to stderr. Returns
// the files read.
std::vector<findings::Annotations> merge_annotations(std::vector<findings::Finding>& all,
                                                     const std::vector<findings::StackRun>& runs,
                                                     const std::vector<std::string>& files, const char* command);

}  // namespace connstate::cli
