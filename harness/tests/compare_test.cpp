// `connstate compare`: a matrix from a small config (two reference profiles, the Python example,
// the planted-bug adapter and an adapter that cannot start) — the JSON holds every column, the
// exit code says a stack could not run, and the HTML matrix renders in headless Chromium with one
// column per stack and profile.
#define BOOST_TEST_MODULE compare
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "test_util.h"

using namespace connstate::test;
namespace json = boost::json;

namespace {
std::string config(const TempDir& dir, bool with_broken) {
  return dir.file("compare.json", R"({"title": "test matrix", "cases": {"exhaustive": 1, "sequence_depth": 2},
    "stacks": [
      {"name": "reference", "sut": "reference:rec-2025", "profiles": ["rec-2025", "rec-2021"]},
      {"name": "python example", "sut": "exec:/usr/bin/python3 )" + kSourceDir + R"(/docs/examples/adapter.py"},
      {"name": "planted bug", "sut": "exec:/usr/bin/python3 )" + kSourceDir +
                                 R"(/harness/tests/adapters/planted_bug_adapter.py"})" +
                           (with_broken ? R"(,
      {"name": "broken", "sut": "exec:/nonexistent/adapter"})" : "") + "]}");
}
}  // namespace

BOOST_AUTO_TEST_CASE(matrix_json_and_exit_codes) {
  TempDir dir;
  auto r = run_command(kCli + " compare --config " + config(dir, true) + " --out " + dir.str() + "/out");
  BOOST_TEST(r.exit_code == 3, r.out);
  const auto doc = json::parse(read_text(dir.str() + "/out/matrix.json"));
  const auto& cols = doc.at("columns").as_array();
  BOOST_TEST_REQUIRE(cols.size() == 5u);
  BOOST_TEST(cols[0].at("summary").at("fail").as_int64() == 0);
  BOOST_TEST(cols[3].at("summary").at("fail").as_int64() > 0);  // the planted bug shows
  BOOST_TEST(!cols[4].at("error").as_string().empty());
  BOOST_TEST(cols[4].at("summary").at("error").as_int64() == cols[4].at("summary").at("total").as_int64());
  r = run_command(kCli + " compare --config " + config(dir, false) + " --out " + dir.str() + "/out2");
  BOOST_TEST(r.exit_code == 1, r.out);  // the planted bug is unexpected
  BOOST_TEST(run_command(kCli + " compare").exit_code == 2);
  BOOST_TEST(run_command(kCli + " compare --config " + dir.file("bad.json", "{\"stacks\": [{\"name\": \"x\"}]}")).exit_code == 2);
}

BOOST_AUTO_TEST_CASE(matrix_renders_in_chromium) {
  std::string browser;
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(c)) browser = c;
  if (browser.empty()) {
    if (under_ci()) BOOST_FAIL("chromium is not installed (tools/install-deps installs it)");
    std::puts("SKIP: chromium is not installed; run tools/install-deps");
    std::exit(77);
  }
  TempDir dir;
  run_command(kCli + " compare --config " + config(dir, true) + " --out " + dir.str());
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
      " --disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" + dir.str() + "/profile ";
  const std::string url = "file://" + dir.str() + "/matrix.html";
  const auto dom = run_command("timeout 120 " + browser + flags + "--dump-dom " + url);
  BOOST_TEST_REQUIRE(dom.exit_code == 0, dom.out);
  BOOST_TEST(dom.out.find("<table id=\"matrix\">") != std::string::npos);
  std::size_t columns = 0;
  for (std::size_t pos = 0; (pos = dom.out.find("<th class=\"stack\">", pos)) != std::string::npos; ++pos) ++columns;
  BOOST_TEST(columns == 5u);  // one per stack and profile
  BOOST_TEST(dom.out.find("python example · rec-2025") != std::string::npos);
  const std::string png = dir.str() + "/matrix.png";
  run_command("timeout 120 " + browser + flags + "--window-size=1400,1000 --screenshot=" + png + " " + url);
  BOOST_TEST_REQUIRE(std::filesystem::exists(png));
  BOOST_TEST(std::filesystem::file_size(png) > 20000u);
}

// --report-dir: the matrix and, per column, the run reports of `connstate run --report-dir`; the
// column headers link to them and the last line says what to open.
BOOST_AUTO_TEST_CASE(report_dir_writes_every_column_report) {
  TempDir dir;
  const std::string out = dir.str() + "/reports";
  const auto r = run_command(kCli + " compare --config " + config(dir, false) + " --report-dir " + out);
  BOOST_TEST(r.exit_code == 1, r.out);  // the planted bug is unexpected
  const std::string last = r.out.substr(r.out.rfind("open "));
  BOOST_TEST(last == "open " + out + "/matrix.html\n", r.out);
  for (const char* column : {"reference-rec-2025", "reference-rec-2021", "python-example-rec-2025", "planted-bug-rec-2025"})
    for (const char* file : {"results.json", "junit.xml", "report.md", "report.html"}) {
      const std::string path = out + "/" + column + "/" + file;
      BOOST_TEST(std::filesystem::exists(path), path);
    }
  const std::string matrix = read_text(out + "/matrix.html");
  BOOST_TEST(matrix.find("<a href=\"planted-bug-rec-2025/report.html\">planted bug · rec-2025</a>") != std::string::npos);
  const auto planted = json::parse(read_text(out + "/planted-bug-rec-2025/results.json"));
  BOOST_TEST(planted.at("summary").at("fail").as_int64() > 0);
  BOOST_TEST(planted.at("header").at("stack").at("sut").as_string().find("planted_bug_adapter.py") != std::string::npos);
  BOOST_TEST(run_command(kCli + " compare --config " + config(dir, false) + " --out x --report-dir y").exit_code == 2);
}

namespace {
// Two reference profiles as stacks, both judged under rec-2025: the rec-2025 reference has no finding,
// the legacy-mdn one has the findings of the 2015–2018 text. The legacy stack's expectations accept its
// cells and list `known` as its known findings; its annotations name one finding.
std::string findings_config(const TempDir& dir, const std::string& known) {
  dir.file("legacy-expectations.json",
           R"({"profile": "rec-2025", "expectations": {"*": {"verdict": ["pass", "fail", "non-strict"], "reason": "legacy text"}},
               "findings": {)" + known + "}}");
  dir.file("legacy-annotations.json",
           R"x({"stack": "connstate reference (legacy-mdn)", "code_root": "reference/src/", "annotations": [
                {"finding": "F-pcs-2025.connecting-value-a37c610a", "summary": "a partial connect reads new",
                 "code": [{"file": "rules.cpp", "function": "legacy_connection_state", "why": "the 2015 text"}]},
                {"finding": "F-ics.failed-value-00000000", "summary": "no such finding"}]})x");
  return dir.file("findings-compare.json", R"({"title": "findings view", "cases": {"exhaustive": 1, "sequence_depth": 2},
    "stacks": [
      {"name": "rec", "sut": "reference:rec-2025", "profiles": ["rec-2025"]},
      {"name": "legacy", "sut": "reference:legacy-mdn", "profiles": ["rec-2025"],
       "expectations": "legacy-expectations.json", "annotations": "legacy-annotations.json"}]})");
}
}  // namespace

// compare --report-dir groups every column's results into findings: the findings matrix has the legacy
// column's findings and none for rec-2025, shared findings first, each cell linked to the stack's report;
// the cell matrix links the findings view; the stack's annotations are merged (an unknown id is a
// warning); a failing finding not in the expectations' "findings" makes the exit code 1, and listing
// every finding makes it 0; --no-findings writes no view.
BOOST_AUTO_TEST_CASE(findings_view_by_stack) {
  TempDir dir;
  const std::string out = dir.str() + "/reports";
  auto r = run_command(kCli + " compare --config " + findings_config(dir, R"("F-pcs-2025.connecting-value-a37c610a": {"reason": "known"})") +
                       " --report-dir " + out);
  BOOST_TEST(r.exit_code == 1, r.out);  // cells all expected; findings other than the listed one are new
  BOOST_TEST(r.out.find("compare: new finding") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("legacy · rec-2025: F-pcs-2025.connecting-value-a37c610a") == std::string::npos, r.out);
  BOOST_TEST(r.out.find("warning: ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("F-ics.failed-value-00000000") != std::string::npos, r.out);
  BOOST_TEST(r.out.substr(r.out.rfind("open ")) == "open " + out + "/matrix.html\n", r.out);

  const auto doc = json::parse(read_text(out + "/findings/findings.json"));
  const auto& found = doc.at("findings").as_array();
  BOOST_TEST_REQUIRE(!found.empty());
  std::string known_all;
  for (const auto& f : found) {
    const auto& stacks = f.at("stacks").as_array();
    BOOST_TEST_REQUIRE(stacks.size() == 1u);
    BOOST_TEST(stacks[0].as_string() == "connstate reference (legacy-mdn)");
    const std::string id(f.at("id").as_string());
    const auto& by_stack = f.at("by_stack").as_array().at(0).as_object();
    BOOST_TEST(by_stack.at("confirmed_on_stack").as_bool(), id);
    BOOST_TEST(by_stack.at("annotations").as_array().size() == (id == "F-pcs-2025.connecting-value-a37c610a" ? 1u : 0u), id);
    known_all += (known_all.empty() ? "\"" : ", \"") + id + "\": {\"reason\": \"known\"}";
  }

  const std::string matrix = read_text(out + "/findings/matrix.md");
  const std::string legacy_slug = "connstate-reference-legacy-mdn-";
  BOOST_TEST(matrix.find("| connstate reference (rec-2025) ") != std::string::npos, matrix);
  std::size_t rows = 0;
  for (std::size_t pos = 0; (pos = matrix.find("\n| `F-", pos)) != std::string::npos; ++pos) {
    ++rows;
    const std::string row = matrix.substr(pos + 1, matrix.find('\n', pos + 1) - pos - 1);
    // columns: finding, what, stacks, rec-2025 (empty), legacy-mdn (the count, linked)
    BOOST_TEST(row.find("| 1 |  | [") != std::string::npos, row);
    BOOST_TEST(row.find("](" + legacy_slug) != std::string::npos, row);
  }
  BOOST_TEST(rows == found.size());
  const std::string matrix_html = read_text(out + "/findings/matrix.html");
  BOOST_TEST(matrix_html.find("<table id=\"findings-matrix\">") != std::string::npos);
  BOOST_TEST(read_text(out + "/matrix.html").find("<a href=\"findings/matrix.html\">By finding</a>") != std::string::npos);
  BOOST_TEST(read_text(out + "/matrix.md").find("[By finding](findings/matrix.md)") != std::string::npos);
  bool legacy_index = false;
  for (const auto& e : std::filesystem::directory_iterator(out + "/findings"))
    if (e.path().filename().string().starts_with(legacy_slug)) {
      legacy_index = true;
      const std::string index = read_text((e.path() / "index.md").string());
      BOOST_TEST(index.find("| `legacy_connection_state` |") != std::string::npos, index);
      const std::string report = read_text((e.path() / "F-pcs-2025.connecting-value-a37c610a.md").string());
      BOOST_TEST(report.find("## Cause in the code") != std::string::npos);
      BOOST_TEST(report.find("`legacy_connection_state`") != std::string::npos);
    }
  BOOST_TEST(legacy_index);

  r = run_command(kCli + " compare --config " + findings_config(dir, known_all) + " --report-dir " + dir.str() + "/known");
  BOOST_TEST(r.exit_code == 0, r.out);  // every finding is known
  BOOST_TEST(r.out.find("compare: new finding") == std::string::npos, r.out);

  r = run_command(kCli + " compare --config " + findings_config(dir, known_all) + " --report-dir " + dir.str() +
                  "/none --no-findings");
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(!std::filesystem::exists(dir.str() + "/none/findings"));
  BOOST_TEST(read_text(dir.str() + "/none/matrix.md").find("By finding") == std::string::npos);

  // An annotations file without "stack" is bad input, named before any column runs.
  dir.file("bad-annotations.json", R"({"annotations": []})");
  const std::string bad = dir.file("bad-compare.json", R"({"title": "t", "stacks": [
      {"name": "legacy", "sut": "reference:legacy-mdn", "annotations": "bad-annotations.json"}]})");
  r = run_command(kCli + " compare --config " + bad + " --report-dir " + dir.str() + "/bad");
  BOOST_TEST(r.exit_code == 2, r.out);
  BOOST_TEST(r.out.find("bad-annotations.json") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("compare: legacy") == std::string::npos, r.out);
}
