// Renders the HTML report in headless Chromium: the DOM Chromium builds must contain the
// summary table with the run's counts, and the screenshot must be a non-blank picture.
#define BOOST_TEST_MODULE html_report_chromium
#include <boost/test/unit_test.hpp>

#include "test_util.h"

using namespace connstate::test;

namespace {
std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(c)) return c;
  return "";
}
const char* kFlags =
    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
    " --disable-component-update --disable-sync --disable-dev-shm-usage";
}  // namespace

BOOST_AUTO_TEST_CASE(report_renders_in_chromium) {
  const std::string browser = chromium();
  if (browser.empty()) {
    if (under_ci()) BOOST_FAIL("chromium is not installed (tools/install-deps installs it)");
    std::puts("SKIP: chromium is not installed; run tools/install-deps");
    std::exit(77);
  }
  TempDir dir;
  const auto run = run_command(kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2025 --sequence-depth 2 "
                                      "--exhaustive 2 --html " + dir.str() + "/report.html");
  BOOST_TEST_REQUIRE(run.exit_code == 1, run.out);  // legacy-mdn differs from rec-2025
  const std::string url = "file://" + dir.str() + "/report.html";
  const std::string profile = " --user-data-dir=" + dir.str() + "/profile";
  const auto dom = run_command("timeout 120 " + browser + kFlags + profile + " --dump-dom " + url);
  BOOST_TEST_REQUIRE(dom.exit_code == 0, dom.out);
  BOOST_TEST(dom.out.find("<table class=\"summary\">") != std::string::npos);
  BOOST_TEST(dom.out.find("id=\"unexpected\"") != std::string::npos);
  BOOST_TEST(dom.out.find("<td>fail</td>") != std::string::npos);
  const std::string png = dir.str() + "/shot.png";
  const auto shot = run_command("timeout 120 " + browser + kFlags + profile + " --window-size=1200,900 --screenshot=" +
                                png + " " + url);
  BOOST_TEST_REQUIRE(std::filesystem::exists(png), shot.out);
  const std::string bytes = read_text(png);
  BOOST_TEST(bytes.substr(1, 3) == "PNG");
  // A blank page compresses to a few hundred bytes; a rendered report with tables does not.
  BOOST_TEST(bytes.size() > 10000u, "screenshot is " << bytes.size() << " bytes");
}
