// Checks the event model against the scenarios of docs/spec/ice-task.md, dtls-task.md, close.md
// and transport-set.md: which events fire, in which order, with which values, and which do not.
#include "connstate/peer_connection_model.h"

#define BOOST_TEST_MODULE model
#include <boost/test/unit_test.hpp>

#include "test_support.h"

using namespace connstate;
using namespace connstate::test;
using I = IceTransportState;
using D = DtlsTransportState;
using Lines = std::vector<std::string>;

namespace {
// A transport t brought to ICE connected and DTLS connected.
void connect(PeerConnectionModel& pc, TransportId t) {
  pc.add(t);
  pc.set_ice(t, I::Checking);
  pc.set_ice(t, I::Connected);
  pc.set_dtls(t, D::Connecting);
  pc.set_dtls(t, D::Connected);
}
}  // namespace

BOOST_AUTO_TEST_CASE(fresh_connection_is_new) {
  for (const auto& info : kProfiles) {
    PeerConnectionModel pc(info.profile);
    BOOST_TEST((pc.connection_state() == PeerConnectionState::New));
    BOOST_TEST((pc.ice_connection_state() == IceConnectionState::New));
    BOOST_TEST(pc.transport_count() == 0u);
  }
}

// ice-task.event-order: one ICE task; slots first, then statechange -> iceconnectionstatechange -> connectionstatechange.
BOOST_AUTO_TEST_CASE(ice_task_order) {
  PeerConnectionModel pc(Profile::Rec2025);
  BOOST_TEST(pc.add(0).events.empty());  // transport-set.no-rederive-on-change: aggregates stay new, no event
  const auto r = pc.set_ice(0, I::Checking);
  BOOST_TEST(describe(r.events) ==
                 (Lines{"ice:0 statechange checking", "pc iceconnectionstatechange checking",
                        "pc connectionstatechange connecting"}),
             boost::test_tools::per_element());
  for (const Event& e : r.events) BOOST_TEST(e.task == 0);
}

// dtls-task.later-task: DTLS statechange, then connectionstatechange in a later task; ICS untouched.
BOOST_AUTO_TEST_CASE(dtls_task_order) {
  PeerConnectionModel pc(Profile::Rec2025);
  pc.add(0);
  pc.set_ice(0, I::Checking);
  pc.set_ice(0, I::Connected);
  BOOST_TEST((pc.connection_state() == PeerConnectionState::Connecting));  // DTLS still new
  const auto r = pc.set_dtls(0, D::Connected);
  BOOST_TEST(describe(r.events) == (Lines{"dtls:0 statechange connected", "pc connectionstatechange connected"}),
             boost::test_tools::per_element());
  BOOST_TEST(r.events[0].task == 0);
  BOOST_TEST(r.events[1].task == 1);
  BOOST_TEST((pc.ice_connection_state() == IceConnectionState::Connected));
}

// ice-task.no-event-unchanged: same aggregate value, no PC event.
BOOST_AUTO_TEST_CASE(same_value_no_event) {
  PeerConnectionModel pc(Profile::Rec2025);
  connect(pc, 0);
  connect(pc, 1);
  BOOST_TEST(describe(pc.set_ice(1, I::Completed).events) == (Lines{"ice:1 statechange completed"}),
             boost::test_tools::per_element());
  BOOST_TEST(describe(pc.set_dtls(1, D::Closed).events) == (Lines{"dtls:1 statechange closed"}),
             boost::test_tools::per_element());
  // Setting a transport to the state it already has is not a change: no task, no event.
  BOOST_TEST(pc.set_ice(0, I::Connected).events.empty());
  BOOST_TEST(pc.set_dtls(0, D::Connected).events.empty());
}

// completed-gap: single transport connected -> completed; rec-2025 drops to connecting.
BOOST_AUTO_TEST_CASE(completed_gap) {
  PeerConnectionModel cur(Profile::Rec2025);
  connect(cur, 0);
  BOOST_TEST(describe(cur.set_ice(0, I::Completed).events) ==
                 (Lines{"ice:0 statechange completed", "pc iceconnectionstatechange completed",
                        "pc connectionstatechange connecting"}),
             boost::test_tools::per_element());
  BOOST_TEST(describe(cur.set_ice(0, I::Connected).events) ==
                 (Lines{"ice:0 statechange connected", "pc iceconnectionstatechange connected",
                        "pc connectionstatechange connected"}),
             boost::test_tools::per_element());
  for (Profile p : {Profile::Rec2021Amended, Profile::Rec2021, Profile::LegacyMdn}) {
    PeerConnectionModel other(p);
    connect(other, 0);
    BOOST_TEST(describe(other.set_ice(0, I::Completed).events) ==
                   (Lines{"ice:0 statechange completed", "pc iceconnectionstatechange completed"}),
               boost::test_tools::per_element());
    BOOST_TEST((other.connection_state() == PeerConnectionState::Connected));
  }
}

// dtls-task.statechange: remote close: DTLS closed keeps connected; ICE disconnected then failed.
BOOST_AUTO_TEST_CASE(remote_peer_closes) {
  PeerConnectionModel pc(Profile::Rec2025);
  connect(pc, 0);
  BOOST_TEST(describe(pc.set_dtls(0, D::Closed).events) == (Lines{"dtls:0 statechange closed"}),
             boost::test_tools::per_element());
  BOOST_TEST((pc.connection_state() == PeerConnectionState::Connected));
  BOOST_TEST(describe(pc.set_ice(0, I::Disconnected).events) ==
                 (Lines{"ice:0 statechange disconnected", "pc iceconnectionstatechange disconnected",
                        "pc connectionstatechange disconnected"}),
             boost::test_tools::per_element());
  BOOST_TEST(describe(pc.set_ice(0, I::Failed).events) ==
                 (Lines{"ice:0 statechange failed", "pc iceconnectionstatechange failed",
                        "pc connectionstatechange failed"}),
             boost::test_tools::per_element());
}

// ice-task.restart: ICE failed then restart; DTLS failed is not cleared by a restart.
BOOST_AUTO_TEST_CASE(ice_restart_after_failed) {
  for (Profile p : {Profile::Rec2025, Profile::LegacyMdn}) {
    PeerConnectionModel pc(p);
    connect(pc, 0);
    pc.set_ice(0, I::Failed);
    BOOST_TEST(describe(pc.set_ice(0, I::Checking).events) ==
                   (Lines{"ice:0 statechange checking", "pc iceconnectionstatechange checking",
                          "pc connectionstatechange connecting"}),
               boost::test_tools::per_element());
  }
  PeerConnectionModel pc(Profile::Rec2025);
  connect(pc, 0);
  pc.set_dtls(0, D::Failed);
  pc.set_ice(0, I::Failed);
  BOOST_TEST(describe(pc.set_ice(0, I::Checking).events) ==
                 (Lines{"ice:0 statechange checking", "pc iceconnectionstatechange checking"}),
             boost::test_tools::per_element());
  BOOST_TEST((pc.connection_state() == PeerConnectionState::Failed));
}

// transport-set.removal: zero, one, zero transports; removal closes with events and stops counting.
BOOST_AUTO_TEST_CASE(remove_closes_with_events_and_stops_counting) {
  PeerConnectionModel pc(Profile::Rec2025);
  connect(pc, 0);
  const auto r = pc.remove(0);
  BOOST_TEST(describe(r.events) ==
                 (Lines{"dtls:0 statechange closed", "pc connectionstatechange new", "ice:0 statechange closed",
                        "pc iceconnectionstatechange new"}),
             boost::test_tools::per_element());
  BOOST_TEST(!pc.has_transport(0));
  BOOST_TEST((pc.connection_state() == PeerConnectionState::New));
  BOOST_TEST((pc.ice_connection_state() == IceConnectionState::New));
  // Removing one of two: the other decides alone.
  PeerConnectionModel two(Profile::Rec2025);
  connect(two, 0);
  two.add(1);
  two.set_ice(1, I::Checking);
  BOOST_TEST((two.connection_state() == PeerConnectionState::Connecting));
  two.remove(1);
  BOOST_TEST((two.connection_state() == PeerConnectionState::Connected));
  BOOST_TEST((two.ice_connection_state() == IceConnectionState::Connected));
}

// transport-set.no-rederive-on-change: a transport added to a connected PC. Literal: nothing happens.
BOOST_AUTO_TEST_CASE(add_to_connected_both_policies) {
  PeerConnectionModel literal(Profile::Rec2025);
  connect(literal, 0);
  BOOST_TEST(literal.add(1).events.empty());
  BOOST_TEST((literal.connection_state() == PeerConnectionState::Connected));
  // The next DTLS-only change re-derives connectionState with the stale ICE slot (connected).
  BOOST_TEST(describe(literal.set_dtls(1, D::Connecting).events) ==
                 (Lines{"dtls:1 statechange connecting", "pc connectionstatechange connecting"}),
             boost::test_tools::per_element());
  BOOST_TEST((literal.ice_connection_state() == IceConnectionState::Connected));

  PeerConnectionModel rederive(Profile::Rec2025, ModelOptions{.rederive_on_set_change = true});
  connect(rederive, 0);
  BOOST_TEST(describe(rederive.add(1).events) ==
                 (Lines{"pc iceconnectionstatechange checking", "pc connectionstatechange connecting"}),
             boost::test_tools::per_element());
}

// close.no-events, close.after-close-ignored: close() sets everything closed with no event; nothing happens afterwards.
BOOST_AUTO_TEST_CASE(close_fires_nothing_and_is_final) {
  for (const auto& info : kProfiles) {
    PeerConnectionModel pc(info.profile);
    connect(pc, 0);
    pc.add(1);
    const auto r = pc.close();
    BOOST_TEST(r.events.empty());
    BOOST_TEST(pc.is_closed());
    BOOST_TEST((pc.connection_state() == PeerConnectionState::Closed));
    BOOST_TEST((pc.ice_connection_state() == IceConnectionState::Closed));
    BOOST_TEST((pc.ice_state(0) == I::Closed));
    BOOST_TEST((pc.dtls_state(1) == D::Closed));
    for (const Step& s : {Step::ice(0, I::Connected), Step::dtls(0, D::Failed), Step::add(2), Step::remove(1),
                          Step::close()}) {
      const auto after = pc.apply(s);
      BOOST_TEST((after.outcome == StepOutcome::IgnoredAfterClose));
      BOOST_TEST(after.events.empty());
    }
    BOOST_TEST((pc.connection_state() == PeerConnectionState::Closed));
  }
}

BOOST_AUTO_TEST_CASE(events_on_close_option) {
  PeerConnectionModel pc(Profile::LegacyMdn, ModelOptions{.events_on_close = true});
  connect(pc, 0);
  BOOST_TEST(describe(pc.close().events) ==
                 (Lines{"pc iceconnectionstatechange closed", "pc connectionstatechange closed"}),
             boost::test_tools::per_element());
}

// transport-set.sctp (case pcs.data-channel-only): an SCTP-only transport does not count under rec-2021, but still fires its own events.
BOOST_AUTO_TEST_CASE(sctp_only_transport) {
  PeerConnectionModel r21(Profile::Rec2021);
  r21.add(0, /*sctp_only=*/true);
  BOOST_TEST(describe(r21.set_ice(0, I::Checking).events) == (Lines{"ice:0 statechange checking"}),
             boost::test_tools::per_element());
  r21.set_ice(0, I::Connected);
  r21.set_dtls(0, D::Connected);
  BOOST_TEST((r21.connection_state() == PeerConnectionState::New));
  BOOST_TEST((r21.ice_connection_state() == IceConnectionState::New));
  PeerConnectionModel cur(Profile::Rec2025);
  cur.add(0, true);
  connect(cur, 1);
  cur.set_ice(0, I::Checking);
  BOOST_TEST((cur.connection_state() == PeerConnectionState::Connecting));
}

// rec-2021: an undefined state fires nothing, and the next defined value fires.
BOOST_AUTO_TEST_CASE(rec2021_undefined_state_in_the_model) {
  PeerConnectionModel pc(Profile::Rec2021);
  pc.add(0);
  pc.set_ice(0, I::Checking);
  BOOST_TEST((pc.connection_state() == PeerConnectionState::Connecting));
  BOOST_TEST(describe(pc.set_ice(0, I::Connected).events) ==
                 (Lines{"ice:0 statechange connected", "pc iceconnectionstatechange connected"}),
             boost::test_tools::per_element());
  BOOST_TEST(!pc.connection_state().has_value());  // connected/new: no row applies
  BOOST_TEST(describe(pc.set_dtls(0, D::Connecting).events) ==
                 (Lines{"dtls:0 statechange connecting", "pc connectionstatechange connecting"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(invalid_steps_are_reported) {
  PeerConnectionModel pc;
  BOOST_TEST((pc.set_ice(3, I::Checking).outcome == StepOutcome::UnknownTransport));
  BOOST_TEST((pc.remove(3).outcome == StepOutcome::UnknownTransport));
  pc.add(3);
  BOOST_TEST((pc.add(3).outcome == StepOutcome::DuplicateTransport));
  BOOST_TEST((pc.add(64).outcome == StepOutcome::BadTransportId));
}

BOOST_AUTO_TEST_CASE(legacy_uses_separate_tasks) {
  PeerConnectionModel pc(Profile::LegacyMdn);
  pc.add(0);
  const auto r = pc.set_ice(0, I::Checking);
  BOOST_TEST_REQUIRE(r.events.size() == 3u);
  BOOST_TEST(r.events[0].task == 0);
  BOOST_TEST(r.events[1].task == 1);
  BOOST_TEST(r.events[2].task == 2);
}
