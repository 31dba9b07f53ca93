#!/usr/bin/env python3
"""The faithful example adapter (docs/examples/adapter.py) with bugs planted on request, for the findings tests.

usage: planted_adapter.py EXAMPLE_ADAPTER.py; CONNSTATE_PLANTED_BUGS is a comma-separated list of:
  completed-as-connected   iceConnectionState reads "connected" wherever the example gives "completed"
  dtls-event-unchanged     a DTLS change fires connectionstatechange even when the value did not change
  pcs-before-ics           the ICE task fires connectionstatechange before iceconnectionstatechange
  events-on-close          close() fires iceconnectionstatechange and connectionstatechange "closed"
  dtls-failed-ignored      a failed DTLS transport does not make connectionState failed
With no bug listed it is the example adapter unchanged.
"""
import importlib.util
import os
import sys

spec = importlib.util.spec_from_file_location("example_adapter", sys.argv[1])
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
bugs = set(filter(None, os.environ.get("CONNSTATE_PLANTED_BUGS", "").split(",")))

if "completed-as-connected" in bugs:
    faithful_ice = example.ice_connection_state
    example.ice_connection_state = lambda ices: "connected" if faithful_ice(ices) == "completed" else faithful_ice(ices)

if "dtls-event-unchanged" in bugs:
    faithful_update = example.PeerConnection.update

    def update(self, events, rederive_ice):
        before = len(events)
        faithful_update(self, events, rederive_ice)
        if not rederive_ice and len(events) == before:
            events.append({"target": "pc", "type": "connectionstatechange", "state": self.pcs})
    example.PeerConnection.update = update

if "pcs-before-ics" in bugs:
    ordered_update = example.PeerConnection.update

    def update(self, events, rederive_ice):
        before = len(events)
        ordered_update(self, events, rederive_ice)
        added = events[before:]
        events[before:] = sorted(added, key=lambda e: e["type"] != "connectionstatechange")
    example.PeerConnection.update = update

if "events-on-close" in bugs:
    silent_step = example.PeerConnection.step

    def step(self, op, name=None, state=None):
        was = (self.closed, self.ics, self.pcs)
        events = silent_step(self, op, name, state)
        if op == "close" and not was[0]:
            if was[1] != "closed": events.append({"target": "pc", "type": "iceconnectionstatechange", "state": "closed"})
            if was[2] != "closed": events.append({"target": "pc", "type": "connectionstatechange", "state": "closed"})
        return events
    example.PeerConnection.step = step

if "dtls-failed-ignored" in bugs:
    faithful_pcs = example.connection_state
    example.connection_state = lambda ics, dtls, has: faithful_pcs(ics, dtls - {"failed"}, has)

unknown = bugs - {"completed-as-connected", "dtls-event-unchanged", "pcs-before-ics", "events-on-close",
                  "dtls-failed-ignored"}
if unknown:
    sys.exit("planted_adapter.py: unknown bug(s): " + ", ".join(sorted(unknown)))
example.main()
