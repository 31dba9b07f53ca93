// protocol.h — protocol 1: the JSON-lines messages between the harness and an adapter.
//
// One request per line, exactly one response line per request, in order; every
// request has "op" and an integer "id" that its response echoes. This file builds
// the requests the harness sends and checks the responses it gets (strictly: an
// answer that is not what protocol 1 allows is an error with the offending line
// as evidence). docs/adapter-protocol.md is the normative description.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/harness/stack.h"

namespace connstate::harness::protocol {

inline constexpr int kVersion = 1;

// A response that breaks the protocol; `what()` says how.
struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string hello_request(std::int64_t id);
std::string evaluate_request(std::int64_t id, const Case& c);
std::string reset_request(std::int64_t id, const ModelOptions& options);
std::string step_request(std::int64_t id, const SequenceStep& s);
std::string bye_request(std::int64_t id);

struct Hello {
  std::string name, version, homepage, issues;
  bool evaluate = false, sequence = false;
};
Hello parse_hello(std::string_view line, std::int64_t id);

// Ok / Unsupported / Error (the adapter's own "error" field) answers; ProtocolError otherwise.
SnapshotAnswer parse_evaluate_response(std::string_view line, std::int64_t id);
// For reset: status only (states/events are ignored).
SnapshotAnswer parse_reset_response(std::string_view line, std::int64_t id);
struct StepAnswer {
  AnswerStatus status = AnswerStatus::Ok;
  StepOutcomeText outcome;
  std::string message;
};
StepAnswer parse_step_response(std::string_view line, std::int64_t id);
void parse_bye_response(std::string_view line, std::int64_t id);

// Evidence text: the line cut to `max` bytes with a note of its full size.
std::string truncate_for_evidence(std::string_view line, std::size_t max = 300);

}  // namespace connstate::harness::protocol
