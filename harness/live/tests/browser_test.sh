#!/usr/bin/env bash
# browser_test.sh — runs a browser_test.mjs scenario inside a new network namespace whose only interface
# is lo (the browsers reach nothing but loopback), with the default route Firefox needs to pick a source
# address (nothing leaves the namespace).
# Usage: browser_test.sh probe-chromium|probe-firefox|live-page CONNSTATE CLIENT OUTDIR
# Exit: the scenario's (0 passed, 1 failed); 77 when a dependency is missing outside CI (CI=true: 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
scenario=$1 connstate=$2 client=$3 out=$4

missing() {
  if [[ "${CI:-}" == "true" ]]; then echo "FAILED: $1 (required under CI=true)" >&2; exit 1; fi
  echo "SKIP: $1"; exit 77
}
if [[ "${CONNSTATE_NETNS:-}" != 1 ]]; then
  command -v node >/dev/null || missing "node is not installed (tools/install-deps)"
  case $scenario in
    probe-firefox) [[ -x /usr/bin/firefox-esr ]] || missing "firefox-esr is not installed (tools/install-deps)" ;;
    *) [[ -x /usr/bin/chromium ]] || missing "chromium is not installed (tools/install-deps)"
       [[ -d $root/tools/record/chromium/node_modules/playwright-core ]] ||
         missing "playwright-core is not installed (tools/record/install chromium)" ;;
  esac
  ns=(unshare -n)
  [[ $(id -u) -ne 0 ]] && ns=(unshare -rn)
  "${ns[@]}" -- true 2>/dev/null || missing "cannot create a network namespace (unshare -n)"
  exec "${ns[@]}" -- env CONNSTATE_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
ip route add default dev lo src 127.0.0.1 2>/dev/null || true
ip -6 route add default dev lo 2>/dev/null || true
exec node "$here/browser_test.mjs" "$scenario" --connstate "$connstate" --client "$client" --out "$out"
