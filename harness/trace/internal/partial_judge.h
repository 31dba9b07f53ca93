// partial_judge.h — judging the peer-connection events of a partial trace by what they imply.
//
// A partial trace shows a pc's iceconnectionstatechange / connectionstatechange events but
// few or none of the transport changes behind them (a chrome://webrtc-internals dump polls the
// transport states about once a second; a recorder may see no transport at all). The checker
// cannot replay such a trace; instead it asks the reference model two questions:
//
//  1. Could ANY transport states produce this sequence of pc events? The search runs the
//     event model (PeerConnectionModel) over every assignment of up to `hidden_transports`
//     anonymous transports, every legal state change one at a time, and keeps the model states
//     whose events so far equal the delivered ones. Where no state can go on, either an event the
//     spec requires is `missing` from the trace (the stack left it out) or the delivered event is
//     `impossible` — whichever lets the search go further (both fail); the search then goes on.
//  2. Could the transport states the trace DOES show produce it? The same search over the
//     transports the trace names, where every sample must hold at its time and every change
//     must be shown: by the next sample of that transport, by the iceconnectionstatechange it
//     fires (the ICE aggregate is a view of the ICE transports), or by coming before the
//     transport's first sample (no sample, no evidence). An event possible only with states the
//     trace does not show is `needs-unshown-state` (informational), naming those states and the
//     last sample; a sample no explanation passes through is `unexplained-sample`.
//
// Items (events and samples) closer in time than the order tolerance may have happened in
// either order (a dump's log times come from another process than the one that fired them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "connstate/profiles.h"
#include "connstate/rules.h"

namespace connstate::trace::internal {

inline constexpr std::size_t kIceConnectionEvent = 0, kConnectionEvent = 1;

struct PartialEvent {
  std::size_t type = kIceConnectionEvent;  // kIceConnectionEvent or kConnectionEvent
  std::uint8_t value = 0;                  // IceConnectionState or PeerConnectionState
  double t = 0;
  std::size_t line = 0;
  std::uint32_t step = 0;                  // timeline step
};

struct PartialSample {
  std::size_t transport = 0;  // index into PartialInput::transports
  bool ice = true;            // the ICE state (else the DTLS state) of that transport
  std::uint8_t value = 0;     // IceTransportState or DtlsTransportState
  double t = 0;
  std::size_t line = 0;
  std::uint32_t step = 0;     // timeline step
};

struct PartialInput {
  Profile profile = Profile::Rec2025;
  std::vector<PartialEvent> events;     // in log order, before close(), without repeated values
  std::vector<std::string> transports;  // the transports the trace names ("8-1.T01")
  std::vector<PartialSample> samples;   // in log order
  double order_tolerance_ms = 0;
  std::size_t hidden_transports = 2;    // how many anonymous transports question 1 tries
  std::size_t max_nodes = 1'000'000;    // per search; beyond it the pc is left unjudged
};

struct PartialFinding {
  enum class Kind : std::uint8_t { Impossible, Missing, NeedsUnshownState, UnexplainedSample };
  Kind kind = Kind::Impossible;
  std::size_t event = 0;     // index into PartialInput::events (Impossible, NeedsUnshownState)
  std::size_t sample = 0;    // index into PartialInput::samples (UnexplainedSample)
  std::size_t missing_type = 0;  // Missing: kIceConnectionEvent or kConnectionEvent (`expected` is its value)
  RuleId rule = RuleId::Pcs2025New;  // the state-table row at stake (not for UnexplainedSample)
  std::string expected;      // what would have to be true ("dtls failed")
  std::string message;
};

struct PartialResult {
  std::vector<PartialFinding> findings;
  std::string note;          // "" or why the judgement is incomplete
};

PartialResult judge_partial(const PartialInput& input);

}  // namespace connstate::trace::internal
