"""The calibrated status quo of parameters/baseline.yaml lies inside every published range.

Issue 9, item 10 (README "Calibration"): seed 20261123, 20 replications; each KPI's 95 % t
confidence interval must lie inside its published range (domain-research §0, §1).

At the file's own values, like ``simlib calibrate kpis`` (which fits them with the ``uncertain:``
section left out): the calibration is of the centre the board's uncertain draws spread around.
With all 21 assumptions drawn (issue 25) the status quo's intervals reach 49.6 % ± 1.5 pp patient
collection and 4.8 % ± 0.45 pp bad debt, past the top of two ranges: the mean of the late-payer floor's
draw (0.00015 a day; the file's value 0 is its mode) lifts collections. Re-centring the calibration
on the draws is open in issue 25.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simlib
from simlib.scenario.schema import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SEED, REPLICATIONS = 20261123, 20

RANGES = {  # metric: (low, high), published
    "days_in_ar": (45.0, 57.0),
    "ar_over_90_share": (0.20, 0.36),
    "patient_collection_rate": (0.35, 0.50),
    "initial_denial_rate": (0.11, 0.13),
    "bad_debt_rate": (0.02, 0.05),
}


@pytest.mark.slow
def test_status_quo_kpis_lie_inside_the_published_ranges():
    sc = load_scenario(ROOT / "parameters" / "baseline.yaml")
    status_quo = next(k for k, s in sc.strategies.items() if s.baseline)
    sc = sc.model_copy(update={"strategies": {status_quo: sc.strategies[status_quo]}, "uncertain": []})
    res = simlib.run_experiment(sc, replications=REPLICATIONS, seed=SEED, workers=2)
    m = res.metrics
    outside = []
    for metric, (low, high) in RANGES.items():
        v = m[(m.strategy == status_quo) & (m.metric == metric)].value.to_numpy()
        assert len(v) == REPLICATIONS
        half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
        if not (low <= v.mean() - half and v.mean() + half <= high):
            outside.append(f"{metric}: {v.mean():.4g} ± {half:.2g} not inside [{low}, {high}]")
    charity = m[(m.strategy == status_quo) & (m.metric == "charity_care_share")].value
    assert (charity > 0).all(), "charity care must be reported"
    assert not outside, outside
