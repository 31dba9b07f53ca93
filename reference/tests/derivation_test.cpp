// Checks the derivation against every row of the spec digest's table 6.A, under
// every profile, and the gathering-state rows. Values are the digest's, written
// out here by hand (the one place the reference is pinned to literal answers).
#include "connstate/derivation.h"

#define BOOST_TEST_MODULE derivation
#include <boost/test/unit_test.hpp>

#include "test_support.h"

using namespace connstate;
using namespace connstate::test;

namespace {

struct Row {
  int number;
  std::initializer_list<std::string_view> transports;
  const char* ics_modern;   // rec-2025, rec-2021-amended (and rec-2021 unless ics_rec2021 given)
  const char* ics_legacy;
  const char* pcs_2025;
  const char* pcs_2021_amended;
  const char* pcs_2021;     // "undef" = no state defined
  const char* pcs_legacy;
  const char* ics_rec2021 = nullptr;
};

// Digest §6.A. The rec-2021-amended column is not in the digest: it is the REC 2021
// column with amendment 4 (undefined -> connecting) and amendment 3 (SCTP counts).
const Row kTable[] = {
    {1, {}, "new", "new", "new", "new", "new", "new"},
    {2, {"new/new"}, "new", "new", "new", "new", "new", "new"},
    {3, {"closed/closed", "closed/closed"}, "new", "new", "new", "new", "new", "new"},
    {4, {"closed/closed", "connected/connected"}, "connected", "connected", "connected", "connected", "connected", "connected"},
    {5, {"completed/connected"}, "completed", "completed", "connecting", "connected", "connected", "connected"},
    {6, {"closed/closed", "completed/connected"}, "completed", "completed", "connecting", "connected", "connected", "connected"},
    {7, {"completed/connected", "connected/connected"}, "connected", "connected", "connected", "connected", "connected", "connected"},
    {8, {"connected/connecting"}, "connected", "connected", "connecting", "connecting", "connecting", "connecting"},
    {9, {"connected/new"}, "connected", "connected", "connecting", "connecting", "undef", "new"},
    {10, {"connected/failed"}, "connected", "connected", "failed", "failed", "failed", "failed"},
    {11, {"connected/closed"}, "connected", "connected", "connected", "connected", "connected", "connected"},
    {12, {"connected/connected", "new/new"}, "checking", "new", "connecting", "connecting", "undef", "new"},
    {13, {"connected/connected", "checking/new"}, "checking", "checking", "connecting", "connecting", "connecting", "connecting"},
    {14, {"disconnected/connected", "checking/new"}, "disconnected", "disconnected", "disconnected", "disconnected", "disconnected", "connecting"},
    {15, {"disconnected/connecting"}, "disconnected", "disconnected", "disconnected", "disconnected", "disconnected", "connecting"},
    {16, {"disconnected/connected", "failed/connected"}, "failed", "failed", "failed", "failed", "failed", "failed"},
    {17, {"failed/connected"}, "failed", "failed", "failed", "failed", "failed", "failed"},
    {18, {"new/connected"}, "new", "new", "connecting", "connecting", "undef", "new"},
    {19, {"closed/connected"}, "new", "new", "connecting", "connected", "connected", "connected"},
    {20, {"checking/connected"}, "checking", "checking", "connecting", "connecting", "connecting", "connecting"},
    {21, {"new/connecting"}, "new", "new", "connecting", "connecting", "connecting", "connecting"},
    {22, {"new/failed"}, "new", "new", "failed", "failed", "failed", "failed"},
    {23, {"connected/connected+sctp"}, "connected", "connected", "connected", "connected", "new", "connected", "new"},
};

std::optional<PeerConnectionState> expected_pcs(const char* text) {
  if (std::string_view(text) == "undef") return std::nullopt;
  return state<PeerConnectionState>(text);
}

}  // namespace

BOOST_AUTO_TEST_CASE(digest_table_6a_every_profile) {
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
        BOOST_ERROR("row " << row.number << " " << to_string(e.p) << ": got " << show(d.connection_state) << "/"
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
