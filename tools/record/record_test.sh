#!/usr/bin/env bash
# record_test.sh — CTest integration test of a recorder: records the given scenarios with
# tools/record/record (loopback / own network namespace only), then checks each trace. A recording
# must reach its scenario's goal and read without input problems (no `error` verdict); the verdicts
# themselves are pinned on the bundled traces (cases/traces/<stack>/expectations.json). Each recording
# runs in a session of its own with a tag in its environment; a process of it still running afterwards
# fails the test and is killed (tools/record/leftover-processes).
# Usage: record_test.sh STACK CONNSTATE OUT_DIR SCENARIO...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stack=$1 connstate=$2 out=$3
shift 3
mkdir -p "$out/$stack"
fail=0
for scenario in "$@"; do
  trace="$out/$stack/$scenario.jsonl"
  echo "== recording $stack $scenario -> $trace"
  tag="connstate-record-test-$stack-$scenario-$$-$RANDOM"
  # setsid does not fork here (a background job of a script is no group leader): $! is the session id.
  CONNSTATE_RECORD_TAG=$tag setsid "$here/record" "$stack" "$scenario" -o "$trace" &
  session=$!
  if ! wait "$session"; then
    echo "FAIL: $stack $scenario did not reach its goal"; fail=1
  fi
  if "$here/leftover-processes" "$tag" "$session"; then
    echo "ok: no process of the $stack $scenario recording is left"
  else
    echo "FAIL: the $stack $scenario recording left processes behind"; fail=1
  fi
done
"$connstate" check-trace --exit-zero --max-details 0 --root "$out" --json "$out/$stack/results.json" "$out/$stack"/*.jsonl
if ! grep -q '"error":0,' "$out/$stack/results.json"; then
  echo "FAIL: a recorded $stack trace has input problems (verdict error)"; fail=1
fi
exit $fail
