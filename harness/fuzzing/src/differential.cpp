// differential.cpp — see differential.h.
#include "connstate/fuzzing/differential.h"

#include <array>
#include <cstdio>
#include <cstring>

#include "connstate/harness/args.h"
#include "connstate/harness/plugin_library.h"

namespace connstate::fuzz {

// --- the reference side ----------------------------------------------------------------------

namespace {
ObservedStep observed_states(const PeerConnectionModel& m) {
  ObservedStep s;
  const auto pcs = m.connection_state();
  s.connection_state = pcs ? static_cast<int>(*pcs) : kUndefinedState;
  s.ice_connection_state = static_cast<int>(m.ice_connection_state());
  return s;
}
}  // namespace

Observation reference_observation(const Sequence& seq) {
  Observation o;
  PeerConnectionModel m(seq.profile, seq.options);
  o.steps.reserve(seq.steps.size());
  for (const Step& step : seq.steps) {
    const StepResult r = m.apply(step);
    ObservedStep s = observed_states(m);
    for (const Event& e : r.events)
      s.events.push_back({e.type, e.is_pc_event() ? TransportId{0} : e.transport, e.state});
    o.steps.push_back(std::move(s));
  }
  return o;
}

// --- names -------------------------------------------------------------------------------------

namespace {
struct KindInfo {
  std::string_view signature, explanation;
};
constexpr std::array<KindInfo, kDiffKindCount> kKinds = {{
    {"stack_error", "the stack failed, declined mid-sequence or returned garbage on a valid step"},
    {"event_after_close", "an event at a step after close(): every later step must do nothing"},
    {"event_on_close", "close() fired an event; it sets every state to closed without events"},
    {"wrong_ice_connection_state", "iceConnectionState read after the step differs from the reference"},
    {"wrong_connection_state", "connectionState read after the step differs from the reference"},
    {"missing_ice_statechange", "an RTCIceTransport statechange the reference fires is missing"},
    {"extra_ice_statechange", "an RTCIceTransport statechange the reference does not fire"},
    {"wrong_ice_statechange", "an RTCIceTransport statechange with another transport or value"},
    {"missing_dtls_statechange", "an RTCDtlsTransport statechange the reference fires is missing"},
    {"extra_dtls_statechange", "an RTCDtlsTransport statechange the reference does not fire"},
    {"wrong_dtls_statechange", "an RTCDtlsTransport statechange with another transport or value"},
    {"missing_iceconnectionstatechange", "an iceconnectionstatechange the reference fires is missing"},
    {"extra_iceconnectionstatechange", "an iceconnectionstatechange the reference does not fire"},
    {"wrong_iceconnectionstatechange", "an iceconnectionstatechange with another value"},
    {"missing_connectionstatechange", "a connectionstatechange the reference fires is missing"},
    {"extra_connectionstatechange", "a connectionstatechange the reference does not fire"},
    {"wrong_connectionstatechange", "a connectionstatechange with another value"},
    {"wrong_event_order", "the events the reference fires, in another order"},
}};

std::string state_name(EventType type, std::uint8_t state) {
  switch (type) {
    case EventType::IceTransportStateChange:
      return state < 7 ? std::string(to_string(static_cast<IceTransportState>(state))) : "?";
    case EventType::DtlsTransportStateChange:
      return state < 5 ? std::string(to_string(static_cast<DtlsTransportState>(state))) : "?";
    case EventType::IceConnectionStateChange:
      return state < 7 ? std::string(to_string(static_cast<IceConnectionState>(state))) : "?";
    case EventType::ConnectionStateChange:
      return state < 6 ? std::string(to_string(static_cast<PeerConnectionState>(state))) : "?";
  }
  return "?";
}

std::string pcs_text(int v) {
  return v == kUndefinedState ? "null" : v >= 0 && v < 6 ? std::string(to_string(static_cast<PeerConnectionState>(v))) : "?";
}
std::string ics_text(int v) {
  return v == kUndefinedState ? "null" : v >= 0 && v < 7 ? std::string(to_string(static_cast<IceConnectionState>(v))) : "?";
}

std::string events_text(const std::vector<ObservedEvent>& events) {
  if (events.empty()) return "(no events)";
  std::string out;
  for (const auto& e : events) {
    if (!out.empty()) out += ", ";
    out += event_text(e);
  }
  return out;
}
}  // namespace

std::string_view signature(DiffKind kind) { return kKinds[static_cast<std::size_t>(kind)].signature; }
std::string_view explanation(DiffKind kind) { return kKinds[static_cast<std::size_t>(kind)].explanation; }

std::optional<DiffKind> parse_signature(std::string_view text) {
  for (std::size_t i = 0; i < kDiffKindCount; ++i)
    if (kKinds[i].signature == text) return static_cast<DiffKind>(i);
  return std::nullopt;
}

std::string event_text(const ObservedEvent& e) {
  switch (e.type) {
    case EventType::IceTransportStateChange:
      return "ice:" + transport_name(e.transport) + " statechange " + state_name(e.type, e.state);
    case EventType::DtlsTransportStateChange:
      return "dtls:" + transport_name(e.transport) + " statechange " + state_name(e.type, e.state);
    case EventType::IceConnectionStateChange: return "pc iceconnectionstatechange " + state_name(e.type, e.state);
    case EventType::ConnectionStateChange: return "pc connectionstatechange " + state_name(e.type, e.state);
  }
  return "?";
}

std::string step_outcome_text(const ObservedStep& s) {
  return events_text(s.events) + " -> connectionState " + pcs_text(s.connection_state) + ", iceConnectionState " +
         ics_text(s.ice_connection_state);
}

// --- comparison --------------------------------------------------------------------------------

namespace {

// The kinds for (missing, extra, wrong value) of each event type, in EventType order.
constexpr std::array<std::array<DiffKind, 3>, 4> kEventKinds = {{
    {DiffKind::MissingIceStatechange, DiffKind::ExtraIceStatechange, DiffKind::WrongIceStatechange},
    {DiffKind::MissingDtlsStatechange, DiffKind::ExtraDtlsStatechange, DiffKind::WrongDtlsStatechange},
    {DiffKind::MissingIceConnectionStateChange, DiffKind::ExtraIceConnectionStateChange,
     DiffKind::WrongIceConnectionStateChange},
    {DiffKind::MissingConnectionStateChange, DiffKind::ExtraConnectionStateChange,
     DiffKind::WrongConnectionStateChange},
}};

std::vector<ObservedEvent> of_type(const std::vector<ObservedEvent>& events, EventType type) {
  std::vector<ObservedEvent> out;
  for (const auto& e : events)
    if (e.type == type) out.push_back(e);
  return out;
}

// One step; `closed_before`: close() happened at an earlier step.
std::optional<Difference> compare_step(const Step& step, bool closed_before, const ObservedStep& exp,
                                       const ObservedStep& obs, std::size_t index) {
  auto diff = [&](DiffKind k, std::string detail) { return Difference{k, index, std::move(detail)}; };
  const std::string both = "reference: " + step_outcome_text(exp) + " | stack: " + step_outcome_text(obs);
  // 1. Close: the most specific statements first.
  if (closed_before && !obs.events.empty()) return diff(DiffKind::EventAfterClose, both);
  if (step.kind == StepKind::Close && !closed_before) {
    for (const auto& e : obs.events) {
      bool expected = false;
      for (const auto& x : exp.events) expected = expected || x == e;
      if (!expected) return diff(DiffKind::EventOnClose, "close() fired " + event_text(e) + "; " + both);
    }
  }
  // 2. The states read afterwards (a derivation bug shows here first, whatever its events).
  if (exp.ice_connection_state != obs.ice_connection_state)
    return diff(DiffKind::WrongIceConnectionState, "iceConnectionState " + ics_text(obs.ice_connection_state) +
                                                       ", reference " + ics_text(exp.ice_connection_state) + "; " + both);
  if (exp.connection_state != obs.connection_state)
    return diff(DiffKind::WrongConnectionState, "connectionState " + pcs_text(obs.connection_state) + ", reference " +
                                                    pcs_text(exp.connection_state) + "; " + both);
  // 3. The events, type by type: count first, then values.
  for (std::size_t t = 0; t < kEventKinds.size(); ++t) {
    const auto type = static_cast<EventType>(t);
    const auto e = of_type(exp.events, type), o = of_type(obs.events, type);
    if (e == o) continue;
    if (o.size() < e.size()) return diff(kEventKinds[t][0], both);
    if (o.size() > e.size()) return diff(kEventKinds[t][1], both);
    return diff(kEventKinds[t][2], both);
  }
  // 4. Same events per type, different interleaving.
  if (exp.events != obs.events) return diff(DiffKind::WrongEventOrder, both);
  return std::nullopt;
}

}  // namespace

std::optional<Difference> compare(const Sequence& seq, const Observation& expected, const Observation& observed) {
  if (observed.status == RunStatus::Unsupported) return std::nullopt;
  bool closed = false;
  const std::size_t n = std::min({seq.steps.size(), expected.steps.size(), observed.steps.size()});
  for (std::size_t i = 0; i < n; ++i) {
    if (auto d = compare_step(seq.steps[i], closed, expected.steps[i], observed.steps[i], i)) return d;
    closed = closed || seq.steps[i].kind == StepKind::Close;
  }
  if (observed.status == RunStatus::Error)
    return Difference{DiffKind::StackError, observed.steps.size(), observed.message};
  if (observed.steps.size() < expected.steps.size())
    return Difference{DiffKind::StackError, observed.steps.size(),
                      "the stack answered " + std::to_string(observed.steps.size()) + " of " +
                          std::to_string(expected.steps.size()) + " steps"};
  return std::nullopt;
}

std::string difference_report(const Sequence& seq, const Observation& expected, const Observation& observed,
                              const Difference& d, const std::string& sut) {
  std::string out = "==connstate== difference against " + sut + ": " + std::string(signature(d.kind)) + " at step " +
                    std::to_string(d.step) + "\n  " + std::string(explanation(d.kind)) + "\n";
  out += "sequence: " + describe_header(seq) + "\n";
  for (std::size_t i = 0; i < seq.steps.size() && i <= d.step; ++i) {
    out += "  step " + std::to_string(i);
    if (i < seq.origin.size()) out += " (input byte " + std::to_string(seq.origin[i]) + ")";
    out += ": " + describe_step(seq.steps[i]) + (i == d.step ? "   <-- here" : "") + "\n";
    if (i < expected.steps.size()) out += "      reference: " + step_outcome_text(expected.steps[i]) + "\n";
    if (i < observed.steps.size()) {
      if (i < expected.steps.size() && observed.steps[i] == expected.steps[i]) out += "      stack:     (the same)\n";
      else out += "      stack:     " + step_outcome_text(observed.steps[i]) + "\n";
    }
  }
  if (d.step + 1 < seq.steps.size())
    out += "  (" + std::to_string(seq.steps.size() - d.step - 1) + " later steps not compared)\n";
  out += "detail: " + d.detail + "\n";
  return out;
}

// --- stacks -------------------------------------------------------------------------------------

harness::Case to_case(const Sequence& seq) {
  harness::Case c;
  c.id = "fuzz.input";
  c.title = "fuzz input";
  c.kind = harness::CaseKind::Sequence;
  c.options = seq.options;
  for (std::size_t t = 0; t < kFuzzTransports; ++t) c.transport_names.push_back(transport_name(static_cast<TransportId>(t)));
  for (const Step& s : seq.steps) {
    harness::SequenceStep ss;
    ss.step = s;
    if (s.kind != StepKind::Close) ss.transport = transport_name(s.transport);
    c.steps.push_back(std::move(ss));
  }
  return c;
}

namespace {

constexpr std::size_t kMessageSize = 512;
constexpr std::size_t kMaxPluginEvents = 16;

// plugin:<path>: the C ABI of harness/include/connstate/plugin.h, called directly. Everything the
// plugin returns is range-checked before it is used (garbage is a StackError difference, not UB here).
class PluginRunner final : public SequenceRunner {
 public:
  explicit PluginRunner(const std::string& path) : sut_("plugin:" + path), plugin_(path), table_(plugin_.table()) {
    if (!plugin_.supports_sequence())
      throw harness::StackError(path + ": the plugin does not support sequences, which fuzzing needs");
  }
  const std::string& sut() const override { return sut_; }

  Observation run(const Sequence& seq) override {
    Observation o;
    char msg[kMessageSize] = {0};
    void* pc = nullptr;
    const std::uint32_t options = (seq.options.rederive_on_set_change ? CONNSTATE_OPTION_REDERIVE_ON_SET_CHANGE : 0u) |
                                  (seq.options.events_on_close ? CONNSTATE_OPTION_EVENTS_ON_CLOSE : 0u);
    const int created = table_.create(table_.self, options, &pc, msg, sizeof msg);
    if (created == CONNSTATE_UNSUPPORTED) return fail(o, RunStatus::Unsupported, "create: " + message(msg));
    if (created != CONNSTATE_OK || !pc) return fail(o, RunStatus::Error, "create failed: " + message(msg));
    connstate_event events[kMaxPluginEvents];
    for (std::size_t i = 0; i < seq.steps.size(); ++i) {
      const Step& s = seq.steps[i];
      std::size_t n = 0;
      connstate_states out{-2, -2};
      msg[0] = 0;
      const int status = table_.step(table_.self, pc, static_cast<int32_t>(s.kind), s.transport, s.state,
                                       s.sctp_only ? 1 : 0, events, kMaxPluginEvents, &n, &out, msg, sizeof msg);
      const std::string where = "step " + std::to_string(i) + " (" + describe_step(s) + "): ";
      if (status == CONNSTATE_UNSUPPORTED) {
        table_.destroy(table_.self, pc);
        return fail(o, RunStatus::Unsupported, where + message(msg));
      }
      std::string problem;
      if (status != CONNSTATE_OK) problem = "status " + std::to_string(status) + ": " + message(msg);
      else if (n > kMaxPluginEvents) problem = std::to_string(n) + " events reported into a buffer of 16";
      ObservedStep step;
      for (std::size_t k = 0; k < n && problem.empty(); ++k) problem = convert(events[k], step);
      if (problem.empty()) problem = convert(out, step);
      if (!problem.empty()) {
        table_.destroy(table_.self, pc);
        return fail(o, RunStatus::Error, where + problem);
      }
      o.steps.push_back(std::move(step));
    }
    table_.destroy(table_.self, pc);
    return o;
  }

 private:
  static Observation& fail(Observation& o, RunStatus status, std::string message) {
    o.status = status;
    o.message = std::move(message);
    return o;
  }
  static std::string message(const char* buf) { return harness::plugin_message(buf, kMessageSize); }
  static std::string convert(const connstate_event& e, ObservedStep& step) {
    static constexpr std::array<int, 4> kStates = {7, 5, 7, 6};
    if (e.type < 0 || e.type > 3) return "unknown event type " + std::to_string(e.type);
    if (e.state < 0 || e.state >= kStates[static_cast<std::size_t>(e.type)])
      return "event state " + std::to_string(e.state) + " out of range";
    const bool transport_event = e.type <= CONNSTATE_EVENT_DTLS_STATECHANGE;
    if (transport_event && (e.transport < 0 || e.transport >= static_cast<int32_t>(kFuzzTransports)))
      return "event for unknown transport " + std::to_string(e.transport);
    step.events.push_back({static_cast<EventType>(e.type), transport_event ? static_cast<TransportId>(e.transport) : TransportId{0},
                           static_cast<std::uint8_t>(e.state)});
    return {};
  }
  static std::string convert(const connstate_states& s, ObservedStep& step) {
    if (s.connection_state != CONNSTATE_UNDEFINED && (s.connection_state < 0 || s.connection_state > 5))
      return "connectionState " + std::to_string(s.connection_state) + " out of range";
    if (s.ice_connection_state != CONNSTATE_UNDEFINED && (s.ice_connection_state < 0 || s.ice_connection_state > 6))
      return "iceConnectionState " + std::to_string(s.ice_connection_state) + " out of range";
    step.connection_state = s.connection_state;
    step.ice_connection_state = s.ice_connection_state;
    return {};
  }

  std::string sut_;
  harness::PluginLibrary plugin_;
  const connstate_plugin& table_;
};

// Any other stack: harness::make_stack, one persistent instance (an exec: adapter stays up;
// the harness restarts it after a crash), answers converted back from text.
class StackRunner final : public SequenceRunner {
 public:
  StackRunner(const std::string& sut, const harness::StackOptions& options)
      : sut_(sut), stack_(harness::make_stack(sut, options)) {
    if (!stack_->info().supports_sequence)
      throw harness::StackError(sut + ": the stack does not support sequences, which fuzzing needs");
  }
  const std::string& sut() const override { return sut_; }
  bool gave_up() const override { return stack_->gave_up(); }

  Observation run(const Sequence& seq) override {
    Observation o;
    const harness::SequenceAnswer a = stack_->run_sequence(to_case(seq));
    for (std::size_t i = 0; i < a.steps.size(); ++i) {
      ObservedStep step;
      std::string problem = convert(a.steps[i], step);
      if (!problem.empty()) {
        o.status = RunStatus::Error;
        o.message = "step " + std::to_string(i) + ": " + problem;
        return o;
      }
      o.steps.push_back(std::move(step));
    }
    if (a.status == harness::AnswerStatus::Unsupported) o.status = RunStatus::Unsupported;
    if (a.status == harness::AnswerStatus::Error) o.status = RunStatus::Error;
    o.message = a.message + (a.evidence.empty() ? "" : " (" + a.evidence + ")");
    return o;
  }

 private:
  static std::string convert(const harness::StepOutcomeText& t, ObservedStep& step) {
    for (const std::string& text : t.events) {
      const auto sp1 = text.find(' '), sp2 = text.rfind(' ');
      if (sp1 == std::string::npos || sp1 == sp2) return "event text \"" + text + "\"";
      const std::string target = text.substr(0, sp1), type = text.substr(sp1 + 1, sp2 - sp1 - 1),
                        value = text.substr(sp2 + 1);
      ObservedEvent e;
      std::optional<std::uint8_t> state;
      if (target == "pc" && type == "iceconnectionstatechange") {
        e.type = EventType::IceConnectionStateChange;
        if (auto v = parse_state<IceConnectionState>(value)) state = static_cast<std::uint8_t>(*v);
      } else if (target == "pc" && type == "connectionstatechange") {
        e.type = EventType::ConnectionStateChange;
        if (auto v = parse_state<PeerConnectionState>(value)) state = static_cast<std::uint8_t>(*v);
      } else if (type == "statechange" && (target.starts_with("ice:t") || target.starts_with("dtls:t"))) {
        const bool ice = target[0] == 'i';
        const std::string name = target.substr(ice ? 5 : 6);
        if (name.size() != 1 || name[0] < '0' || name[0] > '7') return "event for unknown transport: \"" + text + "\"";
        e.type = ice ? EventType::IceTransportStateChange : EventType::DtlsTransportStateChange;
        e.transport = static_cast<TransportId>(name[0] - '0');
        if (ice) {
          if (auto v = parse_state<IceTransportState>(value)) state = static_cast<std::uint8_t>(*v);
        } else if (auto v = parse_state<DtlsTransportState>(value)) {
          state = static_cast<std::uint8_t>(*v);
        }
      } else {
        return "event text \"" + text + "\"";
      }
      if (!state) return "event state in \"" + text + "\"";
      e.state = *state;
      step.events.push_back(e);
    }
    if (t.states.connection_state) {
      auto v = parse_state<PeerConnectionState>(*t.states.connection_state);
      if (!v) return "connectionState \"" + *t.states.connection_state + "\"";
      step.connection_state = static_cast<int>(*v);
    }
    if (t.states.ice_connection_state) {
      auto v = parse_state<IceConnectionState>(*t.states.ice_connection_state);
      if (!v) return "iceConnectionState \"" + *t.states.ice_connection_state + "\"";
      step.ice_connection_state = static_cast<int>(*v);
    }
    return {};
  }

  std::string sut_;
  std::unique_ptr<harness::StackUnderTest> stack_;
};

}  // namespace

std::unique_ptr<SequenceRunner> make_runner(const std::string& sut, const harness::StackOptions& options) {
  if (sut.starts_with("plugin:")) {
    const std::string path = sut.substr(7);
    if (path.empty()) throw harness::UsageError("plugin: needs a path to a shared library, e.g. plugin:./libmystack.so");
    return std::make_unique<PluginRunner>(path);
  }
  if (sut.find(':') == std::string::npos && sut.ends_with(".so")) return std::make_unique<PluginRunner>(sut);
  return std::make_unique<StackRunner>(sut, options);
}

CheckResult check_input(std::span<const std::uint8_t> input, std::optional<Profile> profile, SequenceRunner& runner) {
  CheckResult r;
  r.sequence = decode(input, DecodeOptions{profile});
  r.expected = reference_observation(r.sequence);
  r.observed = runner.run(r.sequence);
  r.difference = compare(r.sequence, r.expected, r.observed);
  return r;
}

// --- minimization ------------------------------------------------------------------------------

std::vector<std::uint8_t> minimize(std::vector<std::uint8_t> input,
                                   const std::function<bool(const std::vector<std::uint8_t>&)>& still_fails) {
  if (input.size() > kMaxInputSize) {
    std::vector<std::uint8_t> cut(input.begin(), input.begin() + kMaxInputSize);
    if (still_fails(cut)) input = std::move(cut);
  }
  // Remove chunks of step bytes (never the header), halving the chunk size, until nothing goes.
  bool changed = true;
  while (changed) {
    changed = false;
    for (std::size_t chunk = std::max<std::size_t>(1, (input.size() - 1) / 2); chunk >= 1; chunk /= 2) {
      // From the end: the steps after the difference are the likeliest to go.
      for (std::size_t end = input.size(); end > 1;) {
        const std::size_t begin = end > chunk + 1 ? end - chunk : 1;
        std::vector<std::uint8_t> candidate(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(begin));
        candidate.insert(candidate.end(), input.begin() + static_cast<std::ptrdiff_t>(end), input.end());
        if (still_fails(candidate)) {
          input = std::move(candidate);
          changed = true;
        }
        end = begin;
      }
      if (chunk == 1) break;
    }
  }
  // Rename the transports t0, t1, … in order of first use (readability; kept only if it still fails).
  if (input.size() > 1) {
    std::array<int, kFuzzTransports> rename;
    rename.fill(-1);
    int next = 0;
    std::vector<std::uint8_t> candidate = input;
    for (std::size_t i = 1; i < candidate.size(); ++i) {
      if ((candidate[i] >> 3) == 31) continue;  // close: no transport
      const unsigned t = candidate[i] & 7u;
      if (rename[t] < 0) rename[t] = next++;
      candidate[i] = static_cast<std::uint8_t>((candidate[i] & ~7u) | static_cast<unsigned>(rename[t]));
    }
    if (candidate != input && still_fails(candidate)) input = std::move(candidate);
  }
  // Clear header bits: the permutation, then each option.
  if (!input.empty()) {
    for (std::uint8_t mask : {std::uint8_t{0x0f}, std::uint8_t{0xfb}, std::uint8_t{0xf7}}) {
      std::vector<std::uint8_t> candidate = input;
      candidate[0] = static_cast<std::uint8_t>(candidate[0] & mask);
      if (candidate[0] != input[0] && still_fails(candidate)) input = std::move(candidate);
    }
  }
  return input;
}

std::string hash_hex(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace connstate::fuzz
