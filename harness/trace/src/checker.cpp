// checker.cpp — the streaming trace checker (see trace.h and docs/trace-format.md).
#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <unordered_map>

#include "connstate/derivation.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/line_reader.h"
#include "connstate/peer_connection_model.h"
#include "connstate/trace/trace.h"
#include "connstate/trace/trace_line.h"
#include "internal/number_text.h"
#include "internal/partial_judge.h"
#include "internal/transitions.h"

namespace connstate::trace {

namespace json = boost::json;

std::string_view to_string(FindingKind k) {
  switch (k) {
    case FindingKind::WrongValue: return "wrong-value";
    case FindingKind::Missing: return "missing";
    case FindingKind::Extra: return "extra";
    case FindingKind::Duplicate: return "duplicate";
    case FindingKind::WrongOrder: return "wrong-order";
    case FindingKind::Reordered: return "reordered";
    case FindingKind::AfterClose: return "after-close";
    case FindingKind::NotClosedAfterClose: return "not-closed-after-close";
    case FindingKind::IllegalTransition: return "illegal-transition";
    case FindingKind::Impossible: return "impossible";
    case FindingKind::NeedsUnshownState: return "needs-unshown-state";
    case FindingKind::UnexplainedSample: return "unexplained-sample";
    case FindingKind::Count_: break;
  }
  return "";
}

int verdict_rank(Verdict v) {
  switch (v) {
    case Verdict::Pass: return 0;
    case Verdict::Unsupported: return 0;
    case Verdict::Informational: return 1;
    case Verdict::NonStrict: return 2;
    case Verdict::Fail: return 3;
    case Verdict::Error: return 4;
  }
  return 0;
}

namespace {

constexpr std::size_t kIcs = 0, kPcs = 1;
constexpr std::string_view kTypeName[2] = {"iceconnectionstatechange", "connectionstatechange"};
constexpr std::uint8_t kNew = 3;  // IceConnectionState::New == PeerConnectionState::New == 3
constexpr std::size_t kMaxPcs = 4096;
constexpr std::size_t kMaxPending = 1u << 16;  // per type; older ones are declared missing

std::string_view state_name(std::size_t type, std::uint8_t v) {
  return type == kIcs ? to_string(static_cast<IceConnectionState>(v)) : to_string(static_cast<PeerConnectionState>(v));
}

bool valid_transport_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

template <class E> std::uint8_t bit(E e) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(e)); }

struct Expected {
  std::uint8_t value = 0;
  bool soft = false;          // from a later queued task (DTLS-triggered update): other tasks may run first
  std::uint64_t seq = 0;      // global order of the spec's events in this pc
  double cause_t = 0;
  std::size_t cause_line = 0;
  std::uint64_t change_index = 0;  // the pc's transport-change count at the cause
  std::uint32_t cause_step = 0;
  RuleId rule = RuleId::Pcs2025New;
  std::string cause;
};

struct Deferred {
  std::size_t type;
  std::uint8_t value;
  std::uint8_t prev;          // the type's last value before this event
  double t;
  std::size_t line;
  std::uint32_t step;
  std::uint64_t change_count; // the pc's transport-change count when it was delivered
};

struct Pc {
  std::string name;
  PeerConnectionModel model;
  std::vector<std::string> transports;              // index = TransportId
  std::vector<IceTransportState> ice;               // as the stack reported them
  std::vector<DtlsTransportState> dtls;
  std::array<std::deque<Expected>, 2> queue;
  std::deque<Deferred> deferred;
  std::array<std::uint8_t, 2> last{kNew, kNew};     // last delivered value per type
  std::uint8_t last_signaling = 0, last_gathering = 0;
  std::uint64_t next_seq = 0;
  bool have_matched = false;
  std::uint64_t max_matched_seq = 0;
  double max_matched_t = 0;
  std::string max_matched_label;
  std::uint64_t change_count = 0;
  // Partial traces: the pc is judged at the end by what its events imply (partial_judge.h).
  bool partial = false;                               // by the header; or, at the end, no statechange seen
  bool had_statechange = false;                       // a transport statechange of this pc was read
  std::vector<internal::PartialEvent> partial_events; // header-partial pcs: events before close()
  std::vector<Deferred> unjudged;                     // events read before the pc's first statechange
  std::vector<internal::PartialSample> samples;       // transport = index into `transports`
  bool closed = false;
  double close_t = 0;
  std::size_t close_line = 0;
  PcResult r;
  // timeline lanes (-1 = not created yet)
  int lane_pcs_stack = -1, lane_pcs_spec = -1, lane_ics_stack = -1, lane_ics_spec = -1, lane_sig = -1, lane_igs = -1;
  std::vector<int> lane_ice, lane_dtls;
  std::uint32_t step = 0;
  bool step_open = false;

  Pc(std::string n, Profile p) : name(std::move(n)), model(p) {}
};

}  // namespace

struct TraceChecker::Impl {
  CheckOptions opt;
  TraceResult result;
  std::function<void(const InputProblem&)> on_problem;
  std::function<void(const PcResult&, const Finding&)> on_finding;
  std::vector<std::unique_ptr<Pc>> pcs;
  std::unordered_map<std::string, std::size_t> pc_index;
  std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> owner;  // transport id -> pc, line
  bool header_allowed = true;
  bool any_event = false;
  double last_t = -std::numeric_limits<double>::infinity();
  double now = -std::numeric_limits<double>::infinity();
  std::size_t last_t_line = 0;
  std::size_t deferred_total = 0;
  std::unordered_map<const Pc*, std::string> partial_notes;  // why a partial judgement is incomplete
  // the line being processed
  std::size_t line = 0;
  double t = 0;

  Impl(CheckOptions o, std::string file, std::string id) : opt(o) {
    result.file = std::move(file);
    result.id = std::move(id);
  }

  // --- problems and findings ------------------------------------------------------------
  void add_problem(Pc* pc, std::size_t line_no, std::string message, std::string action) {
    InputProblem p{line_no, pc ? pc->name : "", std::move(message), std::move(action)};
    if (on_problem) on_problem(p);
    if (pc) {
      if (pc->r.problems.size() < opt.max_problems) pc->r.problems.push_back(std::move(p));
      ++pc->r.problems_total;
    } else {
      if (result.problems.size() < opt.max_problems) result.problems.push_back(std::move(p));
      ++result.problems_total;
    }
  }

  void add_finding(Pc& pc, Finding f, std::optional<std::uint32_t> at_step = std::nullopt) {
    ++pc.r.finding_counts[static_cast<std::size_t>(f.kind)];
    ++pc.r.findings_total;
    if (verdict_rank(f.severity) > verdict_rank(pc.r.verdict)) pc.r.verdict = f.severity;
    if (on_finding) on_finding(pc.r, f);
    if (pc.r.findings.size() >= opt.max_findings) return;
    if (opt.timeline && !pc.r.timeline.truncated && !pc.r.timeline.step_t.empty()) {
      const std::uint32_t s = at_step.value_or(static_cast<std::uint32_t>(pc.r.timeline.step_t.size() - 1));
      pc.r.timeline.finding_marks.emplace_back(s, pc.r.findings.size());
    }
    pc.r.findings.push_back(std::move(f));
  }

  Finding finding(FindingKind kind, Verdict severity, std::string target, std::string event, RuleRef rule) {
    Finding f;
    f.kind = kind;
    f.severity = severity;
    f.t_ms = t;
    f.line = line;
    f.target = std::move(target);
    f.event = std::move(event);
    f.rule = std::move(rule);
    return f;
  }

  double hold_ms() const { return std::max(opt.reorder_window_ms, opt.lookahead_ms); }
  static constexpr std::size_t kMaxDeferred = 4096;

  Verdict order_severity(double skew) const {
    return opt.reorder_window_ms > 0 && skew <= opt.reorder_window_ms ? Verdict::NonStrict : Verdict::Fail;
  }
  FindingKind order_kind(double skew) const {
    return order_severity(skew) == Verdict::NonStrict ? FindingKind::Reordered : FindingKind::WrongOrder;
  }

  // --- timeline ---------------------------------------------------------------------------
  // Starts a step for the current line of `pc` (one step per line that touches it).
  void open_step(Pc& pc, std::string label) {
    if (!opt.timeline) return;
    Timeline& tl = pc.r.timeline;
    if (tl.truncated) return;
    if (tl.step_t.size() >= opt.max_timeline_steps) {
      tl.truncated = true;
      return;
    }
    tl.step_t.push_back(t);
    tl.step_label.push_back(std::move(label));
    pc.step = static_cast<std::uint32_t>(tl.step_t.size() - 1);
  }
  int lane(Pc& pc, int& slot, std::string name, std::string kind, std::string_view initial) {
    if (!opt.timeline) return -1;
    if (slot < 0) {
      slot = static_cast<int>(pc.r.timeline.lanes.size());
      Timeline::Lane l{std::move(name), std::move(kind), {}};
      if (!initial.empty()) l.points.push_back({0, std::string(initial)});
      pc.r.timeline.lanes.push_back(std::move(l));
    }
    return slot;
  }
  void set_lane(Pc& pc, int slot, std::string_view state) {
    if (!opt.timeline || slot < 0 || pc.r.timeline.truncated || pc.r.timeline.step_t.empty()) return;
    auto& pts = pc.r.timeline.lanes[static_cast<std::size_t>(slot)].points;
    if (!pts.empty() && pts.back().state == state) return;
    const std::uint32_t s = static_cast<std::uint32_t>(pc.r.timeline.step_t.size() - 1);
    if (!pts.empty() && pts.back().step == s) pts.back().state = std::string(state);
    else pts.push_back({s, std::string(state)});
  }
  void spec_lanes(Pc& pc) {
    if (!pc.r.pc_events || !opt.timeline || pc.partial || !pc.had_statechange) return;
    set_lane(pc, lane(pc, pc.lane_ics_spec, "iceConnectionState (spec)", "ics", "new"),
             to_string(pc.model.ice_connection_state()));
    auto value = pc.model.connection_state();
    set_lane(pc, lane(pc, pc.lane_pcs_spec, "connectionState (spec)", "pcs", "new"),
             value ? to_string(*value) : std::string_view("undefined"));
  }

  // --- pcs and transports -------------------------------------------------------------------
  Pc* get_pc(std::string_view name) {
    auto it = pc_index.find(std::string(name));
    if (it != pc_index.end()) return pcs[it->second].get();
    if (pcs.size() >= kMaxPcs) return nullptr;
    auto pc = std::make_unique<Pc>(std::string(name), opt.profile);
    pc->r.pc = pc->name;
    pc->r.id = result.id + "#" + pc->name;
    pc->r.pc_events = result.header.pc_events;
    pc->partial = pc->r.partial = result.header.partial && result.header.pc_events;
    pc->r.first_t = t;
    pc_index.emplace(pc->name, pcs.size());
    pcs.push_back(std::move(pc));
    return pcs.back().get();
  }

  // Returns the transport's index in `pc`, adding it; nullopt (problem recorded) when it cannot.
  std::optional<TransportId> transport(Pc& pc, std::string_view id, bool sctp_only) {
    for (std::size_t i = 0; i < pc.transports.size(); ++i)
      if (pc.transports[i] == id) return static_cast<TransportId>(i);
    const std::string key(id);
    auto it = owner.find(key);
    if (it != owner.end()) {
      add_problem(&pc, line,
                  "transport " + key + " belongs to pc \"" + pcs[it->second.first]->name + "\" (first seen on line " +
                      std::to_string(it->second.second) + ")",
                  "line skipped");
      return std::nullopt;
    }
    if (pc.transports.size() >= kMaxTransports) {
      add_problem(&pc, line, "more than " + std::to_string(kMaxTransports) + " transports in pc \"" + pc.name + "\"",
                  "line skipped");
      return std::nullopt;
    }
    owner.emplace(key, std::pair{pc_index[pc.name], line});
    const auto tid = static_cast<TransportId>(pc.transports.size());
    pc.transports.push_back(key);
    pc.ice.push_back(IceTransportState::New);
    pc.dtls.push_back(DtlsTransportState::New);
    pc.lane_ice.push_back(-1);
    pc.lane_dtls.push_back(-1);
    ++pc.r.transports;
    pc.model.add(tid, sctp_only);
    return tid;
  }

  // --- matching ---------------------------------------------------------------------------------
  Finding missing_finding(Pc& pc, std::size_t type, const Expected& e, const std::string& why) {
    Finding f = finding(FindingKind::Missing, Verdict::Fail, "pc", std::string(kTypeName[type]), rule_ref(e.rule));
    f.t_ms = e.cause_t;
    f.line = e.cause_line;
    f.expected = std::string(state_name(type, e.value));
    f.has_cause = true;
    f.cause_t_ms = e.cause_t;
    f.cause_line = e.cause_line;
    f.cause = e.cause;
    f.message = std::string(kTypeName[type]) + " '" + f.expected + "' was required by " + e.cause + " (line " +
                std::to_string(e.cause_line) + ") and never delivered" + why;
    (void)pc;
    return f;
  }

  // Tries to match a delivered event with the expected queue; false when nothing has its value.
  bool try_match(Pc& pc, std::size_t type, std::uint8_t v, double t_obs, std::size_t line_obs, std::uint32_t step_obs,
                 std::uint64_t change_count_obs, bool after_close) {
    auto& q = pc.queue[type];
    std::size_t k = 0;
    while (k < q.size() && q[k].value != v) ++k;
    if (k == q.size()) return false;
    const std::size_t saved_line = line;
    const double saved_t = t;
    line = line_obs;
    t = t_obs;
    for (std::size_t i = 0; i < k; ++i) {
      if (q[i].soft) continue;  // a later queued task may legitimately have seen newer states
      add_finding(pc,
                  missing_finding(pc, type, q[i],
                                  "; the stack went on to '" + std::string(state_name(type, v)) + "' (line " +
                                      std::to_string(line_obs) + ")"),
                  q[i].cause_step);
    }
    Expected e = std::move(q[k]);
    q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(k + 1));
    ++pc.r.matched;
    const std::string label = std::string(kTypeName[type]) + " '" + std::string(state_name(type, v)) + "'";
    const RuleRef order_rule = rule_ref(e.soft ? EventRuleId::ConnectionUpdate : EventRuleId::IceTask);
    auto order_finding = [&](double skew, std::string msg) {
      Finding f = finding(order_kind(skew), order_severity(skew), "pc", std::string(kTypeName[type]), order_rule);
      f.expected = f.observed = std::string(state_name(type, v));
      f.has_cause = true;
      f.cause_t_ms = e.cause_t;
      f.cause_line = e.cause_line;
      f.cause = e.cause;
      f.message = std::move(msg) + " (skew " + internal::number_text(skew) + " ms, reorder window " +
                  internal::number_text(opt.reorder_window_ms) + " ms)";
      add_finding(pc, std::move(f), step_obs);
    };
    if (after_close) {
      const double skew = t_obs - e.cause_t;
      if (opt.reorder_window_ms > 0 && skew <= opt.reorder_window_ms) {
        order_finding(skew, label + " was delivered after close() (line " + std::to_string(pc.close_line) +
                                ") though its cause came before it");
      } else {
        Finding f = finding(FindingKind::AfterClose, Verdict::Fail, "pc", std::string(kTypeName[type]),
                            rule_ref(EventRuleId::TasksAbort));
        f.observed = std::string(state_name(type, v));
        f.has_cause = true;
        f.cause_t_ms = e.cause_t;
        f.cause_line = e.cause_line;
        f.cause = e.cause;
        f.message = label + " delivered after close() (line " + std::to_string(pc.close_line) + "), " +
                    internal::number_text(skew) + " ms after its cause; the spec fires it in the task of its cause, before close()";
        add_finding(pc, std::move(f), step_obs);
      }
    } else if (e.cause_line > line_obs) {
      const double skew = e.cause_t - t_obs;
      order_finding(skew, label + " was delivered before its cause " + e.cause + " (line " +
                              std::to_string(e.cause_line) + ")");
    } else if (!e.soft && change_count_obs > e.change_index) {
      const double skew = t_obs - e.cause_t;
      order_finding(skew, label + " was delivered after a later transport change; the spec fires it in the task of " +
                              e.cause + " (line " + std::to_string(e.cause_line) + ")");
    } else if (pc.have_matched && e.seq < pc.max_matched_seq) {
      const double skew = std::fabs(t_obs - pc.max_matched_t);
      order_finding(skew, label + " was delivered after " + pc.max_matched_label + ", which the spec fires after it");
    }
    if (!pc.have_matched || e.seq > pc.max_matched_seq) {
      pc.have_matched = true;
      pc.max_matched_seq = e.seq;
      pc.max_matched_t = t_obs;
      pc.max_matched_label = label;
    }
    line = saved_line;
    t = saved_t;
    return true;
  }

  RuleId current_rule(Pc& pc, std::size_t type) {
    RuleId rule = RuleId::IcsNew;
    if (type == kIcs) {
      derive_ice_connection_state(opt.profile, pc.model.is_closed(), pc.model.presence(), &rule);
    } else {
      derive_connection_state(opt.profile, pc.model.is_closed(), pc.model.ice_connection_state(),
                              pc.model.presence(), &rule);
    }
    return rule;
  }

  // A pc event with the value its type already had (the caller has set `line` and `t` to the event's).
  void duplicate_finding(Pc& pc, const Deferred& d) {
    const std::string name(kTypeName[d.type]);
    const std::string v(state_name(d.type, d.value));
    Finding f = finding(FindingKind::Duplicate, Verdict::Fail, "pc", name,
                        rule_ref(d.type == kIcs ? EventRuleId::IceTask : EventRuleId::ConnectionUpdate));
    f.observed = v;
    f.message = name + " '" + v + "' fired again with the value it already had; the spec fires only on a change";
    add_finding(pc, std::move(f), d.step);
  }

  void judge_unmatched(Pc& pc, const Deferred& d) {
    const std::size_t saved_line = line;
    const double saved_t = t;
    line = d.line;
    t = d.t;
    const std::string name(kTypeName[d.type]);
    const std::string v(state_name(d.type, d.value));
    auto& q = pc.queue[d.type];
    if (d.value == d.prev) {
      duplicate_finding(pc, d);
    } else if (!q.empty()) {
      Expected e = std::move(q.front());
      q.pop_front();
      Finding f = finding(FindingKind::WrongValue, Verdict::Fail, "pc", name, rule_ref(e.rule));
      f.expected = std::string(state_name(d.type, e.value));
      f.observed = v;
      f.has_cause = true;
      f.cause_t_ms = e.cause_t;
      f.cause_line = e.cause_line;
      f.cause = e.cause;
      f.message = name + " delivered '" + v + "' where the spec requires '" + f.expected + "' (after " + e.cause +
                  ", line " + std::to_string(e.cause_line) + ")";
      add_finding(pc, std::move(f), d.step);
    } else {
      const RuleId rule = current_rule(pc, d.type);
      Finding f = finding(FindingKind::Extra, Verdict::Fail, "pc", name, rule_ref(rule));
      f.observed = v;
      std::string now_value;
      if (d.type == kIcs) now_value = std::string(to_string(pc.model.ice_connection_state()));
      else {
        auto s = pc.model.connection_state();
        now_value = s ? std::string(to_string(*s)) : "undefined";
      }
      f.message = "no transport change calls for " + name + " '" + v + "'; the spec's value here is '" + now_value +
                  "' (rule " + f.rule.id + ")";
      add_finding(pc, std::move(f), d.step);
    }
    line = saved_line;
    t = saved_t;
  }

  // Resolves held (early) events: match them if their cause has come, judge them when the
  // window has passed (or at the end of the trace).
  void resolve_deferred(Pc& pc, bool final) {
    while (!pc.deferred.empty()) {
      const Deferred d = pc.deferred.front();
      if (try_match(pc, d.type, d.value, d.t, d.line, d.step, d.change_count, false)) {
        pc.deferred.pop_front();
        --deferred_total;
        continue;
      }
      if (final || d.t + hold_ms() < now || pc.deferred.size() > kMaxDeferred) {
        pc.deferred.pop_front();
        --deferred_total;
        judge_unmatched(pc, d);
        continue;
      }
      break;
    }
  }

  void resolve_all_deferred() {
    if (deferred_total == 0) return;
    for (auto& pc : pcs)
      if (!pc->deferred.empty()) resolve_deferred(*pc, false);
  }

  // --- line handlers ------------------------------------------------------------------------------
  // The state of a transport line; nullopt (problem recorded) when it is not one.
  std::optional<std::uint8_t> transport_state(Pc& pc, bool is_ice, std::string_view state_text) {
    if (is_ice) {
      if (auto v = parse_state<IceTransportState>(state_text)) return static_cast<std::uint8_t>(*v);
      add_problem(&pc, line, "unknown RTCIceTransportState \"" + std::string(state_text) + "\" (expected one of: " +
                                 harness::accepted_values<IceTransportState>() + ")",
                  "line skipped");
    } else {
      if (auto v = parse_state<DtlsTransportState>(state_text)) return static_cast<std::uint8_t>(*v);
      add_problem(&pc, line, "unknown RTCDtlsTransportState \"" + std::string(state_text) + "\" (expected one of: " +
                                 harness::accepted_values<DtlsTransportState>() + ")",
                  "line skipped");
    }
    return std::nullopt;
  }

  static constexpr std::size_t kMaxSamples = 1u << 20;  // per pc; a partial judgement needs far fewer
  static constexpr std::size_t kMaxBuffered = 1u << 20; // pc events held for a partial judgement, per pc

  // A transport state as the trace shows it at this line: evidence for the partial judgement.
  void record_sample(Pc& pc, TransportId tid, bool is_ice, std::uint8_t s) {
    if (pc.closed) return;  // close() set every transport to closed; a later poll shows nothing of the pc
    if (pc.samples.size() == kMaxSamples) {
      add_problem(&pc, line, "more than " + std::to_string(kMaxSamples) + " transport samples in pc \"" + pc.name + "\"",
                  "later samples not used as evidence");
    }
    if (pc.samples.size() >= kMaxSamples) return;
    const std::uint32_t step = pc.r.timeline.step_t.empty() ? 0 : static_cast<std::uint32_t>(pc.r.timeline.step_t.size() - 1);
    pc.samples.push_back({tid, is_ice, s, t, line, step});
  }

  // `sample`: the transport's state as polled (getStats), not an event.
  void on_transport_sample(Pc& pc, TransportId tid, bool is_ice, std::string_view state_text) {
    const auto s = transport_state(pc, is_ice, state_text);
    if (!s) return;
    const std::string target = std::string(is_ice ? "ice:" : "dtls:") + pc.transports[tid];
    if (is_ice) pc.r.coverage.ice |= static_cast<std::uint8_t>(1u << *s);
    else pc.r.coverage.dtls |= static_cast<std::uint8_t>(1u << *s);
    open_step(pc, target + " sample " + std::string(state_text));
    set_lane(pc, is_ice ? lane(pc, pc.lane_ice[tid], target, "ice", "new") : lane(pc, pc.lane_dtls[tid], target, "dtls", "new"),
             state_text);
    record_sample(pc, tid, is_ice, *s);
  }

  // Events read before a pc's first transport change wait (a pc may turn out to have none: a
  // partial trace); at its first change they are judged as if read then, before the change.
  void release_unjudged(Pc& pc) {
    if (pc.unjudged.empty()) return;
    for (const Deferred& d : pc.unjudged) {
      pc.deferred.push_back(d);
      ++deferred_total;
    }
    pc.unjudged.clear();
    resolve_deferred(pc, false);
  }

  void on_transport_change(Pc& pc, TransportId tid, bool is_ice, std::string_view state_text) {
    const std::string target = std::string(is_ice ? "ice:" : "dtls:") + pc.transports[tid];
    const auto parsed = transport_state(pc, is_ice, state_text);
    if (!parsed) return;
    const std::uint8_t s = *parsed;
    if (is_ice) pc.r.coverage.ice |= static_cast<std::uint8_t>(1u << s);
    else pc.r.coverage.dtls |= static_cast<std::uint8_t>(1u << s);
    if (!pc.partial && !pc.had_statechange) release_unjudged(pc);
    pc.had_statechange = true;
    ++pc.r.transport_changes;
    const std::string label = target + " statechange " + std::string(state_text);
    open_step(pc, label);
    set_lane(pc, is_ice ? lane(pc, pc.lane_ice[tid], target, "ice", "new") : lane(pc, pc.lane_dtls[tid], target, "dtls", "new"),
             state_text);
    const std::uint8_t prev = is_ice ? static_cast<std::uint8_t>(pc.ice[tid]) : static_cast<std::uint8_t>(pc.dtls[tid]);
    if (is_ice) pc.ice[tid] = static_cast<IceTransportState>(s);
    else pc.dtls[tid] = static_cast<DtlsTransportState>(s);
    if (pc.partial) record_sample(pc, tid, is_ice, s);
    // A polled state is no event: after close() or unchanged it says nothing about the stack.
    const bool polled = result.header.sampled;
    if (polled && (pc.closed || s == prev)) return;

    if (pc.closed) {
      Finding f = finding(FindingKind::AfterClose, Verdict::Fail, target, "statechange",
                          rule_ref(is_ice ? EventRuleId::TasksAbort : EventRuleId::CloseDtlsNoCheck));
      f.observed = std::string(state_text);
      const double skew = t - pc.close_t;
      if (!is_ice) {
        f.severity = Verdict::Informational;
        f.message = target + " statechange '" + std::string(state_text) + "' after close() (line " +
                    std::to_string(pc.close_line) + "): the DTLS algorithms have no [[IsClosed]] check, but WPT and "
                    "browsers fire none; close() sets the slot to closed without an event";
      } else {
        if (opt.reorder_window_ms > 0 && skew <= opt.reorder_window_ms) f.severity = Verdict::NonStrict;
        f.message = target + " statechange '" + std::string(state_text) + "' " + internal::number_text(skew) +
                    " ms after close() (line " + std::to_string(pc.close_line) +
                    "): the ICE task aborts on [[IsClosed]], and close() sets the slot to closed without an event" +
                    (f.severity == Verdict::NonStrict ? " (within the reorder window)" : "");
      }
      add_finding(pc, std::move(f));
      return;
    }
    if (s == prev) {
      const bool sticky = !is_ice && s == static_cast<std::uint8_t>(DtlsTransportState::Failed);
      Finding f = finding(FindingKind::Duplicate, is_ice || sticky ? Verdict::Fail : Verdict::Informational, target,
                          "statechange",
                          rule_ref(is_ice ? EventRuleId::IceStatechange
                                          : sticky ? EventRuleId::DtlsFailedSticky : EventRuleId::DtlsStatechange));
      f.observed = std::string(state_text);
      f.message = target + " statechange '" + std::string(state_text) + "' while it already was '" +
                  std::string(state_text) + "'";
      add_finding(pc, std::move(f));
      return;
    }
    // Final states. Between two polls an ICE restart (failed -> checking -> …) can pass unseen.
    std::optional<EventRuleId> illegal =
        is_ice ? internal::illegal_ice_transition(static_cast<IceTransportState>(prev), static_cast<IceTransportState>(s))
               : internal::illegal_dtls_transition(static_cast<DtlsTransportState>(prev), static_cast<DtlsTransportState>(s));
    if (polled && illegal == EventRuleId::IceFailedTerminal) illegal.reset();
    if (illegal) {
      const std::string from(is_ice ? to_string(static_cast<IceTransportState>(prev))
                                    : to_string(static_cast<DtlsTransportState>(prev)));
      Finding f = finding(FindingKind::IllegalTransition, Verdict::Fail, target, "statechange", rule_ref(*illegal));
      f.expected = "stays '" + from + "'";
      f.observed = from + " -> " + std::string(state_text);
      f.message = target + " went from '" + from + "' to '" + std::string(state_text) + "'" +
                  (*illegal == EventRuleId::IceFailedTerminal
                       ? ": failed is terminal until an ICE restart, which goes to 'checking'"
                       : ": that state is final");
      add_finding(pc, std::move(f));
    }
    ++pc.change_count;
    if (!pc.r.pc_events || pc.partial) return;
    const StepResult res = is_ice ? pc.model.set_ice(tid, static_cast<IceTransportState>(s))
                                  : pc.model.set_dtls(tid, static_cast<DtlsTransportState>(s));
    bool any = false;
    for (const Event& e : res.events) {
      if (!e.is_pc_event()) continue;
      const std::size_t type = e.type == EventType::IceConnectionStateChange ? kIcs : kPcs;
      Expected x;
      x.value = e.state;
      x.soft = e.task > 0;
      x.seq = pc.next_seq++;
      x.cause_t = t;
      x.cause_line = line;
      x.change_index = pc.change_count;
      x.cause_step = pc.r.timeline.step_t.empty() ? 0 : static_cast<std::uint32_t>(pc.r.timeline.step_t.size() - 1);
      x.rule = current_rule(pc, type);
      x.cause = label;
      if (type == kIcs) pc.r.coverage.ics_expected |= static_cast<std::uint8_t>(1u << e.state);
      else pc.r.coverage.pcs_expected |= static_cast<std::uint8_t>(1u << e.state);
      ++pc.r.pc_events_expected;
      auto& q = pc.queue[type];
      if (q.size() >= kMaxPending) {
        add_finding(pc, missing_finding(pc, type, q.front(), " (more than 65536 events pending)"), q.front().cause_step);
        q.pop_front();
      }
      q.push_back(std::move(x));
      any = true;
    }
    spec_lanes(pc);
    if (any && !pc.deferred.empty()) resolve_deferred(pc, false);
  }

  void on_pc_state_event(Pc& pc, std::size_t type, std::string_view state_text) {
    std::uint8_t v;
    if (type == kIcs) {
      auto s = parse_state<IceConnectionState>(state_text);
      if (!s) {
        add_problem(&pc, line, "unknown RTCIceConnectionState \"" + std::string(state_text) + "\" (expected one of: " +
                                   harness::accepted_values<IceConnectionState>() + ")",
                    "line skipped");
        return;
      }
      v = static_cast<std::uint8_t>(*s);
      pc.r.coverage.ics_observed |= bit(*s);
    } else {
      auto s = parse_state<PeerConnectionState>(state_text);
      if (!s) {
        add_problem(&pc, line, "unknown RTCPeerConnectionState \"" + std::string(state_text) +
                                   "\" (expected one of: " + harness::accepted_values<PeerConnectionState>() + ")",
                    "line skipped");
        return;
      }
      v = static_cast<std::uint8_t>(*s);
      pc.r.coverage.pcs_observed |= bit(*s);
    }
    ++pc.r.pc_events_delivered;
    open_step(pc, "pc " + std::string(kTypeName[type]) + " " + std::string(state_text));
    set_lane(pc,
             type == kIcs ? lane(pc, pc.lane_ics_stack, "iceConnectionState (stack)", "ics", "new")
                          : lane(pc, pc.lane_pcs_stack, "connectionState (stack)", "pcs", "new"),
             state_text);
    const std::uint8_t prev = pc.last[type];
    pc.last[type] = v;
    const std::uint32_t step = pc.r.timeline.step_t.empty() ? 0 : static_cast<std::uint32_t>(pc.r.timeline.step_t.size() - 1);
    if (pc.closed) {
      if (try_match(pc, type, v, t, line, step, pc.change_count, true)) return;
      Finding f = finding(FindingKind::AfterClose, Verdict::Fail, "pc", std::string(kTypeName[type]),
                          rule_ref(EventRuleId::CloseNoEvent));
      f.observed = std::string(state_text);
      f.message = std::string(kTypeName[type]) + " '" + std::string(state_text) + "' " +
                  internal::number_text(t - pc.close_t) + " ms after close() (line " + std::to_string(pc.close_line) +
                  "): close() fires no event and every later task aborts on [[IsClosed]]";
      add_finding(pc, std::move(f));
      return;
    }
    const Deferred d{type, v, prev, t, line, step, pc.change_count};
    if (pc.partial) {
      if (v == prev) duplicate_finding(pc, d);
      else if (pc.partial_events.size() < kMaxBuffered) pc.partial_events.push_back({type, v, t, line, step});
      else if (pc.partial_events.size() == kMaxBuffered) {
        add_problem(&pc, line, "more than " + std::to_string(kMaxBuffered) + " pc events in a partial trace",
                    "later events not judged");
        pc.partial_events.push_back({type, v, t, line, step});  // once: marks the overflow
      }
      return;
    }
    if (!pc.had_statechange && pc.unjudged.size() < kMaxBuffered) {
      pc.unjudged.push_back(d);
      return;
    }
    if (!pc.had_statechange) release_unjudged(pc);  // too many to hold: judged as a complete trace
    if (!pc.deferred.empty()) {  // keep the delivery order behind held events
      pc.deferred.push_back(d);
      ++deferred_total;
      resolve_deferred(pc, false);
      return;
    }
    if (try_match(pc, type, v, t, line, step, pc.change_count, false)) return;
    if (hold_ms() > 0) {
      pc.deferred.push_back(d);
      ++deferred_total;
      return;
    }
    judge_unmatched(pc, d);
  }

  void on_other_pc_event(Pc& pc, bool signaling, std::string_view state_text) {
    std::optional<std::uint8_t> v;
    if (signaling) {
      for (std::size_t i = 0; i < kSignalingStates.size(); ++i)
        if (kSignalingStates[i] == state_text) v = static_cast<std::uint8_t>(i);
    } else if (auto s = parse_state<IceGatheringState>(state_text)) {
      v = static_cast<std::uint8_t>(*s);
    }
    const std::string name = signaling ? "signalingstatechange" : "icegatheringstatechange";
    if (!v) {
      std::string accepted;
      if (signaling)
        for (auto n : kSignalingStates) accepted += (accepted.empty() ? "" : ", ") + std::string(n);
      else
        accepted = harness::accepted_values<IceGatheringState>();
      add_problem(&pc, line,
                  "unknown " + std::string(signaling ? "RTCSignalingState" : "RTCIceGatheringState") + " \"" +
                      std::string(state_text) + "\" (expected one of: " + accepted + ")",
                  "line skipped");
      return;
    }
    ++pc.r.pc_events_delivered;
    open_step(pc, "pc " + name + " " + std::string(state_text));
    set_lane(pc,
             signaling ? lane(pc, pc.lane_sig, "signalingState", "signaling", "stable")
                       : lane(pc, pc.lane_igs, "iceGatheringState", "igs", "new"),
             state_text);
    std::uint8_t& last = signaling ? pc.last_signaling : pc.last_gathering;
    const std::uint8_t prev = last;
    last = *v;
    if (pc.closed) {
      Finding f = finding(FindingKind::AfterClose, Verdict::Fail, "pc", name,
                          rule_ref(signaling ? EventRuleId::CloseNoEvent : EventRuleId::TasksAbort));
      f.observed = std::string(state_text);
      f.message = name + " '" + std::string(state_text) + "' after close() (line " + std::to_string(pc.close_line) +
                  "): close() fires no event and every later task aborts on [[IsClosed]]";
      add_finding(pc, std::move(f));
    } else if (prev == *v) {
      Finding f = finding(FindingKind::Duplicate, Verdict::Fail, "pc", name,
                          rule_ref(signaling ? EventRuleId::SignalingChange : EventRuleId::GatheringChange));
      f.observed = std::string(state_text);
      f.message = name + " '" + std::string(state_text) + "' fired again with the value it already had";
      add_finding(pc, std::move(f));
    }
  }

  void on_close(Pc& pc) {
    if (pc.closed) return;  // a second close() is a no-op
    pc.closed = true;
    pc.close_t = t;
    pc.close_line = line;
    pc.r.coverage.closed = true;
    open_step(pc, "api close");
    if (opt.timeline && !pc.r.timeline.truncated && !pc.r.timeline.step_t.empty())
      pc.r.timeline.close_step = static_cast<std::uint32_t>(pc.r.timeline.step_t.size() - 1);
    pc.model.close();
    spec_lanes(pc);
    for (std::size_t i = 0; i < pc.transports.size(); ++i) {
      set_lane(pc, pc.lane_ice[i], "closed");
      set_lane(pc, pc.lane_dtls[i], "closed");
    }
  }

  void on_pc_get(Pc& pc, std::string_view attribute, std::string_view state_text) {
    bool known = false, valid = false, must_close = false;
    if (attribute == "connectionState") {
      known = must_close = true;
      valid = parse_state<PeerConnectionState>(state_text).has_value();
    } else if (attribute == "iceConnectionState") {
      known = must_close = true;
      valid = parse_state<IceConnectionState>(state_text).has_value();
    } else if (attribute == "signalingState") {
      known = must_close = true;
      valid = std::find(kSignalingStates.begin(), kSignalingStates.end(), state_text) != kSignalingStates.end();
    } else if (attribute == "iceGatheringState") {
      known = true;
      valid = parse_state<IceGatheringState>(state_text).has_value();
    }
    if (!known) {
      add_problem(&pc, line,
                  "unknown pc attribute \"" + std::string(attribute) +
                      "\" (expected connectionState, iceConnectionState, iceGatheringState or signalingState)",
                  "line skipped");
      return;
    }
    if (!valid) {
      add_problem(&pc, line, "\"" + std::string(state_text) + "\" is not a value of " + std::string(attribute),
                  "line skipped");
      return;
    }
    // A read shows in the stack's lane of that attribute (when the lane exists).
    const int read_lane = attribute == "connectionState" ? pc.lane_pcs_stack
                          : attribute == "iceConnectionState" ? pc.lane_ics_stack : -1;
    bool stepped = false;
    if (read_lane >= 0) {
      open_step(pc, "pc get " + std::string(attribute) + " " + std::string(state_text));
      set_lane(pc, read_lane, state_text);
      stepped = true;
    }
    if (pc.closed && must_close && state_text != "closed") {
      if (!stepped) open_step(pc, "pc get " + std::string(attribute) + " " + std::string(state_text));
      Finding f = finding(FindingKind::NotClosedAfterClose, Verdict::Fail, "pc", "get " + std::string(attribute),
                          rule_ref(EventRuleId::CloseNoEvent));
      f.expected = "closed";
      f.observed = std::string(state_text);
      f.message = std::string(attribute) + " read '" + std::string(state_text) + "' after close() (line " +
                  std::to_string(pc.close_line) + "); close() sets it to 'closed' synchronously";
      add_finding(pc, std::move(f));
    }
  }

  void on_transport_get(Pc& pc, TransportId tid, bool is_ice, std::string_view attribute, std::string_view state_text) {
    const std::string target = std::string(is_ice ? "ice:" : "dtls:") + pc.transports[tid];
    if (attribute == "gatheringState" && is_ice) {
      if (!parse_state<IceGathererState>(state_text))
        add_problem(&pc, line, "unknown RTCIceGathererState \"" + std::string(state_text) + "\"", "line skipped");
      return;
    }
    if (attribute != "state") {
      add_problem(&pc, line, "unknown attribute \"" + std::string(attribute) + "\" of " + target, "line skipped");
      return;
    }
    const bool valid = is_ice ? parse_state<IceTransportState>(state_text).has_value()
                              : parse_state<DtlsTransportState>(state_text).has_value();
    if (!valid) {
      add_problem(&pc, line, "\"" + std::string(state_text) + "\" is not a state of " + target, "line skipped");
      return;
    }
    if (pc.closed && state_text != "closed") {
      open_step(pc, target + " get state " + std::string(state_text));
      Finding f = finding(FindingKind::NotClosedAfterClose, Verdict::Fail, target, "get state",
                          rule_ref(EventRuleId::CloseStates));
      f.expected = "closed";
      f.observed = std::string(state_text);
      f.message = target + ".state read '" + std::string(state_text) + "' after close() (line " +
                  std::to_string(pc.close_line) + "); close() sets every transport to 'closed'";
      add_finding(pc, std::move(f));
    }
  }

  // --- the line ---------------------------------------------------------------------------------
  static std::optional<double> number(const json::value* v) {
    if (!v) return std::nullopt;
    if (v->is_double()) return v->get_double();
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    return std::nullopt;
  }
  static std::optional<std::string_view> str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    const json::string& s = v->get_string();
    return std::string_view(s.data(), s.size());
  }

  void header(const json::object& o) {
    if (!header_allowed) {
      add_problem(nullptr, line, "a header line (\"format\") that is not the first line of the trace", "line ignored");
      return;
    }
    header_allowed = false;
    TraceHeader& h = result.header;
    h.present = true;
    auto fmt = str(o, "format");
    if (!fmt || *fmt != "connstate-trace") {
      add_problem(nullptr, line, "header \"format\" must be \"connstate-trace\"", "trace not checked");
      result.checked = false;
      return;
    }
    auto version = number(o.if_contains("version"));
    if (!version || *version != 1) {
      add_problem(nullptr, line, "unsupported trace version (this connstate reads format version 1)",
                  "trace not checked");
      result.checked = false;
      return;
    }
    h.stack = std::string(str(o, "stack").value_or(""));
    h.stack_version = std::string(str(o, "stack_version").value_or(""));
    h.scenario = std::string(str(o, "scenario").value_or(""));
    h.recorded = std::string(str(o, "recorded").value_or(""));
    if (const json::value* pe = o.if_contains("pc_events")) {
      if (pe->is_bool()) h.pc_events = pe->get_bool();
      else add_problem(nullptr, line, "header \"pc_events\" must be true or false", "taken as true");
    }
    if (const json::value* te = o.if_contains("transport_events")) {
      const auto v = te->is_string() ? std::optional<std::string_view>(te->get_string()) : std::nullopt;
      if (v == "sampled") h.sampled = h.partial = true;
      else if (v == "partial") h.partial = true;
      else if (v != "observed")
        add_problem(nullptr, line, "header \"transport_events\" must be \"observed\", \"sampled\" or \"partial\"",
                    "taken as \"observed\"");
    }
    if (const json::value* tu = o.if_contains("time_uncertainty_ms")) {
      const auto v = number(tu);
      if (v && std::isfinite(*v) && *v >= 0 && *v <= 3.6e6) h.time_uncertainty_ms = *v;
      else add_problem(nullptr, line, "header \"time_uncertainty_ms\" must be a number from 0 to 3600000", "taken as 0");
    }
    h.json = json::serialize(o);
  }

  void feed(std::string_view text, std::size_t line_no) {
    line = line_no;
    ++result.lines;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;
    if (!result.checked) return;
    // Ordinary event lines are read by the scanner without a document (trace_line.h); the
    // full parser reads the rest, and says what is wrong with a line that is not an event.
    TraceLineFields fields;
    if (scan_trace_line(text, fields)) {
      on_event_line(fields);
      return;
    }
    // A fresh arena per line on a stack buffer: no heap for ordinary lines.
    alignas(std::max_align_t) unsigned char arena[8192];
    json::monotonic_resource mr(arena, sizeof arena);
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, &mr);
    if (ec) {
      add_problem(nullptr, line, "not valid JSON (" + ec.message() + ")" +
                                     (text.size() > 0 && text.back() != '}' ? "; truncated line?" : ""),
                  "line skipped");
      header_allowed = false;
      return;
    }
    if (!v.is_object()) {
      add_problem(nullptr, line, "a trace line must be a JSON object", "line skipped");
      header_allowed = false;
      return;
    }
    const json::object& o = v.get_object();
    if (o.contains("format")) {
      header(o);
      return;
    }
    on_event_line(fields_of(o));
  }

  enum class Target { Pc, Api, Ice, Dtls, Other };

  void on_event_line(const TraceLineFields& o) {
    header_allowed = false;
    ++result.events;
    any_event = true;

    const auto& target = o.target;
    const auto& event = o.event;
    const auto& pc_name = o.pc;
    Target kind = Target::Other;
    std::string_view tid_text;
    if (target) {
      if (*target == "pc") kind = Target::Pc;
      else if (*target == "api") kind = Target::Api;
      else if (target->starts_with("ice:")) {
        kind = Target::Ice;
        tid_text = target->substr(4);
      } else if (target->starts_with("dtls:")) {
        kind = Target::Dtls;
        tid_text = target->substr(5);
      }
    }
    Pc* pc = nullptr;
    if (kind != Target::Other) {
      if (!pc_name || pc_name->empty()) {
        add_problem(nullptr, line, "missing \"pc\" (a non-empty string) on a " + std::string(*target) + " event",
                    "line skipped");
        return;
      }
      pc = get_pc(*pc_name);
      if (!pc) {
        add_problem(nullptr, line, "more than " + std::to_string(kMaxPcs) + " peer connections", "line skipped");
        return;
      }
      ++pc->r.lines;
    }
    const auto tv = o.t_ms;
    if (!tv || !std::isfinite(*tv)) {
      add_problem(pc, line, "missing or non-numeric \"t_ms\"", "line skipped");
      return;
    }
    t = *tv;
    if (t < last_t) {
      add_problem(pc, line,
                  "t_ms " + internal::number_text(t) + " is lower than " + internal::number_text(last_t) + " on line " +
                      std::to_string(last_t_line) + " (t_ms must not decrease)",
                  "event used in line order");
    }
    last_t = t;
    last_t_line = line;
    now = std::max(now, t);
    resolve_all_deferred();
    if (!target) {
      add_problem(pc, line, "missing \"target\" (a string)", "line skipped");
      return;
    }
    if (!event) {
      if (kind != Target::Other) add_problem(pc, line, "missing \"event\" (a string)", "line skipped");
      return;
    }
    if (kind == Target::Other) return;
    pc->r.last_t = t;
    on_pc_line(pc, kind, tid_text, o);
  }

  // A line of a pc (target pc, api, ice:<id> or dtls:<id>) with a time, a target and an event.
  void on_pc_line(Pc* pc, Target kind, std::string_view tid_text, const TraceLineFields& o) {
    const auto& target = o.target;
    const auto& event = o.event;
    const auto& state = o.state;
    auto need_state = [&]() -> bool {
      if (state) return true;
      add_problem(pc, line, "missing \"state\" (a string) on a " + std::string(*event) + " event", "line skipped");
      return false;
    };

    switch (kind) {
      case Target::Ice:
      case Target::Dtls: {
        const bool is_ice = kind == Target::Ice;
        if (!valid_transport_id(tid_text)) {
          add_problem(pc, line, "bad transport id in target \"" + std::string(*target) +
                                    "\" (expected ice:<id> or dtls:<id>, id of [A-Za-z0-9_.-]{1,64})",
                      "line skipped");
          return;
        }
        const bool is_statechange = *event == "statechange", is_added = *event == "added", is_get = *event == "get";
        const bool is_sample = *event == "sample";
        if (!is_statechange && !is_added && !is_get && !is_sample) return;  // gatheringstatechange, error, …: displayed only
        bool sctp_only = false;
        if (is_added) {
          sctp_only = o.sctp_only;
        }
        auto tid = transport(*pc, tid_text, sctp_only);
        if (!tid) return;
        if (is_added) {
          if (state && *state != "new") {
            add_problem(pc, line,
                        std::string(*target) + " was already '" + std::string(*state) +
                            "' when the recorder attached; earlier changes were not recorded",
                        "later events checked from there");
          }
          return;
        }
        if (is_get) {
          if (!need_state()) return;
          on_transport_get(*pc, *tid, is_ice, o.attribute.value_or("state"), *state);
          return;
        }
        if (is_sample) {
          if (!need_state()) return;
          on_transport_sample(*pc, *tid, is_ice, *state);
          return;
        }
        if (!need_state()) return;
        on_transport_change(*pc, *tid, is_ice, *state);
        return;
      }
      case Target::Pc: {
        const bool ics = *event == "iceconnectionstatechange", pcs_ev = *event == "connectionstatechange";
        const bool sig = *event == "signalingstatechange", igs = *event == "icegatheringstatechange";
        if (*event == "get") {
          const auto& attribute = o.attribute;
          if (!attribute) {
            add_problem(pc, line, "missing \"attribute\" on a pc get", "line skipped");
            return;
          }
          if (!need_state()) return;
          on_pc_get(*pc, *attribute, *state);
          return;
        }
        if (!ics && !pcs_ev && !sig && !igs) return;  // negotiationneeded, icecandidate, …
        if (!need_state()) return;
        if (!pc->r.pc_events) {
          add_problem(pc, line, "a pc event in a trace whose header says \"pc_events\": false", "line skipped");
          return;
        }
        if (ics || pcs_ev) on_pc_state_event(*pc, ics ? kIcs : kPcs, *state);
        else on_other_pc_event(*pc, sig, *state);
        return;
      }
      case Target::Api:
        if (*event == "close") on_close(*pc);
        return;
      case Target::Other: return;
    }
  }

  // Judges a partial pc by what its events imply (internal/partial_judge.h).
  void judge_partial_pc(Pc& pc) {
    if (!pc.partial) {  // no transport change in the whole trace: its events were held
      pc.partial = pc.r.partial = true;
      for (const Deferred& d : pc.unjudged) {
        if (d.value == d.prev) {
          line = d.line;
          t = d.t;
          duplicate_finding(pc, d);
        } else {
          pc.partial_events.push_back({d.type, d.value, d.t, d.line, d.step});
        }
      }
      pc.unjudged.clear();
    }
    if (pc.partial_events.size() > kMaxBuffered) pc.partial_events.resize(kMaxBuffered);
    internal::PartialInput in;
    in.profile = opt.profile;
    in.events = pc.partial_events;
    std::vector<int> index(pc.transports.size(), -1);  // pc transport -> evidence transport
    for (const auto& smp : pc.samples) {
      int& k = index[smp.transport];
      if (k < 0) {
        k = static_cast<int>(in.transports.size());
        in.transports.push_back(pc.transports[smp.transport]);
      }
      internal::PartialSample copy = smp;
      copy.transport = static_cast<std::size_t>(k);
      in.samples.push_back(copy);
    }
    in.order_tolerance_ms = std::max(result.header.time_uncertainty_ms, opt.reorder_window_ms);
    in.hidden_transports = std::clamp<std::size_t>(in.transports.size() + 1, 2, 4);
    const internal::PartialResult res = internal::judge_partial(in);
    for (const auto& pf : res.findings) {
      Finding f;
      std::uint32_t step = 0;
      if (pf.kind == internal::PartialFinding::Kind::UnexplainedSample) {
        const internal::PartialSample& smp = in.samples[pf.sample];
        f.kind = FindingKind::UnexplainedSample;
        f.severity = Verdict::Informational;
        f.t_ms = smp.t;
        f.line = smp.line;
        f.target = std::string(smp.ice ? "ice:" : "dtls:") + in.transports[smp.transport];
        f.event = "sample";
        f.observed = smp.ice ? std::string(to_string(static_cast<IceTransportState>(smp.value)))
                             : std::string(to_string(static_cast<DtlsTransportState>(smp.value)));
        f.rule = rule_ref(smp.ice ? EventRuleId::IceTask : EventRuleId::ConnectionUpdate);
        step = smp.step;
      } else if (pf.kind == internal::PartialFinding::Kind::Missing) {
        const internal::PartialEvent& ev = in.events[pf.event];
        f.kind = FindingKind::Missing;
        f.severity = Verdict::Fail;
        f.t_ms = ev.t;
        f.line = ev.line;
        f.target = "pc";
        f.event = std::string(kTypeName[pf.missing_type]);
        f.expected = pf.expected;
        f.rule = rule_ref(pf.rule);
        step = ev.step;
      } else {
        const internal::PartialEvent& ev = in.events[pf.event];
        const bool impossible = pf.kind == internal::PartialFinding::Kind::Impossible;
        f.kind = impossible ? FindingKind::Impossible : FindingKind::NeedsUnshownState;
        f.severity = impossible ? Verdict::Fail : Verdict::Informational;
        f.t_ms = ev.t;
        f.line = ev.line;
        f.target = "pc";
        f.event = std::string(kTypeName[ev.type]);
        f.expected = impossible ? "" : pf.expected;
        f.observed = std::string(state_name(ev.type, ev.value));
        f.rule = rule_ref(pf.rule);
        step = ev.step;
      }
      f.message = pf.message;
      add_finding(pc, std::move(f), step);
    }
    partial_notes[&pc] = res.note;
  }

  TraceResult finish() {
    for (auto& pcp : pcs) {
      Pc& pc = *pcp;
      if (pc.r.pc_events && (pc.partial || (!pc.had_statechange && !pc.unjudged.empty()))) judge_partial_pc(pc);
      release_unjudged(pc);  // a pc whose events overflowed the buffer before its first change
      resolve_deferred(pc, true);
      for (std::size_t type : {kIcs, kPcs}) {
        for (const Expected& e : pc.queue[type]) {
          std::string why = pc.closed && e.cause_line < pc.close_line
                                ? " (close() was called on line " + std::to_string(pc.close_line) + ")"
                                : " (the trace ended)";
          add_finding(pc, missing_finding(pc, type, e, why), e.cause_step);
        }
        pc.queue[type].clear();
      }
    }
    // Trace-level problems touch every pc.
    if (result.problems_total > 0) {
      for (auto& pcp : pcs) {
        for (const auto& p : result.problems)
          if (pcp->r.problems.size() < opt.max_problems) pcp->r.problems.push_back(p);
        pcp->r.problems_total += result.problems_total;
      }
    }
    std::vector<PcResult> out;
    for (auto& pcp : pcs) {
      PcResult& r = pcp->r;
      if (r.problems_total > 0) r.verdict = Verdict::Error;
      std::string m;
      if (r.problems_total > 0) m += std::to_string(r.problems_total) + " input problem(s); ";
      if (r.findings_total == 0) {
        m += "no finding";
      } else {
        bool first = true;
        for (std::size_t k = 0; k < kFindingKindCount; ++k) {
          if (!r.finding_counts[k]) continue;
          m += (first ? "" : ", ") + std::to_string(r.finding_counts[k]) + " " +
               std::string(to_string(static_cast<FindingKind>(k)));
          first = false;
        }
      }
      if (!r.pc_events) m += " (transport-level rules only: the trace has no pc events)";
      if (r.partial) {
        std::size_t samples = pcp->samples.size(), shown = 0;
        std::vector<char> seen(pcp->transports.size(), 0);
        for (const auto& smp : pcp->samples) shown += !seen[smp.transport]++;
        m += " (partial trace: judged by what its pc events imply";
        if (samples) m += ", with " + std::to_string(samples) + " transport samples of " + std::to_string(shown) + " transport(s)";
        m += ")";
        if (auto it = partial_notes.find(pcp.get()); it != partial_notes.end() && !it->second.empty()) m += "; " + it->second;
      }
      r.message = m;
      out.push_back(std::move(r));
    }
    if (out.empty()) {
      PcResult r;
      r.id = result.id;
      r.verdict = Verdict::Error;
      r.problems = result.problems;
      r.problems_total = result.problems_total;
      r.pc_events = result.header.pc_events;
      r.message = !result.checked ? "the trace was not checked" : any_event ? "no peer-connection events" : "the trace has no events";
      if (result.problems_total == 0) {
        InputProblem p{0, "", r.message, "nothing to check"};
        if (on_problem) on_problem(p);
        r.problems.push_back(p);
        r.problems_total = 1;
      }
      out.push_back(std::move(r));
    }
    result.pcs = std::move(out);
    result.verdict = Verdict::Pass;
    for (const auto& r : result.pcs)
      if (verdict_rank(r.verdict) > verdict_rank(result.verdict)) result.verdict = r.verdict;
    return std::move(result);
  }
};

TraceChecker::TraceChecker(CheckOptions options, std::string file, std::string id)
    : impl_(std::make_unique<Impl>(options, std::move(file), std::move(id))) {}
TraceChecker::~TraceChecker() = default;
void TraceChecker::on_problem(std::function<void(const InputProblem&)> f) { impl_->on_problem = std::move(f); }
void TraceChecker::on_finding(std::function<void(const PcResult&, const Finding&)> f) {
  impl_->on_finding = std::move(f);
}
void TraceChecker::feed(std::string_view line, std::size_t line_number) { impl_->feed(line, line_number); }
void TraceChecker::problem(std::size_t line_number, std::string message, std::string action) {
  impl_->add_problem(nullptr, line_number, std::move(message), std::move(action));
}
TraceResult TraceChecker::finish() { return impl_->finish(); }

TraceResult check_stream(std::FILE* in, const CheckOptions& options, const std::string& file, const std::string& id,
                         const std::function<void(const InputProblem&)>& on_problem) {
  const auto start = std::chrono::steady_clock::now();
  TraceChecker c(options, file, id);
  if (on_problem) c.on_problem(on_problem);
  harness::LineReader reader(in, 1u << 20);
  std::string_view line;
  while (reader.next(line)) {
    if (reader.truncated()) {
      c.problem(reader.line_number(), "line longer than 1 MiB", "line skipped");
      continue;
    }
    c.feed(line, reader.line_number());
  }
  if (reader.failed()) c.problem(reader.line_number(), "read error", "rest of the trace not read");
  TraceResult r = c.finish();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

TraceResult check_text(std::string_view text, const CheckOptions& options, const std::string& file, const std::string& id,
                       const std::function<void(const InputProblem&)>& on_problem) {
  const auto start = std::chrono::steady_clock::now();
  TraceChecker c(options, file, id);
  if (on_problem) c.on_problem(on_problem);
  std::size_t n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    c.feed(line, ++n);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  TraceResult r = c.finish();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

TraceResult check_text(std::string_view text, const CheckOptions& options, const std::string& id) {
  return check_text(text, options, id + ".jsonl", id, {});
}

std::string trace_id(const std::string& path, const std::string& root) {
  namespace fs = std::filesystem;
  if (path == "-") return "stdin";
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  fs::path base = fs::weakly_canonical(root.empty() ? fs::current_path(ec) : fs::absolute(root, ec), ec);
  fs::path rel = p.lexically_relative(base);
  std::string s = (rel.empty() || rel.native().starts_with("..")) ? fs::path(path).lexically_normal().string() : rel.string();
  if (s.ends_with(".gz")) s.resize(s.size() - 3);
  for (std::string_view ext : {".jsonl", ".json", ".txt"})
    if (s.ends_with(ext)) {
      s.resize(s.size() - ext.size());
      break;
    }
  return s;
}

std::string finding_text(const Finding& f) {
  std::string s = internal::number_text(f.t_ms) + " ms line " + std::to_string(f.line) + ": " + std::string(to_string(f.kind)) +
                  " [" + std::string(harness::to_string(f.severity)) + "] " + f.target + " " + f.event;
  s += " — expected " + (f.expected.empty() ? std::string("no event") : "'" + f.expected + "'") + ", observed " +
       (f.observed.empty() ? std::string("nothing") : "'" + f.observed + "'");
  s += "\n      " + f.message;
  s += "\n      rule " + f.rule.id + " (" + f.rule.document + " #" + f.rule.anchor + "): \"" + f.rule.quote + "\"";
  return s;
}

}  // namespace connstate::trace
