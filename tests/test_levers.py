"""Payment plans, third-party financing and agency placement: exact ledgers, validation, CRN,
conservation in random scenarios, and the agency's payment clock against its closed form."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from simlib.model.population import draw_population


#: the take-up of issue 9 (balance- and ability-dependent uptake, lender approval) switched off:
#: these tests check plan and financing ledgers exactly for a patient who takes the offer (the plan's
#: administration costs off, except where a test sets them)
FLAT_TAKEUP = {"payment_plan": {"uptake_elasticity": 0.0, "uptake_max": 1.0, "setup_cost": 0.0,
                                "cost_per_instalment": 0.0},
               "financing": {"uptake_elasticity": 0.0, "uptake_max": 1.0, "approval_ability_half": 0.0}}


def flat_takeup(data: dict) -> dict:
    """``data`` with every strategy's plan and financing take-up flat (``uptake_rate`` as given)."""
    for st in data["strategies"].values():
        for key, flat in FLAT_TAKEUP.items():
            if isinstance(st.get(key), dict):
                st[key] = {**flat, **st[key]}
    return data


def tiny(strategy: dict, accounts: int = 1, balance: float = 1000.0, ability: float = 97.0,
         horizon: float = 900.0, **behaviour) -> dict:
    """One self-pay patient (or a few) owing exactly ``balance``, billed at day 0, statement at
    day 0, no disputes, deterministic traits; by default the patient never pays on their own."""
    beh = {"initial_per_day": 0.0, "decay_per_day": 0.03, "balance_elasticity": 0.0,
           "full_payment": "always", "due_date_jump_per_day": 0.0}
    beh.update(behaviour)
    return {
        "name": "tiny",
        "simulation": {"horizon_days": horizon, "billing_window_days": 10, "encounters_per_day": 0,
                       "open_book_accounts": accounts, "open_book_age_days_max": 0,
                       "measurement_day": 300, "ar_window_days": 90, "seed": 7},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": balance, "allowed_sigma": 0.0,
                                "patient_share": 1.0}},
        "patients": {"ability_monthly_median": ability, "ability_sigma": 0.0,
                     "propensity_sigma": 0.0},
        "behaviour": beh,
        "operations": {"statement_lag_days": 0, "billing_team": {"billing_error_rate": 0.0}},
        "channels": {"letter": {"cost": 0.0, "reach": 1.0}},
        "strategies": {"s": {"statement_channel": "letter", **strategy}},
    }


def run(data: dict, strategy: str = "s", trace: bool = False):
    if (data["strategies"][strategy].get("agency") or {}).get("notice_days_before", 30) is None:
        data.setdefault("finance", {"us_nonprofit": False})  # no notice wait: not a US nonprofit
    sc = scenario_from_dict(flat_takeup(data))
    pop = draw_population(sc, 0)
    return World(sc, strategy, pop, trace=trace).run(), pop


def rows(res, receivable: int = 1) -> list[tuple[float, str, int]]:
    led = res.ledger
    m = led.receivable == receivable
    return [(round(float(d), 9), Kind(int(k)).name, int(a))
            for d, k, a in zip(led.day[m], led.kind[m], led.amount[m])]


# --------------------------------------------------------------------------- payment plans
def test_plan_even_instalments_sum_to_the_balance_to_the_cent():
    plan = {"balance_min": 100, "uptake_rate": 1.0, "sizing": "even", "max_months": 7,
            "miss_base_rate": 0.0, "setup_cost": 15.5, "cost_per_instalment": 1.0}
    res, _ = run(tiny({"payment_plan": plan, "write_off": {"after_days": 60}}))
    # ceil(100000 / 7) = 14286 cents; six of those and a last instalment of 14284; the plan's
    # administration (issue 19): $15.50 to set it up, $1 for each instalment due
    expected = [(0.0, "BILLED", 100000), (0.0, "COST_PLAN_ADMIN", 1550)] \
        + [row for m in range(6) for row in ((30.0 * m, "COST_PLAN_ADMIN", 100),
                                              (30.0 * m, "PAYMENT_PATIENT", 14286))] \
        + [(180.0, "COST_PLAN_ADMIN", 100), (180.0, "PAYMENT_PATIENT", 14284)]
    assert rows(res) == expected
    assert res.counters["plans"] == 1 and res.counters["plans_completed"] == 1
    assert res.counters["bad_debt_write_offs"] == 0   # no write-off while the plan is in good standing
    assert res.open_cents[1] == 0


def test_plan_sized_by_ability_to_pay():
    plan = {"uptake_rate": 1.0, "sizing": "ability", "affordability_share": 1.0, "max_months": 12,
            "miss_base_rate": 0.0, "month_days": 31}
    res, _ = run(tiny({"payment_plan": plan}, ability=97.0))
    # $97/month beats 100000/12 → 10 × 9700 + 3000
    pays = [r for r in rows(res) if r[1] == "PAYMENT_PATIENT"]
    assert [a for _, _, a in pays] == [9700] * 10 + [3000]
    assert [d for d, _, _ in pays] == [31.0 * m for m in range(11)]
    # a small ability is raised to balance / max_months so the plan fits in 12 months
    res, _ = run(tiny({"payment_plan": plan}, ability=20.0))
    pays = [a for _, k, a in rows(res) if k == "PAYMENT_PATIENT"]
    assert pays == [8334] * 11 + [100000 - 11 * 8334]


def test_plan_defaults_on_the_third_miss_and_the_write_off_clock_continues():
    # miss probability min(1, 1 × (instalment/ability)^0) = 1: every instalment is missed
    plan = {"uptake_rate": 1.0, "sizing": "even", "max_months": 10, "miss_base_rate": 1.0,
            "miss_elasticity": 0.0, "autopay_rate": 0.0, "default_after_misses": 3}
    res, _ = run(tiny({"payment_plan": plan, "write_off": {"after_days": 45}}), trace=True)
    # misses at days 0, 30, 60 → default at day 60; the write-off fell due at 45 and happens then
    assert rows(res) == [(0.0, "BILLED", 100000), (60.0, "WRITE_OFF_BAD_DEBT", 100000)]
    c = res.counters
    assert (c["plans"], c["plan_misses"], c["plan_defaults"], c["plans_completed"]) == (1, 3, 1, 0)
    events = [(d, w) for r, d, w in res.events if r == 1]
    assert events == [(0.0, "statement"), (0.0, "plan"), (0.0, "instalment missed"),
                      (30.0, "instalment missed"), (60.0, "instalment missed"),
                      (60.0, "plan defaulted"), (60.0, "written off")]


def test_plan_misses_follow_the_pre_drawn_uniforms():
    """Miss probability strictly between 0 and 1: the ledger is recomputed by hand from the draws."""
    plan = {"uptake_rate": 1.0, "sizing": "even", "max_months": 6, "miss_base_rate": 0.5,
            "miss_elasticity": 0.0, "autopay_rate": 1.0, "autopay_miss_factor": 0.8,
            "default_after_misses": 3}
    data = tiny({"payment_plan": plan, "write_off": {"after_days": 400}}, accounts=40, balance=600)
    res, pop = run(data)
    p = 0.5 * 0.8
    for i in range(pop.n):
        bal, misses, exp = 60000, 0, []
        for m in range(36):
            if pop.plan_miss_u[i, m] < p:
                misses += 1
                if misses == 3:  # default: back to collection, never pays, written off at day 400
                    exp.append((400.0, "WRITE_OFF_BAD_DEBT", bal))
                    break
            else:
                exp.append((30.0 * m, "PAYMENT_PATIENT", min(10000, bal)))
                bal -= min(10000, bal)
                if bal == 0:
                    break
        assert rows(res, 2 * i + 1)[1:] == exp, i
    assert res.counters["plans"] == pop.n
    assert res.counters["plans_completed"] + res.counters["plan_defaults"] == pop.n


def test_plan_not_offered_below_threshold_or_without_uptake():
    plan = {"uptake_rate": 1.0, "balance_min": 1000.01, "miss_base_rate": 0.0}
    res, _ = run(tiny({"payment_plan": plan}))
    assert res.counters["plans"] == 0
    res, _ = run(tiny({"payment_plan": {**plan, "balance_min": 10, "uptake_rate": 0.0}}))
    assert res.counters["plans"] == 0


def test_plan_validation():
    with pytest.raises(ScenarioError, match="max_months"):
        scenario_from_dict(tiny({"payment_plan": {"max_months": 36, "default_after_misses": 3}}))
    with pytest.raises(ScenarioError, match="uptake_rate"):
        scenario_from_dict(tiny({"payment_plan": {"uptake_rate": 1.5}}))
    with pytest.raises(ScenarioError, match="unknown field"):
        scenario_from_dict(tiny({"payment_plan": {"months": 12}}))


# --------------------------------------------------------------------------- financing
def test_financing_lender_pays_the_balance_and_the_hospital_pays_the_fee():
    fin = {"balance_min": 500, "uptake_rate": 1.0, "merchant_fee_rate": 0.065, "offer_day": 3}
    res, _ = run(tiny({"financing": fin}, balance=1234.57))
    assert rows(res) == [(0.0, "BILLED", 123457), (3.0, "PAYMENT_LENDER", 123457),
                         (3.0, "FEE_FINANCING", round(0.065 * 123457))]
    assert res.counters["financed"] == 1 and res.open_cents[1] == 0


def test_financing_respects_balance_band_and_uptake():
    fin = {"balance_min": 100, "balance_max": 900, "uptake_rate": 1.0}
    assert run(tiny({"financing": fin}))[0].counters["financed"] == 0
    fin = {"balance_min": 100, "uptake_rate": 0.0}
    assert run(tiny({"financing": fin}))[0].counters["financed"] == 0
    with pytest.raises(ScenarioError, match="balance_max"):
        scenario_from_dict(tiny({"financing": {"balance_min": 500, "balance_max": 100}}))


# --------------------------------------------------------------------------- agency
#: the agency's own mechanics: no final notice to wait for (allowed outside a US nonprofit; the
#: notice rule is tested in test_contact_rules.py)
AGENCY = {"kind": "bad_debt", "placement_days": 120, "fee_rate": 0.3, "initial_per_day": 1.0,
          "decay_per_day": 0.01, "recall_days": 180, "contact_days": [], "notice_days_before": None}


def test_agency_collects_gross_and_fee_at_its_own_clock():
    res, pop = run(tiny({"agency": AGENCY, "write_off": {"after_days": 200}}))
    e = float(pop.agency_threshold[0, 0])
    t = -math.log1p(-0.01 * e / 1.0) / 0.01          # (λ0/κ)(1 − e^{−κt}) = E
    got = rows(res)
    assert [r[1:] for r in got] == [("BILLED", 100000), ("PAYMENT_AGENCY", 100000), ("FEE_AGENCY", 30000)]
    assert got[1][0] == pytest.approx(120.0 + t, abs=1e-9)
    assert res.counters["agency_placements"] == 1


def test_agency_net_recovery_is_one_minus_fee_times_recovered_exactly():
    """Partial payments with an awkward fee: fees are rounded on the running total."""
    ag = {**AGENCY, "fee_rate": 0.333, "initial_per_day": 0.05, "decay_per_day": 0.001,
          "recall_days": 600}
    data = tiny({"agency": ag, "write_off": {"after_days": 200}}, accounts=30, balance=987.65,
                full_payment="never", partial_fraction_min=0.1, partial_fraction_max=0.6,
                payment_jump_base_per_day=0.0, payment_jump_fraction_per_day=0.0)
    res, pop = run(data)
    led = res.ledger
    multi = 0
    for i in range(pop.n):
        r = 2 * i + 1
        gross = int(led.amount[(led.receivable == r) & (led.kind == Kind.PAYMENT_AGENCY)].sum())
        fee = int(led.amount[(led.receivable == r) & (led.kind == Kind.FEE_AGENCY)].sum())
        assert fee == round(0.333 * gross)
        assert gross - fee == round((1 - 0.333) * gross)
        multi += np.count_nonzero((led.receivable == r) & (led.kind == Kind.PAYMENT_AGENCY)) > 1
    assert multi > 5                            # the case exercised partial collections
    assert res.counters["agency_payments"] <= 4 * res.counters["agency_placements"]


def test_agency_recall_writes_off_and_supersedes_the_hospital_write_off():
    ag = {**AGENCY, "initial_per_day": 0.0, "contact_days": [0, 30], "contact_jump_per_day": 0.0}
    res, _ = run(tiny({"agency": ag, "write_off": {"after_days": 150},
                       "ladder": [{"day": 130, "channel": "letter"}]}))
    # placed at 120 (the letter at 130 is not sent: the agency has the account), recalled at 300
    assert rows(res) == [(0.0, "BILLED", 100000), (300.0, "WRITE_OFF_BAD_DEBT", 100000)]
    c = res.counters
    assert (c["agency_placements"], c["agency_recalls"], c["agency_contacts"], c["contacts"]) == (1, 1, 2, 0)


def test_agency_not_placed_when_paid_on_a_plan_or_below_minimum():
    plan = {"uptake_rate": 1.0, "sizing": "even", "max_months": 6, "miss_base_rate": 0.0}
    res, _ = run(tiny({"payment_plan": plan, "agency": AGENCY, "write_off": {"after_days": 200}}))
    assert res.counters["agency_placements"] == 0 and res.counters["plans_completed"] == 1
    res, _ = run(tiny({"agency": {**AGENCY, "balance_min": 2000}, "write_off": {"after_days": 200}}))
    assert res.counters["agency_placements"] == 0 and res.counters["bad_debt_write_offs"] == 1


def test_plan_default_after_placement_day_places_at_once():
    plan = {"uptake_rate": 1.0, "sizing": "even", "max_months": 10, "miss_base_rate": 1.0,
            "miss_elasticity": 0.0, "autopay_rate": 0.0, "default_after_misses": 6}
    ag = {**AGENCY, "kind": "early_out", "placement_days": 60, "initial_per_day": 0.0, "recall_days": 90}
    res, _ = run(tiny({"payment_plan": plan, "agency": ag, "write_off": {"after_days": 120}}))
    # misses at 0..150 → default at 150: placement (due at 60) now, recall at 240; write-off superseded
    assert rows(res) == [(0.0, "BILLED", 100000), (240.0, "WRITE_OFF_BAD_DEBT", 100000)]


def test_501r_rejects_early_bad_debt_placement_for_us_nonprofits():
    data = tiny({"agency": {**AGENCY, "placement_days": 90}})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    msg = str(err.value)
    assert "strategies.s.agency.placement_days" in msg and "501(r)" in msg and "120" in msg
    ok = copy.deepcopy(data)
    ok["strategies"]["s"]["agency"]["kind"] = "early_out"          # soft placement: not an ECA
    scenario_from_dict(ok)
    ok = copy.deepcopy(data)
    ok["finance"] = {"us_nonprofit": False}
    scenario_from_dict(ok)


def test_agency_placement_must_precede_the_write_off():
    with pytest.raises(ScenarioError, match="write_off.after_days"):
        scenario_from_dict(tiny({"agency": AGENCY, "write_off": {"after_days": 120}}))
    with pytest.raises(ScenarioError, match="recall"):
        scenario_from_dict(tiny({"agency": {**AGENCY, "contact_days": [200]}}))
    with pytest.raises(ScenarioError, match="fee_rate"):
        scenario_from_dict(tiny({"agency": {**AGENCY, "fee_rate": 1.2}}))


def test_the_notice_wait_is_whole_days_and_not_zero_with_quiet_hours():
    """The engine's placement would wait for a fraction of a day, or for a notice held back by the
    quiet hours with no wait, by rescheduling itself at the same instant forever: refused in one line."""
    outside = {"us_nonprofit": False}
    with pytest.raises(ScenarioError, match=r"agency.notice_days_before: expected a whole number of days.*found 30.5"):
        scenario_from_dict({**tiny({"agency": {**AGENCY, "notice_days_before": 30.5}}), "finance": outside})
    quiet = {"agency": {**AGENCY, "notice_days_before": 0}, "contact_limits": {"quiet_hours": [21, 8]}}
    with pytest.raises(ScenarioError, match="notice_days_before: 0 with quiet hours"):
        scenario_from_dict({**tiny(quiet), "finance": outside})
    scenario_from_dict({**tiny({**quiet, "agency": {**AGENCY, "notice_days_before": 1}}), "finance": outside})
    scenario_from_dict({**tiny({"agency": {**AGENCY, "notice_days_before": 0}}), "finance": outside})


def test_agency_payment_clock_matches_the_closed_form():
    """No contacts, floor 0: P(agency collects within d days of placement) = 1 − exp(−(λ0/κ)(1 − e^{−κd}))."""
    lam0, kappa, n = 0.01, 0.02, 4000
    ag = {**AGENCY, "initial_per_day": lam0, "decay_per_day": kappa, "recall_days": 400}
    res, pop = run(tiny({"agency": ag, "write_off": {"after_days": 200}}, accounts=n,
                        horizon=700))
    led = res.ledger
    first = np.full(2 * pop.n, np.inf)
    m = led.kind == Kind.PAYMENT_AGENCY
    np.minimum.at(first, led.receivable[m], led.day[m])
    wait = first[1::2] - 120.0
    for d in (30.0, 90.0, 200.0, 399.0):
        p = 1 - math.exp(-(lam0 / kappa) * (1 - math.exp(-kappa * d)))
        se = math.sqrt(p * (1 - p) / n)
        assert abs(np.mean(wait <= d) - p) < 4 * se, d


# --------------------------------------------------------------------------- CRN and conservation
def test_unused_levers_leave_the_ledger_unchanged():
    """A lever nobody takes changes nothing (same patients, same draws)."""
    data = tiny({"ladder": [{"day": 30, "channel": "letter"}], "write_off": {"after_days": 200}},
                accounts=60, initial_per_day=0.02, full_payment="ability")
    with_levers = copy.deepcopy(data)
    with_levers["strategies"]["t"] = {**data["strategies"]["s"],
                                      "payment_plan": {"uptake_rate": 0.0},
                                      "financing": {"uptake_rate": 0.0},
                                      "agency": {**AGENCY, "balance_min": 1e6, "notice_days_before": 30}}
    sc = scenario_from_dict(with_levers)
    pop = draw_population(sc, 0)
    # on the SimPy engine, where the levers' code is (the hybrid would run only "s" in NumPy and
    # order its rows after the SimPy accounts')
    a, b = World(sc, "s", pop, hybrid=False).run().ledger, World(sc, "t", pop, hybrid=False).run().ledger
    for f in ("receivable", "day", "kind", "amount"):
        assert np.array_equal(getattr(a, f), getattr(b, f))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=hs.integers(0, 10_000), uptake=hs.floats(0, 1), miss=hs.floats(0, 0.6),
       fee=hs.floats(0, 0.5), placement=hs.sampled_from([30.0, 60.0, 120.0, 150.0]),
       recall=hs.floats(10, 300), sizing=hs.sampled_from(["even", "ability"]),
       kind=hs.sampled_from(["early_out", "bad_debt"]), partial=hs.booleans())
def test_conservation_with_plans_financing_and_agency(seed, uptake, miss, fee, placement, recall,
                                                     sizing, kind, partial):
    """World.run checks billed = collected + allowances + corrections + written off + open."""
    data = {
        "name": "random",
        "simulation": {"horizon_days": 500, "billing_window_days": 60, "encounters_per_day": 1.5,
                       "open_book_accounts": 20, "measurement_day": 300, "ar_window_days": 60,
                       "seed": seed},
        "finance": {"us_nonprofit": False},
        "payers": {"commercial": {"share": 0.7, "allowed_median": 1500, "patient_share": 0.3},
                   "self_pay": {"share": 0.3, "allowed_median": 700, "patient_share": 1.0}},
        "behaviour": {"full_payment": "ability" if partial else "always", "max_payments": 5},
        "operations": {"billing_team": {"billing_error_rate": 0.3}},
        "strategies": {"all": {
            "ladder": [{"day": 20, "channel": "sms"}, {"day": 45, "channel": "letter"}],
            "prompt_pay_discount": {"rate": 0.05, "window_days": 20},
            "financing": {"balance_min": 800, "uptake_rate": uptake / 3,
                          "merchant_fee_rate": fee, "offer_day": 2},
            "payment_plan": {"balance_min": 150, "uptake_rate": uptake, "sizing": sizing,
                             "miss_base_rate": miss, "max_months": 12, "default_after_misses": 2,
                             "offer_day": 10},
            "agency": {"kind": kind, "placement_days": placement, "fee_rate": fee,
                       "initial_per_day": 0.02, "contact_days": [0, 7], "recall_days": recall},
            "write_off": {"after_days": 170, "below_balance": 5}}},
    }
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    res = World(sc, "all", pop).run()
    c = res.counters
    assert c["plans_completed"] + c["plan_defaults"] <= c["plans"]
    assert c["agency_recalls"] <= c["agency_placements"]
    led = res.ledger
    gross = led.total([Kind.PAYMENT_AGENCY])
    assert abs(led.total([Kind.FEE_AGENCY]) - fee * gross) <= 0.5 * c["agency_placements"] + 1e-6
    lent = led.total([Kind.PAYMENT_LENDER])
    assert abs(led.total([Kind.FEE_FINANCING]) - fee * lent) <= 0.5 * c["financed"] + 1e-6


def test_lever_metrics():
    from simlib.model import metrics
    plan = {"uptake_rate": 1.0, "sizing": "even", "max_months": 10, "miss_base_rate": 1.0,
            "miss_elasticity": 0.0, "autopay_rate": 0.0, "default_after_misses": 3}
    data = tiny({"payment_plan": plan, "agency": AGENCY, "write_off": {"after_days": 200}})
    data["finance"] = {"us_nonprofit": False}  # AGENCY waits for no notice
    data["strategies"]["f"] = {"statement_channel": "letter",
                               "financing": {"balance_min": 0, "uptake_rate": 1.0}}
    sc = scenario_from_dict(flat_takeup(data))
    pop = draw_population(sc, 0)
    m, _, _ = metrics.compute(World(sc, "s", pop).run(), pop, sc)
    assert (m["plan_share"], m["plan_default_rate"], m["agency_share"], m["financed_share"]) == (1, 1, 1, 0)
    assert m["agency_recovery_rate"] == 1.0       # λ0 = 1: the agency collects everything
    m, _, _ = metrics.compute(World(sc, "f", pop).run(), pop, sc)
    assert m["financed_share"] == 1 and math.isnan(m["agency_recovery_rate"])
