"""The payment methods' processing fees in NumPy (issue 27, simlib.model.vectorized_payment_methods)
agree with the SimPy lever account by account: every FEE_PROCESSING row (day to the last bit, cent)
and the card and bank-transfer counters, with a prompt-pay discount (the fee is on what reached the
hospital), a payment plan (its instalments carry none) and random fee settings; the hybrid runs
self_service's status quo in NumPy. Seeded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.core.ledger import Kind
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

from tests.test_hybrid import assert_identical, small

ROOT = Path(__file__).resolve().parents[1]
US_CARD = {"card_share": 0.7, "card_fee_rate": 0.029, "card_fee_fixed": 0.30, "bank_transfer_fee": 0.25}


def scenario(methods: dict, extra: dict | None = None):
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=60)
    keep = {name: data["strategies"][name] for name in ("letters_only", "prompt_pay_discount")}
    for st in keep.values():
        st["payment_methods"] = methods
        st.update(extra or {})
    data["strategies"] = keep
    return scenario_from_dict(data, "payment methods (small)")


def fees(result) -> tuple[np.ndarray, np.ndarray]:
    m = result.ledger.kind == Kind.FEE_PROCESSING
    order = np.lexsort((result.ledger.day[m], result.ledger.receivable[m]))
    return result.ledger.receivable[m][order], result.ledger.amount[m][order]


@pytest.mark.parametrize("strategy", ["letters_only", "prompt_pay_discount"])
def test_the_fees_equal_the_levers(strategy):
    sc = scenario(US_CARD)
    pop = draw_population(sc, 2)
    assert assert_identical(sc, strategy, pop) > 0.9  # every row, cent, day and counter
    a = World(sc, strategy, pop, hybrid=True).run()
    r, cents = fees(a)
    paid = a.counters["patient_payments"]
    assert a.counters["card_payments"] + a.counters["bank_transfer_payments"] == r.size > 0.9 * paid
    assert set(cents.tolist()) >= {25} and (cents > 30).any()  # transfers' fixed fee; cards' rate and fixed part


def test_a_plans_instalments_carry_no_fee():
    plan = {"balance_min": 300, "offer_day": 0, "uptake_rate": 0.5, "max_months": 6, "default_after_misses": 2,
            "miss_base_rate": 0.2}
    sc = scenario(US_CARD, {"payment_plan": plan})
    pop = draw_population(sc, 1)
    assert assert_identical(sc, "letters_only", pop) > 0.9
    a = World(sc, "letters_only", pop, hybrid=True).run()
    assert a.counters["plan_instalments"] > 0
    assert a.counters["card_payments"] + a.counters["bank_transfer_payments"] == fees(a)[0].size \
        <= a.counters["patient_payments"]


@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(share=hst.sampled_from([0.0, 0.35, 1.0]), rate=hst.floats(0.0, 0.05), fixed=hst.sampled_from([0.0, 0.3, 0.015]),
       transfer=hst.sampled_from([0.0, 0.25, 1.1]), replication=hst.integers(0, 20))
def test_random_fee_settings(share, rate, fixed, transfer, replication):
    sc = scenario({"card_share": share, "card_fee_rate": rate, "card_fee_fixed": fixed, "bank_transfer_fee": transfer})
    assert_identical(sc, "prompt_pay_discount", draw_population(sc, replication))


def test_self_services_status_quo_runs_in_numpy():
    sc = small(ROOT / "parameters" / "self_service.yaml", encounters_per_day=2.0, warm_up_days=60)
    assert assert_identical(sc, "letters_only", draw_population(sc, 0)) > 0.9
