#!/usr/bin/env bash
# record_test.sh — CTest integration test of a Node recorder (node-datachannel, wrtc, werift): records
# the given scenarios with tools/record/record and checks each trace (tools/record/record_test.sh: the
# scenario must reach its goal, the trace must read without input problems), then checks that no
# process of the recording is left: every process it started carries a tag in its environment, and
# any such process still alive afterwards fails the test (and is killed by its pid).
# Skips (exit 77) when the stack is not installed, except under CI=true, where that fails.
# Usage: record_test.sh STACK CONNSTATE OUT_DIR SCENARIO...
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stack=$1 connstate=$2 out=$3
shift 3

if ! "$here/install" --check "$stack" >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "FAIL: $stack is not installed (tools/record/node/install $stack), and CI=true"; exit 1
  fi
  echo "SKIP: $stack is not installed (tools/record/node/install $stack)"; exit 77
fi

tag="connstate-record-test-$stack-$$-$RANDOM"
CONNSTATE_RECORD_TAG=$tag bash "$here/../record_test.sh" "$stack" "$connstate" "$out" "$@"
rc=$?

left=()
for environ in /proc/[0-9]*/environ; do
  pid=${environ#/proc/}; pid=${pid%/environ}
  [[ $pid == "$$" ]] && continue
  if { tr '\0' '\n' < "$environ"; } 2>/dev/null | grep -qx "CONNSTATE_RECORD_TAG=$tag"; then left+=("$pid"); fi
done
if [[ ${#left[@]} -gt 0 ]]; then
  echo "FAIL: the recording left processes behind: ${left[*]}"
  ps -o pid,args -p "${left[@]}" || true
  kill -KILL "${left[@]}" 2>/dev/null || true
  rc=1
else
  echo "no process of the recording is left"
fi
exit $rc
