// Checks that PeerConnectionModel::apply (whose ICE and DTLS changes take a branch-free fast
// path) gives exactly what apply_by_tasks (the spec's tasks one after the other) gives: the same
// outcome, the same events with the same values and tasks, and the same model afterwards — on
// every step sequence up to a bounded depth over two transports, and on long random sequences
// over many transports, under every profile and every combination of options.
#include "connstate/peer_connection_model.h"

#define BOOST_TEST_MODULE model_fast_path
#include <boost/test/unit_test.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

using namespace connstate;

namespace {

std::vector<ModelOptions> every_option_combination() {
  std::vector<ModelOptions> out;
  for (bool rederive : {false, true})
    for (bool events_on_close : {false, true}) out.push_back({rederive, events_on_close});
  return out;
}

std::string show(const StepResult& r) {
  std::ostringstream out;
  out << to_string(r.outcome) << ", " << int(r.events.size()) << " events:";
  for (const Event& e : r.events)
    out << " [" << int(e.type) << " t" << int(e.transport) << " " << e.state_name() << " task " << int(e.task) << "]";
  return out.str();
}

bool same_result(const StepResult& a, const StepResult& b) {
  if (a.outcome != b.outcome || a.events.size() != b.events.size()) return false;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const Event &x = a.events[i], &y = b.events[i];
    if (x.type != y.type || x.transport != y.transport || x.state != y.state || x.task != y.task) return false;
  }
  return true;
}

// Everything a user of the model can read, for transports [0, transports).
bool same_model(const PeerConnectionModel& a, const PeerConnectionModel& b, TransportId transports) {
  if (a.is_closed() != b.is_closed() || a.ice_connection_state() != b.ice_connection_state() ||
      a.connection_state() != b.connection_state() || !(a.presence() == b.presence()) ||
      a.transport_count() != b.transport_count())
    return false;
  for (TransportId t = 0; t < transports; ++t) {
    if (a.has_transport(t) != b.has_transport(t) || a.ice_state(t) != b.ice_state(t) || a.dtls_state(t) != b.dtls_state(t))
      return false;
  }
  return true;
}

// Every step over transports 0 and 1 (add, add SCTP-only, remove, each ICE and DTLS state), close,
// and the steps the model refuses: a transport never added, a transport id out of range.
std::vector<Step> alphabet() {
  std::vector<Step> steps;
  for (TransportId t : {TransportId{0}, TransportId{1}}) {
    steps.push_back(Step::add(t));
    steps.push_back(Step::add(t, true));
    steps.push_back(Step::remove(t));
    for (std::size_t i = 0; i < enum_count<IceTransportState>; ++i) steps.push_back(Step::ice(t, enum_at<IceTransportState>(i)));
    for (std::size_t d = 0; d < enum_count<DtlsTransportState>; ++d) steps.push_back(Step::dtls(t, enum_at<DtlsTransportState>(d)));
  }
  steps.push_back(Step::close());
  steps.push_back(Step::ice(2, IceTransportState::Checking));
  steps.push_back(Step::dtls(kMaxTransports, DtlsTransportState::Connected));
  return steps;
}

struct Counts {
  std::size_t steps = 0;
  std::size_t fast_path_steps = 0;  // ICE/DTLS changes of a live transport of an open connection
  std::size_t mismatches = 0;
};

bool takes_fast_path(const PeerConnectionModel& m, const Step& s) {
  return (s.kind == StepKind::Ice || s.kind == StepKind::Dtls) && !m.is_closed() && m.has_transport(s.transport);
}

// Applies `s` both ways to copies of `m`; records a mismatch; returns the model after the step.
PeerConnectionModel compare_step(const PeerConnectionModel& m, const Step& s, TransportId transports, Counts& c,
                                 const std::string& where) {
  PeerConnectionModel fast = m, by_tasks = m;
  const StepResult rf = fast.apply(s);
  const StepResult rt = by_tasks.apply_by_tasks(s);
  ++c.steps;
  if (takes_fast_path(m, s)) ++c.fast_path_steps;
  if (!same_result(rf, rt) || !same_model(fast, by_tasks, transports)) {
    if (++c.mismatches <= 10)
      BOOST_ERROR(where << ": apply() gave " << show(rf) << ", apply_by_tasks() " << show(rt)
                        << (same_model(fast, by_tasks, transports) ? "" : " (and the models differ afterwards)"));
  }
  return by_tasks;
}

}  // namespace

// Every sequence of at most 5 steps from the alphabet (about 3.4 million steps per profile and
// option combination before pruning; sequences stop at a refused step or after close()).
BOOST_AUTO_TEST_CASE(fast_path_equals_tasks_on_every_short_sequence) {
  const auto steps = alphabet();
  for (const auto& info : kProfiles) {
    for (const ModelOptions& options : every_option_combination()) {
      Counts c;
      auto walk = [&](auto&& self, const PeerConnectionModel& m, std::size_t left) -> void {
        if (left == 0) return;
        for (const Step& s : steps) {
          PeerConnectionModel next = compare_step(m, s, 2, c, std::string(info.id));
          PeerConnectionModel probe = m;
          if (!probe.apply_by_tasks(s).ok() || next.is_closed()) continue;
          self(self, next, left - 1);
        }
      };
      walk(walk, PeerConnectionModel(info.profile, options), 5);
      BOOST_TEST(c.mismatches == 0u, info.id << " rederive=" << options.rederive_on_set_change
                                              << " events_on_close=" << options.events_on_close);
      // The walk reaches the fast path on most steps, so the comparison is not vacuous.
      BOOST_TEST(c.fast_path_steps > c.steps / 2);
    }
  }
}

// Long random sequences over 8 transports (several in the same state at once, so a state's count
// goes up and down without reaching zero), some SCTP-only, with removals, re-adds and a rare close.
BOOST_AUTO_TEST_CASE(fast_path_equals_tasks_on_long_random_sequences) {
  constexpr TransportId kTransports = 8;
  for (const auto& info : kProfiles) {
    for (const ModelOptions& options : every_option_combination()) {
      std::mt19937 rng(2026);
      Counts c;
      PeerConnectionModel m(info.profile, options);
      for (int i = 0; i < 200000; ++i) {
        const auto t = static_cast<TransportId>(rng() % kTransports);
        const auto pick = rng() % 100;
        Step s;
        if (pick < 45) s = Step::ice(t, static_cast<IceTransportState>(rng() % 7));
        else if (pick < 90) s = Step::dtls(t, static_cast<DtlsTransportState>(rng() % 5));
        else if (pick < 95) s = Step::add(t, rng() % 4 == 0);
        else if (pick < 99) s = Step::remove(t);
        else s = (rng() % 20 == 0) ? Step::close() : Step::ice(static_cast<TransportId>(200), IceTransportState::New);
        // A change of a transport that is not in the set adds it instead, so most steps are changes.
        if ((s.kind == StepKind::Ice || s.kind == StepKind::Dtls) && !m.has_transport(t)) s = Step::add(t, rng() % 4 == 0);
        m = compare_step(m, s, kTransports, c, std::string(info.id) + " step " + std::to_string(i));
        if (m.is_closed()) m = PeerConnectionModel(info.profile, options);
      }
      BOOST_TEST(c.mismatches == 0u, info.id << " rederive=" << options.rederive_on_set_change
                                              << " events_on_close=" << options.events_on_close);
      BOOST_TEST(c.fast_path_steps > c.steps / 2);
    }
  }
}
