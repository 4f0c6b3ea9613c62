"""simlib.core.scalar_math equals Python's math to the last bit, where NumPy's vector code need not
(the reason it exists: the hybrid engine's payment days equal the SimPy engine's); seeded."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simlib.core import scalar_math as xm


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(20261207)
    return np.concatenate([rng.uniform(-40.0, 5.0, 20_000), rng.uniform(-0.999, 3.0, 20_000)])


@pytest.mark.parametrize("name", ["exp", "expm1", "log1p"])
def test_each_function_is_maths_to_the_last_bit(name, x):
    x = x[x > -1.0] if name == "log1p" else x
    want = np.array([getattr(math, name)(v) for v in x.tolist()])
    got = getattr(xm, name)(x[:, None]).ravel()  # any shape
    assert got.dtype == float and np.array_equal(got, want)


def test_power_is_pythons_to_the_last_bit_and_broadcasts(x):
    base = np.abs(x[:1000]) + 0.01
    want = np.array([b ** -0.7 for b in base.tolist()])
    assert np.array_equal(xm.power(base, -0.7), want)
    counts = np.arange(12, dtype=float)
    assert np.array_equal(xm.power(0.93, counts), np.array([0.93 ** k for k in counts.tolist()]))


def test_outside_the_domain_the_result_is_numpys_not_an_exception():
    with np.errstate(all="ignore"):
        for fn, arg in [(xm.exp, [1000.0, -1000.0]), (xm.expm1, [1000.0]), (xm.log1p, [-1.0, -2.0, np.inf])]:
            np.testing.assert_array_equal(fn(np.array(arg)), getattr(np, fn.__name__)(np.array(arg)))
        np.testing.assert_array_equal(xm.power([0.0, -2.0, 1e300], [-1.0, 0.5, 2.0]),
                                      np.power([0.0, -2.0, 1e300], [-1.0, 0.5, 2.0]))
    assert xm.exp(np.array([])).shape == (0,) and xm.power(2.0, np.empty((0, 3))).shape == (0, 3)
