// plugin_stack.cpp — `plugin:<path.so>`: a stack under test loaded in-process through the C ABI.
//
// Everything a plugin returns is checked (status values, state ranges, event counts
// and types) so that a plugin returning garbage gets `error` verdicts; a plugin that
// crashes cannot be contained in-process (docs/adapter-protocol.md says so).
#include <dlfcn.h>

#include <cstring>

#include "connstate/harness/stack.h"
#include "connstate/plugin.h"

namespace connstate::harness {
namespace {

constexpr std::size_t kMessageSize = 512;

std::optional<std::string> pc_state_name(int32_t v) {
  if (v == CONNSTATE_UNDEFINED) return std::nullopt;
  return std::string(to_string(static_cast<PeerConnectionState>(v)));
}

bool in_range(int32_t v, std::size_t count, bool allow_undefined) {
  return (allow_undefined && v == CONNSTATE_UNDEFINED) || (v >= 0 && static_cast<std::size_t>(v) < count);
}

std::string message_of(const char* buf) {
  std::string m(buf, strnlen(buf, kMessageSize));
  return m.empty() ? std::string("(no message)") : m;
}

class PluginStack final : public StackUnderTest {
 public:
  explicit PluginStack(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw StackError("cannot load plugin " + path + ": " + dlerror());
    auto entry = reinterpret_cast<connstate_plugin_entry>(dlsym(handle_, CONNSTATE_PLUGIN_ENTRY));
    if (!entry) throw StackError(path + " does not export " CONNSTATE_PLUGIN_ENTRY);
    plugin_ = entry();
    if (!plugin_) throw StackError(path + ": " CONNSTATE_PLUGIN_ENTRY " returned NULL");
    if (plugin_->abi_version != CONNSTATE_PLUGIN_ABI_VERSION)
      throw StackError(path + ": plugin ABI version " + std::to_string(plugin_->abi_version) + ", expected " +
                       std::to_string(CONNSTATE_PLUGIN_ABI_VERSION));
    info_.sut = "plugin:" + path;
    info_.name = plugin_->name ? plugin_->name : "";
    info_.version = plugin_->version ? plugin_->version : "";
    info_.homepage = plugin_->homepage ? plugin_->homepage : "";
    info_.issues = plugin_->issues ? plugin_->issues : "";
    if (info_.name.empty() || info_.version.empty()) throw StackError(path + ": plugin has no name or version");
    info_.supports_evaluate = (plugin_->supports & CONNSTATE_SUPPORTS_EVALUATE) && plugin_->evaluate;
    info_.supports_sequence =
        (plugin_->supports & CONNSTATE_SUPPORTS_SEQUENCE) && plugin_->create && plugin_->destroy && plugin_->step;
  }
  ~PluginStack() override {
    if (handle_) dlclose(handle_);
  }
  const StackInfo& info() const override { return info_; }

  void evaluate(std::span<const Case* const> cases, std::span<SnapshotAnswer> answers) override {
    std::vector<connstate_transport> ts;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = *cases[i];
      ts.clear();
      for (const auto& t : c.transports)
        ts.push_back({static_cast<int32_t>(t.ice), static_cast<int32_t>(t.dtls), t.sctp_only ? 1 : 0});
      connstate_states out{-2, -2};
      char msg[kMessageSize] = {0};
      const int status = plugin_->evaluate(plugin_->self, c.closed ? 1 : 0, ts.data(), ts.size(), &out, msg, sizeof msg);
      answers[i] = to_answer(status, out, msg);
    }
  }

  SequenceAnswer run_sequence(const Case& c) override {
    SequenceAnswer a;
    char msg[kMessageSize] = {0};
    void* pc = nullptr;
    uint32_t options = (c.options.rederive_on_set_change ? CONNSTATE_OPTION_REDERIVE_ON_SET_CHANGE : 0u) |
                       (c.options.events_on_close ? CONNSTATE_OPTION_EVENTS_ON_CLOSE : 0u);
    const int created = plugin_->create(plugin_->self, options, &pc, msg, sizeof msg);
    if (created != CONNSTATE_OK || !pc) {
      a.status = created == CONNSTATE_UNSUPPORTED ? AnswerStatus::Unsupported : AnswerStatus::Error;
      a.message = created == CONNSTATE_OK ? "create returned OK but no peer connection" : message_of(msg);
      return a;
    }
    connstate_event events[16];
    for (const SequenceStep& s : c.steps) {
      std::size_t n = 0;
      connstate_states out{-2, -2};
      msg[0] = 0;
      const int status = plugin_->step(plugin_->self, pc, static_cast<int32_t>(s.step.kind), s.step.transport,
                                       s.step.state, s.step.sctp_only ? 1 : 0, events, 16, &n, &out, msg, sizeof msg);
      if (status != CONNSTATE_OK) {
        a.status = status == CONNSTATE_UNSUPPORTED ? AnswerStatus::Unsupported : AnswerStatus::Error;
        a.message = status == CONNSTATE_UNSUPPORTED || status == CONNSTATE_ERROR
                        ? message_of(msg)
                        : "step returned status " + std::to_string(status);
        break;
      }
      StepOutcomeText t;
      std::string problem;
      if (n > 16) problem = "step reported " + std::to_string(n) + " events into a buffer of 16";
      for (std::size_t k = 0; k < n && problem.empty(); ++k) {
        const auto& e = events[k];
        switch (e.type) {
          case CONNSTATE_EVENT_ICE_STATECHANGE:
          case CONNSTATE_EVENT_DTLS_STATECHANGE: {
            const bool ice = e.type == CONNSTATE_EVENT_ICE_STATECHANGE;
            if (e.transport < 0 || static_cast<std::size_t>(e.transport) >= c.transport_names.size()) {
              problem = "event for unknown transport " + std::to_string(e.transport);
            } else if (!in_range(e.state, ice ? 7 : 5, false)) {
              problem = "event state " + std::to_string(e.state) + " out of range";
            } else {
              t.events.push_back((ice ? "ice:" : "dtls:") + c.transport_names[e.transport] + " statechange " +
                                 std::string(ice ? to_string(static_cast<IceTransportState>(e.state))
                                                 : to_string(static_cast<DtlsTransportState>(e.state))));
            }
            break;
          }
          case CONNSTATE_EVENT_ICECONNECTIONSTATECHANGE:
            if (!in_range(e.state, 7, false)) problem = "iceconnectionstatechange state out of range";
            else t.events.push_back("pc iceconnectionstatechange " +
                                    std::string(to_string(static_cast<IceConnectionState>(e.state))));
            break;
          case CONNSTATE_EVENT_CONNECTIONSTATECHANGE:
            if (!in_range(e.state, 6, false)) problem = "connectionstatechange state out of range";
            else t.events.push_back("pc connectionstatechange " +
                                    std::string(to_string(static_cast<PeerConnectionState>(e.state))));
            break;
          default: problem = "unknown event type " + std::to_string(e.type);
        }
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
    plugin_->destroy(plugin_->self, pc);
    return a;
  }

 private:
  static SnapshotAnswer to_answer(int status, const connstate_states& out, const char* msg) {
    SnapshotAnswer a;
    if (status == CONNSTATE_UNSUPPORTED) {
      a.status = AnswerStatus::Unsupported;
      a.message = message_of(msg);
    } else if (status == CONNSTATE_ERROR) {
      a.status = AnswerStatus::Error;
      a.message = message_of(msg);
    } else if (status != CONNSTATE_OK) {
      a.status = AnswerStatus::Error;
      a.message = "plugin returned status " + std::to_string(status);
    } else if (!in_range(out.connection_state, 6, true) || !in_range(out.ice_connection_state, 7, true)) {
      a.status = AnswerStatus::Error;
      a.message = "plugin returned states out of range (" + std::to_string(out.connection_state) + ", " +
                  std::to_string(out.ice_connection_state) + ")";
    } else {
      a.states.connection_state = pc_state_name(out.connection_state);
      a.states.ice_connection_state =
          out.ice_connection_state == CONNSTATE_UNDEFINED
              ? std::nullopt
              : StateText(std::string(to_string(static_cast<IceConnectionState>(out.ice_connection_state))));
    }
    return a;
  }

  void* handle_ = nullptr;
  const connstate_plugin* plugin_ = nullptr;
  StackInfo info_;
};

}  // namespace

std::unique_ptr<StackUnderTest> make_plugin_stack(const std::string& path) { return std::make_unique<PluginStack>(path); }

}  // namespace connstate::harness
