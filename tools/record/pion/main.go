// record-pion — records a format-1 trace (docs/trace-format.md) of two pion/webrtc PeerConnections.
//
// Two pcs "a" and "b" in one process, one data channel, no ICE servers, UDP4 on loopback only
// (SetNetworkTypes udp4, SetIncludeLoopbackCandidate, SetIPFilter 127.0.0.1, mDNS off). Trickled
// candidates go through this program, which hands each pc only the other's 127.0.0.1 host candidate
// rewritten to a port of a UDP relay on 127.0.0.1 that can block the path. A second relay ("lane 2")
// stands for a path the pcs have not been told about yet: the candidate-after-failed scenario hands
// its ports over once the first lane has failed. ICE timeouts are SetICETimeouts(1s, 3s, 200ms):
// disconnected after ~1 s of silence, failed after ~4 s.
//
// The relays also log every DTLS alert record they forward or drop (content type 21): after the
// handshake an alert is encrypted, so the line says only who sent it and in which epoch, which is
// enough to show that a close_notify went out when a pc closed.
//
// Listeners: pc.OnConnectionStateChange / OnICEConnectionStateChange / OnSignalingStateChange /
// OnICEGatheringStateChange (pion calls these in goroutines), and on pc.SCTP().Transport() (DTLS,
// OnStateChange) and its ICETransport() (OnConnectionStateChange, called synchronously before pion's
// own handler derives the pc states). Each line is written with the time it was logged.
//
// Usage: record-pion --scenario SCENARIO -o FILE (scenarios: see the scenarios variable)
// Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage or a scenario
// pion cannot run (quick-transitions, renegotiate-add-transport: see cannotRun).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/webrtc/v3"
)

var scenarios = []string{"connect", "close", "remote-close", "ice-restart", "path-failure", "recover",
	"never-connects", "bundle-balanced", "restart-after-failed", "candidate-after-failed", "close-while-checking",
	"dtls-failure"}

// The later scenarios pion 3.1.56 cannot run, and why (docs/recorders.md says the same).
var cannotRun = map[string]string{
	"quick-transitions": "pion's ICE transport never reaches 'completed' (pion/ice v2 goes checking -> connected " +
		"and stays there), so there is no connected -> completed step to record",
	"renegotiate-add-transport": "pion 3.1.56 runs every m-section over its one ICE/DTLS transport whatever the " +
		"bundlePolicy, so a renegotiation never adds a transport",
}

var (
	start = time.Now()
	outMu sync.Mutex
	out   *os.File
)

func logLine(fields map[string]interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	// t_ms is taken under the lock, so it never decreases from line to line.
	t := float64(time.Since(start).Nanoseconds()) / 1e6
	b, _ := json.Marshal(fields)
	fmt.Fprintf(out, "{\"t_ms\":%.3f,%s\n", t, string(b[1:]))
}

// --- the relay --------------------------------------------------------------------------------------
type relay struct {
	lane      int
	ra, rb    *net.UDPConn // ra: b sends here, forwarded to a; rb: a sends here, forwarded to b
	realA     atomic.Int64
	realB     atomic.Int64
	blocked   atomic.Bool
	forwarded atomic.Int64
	dropped   atomic.Int64
}

func newRelay(lane int) *relay {
	r := &relay{lane: lane}
	r.ra, _ = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	r.rb, _ = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	go r.pump(r.ra, r.rb, &r.realA, "b")
	go r.pump(r.rb, r.ra, &r.realB, "a")
	return r
}

func (r *relay) pump(in, outConn *net.UDPConn, to *atomic.Int64, sender string) {
	buf := make([]byte, 65536)
	for {
		n, from, err := in.ReadFromUDP(buf)
		if err != nil {
			return
		}
		port := to.Load()
		if !from.IP.IsLoopback() || port == 0 {
			continue
		}
		blocked := r.blocked.Load()
		r.logAlert(buf[:n], sender, blocked)
		if blocked {
			r.dropped.Add(1)
			continue
		}
		_, _ = outConn.WriteToUDP(buf[:n], &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)})
		r.forwarded.Add(1)
	}
}

// logAlert writes a line for a DTLS record of content type alert (21). A datagram may hold several
// records; only the first is looked at, which is where a lone close_notify travels.
func (r *relay) logAlert(d []byte, sender string, dropped bool) {
	if len(d) < 13 || d[0] != 21 || d[1] != 0xfe {
		return
	}
	epoch := int(d[3])<<8 | int(d[4])
	fields := map[string]interface{}{"target": "relay", "event": "dtls-alert", "from": sender, "lane": r.lane,
		"epoch": epoch, "record_length": int(d[11])<<8 | int(d[12]), "dropped": dropped}
	if epoch == 0 && len(d) >= 15 { // before the handshake ends an alert is in the clear
		fields["level"], fields["description"] = int(d[13]), int(d[14])
	}
	logLine(fields)
}

func (r *relay) portFor(pc string) int {
	if pc == "a" {
		return r.ra.LocalAddr().(*net.UDPAddr).Port
	}
	return r.rb.LocalAddr().(*net.UDPAddr).Port
}

func (r *relay) block(on bool) {
	r.blocked.Store(on)
	event := map[bool]string{true: "block", false: "unblock"}[on]
	logLine(map[string]interface{}{"target": "relay", "event": event, "direction": "both", "lane": r.lane})
}

// --- the pcs ------------------------------------------------------------------------------------------
type peer struct {
	name string
	pc   *webrtc.PeerConnection
	tid  string
	// the pc's own last UDP host candidate on 127.0.0.1, kept to hand it over again through lane 2
	lastHost atomic.Value
}

func newPeer(name string, api *webrtc.API, bundlePolicy webrtc.BundlePolicy) *peer {
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: []webrtc.ICEServer{}, BundlePolicy: bundlePolicy})
	if err != nil {
		fmt.Fprintln(os.Stderr, "record-pion:", err)
		os.Exit(3)
	}
	p := &peer{name: name, pc: pc, tid: name + "0"}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		logLine(map[string]interface{}{"pc": name, "target": "pc", "event": "connectionstatechange", "state": s.String()})
	})
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		logLine(map[string]interface{}{"pc": name, "target": "pc", "event": "iceconnectionstatechange", "state": s.String()})
	})
	pc.OnSignalingStateChange(func(s webrtc.SignalingState) {
		logLine(map[string]interface{}{"pc": name, "target": "pc", "event": "signalingstatechange", "state": s.String()})
	})
	pc.OnICEGatheringStateChange(func(s webrtc.ICEGathererState) {
		if s == webrtc.ICEGathererStateClosed {
			// pion hands this handler its ICEGathererState, whose 'closed' no RTCIceGatheringState has:
			// format 1 cannot carry it as an icegatheringstatechange (schema enum; check-trace would skip
			// the line as bad input), so it is kept, verbatim, under an event name the check ignores.
			logLine(map[string]interface{}{"pc": name, "target": "pc", "event": "nonstandard-icegatheringstatechange",
				"delivered": s.String(), "detail": "OnICEGatheringStateChange delivered ICEGathererState 'closed', not an RTCIceGatheringState"})
			return
		}
		logLine(map[string]interface{}{"pc": name, "target": "pc", "event": "icegatheringstatechange", "state": s.String()})
	})
	dtls := pc.SCTP().Transport()
	iceT := dtls.ICETransport()
	logLine(map[string]interface{}{"pc": name, "target": "dtls:" + p.tid, "event": "added", "state": dtls.State().String(), "sctp_only": true})
	logLine(map[string]interface{}{"pc": name, "target": "ice:" + p.tid, "event": "added", "state": iceT.State().String(), "sctp_only": true})
	dtls.OnStateChange(func(s webrtc.DTLSTransportState) {
		logLine(map[string]interface{}{"pc": name, "target": "dtls:" + p.tid, "event": "statechange", "state": s.String()})
	})
	iceT.OnConnectionStateChange(func(s webrtc.ICETransportState) {
		logLine(map[string]interface{}{"pc": name, "target": "ice:" + p.tid, "event": "statechange", "state": s.String()})
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		logLine(map[string]interface{}{"pc": name, "target": "dc:" + dc.Label(), "event": "datachannel"})
	})
	return p
}

func api(withMedia bool) *webrtc.API {
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(1*time.Second, 3*time.Second, 200*time.Millisecond)
	if !withMedia {
		return webrtc.NewAPI(webrtc.WithSettingEngine(se))
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		fmt.Fprintln(os.Stderr, "record-pion: RegisterDefaultCodecs:", err)
		os.Exit(3)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m))
}

// wrongFingerprint returns the SDP with the last hex digit of every a=fingerprint value changed, so the
// certificate the DTLS handshake presents no longer matches it.
func wrongFingerprint(sdp string) string {
	lines := strings.Split(sdp, "\r\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "a=fingerprint:") && len(l) > 0 {
			last := l[len(l)-1]
			repl := byte('0')
			if last == '0' {
				repl = '1'
			}
			lines[i] = l[:len(l)-1] + string(repl)
		}
	}
	return strings.Join(lines, "\r\n")
}

func main() {
	scenario := flag.String("scenario", "", strings.Join(scenarios, "|"))
	outPath := flag.String("o", "-", "the trace")
	flag.Parse()
	if why, ok := cannotRun[*scenario]; ok {
		fmt.Fprintf(os.Stderr, "record-pion: scenario %s is not supported: %s\n", *scenario, why)
		os.Exit(2)
	}
	known := false
	for _, s := range scenarios {
		known = known || s == *scenario
	}
	if !known {
		fmt.Fprintln(os.Stderr, "record-pion: --scenario must be one of "+strings.Join(scenarios, ", "))
		os.Exit(2)
	}
	out = os.Stdout
	if *outPath != "-" {
		f, err := os.Create(*outPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "record-pion:", err)
			os.Exit(2)
		}
		out = f
	}
	withMedia := *scenario == "bundle-balanced"
	type options struct {
		NetworkTypes string   `json:"network_types"`
		LoopbackOnly bool     `json:"loopback_only"`
		MDNS         string   `json:"mdns"`
		ICETimeouts  string   `json:"ice_timeouts"`
		ICEServers   []string `json:"iceServers"`
		BundlePolicy string   `json:"bundlePolicy"`
		DataChannel  bool     `json:"data_channel"`
		Media        []string `json:"media,omitempty"`
		Relay        string   `json:"relay"`
		Munging      string   `json:"sdp_munging,omitempty"`
	}
	opts := options{"udp4", true, "disabled", "disconnected 1s, failed 3s, keepalive 200ms", []string{},
		webrtc.BundlePolicyBalanced.String(), true, nil, "UDP relay on 127.0.0.1 (lane 1; lane 2 for candidate-after-failed)", ""}
	if withMedia {
		opts.Media = []string{"audio", "video"}
	}
	if *scenario == "dtls-failure" {
		opts.Munging = "the offer b receives has a wrong a=fingerprint (last hex digit changed)"
	}
	header, _ := json.Marshal(struct {
		Format       string  `json:"format"`
		Version      int     `json:"version"`
		Stack        string  `json:"stack"`
		StackVersion string  `json:"stack_version"`
		Scenario     string  `json:"scenario"`
		Recorded     string  `json:"recorded"`
		PcEvents     bool    `json:"pc_events"`
		Recorder     string  `json:"recorder"`
		Options      options `json:"options"`
		Delivery     string  `json:"delivery"`
	}{"connstate-trace", 1, "pion", "3.1.56", *scenario, time.Now().UTC().Format("2006-01-02T15:04:05Z"), true,
		"tools/record pion (record-pion)", opts,
		"pc handlers run in goroutines (pion); transport handlers synchronously"})
	fmt.Fprintln(out, string(header))

	r := newRelay(1)
	r2 := newRelay(2)
	logLine(map[string]interface{}{"target": "relay", "event": "relay", "port_for_a": r.portFor("a"), "port_for_b": r.portFor("b")})
	logLine(map[string]interface{}{"target": "relay", "event": "relay", "lane": 2, "port_for_a": r2.portFor("a"), "port_for_b": r2.portFor("b")})
	a, b := newPeer("a", api(withMedia), webrtc.BundlePolicyBalanced), newPeer("b", api(withMedia), webrtc.BundlePolicyBalanced)
	peers := map[string]*peer{"a": a, "b": b}
	other := map[string]string{"a": "b", "b": "a"}

	// handTo gives `to` the candidate `init` of the other pc, its port rewritten to the relay lane's.
	handTo := func(to *peer, lane *relay, init webrtc.ICECandidateInit) {
		f := strings.Fields(init.Candidate)
		if len(f) < 8 {
			return
		}
		f[5] = strconv.Itoa(lane.portFor(other[to.name]))
		init.Candidate = strings.Join(f, " ")
		fields := map[string]interface{}{"pc": to.name, "target": "api", "event": "addIceCandidate", "detail": init.Candidate}
		if lane.lane != 1 {
			fields["lane"] = lane.lane
		}
		logLine(fields)
		if err := to.pc.AddICECandidate(init); err != nil {
			logLine(map[string]interface{}{"pc": to.name, "target": "api", "event": "addIceCandidate-error", "detail": err.Error()})
		}
	}
	var readyMu sync.Mutex
	ready := false
	var queued [][2]interface{}
	hand := func(from string, c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		if c.Protocol != webrtc.ICEProtocolUDP || c.Typ != webrtc.ICECandidateTypeHost || c.Address != "127.0.0.1" {
			return
		}
		for _, lane := range []*relay{r, r2} {
			if from == "a" {
				lane.realA.Store(int64(c.Port))
			} else {
				lane.realB.Store(int64(c.Port))
			}
		}
		peers[from].lastHost.Store(c.ToJSON())
		handTo(peers[other[from]], r, c.ToJSON())
	}
	for _, p := range []*peer{a, b} {
		name := p.name
		p.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
			detail := interface{}(nil)
			if c != nil {
				detail = c.ToJSON().Candidate
			}
			logLine(map[string]interface{}{"pc": name, "target": "pc", "event": "icecandidate", "detail": detail})
			readyMu.Lock()
			if !ready {
				queued = append(queued, [2]interface{}{name, c})
				readyMu.Unlock()
				return
			}
			readyMu.Unlock()
			hand(name, c)
		})
	}
	release := func() {
		readyMu.Lock()
		ready = true
		q := queued
		queued = nil
		readyMu.Unlock()
		for _, e := range q {
			hand(e[0].(string), e[1].(*webrtc.ICECandidate))
		}
	}
	hold := func() {
		readyMu.Lock()
		ready = false
		readyMu.Unlock()
	}
	// negotiate runs one offer/answer from a; offerToB may change the offer on its way to b.
	negotiate := func(restart bool, offerToB func(string) string) error {
		logLine(map[string]interface{}{"pc": "a", "target": "api", "event": "createOffer", "detail": map[bool]string{true: "iceRestart", false: ""}[restart]})
		offer, err := a.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
		if err != nil {
			return err
		}
		logLine(map[string]interface{}{"pc": "a", "target": "api", "event": "setLocalDescription"})
		if err = a.pc.SetLocalDescription(offer); err != nil {
			return err
		}
		if offerToB != nil {
			offer.SDP = offerToB(offer.SDP)
		}
		logLine(map[string]interface{}{"pc": "b", "target": "api", "event": "setRemoteDescription"})
		if err = b.pc.SetRemoteDescription(offer); err != nil {
			return err
		}
		logLine(map[string]interface{}{"pc": "b", "target": "api", "event": "createAnswer"})
		answer, err := b.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		logLine(map[string]interface{}{"pc": "b", "target": "api", "event": "setLocalDescription"})
		if err = b.pc.SetLocalDescription(answer); err != nil {
			return err
		}
		logLine(map[string]interface{}{"pc": "a", "target": "api", "event": "setRemoteDescription"})
		return a.pc.SetRemoteDescription(answer)
	}
	until := func(cond func() bool, d time.Duration) bool {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			if cond() {
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		return cond()
	}
	both := func(states ...webrtc.PeerConnectionState) bool {
		in := func(s webrtc.PeerConnectionState) bool {
			for _, x := range states {
				if s == x {
					return true
				}
			}
			return false
		}
		return in(a.pc.ConnectionState()) && in(b.pc.ConnectionState())
	}
	iceState := func(p *peer) webrtc.ICETransportState { return p.pc.SCTP().Transport().ICETransport().State() }
	closePc := func(p *peer) {
		logLine(map[string]interface{}{"pc": p.name, "target": "api", "event": "close"})
		_ = p.pc.Close()
		logLine(map[string]interface{}{"pc": p.name, "target": "pc", "event": "get", "attribute": "connectionState", "state": p.pc.ConnectionState().String()})
		logLine(map[string]interface{}{"pc": p.name, "target": "pc", "event": "get", "attribute": "iceConnectionState", "state": p.pc.ICEConnectionState().String()})
		logLine(map[string]interface{}{"pc": p.name, "target": "pc", "event": "get", "attribute": "signalingState", "state": p.pc.SignalingState().String()})
		logLine(map[string]interface{}{"pc": p.name, "target": "pc", "event": "get", "attribute": "iceGatheringState", "state": p.pc.ICEGatheringState().String()})
		dtls := p.pc.SCTP().Transport()
		logLine(map[string]interface{}{"pc": p.name, "target": "dtls:" + p.tid, "event": "get", "attribute": "state", "state": dtls.State().String()})
		logLine(map[string]interface{}{"pc": p.name, "target": "ice:" + p.tid, "event": "get", "attribute": "state", "state": dtls.ICETransport().State().String()})
	}

	goal, why := true, ""
	var offerToB func(string) string
	switch *scenario {
	case "never-connects", "candidate-after-failed", "close-while-checking":
		// The only path the pcs learn about is blackholed from the start.
		r.block(true)
	case "dtls-failure":
		offerToB = wrongFingerprint
	case "bundle-balanced":
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			logLine(map[string]interface{}{"pc": "a", "target": "api", "event": "addTransceiver", "detail": kind.String()})
			if _, err := a.pc.AddTransceiverFromKind(kind); err != nil {
				goal, why = false, err.Error()
			}
		}
	}
	dc, err := a.pc.CreateDataChannel("chat", nil)
	if err == nil && goal {
		dc.OnOpen(func() { logLine(map[string]interface{}{"pc": "a", "target": "dc:chat", "event": "open"}) })
		err = negotiate(false, offerToB)
	}
	if err != nil {
		goal, why = false, err.Error()
	}
	if goal {
		release()
	}
	connectedFirst := goal
	switch *scenario {
	case "never-connects", "candidate-after-failed", "close-while-checking", "dtls-failure":
		connectedFirst = false
	}
	if connectedFirst {
		if !until(func() bool { return both(webrtc.PeerConnectionStateConnected) }, 10*time.Second) {
			goal, why = false, "did not connect"
		}
	}
	if goal {
		if connectedFirst {
			time.Sleep(500 * time.Millisecond)
		}
		switch *scenario {
		case "close":
			closePc(a)
			time.Sleep(1500 * time.Millisecond)
		case "remote-close":
			closePc(b)
			goal = until(func() bool {
				s := a.pc.ConnectionState()
				return s == webrtc.PeerConnectionStateDisconnected || s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed
			}, 15*time.Second)
			why = "a did not notice that b closed"
			time.Sleep(4 * time.Second) // failed follows disconnected
		case "ice-restart":
			hold()
			if err := negotiate(true, nil); err != nil {
				goal, why = false, err.Error()
				break
			}
			release()
			time.Sleep(time.Second)
			goal = until(func() bool { return both(webrtc.PeerConnectionStateConnected) }, 10*time.Second)
			why = "not connected after the restart"
		case "path-failure":
			r.block(true)
			goal = until(func() bool { return both(webrtc.PeerConnectionStateFailed) }, 15*time.Second)
			why = "not failed"
		case "recover":
			r.block(true)
			goal = until(func() bool { return both(webrtc.PeerConnectionStateDisconnected) }, 10*time.Second)
			r.block(false)
			goal = goal && until(func() bool { return both(webrtc.PeerConnectionStateConnected) }, 10*time.Second)
			why = "did not reconnect after the unblock"
		case "never-connects":
			goal = until(func() bool { return both(webrtc.PeerConnectionStateFailed) }, 30*time.Second)
			why = "ICE did not fail"
		case "candidate-after-failed":
			// A new path, handed over without a restart once both pcs have failed: the recording shows
			// whether pion leaves 'failed' (webrtc-pc: "a terminal state until ICE is restarted").
			goal = until(func() bool { return both(webrtc.PeerConnectionStateFailed) }, 30*time.Second)
			why = "ICE did not fail on the blackholed path"
			if goal {
				time.Sleep(500 * time.Millisecond)
				for _, p := range []*peer{a, b} {
					if c, ok := peers[other[p.name]].lastHost.Load().(webrtc.ICECandidateInit); ok {
						handTo(p, r2, c)
					}
				}
				time.Sleep(8 * time.Second)
			}
		case "close-while-checking":
			goal = until(func() bool { return iceState(a) == webrtc.ICETransportStateChecking }, 5*time.Second)
			why = "a's ICE transport never reached checking"
			if goal {
				time.Sleep(200 * time.Millisecond)
				goal = iceState(a) == webrtc.ICETransportStateChecking
				closePc(a)
				time.Sleep(1500 * time.Millisecond)
			}
		case "restart-after-failed":
			r.block(true)
			goal = until(func() bool { return both(webrtc.PeerConnectionStateFailed) }, 15*time.Second)
			why = "not failed"
			if goal {
				time.Sleep(500 * time.Millisecond)
				r.block(false)
				hold()
				if err := negotiate(true, nil); err != nil {
					goal, why = false, err.Error()
					break
				}
				release()
				goal = until(func() bool { return both(webrtc.PeerConnectionStateConnected) }, 15*time.Second)
				why = "not connected after the ICE restart"
			}
		case "dtls-failure":
			goal = until(func() bool {
				return b.pc.SCTP().Transport().State() == webrtc.DTLSTransportStateFailed
			}, 10*time.Second)
			why = "b's DTLS transport did not fail on the wrong fingerprint"
			time.Sleep(3 * time.Second) // what a (whose peer gave up) does next
		case "bundle-balanced":
			// Every transceiver's receiver reports the DTLS transport it runs on.
			for _, p := range []*peer{a, b} {
				sctpDtls := p.pc.SCTP().Transport()
				same := 0
				ts := p.pc.GetTransceivers()
				for _, t := range ts {
					if t.Receiver() != nil && t.Receiver().Transport() == sctpDtls {
						same++
					}
				}
				logLine(map[string]interface{}{"pc": p.name, "target": "recorder", "event": "transports",
					"detail": fmt.Sprintf("%d transceivers + data channel; %d of them on the data channel's DTLS transport", len(ts), same)})
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	goalFields := map[string]interface{}{"target": "relay", "event": "end", "goal": goal, "forwarded": r.forwarded.Load(), "dropped": r.dropped.Load()}
	if *scenario == "candidate-after-failed" {
		goalFields["forwarded_lane_2"] = r2.forwarded.Load()
	}
	logLine(goalFields)
	logLine(map[string]interface{}{"target": "recorder", "event": "end-of-trace", "detail": "the pcs still open are closed after this line, unrecorded"})
	outMu.Lock()
	done := out
	out, _ = os.Open(os.DevNull)
	outMu.Unlock()
	if done != os.Stdout {
		done.Close()
	}
	_ = a.pc.Close()
	_ = b.pc.Close()
	if !goal {
		fmt.Fprintf(os.Stderr, "record-pion: scenario %s did not reach its goal: %s\n", *scenario, why)
		os.Exit(3)
	}
}
