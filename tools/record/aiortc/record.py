#!/usr/bin/python3
"""record.py — records a format-1 trace (docs/trace-format.md) of two aiortc RTCPeerConnections.

Two pcs "a" and "b" in one asyncio loop, one data channel, no ICE servers. aioice leaves loopback out
of its host addresses, so address discovery is restricted to 127.0.0.1 (aioice.ice.get_host_addresses
is replaced); tools/record/record also runs this in a network namespace that has only `lo`. Each pc's
SDP reaches the other with its one host candidate rewritten to a port of an asyncio UDP relay on
127.0.0.1, which can block the path.

Transport changes are logged by wrapping RTCIceTransport.__setState and RTCDtlsTransport._set_state:
the line is written when the transport's state changes, before its "statechange" is emitted, so it
comes before the pc events aiortc's own listener derives from it (pyee listeners are synchronous).
pc events are logged by listeners on the pc, with the value read in the listener.

Consent freshness is aioice's: CONSENT_INTERVAL is lowered from 5 s to 1 s (failure after 6 misses,
about 9 s instead of about 33 s); the header records it.

Usage: record.py --scenario connect|close|remote-close|path-failure|recover -o FILE
Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage or a scenario the
stack does not support (ice-restart: aiortc 1.4 has no ICE restart).
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

SCENARIOS = ["connect", "close", "remote-close", "path-failure", "recover"]
T0 = time.monotonic()
OUT = None
PCS = {}
IDS = {}  # id(transport) -> (pc name, transport id)


def now_ms():
    return round((time.monotonic() - T0) * 1000.0, 3)


def log(**fields):
    line = {"t_ms": now_ms()}
    line.update(fields)
    OUT.write(json.dumps(line, separators=(",", ":")) + "\n")
    OUT.flush()


def owner(transport):
    """(pc name, transport id) of an ICE or DTLS transport, registering it on first sight."""
    key = id(transport)
    if key in IDS:
        return IDS[key]
    for name, pc in PCS.items():
        for dtls in list(pc._RTCPeerConnection__dtlsTransports):
            if dtls is transport or dtls.transport is transport:
                tid = name + str(len([v for v in IDS.values() if v[0] == name]) // 2)
                IDS[id(dtls)] = IDS[id(dtls.transport)] = (name, tid)
                log(pc=name, target="dtls:" + tid, event="added", state=dtls.state, sctp_only=True)
                log(pc=name, target="ice:" + tid, event="added", state=dtls.transport.state, sctp_only=True)
                return IDS[key]
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


RTCIceTransport._RTCIceTransport__setState = ice_set
RTCDtlsTransport._set_state = dtls_set
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
aioice.ice.CONSENT_INTERVAL = 1


class Relay(asyncio.DatagramProtocol):
    """One socket of the relay: datagrams arriving here go out of the peer socket to `to`'s real port."""

    blocked = False
    forwarded = 0
    dropped = 0

    def __init__(self, to):
        self.to = to
        self.real = {}
        self.peer = None
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if addr[0] != "127.0.0.1" or self.to not in self.real:
            return
        if Relay.blocked:
            Relay.dropped += 1
            return
        self.peer.transport.sendto(data, ("127.0.0.1", self.real[self.to]))
        Relay.forwarded += 1


def rewrite(sdp, relay_port, real, name):
    """The SDP with its 127.0.0.1 UDP host candidate pointing at the relay (other candidates dropped)."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            f = line.split(" ")
            if len(f) >= 8 and f[2].lower() == "udp" and f[4] == "127.0.0.1" and f[7] == "host":
                real[name] = int(f[5])
                f[5] = str(relay_port)
                line = " ".join(f)
            else:
                continue
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
    ra = Relay("a")  # b sends here; forwarded to a
    rb = Relay("b")  # a sends here; forwarded to b
    ra.real = rb.real = {}
    await loop.create_datagram_endpoint(lambda: ra, local_addr=("127.0.0.1", 0))
    await loop.create_datagram_endpoint(lambda: rb, local_addr=("127.0.0.1", 0))
    ra.peer, rb.peer = rb, ra
    port = {"a": ra.transport.get_extra_info("sockname")[1], "b": rb.transport.get_extra_info("sockname")[1]}
    log(target="relay", event="relay", port_for_a=port["a"], port_for_b=port["b"])

    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    watch("a", a)
    watch("b", b)
    channel = a.createDataChannel("chat")
    channel.on("open", lambda: log(pc="a", target="dc:chat", event="open"))

    log(pc="a", target="api", event="createOffer")
    offer = await a.createOffer()
    log(pc="a", target="api", event="setLocalDescription")
    await a.setLocalDescription(offer)
    if a.sctp:
        owner(a.sctp.transport)
    sdp = rewrite(a.localDescription.sdp, port["a"], ra.real, "a")
    log(pc="b", target="api", event="setRemoteDescription")
    await b.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
    if b.sctp:
        owner(b.sctp.transport)
    log(pc="b", target="api", event="createAnswer")
    answer = await b.createAnswer()
    log(pc="b", target="api", event="setLocalDescription")
    await b.setLocalDescription(answer)
    sdp = rewrite(b.localDescription.sdp, port["b"], ra.real, "b")
    log(pc="a", target="api", event="setRemoteDescription")
    await a.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    def connected():
        return a.connectionState == "connected" and b.connectionState == "connected"

    if not await until(connected, 15):
        return False, "did not connect"
    await asyncio.sleep(0.5)
    goal, why = True, ""
    if scenario == "close":
        await close("a")
        await asyncio.sleep(1.5)
    elif scenario == "remote-close":
        await close("b")
        goal = await until(lambda: a.connectionState in ("failed", "closed") or a.iceConnectionState == "failed", 30)
        why = "a did not notice that b closed"
        await asyncio.sleep(0.5)
    elif scenario == "path-failure":
        Relay.blocked = True
        log(target="relay", event="block", direction="both")
        goal = await until(lambda: a.iceConnectionState == "failed" and b.iceConnectionState == "failed", 40)
        why = "ICE did not fail"
        await asyncio.sleep(0.5)
    elif scenario == "recover":
        # aioice closes a connection that lost consent (failed is final), so the block is shorter than
        # the consent timeout (~9 s with CONSENT_INTERVAL 1 s): the connection must survive it.
        Relay.blocked = True
        log(target="relay", event="block", direction="both")
        await asyncio.sleep(3)
        Relay.blocked = False
        log(target="relay", event="unblock", direction="both")
        await asyncio.sleep(10)
        goal = connected()
        why = "not connected 10 s after the unblock"
    log(target="relay", event="end", goal=goal, forwarded=Relay.forwarded, dropped=Relay.dropped)
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
    if args.scenario == "ice-restart":
        print("record.py: aiortc 1.4 has no ICE restart (restartIce/iceRestart): scenario not supported", file=sys.stderr)
        return 2
    if args.scenario not in SCENARIOS:
        print("record.py: --scenario must be one of " + ", ".join(SCENARIOS), file=sys.stderr)
        return 2
    OUT = sys.stdout if args.o == "-" else open(args.o, "w")
    OUT.write(json.dumps({
        "format": "connstate-trace", "version": 1, "stack": "aiortc", "stack_version": aiortc.__version__,
        "scenario": args.scenario,
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pc_events": True, "recorder": "tools/record aiortc (record.py)",
        "options": {"aioice": aioice.__version__, "host_addresses": ["127.0.0.1"], "consent_interval_s": 1,
                    "consent_failures": aioice.ice.CONSENT_FAILURES, "iceServers": [], "data_channel": True,
                    "relay": "asyncio UDP relay on 127.0.0.1"},
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
