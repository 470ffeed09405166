"""The credentials the simulator accepts, per provider: the sandbox sends these, and so can
anyone pointing a provider's SDK at `mediagate simulator`. Anything else is refused the way
the real provider refuses a bad key."""

from __future__ import annotations

from collections.abc import Mapping

SIM_CREDENTIALS: Mapping[str, Mapping[str, str]] = {
    "vidu": {"api_key": "sim-vidu-key"},
    "kling": {
        "access_key": "sim-kling-access-key",
        "secret_key": "sim-kling-secret-key-of-32-bytes-min",
    },
    "seedance": {"api_key": "sim-ark-key"},
    "seedream": {"api_key": "sim-ark-key"},
    "gemini": {"api_key": "sim-gemini-key"},
    "vidgo": {"api_key": "sim-vidgo-key"},
    "tripo": {"api_key": "tsk_sim-tripo-key"},
}
