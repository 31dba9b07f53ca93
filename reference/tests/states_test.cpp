// Checks the enumerations: exact spec strings, strict parsing, round trips.
#include "connstate/states.h"

#define BOOST_TEST_MODULE states
#include <boost/test/unit_test.hpp>

#include "connstate/profiles.h"

using namespace connstate;

template <class E> void check_round_trip(std::size_t expected_count) {
  BOOST_TEST(enum_count<E> == expected_count);
  for (std::size_t i = 0; i < enum_count<E>; ++i) {
    const E e = enum_at<E>(i);
    const auto parsed = parse_state<E>(to_string(e));
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(static_cast<std::size_t>(*parsed) == i);
  }
}

BOOST_AUTO_TEST_CASE(counts_and_round_trips) {
  check_round_trip<IceTransportState>(7);
  check_round_trip<DtlsTransportState>(5);
  check_round_trip<IceConnectionState>(7);
  check_round_trip<PeerConnectionState>(6);
  check_round_trip<IceGatheringState>(3);
  check_round_trip<IceGathererState>(3);
}

BOOST_AUTO_TEST_CASE(idl_strings) {
  BOOST_TEST(to_string(PeerConnectionState::Connecting) == "connecting");
  BOOST_TEST(to_string(IceConnectionState::Completed) == "completed");
  BOOST_TEST(to_string(DtlsTransportState::Connecting) == "connecting");
  BOOST_TEST(to_string(IceTransportState::Disconnected) == "disconnected");
  BOOST_TEST(to_string(IceGatheringState::Complete) == "complete");
}

BOOST_AUTO_TEST_CASE(parsing_is_strict) {
  BOOST_TEST(!parse_state<IceTransportState>("Connected").has_value());
  BOOST_TEST(!parse_state<IceTransportState>(" connected").has_value());
  BOOST_TEST(!parse_state<IceTransportState>("").has_value());
  BOOST_TEST(!parse_state<IceTransportState>("connecting").has_value());  // a DTLS word, not an ICE one
  BOOST_TEST(!parse_state<DtlsTransportState>("checking").has_value());
  BOOST_TEST(!parse_state<DtlsTransportState>("completed").has_value());
  BOOST_TEST(!parse_state<PeerConnectionState>("checking").has_value());
  BOOST_TEST(!parse_state<PeerConnectionState>("completed").has_value());
  BOOST_TEST(!parse_state<IceGatheringState>("completed").has_value());
}

BOOST_AUTO_TEST_CASE(profiles_have_stable_ids) {
  BOOST_TEST(kProfiles.size() == 4u);
  BOOST_TEST(to_string(Profile::Rec2025) == "rec-2025");
  BOOST_TEST(to_string(Profile::Rec2021Amended) == "rec-2021-amended");
  BOOST_TEST(to_string(Profile::Rec2021) == "rec-2021");
  BOOST_TEST(to_string(Profile::LegacyMdn) == "legacy-mdn");
  for (const auto& info : kProfiles) {
    BOOST_TEST((parse_profile(info.id) == info.profile));
    BOOST_TEST(!info.description.empty());
    BOOST_TEST(!info.source.empty());
  }
  BOOST_TEST(!parse_profile("rec2025").has_value());
  BOOST_TEST((kDefaultProfile == Profile::Rec2025));
}
