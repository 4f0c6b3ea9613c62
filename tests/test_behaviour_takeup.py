"""Issue 9, item 6: take-up depends on the patient. Deposit compliance falls with the deposit
against the patient's ability to pay, plan and financing take-up rise with the balance against it,
a lender declines more of the less able, emergencies are never asked for a deposit, and a deposit
above the final responsibility is refunded through the ledger.

Each engine test uses only the settings that existed before the change (the defaults carry the
new behaviour), so it fails on the flat take-up of before."""
from __future__ import annotations

import numpy as np
import pytest

from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.model.metrics import compute
from simlib.levers.deposit import Deposit, compliance_probability
from simlib.levers.takeup import Uptake, approval_probability, uptake_probability
from simlib.scenario.schema import scenario_from_dict
from simlib.model.population import draw_population


def world(strategy: dict, balance: float = 400.0, ability: float = 97.0, n_per_day: float = 20.0,
          emergency_share: float = 0.0, seed: int = 11) -> tuple:
    """Self-pay patients owing exactly ``balance`` with ability exactly ``ability``, who never
    pay on their own (so only the lever moves money)."""
    data = {
        "name": "takeup",
        "simulation": {"horizon_days": 400, "billing_window_days": 100, "encounters_per_day": n_per_day,
                       "measurement_day": 300, "ar_window_days": 90, "seed": seed},
        "finance": {"financial_assistance": None},  # take-up alone (charity care: its own tests)
        "payers": {"self_pay": {"share": 1.0, "allowed_median": balance, "allowed_sigma": 0.0,
                                "patient_share": 1.0, "emergency_share": emergency_share}},
        "patients": {"ability_monthly_median": ability, "ability_sigma": 0.0, "propensity_sigma": 0.0},
        "behaviour": {"initial_per_day": 0.0, "due_date_jump_per_day": 0.0},
        "operations": {"statement_lag_days": 0, "billing_team": {"billing_error_rate": 0.0}},
        "strategies": {"s": {"statement_channel": "letter", **strategy}},
    }
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    WORLDS[id(pop)] = sc
    return World(sc, "s", pop).run(), pop


WORLDS: dict = {}  # population id -> its scenario (for metrics)


# --------------------------------------------------------------------------- deposit compliance
def test_compliance_formula_is_log_logistic_in_deposit_over_ability():
    dep = Deposit(share=0.5, compliance_rate=0.6, compliance_half_months=1.0, compliance_steepness=1.0)
    assert compliance_probability(dep, 97.0, 97.0) == pytest.approx(0.3)      # one month: half
    assert compliance_probability(dep, 0.0, 97.0) == pytest.approx(0.6)       # nothing asked: the base
    assert compliance_probability(dep, 291.0, 97.0) == pytest.approx(0.6 / 4)  # three months
    flat = Deposit(share=0.5, compliance_rate=0.6, compliance_half_months=None)
    assert compliance_probability(flat, 1e6, 1.0) == 0.6


def test_compliance_falls_with_the_deposit_at_fixed_ability():
    """Patients of the same ability pay a small deposit more often than a large one (flat before)."""
    rates = [deposit_share_paid(share, ability=97.0) for share in (0.1, 0.5, 1.0)]
    assert rates[0] > rates[1] + 0.05 and rates[1] > rates[2] + 0.03, rates


def test_compliance_rises_with_ability_at_a_fixed_deposit():
    rates = [deposit_share_paid(0.5, ability=a) for a in (40.0, 97.0, 400.0)]
    assert rates[0] + 0.05 < rates[1] and rates[1] + 0.05 < rates[2], rates


def deposit_share_paid(share: float, ability: float) -> float:
    """Share of (non-emergency, all here) encounters that paid the deposit."""
    res, pop = world({"deposit": {"share": share, "compliance_rate": 0.6}}, ability=ability)
    return res.counters["deposits"] / pop.n


def test_emergencies_are_never_asked_for_a_deposit():
    res, pop = world({"deposit": {"share": 0.5, "compliance_rate": 1.0}}, ability=1e6,
                     emergency_share=0.5)
    paid_at_service = np.zeros(pop.n, bool)
    led = res.ledger
    m = (led.kind == Kind.PAYMENT_PATIENT) & (led.day == pop.service_day[led.receivable // 2])
    paid_at_service[led.receivable[m] // 2] = True
    assert pop.emergency.any() and not paid_at_service[pop.emergency].any()
    assert paid_at_service[~pop.emergency].mean() > 0.9


# --------------------------------------------------------------------------- refunds
def test_a_deposit_above_the_final_responsibility_is_refunded_and_the_books_balance():
    """A full deposit on an estimate with error overpays about half the patients: each gets the
    excess back on the statement day, and billed = paid − refunded for every one of them."""
    res, pop = world({"deposit": {"share": 1.0, "compliance_rate": 1.0, "compliance_half_months": None}},
                     ability=97.0)
    led = res.ledger
    n = 2 * pop.n
    refunded = led.per_receivable([Kind.REFUND_PATIENT], n)
    paid = led.per_receivable([Kind.PAYMENT_PATIENT], n)
    billed = led.per_receivable([Kind.BILLED], n)
    got = refunded > 0
    assert 0.3 < got[1::2].mean() < 0.7 and res.counters["deposit_refunds"] == got.sum()
    assert np.array_equal(paid[got] - refunded[got], billed[got])
    assert (res.open_cents[got] == 0).all()
    rows = (led.kind == Kind.REFUND_PATIENT)
    assert np.allclose(led.day[rows], pop.bill_day[led.receivable[rows] // 2])  # statement lag 0
    m, _, _ = compute(res, pop, WORLDS[id(pop)])           # collections are net of refunds
    assert round(m["cash_collected"] * 100) == paid.sum() - refunded.sum()
    assert 0 < m["patient_collection_rate"] < 1


# --------------------------------------------------------------------------- plans and financing
def test_uptake_formula_rises_with_balance_over_ability_and_is_capped():
    u = Uptake(uptake_rate=0.3, uptake_ratio_ref_months=6.0, uptake_elasticity=0.5, uptake_max=0.8)
    assert uptake_probability(u, 600.0, 100.0) == pytest.approx(0.3)
    assert uptake_probability(u, 150.0, 100.0) == pytest.approx(0.15)
    assert uptake_probability(u, 1e7, 100.0) == 0.8
    assert uptake_probability(Uptake(uptake_rate=0.3, uptake_elasticity=0.0), 1e7, 1.0) == 0.3
    assert approval_probability(50.0, 2.0, 50.0) == 0.5
    assert approval_probability(50.0, 2.0, 25.0) < approval_probability(50.0, 2.0, 100.0)
    assert approval_probability(0.0, 2.0, 1.0) == 1.0


def plan_share(balance: float, ability: float) -> float:
    res, pop = world({"payment_plan": {"uptake_rate": 0.3, "balance_min": 0}}, balance, ability)
    return res.counters["plans"] / pop.n


def test_plan_uptake_rises_with_the_balance_and_falls_with_ability():
    by_balance = [plan_share(b, 97.0) for b in (150.0, 600.0, 3000.0)]
    assert by_balance[0] + 0.05 < by_balance[1] < by_balance[2] - 0.05, by_balance
    by_ability = [plan_share(600.0, a) for a in (40.0, 97.0, 400.0)]
    assert by_ability[0] > by_ability[1] + 0.05 > by_ability[2] + 0.1, by_ability


def test_financing_uptake_rises_with_the_balance_and_the_lender_declines_the_less_able():
    def financed(balance, ability):
        res, pop = world({"financing": {"uptake_rate": 0.3, "balance_min": 0}}, balance, ability)
        return res.counters["financed"] / pop.n, res.counters["financing_declined"] / pop.n
    small, large = financed(300.0, 97.0)[0], financed(3000.0, 97.0)[0]
    assert small + 0.05 < large
    # same balance in months of ability (take-up equal), lower ability: more declined
    rich, poor = financed(6 * 400.0, 400.0), financed(6 * 30.0, 30.0)
    assert poor[1] > rich[1] + 0.1 and poor[0] < rich[0] - 0.1, (rich, poor)
