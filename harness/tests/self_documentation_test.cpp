// The project explains itself: nothing a user meets (the cases, their schema, and every report the
// harness writes) names the outside summary of the spec the cases were once keyed to (kOutsideName
// below), and every link a case or a
// report gives into docs/spec/ names a page and an anchor that exist there. The anchors are read
// from the docs/spec/ pages as they are (<a id="…"></a> before each rule, requirement or
// difference), so a renamed anchor or a missing page fails here.
#define BOOST_TEST_MODULE self_documentation
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <map>
#include <set>

#include "connstate/harness/cases.h"
#include "connstate/harness/spec_links.h"
#include "connstate/trace/trace_reports.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::harness;
using namespace connstate::test;
namespace fs = std::filesystem;

namespace {

// Built from two halves so that this file does not contain the word it looks for.
const std::string kOutsideName = std::string("dige") + "st";

// Does `line` contain kOutsideName as a word, in any case?
bool names_outside(const std::string& line) {
  auto word_char = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  std::string lower(line);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (std::size_t pos = lower.find(kOutsideName); pos != std::string::npos; pos = lower.find(kOutsideName, pos + 1)) {
    const std::size_t end = pos + kOutsideName.size();
    if ((pos == 0 || !word_char(lower[pos - 1])) && (end == lower.size() || !word_char(lower[end]))) return true;
  }
  return false;
}

// "file:line: text" for each line of `text` that names the outside document.
std::vector<std::string> outside_name_lines(const std::string& name, const std::string& text) {
  std::vector<std::string> out;
  std::size_t line = 1, start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string l = text.substr(start, end - start);
    if (names_outside(l)) out.push_back(name + ":" + std::to_string(line) + ": " + l.substr(0, 200));
    start = end + 1;
    ++line;
  }
  return out;
}

void expect_no_outside_name_under(const fs::path& root, const std::string& label) {
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    ++files;
    for (const auto& hit : outside_name_lines(label + "/" + fs::relative(e.path(), root).generic_string(), read_text(e.path())))
      BOOST_ERROR(hit);
  }
  BOOST_TEST(files > 0u, "no files under " << root);
}

// page ("connection-state.md") -> the anchors it defines.
std::map<std::string, std::set<std::string>> docs_spec_anchors() {
  std::map<std::string, std::set<std::string>> out;
  const fs::path dir = fs::path(kSourceDir) / "docs" / "spec";
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".md") continue;
    auto& ids = out[e.path().filename().string()];
    const std::string text = read_text(e.path());
    // <a id="ID"></a>, as docs/spec/README.md says every id is placed.
    for (std::size_t pos = text.find("<a id=\""); pos != std::string::npos; pos = text.find("<a id=\"", pos + 1)) {
      const std::size_t start = pos + 7, end = text.find('"', start);
      if (end != std::string::npos) ids.insert(text.substr(start, end - start));
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(cases_and_schema_name_no_outside_document) {
  expect_no_outside_name_under(fs::path(kSourceDir) / "cases", "cases");
}

// A run with failures of every kind (snapshots, sequences, hand-written, generated), a comparison
// with its per-column reports, a trace check and a spec-diff: none of what they write has that name.
BOOST_AUTO_TEST_CASE(reports_name_no_outside_document) {
  TempDir dir;
  const std::string out = dir.str();
  const auto run = run_command(kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2025 --exhaustive 2 "
                                      "--sequence-depth 3 --report-dir " + out + "/run");
  BOOST_TEST_REQUIRE(run.exit_code == 1, run.out);  // legacy-mdn fails rec-2025 cases: their details are written
  const std::string config = dir.file("compare.json", R"({"title": "t", "cases": {"exhaustive": 1, "sequence_depth": 2},
    "stacks": [{"name": "legacy", "sut": "reference:legacy-mdn"}]})");
  const auto compare = run_command(kCli + " compare --config " + config + " --report-dir " + out + "/compare");
  BOOST_TEST_REQUIRE(compare.exit_code == 1, compare.out);
  const auto trace = run_command(kCli + " check-trace --quiet --root " + kSourceDir + "/cases/traces --report-dir " + out +
                                 "/trace " + kSourceDir + "/cases/traces/chromium/connect.jsonl");
  BOOST_TEST(trace.exit_code <= 1, trace.out);
  const auto diff = run_command(kCli + " spec-diff rec-2025 rec-2021 --transports 2 --depth 3 --json " + out +
                                "/diff.json --markdown " + out + "/diff.md");
  BOOST_TEST_REQUIRE(diff.exit_code == 0, diff.out);
  for (const auto& hit : outside_name_lines("console", run.out + compare.out + trace.out + diff.out)) BOOST_ERROR(hit);
  std::size_t reports = 0;
  for (const char* name : {"run/results.json", "run/junit.xml", "run/report.md", "run/report.html", "compare/matrix.json",
                           "compare/matrix.html", "compare/matrix.md", "compare/legacy-rec-2025/report.html",
                           "compare/legacy-rec-2025/junit.xml", "trace/trace-report.html", "diff.json", "diff.md"}) {
    const fs::path p = fs::path(out) / name;
    BOOST_TEST_REQUIRE(fs::exists(p), name << " was not written");
    ++reports;
  }
  expect_no_outside_name_under(out, "reports");
  BOOST_TEST(reports == 12u);
}

// Every docs/spec link a case gives (hand-written and generated) or the harness emits (each rule's
// note, each event requirement's note) names an existing page and anchor.
BOOST_AUTO_TEST_CASE(every_docs_spec_link_resolves) {
  const auto anchors = docs_spec_anchors();
  const Suite suite = load_suite(kSourceDir + "/cases", LoadOptions{1, 2});
  std::map<std::string, std::set<std::string>> links;  // link -> who gives it
  for (const Case& c : suite.cases)
    for (const auto& link : c.see) links[link].insert(c.generated ? "generated cases" : c.file + " " + c.id);
  for (const auto& link : emitted_notes_links()) links[link].insert("the harness (rules and event requirements)");
  for (const auto& link : trace::all_rule_notes()) links[link].insert("check-trace (event-level rules)");
  BOOST_TEST(links.size() > 40u);
  std::size_t missing = 0;
  for (const auto& [link, users] : links) {
    const auto hash = link.find('#');
    const std::string page = link.substr(std::string("docs/spec/").size(), hash - std::string("docs/spec/").size());
    const std::string anchor = link.substr(hash + 1);
    auto it = anchors.find(page);
    const bool ok = it != anchors.end() && it->second.count(anchor);
    if (ok) continue;
    ++missing;
    BOOST_ERROR(link << (it == anchors.end() ? " (no page docs/spec/" + page + ")" : " (no anchor \"" + anchor + "\")")
                     << ", given by " << *users.begin() << (users.size() > 1 ? " and others" : ""));
  }
  BOOST_TEST(missing == 0u);
}

// Every cited document (cases and rules) has a published address, and that address is one of those
// docs/spec/README.md lists under "Documents cited", so reports link where the notes do.
BOOST_AUTO_TEST_CASE(every_citation_links_to_a_documented_address) {
  const std::string readme = read_text(fs::path(kSourceDir) / "docs" / "spec" / "README.md");
  BOOST_TEST_REQUIRE(!readme.empty());
  std::set<std::pair<std::string, std::string>> cited;
  const Suite suite = load_suite(kSourceDir + "/cases", LoadOptions{1, 1});
  for (const Case& c : suite.cases)
    if (!(c.generated && c.kind == CaseKind::Snapshot)) cited.insert({c.spec_document, c.spec_anchor});
  for (const Rule& r : all_rules()) cited.insert({std::string(r.document), std::string(r.anchor)});
  for (const auto& [document, anchor] : cited) {
    const std::string url = spec_url(document, anchor);
    BOOST_TEST_REQUIRE(url.starts_with("https://"), document << " #" << anchor << " has no published address");
    const std::string base = url.substr(0, url.find('#'));
    BOOST_TEST(readme.find(base) != std::string::npos, base << " (for " << document << ") is not in docs/spec/README.md");
  }
  BOOST_TEST(spec_url("webrtc-pc REC 2025-03-13", "dom-rtcpeerconnectionstate-new") ==
             "https://www.w3.org/TR/webrtc/#dom-rtcpeerconnectionstate-new");
  BOOST_TEST(spec_url("webrtc-pc REC 2021-01-26", "rtcpeerconnectionstate-enum") ==
             "https://www.w3.org/TR/2021/REC-webrtc-20210126/#rtcpeerconnectionstate-enum");
}
