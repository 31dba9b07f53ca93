#!/bin/bash
# fuzz/build.sh — the one entry point an OSS-Fuzz or ClusterFuzzLite build calls (.clusterfuzzlite/build.sh
# runs it), so the fuzzers and their build can change here without touching the fuzzing service's config
# (simdjson's fuzz/ossfuzz.sh does the same).
#
# Reads the OSS-Fuzz build environment:
#   CC, CXX, CFLAGS, CXXFLAGS   compilers and flags (sanitizers and -fsanitize=fuzzer-no-link included)
#   LIB_FUZZING_ENGINE          what the targets link instead of main() (-fsanitize=fuzzer for libFuzzer)
#   OUT                         where the fuzzers, dictionaries, options and seed corpora go
#   WORK                        scratch space (default: a temporary directory)
#   JOBS                        parallel build jobs (default: nproc)
#   BOOST_SRC                   optional: a Boost >= 1.81 source tree; its JSON and Container libraries are
#                               then built with CXX/CXXFLAGS (needed with OSS-Fuzz's libc++). Without it
#                               the system Boost is used (Debian 12: tools/install-deps).
#
# Writes into $OUT, per target fuzz_<thing>: the binary, fuzz_<thing>.dict, fuzz_<thing>.options and
# fuzz_<thing>_seed_corpus.zip; and libconnstate_reference_plugin.so (+ the two planted-bug plugins), which
# fuzz_differential loads from beside itself when CONNSTATE_FUZZ_SUT/CONNSTATE_FUZZ_PLUGIN are not set.
#
# Locally, the same build as the service's:
#   CC=clang-14 CXX=clang++-14 CFLAGS="-fsanitize=address,undefined,fuzzer-no-link" \
#   CXXFLAGS="-fsanitize=address,undefined,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/fuzz-out fuzz/build.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
: "${OUT:?set OUT to the output directory}"
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
work=${WORK:-$(mktemp -d)}/connstate-fuzz
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$work" "$OUT"

cmake_args=()
if [[ -n "${BOOST_SRC:-}" ]]; then
  boost_prefix=$work/boost
  if [[ ! -f $boost_prefix/.built ]]; then
    (cd "$BOOST_SRC" &&
      ./bootstrap.sh --with-toolset=clang --with-libraries=json,container --prefix="$boost_prefix" >/dev/null &&
      ./b2 -j"$jobs" toolset=clang variant=release link=static threading=multi \
           "cxxflags=$CXXFLAGS -std=c++20" "cflags=$CFLAGS" "linkflags=$CXXFLAGS" \
           --with-json --with-container install >/dev/null)
    touch "$boost_prefix/.built"
  fi
  cmake_args+=(-DCMAKE_PREFIX_PATH="$boost_prefix" -DBoost_USE_STATIC_LIBS=ON)
fi

cmake -S "$root" -B "$work/build" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_BUILD_TYPE=None \
  -DCONNSTATE_ENABLE_FUZZING=ON -DCONNSTATE_FUZZ_LDFLAGS="$LIB_FUZZING_ENGINE" \
  -DCONNSTATE_BUILD_TESTING=OFF -DCONNSTATE_BUILD_BENCH=OFF -DCONNSTATE_WERROR=OFF \
  "${cmake_args[@]}"
cmake --build "$work/build" -j"$jobs" --target fuzz_all

for bin in "$work"/build/bin/fuzz_*; do
  target=$(basename "$bin")
  cp "$bin" "$OUT/"
  cp "$here/$target.dict" "$here/$target.options" "$OUT/"
  rm -f "$OUT/${target}_seed_corpus.zip"
  if command -v zip >/dev/null; then
    (cd "$here/seeds/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  else
    (cd "$here/seeds/$target" && python3 -m zipfile -c "$OUT/${target}_seed_corpus.zip" ./*)
  fi
done
cp "$work"/build/lib/libconnstate_*plugin.so "$OUT/"
echo "fuzz/build.sh: $(ls "$work"/build/bin/fuzz_* | wc -l) fuzzers in $OUT"
