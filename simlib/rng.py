"""Random streams: one NumPy generator per (replication, activity), never per strategy.

``SeedSequence(seed, spawn_key=(replication, stream_id))`` with stable ids: every strategy of a
replication sees the same patients and the same latent draws (common random numbers), and a new
stream never shifts the draws of an existing one. Nothing global is seeded.
"""
from __future__ import annotations

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
}


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of activity ``name`` in replication ``replication``."""
    ss = np.random.SeedSequence(seed, spawn_key=(replication, STREAMS[name]))
    return np.random.Generator(np.random.PCG64(ss))
