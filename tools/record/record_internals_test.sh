#!/usr/bin/env bash
# record_internals_test.sh — CTest integration test of `tools/record/record chromium-internals`: records
# real chrome://webrtc-internals dumps (the browser in a network namespace with only lo), then checks
# that each was saved as the page saves it (gzip with --compressed), imports without warnings, is
# judged without input problems by check-trace, and that no browser process of the run is left.
# Skips (77) when Chromium or playwright-core is missing, except under CI=true, where it fails.
# Usage: record_internals_test.sh CONNSTATE OUT_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
connstate=$1 out=$2
missing=""
[[ -x /usr/bin/chromium ]] || missing="Chromium (/usr/bin/chromium)"
[[ -d $here/chromium/node_modules/playwright-core ]] || missing="${missing:+$missing, }playwright-core (tools/record/install chromium)"
if [[ -n $missing ]]; then
  echo "missing: $missing"
  [[ "${CI:-}" == "true" ]] && exit 1
  exit 77
fi
rm -rf "$out"
mkdir -p "$out"
fail=0
record() {  # scenario, file, extra options
  local scenario=$1 file=$2
  shift 2
  local tag="connstate-record-test-internals-$scenario-$$-$RANDOM"
  echo "== recording a webrtc-internals dump of $scenario -> $file"
  if ! CONNSTATE_RECORD_TAG=$tag "$here/record" chromium-internals "$scenario" -o "$out/$file" \
       --trace "$out/$scenario.page.jsonl" "$@" 2> "$out/$scenario.log"; then
    echo "FAIL: $scenario did not reach its goal or the dump was not saved"; cat "$out/$scenario.log"; fail=1; return
  fi
  if ! "$here/leftover-processes" "$tag"; then
    echo "FAIL: the $scenario recording left browser processes behind"; fail=1
  fi
  if ! "$connstate" import webrtc-internals "$out/$file" -o "$out/$scenario.imported.jsonl" 2> "$out/$scenario.import.log"; then
    echo "FAIL: the $scenario dump does not import"; cat "$out/$scenario.import.log"; fail=1; return
  fi
  if grep -q "warning" "$out/$scenario.import.log"; then
    echo "FAIL: importing the $scenario dump gave warnings"; cat "$out/$scenario.import.log"; fail=1
  fi
}
record close close.txt
record connect connect.gz --compressed
if [[ -f $out/connect.gz && "$(head -c 2 "$out/connect.gz" | od -An -tx1 | tr -d ' \n')" != "1f8b" ]]; then
  echo "FAIL: --compressed did not save the page's gzip download"; fail=1
fi
files=("$out"/*.txt "$out"/*.gz)
"$connstate" check-trace --exit-zero --max-details 0 --root "$out" --json "$out/results.json" "${files[@]}"
if ! grep -q '"error":0,' "$out/results.json"; then
  echo "FAIL: a recorded dump has input problems (verdict error)"; fail=1
fi
if ! grep -q '"fail":0,' "$out/results.json"; then
  echo "FAIL: a recorded connect/close dump fails (Chromium fires nothing on close())"; fail=1
fi
exit $fail
