// report_pages.cpp — the report directory: one Markdown bug report per finding and stack, and an index
// (Markdown and HTML) per stack (see findings.h, docs/findings.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "connstate/findings/findings.h"
#include "connstate/harness/reports.h"
#include "connstate/harness/version.h"

namespace connstate::findings {

namespace fs = std::filesystem;

namespace {

std::string shown(const harness::StateText& s) { return s ? *s : std::string("null"); }

std::string step_words(const harness::SequenceStep& s) {
  switch (s.step.kind) {
    case StepKind::Add: return std::string("add transport `") + s.transport + "`" + (s.step.sctp_only ? " (SCTP only)" : "");
    case StepKind::Ice:
      return "ICE transport `" + s.transport + "` becomes `" +
             std::string(to_string(static_cast<IceTransportState>(s.step.state))) + "`";
    case StepKind::Dtls:
      return "DTLS transport `" + s.transport + "` becomes `" +
             std::string(to_string(static_cast<DtlsTransportState>(s.step.state))) + "`";
    case StepKind::Remove: return "remove transport `" + s.transport + "`";
    case StepKind::Close: return "`pc.close()`";
  }
  return "";
}

std::string events_words(const std::vector<std::string>& events) {
  if (events.empty()) return "no event";
  std::string out;
  for (const auto& e : events) out += (out.empty() ? "`" : ", `") + e + "`";
  return out;
}

void write_steps(std::ostringstream& md, const Occurrence& o, const std::string& stack_name, Profile profile) {
  const harness::Case& c = *o.reproduction;
  const harness::ExpectedOutcome pass = harness::expected_outcome(c, profile);
  if (c.kind == harness::CaseKind::Snapshot) {
    md << "1. A peer connection" << (c.closed ? " that is closed" : "") << " whose transports are:";
    if (c.transports.empty()) md << " none";
    for (const auto& t : c.transports)
      md << " ICE `" << to_string(t.ice) << "` / DTLS `" << to_string(t.dtls) << "`" << (t.sctp_only ? " (SCTP only)" : "") << ";";
    md << "\n2. Read `connectionState` and `iceConnectionState`.\n\n";
    md << "| | connectionState | iceConnectionState |\n|---|---|---|\n";
    md << "| expected (" << to_string(profile) << ") | `" << shown(pass.snapshot.connection_state) << "` | `"
       << shown(pass.snapshot.ice_connection_state) << "` |\n";
    md << "| " << stack_name << " | `" << shown(o.reproduction_snapshot.connection_state) << "` | `"
       << shown(o.reproduction_snapshot.ice_connection_state) << "` |\n\n";
    return;
  }
  md << "Start from a fresh peer connection (no transports, `new`/`new`), then:\n\n";
  md << "| # | step | expected (" << to_string(profile) << ") | " << stack_name << " |\n|---|---|---|---|\n";
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    md << "| " << i + 1 << " | " << step_words(c.steps[i]) << " | " << events_words(pass.steps[i].events) << "; then `"
       << shown(pass.steps[i].states.connection_state) << "` / `" << shown(pass.steps[i].states.ice_connection_state)
       << "` | ";
    if (i < o.reproduction_steps.size())
      md << events_words(o.reproduction_steps[i].events) << "; then `"
         << shown(o.reproduction_steps[i].states.connection_state) << "` / `"
         << shown(o.reproduction_steps[i].states.ice_connection_state) << "`";
    else
      md << "(no answer)";
    md << " |\n";
  }
  md << "\n(states read after each step: `connectionState` / `iceConnectionState`)\n\n";
}

std::string bug_report(const Finding& f, const Occurrence& o, const std::map<std::string, std::string>& known) {
  const StackRun& run = *o.run;
  std::ostringstream md;
  md << "# " << f.title << "\n\n";
  md << "**" << run.name << " " << run.version << "** departs from the WebRTC specification: " << f.title
     << ".\n\n";
  md << "| | |\n|---|---|\n";
  md << "| finding | `" << f.id << "` |\n";
  md << "| stack | " << run.name << " " << run.version
     << (run.sut.empty() ? std::string(" (recorded traces)") : " (`" + run.sut + "`)") << " |\n";
  const auto profile = parse_profile(run.profile);
  md << "| profile | `" << run.profile << "`" << (profile ? " — " + std::string(profile_info(*profile).description) : "")
     << " |\n";
  md << "| tool | connstate " << run.tool_version << ", case suite " << run.suite_version << " |\n";
  if (run.total > 0) {
    md << "| cases showing it | " << o.records.size() << " of " << run.total << " (";
    bool first = true;
    for (const auto& [verdict, count] : o.verdicts) {
      md << (first ? "" : ", ") << harness::to_string(verdict) << " " << count;
      first = false;
    }
    md << ") |\n";
  }
  if (!o.trace_records.empty())
    md << "| recorded pcs showing it | " << o.trace_records.size() << " of " << run.traces_total << " |\n";
  md << "| results | `" << fs::path(run.file).filename().string() << "` of " << run.date << " |\n";
  if (const auto k = known.find(f.id); k != known.end()) md << "| known | " << k->second << " |\n";
  std::string requires_text = f.requirement_text;
  if (!requires_text.empty()) requires_text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(requires_text[0])));
  md << "\n## What the specification requires\n\n" << requires_text << ".\n\n";
  if (!f.spec_quote.empty()) md << "> " << f.spec_quote << "\n\n";
  if (!f.spec_url.empty()) md << "— " << f.spec_document << ", [#" << f.spec_anchor << "](" << f.spec_url << ")";
  for (const auto& n : f.notes) md << "; connstate's note: `" << n << "`";
  md << "\n\n## What " << run.name << " did\n\n";
  for (const auto& [shape, count] : f.variants)
    md << "- " << shape << " (" << count << " result" << (count == 1 ? "" : "s") << ", all stacks)\n";
  md << "\n";
  md << trace_evidence_markdown(f, o);
  md << "## Minimal reproduction\n\n";
  if (!o.reproduction) {
    md << "None: " << o.note << ". Example cases: ";
    for (std::size_t i = 0; i < o.records.size() && i < 5; ++i) md << (i ? ", " : "") << "`" << run.non_pass[o.records[i]].c.id << "`";
    md << ".\n";
    return md.str();
  }
  const Profile p = profile.value_or(kDefaultProfile);
  write_steps(md, o, run.name, p);
  if (o.records.empty() && o.trace_excerpt)
    md << "The transport steps of the trace excerpt above, for replaying on an adapter: confirmed against the "
          "recording, not by re-running the stack";
  else
    md << (o.confirmed_on_stack ? "Confirmed: re-run against the stack, it still shows this finding"
                                : "Not confirmed: the re-run against the stack did not show it again");
  md
     << (o.passes_on_reference ? "; the reference passes it.\n\n" : "; the reference does not pass it either.\n\n");
  md << "### Protocol-1 requests that replay it\n\n```jsonl\n";
  for (const auto& line : reproduction_requests(o)) md << line << "\n";
  md << "```\n\n### Case file\n\nSaved next to this page as `" << f.id << ".case.json`; run it with\n"
     << "`connstate run --sut '" << (run.sut.empty() ? std::string("SUT") : run.sut) << "' --cases-dir DIR --exhaustive 0 --sequence-depth 0` where DIR holds the file.\n\n"
     << "```json\n" << reproduction_case_file(f, o) << "```\n\n";
  md << "## Under older readings of the specification\n\n";
  if (o.legal_under.empty()) md << "The stack's answer departs under every profile connstate knows.\n";
  for (const auto& id : o.legal_under) md << "- legal under `" << id << "` (docs/profiles/" << id << ".md)\n";
  return md.str();
}

void write_file(const fs::path& path, const std::string& text, std::vector<std::string>& written) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
  written.push_back(path.string());
}

// How far the reproduction was confirmed: on the stack, or (recorded traces only) on the recording.
std::string reproduction_status(const Occurrence& o) {
  if (o.records.empty() && o.trace_excerpt)
    return o.trace_excerpt->confirmed_on_trace ? "excerpt confirmed on the recording" : "excerpt not confirmed";
  return o.reproduction ? (o.confirmed_on_stack ? "confirmed" : "not confirmed") : "none";
}

// "12", or with recorded traces "12 + 3 pc traces".
std::string evidence_count(const Occurrence& o) {
  if (o.trace_records.empty()) return std::to_string(o.records.size());
  const std::string traces = std::to_string(o.trace_records.size()) + " pc trace" + (o.trace_records.size() == 1 ? "" : "s");
  return o.records.empty() ? traces : std::to_string(o.records.size()) + " + " + traces;
}

std::string index_markdown(const StackRun& run, const std::vector<std::pair<const Finding*, const Occurrence*>>& rows,
                           const std::map<std::string, std::string>& known) {
  std::ostringstream md;
  md << "# Findings: " << run.name << " " << run.version << " (" << run.profile << ")\n\n";
  md << rows.size() << " finding" << (rows.size() == 1 ? "" : "s") << " from " << run.non_pass.size()
     << " non-pass results of " << run.total << " cases (connstate " << run.tool_version << ", suite "
     << run.suite_version << ", " << run.date << ")"
     << (run.traces_total ? ", and " + std::to_string(run.traces.size()) + " non-pass of " + std::to_string(run.traces_total) +
                                " recorded peer connections"
                          : std::string())
     << ". Each page is a bug report with a minimal reproduction.\n\n";
  md << "| finding | what | cases | reproduction | known |\n|---|---|---|---|---|\n";
  for (const auto& [f, o] : rows) {
    const auto k = known.find(f->id);
    md << "| [`" << f->id << "`](" << f->id << ".md) | " << f->title << " | " << evidence_count(*o) << " | "
       << reproduction_status(*o) << " | "
       << (k == known.end() ? "new" : k->second) << " |\n";
  }
  return md.str();
}

std::string index_html(const StackRun& run, const std::vector<std::pair<const Finding*, const Occurrence*>>& rows,
                       const std::map<std::string, std::string>& known) {
  using harness::html_escape;
  std::ostringstream h;
  const std::string title = "Findings: " + run.name + " " + run.version + " (" + run.profile + ")";
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(title)
    << "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
       "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}tr.new td.known{color:#b00}</style></head>\n"
    << "<body><h1>" << html_escape(title) << "</h1>\n<p id=\"summary\">" << rows.size() << " findings from "
    << run.non_pass.size() << " non-pass results of " << run.total << " cases (connstate "
    << html_escape(run.tool_version) << ", suite " << html_escape(run.suite_version) << ").</p>\n";
  h << "<table id=\"findings\"><thead><tr><th>finding</th><th>what</th><th>cases</th><th>reproduction</th>"
       "<th>known</th></tr></thead><tbody>\n";
  for (const auto& [f, o] : rows) {
    const auto k = known.find(f->id);
    h << "<tr class=\"finding " << (k == known.end() ? "new" : "known") << "\" data-id=\"" << html_escape(f->id)
      << "\"><td><a href=\"" << html_escape(f->id) << ".md\"><code>" << html_escape(f->id) << "</code></a></td><td>"
      << html_escape(f->title) << "</td><td class=\"cases\">" << evidence_count(*o) << "</td><td>"
      << reproduction_status(*o) << "</td><td class=\"known\">" << html_escape(k == known.end() ? std::string("new") : k->second)
      << "</td></tr>\n";
  }
  h << "</tbody></table></body></html>\n";
  return h.str();
}

// Rows are findings, columns are stacks: which departures several stacks share.
std::string matrix_markdown(const std::vector<Finding>& findings) {
  std::vector<const StackRun*> columns;
  for (const Finding& f : findings)
    for (const Occurrence& o : f.stacks)
      if (std::find(columns.begin(), columns.end(), o.run) == columns.end()) columns.push_back(o.run);
  std::ostringstream md;
  md << "# Findings by stack\n\n" << findings.size() << " findings over " << columns.size()
     << " stacks. A cell gives the number of cases that show the finding, linked to the stack's bug report.\n\n";
  md << "| finding | what |";
  for (const StackRun* run : columns) md << " " << run->name << " " << run->version << " |";
  md << "\n|---|---|";
  for (std::size_t i = 0; i < columns.size(); ++i) md << "---|";
  md << "\n";
  for (const Finding& f : findings) {
    md << "| `" << f.id << "` | " << f.title << " |";
    for (const StackRun* run : columns) {
      const auto o = std::find_if(f.stacks.begin(), f.stacks.end(), [&](const Occurrence& x) { return x.run == run; });
      if (o == f.stacks.end()) md << " |";
      else md << " [" << evidence_count(*o) << "](" << stack_slug(*run) << "/" << f.id << ".md) |";
    }
    md << "\n";
  }
  return md.str();
}

}  // namespace

std::string stack_slug(const StackRun& run) {
  std::string slug = run.name.empty() ? run.sut : run.name;
  if (!run.version.empty()) slug += "-" + run.version;
  for (char& ch : slug)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-') ch = '-';
  return slug.empty() ? std::string("stack") : slug;
}

std::vector<std::string> write_report_dir(const std::vector<Finding>& findings,
                                          const std::map<std::string, std::string>& known, const std::string& dir) {
  std::vector<std::string> written;
  std::map<const StackRun*, std::vector<std::pair<const Finding*, const Occurrence*>>> by_stack;
  for (const Finding& f : findings)
    for (const Occurrence& o : f.stacks) by_stack[o.run].push_back({&f, &o});
  for (const auto& [run, rows] : by_stack) {
    const fs::path folder = fs::path(dir) / stack_slug(*run);
    fs::create_directories(folder);
    for (const auto& [f, o] : rows) {
      write_file(folder / (f->id + ".md"), bug_report(*f, *o, known), written);
      if (o->reproduction) write_file(folder / (f->id + ".case.json"), reproduction_case_file(*f, *o), written);
    }
    write_file(folder / "index.md", index_markdown(*run, rows, known), written);
    write_file(folder / "index.html", index_html(*run, rows, known), written);
  }
  fs::create_directories(dir);
  write_file(fs::path(dir) / "matrix.md", matrix_markdown(findings), written);
  return written;
}

}  // namespace connstate::findings
