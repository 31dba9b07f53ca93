// report_text.cpp — JUnit XML, Markdown, HTML and console reports.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>

#include "connstate/harness/json_input.h"
#include "connstate/harness/reports.h"
#include "connstate/harness/spec_links.h"
#include "connstate/harness/why.h"

namespace connstate::harness {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
      out += ' ';  // not representable in XML 1.0
      continue;
    }
    out += static_cast<char>(c);
  }
  return html_escape(out);
}

// Escapes text for HTML and turns the URLs and docs/spec/ links in it into <a> elements.
std::string html_linkified(std::string_view text, const std::string& report_dir, const std::string& cases_dir) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t url = text.find("https://", i), notes = text.find("docs/spec/", i);
    const std::size_t start = std::min(url, notes);
    if (start == std::string_view::npos) break;
    std::size_t end = start;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != ')' &&
           text[end] != ',')
      ++end;
    const std::string target(text.substr(start, end - start));
    out += html_escape(text.substr(i, start - i));
    const std::string href = start == url ? target : notes_href(target, report_dir, cases_dir);
    out += "<a href=\"" + html_escape(href) + "\">" + html_escape(target) + "</a>";
    i = end;
  }
  out += html_escape(text.substr(i));
  return out;
}

Citation citation_of(const CaseResult& r) {
  const Case& c = *r.c;
  Citation out;
  if (c.generated && c.kind == CaseKind::Snapshot && !r.expected.rules.empty()) {
    const Rule& decided = rule(r.expected.rules.front());
    out.document = decided.document;
    out.anchor = decided.anchor;
    out.quote = decided.quote;
  } else {
    out.document = c.spec_document;
    out.anchor = c.spec_anchor;
    out.quote = c.spec_quote;
  }
  out.url = spec_url(out.document, out.anchor);
  out.notes = c.see;
  for (RuleId id : r.expected.rules) {
    std::string link = rule_notes_link(id);
    if (std::find(out.notes.begin(), out.notes.end(), link) == out.notes.end()) out.notes.push_back(std::move(link));
  }
  return out;
}

std::vector<std::string> decided_by_lines(const CaseResult& r) {
  std::vector<std::string> out;
  const char* aggregates[] = {"connectionState", "iceConnectionState"};
  for (std::size_t i = 0; i < r.expected.rules.size() && i < 2; ++i) {
    const Rule& decided = rule(r.expected.rules[i]);
    out.push_back(std::string(aggregates[i]) + ": " + std::string(decided.id) + " \u2014 \"" +
                  std::string(decided.quote) + "\" " + spec_url(decided.document, decided.anchor) + " (" +
                  rule_notes_link(decided.rule_id) + ")");
  }
  return out;
}

namespace {

constexpr Verdict kVerdicts[] = {Verdict::Pass, Verdict::NonStrict, Verdict::Informational,
                                 Verdict::Fail, Verdict::Error, Verdict::Unsupported};

std::string input_text(const Case& c) {
  if (c.kind == CaseKind::Snapshot) {
    std::string s = c.closed ? "closed; " : "";
    if (c.transports.empty()) s += "no transports";
    for (std::size_t i = 0; i < c.transports.size(); ++i) s += (i ? ", " : "") + transport_text(c.transports[i]);
    return s;
  }
  std::string s;
  for (std::size_t i = 0; i < c.steps.size(); ++i) s += (i ? "; " : "") + step_text(c.steps[i]);
  return s;
}

std::string outcome_text(const Case& c, const ExpectedOutcome& o) {
  if (c.kind == CaseKind::Snapshot)
    return "connectionState=" + show_state(o.snapshot.connection_state) +
           " iceConnectionState=" + show_state(o.snapshot.ice_connection_state);
  std::string s;
  for (std::size_t i = 0; i < o.steps.size(); ++i)
    s += "  " + std::to_string(i) + ". " + step_text(c.steps[i]) + " -> " + show_step(o.steps[i]) + "\n";
  return s;
}

std::string actual_text(const CaseResult& r) {
  const Case& c = *r.c;
  if (c.kind == CaseKind::Snapshot)
    return "connectionState=" + show_state(r.observed_snapshot.connection_state) +
           " iceConnectionState=" + show_state(r.observed_snapshot.ice_connection_state);
  std::string s;
  for (std::size_t i = 0; i < r.observed_steps.size(); ++i)
    s += "  " + std::to_string(i) + ". " + step_text(c.steps[i]) + " -> " + show_step(r.observed_steps[i]) +
         (static_cast<int>(i) == r.first_difference ? "   <-- differs" : "") + "\n";
  return s;
}

// A multi-line value under a label: the first line after the label, the others aligned with it.
std::string labelled(std::string_view label, std::string_view text) {
  std::string out = "  " + std::string(label);
  out.resize(15, ' ');
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    if (start) out += std::string(15, ' ');
    out += text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

// The citation part: requirement, spec sentence with its URL, the notes on it.
std::string citation_text(const CaseResult& r, const Citation& cite) {
  const Case& c = *r.c;
  std::string s;
  s += "  requirement: " + c.requirement + "\n";
  s += "  spec:        " + cite.document + " #" + cite.anchor + (cite.url.empty() ? "" : "  " + cite.url) + "\n";
  s += "               \"" + cite.quote + "\"\n";
  if (!cite.notes.empty()) {
    s += "  notes:       ";
    for (std::size_t i = 0; i < cite.notes.size(); ++i) s += (i ? "\n               " : "") + cite.notes[i];
    s += "\n";
  }
  if (!c.aliases.empty()) {
    s += "  former ids:  ";
    for (std::size_t i = 0; i < c.aliases.size(); ++i) s += (i ? ", " : "") + c.aliases[i];
    s += "\n";
  }
  return s;
}

// The evidence part: where the case is, its input, every acceptable outcome, what the stack did, why.
std::string evidence_text(const CaseResult& r) {
  const Case& c = *r.c;
  std::string s;
  if (!c.file.empty()) s += "  case file:   " + c.file + ":" + std::to_string(c.line) + "\n";
  s += "  input:       " + input_text(c) + "\n";
  const bool multi = c.kind == CaseKind::Sequence;
  s += "  expected (pass):" + std::string(multi ? "\n" : " ") + outcome_text(c, r.expected) + (multi ? "" : "\n");
  for (const auto& [v, o] : r.alternatives)
    s += "  acceptable (" + std::string(to_string(v)) + ", " + o.reason + "):" + (multi ? "\n" : " ") +
         outcome_text(c, o) + (multi ? "" : "\n");
  if (r.verdict == Verdict::Error || r.verdict == Verdict::Unsupported) {
    s += labelled("actual:", std::string(to_string(r.verdict)) + ": " + r.message);
    if (multi && !r.observed_steps.empty()) s += "  answered before that:\n" + actual_text(r);
  } else {
    s += "  actual:" + std::string(multi ? "\n" : "      ") + actual_text(r) + (multi ? "" : "\n");
    if (!r.message.empty()) s += "  difference:  " + r.message + "\n";
  }
  if (!r.evidence.empty()) s += labelled("evidence:", r.evidence);
  s += "  reason:      reference (" + std::string(to_string(r.profile)) + "): " + r.expected.reason + "\n";
  const auto decided = decided_by_lines(r);
  for (std::size_t i = 0; i < decided.size(); ++i) s += std::string(i ? "               " : "  decided by:  ") + decided[i] + "\n";
  if (r.expectation)
    s += "  expectation: " + r.expectation->key + " (" + r.expectation->verdicts_text() + ") — " +
         r.expectation->reason + "\n";
  return s;
}


// The h2spec-style block: everything needed to understand one result on one screen.
std::string detail_text(const CaseResult& r) { return citation_text(r, citation_of(r)) + evidence_text(r); }

// "connstate expectations update results.json -o my.expectations.json"
std::string update_command(const RunHeader& h) {
  return "connstate expectations update " + (h.results_file.empty() ? std::string("RESULTS.json") : h.results_file) +
         " -o " + (h.expectations_file.empty() ? std::string("EXPECTATIONS.json") : h.expectations_file) +
         (h.results_file.empty() ? "  (RESULTS.json: the run's --json output)" : "");
}

// What the text reports keep of each result.
struct Row {
  const Case* c;  // the suite outlives the reports
  Verdict verdict;
  bool unexpected;
  bool generated;
  double micros;
  std::string message;
  // What a report shows of the result; none for generated cases that pass, so that a run of
  // 164,502 snapshots keeps little more than the verdicts.
  struct Shown {
    std::string detail;    // detail_text
    Citation cite;
    std::string evidence;  // evidence_text
  };
  std::unique_ptr<const Shown> shown;
  const std::string& detail() const {
    static const std::string none;
    return shown ? shown->detail : none;
  }
  bool unexpected_pass = false;
  std::string expectation;  // for unexpected passes: "key (fail) — reason"
};

// One line for a result that is better than its expectation.
std::string unexpected_pass_text(const CaseResult& r) {
  return std::string(to_string(r.verdict)) + " (unexpected: expected " + r.expectation->verdicts_text() + ")";
}

class Collector : public ResultSink {
 public:
  void add(const CaseResult& r) override {
    Row row{r.c, r.verdict, r.unexpected, r.c->generated, r.micros, r.message, {}, false, {}};
    if (!r.c->generated || r.verdict != Verdict::Pass || r.unexpected_pass) {
      auto shown = std::make_unique<Row::Shown>();
      shown->cite = citation_of(r);
      shown->evidence = evidence_text(r);
      shown->detail = citation_text(r, shown->cite) + shown->evidence;
      row.shown = std::move(shown);
    }
    if (r.unexpected_pass) {
      row.unexpected_pass = true;
      row.message = unexpected_pass_text(r);
      row.expectation = r.expectation->key + " (" + r.expectation->verdicts_text() + ") — " + r.expectation->reason;
    }
    rows_.push_back(std::move(row));
  }

 protected:
  std::vector<Row> rows_;
  // sections in first-seen order, with counts per verdict
  // The Markdown and HTML reports group results by case file (each file has a title that says what
  // its cases are about; several files share a section key), and generated cases by their suite.
  static std::string group_of(const Case& c) {
    if (c.file.empty()) return c.section;
    return c.file.ends_with(".json") ? c.file.substr(0, c.file.size() - 5) : c.file;
  }
  std::vector<std::pair<std::string, std::array<std::size_t, 6>>> by_section() const {
    std::vector<std::pair<std::string, std::array<std::size_t, 6>>> out;
    std::map<std::string, std::size_t> index;
    for (const Row& r : rows_) {
      auto [it, fresh] = index.emplace(group_of(*r.c), out.size());
      if (fresh) out.push_back({group_of(*r.c), {}});
      ++out[it->second].second[static_cast<std::size_t>(r.verdict)];
    }
    return out;
  }
  std::map<std::string, std::string> section_titles() const {
    std::map<std::string, std::string> t;
    for (const Row& r : rows_) t.emplace(group_of(*r.c), r.c->section_title);
    return t;
  }
};

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void write_file(const std::string& path, const std::string& content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write " + path);
}

class JUnitReport final : public Collector {
 public:
  explicit JUnitReport(std::string path) : path_(std::move(path)) {}
  void end(const RunHeader& h, const RunSummary& s) override {
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    auto failures = [&](const Row& r) { return r.unexpected && (r.verdict != Verdict::Error || r.unexpected_pass); };
    std::size_t nfail = 0, nerr = 0, nskip = 0;
    for (const Row& r : rows_) {
      nfail += failures(r) ? 1 : 0;
      nerr += (r.unexpected && r.verdict == Verdict::Error) ? 1 : 0;
      nskip += r.verdict == Verdict::Unsupported ? 1 : 0;
    }
    char t[32];
    std::snprintf(t, sizeof t, "%.3f", s.seconds);
    x += "<testsuites name=\"connstate " + xml_escape(h.stack.sut) + "\" tests=\"" + std::to_string(rows_.size()) +
         "\" failures=\"" + std::to_string(nfail) + "\" errors=\"" + std::to_string(nerr) + "\" skipped=\"" +
         std::to_string(nskip) + "\" time=\"" + t + "\">\n";
    std::map<std::string, std::vector<const Row*>> sections;
    std::vector<std::string> order;
    for (const Row& r : rows_) {
      if (!sections.count(r.c->section)) order.push_back(r.c->section);
      sections[r.c->section].push_back(&r);
    }
    for (const auto& name : order) {
      const auto& rows = sections[name];
      std::size_t f = 0, e = 0, sk = 0;
      double secs = 0;
      for (const Row* r : rows) {
        f += failures(*r) ? 1 : 0;
        e += (r->unexpected && r->verdict == Verdict::Error) ? 1 : 0;
        sk += r->verdict == Verdict::Unsupported ? 1 : 0;
        secs += r->micros / 1e6;
      }
      std::snprintf(t, sizeof t, "%.6f", secs);
      x += "  <testsuite name=\"" + xml_escape(name) + "\" tests=\"" + std::to_string(rows.size()) + "\" failures=\"" +
           std::to_string(f) + "\" errors=\"" + std::to_string(e) + "\" skipped=\"" + std::to_string(sk) +
           "\" time=\"" + t + "\">\n";
      for (const Row* r : rows) {
        std::snprintf(t, sizeof t, "%.6f", r->micros / 1e6);
        x += "    <testcase name=\"" + xml_escape(r->c->id) + "\" classname=\"connstate." + xml_escape(name) +
             "\" time=\"" + t + "\">";
        if (r->shown) {
          // Where the requirement comes from, as URLs a CI page can show next to the result.
          const Citation& cite = r->shown->cite;
          x += "<properties>";
          if (!cite.url.empty()) x += "<property name=\"spec\" value=\"" + xml_escape(cite.url) + "\"/>";
          for (const auto& n : cite.notes) x += "<property name=\"notes\" value=\"" + xml_escape(n) + "\"/>";
          x += "</properties>";
        }
        const std::string msg = std::string(to_string(r->verdict)) + (r->message.empty() ? "" : ": " + r->message);
        if (r->unexpected_pass) {
          // Not a failure of the stack: the expectations file is out of date (a failure only when
          // the run was asked to fail on it, so that the JUnit view agrees with the exit code).
          const std::string note = r->message + "; update the expectations: " + update_command(h) +
                                   "\nexpectation: " + r->expectation;
          if (r->unexpected)
            x += "<failure message=\"" + xml_escape(r->message) + "\" type=\"unexpected-pass\">" + xml_escape(note) +
                 "</failure>";
          else
            x += "<system-out>" + xml_escape(note) + "</system-out>";
        } else if (r->verdict == Verdict::Unsupported) {
          x += "<skipped message=\"" + xml_escape(msg) + "\"/>";
        } else if (r->unexpected && r->verdict == Verdict::Error) {
          x += "<error message=\"" + xml_escape(msg) + "\" type=\"error\">" + xml_escape(r->detail()) + "</error>";
        } else if (r->unexpected) {
          x += "<failure message=\"" + xml_escape(msg) + "\" type=\"" + std::string(to_string(r->verdict)) + "\">" +
               xml_escape(r->detail()) + "</failure>";
        } else if (r->verdict != Verdict::Pass) {
          x += "<system-out>" + xml_escape("expected " + msg) + "</system-out>";
        }
        x += "</testcase>\n";
      }
      x += "  </testsuite>\n";
    }
    x += "</testsuites>\n";
    write_file(path_, x);
  }

 private:
  std::string path_;
};

std::string verdict_cell_class(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::NonStrict: return "nonstrict";
    case Verdict::Informational: return "info";
    case Verdict::Fail: return "fail";
    case Verdict::Error: return "error";
    case Verdict::Unsupported: return "unsupported";
  }
  return "";
}

// "spec: [REC 2025 #anchor](url) · notes: [docs/spec/x.md#a](…)", links relative to the report.
std::string markdown_links(const Row& r, const std::string& report_dir, const std::string& cases_dir) {
  if (!r.shown) return "";
  const Citation& cite = r.shown->cite;
  std::string m = "spec: ";
  const std::string label = cite.document + " #" + cite.anchor;
  m += cite.url.empty() ? label : "[" + label + "](" + cite.url + ")";
  if (!cite.notes.empty()) {
    m += " · notes:";
    for (const auto& n : cite.notes) m += " [" + n + "](" + notes_href(n, report_dir, cases_dir) + ")";
  }
  return m + "\n";
}

class MarkdownReport final : public Collector {
 public:
  explicit MarkdownReport(std::string path) : path_(std::move(path)) {}
  void end(const RunHeader& h, const RunSummary& s) override {
    std::string m = "# connstate: " + h.stack.name + "\n\n";
    m += "- stack: `" + h.stack.sut + "`" + (h.stack.version.empty() ? "" : " (" + h.stack.version + ")") + "\n";
    m += "- profile: `" + h.profile + "`" + (h.strict ? " (strict)" : "") + "\n";
    m += "- tool " + h.tool_version + ", suite " + h.suite_version + ", " + h.date + "\n";
    if (!h.expectations_file.empty()) m += "- expectations: `" + h.expectations_file + "`\n";
    for (const auto& w : h.warnings) m += "- **warning**: " + w + "\n";
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f", s.seconds);
    m += "- " + std::to_string(s.total) + " cases in " + secs + " s; **" + std::to_string(s.unexpected) +
         " unexpected**" + (s.interrupted ? " (interrupted)" : "");
    if (s.unexpected_passes)
      m += "; " + std::to_string(s.unexpected_passes) + " unexpected pass(es): update the expectations";
    m += "\n\n";
    m += "| verdict | cases |\n|---|---:|\n";
    for (Verdict v : kVerdicts) m += "| " + std::string(to_string(v)) + " | " + std::to_string(s.count(v)) + " |\n";
    m += "\n## By spec section\n\n| cases | pass | non-strict | informational | fail | error | unsupported |\n"
         "|---|---:|---:|---:|---:|---:|---:|\n";
    const auto titles = section_titles();
    for (const auto& [sec, counts] : by_section()) {
      m += "| " + titles.at(sec) + " (`" + sec + "`) ";
      for (std::size_t c : counts) m += "| " + std::to_string(c) + " ";
      m += "|\n";
    }
    std::size_t shown = 0, unexpected = 0, passes = 0;
    for (const Row& r : rows_) {
      unexpected += r.unexpected && !r.unexpected_pass;
      passes += r.unexpected_pass;
    }
    if (passes) {
      m += "\n## Unexpected passes: update the expectations\n\nThese cases now give a better verdict than the "
           "expectations file says; the file is out of date" +
           std::string(h.fail_on_unexpected_pass ? " (this run fails on them: --fail-on-unexpected-pass)" : "") +
           ". Refresh it with `" + update_command(h) + "` and keep the reasons that still hold.\n\n";
      std::size_t listed = 0;
      for (const Row& r : rows_) {
        if (!r.unexpected_pass) continue;
        if (++listed > 100) {
          m += "- … and " + std::to_string(passes - 100) + " more (see the JSON report)\n";
          break;
        }
        m += "- `" + r.c->id + "` — " + html_escape(r.message) + "; expectation " + html_escape(r.expectation) + "\n";
      }
    }
    if (unexpected) {
      m += "\n## Unexpected results\n\n";
      for (const Row& r : rows_) {
        if (!r.unexpected || r.unexpected_pass) continue;
        if (++shown > 100) {
          m += "\n… and " + std::to_string(unexpected - 100) + " more (see the JSON or HTML report).\n";
          break;
        }
        m += "<details><summary><code>" + r.c->id + "</code> — " + std::string(to_string(r.verdict)) + ": " +
             html_escape(r.message) + "</summary>\n\n" + markdown_links(r, dir_of(path_), h.cases_dir) + "\n```\n" + r.detail() + "```\n</details>\n";
      }
    }
    write_file(path_, m);
  }

 private:
  std::string path_;
};

const char* kCss = R"(body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f3f3f3}.num{text-align:right}
.pass{background:#d9f2d9}.nonstrict{background:#fff3c4}.info{background:#dde8ff}.fail{background:#ffd6d6}
.error{background:#f7b2b2}.unsupported{background:#eee}
details{margin:.2em 0}summary{cursor:pointer}pre{background:#fafafa;border:1px solid #ddd;padding:.6em;white-space:pre-wrap}
.badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.9em}
.unexpected{font-weight:bold;color:#a00}
dl.cite{margin:.4em 0 .4em 1em}dl.cite dt{font-weight:bold;float:left;clear:left;width:7em}dl.cite dd{margin:0 0 .2em 7.5em}
blockquote{margin:.2em 0;padding-left:.6em;border-left:3px solid #bbb;color:#444}
#filter{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd}#filter label{margin-right:1em})";

// The filter: verdict, section and free text, read from and written to the location hash
// (#verdict=fail&section=close&q=text) so a filtered view can be linked. Without JavaScript the
// form stays hidden and every case is listed.
const char* kFilterScript = R"(<script>
(function () {
  var form = document.getElementById('filter');
  var verdict = document.getElementById('f-verdict'), section = document.getElementById('f-section'),
      text = document.getElementById('f-text'), shown = document.getElementById('f-shown');
  var cases = Array.prototype.slice.call(document.querySelectorAll('details.case'));
  var headings = Array.prototype.slice.call(document.querySelectorAll('h3.section'));
  var counted = Array.prototype.slice.call(document.querySelectorAll('p.counted'));
  function apply() {
    var v = verdict.value, sec = section.value, q = text.value.trim().toLowerCase(), n = 0, seen = {};
    cases.forEach(function (c) {
      var ok = (!v || (v === 'unexpected' ? c.dataset.unexpected === 'true' : c.dataset.verdict === v)) &&
               (!sec || c.dataset.section === sec) && (!q || c.textContent.toLowerCase().indexOf(q) >= 0);
      c.hidden = !ok;
      if (ok) { n++; seen[c.dataset.section] = true; }
    });
    headings.forEach(function (h) { h.hidden = !seen[h.dataset.section] && !!(v || sec || q); });
    counted.forEach(function (p) { p.hidden = !!(v || sec || q); });
    shown.textContent = n + ' of ' + cases.length + ' listed cases shown';
    var hash = [];
    if (v) hash.push('verdict=' + encodeURIComponent(v));
    if (sec) hash.push('section=' + encodeURIComponent(sec));
    if (q) hash.push('q=' + encodeURIComponent(q));
    history.replaceState(null, '', hash.length ? '#' + hash.join('&') : location.pathname + location.search);
  }
  function load() {
    if (location.hash.indexOf('=') < 0) return;
    location.hash.slice(1).split('&').forEach(function (kv) {
      var i = kv.indexOf('='), k = kv.slice(0, i), val = decodeURIComponent(kv.slice(i + 1));
      if (k === 'verdict') verdict.value = val;
      if (k === 'section') section.value = val;
      if (k === 'q') text.value = val;
    });
  }
  form.hidden = false;
  load();
  [verdict, section].forEach(function (e) { e.addEventListener('change', apply); });
  text.addEventListener('input', apply);
  apply();
})();
</script>)";

class HtmlReport final : public Collector {
 public:
  explicit HtmlReport(std::string path) : path_(std::move(path)) {}
  void end(const RunHeader& h, const RunSummary& s) override {
    const std::string report_dir = dir_of(path_);
    auto link = [](const std::string& href, const std::string& text) {
      return "<a href=\"" + html_escape(href) + "\">" + html_escape(text) + "</a>";
    };
    std::string o = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>connstate — " +
                    html_escape(h.stack.name) + "</title><style>" + kCss + "</style></head><body>\n";
    o += "<h1>connstate conformance report</h1>\n<section id=\"run\"><table>";
    auto row = [&](const std::string& k, const std::string& v) {
      o += "<tr><th>" + k + "</th><td>" + html_escape(v) + "</td></tr>";
    };
    row("stack", h.stack.sut + " — " + h.stack.name + (h.stack.version.empty() ? "" : " " + h.stack.version));
    row("profile", h.profile + (h.strict ? " (strict)" : ""));
    row("tool / suite", h.tool_version + " / " + h.suite_version);
    row("date", h.date);
    if (!h.expectations_file.empty()) row("expectations", h.expectations_file);
    for (const auto& w : h.warnings) row("warning", w);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f s", s.seconds);
    row("duration", secs);
    o += "</table></section>\n";
    o += "<section id=\"summary\"><h2>Summary</h2><table class=\"summary\"><tr><th>verdict</th><th>cases</th></tr>";
    for (Verdict v : kVerdicts)
      o += "<tr class=\"" + verdict_cell_class(v) + "\"><td>" + std::string(to_string(v)) + "</td><td class=\"num\">" +
           std::to_string(s.count(v)) + "</td></tr>";
    o += "<tr><th>total</th><td class=\"num\" id=\"total\">" + std::to_string(s.total) + "</td></tr>";
    o += "<tr><th>unexpected</th><td class=\"num\" id=\"unexpected\">" + std::to_string(s.unexpected) + "</td></tr>";
    if (s.unexpected_passes)
      o += "<tr><th>unexpected passes (update the expectations)</th><td class=\"num\" id=\"unexpected-passes\">" +
           std::to_string(s.unexpected_passes) + "</td></tr>";
    o += "</table>";
    if (s.interrupted) o += "<p class=\"unexpected\">The run was interrupted: this report covers what ran.</p>";
    o += "</section>\n<section id=\"sections\"><h2>By spec section</h2><table><tr><th>cases</th>";
    for (Verdict v : kVerdicts) o += "<th>" + std::string(to_string(v)) + "</th>";
    o += "</tr>";
    const auto titles = section_titles();
    const auto sections = by_section();
    for (const auto& [sec, counts] : sections) {
      o += "<tr><td><a href=\"#sec-" + html_escape(sec) + "\">" + html_escape(titles.at(sec)) + "</a></td>";
      for (std::size_t i = 0; i < 6; ++i)
        o += "<td class=\"num " + std::string(counts[i] ? verdict_cell_class(kVerdicts[i]) : "") + "\">" +
             std::to_string(counts[i]) + "</td>";
      o += "</tr>";
    }
    o += "</table></section>\n<section id=\"cases\"><h2>Cases</h2>\n";
    o += "<p>Each case names the sentence of the specification it tests (a link to the published text) and the "
         "project's notes on it (docs/spec/). Generated cases that pass are counted, not listed.</p>\n";
    o += "<form id=\"filter\" hidden><label>verdict <select id=\"f-verdict\"><option value=\"\">any</option>"
         "<option value=\"unexpected\">unexpected</option>";
    for (Verdict v : kVerdicts)
      o += "<option value=\"" + verdict_cell_class(v) + "\">" + std::string(to_string(v)) + "</option>";
    o += "</select></label><label>section <select id=\"f-section\"><option value=\"\">any</option>";
    for (const auto& [sec, counts] : sections)
      o += "<option value=\"" + html_escape(sec) + "\">" + html_escape(titles.at(sec)) + "</option>";
    o += "</select></label><label>text <input id=\"f-text\" type=\"search\" placeholder=\"case id, state, rule…\">"
         "</label><span id=\"f-shown\"></span></form>\n";
    std::string current;
    std::size_t generated_pass = 0, details = 0;
    for (const Row& r : rows_) {
      if (group_of(*r.c) != current) {
        if (generated_pass) o += "<p class=\"counted\">" + std::to_string(generated_pass) + " generated cases passed (not listed).</p>";
        generated_pass = 0;
        current = group_of(*r.c);
        o += "<h3 class=\"section\" data-section=\"" + html_escape(current) + "\" id=\"sec-" + html_escape(current) +
             "\">" + html_escape(r.c->section_title) + "</h3>\n";
      }
      if (!r.shown) {
        ++generated_pass;
        continue;
      }
      if (++details > 5000) continue;
      o += "<details class=\"case\" id=\"case-" + html_escape(r.c->id) + "\" data-verdict=\"" +
           verdict_cell_class(r.verdict) + "\" data-section=\"" + html_escape(group_of(*r.c)) + "\" data-unexpected=\"" +
           (r.unexpected ? "true" : "false") + "\"><summary><span class=\"badge " + verdict_cell_class(r.verdict) +
           "\">" + std::string(to_string(r.verdict)) + "</span> " +
           (r.unexpected_pass ? "<span class=\"unexpected\">unexpected pass: update the expectations</span> "
             : r.unexpected   ? "<span class=\"unexpected\">unexpected</span> "
                              : "") + "<code>" + html_escape(r.c->id) +
           "</code> " + html_escape(r.c->title) + "</summary>";
      o += "<dl class=\"cite\"><dt>requirement</dt><dd>" + html_escape(r.c->requirement) + "</dd><dt>spec</dt><dd>";
      const std::string label = r.shown->cite.document + " #" + r.shown->cite.anchor;
      o += r.shown->cite.url.empty() ? html_escape(label) : link(r.shown->cite.url, label);
      o += "<blockquote>" + html_escape(r.shown->cite.quote) + "</blockquote></dd>";
      if (!r.c->aliases.empty()) {
        o += "<dt>former ids</dt><dd>";
        for (std::size_t i = 0; i < r.c->aliases.size(); ++i) o += (i ? ", <code>" : "<code>") + html_escape(r.c->aliases[i]) + "</code>";
        o += "</dd>";
      }
      if (!r.shown->cite.notes.empty()) {
        o += "<dt>notes</dt><dd>";
        for (std::size_t i = 0; i < r.shown->cite.notes.size(); ++i)
          o += (i ? ", " : "") + link(notes_href(r.shown->cite.notes[i], report_dir, h.cases_dir), r.shown->cite.notes[i]);
        o += "</dd>";
      }
      o += "</dl><pre>" + html_linkified(r.shown->evidence, report_dir, h.cases_dir) + "</pre></details>\n";
    }
    if (generated_pass) o += "<p class=\"counted\">" + std::to_string(generated_pass) + " generated cases passed (not listed).</p>";
    if (details > 5000) o += "<p>" + std::to_string(details - 5000) + " more cases are in the JSON report.</p>";
    if (!s.stack_diagnostics.empty())
      o += "<h2>Stack diagnostics</h2><pre id=\"diagnostics\">" + html_escape(s.stack_diagnostics) + "</pre>";
    o += "</section>\n";
    o += kFilterScript;
    o += "</body></html>\n";
    write_file(path_, o);
  }

 private:
  std::string path_;
};

class ConsoleReport final : public ResultSink {
 public:
  ConsoleReport(std::FILE* out, std::size_t max_details) : out_(out), max_(max_details) {}
  void begin(const RunHeader& h) override { header_ = h; }
  void add(const CaseResult& r) override {
    if (r.unexpected_pass) {
      if (r.unexpected) ++unexpected_;
      if (printed_ >= max_) return;
      ++printed_;
      if (r.unexpected) ++accounted_;  // its line stands for it
      close_repeats();
      last_error_.clear();
      std::string verdict(to_string(r.verdict));
      for (char& ch : verdict) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      std::fprintf(out_, "\n%s (unexpected: expected %s) %s — %s\n  expectation: %s — %s\n  update the expectations: %s\n",
                   verdict.c_str(), r.expectation->verdicts_text().c_str(), r.c->id.c_str(), r.c->title.c_str(),
                   r.expectation->key.c_str(), r.expectation->reason.c_str(), update_command(header_).c_str());
      return;
    }
    if (!r.unexpected) return;
    ++unexpected_;
    // A stack that stopped answering gives many cases the same error: one block, then a count.
    const bool repeat = r.verdict == Verdict::Error && !last_error_.empty() && r.message == last_error_;
    last_error_ = r.verdict == Verdict::Error ? r.message : std::string();
    if (repeat) {
      if (last_printed_) {
        ++repeats_;
        ++accounted_;
        last_repeat_id_ = r.c->id;
      }
      return;
    }
    close_repeats();
    last_printed_ = printed_ < max_;
    if (!last_printed_) return;
    ++printed_;
    ++accounted_;
    std::fprintf(out_, "\n%s %s — %s\n%s", r.verdict == Verdict::Error ? "ERROR" : "FAIL", r.c->id.c_str(),
                 r.c->title.c_str(), detail_text(r).c_str());
  }
  void end(const RunHeader& h, const RunSummary& s) override {
    close_repeats();
    // --quiet (max 0) asked for the summary only: no count of what it did not show.
    if (unexpected_ > accounted_ && max_ > 0)
      std::fprintf(out_, "\n… %zu more unexpected results (see the reports)\n", unexpected_ - accounted_);
    std::fprintf(out_, "\n%s against profile %s: %zu cases in %.2f s\n", h.stack.sut.c_str(), h.profile.c_str(),
                 s.total, s.seconds);
    std::fprintf(out_, "  %zu pass, %zu non-strict, %zu informational, %zu fail, %zu error, %zu unsupported\n",
                 s.count(Verdict::Pass), s.count(Verdict::NonStrict), s.count(Verdict::Informational),
                 s.count(Verdict::Fail), s.count(Verdict::Error), s.count(Verdict::Unsupported));
    std::fprintf(out_, "  %zu unexpected%s\n", s.unexpected, s.interrupted ? " (run interrupted)" : "");
    if (s.unexpected_passes)
      std::fprintf(out_, "  %zu unexpected pass(es)%s: update the expectations: %s\n", s.unexpected_passes,
                   h.fail_on_unexpected_pass ? " (counted as unexpected: --fail-on-unexpected-pass)" : "",
                   update_command(h).c_str());
    std::fflush(out_);
  }

 private:
  void close_repeats() {
    if (repeats_)
      std::fprintf(out_, "  (the same error for %zu more case(s), up to %s)\n", repeats_, last_repeat_id_.c_str());
    repeats_ = 0;
  }

  std::FILE* out_;
  std::size_t max_;
  std::size_t unexpected_ = 0;   // unexpected results seen
  std::size_t printed_ = 0;      // blocks and unexpected-pass lines printed (at most max_)
  std::size_t accounted_ = 0;    // unexpected results printed or counted in a "same error" line
  RunHeader header_;
  std::string last_error_;       // message of the previous unexpected error
  bool last_printed_ = false;
  std::size_t repeats_ = 0;
  std::string last_repeat_id_;
};

}  // namespace

std::unique_ptr<ResultSink> make_junit_report(const std::string& path) { return std::make_unique<JUnitReport>(path); }
std::unique_ptr<ResultSink> make_markdown_report(const std::string& path) {
  return std::make_unique<MarkdownReport>(path);
}
std::unique_ptr<ResultSink> make_html_report(const std::string& path) { return std::make_unique<HtmlReport>(path); }
std::unique_ptr<ResultSink> make_console_report(std::FILE* out, std::size_t max_details) {
  return std::make_unique<ConsoleReport>(out, max_details);
}

}  // namespace connstate::harness
