#!/usr/bin/python3
"""connstate protocol-1 oracle adapter for aiortc (Debian python3-aiortc, run with /usr/bin/python3).

It runs aiortc's OWN state code on the harness's inputs; nothing here derives a state:
- evaluate: real RTCIceTransport / RTCDtlsTransport instances (created without __init__, only their state
  slot set, read back through aiortc's own `state` properties) are put into the pc's private sets
  `_RTCPeerConnection__iceTransports` / `__dtlsTransports`, `__isClosed` is set, and the pc's own
  `__updateIceConnectionState()` then `__updateConnectionState()` run (the order aiortc always uses).
- sequences: a real RTCPeerConnection; add = addTransceiver("audio") (or createDataChannel for sctp_only),
  states are forced through the transports' own setters (`RTCIceTransport.__setState`,
  `RTCDtlsTransport._set_state`), close = the real `await pc.close()`. Events are what public listeners
  registered with `.on(...)` see, in the order aiortc dispatches them, with the attribute read in the handler.
See README.md for what is declined and why.
"""
import asyncio
import importlib.metadata
import inspect
import json
import re
import subprocess
import sys

import aiortc
import aiortc.rtcicetransport as rtcicetransport
from aiortc import RTCPeerConnection
from aiortc.exceptions import InvalidStateError
from aiortc.rtcdtlstransport import RTCDtlsTransport, State as DtlsState
from aiortc.rtcicetransport import RTCIceTransport

PC = "_RTCPeerConnection__"


def aiortc_ice_states():
    """The RTCIceTransport states aiortc can be in, read from its own code: the initial value assigned in
    __init__ and every literal passed to RTCIceTransport.__setState."""
    src = inspect.getsource(RTCIceTransport)
    states = set(re.findall(r'self\.__setState\("([a-z]+)"\)', src))
    states.update(re.findall(r'self\.__state = "([a-z]+)"', src))
    return states


ICE_STATES = aiortc_ice_states()
DTLS_STATES = {name.lower(): member for name, member in DtlsState.__members__.items()}


def package_build():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-aiortc"],
                             capture_output=True, text=True, timeout=10)
        return "python3-aiortc " + out.stdout.strip() if out.returncode == 0 and out.stdout else None
    except (OSError, subprocess.SubprocessError):
        return None


def decline_ice(state):
    if state not in ICE_STATES:
        return (f'aiortc {VERSION} has no RTCIceTransport state "{state}": RTCIceTransport.__setState is only '
                f'called with {sorted(ICE_STATES - {"new"})} (rtcicetransport.py), and the pc notes "we do not '
                f'have connected or disconnected states" (rtcpeerconnection.py __updateIceConnectionState)')
    return None


def decline_dtls(state):
    if state not in DTLS_STATES:
        return f'aiortc {VERSION} has no RTCDtlsTransport State member for "{state}" (rtcdtlstransport.py State)'
    return None


def exc_text(e):
    return f"{type(e).__name__}: {e}"


VERSION = importlib.metadata.version("aiortc")
if VERSION != getattr(aiortc, "__version__", VERSION):
    print(f"aiortc adapter: dist-info says {VERSION}, aiortc.__version__ says {aiortc.__version__}", file=sys.stderr)


class Snapshot:
    """One pc whose private transport sets are refilled for every evaluate request."""

    def __init__(self):
        self.pc = RTCPeerConnection()

    def evaluate(self, req):
        transports = req.get("transports", [])
        for t in transports:
            why = decline_ice(t["ice"]) or decline_dtls(t["dtls"])
            if why:
                return {"unsupported": why}
        if sum(1 for t in transports if t.get("sctp_only")) > 1:
            return {"unsupported": "aiortc has at most one RTCSctpTransport per pc (RTCPeerConnection.__sctp)"}
        ices, dtlss = set(), set()
        for t in transports:
            ice = object.__new__(RTCIceTransport)           # real class, its own `state` property
            setattr(ice, "_RTCIceTransport__state", t["ice"])
            dtls = object.__new__(RTCDtlsTransport)
            dtls._state = DTLS_STATES[t["dtls"]]
            dtls._transport = ice
            if ice.state != t["ice"] or dtls.state != t["dtls"]:
                return {"error": f"adapter: aiortc reads back ice={ice.state!r} dtls={dtls.state!r} for {t}"}
            ices.add(ice)
            dtlss.add(dtls)
        pc = self.pc
        getattr(pc, PC + "iceTransports").clear()
        getattr(pc, PC + "iceTransports").update(ices)
        getattr(pc, PC + "dtlsTransports").clear()
        getattr(pc, PC + "dtlsTransports").update(dtlss)
        setattr(pc, PC + "isClosed", bool(req.get("closed", False)))
        try:
            getattr(pc, PC + "updateIceConnectionState")()
            getattr(pc, PC + "updateConnectionState")()
        except Exception as e:  # a genuine exception of aiortc's own code
            return {"error": "aiortc raised " + exc_text(e)}
        return {"connectionState": pc.connectionState, "iceConnectionState": pc.iceConnectionState}


class Sequence:
    """A real RTCPeerConnection driven step by step on a private event loop."""

    def __init__(self, loop):
        self.loop, self.events, self.transports = loop, [], {}
        self.declined = None  # once a step is declined, the rest of the sequence is declined too
        self.pc = self.run(self._create())
        pc = self.pc
        pc.on("iceconnectionstatechange",
              lambda: self.events.append({"target": "pc", "type": "iceconnectionstatechange",
                                          "state": pc.iceConnectionState}))
        pc.on("connectionstatechange",
              lambda: self.events.append({"target": "pc", "type": "connectionstatechange",
                                          "state": pc.connectionState}))

    async def _create(self):
        return RTCPeerConnection()

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def settle(self):
        # let anything aiortc scheduled on the loop run (its emits are synchronous; close() awaits)
        for _ in range(3):
            self.run(asyncio.sleep(0))

    def listen(self, name, dtls):
        ice = dtls.transport
        ice.on("statechange", lambda: self.events.append(
            {"target": "ice:" + name, "type": "statechange", "state": ice.state}))
        dtls.on("statechange", lambda: self.events.append(
            {"target": "dtls:" + name, "type": "statechange", "state": dtls.state}))

    def step(self, req):
        if self.declined:
            return {"unsupported": "an earlier step was declined: " + self.declined}
        op, name = req["op"], req.get("transport")
        if op in ("ice", "dtls", "remove") and name not in self.transports:
            return {"error": f"adapter: {op} on transport {name!r}, which no earlier add created"}
        self.events = []
        try:
            why = getattr(self, "op_" + op)(name, req)
        except Exception as e:  # a genuine exception of aiortc's own code
            return {"error": f"aiortc raised {exc_text(e)} on {op}"}
        if why:
            self.declined = why
            return {"unsupported": why}
        self.settle()
        return {"events": self.events, "connectionState": self.pc.connectionState,
                "iceConnectionState": self.pc.iceConnectionState}

    def op_add(self, name, req):
        if name in self.transports:
            return "transport name reused: aiortc never removes a transport, so a name cannot be added twice"
        if req.get("sctp_only"):
            if self.pc.sctp is not None:
                return "aiortc has at most one RTCSctpTransport per pc (RTCPeerConnection.__sctp)"
            self.pc.createDataChannel("connstate")
            dtls = self.pc.sctp.transport
        else:
            try:
                dtls = self.pc.addTransceiver("audio").sender.transport
            except InvalidStateError:
                # after close() aiortc refuses (RTCPeerConnection.__assertNotClosed), as the spec requires:
                # no transport joins and nothing fires; later steps on this name do nothing
                self.transports[name] = None
                return None
        self.transports[name] = dtls
        self.listen(name, dtls)
        return None

    def op_ice(self, name, req):
        why = decline_ice(req["state"])
        if why or self.transports[name] is None:
            return why
        ice = self.transports[name].transport
        if ice.state == "closed" and req["state"] != "closed":
            return ("aiortc's RTCIceTransport cannot leave closed: start() raises InvalidStateError "
                    "('RTCIceTransport is closed') and __setState('closed') drops every listener, the pc's too "
                    "(rtcicetransport.py RTCIceTransport.start/__setState)")
        getattr(ice, "_RTCIceTransport__setState")(req["state"])
        return None

    def op_dtls(self, name, req):
        why = decline_dtls(req["state"])
        if why or self.transports[name] is None:
            return why
        self.transports[name]._set_state(DTLS_STATES[req["state"]])
        return None

    def op_remove(self, name, req):
        return ("aiortc 1.4.0 never takes a transport out of its set except when BUNDLE discards it inside "
                "setRemoteDescription (rtcpeerconnection.py, '# remove bundled transports'), which needs a full "
                "offer/answer and cannot remove the last transport; RTCRtpTransceiver.stop() leaves its "
                "transports in the set")

    def op_close(self, name, req):
        self.run(self.pc.close())
        return None


def handle(req, state):
    op, reply = req.get("op"), {"id": req.get("id")}
    if op == "hello":
        reply.update(protocol=1, name="aiortc", version=VERSION, supports=["evaluate", "sequence"],
                     homepage="https://github.com/aiortc/aiortc", issues="https://github.com/aiortc/aiortc/issues")
        if state["build"]:
            reply["build"] = state["build"]
    elif op == "evaluate":
        reply.update(state["snapshot"].evaluate(req))
    elif op == "reset":
        # options: aiortc re-derives whenever a transport is created (RTCPeerConnection.__createDtlsTransport) and
        # its close() fires iceconnectionstatechange/connectionstatechange, so both policies are what it does anyway
        state["seq"] = Sequence(state["loop"])
    elif op in ("add", "ice", "dtls", "remove", "close"):
        if state["seq"] is None:
            state["seq"] = Sequence(state["loop"])
        reply.update(state["seq"].step(req))
    elif op != "bye":
        reply["error"] = f"unknown op {op!r}"
    return reply


def main():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    state = {"loop": loop, "snapshot": Snapshot(), "seq": None, "build": package_build()}
    print(f"aiortc adapter: aiortc {VERSION} from {aiortc.__file__}; ICE states {sorted(ICE_STATES)}; "
          f"DTLS states {sorted(DTLS_STATES)}", file=sys.stderr, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            reply = handle(req, state)
        except Exception as e:  # the adapter's own fault (e.g. a step on an unknown transport name)
            reply = {"id": req.get("id"), "error": "adapter: " + exc_text(e)}
        print(json.dumps(reply), flush=True)
        if req.get("op") == "bye":
            break


if __name__ == "__main__":
    main()
