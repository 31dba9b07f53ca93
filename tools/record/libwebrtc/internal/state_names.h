// state_names.h — the JavaScript spelling of libwebrtc's native state enums, shared by the native
// libwebrtc recorder (tools/record/libwebrtc) and oracle adapter (tools/adapters/libwebrtc).
//
// The trace format and adapter protocol speak the WebRTC JavaScript enum values ("checking",
// "connected", …); libwebrtc's C++ API has its own enums for the same states. Each function here maps
// one of them, and `legacy_name` names the internal cricket::IceTransportState that libwebrtc's legacy
// iceConnectionState is aggregated from (it has no JavaScript counterpart).
#pragma once

#include "api/dtls_transport_interface.h"
#include "api/peer_connection_interface.h"
#include "api/sctp_transport_interface.h"
#include "api/transport/enums.h"
#include "p2p/base/ice_transport_internal.h"

namespace connstate::libwebrtc {

inline const char* js_name(webrtc::IceTransportState s) {
  switch (s) {
    case webrtc::IceTransportState::kNew: return "new";
    case webrtc::IceTransportState::kChecking: return "checking";
    case webrtc::IceTransportState::kConnected: return "connected";
    case webrtc::IceTransportState::kCompleted: return "completed";
    case webrtc::IceTransportState::kFailed: return "failed";
    case webrtc::IceTransportState::kDisconnected: return "disconnected";
    case webrtc::IceTransportState::kClosed: return "closed";
  }
  return "unknown";
}

inline const char* js_name(webrtc::DtlsTransportState s) {
  switch (s) {
    case webrtc::DtlsTransportState::kNew: return "new";
    case webrtc::DtlsTransportState::kConnecting: return "connecting";
    case webrtc::DtlsTransportState::kConnected: return "connected";
    case webrtc::DtlsTransportState::kClosed: return "closed";
    case webrtc::DtlsTransportState::kFailed: return "failed";
    case webrtc::DtlsTransportState::kNumValues: break;
  }
  return "unknown";
}

inline const char* js_name(webrtc::SctpTransportState s) {
  switch (s) {
    case webrtc::SctpTransportState::kNew: return "new";
    case webrtc::SctpTransportState::kConnecting: return "connecting";
    case webrtc::SctpTransportState::kConnected: return "connected";
    case webrtc::SctpTransportState::kClosed: return "closed";
    case webrtc::SctpTransportState::kNumValues: break;
  }
  return "unknown";
}

inline const char* js_name(webrtc::PeerConnectionInterface::PeerConnectionState s) {
  using S = webrtc::PeerConnectionInterface::PeerConnectionState;
  switch (s) {
    case S::kNew: return "new";
    case S::kConnecting: return "connecting";
    case S::kConnected: return "connected";
    case S::kDisconnected: return "disconnected";
    case S::kFailed: return "failed";
    case S::kClosed: return "closed";
  }
  return "unknown";
}

inline const char* js_name(webrtc::PeerConnectionInterface::IceConnectionState s) {
  using P = webrtc::PeerConnectionInterface;
  switch (s) {
    case P::kIceConnectionNew: return "new";
    case P::kIceConnectionChecking: return "checking";
    case P::kIceConnectionConnected: return "connected";
    case P::kIceConnectionCompleted: return "completed";
    case P::kIceConnectionFailed: return "failed";
    case P::kIceConnectionDisconnected: return "disconnected";
    case P::kIceConnectionClosed: return "closed";
    case P::kIceConnectionMax: break;
  }
  return "unknown";
}

inline const char* js_name(webrtc::PeerConnectionInterface::SignalingState s) {
  using P = webrtc::PeerConnectionInterface;
  switch (s) {
    case P::kStable: return "stable";
    case P::kHaveLocalOffer: return "have-local-offer";
    case P::kHaveLocalPrAnswer: return "have-local-pranswer";
    case P::kHaveRemoteOffer: return "have-remote-offer";
    case P::kHaveRemotePrAnswer: return "have-remote-pranswer";
    case P::kClosed: return "closed";
  }
  return "unknown";
}

inline const char* js_name(webrtc::PeerConnectionInterface::IceGatheringState s) {
  using P = webrtc::PeerConnectionInterface;
  switch (s) {
    case P::kIceGatheringNew: return "new";
    case P::kIceGatheringGathering: return "gathering";
    case P::kIceGatheringComplete: return "complete";
  }
  return "unknown";
}

inline const char* legacy_name(cricket::IceTransportState s) {
  switch (s) {
    case cricket::IceTransportState::STATE_INIT: return "INIT";
    case cricket::IceTransportState::STATE_CONNECTING: return "CONNECTING";
    case cricket::IceTransportState::STATE_COMPLETED: return "COMPLETED";
    case cricket::IceTransportState::STATE_FAILED: return "FAILED";
  }
  return "UNKNOWN";
}

}  // namespace connstate::libwebrtc
