// The map from the hand-written findings of the stacks to the generated ones
// (docs/conformance/findings-map.md) stays true.
//
// Without arguments it checks the map itself: every row says which generated finding covers it, or why
// none does; every example case it names exists in harness/findings/tests/findings_map_cases/ and every case
// there is named; every finding id names its requirement, linked to that requirement's anchor in docs/spec.
// With a stack's name (`findings_map_test -- aiortc`, one CTest test per stack) it runs the stack on the
// example cases of its rows, groups the results into findings as `connstate findings` does, and checks
// that every finding a row names is there and shown by that row's example case, and that a row marked
// "not a finding" has none. A mapped id that disappears, or moves to another case, fails the test.
// Outside CI a stack that cannot be started skips the test (77), saying which stack and why.
#define BOOST_TEST_MODULE findings_map
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <map>
#include <set>

#include "../../tests/test_util.h"
#include "connstate/findings/findings.h"

using namespace connstate::test;
namespace findings = connstate::findings;
namespace json = boost::json;

namespace {

const std::string kMap = kSourceDir + "/docs/conformance/findings-map.md";
const std::string kCasesDir = kSourceDir + "/harness/findings/tests/findings_map_cases";

struct MapRow {
  std::string stack, row, text, example_case, findings_cell, requirements_cell, how;
  std::vector<std::string> finding_ids;
  int line = 0;
  bool not_a_finding() const { return how.starts_with("not a finding"); }
  bool from_traces() const { return findings_cell.find("TBD-trace") != std::string::npos || how.starts_with("from traces"); }
};

std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 1;
  for (std::size_t bar = line.find('|', start); bar != std::string::npos; bar = line.find('|', start)) {
    std::string cell = line.substr(start, bar - start);
    const auto first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
    out.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
    start = bar + 1;
  }
  return out;
}

std::string unquoted(const std::string& cell) {
  return cell.size() > 2 && cell.front() == '`' && cell.back() == '`' ? cell.substr(1, cell.size() - 2) : "";
}

// The finding ids in a cell: "F-" then [a-z0-9.-], ending in "-" and eight hex digits. (A plain scan: GCC 12
// warns inside <regex> under the asan preset.)
std::vector<std::string> finding_ids_in(const std::string& cell) {
  std::vector<std::string> out;
  auto id_char = [](char ch) { return std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-'; };
  for (std::size_t at = cell.find("F-"); at != std::string::npos; at = cell.find("F-", at + 2)) {
    std::size_t end = at + 2;
    while (end < cell.size() && id_char(cell[end])) ++end;
    const std::string id = cell.substr(at, end - at);
    const auto dash = id.rfind('-');
    if (dash != std::string::npos && id.size() - dash == 9 &&
        id.find_first_not_of("0123456789abcdef", dash + 1) == std::string::npos)
      out.push_back(id);
  }
  return out;
}

// The rows of the per-stack tables: under "## <stack> …", the rows of a six-column table
// (# | hand-written finding | example case | generated finding | requirement | how it maps).
std::vector<MapRow> read_map() {
  std::ifstream in(kMap);
  BOOST_TEST_REQUIRE(in.good(), kMap << " cannot be read");
  std::vector<MapRow> rows;
  std::string line, stack;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.starts_with("## ")) stack = line.substr(3, line.find(' ', 3) - 3);
    if (!line.starts_with("| ") || stack.empty()) continue;
    const auto c = cells(line);
    if (c.size() != 6 || c[0] == "#" || c[0].starts_with("---")) continue;
    MapRow r{stack, c[0], c[1], unquoted(c[2]), c[3], c[4], c[5], {}, number};
    r.finding_ids = finding_ids_in(c[3]);
    rows.push_back(std::move(r));
  }
  return rows;
}

// "F-pcs-2025.connecting-value-a37c610a" -> "pcs-2025.connecting"
std::string requirement_of(const std::string& id) {
  std::string body = id.substr(2, id.rfind('-') - 2);
  for (const char* kind : {"-value", "-extra-event", "-missing-event", "-duplicate-event", "-misordered-events",
                           "-wrong-event-value"})
    if (body.ends_with(kind)) return body.substr(0, body.size() - std::string(kind).size());
  return "";
}

std::map<std::string, std::string> map_case_ids() {  // case id -> the file it is in
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(kCasesDir)) {
    const auto doc = json::parse(read_text(entry.path().string()));
    for (const auto& c : doc.at("cases").as_array())
      out.emplace(std::string(c.at("id").as_string()), entry.path().filename().string());
  }
  return out;
}

std::string stack_argument() {
  const auto& suite = boost::unit_test::framework::master_test_suite();
  return suite.argc > 1 ? suite.argv[suite.argc - 1] : "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_row_is_mapped_and_every_id_names_its_requirement) {
  if (!stack_argument().empty()) return;  // the per-stack run checks the stack, below
  const auto rows = read_map();
  const auto cases = map_case_ids();
  std::set<std::string> named_cases;
  std::set<std::string> stacks;
  for (const MapRow& r : rows) {
    BOOST_TEST_CONTEXT(r.stack << " " << r.row << " (findings-map.md line " << r.line << ")") {
      stacks.insert(r.stack);
      BOOST_TEST(!r.text.empty());
      // Mapped to findings, to trace findings still to come, or not a finding with a reason.
      BOOST_TEST((!r.finding_ids.empty() || r.from_traces() || r.not_a_finding()), "no finding and no reason");
      BOOST_TEST((r.finding_ids.empty() || !r.not_a_finding()), "findings listed, yet \"not a finding\"");
      const bool says_how = r.how.starts_with("one to one") || r.how.find("→") != std::string::npos ||
                            r.not_a_finding() || r.how.starts_with("from traces");
      BOOST_TEST(says_how, "say how it maps: one to one, several rows → one finding, one row → several, not a finding");
      BOOST_TEST((!r.not_a_finding() || r.how.size() > std::string("not a finding: ").size()), "say why it is none");
      if (!r.example_case.empty()) {
        BOOST_TEST(r.example_case.starts_with("map." + r.stack + "."), r.example_case);
        BOOST_TEST(cases.contains(r.example_case), r.example_case << " is in no file of " << kCasesDir);
        named_cases.insert(r.example_case);
      } else {
        // Without an example the row cannot be run: only code facts, observations and trace findings.
        BOOST_TEST((r.not_a_finding() || r.from_traces()), "a finding without an example case");
      }
      for (const std::string& id : r.finding_ids) {
        const std::string requirement = requirement_of(id);
        BOOST_TEST(!requirement.empty(), id << " has no known kind");
        // The requirement column links each requirement to its anchor in docs/spec.
        const std::string link = "(../spec/";
        const auto at = r.requirements_cell.find("[`" + requirement + "`]" + link);
        BOOST_TEST(at != std::string::npos, requirement << " is not linked in the requirement column");
        if (at == std::string::npos) continue;
        const auto open = at + requirement.size() + 4 + link.size();
        const std::string target = r.requirements_cell.substr(open, r.requirements_cell.find(')', open) - open);
        const std::string page = target.substr(0, target.find('#')), anchor = target.substr(target.find('#') + 1);
        BOOST_TEST(anchor == requirement, target);
        BOOST_TEST(read_text(kSourceDir + "/docs/spec/" + page).find("<a id=\"" + anchor + "\"></a>") != std::string::npos,
                   "docs/spec/" << page << " has no anchor " << anchor);
      }
    }
  }
  for (const auto& [id, file] : cases) BOOST_TEST(named_cases.contains(id), id << " (" << file << ") is in no row");
  for (const char* stack : {"aiortc", "pion", "werift", "webrtcbin", "libwebrtc"})
    BOOST_TEST(stacks.contains(stack), "no table for " << stack);
  BOOST_TEST(rows.size() > 50u);
}

BOOST_AUTO_TEST_CASE(a_fresh_run_of_the_stack_shows_every_mapped_finding) {
  const std::string stack = stack_argument();
  if (stack.empty()) return;
  // The stack's command line and request timeout, as the comparison runs it (from the repository root).
  std::string sut, install;
  std::int64_t timeout_ms = 5000;
  const auto config = json::parse(read_text(kSourceDir + "/docs/conformance/compare.json"));
  for (const auto& s : config.at("stacks").as_array()) {
    if (s.at("name").as_string() != stack || !s.as_object().contains("sut")) continue;
    sut = std::string(s.at("sut").as_string());
    if (const auto* t = s.as_object().if_contains("request_timeout_ms")) timeout_ms = t->to_number<std::int64_t>();
    if (const auto* i = s.as_object().if_contains("install")) install = std::string(i->as_string());
  }
  BOOST_TEST_REQUIRE(!sut.empty(), stack << " has no sut in docs/conformance/compare.json");

  TempDir dir;
  const std::string results = dir.str() + "/results.json";
  const auto run = run_command("cd " + kSourceDir + " && " + kCli + " run --quiet --sut '" + sut +
                               "' --request-timeout-ms " + std::to_string(timeout_ms) + " --cases-dir " + kCasesDir +
                               " --cases 'map." + stack + ".*' --exhaustive 0 --sequence-depth 0 --json " + results);
  if (run.exit_code == 3) {
    if (under_ci()) BOOST_FAIL(stack << " could not be run: " << run.out);
    std::printf("SKIP: %s could not be run (install it with %s): %s\n", stack.c_str(),
                install.empty() ? "tools/install-deps" : install.c_str(), run.out.c_str());
    std::exit(77);
  }
  BOOST_TEST_REQUIRE((run.exit_code == 0 || run.exit_code == 1), run.out);

  std::vector<findings::StackRun> runs{findings::read_results(results)};
  const auto grouped = findings::group_findings(runs);
  std::map<std::string, std::set<std::string>> findings_of_case;  // case id -> finding ids
  std::set<std::string> all_ids;
  for (const findings::Finding& f : grouped) {
    all_ids.insert(f.id);
    for (const findings::Occurrence& o : f.stacks)
      for (std::size_t record : o.records) findings_of_case[o.run->non_pass[record].c.id].insert(f.id);
  }
  std::size_t checked = 0;
  for (const MapRow& r : read_map()) {
    if (r.stack != stack || r.example_case.empty()) continue;
    BOOST_TEST_CONTEXT(stack << " " << r.row << ", " << r.example_case << " (findings-map.md line " << r.line << ")") {
      const auto& shown = findings_of_case[r.example_case];
      std::string got;
      for (const auto& id : shown) got += " " + id;
      for (const std::string& id : r.finding_ids) {
        BOOST_TEST(all_ids.contains(id), id << " is not among the stack's findings");
        BOOST_TEST(shown.contains(id), id << " is not shown by the example; it shows:" << got);
        ++checked;
      }
      if (r.not_a_finding()) BOOST_TEST(shown.empty(), "a row that is no finding shows:" << got);
    }
  }
  // Rows seen only in the recordings: their findings come from checking the stack's committed traces, as
  // the comparison does (the folder's expectations and check options).
  const std::string traces = kSourceDir + "/cases/traces/" + stack;
  std::set<std::string> trace_ids;
  bool trace_rows = false;
  for (const MapRow& r : read_map()) trace_rows = trace_rows || (r.stack == stack && r.from_traces() && !r.finding_ids.empty());
  if (trace_rows) {
    std::string options;
    if (std::filesystem::exists(traces + "/check-options")) options = read_text(traces + "/check-options");
    std::erase(options, '\n');
    const std::string trace_results = dir.str() + "/traces.json";
    const auto checked_traces = run_command(kCli + " check-trace --exit-zero --max-details 0 --root " + kSourceDir +
                                            "/cases/traces --expectations " + traces + "/expectations.json " + options +
                                            " --json " + trace_results + " " + traces + "/*.jsonl");
    BOOST_TEST_REQUIRE(checked_traces.exit_code == 0, checked_traces.out);
    std::vector<findings::StackRun> trace_runs{findings::read_trace_results(trace_results, kSourceDir + "/cases/traces")};
    for (const findings::Finding& f : findings::group_findings(trace_runs)) trace_ids.insert(f.id);
  }
  for (const MapRow& r : read_map()) {
    if (r.stack != stack || !r.from_traces()) continue;
    BOOST_TEST_CONTEXT(stack << " " << r.row << " (from traces, findings-map.md line " << r.line << ")") {
      for (const std::string& id : r.finding_ids) {
        BOOST_TEST(trace_ids.contains(id), id << " is not among the findings of " << traces);
        ++checked;
      }
    }
  }
  BOOST_TEST_MESSAGE(stack << ": " << checked << " mapped findings checked, " << grouped.size() << " findings in the run");
  BOOST_TEST(checked > 0u);
}
