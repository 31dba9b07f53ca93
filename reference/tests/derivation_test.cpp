// Checks the derivation against a table of inputs read under every profile (the inputs of
// cases/connection-state/every-profile.json, named by their case ids), and the gathering-state
// rows. Values are written out here by hand from the state tables of each document
// (docs/spec/connection-state.md, docs/spec/ice-connection-state.md): the one place the
// reference is pinned to literal answers.
#include "connstate/derivation.h"

#define BOOST_TEST_MODULE derivation
#include <boost/test/unit_test.hpp>

#include "test_support.h"

using namespace connstate;
using namespace connstate::test;

namespace {

struct Row {
  const char* case_id;  // the case of cases/connection-state/every-profile.json with this input
  std::initializer_list<std::string_view> transports;
  const char* ics_modern;   // rec-2025, rec-2021-amended (and rec-2021 unless ics_rec2021 given)
  const char* ics_legacy;
  const char* pcs_2025;
  const char* pcs_2021_amended;
  const char* pcs_2021;     // "undef" = no state defined
  const char* pcs_legacy;
  const char* ics_rec2021 = nullptr;
};

// The rec-2021-amended column is the REC 2021 column with amendment 4 (undefined -> connecting)
// and amendment 3 (SCTP counts).
const Row kTable[] = {
    {"pcs.no-transports", {}, "new", "new", "new", "new", "new", "new"},
    {"pcs.one-new-transport", {"new/new"}, "new", "new", "new", "new", "new", "new"},
    {"pcs.all-transports-closed", {"closed/closed", "closed/closed"}, "new", "new", "new", "new", "new", "new"},
    {"pcs.closed-next-to-connected", {"closed/closed", "connected/connected"}, "connected", "connected", "connected", "connected", "connected", "connected"},
    {"pcs.completed-single", {"completed/connected"}, "completed", "completed", "connecting", "connected", "connected", "connected"},
    {"pcs.completed-next-to-closed", {"closed/closed", "completed/connected"}, "completed", "completed", "connecting", "connected", "connected", "connected"},
    {"pcs.completed-and-connected-mix", {"completed/connected", "connected/connected"}, "connected", "connected", "connected", "connected", "connected", "connected"},
    {"pcs.dtls-handshake-after-ice", {"connected/connecting"}, "connected", "connected", "connecting", "connecting", "connecting", "connecting"},
    {"pcs.dtls-not-started", {"connected/new"}, "connected", "connected", "connecting", "connecting", "undef", "new"},
    {"pcs.dtls-failed-healthy-ice", {"connected/failed"}, "connected", "connected", "failed", "failed", "failed", "failed"},
    {"pcs.dtls-closed-by-remote", {"connected/closed"}, "connected", "connected", "connected", "connected", "connected", "connected"},
    {"pcs.partially-connected", {"connected/connected", "new/new"}, "checking", "new", "connecting", "connecting", "undef", "new"},
    {"pcs.connected-next-to-checking", {"connected/connected", "checking/new"}, "checking", "checking", "connecting", "connecting", "connecting", "connecting"},
    {"pcs.disconnected-next-to-checking", {"disconnected/connected", "checking/new"}, "disconnected", "disconnected", "disconnected", "disconnected", "disconnected", "connecting"},
    {"pcs.disconnected-dtls-connecting", {"disconnected/connecting"}, "disconnected", "disconnected", "disconnected", "disconnected", "disconnected", "connecting"},
    {"pcs.failed-beats-disconnected", {"disconnected/connected", "failed/connected"}, "failed", "failed", "failed", "failed", "failed", "failed"},
    {"pcs.ice-failed-dtls-connected", {"failed/connected"}, "failed", "failed", "failed", "failed", "failed", "failed"},
    {"pcs.ice-new-dtls-connected", {"new/connected"}, "new", "new", "connecting", "connecting", "undef", "new"},
    {"pcs.ice-closed-dtls-connected", {"closed/connected"}, "new", "new", "connecting", "connected", "connected", "connected"},
    {"pcs.rechecking-dtls-connected", {"checking/connected"}, "checking", "checking", "connecting", "connecting", "connecting", "connecting"},
    {"pcs.ice-new-dtls-connecting", {"new/connecting"}, "new", "new", "connecting", "connecting", "connecting", "connecting"},
    {"pcs.ice-new-dtls-failed", {"new/failed"}, "new", "new", "failed", "failed", "failed", "failed"},
    {"pcs.data-channel-only", {"connected/connected+sctp"}, "connected", "connected", "connected", "connected", "new", "connected", "new"},
};

std::optional<PeerConnectionState> expected_pcs(const char* text) {
  if (std::string_view(text) == "undef") return std::nullopt;
  return state<PeerConnectionState>(text);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_profile_table) {
  int failures = 0;
  for (const Row& row : kTable) {
    const auto ts = transports(row.transports);
    struct Expect { Profile p; const char* ics; const char* pcs; };
    const Expect expects[] = {
        {Profile::Rec2025, row.ics_modern, row.pcs_2025},
        {Profile::Rec2021Amended, row.ics_modern, row.pcs_2021_amended},
        {Profile::Rec2021, row.ics_rec2021 ? row.ics_rec2021 : row.ics_modern, row.pcs_2021},
        {Profile::LegacyMdn, row.ics_legacy, row.pcs_legacy},
    };
    for (const auto& e : expects) {
      const Derivation d = derive(e.p, false, ts);
      const auto want_pcs = expected_pcs(e.pcs);
      const auto want_ics = state<IceConnectionState>(e.ics);
      if (d.connection_state != want_pcs || d.ice_connection_state != want_ics) {
        ++failures;
        BOOST_ERROR(row.case_id << " " << to_string(e.p) << ": got " << show(d.connection_state) << "/"
                           << to_string(d.ice_connection_state) << ", want " << e.pcs << "/" << e.ics);
      }
      // Closing dominates every input.
      const Derivation c = derive(e.p, true, ts);
      BOOST_TEST((c.connection_state == PeerConnectionState::Closed));
      BOOST_TEST((c.ice_connection_state == IceConnectionState::Closed));
    }
  }
  BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(deciding_rules_are_named) {
  const auto ts = transports({"completed/connected"});
  const Derivation d = derive(Profile::Rec2025, false, ts);
  BOOST_TEST(rule(d.connection_rule).id == "pcs-2025.connecting");
  BOOST_TEST(rule(d.ice_connection_rule).id == "ics.completed");
  BOOST_TEST(rule(derive(Profile::Rec2021, false, transports({"connected/new"})).connection_rule).id ==
             "pcs-2021.undefined");
  BOOST_TEST(rule(derive(Profile::LegacyMdn, false, transports({"disconnected/connecting"})).connection_rule).id ==
             "legacy.pcs.connecting");
}

BOOST_AUTO_TEST_CASE(explain_names_triggering_transports) {
  const auto ts = transports({"connected/connected", "failed/connected", "disconnected/connected"});
  const Explanation x = explain(Profile::Rec2025, false, ts);
  BOOST_TEST(x.connection_triggers == 0b010u);
  BOOST_TEST(x.ice_connection_triggers == 0b010u);
  const auto dtls_fail = transports({"connected/connected", "connected/failed"});
  BOOST_TEST(explain(Profile::Rec2025, false, dtls_fail).connection_triggers == 0b10u);
}

BOOST_AUTO_TEST_CASE(gathering_state_rows) {
  using G = IceGathererState;
  auto gather = [](std::initializer_list<G> gs) {
    std::vector<G> v(gs);
    return derive_gathering_state(v);
  };
  BOOST_TEST((gather({}) == IceGatheringState::New));
  BOOST_TEST((gather({G::New}) == IceGatheringState::New));
  BOOST_TEST((gather({G::New, G::Complete}) == IceGatheringState::New));
  BOOST_TEST((gather({G::New, G::Gathering, G::Complete}) == IceGatheringState::Gathering));
  BOOST_TEST((gather({G::Complete, G::Gathering}) == IceGatheringState::Gathering));
  BOOST_TEST((gather({G::Complete}) == IceGatheringState::Complete));
  BOOST_TEST((gather({G::Complete, G::Complete}) == IceGatheringState::Complete));
}

BOOST_AUTO_TEST_CASE(every_rule_has_text) {
  BOOST_TEST(all_rules().size() == kRuleCount);
  for (const Rule& r : all_rules()) {
    BOOST_TEST(!r.id.empty());
    BOOST_TEST(!r.anchor.empty());
    BOOST_TEST(!r.summary.empty());
    BOOST_TEST(!r.quote.empty());
    BOOST_TEST(!r.document.empty());
  }
}
