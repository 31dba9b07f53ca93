// Renders the HTML report in headless Chromium: the DOM Chromium builds must contain the
// summary table with the run's counts, and the screenshot must be a non-blank picture. The
// report's filter (verdict, section, free text; state in the location hash) must hide exactly the
// cases that do not match, and without JavaScript every case stays listed.
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
struct Listed {
  std::size_t shown = 0, hidden = 0;
  std::vector<std::string> shown_tags;  // the opening <details> tag of every shown case
};

// The cases Chromium's DOM lists, and which of them the filter hid.
Listed listed_cases(const std::string& dom) {
  Listed out;
  const std::string open = "<details class=\"case\"";
  for (std::size_t pos = dom.find(open); pos != std::string::npos; pos = dom.find(open, pos + 1)) {
    const std::string t = dom.substr(pos, dom.find('>', pos) - pos + 1);
    if (t.find(" hidden") != std::string::npos) {
      ++out.hidden;
    } else {
      ++out.shown;
      out.shown_tags.push_back(t);
    }
  }
  return out;
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

  auto dom_of = [&](const std::string& hash, const std::string& extra = "") {
    const auto r = run_command("timeout 120 " + browser + kFlags + profile + extra + " --dump-dom '" + url + hash + "'");
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
    return r.out;
  };
  // No filter: every listed case shown, the form visible, the count written.
  const Listed all = listed_cases(dom.out);
  BOOST_TEST_REQUIRE(all.shown > 20u);
  BOOST_TEST(all.hidden == 0u);
  BOOST_TEST(dom.out.find("<form id=\"filter\">") != std::string::npos);  // the script removed `hidden`
  BOOST_TEST(dom.out.find(std::to_string(all.shown) + " of " + std::to_string(all.shown) + " listed cases shown") !=
             std::string::npos);

  // By verdict: only the non-strict ones stay.
  const Listed nonstrict = listed_cases(dom_of("#verdict=nonstrict"));
  BOOST_TEST(nonstrict.shown > 0u);
  BOOST_TEST(nonstrict.shown + nonstrict.hidden == all.shown);
  for (const auto& t : nonstrict.shown_tags) BOOST_TEST(t.find("data-verdict=\"nonstrict\"") != std::string::npos, t);

  // By section.
  const Listed close = listed_cases(dom_of("#section=close%2Fclose"));
  BOOST_TEST(close.shown > 0u);
  BOOST_TEST(close.shown < all.shown);
  for (const auto& t : close.shown_tags) BOOST_TEST(t.find("data-section=\"close/close\"") != std::string::npos, t);

  // By text: a case id (its old id works too, since the case lists its former ids) finds that case alone.
  const Listed one = listed_cases(dom_of("#q=pcs.completed-single"));
  BOOST_TEST_REQUIRE(one.shown == 1u);
  BOOST_TEST(one.shown_tags[0].find("id=\"case-pcs.completed-single\"") != std::string::npos);
  const Listed by_alias = listed_cases(dom_of("#q=pcs.6a-05"));
  BOOST_TEST(by_alias.shown == 1u);

  // Verdict and text together, and a filter that matches nothing.
  const Listed none = listed_cases(dom_of("#verdict=error&q=pcs."));
  BOOST_TEST(none.shown == 0u);
  BOOST_TEST(none.hidden == all.shown);

  // Without JavaScript (a copy of the report whose Content-Security-Policy blocks every script) the
  // report still lists every case and shows no dead form.
  std::string page = read_text(dir.str() + "/report.html");
  page.insert(page.find("<head>") + 6, "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\">");
  std::ofstream(dir.str() + "/nojs.html") << page;
  const auto static_dom = run_command("timeout 120 " + browser + kFlags + profile + " --dump-dom 'file://" + dir.str() +
                                      "/nojs.html#verdict=fail'");
  BOOST_TEST_REQUIRE(static_dom.exit_code == 0, static_dom.out);
  const Listed unfiltered = listed_cases(static_dom.out);
  BOOST_TEST(unfiltered.shown == all.shown);
  BOOST_TEST(unfiltered.hidden == 0u);
  BOOST_TEST(static_dom.out.find("<form id=\"filter\" hidden") != std::string::npos);
}
