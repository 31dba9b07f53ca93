// report_html.cpp — the static HTML report, streamed.
//
// The page starts with the run, the verdict counts and a table per case file, and its filter form
// lists the case files: all known only at the end. So the case list (grouped by case file, at most
// 5000 detailed cases, generated passes counted) is rendered as results arrive into a temporary
// file, and at the end the top of the page is written and the list copied in after it.
#include <cstdio>

#include "connstate/harness/reports.h"
#include "connstate/harness/spec_links.h"
#include "internal/report_text.h"

namespace connstate::harness {
namespace {
using namespace internal;

constexpr std::size_t kMaxDetails = 5000;

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


std::string link(const std::string& href, const std::string& text) {
  return "<a href=\"" + html_escape(href) + "\">" + html_escape(text) + "</a>";
}

class HtmlReport final : public ResultSink {
 public:
  explicit HtmlReport(std::string path) : path_(std::move(path)), report_dir_(dir_of(path_)) {}
  void begin(const RunHeader& h) override { cases_dir_ = h.cases_dir; }
  void add(const CaseResult& r) override {
    tally_.add(r);
    const std::string group = group_of(*r.c);
    if (group != current_) {
      close_group();
      current_ = group;
      spool_.append("<h3 class=\"section\" data-section=\"" + html_escape(current_) + "\" id=\"sec-" +
                    html_escape(current_) + "\">" + html_escape(r.c->section_title) + "</h3>\n");
    }
    if (!shows_details(r)) {
      ++generated_pass_;
      return;
    }
    if (++details_ > kMaxDetails) return;
    spool_.append(case_html(r));
  }
  void end(const RunHeader& h, const RunSummary& s) override {
    close_group();
    std::string tail;
    if (details_ > kMaxDetails) tail += "<p>" + std::to_string(details_ - kMaxDetails) + " more cases are in the JSON report.</p>";
    if (!s.stack_diagnostics.empty())
      tail += "<h2>Stack diagnostics</h2><pre id=\"diagnostics\">" + html_escape(s.stack_diagnostics) + "</pre>";
    tail += "</section>\n";
    tail += kFilterScript;
    tail += "</body></html>\n";
    std::FILE* f = open_report(path_);
    write_all(f, top(h, s), path_);
    try {
      spool_.copy_to(f, 0, spool_.size());
    } catch (const std::runtime_error&) {
      std::fclose(f);
      throw;
    }
    write_all(f, tail, path_);
    close_report(f, path_);
  }

 private:
  void close_group() {
    if (generated_pass_)
      spool_.append("<p class=\"counted\">" + std::to_string(generated_pass_) + " generated cases passed (not listed).</p>");
    generated_pass_ = 0;
  }

  std::string case_html(const CaseResult& r) const {
    const Citation cite = citation_of(r);
    std::string o = "<details class=\"case\" id=\"case-" + html_escape(r.c->id) + "\" data-verdict=\"" +
                    verdict_css_class(r.verdict) + "\" data-section=\"" + html_escape(group_of(*r.c)) +
                    "\" data-unexpected=\"" + (r.unexpected ? "true" : "false") + "\"><summary><span class=\"badge " +
                    verdict_css_class(r.verdict) + "\">" + std::string(to_string(r.verdict)) + "</span> " +
                    (r.unexpected_pass ? "<span class=\"unexpected\">unexpected pass: update the expectations</span> "
                     : r.unexpected   ? "<span class=\"unexpected\">unexpected</span> "
                                      : "") +
                    "<code>" + html_escape(r.c->id) + "</code> " + html_escape(r.c->title) + "</summary>";
    o += "<dl class=\"cite\"><dt>requirement</dt><dd>" + html_escape(r.c->requirement) + "</dd><dt>spec</dt><dd>";
    const std::string label = cite.document + " #" + cite.anchor;
    o += cite.url.empty() ? html_escape(label) : link(cite.url, label);
    o += "<blockquote>" + html_escape(cite.quote) + "</blockquote></dd>";
    if (!r.c->aliases.empty()) {
      o += "<dt>former ids</dt><dd>";
      for (std::size_t i = 0; i < r.c->aliases.size(); ++i)
        o += (i ? ", <code>" : "<code>") + html_escape(r.c->aliases[i]) + "</code>";
      o += "</dd>";
    }
    if (!cite.notes.empty()) {
      o += "<dt>notes</dt><dd>";
      for (std::size_t i = 0; i < cite.notes.size(); ++i)
        o += (i ? ", " : "") + link(notes_href(cite.notes[i], report_dir_, cases_dir_), cite.notes[i]);
      o += "</dd>";
    }
    return o + "</dl><pre>" + html_linkified(evidence_text(r), report_dir_, cases_dir_) + "</pre></details>\n";
  }

  // Everything above the case list: the run, the summary, the table per case file, the filter.
  std::string top(const RunHeader& h, const RunSummary& s) const {
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
      o += "<tr class=\"" + verdict_css_class(v) + "\"><td>" + std::string(to_string(v)) + "</td><td class=\"num\">" +
           std::to_string(s.count(v)) + "</td></tr>";
    o += "<tr><th>total</th><td class=\"num\" id=\"total\">" + std::to_string(s.total) + "</td></tr>";
    o += "<tr><th>unexpected</th><td class=\"num\" id=\"unexpected\">" + std::to_string(s.unexpected) + "</td></tr>";
    if (s.unexpected_passes)
      o += "<tr><th>unexpected passes (update the expectations)</th><td class=\"num\" id=\"unexpected-passes\">" +
           std::to_string(s.unexpected_passes) + "</td></tr>";
    o += "</table>";
    if (s.interrupted) o += "<p class=\"unexpected\">The run was interrupted: this report covers what ran.</p>";
    return o + sections_and_filter();
  }

  std::string sections_and_filter() const {
    std::string o = "</section>\n<section id=\"sections\"><h2>By spec section</h2><table><tr><th>cases</th>";
    for (Verdict v : kVerdicts) o += "<th>" + std::string(to_string(v)) + "</th>";
    o += "</tr>";
    for (const auto& g : tally_.groups()) {
      o += "<tr><td><a href=\"#sec-" + html_escape(g.key) + "\">" + html_escape(g.title) + "</a></td>";
      for (std::size_t i = 0; i < 6; ++i)
        o += "<td class=\"num " + std::string(g.counts[i] ? verdict_css_class(kVerdicts[i]) : "") + "\">" +
             std::to_string(g.counts[i]) + "</td>";
      o += "</tr>";
    }
    o += "</table></section>\n<section id=\"cases\"><h2>Cases</h2>\n";
    o += "<p>Each case names the sentence of the specification it tests (a link to the published text) and the "
         "project's notes on it (docs/spec/). Generated cases that pass are counted, not listed.</p>\n";
    o += "<form id=\"filter\" hidden><label>verdict <select id=\"f-verdict\"><option value=\"\">any</option>"
         "<option value=\"unexpected\">unexpected</option>";
    for (Verdict v : kVerdicts)
      o += "<option value=\"" + verdict_css_class(v) + "\">" + std::string(to_string(v)) + "</option>";
    o += "</select></label><label>section <select id=\"f-section\"><option value=\"\">any</option>";
    for (const auto& g : tally_.groups())
      o += "<option value=\"" + html_escape(g.key) + "\">" + html_escape(g.title) + "</option>";
    o += "</select></label><label>text <input id=\"f-text\" type=\"search\" placeholder=\"case id, state, rule…\">"
         "</label><span id=\"f-shown\"></span></form>\n";
    return o;
  }

  std::string path_, report_dir_, cases_dir_;
  GroupTally tally_;
  Spool spool_;
  std::string current_;
  std::size_t generated_pass_ = 0, details_ = 0;
};

}  // namespace

std::unique_ptr<ResultSink> make_html_report(const std::string& path) { return std::make_unique<HtmlReport>(path); }

}  // namespace connstate::harness
