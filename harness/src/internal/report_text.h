// report_text.h — what the text report writers (JUnit, Markdown, HTML, console) share: the
// rendering of one result, the per-group tallies a report prints on top, and a spool file that
// holds a report's body while it streams so that its summary can come first.
//
// Every writer renders a result when it arrives and keeps no result afterwards: a run's memory
// does not grow with its number of cases. The tallies grow with the number of case files, and
// the lists a report caps (100 unexpected results in Markdown) hold at most that many entries.
#pragma once

#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/harness/reports.h"

namespace connstate::harness::internal {

inline constexpr Verdict kVerdicts[] = {Verdict::Pass, Verdict::NonStrict, Verdict::Informational,
                                        Verdict::Fail, Verdict::Error, Verdict::Unsupported};

// The h2spec-style text of one result: citation (requirement, spec sentence, notes, former ids)
// and evidence (case file, input, acceptable outcomes, actual, reason, expectation).
std::string citation_text(const CaseResult& r, const Citation& cite);
std::string evidence_text(const CaseResult& r);
std::string detail_text(const CaseResult& r);
// "connstate expectations update results.json -o my.expectations.json"
std::string update_command(const RunHeader& h);
// "pass (unexpected: expected fail)"
std::string unexpected_pass_text(const CaseResult& r);
// "key (fail) — reason"
std::string expectation_text(const Expectation& e);
std::string dir_of(const std::string& path);

// Whether a report shows a result's details: generated cases that pass are only counted.
inline bool shows_details(const CaseResult& r) {
  return !r.c->generated || r.verdict != Verdict::Pass || r.unexpected_pass;
}

// The Markdown and HTML reports group results by case file (each file has a title that says what
// its cases are about; several files share a section key), and generated cases by their suite.
std::string group_of(const Case& c);

// Verdict counts per group, groups in first-seen order.
class GroupTally {
 public:
  void add(const CaseResult& r);
  struct Group {
    std::string key, title;
    std::array<std::size_t, 6> counts{};
  };
  const std::vector<Group>& groups() const { return groups_; }

 private:
  std::vector<Group> groups_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::string last_key_;  // results come in runs of one group: one lookup per run, not per result
  std::size_t last_ = 0;
};

// A temporary file (deleted when closed) that a report writes its body into; ranges of it are
// copied into the final file after the summary.
class Spool {
 public:
  Spool();
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  // Appends text (buffered); returns the offset it starts at.
  long append(std::string_view text);
  long size() const { return size_; }
  // Copies [offset, offset + length) into `out`.
  void copy_to(std::FILE* out, long offset, long length);

 private:
  void flush();
  std::FILE* f_ = nullptr;
  std::string buffer_;
  long size_ = 0;
  long flushed_ = 0;
};

// Opens a report file for writing (std::runtime_error "cannot write PATH").
std::FILE* open_report(const std::string& path);
void write_all(std::FILE* f, std::string_view text, const std::string& path);
void close_report(std::FILE* f, const std::string& path);

}  // namespace connstate::harness::internal
