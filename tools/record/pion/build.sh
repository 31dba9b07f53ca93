#!/usr/bin/env bash
# build.sh — builds record-pion offline against Debian's Go packages (golang-go,
# golang-github-pion-webrtc.v3-dev), in GOPATH mode.
# Debian installs /vN modules without the /vN directory suffix, so a private GOPATH holds symlinks
# <module path with /vN> -> Debian's directory for every such module.
# Usage: build.sh OUTPUT_BINARY
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=${1:?usage: build.sh OUTPUT_BINARY}
gocode=/usr/share/gocode/src
[[ -d $gocode/github.com/pion/webrtc ]] || { echo "build.sh: golang-github-pion-webrtc.v3-dev is not installed" >&2; exit 4; }
gopath="$(mktemp -d "${TMPDIR:-/tmp}/connstate-pion-gopath.XXXXXX")"
trap 'rm -rf "$gopath"' EXIT
while IFS= read -r mod; do
  dir=$(dirname "$mod")
  name=$(awk '/^module /{gsub(/"/, "", $2); print $2; exit}' "$mod")
  rel=${dir#"$gocode"/}
  if [[ -n $name && $name != "$rel" && $name == "$rel"/v* ]]; then
    mkdir -p "$gopath/src/$(dirname "$name")"
    ln -s "$dir" "$gopath/src/$name"
  fi
done < <(find "$gocode" -name go.mod)
mkdir -p "$gopath/src/connstate/record-pion"
cp "$here/main.go" "$gopath/src/connstate/record-pion/"
cd "$gopath/src/connstate/record-pion"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOPROXY=off GOFLAGS= go build -o "$out" .
