#!/usr/bin/python3
"""record.py — records a format-1 trace (docs/trace-format.md) of two GStreamer webrtcbins.

Two webrtcbins "a" and "b" (bundle-policy max-bundle, unless the scenario says otherwise) in one
pipeline, a data channel created on a after PLAYING, negotiation from a's on-negotiation-needed. Each
webrtcbin's NiceAgent (ice-agent -> agent) gets 127.0.0.1 as its only local address;
tools/record/record also runs this in a network namespace that has only `lo`. Candidates
(on-ice-candidate) reach the other webrtcbin with their 127.0.0.1 host candidate rewritten to a port
of a UDP relay on 127.0.0.1, which can block the path: one relay "lane" per m-line, and one more for a
path handed over later (candidate-after-failed). Each lane logs the DTLS alert records it sees
(content type 21; after the handshake only the sender and epoch are readable).

Logged: notify::connection-state / ice-connection-state / ice-gathering-state / signaling-state of
each webrtcbin (the value read in the callback), and notify::state of every DTLS transport (the
sctp-transport's and each transceiver's receiver's) and of its ICE transport, attached as soon as
they exist. GStreamer delivers these notifications on several threads, so lines are stamped under
one lock in the order they were logged; check these traces with a reorder window. webrtcbin has no
close() and no ICE restart: the scenarios that need them are refused (CANNOT_RUN); remote-close stops
b's element instead (set_state NULL), which is how an application ends a webrtcbin session. Its NiceAgent has
no consent freshness; path-failure sets keepalive-conncheck on the agent, which makes a blocked path
fail after about 48 s.

Every wrapper of a GObject this script touches is kept alive in KEEP for the life of the process:
pygobject otherwise drops references to objects webrtcbin still uses.

Usage: record.py --scenario SCENARIO -o FILE   (SUPPORTED below)
Exit: 0 goal reached; 3 goal not reached (trace still written); 2 bad usage or unsupported scenario.
"""
import argparse
import datetime
import json
import os
import socket
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

SUPPORTED = ["connect", "remote-close", "path-failure", "recover", "never-connects", "bundle-balanced", "candidate-after-failed",
             "quick-transitions", "dtls-failure", "renegotiate-add-transport"]
NO_CLOSE = "webrtcbin has no close()"
NO_RESTART = "webrtcbin 1.22 has no ICE restart (no iceRestart offer option, no restartIce)"
CANNOT_RUN = {"close": NO_CLOSE, "close-while-checking": NO_CLOSE,
              "ice-restart": NO_RESTART, "restart-after-failed": NO_RESTART}
BLACKHOLED = ("never-connects", "candidate-after-failed")  # the only initial path is dead from the start
POLICY = {"bundle-balanced": GstWebRTC.WebRTCBundlePolicy.BALANCED,
          "renegotiate-add-transport": GstWebRTC.WebRTCBundlePolicy.NONE}
CAPS = {"audio": "application/x-rtp,media=audio,encoding-name=OPUS,payload=96,clock-rate=48000",
        "video": "application/x-rtp,media=video,encoding-name=VP8,payload=97,clock-rate=90000"}
T0 = time.monotonic()
LOCK = threading.Lock()
OUT = None
KEEP = []  # every GObject wrapper we touched: keep them alive


def now_ms():
    return round((time.monotonic() - T0) * 1000.0, 3)


def log(**fields):
    with LOCK:
        line = {"t_ms": now_ms()}
        line.update(fields)
        if OUT:
            OUT.write(json.dumps(line, separators=(",", ":")) + "\n")
            OUT.flush()


def nick(value):
    try:
        return value.value_nick
    except AttributeError:
        return str(value)


class Lane:
    """A path between the webrtcbins through two relay sockets: the socket standing for pc p receives
    what the other pc sends to p and forwards it, out of the other socket, to p's real port."""

    def __init__(self, number):
        self.number = number
        self.blocked = False
        self.real = {}
        self.forwarded = 0
        self.dropped = 0
        self.sock = {}
        for pc in ("a", "b"):
            self.sock[pc] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock[pc].bind(("127.0.0.1", 0))
        for pc, sender in (("a", "b"), ("b", "a")):
            threading.Thread(target=self.pump, args=(pc, sender), daemon=True).start()
        log(target="relay", event="relay", lane=number, port_for_a=self.port_for("a"), port_for_b=self.port_for("b"))

    def port_for(self, pc):
        return self.sock[pc].getsockname()[1]

    def block(self, on):
        self.blocked = on
        log(target="relay", event="block" if on else "unblock", direction="both", lane=self.number)

    def pump(self, to, sender):
        while True:
            data, addr = self.sock[to].recvfrom(65536)
            if addr[0] != "127.0.0.1" or to not in self.real:
                continue
            self.log_alert(data, sender)
            if self.blocked:
                self.dropped += 1
                continue
            self.sock[sender].sendto(data, ("127.0.0.1", self.real[to]))
            self.forwarded += 1

    def log_alert(self, data, sender):
        if len(data) < 13 or data[0] != 21 or data[1] != 0xFE:
            return
        epoch = data[3] << 8 | data[4]
        fields = {"from": sender, "lane": self.number, "epoch": epoch, "record_length": data[11] << 8 | data[12],
                  "dropped": self.blocked}
        if epoch == 0 and len(data) >= 15:  # before the handshake ends an alert is in the clear
            fields.update(level=data[13], description=data[14])
        log(target="relay", event="dtls-alert", **fields)


def wrong_fingerprint(desc):
    """A copy of the session description whose a=fingerprint values end in another hex digit."""
    lines = []
    for line in desc.sdp.as_text().split("\r\n"):
        if line.startswith("a=fingerprint:"):
            line = line[:-1] + ("1" if line[-1] == "0" else "0")
        lines.append(line)
    ok, msg = GstSdp.SDPMessage.new_from_text("\r\n".join(lines))
    KEEP.append(msg)
    changed = GstWebRTC.WebRTCSessionDescription.new(desc.type, msg)
    KEEP.append(changed)
    return changed


class Recorder:
    def __init__(self, scenario):
        self.scenario = scenario
        lanes = {"bundle-balanced": 3, "renegotiate-add-transport": 2}.get(scenario, 1)
        self.lanes = [Lane(n + 1) for n in range(lanes)]
        self.spare = Lane(lanes + 1) if scenario == "candidate-after-failed" else None
        if scenario in BLACKHOLED:
            self.lanes[0].block(True)
        self.pipe = Gst.Pipeline.new("connstate")
        self.bins = {}
        self.attached = {}  # pc name -> [DTLS transports attached]
        self.ice_history = {}  # transport id -> [(state, t_ms)]
        self.ice_of = {}  # pc name -> [transport ids]
        self.ready = False
        self.queued = []
        self.last_host = {}  # pc name -> its last 127.0.0.1 UDP host candidate (mline, text)
        self.attach_lock = threading.RLock()
        for name in ("a", "b"):
            w = Gst.ElementFactory.make("webrtcbin", name)
            w.set_property("bundle-policy", POLICY.get(scenario, GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE))
            self.pipe.add(w)
            self.bins[name] = w
            self.attached[name] = []
            self.ice_of[name] = []
            KEEP.append(w)
            agent = w.get_property("ice-agent")
            KEEP.append(agent)
            nice = agent.get_property("agent")
            KEEP.append(nice)
            addr = Nice.Address()
            addr.init()
            addr.set_from_string("127.0.0.1")
            nice.add_local_address(addr)
            nice.set_property("upnp", False)
            if scenario == "path-failure":
                nice.set_property("keepalive-conncheck", True)
            for prop, event in (("connection-state", "connectionstatechange"),
                                ("ice-connection-state", "iceconnectionstatechange"),
                                ("ice-gathering-state", "icegatheringstatechange"),
                                ("signaling-state", "signalingstatechange")):
                w.connect("notify::" + prop, self.on_pc_notify, name, prop, event)
            w.connect("on-ice-candidate", self.on_candidate, name)
            w.connect("notify::sctp-transport", lambda *_args, n=name: self.attach(n))
        self.bins["a"].connect("on-negotiation-needed", self.on_negotiation_needed)
        self.bins["b"].connect("on-data-channel", lambda _w, ch: log(pc="b", target="dc:" + ch.get_property("label"), event="datachannel"))

    # --- logging ---------------------------------------------------------------------------------
    def on_pc_notify(self, w, _pspec, name, prop, event):
        state = nick(w.get_property(prop))
        if prop == "signaling-state":
            state = state.replace("_", "-")
        log(pc=name, target="pc", event=event, state=state)
        self.attach(name)

    def transports(self, name):
        """(DTLS transport, what uses it) of every transceiver and of the SCTP transport of pc `name`."""
        w = self.bins[name]
        found = []
        transceivers = []
        while True:  # get-transceivers answers a GArray, which pygobject cannot read
            t = w.emit("get-transceiver", len(transceivers))
            if t is None:
                break
            KEEP.append(t)
            transceivers.append(t)
        for t in transceivers:
            receiver = t.get_property("receiver")
            KEEP.append(receiver)
            dtls = receiver.get_property("transport") if receiver else None
            if dtls is not None:
                mline = t.get_property("mlineindex")
                where = "mline %d" % mline if mline < 2**32 - 1 else "no mline yet"
                found.append((dtls, "%s transceiver (%s)" % (nick(t.get_property("kind")), where)))
        sctp = w.get_property("sctp-transport")
        if sctp is not None:
            KEEP.append(sctp)
            dtls = sctp.get_property("transport")
            if dtls is not None:
                found.append((dtls, "data channel (SCTP)"))
        return found

    def attach(self, name):
        with self.attach_lock:
            users = {}
            order = []
            for dtls, user in self.transports(name):
                KEEP.append(dtls)
                key = next((d for d in order if d == dtls), None)
                if key is None:
                    order.append(dtls)
                    users[len(order) - 1] = [user]
                else:
                    users[order.index(key)].append(user)
            for i, dtls in enumerate(order):
                if any(d == dtls for d in self.attached[name]):
                    continue
                ice = dtls.get_property("transport")
                KEEP.extend([dtls, ice])
                tid = name + str(len(self.attached[name]))
                self.attached[name].append(dtls)
                self.ice_of[name].append(tid)
                self.ice_history[tid] = []
                extra = {"detail": ", ".join(users[i])}
                if users[i] == ["data channel (SCTP)"]:
                    extra["sctp_only"] = True
                log(pc=name, target="dtls:" + tid, event="added", state=nick(dtls.get_property("state")), **extra)
                log(pc=name, target="ice:" + tid, event="added", state=nick(ice.get_property("state")), **extra)
                dtls.connect("notify::state", lambda o, _p, n=name, t=tid: log(pc=n, target="dtls:" + t, event="statechange", state=nick(o.get_property("state"))))
                ice.connect("notify::state", self.on_ice_notify, name, tid)

    def on_ice_notify(self, ice, _pspec, name, tid):
        state = nick(ice.get_property("state"))
        log(pc=name, target="ice:" + tid, event="statechange", state=state)
        self.ice_history[tid].append((state, now_ms()))

    def ice_state(self, name, index=0):
        """The last notified state of pc `name`'s index-th ICE transport."""
        if len(self.ice_of[name]) <= index:
            return "new"
        history = self.ice_history[self.ice_of[name][index]]
        return history[-1][0] if history else "new"

    # --- negotiation ------------------------------------------------------------------------------
    def on_negotiation_needed(self, _w):
        log(pc="a", target="pc", event="negotiationneeded")
        self.offer()

    def offer(self):
        log(pc="a", target="api", event="createOffer")
        promise = Gst.Promise.new_with_change_func(self.on_offer, None)
        KEEP.append(promise)
        self.bins["a"].emit("create-offer", None, promise)

    def on_offer(self, promise, _data):
        reply = promise.get_reply()
        KEEP.append(reply)
        offer = reply.get_value("offer")
        KEEP.append(offer)
        log(pc="a", target="api", event="setLocalDescription")
        self.bins["a"].emit("set-local-description", offer, None)
        if self.scenario == "dtls-failure":
            offer = wrong_fingerprint(offer)
        log(pc="b", target="api", event="setRemoteDescription")
        p = Gst.Promise.new_with_change_func(self.on_remote_set, None)
        KEEP.append(p)
        self.bins["b"].emit("set-remote-description", offer, p)

    def on_remote_set(self, _promise, _data):
        self.attach("a")
        self.attach("b")
        log(pc="b", target="api", event="createAnswer")
        p = Gst.Promise.new_with_change_func(self.on_answer, None)
        KEEP.append(p)
        self.bins["b"].emit("create-answer", None, p)

    def on_answer(self, promise, _data):
        reply = promise.get_reply()
        KEEP.append(reply)
        answer = reply.get_value("answer")
        KEEP.append(answer)
        self.attach("b")  # transceivers the answer created: before set-local-description starts their ICE
        log(pc="b", target="api", event="setLocalDescription")
        self.bins["b"].emit("set-local-description", answer, None)
        log(pc="a", target="api", event="setRemoteDescription")
        p = Gst.Promise.new_with_change_func(self.on_answer_set, None)
        KEEP.append(p)
        self.bins["a"].emit("set-remote-description", answer, p)

    def on_answer_set(self, _promise, _data):
        self.attach("a")
        self.attach("b")
        GLib.idle_add(self.release)

    def release(self):
        self.ready = True
        queued, self.queued = self.queued, []
        for q in queued:
            self.hand(*q)
        return False

    def on_candidate(self, _w, mline, candidate, name):
        log(pc=name, target="pc", event="icecandidate", detail=candidate, mline=mline)
        if not self.ready:
            self.queued.append((name, mline, candidate))
            return
        GLib.idle_add(lambda: self.hand(name, mline, candidate) and False)

    def hand(self, name, mline, candidate, lane=None):
        f = candidate.split(" ")
        if len(f) < 8 or f[2].lower() != "udp" or f[4] != "127.0.0.1" or f[7] != "host":
            return False
        if lane is None:
            lane = self.lanes[min(mline, len(self.lanes) - 1)]
            lane.real[name] = int(f[5])
            self.last_host[name] = (mline, candidate)
        f[5] = str(lane.port_for(name))
        to = "b" if name == "a" else "a"
        text = " ".join(f)
        log(pc=to, target="api", event="addIceCandidate", detail=text, mline=mline, lane=lane.number)
        self.bins[to].emit("add-ice-candidate", mline, text)
        return False

    # --- the scenario -----------------------------------------------------------------------------
    def state(self, name, prop="connection-state"):
        return nick(self.bins[name].get_property(prop))

    def add_transceiver(self, kind):
        log(pc="a", target="api", event="addTransceiver", detail=kind)
        caps = Gst.Caps.from_string(CAPS[kind])
        KEEP.append(caps)
        t = self.bins["a"].emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV, caps)
        KEEP.append(t)


def quick(history, ms):
    """checking -> connected -> completed in a row, with connected lasting at most `ms`."""
    for i in range(len(history) - 2):
        (s0, _), (s1, t1), (s2, t2) = history[i:i + 3]
        if (s0, s1, s2) == ("checking", "connected", "completed") and t2 - t1 <= ms:
            return True
    return False


def run(scenario, loop):
    rec = Recorder(scenario)
    result = {"goal": False, "why": "did not connect"}
    if scenario == "bundle-balanced":
        for kind in ("audio", "video"):
            rec.add_transceiver(kind)
    rec.pipe.set_state(Gst.State.PLAYING)
    channel = rec.bins["a"].emit("create-data-channel", "chat", None)
    KEEP.append(channel)

    def connected():
        return rec.state("a") == "connected" and rec.state("b") == "connected"

    def worker():
        def until(cond, seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if cond():
                    return True
                time.sleep(0.05)
            return cond()

        both_failed = lambda: rec.state("a") == "failed" and rec.state("b") == "failed"  # noqa: E731
        if scenario in BLACKHOLED:
            # connection-state, not ice-connection-state: webrtcbin 1.22 never updates the latter.
            ok = until(both_failed, 60)
            result.update(goal=ok, why="did not fail on the blackholed path")
            if ok and scenario == "candidate-after-failed":
                # A working path, handed over without a restart once both have failed: the recording
                # shows whether webrtcbin leaves 'failed' ("a terminal state until ICE is restarted").
                time.sleep(0.5)
                for name in ("a", "b"):
                    if name in rec.last_host:
                        mline, candidate = rec.last_host[name]
                        rec.spare.real[name] = rec.lanes[0].real[name]
                        GLib.idle_add(lambda n=name, m=mline, c=candidate: rec.hand(n, m, c, rec.spare))
                time.sleep(8)
            time.sleep(0.5)
        elif scenario == "dtls-failure":
            ok = until(lambda: rec.state("b") == "failed" or connected(), 15)
            time.sleep(3)  # what each side does next
            result.update(goal=ok and rec.state("b") == "failed",
                          why="b did not fail: webrtcbin 1.22 connected despite the wrong fingerprint"
                          if connected() else "b neither failed nor connected")
        elif until(connected, 15):
            time.sleep(0.5)
            if scenario in ("connect", "bundle-balanced"):
                result.update(goal=True, why="")
            elif scenario == "quick-transitions":
                ok = all(quick(rec.ice_history[rec.ice_of[n][0]], 50) for n in ("a", "b"))
                result.update(goal=ok, why="no checking -> connected -> completed within 50 ms on both")
            elif scenario == "path-failure":
                rec.lanes[0].block(True)
                ok = until(lambda: rec.state("a") in ("disconnected", "failed")
                           and rec.state("b") in ("disconnected", "failed"), 90)
                if ok:
                    until(both_failed, 10)
                result.update(goal=ok, why="neither disconnected nor failed")
            elif scenario == "recover":
                rec.lanes[0].block(True)
                time.sleep(5)
                rec.lanes[0].block(False)
                time.sleep(5)
                result.update(goal=connected(), why="not connected after the unblock")
            elif scenario == "remote-close":
                # webrtcbin has no close(): an application ends a session by stopping the element, so
                # b is set to NULL (locked, so the pipeline keeps a running) and a is watched.
                def teardown():
                    b = rec.bins["b"]
                    log(pc="b", target="api", event="set-state", detail="NULL (webrtcbin has no close())")
                    b.set_locked_state(True)
                    b.set_state(Gst.State.NULL)
                    log(pc="b", target="api", event="set-state-returned", detail=nick(b.get_state(0)[1]))
                    return False
                GLib.idle_add(teardown)
                a_dtls = rec.attached["a"][0]
                ok = until(lambda: rec.state("a") != "connected" or nick(a_dtls.get_property("state")) == "closed", 15)
                result.update(goal=ok, why="a noticed nothing in 15 s (no DTLS closed, connection-state still connected)")
            elif scenario == "renegotiate-add-transport":
                def add_and_offer():
                    rec.add_transceiver("audio")
                    # webrtcbin 1.22 fires no on-negotiation-needed for add-transceiver on a connected
                    # webrtcbin (nothing came in 15 s), so the recorder starts the offer itself.
                    log(target="recorder", event="renegotiate", detail="no on-negotiation-needed after add-transceiver: offer started by the recorder")
                    rec.offer()
                    return False
                GLib.idle_add(add_and_offer)
                ok = until(lambda: rec.ice_state("a", 1) in ("connected", "completed")
                           and rec.ice_state("b", 1) in ("connected", "completed"), 15)
                time.sleep(1)
                result.update(goal=ok and connected(), why="the added transport did not connect")
            time.sleep(0.5)
        for name in ("a", "b"):  # what the properties read at the end (not checked: the pcs are open)
            for attribute, prop in (("connectionState", "connection-state"), ("iceConnectionState", "ice-connection-state")):
                log(pc=name, target="pc", event="get", attribute=attribute, state=rec.state(name, prop))
        ends = {"forwarded": sum(lane.forwarded for lane in rec.lanes), "dropped": sum(lane.dropped for lane in rec.lanes)}
        if rec.spare:
            ends["forwarded_lane_%d" % rec.spare.number] = rec.spare.forwarded
        log(target="relay", event="end", goal=result["goal"], **ends)
        log(target="recorder", event="end-of-trace", detail="the pipeline is stopped after this line, unrecorded")
        GLib.idle_add(loop.quit)

    threading.Thread(target=worker, daemon=True).start()
    loop.run()
    global OUT
    with LOCK:
        out, OUT = OUT, None
    rec.pipe.set_state(Gst.State.NULL)
    KEEP.append(rec)
    return out, result


def main():
    global OUT
    p = argparse.ArgumentParser(description="record a GStreamer webrtcbin trace")
    p.add_argument("--scenario", "-s", required=True)
    p.add_argument("-o", default="-")
    args = p.parse_args()
    if args.scenario in CANNOT_RUN:
        print(f"record.py: webrtcbin: scenario {args.scenario} is not supported: {CANNOT_RUN[args.scenario]}",
              file=sys.stderr)
        return 2
    if args.scenario not in SUPPORTED:
        print(f"record.py: webrtcbin: unknown scenario {args.scenario}; supported: {', '.join(SUPPORTED)}",
              file=sys.stderr)
        return 2
    Gst.init(None)
    OUT = sys.stdout if args.o == "-" else open(args.o, "w")
    policy = {"bundle-balanced": "balanced", "renegotiate-add-transport": "none"}.get(args.scenario, "max-bundle")
    options = {"bundle-policy": policy, "local_address": "127.0.0.1", "data_channel": True,
               "keepalive_conncheck": args.scenario == "path-failure",
               "relay": "UDP relay on 127.0.0.1, one lane per m-line"}
    if args.scenario == "bundle-balanced":
        options.update(media=["audio (OPUS caps)", "video (VP8 caps)"], media_source="none: transceivers only")
    if args.scenario == "renegotiate-add-transport":
        options.update(renegotiation="audio transceiver (OPUS caps) added after connected")
    if args.scenario == "dtls-failure":
        options.update(sdp_munging="the offer b receives has a wrong a=fingerprint (last hex digit changed)")
    OUT.write(json.dumps({
        "format": "connstate-trace", "version": 1, "stack": "webrtcbin", "stack_version": Gst.version_string(),
        "scenario": args.scenario,
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pc_events": True, "recorder": "tools/record webrtcbin (record.py)", "options": options,
        "delivery": "GObject notify on several threads; lines stamped in logging order",
    }, separators=(",", ":")) + "\n")
    loop = GLib.MainLoop()
    out, result = run(args.scenario, loop)
    if out is not sys.stdout:
        out.close()
    sys.stdout.flush()
    if not result["goal"]:
        print(f"record.py: scenario {args.scenario} did not reach its goal: {result['why']}", file=sys.stderr)
        os._exit(3)
    os._exit(0)  # skip interpreter teardown: pygobject finalizers crash on webrtcbin's objects


if __name__ == "__main__":
    sys.exit(main())
