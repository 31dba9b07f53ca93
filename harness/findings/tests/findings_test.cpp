// The step judge and the grouping: the reference judged against itself has no departure under any
// profile; a departure's id does not depend on the number or order of transports; each kind of event
// departure is named by the requirement it breaks.
#define BOOST_TEST_MODULE findings
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "connstate/findings/findings.h"
#include "connstate/harness/json_input.h"

using namespace connstate;
using namespace connstate::harness;
using connstate::findings::Departure;

namespace {

Case sequence(std::vector<Step> steps) {
  Case c;
  c.id = "test.sequence";
  c.kind = CaseKind::Sequence;
  c.transport_names = {"t0", "t1"};
  for (const Step& s : steps) c.steps.push_back({s, s.kind == StepKind::Close ? "" : c.transport_names[s.transport], {}, {}});
  return c;
}

Case snapshot(std::vector<TransportState> transports) {
  Case c;
  c.id = "test.snapshot";
  c.transports = std::move(transports);
  return c;
}

std::vector<StepOutcomeText> reference_steps(const Case& c, Profile p) { return expected_outcome(c, p).steps; }

bool has(const std::vector<Departure>& ds, const std::string& requirement, const std::string& kind) {
  for (const auto& d : ds)
    if (d.requirement == requirement && d.kind == kind) return true;
  return false;
}

using I = IceTransportState;
using D = DtlsTransportState;

}  // namespace

BOOST_AUTO_TEST_CASE(reference_against_itself_has_no_departure) {
  std::vector<Case> cases;
  add_exhaustive_suite(cases, 2);
  add_sequence_suite(cases, 3);
  for (const ProfileInfo& info : kProfiles) {
    std::size_t departures = 0;
    for (const Case& c : cases) {
      const ExpectedOutcome pass = expected_outcome(c, info.profile);
      departures += c.kind == CaseKind::Snapshot ? findings::judge_snapshot(info.profile, c, pass.snapshot).size()
                                                 : findings::judge_sequence(info.profile, c, pass.steps).size();
    }
    BOOST_TEST(departures == 0u, info.id);
  }
}

BOOST_AUTO_TEST_CASE(snapshot_departure_ignores_transport_count_and_order) {
  // A stack that says `connected` for every all-completed snapshot (REC 2025 literally: connecting).
  const ObservedStates answer{std::string("connected"), std::string("completed")};
  const auto one = findings::judge_snapshot(Profile::Rec2025, snapshot({{I::Completed, D::Connected}}), answer);
  const auto three = findings::judge_snapshot(
      Profile::Rec2025, snapshot({{I::Completed, D::Closed}, {I::Completed, D::Connected}, {I::Closed, D::Connected}}),
      answer);
  BOOST_TEST_REQUIRE(one.size() == 1u);
  BOOST_TEST_REQUIRE(three.size() == 1u);
  BOOST_TEST(one[0].id() == three[0].id());
  BOOST_TEST(one[0].requirement == "pcs-2025.connecting");
  BOOST_TEST(one[0].id().starts_with("F-pcs-2025.connecting-value-"));
}

BOOST_AUTO_TEST_CASE(connection_state_consistent_with_own_ice_state_is_not_a_second_finding) {
  // ICE aggregate wrong (connected for completed); connectionState follows from it under REC 2025.
  const auto ds = findings::judge_snapshot(Profile::Rec2025, snapshot({{I::Completed, D::Connected}}),
                                           {std::string("connected"), std::string("connected")});
  BOOST_TEST_REQUIRE(ds.size() == 1u);
  BOOST_TEST(ds[0].requirement == "ics.completed");
}

BOOST_AUTO_TEST_CASE(event_departures_name_their_requirement) {
  const Case c = sequence({Step::add(0), Step::ice(0, I::Checking), Step::ice(0, I::Connected),
                           Step::dtls(0, D::Connecting), Step::dtls(0, D::Connected), Step::close()});
  auto steps = reference_steps(c, Profile::Rec2025);
  BOOST_TEST(findings::judge_sequence(Profile::Rec2025, c, steps).empty());

  auto swapped = steps;  // checking: connectionstatechange before iceconnectionstatechange
  std::swap(swapped[1].events[1], swapped[1].events[2]);
  BOOST_TEST(has(findings::judge_sequence(Profile::Rec2025, c, swapped), "ice-task.event-order", "misordered-events"));

  auto on_close = steps;
  on_close[5].events = {"pc iceconnectionstatechange closed", "pc connectionstatechange closed"};
  const auto close_ds = findings::judge_sequence(Profile::Rec2025, c, on_close);
  BOOST_TEST(close_ds.size() == 2u);
  BOOST_TEST(has(close_ds, "close.no-events", "extra-event"));

  auto missing = steps;  // DTLS connected without its connectionstatechange
  missing[4].events.pop_back();
  BOOST_TEST(has(findings::judge_sequence(Profile::Rec2025, c, missing), "dtls-task.later-task", "missing-event"));

  auto twice = steps;
  twice[4].events.push_back(twice[4].events.back());
  BOOST_TEST(has(findings::judge_sequence(Profile::Rec2025, c, twice), "dtls-task.no-event-unchanged", "duplicate-event"));
}

BOOST_AUTO_TEST_CASE(every_divergent_step_counts) {
  // Two independent departures in one sequence: a missing transport statechange at step 1, an extra event
  // on close() at step 5. Both are reported, not only the first.
  const Case c = sequence({Step::add(0), Step::ice(0, I::Checking), Step::ice(0, I::Connected),
                           Step::dtls(0, D::Connecting), Step::dtls(0, D::Connected), Step::close()});
  auto steps = reference_steps(c, Profile::Rec2025);
  steps[1].events.erase(steps[1].events.begin());
  steps[5].events = {"pc connectionstatechange closed"};
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, steps);
  BOOST_TEST(has(ds, "ice-task.statechange-always", "missing-event"));
  BOOST_TEST(has(ds, "close.no-events", "extra-event"));
}

BOOST_AUTO_TEST_CASE(a_wrong_value_is_not_counted_again_as_wrong_events) {
  // A stack that never leaves `new` for iceConnectionState (and so never fires its event): value findings only.
  const Case c = sequence({Step::add(0), Step::ice(0, I::Checking)});
  auto steps = reference_steps(c, Profile::Rec2025);
  steps[1].states.ice_connection_state = "new";
  steps[1].events = {"ice:t0 statechange checking", "pc connectionstatechange connecting"};
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, steps);
  BOOST_TEST_REQUIRE(ds.size() == 1u);
  BOOST_TEST(ds[0].kind == "value");
  BOOST_TEST(ds[0].requirement == "ics.checking");
}

BOOST_AUTO_TEST_CASE(a_kept_value_is_attributed_to_the_rule_that_gave_it) {
  // REC 2025 does not re-derive on add: after t1 joins, iceConnectionState stays `connected`.
  const Case c = sequence({Step::add(0), Step::ice(0, I::Checking), Step::ice(0, I::Connected), Step::add(1)});
  auto steps = reference_steps(c, Profile::Rec2025);
  BOOST_TEST_REQUIRE(*steps[3].states.ice_connection_state == "connected");
  auto rederived = steps;  // a stack that re-derives on the set change: `checking` (t1 is new)
  rederived[3].states.ice_connection_state = "checking";
  rederived[3].events = {"pc iceconnectionstatechange checking"};
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, rederived);
  BOOST_TEST_REQUIRE(!ds.empty());
  BOOST_TEST(ds[0].requirement == "transport-set.no-rederive-on-change");
  auto wrong = steps;  // a stack whose kept value is wrong for another reason
  wrong[3].states.ice_connection_state = "completed";
  const auto other = findings::judge_sequence(Profile::Rec2025, c, wrong);
  BOOST_TEST_REQUIRE(!other.empty());
  BOOST_TEST(other[0].requirement == "ics.connected");
}

BOOST_AUTO_TEST_CASE(a_set_change_rederivation_to_a_wrong_value_is_two_causes) {
  // aiortc's shape: adding a transport re-derives (and announces it), and its table gives `new` for
  // new + completed where REC 2025 gives `checking`. Both causes are named; the value the spec keeps
  // (`completed`) is not blamed on the rule that gave it.
  const Case c = sequence({Step::add(0), Step::ice(0, I::Checking), Step::ice(0, I::Completed), Step::add(1)});
  auto steps = reference_steps(c, Profile::Rec2025);
  BOOST_TEST_REQUIRE(*steps[3].states.ice_connection_state == "completed");
  steps[3].states.ice_connection_state = "new";
  steps[3].events = {"pc iceconnectionstatechange new"};
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, steps);
  BOOST_TEST(ds.size() == 2u);
  BOOST_TEST(has(ds, "transport-set.no-rederive-on-change", "value"));
  BOOST_TEST(has(ds, "ics.checking", "value"));
  BOOST_TEST(!has(ds, "ics.completed", "value"));
  // The same wrong value without the event that announces a re-derivation is a wrong kept value.
  steps[3].events.clear();
  const auto silent = findings::judge_sequence(Profile::Rec2025, c, steps);
  BOOST_TEST(has(silent, "ics.completed", "value"));
  BOOST_TEST(!has(silent, "transport-set.no-rederive-on-change", "value"));
  BOOST_TEST(!has(silent, "ics.checking", "value"));
}

BOOST_AUTO_TEST_CASE(a_missing_event_does_not_hide_a_misorder_in_the_same_step) {
  // libwebrtc's removal: no ICE transport statechange, and the pc events dispatched before the DTLS
  // transport's statechange closed. Two causes in one step, both named.
  const Case c = sequence({Step::add(0), Step::ice(0, I::Checking), Step::ice(0, I::Connected),
                           Step::dtls(0, D::Connecting), Step::dtls(0, D::Connected), Step::remove(0)});
  auto steps = reference_steps(c, Profile::Rec2025);
  auto& removal = steps[5].events;
  BOOST_TEST_REQUIRE(removal.front() == "dtls:t0 statechange closed");
  std::vector<std::string> pc_first;
  for (const auto& e : removal)
    if (e.starts_with("pc ")) pc_first.push_back(e);
  BOOST_TEST_REQUIRE(!pc_first.empty());
  pc_first.push_back("dtls:t0 statechange closed");  // the ICE transport's statechange is left out
  removal = pc_first;
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, steps);
  BOOST_TEST(has(ds, "transport-set.removal", "missing-event"));
  BOOST_TEST(has(ds, "transport-set.removal", "misordered-events"));
  // The same missing event in the right order is the missing event only.
  std::vector<std::string> in_order = reference_steps(c, Profile::Rec2025)[5].events;
  std::erase(in_order, "ice:t0 statechange closed");
  steps[5].events = in_order;
  const auto only_missing = findings::judge_sequence(Profile::Rec2025, c, steps);
  BOOST_TEST(has(only_missing, "transport-set.removal", "missing-event"));
  BOOST_TEST(!has(only_missing, "transport-set.removal", "misordered-events"));
}

BOOST_AUTO_TEST_CASE(a_removal_is_judged_by_the_stack_s_own_ice_value_once_it_departed) {
  // werift's shape: t1 joining re-derives iceConnectionState (checking); removing t1 again re-derives it back
  // to connected and fires iceconnectionstatechange for that. The one cause is the set-change re-derivation;
  // the event at the removal follows the stack's own value and is no second finding.
  const Case c = sequence({Step::add(0), Step::ice(0, I::Checking), Step::ice(0, I::Connected), Step::add(1),
                           Step::remove(1)});
  auto steps = reference_steps(c, Profile::Rec2025);
  steps[3].states.ice_connection_state = "checking";
  steps[3].events = {"pc iceconnectionstatechange checking"};
  std::vector<std::string> removal;
  for (const auto& e : steps[4].events) {
    removal.push_back(e);
    if (e == "ice:t1 statechange closed") removal.push_back("pc iceconnectionstatechange connected");
  }
  BOOST_TEST_REQUIRE(removal.size() == steps[4].events.size() + 1);
  steps[4].events = removal;
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, steps);
  BOOST_TEST(has(ds, "transport-set.no-rederive-on-change", "value"));
  BOOST_TEST(!has(ds, "transport-set.removal", "extra-event"));
  // Without that event the stack's own change goes unannounced: a missing event at the removal.
  steps[4].events.erase(std::find(steps[4].events.begin(), steps[4].events.end(), "pc iceconnectionstatechange connected"));
  BOOST_TEST(has(findings::judge_sequence(Profile::Rec2025, c, steps), "transport-set.removal", "missing-event"));
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_results_is_bad_input_naming_it) {
  const std::string path = std::filesystem::temp_directory_path() / "connstate-findings-not-results.json";
  { std::ofstream(path) << "{\"format\":\"something-else\"}\n"; }
  try {
    findings::read_results(path);
    BOOST_FAIL("no error");
  } catch (const InputError& e) {
    BOOST_TEST(std::string(e.what()).find(path) != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("not a connstate results file") != std::string::npos, e.what());
  }
  std::filesystem::remove(path);
}

// A stack whose ICE aggregate ignores `checking` beside `new` (says new): that is one departure, the ICS
// value. When a transport is removed, the stack's own iceConnectionState may change where the
// reference's does not (and the other way round): its iceconnectionstatechange follows its own values and
// is no transport-set departure.
BOOST_AUTO_TEST_CASE(removal_events_follow_the_stacks_own_ice_state) {
  const Case c = sequence({Step::add(0), Step::add(1), Step::ice(0, I::Checking), Step::remove(1)});
  std::vector<StepOutcomeText> answer = reference_steps(c, Profile::Rec2025);
  // ice t0 checking: the stack keeps new/new and fires only the transport event.
  answer[2].states = {std::string("new"), std::string("new")};
  answer[2].events = {"ice:t0 statechange checking"};
  // remove t1: {checking} alone, now the stack says checking/connecting and fires both.
  answer[3].events = {"dtls:t1 statechange closed", "ice:t1 statechange closed", "pc iceconnectionstatechange checking",
                      "pc connectionstatechange connecting"};
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, answer);
  BOOST_TEST(has(ds, "ics.checking", "value"));
  for (const auto& d : ds) BOOST_TEST(d.requirement != "transport-set.removal", d.shape);
  // The same removal without the stack's own iceconnectionstatechange is a missing event.
  answer[3].events = {"dtls:t1 statechange closed", "ice:t1 statechange closed", "pc connectionstatechange connecting"};
  BOOST_TEST(has(findings::judge_sequence(Profile::Rec2025, c, answer), "transport-set.removal", "missing-event"));
}

// Adding a transport re-derives nothing: a stack that keeps a connectionState consistent with its own
// (wrong) iceConnectionState before the add keeps it after, and that is not a connectionState finding.
BOOST_AUTO_TEST_CASE(kept_connection_state_after_add_is_judged_on_the_transports_before_it) {
  const Case c = sequence({Step::add(0), Step::ice(0, I::Disconnected), Step::dtls(0, D::Connected), Step::add(1)});
  std::vector<StepOutcomeText> answer = reference_steps(c, Profile::Rec2025);
  // The stack reads a disconnected ICE transport as connected.
  answer[1].states = {std::string("connecting"), std::string("connected")};
  answer[1].events = {"ice:t0 statechange disconnected", "pc iceconnectionstatechange connected",
                      "pc connectionstatechange connecting"};
  answer[2].states = {std::string("connected"), std::string("connected")};
  answer[2].events = {"dtls:t0 statechange connected", "pc connectionstatechange connected"};
  answer[3].states = answer[2].states;
  answer[3].events = {};
  const auto ds = findings::judge_sequence(Profile::Rec2025, c, answer);
  BOOST_TEST(has(ds, "ics.disconnected", "value"));
  for (const auto& d : ds) BOOST_TEST(d.key != "connectionState", d.shape);
}
