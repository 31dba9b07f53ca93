#!/usr/bin/env bash
# record_test.sh — CTest integration test: records connect, path-failure, recover and
# renegotiate-add-transport with the libnice recorder (loopback only) and checks each trace with
# `connstate check-trace`.
# Usage: record_test.sh RECORD_LIBNICE CONNSTATE OUT_DIR
set -euo pipefail
recorder=$1 connstate=$2 out=$3
mkdir -p "$out"
fail=0
for scenario in connect path-failure recover renegotiate-add-transport; do
  trace="$out/$scenario.jsonl"
  echo "== recording libnice $scenario -> $trace"
  if ! "$recorder" --scenario "$scenario" -o "$trace"; then
    echo "FAIL: the $scenario scenario did not reach its goal"; fail=1; continue
  fi
  # What each scenario must show (mapped RTCIceTransportState of both agents).
  for pc in a b; do
    states=$(grep "\"pc\":\"$pc\"" "$trace" | grep '"event":"statechange"' | sed 's/.*"state":"\([a-z]*\)".*/\1/' | tr '\n' ' ')
    echo "   $pc: $states"
    case $scenario in
      connect)      want="checking .*completed" ;;
      path-failure) want="completed .*failed" ;;
      recover)      want="completed .*failed" ;;
      renegotiate-add-transport) want="checking .*completed" ;;
    esac
    if ! grep -Eq "$want" <<<"$states"; then echo "FAIL: $scenario pc $pc: states '$states' do not match '$want'"; fail=1; fi
    if [[ $scenario == renegotiate-add-transport ]] &&
       ! grep "\"target\":\"ice:$pc.2\"" "$trace" | grep -q '"state":"completed"'; then
      echo "FAIL: $scenario pc $pc: the added stream (ice:$pc.2) never completed"; fail=1
    fi
  done
done
# The transport-level check (the traces have no pc events): every trace must pass.
"$connstate" check-trace --root "$out" --report-dir "$out/report" \
  "$out/connect.jsonl" "$out/path-failure.jsonl" "$out/recover.jsonl" "$out/renegotiate-add-transport.jsonl" || fail=1
exit $fail
