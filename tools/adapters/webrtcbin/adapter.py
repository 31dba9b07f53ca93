#!/usr/bin/python3
"""connstate oracle adapter (protocol 1, docs/adapter-protocol.md) for GStreamer's webrtcbin.

It runs webrtcbin's own state code (gstwebrtcbin.c: _collate_ice_connection_states,
_collate_peer_connection_states and the tasks that notify ice-connection-state / connection-state) on the
inputs the harness sends. Transports are real: a second in-process webrtcbin answers, so every harness
transport is a negotiated transceiver (or the data channel's SCTP transport) of webrtcbin "a".

The adapter stands in for the two layers below webrtcbin's transports, and only for them:
- ICE: the NiceAgent's "component-state-changed" handlers (nicetransport.c _on_component_state_changed) are
  blocked, and the adapter makes the call they make: gst_webrtc_ice_transport_connection_state_change().
- DTLS: dtlssrtpenc's "notify::connection-state" handler on the DTLS transport (dtlstransport.c
  on_connection_state_changed) is blocked, and the adapter does what that handler does: store the state
  in the transport's (private) state field and g_object_notify(transport, "state"). The field is located
  and verified at run time against three other fields; if that fails, DTLS steps are declined.
No candidates are exchanged, gathering is confined to 127.0.0.1 (UPnP and ICE-TCP off): no traffic.
See README.md in this directory.
"""
import ctypes
import json
import os
import resource
import subprocess
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import Gst, GstWebRTC  # noqa: E402

WAIT_S = 10.0
VERSION = "?"  # set by worker() from the installed packages
ICE = {GstWebRTC.WebRTCICEConnectionState(i).value_nick: GstWebRTC.WebRTCICEConnectionState(i) for i in range(7)}
DTLS = {GstWebRTC.WebRTCDTLSTransportState(i).value_nick: GstWebRTC.WebRTCDTLSTransportState(i) for i in range(5)}

_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_gobject.g_signal_handlers_block_matched.restype = ctypes.c_uint
_gobject.g_signal_handlers_block_matched.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint32,
                                                     ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
_gobject.g_signal_lookup.restype = ctypes.c_uint
_gobject.g_signal_lookup.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_gobject.g_type_name.restype = ctypes.c_char_p
_gobject.g_type_name.argtypes = [ctypes.c_size_t]
MATCH_ID, MATCH_DATA, MATCH_UNBLOCKED = 1, 16, 32


class Unsupported(Exception):
    pass


def log(*a):
    print("webrtcbin-adapter:", *a, file=sys.stderr, flush=True)


def gptr(obj):
    """The GObject* behind a PyGObject wrapper (pygobject_hash returns it); checked in check_pointers()."""
    return hash(obj)


def gtype_name_at(ptr):
    klass = ctypes.c_void_p.from_address(ptr).value
    if not klass:
        return None
    name = _gobject.g_type_name(ctypes.c_size_t.from_address(klass).value)
    return name.decode() if name else None


def check_pointers():
    probe = Gst.ElementFactory.make("identity")
    if gtype_name_at(gptr(probe)) != "GstIdentity":
        raise RuntimeError("cannot map PyGObject wrappers to GObject pointers")


def stack_version():
    plugin = Gst.Registry.get().find_plugin("webrtc")
    deb = "?"
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "gstreamer1.0-plugins-bad"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return "%s (Debian gstreamer1.0-plugins-bad %s, %s)" % (plugin.get_version() if plugin else "?", deb,
                                                            Gst.version_string())


class DtlsField:
    """Where GstWebRTCDTLSTransport keeps `state` (webrtc-priv.h: transport, state, client, session_id,
    dtlssrtpenc, dtlssrtpdec). Found by looking for the ICE transport pointer, then verified."""

    def __init__(self, dtls, ice):
        base, icep = gptr(dtls), gptr(ice)
        for off in range(24, 256, 8):
            if ctypes.c_void_p.from_address(base + off).value != icep:
                continue
            state = ctypes.c_int.from_address(base + off + 8).value
            session = ctypes.c_uint.from_address(base + off + 16).value
            enc = ctypes.c_void_p.from_address(base + off + 24).value
            dec = ctypes.c_void_p.from_address(base + off + 32).value
            if (state == int(dtls.get_property("state")) and session == dtls.get_property("session-id")
                    and enc and dec and gtype_name_at(enc) == "GstDtlsSrtpEnc" and gtype_name_at(dec) == "GstDtlsSrtpDec"):
                self.addr, self.enc = base + off + 8, enc
                return
        raise Unsupported("could not locate and verify the private state field of GstWebRTCDTLSTransport")

    def write(self, value):
        ctypes.c_int.from_address(self.addr).value = int(value)


class Transport:
    def __init__(self, name, dtls, ice, sctp_only):
        self.name, self.dtls, self.ice, self.sctp_only = name, dtls, ice, sctp_only
        self.ice_reported = GstWebRTC.WebRTCICEConnectionState.NEW  # last state the stand-in agent reported
        self.field = None
        self.field_error = None


class PC:
    """webrtcbin "a" (under test) and "b" (answers), both at READY, bundle-policy none."""

    def __init__(self, record=True):
        self.keep = []  # every wrapper stays referenced for the life of the process (PyGObject ref issues)
        self.events, self.lock = [], threading.Lock()
        self.transports, self.order = {}, []
        self.closed = False
        self.pipe = Gst.Pipeline()
        self.a, self.b = self._webrtcbin("a"), self._webrtcbin("b")
        self.pipe.add(self.a)
        self.pipe.add(self.b)
        if self.pipe.set_state(Gst.State.READY) == Gst.StateChangeReturn.FAILURE:
            raise RuntimeError("webrtcbin does not reach READY")
        self.agent = self.a.get_property("ice-agent").get_property("agent")
        self.keep.append(self.agent)
        self.csc_signal = _gobject.g_signal_lookup(b"component-state-changed", hash(self.agent.__gtype__))
        if not self.csc_signal:
            raise RuntimeError("NiceAgent has no component-state-changed signal")
        self.record = record
        self.a.connect("notify::ice-connection-state", self._on_pc, "iceconnectionstatechange", "ice-connection-state")
        self.a.connect("notify::connection-state", self._on_pc, "connectionstatechange", "connection-state")

    def _webrtcbin(self, name):
        w = Gst.ElementFactory.make("webrtcbin", name)
        w.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.NONE)
        ice = w.get_property("ice-agent")
        agent = ice.get_property("agent")
        agent.set_property("upnp", False)
        ice.set_property("ice-tcp", False)
        if not ice.emit("add-local-ip-address", "127.0.0.1"):
            raise RuntimeError("cannot confine ICE gathering to 127.0.0.1")
        self.keep += [w, ice, agent]
        return w

    # ---- events ----------------------------------------------------------------------------------------------
    def _push(self, target, typ, state):
        if self.record:
            with self.lock:
                self.events.append({"target": target, "type": typ, "state": state})

    def _on_pc(self, obj, pspec, typ, prop):
        self._push("pc", typ, obj.get_property(prop).value_nick)

    def _on_transport(self, obj, pspec, target):
        self._push(target, "statechange", obj.get_property("state").value_nick)

    def take_events(self):
        with self.lock:
            ev, self.events = self.events, []
        return ev

    # ---- webrtcbin's operation thread ------------------------------------------------------------------------
    def _promise_task(self, on_reply=None):
        p = Gst.Promise.new_with_change_func(on_reply) if on_reply else Gst.Promise.new()
        self.a.emit("get-stats", None, p)
        return p

    def barrier(self):
        """get-stats is queued behind every task already enqueued (idle sources of one priority run in order)."""
        if self.closed:
            return
        p = self._promise_task()
        if p.wait() != Gst.PromiseResult.REPLIED:
            raise RuntimeError("webrtcbin's operation queue did not drain")
        self.keep.append(p)

    def parked(self):
        """Hold webrtcbin's operation thread inside a get-stats reply, so that the transport notifications the
        adapter causes are dispatched (and recorded) before webrtcbin's queued state tasks run."""
        pc = self

        class Park:
            def __enter__(self):
                self.entered, self.go = threading.Event(), threading.Event()
                if pc.closed:
                    return self

                def on_reply(promise, *args):
                    self.entered.set()
                    self.go.wait(WAIT_S)
                self.promise = pc._promise_task(on_reply)
                if not self.entered.wait(WAIT_S):
                    raise RuntimeError("webrtcbin's operation thread did not pick up the park task")
                return self

            def __exit__(self, *exc):
                self.go.set()
                if not pc.closed:
                    pc.keep.append(self.promise)
                    pc.barrier()
                return False
        return Park()

    # ---- transports --------------------------------------------------------------------------------------------
    def _negotiate(self):
        def call(elem, sig, *args):
            p = Gst.Promise.new()
            elem.emit(sig, *args, p)
            if p.wait() != Gst.PromiseResult.REPLIED:
                raise RuntimeError(sig + " did not complete")
            r = p.get_reply()
            self.keep += [p, r]
            if r is not None and r.has_field("error"):
                raise RuntimeError("%s: %s" % (sig, r.get_value("error")))
            return r
        offer = call(self.a, "create-offer", None).get_value("offer")
        self.keep.append(offer)
        call(self.a, "set-local-description", offer)
        call(self.b, "set-remote-description", offer)
        answer = call(self.b, "create-answer", None).get_value("answer")
        self.keep.append(answer)
        call(self.b, "set-local-description", answer)
        call(self.a, "set-remote-description", answer)

    def add(self, name, sctp_only=False):
        if name in self.transports:
            raise Unsupported("transport %s already exists" % name)
        if sctp_only:
            if any(t.sctp_only for t in self.transports.values()):
                raise Unsupported("webrtcbin has one SCTP transport (one data-channel transport) per webrtcbin")
            dc = self.a.emit("create-data-channel", "dc-" + name, None)
            if dc is None:
                raise RuntimeError("create-data-channel failed")
            self.keep.append(dc)
        else:
            caps = Gst.Caps.from_string("application/x-rtp,media=audio,encoding-name=OPUS,payload=96,clock-rate=48000")
            tr = self.a.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV, caps)
            self.keep.append(tr)
        self._negotiate()
        if sctp_only:
            sctp = self.a.get_property("sctp-transport")
            dtls = sctp.get_property("transport")
            self.keep.append(sctp)
        else:
            dtls = tr.get_property("sender").get_property("transport")
            if tr.get_property("mid") is None:
                raise RuntimeError("negotiated transceiver has no mid")
        if dtls is None:
            raise RuntimeError("no DTLS transport after negotiation")
        if any(gptr(t.dtls) == gptr(dtls) for t in self.transports.values()):
            raise RuntimeError("negotiation did not create a separate transport (bundle?)")
        ice = dtls.get_property("transport")
        self.keep += [dtls, ice]
        t = Transport(name, dtls, ice, sctp_only)
        try:
            t.field = DtlsField(dtls, ice)
            # the real DTLS element may no longer reach the transport: block on_connection_state_changed
            n = _gobject.g_signal_handlers_block_matched(t.field.enc, MATCH_DATA, 0, 0, None, None, gptr(dtls))
            if n != 1:
                raise Unsupported("expected one dtlssrtpenc handler for the DTLS transport, found %d" % n)
        except Unsupported as e:
            t.field, t.field_error = None, str(e)
            log(e)
        # the real ICE agent may no longer reach any transport: block nicetransport's handlers
        _gobject.g_signal_handlers_block_matched(gptr(self.agent), MATCH_ID | MATCH_UNBLOCKED, self.csc_signal, 0,
                                                 None, None, None)
        ice.connect("notify::state", self._on_transport, "ice:" + name)
        dtls.connect("notify::state", self._on_transport, "dtls:" + name)
        self.transports[name] = t
        self.order.append(name)
        self.barrier()
        return t

    def set_ice(self, t, state, dedupe=True):
        # libnice signals a component state only when it changes (agent.c agent_signal_component_state_change)
        if dedupe and t.ice_reported == state:
            return
        t.ice_reported = state
        t.ice.connection_state_change(state)

    def set_dtls_field(self, t, state):
        if t.field is None:
            raise Unsupported("DTLS state cannot be driven: " + (t.field_error or "?"))
        t.field.write(state)

    def notify_dtls(self, t):
        t.dtls.notify("state")

    def close(self):
        # webrtcbin has no close(): READY->NULL is the only path that sets priv->is_closed (_stop_thread)
        self.closed = True
        self.pipe.set_state(Gst.State.NULL)

    def states(self):
        return (self.a.get_property("connection-state").value_nick,
                self.a.get_property("ice-connection-state").value_nick)


# ---- requests ------------------------------------------------------------------------------------------------
pool = {}
seq = None


def apply_batch(pc, names, states):
    """Set every transport's ICE and DTLS state while webrtcbin's thread is parked, so that all its collations
    run on the final inputs (the first one decides the value; the previous value is that of the pc before)."""
    with pc.parked():
        for n, (ice, dtls) in zip(names, states):
            t = pc.transports[n]
            pc.set_dtls_field(t, DTLS[dtls])
        for n, (ice, dtls) in zip(names, states):
            t = pc.transports[n]
            pc.set_ice(t, ICE[ice], dedupe=False)
            pc.notify_dtls(t)


def evaluate(req):
    ts = req["transports"]
    media = [t for t in ts if not t.get("sctp_only")]
    sctp = [t for t in ts if t.get("sctp_only")]
    if len(sctp) > 1:
        raise Unsupported("webrtcbin has one SCTP transport (one data-channel transport) per webrtcbin")
    key = (len(media), len(sctp))
    ordered = media + sctp
    pc = pool.get(key)
    if pc is None:
        pc = PC(record=False)
        for i, t in enumerate(ordered):
            pc.add("e%d" % i, bool(t.get("sctp_only")))
        pool[key] = pc
    names = pc.order
    apply_batch(pc, names, [("new", "new")] * len(names))  # back to a pc whose previous values are new/new
    if pc.states() != ("new", "new"):
        raise RuntimeError("pooled pc did not return to new/new: %s" % (pc.states(),))
    apply_batch(pc, names, [(t["ice"], t["dtls"]) for t in ordered])
    if req.get("closed"):
        pc.close()
    cs, ics = pc.states()
    if pc.closed:  # reopen for the next snapshot: NULL -> READY restarts webrtcbin's thread (_start_thread)
        if pc.pipe.set_state(Gst.State.READY) == Gst.StateChangeReturn.FAILURE:
            raise RuntimeError("pooled webrtcbin does not return to READY")
        pc.closed = False
    return {"connectionState": cs, "iceConnectionState": ics}


retired = []


def dispose(pc):
    if not pc.closed:
        pc.close()
    pc.record = False
    retired.append(pc)  # keep wrappers alive; webrtcbin at NULL holds no threads


def step(req):
    pc = seq
    op = req["op"]
    pc.take_events()
    if op == "add":
        pc.add(req["transport"], bool(req.get("sctp_only")))
    elif op == "remove":
        raise Unsupported("webrtcbin 1.22 cannot remove a transport: it has no RTCRtpTransceiver.stop() and never "
                          "sets a transceiver's stopped flag (gstwebrtcbin.c), and transports are kept for the "
                          "life of the element")
    elif op == "close":
        pc.close()
    elif op in ("ice", "dtls"):
        t = pc.transports.get(req["transport"])
        if t is None:
            return {"error": "unknown transport " + req["transport"]}
        if op == "ice":
            with pc.parked():
                pc.set_ice(t, ICE[req["state"]])
        else:
            with pc.parked():
                pc.set_dtls_field(t, DTLS[req["state"]])
                pc.notify_dtls(t)
    cs, ics = pc.states()
    return {"events": pc.take_events(), "connectionState": cs, "iceConnectionState": ics}


def handle(req):
    global seq
    op = req["op"]
    if op == "hello":
        return {"protocol": 1, "name": "GStreamer webrtcbin (oracle)", "version": VERSION,
                "supports": ["evaluate", "sequence"],
                "homepage": "https://gstreamer.freedesktop.org/documentation/webrtc/"}
    if op == "evaluate":
        return evaluate(req)
    if op == "reset":
        if seq is not None:
            dispose(seq)
            seq = None
        for k, v in (req.get("options") or {}).items():
            if v:
                raise Unsupported("webrtcbin has one fixed behaviour and cannot honour option " + k)
        seq = PC()
        return {}
    if op in ("add", "ice", "dtls", "remove", "close"):
        if seq is None:
            return {"error": "step before reset"}
        return step(req)
    if op == "bye":
        return {}
    return {"error": "unknown op " + op}


def worker():
    """Serves protocol-1 requests (one line in, one line out) with GStreamer in this process."""
    global VERSION
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    Gst.init(None)
    check_pointers()
    VERSION = stack_version()
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            reply = handle(req)
        except Unsupported as e:
            reply = {"unsupported": str(e)}
        except Exception as e:  # noqa: BLE001 - a failure of the stack or the adapter: report it as error
            log("error on %s: %r" % (req.get("op"), e))
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        reply["id"] = req["id"]
        out.write(json.dumps(reply) + "\n")
        out.flush()
        if req["op"] == "bye":
            break
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: PyGObject finalizers on live GStreamer objects can abort


def main():
    """Front process: no GStreamer here. It relays requests to a worker process and replaces the worker after
    PCS_PER_WORKER peer connections, between cases. PyGObject cannot release webrtcbin's objects safely (dropping
    wrappers of transports or the ICE agent over-unrefs them), so the worker keeps every wrapper alive, and each
    negotiated webrtcbin pair holds ~16 file descriptors until the worker exits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = hard if hard != resource.RLIM_INFINITY else 65536
    per_worker = max(10, min(150, (limit - 64) // 24))
    proc, used = None, 0

    def start():
        return subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, bufsize=1)

    def stop(p):
        try:
            p.stdin.close()
            p.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            p.kill()
            p.wait()

    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req.get("op")
        if op in ("reset", "evaluate") and proc is not None and used >= per_worker:
            stop(proc)
            proc, used = None, 0
        if proc is None:
            proc = start()
        if op == "reset":
            used += 1
        proc.stdin.write(line if line.endswith("\n") else line + "\n")
        proc.stdin.flush()
        reply = proc.stdout.readline()
        if not reply:
            code = proc.wait()
            proc, used = None, 0
            reply = json.dumps({"id": req["id"], "error": "webrtcbin worker exited (status %s)" % code}) + "\n"
        sys.stdout.write(reply)
        sys.stdout.flush()
        if op == "bye":
            break
    if proc is not None:
        stop(proc)


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        main()
