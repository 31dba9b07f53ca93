// plugin_abi_test.cpp — the one plugin loader (plugin_library.h) with both ABI versions: the reference
// built as a version-2 plugin (batch entry) and as a version-1 plugin (none) give the reference's
// answers, as text and as enums, for every snapshot of up to three transports and for the
// hand-written sequence cases; a library that is no plugin is refused with a message naming it.
#define BOOST_TEST_MODULE plugin_abi
#include <boost/test/unit_test.hpp>

#include "connstate/harness/plugin_library.h"
#include "connstate/harness/stack.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::harness;

namespace {

const std::string kV2 = test::kBinaryDir + "/lib/libconnstate_reference_plugin.so";
const std::string kV1 = test::kBinaryDir + "/lib/libconnstate_reference_plugin_v1.so";

std::vector<const Case*> pointers(const std::vector<Case>& cases) {
  std::vector<const Case*> out;
  for (const auto& c : cases)
    if (c.kind == CaseKind::Snapshot) out.push_back(&c);
  return out;
}

// Every snapshot answered by `plugin` as the reference answers it, through both entry points.
void agrees_with_reference(const std::string& sut) {
  std::vector<Case> cases;
  add_exhaustive_suite(cases, 3);
  const auto snapshots = pointers(cases);
  BOOST_REQUIRE_GT(snapshots.size(), 1000u);
  auto plugin = make_stack(sut);
  auto reference = make_stack("reference:rec-2025");
  std::vector<SnapshotAnswer> text(snapshots.size()), expected_text(snapshots.size());
  std::vector<SnapshotStates> states(snapshots.size()), expected_states(snapshots.size());
  std::vector<SnapshotView> views;
  for (const Case* c : snapshots) views.push_back({c->closed, c->transports});
  plugin->evaluate(snapshots, text);
  plugin->evaluate_states(views, states);
  reference->evaluate(snapshots, expected_text);
  reference->evaluate_states(views, expected_states);
  std::size_t compared = 0;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    BOOST_TEST_INFO(sut << ", case " << snapshots[i]->id);
    BOOST_TEST((text[i].status == AnswerStatus::Ok));
    BOOST_TEST((text[i].states == expected_text[i].states));
    BOOST_TEST((states[i] == expected_states[i]));
    BOOST_TEST((states[i].status == AnswerStatus::Ok));
    ++compared;
  }
  BOOST_TEST(compared == snapshots.size());
}

}  // namespace

BOOST_AUTO_TEST_CASE(version_2_plugin_has_the_batch_entry) {
  PluginLibrary v2(kV2);
  BOOST_TEST(v2.abi_version() == 2u);
  BOOST_TEST(v2.has_evaluate_batch());
  BOOST_TEST(v2.supports_sequence());
}

BOOST_AUTO_TEST_CASE(version_1_plugin_still_loads_without_it) {
  PluginLibrary v1(kV1);
  BOOST_TEST(v1.abi_version() == 1u);
  BOOST_TEST(!v1.has_evaluate_batch());
  BOOST_TEST(v1.table().evaluate_batch == nullptr);
  BOOST_TEST(v1.supports_evaluate());
}

BOOST_AUTO_TEST_CASE(both_versions_answer_snapshots_as_the_reference) {
  agrees_with_reference("plugin:" + kV2);
  agrees_with_reference("plugin:" + kV1);
}

BOOST_AUTO_TEST_CASE(both_versions_run_sequences_as_the_reference) {
  const std::vector<Case> cases = load_suite(test::kSourceDir + "/cases", LoadOptions{0, 0}).cases;
  auto v2 = make_stack("plugin:" + kV2);
  auto v1 = make_stack("plugin:" + kV1);
  std::size_t sequences = 0;
  for (const Case& c : cases) {
    if (c.kind != CaseKind::Sequence || !c.applies_to(Profile::Rec2025)) continue;
    const auto expected = expected_outcome(c, Profile::Rec2025).steps;
    const SequenceAnswer a2 = v2->run_sequence(c), a1 = v1->run_sequence(c);
    BOOST_TEST_INFO(c.id);
    BOOST_TEST((a2.status == AnswerStatus::Ok && a1.status == AnswerStatus::Ok));
    BOOST_TEST((a2.steps == expected && a1.steps == expected));
    ++sequences;
  }
  BOOST_TEST(sequences > 20u);
}

BOOST_AUTO_TEST_CASE(a_library_that_is_no_plugin_is_refused_by_name) {
  try {
    PluginLibrary not_a_plugin("libm.so.6");
    BOOST_FAIL("libm.so.6 loaded as a plugin");
  } catch (const StackError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("libm.so.6") != std::string::npos);
    BOOST_TEST(what.find("connstate_plugin_v2") != std::string::npos);
  }
  BOOST_CHECK_THROW(PluginLibrary("/nonexistent/libnothing.so"), StackError);
}
