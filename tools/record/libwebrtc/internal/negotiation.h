// negotiation.h — offer/answer on native libwebrtc PeerConnections as blocking calls, shared by the
// native libwebrtc recorder and oracle adapter.
//
// libwebrtc's CreateOffer/CreateAnswer/SetLocalDescription/SetRemoteDescription complete through
// observers on the signaling thread. These helpers are called from another thread (the program's
// main thread), start the operation and wait for its observer. Descriptions travel as SDP text, so
// that a caller can log or alter them between the two peers.
#pragma once

#include <string>

#include "api/jsep.h"
#include "api/peer_connection_interface.h"

namespace connstate::libwebrtc {

// The SDP of a new offer (`offer`) or answer; an empty string and `error` set on failure.
std::string create_description(webrtc::PeerConnectionInterface& pc, bool offer,
                               const webrtc::PeerConnectionInterface::RTCOfferAnswerOptions& options,
                               std::string& error);
// Applies `sdp` as the local / remote description; false and `error` set on failure.
bool set_local_description(webrtc::PeerConnectionInterface& pc, webrtc::SdpType type, const std::string& sdp,
                           std::string& error);
bool set_remote_description(webrtc::PeerConnectionInterface& pc, webrtc::SdpType type, const std::string& sdp,
                            std::string& error);

}  // namespace connstate::libwebrtc
