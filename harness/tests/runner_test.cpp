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

// A run streams the generated cases: the stream gives the same cases, in the same order and with
// the same content, as the suite with every generated case stored.
BOOST_AUTO_TEST_CASE(case_stream_is_the_stored_suite) {
  const Suite stored = load_suite(kSourceDir + "/cases", LoadOptions{2, 3, false});
  const Suite streamed = load_suite(kSourceDir + "/cases", LoadOptions{2, 3, true});
  BOOST_TEST(streamed.cases.size() == streamed.hand_written);
  for (Profile profile : {Profile::Rec2025, Profile::Rec2021}) {
    const auto expected = select_cases(stored, Selection{}, profile);
    CaseStream stream(streamed, Selection{}, profile);
    Case scratch;
    std::size_t n = 0;
    for (const Case* c = stream.next(scratch); c; c = stream.next(scratch), ++n) {
      BOOST_TEST_REQUIRE(n < expected.size());
      const Case& want = *expected[n];
      BOOST_TEST_REQUIRE(c->id == want.id);
      BOOST_TEST(c->title == want.title);
      BOOST_TEST(c->tags == want.tags);
      BOOST_TEST(c->section_title == want.section_title);
      BOOST_TEST(c->spec_anchor == want.spec_anchor);
      BOOST_TEST(c->requirement == want.requirement);
      BOOST_TEST(c->transports.size() == want.transports.size());
      BOOST_TEST(c->steps.size() == want.steps.size());
      BOOST_TEST(c->see == want.see);
    }
    BOOST_TEST(n == expected.size());
    BOOST_TEST(count_selected(streamed, Selection{}, profile) == expected.size());
  }
  // Generated in the order the suite has always had: each snapshot open then closed, depth first.
  std::vector<Case> first;
  add_exhaustive_suite(first, 1);
  BOOST_TEST_REQUIRE(first.size() == exhaustive_snapshot_count(1));
  BOOST_TEST(first[0].id == "exhaustive.open.none");
  BOOST_TEST(first[1].id == "exhaustive.closed.none");
  // (ICE states in their enum's order, closed first; DTLS likewise, new first)
  BOOST_TEST(first[2].id == "exhaustive.open.closed-new");
  BOOST_TEST(first[3].id == "exhaustive.closed.closed-new");
  BOOST_TEST(first[3].title == "closed PC with closed/new");
  BOOST_TEST(first.back().id == "exhaustive.closed.connected-failed");
}

BOOST_AUTO_TEST_CASE(shards_partition_a_run) {
  BOOST_TEST(!parse_shard("0/3"));
  BOOST_TEST(!parse_shard("4/3"));
  BOOST_TEST(!parse_shard("1/"));
  BOOST_TEST(!parse_shard("a/3"));
  BOOST_TEST(!parse_shard("2/3x"));
  BOOST_TEST_REQUIRE(parse_shard("3/3").has_value());
  BOOST_TEST(parse_shard("3/3")->index == 2u);
  const Suite suite = load_suite(kSourceDir + "/cases", LoadOptions{1, 2, true});
  const Selection everything;
  std::vector<std::string> whole;
  {
    CaseStream stream(suite, everything, Profile::Rec2025);
    Case scratch;
    for (const Case* c = stream.next(scratch); c; c = stream.next(scratch)) whole.push_back(c->id);
  }
  constexpr std::size_t kShards = 4;
  std::vector<std::vector<std::string>> parts(kShards);
  std::size_t counted = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    CaseStream stream(suite, everything, Profile::Rec2025, Shard{i, kShards});
    Case scratch;
    for (const Case* c = stream.next(scratch); c; c = stream.next(scratch)) parts[i].push_back(c->id);
    counted += count_selected(suite, everything, Profile::Rec2025, Shard{i, kShards});
  }
  BOOST_TEST(counted == whole.size());
  // Taking one case from each shard in turn gives the whole run back.
  std::vector<std::string> interleaved;
  for (std::size_t k = 0; interleaved.size() < whole.size(); ++k) {
    const std::size_t before = interleaved.size();
    for (const auto& part : parts)
      if (k < part.size()) interleaved.push_back(part[k]);
    BOOST_TEST_REQUIRE(interleaved.size() > before);
  }
  BOOST_TEST(interleaved == whole);
}
