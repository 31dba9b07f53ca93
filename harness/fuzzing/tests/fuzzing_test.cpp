// The fuzzing support: the byte grammar (decode/encode), the comparison and its signatures, the
// minimizer, and the case writer (its files load, with no expected values to disagree).
#include "connstate/fuzzing/case_writer.h"

#define BOOST_TEST_MODULE fuzzing
#include <boost/test/unit_test.hpp>

#include "connstate/harness/cases.h"
#include "connstate/fuzzing/differential.h"

using namespace connstate;
using namespace connstate::fuzz;

namespace {
std::vector<std::uint8_t> bytes(std::initializer_list<int> b) {
  std::vector<std::uint8_t> out;
  for (int x : b) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_documented_example_decodes) {
  const Sequence s = decode(bytes({0x00, 0xc0, 0x20, 0x30, 0x78, 0x80, 0xf8}));
  BOOST_TEST((s.profile == Profile::Rec2025));
  BOOST_TEST(describe(s) ==
             "profile rec-2025, options: none, 6 steps\n  step 0: add t0\n  step 1: ice t0 checking\n"
             "  step 2: ice t0 connected\n  step 3: dtls t0 connecting\n  step 4: dtls t0 connected\n  step 5: close\n");
  BOOST_TEST((encode(s) == bytes({0x00, 0xc0, 0x20, 0x30, 0x78, 0x80, 0xf8})));
}

BOOST_AUTO_TEST_CASE(header_bits) {
  const Sequence s = decode(bytes({0x0e}));
  BOOST_TEST((s.profile == Profile::Rec2021));
  BOOST_TEST(s.options.rederive_on_set_change);
  BOOST_TEST(s.options.events_on_close);
  BOOST_TEST((decode(bytes({0x03}), DecodeOptions{Profile::Rec2025}).profile == Profile::Rec2025));
  BOOST_TEST(decode(std::vector<std::uint8_t>{}).steps.empty());
}

BOOST_AUTO_TEST_CASE(repairs_keep_every_step_valid) {
  // ice on t3 (not added): implicit add; add t3 again: nothing; remove t5 (absent): nothing;
  // close; then ice on t6 (never added): nothing, ice on t3: kept (ignored by the model).
  const Sequence s = decode(bytes({0x00, 0x23, 0xc3, 0xe5, 0xf8, 0x26, 0x23}));
  BOOST_REQUIRE(s.steps.size() == 4u);
  BOOST_TEST(describe_step(s.steps[0]) == "add t3");
  BOOST_TEST(describe_step(s.steps[1]) == "ice t3 checking");
  BOOST_TEST(describe_step(s.steps[2]) == "close");
  BOOST_TEST(describe_step(s.steps[3]) == "ice t3 checking");
  BOOST_TEST(s.step_bytes_ignored == 3u);
  PeerConnectionModel m;
  for (const Step& step : s.steps) BOOST_TEST(m.apply(step).ok());
}

BOOST_AUTO_TEST_CASE(every_input_decodes_to_valid_steps) {
  std::uint64_t x = 88172645463325252ull;
  for (int n = 0; n < 20000; ++n) {
    std::vector<std::uint8_t> in(1 + n % 40);
    for (auto& b : in) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = static_cast<std::uint8_t>(x);
    }
    const Sequence s = decode(in);
    PeerConnectionModel m(s.profile, s.options);
    for (const Step& step : s.steps) BOOST_REQUIRE(m.apply(step).ok());
  }
}

BOOST_AUTO_TEST_CASE(permutation_is_a_bijection_and_not_the_identity) {
  for (unsigned p = 0; p < 16; ++p) {
    std::uint8_t seen = 0;
    bool identity = true;
    for (TransportId t = 0; t < 8; ++t) {
      seen = static_cast<std::uint8_t>(seen | (1u << permute_transport(static_cast<std::uint8_t>(p), t)));
      identity = identity && permute_transport(static_cast<std::uint8_t>(p), t) == t;
    }
    BOOST_TEST(seen == 0xff);
    BOOST_TEST(!identity);
  }
}

BOOST_AUTO_TEST_CASE(signatures_are_distinct_and_parse_back) {
  for (std::size_t i = 0; i < kDiffKindCount; ++i) {
    const auto k = static_cast<DiffKind>(i);
    BOOST_TEST((parse_signature(signature(k)) == k));
    for (std::size_t j = 0; j < i; ++j) BOOST_TEST(signature(k) != signature(static_cast<DiffKind>(j)));
  }
}

BOOST_AUTO_TEST_CASE(compare_names_the_kind) {
  const Sequence s = decode(bytes({0x00, 0xc0, 0x20, 0x30, 0x78, 0x80, 0xf8, 0x20}));
  const Observation ref = reference_observation(s);
  BOOST_TEST(!compare(s, ref, ref));

  Observation extra = ref;  // an iceconnectionstatechange on the DTLS step (planted bug 2)
  extra.steps[4].events.push_back({EventType::IceConnectionStateChange, 0, static_cast<std::uint8_t>(IceConnectionState::Connected)});
  auto d = compare(s, ref, extra);
  BOOST_REQUIRE(d);
  BOOST_TEST(signature(d->kind) == "extra_iceconnectionstatechange");
  BOOST_TEST(d->step == 4u);

  Observation on_close = ref;  // close() fires (planted bug 1)
  on_close.steps[5].events.push_back({EventType::ConnectionStateChange, 0, 0});
  d = compare(s, ref, on_close);
  BOOST_REQUIRE(d);
  BOOST_TEST(signature(d->kind) == "event_on_close");

  Observation after = ref;
  after.steps[6].events.push_back({EventType::IceTransportStateChange, 0, 4});
  BOOST_TEST(signature(compare(s, ref, after)->kind) == "event_after_close");

  Observation order = ref;  // ice step: pc events swapped
  std::swap(order.steps[1].events[1], order.steps[1].events[2]);
  BOOST_TEST(signature(compare(s, ref, order)->kind) == "wrong_event_order");

  Observation state = ref;
  state.steps[2].connection_state = static_cast<int>(PeerConnectionState::Connected);
  BOOST_TEST(signature(compare(s, ref, state)->kind) == "wrong_connection_state");

  Observation missing = ref;
  missing.steps[1].events.pop_back();
  BOOST_TEST(signature(compare(s, ref, missing)->kind) == "missing_connectionstatechange");

  Observation error = ref;
  error.status = RunStatus::Error;
  error.steps.resize(3);
  d = compare(s, ref, error);
  BOOST_TEST(signature(d->kind) == "stack_error");
  BOOST_TEST(d->step == 3u);

  Observation declined;
  declined.status = RunStatus::Unsupported;
  BOOST_TEST(!compare(s, ref, declined));
}

BOOST_AUTO_TEST_CASE(the_reference_stack_agrees_with_the_reference) {
  auto runner = make_runner("reference:rec-2025");
  const auto r = check_input(bytes({0x00, 0xc0, 0x20, 0x30, 0x78, 0x80, 0xc1, 0x21, 0xe0, 0xf8, 0x21}), std::nullopt, *runner);
  BOOST_TEST(!r.difference);
  BOOST_TEST(r.observed.steps.size() == r.sequence.steps.size());
}

BOOST_AUTO_TEST_CASE(minimize_keeps_the_failure_and_shrinks) {
  // "fails" while the input contains a close step byte.
  const auto fails = [](const std::vector<std::uint8_t>& in) {
    return std::find(in.begin() + 1, in.end(), std::uint8_t{0xf8}) != in.end();
  };
  const auto m = minimize(bytes({0x5c, 0xc0, 0x20, 0x30, 0xf8, 0x78, 0x80}), fails);
  BOOST_TEST((m == bytes({0x00, 0xf8})));
}

BOOST_AUTO_TEST_CASE(case_files_load_without_cross_check_errors) {
  const Sequence s = decode(bytes({0x04, 0xc0, 0x20, 0x30, 0x78, 0x80, 0xdb, 0x79, 0xe0, 0xf8, 0x20}));
  CaseProvenance from;
  from.input_name = "crash-123";
  from.input_hash = hash_hex(bytes({1, 2, 3}));
  from.sut = "plugin:libx.so";
  from.difference = Difference{DiffKind::ExtraIceConnectionStateChange, 4, "x"};
  const std::string text = case_file_text(s, {Profile::Rec2025}, from);
  const auto cases = harness::parse_case_file(text, "fuzz.json");
  BOOST_REQUIRE(cases.size() == 1u);
  const harness::Case& c = cases[0];
  BOOST_TEST(c.id == "fuzz." + from.input_hash);
  BOOST_TEST((c.kind == harness::CaseKind::Sequence));
  BOOST_TEST(c.steps.size() == s.steps.size());
  BOOST_TEST(c.options.rederive_on_set_change);
  BOOST_TEST(c.applies_to(Profile::Rec2025));
  BOOST_TEST(!c.applies_to(Profile::LegacyMdn));
  BOOST_TEST((c.tags == std::vector<std::string>{"fuzz", "regression"}));
  BOOST_TEST(c.spec_anchor == "update-the-connection-state");
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    BOOST_TEST((c.steps[i].step.kind == s.steps[i].kind));
    BOOST_TEST(c.steps[i].step.state == s.steps[i].state);
  }
  // Every profile when none is named.
  const auto all = harness::parse_case_file(case_file_text(s, {}, from), "fuzz.json");
  for (const auto& info : kProfiles) BOOST_TEST(all[0].applies_to(info.profile));
}
