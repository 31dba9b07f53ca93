// spec_diff.h — where two readings of the spec disagree, found by exploring every input.
//
// `connstate spec-diff A B` derives every snapshot of at most N transports (each transport's ICE
// and DTLS state, at most one of them referenced only by [[SctpTransport]], the peer connection
// open or closed) and runs every step sequence of bounded length over two transports under both
// profiles. It reports:
//   - disagreements, grouped by kind: for values, the two answers and the rules that gave them
//     (which does not depend on how many transports there are or in which order); for events,
//     the step at which the two first differ and what each fires there. Each group has its count
//     and its smallest input;
//   - the inputs a profile leaves undefined (rec-2021: no row applies), grouped by iceConnectionState;
//   - the rule rows that never decide anything over the explored inputs (per profile).
// It uses the reference only. A Reading can also be built by hand, which the tests use to check
// that a rule deciding nothing is reported.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connstate/derivation.h"
#include "connstate/harness/cases.h"

namespace connstate::harness {

// One way of reading the state tables: how it derives a snapshot, which rule rows it has, and
// (for profiles of the reference) the event model it runs sequences with.
struct Reading {
  std::string name;
  std::function<Derivation(bool closed, std::span<const TransportState>)> derive;
  std::vector<RuleId> rules;          // every row it could decide with
  std::optional<Profile> profile;     // the event model for sequences; none: snapshots only
};

Reading reading_of(Profile profile);
// The rule rows a profile's tables consist of (ICE connection state, connection state, gathering).
std::vector<RuleId> rules_of(Profile profile);

struct SpecDiffOptions {
  int max_transports = 3;  // snapshots of 0..N transports
  int depth = 4;           // sequences of 1..depth steps over two transports; 0 = no sequences
};

struct DiffGroup {
  std::string aggregate;    // "connectionState", "iceConnectionState" or "events"
  std::string a, b;         // what each reading answers, with the deciding rule ("connecting (pcs-2025.connecting)")
  std::string context;      // what else the group shares (the other aggregate's values; for events, the step)
  std::string example;      // the smallest input
  std::size_t example_size = 0;
  std::size_t count = 0;
};

struct UndefinedGroup {
  std::string reading;
  std::string ice_connection_state;
  std::string example;
  std::size_t example_size = 0;
  std::size_t count = 0;
};

struct RuleUse {
  std::string reading;
  RuleId rule;
  std::size_t decided = 0;  // inputs (snapshots and gatherer sets) this rule decided
};

struct SpecDiff {
  std::string a, b;
  SpecDiffOptions options;
  std::size_t snapshots = 0, gatherer_sets = 0, sequences = 0;
  std::size_t differing_snapshots = 0, differing_sequences = 0;
  std::vector<DiffGroup> groups;          // values first (by count), then events
  std::vector<UndefinedGroup> undefined;  // both readings'
  std::vector<RuleUse> rule_uses;         // both readings', every rule
};

SpecDiff spec_diff(const Reading& a, const Reading& b, const SpecDiffOptions& options);

std::string spec_diff_text(const SpecDiff& d);
std::string spec_diff_markdown(const SpecDiff& d);
std::string spec_diff_json(const SpecDiff& d);

}  // namespace connstate::harness
