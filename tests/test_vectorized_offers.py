"""Charity screening and the prompt-pay discount in NumPy (issue 27) agree with the SimPy engine
account by account: every payment day (to the last bit), every ledger row of the patient balances
(day, kind and cent) and the counters; seeded."""
from __future__ import annotations

import numpy as np
import pytest
import yaml

from simlib.core.ledger import Kind
from simlib.model import vectorized as V
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_rows import canonical_order
from simlib.scenario.schema import scenario_from_dict

from tests.test_vectorized import BASELINE, assert_same_paths

DAY_TOLERANCE = 0.0  # days: the same actions, the same float operations, math's functions (simlib.core.scalar_math)


def offers_scenario(screening="presumptive", encounters_per_day=8.0, **fap):
    """The baseline's payers, patients, contact response and financial assistance policy; no
    disputes, no denials; the status quo, its prompt-pay discount and two more offers."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(horizon_days=400, billing_window_days=180, measurement_day=200,
                              ar_window_days=60, encounters_per_day=encounters_per_day,
                              open_book_accounts=60, warm_up_days=0, replications=2, workers=1)
    data["operations"]["billing_team"]["billing_error_rate"] = 0.0
    data["finance"]["financial_assistance"].update(screening=screening, **fap)
    for payer in data["payers"].values():
        payer["initial_denial_rate"] = 0.0
    keep = ("letters_only", "sms_reminders", "prompt_pay_discount")
    strategies = {k: v for k, v in data["strategies"].items() if k in keep}
    strategies["big_discount"] = {  # a large, long offer with text reminders inside its window
        "credit_terms_days": 20, "statement_channel": "email",
        "ladder": [{"day": 3, "channel": "sms"}, {"day": 10, "channel": "sms", "hour": None},
                   {"day": 45, "channel": "letter"}],
        "prompt_pay_discount": {"rate": 0.25, "window_days": 45},
        "write_off": {"after_days": 150, "below_balance": 10}}
    data["strategies"] = strategies
    return scenario_from_dict(data, "offers")


def patient_rows(ledger):
    """The engine's rows of the patient balances after their BILLED row, canonically sorted."""
    m = (ledger.receivable % 2 == 1) & (ledger.kind != Kind.BILLED)
    sub = type(ledger)(ledger.receivable[m], ledger.day[m], ledger.kind[m], ledger.amount[m])
    o = canonical_order(sub)
    return sub.receivable[o], sub.day[o], sub.kind[o], sub.amount[o]


def assert_same_rows(sc, strategy, pop):
    engine = World(sc, strategy, pop).run()
    v = V.simulate(sc, strategy, pop)
    er, ed, ek, ea = patient_rows(engine.ledger)
    o = canonical_order(v.rows)
    vr, vd, vk, va = v.rows.receivable[o], v.rows.day[o], v.rows.kind[o], v.rows.amount[o]
    np.testing.assert_array_equal(er, vr)
    np.testing.assert_array_equal(ek, vk)
    np.testing.assert_array_equal(ea, va)
    np.testing.assert_allclose(ed, vd, rtol=0, atol=DAY_TOLERANCE)
    np.testing.assert_array_equal(engine.open_cents[1::2], v.open_cents)
    for key in ("charity_adjustments", "charity_free_care", "discounts", "patient_payments",
                "bad_debt_write_offs", "contacts", "complaints", "opt_outs"):
        assert engine.counters[key] == v.counters[key], key
    return engine, v


@pytest.mark.parametrize("strategy", ["letters_only", "sms_reminders"])
def test_presumptive_charity_on_the_statement(strategy):
    sc = offers_scenario()
    pop = draw_population(sc, 7)
    e, v = assert_same_rows(sc, strategy, pop)
    assert_same_paths(sc, strategy, pop)
    c = e.counters
    assert c["charity_adjustments"] > 100 and 0 < c["charity_free_care"] < c["charity_adjustments"]  # teeth
    assert (v.charity_cents > 0).sum() == c["charity_adjustments"]


def test_charity_screened_before_the_write_off():
    sc = offers_scenario(screening="at_write_off", encounters_per_day=10.0)
    pop = draw_population(sc, 2)
    e, v = assert_same_rows(sc, "letters_only", pop)
    c = e.counters
    assert c["charity_adjustments"] > 20 and c["bad_debt_write_offs"] > 20
    # screened on the write-off day, just before it: the same day as the write-offs that follow
    charity = v.rows.kind == Kind.CHARITY_CARE
    after = v.rows.day[charity] - v.statement_day[(v.rows.receivable[charity] - 1) // 2]
    np.testing.assert_allclose(after, sc.strategies["letters_only"].write_off.after_days, rtol=0, atol=1e-9)


@pytest.mark.parametrize("strategy", ["prompt_pay_discount", "big_discount"])
def test_prompt_pay_discount(strategy):
    sc = offers_scenario()
    pop = draw_population(sc, 11)
    e, v = assert_same_rows(sc, strategy, pop)
    assert_same_paths(sc, strategy, pop)
    assert e.counters["discounts"] > 50 and v.discount_cents.sum() > 0  # teeth


def test_charity_for_some_payers_only_and_a_plain_discount():
    sc = offers_scenario(payers=["self_pay", "commercial"], identification_rate=0.6)
    pop = draw_population(sc, 4)
    e, _ = assert_same_rows(sc, "big_discount", pop)
    assert e.counters["charity_adjustments"] > 20


def test_actions_exactly_on_the_horizon_are_the_engines():
    """The engine acts at the horizon itself (a statement, a write-off due on it) and not after:
    bills moved so that those fall exactly on the horizon give the same rows."""
    sc = offers_scenario(encounters_per_day=3.0)
    pop = draw_population(sc, 5)
    horizon, lag = sc.simulation.horizon_days, sc.operations.statement_lag_days
    after = sc.strategies["letters_only"].write_off.after_days
    idx = np.flatnonzero(pop.patient_cents > 0)
    pop.bill_day[idx[:20]] = horizon - lag                 # stated on the horizon
    pop.bill_day[idx[20:40]] = horizon - lag - after       # written off on the horizon
    e, v = assert_same_rows(sc, "letters_only", pop)
    on = v.rows.day == horizon
    assert (v.rows.kind[on] == Kind.COST_STATEMENT).sum() == 20 and (v.rows.kind[on] == Kind.WRITE_OFF_BAD_DEBT).any()
