// The findings report directory: the findings of reference:legacy-mdn judged under rec-2025 (a stack
// that follows the 2015–2018 text) give one Markdown and one HTML bug report and one case file per
// finding, and an index that headless Chromium renders with one row per finding, each linking its report.
// Each report carries the environment, the three forms of the reproduction, the spec quote, the older
// profiles under which the answer is legal and the cause in the code from an annotations file; the
// Markdown is GitHub-flavoured (tables with a header row, no raw HTML), the HTML page renders in headless
// Chromium with every part in the DOM.
#define BOOST_TEST_MODULE findings_report_pages
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <sstream>

#include "../../tests/test_util.h"

using namespace connstate::test;
namespace json = boost::json;

namespace {

// Headless Chromium, or the test program skips (exit 77) when it is missing outside CI.
std::string chromium_or_skip() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(c)) return c;
  if (under_ci()) BOOST_FAIL("chromium is not installed (tools/install-deps installs it)");
  std::puts("SKIP: chromium is not installed; run tools/install-deps");
  std::exit(77);
}

const char* kFlags =
    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
    " --disable-component-update --disable-sync --disable-dev-shm-usage";

// A finding reference:legacy-mdn shows under rec-2025 (legacy.partial-connect-new: connected/new reads
// new); ids are stable, so the annotations file can name it before the run.
const std::string kAnnotated = "F-pcs-2025.connecting-value-a37c610a";

struct Reports {
  TempDir dir;
  json::array findings;
  std::filesystem::path stack_dir;
  std::string findings_output;
  Reports() {
    const auto run = run_command(kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2025 --exhaustive 2 "
                                        "--sequence-depth 3 --json " + dir.str() + "/results.json");
    BOOST_TEST_REQUIRE(run.exit_code == 1, run.out);
    const std::string annotations = dir.file(
        "annotations.json",
        R"x({"stack": "connstate reference (legacy-mdn)", "code_root": "reference/src/",
            "annotations": [
              {"finding": ")x" + kAnnotated + R"x(", "summary": "the legacy text reads a partial connect as new",
               "code": [{"file": "legacy_rules.cpp", "function": "legacy_connection_state", "why": "one pool of states | no slot"}]},
              {"finding": "F-pcs-2025.new-value-00000000", "summary": "names no finding of this run"},
              {"finding": null, "reason": "a fact, no finding", "summary": "kept for the reader"}]})x");
    const auto f = run_command(kCli + " findings " + dir.str() + "/results.json --json " + dir.str() +
                               "/findings.json --report-dir " + dir.str() + "/reports --annotations " + annotations);
    BOOST_TEST_REQUIRE(f.exit_code == 1, f.out);
    findings_output = f.out;
    findings = json::parse(read_text(dir.str() + "/findings.json")).as_object().at("findings").as_array();
    for (const auto& e : std::filesystem::directory_iterator(dir.path / "reports"))
      if (e.is_directory()) stack_dir = e.path();
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// What a forge renders of GitHub-flavoured Markdown: every table starts with a header row and its
// delimiter row, and outside code there is no raw HTML (which GitHub strips or escapes).
void check_forge_markdown(const std::string& md, const std::string& name) {
  std::istringstream in(md);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  bool fenced = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.starts_with("```")) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    if (line.starts_with("|") && (i == 0 || !lines[i - 1].starts_with("|")))
      BOOST_TEST((i + 1 < lines.size() && lines[i + 1].starts_with("|---")), name << ": table without header row at line " << i + 1);
    std::string prose;
    bool in_code = false;
    for (char ch : line) {
      if (ch == '`') in_code = !in_code;
      else if (!in_code) prose += ch;
    }
    for (std::size_t pos = prose.find('<'); pos != std::string::npos; pos = prose.find('<', pos + 1))
      BOOST_TEST(!(pos + 1 < prose.size() && (std::isalpha(static_cast<unsigned char>(prose[pos + 1])) || prose[pos + 1] == '/')),
                 name << ": raw HTML at line " << i + 1 << ": " << line);
  }
  BOOST_TEST(!fenced, name << ": unclosed code fence");
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
      BOOST_TEST(std::filesystem::exists(r.stack_dir / (id + ".html")));
      BOOST_TEST(md.find("## Cause in the code") != std::string::npos);
      BOOST_TEST(md.find("the DTLS transport's statechange") == std::string::npos);  // "statechange of the DTLS transport"
      check_forge_markdown(md, id);
    }
  }
  check_forge_markdown(read_text((r.stack_dir / "index.md").string()), "index.md");
  check_forge_markdown(read_text(r.dir.str() + "/reports/matrix.md"), "matrix.md");
  const std::string index = read_text((r.stack_dir / "index.md").string());
  BOOST_TEST(count(index, "| [`F-") == r.findings.size());
  const std::string matrix = read_text(r.dir.str() + "/reports/matrix.md");
  BOOST_TEST(count(matrix, "\n| `F-") == r.findings.size());
  BOOST_TEST(count(matrix, "](" + r.stack_dir.filename().string() + "/F-") == r.findings.size());
}

// An annotations file names findings by id: its entry appears in the finding's Markdown report, the
// index's "cause in the code" column and the JSON (by_stack[].annotations); an id the run does not show
// is a warning naming the file and the id; a finding without an entry says so.
BOOST_AUTO_TEST_CASE(annotations_are_merged_by_finding_id) {
  Reports r;
  BOOST_TEST(r.findings_output.find("warning: ") != std::string::npos, r.findings_output);
  BOOST_TEST(r.findings_output.find("F-pcs-2025.new-value-00000000 is not a finding of connstate reference (legacy-mdn)") !=
             std::string::npos);
  bool seen = false;
  for (const auto& v : r.findings) {
    const auto& f = v.as_object();
    const std::string id(f.at("id").as_string());
    const auto& annotations = f.at("by_stack").as_array().at(0).at("annotations").as_array();
    const std::string md = read_text((r.stack_dir / (id + ".md")).string());
    BOOST_TEST_CONTEXT(id) {
      if (id == kAnnotated) {
        seen = true;
        BOOST_TEST_REQUIRE(annotations.size() == 1u);
        BOOST_TEST(annotations[0].at("code").as_array().at(0).at("function").as_string() == "legacy_connection_state");
        BOOST_TEST(f.at("by_stack").as_array().at(0).at("code_root").as_string() == "reference/src/");
        BOOST_TEST(md.find("The legacy text reads a partial connect as new") != std::string::npos);
        BOOST_TEST(md.find("| `legacy_rules.cpp` | `legacy_connection_state` | one pool of states \\| no slot |") !=
                   std::string::npos, md);
      } else {
        BOOST_TEST(annotations.empty());
        BOOST_TEST(md.find("Not recorded: no annotation") != std::string::npos);
      }
    }
  }
  BOOST_TEST(seen);
  const std::string index = read_text((r.stack_dir / "index.md").string());
  BOOST_TEST(index.find("| `legacy_connection_state` |") != std::string::npos, index);
}

BOOST_AUTO_TEST_CASE(index_renders_in_chromium) {
  const std::string browser = chromium_or_skip();
  Reports r;
  const std::string url = "file://" + (r.stack_dir / "index.html").string();
  const auto dom = run_command(browser + kFlags + " --user-data-dir=" + r.dir.str() + "/profile --dump-dom " + url);
  BOOST_TEST_REQUIRE(dom.exit_code == 0, dom.out);
  BOOST_TEST(dom.out.find("<table id=\"findings\">") != std::string::npos);
  BOOST_TEST(count(dom.out, "<tr class=\"finding new\"") == r.findings.size());
  for (const auto& v : r.findings) {
    const std::string id(v.as_object().at("id").as_string());
    BOOST_TEST(dom.out.find("data-id=\"" + id + "\"><td><a href=\"" + id + ".html\">") != std::string::npos, id);
  }
  BOOST_TEST(dom.out.find("<td class=\"cause\"><code>legacy_connection_state</code></td>") != std::string::npos);
}

// Every finding's HTML page, as headless Chromium builds its DOM: the title, the environment, the
// requirement with the quote and a link to the anchor of the published text, what the stack did, the
// reproduction three ways (steps table, protocol-1 lines, case file), the confirmation, the profiles
// under which the answer is legal and the cause in the code; and no external resource.
BOOST_AUTO_TEST_CASE(finding_pages_render_in_chromium) {
  const std::string browser = chromium_or_skip();
  Reports r;
  BOOST_TEST_REQUIRE(!r.findings.empty());
  for (const auto& v : r.findings) {
    const auto& f = v.as_object();
    const std::string id(f.at("id").as_string());
    const std::string page = (r.stack_dir / (id + ".html")).string();
    BOOST_TEST_CONTEXT(id) {
      const std::string html = read_text(page);
      BOOST_TEST(html.find("<link") == std::string::npos);
      BOOST_TEST(html.find("<script") == std::string::npos);
      BOOST_TEST(html.find("src=") == std::string::npos);
      const auto dom = run_command(browser + kFlags + " --user-data-dir=" + r.dir.str() + "/profile --dump-dom file://" + page);
      BOOST_TEST_REQUIRE(dom.exit_code == 0, dom.out);
      const std::string& d = dom.out;
      BOOST_TEST(d.find("<h1 id=\"title\">") != std::string::npos);
      BOOST_TEST(d.find("<table id=\"environment\">") != std::string::npos);
      BOOST_TEST(d.find("connstate reference (legacy-mdn)") != std::string::npos);
      BOOST_TEST(d.find("<code>" + id + "</code>") != std::string::npos);
      const auto requirement = d.find("<section id=\"requirement\">");
      BOOST_TEST_REQUIRE(requirement != std::string::npos);
      BOOST_TEST(d.find("<blockquote>", requirement) != std::string::npos);
      BOOST_TEST(d.find("<a class=\"anchor\" href=\"" + std::string(f.at("spec").at("url").as_string()) + "\">") !=
                 std::string::npos);
      BOOST_TEST(d.find("<section id=\"did\">") != std::string::npos);
      BOOST_TEST(d.find("<table id=\"steps\">") != std::string::npos);
      const auto requests = d.find("<pre id=\"requests\">");
      BOOST_TEST_REQUIRE(requests != std::string::npos);
      BOOST_TEST(d.substr(requests).starts_with("<pre id=\"requests\">{\"op\":\"hello\""));
      BOOST_TEST(d.find("<pre id=\"case-file\">{\"section\":\"findings\"") != std::string::npos);
      BOOST_TEST(d.find("\"id\":\"finding." + boost::algorithm::to_lower_copy(id) + "\"") != std::string::npos);
      BOOST_TEST(d.find("<p id=\"confirmation\" class=\"confirmed\">") != std::string::npos);
      const auto legal = d.find("<section id=\"legal-under\">");
      BOOST_TEST_REQUIRE(legal != std::string::npos);
      BOOST_TEST(d.find("<code>legacy-mdn</code>", legal) != std::string::npos);
      const auto cause = d.find("<section id=\"cause\">");
      BOOST_TEST_REQUIRE(cause != std::string::npos);
      if (id == kAnnotated) BOOST_TEST(d.find("<code>legacy_connection_state</code>", cause) != std::string::npos);
    }
  }
}

// The committed tools/adapters/<stack>/FINDINGS.md are generated stack summaries: they say so and how to
// regenerate them, render on a forge, every finding of the table has its section, and every relative link
// resolves in the repository (docs/spec notes to an existing page and anchor).
BOOST_AUTO_TEST_CASE(committed_findings_pages_are_generated_and_links_resolve) {
  std::size_t pages = 0;
  for (const char* stack : {"aiortc", "pion", "werift", "webrtcbin", "libwebrtc"}) {
    const std::filesystem::path page = std::filesystem::path(kSourceDir) / "tools/adapters" / stack / "FINDINGS.md";
    BOOST_TEST_CONTEXT(page.string()) {
      BOOST_TEST_REQUIRE(std::filesystem::exists(page));
      ++pages;
      const std::string md = read_text(page.string());
      BOOST_TEST(md.starts_with("# Findings: "));
      BOOST_TEST(md.find("\n\nGenerated from the results of a run of ") != std::string::npos);
      BOOST_TEST(md.find("--stack-summary tools/adapters/" + std::string(stack) + "/FINDINGS.md`") != std::string::npos);
      check_forge_markdown(md, page.string());
      std::size_t rows = 0;
      for (std::size_t pos = md.find("](#"); pos != std::string::npos; pos = md.find("](#", pos + 1)) {
        ++rows;
        const std::string anchor = md.substr(pos + 3, md.find(')', pos) - pos - 3);
        // GitHub's heading anchors: lower case, dots dropped.
        bool has_heading = false;
        for (std::size_t h = md.find("\n## F-"); h != std::string::npos; h = md.find("\n## F-", h + 1)) {
          std::string heading = md.substr(h + 4, md.find('\n', h + 1) - h - 4), slug;
          for (char ch : heading)
            if (ch != '.') slug += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          has_heading = has_heading || slug == anchor;
        }
        BOOST_TEST(has_heading, "no section for #" << anchor);
      }
      BOOST_TEST(rows == count(md, "\n## F-"));
      for (std::size_t pos = md.find("](../"); pos != std::string::npos; pos = md.find("](../", pos + 1)) {
        const std::string link = md.substr(pos + 2, md.find(')', pos) - pos - 2);
        const std::string file = link.substr(0, link.find('#'));
        const std::filesystem::path target = page.parent_path() / file;
        BOOST_TEST(std::filesystem::exists(target), link);
        if (link.find('#') != std::string::npos && std::filesystem::exists(target))
          BOOST_TEST(read_text(target.string()).find("<a id=\"" + link.substr(link.find('#') + 1) + "\">") != std::string::npos,
                     link);
      }
    }
  }
  BOOST_TEST(pages == 5u);
}
