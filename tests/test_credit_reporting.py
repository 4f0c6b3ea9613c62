"""Credit reporting (issue 23 item 4): the ledger of a report and its complaint by hand, the
intensity it adds, the removal on payment, and the rules (US bureaus' wait and floor; refused in
France and Chile, naming the law and its source)."""
from __future__ import annotations

import pytest

from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict
from simlib.world.account import PatientAccount
from conftest import assert_refused
from test_levers import rows, run, tiny

REPORT = {"report_days": 365, "balance_min": 500, "cost_per_report": 2.5, "intensity_uplift": 0.5}


def reported(complaint_rate: float, balance: float = 1000.0, **behaviour) -> dict:
    data = tiny({"credit_reporting": {**REPORT, "complaint_rate": complaint_rate}, "write_off": {"after_days": 500}},
                balance=balance, ability=500.0, **behaviour)
    data["finance"] = {"us_nonprofit": False}
    data["harm"] = {"contribution_margin_ratio": 0.3, "future_encounters_per_patient": 2.0,
                    "attrition_per_complaint": 0.25, "cost_per_complaint": 15.5}
    return data


def test_a_report_and_its_complaint_to_the_cent():
    res, pop = run(reported(1.0))
    # lost margin: P(lost) rises 0 → 0.25; × 2 encounters × the €1,000 stay × 30 % = €150
    assert int(pop.allowed_cents[0]) == 100000
    assert rows(res) == [(0.0, "BILLED", 100000), (365.0, "COST_CONTACT", 250), (365.0, "COST_COMPLAINT", 1550),
                         (365.0, "LOST_MARGIN_ATTRITION", 15000), (500.0, "WRITE_OFF_BAD_DEBT", 100000)]
    c = res.counters
    assert (c["credit_reports"], c["complaints"], c["patients_lost_micro"]) == (1, 1, 250000)
    res, _ = run(reported(0.0))
    assert rows(res)[1:] == [(365.0, "COST_CONTACT", 250), (500.0, "WRITE_OFF_BAD_DEBT", 100000)]
    assert res.counters["complaints"] == 0


def test_no_report_below_the_floor():
    data = reported(1.0)
    data["strategies"]["s"]["credit_reporting"]["balance_min"] = 1000.01
    res, _ = run(data)
    assert res.counters["credit_reports"] == 0 and len(rows(res)) == 2


def test_no_report_for_a_patient_paying_on_a_plan():
    """€3,000 over 18 even months: €1,000 still owed on day 365, on a plan in good standing."""
    data = reported(1.0, balance=3000.0)
    data["strategies"]["s"]["payment_plan"] = {"uptake_rate": 1.0, "sizing": "even", "max_months": 18,
                                               "miss_base_rate": 0.0}
    res, _ = run(data)
    assert res.counters["credit_reports"] == 0 and res.counters["plans"] == 1


def test_the_report_raises_the_intensity_by_the_uplift_times_the_statements():
    sc = scenario_from_dict(reported(0.0, initial_per_day=0.04))
    pop = draw_population(sc, 0)
    world = World(sc, "s", pop)
    acct = PatientAccount(world, 0, 100000)
    acct.now = acct.t0 = 365.0
    assert acct.initial_lam == pytest.approx(0.04)  # no spread of propensity, no balance elasticity
    before = acct.lam
    world.levers["credit_reporting"].report(acct, None)
    assert acct.lam - before == pytest.approx(0.5 * 0.04, rel=1e-12)


def test_a_reported_patient_who_pays_is_removed_and_pays_sooner_than_unreported():
    """30 patients, the same draws with and without the report's effect (common random numbers):
    none pays later, some pay sooner, each payment after the report removes it."""
    data = reported(0.0, initial_per_day=0.001, decay_per_day=0.0005)
    data["simulation"]["open_book_accounts"] = 30
    data["strategies"]["s"]["credit_reporting"]["intensity_uplift"] = 5.0

    def paid_days(uplift: float):
        data["strategies"]["s"]["credit_reporting"]["intensity_uplift"] = uplift
        res, pop = run(data)
        return res, [next((d for d, k, _ in rows(res, 2 * i + 1) if k == "PAYMENT_PATIENT"), None)
                     for i in range(pop.n)]

    res, with_report = paid_days(5.0)
    _, without = paid_days(0.0)
    assert [d for d in with_report if d is not None and d < 365] == [d for d in without if d is not None and d < 365]
    sooner = sum(1 for a, b in zip(with_report, without) if a is not None and (b is None or a < b))
    assert sooner >= 3 and all(b is None or (a is not None and a <= b) for a, b in zip(with_report, without))
    after = sum(1 for d in with_report if d is not None and d >= 365)
    assert res.counters["credit_reports_removed_paid"] == after > 0


def test_rule_us_bureaus_wait_a_year_and_skip_balances_under_500():
    data = reported(0.0)
    data["strategies"]["s"]["credit_reporting"].update(report_days=200, balance_min=100)
    assert_refused(data, "credit_reporting.report_days: expected at least 365 days", "cdiaonline.org",
             "credit_reporting.balance_min: expected at least 500 USD", "vacated")
    scenario_from_dict(reported(0.0))


@pytest.mark.parametrize("code,law,source", [("FR", "FICP", "legifrance"), ("CL", "Ley 21.504", "bcn.cl")])
def test_rule_credit_reporting_refused_where_the_law_forbids_it(code, law, source):
    data = reported(0.0)
    data["jurisdiction"] = code
    if code == "CL":
        data["strategies"]["s"]["contact_limits"] = {"calls_per_7_days_max": 1, "messages_per_7_days_max": 2,
                                                     "quiet_hours": [20, 8]}
    assert_refused(data, "credit_reporting: a patient's bill may not be reported to a credit bureau", law, source)
