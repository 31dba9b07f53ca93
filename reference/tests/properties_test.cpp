// Property tests over every snapshot of at most three transports (each of the 35
// ICE/DTLS pairs, as multisets, with and without the closed flag) and over every
// step sequence of bounded length over two transports.
#include "connstate/peer_connection_model.h"

#define BOOST_TEST_MODULE properties
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "test_support.h"

using namespace connstate;
using namespace connstate::test;

BOOST_AUTO_TEST_CASE(snapshot_count_is_the_multiset_count) {
  std::size_t n = 0;
  for_each_multiset(3, [&](const auto&) { ++n; });
  BOOST_TEST(n == 1u + 35u + 630u + 7770u);
}

BOOST_AUTO_TEST_CASE(order_of_transports_does_not_matter) {
  for_each_multiset(3, [&](const std::vector<TransportState>& ts) {
    auto perm = ts;
    for (const auto& info : kProfiles) {
      const Derivation base = derive(info.profile, false, ts);
      std::sort(perm.begin(), perm.end(), [](auto& a, auto& b) {
        return std::pair(a.ice, a.dtls) < std::pair(b.ice, b.dtls);
      });
      do {
        BOOST_TEST_REQUIRE((derive(info.profile, false, perm) == base));
        // The why names the same transports, moved with them.
        const auto x = explain(info.profile, false, perm);
        BOOST_TEST_REQUIRE(std::popcount(x.connection_triggers) ==
                           std::popcount(explain(info.profile, false, ts).connection_triggers));
      } while (std::next_permutation(perm.begin(), perm.end(), [](auto& a, auto& b) {
        return std::pair(a.ice, a.dtls) < std::pair(b.ice, b.dtls);
      }));
    }
  });
}

BOOST_AUTO_TEST_CASE(closed_dominates) {
  for_each_multiset(3, [&](const std::vector<TransportState>& ts) {
    for (const auto& info : kProfiles) {
      const Derivation d = derive(info.profile, true, ts);
      BOOST_TEST_REQUIRE((d.connection_state == PeerConnectionState::Closed));
      BOOST_TEST_REQUIRE((d.ice_connection_state == IceConnectionState::Closed));
    }
  });
}

// docs/spec/completed-gap.md: rec-2025 and rec-2021-amended differ only where ICE is all completed
// (+closed) — the `completed` gap — or where all ICE is closed but DTLS is in use.
BOOST_AUTO_TEST_CASE(rec2025_differs_from_amended_only_on_completed_or_closed_ice) {
  for_each_multiset(3, [&](const std::vector<TransportState>& ts) {
    const auto a = derive(Profile::Rec2025, false, ts);
    const auto b = derive(Profile::Rec2021Amended, false, ts);
    BOOST_TEST_REQUIRE((a.ice_connection_state == b.ice_connection_state));
    if (a.connection_state == b.connection_state) return;
    const bool ice_completed = a.ice_connection_state == IceConnectionState::Completed;
    const bool ice_all_closed = std::all_of(ts.begin(), ts.end(), [](auto& t) { return t.ice == IceTransportState::Closed; });
    BOOST_TEST_REQUIRE((ice_completed || ice_all_closed));
    BOOST_TEST_REQUIRE((a.connection_state == PeerConnectionState::Connecting));
    BOOST_TEST_REQUIRE((b.connection_state == PeerConnectionState::Connected));
  });
}

// rec-2021 is undefined exactly where amendment 4's widened `connecting` row is the one
// that applies only because of a `new` ICE or DTLS transport.
BOOST_AUTO_TEST_CASE(rec2021_undefined_exactly_where_amendment_4_applies) {
  for_each_multiset(3, [&](const std::vector<TransportState>& ts) {
    const auto r21 = derive(Profile::Rec2021, false, ts);
    const auto amended = derive(Profile::Rec2021Amended, false, ts);
    const bool old_connecting = std::any_of(ts.begin(), ts.end(), [](auto& t) {
      return t.ice == IceTransportState::Checking || t.dtls == DtlsTransportState::Connecting;
    });
    const bool widened = amended.connection_state == PeerConnectionState::Connecting && !old_connecting;
    BOOST_TEST_REQUIRE(!r21.connection_state.has_value() == widened);
    if (r21.connection_state) BOOST_TEST_REQUIRE((r21.connection_state == amended.connection_state));
  });
}

namespace {
// Every valid step over transports {0, 1}: add, remove, each ICE and DTLS state, close.
std::vector<Step> alphabet() {
  std::vector<Step> steps;
  for (TransportId t : {TransportId{0}, TransportId{1}}) {
    steps.push_back(Step::add(t));
    steps.push_back(Step::remove(t));
    for (std::size_t i = 0; i < enum_count<IceTransportState>; ++i) steps.push_back(Step::ice(t, enum_at<IceTransportState>(i)));
    for (std::size_t d = 0; d < enum_count<DtlsTransportState>; ++d) steps.push_back(Step::dtls(t, enum_at<DtlsTransportState>(d)));
  }
  steps.push_back(Step::close());
  return steps;
}

struct Checked {
  std::size_t sequences = 0;
  std::size_t steps = 0;
};

// Walks every sequence of valid steps up to `depth`, calling check(model_before, step, result, model_after).
template <class F> Checked walk(Profile profile, ModelOptions options, std::size_t depth, F&& check) {
  Checked c;
  const auto steps = alphabet();
  auto rec = [&](auto&& self, const PeerConnectionModel& m, std::size_t left) -> void {
    ++c.sequences;
    if (left == 0) return;
    for (const Step& s : steps) {
      PeerConnectionModel next = m;
      const StepResult r = next.apply(s);
      if (!r.ok()) continue;
      ++c.steps;
      check(m, s, r, next);
      if (!next.is_closed()) self(self, next, left - 1);
    }
  };
  rec(rec, PeerConnectionModel(profile, options), depth);
  return c;
}
}  // namespace

// With re-derivation on set changes, the model after any step equals a derivation from
// scratch; literally, that holds after every ICE step (the one task that re-derives both).
BOOST_AUTO_TEST_CASE(model_equals_derivation_from_scratch) {
  for (const auto& info : kProfiles) {
    for (bool rederive : {true, false}) {
      const auto c = walk(info.profile, ModelOptions{.rederive_on_set_change = rederive}, 5,
                          [&](const PeerConnectionModel&, const Step& s, const StepResult& r, const PeerConnectionModel& m) {
                            // Literally, only an ICE step that changed a state runs the re-deriving task.
                            if (!rederive && (s.kind != StepKind::Ice || r.events.empty())) return;
                            const auto d = derive(info.profile, m.is_closed(), snapshot_of(m));
                            BOOST_TEST_REQUIRE((m.ice_connection_state() == d.ice_connection_state), info.id << " rederive=" << rederive << " step " << to_string(s.kind) << " t" << int(s.transport) << " s" << int(s.state) << " model " << to_string(m.ice_connection_state()) << " derived " << to_string(d.ice_connection_state));
                            BOOST_TEST_REQUIRE((m.connection_state() == d.connection_state));
                          });
      BOOST_TEST(c.steps > 100000u);
    }
  }
}

// Events fire only for changes, PC events carry the value read afterwards, and the ICE
// task's order holds: transport event first, then iceconnectionstatechange, then
// connectionstatechange; nothing after close.
BOOST_AUTO_TEST_CASE(event_invariants) {
  for (const auto& info : kProfiles) {
    walk(info.profile, {}, 5, [&](const PeerConnectionModel& before, const Step& s, const StepResult& r,
                                  const PeerConnectionModel& after) {
      const bool ics_changed = before.ice_connection_state() != after.ice_connection_state();
      const bool pcs_changed = before.connection_state() != after.connection_state();
      int ics_events = 0, pcs_events = 0;
      int last_rank = -1;
      std::uint8_t last_task = 0;
      for (const Event& e : r.events) {
        BOOST_TEST_REQUIRE(e.task >= last_task);
        last_task = e.task;
        if (e.type == EventType::IceConnectionStateChange) {
          ++ics_events;
          BOOST_TEST_REQUIRE(e.state == static_cast<std::uint8_t>(after.ice_connection_state()));
        }
        if (e.type == EventType::ConnectionStateChange) ++pcs_events;
        if (s.kind == StepKind::Ice) {
          const int rank = static_cast<int>(e.type == EventType::IceTransportStateChange ? 0
                                            : e.type == EventType::IceConnectionStateChange ? 1 : 2);
          BOOST_TEST_REQUIRE(rank > last_rank);
          last_rank = rank;
        }
      }
      BOOST_TEST_REQUIRE(ics_events == (ics_changed && s.kind != StepKind::Close ? 1 : 0));
      BOOST_TEST_REQUIRE(pcs_events <= 2);
      if (!pcs_changed && s.kind != StepKind::Remove) BOOST_TEST_REQUIRE(pcs_events == 0);
      if (pcs_events > 0 && after.connection_state()) {
        // The last connectionstatechange of a step carries the value read afterwards.
        for (auto it = r.events.end(); it != r.events.begin();) {
          --it;
          if (it->type == EventType::ConnectionStateChange) {
            BOOST_TEST_REQUIRE(it->state == static_cast<std::uint8_t>(*after.connection_state()));
            break;
          }
        }
      }
      if (s.kind == StepKind::Close) BOOST_TEST_REQUIRE(r.events.empty());
      if (s.kind == StepKind::Add) BOOST_TEST_REQUIRE(r.events.empty());
    });
  }
}

// Closed is absorbing: from any reachable state, close() then any step changes nothing.
BOOST_AUTO_TEST_CASE(closed_is_absorbing) {
  const auto steps = alphabet();
  walk(Profile::Rec2025, {}, 4, [&](const PeerConnectionModel&, const Step&, const StepResult&, const PeerConnectionModel& m) {
    PeerConnectionModel closed = m;
    closed.close();
    for (const Step& s : steps) {
      const auto r = closed.apply(s);
      BOOST_TEST_REQUIRE(r.events.empty());
      BOOST_TEST_REQUIRE((closed.connection_state() == PeerConnectionState::Closed));
    }
  });
}
