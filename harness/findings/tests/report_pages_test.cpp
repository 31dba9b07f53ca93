// The findings report directory: the findings of reference:legacy-mdn judged under rec-2025 (a stack
// that follows the 2015–2018 text) give one Markdown bug report and one case file per finding, and an
// index that headless Chromium renders with one row per finding, each linking its report. Each report
// carries the environment, the three forms of the reproduction, the spec quote and the older profiles
// under which the answer is legal.
#define BOOST_TEST_MODULE findings_report_pages
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "../../tests/test_util.h"

using namespace connstate::test;
namespace json = boost::json;

namespace {

std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(c)) return c;
  return "";
}

const char* kFlags =
    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
    " --disable-component-update --disable-sync --disable-dev-shm-usage";

struct Reports {
  TempDir dir;
  json::array findings;
  std::filesystem::path stack_dir;
  Reports() {
    const auto run = run_command(kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2025 --exhaustive 2 "
                                        "--sequence-depth 3 --json " + dir.str() + "/results.json");
    BOOST_TEST_REQUIRE(run.exit_code == 1, run.out);
    const auto f = run_command(kCli + " findings " + dir.str() + "/results.json --json " + dir.str() +
                               "/findings.json --report-dir " + dir.str() + "/reports");
    BOOST_TEST_REQUIRE(f.exit_code == 1, f.out);
    findings = json::parse(read_text(dir.str() + "/findings.json")).as_object().at("findings").as_array();
    for (const auto& e : std::filesystem::directory_iterator(dir.path / "reports")) stack_dir = e.path();
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_bug_report_per_finding) {
  Reports r;
  BOOST_TEST_REQUIRE(!r.findings.empty());
  BOOST_TEST(r.stack_dir.filename().string().starts_with("connstate-reference"));
  for (const auto& v : r.findings) {
    const std::string id(v.as_object().at("id").as_string());
    const std::string md = read_text((r.stack_dir / (id + ".md")).string());
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST(md.starts_with("# "));
      BOOST_TEST(md.find("| stack | connstate reference (legacy-mdn)") != std::string::npos);
      BOOST_TEST(md.find("| profile | `rec-2025`") != std::string::npos);
      BOOST_TEST(md.find("## What the specification requires") != std::string::npos);
      BOOST_TEST(md.find("](https://www.w3.org/TR/webrtc/#") != std::string::npos);
      BOOST_TEST(md.find("```jsonl\n{\"op\":\"hello\"") != std::string::npos);
      BOOST_TEST(md.find("\n\n{\"op\"") == std::string::npos);  // no blank line between requests
      BOOST_TEST(md.find("legal under `legacy-mdn`") != std::string::npos);
      BOOST_TEST(std::filesystem::exists(r.stack_dir / (id + ".case.json")));
    }
  }
  const std::string index = read_text((r.stack_dir / "index.md").string());
  BOOST_TEST(count(index, "| [`F-") == r.findings.size());
  const std::string matrix = read_text(r.dir.str() + "/reports/matrix.md");
  BOOST_TEST(count(matrix, "\n| `F-") == r.findings.size());
  BOOST_TEST(count(matrix, "](" + r.stack_dir.filename().string() + "/F-") == r.findings.size());
}

BOOST_AUTO_TEST_CASE(index_renders_in_chromium) {
  const std::string browser = chromium();
  if (browser.empty()) {
    if (under_ci()) BOOST_FAIL("chromium is not installed (tools/install-deps installs it)");
    std::puts("SKIP: chromium is not installed; run tools/install-deps");
    std::exit(77);
  }
  Reports r;
  const std::string url = "file://" + (r.stack_dir / "index.html").string();
  const auto dom = run_command(browser + kFlags + " --user-data-dir=" + r.dir.str() + "/profile --dump-dom " + url);
  BOOST_TEST_REQUIRE(dom.exit_code == 0, dom.out);
  BOOST_TEST(dom.out.find("<table id=\"findings\">") != std::string::npos);
  BOOST_TEST(count(dom.out, "<tr class=\"finding new\"") == r.findings.size());
  for (const auto& v : r.findings) {
    const std::string id(v.as_object().at("id").as_string());
    BOOST_TEST(dom.out.find("data-id=\"" + id + "\"><td><a href=\"" + id + ".md\">") != std::string::npos, id);
  }
}
