#!/usr/bin/env python3
"""A deliberately broken protocol-1 adapter for the harness's robustness tests.

Usage: broken_adapter.py MODE [N [ONCE_MARKER]]
Answers correctly (with the example adapter's logic) until its N-th request after hello (default 5),
then misbehaves according to MODE. With ONCE_MARKER (a file path), only the first process that
finds no such file misbehaves (it creates the file), so a restarted adapter behaves:
  crash          dies by SIGSEGV                   hang        stops answering
  exit-early     exits with status 0               garbage     answers with a non-JSON line
  wrong-id       answers with another id           out-of-order  swaps two answers
  huge-line      answers with a 100 MB line        stderr-flood  writes 64 MB to stderr, answers correctly
  bad-hello      answers hello wrongly             crash-always  dies at every request after hello
  correct        answers correctly
Values outside the protocol, in a line that still answers the right request:
  capitalized    writes "Connected" for every connectionState "connected" (from the N-th request on)
  wrong-type     iceConnectionState 3                unknown-target  an event at target "sctp"
  unknown-event  a pc event of type "statechange"
With BROKEN_ADAPTER_NAME in the environment, hello answers that name.
"""
import json
import os
import pathlib
import signal
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "docs" / "examples"))
import adapter  # noqa: E402

mode = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
if len(sys.argv) > 3:
    marker = pathlib.Path(sys.argv[3])
    if marker.exists():
        mode = "correct"
    else:
        marker.touch()
session = {"pc": adapter.PeerConnection()}
count = 0
held = None
spoiled = False
out = sys.stdout


def send(obj):
    out.write(json.dumps(obj) + "\n")
    out.flush()


for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "hello":
        if mode == "bad-hello":
            send({"id": request["id"], "hello": "yes"})
            continue
        reply = adapter.handle(request, session)
        if "BROKEN_ADAPTER_NAME" in os.environ:
            reply["name"] = os.environ["BROKEN_ADAPTER_NAME"]
        send(reply)
        continue
    count += 1
    reply = adapter.handle(request, session)
    if mode == "stderr-flood":
        sys.stderr.write(("stderr noise line %d\n" % count) * 2048)
    trigger = count == n or (mode == "crash-always")
    if trigger and mode in ("crash", "crash-always"):
        sys.stderr.write("adapter: about to crash on request %d\n" % request["id"])
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    if trigger and mode == "hang":
        time.sleep(3600)
    if trigger and mode == "exit-early":
        sys.exit(0)
    if trigger and mode == "garbage":
        out.write("this is not json\n")
        out.flush()
        continue
    if trigger and mode == "wrong-id":
        reply["id"] = request["id"] + 1000
    if mode == "capitalized" and count >= n and reply.get("connectionState") == "connected":
        reply["connectionState"] = "Connected"
    # Once, at the first answer from the N-th on that has the field to spoil.
    if mode == "wrong-type" and count >= n and not spoiled and "iceConnectionState" in reply:
        reply["iceConnectionState"] = 3
        spoiled = True
    if mode in ("unknown-target", "unknown-event") and count >= n and not spoiled and "events" in reply:
        target = "sctp" if mode == "unknown-target" else "pc"
        reply["events"].append({"target": target, "type": "statechange", "state": "connected"})
        spoiled = True
    if trigger and mode == "huge-line":
        out.write('{"id": %d, "connectionState": "' % request["id"])
        chunk = "x" * (1 << 20)
        try:
            for _ in range(100):  # 100 MB, streamed
                out.write(chunk)
            out.write('"}\n')
            out.flush()
        except BrokenPipeError:  # the harness stopped reading: that is the point
            sys.exit(1)
        continue
    if mode == "out-of-order" and count == n:
        held = reply
        continue
    send(reply)
    if held is not None:
        send(held)
        held = None
    if request["op"] == "bye":
        break
