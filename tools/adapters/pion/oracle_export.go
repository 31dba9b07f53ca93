//go:build !js
// +build !js

// This file is not part of pion. tools/adapters/pion/build copies it into a temporary copy of Debian's
// github.com/pion/webrtc (package webrtc) so that the connstate oracle adapter can reach the three unexported
// paths through which pion's own state code runs. Each function only calls pion code; none decides a state.

package webrtc

import "github.com/pion/ice/v2"

// OracleReportICE runs, on this ICE transport, exactly the body of the callback that ICETransport.Start
// registers with agent.OnConnectionStateChange (icetransport.go, ICETransport.Start):
//
//	state := newICETransportStateFromICE(iceState); t.setState(state); t.onConnectionStateChange(state)
//
// onConnectionStateChange calls the public OnConnectionStateChange handler, then the internal handler that
// PeerConnection.createICETransport installed (peerconnection.go): ICEConnectionState mapping,
// pc.onICEConnectionStateChange, pc.updateConnectionState.
func (t *ICETransport) OracleReportICE(iceState ice.ConnectionState) {
	state := newICETransportStateFromICE(iceState)
	t.setState(state)
	t.onConnectionStateChange(state)
}

// OracleReportDTLS changes the DTLS transport state the way DTLSTransport.Start and Stop do
// (dtlstransport.go): t.onStateChange(state) with t.lock held; onStateChange stores the state and calls the
// public OnStateChange handler.
func (t *DTLSTransport) OracleReportDTLS(state DTLSTransportState) {
	t.lock.Lock()
	defer t.lock.Unlock()
	t.onStateChange(state)
}

// OracleAfterDTLSStart is the call PeerConnection.startTransports makes right after
// pc.dtlsTransport.Start(...) returns (peerconnection.go, startTransports), i.e. once DTLS has become
// connected or failed. It is the only place where pion recomputes connectionState after a DTLS change.
func (pc *PeerConnection) OracleAfterDTLSStart() {
	pc.updateConnectionState(pc.ICEConnectionState(), pc.dtlsTransport.State())
}
