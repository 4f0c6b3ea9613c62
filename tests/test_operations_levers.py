"""Issue 26, item 2: billing and claims quality investments and coverage discovery, each against a
hand-computed expectation on a seeded population (common random numbers: the claims the levers spare
are exactly those whose uniform falls between the two rates)."""
from __future__ import annotations

import numpy as np
import pytest

from simlib.core.ledger import Kind
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import ScenarioError, scenario_from_dict


def clinic(strategy: dict, payers: dict | None = None, **operations) -> dict:
    """A small clinic: 40 encounters a day for 20 days (plus 30 open-book accounts), one insurer
    denying half its claims at first, and self-pay patients; billing errors on 20 % of bills."""
    ops = {"statement_lag_days": 5, "billing_team": {"billing_error_rate": 0.2}}
    ops.update(operations)
    return {
        "name": "clinic",
        "simulation": {"horizon_days": 200, "billing_window_days": 20, "encounters_per_day": 40,
                       "open_book_accounts": 30, "open_book_age_days_max": 60,
                       "measurement_day": 100, "ar_window_days": 60, "seed": 11, "warm_up_days": 0},
        "payers": payers or {
            "commercial": {"share": 0.69, "allowed_median": 1000, "patient_share": 0.2,
                           "initial_denial_rate": 0.5, "overturn_rate": 0.5},
            "medicaid": {"share": 0.01, "allowed_median": 800, "patient_share": 0.1,
                         "initial_denial_rate": 0.0, "submission_lag_days": 0, "adjudication_days_min": 20,
                         "adjudication_days_mean": 20},
            "self_pay": {"share": 0.3, "allowed_median": 500, "allowed_sigma": 0.0, "patient_share": 1.0}},
        "operations": ops,
        "strategies": {"status_quo": {"baseline": True}, "s": strategy},
    }


def world(data: dict, strategy: str = "s", trace: bool = False) -> World:
    sc = scenario_from_dict(data)
    return World(sc, strategy, draw_population(sc, 0), trace=trace)


def test_an_eligibility_check_spares_exactly_the_claims_between_the_two_rates_and_books_its_price():
    """Denied iff u < 0.5 without, u < 0.5 × (1 − 0.4) = 0.3 with (new encounters); the open book keeps 0.5.
    Price: $36.50 a year = 10 cents a day over 200 days, and $1 for each of the new encounters."""
    data = clinic({"eligibility_check": {"denial_reduction": 0.4, "fixed_cost_per_year": 36.5,
                                         "cost_per_account": 1.0}})
    before, after = world(data, "status_quo"), world(data)
    pop = after.pop
    ins = pop.payer == 0
    new = ~pop.open_book
    assert np.array_equal(np.array(before.denied)[ins], pop.denial_u[ins] < 0.5)
    expected = np.where(new, pop.denial_u < 0.3, pop.denial_u < 0.5)
    assert np.array_equal(np.array(after.denied)[ins], expected[ins])
    assert np.count_nonzero(np.array(before.denied)[ins & new]) > np.count_nonzero(expected[ins & new]) > 0
    res = after.run()
    led = res.ledger
    cost = led.amount[led.kind == Kind.COST_BILLING_QUALITY]
    assert int(cost.sum()) == 200 * 10 + 100 * int(np.count_nonzero(new))
    assert res.counters["quality_accounts"] == int(np.count_nonzero(new))
    assert res.counters["claims_denied"] < before.run().counters["claims_denied"]


def test_billing_training_lowers_the_error_rate_of_new_bills_only():
    """A bill has an error iff its uniform is below 0.2 (status quo) or 0.2 × (1 − 0.5) (training)."""
    data = clinic({"billing_training": {"billing_error_reduction": 0.5, "fixed_cost_per_year": 0}})
    before, after = world(data, "status_quo"), world(data)
    pop = after.pop
    err_before = ~np.isnan(before.levers["price_estimate"].offset)
    err_after = ~np.isnan(after.levers["price_estimate"].offset)
    assert np.array_equal(err_before, pop.error_u < 0.2)
    assert np.array_equal(err_after, np.where(pop.open_book, pop.error_u < 0.2, pop.error_u < 0.1))
    assert not (err_after & ~err_before).any()
    res = after.run()
    assert res.counters["disputes"] < before.run().counters["disputes"]
    assert not res.ledger.mask([Kind.COST_BILLING_QUALITY]).any()  # free training books nothing


def test_investments_compound_and_the_scrubber_sends_statements_sooner():
    """Audit (8 %) and scrubber (12 %): 0.5 × 0.92 × 0.88 = 0.2024; statements 5 − 2 = 3 days after the bill."""
    data = clinic({"coding_audit": {"billing_error_reduction": 0.0}, "claims_scrubber": {}})
    w = world(data)
    pop = w.pop
    ins, new = pop.payer == 0, ~pop.open_book
    assert np.array_equal(np.array(w.denied)[ins & new], (pop.denial_u < 0.5 * 0.92 * 0.88)[ins & new])
    assert np.allclose(np.array(w.statement_day), pop.bill_day + np.where(new, 3.0, 5.0), rtol=0, atol=1e-12)
    lag = world(clinic({"claims_scrubber": {"statement_lag_days_saved": 9}}))
    assert np.allclose(np.array(lag.statement_day)[new], pop.bill_day[new])  # never before the bill


def test_coverage_discovery_bills_the_found_payer_to_the_cent():
    """Every self-pay account is found (rate 1) and billed to Medicaid: a claim of 90 % of the $500
    allowed, submitted 3 days after service, paid 20 days later (no denials), 15 % of it to the vendor
    that day; the patient owes 10 %, stated 5 days after the payment."""
    data = clinic({"coverage_discovery": {"found_rate": 1.0, "fee_rate": 0.15, "cost_per_search": 0.25}},
                  billing_team={"billing_error_rate": 0.0})
    w = world(data, trace=True)
    pop = w.pop
    found = np.flatnonzero((pop.payer == 2) & ~pop.open_book)
    assert len(found) > 100
    res = w.run()
    assert res.counters["coverage_found"] == res.counters["coverage_searches"] == len(found)
    led = res.ledger
    for i in found[:20].tolist():
        day = float(pop.service_day[i])
        m = led.receivable == 2 * i
        got = sorted((round(float(d), 9), Kind(int(k)).name, int(a)) for d, k, a in
                     zip(led.day[m], led.kind[m], led.amount[m]))
        assert got == sorted([(round(day, 9), "BILLED", 45000), (round(day + 23.0, 9), "PAYMENT_INSURER", 45000),
                              (round(day + 23.0, 9), "FEE_COVERAGE_DISCOVERY", 6750)])
        assert w.statement_day[i] == pytest.approx(day + 28.0, abs=1e-9)
        m = (led.receivable == 2 * i + 1) & (led.kind == Kind.BILLED)
        assert led.amount[m].tolist() == [5000]
    searches = led.amount[(led.kind == Kind.FEE_COVERAGE_DISCOVERY) & (led.receivable == -1)]
    assert searches.tolist() == [25] * len(found)


def test_coverage_discovery_finds_the_same_accounts_in_every_strategy_and_moves_no_other_draw():
    data = clinic({"coverage_discovery": {"found_rate": 0.3}})
    a, b = world(data), world(data)
    assert a.payer_of == b.payer_of
    before = world(data, "status_quo")
    sp = np.flatnonzero((a.pop.payer == 2) & ~a.pop.open_book)
    found = [i for i in sp.tolist() if a.payer_of[i] == "medicaid"]
    assert 0.2 < len(found) / len(sp) < 0.4
    others = [i for i in range(a.pop.n) if i not in set(found)]
    assert [a.statement_day[i] for i in others] == [before.statement_day[i] for i in others]
    assert [a.denied[i] for i in others] == [before.denied[i] for i in others]


def test_bad_settings_get_one_clear_line():
    with pytest.raises(ScenarioError, match=r"coverage_discovery.found_payer: expected an insurer"):
        scenario_from_dict(clinic({"coverage_discovery": {"found_payer": "self_pay"}}))
    with pytest.raises(ScenarioError, match=r"coverage_discovery.searched_payers: expected payers among"):
        scenario_from_dict(clinic({"coverage_discovery": {"searched_payers": ["uninsured"]}}))
    with pytest.raises(ScenarioError, match=r"eligibility_check.denial_reduction"):
        scenario_from_dict(clinic({"eligibility_check": {"denial_reduction": 1.5}}))
