"""Targeted offers in the NumPy model (simlib.model.vectorized_targeting, issue 27): a discount, a
payment plan or financing withheld outside a propensity-score band runs in NumPy on the hybrid
engine, identical to pure SimPy (ledger rows to the last bit, counters, open balances); a
contact-response score or targeted ladder steps keep the strategy on SimPy. Seeded."""
from __future__ import annotations

from pathlib import Path

import pytest

from simlib.model.engine import World
from simlib.model.population import draw_population

from test_hybrid import assert_identical, variants

ROOT = Path(__file__).resolve().parents[1]
DISCOUNT = {"rate": 0.10, "window_days": 20, "eligible_payers": ["commercial", "self_pay"]}
PLAN = {"balance_min": 300, "offer_day": 0, "uptake_rate": 0.35, "max_months": 12, "default_after_misses": 2}
FINANCING = {"balance_min": 1000, "offer_day": 0}


def _scenario(strategies: dict):
    return variants("finance_levers", "letters_only", strategies)


STRATEGIES = {
    "discount_low_scores": {"prompt_pay_discount": DISCOUNT, "targeted_offer": {"score_max": 0.8}},
    "plan_middle_scores": {"payment_plan": PLAN, "prompt_pay_discount": DISCOUNT,  # the discount for all
                           "targeted_offer": {"score_min": 0.2, "score_max": 0.7, "offers": ["payment_plan"]}},
    "financing_high_scores": {"financing": FINANCING, "targeted_offer": {"score_min": 0.5, "offers": ["financing"],
                                                                         "cost_per_scored_account": 0}},
    "discount_and_plan": {"payment_plan": PLAN, "prompt_pay_discount": DISCOUNT,
                          "targeted_offer": {"score_max": 0.6, "offers": ["prompt_pay_discount", "payment_plan"]}},
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_targeted_offers_run_in_numpy_identically(name):
    sc = _scenario(STRATEGIES)
    pop = draw_population(sc, 5)
    share = assert_identical(sc, name, pop)
    counters = World(sc, name, pop, hybrid=True).run().counters
    assert share > 0.8 and counters["targeted_withheld"] > 100 and counters["targeted_scored"] > 100  # teeth


@pytest.mark.parametrize("targeted", [{"score": "contact_response", "score_max": 0.8},
                                      {"score_max": 0.8, "ladder": True}])
def test_a_score_of_its_own_keeps_the_strategy_on_simpy(targeted):
    sc = _scenario({"own_score": {"prompt_pay_discount": DISCOUNT, "targeted_offer": targeted}})
    pop = draw_population(sc, 1)
    assert World(sc, "own_score", pop, hybrid=True).numpy_accounts is None
