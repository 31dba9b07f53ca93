// `connstate spec-diff`: the exploration finds the known disagreements of the profiles (the REC
// 2025 completed gap against the amended REC 2021 text, REC 2021's undefined inputs), groups them
// independently of the number of transports, and reports a rule row that decides nothing.
#define BOOST_TEST_MODULE spec_diff
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "connstate/harness/spec_diff.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::harness;
using namespace connstate::test;
namespace json = boost::json;

namespace {
std::vector<std::string> value_kinds(const SpecDiff& d) {
  std::vector<std::string> kinds;
  for (const DiffGroup& g : d.groups)
    if (g.aggregate != "events") kinds.push_back(g.aggregate + ": " + g.a + " / " + g.b + " " + g.context);
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}
}  // namespace

BOOST_AUTO_TEST_CASE(rec2025_and_amended_differ_on_completed_connected) {
  const SpecDiff d = spec_diff(reading_of(Profile::Rec2025), reading_of(Profile::Rec2021Amended), {3, 4});
  BOOST_TEST(d.snapshots > 60000u);
  BOOST_TEST(d.differing_snapshots > 0u);
  const DiffGroup* gap = nullptr;
  for (const DiffGroup& g : d.groups) {
    BOOST_TEST(g.aggregate != "iceConnectionState");  // the two read iceConnectionState alike
    if (g.aggregate == "connectionState" && g.context == "when iceConnectionState is completed in both") gap = &g;
  }
  BOOST_TEST_REQUIRE(gap != nullptr);
  BOOST_TEST(gap->a == "connecting (pcs-2025.connecting)");
  BOOST_TEST(gap->b == "connected (pcs-2021a.connected)");
  BOOST_TEST(gap->example == "open PC: completed/connected");
  BOOST_TEST(gap->example_size == 1u);
  // In events: the ICE step to completed is where the two first part.
  bool completed_step = false;
  for (const DiffGroup& g : d.groups)
    completed_step |= g.aggregate == "events" && g.context.find("\"ice X completed\"") != std::string::npos;
  BOOST_TEST(completed_step);
  BOOST_TEST(d.undefined.empty());
}

BOOST_AUTO_TEST_CASE(groups_do_not_depend_on_the_number_of_transports) {
  const auto two = value_kinds(spec_diff(reading_of(Profile::Rec2025), reading_of(Profile::Rec2021Amended), {2, 0}));
  const auto four = value_kinds(spec_diff(reading_of(Profile::Rec2025), reading_of(Profile::Rec2021Amended), {4, 0}));
  BOOST_TEST(two == four);
  BOOST_TEST(two.size() == 2u);  // all-completed ICE, and all-closed ICE under connected DTLS
}

BOOST_AUTO_TEST_CASE(rec2021_leaves_inputs_undefined) {
  const SpecDiff d = spec_diff(reading_of(Profile::Rec2025), reading_of(Profile::Rec2021), {2, 0});
  std::size_t undefined = 0;
  for (const UndefinedGroup& u : d.undefined) {
    BOOST_TEST(u.reading == "rec-2021");
    undefined += u.count;
  }
  BOOST_TEST(undefined > 0u);
  // Over one or two transports (open, no SCTP-only transport): 3 of 35 single pairs and 48 of 630 pairs are
  // undefined; with an SCTP-only transport (not counted by REC 2021) there are more.
  BOOST_TEST(undefined >= 51u);
  bool connected_dtls_new = false;
  for (const UndefinedGroup& u : d.undefined)
    connected_dtls_new |= u.ice_connection_state == "connected" && u.example == "open PC: connected/new";
  BOOST_TEST(connected_dtls_new);
  const std::string text = spec_diff_text(d);
  BOOST_TEST(text.find("rec-2025: none") != std::string::npos, text);
}

// A reading whose table has a row that no input reaches: spec-diff names that row.
BOOST_AUTO_TEST_CASE(a_rule_that_decides_nothing_is_reported) {
  Reading shadowed = reading_of(Profile::Rec2025);
  shadowed.name = "rec-2025-without-disconnected";
  shadowed.profile.reset();
  shadowed.derive = [](bool closed, std::span<const TransportState> ts) {
    Derivation d = derive(Profile::Rec2025, closed, ts);
    if (d.connection_rule == RuleId::Pcs2025Disconnected) {  // as if failed were tested for disconnected too
      d.connection_state = PeerConnectionState::Failed;
      d.connection_rule = RuleId::Pcs2025Failed;
    }
    return d;
  };
  const SpecDiff d = spec_diff(reading_of(Profile::Rec2025), shadowed, {2, 4});
  std::vector<std::string> unused;
  for (const RuleUse& u : d.rule_uses)
    if (u.decided == 0) unused.push_back(u.reading + " " + std::string(rule(u.rule).id));
  BOOST_TEST_REQUIRE(unused.size() == 1u);
  BOOST_TEST(unused[0] == "rec-2025-without-disconnected pcs-2025.disconnected");
  BOOST_TEST(spec_diff_text(d).find("rec-2025-without-disconnected: pcs-2025.disconnected") != std::string::npos);
  BOOST_TEST(d.sequences == 0u);  // a reading without an event model compares snapshots only
  for (const RuleUse& u : d.rule_uses)
    if (u.reading == "rec-2025") BOOST_TEST(u.decided > 0u, rule(u.rule).id);
}

BOOST_AUTO_TEST_CASE(command_line) {
  TempDir dir;
  const auto r = run_command(kCli + " spec-diff rec-2025 rec-2021-amended --transports 2 --depth 3 --json " + dir.str() +
                             "/d.json --markdown " + dir.str() + "/d.md");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  BOOST_TEST(r.out.find("connecting (pcs-2025.connecting), rec-2021-amended connected (pcs-2021a.connected)") !=
             std::string::npos, r.out);
  const auto doc = json::parse(read_text(dir.str() + "/d.json"));
  BOOST_TEST(doc.at("a").as_string() == "rec-2025");
  BOOST_TEST(doc.at("groups").as_array().size() > 0u);
  BOOST_TEST(read_text(dir.str() + "/d.md").find("| connectionState | connecting (pcs-2025.connecting) |") !=
             std::string::npos);
  BOOST_TEST(run_command(kCli + " spec-diff --help").exit_code == 0);
  BOOST_TEST(run_command(kCli + " spec-diff rec-2025").exit_code == 2);
  const auto bad = run_command(kCli + " spec-diff rec-2025 rec-2030");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.out.find("unknown profile 'rec-2030'") != std::string::npos, bad.out);
  BOOST_TEST(run_command(kCli + " spec-diff rec-2025 rec-2021 --transports 9").exit_code == 2);
}
