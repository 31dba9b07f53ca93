// protocol.h — protocol 1: the JSON-lines messages between the harness and an adapter.
//
// One request per line, exactly one response line per request, in order; every
// request has "op" and an integer "id" that its response echoes. This file builds
// the requests the harness sends and checks the responses it gets, strictly. Two
// kinds of breach are told apart: a line that loses the conversation (not JSON, no
// id, the wrong id) throws ProtocolError and the adapter must be restarted; a line
// that keeps it but carries a value protocol 1 does not allow (a state string that
// does not exist, a wrong type, an unknown event target or type) answers the case
// with status Error, "adapter broke the protocol: …", and the adapter goes on.
// docs/adapter-protocol.md is the normative description.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/harness/stack.h"

namespace connstate::harness::protocol {

inline constexpr int kVersion = 1;

// A response after which the harness and the adapter no longer agree on what answers what.
struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string hello_request(std::int64_t id);
std::string evaluate_request(std::int64_t id, const Case& c);
// `{"closed":…,"transports":[{"ice":…,"dtls":…[,"sctp_only":true]}…]}`: a snapshot as evaluate sends it and
// as the results file records it.
void append_snapshot_json(std::string& out, const Case& c);
void append_snapshot_fields(std::string& out, const Case& c);  // the same without the braces
std::string reset_request(std::int64_t id, const ModelOptions& options);
std::string step_request(std::int64_t id, const SequenceStep& s);
std::string bye_request(std::int64_t id);

struct Hello {
  std::string name, version, homepage, issues;
  bool evaluate = false, sequence = false;
};
Hello parse_hello(std::string_view line, std::int64_t id);

// Ok / Unsupported / Error answers (Error: the adapter's own "error" field, or a value outside
// the protocol, with the line as evidence); ProtocolError when the line loses the conversation.
SnapshotAnswer parse_evaluate_response(std::string_view line, std::int64_t id);
// For reset: status only (states/events are ignored).
SnapshotAnswer parse_reset_response(std::string_view line, std::int64_t id);
struct StepAnswer {
  AnswerStatus status = AnswerStatus::Ok;
  StepOutcomeText outcome;
  std::string message;
  std::string evidence;
};
// `transport_names`: the transports the case named; an event at any other is outside the protocol
// (empty: any name is accepted).
StepAnswer parse_step_response(std::string_view line, std::int64_t id,
                               const std::vector<std::string>& transport_names = {});
void parse_bye_response(std::string_view line, std::int64_t id);

// Evidence text: the line cut to `max` bytes with a note of its full size.
std::string truncate_for_evidence(std::string_view line, std::size_t max = 300);

// How a report names a request the harness sent: "request 17 (ice t0 → checking)".
std::string describe_request(std::string_view request_line);

// The prefix of every message about a value outside protocol 1.
inline constexpr std::string_view kBrokeProtocol = "adapter broke the protocol: ";

}  // namespace connstate::harness::protocol
