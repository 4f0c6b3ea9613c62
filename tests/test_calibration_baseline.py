"""The calibrated status quo of parameters/baseline.yaml lies inside every published range, with
every uncertain assumption of the file drawn.

Issue 9, item 10 (README "Calibration"): each KPI's 95 % t confidence interval of the mean must lie
inside its published range (domain-research §0, §1). Issue 25: the board's status quo is the file
with its ``uncertain:`` section drawn in every run (21 assumptions, five of which — the decay with
the first month's pull, the late-payer floor, contact fatigue, the elasticity to the balance and
the financial-assistance thresholds — move the status quo), so that is what is checked: the draws'
means are not all the file's values, and checking the file's values alone let the drawn status quo
reach 49.6 % ± 1.5 pp patient collection and 4.8 % ± 0.45 pp bad debt, past two ranges. Patient
collection is on Kodiak's definition (charity care counted in what patients owed) since the re-fit
of docs/calibration.md §10.4.

Seed 20261123, 40 replications: the draws make the run-to-run spread of bad debt ≈ 1.1 pp (0.17 pp
without them), so 20 replications leave a ± 0.5 pp interval, a fifth of the 2–5 % range.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simlib
from simlib.scenario.schema import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SEED, REPLICATIONS = 20261123, 40

RANGES = {  # metric: (low, high), published
    "days_in_ar": (45.0, 57.0),
    "ar_over_90_share": (0.20, 0.36),
    # Kodiak's definition: collected ÷ everything patients owed, charity care included (47.8 %, 2022–23)
    "patient_responsibility_collection_rate": (0.35, 0.50),
    "initial_denial_rate": (0.11, 0.13),
    "bad_debt_rate": (0.02, 0.05),
}


def _half_width(v: np.ndarray) -> float:
    return float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))


@pytest.fixture(scope="module")
def status_quo_run():
    """The status quo alone, 40 runs with every assumption drawn (shared by the tests below)."""
    sc = load_scenario(ROOT / "parameters" / "baseline.yaml")
    status_quo = next(k for k, s in sc.strategies.items() if s.baseline)
    assert len(sc.uncertain) == 21  # every assumption drawn, as on the board
    sc = sc.model_copy(update={"strategies": {status_quo: sc.strategies[status_quo]}})
    return status_quo, simlib.run_experiment(sc, replications=REPLICATIONS, seed=SEED, workers=2)


@pytest.mark.slow
def test_status_quo_kpis_lie_inside_the_published_ranges_with_the_assumptions_drawn(status_quo_run):
    status_quo, res = status_quo_run
    m = res.metrics
    drawn = res.assumptions
    # the five deposit and phone-team entries are inactive on the letters-only status quo alone
    assert drawn.replication.nunique() == REPLICATIONS and drawn.path.nunique() == 16
    assert {"behaviour.floor_per_day", "behaviour.decay_per_day", "behaviour.balance_elasticity",
            "behaviour.contact_fatigue_per_contact",
            "finance.financial_assistance.free_care_ability_max"} <= set(drawn.path)
    outside = []
    for metric, (low, high) in RANGES.items():
        v = m[(m.strategy == status_quo) & (m.metric == metric)].value.to_numpy()
        assert len(v) == REPLICATIONS
        half = _half_width(v)
        if not (low <= v.mean() - half and v.mean() + half <= high):
            outside.append(f"{metric}: {v.mean():.4g} ± {half:.2g} not inside [{low}, {high}]")
    charity = m[(m.strategy == status_quo) & (m.metric == "charity_care_share")].value
    assert (charity > 0).all(), "charity care must be reported"
    assert not outside, outside


# Issue 25: two published figures the status quo did not meet before the re-fit on Kodiak's
# definition (docs/calibration.md §10.4): the charity ratio (was 2.29) and the collection of what
# patients owe (was 24.4 %, now in RANGES above).
@pytest.mark.slow
def test_status_quo_charity_to_bad_debt_ratio_holds_the_published_one(status_quo_run):
    from simlib.analysis.charity_gap import charity_gap

    status_quo, res = status_quo_run
    gap = charity_gap(res.metrics, status_quo)
    assert gap.runs == REPLICATIONS
    assert gap.met, f"{gap.ratio:.2f} ({gap.ratio_low:.2f}–{gap.ratio_high:.2f}) against {gap.published:.2f}"
