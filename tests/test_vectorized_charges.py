"""Collection charges in the NumPy model (simlib.model.vectorized_charges, issue 27): Chile's capped
charge on an overdue balance runs in NumPy on the hybrid engine, identical to pure SimPy — alone,
with a reminder ladder, beside a discount, beside a collection agency (the charge after placement
only advances the clock), with the jurisdiction's UF value or the strategy's; beside a payment
plan the strategy stays on SimPy. Seeded."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model.engine import World
from simlib.model.population import draw_population

from test_hybrid import assert_identical, variants

ROOT = Path(__file__).resolve().parents[1]


def _chile(strategies: dict, encounters_per_day: float = 3.0):
    return variants("chile_clinic", "gastos_de_cobranza", strategies, encounters_per_day)


STRATEGIES = {
    "shipped": {},
    "early_with_discount": {"collection_charges": {"rate": 0.05, "after_days_past_due": 20},
                            "prompt_pay_discount": {"rate": 0.05, "window_days": 45}},
    "own_uf_value": {"collection_charges": {"rate": 0.09, "after_days_past_due": 25, "uf_value_clp": 12000}},
    "beside_an_agency": {"agency": {"kind": "early_out", "placement_days": 75, "balance_min": 20000,
                                    "fee_rate": 0.2, "recall_days": 180},
                         "collection_charges": {"rate": 0.09, "after_days_past_due": 20}},
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_collection_charges_run_in_numpy_identically(name):
    sc = _chile(STRATEGIES)
    pop = draw_population(sc, 2)
    share = assert_identical(sc, name, pop)
    counters = World(sc, name, pop, hybrid=True).run().counters
    assert share > 0.8 and counters["collection_charges"] > 50  # teeth: charges in NumPy
    if name == "beside_an_agency":
        assert counters["agency_placements"] > 20


def test_charges_beside_a_payment_plan_stay_on_simpy():
    plan = {"balance_min": 300000, "offer_day": 0, "uptake_rate": 0.35, "max_months": 12}
    sc = _chile({"with_plan": {"payment_plan": plan}})
    pop = draw_population(sc, 1)
    assert World(sc, "with_plan", pop, hybrid=True).numpy_accounts is None
    assert_identical(sc, "with_plan", pop)


@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=hst.sampled_from([0.01, 0.04, 0.09]), after=hst.sampled_from([20, 27.5, 60, 200]),
       uf=hst.sampled_from([None, 1000, 40000]), seed=hst.integers(0, 20))
def test_random_collection_charges_are_identical(rate, after, uf, seed):
    charges = {"rate": rate, "after_days_past_due": after, **({"uf_value_clp": uf} if uf else {})}
    sc = _chile({"random": {"collection_charges": charges}}, encounters_per_day=1.5)
    assert_identical(sc, "random", draw_population(sc, seed))
