#!/usr/bin/python3
"""record.py — records a format-1 trace (docs/trace-format.md) of two GStreamer webrtcbins.

Two webrtcbins "a" and "b" (bundle-policy max-bundle) in one pipeline, a data channel created on a
after PLAYING, negotiation from a's on-negotiation-needed. Each webrtcbin's NiceAgent (ice-agent ->
agent) gets 127.0.0.1 as its only local address; tools/record/record also runs this in a network
namespace that has only `lo`. Candidates (on-ice-candidate) reach the other webrtcbin with their
127.0.0.1 host candidate rewritten to a port of a UDP relay on 127.0.0.1, which can block the path.

Logged: notify::connection-state / ice-connection-state / ice-gathering-state / signaling-state of
each webrtcbin (the value read in the callback), and notify::state of sctp-transport -> transport
(DTLS) and its transport (ICE), attached as soon as sctp-transport exists. GStreamer delivers these
notifications on several threads, so lines are stamped under one lock in the order they were logged;
check these traces with a reorder window. webrtcbin has no close(): close and remote-close are not
supported. Its NiceAgent has no consent freshness; path-failure sets keepalive-conncheck on the agent,
which makes a blocked path fail after about 48 s.

Every wrapper of a GObject this script touches is kept alive in KEEP for the life of the process:
pygobject otherwise drops references to objects webrtcbin still uses.

Usage: record.py --scenario connect|path-failure|recover -o FILE
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
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402,F401

SUPPORTED = ["connect", "path-failure", "recover"]
T0 = time.monotonic()
LOCK = threading.Lock()
OUT = None
KEEP = []  # every GObject wrapper we touched: keep them alive


def log(**fields):
    with LOCK:
        line = {"t_ms": round((time.monotonic() - T0) * 1000.0, 3)}
        line.update(fields)
        if OUT:
            OUT.write(json.dumps(line, separators=(",", ":")) + "\n")
            OUT.flush()


def nick(value):
    try:
        return value.value_nick
    except AttributeError:
        return str(value)


class Relay:
    """ra: b sends here, forwarded to a's real port from rb; rb: the reverse."""

    def __init__(self):
        self.blocked = False
        self.real = {}
        self.forwarded = 0
        self.dropped = 0
        self.ra = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.ra.bind(("127.0.0.1", 0))
        self.rb.bind(("127.0.0.1", 0))
        for src, dst, to in ((self.ra, self.rb, "a"), (self.rb, self.ra, "b")):
            threading.Thread(target=self.pump, args=(src, dst, to), daemon=True).start()

    def port_for(self, pc):
        return (self.ra if pc == "a" else self.rb).getsockname()[1]

    def pump(self, src, dst, to):
        while True:
            data, addr = src.recvfrom(65536)
            if addr[0] != "127.0.0.1" or to not in self.real:
                continue
            if self.blocked:
                self.dropped += 1
                continue
            dst.sendto(data, ("127.0.0.1", self.real[to]))
            self.forwarded += 1


class Recorder:
    def __init__(self, scenario):
        self.scenario = scenario
        self.relay = Relay()
        self.pipe = Gst.Pipeline.new("connstate")
        self.bins = {}
        self.attached = {}
        self.ready = False
        self.queued = []
        for name in ("a", "b"):
            w = Gst.ElementFactory.make("webrtcbin", name)
            w.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
            self.pipe.add(w)
            self.bins[name] = w
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

    def attach(self, name):
        sctp = self.bins[name].get_property("sctp-transport")
        if sctp is None:
            return
        dtls = sctp.get_property("transport")
        if dtls is None or self.attached.get(name) is dtls:
            return
        ice = dtls.get_property("transport")
        KEEP.extend([sctp, dtls, ice])
        tid = name + str(len(self.attached))
        self.attached[name] = dtls
        log(pc=name, target="dtls:" + tid, event="added", state=nick(dtls.get_property("state")), sctp_only=True)
        log(pc=name, target="ice:" + tid, event="added", state=nick(ice.get_property("state")), sctp_only=True)
        dtls.connect("notify::state", lambda o, _p: log(pc=name, target="dtls:" + tid, event="statechange", state=nick(o.get_property("state"))))
        ice.connect("notify::state", lambda o, _p: log(pc=name, target="ice:" + tid, event="statechange", state=nick(o.get_property("state"))))

    # --- negotiation ------------------------------------------------------------------------------
    def on_negotiation_needed(self, _w):
        log(pc="a", target="pc", event="negotiationneeded")
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
        log(pc="b", target="api", event="setRemoteDescription")
        p = Gst.Promise.new_with_change_func(self.on_remote_set, None)
        KEEP.append(p)
        self.bins["b"].emit("set-remote-description", offer, p)

    def on_remote_set(self, _promise, _data):
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
        log(pc=name, target="pc", event="icecandidate", detail=candidate)
        if not self.ready:
            self.queued.append((name, mline, candidate))
            return
        GLib.idle_add(lambda: self.hand(name, mline, candidate) and False)

    def hand(self, name, mline, candidate):
        f = candidate.split(" ")
        if len(f) < 8 or f[2].lower() != "udp" or f[4] != "127.0.0.1" or f[7] != "host":
            return False
        self.relay.real[name] = int(f[5])
        f[5] = str(self.relay.port_for(name))
        to = "b" if name == "a" else "a"
        text = " ".join(f)
        log(pc=to, target="api", event="addIceCandidate", detail=text)
        self.bins[to].emit("add-ice-candidate", mline, text)
        return False

    # --- the scenario -----------------------------------------------------------------------------
    def state(self, name, prop="connection-state"):
        return nick(self.bins[name].get_property(prop))


def run(scenario, loop):
    rec = Recorder(scenario)
    result = {"goal": False, "why": "did not connect"}
    rec.pipe.set_state(Gst.State.PLAYING)
    channel = rec.bins["a"].emit("create-data-channel", "chat", None)
    KEEP.append(channel)
    log(target="relay", event="relay", port_for_a=rec.relay.port_for("a"), port_for_b=rec.relay.port_for("b"))

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

        if until(connected, 15):
            time.sleep(0.5)
            if scenario == "connect":
                result.update(goal=True, why="")
            elif scenario == "path-failure":
                rec.relay.blocked = True
                log(target="relay", event="block", direction="both")
                # connection-state, not ice-connection-state: webrtcbin 1.22 never updates the latter.
                ok = until(lambda: rec.state("a") in ("disconnected", "failed")
                           and rec.state("b") in ("disconnected", "failed"), 90)
                if ok:
                    until(lambda: rec.state("a") == "failed" and rec.state("b") == "failed", 10)
                result.update(goal=ok, why="neither disconnected nor failed")
            elif scenario == "recover":
                rec.relay.blocked = True
                log(target="relay", event="block", direction="both")
                time.sleep(5)
                rec.relay.blocked = False
                log(target="relay", event="unblock", direction="both")
                time.sleep(5)
                result.update(goal=connected(), why="not connected after the unblock")
            time.sleep(0.5)
        for name in ("a", "b"):  # what the properties read at the end (not checked: the pcs are open)
            for attribute, prop in (("connectionState", "connection-state"), ("iceConnectionState", "ice-connection-state")):
                log(pc=name, target="pc", event="get", attribute=attribute, state=rec.state(name, prop))
        log(target="relay", event="end", goal=result["goal"], forwarded=rec.relay.forwarded, dropped=rec.relay.dropped)
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
    if args.scenario not in SUPPORTED:
        print(f"record.py: webrtcbin: scenario {args.scenario} is not supported (webrtcbin has no close() and no "
              f"ICE restart here); supported: {', '.join(SUPPORTED)}", file=sys.stderr)
        return 2
    Gst.init(None)
    OUT = sys.stdout if args.o == "-" else open(args.o, "w")
    OUT.write(json.dumps({
        "format": "connstate-trace", "version": 1, "stack": "webrtcbin", "stack_version": Gst.version_string(),
        "scenario": args.scenario,
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pc_events": True, "recorder": "tools/record webrtcbin (record.py)",
        "options": {"bundle-policy": "max-bundle", "local_address": "127.0.0.1", "data_channel": True,
                    "keepalive_conncheck": args.scenario == "path-failure", "relay": "UDP relay on 127.0.0.1"},
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
