#!/usr/bin/env python3
"""The example adapter with one planted rule bug: `disconnected` is tested before `failed` when
aggregating ICE states, so any mix of failed and disconnected ICE transports reads `disconnected`.
The suite must catch exactly the cases where such a mix is present."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "docs" / "examples"))
import adapter  # noqa: E402

correct = adapter.ice_connection_state


def buggy_ice_connection_state(ices):
    if "disconnected" in ices:
        return "disconnected"
    return correct(ices)


adapter.ice_connection_state = buggy_ice_connection_state
adapter.main()
