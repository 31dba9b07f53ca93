# syntax=docker/dockerfile:1
# Dockerfile — a small image holding the connstate CLI, the case files and the example adapters, for
# CI jobs that test their own stack (docs/ci.md). Build it once per connstate version and reuse it:
#
#   docker build -t connstate:v1.0.0 --build-arg CONNSTATE_GIT_DESCRIBE="$(git describe --tags --always --dirty)" .
#   docker run --rm connstate:v1.0.0 connstate --version
#
# The first stage builds the CLI on Debian 12 with only what that needs (tools/install-deps --minimal,
# the `dist` preset: no tests or benchmarks; libstdc++ and Boost.JSON linked in) and checks it against
# the reference; the second holds /opt/connstate alone on debian:12-slim. /opt/connstate copied out of
# the image (docker cp) also runs on any x86-64 Linux with a recent enough glibc (docs/ci.md).

FROM debian:12 AS build
ARG CONNSTATE_GIT_DESCRIBE=""
WORKDIR /src
COPY tools/install-deps tools/install-deps
RUN tools/install-deps --minimal && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset dist -DCONNSTATE_GIT_DESCRIBE="${CONNSTATE_GIT_DESCRIBE}" \
 && cmake --build --preset dist -j"$(nproc)" \
 && cmake --install build-dist --prefix /opt/connstate --component connstate_Runtime \
 && mkdir -p /opt/connstate/share/connstate/examples \
 && cp docs/examples/adapter.py docs/examples/adapter.js /opt/connstate/share/connstate/examples/ \
 && /opt/connstate/bin/connstate --version \
 && /opt/connstate/bin/connstate run --quiet --sut "exec:/opt/connstate/bin/connstate serve" \
      --exhaustive 2 --sequence-depth 3

FROM debian:12-slim
LABEL org.opencontainers.image.title="connstate" \
      org.opencontainers.image.description="Conformance harness for WebRTC RTCPeerConnection.connectionState"
COPY --from=build /opt/connstate /opt/connstate
ENV PATH=/opt/connstate/bin:$PATH
WORKDIR /work
CMD ["connstate", "--help"]
