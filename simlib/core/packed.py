"""Per-encounter values the engine reads one at a time, packed: ``array.array`` instead of a list.

The engine reads per-encounter scalars (service day, amounts, adjudication day, propensity…) on
its hot path as Python numbers, where NumPy scalar access would be slow; a list of them costs 8
bytes a pointer plus a 24–32 byte number object per encounter, an ``array.array`` 8 bytes (issue
27: ≈ 230 bytes per simulated account for the world's lists). Reading an item gives the same
Python ``float`` or ``int`` as the list did (so every number is the same), item assignment takes
the same values, and ``np.asarray`` reads it without a copy.
"""
from __future__ import annotations

from array import array

import numpy as np

__all__ = ["packed", "zeros"]


def packed(values) -> array:
    """``values`` (float or integer, one dimension) as an ``array.array`` of doubles (``"d"``) or
    64-bit integers (``"q"``), bit for bit."""
    a = np.asarray(values)
    if a.dtype.kind == "f":
        return array("d", np.ascontiguousarray(a, dtype=np.float64).tobytes())
    if a.dtype.kind in "iu":
        return array("q", np.ascontiguousarray(a, dtype=np.int64).tobytes())
    raise TypeError(f"packed: expected float or integer values, found {a.dtype}")


def zeros(n: int) -> array:
    """``n`` integer zeros (cents), settable one by one."""
    return array("q", bytes(8 * n))
