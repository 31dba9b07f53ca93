// report_junit.cpp — the JUnit XML report, streamed.
//
// JUnit wants the totals on <testsuites> and one <testsuite> per spec section with its own counts,
// before their test cases. Each <testcase> is rendered when its result arrives and spooled to a
// temporary file; the spool remembers which byte ranges belong to which section (results come in
// runs of one section, so that is a handful of ranges). At the end the totals are written, then
// each section's ranges are copied in after its <testsuite> line.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>

#include "connstate/harness/reports.h"
#include "internal/report_text.h"

namespace connstate::harness {
namespace {
using namespace internal;

std::string seconds_text(const char* format, double seconds) {
  char t[32];
  std::snprintf(t, sizeof t, format, seconds);
  return t;
}

class JUnitReport final : public ResultSink {
 public:
  explicit JUnitReport(std::string path) : path_(std::move(path)) {}
  void begin(const RunHeader& h) override { header_ = h; }
  void add(const CaseResult& r) override {
    Section& s = section_of(r.c->section);
    const bool failure = r.unexpected && (r.verdict != Verdict::Error || r.unexpected_pass);
    const bool error = r.unexpected && r.verdict == Verdict::Error;
    const bool skipped = r.verdict == Verdict::Unsupported;
    s.tests += 1;
    s.failures += failure;
    s.errors += error;
    s.skipped += skipped;
    s.seconds += r.micros / 1e6;
    xml_.clear();
    append_testcase_xml(xml_, r);
    const long at = spool_.append(xml_);
    if (!s.ranges.empty() && s.ranges.back().first + s.ranges.back().second == at)
      s.ranges.back().second += static_cast<long>(xml_.size());
    else
      s.ranges.push_back({at, static_cast<long>(xml_.size())});
  }
  void end(const RunHeader& h, const RunSummary& s) override {
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    for (const Section& sec : sections_) {
      tests += sec.tests;
      failures += sec.failures;
      errors += sec.errors;
      skipped += sec.skipped;
    }
    std::FILE* f = open_report(path_);
    write_all(f,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"connstate " + xml_escape(h.stack.sut) +
                  "\" tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
                  "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" +
                  seconds_text("%.3f", s.seconds) + "\">\n",
              path_);
    for (const Section& sec : sections_) {
      write_all(f,
                "  <testsuite name=\"" + xml_escape(sec.name) + "\" tests=\"" + std::to_string(sec.tests) +
                    "\" failures=\"" + std::to_string(sec.failures) + "\" errors=\"" + std::to_string(sec.errors) +
                    "\" skipped=\"" + std::to_string(sec.skipped) + "\" time=\"" + seconds_text("%.6f", sec.seconds) +
                    "\">\n",
                path_);
      try {
        for (const auto& [offset, length] : sec.ranges) spool_.copy_to(f, offset, length);
      } catch (const std::runtime_error&) {
        std::fclose(f);
        throw;
      }
      write_all(f, "  </testsuite>\n", path_);
    }
    write_all(f, "</testsuites>\n", path_);
    close_report(f, path_);
  }

 private:
  struct Section {
    std::string name;
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double seconds = 0;
    std::vector<std::pair<long, long>> ranges;  // (offset, length) in the spool
  };

  Section& section_of(const std::string& name) {
    if (current_ < sections_.size() && sections_[current_].name == name) return sections_[current_];
    auto [it, fresh] = index_.emplace(name, sections_.size());
    if (fresh) sections_.push_back(Section{name, 0, 0, 0, 0, 0, {}});
    current_ = it->second;
    return sections_[current_];
  }

  // Appends to `x`: most results are passes, one line each, so this avoids temporaries.
  void append_testcase_xml(std::string& x, const CaseResult& r) const {
    x += "    <testcase name=\"";
    append_xml_escaped(x, r.c->id);
    x += "\" classname=\"connstate.";
    append_xml_escaped(x, r.c->section);
    x += "\" time=\"";
    char t[64];
    const auto [end, ec] = std::to_chars(t, t + sizeof t, r.micros / 1e6, std::chars_format::fixed, 6);  // as %.6f
    x.append(t, ec == std::errc() ? end : t);
    x += "\">";
    if (shows_details(r)) {
      // Where the requirement comes from, as URLs a CI page can show next to the result.
      const Citation cite = citation_of(r);
      x += "<properties>";
      if (!cite.url.empty()) x += "<property name=\"spec\" value=\"" + xml_escape(cite.url) + "\"/>";
      for (const auto& n : cite.notes) x += "<property name=\"notes\" value=\"" + xml_escape(n) + "\"/>";
      x += "</properties>";
    }
    if (r.verdict == Verdict::Pass && !r.unexpected_pass) {
      x += "</testcase>\n";
      return;
    }
    const std::string message = r.unexpected_pass ? unexpected_pass_text(r) : r.message;
    const std::string msg = std::string(to_string(r.verdict)) + (message.empty() ? "" : ": " + message);
    if (r.unexpected_pass) {
      // Not a failure of the stack: the expectations file is out of date (a failure only when
      // the run was asked to fail on it, so that the JUnit view agrees with the exit code).
      const std::string note = message + "; update the expectations: " + update_command(header_) +
                               "\nexpectation: " + expectation_text(*r.expectation);
      if (r.unexpected)
        x += "<failure message=\"" + xml_escape(message) + "\" type=\"unexpected-pass\">" + xml_escape(note) +
             "</failure>";
      else
        x += "<system-out>" + xml_escape(note) + "</system-out>";
    } else if (r.verdict == Verdict::Unsupported) {
      x += "<skipped message=\"" + xml_escape(msg) + "\"/>";
    } else if (r.unexpected && r.verdict == Verdict::Error) {
      x += "<error message=\"" + xml_escape(msg) + "\" type=\"error\">" + xml_escape(detail_text(r)) + "</error>";
    } else if (r.unexpected) {
      x += "<failure message=\"" + xml_escape(msg) + "\" type=\"" + std::string(to_string(r.verdict)) + "\">" +
           xml_escape(detail_text(r)) + "</failure>";
    } else if (r.verdict != Verdict::Pass) {
      x += "<system-out>" + xml_escape("expected " + msg) + "</system-out>";
    }
    x += "</testcase>\n";
  }

  std::string path_;
  RunHeader header_;
  Spool spool_;
  std::string xml_;  // the test case being written
  std::vector<Section> sections_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::size_t current_ = 0;
};

}  // namespace

std::unique_ptr<ResultSink> make_junit_report(const std::string& path) { return std::make_unique<JUnitReport>(path); }

}  // namespace connstate::harness
