"""Issue 19 ("No free lunch"), items 1, 2, 4 and 6: every lever carries its costs and harms.

- deposits: paid by the patients who would pay anyway (closed form of the Gaussian copula), never
  asked of Medicaid by default, each ask costs registration time, a declined deposit defers care
  (lost margin), a deposit of a patient the 501(r) policy finds eligible is refunded beyond what
  they owe (hand-computed ledgers);
- harm: a complaint costs its handling and, with an opt-out, the expected future margin of a
  patient who does not come back, which the NPV (the decision metric and the search's objective)
  subtracts;
- a price estimate and a payment plan cost what they take;
- charity care only where a policy is declared, and ``simlib validate`` says which applies.
"""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import norm

from simlib.core.ledger import Kind
from simlib.levers.deposit import propensity_uniform
from simlib.model.engine import World
from simlib.model.metrics import compute
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict
from simlib.search.objectives import goal_for, score


def tiny(strategy: dict, *, accounts: int = 1, balance: float = 1000.0, ability: float = 97.0,
         finance: dict | None = None, payers: dict | None = None, channels: dict | None = None,
         horizon: float = 400.0, **extra) -> dict:
    """Open-book patients owing ``balance`` each (statement on day 0), who never pay on their own."""
    data = {
        "name": "free_lunch",
        "simulation": {"horizon_days": horizon, "billing_window_days": 10, "encounters_per_day": 0,
                       "open_book_accounts": accounts, "open_book_age_days_max": 0,
                       "measurement_day": 300, "ar_window_days": 90, "seed": 19},
        "finance": {"financial_assistance": None, **(finance or {})},
        "payers": payers or {"self_pay": {"share": 1.0, "allowed_median": balance,
                                          "allowed_sigma": 0.0, "patient_share": 1.0}},
        "patients": {"ability_monthly_median": ability, "ability_sigma": 0.0, "propensity_sigma": 0.0},
        "behaviour": {"initial_per_day": 0.0, "decay_per_day": 0.03, "balance_elasticity": 0.0,
                      "full_payment": "always", "due_date_jump_per_day": 0.0},
        "operations": {"statement_lag_days": 0, "billing_team": {"billing_error_rate": 0.0}},
        "channels": {"letter": {"cost": 0.0, "reach": 1.0}, **(channels or {})},
        "strategies": {"s": {"statement_channel": "letter", **strategy}},
    }
    data.update(extra)
    return data


def encounters(strategy: dict, n_per_day: float = 20.0, **kw) -> dict:
    """Encounters served during the run (a deposit is asked at service, never of the open book)."""
    data = tiny(strategy, **kw)
    data["simulation"].update({"encounters_per_day": n_per_day, "open_book_accounts": 0,
                               "billing_window_days": 60})
    return data


def run(data: dict, strategy: str = "s"):
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    res = World(sc, strategy, pop).run()   # checks the ledger balances to the cent
    return res, pop, sc


def rows(res, receivable: int) -> list[tuple[float, str, int]]:
    led = res.ledger
    m = led.receivable == receivable
    return [(round(float(d), 9), Kind(int(k)).name, int(a)) for d, k, a in zip(led.day[m], led.kind[m], led.amount[m])]


FLAT_DEPOSIT = {"share": 0.5, "compliance_rate": 1.0, "compliance_half_months": None, "estimate_error_sigma": 0.0}


# --------------------------------------------------------------------------- 1. deposits
@pytest.mark.parametrize("rho,p", [(0.5, 0.6), (0.8, 0.3)])
def test_deposit_payers_are_the_likely_payers_closed_form(rho, p):
    """With a flat compliance p, the share who pay is p whatever ρ, and the payers' mean propensity
    score is E[z | pay] = ρ φ(Φ⁻¹(p)) / p (a Gaussian copula). Tolerance 0.03 ≈ 4 standard errors
    at n = 40,000."""
    rng = np.random.default_rng(19)
    n, sigma = 40_000, 1.0
    propensity = rng.lognormal(-0.5 * sigma * sigma, sigma, n)
    u = propensity_uniform(rng.random(n), propensity, sigma, rho)
    pays = u < p
    z = (np.log(propensity) + 0.5 * sigma * sigma) / sigma
    assert pays.mean() == pytest.approx(p, abs=0.01)
    assert z[pays].mean() == pytest.approx(rho * norm.pdf(norm.ppf(p)) / p, abs=0.03)


def test_deposit_payers_pay_their_bill_more_in_the_engine():
    """In a run, the patients who paid the deposit have a higher propensity than those who declined."""
    data = encounters({"deposit": {"share": 0.3, "compliance_rate": 0.6, "compliance_half_months": None}})
    data["patients"]["propensity_sigma"] = 1.0
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    world = World(sc, "s", pop, trace=True)
    res = world.run()
    paid = {r // 2 for r, _, what in res.events if what == "deposit"}
    asked = [i for i in range(pop.n) if pop.patient_cents[i] > 0 and not pop.emergency[i]]
    yes = np.log([pop.propensity[i] for i in asked if i in paid])
    no = np.log([pop.propensity[i] for i in asked if i not in paid])
    # E[z | pay] − E[z | decline] = ρ φ(Φ⁻¹(p)) (1/p + 1/(1 − p)) with ρ 0.5, p 0.6: 0.805 (σ = 1)
    assert yes.mean() - no.mean() == pytest.approx(0.5 * norm.pdf(norm.ppf(0.6)) / 0.24, abs=0.15)


def test_no_deposit_is_asked_of_medicaid_by_default_and_each_ask_costs_registration_time():
    payers = {"medicaid": {"share": 0.5, "allowed_median": 500, "allowed_sigma": 0.0, "patient_share": 0.2,
                           "emergency_share": 0.0},
              "commercial": {"share": 0.5, "allowed_median": 500, "allowed_sigma": 0.0, "patient_share": 0.2,
                             "emergency_share": 0.0}}
    res, pop, _ = run(encounters({"deposit": FLAT_DEPOSIT}, payers=payers))
    medicaid = pop.payer == pop.payer_names.index("medicaid")
    deposits = res.ledger.per_receivable([Kind.PAYMENT_PATIENT], 2 * pop.n, until_day=None)[1::2]
    registration = res.ledger.per_receivable([Kind.COST_REGISTRATION], 2 * pop.n)[1::2]
    asked = pop.patient_cents > 0
    assert res.counters["deposits_asked"] == int((asked & ~medicaid).sum()) > 0
    assert registration[medicaid].sum() == 0 and (registration[~medicaid & asked] == 260).all()
    # these patients never pay on their own: every patient payment is a deposit
    assert deposits[medicaid].sum() == 0 and deposits[~medicaid].sum() > 0
    res_all, _, _ = run(encounters({"deposit": {**FLAT_DEPOSIT, "excluded_payers": []}}, payers=payers))
    assert res_all.counters["deposits_asked"] == int(asked.sum())


def test_a_declined_deposit_defers_care_and_loses_its_margin():
    """Nobody pays (compliance 0): each decline defers the care with the rate; the lost margin is
    the encounter's allowed amount × the contribution margin ratio, to the cent, and the NPV is
    lower by its present value."""
    dep = {**FLAT_DEPOSIT, "compliance_rate": 0.0, "declined_care_deferral_rate": 0.3}
    data = encounters({"deposit": dep}, balance=400.0)
    res, pop, sc = run(data)
    c = res.counters
    assert c["deposits_declined"] == c["deposits_asked"] > 500
    assert c["care_deferred"] / c["deposits_declined"] == pytest.approx(0.3, abs=0.05)   # ≈ 4 SE
    lost = res.ledger.mask([Kind.LOST_MARGIN_DEFERRED_CARE])
    assert lost.sum() == c["care_deferred"]
    assert (res.ledger.amount[lost] == round(40000 * 0.3)).all()      # $400 × harm's 0.3 ratio
    m = compute(res, pop, sc)[0]
    r = math.log1p(sc.finance.cost_of_capital_annual) / 365.0
    day, amount = res.ledger.cash_flows()
    pv_cash = float((amount * np.exp(-r * np.maximum(day, 0.0))).sum() / 100.0)
    pv_lost = float((res.ledger.amount[lost] * np.exp(-r * res.ledger.day[lost])).sum() / 100.0)
    assert m["npv_net_cash"] == pytest.approx(pv_cash - pv_lost, abs=1e-6)
    assert m["care_deferred"] == c["care_deferred"] and m["lost_margin"] == pytest.approx(120.0 * c["care_deferred"])


def test_a_deposit_of_a_patient_eligible_for_free_care_is_refunded():
    """One self-pay patient of $1,000 whose means ($50 a month) make the whole bill free care:
    the $500 deposit is paid at service and refunded on the statement (presumptive screening)."""
    fap = {"financial_assistance": {"identification_rate": 1.0, "screening": "presumptive"}}
    data = encounters({"deposit": FLAT_DEPOSIT}, ability=50.0, finance=fap, n_per_day=0.05)
    data["payers"]["self_pay"]["emergency_share"] = 0.0
    res, pop, sc = run(data)
    assert pop.n >= 1
    i = 0
    day = round(float(pop.service_day[i]), 9)
    stmt = round(float(pop.bill_day[i]), 9)
    assert rows(res, 1) == [(day, "BILLED", 100000), (day, "COST_REGISTRATION", 260),
                            (day, "PAYMENT_PATIENT", 50000), (stmt, "REFUND_PATIENT", 50000),
                            (stmt, "CHARITY_CARE", 100000)]
    assert res.counters["deposit_fap_refunds"] >= 1


def test_a_discounted_patient_gets_back_what_the_deposit_paid_beyond_their_share():
    """Ability $80 between free care ($63) and the discount ceiling ($94) with 40 % at the ceiling:
    charity rate 1 − 0.6 × (80 − 63) / 31; the patient owes the rest of $1,000 in all. With a
    deposit of 90 % ($900) the refund is $900 − what they owe, the charity the rate × $1,000."""
    fap = {"financial_assistance": {"identification_rate": 1.0, "screening": "presumptive"}}
    dep = {**FLAT_DEPOSIT, "share": 0.9}
    data = encounters({"deposit": dep}, ability=80.0, finance=fap, n_per_day=0.05)
    data["payers"]["self_pay"]["emergency_share"] = 0.0
    res, pop, _ = run(data)
    rate = 1.0 - 0.6 * (80.0 - 63.0) / (94.0 - 63.0)
    charity = round(rate * 100000)
    owed = 100000 - charity
    got = {k: a for _, k, a in rows(res, 1)}
    assert got["CHARITY_CARE"] == charity
    assert got["REFUND_PATIENT"] == 90000 - owed
    assert res.open_cents[1] == 0


# --------------------------------------------------------------------------- 2. harm has a price
def test_a_complaint_costs_its_handling_and_the_expected_future_margin():
    """Every text complains (complaint_rate 1): one complaint, $15.50 of handling and a quarter of
    one future encounter's margin lost ($1,000 × 0.3 × 1 × 0.25 = $75); 0.25 patients lost."""
    ch = {"sms": {"cost": 0.0, "reach": 1.0, "complaint_rate": 1.0, "opt_out_rate": 0.0}}
    res, pop, sc = run(tiny({"ladder": [{"day": 3, "channel": "sms"}, {"day": 6, "channel": "sms"}]},
                            channels=ch))
    assert [(k, a) for _, k, a in rows(res, 1) if k in ("COST_COMPLAINT", "LOST_MARGIN_ATTRITION")] == [
        ("COST_COMPLAINT", 1550), ("LOST_MARGIN_ATTRITION", 7500)]
    m = compute(res, pop, sc)[0]
    assert m["patients_lost"] == pytest.approx(0.25) and m["lost_margin"] == pytest.approx(75.0)


def test_complaint_and_opt_out_combine_as_independent_chances():
    """A contact that both opts the patient out and makes them complain: P(lost) = 1 − 0.75 × 0.95."""
    ch = {"sms": {"cost": 0.0, "reach": 1.0, "complaint_rate": 1.0, "opt_out_rate": 1.0}}
    res, pop, sc = run(tiny({"ladder": [{"day": 3, "channel": "sms"}]}, channels=ch))
    m = compute(res, pop, sc)[0]
    assert m["patients_lost"] == pytest.approx(1 - 0.75 * 0.95)
    assert m["lost_margin"] == pytest.approx(round(30000 * (1 - 0.75 * 0.95)) / 100.0)


def test_the_search_cannot_gain_by_harming_patients():
    """Two strategies identical but for a harmful text (every one complains): the harmful one's
    objective (the search's) is lower by the handling cost and the margin lost, not equal."""
    ch = {"sms": {"cost": 0.0, "reach": 1.0, "jump_per_day": 0.0, "complaint_rate": 1.0}}
    data = tiny({}, accounts=50, channels=ch)
    data["strategies"]["harm"] = {"statement_channel": "letter", "ladder": [{"day": 3, "channel": "sms"}]}
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    metrics = {name: compute(World(sc, name, pop).run(), pop, sc)[0] for name in sc.strategies}
    from simlib.scenario.search_section import SearchSection
    goal = goal_for(SearchSection.model_validate({"start_from": "s", "variables": [{"path": "credit_terms_days", "choices": [15, 30]}]}),
                    metrics["s"])
    gap = score(goal, [metrics["s"]]).objective - score(goal, [metrics["harm"]]).objective
    assert gap == pytest.approx(50 * (15.5 + 75.0), rel=1e-3)   # discounting a few days: < 0.1 %


# --------------------------------------------------------------------------- 4. every lever has a cost
def test_a_price_estimate_costs_per_scheduled_encounter():
    payers = {"self_pay": {"share": 1.0, "allowed_median": 300, "allowed_sigma": 0.0,
                           "patient_share": 1.0, "emergency_share": 0.5}}
    res, pop, _ = run(encounters({"price_estimate": {}}, payers=payers))
    scheduled = ~pop.emergency & (pop.patient_cents > 0)
    cost = res.ledger.per_receivable([Kind.COST_PRICE_ESTIMATE], 2 * pop.n)[1::2]
    assert (cost[scheduled] == 520).all() and cost[~scheduled].sum() == 0
    assert res.counters["price_estimates"] == int(scheduled.sum()) > 0


# --------------------------------------------------------------------------- 6. charity only where declared
def test_charity_care_only_where_a_policy_is_declared(tmp_path):
    def fin(finance):
        data = tiny({})
        data["finance"] = finance
        return scenario_from_dict(data).finance.financial_assistance

    assert fin({"us_nonprofit": False}) is None
    assert fin({"us_nonprofit": True}) is not None and fin({}) is not None
    assert fin({"us_nonprofit": True, "financial_assistance": None}) is None
    assert fin({"us_nonprofit": False, "financial_assistance": {"identification_rate": 0.3}}).identification_rate == 0.3
    import yaml
    lines = {}
    for name, nonprofit in {"forprofit": False, "nonprofit": True}.items():
        finance = {"us_nonprofit": nonprofit, "starting_cash": 0}
        data = tiny({})
        data["finance"] = finance
        f = tmp_path / f"{name}.yaml"
        f.write_text(yaml.safe_dump(data), encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "simlib", "validate", str(f)], capture_output=True,
                              text=True, check=True)
        lines[name] = [ln for ln in proc.stdout.splitlines() if "charity care" in ln]
    assert len(lines["forprofit"]) == 1 and "charity care: off (not a US nonprofit" in lines["forprofit"][0]
    assert len(lines["nonprofit"]) == 1 and "charity care: on (the default policy of a US nonprofit" in lines["nonprofit"][0]
