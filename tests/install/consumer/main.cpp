// consumer — a program of another project, built against the *installed* connstate package
// (find_package(connstate) or pkg-config). It uses the reference API for real and exits
// non-zero on any wrong answer, so the install test fails if the installed library, headers
// or package files are broken.
#include <array>
#include <cstdio>
#include <string_view>

#include <connstate/derivation.h>
#include <connstate/peer_connection_model.h>
#include <connstate/profiles.h>
#include <connstate/rules.h>
#include <connstate/states.h>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

template <class E>
bool is(const std::optional<E>& got, E want) {
  return got.has_value() && *got == want;
}

}  // namespace

int main() {
  using namespace connstate;

  // 1. Derive a snapshot: one transport, ICE `completed`, DTLS `connected`. REC 2025 read literally
  //    builds connectionState on the [[IceConnectionState]] slot, which is `completed`: `connecting`.
  //    REC 2021 + amendments looks at the transports and says `connected`.
  const std::array<TransportState, 1> t{{{IceTransportState::Completed, DtlsTransportState::Connected, false}}};
  const Derivation d = derive(Profile::Rec2025, /*closed=*/false, t);
  check(is(d.connection_state, PeerConnectionState::Connecting), "rec-2025: completed/connected -> connecting");
  check(d.ice_connection_state == IceConnectionState::Completed, "rec-2025: iceConnectionState completed");
  check(rule(d.connection_rule).id == "pcs-2025.connecting", "rec-2025: decided by rule pcs-2025.connecting");

  const auto amended = parse_profile("rec-2021-amended");
  check(amended.has_value() && *amended == Profile::Rec2021Amended, "parse_profile(\"rec-2021-amended\")");
  if (amended) {
    const Derivation a = derive(*amended, false, t);
    check(is(a.connection_state, PeerConnectionState::Connected), "rec-2021-amended: completed/connected -> connected");
  }
  check(derive(Profile::Rec2025, /*closed=*/true, t).connection_state == PeerConnectionState::Closed,
        "rec-2025: closed -> closed");

  // 2. Run a PeerConnectionModel: add a transport, ICE -> checking fires, in order, the transport's
  //    statechange, iceconnectionstatechange `checking` and connectionstatechange `connecting`.
  PeerConnectionModel pc(Profile::Rec2025);
  check(pc.add(0).outcome == StepOutcome::Applied, "model: add transport 0");
  const StepResult r = pc.set_ice(0, IceTransportState::Checking);
  check(r.ok() && r.events.size() == 3, "model: ice checking -> 3 events");
  if (r.events.size() == 3) {
    check(r.events[0].type == EventType::IceTransportStateChange && r.events[0].state_name() == "checking",
          "model: event 1 is the ICE transport's statechange `checking`");
    check(r.events[1].type == EventType::IceConnectionStateChange && r.events[1].state_name() == "checking",
          "model: event 2 is iceconnectionstatechange `checking`");
    check(r.events[2].type == EventType::ConnectionStateChange && r.events[2].state_name() == "connecting",
          "model: event 3 is connectionstatechange `connecting`");
  }
  check(is(pc.connection_state(), PeerConnectionState::Connecting), "model: connectionState connecting");
  check(pc.set_dtls(0, DtlsTransportState::Connecting).ok(), "model: dtls connecting");
  check(pc.set_ice(0, IceTransportState::Connected).ok(), "model: ice connected");
  const StepResult last = pc.set_dtls(0, DtlsTransportState::Connected);
  check(last.ok() && !last.events.empty() && last.events[last.events.size() - 1].state_name() == "connected",
        "model: dtls connected fires connectionstatechange `connected`");
  check(is(pc.connection_state(), PeerConnectionState::Connected), "model: connectionState connected");
  const StepResult closed = pc.close();
  check(closed.ok() && closed.events.empty() && is(pc.connection_state(), PeerConnectionState::Closed),
        "model: close() -> closed, no event");

  std::printf("%s (%d failure%s)\n", failures ? "FAILED" : "all good", failures, failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}
