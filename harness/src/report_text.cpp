// report_text.cpp — what the text reports share (escaping, citations, the text of one result, group
// tallies, the spool file) and the console report. JUnit, Markdown and HTML: report_junit.cpp,
// report_markdown.cpp, report_html.cpp.
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
#include "internal/report_text.h"

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

void append_xml_escaped(std::string& out, std::string_view s) {
  // Fast path: ids and section names have nothing to escape.
  if (std::all_of(s.begin(), s.end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0x20 && ch != '&' && ch != '<' && ch != '>' && ch != '"' && ch != '\'';
      })) {
    out.append(s.data(), s.size());
    return;
  }
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c < 0x20 && ch != '\n' && ch != '\t' && ch != '\r' ? ' ' : ch;  // not representable in XML 1.0
    }
  }
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_xml_escaped(out, s);
  return out;
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


std::string verdict_css_class(Verdict v) {
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

namespace internal {

namespace {

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

}  // namespace

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


// One line for a result that is better than its expectation.
std::string unexpected_pass_text(const CaseResult& r) {
  return std::string(to_string(r.verdict)) + " (unexpected: expected " + r.expectation->verdicts_text() + ")";
}

std::string expectation_text(const Expectation& e) { return e.key + " (" + e.verdicts_text() + ") — " + e.reason; }

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}



std::string group_of(const Case& c) {
  if (c.file.empty()) return c.section;
  return c.file.ends_with(".json") ? c.file.substr(0, c.file.size() - 5) : c.file;
}

void GroupTally::add(const CaseResult& r) {
  std::string key = group_of(*r.c);
  if (groups_.empty() || key != last_key_) {
    auto [it, fresh] = index_.emplace(key, groups_.size());
    if (fresh) groups_.push_back({key, r.c->section_title, {}});
    last_ = it->second;
    last_key_ = std::move(key);
  }
  ++groups_[last_].counts[static_cast<std::size_t>(r.verdict)];
}

Spool::Spool() : f_(std::tmpfile()) {
  if (!f_) throw std::runtime_error("cannot create a temporary file for a report");
}
Spool::~Spool() { std::fclose(f_); }

long Spool::append(std::string_view text) {
  const long at = size_;
  buffer_ += text;
  size_ += static_cast<long>(text.size());
  if (buffer_.size() > (1u << 20)) flush();
  return at;
}

void Spool::flush() {
  if (buffer_.empty()) return;
  if (std::fseek(f_, flushed_, SEEK_SET) != 0 || std::fwrite(buffer_.data(), 1, buffer_.size(), f_) != buffer_.size())
    throw std::runtime_error("cannot write a report's temporary file");
  flushed_ += static_cast<long>(buffer_.size());
  buffer_.clear();
}

void Spool::copy_to(std::FILE* out, long offset, long length) {
  flush();
  if (std::fseek(f_, offset, SEEK_SET) != 0) throw std::runtime_error("cannot read a report's temporary file");
  char chunk[1 << 16];
  while (length > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<long>(length, static_cast<long>(sizeof chunk)));
    const std::size_t got = std::fread(chunk, 1, want, f_);
    if (got != want || std::fwrite(chunk, 1, got, out) != got)
      throw std::runtime_error("cannot copy a report's temporary file");
    length -= static_cast<long>(got);
  }
}

std::FILE* open_report(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  return f;
}

void write_all(std::FILE* f, std::string_view text, const std::string& path) {
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
    std::fclose(f);
    throw std::runtime_error("cannot write " + path);
  }
}

void close_report(std::FILE* f, const std::string& path) {
  if (std::fclose(f) != 0) throw std::runtime_error("cannot write " + path);
}

}  // namespace internal

namespace {
using namespace internal;

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

std::unique_ptr<ResultSink> make_console_report(std::FILE* out, std::size_t max_details) {
  return std::make_unique<ConsoleReport>(out, max_details);
}

}  // namespace connstate::harness
