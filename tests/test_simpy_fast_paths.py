"""The SimPy path's shortcuts (issue 27) give exactly what they shortcut: each is compared with the
definition it replaces, on cases chosen at the edges (hours a rounding away from the team's
bounds) and on seeded random ones. Whole runs are held by the golden tables on both engines."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simlib.world.capacities.phone_team import next_open_slot


def next_open_slot_by_definition(day: float, hours, working_days) -> float:
    """:func:`next_open_slot` as it was written before its fast path (the hour rounded first)."""
    h0, h1 = hours
    d = math.floor(day)
    hour = round((day - d) * 24.0, 6)
    if hour >= 24.0:
        d, hour = d + 1, 0.0
    open_days = set(working_days)
    for k in range(8):
        if (d + k) % 7 not in open_days:
            continue
        if k == 0:
            if hour < h0:
                return d + h0 / 24.0
            if hour < h1:
                return day
            continue
        return d + k + (hour if h0 <= hour < h1 else h0) / 24.0
    return day


@pytest.mark.parametrize("hours,working_days", [((9.0, 17.0), (0, 1, 2, 3, 4)), ((8.5, 20.25), (1, 3, 5)),
                                                ((0.0, 24.0), tuple(range(7))), ((7.0, 23.999999), (6,))])
def test_the_open_slot_fast_path_is_the_rounded_definition(hours, working_days):
    rng = np.random.default_rng(27)
    days = rng.uniform(-400.0, 800.0, 3000).tolist()
    edges = [h + eps for h in (0.0, *hours, 24.0) for eps in
             (-2e-6, -1e-6, -6e-7, -5e-7, -4e-7, -1e-9, 0.0, 1e-9, 4e-7, 5e-7, 6e-7, 1e-6, 2e-6)]
    for d in rng.integers(-60, 400, 40).tolist():
        days += [d + h / 24.0 for h in edges if 0.0 <= h < 24.0]
    for day in days:
        assert next_open_slot(day, hours, working_days) == next_open_slot_by_definition(day, hours, working_days), day
