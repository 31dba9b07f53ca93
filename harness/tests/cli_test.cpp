// End-to-end checks of the `connstate` CLI: eval (agreement, streaming, errors), explain,
// list, run (reports, exit codes, malformed suites), expectations, and profile against profile.
#define BOOST_TEST_MODULE cli
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "connstate/derivation.h"
#include "connstate/harness/cases.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::test;
namespace json = boost::json;

namespace {
std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

BOOST_AUTO_TEST_CASE(every_command_has_help) {
  for (const char* cmd : {"run", "list", "eval", "explain", "profiles", "expectations"}) {
    const auto r = run_command(kCli + " " + cmd + " --help");
    BOOST_TEST(r.exit_code == 0, cmd);
    BOOST_TEST(r.out.find("usage: connstate") != std::string::npos, cmd);
  }
  BOOST_TEST(run_command(kCli).exit_code == 2);
  BOOST_TEST(run_command(kCli + " frobnicate").exit_code == 2);
  const auto v = run_command(kCli + " --version");
  BOOST_TEST(v.exit_code == 0);
  BOOST_TEST(v.out.find("suite   ") != std::string::npos);
  BOOST_TEST(v.out.find("rec-2025 (default)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(eval_answers_each_line_in_order) {
  TempDir dir;
  const std::string in = dir.file("in.jsonl",
                                  "{\"closed\":false,\"transports\":[{\"ice\":\"connected\",\"dtls\":\"new\"},"
                                  "{\"ice\":\"checking\",\"dtls\":\"new\"}]}\n"
                                  "{\"transports\":[{\"ice\":\"completed\",\"dtls\":\"connected\"}]}\n"
                                  "{\"transports\":[{\"ice\":\"connected\",\"dtls\":\"new\"}]}\n");
  const auto r = run_command(kCli + " eval --profile rec-2021 < " + in);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  std::istringstream lines(r.out);
  std::string l1, l2, l3;
  std::getline(lines, l1);
  std::getline(lines, l2);
  std::getline(lines, l3);
  BOOST_TEST(json::parse(l1).at("connectionState").as_string() == "connecting");
  BOOST_TEST(json::parse(l1).at("iceConnectionState").as_string() == "checking");
  BOOST_TEST(json::parse(l2).at("connectionState").as_string() == "connected");
  BOOST_TEST(json::parse(l3).at("connectionState").is_null());
  BOOST_TEST(json::parse(l3).at("why").at("connectionState").at("rule").as_string() == "pcs-2021.undefined");
}

BOOST_AUTO_TEST_CASE(eval_bad_line_stops_with_its_number) {
  TempDir dir;
  const std::string in = dir.file("in.jsonl",
                                  "{\"transports\":[]}\n{\"transports\":[]}\n"
                                  "{\"transports\":[{\"ice\":\"connected\",\"dtls\":\"connecting!\"}]}\n"
                                  "{\"transports\":[]}\n");
  const auto r = run_command(kCli + " eval < " + in);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(count_lines(r.out) == 3u);  // two answers, then the error
  BOOST_TEST(r.out.find("line 3 at /transports/0/dtls: unknown RTCDtlsTransportState \"connecting!\"") !=
             std::string::npos, r.out);
  for (const char* bad : {"{\"transports\":[{\"ice\":\"new\"}]}", "[1,2]", "{\"transports\":", "{\"closed\":1,\"transports\":[]}"}) {
    const std::string f = dir.file("bad.jsonl", std::string(bad) + "\n");
    const auto e = run_command(kCli + " eval < " + f);
    BOOST_TEST(e.exit_code == 2, bad);
    BOOST_TEST(e.out.find("line 1") != std::string::npos, e.out);
  }
}

// Every snapshot of at most 4 transports (with the closed flag: 164,502) evaluates in every profile,
// and eval agrees with the library derivation on each.
BOOST_AUTO_TEST_CASE(eval_is_exhaustive_consistent) {
  TempDir dir;
  std::vector<harness::Case> cases;
  harness::add_exhaustive_suite(cases, 4);
  BOOST_TEST_REQUIRE(cases.size() == 164502u);
  std::string input;
  for (const auto& c : cases) {
    input += c.closed ? "{\"closed\":true,\"transports\":[" : "{\"closed\":false,\"transports\":[";
    for (std::size_t i = 0; i < c.transports.size(); ++i) {
      input += std::string(i ? "," : "") + "{\"ice\":\"" + std::string(to_string(c.transports[i].ice)) +
               "\",\"dtls\":\"" + std::string(to_string(c.transports[i].dtls)) + "\"}";
    }
    input += "]}\n";
  }
  const std::string in = dir.file("all.jsonl", input);
  for (const auto& info : kProfiles) {
    const std::string out = dir.str() + "/out.jsonl";
    const auto r = run_command(kCli + " eval --no-why --profile " + std::string(info.id) + " < " + in + " > " + out);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
    std::ifstream f(out);
    std::string line;
    std::size_t n = 0;
    while (std::getline(f, line)) {
      const auto v = json::parse(line);
      const harness::Case& c = cases[n++];
      const Derivation d = derive(info.profile, c.closed, c.transports);
      const auto& pcs = v.at("connectionState");
      BOOST_TEST_REQUIRE((pcs.is_null() ? !d.connection_state.has_value()
                                        : (d.connection_state && pcs.as_string() == to_string(*d.connection_state))));
      BOOST_TEST_REQUIRE(v.at("iceConnectionState").as_string() == to_string(d.ice_connection_state));
    }
    BOOST_TEST(n == 164502u);
  }
}

BOOST_AUTO_TEST_CASE(explain_names_rule_and_quote) {
  const auto r = run_command(kCli + " explain --profile rec-2025 completed/connected");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("connectionState = connecting") != std::string::npos);
  BOOST_TEST(r.out.find("pcs-2025.connecting") != std::string::npos);
  BOOST_TEST(r.out.find("quote") != std::string::npos);
  BOOST_TEST(run_command(kCli + " explain connected").exit_code == 2);
  BOOST_TEST(run_command(kCli + " explain conected/new").exit_code == 2);
  BOOST_TEST(run_command(kCli + " explain --profile rec-2030 new/new").exit_code == 2);
}

BOOST_AUTO_TEST_CASE(each_profile_passes_its_own_suite) {
  for (const auto& info : kProfiles) {
    TempDir dir;
    const auto r = run_command(kCli + " run --quiet --sut reference:" + std::string(info.id) + " --report-dir " +
                               dir.str());
    BOOST_TEST(r.exit_code == 0, info.id << ": " << r.out);
    const auto doc = json::parse(read_text(dir.str() + "/results.json"));
    BOOST_TEST(doc.at("complete").as_bool());
    BOOST_TEST(doc.at("header").at("profile").as_string() == info.id);
    BOOST_TEST(doc.at("summary").at("fail").as_int64() == 0);
    BOOST_TEST(doc.at("summary").at("total").as_int64() > 15000);
    for (const char* f : {"/junit.xml", "/report.md", "/report.html"})
      BOOST_TEST(std::filesystem::file_size(dir.str() + f) > 100u, f);
  }
}

BOOST_AUTO_TEST_CASE(malformed_suite_runs_nothing) {
  TempDir dir;
  dir.file("cases/x.json", "{\"section\": \"s\", \"section_title\": \"S\", \"cases\": [\n  {\"id\": \"oops\"}\n]}\n");
  const auto r = run_command(kCli + " run --cases-dir " + dir.str() + "/cases --json " + dir.str() + "/r.json");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.find("x.json:2:3: missing field \"title\"") != std::string::npos, r.out);
  BOOST_TEST(!std::filesystem::exists(dir.str() + "/r.json"));
}

BOOST_AUTO_TEST_CASE(bad_usage_exits_2) {
  BOOST_TEST(run_command(kCli + " run --sut nonsense").exit_code == 2);
  BOOST_TEST(run_command(kCli + " run --sut reference:rec-1999").exit_code == 2);
  BOOST_TEST(run_command(kCli + " run --profile nope").exit_code == 2);
  BOOST_TEST(run_command(kCli + " run --exhaustive 9").exit_code == 2);
  BOOST_TEST(run_command(kCli + " run --expectations /nonexistent.json").exit_code == 2);
}

BOOST_AUTO_TEST_CASE(list_and_dry_run) {
  const auto r = run_command(kCli + " list --dry-run --exhaustive 4 --sequence-depth 0");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("164502 snapshot") != std::string::npos, r.out);
  const auto ids = run_command(kCli + " list --cases 'exhaustive.open.none' --json");
  BOOST_TEST(count_lines(ids.out) == 1u);
  BOOST_TEST(json::parse(ids.out).at("id").as_string() == "exhaustive.open.none");
}

// legacy-mdn judged by rec-2025: the failures are the documented legacy differences, and an
// expectations file written from them turns the run green.
BOOST_AUTO_TEST_CASE(legacy_against_rec2025_and_expectations_round_trip) {
  TempDir dir;
  const auto r = run_command(kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2025 --json " + dir.str() +
                             "/r.json");
  BOOST_TEST(r.exit_code == 1, r.out);
  const auto doc = json::parse(read_text(dir.str() + "/r.json"));
  BOOST_TEST(doc.at("summary").at("fail").as_int64() > 0);
  const auto u = run_command(kCli + " expectations update " + dir.str() + "/r.json -o " + dir.str() + "/exp.json");
  BOOST_TEST_REQUIRE(u.exit_code == 0, u.out);
  const auto again = run_command(kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2025 --expectations " +
                                 dir.str() + "/exp.json");
  BOOST_TEST(again.exit_code == 0, again.out);
  // An expectation that no longer holds is unexpected.
  const auto other = run_command(kCli + " run --quiet --sut reference:rec-2025 --profile rec-2025 --expectations " +
                                 dir.str() + "/exp.json");
  BOOST_TEST(other.exit_code == 1);
}

// An expectations file written before the cases were renamed (old ids, old-id globs) still
// matches: legacy-mdn judged by rec-2025 fails exactly these cases, and the file covers them.
BOOST_AUTO_TEST_CASE(old_id_expectations_still_match) {
  TempDir dir;
  const auto selected = run_command(kCli + " list --json" + std::string(" --cases pcs.6a-05 --cases 'legacy.d3-*'") +
                                    " --exhaustive 0 --sequence-depth 0");
  BOOST_TEST_REQUIRE(selected.exit_code == 0, selected.out);
  BOOST_TEST(count_lines(selected.out) == 3u, selected.out);  // pcs.completed-single and the two partial connects
  BOOST_TEST(selected.out.find("\"id\":\"pcs.completed-single\"") != std::string::npos);
  BOOST_TEST(selected.out.find("\"aliases\":[\"pcs.6a-05\"]") != std::string::npos);

  const std::string run = kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2025 --cases pcs.6a-05 "
                                 "--cases pcs.6a-09 --cases 'legacy.d3-*' --exhaustive 0 --sequence-depth 0";
  const auto without = run_command(run + " --json " + dir.str() + "/r.json");
  BOOST_TEST(without.exit_code == 1, without.out);
  const auto doc = json::parse(read_text(dir.str() + "/r.json"));
  BOOST_TEST(doc.at("summary").at("total").as_int64() == 4);
  const std::string old = dir.file("old.json", R"({"stack": "reference:legacy-mdn", "profile": "rec-2025", "expectations": {
    "pcs.6a-05": {"verdict": "non-strict", "reason": "legacy counts completed as connected: the intended reading"},
    "pcs.6a-09": {"verdict": "fail", "reason": "legacy: DTLS new makes the pool new"},
    "legacy.d3-*": {"verdict": "fail", "reason": "legacy: partial connect is new"}}})");
  const auto with = run_command(run + " --expectations " + old + " --json " + dir.str() + "/r2.json");
  const auto doc2 = json::parse(read_text(dir.str() + "/r2.json"));
  std::size_t matched = 0;
  for (const auto& r : doc2.at("results").as_array()) {
    if (!r.as_object().contains("expectation")) continue;
    ++matched;
    const std::string key(r.at("expectation").at("key").as_string());
    const std::string id(r.at("id").as_string());
    BOOST_TEST((key == "legacy.d3-*" ? id.starts_with("legacy.partial-connect") : key.starts_with("pcs.6a-")), id);
  }
  BOOST_TEST(matched == 4u);
  BOOST_TEST(doc2.at("summary").at("unexpected").as_int64() == 0, with.out);
  BOOST_TEST(with.exit_code == 0, with.out);

  // Refreshing the old file rewrites its old-id entry under the current id, with its reason.
  const auto update = run_command(kCli + " expectations update " + dir.str() + "/r2.json -o " + old);
  BOOST_TEST_REQUIRE(update.exit_code == 0, update.out);
  const auto refreshed = json::parse(read_text(old)).at("expectations").as_object();
  BOOST_TEST_REQUIRE(refreshed.contains("pcs.dtls-not-started"));
  BOOST_TEST(refreshed.at("pcs.dtls-not-started").at("reason").as_string() == "legacy: DTLS new makes the pool new");
  BOOST_TEST(!refreshed.contains("pcs.6a-09"));
}
