#!/usr/bin/env bash
# record_test.sh — CTest integration test of the Firefox recorder (record_firefox): records the given
# scenarios with tools/record/record firefox (its own network and PID namespaces, loopback only),
# checks each trace with check-trace (tools/record/record_test.sh: every scenario must reach its goal
# and its trace read without input problems, and nothing of the recording may be left running) and that
# each holds both pcs' transport and pc events.
# Skips (exit 77) when firefox-esr or node is missing, except under CI=true, where that fails.
# Usage: record_test.sh CONNSTATE OUT_DIR SCENARIO...
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
connstate=$1 out=$2
shift 2

missing=""
[[ -x /usr/bin/firefox-esr ]] || missing="firefox-esr is not installed (tools/record/install firefox)"
command -v node >/dev/null || missing="node is not installed (tools/record/install firefox)"
if [[ -n $missing ]]; then
  if [[ "${CI:-}" == "true" ]]; then echo "FAIL: $missing, and CI=true"; exit 1; fi
  echo "SKIP: $missing"; exit 77
fi

rm -rf "$out/firefox"
CONNSTATE_BUILD_DIR="$(dirname "$(dirname "$connstate")")" \
  bash "$here/../record_test.sh" firefox "$connstate" "$out" "$@"
rc=$?

# What the trace must hold beyond reading cleanly: the recorder's header, and for pc1 and pc2 their
# transports' state changes and their pc events (the probe observed Firefox's RTCDtlsTransport and
# RTCIceTransport), so that check-trace judged a full trace, not a partial one.
for scenario in "$@"; do
  trace="$out/firefox/$scenario.jsonl"
  [[ -s $trace ]] || { echo "FAIL: no trace $trace"; rc=1; continue; }
  if ! python3 - "$trace" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
header, events = lines[0], lines[1:]
problems = []
if not (header.get("format") == "connstate-trace" and header.get("stack") == "firefox" and
        header.get("recorder", "").startswith("tools/record firefox") and "options" in header and header.get("stack_version")):
    problems.append("header without stack, stack_version, recorder and options")
for pc in ("pc1", "pc2"):
    own = [e for e in events if e.get("pc") == pc]
    for kind in ("ice:", "dtls:"):
        if not any(e["target"].startswith(kind) and e["event"] == "statechange" for e in own):
            problems.append(f"{pc}: no {kind} statechange")
    if not any(e["event"] == "connectionstatechange" for e in own):
        problems.append(f"{pc}: no connectionstatechange")
if not any(e.get("target") == "recorder" and e.get("event") == "end" for e in events):
    problems.append("the session was not ended by the page")
for p in problems: print("FAIL:", sys.argv[1], p)
sys.exit(1 if problems else 0)
PY
  then rc=1; else echo "ok: $trace holds the header and both pcs' transport and pc events"; fi
done

exit $rc
