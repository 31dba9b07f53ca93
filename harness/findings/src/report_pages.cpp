// report_pages.cpp — the report directory: per finding and stack a bug report in Markdown (to paste into
// the stack's tracker) and in HTML (self-contained, to read locally), an index per stack (Markdown and
// HTML), the findings matrix (Markdown and HTML), and the stack summary a stack's FINDINGS.md is made of
// (see findings.h, docs/findings.md).
//
// Both forms of a report are rendered from one ReportPage, so they cannot say different things. Text in
// a ReportPage is Markdown inline text (code in backticks); the HTML writer turns the backticks into
// <code> after escaping.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "connstate/findings/findings.h"
#include "connstate/harness/reports.h"
#include "connstate/harness/spec_links.h"
#include "connstate/harness/version.h"

namespace connstate::findings {

namespace fs = std::filesystem;
using harness::html_escape;

namespace {

std::string shown(const harness::StateText& s) { return s ? *s : std::string("null"); }

std::string plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Markdown inline text as HTML: escaped, with `code` spans as <code> and **strong** outside them.
std::string inline_html(const std::string& text) {
  const std::string escaped = html_escape(text);
  std::string out;
  bool in_code = false, in_strong = false;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const char ch = escaped[i];
    if (ch == '`') {
      out += in_code ? "</code>" : "<code>";
      in_code = !in_code;
    } else if (!in_code && ch == '*' && i + 1 < escaped.size() && escaped[i + 1] == '*') {
      out += in_strong ? "</strong>" : "<strong>";
      in_strong = !in_strong;
      ++i;
    } else {
      out += ch;
    }
  }
  if (in_code) out += "</code>";
  if (in_strong) out += "</strong>";
  return out;
}

// A table cell in GitHub-flavoured Markdown: a pipe ends the cell and a newline the row.
std::string md_cell(std::string text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n') out += ' ';
    else out += ch;
  }
  return out;
}

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

// The reproduction in readable steps: a sentence before the table, the table, a sentence after it.
struct StepsTable {
  std::string before, after;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

StepsTable steps_table(const Occurrence& o, const std::string& stack_name, Profile profile) {
  const harness::Case& c = *o.reproduction;
  const harness::ExpectedOutcome pass = harness::expected_outcome(c, profile);
  StepsTable t;
  const std::string expected = "expected (" + std::string(to_string(profile)) + ")";
  if (c.kind == harness::CaseKind::Snapshot) {
    if (c.transports.empty()) {
      t.before = c.closed ? "A peer connection with no transport, after `pc.close()`" : "A peer connection with no transport";
    } else {
      t.before = std::string("A peer connection") + (c.closed ? " after `pc.close()`" : "") + " whose transports are:";
      for (const auto& tr : c.transports)
        t.before += std::string(" ICE `") + std::string(to_string(tr.ice)) + "` / DTLS `" + std::string(to_string(tr.dtls)) + "`" +
                    (tr.sctp_only ? " (SCTP only)" : "") + ";";
      t.before.pop_back();
    }
    t.before += ". Read `connectionState` and `iceConnectionState`:";
    t.header = {"", "connectionState", "iceConnectionState"};
    t.rows.push_back({expected, "`" + shown(pass.snapshot.connection_state) + "`",
                      "`" + shown(pass.snapshot.ice_connection_state) + "`"});
    t.rows.push_back({stack_name, "`" + shown(o.reproduction_snapshot.connection_state) + "`",
                      "`" + shown(o.reproduction_snapshot.ice_connection_state) + "`"});
    return t;
  }
  t.before = "Start from a fresh peer connection (no transports, `new` / `new`), then:";
  t.header = {"#", "step", expected, stack_name};
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    std::vector<std::string> row{std::to_string(i + 1), step_words(c.steps[i]),
                                 events_words(pass.steps[i].events) + "; then `" +
                                     shown(pass.steps[i].states.connection_state) + "` / `" +
                                     shown(pass.steps[i].states.ice_connection_state) + "`"};
    if (i < o.reproduction_steps.size())
      row.push_back(events_words(o.reproduction_steps[i].events) + "; then `" +
                    shown(o.reproduction_steps[i].states.connection_state) + "` / `" +
                    shown(o.reproduction_steps[i].states.ice_connection_state) + "`");
    else
      row.push_back("(no answer)");
    t.rows.push_back(std::move(row));
  }
  t.after = "(states read after each step: `connectionState` / `iceConnectionState`)";
  return t;
}

void table_markdown(std::ostringstream& md, const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows) {
  md << "|";
  for (const auto& h : header) md << " " << md_cell(h) << " |";
  md << "\n|";
  for (std::size_t i = 0; i < header.size(); ++i) md << "---|";
  md << "\n";
  for (const auto& row : rows) {
    md << "|";
    for (const auto& cell : row) md << " " << md_cell(cell) << " |";
    md << "\n";
  }
}

void table_html(std::ostringstream& h, const std::string& id, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  h << "<table id=\"" << id << "\">";
  // A Markdown table needs a header row; a table of labels and values reads better without one.
  if (std::any_of(header.begin(), header.end(), [](const std::string& c) { return !c.empty(); })) {
    h << "<thead><tr>";
    for (const auto& c : header) h << "<th>" << inline_html(c) << "</th>";
    h << "</tr></thead>";
  }
  h << "<tbody>\n";
  for (const auto& row : rows) {
    h << "<tr>";
    for (const auto& c : row) h << "<td>" << inline_html(c) << "</td>";
    h << "</tr>\n";
  }
  h << "</tbody></table>\n";
}

std::string capitalized(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string verdict_counts(const Occurrence& o) {
  std::string out;
  for (const auto& [verdict, count] : o.verdicts)
    out += (out.empty() ? "" : ", ") + std::string(harness::to_string(verdict)) + " " + std::to_string(count);
  return out;
}

std::string cause_words(const Occurrence& o) {
  std::string out;
  for (const Annotation& a : o.annotations)
    for (const CodeCitation& c : a.code) {
      const std::string where = "`" + (c.function.empty() ? c.file : c.function) + "`";
      if (out.find(where) == std::string::npos) out += (out.empty() ? "" : ", ") + where;
    }
  return out;
}

// Everything a bug report says, once; written as Markdown and as HTML.
struct ReportPage {
  std::string title, intro;
  std::vector<std::vector<std::string>> environment;  // label, value
  std::string requires_text, quote, spec_document, spec_anchor, spec_url;
  std::vector<std::pair<std::string, std::string>> notes;  // text, href
  std::string did_intro;
  std::vector<std::string> did;
  std::string no_reproduction;
  std::optional<StepsTable> steps;
  std::string trace_evidence;  // Markdown: what recorded traces show and their minimal excerpt
  std::string confirmation;
  bool confirmed = false;
  std::vector<std::string> requests;
  std::string case_file, case_file_name, run_command;
  std::vector<std::pair<std::string, std::string>> legal_under;  // profile, href
  const Occurrence* occurrence = nullptr;
};

ReportPage report_page(const Finding& f, const Occurrence& o, const std::map<std::string, std::string>& known,
                       const std::string& page_dir) {
  const StackRun& run = *o.run;
  const std::string cases_dir = harness::default_cases_dir();
  ReportPage page;
  page.occurrence = &o;
  page.title = f.title;
  page.intro = "**" + run.name + " " + run.version + "** departs from the WebRTC specification: " + f.title + ".";
  const auto profile = parse_profile(run.profile);
  page.environment = {
      {"finding", "`" + f.id + "`"},
      {"stack", run.name + " " + run.version + (run.sut.empty() ? std::string(" (recorded traces)") : " (`" + run.sut + "`)")},
      {"profile", "`" + run.profile + "`" + (profile ? " — " + std::string(profile_info(*profile).description) : "")},
      {"tool", "connstate " + run.tool_version + (run.suite_version.empty() ? std::string() : ", case suite " + run.suite_version)},
  };
  if (run.total > 0)
    page.environment.push_back({"cases showing it", std::to_string(o.records.size()) + " of " + std::to_string(run.total) +
                                                        " (" + verdict_counts(o) + ")"});
  if (!o.trace_records.empty())
    page.environment.push_back({"recorded pcs showing it", std::to_string(o.trace_records.size()) + " of " +
                                                               std::to_string(run.traces_total)});
  page.environment.push_back({"results", "`" + fs::path(run.file).filename().string() + "` of " + run.date});
  if (const auto k = known.find(f.id); k != known.end()) page.environment.push_back({"known", k->second});
  page.requires_text = capitalized(f.requirement_text) + ".";
  page.quote = f.spec_quote;
  page.spec_document = f.spec_document;
  page.spec_anchor = f.spec_anchor;
  page.spec_url = f.spec_url;
  for (const auto& n : f.notes) page.notes.push_back({n, harness::notes_href(n, page_dir, cases_dir)});
  page.did_intro = "What " + run.name + " did (each shape with the number of results showing it, all stacks):";
  for (const auto& [shape, count] : f.variants) page.did.push_back(shape + " (" + plural(count, "result") + ")");
  page.trace_evidence = trace_evidence_markdown(f, o);
  if (!o.reproduction) {
    page.no_reproduction = "None: " + o.note + ". Example cases: ";
    for (std::size_t i = 0; i < o.records.size() && i < 5; ++i)
      page.no_reproduction += (i ? ", `" : "`") + run.non_pass[o.records[i]].c.id + "`";
    page.no_reproduction += ".";
  } else {
    page.steps = steps_table(o, run.name, profile.value_or(kDefaultProfile));
    const bool from_recording = o.records.empty() && o.trace_excerpt;
    page.confirmed = from_recording ? o.trace_excerpt->confirmed_on_trace : o.confirmed_on_stack;
    page.confirmation =
        std::string(from_recording ? "The transport steps of the trace excerpt above, for replaying on an adapter: "
                                     "confirmed against the recording, not by re-running the stack"
                     : o.confirmed_on_stack ? "Confirmed: re-run against the stack, it still shows this finding"
                                            : "Not confirmed: the re-run against the stack did not show it again") +
        (o.passes_on_reference ? "; the reference passes it." : "; the reference does not pass it either.");
    page.requests = reproduction_requests(o);
    page.case_file = reproduction_case_file(f, o);
    page.case_file_name = f.id + ".case.json";
    page.run_command = "connstate run --sut '" + (run.sut.empty() ? std::string("SUT") : run.sut) +
                       "' --cases-dir DIR --exhaustive 0 --sequence-depth 0";
  }
  for (const auto& id : o.legal_under)
    page.legal_under.push_back({id, harness::notes_href("docs/profiles/" + id + ".md", page_dir, cases_dir)});
  return page;
}

void cause_markdown(std::ostringstream& md, const Occurrence& o, const std::string& heading) {
  md << heading << " Cause in the code\n\n";
  if (o.annotations.empty()) {
    md << "Not recorded: no annotation of this stack names this finding (docs/findings.md, \"Annotations\").\n\n";
    return;
  }
  for (const Annotation& a : o.annotations) {
    md << capitalized(a.summary) << (a.variant.empty() ? "" : " (variant: " + a.variant + ")") << "\n\n";
    if (a.code.empty()) continue;
    std::vector<std::vector<std::string>> rows;
    for (const CodeCitation& c : a.code) rows.push_back({"`" + c.file + "`", c.function.empty() ? "" : "`" + c.function + "`", c.why});
    table_markdown(md, {"file", "function", "why"}, rows);
    md << "\n";
  }
  if (!o.code_root.empty()) md << "Files are relative to " << o.code_root << ".\n\n";
}

std::string bug_report_markdown(const ReportPage& p) {
  std::ostringstream md;
  md << "# " << p.title << "\n\n" << p.intro << "\n\n";
  table_markdown(md, {"", ""}, p.environment);
  md << "\n## What the specification requires\n\n" << p.requires_text << "\n\n";
  if (!p.quote.empty()) md << "> " << p.quote << "\n\n";
  if (!p.spec_url.empty()) md << "— " << p.spec_document << ", [#" << p.spec_anchor << "](" << p.spec_url << ")";
  for (const auto& [text, href] : p.notes) md << "; connstate's note: [" << text << "](" << href << ")";
  md << "\n\n## What the stack did\n\n" << p.did_intro << "\n\n";
  for (const auto& d : p.did) md << "- " << d << "\n";
  if (!p.trace_evidence.empty()) md << "\n" << p.trace_evidence;
  md << "\n## Minimal reproduction\n\n";
  if (!p.steps) {
    md << p.no_reproduction << "\n\n";
  } else {
    md << p.steps->before << "\n\n";
    table_markdown(md, p.steps->header, p.steps->rows);
    md << "\n";
    if (!p.steps->after.empty()) md << p.steps->after << "\n\n";
    md << p.confirmation << "\n\n### Protocol-1 requests that replay it\n\n```jsonl\n";
    for (const auto& line : p.requests) md << line << "\n";
    md << "```\n\n### Case file\n\nSaved next to this page as `" << p.case_file_name << "`; run it with\n`"
       << p.run_command << "` where DIR holds the file.\n\n```json\n" << p.case_file << "```\n\n";
  }
  md << "## Under older readings of the specification\n\n";
  if (p.legal_under.empty()) md << "The stack's answer departs under every profile connstate knows.\n";
  for (const auto& [id, href] : p.legal_under) md << "- legal under `" << id << "` ([profile](" << href << "))\n";
  md << "\n";
  cause_markdown(md, *p.occurrence, "##");
  std::string text = md.str();
  while (text.size() > 1 && text[text.size() - 2] == '\n') text.pop_back();
  return text;
}

const char* kPageStyle =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}code{background:#f4f4f4;padding:0 .2em}"
    "pre{background:#fafafa;border:1px solid #ddd;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}"
    "blockquote{border-left:4px solid #ccc;margin:0;padding:.2em 1em;color:#333}"
    "tr.new td.known{color:#b00}td.cases,td.count{text-align:right}tr.shared td:nth-child(3){font-weight:bold}"
    "body.wide{max-width:none}td.shows{background:#fde2e2}";

std::string page_head(const std::string& title, const std::string& body_class = "") {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
         "</title>\n<style>" + kPageStyle + "</style></head>\n<body" +
         (body_class.empty() ? "" : " class=\"" + body_class + "\"") + ">\n";
}

std::string bug_report_html(const ReportPage& p) {
  std::ostringstream h;
  h << page_head(p.title) << "<p><a href=\"index.html\">all findings of this stack</a></p>\n";
  h << "<h1 id=\"title\">" << inline_html(p.title) << "</h1>\n<p>" << inline_html(p.intro) << "</p>\n";
  table_html(h, "environment", {"", ""}, p.environment);
  h << "<section id=\"requirement\"><h2>What the specification requires</h2>\n<p>" << inline_html(p.requires_text)
    << "</p>\n";
  if (!p.quote.empty()) h << "<blockquote>" << html_escape(p.quote) << "</blockquote>\n";
  h << "<p>";
  if (!p.spec_url.empty())
    h << "— " << html_escape(p.spec_document) << ", <a class=\"anchor\" href=\"" << html_escape(p.spec_url) << "\">#"
      << html_escape(p.spec_anchor) << "</a>";
  for (const auto& [text, href] : p.notes)
    h << "; connstate's note: <a class=\"note\" href=\"" << html_escape(href) << "\">" << html_escape(text) << "</a>";
  h << "</p></section>\n<section id=\"did\"><h2>What the stack did</h2>\n<p>" << inline_html(p.did_intro)
    << "</p>\n<ul>\n";
  for (const auto& d : p.did) h << "<li>" << inline_html(d) << "</li>\n";
  h << "</ul></section>\n";
  if (!p.trace_evidence.empty())
    h << "<section id=\"trace-evidence\"><h2>Evidence from recorded traces</h2>\n<pre>"
      << html_escape(p.trace_evidence.substr(p.trace_evidence.starts_with("## ") ? p.trace_evidence.find("\n\n") + 2 : 0))
      << "</pre></section>\n";
  h << "<section id=\"reproduction\"><h2>Minimal reproduction</h2>\n";
  if (!p.steps) {
    h << "<p id=\"no-reproduction\">" << inline_html(p.no_reproduction) << "</p>\n";
  } else {
    h << "<p>" << inline_html(p.steps->before) << "</p>\n";
    table_html(h, "steps", p.steps->header, p.steps->rows);
    if (!p.steps->after.empty()) h << "<p>" << inline_html(p.steps->after) << "</p>\n";
    h << "<p id=\"confirmation\" class=\"" << (p.confirmed ? "confirmed" : "not-confirmed")
      << "\">" << inline_html(p.confirmation) << "</p>\n<h3>Protocol-1 requests that replay it</h3>\n<pre id=\"requests\">";
    for (const auto& line : p.requests) h << html_escape(line) << "\n";
    h << "</pre>\n<h3>Case file</h3>\n<p>Saved next to this page as <a href=\"" << html_escape(p.case_file_name)
      << "\"><code>" << html_escape(p.case_file_name) << "</code></a>; run it with <code>" << html_escape(p.run_command)
      << "</code> where DIR holds the file.</p>\n<pre id=\"case-file\">" << html_escape(p.case_file) << "</pre>\n";
  }
  h << "</section>\n<section id=\"legal-under\"><h2>Under older readings of the specification</h2>\n";
  if (p.legal_under.empty()) h << "<p>The stack's answer departs under every profile connstate knows.</p>\n";
  else h << "<ul>\n";
  for (const auto& [id, href] : p.legal_under)
    h << "<li>legal under <code>" << html_escape(id) << "</code> (<a href=\"" << html_escape(href)
      << "\">profile</a>)</li>\n";
  if (!p.legal_under.empty()) h << "</ul>\n";
  h << "</section>\n<section id=\"cause\"><h2>Cause in the code</h2>\n";
  const Occurrence& o = *p.occurrence;
  if (o.annotations.empty())
    h << "<p>Not recorded: no annotation of this stack names this finding (docs/findings.md, "
         "\"Annotations\").</p>\n";
  for (const Annotation& a : o.annotations) {
    h << "<p class=\"annotation\">" << inline_html(capitalized(a.summary))
      << (a.variant.empty() ? "" : " (variant: " + inline_html(a.variant) + ")") << "</p>\n";
    std::vector<std::vector<std::string>> rows;
    for (const CodeCitation& c : a.code)
      rows.push_back({"`" + c.file + "`", c.function.empty() ? "" : "`" + c.function + "`", c.why});
    if (!rows.empty()) table_html(h, "code-" + std::to_string(&a - o.annotations.data()), {"file", "function", "why"}, rows);
  }
  if (!o.code_root.empty()) h << "<p>Files are relative to " << inline_html(o.code_root) << ".</p>\n";
  h << "</section>\n</body></html>\n";
  return h.str();
}

void write_file(const fs::path& path, const std::string& text, std::vector<std::string>& written) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
  written.push_back(path.string());
}

using Rows = std::vector<std::pair<const Finding*, const Occurrence*>>;

// "12", or with recorded traces "12 + 3 pc traces".
std::string evidence_count(const Occurrence& o) {
  if (o.trace_records.empty()) return std::to_string(o.records.size());
  const std::string traces = plural(o.trace_records.size(), "pc trace");
  return o.records.empty() ? traces : std::to_string(o.records.size()) + " + " + traces;
}

std::string reproduction_words(const Occurrence& o) {
  if (o.records.empty() && o.trace_excerpt)
    return o.trace_excerpt->confirmed_on_trace ? "trace excerpt, confirmed on the recording" : "trace excerpt, not confirmed";
  if (!o.reproduction) return "none";
  return reproduction_size(*o.reproduction) + (o.confirmed_on_stack ? ", confirmed" : ", not confirmed");
}

std::string index_summary(const StackRun& run, std::size_t findings) {
  std::string from = run.total > 0 ? std::to_string(run.non_pass.size()) + " non-pass results of " +
                                         std::to_string(run.total) + " cases"
                                   : std::string();
  if (run.traces_total > 0)
    from += (from.empty() ? "" : " and ") + std::to_string(run.traces.size()) + " non-pass of " +
            plural(run.traces_total, "recorded peer connection");
  return plural(findings, "finding") + " from " + from + " (connstate " + run.tool_version +
         (run.suite_version.empty() ? std::string() : ", suite " + run.suite_version) + ", profile `" + run.profile +
         "`).";
}

// The index's columns; "known" only when an expectations file listed known findings (without one, every
// finding would read "new").
std::vector<std::string> index_header(const std::map<std::string, std::string>& known) {
  std::vector<std::string> header{"finding", "what", "cases", "reproduction", "cause in the code"};
  if (!known.empty()) header.push_back("known");
  return header;
}

std::vector<std::string> index_row(const Finding& f, const Occurrence& o, const std::map<std::string, std::string>& known,
                                   const std::string& link) {
  const std::string cause = cause_words(o);
  std::vector<std::string> row{link.empty() ? "`" + f.id + "`" : "[`" + f.id + "`](" + link + ")", f.title,
                               evidence_count(o), reproduction_words(o), cause.empty() ? "—" : cause};
  if (!known.empty()) {
    const auto k = known.find(f.id);
    row.push_back(k == known.end() ? "new" : k->second);
  }
  return row;
}

// The inputs the stack declined (unsupported: no finding, but where the stack cannot say anything), grouped
// by the reason it gave, largest group first.
struct DeclinedGroup {
  std::string reason, example;
  std::size_t cases = 0;
};
std::vector<DeclinedGroup> declined_inputs(const StackRun& run) {
  std::map<std::string, DeclinedGroup> by_reason;
  for (const ResultRecord& r : run.non_pass) {
    if (r.verdict != harness::Verdict::Unsupported) continue;
    // A sequence's reason names the step it declined ("step 2 (add t1): …"); the reason itself groups.
    std::string reason = r.message;
    if (reason.starts_with("step ") && reason.find("): ") != std::string::npos) reason = reason.substr(reason.find("): ") + 3);
    DeclinedGroup& g = by_reason[reason];
    if (g.cases++ == 0) {
      g.reason = reason.empty() ? "(no reason given)" : reason;
      g.example = r.c.id;
    }
  }
  std::vector<DeclinedGroup> groups;
  for (auto& [reason, g] : by_reason) groups.push_back(std::move(g));
  std::stable_sort(groups.begin(), groups.end(), [](const DeclinedGroup& a, const DeclinedGroup& b) { return a.cases > b.cases; });
  return groups;
}

void declined_markdown(std::ostringstream& md, const StackRun& run, const std::string& heading) {
  const auto groups = declined_inputs(run);
  if (groups.empty()) return;
  std::size_t total = 0;
  for (const auto& g : groups) total += g.cases;
  md << "\n" << heading << " Inputs the stack declines\n\n" << plural(total, "case")
     << " answered `unsupported`: no finding (the stack cannot represent the input), but nothing is known of "
        "what it would do there.\n\n";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < groups.size() && i < 12; ++i)
    rows.push_back({groups[i].reason, std::to_string(groups[i].cases), "`" + groups[i].example + "`"});
  if (groups.size() > 12) rows.push_back({"(" + plural(groups.size() - 12, "other reason") + ")", "", ""});
  table_markdown(md, {"reason the stack gave", "cases", "example"}, rows);
}

std::string index_markdown(const StackRun& run, const Rows& rows, const std::map<std::string, std::string>& known) {
  std::ostringstream md;
  md << "# Findings: " << run.name << " " << run.version << "\n\n" << index_summary(run, rows.size())
     << " Each finding links its bug report; the HTML form of this page is `index.html`.\n\n";
  std::vector<std::vector<std::string>> table;
  for (const auto& [f, o] : rows) table.push_back(index_row(*f, *o, known, f->id + ".md"));
  table_markdown(md, index_header(known), table);
  declined_markdown(md, run, "##");
  return md.str();
}

std::string index_html(const StackRun& run, const Rows& rows, const std::map<std::string, std::string>& known) {
  std::ostringstream h;
  const std::string title = "Findings: " + run.name + " " + run.version;
  h << page_head(title) << "<h1>" << html_escape(title) << "</h1>\n<p id=\"summary\">"
    << inline_html(index_summary(run, rows.size())) << " <a href=\"../matrix.html\">All stacks by finding</a>.</p>\n";
  h << "<table id=\"findings\"><thead><tr>";
  for (const auto& c : index_header(known)) h << "<th>" << html_escape(c) << "</th>";
  h << "</tr></thead><tbody>\n";
  for (const auto& [f, o] : rows) {
    const auto k = known.find(f->id);
    const std::vector<std::string> cells = index_row(*f, *o, known, "");
    h << "<tr class=\"finding " << (k == known.end() ? "new" : "known") << "\" data-id=\"" << html_escape(f->id)
      << "\"><td><a href=\"" << html_escape(f->id) << ".html\"><code>" << html_escape(f->id) << "</code></a></td><td>"
      << inline_html(cells[1]) << "</td><td class=\"cases\">" << cells[2] << "</td><td>" << inline_html(cells[3])
      << "</td><td class=\"cause\">" << inline_html(cells[4]) << "</td>";
    if (cells.size() > 5) h << "<td class=\"known\">" << inline_html(cells[5]) << "</td>";
    h << "</tr>\n";
  }
  h << "</tbody></table>\n";
  if (const auto groups = declined_inputs(run); !groups.empty()) {
    h << "<section id=\"declined\"><h2>Inputs the stack declines</h2>\n<p>Answered <code>unsupported</code>: no "
         "finding, but nothing is known of what the stack would do there.</p>\n<table><thead><tr><th>reason the stack "
         "gave</th><th>cases</th><th>example</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < groups.size() && i < 12; ++i)
      h << "<tr><td>" << html_escape(groups[i].reason) << "</td><td class=\"num\">" << groups[i].cases
        << "</td><td><code>" << html_escape(groups[i].example) << "</code></td></tr>\n";
    h << "</tbody></table></section>\n";
  }
  h << "</body></html>\n";
  return h.str();
}

// Rows are findings, columns are stacks: which departures several stacks share, those first.
using Slugs = std::map<const StackRun*, std::string>;

struct Matrix {
  std::vector<const StackRun*> columns;
  std::vector<const Finding*> rows;
};

Matrix matrix_of(const std::vector<Finding>& findings, const std::vector<const StackRun*>& columns) {
  Matrix m;
  m.columns = columns;
  for (const Finding& f : findings) m.rows.push_back(&f);
  std::stable_sort(m.rows.begin(), m.rows.end(),
                   [](const Finding* a, const Finding* b) { return a->stacks.size() > b->stacks.size(); });
  return m;
}

// A matrix column's heading: the stack and the first word of its version ("1.22.0", not the packaging
// details after it), so the table stays readable; the stack's index has the full version.
std::string column_heading(const StackRun& run) {
  const std::string version = run.version.substr(0, run.version.find(' '));
  return version.empty() ? run.name : run.name + " " + version;
}

const Occurrence* occurrence_of(const Finding& f, const StackRun* run) {
  const auto o = std::find_if(f.stacks.begin(), f.stacks.end(), [&](const Occurrence& x) { return x.run == run; });
  return o == f.stacks.end() ? nullptr : &*o;
}

std::string matrix_intro(const Matrix& m) {
  return plural(m.rows.size(), "finding") + " over " + plural(m.columns.size(), "stack") +
         ", those shown by several stacks first. A cell gives the number of cases of that stack that show the "
         "finding, linked to the stack's bug report; an empty cell: the stack does not show it.";
}

std::string matrix_markdown(const std::vector<Finding>& findings, const std::vector<const StackRun*>& columns,
                            const Slugs& slugs) {
  const Matrix m = matrix_of(findings, columns);
  std::ostringstream md;
  md << "# Findings by stack\n\n" << matrix_intro(m) << "\n\n";
  std::vector<std::string> header{"finding", "what", "stacks"};
  for (const StackRun* run : m.columns) header.push_back(column_heading(*run));
  std::vector<std::vector<std::string>> rows;
  for (const Finding* f : m.rows) {
    std::vector<std::string> row{"`" + f->id + "`", f->title, std::to_string(f->stacks.size())};
    for (const StackRun* run : m.columns) {
      const Occurrence* o = occurrence_of(*f, run);
      row.push_back(o ? "[" + evidence_count(*o) + "](" + slugs.at(run) + "/" + f->id + ".md)" : "");
    }
    rows.push_back(std::move(row));
  }
  table_markdown(md, header, rows);
  return md.str();
}

std::string matrix_html(const std::vector<Finding>& findings, const std::vector<const StackRun*>& columns,
                        const Slugs& slugs) {
  const Matrix m = matrix_of(findings, columns);
  std::ostringstream h;
  h << page_head("Findings by stack", "wide") << "<h1>Findings by stack</h1>\n<p id=\"summary\">" << html_escape(matrix_intro(m))
    << "</p>\n<table id=\"findings-matrix\"><thead><tr><th>finding</th><th>what</th><th>stacks</th>";
  for (const StackRun* run : m.columns)
    h << "<th class=\"stack\"><a href=\"" << html_escape(slugs.at(run)) << "/index.html\">"
      << html_escape(column_heading(*run)) << "</a></th>";
  h << "</tr></thead><tbody>\n";
  for (const Finding* f : m.rows) {
    h << "<tr class=\"finding" << (f->stacks.size() > 1 ? " shared" : "") << "\" data-id=\"" << html_escape(f->id)
      << "\"><td><code>" << html_escape(f->id) << "</code></td><td>" << inline_html(f->title) << "</td><td class=\"count\">"
      << f->stacks.size() << "</td>";
    for (const StackRun* run : m.columns) {
      const Occurrence* o = occurrence_of(*f, run);
      if (!o) h << "<td class=\"absent\"></td>";
      else
        h << "<td class=\"count shows\"><a href=\"" << html_escape(slugs.at(run) + "/" + f->id) << ".html\">"
          << html_escape(evidence_count(*o)) << "</a></td>";
    }
    h << "</tr>\n";
  }
  h << "</tbody></table></body></html>\n";
  return h.str();
}

Rows rows_of(const std::vector<Finding>& findings, const StackRun* run) {
  Rows rows;
  for (const Finding& f : findings)
    for (const Occurrence& o : f.stacks)
      if (o.run == run) rows.push_back({&f, &o});
  return rows;
}

}  // namespace

std::string reproduction_size(const harness::Case& c) {
  if (c.kind != harness::CaseKind::Snapshot) return plural(c.steps.size(), "step");
  if (c.transports.empty()) return c.closed ? "a closed pc with no transport" : "a pc with no transport";
  return plural(c.transports.size(), "transport") + (c.closed ? " of a closed pc" : "");
}

std::string stack_slug(const StackRun& run) {
  // The name and the version's first word ("1.22.0" of "1.22.0 (Debian …)"): a folder name people can type.
  std::string slug = run.name.empty() ? run.sut : run.name;
  const std::string version = run.version.substr(0, run.version.find_first_of(" ("));
  if (!version.empty()) slug += "-" + version;
  std::string clean;
  for (char ch : slug) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.') ch = '-';
    if (ch == '-' && (clean.empty() || clean.back() == '-')) continue;
    clean += ch;
  }
  while (!clean.empty() && clean.back() == '-') clean.pop_back();
  return clean.empty() ? std::string("stack") : clean;
}

std::vector<std::string> write_report_dir(const std::vector<Finding>& findings,
                                          const std::map<std::string, std::string>& known, const std::string& dir) {
  std::vector<StackRun> none;
  return write_report_dir(findings, known, dir, none);
}

std::vector<std::string> write_report_dir(const std::vector<Finding>& findings,
                                          const std::map<std::string, std::string>& known, const std::string& dir,
                                          const std::vector<StackRun>& all_runs) {
  std::vector<std::string> written;
  std::vector<const StackRun*> runs;
  for (const StackRun& run : all_runs) runs.push_back(&run);
  for (const Finding& f : findings)
    for (const Occurrence& o : f.stacks)
      if (std::find(runs.begin(), runs.end(), o.run) == runs.end()) runs.push_back(o.run);
  Slugs slugs;
  for (const StackRun* run : runs) {
    const bool shared = std::count_if(runs.begin(), runs.end(), [&](const StackRun* other) {
                          return stack_slug(*other) == stack_slug(*run);
                        }) > 1;
    slugs[run] = stack_slug(*run) + (shared ? "-" + run->profile : "");
  }
  for (const StackRun* run : runs) {
    const Rows rows = rows_of(findings, run);
    const fs::path folder = fs::path(dir) / slugs.at(run);
    fs::create_directories(folder);
    for (const auto& [f, o] : rows) {
      const ReportPage page = report_page(*f, *o, known, folder.string());
      write_file(folder / (f->id + ".md"), bug_report_markdown(page), written);
      write_file(folder / (f->id + ".html"), bug_report_html(page), written);
      if (o->reproduction) write_file(folder / (f->id + ".case.json"), page.case_file, written);
    }
    write_file(folder / "index.md", index_markdown(*run, rows, known), written);
    write_file(folder / "index.html", index_html(*run, rows, known), written);
  }
  fs::create_directories(dir);
  write_file(fs::path(dir) / "matrix.md", matrix_markdown(findings, runs, slugs), written);
  write_file(fs::path(dir) / "matrix.html", matrix_html(findings, runs, slugs), written);
  return written;
}

std::string stack_summary_markdown(const std::vector<Finding>& findings, const StackRun& run,
                                   const std::map<std::string, std::string>& known, const std::string& page_dir,
                                   const std::string& preamble, const std::vector<Annotations>& annotations) {
  const Rows rows = rows_of(findings, &run);
  std::ostringstream md;
  md << "# Findings: " << run.name << " " << run.version << "\n\n";
  if (!preamble.empty()) md << preamble << "\n\n";
  md << index_summary(run, rows.size()) << "\n\n";
  std::vector<std::vector<std::string>> table;
  for (const auto& [f, o] : rows) {
    std::string anchor = f->id;
    std::transform(anchor.begin(), anchor.end(), anchor.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    anchor.erase(std::remove(anchor.begin(), anchor.end(), '.'), anchor.end());
    table.push_back(index_row(*f, *o, known, "#" + anchor));
  }
  table_markdown(md, index_header(known), table);
  md << "\n";
  const std::string cases_dir = harness::default_cases_dir();
  for (const auto& [f, o] : rows) {
    md << "## " << f->id << "\n\n**" << f->title << "**\n\n" << capitalized(f->requirement_text) << ".";
    if (!f->spec_quote.empty()) md << "\n\n> " << f->spec_quote;
    md << "\n\n";
    if (!f->spec_url.empty()) md << "— " << f->spec_document << ", [#" << f->spec_anchor << "](" << f->spec_url << ")";
    for (const auto& n : f->notes) md << "; note: [" << n << "](" << harness::notes_href(n, page_dir, cases_dir) << ")";
    md << "\n\n" << plural(o->records.size(), "case") << " (" << verdict_counts(*o) << "). What it did:\n\n";
    for (const auto& [shape, count] : f->variants) md << "- " << shape << "\n";
    md << "\n";
    if (o->reproduction) {
      const StepsTable t = steps_table(*o, run.name, parse_profile(run.profile).value_or(kDefaultProfile));
      md << "Minimal reproduction (" << reproduction_words(*o) << "). " << t.before << "\n\n";
      table_markdown(md, t.header, t.rows);
      md << "\n";
    } else if (!o->note.empty()) {
      md << "No reproduction: " << o->note << ".\n\n";
    }
    if (!o->legal_under.empty()) {
      md << "Legal under:";
      for (const auto& id : o->legal_under) md << " `" << id << "`";
      md << ".\n\n";
    }
    cause_markdown(md, *o, "###");
  }
  declined_markdown(md, run, "##");
  md << "\n";
  bool facts_heading = false;
  for (const Annotations& file : annotations) {
    if (file.stack != run.name) continue;
    for (const Annotation& a : file.entries) {
      if (!a.finding.empty()) continue;
      if (!facts_heading) md << "## Facts of the code that are no finding\n\n";
      facts_heading = true;
      md << "**" << capitalized(a.summary) << "** — " << a.reason << ".\n\n";
      std::vector<std::vector<std::string>> rows_of_code;
      for (const CodeCitation& c : a.code)
        rows_of_code.push_back({"`" + c.file + "`", c.function.empty() ? "" : "`" + c.function + "`", c.why});
      if (!rows_of_code.empty()) {
        table_markdown(md, {"file", "function", "why"}, rows_of_code);
        md << "\n";
      }
    }
  }
  std::string text = md.str();
  while (text.size() > 1 && text[text.size() - 2] == '\n') text.pop_back();
  return text;
}

}  // namespace connstate::findings
