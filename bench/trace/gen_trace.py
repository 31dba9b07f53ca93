#!/usr/bin/env python3
"""gen_trace.py — writes a synthetic format-1 trace of about SIZE bytes for the check-trace benchmark.

PCS peer connections (default 8), each with one transport, go through connect, then repeat a cycle
(ICE disconnected and back, ICE completed and back, one ignored data-channel line) with the pc events
the spec requires (profile rec-2025), interleaved. The trace passes: the checker does full matching work.
Usage: gen_trace.py SIZE_BYTES OUT [PCS]
"""
import sys


def main() -> None:
    size = int(sys.argv[1])
    out = sys.argv[2]
    pcs = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    t = 0.0
    written = 0
    lines = []

    def ev(pc: int, target: str, event: str, state: str) -> None:
        nonlocal t
        t += 0.125
        lines.append('{"t_ms":%.3f,"pc":"p%d","target":"%s","event":"%s","state":"%s"}\n' % (t, pc, target, event, state))

    def pcev(pc: int, event: str, state: str) -> None:
        ev(pc, "pc", event, state)

    def setup(pc: int) -> None:
        ice, dtls = "ice:%d" % pc, "dtls:%d" % pc
        ev(pc, ice, "statechange", "checking"); pcev(pc, "iceconnectionstatechange", "checking"); pcev(pc, "connectionstatechange", "connecting")
        ev(pc, ice, "statechange", "connected"); pcev(pc, "iceconnectionstatechange", "connected")
        ev(pc, dtls, "statechange", "connecting")
        ev(pc, dtls, "statechange", "connected"); pcev(pc, "connectionstatechange", "connected")

    def cycle(pc: int) -> None:
        nonlocal t
        ice = "ice:%d" % pc
        ev(pc, ice, "statechange", "disconnected"); pcev(pc, "iceconnectionstatechange", "disconnected"); pcev(pc, "connectionstatechange", "disconnected")
        ev(pc, ice, "statechange", "connected"); pcev(pc, "iceconnectionstatechange", "connected"); pcev(pc, "connectionstatechange", "connected")
        t += 0.125
        lines.append('{"t_ms":%.3f,"pc":"p%d","target":"dc:chat","event":"message","bytes":1200,"note":"ignored by the check"}\n' % (t, pc))
        ev(pc, ice, "statechange", "completed"); pcev(pc, "iceconnectionstatechange", "completed"); pcev(pc, "connectionstatechange", "connecting")
        ev(pc, ice, "statechange", "connected"); pcev(pc, "iceconnectionstatechange", "connected"); pcev(pc, "connectionstatechange", "connected")

    with open(out, "w", buffering=1 << 20) as f:
        header = '{"format":"connstate-trace","version":1,"stack":"synthetic","scenario":"bench","recorded":"2026-01-01T00:00:00Z"}\n'
        f.write(header)
        written += len(header)
        for pc in range(pcs):
            setup(pc)
        while written < size:
            for pc in range(pcs):
                cycle(pc)
            chunk = "".join(lines)
            lines.clear()
            f.write(chunk)
            written += len(chunk)


if __name__ == "__main__":
    main()
