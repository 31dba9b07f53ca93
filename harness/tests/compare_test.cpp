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
