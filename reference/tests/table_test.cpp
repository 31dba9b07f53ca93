// Checks that the lookup tables agree with the readable rule text on every input
// (every ICE presence x DTLS presence x closed flag x profile), that the unordered
// 2015–2018 rows are exclusive and total, and where REC 2021 defines no state.
#include "connstate/derivation.h"

#define BOOST_TEST_MODULE table
#include <boost/test/unit_test.hpp>

#include "internal/rule_text.h"
#include "test_support.h"

using namespace connstate;
using namespace connstate::test;

BOOST_AUTO_TEST_CASE(table_equals_rule_text_on_every_presence) {
  int mismatches = 0;
  for (const auto& info : kProfiles) {
    for (unsigned ice = 0; ice < 128; ++ice) {
      for (unsigned dtls = 0; dtls < 32; ++dtls) {
        if ((ice == 0) != (dtls == 0)) continue;  // every transport has both an ICE and a DTLS state
        for (bool closed : {false, true}) {
          const Presence p{static_cast<std::uint8_t>(ice), static_cast<std::uint8_t>(dtls)};
          const Derivation fast = derive(info.profile, closed, p);
          const Derivation slow = derive_by_rules(info.profile, closed, p);
          if (!(fast == slow)) {
            ++mismatches;
            BOOST_ERROR(info.id << " ice=" << ice << " dtls=" << dtls << " closed=" << closed);
          }
        }
      }
    }
  }
  BOOST_TEST(mismatches == 0);
}

// The packed fast path (derive_states) against the full derivation, on every multiset of at most
// three transports, each with and without the SCTP-only flag on its first transport, open and closed.
BOOST_AUTO_TEST_CASE(packed_fast_path_equals_derivation) {
  for_each_multiset(3, [&](const std::vector<TransportState>& ts) {
    auto variants = std::vector<std::vector<TransportState>>{ts};
    if (!ts.empty()) {
      variants.push_back(ts);
      variants.back()[0].sctp_only = true;
    }
    for (const auto& v : variants) {
      for (const auto& info : kProfiles) {
        for (bool closed : {false, true}) {
          const Derivation d = derive(info.profile, closed, v);
          const PackedStates s = derive_states(info.profile, closed, v);
          BOOST_TEST_REQUIRE((s.connection_state() == d.connection_state));
          BOOST_TEST_REQUIRE((s.ice_connection_state() == d.ice_connection_state));
        }
      }
    }
  });
}

BOOST_AUTO_TEST_CASE(slot_derivation_equals_rule_text) {
  for (const auto& info : kProfiles) {
    for (unsigned ice = 1; ice < 128; ++ice) {
      for (unsigned dtls = 1; dtls < 32; ++dtls) {
        const Presence p{static_cast<std::uint8_t>(ice), static_cast<std::uint8_t>(dtls)};
        for (std::size_t slot = 0; slot < enum_count<IceConnectionState>; ++slot) {
          const auto s = enum_at<IceConnectionState>(slot);
          RuleId rule_id{};
          const auto got = derive_connection_state(info.profile, false, s, p, &rule_id);
          const auto want = internal::connection_row_for(info.profile, false, s, p);
          BOOST_TEST_REQUIRE((got == want.state));
          BOOST_TEST_REQUIRE((rule_id == want.rule));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(legacy_ice_rows_are_exclusive_and_total) {
  for (unsigned ice = 0; ice < 128; ++ice) {
    for (bool closed : {false, true}) {
      const Presence p{static_cast<std::uint8_t>(ice), static_cast<std::uint8_t>(ice ? 1 : 0)};
      int matches = 0;
      for (RuleId row : internal::kLegacyIceRows) matches += internal::legacy_ice_row_matches(row, closed, p) ? 1 : 0;
      BOOST_TEST_REQUIRE(matches == 1, "ice mask " << ice << " closed " << closed << " matched " << matches << " rows");
    }
  }
}

// The MDN rows for connectionState read as unordered predicates over one pool of
// states; the ordered procedure in rule_text.h must agree with that reading.
BOOST_AUTO_TEST_CASE(legacy_connection_order_equals_unordered_reading) {
  using I = IceTransportState;
  using D = DtlsTransportState;
  using internal::any_in;
  using internal::set_of;
  for (unsigned ice = 1; ice < 128; ++ice) {
    for (unsigned dtls = 1; dtls < 32; ++dtls) {
      const Presence p{static_cast<std::uint8_t>(ice), static_cast<std::uint8_t>(dtls)};
      const bool failed = any_in(p.ice, set_of(I::Failed)) || any_in(p.dtls, set_of(D::Failed));
      const bool conn_or_check = any_in(p.ice, set_of(I::Checking)) || any_in(p.dtls, set_of(D::Connecting));
      const bool disc = any_in(p.ice, set_of(I::Disconnected));
      const bool any_new = any_in(p.ice, set_of(I::New)) || any_in(p.dtls, set_of(D::New));
      const bool all_closed = p.ice == set_of(I::Closed) && p.dtls == set_of(D::Closed);
      const bool all_usable = internal::all_in(p.ice, set_of(I::Connected, I::Completed, I::Closed)) &&
                              internal::all_in(p.dtls, set_of(D::Connected, D::Closed));
      const bool one_in_use = any_in(p.ice, set_of(I::Connected, I::Completed)) || any_in(p.dtls, set_of(D::Connected));
      int rows = 0;
      std::optional<PeerConnectionState> s;
      auto row = [&](bool match, PeerConnectionState st) { if (match) { ++rows; s = st; } };
      row(failed, PeerConnectionState::Failed);
      row(conn_or_check && !failed, PeerConnectionState::Connecting);
      row(disc && !failed && !conn_or_check, PeerConnectionState::Disconnected);
      row((any_new && !conn_or_check && !failed && !disc) || all_closed, PeerConnectionState::New);
      row(all_usable && one_in_use, PeerConnectionState::Connected);
      BOOST_TEST_REQUIRE(rows == 1, "ice " << ice << " dtls " << dtls << ": " << rows << " rows");
      BOOST_TEST_REQUIRE((derive(Profile::LegacyMdn, false, p).connection_state == s));
    }
  }
}

// connection-state.md#pcs-2021.undefined: brute force gives 3 undefined of 35 single pairs and 48 of 630 pairs of pairs.
BOOST_AUTO_TEST_CASE(rec2021_undefined_counts) {
  std::size_t undefined_1 = 0, total_1 = 0, undefined_2 = 0, total_2 = 0;
  for_each_multiset(2, [&](const std::vector<TransportState>& ts) {
    const bool undefined = !derive(Profile::Rec2021, false, ts).connection_state.has_value();
    if (ts.size() == 1) { ++total_1; undefined_1 += undefined; }
    if (ts.size() == 2) { ++total_2; undefined_2 += undefined; }
  });
  BOOST_TEST(total_1 == 35u);
  BOOST_TEST(undefined_1 == 3u);
  BOOST_TEST(total_2 == 630u);
  BOOST_TEST(undefined_2 == 48u);
}

// connection-state.md, legacy rows: the legacy procedure leaves nothing undefined; only rec-2021 does.
BOOST_AUTO_TEST_CASE(only_rec2021_leaves_states_undefined) {
  for_each_multiset(3, [&](const std::vector<TransportState>& ts) {
    for (Profile p : {Profile::Rec2025, Profile::Rec2021Amended, Profile::LegacyMdn}) {
      BOOST_TEST_REQUIRE(derive(p, false, ts).connection_state.has_value());
    }
  });
}

// ice-connection-state.md, legacy rows: over one or two transports the legacy ICE rows differ from today's only
// for {new, connected} and {new, completed}.
BOOST_AUTO_TEST_CASE(legacy_ice_differs_only_on_partial_connects) {
  for_each_multiset(2, [&](const std::vector<TransportState>& ts) {
    const auto now = derive(Profile::Rec2025, false, ts).ice_connection_state;
    const auto old = derive(Profile::LegacyMdn, false, ts).ice_connection_state;
    if (now == old) return;
    BOOST_TEST_REQUIRE(ts.size() == 2u);
    const bool has_new = ts[0].ice == IceTransportState::New || ts[1].ice == IceTransportState::New;
    const bool has_usable = ts[0].ice == IceTransportState::Connected || ts[1].ice == IceTransportState::Connected ||
                            ts[0].ice == IceTransportState::Completed || ts[1].ice == IceTransportState::Completed;
    BOOST_TEST_REQUIRE((has_new && has_usable));
    BOOST_TEST_REQUIRE((now == IceConnectionState::Checking));
    BOOST_TEST_REQUIRE((old == IceConnectionState::New));
  });
}

// What the event model's fast path (PeerConnectionModel::apply) takes from the tables, on every
// presence index a model can have (every transport has an ICE and a DTLS state): rec-2025's packed connectionState is the slot derivation from the packed ICE
// state (so the ICE task needs no second lookup), and only rec-2021 has undefined entries.
BOOST_AUTO_TEST_CASE(packed_tables_hold_what_the_model_fast_path_assumes) {
  std::size_t compared = 0;
  for (unsigned index = 0; index < (1u << 12); ++index) {
    if (((index >> 5) == 0) != ((index & 31u) == 0)) continue;
    const unsigned packed = internal::kPackedTables[static_cast<unsigned>(Profile::Rec2025)][index];
    const unsigned slot_index = ((packed & 7u) * 32u + (index & 31u)) * 2u + (index ? 1u : 0u);
    const unsigned from_slot = internal::kSlotConnectionTable[slot_index];
    BOOST_TEST_REQUIRE(((packed >> 3) & 7u) == from_slot, "presence index " << index);
    ++compared;
    for (const auto& info : kProfiles) {
      if (info.profile == Profile::Rec2021) continue;
      BOOST_TEST_REQUIRE(((internal::kPackedTables[static_cast<unsigned>(info.profile)][index] >> 3) & 7u) !=
                         PackedStates::kUndefined);
    }
  }
  for (unsigned entry : internal::kSlotConnectionTable) BOOST_TEST_REQUIRE(entry != PackedStates::kUndefined);
  BOOST_TEST(compared == 1u + 127u * 31u);
}
