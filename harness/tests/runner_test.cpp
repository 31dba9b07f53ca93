// Checks verdicts (pass, alternatives, fail, error, unsupported), expectations, and that
// every report is well formed, including a JSON report cut short by an interruption.
#include "connstate/harness/runner.h"

#define BOOST_TEST_MODULE runner
#include <boost/test/unit_test.hpp>

#include "connstate/harness/json_input.h"
#include "connstate/harness/reports.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::harness;
using namespace connstate::test;

namespace {

Case completed_case() {
  auto cases = parse_case_file(R"({"section": "s", "section_title": "S", "cases": [
    {"id": "gap", "title": "t", "kind": "snapshot", "requirement": "r", "spec": {"anchor": "a", "quote": "q"},
     "transports": [{"ice": "completed", "dtls": "connected"}],
     "alternatives": [{"verdict": "non-strict", "profiles": ["rec-2025"], "connectionState": "connected",
                       "note": "intended reading"}]}]})",
                               "mem.json");
  return cases.at(0);
}

// A stack that answers whatever it is told to.
struct ScriptedStack : StackUnderTest {
  StackInfo i{"scripted", "scripted", "1", "", "", true, true, std::nullopt};
  SnapshotAnswer answer;
  SequenceAnswer seq;
  const StackInfo& info() const override { return i; }
  void evaluate(std::span<const Case* const> cases, std::span<SnapshotAnswer> answers) override {
    for (std::size_t k = 0; k < cases.size(); ++k) answers[k] = answer;
  }
  SequenceAnswer run_sequence(const Case&) override { return seq; }
};

struct Capture : ResultSink {
  std::vector<CaseResult> results;
  void add(const CaseResult& r) override { results.push_back(r); }
};

Verdict verdict_for(const Case& c, Profile p, SnapshotAnswer a, const Expectations* ex = nullptr) {
  ScriptedStack s;
  s.answer = std::move(a);
  Capture cap;
  RunOptions o;
  o.profile = p;
  o.expectations = ex;
  run_cases({&c}, s, o, RunHeader{}, {&cap});
  return cap.results.at(0).verdict;
}

SnapshotAnswer states(StateText pcs, std::string ics) {
  SnapshotAnswer a;
  a.states = {std::move(pcs), std::move(ics)};
  return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(verdicts) {
  const Case c = completed_case();
  BOOST_TEST((verdict_for(c, Profile::Rec2025, states("connecting", "completed")) == Verdict::Pass));
  BOOST_TEST((verdict_for(c, Profile::Rec2025, states("connected", "completed")) == Verdict::NonStrict));
  BOOST_TEST((verdict_for(c, Profile::Rec2021, states("connected", "completed")) == Verdict::Pass));
  BOOST_TEST((verdict_for(c, Profile::Rec2021, states("connecting", "completed")) == Verdict::Fail));
  BOOST_TEST((verdict_for(c, Profile::Rec2025, states(std::nullopt, "completed")) == Verdict::Fail));
  SnapshotAnswer err;
  err.status = AnswerStatus::Error;
  err.message = "adapter crashed";
  BOOST_TEST((verdict_for(c, Profile::Rec2025, err) == Verdict::Error));
  SnapshotAnswer unsup;
  unsup.status = AnswerStatus::Unsupported;
  BOOST_TEST((verdict_for(c, Profile::Rec2025, unsup) == Verdict::Unsupported));
}

BOOST_AUTO_TEST_CASE(expectations_decide_what_is_unexpected) {
  TempDir dir;
  const std::string f = dir.file("exp.json", R"({"stack": "x", "expectations": {
      "g*": {"verdict": ["fail", "pass"], "reason": "known"}}})");
  const Expectations ex = Expectations::load(f);
  BOOST_TEST_REQUIRE(ex.find("gap") != nullptr);
  BOOST_TEST(!is_unexpected(Verdict::Fail, ex.find("gap"), false));
  BOOST_TEST(is_unexpected(Verdict::Error, ex.find("gap"), false));
  BOOST_TEST(is_unexpected(Verdict::Fail, nullptr, false));
  BOOST_TEST(!is_unexpected(Verdict::NonStrict, nullptr, false));
  BOOST_TEST(is_unexpected(Verdict::NonStrict, nullptr, true));
  BOOST_TEST(!is_unexpected(Verdict::Unsupported, nullptr, true));
  const std::string bad = dir.file("bad.json", "{\"expectations\": {\"a\": {\"verdict\": \"passed\", \"reason\": \"r\"}}}");
  BOOST_CHECK_THROW(Expectations::load(bad), InputError);
}

BOOST_AUTO_TEST_CASE(sequence_judgement_names_the_first_difference) {
  auto cases = parse_case_file(R"({"section": "s", "section_title": "S", "cases": [
    {"id": "seq", "title": "t", "kind": "sequence", "requirement": "r", "spec": {"anchor": "a", "quote": "q"},
     "steps": [{"op": "add", "transport": "t0"}, {"op": "ice", "transport": "t0", "state": "checking"},
               {"op": "close"}]}]})",
                               "mem.json");
  const Case& c = cases.at(0);
  ScriptedStack s;
  s.seq.steps = expected_outcome(c, Profile::Rec2025).steps;
  s.seq.steps[1].events.pop_back();  // drop connectionstatechange
  Capture cap;
  RunOptions o;
  run_cases({&c}, s, o, RunHeader{}, {&cap});
  BOOST_TEST((cap.results.at(0).verdict == Verdict::Fail));
  BOOST_TEST(cap.results.at(0).first_difference == 1);
  BOOST_TEST(cap.results.at(0).message.find("step 1 (ice t0 checking)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_are_well_formed) {
  TempDir dir;
  const Case c = completed_case();
  std::vector<Case> many(3000, c);
  for (std::size_t i = 0; i < many.size(); ++i) many[i].id = "gap" + std::to_string(i);
  std::vector<const Case*> ptrs;
  for (const auto& x : many) ptrs.push_back(&x);
  ScriptedStack s;
  s.answer = states("connected", "completed");
  auto json = make_json_report(dir.str() + "/r.json");
  auto junit = make_junit_report(dir.str() + "/r.xml");
  auto md = make_markdown_report(dir.str() + "/r.md");
  auto html = make_html_report(dir.str() + "/r.html");
  RunHeader h;
  h.stack = s.info();
  h.profile = "rec-2021";
  RunOptions o;
  o.profile = Profile::Rec2021;
  s.answer = states("connecting", "completed");  // a failure under rec-2021
  const RunSummary sum = run_cases(ptrs, s, o, h, {json.get(), junit.get(), md.get(), html.get()});
  BOOST_TEST(sum.count(Verdict::Fail) == 3000u);
  const auto doc = json::parse(read_text(dir.str() + "/r.json"));
  BOOST_TEST(doc.at("complete").as_bool());
  BOOST_TEST(doc.at("results").as_array().size() == 3000u);
  BOOST_TEST(doc.at("summary").at("fail").as_int64() == 3000);
  const std::string xml = read_text(dir.str() + "/r.xml");
  BOOST_TEST(xml.find("<testcase name=\"gap0\" classname=\"connstate.s\"") != std::string::npos);
  BOOST_TEST(xml.find("<failure message=\"fail: connectionState is connecting, expected connected\"") !=
             std::string::npos);
  BOOST_TEST(read_text(dir.str() + "/r.html").find("id=\"summary\"") != std::string::npos);
  BOOST_TEST(read_text(dir.str() + "/r.md").find("| fail | 3000 |") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(interrupted_json_report_is_valid) {
  TempDir dir;
  const Case c = completed_case();
  std::vector<Case> many(5000, c);
  std::vector<const Case*> ptrs;
  for (const auto& x : many) ptrs.push_back(&x);
  ScriptedStack s;
  s.answer = states("connecting", "completed");
  {
    auto json = make_json_report(dir.str() + "/r.json");
    json->begin(RunHeader{});
    CaseResult r;
    r.c = &c;
    r.expected = expected_outcome(c, Profile::Rec2025);
    for (int i = 0; i < 4000; ++i) json->add(r);  // then "crash": end() never runs
    // the destructor closes the file without a summary, as a killed process would leave it
  }
  const auto doc = json::parse(read_text(dir.str() + "/r.json"));
  BOOST_TEST(!doc.at("complete").as_bool());
  BOOST_TEST(doc.at("results").as_array().size() > 0u);
}
