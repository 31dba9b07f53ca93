// rules.cpp — the rule catalogue: ids, anchors, one-line summaries and spec quotes.
//
// Quotes are short and verbatim from the document named in `document`; anchors are
// the fragment ids of that document. Summaries are ours.
#include "connstate/rules.h"

#include <array>

#include "internal/rule_text.h"

namespace connstate {
namespace {

using internal::set_of;
using I = IceTransportState;
using D = DtlsTransportState;

constexpr std::string_view kRec2025 = "webrtc-pc REC 2025-03-13";
constexpr std::string_view kRec2021 = "webrtc-pc REC 2021-01-26";
constexpr std::string_view kAmended = "webrtc-pc REC 2021-01-26 + amendment 4 (PR #2687)";
constexpr std::string_view kModernIcs = "webrtc-pc REC 2021-01-26 and REC 2025-03-13";
constexpr std::string_view kLegacy = "webrtc-pc ED 2017-09 (PR #1593), as MDN documents it";

constexpr std::uint8_t kNoTransports = 0;

constexpr std::array<Rule, kRuleCount> kRules = {{
    // --- RTCIceConnectionState (REC 2021 = REC 2025) -------------------------------------------
    {RuleId::IcsClosed, "ics.closed", Aggregate::IceConnectionState, kModernIcs, "dom-rtciceconnectionstate-closed",
     "the peer connection is closed", "The RTCPeerConnection object's [[IsClosed]] slot is true.", kNoTransports, 0},
    {RuleId::IcsFailed, "ics.failed", Aggregate::IceConnectionState, kModernIcs, "dom-rtciceconnectionstate-failed",
     "some ICE transport is failed",
     "The previous state doesn't apply and any RTCIceTransports are in the \"failed\" state.",
     set_of(I::Failed), 0},
    {RuleId::IcsDisconnected, "ics.disconnected", Aggregate::IceConnectionState, kModernIcs,
     "dom-rtciceconnectionstate-disconnected", "some ICE transport is disconnected (and none failed)",
     "None of the previous states apply and any RTCIceTransports are in the \"disconnected\" state.",
     set_of(I::Disconnected), 0},
    {RuleId::IcsNew, "ics.new", Aggregate::IceConnectionState, kModernIcs, "dom-rtciceconnectionstate-new",
     "every ICE transport is new or closed, or there are none",
     "None of the previous states apply and all RTCIceTransports are in the \"new\" or \"closed\" state, or "
     "there are no transports.",
     set_of(I::New, I::Closed), 0},
    {RuleId::IcsChecking, "ics.checking", Aggregate::IceConnectionState, kModernIcs,
     "dom-rtciceconnectionstate-checking", "some ICE transport is new or checking",
     "None of the previous states apply and any RTCIceTransports are in the \"new\" or \"checking\" state.",
     set_of(I::New, I::Checking), 0},
    {RuleId::IcsCompleted, "ics.completed", Aggregate::IceConnectionState, kModernIcs,
     "dom-rtciceconnectionstate-completed", "every ICE transport is completed or closed",
     "None of the previous states apply and all RTCIceTransports are in the \"completed\" or \"closed\" state.",
     set_of(I::Completed, I::Closed), 0},
    {RuleId::IcsConnected, "ics.connected", Aggregate::IceConnectionState, kModernIcs,
     "dom-rtciceconnectionstate-connected", "every ICE transport is connected, completed or closed",
     "None of the previous states apply and all RTCIceTransports are in the \"connected\", \"completed\" or "
     "\"closed\" state.",
     set_of(I::Connected, I::Completed, I::Closed), 0},

    // --- RTCIceConnectionState, 2016–2018 -----------------------------------------------------
    {RuleId::LegacyIcsClosed, "legacy.ics.closed", Aggregate::IceConnectionState, kLegacy,
     "dom-rtciceconnectionstate-closed", "the peer connection is closed",
     "The RTCPeerConnection object's [[IsClosed]] slot is true.", kNoTransports, 0},
    {RuleId::LegacyIcsFailed, "legacy.ics.failed", Aggregate::IceConnectionState, kLegacy,
     "dom-rtciceconnectionstate-failed", "some ICE transport is failed",
     "Any of the RTCIceTransports are in the \"failed\" state.", set_of(I::Failed), 0},
    {RuleId::LegacyIcsDisconnected, "legacy.ics.disconnected", Aggregate::IceConnectionState, kLegacy,
     "dom-rtciceconnectionstate-disconnected", "some ICE transport is disconnected and none failed",
     "Any of the RTCIceTransports are in the \"disconnected\" state and none of them are in the \"failed\" "
     "state.",
     set_of(I::Disconnected), 0},
    {RuleId::LegacyIcsNew, "legacy.ics.new", Aggregate::IceConnectionState, kLegacy, "dom-rtciceconnectionstate-new",
     "some ICE transport is new and none checking/failed/disconnected; or all closed; or none",
     "Any of the RTCIceTransports are in the \"new\" state and none of them are in the \"checking\", "
     "\"failed\" or \"disconnected\" state, or all RTCIceTransports are in the \"closed\" state, or there are "
     "no transports.",
     set_of(I::New, I::Closed), 0},
    {RuleId::LegacyIcsChecking, "legacy.ics.checking", Aggregate::IceConnectionState, kLegacy,
     "dom-rtciceconnectionstate-checking", "some ICE transport is checking and none failed/disconnected",
     "Any of the RTCIceTransports are in the \"checking\" state and none of them are in the \"failed\" or "
     "\"disconnected\" state.",
     set_of(I::Checking), 0},
    {RuleId::LegacyIcsCompleted, "legacy.ics.completed", Aggregate::IceConnectionState, kLegacy,
     "dom-rtciceconnectionstate-completed", "all ICE transports completed or closed, at least one completed",
     "All RTCIceTransports are in the \"completed\" or \"closed\" state and at least one of them is in the "
     "\"completed\" state.",
     set_of(I::Completed), 0},
    {RuleId::LegacyIcsConnected, "legacy.ics.connected", Aggregate::IceConnectionState, kLegacy,
     "dom-rtciceconnectionstate-connected", "all ICE transports connected/completed/closed, at least one connected",
     "All RTCIceTransports are in the \"connected\", \"completed\" or \"closed\" state and at least one of "
     "them is in the \"connected\" state.",
     set_of(I::Connected), 0},

    // --- RTCPeerConnectionState, REC 2025 -----------------------------------------------------
    {RuleId::Pcs2025Closed, "pcs-2025.closed", Aggregate::ConnectionState, kRec2025,
     "dom-rtcpeerconnectionstate-closed", "[[IceConnectionState]] is closed",
     "[[IceConnectionState]] is \"closed\".", kNoTransports, 0},
    {RuleId::Pcs2025Failed, "pcs-2025.failed", Aggregate::ConnectionState, kRec2025,
     "dom-rtcpeerconnectionstate-failed", "[[IceConnectionState]] is failed, or some DTLS transport is failed",
     "The previous state doesn't apply, and either [[IceConnectionState]] is \"failed\" or any "
     "RTCDtlsTransports are in the \"failed\" state.",
     set_of(I::Failed), set_of(D::Failed)},
    {RuleId::Pcs2025Disconnected, "pcs-2025.disconnected", Aggregate::ConnectionState, kRec2025,
     "dom-rtcpeerconnectionstate-disconnected", "[[IceConnectionState]] is disconnected",
     "None of the previous states apply, and [[IceConnectionState]] is \"disconnected\".",
     set_of(I::Disconnected), 0},
    {RuleId::Pcs2025New, "pcs-2025.new", Aggregate::ConnectionState, kRec2025, "dom-rtcpeerconnectionstate-new",
     "[[IceConnectionState]] is new and every DTLS transport new or closed, or there are no transports",
     "None of the previous states apply, and either [[IceConnectionState]] is \"new\", and all "
     "RTCDtlsTransports are in the \"new\" or \"closed\" state, or there are no transports.",
     set_of(I::New, I::Closed), set_of(D::New, D::Closed)},
    {RuleId::Pcs2025Connected, "pcs-2025.connected", Aggregate::ConnectionState, kRec2025,
     "dom-rtcpeerconnectionstate-connected",
     "[[IceConnectionState]] is exactly connected and every DTLS transport connected or closed",
     "None of the previous states apply, [[IceConnectionState]] is \"connected\", and all RTCDtlsTransports "
     "are in the \"connected\" or \"closed\" state.",
     set_of(I::Connected, I::Completed, I::Closed), set_of(D::Connected, D::Closed)},
    {RuleId::Pcs2025Connecting, "pcs-2025.connecting", Aggregate::ConnectionState, kRec2025,
     "dom-rtcpeerconnectionstate-connecting",
     "catch-all (ICE new/checking, DTLS new/connecting, or [[IceConnectionState]] completed)",
     "None of the previous states apply.", set_of(I::New, I::Checking, I::Completed),
     set_of(D::New, D::Connecting)},

    // --- RTCPeerConnectionState, REC 2021 + amendments 3 and 4 ----------------------------------
    {RuleId::Pcs2021aClosed, "pcs-2021a.closed", Aggregate::ConnectionState, kAmended,
     "dom-rtcpeerconnectionstate-closed", "the peer connection is closed",
     "The RTCPeerConnection object's [[IsClosed]] slot is true.", kNoTransports, 0},
    {RuleId::Pcs2021aFailed, "pcs-2021a.failed", Aggregate::ConnectionState, kAmended,
     "dom-rtcpeerconnectionstate-failed", "some ICE or DTLS transport is failed",
     "The previous state doesn't apply and any RTCIceTransports are in the \"failed\" state or any "
     "RTCDtlsTransports are in the \"failed\" state.",
     set_of(I::Failed), set_of(D::Failed)},
    {RuleId::Pcs2021aDisconnected, "pcs-2021a.disconnected", Aggregate::ConnectionState, kAmended,
     "dom-rtcpeerconnectionstate-disconnected", "some ICE transport is disconnected",
     "None of the previous states apply and any RTCIceTransports are in the \"disconnected\" state.",
     set_of(I::Disconnected), 0},
    {RuleId::Pcs2021aNew, "pcs-2021a.new", Aggregate::ConnectionState, kAmended, "dom-rtcpeerconnectionstate-new",
     "every ICE and DTLS transport new or closed, or there are no transports",
     "None of the previous states apply and all RTCIceTransports are in the \"new\" or \"closed\" state, and "
     "all RTCDtlsTransports are in the \"new\" or \"closed\" state, or there are no transports.",
     set_of(I::New, I::Closed), set_of(D::New, D::Closed)},
    {RuleId::Pcs2021aConnecting, "pcs-2021a.connecting", Aggregate::ConnectionState, kAmended,
     "dom-rtcpeerconnectionstate-connecting", "some ICE transport new/checking or some DTLS transport new/connecting",
     "None of the previous states apply and any RTCIceTransport is in the \"new\" or \"checking\" state or any "
     "RTCDtlsTransport is in the \"new\" or \"connecting\" state.",
     set_of(I::New, I::Checking), set_of(D::New, D::Connecting)},
    {RuleId::Pcs2021aConnected, "pcs-2021a.connected", Aggregate::ConnectionState, kAmended,
     "dom-rtcpeerconnectionstate-connected",
     "every ICE transport connected/completed/closed and every DTLS transport connected/closed",
     "None of the previous states apply and all RTCIceTransports are in the \"connected\", \"completed\" or "
     "\"closed\" state, and all RTCDtlsTransports are in the \"connected\" or \"closed\" state.",
     set_of(I::Connected, I::Completed, I::Closed), set_of(D::Connected, D::Closed)},

    // --- RTCPeerConnectionState, REC 2021 as published ------------------------------------------
    {RuleId::Pcs2021Closed, "pcs-2021.closed", Aggregate::ConnectionState, kRec2021,
     "dom-rtcpeerconnectionstate-closed", "the peer connection is closed",
     "The RTCPeerConnection object's [[IsClosed]] slot is true.", kNoTransports, 0},
    {RuleId::Pcs2021Failed, "pcs-2021.failed", Aggregate::ConnectionState, kRec2021,
     "dom-rtcpeerconnectionstate-failed", "some ICE or DTLS transport is failed",
     "The previous state doesn't apply and any RTCIceTransports are in the \"failed\" state or any "
     "RTCDtlsTransports are in the \"failed\" state.",
     set_of(I::Failed), set_of(D::Failed)},
    {RuleId::Pcs2021Disconnected, "pcs-2021.disconnected", Aggregate::ConnectionState, kRec2021,
     "dom-rtcpeerconnectionstate-disconnected", "some ICE transport is disconnected",
     "None of the previous states apply and any RTCIceTransports are in the \"disconnected\" state.",
     set_of(I::Disconnected), 0},
    {RuleId::Pcs2021New, "pcs-2021.new", Aggregate::ConnectionState, kRec2021, "dom-rtcpeerconnectionstate-new",
     "every ICE and DTLS transport new or closed, or there are no transports",
     "None of the previous states apply and all RTCIceTransports are in the \"new\" or \"closed\" state, and "
     "all RTCDtlsTransports are in the \"new\" or \"closed\" state, or there are no transports.",
     set_of(I::New, I::Closed), set_of(D::New, D::Closed)},
    {RuleId::Pcs2021Connecting, "pcs-2021.connecting", Aggregate::ConnectionState, kRec2021,
     "dom-rtcpeerconnectionstate-connecting", "some ICE transport checking or some DTLS transport connecting",
     "None of the previous states apply and any RTCIceTransport is in the \"checking\" state or any "
     "RTCDtlsTransport is in the \"connecting\" state.",
     set_of(I::Checking), set_of(D::Connecting)},
    {RuleId::Pcs2021Connected, "pcs-2021.connected", Aggregate::ConnectionState, kRec2021,
     "dom-rtcpeerconnectionstate-connected",
     "every ICE transport connected/completed/closed and every DTLS transport connected/closed",
     "None of the previous states apply and all RTCIceTransports are in the \"connected\", \"completed\" or "
     "\"closed\" state, and all RTCDtlsTransports are in the \"connected\" or \"closed\" state.",
     set_of(I::Connected, I::Completed, I::Closed), set_of(D::Connected, D::Closed)},
    {RuleId::Pcs2021Undefined, "pcs-2021.undefined", Aggregate::ConnectionState, kRec2021,
     "rtcpeerconnectionstate-enum",
     "no row of the table applies: the Recommendation defines no state (w3c/webrtc-pc issue 2678)",
     "(no row applies; see w3c/webrtc-pc issue #2678)", set_of(I::New, I::Connected, I::Completed),
     set_of(D::New, D::Connected)},

    // --- RTCPeerConnectionState, 2015–2018 (MDN) ------------------------------------------------
    {RuleId::LegacyPcsClosed, "legacy.pcs.closed", Aggregate::ConnectionState, kLegacy,
     "dom-rtcpeerconnectionstate-closed", "the peer connection is closed",
     "The RTCPeerConnection object's [[IsClosed]] slot is true.", kNoTransports, 0},
    {RuleId::LegacyPcsFailed, "legacy.pcs.failed", Aggregate::ConnectionState, kLegacy,
     "dom-rtcpeerconnectionstate-failed", "some transport (ICE or DTLS) is failed",
     "Any of the RTCIceTransports or RTCDtlsTransports are in a \"failed\" state.", set_of(I::Failed),
     set_of(D::Failed)},
    {RuleId::LegacyPcsConnecting, "legacy.pcs.connecting", Aggregate::ConnectionState, kLegacy,
     "dom-rtcpeerconnectionstate-connecting", "some transport is connecting or checking, none failed",
     "Any of the RTCIceTransports or RTCDtlsTransports are in the \"connecting\" or \"checking\" state and "
     "none of them is in the \"failed\" state.",
     set_of(I::Checking), set_of(D::Connecting)},
    {RuleId::LegacyPcsDisconnected, "legacy.pcs.disconnected", Aggregate::ConnectionState, kLegacy,
     "dom-rtcpeerconnectionstate-disconnected", "some transport is disconnected, none failed/connecting/checking",
     "Any of the RTCIceTransports or RTCDtlsTransports are in the \"disconnected\" state and none of them "
     "are in the \"failed\" or \"connecting\" or \"checking\" state.",
     set_of(I::Disconnected), 0},
    {RuleId::LegacyPcsNew, "legacy.pcs.new", Aggregate::ConnectionState, kLegacy, "dom-rtcpeerconnectionstate-new",
     "some transport is new (none failed/connecting/checking/disconnected), or all closed, or none",
     "Any of the RTCIceTransports or RTCDtlsTransports are in the \"new\" state and none of the transports "
     "are in the \"connecting\", \"checking\", \"failed\" or \"disconnected\" state, or all transports are "
     "in the \"closed\" state, or there are no transports.",
     set_of(I::New, I::Closed), set_of(D::New, D::Closed)},
    {RuleId::LegacyPcsConnected, "legacy.pcs.connected", Aggregate::ConnectionState, kLegacy,
     "dom-rtcpeerconnectionstate-connected",
     "every transport connected/completed/closed, at least one connected/completed",
     "All RTCIceTransports and RTCDtlsTransports are in the \"connected\", \"completed\" or \"closed\" "
     "state and at least one of them is in the \"connected\" or \"completed\" state.",
     set_of(I::Connected, I::Completed), set_of(D::Connected)},

    // --- RTCIceGatheringState -------------------------------------------------------------------
    {RuleId::IgsNew, "igs.new", Aggregate::IceGatheringState, kRec2025, "dom-rtcicegatheringstate-new",
     "some transport's gatherer is new and none gathering, or there are no transports",
     "Any of the RTCIceTransports are in the \"new\" gathering state and none of the transports are in the "
     "\"gathering\" state, or there are no transports.",
     0, 0},
    {RuleId::IgsGathering, "igs.gathering", Aggregate::IceGatheringState, kRec2025,
     "dom-rtcicegatheringstate-gathering", "some transport's gatherer is gathering",
     "Any of the RTCIceTransports are in the \"gathering\" state.", 0, 0},
    {RuleId::IgsComplete, "igs.complete", Aggregate::IceGatheringState, kRec2025,
     "dom-rtcicegatheringstate-complete", "at least one transport, and every gatherer complete",
     "At least one RTCIceTransport exists, and all RTCIceTransports are in the \"complete\" gathering state.", 0,
     0},
}};

constexpr bool catalogue_is_indexed_by_rule_id() {
  for (std::size_t i = 0; i < kRules.size(); ++i) {
    if (static_cast<std::size_t>(kRules[i].rule_id) != i) return false;
  }
  return true;
}
static_assert(catalogue_is_indexed_by_rule_id(), "kRules must be listed in RuleId order");

}  // namespace

const Rule& rule(RuleId id) { return kRules[static_cast<std::size_t>(id)]; }
std::span<const Rule> all_rules() { return kRules; }

}  // namespace connstate
