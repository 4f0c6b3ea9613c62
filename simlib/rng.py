"""Random streams: one NumPy generator per (replication, activity), never per strategy.

``SeedSequence(seed, spawn_key=(replication, stream_id))`` with stable ids: every strategy of a
replication sees the same patients and the same latent draws (common random numbers), and a new
stream never shifts the draws of an existing one. Nothing global is seeded.
"""
from __future__ import annotations

import zlib

import numpy as np

#: Stable stream ids. Append new activities at the end; never renumber.
STREAMS: dict[str, int] = {
    "arrivals": 0,
    "amounts": 1,
    "traits": 2,
    "thresholds": 3,
    "claims": 4,
    "disputes": 5,
    "calls": 6,
    "deposits": 7,
    "plans": 8,
    "financing": 9,
    "agency": 10,
    # engineer C (planners, issue 10): ids 30-39
    "planners": 30,      # per patient: the uniform that makes a planner (behaviour.payment_timing)
    "bill_medium": 31,   # per patient: the uniform that makes a paper bill (paper_bill_share)
}


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of activity ``name`` in replication ``replication``."""
    ss = np.random.SeedSequence(seed, spawn_key=(replication, STREAMS[name]))
    return np.random.Generator(np.random.PCG64(ss))


LEVER_STREAM_BASE = 1 << 20  # plug-in levers' stream ids start here, far above the built-in ones


def lever_stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of a plug-in lever's draws ``name``: its stream id is a stable hash of the
    name, so a new lever needs no line here and never shifts an existing stream."""
    if name in STREAMS:
        raise ValueError(f"stream name {name!r} is a built-in activity; choose the lever's own name")
    ss = np.random.SeedSequence(seed, spawn_key=(replication, LEVER_STREAM_BASE + zlib.crc32(name.encode())))
    return np.random.Generator(np.random.PCG64(ss))
