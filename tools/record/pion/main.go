// record-pion — records a format-1 trace (docs/trace-format.md) of two pion/webrtc PeerConnections.
//
// Two pcs "a" and "b" in one process, one data channel, no ICE servers, UDP4 on loopback only
// (SetNetworkTypes udp4, SetIncludeLoopbackCandidate, SetIPFilter 127.0.0.1, mDNS off). Trickled
// candidates go through this program, which hands each pc only the other's 127.0.0.1 host candidate
// rewritten to a port of a UDP relay on 127.0.0.1 that can block the path. ICE timeouts are
// SetICETimeouts(1s, 3s, 200ms): disconnected after ~1 s of silence, failed after ~4 s.
//
// Listeners: pc.OnConnectionStateChange / OnICEConnectionStateChange / OnSignalingStateChange /
// OnICEGatheringStateChange (pion calls these in goroutines), and on pc.SCTP().Transport() (DTLS,
// OnStateChange) and its ICETransport() (OnConnectionStateChange, called synchronously before pion's
// own handler derives the pc states). Each line is written with the time it was logged.
//
// Usage: record-pion --scenario connect|close|remote-close|ice-restart|path-failure|recover -o FILE
// Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage.
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
	ra, rb    *net.UDPConn // ra: b sends here, forwarded to a; rb: a sends here, forwarded to b
	realA     atomic.Int64
	realB     atomic.Int64
	blocked   atomic.Bool
	forwarded atomic.Int64
	dropped   atomic.Int64
}

func newRelay() *relay {
	r := &relay{}
	r.ra, _ = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	r.rb, _ = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	go r.pump(r.ra, r.rb, &r.realA)
	go r.pump(r.rb, r.ra, &r.realB)
	return r
}

func (r *relay) pump(in, outConn *net.UDPConn, to *atomic.Int64) {
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
		if r.blocked.Load() {
			r.dropped.Add(1)
			continue
		}
		_, _ = outConn.WriteToUDP(buf[:n], &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)})
		r.forwarded.Add(1)
	}
}

func (r *relay) portFor(pc string) int {
	if pc == "a" {
		return r.ra.LocalAddr().(*net.UDPAddr).Port
	}
	return r.rb.LocalAddr().(*net.UDPAddr).Port
}

// --- the pcs ------------------------------------------------------------------------------------------
type peer struct {
	name string
	pc   *webrtc.PeerConnection
	tid  string
}

func newPeer(name string, api *webrtc.API) *peer {
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: []webrtc.ICEServer{}})
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

func api(name string) *webrtc.API {
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(1*time.Second, 3*time.Second, 200*time.Millisecond)
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

func main() {
	scenario := flag.String("scenario", "", "connect|close|remote-close|ice-restart|path-failure|recover")
	outPath := flag.String("o", "-", "the trace")
	flag.Parse()
	switch *scenario {
	case "connect", "close", "remote-close", "ice-restart", "path-failure", "recover":
	default:
		fmt.Fprintln(os.Stderr, "record-pion: --scenario must be one of connect, close, remote-close, ice-restart, path-failure, recover")
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
	type options struct {
		NetworkTypes string   `json:"network_types"`
		LoopbackOnly bool     `json:"loopback_only"`
		MDNS         string   `json:"mdns"`
		ICETimeouts  string   `json:"ice_timeouts"`
		ICEServers   []string `json:"iceServers"`
		DataChannel  bool     `json:"data_channel"`
		Relay        string   `json:"relay"`
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
		"tools/record pion (record-pion)",
		options{"udp4", true, "disabled", "disconnected 1s, failed 3s, keepalive 200ms", []string{}, true, "UDP relay on 127.0.0.1"},
		"pc handlers run in goroutines (pion); transport handlers synchronously"})
	fmt.Fprintln(out, string(header))

	r := newRelay()
	logLine(map[string]interface{}{"target": "relay", "event": "relay", "port_for_a": r.portFor("a"), "port_for_b": r.portFor("b")})
	a, b := newPeer("a", api("a")), newPeer("b", api("b"))
	peers := map[string]*peer{"a": a, "b": b}

	var readyMu sync.Mutex
	ready := false
	var queued [][2]interface{}
	hand := func(from string, c *webrtc.ICECandidate) {
		to := peers[map[string]string{"a": "b", "b": "a"}[from]]
		if c == nil {
			return
		}
		if c.Protocol != webrtc.ICEProtocolUDP || c.Typ != webrtc.ICECandidateTypeHost || c.Address != "127.0.0.1" {
			return
		}
		if from == "a" {
			r.realA.Store(int64(c.Port))
		} else {
			r.realB.Store(int64(c.Port))
		}
		init := c.ToJSON()
		f := strings.Fields(init.Candidate)
		if len(f) < 8 {
			return
		}
		f[5] = strconv.Itoa(r.portFor(from))
		init.Candidate = strings.Join(f, " ")
		logLine(map[string]interface{}{"pc": to.name, "target": "api", "event": "addIceCandidate", "detail": init.Candidate})
		if err := to.pc.AddICECandidate(init); err != nil {
			fmt.Fprintln(os.Stderr, "record-pion: AddICECandidate:", err)
		}
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
	negotiate := func(restart bool) error {
		logLine(map[string]interface{}{"pc": "a", "target": "api", "event": "createOffer", "detail": map[bool]string{true: "iceRestart", false: ""}[restart]})
		offer, err := a.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
		if err != nil {
			return err
		}
		logLine(map[string]interface{}{"pc": "a", "target": "api", "event": "setLocalDescription"})
		if err = a.pc.SetLocalDescription(offer); err != nil {
			return err
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
	marker := func(event string) {
		logLine(map[string]interface{}{"target": "relay", "event": event, "direction": "both"})
	}

	goal, why := true, ""
	dc, err := a.pc.CreateDataChannel("chat", nil)
	if err == nil {
		dc.OnOpen(func() { logLine(map[string]interface{}{"pc": "a", "target": "dc:chat", "event": "open"}) })
		err = negotiate(false)
	}
	if err != nil {
		goal, why = false, err.Error()
	} else {
		release()
		if !until(func() bool { return both(webrtc.PeerConnectionStateConnected) }, 10*time.Second) {
			goal, why = false, "did not connect"
		}
	}
	if goal {
		time.Sleep(500 * time.Millisecond)
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
			readyMu.Lock()
			ready = false
			readyMu.Unlock()
			if err := negotiate(true); err != nil {
				goal, why = false, err.Error()
				break
			}
			release()
			time.Sleep(time.Second)
			goal = until(func() bool { return both(webrtc.PeerConnectionStateConnected) }, 10*time.Second)
			why = "not connected after the restart"
		case "path-failure":
			r.blocked.Store(true)
			marker("block")
			goal = until(func() bool { return both(webrtc.PeerConnectionStateFailed) }, 15*time.Second)
			why = "not failed"
		case "recover":
			r.blocked.Store(true)
			marker("block")
			goal = until(func() bool { return both(webrtc.PeerConnectionStateDisconnected) }, 10*time.Second)
			r.blocked.Store(false)
			marker("unblock")
			goal = goal && until(func() bool { return both(webrtc.PeerConnectionStateConnected) }, 10*time.Second)
			why = "did not reconnect after the unblock"
		}
		time.Sleep(500 * time.Millisecond)
	}
	logLine(map[string]interface{}{"target": "relay", "event": "end", "goal": goal, "forwarded": r.forwarded.Load(), "dropped": r.dropped.Load()})
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
