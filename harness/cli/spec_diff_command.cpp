// spec_diff_command.cpp — `connstate spec-diff PROFILE PROFILE`: where two readings of the spec
// disagree, which inputs a profile leaves undefined, and which rule rows never decide anything
// (harness/include/connstate/harness/spec_diff.h does the exploring).
#include <cstdio>

#include "commands.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/spec_diff.h"

namespace connstate::cli {
using namespace connstate::harness;

namespace {

Profile profile_argument(const std::string& id) {
  if (auto p = parse_profile(id)) return *p;
  std::string known;
  for (const auto& info : kProfiles) known += (known.empty() ? "" : ", ") + std::string(info.id);
  throw UsageError("unknown profile '" + id + "' (profiles: " + known + ")");
}

void write(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw UsageError("cannot write " + path);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw UsageError("cannot write " + path);
}

}  // namespace

int spec_diff(const Args& args) {
  ArgParser p("connstate spec-diff",
              "connstate spec-diff PROFILE PROFILE [--transports N] [--depth N] [--json FILE] [--markdown FILE]",
              "Compares two profiles over every input the reference can be given: every snapshot of at most\n"
              "N transports (open and closed; at most one transport referenced only by [[SctpTransport]]) and\n"
              "every step sequence of at most --depth steps over two transports. It prints, grouped by kind\n"
              "(one group per pair of answers and deciding rules, whatever the number or order of transports;\n"
              "for events, per step where the two first differ), each group's count and smallest input; the\n"
              "inputs each profile leaves undefined; and the rule rows that decide nothing over these inputs.\n"
              "Example: connstate spec-diff rec-2025 rec-2021-amended");
  p.positional("PROFILE", "rec-2025, rec-2021-amended, rec-2021 or legacy-mdn (connstate profiles)")
      .option("transports", "N", "snapshots of 0 to N transports (0-5, default 3)")
      .option("depth", "N", "step sequences of 1 to N steps (0-6, default 4; 0: values only)")
      .option("json", "FILE", "also write the result as JSON")
      .option("markdown", "FILE", "also write the result as Markdown")
      .option("quiet", "", "print nothing (with --json or --markdown)");
  p.epilog("exit codes: 0 compared (whether or not the profiles differ); 2 bad usage.");
  if (!p.parse(args)) return kExitOk;
  const auto& pos = p.positionals();
  if (pos.size() != 2) throw UsageError("give two profiles, e.g. connstate spec-diff rec-2025 rec-2021-amended");
  SpecDiffOptions options;
  if (auto v = p.value("transports")) options.max_transports = static_cast<int>(parse_count("transports", *v, 0, 5));
  if (auto v = p.value("depth")) options.depth = static_cast<int>(parse_count("depth", *v, 0, 6));
  const SpecDiff d = harness::spec_diff(reading_of(profile_argument(pos[0])), reading_of(profile_argument(pos[1])), options);
  if (auto f = p.value("json")) write(*f, spec_diff_json(d));
  if (auto f = p.value("markdown")) write(*f, spec_diff_markdown(d));
  if (!p.has("quiet")) std::fputs(spec_diff_text(d).c_str(), stdout);
  return kExitOk;
}

}  // namespace connstate::cli
