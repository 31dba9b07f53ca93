#!/usr/bin/env bash
# record_test.sh — CTest integration test of the native libwebrtc recorder: records `connect` and
# `never-connects` through tools/record/record (its own network namespace, 127.0.0.1 only), checks the
# traces with `connstate check-trace` (tools/record/record_test.sh: goals reached, no input problems,
# no process left behind), then checks what each recording must show.
# Usage: record_test.sh CONNSTATE OUT_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
connstate=$1 out=$2
fail=0
bash "$here/../record_test.sh" libwebrtc "$connstate" "$out" connect never-connects || fail=1

# The lines of one pc's events of one kind, as "target:state" words.
events() {  # TRACE PC EVENT
  grep "\"pc\":\"$2\"" "$1" | grep "\"event\":\"$3\"" |
    sed 's/.*"target":"\([^"]*\)".*"state":"\([a-z-]*\)".*/\1:\2/' | tr '\n' ' '
}
expect() {  # DESCRIPTION WORDS REGEX
  if grep -Eq "$3" <<<"$2"; then echo "ok: $1: $2"; else echo "FAIL: $1: '$2' does not match '$3'"; fail=1; fi
}
trace="$out/libwebrtc/connect.jsonl"
for pc in a b; do
  expect "connect $pc connectionstatechange" "$(events "$trace" $pc connectionstatechange)" "pc:connecting pc:connected"
  expect "connect $pc ICE transport" "$(events "$trace" $pc statechange | tr ' ' '\n' | grep '^ice:' | tr '\n' ' ')" "checking .*connected"
  expect "connect $pc DTLS transport" "$(events "$trace" $pc statechange | tr ' ' '\n' | grep '^dtls:' | tr '\n' ' ')" "connecting .*connected"
done
trace="$out/libwebrtc/never-connects.jsonl"
for pc in a b; do
  expect "never-connects $pc ICE transport" "$(events "$trace" $pc statechange | tr ' ' '\n' | grep '^ice:' | tr '\n' ' ')" "checking .*failed"
  expect "never-connects $pc connectionstatechange" "$(events "$trace" $pc connectionstatechange)" "pc:failed"
done

exit $fail
