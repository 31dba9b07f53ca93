// readings.cpp — see readings.h.
#include "connstate/harness/readings.h"

#include <algorithm>
#include <array>

namespace connstate::harness {
namespace {

constexpr std::uint8_t bit(Profile p) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(p)); }
constexpr std::uint8_t kAllProfiles = 0xf;

constexpr Readings completed_counts_as_connected() {
  Readings r;
  r.completed_counts_as_connected = true;
  return r;
}
constexpr Readings undefined_as(Readings::Undefined how) {
  Readings r;
  r.undefined_connection_state = how;
  return r;
}
constexpr Readings ice_closes_first() {
  Readings r;
  r.ice_closes_first_on_remove = true;
  return r;
}
constexpr Readings never_started_leaves_silently() {
  Readings r;
  r.never_started_transport_leaves_silently = true;
  return r;
}
constexpr Readings dtls_statechange_after_close() {
  Readings r;
  r.dtls_statechange_after_close = true;
  return r;
}
constexpr ModelOptions rederive_on_set_change() {
  ModelOptions o;
  o.rederive_on_set_change = true;
  return o;
}
constexpr ModelOptions events_on_close() {
  ModelOptions o;
  o.events_on_close = true;
  return o;
}

const std::array<DocumentedReading, 9> kReadings = {{
    {"completed-counts-as-connected", Verdict::NonStrict, bit(Profile::Rec2025),
     "the reading PR #2828 evidently intended: ICS completed counts as connected "
     "(docs/spec/completed-gap.md#completed-gap)",
     true, true, completed_counts_as_connected(), {}},
    {"rec-2021-undefined-as-connecting", Verdict::Informational, bit(Profile::Rec2021),
     "REC 2021 defines no connectionState here (issue #2678); a stack that falls back to connecting, as "
     "amendment 4 later specified, gives this (docs/spec/open-policies.md#policy.rec-2021-undefined)",
     true, true, undefined_as(Readings::Undefined::Connecting), {}},
    {"rec-2021-undefined-keeps-previous", Verdict::Informational, bit(Profile::Rec2021),
     "REC 2021 defines no connectionState here (issue #2678); a stack that keeps the previous value gives "
     "this (docs/spec/open-policies.md#policy.rec-2021-undefined)",
     false, true, undefined_as(Readings::Undefined::KeepPrevious), {}},
    {"rederive-on-set-change", Verdict::Informational, kAllProfiles,
     "re-deriving the aggregates when signaling adds or removes a transport; the literal text never does "
     "(docs/spec/open-policies.md#policy.rederive-on-set-change)",
     false, true, {}, rederive_on_set_change()},
    {"ice-closes-first-on-remove", Verdict::Informational, kAllProfiles,
     "the spec closes DTLS and ICE \"in a queued task\" without fixing their order: ICE first is also "
     "conformant (docs/spec/transport-set.md#transport-set.removal)",
     false, true, ice_closes_first(), {}},
    {"never-started-transport-leaves-silently", Verdict::Informational, kAllProfiles,
     "whether a discarded, never-started transport (ICE and DTLS new) fires closed events is not specified "
     "(docs/spec/transport-set.md#transport-set.removal)",
     false, true, never_started_leaves_silently(), {}},
    {"dtls-statechange-after-close", Verdict::Informational, kAllProfiles,
     "the DTLS state task has no [[IsClosed]] check, so a literal reading lets a queued DTLS statechange "
     "fire after close() (docs/spec/open-policies.md#policy.dtls-task-after-close)",
     false, true, dtls_statechange_after_close(), {}},
    {"events-on-close", Verdict::Informational, bit(Profile::LegacyMdn),
     "MDN says an event is sent whenever the value changes; the 2017 text and the browsers of the time fired "
     "on close() (docs/spec/open-policies.md#policy.events-on-close)",
     false, true, {}, events_on_close()},
    {"mdn-connecting-wording", Verdict::Informational, bit(Profile::LegacyMdn),
     "MDN's connecting row (\"checking or connected\", none failed) also matches this input "
     "(docs/spec/legacy-differences.md#legacy.connecting-wording)",
     true, false, {}, {}, /*mdn_connecting_wording=*/true},
}};

constexpr std::uint8_t state_bit(auto state) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(state)); }

// MDN: "One or more of the ICE transports are currently in the process of establishing a
// connection; that is, their iceConnectionState is either checking or connected, and no
// transports are in the failed state."
bool mdn_connecting_row_matches(const Case& c) {
  if (c.closed) return false;
  const Presence p = presence_of(Profile::LegacyMdn, c.transports);
  const bool establishing = p.ice & (state_bit(IceTransportState::Checking) | state_bit(IceTransportState::Connected));
  const bool failed = (p.ice & state_bit(IceTransportState::Failed)) || (p.dtls & state_bit(DtlsTransportState::Failed));
  return establishing && !failed;
}

bool same_outcome(const Case& c, const ExpectedOutcome& a, const ExpectedOutcome& b) {
  return c.kind == CaseKind::Snapshot ? a.snapshot == b.snapshot : a.steps == b.steps;
}

}  // namespace

std::span<const DocumentedReading> documented_readings() { return kReadings; }

std::optional<ExpectedOutcome> reading_outcome(const Case& c, Profile profile, const DocumentedReading& reading) {
  if (!((reading.profiles >> static_cast<unsigned>(profile)) & 1u)) return std::nullopt;
  if (!(c.kind == CaseKind::Snapshot ? reading.snapshots : reading.sequences)) return std::nullopt;
  ModelOptions options = c.options;
  if (reading.options.rederive_on_set_change) {
    if (c.options.rederive_on_set_change) return std::nullopt;
    options.rederive_on_set_change = true;
  }
  if (reading.options.events_on_close) {
    if (c.options.events_on_close) return std::nullopt;
    options.events_on_close = true;
  }
  ExpectedOutcome out = outcome_under(c, profile, reading.readings, options);
  if (reading.mdn_connecting_wording) {
    if (!mdn_connecting_row_matches(c)) return std::nullopt;
    out.snapshot.connection_state = std::string(to_string(PeerConnectionState::Connecting));
  }
  out.reason = std::string(reading.note);
  out.rules.clear();
  return out;
}

std::vector<std::pair<Verdict, ExpectedOutcome>> derived_alternatives(const Case& c, Profile profile,
                                                                      const ExpectedOutcome& pass) {
  std::vector<std::pair<Verdict, ExpectedOutcome>> out;
  for (const DocumentedReading& reading : kReadings) {
    auto outcome = reading_outcome(c, profile, reading);
    if (!outcome || same_outcome(c, *outcome, pass)) continue;
    if (std::any_of(out.begin(), out.end(), [&](const auto& known) { return same_outcome(c, known.second, *outcome); }))
      continue;
    out.emplace_back(reading.verdict, std::move(*outcome));
  }
  return out;
}

}  // namespace connstate::harness
