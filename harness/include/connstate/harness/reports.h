// reports.h — the report writers: JSON (canonical, incremental), JUnit XML, Markdown,
// static HTML, and the console reporter. All are ResultSinks fed by the runner.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "connstate/harness/runner.h"

namespace connstate::harness {

// One result as a JSON object (the record format of the JSON report).
void append_result_json(std::string& out, const CaseResult& r);
void append_header_json(std::string& out, const RunHeader& h);
void append_summary_json(std::string& out, const RunSummary& s);

// The file is a valid JSON document after every flush: a crash or Ctrl-C leaves
// `"complete": false` and every result written so far.
std::unique_ptr<ResultSink> make_json_report(const std::string& path);

// A JSON results document written as it grows: a head ending in an opened array, records, a tail.
// Every flush leaves the file a complete document ending `],"complete":false}`, so a crash or Ctrl-C
// keeps every record written so far; `finish` replaces that trailer with the real tail.
class IncrementalJsonFile {
 public:
  explicit IncrementalJsonFile(std::string path);  // throws std::runtime_error when it cannot write
  ~IncrementalJsonFile();
  IncrementalJsonFile(const IncrementalJsonFile&) = delete;
  IncrementalJsonFile& operator=(const IncrementalJsonFile&) = delete;
  void begin(const std::string& head);  // head ends with the array's "[\n"
  // The buffer to append the next record to (the separator is already there).
  std::string& next_record();
  void flush();            // writes what is buffered, then the trailer
  void flush_if_large();   // flush() once the buffer passes 1 MiB
  void finish(const std::string& tail);  // tail follows the array's last record: "\n],…}\n"

 private:
  void write(const std::string& s);
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool first_ = true;
};
std::unique_ptr<ResultSink> make_junit_report(const std::string& path);
std::unique_ptr<ResultSink> make_markdown_report(const std::string& path);
std::unique_ptr<ResultSink> make_html_report(const std::string& path);
// Prints each unexpected result h2spec-style (case id, requirement, spec quote, every
// acceptable outcome, the actual outcome, the reference's reason), then a summary.
std::unique_ptr<ResultSink> make_console_report(std::FILE* out, std::size_t max_details);

// What a result cites: the case's spec sentence (for a generated snapshot, the rule that decided
// connectionState under the run's profile), its published URL, and the docs/spec/ notes on it.
struct Citation {
  std::string document, anchor, quote, url;
  std::vector<std::string> notes;
};
Citation citation_of(const CaseResult& r);
// "connectionState: pcs-2025.connecting — \"None of the previous states apply.\" <url> (docs/spec/…)"
// for each rule that decided a snapshot result.
std::vector<std::string> decided_by_lines(const CaseResult& r);

// Escapes text for HTML and makes its URLs and docs/spec/ links clickable (docs/spec/ links relative
// to `report_dir`, see notes_href in spec_links.h).
std::string html_linkified(std::string_view text, const std::string& report_dir, const std::string& cases_dir);

// The CSS class of a verdict in every HTML report ("pass", "nonstrict", "info", "fail", "error", "unsupported").
std::string verdict_css_class(Verdict v);

std::string html_escape(std::string_view s);
std::string xml_escape(std::string_view s);
void append_xml_escaped(std::string& out, std::string_view s);  // xml_escape, appended

}  // namespace connstate::harness
