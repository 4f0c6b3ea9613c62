"""The deposit at service in NumPy (issue 27) agrees with the SimPy engine account by account:
every payment day (to the last bit), every ledger row of the patient balances (day, kind and cent),
every open balance and every counter of the deposit, charity care and payments; seeded. With the
baseline's financial assistance policy (presumptive, and before the write-off), its prompt-pay
discount and contact limits, deposits above the balance (refunds) and random deposit settings."""
from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.core.ledger import Kind
from simlib.levers.deposit import DepositLever
from simlib.levers.financial_assistance import FapScreening
from simlib.model import vectorized as V
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

from tests.test_vectorized import BASELINE, assert_same_paths
from tests.test_vectorized_offers import assert_same_rows

COUNTERS = (*DepositLever.counters, *FapScreening.counters, "patient_payments", "discounts",
            "bad_debt_write_offs", "contacts", "complaints", "opt_outs", "suppressed_contacts")


def deposit_scenario(screening="presumptive", encounters_per_day=6.0, warm_up_days=0, discount=None, **deposit):
    """The baseline's payers, patients, contact response and financial assistance policy, no
    disputes or denials; its ``deposit`` strategy, ``combined`` without its calls (messages, the
    prompt-pay discount, the deposit and contact limits) and ``deposit_all``: the whole estimate
    asked, a wide estimate error (refunds), a flat compliance, ``deposit`` overrides and a
    prompt-pay ``discount``."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(horizon_days=400, billing_window_days=180, measurement_day=200,
                              ar_window_days=60, encounters_per_day=encounters_per_day,
                              open_book_accounts=0 if warm_up_days else 40, warm_up_days=warm_up_days,
                              replications=2, workers=1)
    data["operations"]["billing_team"]["billing_error_rate"] = 0.0
    data["finance"]["financial_assistance"]["screening"] = screening
    for payer in data["payers"].values():
        payer["initial_denial_rate"] = 0.0
    data.pop("uncertain", None)  # its deposit entry needs equal compliance rates in every strategy
    combined = dict(data["strategies"]["combined"])
    combined["ladder"] = [s for s in combined["ladder"] if s["channel"] != "call"]
    del combined["phone_team"]
    all_of_it = {**data["strategies"]["deposit"],
                 "deposit": {"share": 1.0, "compliance_rate": 0.9, "compliance_half_months": None,
                             "estimate_error_sigma": 0.5, "excluded_payers": [], **deposit},
                 "prompt_pay_discount": discount}
    data["strategies"] = {"deposit": data["strategies"]["deposit"], "combined_messages": combined,
                          "deposit_all": all_of_it}
    return scenario_from_dict(data, "deposit")


def assert_identical(sc, strategy, pop):
    e, v = assert_same_rows(sc, strategy, pop)
    assert_same_paths(sc, strategy, pop)
    for key in COUNTERS:
        assert e.counters[key] == v.counters[key], key
    return e, v


@pytest.mark.parametrize("strategy", ["deposit", "combined_messages", "deposit_all"])
def test_the_baselines_deposit_with_presumptive_charity(strategy):
    sc = deposit_scenario()
    pop = draw_population(sc, 3)
    e, v = assert_identical(sc, strategy, pop)
    c = e.counters
    assert c["deposits"] > 100 and c["deposits_declined"] > 50 and c["deposit_fap_refunds"] > 10  # teeth
    if strategy == "deposit":
        assert c["care_deferred"] > 10
    if strategy == "deposit_all":  # estimates above the final responsibility are refunded
        assert c["deposit_refunds"] > 50
        refunds = v.rows.kind == Kind.REFUND_PATIENT
        assert (v.rows.day[refunds] > pop.service_day[(v.rows.receivable[refunds] - 1) // 2]).all()
    if strategy == "combined_messages":
        assert c["discounts"] > 20


def test_the_deposit_with_charity_screened_before_the_write_off_and_a_warm_up():
    """The screening before write-off refunds what a deposit paid beyond the patient's share; with
    a warm-up the deposits of the warm-up's encounters are asked on its first day."""
    sc = deposit_scenario(screening="at_write_off", warm_up_days=60, share=0.6)
    pop = draw_population(sc, 5)
    assert (pop.service_day < 0).sum() > 100
    for strategy in ("deposit", "deposit_all"):
        e, _ = assert_identical(sc, strategy, pop)
        assert e.counters["charity_adjustments"] > 20 and e.counters["deposits"] > 200
    assert e.counters["deposit_fap_refunds"] > 5  # deposit_all: most accounts hold a deposit


@hst.composite
def random_deposit(draw):
    """Random deposit settings, financial assistance screening and prompt-pay discount."""
    deposit = {"share": draw(hst.sampled_from([0.05, 0.5, 1.0])),
               "compliance_rate": draw(hst.sampled_from([0.0, 0.4, 1.0])),
               "compliance_half_months": draw(hst.sampled_from([None, 0.5, 2.0])),
               "compliance_steepness": draw(hst.sampled_from([0.5, 1.0, 3.0])),
               "estimate_error_sigma": draw(hst.sampled_from([0.0, 0.25, 0.8])),
               "propensity_correlation": draw(hst.sampled_from([0.0, 0.5, 0.9])),
               "declined_care_deferral_rate": draw(hst.sampled_from([0.0, 0.3])),
               "ask_cost": draw(hst.sampled_from([0.0, 2.6])),
               "excluded_payers": draw(hst.sampled_from([[], ["medicaid"], ["self_pay", "commercial"]]))}
    discount = draw(hst.sampled_from([None, {"rate": 0.1, "window_days": 30}]))
    return deposit, draw(hst.sampled_from(["presumptive", "at_write_off"])), discount, draw(hst.integers(0, 50))


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_deposit())
def test_random_deposit_settings(case):
    deposit, screening, discount, replication = case
    sc = deposit_scenario(screening=screening, encounters_per_day=1.5, discount=discount, **deposit)
    assert_identical(sc, "deposit_all", draw_population(sc, replication))


def test_a_deposit_is_in_the_subset_and_its_rows_balance():
    """Deposits no longer keep a strategy out of the NumPy model; with them every patient balance
    still balances to the cent: billed = payments − refunds + adjustments + write-offs + open."""
    sc = deposit_scenario(encounters_per_day=3.0)
    assert V.capacity_free_problems(sc, "deposit") == [] and "deposit" in V.SIMULATED
    pop = draw_population(sc, 8)
    v = V.simulate(sc, "deposit_all", pop)
    rows = v.rows
    moved = np.zeros(pop.n, np.int64)
    sign = {Kind.PAYMENT_PATIENT: 1, Kind.REFUND_PATIENT: -1, Kind.CHARITY_CARE: 1, Kind.DISCOUNT: 1,
            Kind.WRITE_OFF_BAD_DEBT: 1, Kind.WRITE_OFF_SMALL: 1}
    for kind, s in sign.items():
        m = rows.kind == kind
        np.add.at(moved, (rows.receivable[m] - 1) // 2, s * rows.amount[m])
    np.testing.assert_array_equal(moved + v.open_cents, pop.patient_cents)
