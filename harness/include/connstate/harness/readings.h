// readings.h — the documented readings that give a case its `non-strict` and `informational` answers.
//
// Where the specification's authors evidently meant something other than the literal text, or
// the text leaves a choice open, the project documents the other reading (docs/spec/completed-gap.md,
// docs/spec/open-policies.md, docs/spec/legacy-differences.md) and accepts what it gives with a
// verdict. This is the one place that rule lives: a case's acceptable alternatives are what the
// reference answers for the case's input under each reading that applies to the run's profile,
// whenever that differs from the literal answer. Hand-written cases and generated snapshots and
// sequences get them alike, so the same input gets the same verdicts wherever it comes from. The
// `alternatives` written in a case file are a cross-check: the loader refuses a written
// `non-strict` or `informational` alternative that no reading gives (as it refuses an `expect`
// the reference does not give).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "connstate/harness/cases.h"

namespace connstate::harness {

struct DocumentedReading {
  std::string_view id;    // "completed-counts-as-connected"
  Verdict verdict;        // NonStrict or Informational
  std::uint8_t profiles;  // bit per Profile: the profiles it is a reading of
  std::string_view note;  // one line, with the docs/spec/ note that justifies it
  bool snapshots;         // applies to snapshot inputs
  bool sequences;         // applies to sequence inputs
  Readings readings;      // how the reference model reads the text under it
  ModelOptions options;   // sequence options it turns on (a case that already has them on is not re-read)
  // legacy-mdn snapshots: MDN's `connecting` row ("checking or connected", none failed) also matches.
  bool mdn_connecting_wording = false;
};

// Every documented reading, non-strict ones first (the first reading that gives an outcome names it).
std::span<const DocumentedReading> documented_readings();

// The outcome the reading gives for the case's input under `profile`, or std::nullopt when the
// reading does not apply (another profile, another kind of case, an option the case already has).
std::optional<ExpectedOutcome> reading_outcome(const Case& c, Profile profile, const DocumentedReading& reading);

// The case's derived alternatives under `profile`: one per distinct outcome that differs from
// `pass`, with the verdict and note of the first reading that gives it.
std::vector<std::pair<Verdict, ExpectedOutcome>> derived_alternatives(const Case& c, Profile profile,
                                                                      const ExpectedOutcome& pass);

}  // namespace connstate::harness
