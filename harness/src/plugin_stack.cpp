// plugin_stack.cpp — `plugin:<path.so>`: a stack under test loaded in-process through the C ABI.
//
// Everything a plugin returns is checked (status values, state ranges, event counts
// and types) so that a plugin returning garbage gets `error` verdicts; a plugin that
// crashes cannot be contained in-process (docs/adapter-protocol.md says so). Snapshots go
// to ABI 2's evaluate_batch when the plugin has it (one call per batch, not per snapshot),
// else to evaluate one by one.
#include <cstring>

#include "connstate/harness/plugin_library.h"
#include "connstate/harness/stack.h"

namespace connstate::harness {
namespace {

constexpr std::size_t kMessageSize = 512;
constexpr std::size_t kMaxEvents = 16;

bool in_range(int32_t v, std::size_t count, bool allow_undefined) {
  return (allow_undefined && v == CONNSTATE_UNDEFINED) || (v >= 0 && static_cast<std::size_t>(v) < count);
}

bool states_in_range(const connstate_states& out) {
  return in_range(out.connection_state, 6, true) && in_range(out.ice_connection_state, 7, true);
}

// The states of a valid answer (states_in_range) as enums.
SnapshotStates typed_states(const connstate_states& out) {
  SnapshotStates s;
  if (out.connection_state != CONNSTATE_UNDEFINED)
    s.connection_state = static_cast<PeerConnectionState>(out.connection_state);
  if (out.ice_connection_state != CONNSTATE_UNDEFINED)
    s.ice_connection_state = static_cast<IceConnectionState>(out.ice_connection_state);
  return s;
}

SnapshotAnswer to_answer(int status, const connstate_states& out, const char* msg) {
  SnapshotAnswer a;
  if (status == CONNSTATE_UNSUPPORTED || status == CONNSTATE_ERROR) {
    a.status = status == CONNSTATE_UNSUPPORTED ? AnswerStatus::Unsupported : AnswerStatus::Error;
    a.message = plugin_message(msg, kMessageSize);
  } else if (status != CONNSTATE_OK) {
    a.status = AnswerStatus::Error;
    a.message = "plugin returned status " + std::to_string(status);
  } else if (!states_in_range(out)) {
    a.status = AnswerStatus::Error;
    a.message = "plugin returned states out of range (" + std::to_string(out.connection_state) + ", " +
                std::to_string(out.ice_connection_state) + ")";
  } else {
    const SnapshotStates s = typed_states(out);
    if (s.connection_state) a.states.connection_state = std::string(to_string(*s.connection_state));
    if (s.ice_connection_state) a.states.ice_connection_state = std::string(to_string(*s.ice_connection_state));
  }
  return a;
}

// One event as the runner's text, or the reason it is garbage (`problem`).
std::string event_text(const connstate_event& e, const Case& c, std::string& problem) {
  switch (e.type) {
    case CONNSTATE_EVENT_ICE_STATECHANGE:
    case CONNSTATE_EVENT_DTLS_STATECHANGE: {
      const bool ice = e.type == CONNSTATE_EVENT_ICE_STATECHANGE;
      if (e.transport < 0 || static_cast<std::size_t>(e.transport) >= c.transport_names.size()) {
        problem = "event for unknown transport " + std::to_string(e.transport);
      } else if (!in_range(e.state, ice ? 7 : 5, false)) {
        problem = "event state " + std::to_string(e.state) + " out of range";
      } else {
        return (ice ? "ice:" : "dtls:") + c.transport_names[e.transport] + " statechange " +
               std::string(ice ? to_string(static_cast<IceTransportState>(e.state))
                               : to_string(static_cast<DtlsTransportState>(e.state)));
      }
      return {};
    }
    case CONNSTATE_EVENT_ICECONNECTIONSTATECHANGE:
      if (in_range(e.state, 7, false))
        return "pc iceconnectionstatechange " + std::string(to_string(static_cast<IceConnectionState>(e.state)));
      problem = "iceconnectionstatechange state out of range";
      return {};
    case CONNSTATE_EVENT_CONNECTIONSTATECHANGE:
      if (in_range(e.state, 6, false))
        return "pc connectionstatechange " + std::string(to_string(static_cast<PeerConnectionState>(e.state)));
      problem = "connectionstatechange state out of range";
      return {};
    default: problem = "unknown event type " + std::to_string(e.type); return {};
  }
}

class PluginStack final : public StackUnderTest {
 public:
  explicit PluginStack(const std::string& path) : plugin_(path), table_(plugin_.table()) {
    info_.sut = "plugin:" + path;
    info_.name = table_.name;
    info_.version = table_.version;
    info_.homepage = table_.homepage ? table_.homepage : "";
    info_.issues = table_.issues ? table_.issues : "";
    info_.supports_evaluate = plugin_.supports_evaluate();
    info_.supports_sequence = plugin_.supports_sequence();
  }
  const StackInfo& info() const override { return info_; }

  void evaluate(std::span<const Case* const> cases, std::span<SnapshotAnswer> answers) override {
    views_.clear();
    for (const Case* c : cases) views_.push_back({c->closed, c->transports});
    if (!call_batch(views_)) {
      for (std::size_t i = 0; i < cases.size(); ++i) answers[i] = evaluate_one(*cases[i]);
      return;
    }
    const char no_message[1] = {0};
    for (std::size_t i = 0; i < cases.size(); ++i) answers[i] = to_answer(CONNSTATE_OK, batch_out_[i], no_message);
  }

  void evaluate_states(std::span<const SnapshotView> snapshots, std::span<SnapshotStates> answers) override {
    if (!call_batch(snapshots)) {
      for (std::size_t i = 0; i < snapshots.size(); ++i) answers[i] = evaluate_one_typed(snapshots[i]);
      return;
    }
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      const connstate_states& out = batch_out_[i];
      answers[i] = states_in_range(out) ? typed_states(out) : SnapshotStates{AnswerStatus::Error, {}, {}};
    }
  }

  SequenceAnswer run_sequence(const Case& c) override;

 private:
  SnapshotAnswer evaluate_one(const Case& c) {
    connstate_states out{-2, -2};
    char msg[kMessageSize] = {0};
    const int status = call_evaluate({c.closed, c.transports}, out, msg);
    return to_answer(status, out, msg);
  }

  SnapshotStates evaluate_one_typed(const SnapshotView& snapshot) {
    connstate_states out{-2, -2};
    char msg[kMessageSize] = {0};
    const int status = call_evaluate(snapshot, out, msg);
    if (status == CONNSTATE_UNSUPPORTED) return {AnswerStatus::Unsupported, {}, {}};
    if (status != CONNSTATE_OK || !states_in_range(out)) return {AnswerStatus::Error, {}, {}};
    return typed_states(out);
  }

  int call_evaluate(const SnapshotView& snapshot, connstate_states& out, char (&msg)[kMessageSize]) {
    ts_.clear();
    for (const auto& t : snapshot.transports)
      ts_.push_back({static_cast<int32_t>(t.ice), static_cast<int32_t>(t.dtls), t.sctp_only ? 1 : 0});
    return table_.evaluate(table_.self, snapshot.closed ? 1 : 0, ts_.data(), ts_.size(), &out, msg, kMessageSize);
  }

  // The whole span through evaluate_batch into batch_out_; false when the plugin has no batch
  // entry or declined the batch (the caller then asks snapshot by snapshot).
  bool call_batch(std::span<const SnapshotView> snapshots) {
    if (!plugin_.has_evaluate_batch() || snapshots.empty()) return false;
    closed_.resize(snapshots.size());
    first_transport_.resize(snapshots.size() + 1);
    std::size_t total = 0;
    for (const SnapshotView& s : snapshots) total += s.transports.size();
    ts_.resize(total);
    std::size_t at = 0;
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      closed_[i] = snapshots[i].closed ? 1 : 0;
      first_transport_[i] = at;
      for (const auto& t : snapshots[i].transports)
        ts_[at++] = {static_cast<int32_t>(t.ice), static_cast<int32_t>(t.dtls), t.sctp_only ? 1 : 0};
    }
    first_transport_[snapshots.size()] = at;
    batch_out_.assign(snapshots.size(), connstate_states{-2, -2});  // unwritten answers read as garbage
    char msg[kMessageSize] = {0};
    return table_.evaluate_batch(table_.self, snapshots.size(), closed_.data(), ts_.data(), first_transport_.data(),
                                 batch_out_.data(), msg, sizeof msg) == CONNSTATE_OK;
  }

  PluginLibrary plugin_;
  const connstate_plugin& table_;
  StackInfo info_;
  // Reused between calls: no allocation per batch once they have grown.
  std::vector<connstate_transport> ts_;
  std::vector<std::uint8_t> closed_;
  std::vector<std::size_t> first_transport_;
  std::vector<connstate_states> batch_out_;
  std::vector<SnapshotView> views_;
};

SequenceAnswer PluginStack::run_sequence(const Case& c) {
  SequenceAnswer a;
  char msg[kMessageSize] = {0};
  void* pc = nullptr;
  const uint32_t options = (c.options.rederive_on_set_change ? CONNSTATE_OPTION_REDERIVE_ON_SET_CHANGE : 0u) |
                           (c.options.events_on_close ? CONNSTATE_OPTION_EVENTS_ON_CLOSE : 0u);
  const int created = table_.create(table_.self, options, &pc, msg, sizeof msg);
  if (created != CONNSTATE_OK || !pc) {
    a.status = created == CONNSTATE_UNSUPPORTED ? AnswerStatus::Unsupported : AnswerStatus::Error;
    a.message = created == CONNSTATE_OK ? "create returned OK but no peer connection" : plugin_message(msg, sizeof msg);
    return a;
  }
  connstate_event events[kMaxEvents];
  for (const SequenceStep& s : c.steps) {
    std::size_t n = 0;
    connstate_states out{-2, -2};
    msg[0] = 0;
    const int status = table_.step(table_.self, pc, static_cast<int32_t>(s.step.kind), s.step.transport, s.step.state,
                                   s.step.sctp_only ? 1 : 0, events, kMaxEvents, &n, &out, msg, sizeof msg);
    if (status != CONNSTATE_OK) {
      a.status = status == CONNSTATE_UNSUPPORTED ? AnswerStatus::Unsupported : AnswerStatus::Error;
      a.message = status == CONNSTATE_UNSUPPORTED || status == CONNSTATE_ERROR
                      ? plugin_message(msg, sizeof msg)
                      : "step returned status " + std::to_string(status);
      break;
    }
    StepOutcomeText t;
    std::string problem;
    if (n > kMaxEvents) problem = "step reported " + std::to_string(n) + " events into a buffer of 16";
    for (std::size_t k = 0; k < n && problem.empty(); ++k) {
      std::string text = event_text(events[k], c, problem);
      if (problem.empty()) t.events.push_back(std::move(text));
    }
    const SnapshotAnswer states = to_answer(CONNSTATE_OK, out, msg);
    if (problem.empty() && states.status != AnswerStatus::Ok) problem = states.message;
    if (!problem.empty()) {
      a.status = AnswerStatus::Error;
      a.message = "plugin returned garbage at step " + std::to_string(a.steps.size()) + ": " + problem;
      break;
    }
    t.states = states.states;
    a.steps.push_back(std::move(t));
  }
  table_.destroy(table_.self, pc);
  return a;
}

}  // namespace

std::unique_ptr<StackUnderTest> make_plugin_stack(const std::string& path) { return std::make_unique<PluginStack>(path); }

}  // namespace connstate::harness
