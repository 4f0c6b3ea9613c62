"""The payment plan in NumPy (issue 27) agrees with the SimPy engine account by account: every
payment day and instalment day (to the last bit), every ledger row of the patient balances (day,
kind and cent), every open balance and every counter of the plan, payments, charity care and the
write-off; seeded. On the shipped scenario with plans (parameters/finance_levers.yaml), on plans
that meet the baseline's prompt-pay discount, deposit, reminders in flight and a charity screening
and write-off that the plan defers until it defaults, and on random plan settings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.core.ledger import Kind
from simlib.levers.payment_plan import PaymentPlanLever
from simlib.model import vectorized as V
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

from tests.test_hybrid import assert_identical as hybrid_identical, small
from tests.test_vectorized import BASELINE, assert_same_paths
from tests.test_vectorized_offers import assert_same_rows

ROOT = Path(__file__).resolve().parents[1]
COUNTERS = (*PaymentPlanLever.counters, "patient_payments", "discounts", "bad_debt_write_offs", "deposits",
            "charity_adjustments", "charity_free_care", "contacts", "reached_letter", "reached_sms")

#: the finance_levers scenario's plan (and the baseline search's)
PLAN = {"balance_min": 300, "offer_day": 0, "uptake_rate": 0.35, "sizing": "ability", "affordability_share": 1.0,
        "instalment_min": 25, "max_months": 24, "month_days": 30, "autopay_rate": 0.5,
        "autopay_miss_factor": 0.5, "miss_base_rate": 0.15, "miss_elasticity": 1.0, "default_after_misses": 2}


def plan_scenario(plan=None, screening="at_write_off", encounters_per_day=5.0, warm_up_days=0, after_days=150):
    """The baseline's payers, patients, channels, contact response and financial assistance policy,
    no disputes or denials; strategies with a ``plan`` (default :data:`PLAN`): ``plans`` (the
    status quo's letters), ``plans_offers`` (texts and letters, the prompt-pay discount, a deposit,
    contact limits, the plan offered 20 days after the statement while the discount's window and
    letters in the post are open) and ``plans_no_plan`` (the same without the plan)."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(horizon_days=500, billing_window_days=180, measurement_day=200,
                              ar_window_days=60, encounters_per_day=encounters_per_day,
                              open_book_accounts=0 if warm_up_days else 40, warm_up_days=warm_up_days,
                              replications=2, workers=1)
    data["operations"]["billing_team"]["billing_error_rate"] = 0.0
    data["finance"]["financial_assistance"]["screening"] = screening
    for payer in data["payers"].values():
        payer["initial_denial_rate"] = 0.0
    data.pop("uncertain", None)
    plan = {**PLAN, **(plan or {})}
    base = data["strategies"]["letters_only"]
    offers = {**data["strategies"]["combined"], "payment_plan": {**plan, "offer_day": 20 + plan["offer_day"]},
              "ladder": [s for s in data["strategies"]["combined"]["ladder"] if s["channel"] != "call"]}
    del offers["phone_team"]
    write_off = {"after_days": after_days, "below_balance": 5}
    data["strategies"] = {"plans": {**base, "payment_plan": plan, "write_off": write_off},
                          "plans_offers": {**offers, "write_off": write_off},
                          "plans_no_plan": {**offers, "payment_plan": None, "write_off": write_off}}
    return scenario_from_dict(data, "plans")


def assert_identical(sc, strategy, pop):
    e, v = assert_same_rows(sc, strategy, pop)
    assert_same_paths(sc, strategy, pop)
    for key in COUNTERS:
        assert e.counters[key] == v.counters[key], key
    return e, v


def deferred_write_offs(sc, strategy, v) -> int:
    """Write-offs later than the strategy's write-off day: a plan deferred them until it defaulted."""
    rows = v.rows
    wo = rows.kind == Kind.WRITE_OFF_BAD_DEBT
    days = rows.day[wo] - v.statement_day[(rows.receivable[wo] - 1) // 2]
    return int((days > sc.strategies[strategy].write_off.after_days + 1e-9).sum())


def test_the_finance_scenarios_plans_are_the_engines():
    """The shipped strategy with plans (disputes too: the hybrid keeps the disputed on SimPy)."""
    sc = small(ROOT / "parameters" / "finance_levers.yaml", encounters_per_day=4.0)
    assert V.capacity_free_problems(sc, "payment_plans", per_account=True) == [] and "payment_plan" in V.SIMULATED
    pop = draw_population(sc, 3)
    assert hybrid_identical(sc, "payment_plans", pop) > 0.9  # the share of patient balances in NumPy
    c = World(sc, "payment_plans", pop, hybrid=True).run().counters
    assert c["plans"] > 80 and c["plan_defaults"] > 10 and c["plans_completed"] > 30  # teeth
    assert 0 < c["plans_autopay"] < c["plans"] and c["plan_misses"] > c["plan_defaults"]


@pytest.mark.parametrize("strategy", ["plans", "plans_offers"])
def test_plans_that_defer_the_screening_and_the_write_off(strategy):
    """Half the instalments missed, default at the third miss, write-off 150 days after the
    statement: many plans hold their account on that day and default later; the screening and the
    write-off happen on the default's day (the screening first)."""
    sc = plan_scenario({"miss_base_rate": 0.4, "default_after_misses": 3, "uptake_rate": 0.6})
    pop = draw_population(sc, 2)
    e, v = assert_identical(sc, strategy, pop)
    c = e.counters
    assert c["plans"] > 100 and c["plan_defaults"] > 20 and c["charity_adjustments"] > 20
    assert deferred_write_offs(sc, strategy, v) > 5
    if strategy == "plans_offers":
        assert c["discounts"] > 10 and c["deposits"] > 50


def test_a_plan_changes_what_the_accounts_it_holds_do():
    """Against the same strategy without the plan: fewer reminders, instalment rows, and the plan's
    accounts pay nothing of their own while it holds them."""
    sc = plan_scenario({"miss_base_rate": 0.4, "default_after_misses": 3, "uptake_rate": 0.6})
    pop = draw_population(sc, 2)
    with_plan, without = V.simulate(sc, "plans_offers", pop), V.simulate(sc, "plans_no_plan", pop)
    assert with_plan.counters["contacts"] < without.counters["contacts"]
    assert (with_plan.rows.kind == Kind.COST_PLAN_ADMIN).sum() == \
        with_plan.counters["plans"] + with_plan.counters["plan_instalments"] + with_plan.counters["plan_misses"]


@pytest.mark.parametrize("misses", [1, 2])
def test_a_plan_that_defaults_inside_the_discount_window(misses):
    """Every instalment missed (miss probability 1), every 5 days: the plan offered 20 days after
    the statement defaults on its offer day or 5 days later, inside the prompt-pay discount's
    30-day window; the plan ended the offer (no discount for them), and the patient pays again."""
    plan = {"miss_base_rate": 1.0, "miss_elasticity": 0.0, "autopay_miss_factor": 1.0, "month_days": 5.0,
            "default_after_misses": misses, "uptake_rate": 0.7, "uptake_elasticity": 0.0, "balance_min": 0}
    sc = plan_scenario(plan, encounters_per_day=4.0)
    pop = draw_population(sc, 9)
    e, v = assert_identical(sc, "plans_offers", pop)
    c = e.counters
    assert c["plan_defaults"] == c["plans"] > 100 and c["plan_instalments"] == 0 and c["discounts"] > 10
    handed_back = np.unique((v.rows.receivable[v.rows.kind == Kind.COST_PLAN_ADMIN] - 1) // 2)
    own = np.isin((v.rows.receivable - 1) // 2, handed_back)
    assert not (own & (v.rows.kind == Kind.DISCOUNT)).any()  # the plan ended their offer
    assert (own & (v.rows.kind == Kind.PAYMENT_PATIENT)).sum() > 50


def test_plans_with_a_warm_up_and_presumptive_charity():
    sc = plan_scenario({"sizing": "even", "max_months": 6, "month_days": 14.5, "uptake_rate": 0.6}, screening="presumptive",
                       warm_up_days=60, encounters_per_day=4.0)
    pop = draw_population(sc, 5)
    e, _ = assert_identical(sc, "plans_offers", pop)
    assert e.counters["plans"] > 50 and e.counters["plans_completed"] > 20


@hst.composite
def random_plan(draw):
    """Random plan settings (every field that changes a path) and a replication."""
    plan = {"balance_min": draw(hst.sampled_from([0, 150, 600])),
            "offer_day": draw(hst.sampled_from([0, 7, 30.5])),
            "uptake_rate": draw(hst.sampled_from([0.2, 0.6, 1.0])),
            "uptake_elasticity": draw(hst.sampled_from([0.0, 0.5, 2.0])),
            "uptake_max": draw(hst.sampled_from([0.5, 1.0])),
            "sizing": draw(hst.sampled_from(["ability", "even"])),
            "affordability_share": draw(hst.sampled_from([0.3, 1.0, 2.0])),
            "instalment_min": draw(hst.sampled_from([0, 25, 400])),
            "max_months": draw(hst.sampled_from([1, 6, 24])),
            "month_days": draw(hst.sampled_from([7.0, 30.0, 30.4375])),
            "autopay_rate": draw(hst.sampled_from([0.0, 0.5, 1.0])),
            "autopay_miss_factor": draw(hst.sampled_from([0.2, 1.0])),
            "miss_base_rate": draw(hst.sampled_from([0.0, 0.1, 0.6, 1.0])),
            "miss_elasticity": draw(hst.sampled_from([0.0, 1.0, 2.5])),
            "default_after_misses": draw(hst.sampled_from([1, 2, 5])),
            "setup_cost": draw(hst.sampled_from([0.0, 15.5])),
            "cost_per_instalment": draw(hst.sampled_from([0.0, 1.0]))}
    return plan, draw(hst.sampled_from(["at_write_off", "presumptive"])), draw(hst.sampled_from([90, 240])), \
        draw(hst.sampled_from(["plans", "plans_offers"])), draw(hst.integers(0, 50))


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_plan())
def test_random_plan_settings(case):
    plan, screening, after_days, strategy, replication = case
    sc = plan_scenario(plan, screening=screening, encounters_per_day=1.2, after_days=after_days)
    assert_identical(sc, strategy, draw_population(sc, replication))


def test_plans_are_the_same_in_blocks_of_any_size(monkeypatch):
    """The hybrid runs its NumPy accounts in blocks (simlib.model.population_rows): a plan's takers,
    terms and monthly misses are read per encounter, so blocks of 7 or 1 give pure SimPy's rows."""
    from simlib.model import hybrid
    from simlib.model.vectorized_rows import canonical_order
    sc = small(ROOT / "parameters" / "finance_levers.yaml", encounters_per_day=1.0, warm_up_days=30)
    pop = draw_population(sc, 4)
    simpy = World(sc, "payment_plans", pop, hybrid=False).run()
    assert simpy.counters["plans"] > 10 and simpy.counters["plan_defaults"] > 0
    for block in (7, 1):
        monkeypatch.setattr(hybrid, "BLOCK_ACCOUNTS", block)
        result = World(sc, "payment_plans", pop, hybrid=True).run()
        oa, ob = canonical_order(simpy.ledger), canonical_order(result.ledger)
        for column in ("receivable", "day", "kind", "amount"):
            np.testing.assert_array_equal(getattr(simpy.ledger, column)[oa], getattr(result.ledger, column)[ob])
        np.testing.assert_array_equal(simpy.open_cents, result.open_cents)
        assert +simpy.counters == +result.counters
