"""``patient_collected_60_days``: the early point of the patient liquidation curve (issue 25).

Checked two ways on conftest's one-payer scenario (one $500 self-pay balance per account, statement
at service, no contacts, no floor, no propensity noise, payment in full): against the ledger summed
row by row in plain Python, exactly; and against the closed form of the payment intensity, whose
share paid by day t is 1 − exp(−(λ0/κ)(1 − e^(−κt))). Seeded.
"""
from __future__ import annotations

import math

import pytest

from conftest import tiny
from simlib.core.ledger import COLLECTED, REFUNDS, Kind
from simlib.model import metrics
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

ACCOUNTS, LAMBDA0, KAPPA = 4000, 0.01, 0.01  # slow decay: by day 60 is not by the horizon


def _closed_form_share(days: float) -> float:
    return 1 - math.exp(-(LAMBDA0 / KAPPA) * (1 - math.exp(-KAPPA * days)))


@pytest.fixture(scope="module")
def run():
    sc = scenario_from_dict(tiny(simulation={"open_book_accounts": ACCOUNTS},
                                 behaviour={"initial_per_day": LAMBDA0, "decay_per_day": KAPPA}), "test")
    pop = draw_population(sc, 0, 3)
    res = World(sc, "none", pop).run()
    m, _, _ = metrics.compute(res, pop, sc)
    return sc, pop, res, m


def test_matches_the_ledger_summed_row_by_row(run):
    sc, pop, res, m = run
    led, n_recv = res.ledger, pop.n_receivables
    svc = metrics.receivable_service_day(pop)
    early = billed = charity = corrections = 0
    for r, day, kind, amount in zip(led.receivable.tolist(), led.day.tolist(), led.kind.tolist(),
                                    led.amount.tolist()):
        if r < 0 or r % 2 == 0:  # team rows; the insurer's side (none here) of each encounter
            continue
        if kind in COLLECTED and day <= svc[r] + 60:
            early += amount
        elif kind in REFUNDS and day <= svc[r] + 60:
            early -= amount
        elif kind == Kind.BILLED:
            billed += amount
        elif kind == Kind.CHARITY_CARE:
            charity += amount
        elif kind == Kind.CORRECTION:
            corrections += amount
    assert billed == ACCOUNTS * 50_000 and early > 0
    assert m["patient_collected_60_days"] == early / (billed - corrections - charity)
    # never more than what is collected by the horizon
    assert m["patient_collected_60_days"] <= m["patient_collection_rate"]


def test_meets_the_closed_form_share_paid_by_day_60(run):
    *_, m = run
    # 4,000 accounts paying in full: the share paid by a day has sd √(p(1 − p)/4000) ≤ 0.008; 4 sd
    for metric, days in (("patient_collected_60_days", 60), ("patient_collection_rate", 200)):
        p = _closed_form_share(days)  # 0.363 by day 60, 0.579 by the horizon
        assert abs(m[metric] - p) < 4 * math.sqrt(p * (1 - p) / ACCOUNTS), (metric, m[metric], p)
