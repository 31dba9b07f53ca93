// connstate-pion-adapter: a protocol-1 oracle adapter (docs/adapter-protocol.md) that runs pion/webrtc's own
// connection-state code on the inputs the harness sends. Built by tools/adapters/pion/build against a
// temporary copy of Debian's pion/webrtc that also holds oracle_export.go. See README.md in this directory.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v3"
)

// Set with -ldflags -X by the build script from dpkg-query.
var stackVersion = "unknown"

const handlerWait = 5 * time.Second

// Harness state names -> the values pion's ICE agent reports (github.com/pion/ice/v2 ice.go).
var iceInput = map[string]ice.ConnectionState{
	"new": ice.ConnectionStateNew, "checking": ice.ConnectionStateChecking,
	"connected": ice.ConnectionStateConnected, "completed": ice.ConnectionStateCompleted,
	"disconnected": ice.ConnectionStateDisconnected, "failed": ice.ConnectionStateFailed,
	"closed": ice.ConnectionStateClosed,
}

// Harness state names -> pion's DTLSTransportState.
var dtlsInput = map[string]webrtc.DTLSTransportState{
	"new": webrtc.DTLSTransportStateNew, "connecting": webrtc.DTLSTransportStateConnecting,
	"connected": webrtc.DTLSTransportStateConnected, "closed": webrtc.DTLSTransportStateClosed,
	"failed": webrtc.DTLSTransportStateFailed,
}

type event struct {
	Target string `json:"target"`
	Type   string `json:"type"`
	State  string `json:"state"`
}

// ---- logger: the synchronous hook below pion's connection-state goroutine -------------------------------
//
// PeerConnection.onConnectionStateChange (peerconnection.go) stores the new state, logs
// "peer connection state changed: %s" on the "pc" logger, then runs the public handler with `go handler(cs)`.
// The log call is synchronous and happens exactly once per handler goroutine, so it marks the dispatch point;
// the adapter then waits for that many handler runs before answering.

type loggerFactory struct{ pc *pcSession }

func (f *loggerFactory) NewLogger(scope string) logging.LeveledLogger { return &logger{f.pc, scope} }

type logger struct {
	s     *pcSession
	scope string
}

func (l *logger) Trace(string)                  {}
func (l *logger) Tracef(string, ...interface{}) {}
func (l *logger) Debug(string)                  {}
func (l *logger) Debugf(string, ...interface{}) {}
func (l *logger) Info(string)                   {}
func (l *logger) Infof(format string, args ...interface{}) {
	if l.scope == "pc" && strings.HasPrefix(format, "peer connection state changed") && len(args) == 1 {
		if cs, ok := args[0].(webrtc.PeerConnectionState); ok {
			l.s.dispatched(cs)
		}
	}
}
func (l *logger) Warn(m string)                     { fmt.Fprintf(os.Stderr, "pion %s warn: %s\n", l.scope, m) }
func (l *logger) Warnf(f string, a ...interface{})  { l.Warn(fmt.Sprintf(f, a...)) }
func (l *logger) Error(m string)                    { fmt.Fprintf(os.Stderr, "pion %s error: %s\n", l.scope, m) }
func (l *logger) Errorf(f string, a ...interface{}) { l.Error(fmt.Sprintf(f, a...)) }

// ---- one pion PeerConnection ------------------------------------------------------------------------------

type pcSession struct {
	pc        *webrtc.PeerConnection
	ice       *webrtc.ICETransport
	dtls      *webrtc.DTLSTransport
	name      string              // harness name bound to pion's single ICE+DTLS pair ("" before add)
	agent     ice.ConnectionState // last state the (stand-in) ICE agent reported
	closed    bool                // pc.Close() was called
	recording bool                // handlers attached (sequence mode)
	events    []event             // filled synchronously, in dispatch order
	pending   []string            // connectionstatechange goroutines launched in this step
	handlerCh chan string         // values the public OnConnectionStateChange handler received
}

var certificate *webrtc.Certificate

func newSession(record bool) (*pcSession, error) {
	s := &pcSession{agent: ice.ConnectionStateNew, recording: record, handlerCh: make(chan string, 64)}
	se := webrtc.SettingEngine{LoggerFactory: &loggerFactory{s}}
	// No gathering happens (no description is ever applied), but keep pion off every interface regardless.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{*certificate}})
	if err != nil {
		return nil, err
	}
	s.pc = pc
	s.dtls = pc.SCTP().Transport()
	s.ice = s.dtls.ICETransport()
	if record {
		pc.OnICEConnectionStateChange(func(cs webrtc.ICEConnectionState) {
			s.events = append(s.events, event{"pc", "iceconnectionstatechange", cs.String()})
		})
		pc.OnConnectionStateChange(func(cs webrtc.PeerConnectionState) { s.handlerCh <- cs.String() })
	}
	return s, nil
}

func (s *pcSession) dispatched(cs webrtc.PeerConnectionState) {
	if s.recording {
		s.events = append(s.events, event{"pc", "connectionstatechange", cs.String()})
		s.pending = append(s.pending, cs.String())
	}
}

// bind attaches listeners to pion's transports once the harness has added its transport.
func (s *pcSession) bind(name string) {
	s.name = name
	s.ice.OnConnectionStateChange(func(st webrtc.ICETransportState) {
		s.events = append(s.events, event{"ice:" + name, "statechange", st.String()})
	})
	s.dtls.OnStateChange(func(st webrtc.DTLSTransportState) {
		s.events = append(s.events, event{"dtls:" + name, "statechange", st.String()})
	})
}

// finish waits for every connectionstatechange goroutine launched during the step.
func (s *pcSession) finish(before string) error {
	got := map[string]int{}
	for range s.pending {
		select {
		case v := <-s.handlerCh:
			got[v]++
		case <-time.After(handlerWait):
			return fmt.Errorf("pion's OnConnectionStateChange handler did not run within %v", handlerWait)
		}
	}
	for _, v := range s.pending {
		got[v]--
	}
	for v, n := range got {
		if n != 0 {
			return fmt.Errorf("connectionstatechange handler values differ from the dispatched ones (%s)", v)
		}
	}
	if len(s.pending) == 0 && s.pc.ConnectionState().String() != before {
		return fmt.Errorf("connectionState changed without the dispatch hook firing (pion's log text changed?)")
	}
	return nil
}

func (s *pcSession) close() {
	s.recording = false
	_ = s.pc.Close()
}

// ---- requests ---------------------------------------------------------------------------------------------

type request struct {
	Op         string          `json:"op"`
	ID         json.RawMessage `json:"id"`
	Closed     bool            `json:"closed"`
	Transports []struct {
		ICE      string `json:"ice"`
		DTLS     string `json:"dtls"`
		SctpOnly bool   `json:"sctp_only"`
	} `json:"transports"`
	Transport string          `json:"transport"`
	State     string          `json:"state"`
	Options   map[string]bool `json:"options"`
}

type reply map[string]interface{}

var seq *pcSession

const oneTransport = "pion/webrtc has exactly one ICE and one DTLS transport per PeerConnection (peerconnection.go: NewPeerConnection creates them; updateConnectionState takes one ICEConnectionState and one DTLSTransportState)"

func evaluate(r *request) reply {
	if len(r.Transports) > 1 {
		return reply{"unsupported": oneTransport}
	}
	s, err := newSession(false)
	if err != nil {
		return reply{"error": err.Error()}
	}
	defer s.close()
	if len(r.Transports) == 1 {
		t := r.Transports[0]
		is, ok1 := iceInput[t.ICE]
		ds, ok2 := dtlsInput[t.DTLS]
		if !ok1 || !ok2 {
			return reply{"error": "unknown state"}
		}
		// DTLS first (pion's DTLS change does not recompute), then the ICE agent's report, whose handler
		// (createICETransport) derives iceConnectionState and calls updateConnectionState(ics, dtls.State()).
		s.dtls.OracleReportDTLS(ds)
		s.ice.OracleReportICE(is)
	}
	if r.Closed {
		_ = s.pc.Close() // sets isClosed, stops the transports, then updateConnectionState
	}
	return reply{"connectionState": s.pc.ConnectionState().String(), "iceConnectionState": s.pc.ICEConnectionState().String()}
}

func step(r *request) reply {
	s := seq
	s.events, s.pending = []event{}, nil
	before := s.pc.ConnectionState().String()
	if unsup := apply(s, r); unsup != "" {
		return reply{"unsupported": unsup}
	}
	if err := s.finish(before); err != nil {
		return reply{"error": err.Error()}
	}
	return reply{"events": s.events, "connectionState": s.pc.ConnectionState().String(),
		"iceConnectionState": s.pc.ICEConnectionState().String()}
}

// apply performs one step; it returns a reason when pion has no code path for it.
func apply(s *pcSession, r *request) string {
	if s.closed {
		// After Close() pion's ICE agent is closed (ice/v2 agent.go Close: no more state reports) and
		// DTLSTransport.Start refuses a transport that is not new: nothing of pion runs any more.
		return ""
	}
	switch r.Op {
	case "add":
		if s.name != "" {
			return oneTransport
		}
		// pion computes nothing when its transports come into use (they exist from NewPeerConnection on).
		s.bind(r.Transport)
	case "remove":
		return "pion/webrtc cannot remove its transport: the single ICE/DTLS pair lives as long as the PeerConnection and is stopped only by Close() (peerconnection.go Close)"
	case "close":
		s.closed = true
		_ = s.pc.Close()
	case "ice":
		if r.Transport != s.name {
			return "unknown transport " + r.Transport
		}
		st, ok := iceInput[r.State]
		if !ok {
			return "unknown ICE state " + r.State
		}
		// pion/ice reports a state only when it differs from the agent's current one
		// (ice/v2 agent.go, Agent.updateConnectionState: `if a.connectionState != newState`).
		if st == s.agent {
			return ""
		}
		s.agent = st
		s.ice.OracleReportICE(st)
	case "dtls":
		if r.Transport != s.name {
			return "unknown transport " + r.Transport
		}
		to, ok := dtlsInput[r.State]
		if !ok {
			return "unknown DTLS state " + r.State
		}
		from := s.dtls.State()
		switch {
		case from == webrtc.DTLSTransportStateNew && to == webrtc.DTLSTransportStateConnecting:
			// DTLSTransport.Start reports connecting, then blocks in the handshake: no recompute here.
			s.dtls.OracleReportDTLS(to)
		case from == webrtc.DTLSTransportStateConnecting && (to == webrtc.DTLSTransportStateConnected || to == webrtc.DTLSTransportStateFailed):
			// Start reports connected or failed and returns; startTransports then recomputes.
			s.dtls.OracleReportDTLS(to)
			s.pc.OracleAfterDTLSStart()
		default:
			return fmt.Sprintf("pion/webrtc's DTLSTransport never goes %s -> %s: Start() (dtlstransport.go) moves new -> connecting -> connected|failed once, and Stop() sets closed only from PeerConnection.Close()", from, to)
		}
	default:
		return "unknown op " + r.Op
	}
	return ""
}

func handle(r *request) reply {
	switch r.Op {
	case "hello":
		return reply{"protocol": 1, "name": "pion/webrtc (oracle)", "version": stackVersion,
			"supports": []string{"evaluate", "sequence"}, "homepage": "https://github.com/pion/webrtc"}
	case "evaluate":
		return evaluate(r)
	case "reset":
		if seq != nil {
			seq.close()
			seq = nil
		}
		s, err := newSession(true)
		if err != nil {
			return reply{"error": err.Error()}
		}
		seq = s
		for k, v := range r.Options {
			if v {
				return reply{"unsupported": "pion/webrtc has one fixed behaviour and cannot honour option " + k}
			}
		}
		return reply{}
	case "add", "ice", "dtls", "remove", "close":
		if seq == nil {
			return reply{"error": "step before reset"}
		}
		return step(r)
	case "bye":
		return reply{}
	}
	return reply{"error": "unknown op " + r.Op}
}

func main() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fmt.Fprintln(os.Stderr, "key:", err)
		os.Exit(1)
	}
	sk, err := webrtc.GenerateCertificate(key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "certificate:", err)
		os.Exit(1)
	}
	certificate = sk
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, "bad request:", err)
			os.Exit(2)
		}
		rep := handle(&r)
		rep["id"] = r.ID
		b, _ := json.Marshal(rep)
		out.Write(append(b, '\n'))
		out.Flush()
		if r.Op == "bye" {
			return
		}
	}
}
