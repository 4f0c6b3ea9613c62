"""simlib.core.packed (issue 27): the engine's per-encounter values packed in ``array.array`` read
back as the same Python numbers the lists gave, bit for bit, and refuse a fractional cent."""
from __future__ import annotations

import numpy as np
import pytest

from simlib.core.packed import packed, zeros


def test_packed_values_read_back_as_the_lists_did():
    rng = np.random.default_rng(27)
    days = rng.normal(0.0, 1e3, 1000)
    days[:3] = (-0.0, np.inf, 5e-324)
    cents = rng.integers(-2**62, 2**62, 1000)
    for values in (days, cents, np.arange(10, dtype=np.int32)):
        p = packed(values)
        assert [type(x) for x in p[:2]] == [type(x) for x in values.tolist()[:2]]
        assert list(p) == values.tolist()
        assert np.array_equal(np.asarray(p), values)
    assert str(packed(days)[0]) == "-0.0"  # the sign of a zero is kept


def test_zeros_take_integer_cents_only():
    z = zeros(4)
    z[1], z[2] = 250, np.int64(-3)
    assert np.asarray(z, dtype=np.int64).tolist() == [0, 250, -3, 0]
    with pytest.raises(TypeError):
        z[0] = 1.5  # a fractional cent is a bug, not a balance
    with pytest.raises(TypeError):
        packed(np.array([True]))  # a bool would read back as 1, not True
