// why.h — presenting the reference's reasons: as JSON (eval, reports) and as text (explain).
#pragma once

#include <span>
#include <string>

#include "connstate/derivation.h"
#include "connstate/harness/cases.h"

namespace connstate::harness {

// {"rule":"pcs-2025.connecting","anchor":"…","url":"https://…","notes":"docs/spec/…","summary":"…","transports":[0,2]}
void append_rule_json(std::string& out, RuleId rule, std::uint64_t triggers, bool with_quote);
// {"connectionState":{…},"iceConnectionState":{…}}
void append_why_json(std::string& out, const Explanation& x, bool with_quote);
// "connecting" or "null"
std::string connection_state_json(const std::optional<PeerConnectionState>& s);
// The human-readable derivation `connstate explain` prints.
std::string explain_text(Profile profile, bool closed, std::span<const TransportState> transports);
// "connected/new" (+ " (sctp only)")
std::string transport_text(const TransportState& t);
// What `connstate explain CASE-ID` prints: the case (title, spec citation, inputs) and the
// reference's reasoning under `profile`: for a snapshot the deciding rule of each value; for a
// sequence, step by step, each event with why it fired, the events that did not fire and why,
// and the states afterwards; then the other acceptable outcomes.
std::string explain_case_text(const Case& c, Profile profile);

}  // namespace connstate::harness
