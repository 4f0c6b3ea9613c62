"""Issue 21, item 4 (adversarial corpus): the flip search never raises an internal error.

On af304e3 a valid scenario with a one-factor ``sensitivity:`` section died with scipy's
``ValueError: f(a) and f(b) must have different signs``: the bracket used the main run's gain at
the scenario's value (ahead) while the sensitivity's own runs there were behind (other uncertain
draws). Such a side is now "no flip found in range …" with the reason.
"""
from __future__ import annotations

import pytest

from simlib.core.ranges import Range
from simlib.studies import flip_points as fp
from test_flip_points import _Curve


@pytest.mark.parametrize("side", ["below", "above"])
def test_a_bracket_that_does_not_hold_is_no_flip_with_the_reason(side):
    compliance = Range("Deposit compliance", "strategies.*.deposit.compliance_rate", 0.1, 0.99,
                              "set", upper=1.0, base=0.6)
    # the main run says +500 at the scenario's value; re-run there the gain is -200, as at the end
    curve = _Curve((lambda x: -200.0 if x <= 0.6 else 300.0) if side == "below" else
                   (lambda x: 300.0 if x < 0.6 else -200.0), 500.0)
    point = fp.flip_point(curve, compliance)
    assert point.flip_below is None and point.flip_above is None
    words = point.row()["words"]
    assert words.startswith("no flip found in range 10–99 %") and "no change of sign" in words
    assert "+500" in words
