// fuzz_model.cpp — invariants of the reference event model, checked after every step.
//
// Hunts for: bugs in reference/ itself (the oracle every other check trusts). The input
// decodes (sequence_decoder.h) into a profile, model options and up to 128 steps over 8
// transports; after every step the target asserts:
//
//   from_scratch       the model's states equal derive() over its transports — after every
//                      step with rederive_on_set_change, else after an ICE step that changed a
//                      state (the only task that re-derives both; reference/tests/properties_test.cpp)
//   slot_consistency   after an ICE or DTLS task that ran, connectionState is what the profile
//                      derives from the current [[IceConnectionState]] slot
//   derivation_paths   derive(), derive_by_rules(), derive_states() and explain() agree, and the
//                      model's presence masks are presence_of() its transports
//   event_needs_change no event without a value change: a transport statechange only for a
//                      transport whose state changed, to its new value; iceconnectionstatechange
//                      at most once, only when the value changed, with the new value; each
//                      connectionstatechange differs from the value before it, the last one is the
//                      value read afterwards; and a change of either aggregate does fire
//   ice_task_order     ICE step: transport statechange, then iceconnectionstatechange, then
//                      connectionstatechange; DTLS step: statechange, then connectionstatechange in
//                      a later task, never iceconnectionstatechange; remove: DTLS close before ICE
//                      close; tasks never go backwards
//   nothing_after_close every step after close() is ignored and fires nothing; close() fires
//                      nothing (unless events_on_close)
//   closed_absorbing   once closed, both aggregates and every transport read closed
//   permutation        the same sequence with transports renamed by the header's permutation
//                      gives the same outcomes, events (renamed) and states; derive() does not
//                      depend on the order of the transports
//   fast_path          apply() (a branch-free path for ICE and DTLS changes) gives what
//                      apply_by_tasks() (the spec's tasks one by one) gives: the renamed replica
//                      runs every step through apply_by_tasks(), and a difference from it is
//                      put down to the fast path when the same step un-renamed differs too
//   enums              every state and event value is inside its enum; connectionState is
//                      undefined only under rec-2021
//
// Each invariant fails in its own function (invariant_<name>), so distinct bugs are distinct crashes.
//
// The checks themselves are not instrumented for coverage (CONNSTATE_UNINSTRUMENTED). libFuzzer's
// work per execution grows with the coverage counters an execution touches, and the checks' own
// branches — one per invariant per step, never taken while the reference is right — were 40 % of
// the edges. The reference library, the decoder and the entry point stay instrumented: the fuzzer
// is guided by the code under test, whose edges are the same as before.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "connstate/fuzzing/sequence_decoder.h"

#if defined(__clang__)
#define CONNSTATE_UNINSTRUMENTED __attribute__((no_sanitize("coverage")))
#else
#define CONNSTATE_UNINSTRUMENTED
#endif

namespace {
using namespace connstate;
using namespace connstate::fuzz;

#define CONNSTATE_INVARIANT_SITE(name)                                                    \
  [[noreturn]] __attribute__((noinline)) void invariant_##name(const std::string& report) { \
    std::fputs(report.c_str(), stderr);                                                   \
    std::fputs("==connstate== invariant violated: " #name "\n", stderr);                  \
    std::fflush(stderr);                                                                  \
    std::abort();                                                                         \
  }
CONNSTATE_INVARIANT_SITE(decoder_validity)
CONNSTATE_INVARIANT_SITE(from_scratch)
CONNSTATE_INVARIANT_SITE(slot_consistency)
CONNSTATE_INVARIANT_SITE(derivation_paths)
CONNSTATE_INVARIANT_SITE(event_needs_change)
CONNSTATE_INVARIANT_SITE(ice_task_order)
CONNSTATE_INVARIANT_SITE(nothing_after_close)
CONNSTATE_INVARIANT_SITE(closed_absorbing)
CONNSTATE_INVARIANT_SITE(permutation)
CONNSTATE_INVARIANT_SITE(fast_path)
CONNSTATE_INVARIANT_SITE(enums)
#undef CONNSTATE_INVARIANT_SITE

std::string show(const std::optional<PeerConnectionState>& s) { return s ? std::string(to_string(*s)) : "null"; }

std::string describe(const Event& e) {
  std::string target = "pc";
  if (e.type == EventType::IceTransportStateChange) target = "ice:" + transport_name(e.transport);
  if (e.type == EventType::DtlsTransportStateChange) target = "dtls:" + transport_name(e.transport);
  return target + " " + std::string(e.type_name()) + " " + std::string(e.state_name()) + " (task " +
         std::to_string(e.task) + ")";
}

// What one model looks like between steps.
struct View {
  bool closed = false;
  IceConnectionState ics = IceConnectionState::New;
  std::optional<PeerConnectionState> pcs;
  std::array<bool, kFuzzTransports> live{};
  std::array<IceTransportState, kFuzzTransports> ice{};
  std::array<DtlsTransportState, kFuzzTransports> dtls{};
};

CONNSTATE_UNINSTRUMENTED View view_of(const PeerConnectionModel& m) {
  View v;
  v.closed = m.is_closed();
  v.ics = m.ice_connection_state();
  v.pcs = m.connection_state();
  for (TransportId t = 0; t < kFuzzTransports; ++t) {
    v.live[t] = m.has_transport(t);
    v.ice[t] = m.ice_state(t);
    v.dtls[t] = m.dtls_state(t);
  }
  return v;
}

// What the derivation paths give for one snapshot (Checker::checked_snapshot).
struct SnapshotFacts {
  Derivation derivation;
  Presence presence;
};

// Snapshots checked in the current input (at most one per step plus the start: 257), open addressing.
// Entries of earlier inputs carry an older generation, so nothing is cleared between inputs.
struct MemoEntry {
  std::uint64_t generation = 0;
  std::uint64_t key = 0;
  bool closed = false;
  SnapshotFacts facts{};
};
std::array<MemoEntry, 1024> memo;
std::uint64_t memo_generations = 0;

// derive_states() is reference code in a header: called from here it stays instrumented.
[[gnu::noinline]] PackedStates derive_states_out_of_line(Profile profile, bool closed, std::span<const TransportState> ts) {
  return derive_states(profile, closed, ts);
}

bool same_events(const Events& a, const Events& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k].type != b[k].type || a[k].state != b[k].state || a[k].task != b[k].task || a[k].transport != b[k].transport)
      return false;
  return true;
}

class Checker {
 public:
  explicit Checker(const Sequence& seq) : seq_(seq) {}

  CONNSTATE_UNINSTRUMENTED void run() {
    PeerConnectionModel model(seq_.profile, seq_.options), permuted(seq_.profile, seq_.options);
    View before = view_of(model);
    for (i_ = 0; i_ < seq_.steps.size(); ++i_) {
      const Step& step = seq_.steps[i_];
      const StepResult r = model.apply(step);
      const View after = view_of(model);
      if (step.kind == StepKind::Add && r.outcome == StepOutcome::Applied) sctp_[step.transport] = step.sctp_only;
      events_ = &r.events;

      if (!r.ok()) fail(invariant_decoder_validity, "step outcome " + std::string(to_string(r.outcome)));
      check_enums(r, after);
      check_close(step, r, before, after);
      check_event_changes(step, r, before, after);
      check_order(step, r, before);
      check_derivation(model, step, r, after);
      check_permutation(permuted, step, r, after);
      before = after;
    }
  }

 private:
  [[noreturn]] void fail(void (*site)(const std::string&), const std::string& what) const {
    std::string report = "==connstate== fuzz_model: " + what + "\nsequence: " + describe_header(seq_) + "\n";
    for (std::size_t k = 0; k < seq_.steps.size() && k <= i_; ++k)
      report += "  step " + std::to_string(k) + ": " + describe_step(seq_.steps[k]) + (k == i_ ? "   <-- here" : "") + "\n";
    if (events_) {
      report += "events of this step:";
      if (events_->empty()) report += " (none)";
      for (const Event& e : *events_) report += "\n  " + describe(e);
      report += "\n";
    }
    site(report);
    std::abort();
  }

  // The live transports in id order; fixed storage, because this runs after every step (a vector's
  // allocations were a tenth of the target's time).
  struct Snapshot {
    std::array<TransportState, kFuzzTransports> storage{};
    std::size_t size = 0;
    std::span<const TransportState> view() const { return {storage.data(), size}; }
  };
  CONNSTATE_UNINSTRUMENTED Snapshot snapshot(const View& v) const {
    Snapshot s;
    for (TransportId t = 0; t < kFuzzTransports; ++t)
      if (v.live[t]) s.storage[s.size++] = {v.ice[t], v.dtls[t], sctp_[t]};
    return s;
  }
  // The same list as one number, a byte per transport (a marker bit, SCTP-only, ICE and DTLS state).
  CONNSTATE_UNINSTRUMENTED std::uint64_t snapshot_key(const View& v) const {
    std::uint64_t key = 0;
    for (TransportId t = 0; t < kFuzzTransports; ++t)
      if (v.live[t])
        key = key << 8 | 0x80u | (sctp_[t] ? 0x40u : 0u) | static_cast<unsigned>(v.ice[t]) << 3 | static_cast<unsigned>(v.dtls[t]);
    return key;
  }

  CONNSTATE_UNINSTRUMENTED void check_enums(const StepResult& r, const View& after) const {
    if (static_cast<unsigned>(after.ics) >= enum_count<IceConnectionState>) fail(invariant_enums, "iceConnectionState out of range");
    if (after.pcs && static_cast<unsigned>(*after.pcs) >= enum_count<PeerConnectionState>)
      fail(invariant_enums, "connectionState out of range");
    if (!after.pcs && seq_.profile != Profile::Rec2021) fail(invariant_enums, "connectionState undefined outside rec-2021");
    static constexpr std::array<std::size_t, 4> kCounts = {7, 5, 7, 6};
    for (const Event& e : r.events) {
      if (static_cast<unsigned>(e.type) > 3) fail(invariant_enums, "event type out of range");
      if (e.state >= kCounts[static_cast<unsigned>(e.type)]) fail(invariant_enums, "event state out of range: " + describe(e));
      if (!e.is_pc_event() && e.transport >= kFuzzTransports) fail(invariant_enums, "event for transport out of range");
    }
  }

  CONNSTATE_UNINSTRUMENTED void check_close(const Step& step, const StepResult& r, const View& before, const View& after) const {
    if (before.closed) {
      if (r.outcome != StepOutcome::IgnoredAfterClose) fail(invariant_nothing_after_close, "a step after close() was not ignored");
      if (!r.events.empty()) fail(invariant_nothing_after_close, "a step after close() fired events");
    }
    if (step.kind == StepKind::Close && !before.closed && !seq_.options.events_on_close && !r.events.empty())
      fail(invariant_nothing_after_close, "close() fired events without events_on_close");
    if (after.closed) {
      if (after.ics != IceConnectionState::Closed || after.pcs != PeerConnectionState::Closed)
        fail(invariant_closed_absorbing, "closed, but iceConnectionState " + std::string(to_string(after.ics)) +
                                             ", connectionState " + show(after.pcs));
      for (TransportId t = 0; t < kFuzzTransports; ++t)
        if (after.live[t] && (after.ice[t] != IceTransportState::Closed || after.dtls[t] != DtlsTransportState::Closed))
          fail(invariant_closed_absorbing, "closed, but transport " + transport_name(t) + " is not");
      if (before.closed && (before.live != after.live)) fail(invariant_closed_absorbing, "the transport set changed after close()");
    }
  }

  CONNSTATE_UNINSTRUMENTED void check_event_changes(const Step& step, const StepResult& r, const View& before, const View& after) const {
    int ice_events = 0, dtls_events = 0, ics_events = 0, pcs_events = 0;
    std::optional<PeerConnectionState> running = before.pcs;
    std::optional<PeerConnectionState> last_pcs_event;
    for (const Event& e : r.events) {
      switch (e.type) {
        case EventType::IceTransportStateChange: {
          ++ice_events;
          const auto s = static_cast<IceTransportState>(e.state);
          if (e.transport != step.transport || before.ice[e.transport] == s || after.ice[e.transport] != s)
            fail(invariant_event_needs_change, "ICE statechange without that change: " + describe(e));
          break;
        }
        case EventType::DtlsTransportStateChange: {
          ++dtls_events;
          const auto s = static_cast<DtlsTransportState>(e.state);
          if (e.transport != step.transport || before.dtls[e.transport] == s || after.dtls[e.transport] != s)
            fail(invariant_event_needs_change, "DTLS statechange without that change: " + describe(e));
          break;
        }
        case EventType::IceConnectionStateChange:
          ++ics_events;
          if (static_cast<IceConnectionState>(e.state) != after.ics || before.ics == after.ics)
            fail(invariant_event_needs_change, "iceconnectionstatechange without that change: " + describe(e));
          break;
        case EventType::ConnectionStateChange: {
          ++pcs_events;
          const auto s = static_cast<PeerConnectionState>(e.state);
          if (running == s) fail(invariant_event_needs_change, "connectionstatechange to the value it had: " + describe(e));
          running = s;
          last_pcs_event = s;
          break;
        }
      }
    }
    if (ice_events > 1 || dtls_events > 1 || ics_events > 1 || pcs_events > 2)
      fail(invariant_event_needs_change, "too many events of one type in a step");
    if (last_pcs_event && after.pcs && last_pcs_event != after.pcs)
      fail(invariant_event_needs_change, "the last connectionstatechange carries " + show(last_pcs_event) +
                                             " but connectionState reads " + show(after.pcs));
    if (pcs_events > 0 && step.kind == StepKind::Add && !seq_.options.rederive_on_set_change)
      fail(invariant_event_needs_change, "add fired connectionstatechange without rederive_on_set_change");
    // A change does fire (close() only with events_on_close).
    const bool silent_close = step.kind == StepKind::Close && !seq_.options.events_on_close;
    if (!before.closed && !silent_close) {
      if (before.ics != after.ics && ics_events != 1)
        fail(invariant_event_needs_change, "iceConnectionState changed without iceconnectionstatechange");
      if (after.pcs && before.pcs != after.pcs && pcs_events == 0)
        fail(invariant_event_needs_change, "connectionState changed without connectionstatechange");
      const bool transport_step = step.kind == StepKind::Ice || step.kind == StepKind::Dtls || step.kind == StepKind::Remove;
      if (transport_step) {
        const TransportId t = step.transport;
        if (before.ice[t] != after.ice[t] && ice_events != 1) fail(invariant_event_needs_change, "ICE state changed silently");
        if (before.dtls[t] != after.dtls[t] && dtls_events != 1) fail(invariant_event_needs_change, "DTLS state changed silently");
      }
    }
  }

  CONNSTATE_UNINSTRUMENTED void check_order(const Step& step, const StepResult& r, const View& before) const {
    std::uint8_t last_task = 0;
    for (const Event& e : r.events) {
      if (e.task < last_task) fail(invariant_ice_task_order, "a task went backwards");
      last_task = e.task;
    }
    const Events& ev = r.events;
    switch (step.kind) {
      case StepKind::Ice: {
        if (ev.empty()) break;
        if (ev[0].type != EventType::IceTransportStateChange) fail(invariant_ice_task_order, "the ICE task did not start with statechange");
        int last_rank = -1;
        for (const Event& e : ev) {
          const int rank = e.type == EventType::IceTransportStateChange   ? 0
                           : e.type == EventType::IceConnectionStateChange ? 1
                           : e.type == EventType::ConnectionStateChange    ? 2
                                                                           : 3;
          if (rank <= last_rank || rank == 3) fail(invariant_ice_task_order, "ICE task events out of order");
          last_rank = rank;
        }
        break;
      }
      case StepKind::Dtls: {
        if (ev.empty()) break;
        if (ev[0].type != EventType::DtlsTransportStateChange) fail(invariant_ice_task_order, "the DTLS task did not start with statechange");
        for (std::size_t k = 1; k < ev.size(); ++k) {
          if (ev[k].type != EventType::ConnectionStateChange || k > 1)
            fail(invariant_ice_task_order, "a DTLS change fired " + describe(ev[k]));
          if (ev[k].task <= ev[0].task) fail(invariant_ice_task_order, "connectionstatechange in the DTLS task itself");
        }
        break;
      }
      case StepKind::Remove: {
        std::optional<std::size_t> dtls_close, ice_close;
        for (std::size_t k = 0; k < ev.size(); ++k) {
          if (ev[k].type == EventType::DtlsTransportStateChange) dtls_close = k;
          if (ev[k].type == EventType::IceTransportStateChange) ice_close = k;
          if (ev[k].type == EventType::IceConnectionStateChange && !ice_close && !seq_.options.rederive_on_set_change)
            fail(invariant_ice_task_order, "iceconnectionstatechange before the ICE close on removal");
        }
        if (dtls_close && ice_close && *dtls_close > *ice_close) fail(invariant_ice_task_order, "ICE closed before DTLS on removal");
        if (!before.closed && before.dtls[step.transport] != DtlsTransportState::Closed && !dtls_close)
          fail(invariant_ice_task_order, "removal without the DTLS close event");
        if (!before.closed && before.ice[step.transport] != IceTransportState::Closed && !ice_close)
          fail(invariant_ice_task_order, "removal without the ICE close event");
        break;
      }
      case StepKind::Add:
        for (const Event& e : ev)
          if (!e.is_pc_event()) fail(invariant_ice_task_order, "add fired a transport event");
        break;
      case StepKind::Close:
        for (const Event& e : ev)
          if (!e.is_pc_event()) fail(invariant_ice_task_order, "close() fired a transport event");
        break;
    }
  }

  CONNSTATE_UNINSTRUMENTED void check_derivation(const PeerConnectionModel& m, const Step& step, const StepResult& r, const View& after) {
    const SnapshotFacts& facts = checked_snapshot(after);
    const Derivation& d = facts.derivation;
    if (!after.closed && !(m.presence() == facts.presence))
      fail(invariant_derivation_paths, "model presence differs from presence_of()");

    // From scratch.
    const bool ice_task_ran = step.kind == StepKind::Ice && !r.events.empty();
    if (seq_.options.rederive_on_set_change || ice_task_ran || after.closed) {
      if (after.ics != d.ice_connection_state || after.pcs != d.connection_state)
        fail(invariant_from_scratch, "model " + std::string(to_string(after.ics)) + "/" + show(after.pcs) +
                                         ", derived from scratch " + std::string(to_string(d.ice_connection_state)) +
                                         "/" + show(d.connection_state));
    }
    // connectionState follows the slot whenever a task that sets it ran.
    const bool dtls_task_ran = step.kind == StepKind::Dtls && !r.events.empty();
    if ((ice_task_ran || dtls_task_ran) && !after.closed) {
      const auto from_slot = derive_connection_state(seq_.profile, false, after.ics, m.presence());
      if (from_slot != after.pcs)
        fail(invariant_slot_consistency, "connectionState " + show(after.pcs) + ", from the slot " + show(from_slot));
    }
  }

  // The derivation paths agree on a snapshot, and derive() does not depend on its order. These are
  // pure functions of the snapshot, so a snapshot already checked in this input (after a step that
  // changed nothing, a state changed and changed back, every step after close()) is looked up
  // instead of checked again.
  CONNSTATE_UNINSTRUMENTED const SnapshotFacts& checked_snapshot(const View& after) {
    const std::uint64_t key = snapshot_key(after);
    const bool closed = after.closed;
    std::size_t slot = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15u) >> 55) << 1 | (closed ? 1u : 0u);
    for (; memo[slot].generation == generation_; slot = (slot + 1) % memo.size())
      if (memo[slot].key == key && memo[slot].closed == closed) return memo[slot].facts;
    memo[slot] = {generation_, key, closed, check_snapshot(closed, snapshot(after))};
    return memo[slot].facts;
  }

  CONNSTATE_UNINSTRUMENTED SnapshotFacts check_snapshot(bool closed, const Snapshot& snap) const {
    const std::span<const TransportState> ts = snap.view();
    const Derivation d = derive(seq_.profile, closed, ts);
    const Presence p = presence_of(seq_.profile, ts);
    if (!(derive_by_rules(seq_.profile, closed, p) == d))
      fail(invariant_derivation_paths, "derive_by_rules() differs from derive()");
    const PackedStates fast = derive_states_out_of_line(seq_.profile, closed, ts);
    if (fast.ice_connection_state() != d.ice_connection_state || fast.connection_state() != d.connection_state)
      fail(invariant_derivation_paths, "derive_states() differs from derive()");
    if (!(explain(seq_.profile, closed, ts).derivation == d)) fail(invariant_derivation_paths, "explain() differs from derive()");
    // (A list that reads the same reversed — no transport, one, all alike — is the same input.)
    Snapshot reversed = snap;
    std::reverse(reversed.storage.begin(), reversed.storage.begin() + static_cast<std::ptrdiff_t>(reversed.size));
    if (reversed.storage != snap.storage && !(derive(seq_.profile, closed, reversed.view()) == d))
      fail(invariant_permutation, "derive() depends on transport order");
    return {d, p};
  }

  // The replica runs the renamed step through apply_by_tasks(), so it checks the renaming and the
  // fast path of apply() at once; fail_renamed() tells which one differs.
  CONNSTATE_UNINSTRUMENTED void check_permutation(PeerConnectionModel& permuted, const Step& step, const StepResult& r, const View& after) const {
    Step ps = step;
    if (ps.kind != StepKind::Close) ps.transport = permute_transport(seq_.permutation, step.transport);
    const StepResult pr = permuted.apply_by_tasks(ps);
    if (pr.outcome != r.outcome || pr.events.size() != r.events.size())
      fail_renamed("renamed transports: another outcome or event count");
    for (std::size_t k = 0; k < r.events.size(); ++k) {
      Event e = r.events[k];
      if (!e.is_pc_event()) e.transport = permute_transport(seq_.permutation, e.transport);
      const Event& q = pr.events[k];
      if (q.type != e.type || q.state != e.state || q.task != e.task || (!e.is_pc_event() && q.transport != e.transport))
        fail_renamed("renamed transports: " + describe(q) + " instead of " + describe(e));
    }
    if (permuted.ice_connection_state() != after.ics || permuted.connection_state() != after.pcs)
      fail_renamed("renamed transports: other states");
  }

  // Replays the steps so far through apply() and apply_by_tasks() under the same names: if they
  // part, the fast path is wrong; if not, the renaming changed the outcome.
  [[noreturn]] void fail_renamed(const std::string& what) const {
    PeerConnectionModel fast(seq_.profile, seq_.options), by_tasks(seq_.profile, seq_.options);
    for (std::size_t k = 0; k <= i_; ++k) {
      const StepResult a = fast.apply(seq_.steps[k]), b = by_tasks.apply_by_tasks(seq_.steps[k]);
      if (a.outcome != b.outcome || !same_events(a.events, b.events) ||
          fast.ice_connection_state() != by_tasks.ice_connection_state() ||
          fast.connection_state() != by_tasks.connection_state())
        fail(invariant_fast_path, "apply() and apply_by_tasks() differ at step " + std::to_string(k) + " (" + what + ")");
    }
    fail(invariant_permutation, what);
  }

  const Sequence& seq_;
  std::size_t i_ = 0;
  const Events* events_ = nullptr;
  std::array<bool, kFuzzTransports> sctp_{};
  const std::uint64_t generation_ = ++memo_generations;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Budget guard: at most kMaxSteps steps (every state of 8 transports is reachable in far
  // fewer; longer inputs only slow each execution down).
  if (size > kMaxInputSize) return -1;
  const Sequence seq = decode(std::span<const std::uint8_t>(data, size));
  Checker(seq).run();
  return 0;
}
