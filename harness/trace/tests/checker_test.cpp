// checker_test.cpp — hand-made traces with each kind of finding, bad input, profiles, reorder window.
#define BOOST_TEST_MODULE trace_checker
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "connstate/trace/trace.h"
#include "connstate/trace/trace_reports.h"

using namespace connstate;
using namespace connstate::trace;

namespace connstate::harness {
inline std::ostream& operator<<(std::ostream& os, Verdict v) { return os << to_string(v); }
}  // namespace connstate::harness

namespace {

const std::string kHeader = R"({"format":"connstate-trace","version":1,"stack":"test","scenario":"connect"})";

// A clean connect of one transport, the way the spec orders it (10 lines incl. the header).
const std::vector<std::string> kConnect = {
    kHeader,
    R"({"t_ms":0,"pc":"a","target":"pc","event":"signalingstatechange","state":"have-local-offer"})",
    R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
    R"({"t_ms":10,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"})",
    R"({"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})",
    R"({"t_ms":20,"pc":"a","target":"ice:0","event":"statechange","state":"connected"})",
    R"({"t_ms":20,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"connected"})",
    R"({"t_ms":30,"pc":"a","target":"dtls:0","event":"statechange","state":"connecting"})",
    R"({"t_ms":40,"pc":"a","target":"dtls:0","event":"statechange","state":"connected"})",
    R"({"t_ms":40,"pc":"a","target":"pc","event":"connectionstatechange","state":"connected"})",
};

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TraceResult check(const std::vector<std::string>& lines, double window = 0, Profile profile = Profile::Rec2025) {
  CheckOptions o;
  o.reorder_window_ms = window;
  o.profile = profile;
  return check_text(join(lines), o, "t");
}

const PcResult& pc(const TraceResult& r, const std::string& name = "a") {
  for (const auto& p : r.pcs)
    if (p.pc == name) return p;
  BOOST_FAIL("no pc " + name);
  return r.pcs.front();
}

PcResult pcv(const TraceResult& r, const std::string& name = "a") { return pc(r, name); }

std::string dump(const PcResult& p) {
  std::string s = p.id + ": " + std::string(harness::to_string(p.verdict)) + " — " + p.message + "\n";
  for (const auto& f : p.findings) s += "  " + finding_text(f) + "\n";
  for (const auto& pr : p.problems) s += "  line " + std::to_string(pr.line) + ": " + pr.message + "\n";
  return s;
}

// The single finding of `kind`, checked for time, line, expected/observed and rule.
const Finding& only(const PcResult& p, FindingKind kind) {
  BOOST_TEST_INFO(dump(p));
  BOOST_REQUIRE_EQUAL(p.finding_counts[static_cast<std::size_t>(kind)], 1u);
  for (const auto& f : p.findings)
    if (f.kind == kind) return f;
  BOOST_FAIL("not found");
  return p.findings.front();
}

std::vector<std::string> with(std::vector<std::string> lines, std::size_t at, const std::string& line) {
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), line);
  return lines;
}
std::vector<std::string> without(std::vector<std::string> lines, std::size_t at) {
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(at));
  return lines;
}
std::vector<std::string> replaced(std::vector<std::string> lines, std::size_t at, const std::string& line) {
  lines[at] = line;
  return lines;
}

}  // namespace

BOOST_AUTO_TEST_CASE(clean_connect_passes) {
  const auto r = check(kConnect);
  const auto& p = pc(r);
  BOOST_TEST_INFO(dump(p));
  BOOST_TEST(p.verdict == Verdict::Pass);
  BOOST_TEST(p.findings_total == 0u);
  BOOST_TEST(p.matched == 4u);
  BOOST_TEST(p.pc_events_expected == 4u);
  BOOST_TEST(p.transports == 1u);
  BOOST_TEST(p.id == "t#a");
  BOOST_TEST(r.header.present);
  BOOST_TEST(r.header.stack == "test");
  BOOST_TEST(r.verdict == Verdict::Pass);
}

BOOST_AUTO_TEST_CASE(wrong_value) {
  const auto r = check(replaced(kConnect, 9, R"({"t_ms":41,"pc":"a","target":"pc","event":"connectionstatechange","state":"disconnected"})"));
  const auto& f = only(pc(r), FindingKind::WrongValue);
  BOOST_TEST(f.t_ms == 41.0);
  BOOST_TEST(f.line == 10u);
  BOOST_TEST(f.expected == "connected");
  BOOST_TEST(f.observed == "disconnected");
  BOOST_TEST(f.rule.id == "pcs-2025.connected");
  BOOST_TEST(!f.rule.quote.empty());
  BOOST_TEST(f.cause_line == 9u);
  BOOST_TEST(f.severity == Verdict::Fail);
  BOOST_TEST(pc(r).verdict == Verdict::Fail);
}

BOOST_AUTO_TEST_CASE(missing_at_end) {
  const auto r = check(without(kConnect, 6));  // no iceconnectionstatechange connected
  const auto& f = only(pc(r), FindingKind::Missing);
  BOOST_TEST(f.t_ms == 20.0);
  BOOST_TEST(f.line == 6u);
  BOOST_TEST(f.event == "iceconnectionstatechange");
  BOOST_TEST(f.expected == "connected");
  BOOST_TEST(f.observed.empty());
  BOOST_TEST(f.rule.id == "ics.connected");
}

BOOST_AUTO_TEST_CASE(missing_when_the_stack_skips_a_value) {
  // The stack goes straight from new to connected: "checking" is missing.
  auto lines = without(kConnect, 3);
  const auto r = check(lines);
  const auto& f = only(pc(r), FindingKind::Missing);
  BOOST_TEST(f.expected == "checking");
  BOOST_TEST(f.line == 3u);
  BOOST_TEST(f.rule.id == "ics.checking");
  BOOST_TEST(pc(r).findings_total == 1u);
}

BOOST_AUTO_TEST_CASE(extra) {
  const auto r = check(with(kConnect, 10, R"({"t_ms":50,"pc":"a","target":"pc","event":"connectionstatechange","state":"failed"})"));
  const auto& f = only(pc(r), FindingKind::Extra);
  BOOST_TEST(f.t_ms == 50.0);
  BOOST_TEST(f.line == 11u);
  BOOST_TEST(f.observed == "failed");
  BOOST_TEST(f.expected.empty());
  BOOST_TEST(f.rule.id == "pcs-2025.connected");
}

BOOST_AUTO_TEST_CASE(duplicate) {
  const auto r = check(with(kConnect, 10, R"({"t_ms":50,"pc":"a","target":"pc","event":"connectionstatechange","state":"connected"})"));
  const auto& f = only(pc(r), FindingKind::Duplicate);
  BOOST_TEST(f.t_ms == 50.0);
  BOOST_TEST(f.line == 11u);
  BOOST_TEST(f.observed == "connected");
  BOOST_TEST(f.rule.id == "event.connection-update");
}

BOOST_AUTO_TEST_CASE(duplicate_of_the_initial_value) {
  const auto r = check(with(kConnect, 2, R"({"t_ms":5,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"new"})"));
  const auto& f = only(pc(r), FindingKind::Duplicate);
  BOOST_TEST(f.line == 3u);
  BOOST_TEST(f.rule.id == "event.ice-task");
}

BOOST_AUTO_TEST_CASE(duplicate_transport_statechange) {
  const auto r = check(with(kConnect, 6, R"({"t_ms":21,"pc":"a","target":"ice:0","event":"statechange","state":"connected"})"));
  const auto& f = only(pc(r), FindingKind::Duplicate);
  BOOST_TEST(f.target == "ice:0");
  BOOST_TEST(f.line == 7u);
  BOOST_TEST(f.rule.id == "event.ice-statechange");
  BOOST_TEST(f.severity == Verdict::Fail);
}

BOOST_AUTO_TEST_CASE(wrong_order_in_one_task) {
  // connectionstatechange before iceconnectionstatechange of the same ICE task.
  auto lines = kConnect;
  std::swap(lines[3], lines[4]);
  const auto r = check(lines);
  const auto& f = only(pc(r), FindingKind::WrongOrder);
  BOOST_TEST(f.line == 5u);
  BOOST_TEST(f.event == "iceconnectionstatechange");
  BOOST_TEST(f.rule.id == "event.ice-task");
  BOOST_TEST(f.severity == Verdict::Fail);
  // Within a reorder window the same trace is non-strict.
  const auto w = check(lines, 5);
  const auto& g = only(pc(w), FindingKind::Reordered);
  BOOST_TEST(g.severity == Verdict::NonStrict);
  BOOST_TEST(pc(w).verdict == Verdict::NonStrict);
}

BOOST_AUTO_TEST_CASE(late_delivery_after_a_later_transport_change) {
  std::vector<std::string> lines = {
      kHeader,
      R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
      R"({"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})",
      R"({"t_ms":20,"pc":"a","target":"ice:0","event":"statechange","state":"connected"})",
      R"({"t_ms":21,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"})",
      R"({"t_ms":21,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"connected"})",
  };
  const auto r = check(lines);
  const auto& p = pc(r);
  BOOST_TEST_INFO(dump(p));
  // checking: late (after ice:0 connected) and after the connectionstatechange of its own task.
  BOOST_TEST(p.finding_counts[static_cast<std::size_t>(FindingKind::WrongOrder)] == 1u);
  const auto& f = p.findings.front();
  BOOST_TEST(f.line == 5u);
  BOOST_TEST(f.cause_line == 2u);
  BOOST_TEST(f.message.find("skew 11 ms") != std::string::npos);
  const auto w = check(lines, 11);
  BOOST_TEST(pc(w).verdict == Verdict::NonStrict);
  const auto n = check(lines, 10.5);
  BOOST_TEST(pc(n).verdict == Verdict::Fail);
}

BOOST_AUTO_TEST_CASE(early_delivery_before_its_cause) {
  // The pc event is logged 1 ms before the transport change that causes it (another thread).
  std::vector<std::string> lines = {
      kHeader,
      R"({"t_ms":9,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"})",
      R"({"t_ms":9,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})",
      R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
      R"({"t_ms":30,"pc":"a","target":"ice:0","event":"statechange","state":"connected"})",
      R"({"t_ms":30,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"connected"})",
  };
  // Strictly (window 0) they are wrong-order, with the skew: held for the lookahead, their cause came.
  const auto strict = check(lines);
  const auto& s = pc(strict);
  BOOST_TEST_INFO(dump(s));
  BOOST_TEST(s.finding_counts[static_cast<std::size_t>(FindingKind::WrongOrder)] == 2u);
  BOOST_TEST(s.findings_total == 2u);
  BOOST_TEST(s.findings[0].message.find("before its cause") != std::string::npos);
  // Without the lookahead, an early event has no cause when it is judged: extra, then missing.
  CheckOptions o;
  o.lookahead_ms = 0;
  const auto blind = check_text(join(lines), o, "t");
  BOOST_TEST(blind.pcs[0].finding_counts[static_cast<std::size_t>(FindingKind::Extra)] == 2u);
  BOOST_TEST(blind.pcs[0].finding_counts[static_cast<std::size_t>(FindingKind::Missing)] == 2u);
  const auto w = check(lines, 2);
  const auto& p = pc(w);
  BOOST_TEST_INFO(dump(p));
  BOOST_TEST(p.finding_counts[static_cast<std::size_t>(FindingKind::Reordered)] == 2u);
  BOOST_TEST(p.findings_total == 2u);
  BOOST_TEST(p.verdict == Verdict::NonStrict);
  BOOST_TEST(p.findings[0].line == 2u);
  BOOST_TEST(p.findings[0].cause_line == 4u);
  BOOST_TEST(p.matched == 3u);
}

BOOST_AUTO_TEST_CASE(after_close) {
  auto lines = kConnect;
  lines.push_back(R"({"t_ms":50,"pc":"a","target":"api","event":"close"})");
  lines.push_back(R"({"t_ms":51,"pc":"a","target":"pc","event":"connectionstatechange","state":"closed"})");
  const auto r = check(lines);
  const auto& f = only(pc(r), FindingKind::AfterClose);
  BOOST_TEST(f.t_ms == 51.0);
  BOOST_TEST(f.line == 12u);
  BOOST_TEST(f.observed == "closed");
  BOOST_TEST(f.rule.id == "close.no-event");
  BOOST_TEST(pc(r).coverage.closed);
}

BOOST_AUTO_TEST_CASE(transport_events_after_close) {
  auto lines = kConnect;
  lines.push_back(R"({"t_ms":50,"pc":"a","target":"api","event":"close"})");
  lines.push_back(R"({"t_ms":52,"pc":"a","target":"dtls:0","event":"statechange","state":"closed"})");
  auto r = check(lines);
  const auto& d = only(pc(r), FindingKind::AfterClose);
  BOOST_TEST(d.severity == Verdict::Informational);
  BOOST_TEST(d.rule.id == "close.dtls-no-check");
  BOOST_TEST(pc(r).verdict == Verdict::Informational);
  lines.push_back(R"({"t_ms":53,"pc":"a","target":"ice:0","event":"statechange","state":"closed"})");
  r = check(lines);
  BOOST_TEST(pc(r).finding_counts[static_cast<std::size_t>(FindingKind::AfterClose)] == 2u);
  BOOST_TEST(pc(r).verdict == Verdict::Fail);
}

BOOST_AUTO_TEST_CASE(pending_event_delivered_after_close) {
  // The ICE task's events were pending when close() came; delivered 1 ms after it.
  std::vector<std::string> lines = {
      kHeader,
      R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
      R"({"t_ms":10,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"})",
      R"({"t_ms":11,"pc":"a","target":"api","event":"close"})",
      R"({"t_ms":12,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})",
  };
  const auto strict = check(lines);
  const auto& f = only(pc(strict), FindingKind::AfterClose);
  BOOST_TEST(f.cause_line == 2u);
  BOOST_TEST(pc(strict).findings_total == 1u);  // consumed: not also missing
  const auto w = check(lines, 5);
  const auto& g = only(pc(w), FindingKind::Reordered);
  BOOST_TEST(g.line == 5u);
  BOOST_TEST(pc(w).verdict == Verdict::NonStrict);
}

BOOST_AUTO_TEST_CASE(missing_because_close_came_first) {
  std::vector<std::string> lines = {
      kHeader,
      R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
      R"({"t_ms":11,"pc":"a","target":"api","event":"close"})",
  };
  const auto r = check(lines);
  BOOST_TEST(pc(r).finding_counts[static_cast<std::size_t>(FindingKind::Missing)] == 2u);
  BOOST_TEST(pc(r).findings[0].message.find("close() was called on line 3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(not_closed_after_close) {
  auto lines = kConnect;
  lines.push_back(R"({"t_ms":50,"pc":"a","target":"api","event":"close"})");
  lines.push_back(R"({"t_ms":50.1,"pc":"a","target":"pc","event":"get","attribute":"connectionState","state":"connected"})");
  lines.push_back(R"({"t_ms":50.1,"pc":"a","target":"pc","event":"get","attribute":"iceConnectionState","state":"closed"})");
  lines.push_back(R"({"t_ms":50.1,"pc":"a","target":"pc","event":"get","attribute":"iceGatheringState","state":"gathering"})");
  lines.push_back(R"({"t_ms":50.2,"pc":"a","target":"ice:0","event":"get","attribute":"state","state":"closed"})");
  const auto r = check(lines);
  const auto& f = only(pc(r), FindingKind::NotClosedAfterClose);
  BOOST_TEST(f.line == 12u);
  BOOST_TEST(f.expected == "closed");
  BOOST_TEST(f.observed == "connected");
  BOOST_TEST(f.event == "get connectionState");
  BOOST_TEST(f.rule.id == "close.no-event");
  lines.push_back(R"({"t_ms":50.3,"pc":"a","target":"dtls:0","event":"get","state":"connected"})");
  const auto r2 = check(lines);
  BOOST_TEST(pc(r2).finding_counts[static_cast<std::size_t>(FindingKind::NotClosedAfterClose)] == 2u);
  BOOST_TEST(pc(r2).findings.back().rule.id == "close.states");
}

BOOST_AUTO_TEST_CASE(illegal_transition) {
  std::vector<std::string> lines = {
      kHeader,
      R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
      R"({"t_ms":10,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"})",
      R"({"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})",
      R"({"t_ms":20,"pc":"a","target":"ice:0","event":"statechange","state":"failed"})",
      R"({"t_ms":20,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"failed"})",
      R"({"t_ms":20,"pc":"a","target":"pc","event":"connectionstatechange","state":"failed"})",
      R"({"t_ms":30,"pc":"a","target":"ice:0","event":"statechange","state":"connected"})",
      R"({"t_ms":30,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"connected"})",
      R"({"t_ms":30,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})",
  };
  const auto r = check(lines);
  const auto& f = only(pc(r), FindingKind::IllegalTransition);
  BOOST_TEST(f.line == 8u);
  BOOST_TEST(f.target == "ice:0");
  BOOST_TEST(f.observed == "failed -> connected");
  BOOST_TEST(f.rule.id == "ice.failed-terminal");
  BOOST_TEST(f.rule.quote == "This is a terminal state until ICE is restarted.");
  BOOST_TEST(pc(r).findings_total == 1u);  // the pc events still follow the model
  // failed -> checking (an ICE restart) is fine.
  auto restart = replaced(lines, 7, R"({"t_ms":30,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})");
  restart[8] = R"({"t_ms":30,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"})";
  BOOST_TEST(pcv(check(restart)).verdict == Verdict::Pass);
}

BOOST_AUTO_TEST_CASE(dtls_failed_is_sticky) {
  std::vector<std::string> lines = {
      kHeader,
      R"({"t_ms":10,"pc":"a","target":"dtls:0","event":"statechange","state":"failed"})",
      R"({"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"failed"})",
      R"({"t_ms":20,"pc":"a","target":"dtls:0","event":"statechange","state":"failed"})",
  };
  const auto r = check(lines);
  const auto& f = only(pc(r), FindingKind::Duplicate);
  BOOST_TEST(f.rule.id == "dtls.failed-sticky");
  BOOST_TEST(f.severity == Verdict::Fail);
}

BOOST_AUTO_TEST_CASE(profiles_differ_on_the_completed_gap) {
  // A single transport goes connected -> completed with DTLS connected: rec-2025 read literally
  // requires connectionstatechange 'connecting'; the stack (like every browser) fires none.
  auto lines = kConnect;
  lines.push_back(R"({"t_ms":60,"pc":"a","target":"ice:0","event":"statechange","state":"completed"})");
  lines.push_back(R"({"t_ms":60,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"completed"})");
  const auto lit = check(lines, 0, Profile::Rec2025);
  const auto& f = only(pc(lit), FindingKind::Missing);
  BOOST_TEST(f.expected == "connecting");
  BOOST_TEST(f.rule.id == "pcs-2025.connecting");
  BOOST_TEST(pcv(check(lines, 0, Profile::Rec2021Amended)).verdict == Verdict::Pass);
}

BOOST_AUTO_TEST_CASE(several_pcs) {
  auto lines = kConnect;
  lines.push_back(R"({"t_ms":41,"pc":"b","target":"ice:1","event":"statechange","state":"checking"})");
  lines.push_back(R"({"t_ms":41,"pc":"b","target":"pc","event":"iceconnectionstatechange","state":"checking"})");
  const auto r = check(lines);
  BOOST_REQUIRE_EQUAL(r.pcs.size(), 2u);
  BOOST_TEST(pc(r, "a").verdict == Verdict::Pass);
  const auto& b = pc(r, "b");
  BOOST_TEST(b.id == "t#b");
  BOOST_TEST(only(b, FindingKind::Missing).expected == "connecting");
  BOOST_TEST(r.verdict == Verdict::Fail);
}

BOOST_AUTO_TEST_CASE(bad_input_is_reported_with_its_line_and_the_check_goes_on) {
  std::vector<std::string> lines = kConnect;
  lines.push_back(R"({"t_ms":45,"pc":"a","target":"ice:0","event":"statechange","state":"conected"})");  // 11
  lines.push_back(R"({"t_ms":44,"pc":"a","target":"pc","event":"signalingstatechange","state":"stable"})");  // 12
  lines.push_back(R"({"t_ms":46,"pc":"b","target":"ice:0","event":"statechange","state":"checking"})");  // 13
  lines.push_back(R"({"t_ms":47,"pc":"a","target":"pc","event":"connectionstatechange","state":"connected"})");  // 14
  lines.push_back(R"({"t_ms":48,"pc":"a","target":"pc","event":"connectionstate)");  // 15, truncated
  const auto r = check(lines);
  const auto& a = pc(r);
  BOOST_TEST_INFO(dump(a));
  BOOST_TEST(a.verdict == Verdict::Error);
  std::vector<std::size_t> problem_lines;
  for (const auto& p : a.problems) problem_lines.push_back(p.line);
  BOOST_TEST(problem_lines == (std::vector<std::size_t>{11, 12, 15}), boost::test_tools::per_element());
  BOOST_TEST(a.problems[0].message.find("unknown RTCIceTransportState \"conected\"") != std::string::npos);
  BOOST_TEST(a.problems[0].action == "line skipped");
  BOOST_TEST(a.problems[1].message.find("t_ms 44 is lower than 45 on line 11") != std::string::npos);
  BOOST_TEST(a.problems[1].action == "event used in line order");
  BOOST_TEST(a.problems[2].message.find("not valid JSON") != std::string::npos);
  // The check went on: the duplicate on line 14 is still found.
  BOOST_TEST(only(a, FindingKind::Duplicate).line == 14u);
  const auto& b = pc(r, "b");
  BOOST_TEST(b.verdict == Verdict::Error);
  BOOST_TEST(b.problems[0].line == 13u);
  BOOST_TEST(b.problems[0].message.find("transport 0 belongs to pc \"a\"") != std::string::npos);
  BOOST_TEST(r.problems_total == 1u);  // the unparsable line could not be attributed
}

BOOST_AUTO_TEST_CASE(bad_header_and_fields) {
  const auto v2 = check({R"({"format":"connstate-trace","version":2})", kConnect[2]});
  BOOST_TEST(!v2.checked);
  BOOST_REQUIRE_EQUAL(v2.pcs.size(), 1u);
  BOOST_TEST(v2.pcs[0].verdict == Verdict::Error);
  const auto late_header = check(with(kConnect, 3, kHeader));
  BOOST_TEST(late_header.problems_total == 1u);
  BOOST_TEST(late_header.problems[0].line == 4u);
  const auto no_t = check({kHeader, R"({"pc":"a","target":"ice:0","event":"statechange","state":"checking"})"});
  BOOST_TEST(pc(no_t).problems[0].message.find("t_ms") != std::string::npos);
  const auto empty = check({kHeader});
  BOOST_TEST(empty.pcs[0].verdict == Verdict::Error);
  BOOST_TEST(empty.pcs[0].message == "the trace has no events");
  const auto bad_id = check({kHeader, R"({"t_ms":1,"pc":"a","target":"ice:a b","event":"statechange","state":"checking"})"});
  BOOST_TEST(pc(bad_id).problems[0].message.find("bad transport id") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ignored_targets_events_and_fields) {
  auto lines = kConnect;
  lines.insert(lines.begin() + 2, R"({"t_ms":1,"pc":"a","target":"dc:chat","event":"open","extra":{"x":1}})");
  lines.insert(lines.begin() + 2, R"({"t_ms":1,"target":"recorder","event":"marker","text":"hello"})");
  lines.insert(lines.begin() + 2, R"({"t_ms":1,"pc":"a","target":"ice:0","event":"gatheringstatechange","state":"gathering"})");
  lines.insert(lines.begin() + 2, R"({"t_ms":1,"pc":"a","target":"api","event":"createOffer","detail":"…"})");
  lines.insert(lines.begin() + 2, R"({"t_ms":1,"pc":"a","target":"pc","event":"negotiationneeded","raw":true})");
  const auto r = check(lines);
  BOOST_TEST_INFO(dump(pc(r)));
  BOOST_TEST(pc(r).verdict == Verdict::Pass);
}

BOOST_AUTO_TEST_CASE(transport_level_only_without_pc_events) {
  const std::string h = R"({"format":"connstate-trace","version":1,"stack":"libnice","pc_events":false})";
  std::vector<std::string> lines = {
      h,
      R"({"t_ms":1,"pc":"a","target":"ice:1","event":"statechange","state":"checking"})",
      R"({"t_ms":2,"pc":"a","target":"ice:1","event":"statechange","state":"connected"})",
      R"({"t_ms":3,"pc":"a","target":"ice:1","event":"statechange","state":"completed"})",
      R"({"t_ms":900,"pc":"a","target":"ice:1","event":"statechange","state":"failed"})",
  };
  const auto r = check(lines);
  const auto& p = pc(r);
  BOOST_TEST_INFO(dump(p));
  BOOST_TEST(p.verdict == Verdict::Pass);
  BOOST_TEST(!p.pc_events);
  BOOST_TEST(p.message.find("transport-level rules only") != std::string::npos);
  BOOST_TEST(p.coverage.ice == static_cast<std::uint8_t>((1u << 1) | (1u << 4) | (1u << 5) | (1u << 6)));
  // libnice's recovery: failed -> completed without a restart.
  lines.push_back(R"({"t_ms":950,"pc":"a","target":"ice:1","event":"statechange","state":"completed"})");
  const auto rl = check(lines);
  BOOST_TEST(only(pc(rl), FindingKind::IllegalTransition).rule.id == "ice.failed-terminal");
  lines.push_back(R"({"t_ms":951,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"failed"})");
  BOOST_TEST(pcv(check(lines)).verdict == Verdict::Error);
}

BOOST_AUTO_TEST_CASE(dtls_triggered_update_may_be_overtaken) {
  // DTLS connected queues "update the connection state"; an ICE task that ran first already
  // re-derived connectionState, so the stack never fires the DTLS-caused value. Not a finding.
  std::vector<std::string> lines = {
      kHeader,
      R"({"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"})",
      R"({"t_ms":10,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"})",
      R"({"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"})",
      R"({"t_ms":20,"pc":"a","target":"ice:0","event":"statechange","state":"connected"})",
      R"({"t_ms":20,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"connected"})",
      R"({"t_ms":30,"pc":"a","target":"dtls:0","event":"statechange","state":"connected"})",
      R"({"t_ms":30,"pc":"a","target":"ice:0","event":"statechange","state":"disconnected"})",
      R"({"t_ms":30,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"disconnected"})",
      R"({"t_ms":30,"pc":"a","target":"pc","event":"connectionstatechange","state":"disconnected"})",
  };
  const auto r = check(lines);
  BOOST_TEST_INFO(dump(pc(r)));
  BOOST_TEST(pc(r).verdict == Verdict::Pass);
}

BOOST_AUTO_TEST_CASE(signaling_and_gathering_duplicates) {
  auto lines = with(kConnect, 2, R"({"t_ms":1,"pc":"a","target":"pc","event":"signalingstatechange","state":"have-local-offer"})");
  const auto r = check(lines);
  const auto& f = only(pc(r), FindingKind::Duplicate);
  BOOST_TEST(f.event == "signalingstatechange");
  BOOST_TEST(f.rule.id == "event.signaling");
  auto g = with(kConnect, 2, R"({"t_ms":1,"pc":"a","target":"pc","event":"icegatheringstatechange","state":"new"})");
  const auto rg = check(g);
  BOOST_TEST(only(pc(rg), FindingKind::Duplicate).rule.id == "event.gathering");
}

BOOST_AUTO_TEST_CASE(findings_and_timeline_are_bounded) {
  std::vector<std::string> lines = {kHeader};
  for (int i = 0; i < 3000; ++i)
    lines.push_back(R"({"t_ms":)" + std::to_string(i) +
                    R"(,"pc":"a","target":"pc","event":"connectionstatechange","state":"new"})");
  CheckOptions o;
  o.max_findings = 10;
  o.max_timeline_steps = 100;
  const auto r = check_text(join(lines), o, "t");
  const auto& p = r.pcs[0];
  BOOST_TEST(p.findings.size() == 10u);
  BOOST_TEST(p.findings_total == 3000u);
  BOOST_TEST(p.timeline.truncated);
  BOOST_TEST(p.timeline.step_t.size() == 100u);
}

BOOST_AUTO_TEST_CASE(timeline_svg_draws_lanes_close_and_findings) {
  auto lines = kConnect;
  lines.push_back(R"({"t_ms":50,"pc":"a","target":"pc","event":"connectionstatechange","state":"failed"})");
  lines.push_back(R"({"t_ms":60,"pc":"a","target":"api","event":"close"})");
  const auto r = check(lines);
  const std::string svg = timeline_svg(pc(r));
  BOOST_TEST(svg.starts_with("<svg"));
  for (const char* lane : {"ice:0", "dtls:0", "connectionState (stack)", "connectionState (spec)",
                           "iceConnectionState (stack)", "iceConnectionState (spec)", "signalingState"})
    BOOST_TEST(svg.find(std::string("data-lane=\"") + lane + "\"") != std::string::npos, lane);
  BOOST_TEST(svg.find("class=\"close\"") != std::string::npos);
  BOOST_TEST(svg.find("data-kind=\"extra\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(trace_ids) {
  BOOST_TEST(trace_id("/x/cases/traces/chromium/connect.jsonl", "/x/cases/traces") == "chromium/connect");
  BOOST_TEST(trace_id("-", "") == "stdin");
  BOOST_TEST(trace_id("/elsewhere/a.jsonl", "/x") == "/elsewhere/a");
  BOOST_TEST(trace_id("/x/chromium-internals/close.txt", "/x") == "chromium-internals/close");
  BOOST_TEST(trace_id("/x/connect.gz", "/x") == "connect");
}

// ---- partial traces: judged by what the pc events imply ---------------------------------------

namespace {

const std::string kSampledHeader =
    R"({"format":"connstate-trace","version":1,"stack":"test","scenario":"dump","transport_events":"sampled","time_uncertainty_ms":50})";

std::string ev(double t, const std::string& type, const std::string& state, const std::string& pc_name = "a") {
  return R"({"t_ms":)" + std::to_string(t) + R"(,"pc":")" + pc_name + R"(","target":"pc","event":")" + type +
         R"(","state":")" + state + "\"}";
}
std::string sample(double t, const std::string& target, const std::string& state, const std::string& pc_name = "a") {
  return R"({"t_ms":)" + std::to_string(t) + R"(,"pc":")" + pc_name + R"(","target":")" + target +
         R"(","event":"sample","state":")" + state + "\"}";
}

// A connect as a dump logs it (the header and four events), then `more`.
std::vector<std::string> sampled_connect(const std::vector<std::string>& more) {
  std::vector<std::string> lines = {kSampledHeader, ev(0, "iceconnectionstatechange", "checking"),
                                    ev(1, "connectionstatechange", "connecting"),
                                    ev(40, "iceconnectionstatechange", "connected"),
                                    ev(90, "connectionstatechange", "connected")};
  lines.insert(lines.end(), more.begin(), more.end());
  return lines;
}

// A Chromium-like path failure as a dump shows it: samples while connected, none after.
std::vector<std::string> sampled_path_failure() {
  return sampled_connect({sample(1000, "ice:a.T01", "connected"), sample(1000, "dtls:a.T01", "connected"),
                          sample(2000, "ice:a.T01", "connected"), sample(2000, "dtls:a.T01", "connected"),
                          ev(7000, "iceconnectionstatechange", "disconnected"),
                          ev(7001, "connectionstatechange", "disconnected"), ev(17000, "connectionstatechange", "failed")});
}

}  // namespace

BOOST_AUTO_TEST_CASE(partial_connect_passes_without_samples_or_transport_events) {
  // No transport line at all, and no header saying so: the pc's events are judged by what they imply,
  // never reported as extra (nothing is known to be missing) nor missing.
  const std::vector<std::string> lines = {kHeader, ev(0, "iceconnectionstatechange", "checking"),
                                          ev(1, "connectionstatechange", "connecting"),
                                          ev(40, "iceconnectionstatechange", "connected"),
                                          ev(90, "connectionstatechange", "connected"),
                                          R"({"t_ms":100,"pc":"a","target":"api","event":"close"})"};
  const auto r = check(lines);
  BOOST_TEST_INFO(dump(pc(r)));
  BOOST_TEST(pc(r).partial);
  BOOST_TEST(pc(r).verdict == Verdict::Pass);
  BOOST_TEST(pc(r).message.find("partial trace") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(partial_impossible_sequence_fails) {
  // connectionState 'connected' while iceConnectionState is 'checking': no transport states give it.
  const std::vector<std::string> lines = {kSampledHeader, ev(0, "iceconnectionstatechange", "checking"),
                                          ev(1, "connectionstatechange", "connecting"),
                                          ev(300, "connectionstatechange", "connected"),
                                          ev(400, "iceconnectionstatechange", "connected")};
  const auto r = check(lines);
  const Finding& f = only(pc(r), FindingKind::Impossible);
  BOOST_TEST(pc(r).verdict == Verdict::Fail);
  BOOST_TEST(f.line == 4u);
  BOOST_TEST(f.observed == "connected");
  BOOST_TEST(f.rule.id == "pcs-2025.connected");
  BOOST_TEST(f.message.find("iceConnectionState was 'checking'") != std::string::npos, f.message);
  // The same events 0.3 ms apart may have been logged in either order: possible, so no finding.
  const std::vector<std::string> close_together = {kSampledHeader, ev(0, "iceconnectionstatechange", "checking"),
                                                    ev(1, "connectionstatechange", "connecting"),
                                                    ev(300, "connectionstatechange", "connected"),
                                                    ev(300.3, "iceconnectionstatechange", "connected")};
  BOOST_TEST(pc(check(close_together)).verdict == Verdict::Pass);
  // ... unless the trace says its times are exact.
  auto exact = close_together;
  exact[0] = R"({"format":"connstate-trace","version":1,"stack":"test","transport_events":"partial"})";
  BOOST_TEST(pc(check(exact)).finding_counts[static_cast<std::size_t>(FindingKind::Impossible)] == 1u);
  // An impossible event is left out and the rest still judged: here the rest is fine.
  BOOST_TEST(pc(r).findings_total == 1u);
}

BOOST_AUTO_TEST_CASE(partial_needs_unshown_state_names_it_and_the_last_sample) {
  const auto r = check(sampled_path_failure());
  const auto& p = pc(r);
  BOOST_TEST(p.verdict == Verdict::Informational);
  const Finding& f = only(p, FindingKind::NeedsUnshownState);
  BOOST_TEST(f.severity == Verdict::Informational);
  BOOST_TEST(f.line == 12u);
  BOOST_TEST(f.event == "connectionstatechange");
  BOOST_TEST(f.expected == "dtls failed");
  BOOST_TEST(f.rule.id == "pcs-2025.failed");
  BOOST_TEST(f.message ==
             "connectionState became 'failed' while iceConnectionState was 'disconnected' and connectionState "
             "'disconnected': under rec-2025 this needs a DTLS transport in 'failed', which the trace does not show; "
             "the last dtlsState sample (dtls:a.T01, line 9), 15.0 s earlier, says 'connected', and none comes after it");
  // A later sample that shows DTLS failed: the trace shows what the event needs.
  auto shown = sampled_path_failure();
  shown.push_back(sample(17500, "dtls:a.T01", "failed"));
  BOOST_TEST(pc(check(shown)).verdict == Verdict::Pass);
  // The ICE side is shown by the iceconnectionstatechange events themselves: the disconnect after the
  // last sample needs nothing more.
  auto no_failed = sampled_path_failure();
  no_failed.pop_back();
  BOOST_TEST(pc(check(no_failed)).verdict == Verdict::Pass);
  // Under rec-2021-amended the same needs the same DTLS state (ICE failed would fire iceconnectionstatechange).
  const auto r21 = check(sampled_path_failure(), 0, Profile::Rec2021Amended);
  BOOST_TEST(only(pc(r21), FindingKind::NeedsUnshownState).rule.id == "pcs-2021a.failed");
}

BOOST_AUTO_TEST_CASE(partial_unexplained_sample) {
  // iceState 'disconnected' between two pc events that say nothing changed: a state change that fired no
  // iceconnectionstatechange (or a log that lost it).
  const auto lines = sampled_connect({sample(1000, "ice:a.T01", "connected"), sample(2000, "ice:a.T01", "disconnected"),
                                      sample(3000, "ice:a.T01", "connected")});
  const auto r = check(lines);
  const Finding& f = only(pc(r), FindingKind::UnexplainedSample);
  BOOST_TEST(pc(r).verdict == Verdict::Informational);
  BOOST_TEST(f.target == "ice:a.T01");
  BOOST_TEST(f.line == 7u);
  BOOST_TEST(f.observed == "disconnected");
}

BOOST_AUTO_TEST_CASE(partial_keeps_the_rules_that_need_no_transport) {
  // A repeated value and an event after close() are judged as in a complete trace.
  auto lines = sampled_path_failure();
  lines.push_back(ev(17001, "connectionstatechange", "failed"));
  lines.push_back(R"({"t_ms":18000,"pc":"a","target":"api","event":"close"})");
  lines.push_back(ev(18001, "iceconnectionstatechange", "closed"));
  lines.push_back(sample(18500, "ice:a.T01", "connected"));  // a poll after close(): no event, no finding
  const auto r = check(lines);
  const auto& p = pc(r);
  BOOST_TEST_INFO(dump(p));
  BOOST_TEST(p.finding_counts[static_cast<std::size_t>(FindingKind::Duplicate)] == 1u);
  BOOST_TEST(p.finding_counts[static_cast<std::size_t>(FindingKind::AfterClose)] == 1u);
  BOOST_TEST(p.finding_counts[static_cast<std::size_t>(FindingKind::NeedsUnshownState)] == 1u);
  BOOST_TEST(p.finding_counts[static_cast<std::size_t>(FindingKind::Missing)] == 0u);
  BOOST_TEST(p.verdict == Verdict::Fail);
  // Polled states are not events: a repeated sample, or ICE failed then connected (a restart may have
  // passed between two polls), is no finding.
  const std::vector<std::string> polls = {kSampledHeader, sample(0, "ice:a.T01", "failed"), sample(1, "ice:a.T01", "failed"),
                                          sample(2, "ice:a.T01", "connected")};
  BOOST_TEST(pc(check(polls)).findings_total == 0u);
}

BOOST_AUTO_TEST_CASE(partial_pcs_are_judged_apart) {
  // Two pcs in one trace, each with its own transport: one fails its own way, the other passes.
  std::vector<std::string> lines = sampled_path_failure();
  lines.insert(lines.begin() + 2, ev(0.5, "iceconnectionstatechange", "checking", "b"));
  lines.insert(lines.begin() + 3, ev(0.6, "connectionstatechange", "connecting", "b"));
  lines.push_back(ev(17100, "iceconnectionstatechange", "connected", "b"));
  lines.push_back(ev(17200, "connectionstatechange", "connected", "b"));
  lines.push_back(sample(18000, "dtls:b.T01", "connected", "b"));
  const auto r = check(lines);
  BOOST_TEST(pc(r, "a").verdict == Verdict::Informational);
  BOOST_TEST(pc(r, "b").verdict == Verdict::Pass);
  BOOST_TEST(r.problems_total == 0u);
}

BOOST_AUTO_TEST_CASE(partial_header_values_are_checked) {
  const auto r = check({R"({"format":"connstate-trace","version":1,"transport_events":"sometimes","time_uncertainty_ms":-3})",
                        ev(0, "iceconnectionstatechange", "checking")});
  BOOST_TEST(r.problems_total == 2u);
}

BOOST_AUTO_TEST_CASE(partial_missing_event_is_named) {
  // No transport line; the stack never fires connectionstatechange 'connecting' (as pion 3.1 does):
  // the events cannot all come from transport states unless that one is left out.
  const std::vector<std::string> lines = {kHeader, ev(0, "iceconnectionstatechange", "checking"),
                                          ev(40, "iceconnectionstatechange", "connected"),
                                          ev(90, "connectionstatechange", "connected")};
  const auto r = check(lines);
  const Finding& f = only(pc(r), FindingKind::Missing);
  BOOST_TEST(pc(r).verdict == Verdict::Fail);
  BOOST_TEST(f.event == "connectionstatechange");
  BOOST_TEST(f.expected == "connecting");
  BOOST_TEST(f.line == 2u);
  BOOST_TEST(f.rule.id == "pcs-2025.connecting");
  BOOST_TEST(pc(r).findings_total == 1u);
}
