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
  // An expected failure that now passes is an unexpected pass: reported, and failing the run
  // only with --fail-on-unexpected-pass.
  const auto other = run_command(kCli + " run --quiet --sut reference:rec-2025 --profile rec-2025 --expectations " +
                                 dir.str() + "/exp.json");
  BOOST_TEST(other.exit_code == 0, other.out);
  BOOST_TEST(other.out.find("unexpected pass(es): update the expectations") != std::string::npos, other.out);
  BOOST_TEST(run_command(kCli + " run --quiet --sut reference:rec-2025 --profile rec-2025 --fail-on-unexpected-pass "
                         "--expectations " + dir.str() + "/exp.json").exit_code == 1);
  // A verdict that is worse than expected still fails the run.
  const std::string passing = dir.file("pass.json", R"({"expectations": {"exhaustive.*": {"verdict": "pass", "reason": "r"}}})");
  const auto worse = run_command(kCli + " run --quiet --sut reference:rec-2021 --profile rec-2025 --cases 'exhaustive.*' "
                                 "--expectations " + passing);
  BOOST_TEST(worse.exit_code == 1, worse.out);
}

// A filter that selects nothing is a usage error naming the filter, not a green run of 0 cases.
BOOST_AUTO_TEST_CASE(empty_selection_is_a_usage_error) {
  auto r = run_command(kCli + " run --cases 'nomatch*'");
  BOOST_TEST(r.exit_code == 2, r.out);
  BOOST_TEST(r.out.find("--cases 'nomatch*' matches no case") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("connstate list") != std::string::npos, r.out);
  r = run_command(kCli + " run --tag no-such-tag");
  BOOST_TEST(r.exit_code == 2, r.out);
  BOOST_TEST(r.out.find("--tag 'no-such-tag' matches no case") != std::string::npos, r.out);
  // One typo among good patterns is still a typo.
  r = run_command(kCli + " run --cases 'close.*' --cases 'ics.completd-*'");
  BOOST_TEST(r.exit_code == 2, r.out);
  BOOST_TEST(r.out.find("'ics.completd-*'") != std::string::npos, r.out);
  // Every case excluded: nothing left for the profile.
  r = run_command(kCli + " run --cases 'close.*' --exclude 'close.*'");
  BOOST_TEST(r.exit_code == 2, r.out);
  BOOST_TEST(r.out.find("no case of profile rec-2025 is selected") != std::string::npos, r.out);
}

// A case that passes where the expectations file says it fails is an unexpected pass: its own
// console line with the update command, a Markdown section, no JUnit <failure>; it fails the run
// only with --fail-on-unexpected-pass.
BOOST_AUTO_TEST_CASE(unexpected_pass_is_reported_as_such) {
  TempDir dir;
  const std::string exp = dir.file("e.json", R"j({"stack": "x", "profile": "rec-2025", "expectations": {
    "close.no-event-from-new": {"verdict": "fail", "reason": "the stack fired an event on close()"}}})j");
  const std::string outputs = " --json " + dir.str() + "/r.json --junit " + dir.str() + "/j.xml --markdown " + dir.str() +
                              "/r.md --html " + dir.str() + "/r.html";
  auto r = run_command(kCli + " run --cases close.no-event-from-new --expectations " + exp + outputs);
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(r.out.find("PASS (unexpected: expected fail) close.no-event-from-new") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("update the expectations: connstate expectations update " + dir.str() + "/r.json -o " + exp) !=
             std::string::npos, r.out);
  BOOST_TEST(r.out.find("FAIL close.no-event-from-new") == std::string::npos, r.out);
  const std::string junit = read_text(dir.str() + "/j.xml");
  BOOST_TEST(junit.find("<failure") == std::string::npos, junit);
  BOOST_TEST(junit.find("failures=\"0\"") != std::string::npos, junit);
  BOOST_TEST(junit.find("<system-out>pass (unexpected: expected fail); update the expectations") != std::string::npos, junit);
  const std::string md = read_text(dir.str() + "/r.md");
  BOOST_TEST(md.find("## Unexpected passes: update the expectations") != std::string::npos, md);
  BOOST_TEST(md.find("`close.no-event-from-new` — pass (unexpected: expected fail)") != std::string::npos, md);
  BOOST_TEST(md.find("## Unexpected results") == std::string::npos, md);
  BOOST_TEST(read_text(dir.str() + "/r.html").find("unexpected pass: update the expectations") != std::string::npos);
  const auto doc = json::parse(read_text(dir.str() + "/r.json"));
  BOOST_TEST(doc.at("summary").at("unexpected_passes").as_int64() == 1);
  BOOST_TEST(doc.at("summary").at("unexpected").as_int64() == 0);
  BOOST_TEST(doc.at("results").at(0).at("unexpected_pass").as_bool());
  r = run_command(kCli + " run --cases close.no-event-from-new --fail-on-unexpected-pass --expectations " + exp + outputs);
  BOOST_TEST(r.exit_code == 1, r.out);
  BOOST_TEST(read_text(dir.str() + "/j.xml").find("<failure message=\"pass (unexpected: expected fail)\" type=\"unexpected-pass\"") !=
             std::string::npos);
  BOOST_TEST(run_command(kCli + " run --fail-on-unexpected-pass --cases close.no-event-from-new").exit_code == 2);
}

// `expectations update` writes one glob where every result under an id prefix fails alike,
// keeps the reasons already written, is deterministic, and the run warns about TODO reasons,
// keys that match no case and a file written for another profile.
BOOST_AUTO_TEST_CASE(expectations_update_globs_reasons_and_warnings) {
  TempDir dir;
  const std::string results = dir.str() + "/r.json", file = dir.str() + "/exp.json";
  const std::string legacy = " --sut reference:legacy-mdn --profile rec-2025";
  BOOST_TEST(run_command(kCli + " run --quiet" + legacy + " --json " + results).exit_code == 1);
  BOOST_TEST_REQUIRE(run_command(kCli + " expectations update " + results + " -o " + file).exit_code == 0);
  const auto written = json::parse(read_text(file));
  BOOST_TEST(written.at("profile").as_string() == "rec-2025");
  const auto& entries = written.at("expectations").as_object();
  // Every glob covers at least two results, all with the glob's verdict; together the entries
  // give every result its verdict.
  const auto doc = json::parse(read_text(results));
  std::size_t globs = 0;
  for (const auto& [key, value] : entries) {
    const std::string k(key);
    if (k.find('*') == std::string::npos) continue;
    ++globs;
    std::size_t covered = 0;
    for (const auto& r : doc.at("results").as_array()) {
      if (!harness::glob_match(k, std::string(r.at("id").as_string()))) continue;
      ++covered;
      BOOST_TEST(r.at("verdict") == value.at("verdict"), k << " covers " << r.at("id"));
    }
    BOOST_TEST(covered >= 2u, k);
  }
  BOOST_TEST(globs > 10u);
  BOOST_TEST(entries.size() < 3259u);  // fewer entries than failures
  BOOST_TEST(run_command(kCli + " run --quiet" + legacy + " --expectations " + file).exit_code == 0);
  // Refresh: a filled-in reason survives, on an exact key and on a glob; the output is stable.
  std::string text = read_text(file);
  std::string exact, glob;
  for (const auto& [key, value] : entries) {
    (void)value;
    const std::string k(key);
    if (k.find('*') == std::string::npos && exact.empty()) exact = k;
    if (k.find('*') != std::string::npos && glob.empty()) glob = k;
  }
  for (const std::string& k : {exact, glob}) {
    const auto at = text.find(json::serialize(json::value(k)));
    const auto todo = text.find("TODO: explain why (spec says X, stack does Y)", at);
    text.replace(todo, std::string("TODO: explain why (spec says X, stack does Y)").size(), "legacy text: " + k);
  }
  std::ofstream(file) << text;
  BOOST_TEST_REQUIRE(run_command(kCli + " expectations update " + results + " -o " + file).exit_code == 0);
  const std::string refreshed = read_text(file);
  BOOST_TEST(refreshed.find("\"reason\": \"legacy text: " + exact + "\"") != std::string::npos, refreshed.substr(0, 2000));
  BOOST_TEST(refreshed.find("\"reason\": \"legacy text: " + glob + "\"") != std::string::npos);
  BOOST_TEST_REQUIRE(run_command(kCli + " expectations update " + results + " -o " + file).exit_code == 0);
  BOOST_TEST(read_text(file) == refreshed);
  // Known findings (for `connstate findings --expectations`) and the comment are the file's own: a refresh
  // keeps them as they are.
  {
    auto with_findings = json::parse(refreshed).as_object();
    with_findings["comment"] = "hand-kept comment";
    with_findings["findings"] = json::object{
        {"F-close.no-events-extra-event-e128cebb", json::object{{"reason", "legacy events on close"}, {"bug", "https://example.org/1"}}},
        {"F-pcs-2025.connecting-value-a37c610a", json::object{{"reason", "MDN's connecting row"}}}};
    std::ofstream(file) << json::serialize(with_findings);
    BOOST_TEST_REQUIRE(run_command(kCli + " expectations update " + results + " -o " + file).exit_code == 0);
    const auto kept = json::parse(read_text(file)).as_object();
    BOOST_TEST(kept.at("findings") == with_findings.at("findings"));
    BOOST_TEST(kept.at("comment") == with_findings.at("comment"));
    BOOST_TEST(kept.at("expectations") == with_findings.at("expectations"));
    const auto gate = run_command(kCli + " findings " + results + " --no-reproduce --expectations " + file);
    BOOST_TEST(gate.out.find("known F-pcs-2025.connecting-value-a37c610a") != std::string::npos, gate.out);
    std::ofstream(file) << refreshed;
  }
  // Warnings: TODO reasons, a key that matches no case, another profile; on stderr and in the reports.
  const auto warned = run_command(kCli + " run --quiet --sut reference:legacy-mdn --profile rec-2021-amended --cases 'close.*'"
                                  " --expectations " + file + " --json " + dir.str() + "/w.json --markdown " + dir.str() + "/w.md");
  BOOST_TEST(warned.out.find("still have a TODO reason") != std::string::npos, warned.out);
  BOOST_TEST(warned.out.find("was written for profile rec-2025, but this run checks profile rec-2021-amended") !=
             std::string::npos, warned.out);
  const std::string typo = dir.file("typo.json", R"({"stack": "x", "expectations": {
    "ics.completd-*": {"verdict": "fail", "reason": "a typo"},
    "close.no-event-from-new": {"verdict": "pass", "reason": "TODO"}}})");
  const auto t = run_command(kCli + " run --quiet --cases 'close.*' --expectations " + typo + " --json " + dir.str() + "/t.json");
  BOOST_TEST(t.exit_code == 0, t.out);
  BOOST_TEST(t.out.find("1 key(s) match no case (ics.completd-*)") != std::string::npos, t.out);
  BOOST_TEST(t.out.find("1 expectation(s) still have a TODO reason (close.no-event-from-new)") != std::string::npos, t.out);
  const auto header = json::parse(read_text(dir.str() + "/t.json")).at("header");
  BOOST_TEST(header.at("warnings").as_array().size() == 2u);
  BOOST_TEST(read_text(dir.str() + "/w.md").find("- **warning**: ") != std::string::npos);
}

// `explain CASE-ID`: the case with its citation, then the reference's reasoning per step.
BOOST_AUTO_TEST_CASE(explain_a_case) {
  auto r = run_command(kCli + " explain close.no-event-from-connected");
  BOOST_TEST(r.exit_code == 0, r.out);
  for (const char* expected :
       {"case        close.no-event-from-connected — close() on a connected PC fires no event",
        "spec        webrtc-pc REC 2025-03-13 #dom-rtcpeerconnection-close", "step 0: add t0",
        "The set changing re-derives nothing (rederive_on_set_change is off): no event.",
        "  fires pc iceconnectionstatechange checking",
        "[[IceConnectionState]] new → checking, by rule ics.checking",
        "no connectionstatechange: [[ConnectionState]] stays connecting (rule pcs-2025.connecting",
        "  fires pc connectionstatechange connected  (a later task)",
        "the [[IceConnectionState]] slot as it is: connected", "step 5: close", "without any event",
        "then      connectionState=closed iceConnectionState=closed"})
    BOOST_TEST(r.out.find(expected) != std::string::npos, expected << "\n" << r.out);
  r = run_command(kCli + " explain exhaustive.open.completed-connected");
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(r.out.find("connectionState = connecting") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("pcs-2025.connecting") != std::string::npos, r.out);
  r = run_command(kCli + " explain --all-profiles exhaustive.open.completed-connected");
  BOOST_TEST(r.out.find("explained under legacy-mdn") != std::string::npos, r.out);
  r = run_command(kCli + " explain set.remove-last-connected");
  BOOST_TEST(r.out.find("also acceptable (informational)") != std::string::npos, r.out);
  BOOST_TEST(run_command(kCli + " explain no.such-case").exit_code == 2);
  BOOST_TEST(run_command(kCli + " explain --profile rec-2030 close.no-event-from-new").exit_code == 2);
  // A case that does not apply to the profile asked for.
  r = run_command(kCli + " list --json --tag legacy");
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto c = json::parse(line);
    const auto& profiles = c.at("profiles").as_array();
    if (std::find(profiles.begin(), profiles.end(), json::value("rec-2025")) != profiles.end()) continue;
    const std::string id(c.at("id").as_string());
    BOOST_TEST(run_command(kCli + " explain --profile rec-2025 " + id).exit_code == 2, id);
    const auto x = run_command(kCli + " explain " + id);
    BOOST_TEST(x.exit_code == 0, id);
    BOOST_TEST(x.out.find("explained under " + std::string(profiles.at(0).as_string())) != std::string::npos, x.out);
    break;
  }
}

// The documented check-trace command gives the recorded verdicts from the repository root, from
// any other directory and with --root: a key names a trace by the end of its path. A key that
// matches no given trace is warned about.
BOOST_AUTO_TEST_CASE(trace_expectations_work_from_any_directory) {
  const std::string exp = "cases/traces/chromium/expectations.json", trace = "cases/traces/chromium/connect.jsonl";
  const std::string cd_root = "cd " + kSourceDir + " && ";
  for (const std::string& cmd :
       {cd_root + kCli + " check-trace --expectations " + exp + " " + trace,
        cd_root + kCli + " check-trace --root cases/traces --expectations " + exp + " " + trace,
        "cd /tmp && " + kCli + " check-trace --expectations " + kSourceDir + "/" + exp + " " + kSourceDir + "/" + trace,
        "cd " + kSourceDir + "/cases/traces/chromium && " + kCli + " check-trace --expectations expectations.json connect.jsonl"}) {
    const auto r = run_command(cmd);
    BOOST_TEST(r.exit_code == 0, cmd << "\n" << r.out);
    BOOST_TEST(r.out.find("2 fail, 0 error") != std::string::npos, r.out);  // the recorded verdicts, expected
    BOOST_TEST(r.out.find("0 unexpected") != std::string::npos, r.out);
  }
  TempDir dir;
  const std::string typo = dir.file("e.json", R"({"stack": "chromium", "expectations": {
    "chromium/conect#*": {"verdict": "fail", "reason": "a typo"},
    "chromium/*": {"verdict": "fail", "reason": "wrong order"}}})");
  const auto r = run_command(cd_root + kCli + " check-trace --expectations " + typo + " " + trace);
  BOOST_TEST(r.exit_code == 0, r.out);
  BOOST_TEST(r.out.find("1 key(s) match no given trace (chromium/conect#*)") != std::string::npos, r.out);
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

// A run split with --shard and joined with `connstate merge` is the unsplit run (timings aside).
BOOST_AUTO_TEST_CASE(shards_merge_into_the_whole_run) {
  TempDir dir;
  const std::string run = kCli + " run --quiet --exhaustive 1 --sequence-depth 2 --sut reference:legacy-mdn --profile rec-2025";
  BOOST_TEST(run_command(run + " --json " + dir.str() + "/whole.json").exit_code == 1);
  std::string shards;
  for (int i = 1; i <= 3; ++i) {
    const std::string file = dir.str() + "/s" + std::to_string(i) + ".json";
    BOOST_TEST(run_command(run + " --shard " + std::to_string(i) + "/3 --json " + file).exit_code == 1);
    shards = file + " " + shards;  // given out of order: merge orders them
  }
  const auto merged = run_command(kCli + " merge " + shards + "-o " + dir.str() + "/merged.json");
  BOOST_TEST(merged.exit_code == 1, merged.out);  // the run has unexpected results
  const auto whole = json::parse(read_text(dir.str() + "/whole.json"));
  const auto joined = json::parse(read_text(dir.str() + "/merged.json"));
  const auto& a = whole.at("results").as_array();
  const auto& b = joined.at("results").as_array();
  BOOST_TEST_REQUIRE(a.size() == b.size());
  BOOST_TEST(a.size() > 100u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST_REQUIRE(a[i].at("id") == b[i].at("id"));
    BOOST_TEST(a[i].at("verdict") == b[i].at("verdict"));
  }
  for (const char* key : {"total", "pass", "fail", "unexpected"})
    BOOST_TEST(whole.at("summary").at(key) == joined.at("summary").at(key), key);
  BOOST_TEST(whole.at("header").at("selected") == joined.at("header").at("selected"));
  BOOST_TEST(!joined.at("header").as_object().contains("shard"));
  BOOST_TEST(json::parse(read_text(dir.str() + "/s1.json")).at("header").at("shard").at("count").as_int64() == 3);
  // Every shard is needed, once.
  BOOST_TEST(run_command(kCli + " merge " + dir.str() + "/s1.json " + dir.str() + "/s2.json -o " + dir.str() + "/m.json")
                 .exit_code == 2);
  BOOST_TEST(run_command(kCli + " merge " + dir.str() + "/s1.json " + dir.str() + "/s1.json " + dir.str() +
                         "/s2.json -o " + dir.str() + "/m.json")
                 .exit_code == 2);
  BOOST_TEST(run_command(kCli + " run --shard 4/3").exit_code == 2);
}
