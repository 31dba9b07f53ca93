#!/usr/bin/env bash
# record_test.sh — CTest integration test of a Node recorder (node-datachannel, wrtc, werift): records
# the given scenarios with tools/record/record and checks each trace (tools/record/record_test.sh: the
# scenario must reach its goal, the trace must read without input problems, no process of the
# recording may be left).
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

exec bash "$here/../record_test.sh" "$stack" "$connstate" "$out" "$@"
