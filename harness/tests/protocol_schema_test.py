#!/usr/bin/env python3
"""Checks docs/schemas/adapter-protocol.schema.json against real traffic: the requests the harness
sends (as in docs) and the responses of `connstate serve` and of both example adapters.
Usage: protocol_schema_test.py SOURCE_DIR CONNSTATE_BINARY. Exit 0 ok, 1 violation, 77 skip."""
import json
import os
import shutil
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    if os.environ.get("CI") == "true":
        print("FAIL: python3-jsonschema missing under CI")
        sys.exit(1)
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)

src, cli = sys.argv[1], sys.argv[2]
schema = json.load(open(os.path.join(src, "docs/schemas/adapter-protocol.schema.json")))
requests = [
    {"op": "hello", "id": 1, "protocol": 1},
    {"op": "evaluate", "id": 2, "closed": False, "transports": [{"ice": "connected", "dtls": "new"}]},
    {"op": "evaluate", "id": 3, "closed": True, "transports": []},
    {"op": "reset", "id": 4},
    {"op": "add", "id": 5, "transport": "t0"},
    {"op": "ice", "id": 6, "transport": "t0", "state": "checking"},
    {"op": "dtls", "id": 7, "transport": "t0", "state": "connecting"},
    {"op": "remove", "id": 8, "transport": "t0"},
    {"op": "close", "id": 9},
    {"op": "bye", "id": 10},
]
kind = {"add": "step", "ice": "step", "dtls": "step", "remove": "step", "close": "step"}
adapters = [[cli, "serve"], ["/usr/bin/python3", os.path.join(src, "docs/examples/adapter.py")]]
if shutil.which("node"):
    adapters.append(["node", os.path.join(src, "docs/examples/adapter.js")])
elif os.environ.get("CI") == "true":
    print("FAIL: node missing under CI")
    sys.exit(1)

bad = 0


def check(instance, name):
    global bad
    sub = dict(schema)
    sub["$ref"] = "#/$defs/" + name
    errors = list(jsonschema.Draft202012Validator(sub).iter_errors(instance))
    for e in errors[:3]:
        bad += 1
        print(f"{name}: {json.dumps(instance)[:200]}: {e.message}")


for argv in adapters:
    text = "".join(json.dumps(r) + "\n" for r in requests)
    out = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=60).stdout.splitlines()
    if len(out) != len(requests):
        bad += 1
        print(f"{argv}: {len(out)} responses to {len(requests)} requests")
    for req, line in zip(requests, out):
        op = kind.get(req["op"], req["op"])
        check(req, op + "_request")
        check(json.loads(line), op + "_response")
print(f"{len(adapters)} adapters, {len(requests)} messages each, {bad} schema violations")
sys.exit(1 if bad else 0)
