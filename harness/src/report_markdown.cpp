// report_markdown.cpp — the Markdown summary report, streamed.
//
// What it prints is bounded whatever the size of the run: counts per verdict and per case file,
// then at most 100 unexpected passes and 100 unexpected results. So it keeps the counts and those
// entries, rendered when they arrive, and writes the file at the end.
#include <cstdio>

#include "connstate/harness/reports.h"
#include "connstate/harness/spec_links.h"
#include "internal/report_text.h"

namespace connstate::harness {
namespace {
using namespace internal;

constexpr std::size_t kListed = 100;

// "spec: [REC 2025 #anchor](url) · notes: [docs/spec/x.md#a](…)", links relative to the report.
std::string markdown_links(const Citation& cite, const std::string& report_dir, const std::string& cases_dir) {
  std::string m = "spec: ";
  const std::string label = cite.document + " #" + cite.anchor;
  m += cite.url.empty() ? label : "[" + label + "](" + cite.url + ")";
  if (!cite.notes.empty()) {
    m += " · notes:";
    for (const auto& n : cite.notes) m += " [" + n + "](" + notes_href(n, report_dir, cases_dir) + ")";
  }
  return m + "\n";
}

class MarkdownReport final : public ResultSink {
 public:
  explicit MarkdownReport(std::string path) : path_(std::move(path)) {}
  void begin(const RunHeader& h) override { cases_dir_ = h.cases_dir; }
  void add(const CaseResult& r) override {
    tally_.add(r);
    if (r.unexpected_pass) {
      if (++passes_ <= kListed)
        listed_passes_ += "- `" + r.c->id + "` — " + html_escape(unexpected_pass_text(r)) + "; expectation " +
                          html_escape(expectation_text(*r.expectation)) + "\n";
    } else if (r.unexpected) {
      if (++unexpected_ <= kListed) {
        const std::string links = shows_details(r) ? markdown_links(citation_of(r), dir_of(path_), cases_dir_) : "";
        const std::string detail = shows_details(r) ? detail_text(r) : "";
        listed_unexpected_ += "<details><summary><code>" + r.c->id + "</code> — " + std::string(to_string(r.verdict)) +
                              ": " + html_escape(r.message) + "</summary>\n\n" + links + "\n```\n" + detail +
                              "```\n</details>\n";
      }
    }
  }
  void end(const RunHeader& h, const RunSummary& s) override {
    std::string m = head(h, s);
    if (passes_) {
      m += "\n## Unexpected passes: update the expectations\n\nThese cases now give a better verdict than the "
           "expectations file says; the file is out of date" +
           std::string(h.fail_on_unexpected_pass ? " (this run fails on them: --fail-on-unexpected-pass)" : "") +
           ". Refresh it with `" + update_command(h) + "` and keep the reasons that still hold.\n\n";
      m += listed_passes_;
      if (passes_ > kListed) m += "- … and " + std::to_string(passes_ - kListed) + " more (see the JSON report)\n";
    }
    if (unexpected_) {
      m += "\n## Unexpected results\n\n";
      m += listed_unexpected_;
      if (unexpected_ > kListed)
        m += "\n… and " + std::to_string(unexpected_ - kListed) + " more (see the JSON or HTML report).\n";
    }
    std::FILE* f = open_report(path_);
    write_all(f, m, path_);
    close_report(f, path_);
  }

 private:
  // The run, the verdict counts and the counts per case file.
  std::string head(const RunHeader& h, const RunSummary& s) const {
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
    for (const auto& g : tally_.groups()) {
      m += "| " + g.title + " (`" + g.key + "`) ";
      for (std::size_t c : g.counts) m += "| " + std::to_string(c) + " ";
      m += "|\n";
    }
    return m;
  }

  std::string path_, cases_dir_;
  GroupTally tally_;
  std::size_t passes_ = 0, unexpected_ = 0;
  std::string listed_passes_, listed_unexpected_;
};

}  // namespace

std::unique_ptr<ResultSink> make_markdown_report(const std::string& path) {
  return std::make_unique<MarkdownReport>(path);
}

}  // namespace connstate::harness
