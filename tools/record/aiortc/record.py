#!/usr/bin/python3
"""record.py — records a format-1 trace (docs/trace-format.md) of two aiortc RTCPeerConnections.

Two pcs "a" and "b" in one asyncio loop, one data channel, no ICE servers. aioice leaves loopback out
of its host addresses, so address discovery is restricted to 127.0.0.1 (aioice.ice.get_host_addresses
is replaced); tools/record/record also runs this in a network namespace that has only `lo`. Each pc's
SDP reaches the other with its host candidates rewritten to ports of an asyncio UDP relay on
127.0.0.1, which can block the path: one relay "lane" (a pair of sockets) per m-section, and one more
for a path handed over later (candidate-after-failed). Each lane also logs the DTLS alert records it
sees (content type 21; after the handshake only the sender and epoch are readable), which shows
whether a close_notify went out.

Transport changes are logged by wrapping RTCIceTransport.__setState and RTCDtlsTransport._set_state:
the line is written when the transport's state changes, before its "statechange" is emitted, so it
comes before the pc events aiortc's own listener derives from it (pyee listeners are synchronous).
Transports are registered ("added" lines) as soon as a call creates them, and at the latest at their
first change. pc events are logged by listeners on the pc, with the value read in the listener.

Consent freshness is aioice's: CONSENT_INTERVAL is lowered from 5 s to 1 s (failure after 6 misses,
about 9 s instead of about 33 s); the header records it. STUN retransmissions are aioice's own, so a
path that never answers fails after about 63.5 s (7 transmissions, 0.5 s doubling: never-connects).

Usage: record.py --scenario SCENARIO -o FILE   (SCENARIOS below)
Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage or a scenario the
stack cannot run (CANNOT_RUN says why).
"""
import argparse
import asyncio
import datetime
import json
import sys
import time

import aioice.ice
import aiortc
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceTransport
from aiortc.sdp import candidate_from_sdp

SCENARIOS = ["connect", "close", "remote-close", "path-failure", "recover", "never-connects", "bundle-balanced",
             "candidate-after-failed", "close-while-checking", "dtls-failure", "renegotiate-add-transport"]
CANNOT_RUN = {
    "ice-restart": "aiortc 1.4 has no ICE restart (no restartIce, no iceRestart offer option)",
    "restart-after-failed": "aiortc 1.4 has no ICE restart (no restartIce, no iceRestart offer option)",
    "quick-transitions": "aioice has no 'connected' state: aiortc's ICE transport goes checking -> completed in "
                         "one step (see the connect trace), so there is no connected -> completed step to record",
}
# Scenarios whose only initial path is blackholed from the start.
BLACKHOLED = ("never-connects", "candidate-after-failed", "close-while-checking")
T0 = time.monotonic()
OUT = None
PCS = {}
IDS = {}  # id(transport) -> (pc name, transport id), for the DTLS transport and its ICE transport
COUNT = {}  # pc name -> transports registered


def now_ms():
    return round((time.monotonic() - T0) * 1000.0, 3)


def log(**fields):
    line = {"t_ms": now_ms()}
    line.update(fields)
    OUT.write(json.dumps(line, separators=(",", ":")) + "\n")
    OUT.flush()


def register(name, pc, dtls, creating=None):
    """Logs `added` for a DTLS transport of pc and its ICE transport, once. `creating` is what the
    transport is being created for, when that is known (its users are not assigned yet)."""
    if id(dtls) in IDS:
        return IDS[id(dtls)]
    tid = name + str(COUNT.get(name, 0))
    COUNT[name] = COUNT.get(name, 0) + 1
    IDS[id(dtls)] = IDS[id(dtls.transport)] = (name, tid)
    if creating:
        users = [creating]
        sctp_only = creating == SCTP_USER
    else:
        users = [f"{t.kind} transceiver" for t in pc.getTransceivers() if t._transport is dtls]
        if pc.sctp is not None and pc.sctp.transport is dtls:
            users.append(SCTP_USER)
        sctp_only = users == [SCTP_USER]
    extra = {"detail": ", ".join(users) or "none left (BUNDLE already moved its m-section to another transport)"}
    if sctp_only:
        extra["sctp_only"] = True
    log(pc=name, target="dtls:" + tid, event="added", state=dtls.state, **extra)
    log(pc=name, target="ice:" + tid, event="added", state=dtls.transport.state, **extra)
    return IDS[id(dtls)]


def register_all(name):
    """Registers every transport pc has now: the transceivers' in their order, then the SCTP one."""
    pc = PCS[name]
    for transceiver in pc.getTransceivers():
        register(name, pc, transceiver._transport)
    if pc.sctp is not None:
        register(name, pc, pc.sctp.transport)
    for dtls in list(pc._RTCPeerConnection__dtlsTransports):
        register(name, pc, dtls)


def owner(transport):
    """(pc name, transport id) of an ICE or DTLS transport, registering it on first sight."""
    key = id(transport)
    if key in IDS:
        return IDS[key]
    for name, pc in PCS.items():
        for dtls in list(pc._RTCPeerConnection__dtlsTransports):
            if dtls is transport or dtls.transport is transport:
                return register(name, pc, dtls)
    return (None, None)


_ice_set = RTCIceTransport._RTCIceTransport__setState
_dtls_set = RTCDtlsTransport._set_state


def ice_set(self, state):
    if state != self.state:
        name, tid = owner(self)
        if name:
            log(pc=name, target="ice:" + tid, event="statechange", state=state)
        else:
            log(target="recorder", event="unowned-ice-statechange", state=state)
    _ice_set(self, state)


def dtls_set(self, state):
    if state != self._state:
        name, tid = owner(self)
        text = str(state)[6:].lower()  # State.CONNECTED -> "connected", as RTCDtlsTransport.state reads
        if name:
            log(pc=name, target="dtls:" + tid, event="statechange", state=text)
        else:
            log(target="recorder", event="unowned-dtls-statechange", state=text)
    _dtls_set(self, state)


# aiortc re-derives its pc states as soon as it creates a transport (__createDtlsTransport ends with the
# three __update* calls), so a new transport is registered at the first of them, before any event it
# causes; the creators say what it is for.
CREATING = {}  # id(pc) -> what the transport being created is for
SCTP_USER = "data channel (SCTP)"
_create_sctp = RTCPeerConnection._RTCPeerConnection__createSctpTransport
_create_transceiver = RTCPeerConnection._RTCPeerConnection__createTransceiver
_update_gathering = RTCPeerConnection._RTCPeerConnection__updateIceGatheringState


def create_sctp(self):
    CREATING[id(self)] = SCTP_USER
    try:
        return _create_sctp(self)
    finally:
        CREATING.pop(id(self), None)


def create_transceiver(self, direction, kind, sender_track=None):
    CREATING[id(self)] = kind + " transceiver"
    try:
        return _create_transceiver(self, direction, kind, sender_track)
    finally:
        CREATING.pop(id(self), None)


def update_gathering(self):
    for name, pc in PCS.items():
        if pc is self:
            for dtls in list(self._RTCPeerConnection__dtlsTransports):
                register(name, self, dtls, CREATING.get(id(self)))
    _update_gathering(self)


RTCPeerConnection._RTCPeerConnection__createSctpTransport = create_sctp
RTCPeerConnection._RTCPeerConnection__createTransceiver = create_transceiver
RTCPeerConnection._RTCPeerConnection__updateIceGatheringState = update_gathering
RTCIceTransport._RTCIceTransport__setState = ice_set
RTCDtlsTransport._set_state = dtls_set
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
aioice.ice.CONSENT_INTERVAL = 1


class Socket(asyncio.DatagramProtocol):
    """One socket of a lane: datagrams arriving here come from `sender` and go out of the lane's other
    socket to the real port of the other pc."""

    def __init__(self, lane, sender):
        self.lane = lane
        self.sender = sender
        self.to = "a" if sender == "b" else "b"
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        lane = self.lane
        if addr[0] != "127.0.0.1" or self.to not in lane.real:
            return
        lane.log_alert(data, self.sender)
        if lane.blocked:
            lane.dropped += 1
            return
        # out of the socket that stands for the sender, so the receiver sees the sender's relay port
        lane.sockets[self.sender].transport.sendto(data, ("127.0.0.1", lane.real[self.to]))
        lane.forwarded += 1


class Lane:
    """A path between the pcs through two relay sockets: `port_for[p]` is where the other pc sends to
    reach pc p (it forwards to p's real port, `real[p]`)."""

    def __init__(self, number):
        self.number = number
        self.blocked = False
        self.forwarded = 0
        self.dropped = 0
        self.real = {}
        self.sockets = {}
        self.port_for = {}

    async def open(self, loop):
        for pc in ("a", "b"):
            sender = "b" if pc == "a" else "a"  # the socket standing for pc receives what the other sends
            self.sockets[pc] = Socket(self, sender)
            await loop.create_datagram_endpoint(lambda s=self.sockets[pc]: s, local_addr=("127.0.0.1", 0))
            self.port_for[pc] = self.sockets[pc].transport.get_extra_info("sockname")[1]
        log(target="relay", event="relay", lane=self.number, port_for_a=self.port_for["a"], port_for_b=self.port_for["b"])
        return self

    def block(self, on):
        self.blocked = on
        log(target="relay", event="block" if on else "unblock", direction="both", lane=self.number)

    def log_alert(self, data, sender):
        if len(data) < 13 or data[0] != 21 or data[1] != 0xFE:
            return
        epoch = data[3] << 8 | data[4]
        fields = {"from": sender, "lane": self.number, "epoch": epoch, "record_length": data[11] << 8 | data[12],
                  "dropped": self.blocked}
        if epoch == 0 and len(data) >= 15:  # before the handshake ends an alert is in the clear
            fields.update(level=data[13], description=data[14])
        log(target="relay", event="dtls-alert", **fields)


def rewrite(sdp, name, lanes, keep_end_of_candidates=True, wrong_fingerprint=False):
    """The SDP with each m-section's 127.0.0.1 UDP host candidate pointing at that m-section's lane
    (other candidates dropped); optionally without a=end-of-candidates, or with a wrong fingerprint."""
    out = []
    section = -1
    for line in sdp.splitlines():
        if line.startswith("m="):
            section += 1
        if line.startswith("a=candidate:"):
            f = line.split(" ")
            if len(f) >= 8 and f[2].lower() == "udp" and f[4] == "127.0.0.1" and f[7] == "host":
                lane = lanes[section]
                lane.real[name] = int(f[5])
                f[5] = str(lane.port_for[name])
                line = " ".join(f)
            else:
                continue
        if line == "a=end-of-candidates" and not keep_end_of_candidates:
            continue
        if line.startswith("a=fingerprint:") and wrong_fingerprint:
            line = line[:-1] + ("1" if line[-1] == "0" else "0")
        out.append(line)
    return "\r\n".join(out) + "\r\n"


def watch(name, pc):
    PCS[name] = pc
    for event, attr in [("connectionstatechange", "connectionState"), ("iceconnectionstatechange", "iceConnectionState"),
                        ("icegatheringstatechange", "iceGatheringState"), ("signalingstatechange", "signalingState")]:
        def handler(event=event, attr=attr):
            log(pc=name, target="pc", event=event, state=getattr(pc, attr))
        pc.on(event, handler)
    pc.on("datachannel", lambda ch: log(pc=name, target="dc:" + ch.label, event="datachannel"))


async def close(name):
    pc = PCS[name]
    log(pc=name, target="api", event="close")
    await pc.close()
    for attribute in ["connectionState", "iceConnectionState", "signalingState", "iceGatheringState"]:
        log(pc=name, target="pc", event="get", attribute=attribute, state=getattr(pc, attribute))
    for key, (n, tid) in list(IDS.items()):
        if n != name:
            continue
        for dtls in list(pc._RTCPeerConnection__dtlsTransports):
            if id(dtls) == key:
                log(pc=name, target="dtls:" + tid, event="get", attribute="state", state=dtls.state)
                log(pc=name, target="ice:" + tid, event="get", attribute="state", state=dtls.transport.state)


async def until(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        await asyncio.sleep(0.05)
    return cond()


async def run(scenario):
    loop = asyncio.get_running_loop()
    sections = {"bundle-balanced": 3, "renegotiate-add-transport": 2}.get(scenario, 1)
    lanes = [await Lane(n + 1).open(loop) for n in range(sections)]
    spare = await Lane(len(lanes) + 1).open(loop) if scenario == "candidate-after-failed" else None
    if scenario in BLACKHOLED:
        lanes[0].block(True)  # the only path the pcs learn about in their SDP is dead from the start

    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    watch("a", a)
    watch("b", b)
    if scenario == "bundle-balanced":
        for kind in ("audio", "video"):
            log(pc="a", target="api", event="addTransceiver", detail=kind)
            a.addTransceiver(kind)
            register_all("a")
    channel = a.createDataChannel("chat")
    register_all("a")
    channel.on("open", lambda: log(pc="a", target="dc:chat", event="open"))
    munging = {"keep_end_of_candidates": scenario != "candidate-after-failed"}

    async def negotiate():
        log(pc="a", target="api", event="createOffer")
        offer = await a.createOffer()
        log(pc="a", target="api", event="setLocalDescription")
        await a.setLocalDescription(offer)
        register_all("a")
        sdp = rewrite(a.localDescription.sdp, "a", lanes, wrong_fingerprint=scenario == "dtls-failure", **munging)
        log(pc="b", target="api", event="setRemoteDescription")
        await b.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        register_all("b")
        log(pc="b", target="api", event="createAnswer")
        answer = await b.createAnswer()
        log(pc="b", target="api", event="setLocalDescription")
        await b.setLocalDescription(answer)
        register_all("b")
        sdp = rewrite(b.localDescription.sdp, "b", lanes, **munging)
        log(pc="a", target="api", event="setRemoteDescription")
        await a.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    await negotiate()

    def connected():
        return a.connectionState == "connected" and b.connectionState == "connected"

    def both_ice(state):
        return a.iceConnectionState == state and b.iceConnectionState == state

    goal, why = True, ""
    if scenario not in BLACKHOLED + ("dtls-failure",):
        if not await until(connected, 15):
            return False, "did not connect"
        await asyncio.sleep(0.5)
    if scenario == "close":
        await close("a")
        await asyncio.sleep(1.5)
    elif scenario == "remote-close":
        await close("b")
        goal = await until(lambda: a.connectionState in ("failed", "closed") or a.iceConnectionState == "failed", 30)
        why = "a did not notice that b closed"
        await asyncio.sleep(0.5)
    elif scenario == "path-failure":
        lanes[0].block(True)
        goal = await until(lambda: both_ice("failed"), 40)
        why = "ICE did not fail"
        await asyncio.sleep(0.5)
    elif scenario == "recover":
        # aioice closes a connection that lost consent (failed is final), so the block is shorter than
        # the consent timeout (~9 s with CONSENT_INTERVAL 1 s): the connection must survive it.
        lanes[0].block(True)
        await asyncio.sleep(3)
        lanes[0].block(False)
        await asyncio.sleep(10)
        goal = connected()
        why = "not connected 10 s after the unblock"
    elif scenario == "never-connects":
        goal = await until(lambda: both_ice("failed"), 90)
        why = "ICE did not fail on the blackholed path"
        await asyncio.sleep(0.5)
    elif scenario == "candidate-after-failed":
        # A working path, handed over without a restart once both pcs have failed: the recording shows
        # whether aiortc leaves 'failed' (webrtc-pc: "a terminal state until ICE is restarted").
        goal = await until(lambda: both_ice("failed"), 90)
        why = "ICE did not fail on the blackholed path"
        if goal:
            await asyncio.sleep(0.5)
            for name, pc, other in (("a", a, "b"), ("b", b, "a")):
                spare.real[other] = lanes[0].real[other]
                mid = pc.sctp.mid if pc.sctp else "0"
                text = f"1 1 udp 2130706431 127.0.0.1 {spare.port_for[other]} typ host"
                log(pc=name, target="api", event="addIceCandidate", lane=spare.number, detail="candidate:" + text)
                candidate = candidate_from_sdp(text)
                candidate.sdpMid = mid
                try:
                    await pc.addIceCandidate(candidate)
                except Exception as exc:  # what the stack said is part of the recording
                    log(pc=name, target="api", event="addIceCandidate-error", detail=repr(exc))
            await asyncio.sleep(8)
    elif scenario == "close-while-checking":
        goal = await until(lambda: a.iceConnectionState == "checking", 5)
        why = "a never reached checking"
        if goal:
            await asyncio.sleep(0.2)
            goal = a.iceConnectionState == "checking"
            await close("a")
            await asyncio.sleep(1.5)
    elif scenario == "dtls-failure":
        goal = await until(lambda: b.sctp is not None and b.sctp.transport.state == "failed", 15)
        why = "b's DTLS transport did not fail on the wrong fingerprint"
        await asyncio.sleep(3)  # what a (whose peer gave up) does next
    elif scenario == "bundle-balanced":
        await asyncio.sleep(0.5)
    elif scenario == "renegotiate-add-transport":
        log(pc="a", target="api", event="addTransceiver", detail="audio")
        a.addTransceiver("audio")
        register_all("a")
        await negotiate()
        goal = await until(connected, 5)
        why = "not connected after the renegotiation"
        await asyncio.sleep(1)
    ends = {"forwarded": sum(lane.forwarded for lane in lanes), "dropped": sum(lane.dropped for lane in lanes)}
    if spare:
        ends["forwarded_lane_%d" % spare.number] = spare.forwarded
    log(target="relay", event="end", goal=goal, **ends)
    log(target="recorder", event="end-of-trace", detail="the pcs still open are closed after this line, unrecorded")
    # Tear down without logging: the trace ends here (closing now would add events of the teardown).
    global OUT
    out, OUT = OUT, open("/dev/null", "w")
    await a.close()
    await b.close()
    OUT = out
    return goal, why


def main():
    global OUT
    p = argparse.ArgumentParser(description="record an aiortc trace")
    p.add_argument("--scenario", "-s", required=True)
    p.add_argument("-o", default="-")
    args = p.parse_args()
    if args.scenario in CANNOT_RUN:
        print(f"record.py: scenario {args.scenario} is not supported: {CANNOT_RUN[args.scenario]}", file=sys.stderr)
        return 2
    if args.scenario not in SCENARIOS:
        print("record.py: --scenario must be one of " + ", ".join(SCENARIOS), file=sys.stderr)
        return 2
    OUT = sys.stdout if args.o == "-" else open(args.o, "w")
    options = {"aioice": aioice.__version__, "host_addresses": ["127.0.0.1"], "consent_interval_s": 1,
               "consent_failures": aioice.ice.CONSENT_FAILURES, "iceServers": [], "data_channel": True,
               "relay": "asyncio UDP relay on 127.0.0.1, one lane per m-section"}
    if args.scenario == "bundle-balanced":
        options.update(media=["audio", "video"], bundlePolicy="none set: aiortc 1.4 has no bundlePolicy; it gives "
                       "every m-section its own transport in the offer and keeps the first of the BUNDLE group "
                       "(what balanced does with one m-section per media type)")
    if args.scenario == "renegotiate-add-transport":
        options.update(renegotiation="audio transceiver added after connected")
    if args.scenario == "candidate-after-failed":
        options.update(sdp_munging="a=end-of-candidates removed, so the later candidate reaches aioice")
    if args.scenario == "dtls-failure":
        options.update(sdp_munging="the offer b receives has a wrong a=fingerprint (last hex digit changed)")
    OUT.write(json.dumps({
        "format": "connstate-trace", "version": 1, "stack": "aiortc", "stack_version": aiortc.__version__,
        "scenario": args.scenario,
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pc_events": True, "recorder": "tools/record aiortc (record.py)", "options": options,
        "hooks": "RTCIceTransport.__setState and RTCDtlsTransport._set_state log before statechange is emitted",
    }, separators=(",", ":")) + "\n")
    goal, why = asyncio.run(run(args.scenario))
    if OUT is not sys.stdout:
        OUT.close()
    if not goal:
        print(f"record.py: scenario {args.scenario} did not reach its goal: {why}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
