"""A second payer per encounter (issue 23 item 3): coordination of benefits with a complementary
insurer (mutuelle, Medigap / Medicaid crossover, Chilean complementary insurance) and the tiers-payant
deadline with its legal late-payment penalties (Décret 2016-1069).

Validation against things outside the code: a ledger computed by hand for one encounter (paid and
denied), the working-day count against NumPy's business-day calendar (``np.busday_count``), and
the seeded aggregate against the closed form of the secondary's expected cash (binomial, 4 SD).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from simlib.core import receivables
from simlib.core.ledger import Kind, check_conservation
from simlib.model.engine import World
from simlib.model.metrics import compute
from simlib.model.population import draw_population
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from simlib.scenario.second_payer import TiersPayant, late_penalty_cents, working_day_of_payment
from tests.conftest import tiny

# an insured stay of exactly 1,000.00: the primary pays 80 % after exactly 10 days, leaving 200.00,
# of which the secondary pays 80 % (160.00) 6 days later; the patient owes 40.00
INSURED = {"share": 1.0, "allowed_median": 1000.0, "allowed_sigma": 0.0, "patient_share": 0.2,
           "submission_lag_days": 0.0, "adjudication_days_min": 10.0, "adjudication_days_mean": 10.0,
           "initial_denial_rate": 0.0, "emergency_share": 1.0}
SECONDARY = {"name": "mutuelle", "holders_share": 1.0, "covered_share": 0.8, "lag_days_min": 6.0,
             "lag_days_mean": 6.0, "denial_rate": 0.0}


def _scenario(payer: dict, encounters_per_day: float = 0.5, horizon: float = 300.0, **simulation):
    data = tiny(simulation={"encounters_per_day": encounters_per_day, "open_book_accounts": 0,
                            "billing_window_days": 100, "horizon_days": horizon, **simulation},
                behaviour={"initial_per_day": 0.5})  # every patient pays in full, soon
    data["payers"] = {"insured": payer}
    data["operations"]["statement_lag_days"] = 2.0
    return scenario_from_dict(data, "test")


def _rows(res, receivable: int) -> list[tuple[float, str, int]]:
    led = res.ledger
    at = np.flatnonzero(led.receivable == receivable)
    return sorted((round(float(led.day[k]), 9), Kind(int(led.kind[k])).name, int(led.amount[k])) for k in at)


@pytest.mark.parametrize("denied", [False, True])
def test_one_encounter_ledger_by_hand(denied):
    """Primary 800.00 at day s+10; secondary 160.00 at s+16 (or passed to the patient); the patient's
    statement at s+16+2 for 40.00 (or 200.00), paid in full; every ledger balances to the cent."""
    sc = _scenario({**INSURED, "secondary": {**SECONDARY, "denial_rate": 1.0 if denied else 0.0}})
    pop = draw_population(sc, 0)
    assert pop.n > 10 and pop.n_receivables == 3 * pop.n
    res = World(sc, "none", pop).run()
    check_conservation(res.ledger, res.open_cents)
    i = int(np.flatnonzero(pop.service_day < 50)[0])
    s = float(pop.service_day[i])
    rs = receivables.secondary_receivable(i, pop.n)
    assert _rows(res, 2 * i) == [(round(s, 9), "BILLED", 80000), (round(s + 10, 9), "PAYMENT_INSURER", 80000)]
    decided = round(s + 16, 9)
    if denied:
        assert _rows(res, rs) == [(round(s, 9), "BILLED", 16000), (decided, "TRANSFER_TO_PATIENT", 16000)]
    else:
        assert _rows(res, rs) == [(round(s, 9), "BILLED", 16000), (decided, "PAYMENT_INSURER", 16000)]
    patient = _rows(res, 2 * i + 1)
    owed = 20000 if denied else 4000
    expected_head = [(round(s, 9), "BILLED", 4000)] + ([(decided, "TRANSFER_FROM_PAYER", 16000)] if denied else [])
    assert patient[:len(expected_head)] == expected_head
    (pay_day, kind, amount), = [row for row in patient if row[1] == "PAYMENT_PATIENT"]
    assert amount == owed and pay_day >= s + 16 + 2  # the statement waits for the secondary
    assert res.open_cents[[2 * i, 2 * i + 1, rs]].tolist() == [0, 0, 0]
    m, _, _ = compute(res, pop, sc)
    assert m["secondary_denial_rate"] == (1.0 if denied else 0.0)
    # billed on the side that owes it: the patient's whole part collected, rate 1 on the cohort
    assert m["patient_collection_rate"] == pytest.approx(1.0)


def test_without_a_secondary_nothing_moves():
    """No ``secondary`` block: two receivables per encounter and no secondary metric."""
    sc = _scenario(dict(INSURED))
    pop = draw_population(sc, 0)
    assert pop.secondary_cents is None and pop.n_receivables == 2 * pop.n
    m, _, _ = compute(World(sc, "none", pop).run(), pop, sc)
    assert "secondary_denial_rate" not in m and "late_payment_penalties" not in m


def test_working_days_match_numpys_business_day_calendar():
    """Working day of payment = business days in (floor(submitted), floor(paid)], day 0 a Monday."""
    monday = np.datetime64("2024-01-01")  # a Monday
    rng = np.random.default_rng(3)
    for _ in range(500):
        a = float(rng.uniform(-30, 300))
        b = a + float(rng.uniform(0, 60))
        want = int(np.busday_count(monday + int(math.floor(a)) + 1, monday + int(math.floor(b)) + 1))
        assert working_day_of_payment(a, b) == want, (a, b)


def test_penalty_rule_of_the_decree():
    rule = TiersPayant()
    assert [late_penalty_cents(rule, 123456, d) for d in (7, 8, 9, 10, 30)] == [0, 100, 100, 12346, 12346]


@pytest.mark.parametrize("lag", [8.0, 11.0, 16.0])
def test_tiers_payant_late_penalties_by_hand(lag):
    """Every claim paid ``lag`` calendar days after submission: on time (≤ 7 working days) no
    penalty, working day 8–9 €1, from day 10 10 % of the insurer's 800.00 (80.00)."""
    payer = {**INSURED, "adjudication_days_min": lag, "adjudication_days_mean": lag, "tiers_payant": {}}
    sc = _scenario(payer)
    pop = draw_population(sc, 0)
    res = World(sc, "none", pop).run()
    check_conservation(res.ledger, res.open_cents)
    led = res.ledger
    monday = np.datetime64("2024-01-01")
    total = 0
    for i in range(pop.n):
        s = float(pop.service_day[i])
        if s + lag > sc.simulation.horizon_days:
            continue
        wd = int(np.busday_count(monday + int(math.floor(s)) + 1, monday + int(math.floor(s + lag)) + 1))
        want = 0 if wd <= 7 else 100 if wd <= 9 else 8000
        got = led.amount[(led.receivable == 2 * i) & (led.kind == Kind.LATE_PAYMENT_PENALTY)].sum()
        assert got == want, (i, s, wd)
        total += want
    assert total > 0 or lag == 8.0
    m, _, _ = compute(res, pop, sc)
    cohort = led.kind == Kind.LATE_PAYMENT_PENALTY
    assert m["late_payment_penalties"] == pytest.approx(led.amount[cohort].sum() / 100.0)


def test_penalties_are_income_in_the_npv():
    """The same run with and without the tiers-payant rule: the NPV differs by the penalties' present value."""
    late = {**INSURED, "adjudication_days_min": 16.0, "adjudication_days_mean": 16.0}
    plain, tp = _scenario(late), _scenario({**late, "tiers_payant": {}})
    m0, _, _ = compute(World(plain, "none", pop := draw_population(plain, 0)).run(), pop, plain)
    res = World(tp, "none", pop_tp := draw_population(tp, 0)).run()
    m1, _, _ = compute(res, pop_tp, tp)
    led = res.ledger
    rows = led.kind == Kind.LATE_PAYMENT_PENALTY
    r = math.log1p(tp.finance.cost_of_capital_annual) / 365.0
    pv = float((led.amount[rows] * np.exp(-r * np.maximum(led.day[rows], 0.0))).sum()) / 100.0
    assert pv > 0
    assert m1["npv_net_cash"] - m0["npv_net_cash"] == pytest.approx(pv, abs=0.01)


def test_secondary_cash_against_the_closed_form():
    """Seeded, 2,000 encounters: secondary cash = a × Binomial(n, h (1 − d)) and cents passed to
    patients = a × Binomial(n, h d), with a = covered × patient share × allowed = 160.00; each
    total within 4 standard deviations of its expectation n·a·p."""
    h, d = 0.7, 0.2
    sc = _scenario({**INSURED, "secondary": {**SECONDARY, "holders_share": h, "denial_rate": d}},
                   encounters_per_day=20, horizon=400.0)
    pop = draw_population(sc, 0, seed=11)
    res = World(sc, "none", pop).run()
    check_conservation(res.ledger, res.open_cents)
    led, n, a = res.ledger, pop.n, 16000
    second = led.receivable >= 2 * n
    paid = int(led.amount[second & (led.kind == Kind.PAYMENT_INSURER)].sum())
    passed = int(led.amount[second & (led.kind == Kind.TRANSFER_TO_PATIENT)].sum())
    for total, p in ((paid, h * (1 - d)), (passed, h * d)):
        mean, sd = n * a * p, a * math.sqrt(n * p * (1 - p))
        assert abs(total - mean) < 4 * sd, (total, mean, sd)
    # what the patients were billed: 40.00 each holder, 200.00 each non-holder (no secondary)
    holders = int(np.count_nonzero(pop.secondary_cents))
    assert int(pop.patient_cents.sum()) == 4000 * holders + 20000 * (n - holders)


@pytest.mark.parametrize("bad, field", [
    ({"lag_days_min": 9.0, "lag_days_mean": 3.0}, "lag_days_mean"),
    ({"covered_share": 1.5}, "covered_share"),
    ({"nickname": "x"}, "nickname"),
])
def test_bad_secondary_block_is_one_clear_line(bad, field):
    with pytest.raises(ScenarioError) as err:
        _scenario({**INSURED, "secondary": {**SECONDARY, **bad}})
    text = str(err.value)
    assert "payers.insured.secondary" in text and field in text


@pytest.mark.parametrize("mode", ["flow", "cohort"])
def test_factoring_sells_secondary_claims_and_keeps_the_books(mode):
    """Factoring everything (scope ``all``) with secondaries that pay or refuse: the settlement's
    checks hold to the cent (factor P&L, hospital cash, conservation), secondary claims are sold
    as claims, and a refused one is charged back (it brings the factor no cash)."""
    from simlib.model.factoring_settlement import overlay, settle

    offer = {"scope": "all", "mode": mode, "advance_rate": 0.9, "funding_lag_days": 0,
             "recourse_days": 90, "fee": {"schedule": "flat", "rate": 0.03}}
    if mode == "cohort":
        offer["cohort_day"] = 60.0
    data = tiny(simulation={"encounters_per_day": 2, "open_book_accounts": 0, "billing_window_days": 100,
                            "horizon_days": 300})
    data["payers"] = {"insured": {**INSURED, "secondary": {**SECONDARY, "denial_rate": 0.4}}}
    data["strategies"] = {"none": {"statement_channel": "email", "write_off": {"after_days": 10000},
                                   "factoring": offer}}
    sc = scenario_from_dict(data, "test")
    pop = draw_population(sc, 0)
    res = World(sc, "none", pop).run()
    s = settle(res.ledger, pop, sc, sc.strategies["none"].factoring, sc.simulation.horizon_days)
    overlay(res, pop, sc, sc.strategies["none"].factoring)  # raises unless every check holds
    second = np.arange(pop.n_receivables) >= 2 * pop.n
    assert s.factored[second].any()
    refused = np.unique(res.ledger.receivable[res.ledger.kind == Kind.TRANSFER_TO_PATIENT])
    sold_refused = [r for r in refused if s.factored[r] and s.purchase_day[r] < pop.secondary_decision_day()[r - 2 * pop.n]]
    assert sold_refused and all(s.chargebacks[r] > 0 for r in sold_refused)
    if mode == "cohort":  # no patient balance sold while its secondary has not decided
        waiting = pop.secondary_decision_day() > 60.0
        assert not s.factored[receivables.patient_slice(pop.n)][waiting & (pop.secondary_cents > 0)].any()


def test_the_documented_us_example_runs():
    """docs/jurisdictions.md's Medicare + Medigap example validates and runs with balanced books:
    the holders' coinsurance goes to the secondary (≈ 59 % of Medicare stays hold one)."""
    import re
    from pathlib import Path

    import yaml

    text = Path(__file__).resolve().parents[1].joinpath("docs", "jurisdictions.md").read_text(encoding="utf-8")
    section = text[text.index("## A second payer per encounter"):]
    block = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    medicare = {**block["payers"]["medicare"], "share": 1.0}
    data = tiny(simulation={"encounters_per_day": 5, "open_book_accounts": 0, "billing_window_days": 100,
                            "horizon_days": 300})
    data["payers"] = {"medicare": medicare}
    sc = scenario_from_dict(data, "docs/jurisdictions.md")
    pop = draw_population(sc, 0, seed=5)
    res = World(sc, "none", pop).run()
    check_conservation(res.ledger, res.open_cents)
    holders = np.count_nonzero(pop.secondary_cents) / pop.n
    h = medicare["secondary"]["holders_share"]
    assert abs(holders - h) < 4 * math.sqrt(h * (1 - h) / pop.n)


def test_the_glossary_explains_the_second_payer_only_when_a_payer_has_one():
    from types import SimpleNamespace

    from simlib.report.glossary import glossary

    with_both = glossary(SimpleNamespace(scenario=_scenario({**INSURED, "secondary": SECONDARY,
                                                             "tiers_payant": {}}))).data
    without = glossary(SimpleNamespace(scenario=_scenario(dict(INSURED)))).data
    for term in ("Second payer (complementary insurer)", "Tiers payant"):
        assert f"<dt>{term}</dt>" in with_both and term not in without


def test_the_appendix_names_the_second_payer_only_when_set():
    from simlib.report.assumption_tables import _across_table

    with_it = _scenario({**INSURED, "secondary": SECONDARY})
    without = _scenario(dict(INSURED))
    assert "Complementary insurer (second payer)" in _across_table("Payers", with_it.payers)
    assert "Mutuelle: pays 80" in _across_table("Payers", with_it.payers)
    assert "second payer" not in _across_table("Payers", without.payers)
    assert "tiers payant" not in _across_table("Payers", without.payers)
