#!/usr/bin/env python3
"""A complete protocol-1 adapter (docs/adapter-protocol.md): a toy stack whose state logic follows rec-2025."""
import json
import sys

def ice_connection_state(ices):
    if "failed" in ices: return "failed"
    if "disconnected" in ices: return "disconnected"
    if ices <= {"new", "closed"}: return "new"
    if ices & {"new", "checking"}: return "checking"
    if ices <= {"completed", "closed"}: return "completed"
    return "connected"

def connection_state(ics, dtls, has_transports):
    if ics == "closed": return "closed"
    if ics == "failed" or "failed" in dtls: return "failed"
    if ics == "disconnected": return "disconnected"
    if (ics == "new" and dtls <= {"new", "closed"}) or not has_transports: return "new"
    if ics == "connected" and dtls <= {"connected", "closed"}: return "connected"
    return "connecting"

class PeerConnection:
    def __init__(self):
        self.transports, self.closed, self.ics, self.pcs = {}, False, "new", "new"

    def update(self, events, rederive_ice):  # fire only what changed, ICE aggregate first
        if rederive_ice:
            ics = ice_connection_state({i for i, _ in self.transports.values()})
            if ics != self.ics:
                self.ics = ics
                events.append({"target": "pc", "type": "iceconnectionstatechange", "state": ics})
        pcs = connection_state(self.ics, {d for _, d in self.transports.values()}, bool(self.transports))
        if pcs != self.pcs:
            self.pcs = pcs
            events.append({"target": "pc", "type": "connectionstatechange", "state": pcs})

    def step(self, op, name=None, state=None):
        events = []
        if self.closed: return events
        if op == "close":
            self.closed, self.ics, self.pcs = True, "closed", "closed"  # no events on close()
        elif op == "add":
            self.transports[name] = ("new", "new")
        elif op == "remove":  # DTLS closes first (its update uses the ICE slot as it is), then ICE
            ice, dtls = self.transports.pop(name)
            if dtls != "closed":
                events.append({"target": "dtls:" + name, "type": "statechange", "state": "closed"})
                self.update(events, rederive_ice=False)
            if ice != "closed":
                events.append({"target": "ice:" + name, "type": "statechange", "state": "closed"})
                self.update(events, rederive_ice=True)
        else:
            ice, dtls = self.transports[name]
            if (ice if op == "ice" else dtls) == state: return events
            self.transports[name] = (state, dtls) if op == "ice" else (ice, state)
            events.append({"target": op + ":" + name, "type": "statechange", "state": state})
            self.update(events, rederive_ice=(op == "ice"))
        return events

def handle(request, session):
    op, reply = request["op"], {"id": request["id"]}
    if op == "hello":
        reply.update(protocol=1, name="example (python)", version="1.0", supports=["evaluate", "sequence"])
    elif op == "evaluate":
        ts = [] if request["closed"] else request["transports"]
        ics = "closed" if request["closed"] else ice_connection_state({t["ice"] for t in ts})
        reply.update(iceConnectionState=ics, connectionState=connection_state(ics, {t["dtls"] for t in ts}, bool(ts)))
    elif op == "reset":
        if request.get("options"): reply["unsupported"] = "options are not implemented"
        session["pc"] = PeerConnection()
    elif op in ("add", "ice", "dtls", "remove", "close"):
        pc = session["pc"]
        reply.update(events=pc.step(op, request.get("transport"), request.get("state")),
                     connectionState=pc.pcs, iceConnectionState=pc.ics)
    elif op != "bye":
        reply["error"] = "unknown op " + op
    return reply

def main():
    session = {"pc": PeerConnection()}
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(handle(request, session)), flush=True)
        if request["op"] == "bye": break

if __name__ == "__main__":
    main()
