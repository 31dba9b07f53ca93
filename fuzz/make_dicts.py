#!/usr/bin/env python3
"""Writes the libFuzzer dictionaries beside the targets (fuzz/<target>.dict).

Usage: fuzz/make_dicts.py   (from anywhere; writes beside this script)

fuzz_model / fuzz_differential: step idioms in the byte grammar of sequence_decoder.h.
The parser targets: the keys, values and idioms of their formats.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ICE = ["closed", "failed", "disconnected", "new", "checking", "completed", "connected"]
DTLS = ["new", "connecting", "connected", "closed", "failed"]
STATES = ["new", "checking", "connected", "completed", "disconnected", "failed", "closed", "connecting"]
PROFILES = ["rec-2025", "rec-2021-amended", "rec-2021", "legacy-mdn"]


def esc(data, binary=False):
    """A dictionary value: printable ASCII as is (with \\ and " escaped), the rest as \\xNN (all of it if binary)."""
    out = ""
    for b in data:
        if binary:
            out += "\\x%02x" % b
            continue
        c = chr(b)
        if c in '\\"':
            out += "\\" + c
        elif 0x20 <= b < 0x7F:
            out += c
        else:
            out += "\\x%02x" % b
    return '"' + out + '"'


def write(name, what, entries):
    seen = set()
    with open(os.path.join(HERE, name + ".dict"), "w") as f:
        f.write(f"# {name}.dict — {what} (written by make_dicts.py)\n")
        for key, value in entries:
            data = value if isinstance(value, bytes) else value.encode()
            if data in seen:
                continue
            seen.add(data)
            f.write((f"{key}=" if key else "") + esc(data, isinstance(value, bytes)) + "\n")


# --- the step grammar ---------------------------------------------------------------------------
def ice(t, s): return (ICE.index(s) << 3) | t
def dtls(t, s): return ((14 + DTLS.index(s)) << 3) | t
def add(t, sctp=False): return ((27 if sctp else 24) << 3) | t
def remove(t): return (28 << 3) | t


CLOSE = 31 << 3


def steps():
    yield "close", bytes([CLOSE])
    for t in range(8):
        yield f"connect_t{t}", bytes([add(t), ice(t, "checking"), ice(t, "connected"), dtls(t, "connecting"), dtls(t, "connected")])
        yield f"complete_t{t}", bytes([ice(t, "completed")])
        yield f"ice_drop_t{t}", bytes([ice(t, "disconnected"), ice(t, "failed")])
        yield f"ice_restart_t{t}", bytes([ice(t, "new"), ice(t, "checking"), ice(t, "connected")])
        yield f"dtls_fail_t{t}", bytes([dtls(t, "failed")])
        yield f"dtls_close_t{t}", bytes([dtls(t, "closed")])
        yield f"remove_t{t}", bytes([remove(t)])
        yield f"add_sctp_t{t}", bytes([add(t, True)])
    yield "connect_close_t0", bytes([add(0), ice(0, "checking"), ice(0, "connected"), dtls(0, "connecting"),
                                     dtls(0, "connected"), CLOSE, ice(0, "checking")])


for target in ("fuzz_model", "fuzz_differential"):
    write(target, "step idioms in the byte grammar of sequence_decoder.h", steps())

# --- the text formats ----------------------------------------------------------------------------
JSON = ["{", "}", "[", "]", ":", ",", "null", "true", "false", '\\"', "\\u0000", "1e999", "-0",
        "18446744073709551616", "\n", "\r\n"] + [f'"{s}"' for s in STATES]


def tokens(extra):
    return [(None, t) for t in JSON + extra]


write("fuzz_case_file", "case-file keys, values and idioms (cases/schema/case-file.schema.json)", tokens(
    [f'"{k}"' for k in ["section", "section_title", "comment", "cases", "$schema", "id", "title", "kind", "snapshot",
                        "sequence", "profiles", "tags", "spec", "document", "anchor", "quote", "requirement", "see", "aliases",
                        "options", "rederive_on_set_change", "events_on_close", "closed", "transports", "ice", "dtls",
                        "sctp_only", "expect", "expect_by_profile", "steps", "alternatives", "verdict", "note",
                        "connectionState", "iceConnectionState", "events", "op", "transport", "state", "add",
                        "remove", "close", "t0", "t1", "pass", "non-strict", "informational", "fail", "0", "1",
                        "pc connectionstatechange connected", "pc iceconnectionstatechange checking",
                        "ice:t0 statechange checking", "dtls:t0 statechange connected"] + PROFILES]))
write("fuzz_protocol", "protocol-1 response keys and values (docs/adapter-protocol.md)", tokens(
    ['"id":1'] + [f'"{k}"' for k in ["id", "protocol", "name", "version", "supports", "evaluate", "sequence", "homepage",
                                    "issues", "connectionState", "iceConnectionState", "events", "target", "type",
                                    "state", "pc", "ice:t0", "dtls:t0", "statechange", "iceconnectionstatechange",
                                    "connectionstatechange", "unsupported", "error"]]))
write("fuzz_trace_line", "trace format 1 keys and values (docs/trace-format.md)", tokens(
    [f'"{k}"' for k in ["format", "connstate-trace", "version", "stack", "stack_version", "scenario", "recorded",
                        "pc_events", "transport_events", "observed", "sampled", "t_ms", "pc", "target", "event",
                        "state", "attribute", "api", "ice:0", "dtls:0", "ice:a.1", "a", "b", "statechange", "added",
                        "get", "connectionstatechange", "iceconnectionstatechange", "icegatheringstatechange",
                        "signalingstatechange", "gatheringstatechange", "selectedcandidatepairchange",
                        "connectionState", "iceConnectionState", "iceGatheringState", "signalingState",
                        "gatheringState", "stable", "have-local-offer", "gathering", "complete", "sctp_only"]]))
write("fuzz_live_message", "live server messages: trace lines, the 0x1E message separator (fuzz_live_message.cpp)", tokens(
    [f'"{k}"' for k in ["format", "connstate-trace", "version", "stack", "stack_version", "page", "user_agent", "probe",
                        "t_ms", "pc", "target", "event", "state", "api", "ice:pc1.0", "dtls:pc1.0", "pc1", "pc2",
                        "statechange", "added", "close", "recorder", "end", "app", "mark", "connectionstatechange",
                        "iceconnectionstatechange", "signalingstatechange", "connected", "checking", "failed"]]
    + ["\x1e", "\x1f", '{"format":"connstate-trace","version":1}']))
write("fuzz_webrtc_internals", "chrome://webrtc-internals dump keys and values (harness/trace/webrtc_internals.h)", tokens(
    [f'"{k}"' for k in ["PeerConnections", "updateLog", "stats", "statsType", "startTime", "endTime", "values", "time",
                        "type", "value", "UserAgent", "getUserMedia", "transport", "candidate-pair", "T01-iceState",
                        "T01-dtlsState", "1-1", "iceconnectionstatechange", "connectionstatechange",
                        "signalingstatechange", "icegatheringstatechange", "close", "setLocalDescription",
                        "11/23/2026, 8:00:00 PM", "2026-11-23T20:00:00.000Z", "timestamp", "T01-timestamp", "T01-type",
                        "oniceconnectionstatechange", "onconnectionstatechange", "onsignalingstatechange",
                        "onicegatheringstatechange", "iceConnectionStateChange", "connectionStateChange",
                        "legacyIceConnectionStateChange", "stop", "ICEConnectionStateConnected", "UserAgentData",
                        "fullVersionList", "23.11.2026, 20:00:00", "RTCStatsDump"]]
    + ["-iceState", "-dtlsState", "-timestamp", "+01:00", "1700000000000", '"[\\"new\\",\\"connected\\"]"',
       '"\\"connected\\""', " AM", " PM", b"\x1f\x8b\x08"]))
