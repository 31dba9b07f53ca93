// partial_judge.cpp — see internal/partial_judge.h.
#include "internal/partial_judge.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "connstate/derivation.h"
#include "connstate/peer_connection_model.h"
#include "internal/transitions.h"

namespace connstate::trace::internal {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// Items may be consumed out of log order only within this many items of the first unconsumed
// one (a bit per item in Node::mask); the order tolerance is milliseconds, so this is never
// the limit in practice.
constexpr std::uint32_t kWindow = 32;
// Each finding costs a search or two over the whole pc; after this many the rest of the pc is left
// unjudged, with a note (a stack that breaks a rule this often has shown it).
constexpr std::size_t kMaxFindings = 16;
constexpr std::uint8_t kSameStep = 0x20;

struct Item {
  bool event = true;       // an event (else a sample)
  std::uint32_t index = 0; // into PartialInput::events or ::samples
  double t = 0;
  std::size_t line = 0;
};

struct Node {
  PeerConnectionModel model;
  std::uint32_t next = 0;        // the first item not consumed
  std::uint32_t mask = 0;        // bit k: item next + k consumed (bit 0 is always clear)
  std::uint16_t violations = 0;  // states entered against the evidence for the watched event
  bool skip_used = false;        // the allowance of the first unconsumed event has been used
  // The event left out under the watched allowance: type * 8 + value + 1, plus kSameStep when the
  // step that left it out also delivered the watched event (the likeliest reading).
  std::uint8_t watched_skip = 0;
};

struct Key {
  std::uint64_t states = 0;  // transport states, slot values, violations
  std::uint64_t progress = 0;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const {
    return std::hash<std::uint64_t>()(k.states * 0x9E3779B97F4A7C15ull ^ (k.progress + 0x632BE59BD9B4E019ull));
  }
};

// Bit of a state in Node::violations: ICE states in bits 0-6, DTLS states in bits 8-12.
constexpr std::uint16_t violation_bit(bool ice, std::uint8_t state) {
  return static_cast<std::uint16_t>(1u << (state + (ice ? 0u : 8u)));
}

struct Search {
  const PartialInput& in;
  std::vector<Item> items;
  std::size_t transports = 0;
  bool anonymous = true;  // question 1: transports are interchangeable
  bool evidence = false;  // question 2: samples hold, changes must be shown
  std::vector<char> waived;          // per event: the steps up to it may use unshown states
  std::uint32_t watch = kNone;       // the event whose needed states are collected
  // Per event: up to it, one event the spec fires may be missing from the trace (a stack that left it
  // out); `watch_skip` is the allowance whose left-out event is collected.
  std::vector<char> allow_skip;
  std::uint32_t watch_skip = kNone;
  // Item indices of each (transport, field)'s samples, ascending: [transport * 2 + (ice ? 0 : 1)].
  std::vector<std::vector<std::uint32_t>> field_items;

  // Results.
  bool accepted = false;
  bool exhausted = false;
  std::uint32_t blamed = kNone;                // item the deepest nodes could not consume
  std::vector<std::uint16_t> watched;          // violation masks of the explanations found
  std::vector<std::uint16_t> deepest_masks;
  std::vector<std::uint8_t> skipped;           // events left out under `watch_skip` by the explanations found
  std::vector<std::uint8_t> deepest_skipped;
  std::size_t nodes = 0;

  explicit Search(const PartialInput& i) : in(i) {}

  bool consumed(const Node& n, std::uint32_t j) const {
    if (j < n.next) return true;
    const std::uint32_t k = j - n.next;
    return k < kWindow && ((n.mask >> k) & 1u);
  }
  static void consume(Node& n, std::uint32_t j) {
    n.mask |= 1u << (j - n.next);
    while (n.mask & 1u) {
      n.mask >>= 1;
      ++n.next;
    }
  }
  // An item may be consumed when every earlier unconsumed item is within the tolerance of it.
  bool available(const Node& n, std::uint32_t j) const {
    if (j >= items.size() || consumed(n, j) || j - n.next >= kWindow) return false;
    for (std::uint32_t p = n.next; p < j; ++p)
      if (!consumed(n, p) && items[j].t - items[p].t > in.order_tolerance_ms) return false;
    return true;
  }
  std::uint32_t earliest_event(const Node& n) const {
    for (std::uint32_t j = n.next; j < items.size(); ++j)
      if (items[j].event && !consumed(n, j)) return items[j].index;
    return kNone;
  }

  const std::vector<std::uint32_t>& samples_of(std::size_t t, bool ice) const { return field_items[t * 2 + (ice ? 0 : 1)]; }
  bool any_sample_consumed(const Node& n, std::size_t t, bool ice) const {
    const auto& l = samples_of(t, ice);
    for (std::size_t k = 0; k < l.size() && k < 2; ++k)
      if (consumed(n, l[k])) return true;
    return false;
  }
  std::optional<std::uint8_t> next_sample_value(const Node& n, std::size_t t, bool ice) const {
    const auto& l = samples_of(t, ice);
    for (auto it = std::lower_bound(l.begin(), l.end(), n.next); it != l.end(); ++it)
      if (!consumed(n, *it)) return in.samples[items[*it].index].value;
    return std::nullopt;
  }

  Key key(const Node& n) const {
    std::uint64_t states = 0;
    if (anonymous) {
      std::array<std::uint8_t, 8> pairs{};
      for (std::size_t t = 0; t < transports; ++t)
        pairs[t] = static_cast<std::uint8_t>(static_cast<unsigned>(n.model.ice_state(static_cast<TransportId>(t))) * 8u +
                                             static_cast<unsigned>(n.model.dtls_state(static_cast<TransportId>(t))));
      for (std::size_t i = 1; i < transports; ++i)  // insertion sort: at most 6, and GCC 12 misreads std::sort here
        for (std::size_t j = i; j > 0 && pairs[j - 1] > pairs[j]; --j) std::swap(pairs[j - 1], pairs[j]);
      for (std::size_t t = 0; t < transports; ++t) states = states << 6 | pairs[t];
    } else {
      for (std::size_t t = 0; t < transports; ++t)
        states = states << 6 | (static_cast<unsigned>(n.model.ice_state(static_cast<TransportId>(t))) * 8u +
                                static_cast<unsigned>(n.model.dtls_state(static_cast<TransportId>(t))));
    }
    const auto pcs = n.model.connection_state();
    states = states << 3 | static_cast<unsigned>(n.model.ice_connection_state());
    states = states << 3 | (pcs ? static_cast<unsigned>(*pcs) : 7u);
    states = states << 13 | n.violations;
    states = states << 7 | static_cast<unsigned>(n.skip_used) << 6 | n.watched_skip;
    return Key{states, static_cast<std::uint64_t>(n.next) << 32 | n.mask};
  }

  // Matches the pc events a step fired with available items, in order; false when one has none
  // (unless the allowance of the first unconsumed event, `first`, lets one go missing).
  bool match(Node& c, const StepResult& r, std::uint32_t first) {
    const bool allowance = first != kNone && first < allow_skip.size() && allow_skip[first];
    bool skipped_here = false;
    for (const Event& e : r.events) {
      if (!e.is_pc_event()) continue;
      const std::size_t type = e.type == EventType::IceConnectionStateChange ? kIceConnectionEvent : kConnectionEvent;
      std::uint32_t found = kNone;
      for (std::uint32_t j = c.next; j < items.size() && j - c.next < kWindow; ++j) {
        if (!items[j].event) continue;
        const PartialEvent& pe = in.events[items[j].index];
        if (pe.type == type && pe.value == e.state && available(c, j)) {
          found = j;
          break;
        }
      }
      if (found == kNone) {
        if (!allowance || c.skip_used) return false;
        c.skip_used = skipped_here = true;
        if (first == watch_skip) c.watched_skip = static_cast<std::uint8_t>(type * 8 + e.state + 1);
        continue;
      }
      consume(c, found);
    }
    if (c.skip_used && earliest_event(c) != first) {  // a new event, a new allowance
      c.skip_used = false;
      if (first == watch_skip && skipped_here) c.watched_skip |= kSameStep;
    }
    return true;
  }

  void run() {
    const std::size_t total = items.size();
    std::vector<std::unordered_map<Key, Node, KeyHash>> layers(total + 1);
    // A layer is done once processed; only the first unconsumed item of its nodes is kept, for the blame.
    std::vector<std::uint32_t> stuck_at(total + 1, kNone);
    std::size_t deepest = 0;
    std::vector<Node> work;
    auto insert = [&](Node&& n, std::size_t current) {
      const std::size_t layer = n.next + static_cast<std::size_t>(std::popcount(n.mask));
      auto [it, fresh] = layers[layer].try_emplace(key(n), n);
      if (!fresh) return;
      ++nodes;
      if (layer == current) work.push_back(std::move(n));
    };
    {
      Node start{PeerConnectionModel(in.profile), 0, 0, 0};
      for (std::size_t t = 0; t < transports; ++t) start.model.add(static_cast<TransportId>(t));
      layers[0].emplace(key(start), start);
      nodes = 1;
    }
    for (std::size_t layer = 0; layer <= total; ++layer) {
      if (layers[layer].empty()) continue;
      deepest = layer;
      if (layer == total) break;
      work.clear();
      for (auto& [k, n] : layers[layer]) work.push_back(n);
      while (!work.empty()) {
        if (nodes > in.max_nodes) {
          exhausted = true;
          return;
        }
        const Node n = std::move(work.back());
        work.pop_back();
        expand(n, layer, insert);
      }
      for (const auto& [k, n] : layers[layer]) stuck_at[layer] = std::min(stuck_at[layer], n.next);
      if (layer + 1 < total || layers[total].empty()) {
        deepest_masks.clear();
        deepest_skipped.clear();
        for (const auto& [k, n] : layers[layer]) {
          deepest_masks.push_back(n.violations);
          deepest_skipped.push_back(n.watched_skip);
        }
      }
      std::unordered_map<Key, Node, KeyHash>().swap(layers[layer]);
    }
    accepted = !layers[total].empty();
    if (!accepted) blamed = stuck_at[deepest];
    // What the explanations needed: those that deliver every event; else those that got furthest.
    if (accepted) {
      for (const auto& [k, n] : layers[total]) {
        watched.push_back(n.violations);
        skipped.push_back(n.watched_skip);
      }
    } else {
      watched = deepest_masks;
      skipped = deepest_skipped;
    }
  }

  template <class Insert> void expand(const Node& n, std::size_t layer, Insert& insert) {
    // A sample holds when the transport is in the sampled state as the search passes it.
    if (evidence) {
      for (std::uint32_t j = n.next; j < items.size() && j - n.next < kWindow; ++j) {
        if (items[j].event || !available(n, j)) continue;
        const PartialSample& s = in.samples[items[j].index];
        const auto tid = static_cast<TransportId>(s.transport);
        const std::uint8_t now = s.ice ? static_cast<std::uint8_t>(n.model.ice_state(tid))
                                       : static_cast<std::uint8_t>(n.model.dtls_state(tid));
        if (now != s.value) continue;
        Node c = n;
        consume(c, j);
        insert(std::move(c), layer);
      }
    }
    const std::uint32_t first_event = (evidence || !waived.empty() || !allow_skip.empty()) ? earliest_event(n) : kNone;
    const bool waiver = first_event != kNone && first_event < waived.size() && waived[first_event];
    for (std::size_t t = 0; t < transports; ++t) {
      const auto tid = static_cast<TransportId>(t);
      for (bool ice : {true, false}) {
        const std::uint8_t from = ice ? static_cast<std::uint8_t>(n.model.ice_state(tid))
                                      : static_cast<std::uint8_t>(n.model.dtls_state(tid));
        const std::uint8_t count = ice ? 7 : 5;
        for (std::uint8_t to = 0; to < count; ++to) {
          if (to == from) continue;
          if (ice ? illegal_ice_transition(static_cast<IceTransportState>(from), static_cast<IceTransportState>(to)).has_value()
                  : illegal_dtls_transition(static_cast<DtlsTransportState>(from), static_cast<DtlsTransportState>(to)).has_value())
            continue;
          Node c = n;
          const StepResult r = ice ? c.model.set_ice(tid, static_cast<IceTransportState>(to))
                                   : c.model.set_dtls(tid, static_cast<DtlsTransportState>(to));
          bool shown = true;
          if (evidence) {
            bool fires_ics = false;
            for (const Event& e : r.events) fires_ics |= e.type == EventType::IceConnectionStateChange;
            const auto next_value = next_sample_value(n, t, ice);
            shown = (ice && fires_ics) || !any_sample_consumed(n, t, ice) || (next_value && *next_value == to);
          }
          if (!shown) {
            if (!waiver) continue;
            if (first_event == watch) c.violations |= violation_bit(ice, to);  // kept to the end: part of the key
          }
          if (!match(c, r, first_event)) continue;
          insert(std::move(c), layer);
        }
      }
    }
  }
};

std::string ms_text(double ms) {
  char buf[48];
  if (std::fabs(ms) < 1000) std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  else std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000.0);
  return buf;
}

std::string_view value_name(std::size_t type, std::uint8_t v) {
  return type == kIceConnectionEvent ? to_string(static_cast<IceConnectionState>(v))
                                     : to_string(static_cast<PeerConnectionState>(v));
}

std::string_view attribute_of(std::size_t type) {
  return type == kIceConnectionEvent ? "iceConnectionState" : "connectionState";
}

// The row of the profile's table that gives `value` (the first presence that derives it).
RuleId rule_for_value(Profile profile, std::size_t type, std::uint8_t value) {
  for (unsigned ice = 1; ice < 128; ++ice) {
    for (unsigned dtls = 1; dtls < 32; ++dtls) {
      const Presence p{static_cast<std::uint8_t>(ice), static_cast<std::uint8_t>(dtls)};
      RuleId rule = RuleId::IcsNew;
      if (type == kIceConnectionEvent) {
        if (static_cast<std::uint8_t>(derive_ice_connection_state(profile, false, p, &rule)) == value) return rule;
        continue;
      }
      for (std::uint8_t slot = 0; slot < enum_count<IceConnectionState>; ++slot) {
        const auto pcs = derive_connection_state(profile, false, static_cast<IceConnectionState>(slot), p, &rule);
        if (pcs && static_cast<std::uint8_t>(*pcs) == value) return rule;
      }
    }
  }
  return type == kIceConnectionEvent ? RuleId::IcsClosed : RuleId::Pcs2025Closed;  // closed: never delivered before close()
}

// "before it, iceConnectionState was 'checking' and connectionState 'connecting'"
std::string context_before(const PartialInput& in, std::size_t e) {
  std::uint8_t last[2] = {static_cast<std::uint8_t>(IceConnectionState::New),
                          static_cast<std::uint8_t>(PeerConnectionState::New)};
  for (std::size_t i = 0; i < e; ++i) last[in.events[i].type] = in.events[i].value;
  return "iceConnectionState was '" + std::string(value_name(kIceConnectionEvent, last[0])) + "' and connectionState '" +
         std::string(value_name(kConnectionEvent, last[1])) + "'";
}

std::string state_text(bool ice, std::uint8_t s) {
  return std::string(ice ? "an ICE transport in '" : "a DTLS transport in '") +
         std::string(ice ? to_string(static_cast<IceTransportState>(s)) : to_string(static_cast<DtlsTransportState>(s))) + "'";
}

// "the last dtlsState sample (dtls:8-1.T01, line 40), 11.0 s earlier, says 'connected'"
std::string samples_around(const PartialInput& in, bool ice, double t) {
  const PartialSample* before = nullptr;
  const PartialSample* after = nullptr;
  for (const auto& s : in.samples) {
    if (s.ice != ice) continue;
    if (s.t <= t) before = &s;
    else if (!after) after = &s;
  }
  auto name = [&](const PartialSample& s) {
    return std::string(ice ? "ice:" : "dtls:") + in.transports[s.transport] + ", line " + std::to_string(s.line);
  };
  auto value = [&](const PartialSample& s) {
    return std::string(ice ? to_string(static_cast<IceTransportState>(s.value)) : to_string(static_cast<DtlsTransportState>(s.value)));
  };
  const std::string field = ice ? "iceState" : "dtlsState";
  std::string out;
  if (before) out = "the last " + field + " sample (" + name(*before) + "), " + ms_text(t - before->t) + " earlier, says '" + value(*before) + "'";
  else out = "no " + field + " sample comes before it";
  if (after) out += "; the next (" + name(*after) + "), " + ms_text(after->t - t) + " later, says '" + value(*after) + "'";
  else if (before) out += ", and none comes after it";
  return out;
}

// What would have to be true, from the violation masks of the explanations found: the minimal
// ones (an explanation that also wanders through other unshown states adds nothing), joined by
// "and" within one explanation and "or" between explanations.
std::string needed_text(std::vector<std::uint16_t> masks, bool& ice_needed, bool& dtls_needed, std::string& expected) {
  std::sort(masks.begin(), masks.end(), [](std::uint16_t a, std::uint16_t b) {
    return std::popcount(a) != std::popcount(b) ? std::popcount(a) < std::popcount(b) : a < b;
  });
  std::vector<std::uint16_t> minimal;
  for (auto m : masks) {
    bool covered = false;
    for (auto k : minimal) covered |= (m & k) == k;
    if (!covered) minimal.push_back(m);
  }
  constexpr std::size_t kMaxAlternatives = 4;
  ice_needed = dtls_needed = false;
  std::string out;
  for (std::size_t a = 0; a < minimal.size() && a < kMaxAlternatives; ++a) {
    std::vector<std::string> parts, short_parts;
    for (std::uint8_t st = 0; st < 7; ++st)
      if (minimal[a] & violation_bit(true, st)) {
        parts.push_back(state_text(true, st));
        short_parts.push_back("ice " + std::string(to_string(static_cast<IceTransportState>(st))));
        ice_needed = true;
      }
    for (std::uint8_t st = 0; st < 5; ++st)
      if (minimal[a] & violation_bit(false, st)) {
        parts.push_back(state_text(false, st));
        short_parts.push_back("dtls " + std::string(to_string(static_cast<DtlsTransportState>(st))));
        dtls_needed = true;
      }
    std::string one, short_one;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      one += (i ? (i + 1 == parts.size() ? " and " : ", ") : "") + parts[i];
      short_one += (i ? " + " : "") + short_parts[i];
    }
    out += (a ? " or " : "") + one;
    expected += (a ? " | " : "") + short_one;
  }
  if (minimal.size() > kMaxAlternatives) out += " (or " + std::to_string(minimal.size() - kMaxAlternatives) + " more)";
  return out;
}

}  // namespace

PartialResult judge_partial(const PartialInput& in) {
  PartialResult result;
  const std::size_t n_events = in.events.size();
  if (n_events == 0) return result;

  // Question 1: could any transport states produce the events? Where none can, either one event
  // the spec requires is missing from the trace (the stack left it out), or the delivered event
  // itself is impossible; whichever lets the search go further is reported, and the search goes on.
  std::vector<char> impossible(n_events, 0), allow_skip(n_events, 0);
  const std::size_t hidden = std::max<std::size_t>(1, std::min<std::size_t>(in.hidden_transports, 6));
  // How far a search got: past every event, else the event it stopped at.
  auto progress = [&](const Search& s) -> std::size_t { return s.accepted ? n_events + 1 : s.items[s.blamed].index; };
  auto question1 = [&](std::uint32_t watch_skip) {
    auto s = std::make_unique<Search>(in);
    s->transports = hidden;
    s->anonymous = true;
    s->allow_skip = allow_skip;
    s->watch_skip = watch_skip;
    for (std::uint32_t e = 0; e < n_events; ++e)
      if (!impossible[e]) s->items.push_back({true, e, in.events[e].t, in.events[e].line});
    s->run();
    return s;
  };
  auto exhausted_note = [&] {
    result.note = "not judged: the search over " + std::to_string(hidden) + " transports exceeded " +
                  std::to_string(in.max_nodes) + " states";
    result.findings.clear();
  };
  // Each round reuses the search of the fix it chose: its settings are the next round's.
  std::unique_ptr<Search> q1 = question1(kNone);
  for (std::size_t round = 0;; ++round) {
    if (round == kMaxFindings) {
      result.note = "judged up to " + std::to_string(kMaxFindings) + " findings; the events after the last one were not";
      return result;
    }
    if (q1->exhausted) {
      exhausted_note();
      return result;
    }
    if (q1->accepted) break;
    const std::uint32_t e = q1->items[q1->blamed].index;
    const PartialEvent& ev = in.events[e];
    // Candidate 1: an event the spec fires on the way to this one is missing from the trace.
    std::optional<std::uint8_t> left_out;
    std::size_t with_missing = 0;
    std::unique_ptr<Search> m;
    if (!allow_skip[e]) {
      allow_skip[e] = 1;
      m = question1(e);
      allow_skip[e] = 0;
      if (m->exhausted) {
        exhausted_note();
        return result;
      }
      // The event left out by the step that delivered this one, if some explanation has that; else the
      // one most explanations leave out.
      std::map<std::uint8_t, std::size_t> votes;
      for (auto code : m->skipped)
        if (code) ++votes[code];
      std::size_t best = 0;
      for (const auto& [code, count] : votes) {
        const std::size_t score = count + ((code & kSameStep) ? m->skipped.size() + 1 : 0);
        if (score > best) {
          best = score;
          left_out = static_cast<std::uint8_t>(code & ~kSameStep);
        }
      }
      with_missing = progress(*m);
    }
    // Candidate 2: the delivered event itself is impossible.
    impossible[e] = 1;
    auto r = question1(kNone);
    impossible[e] = 0;
    if (r->exhausted) {
      exhausted_note();
      return result;
    }
    const std::size_t without = progress(*r);
    PartialFinding f;
    f.event = e;
    if (left_out && with_missing >= without) {
      allow_skip[e] = 1;
      q1 = std::move(m);
      const std::size_t type = (*left_out - 1) / 8;
      const auto value = static_cast<std::uint8_t>((*left_out - 1) % 8);
      f.kind = PartialFinding::Kind::Missing;
      f.rule = rule_for_value(in.profile, type, value);
      f.expected = std::string(value_name(type, value));
      f.missing_type = type;
      f.message = std::string(type == kIceConnectionEvent ? "iceconnectionstatechange" : "connectionstatechange") + " '" +
                  f.expected + "' is missing: under " + std::string(to_string(in.profile)) +
                  " no transport states deliver the events so far and then " +
                  (ev.type == kIceConnectionEvent ? "iceconnectionstatechange" : "connectionstatechange") + " '" +
                  std::string(value_name(ev.type, ev.value)) + "' (line " + std::to_string(ev.line) +
                  ") without it (before that event, " + context_before(in, e) + ")";
    } else {
      impossible[e] = 1;
      q1 = std::move(r);
      f.kind = PartialFinding::Kind::Impossible;
      f.rule = rule_for_value(in.profile, ev.type, ev.value);
      f.message = std::string(ev.type == kIceConnectionEvent ? "iceconnectionstatechange" : "connectionstatechange") +
                  " '" + std::string(value_name(ev.type, ev.value)) + "' cannot come here under " +
                  std::string(to_string(in.profile)) + ": no states of up to " + std::to_string(hidden) +
                  " transports, changing one at a time, deliver the events so far and then this one (before it, " +
                  context_before(in, e) + ")";
    }
    result.findings.push_back(std::move(f));
  }
  if (in.transports.empty() || in.samples.empty()) return result;

  // Question 2: could the transports the trace shows produce them?
  std::vector<char> waived(n_events, 0), beyond(n_events, 0), dropped(in.samples.size(), 0);
  auto build = [&](Search& s) {
    s.transports = in.transports.size();
    s.anonymous = false;
    s.evidence = true;
    s.waived = waived;
    s.allow_skip = allow_skip;
    std::vector<Item> items;
    for (std::uint32_t e = 0; e < n_events; ++e)
      if (!impossible[e] && !beyond[e]) items.push_back({true, e, in.events[e].t, in.events[e].line});
    for (std::uint32_t k = 0; k < in.samples.size(); ++k)
      if (!dropped[k]) items.push_back({false, k, in.samples[k].t, in.samples[k].line});
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.t != b.t ? a.t < b.t : a.line < b.line;
    });
    s.items = std::move(items);
    s.field_items.assign(s.transports * 2, {});
    for (std::uint32_t j = 0; j < s.items.size(); ++j)
      if (!s.items[j].event) {
        const PartialSample& smp = in.samples[s.items[j].index];
        s.field_items[smp.transport * 2 + (smp.ice ? 0 : 1)].push_back(j);
      }
  };
  if (in.transports.size() > 6) {  // 6 bits of Key::states per transport
    result.note = "transport evidence not used: the trace names " + std::to_string(in.transports.size()) +
                  " transports for this pc (at most 6 are searched)";
    return result;
  }
  auto question2 = [&]() {
    auto q = std::make_unique<Search>(in);
    build(*q);
    q->run();
    return q;
  };
  std::unique_ptr<Search> current = question2();
  for (std::size_t round = 0;; ++round) {
    if (round == kMaxFindings) {
      result.note = "the transport samples were used up to " + std::to_string(kMaxFindings) + " findings";
      return result;
    }
    Search& s = *current;
    if (s.exhausted) {
      result.note = "the transport samples were not fully used: the search exceeded " + std::to_string(in.max_nodes) + " states";
      return result;
    }
    if (s.accepted) break;
    const Item blamed = s.items[s.blamed];
    if (!blamed.event) {
      const PartialSample& smp = in.samples[blamed.index];
      dropped[blamed.index] = 1;
      PartialFinding f;
      f.kind = PartialFinding::Kind::UnexplainedSample;
      f.sample = blamed.index;
      const std::string what = std::string(smp.ice ? "ice:" : "dtls:") + in.transports[smp.transport] + " '" +
                               std::string(smp.ice ? to_string(static_cast<IceTransportState>(smp.value))
                                                   : to_string(static_cast<DtlsTransportState>(smp.value))) + "'";
      f.expected = what;
      f.message = "the sample " + what + " fits no sequence of transport states that delivers the pc events around it"
                  " (a state change that fires no event, or events the trace does not have)";
      result.findings.push_back(std::move(f));
      current = question2();
      continue;
    }
    const std::uint32_t e = blamed.index;
    if (waived[e]) {  // reported already, and still in the way: leave it out of question 2
      beyond[e] = 1;
      current = question2();
      continue;
    }
    // Run again with the evidence waived up to this event, collecting what the states had to be;
    // that search is the next round's.
    auto next = std::make_unique<Search>(in);
    Search& w = *next;
    waived[e] = 1;
    build(w);
    w.watch = e;
    w.run();
    const PartialEvent& ev = in.events[e];
    PartialFinding f;
    f.kind = PartialFinding::Kind::NeedsUnshownState;
    f.event = e;
    const std::string what = std::string(attribute_of(ev.type)) + " became '" + std::string(value_name(ev.type, ev.value)) + "'";
    const bool explained = std::any_of(w.watched.begin(), w.watched.end(), [](std::uint16_t m) { return m != 0; });
    if (explained) {
      bool ice_needed = false, dtls_needed = false;
      std::vector<std::uint16_t> masks;
      for (auto m : w.watched)
        if (m) masks.push_back(m);
      const std::string needed = needed_text(masks, ice_needed, dtls_needed, f.expected);
      f.rule = rule_for_value(in.profile, ev.type, ev.value);
      std::string where;
      if (dtls_needed) where = samples_around(in, false, ev.t);
      if (ice_needed) where += (where.empty() ? "" : "; ") + samples_around(in, true, ev.t);
      f.message = what + " while " + context_before(in, e) + ": under " + std::string(to_string(in.profile)) +
                  " this needs " + needed + ", which the trace does not show; " + where;
    } else {
      // Even unconstrained, the transports the trace names cannot give it: it needs more of them.
      waived[e] = 0;
      beyond[e] = 1;
      f.rule = rule_for_value(in.profile, ev.type, ev.value);
      f.expected = "more than " + std::to_string(in.transports.size()) + " transport(s)";
      f.message = what + " while " + context_before(in, e) + ": under " + std::string(to_string(in.profile)) +
                  " this needs more transports than the " + std::to_string(in.transports.size()) +
                  " the trace shows for this pc";
    }
    result.findings.push_back(std::move(f));
    current = explained ? std::move(next) : question2();
  }
  return result;
}

}  // namespace connstate::trace::internal
