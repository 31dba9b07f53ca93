#!/bin/bash
# ClusterFuzzLite's build step: everything is in fuzz/build.sh (it reads CC, CXX, CFLAGS, CXXFLAGS,
# LIB_FUZZING_ENGINE, OUT and BOOST_SRC from the environment this image sets).
set -euo pipefail
exec "$SRC/connstate/fuzz/build.sh"
