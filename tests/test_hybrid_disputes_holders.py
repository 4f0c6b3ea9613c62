"""Disputes without SimPy beside the levers that hold accounts (issue 27: simlib.model.vectorized_disputes'
``beside``): the hybrid engine equals pure SimPy — every ledger row to the last bit, counters, open
balances — when a dispute's frozen clock meets the public accountant's demand and garnishment (a dispute
raised before the demand moves it and the garnishment it schedules; one raised after the demand, while
the accountant holds the account, leaves the clock as the accountant set it). Small worlds, a high
billing error rate, a congested billing team, disputes late enough to fall after the holder took the
account; seeded, and random settings (hypothesis)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
import yaml

from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

from test_hybrid import ROOT, assert_identical, variants

TEAMS = {
    "congested_late": {"billing_error_rate": 0.3, "staff": 1, "hours_per_dispute": 20.0,
                       "dispute_delay_days_mean": 100.0},
    "very_late": {"billing_error_rate": 0.4, "staff": 1, "hours_per_dispute": 30.0, "dispute_delay_days_mean": 130.0},
    "quick": {"billing_error_rate": 0.3, "staff": 2, "hours_per_dispute": 2.0, "dispute_delay_days_mean": 60.0,
              "resolution_wait_days_mean": 0.0},
    # every dispute on the statement's day: it ties with a plan offered then and a letter sent then
    "at_once": {"billing_error_rate": 0.3, "staff": 1, "hours_per_dispute": 5.0, "dispute_delay_days_mean": 0.0},
}


def _scenario(scenario: str, base: str | None, strategies: dict, team: dict, encounters_per_day: float = 3.0):
    """:func:`test_hybrid.variants` with the billing ``team``; the ``operations`` scenario as a hospital
    no IRS rule binds (a bad-debt placement before day 120, without a final notice)."""
    if scenario != "operations":
        return variants(scenario, base, strategies, encounters_per_day, operations={"billing_team": team})
    data = yaml.safe_load((ROOT / "parameters" / "operations.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=encounters_per_day, warm_up_days=60)
    data.setdefault("operations", {}).setdefault("billing_team", {}).update(team)
    data.setdefault("finance", {})["us_nonprofit"] = False
    start = {k: v for k, v in next(iter(data["strategies"].values())).items() if k != "baseline"}
    data["strategies"] = {name: {**start, **extra} for name, extra in strategies.items()}
    data.pop("uncertain", None)
    data.pop("search", None)
    return scenario_from_dict(data, "operations: a hospital no IRS rule binds (small)")


def _disputed_after(world, pop, days: float) -> int:
    """How many billed accounts of ``world`` have a dispute due ``days`` or more after the statement
    (all of them with a team whose disputes all come on the statement's day)."""
    if world.sc.operations.billing_team.dispute_delay_days_mean == 0:
        return pop.n
    offset = np.asarray(world.levers["price_estimate"].offset, dtype=float)
    return int(((offset >= days) & (pop.patient_cents > 0)).sum())


def _identical_in_numpy(sc, name: str, pop) -> dict:
    """Both engines equal, every account and dispute in NumPy; the hybrid run's counters."""
    world = World(sc, name, pop, hybrid=True)
    assert world.numpy_disputes
    assert assert_identical(sc, name, pop) == 1.0
    return World(sc, name, pop, hybrid=True).run().counters


# ----------------------------------------------------------------------------- the public accountant
ACCOUNTANT = {"comptable_public": {}, "saisie_employeur": {},
              "short_waits": {"public_accountant": {"reminder_days": 20, "demand_days": 40,
                                                    "demand_channel": "formal_demand",
                                                    "seizure_days_after_demand": 30, "garnishee": "employer",
                                                    "payment_days": 10, "seizure_success_rate": 0.5,
                                                    "cost_per_seizure": 3}}}


@pytest.mark.parametrize("team", sorted(TEAMS))
@pytest.mark.parametrize("name", sorted(ACCOUNTANT))
def test_disputes_beside_the_public_accountant(team, name):
    base = name if name != "short_waits" else "comptable_public"
    sc = _scenario("france_public_hospital", base, {name: ACCOUNTANT[name]}, TEAMS[team])
    pop = draw_population(sc, 2)
    counters = _identical_in_numpy(sc, name, pop)
    demand = sc.strategies[name].public_accountant.demand_days
    assert counters["disputes"] > 100 and counters["accountant_seizures"] > 20
    assert _disputed_after(World(sc, name, pop, hybrid=True), pop, demand) > 10  # raised while held


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=hst.sampled_from([0.1, 0.4]), staff=hst.sampled_from([1, 3]), hours=hst.sampled_from([2.0, 25.0]),
       wait=hst.sampled_from([0.0, 5.0]), delay=hst.sampled_from([0.0, 10.0, 90.0, 150.0]),
       reminder=hst.sampled_from([None, 15.0, 44.5]), demand=hst.sampled_from([50.0, 90.0, 120.25]),
       seize=hst.sampled_from([30.0, 45.5]), pay=hst.sampled_from([0.0, 12.0, 30.0]),
       garnishee=hst.sampled_from(["bank", "employer"]), success=hst.sampled_from([0.0, 0.6, 1.0]),
       seed=hst.integers(0, 30))
def test_random_accountants_beside_disputes(rate, staff, hours, wait, delay, reminder, demand, seize, pay,
                                            garnishee, success, seed):
    team = {"billing_error_rate": rate, "staff": staff, "hours_per_dispute": hours,
            "resolution_wait_days_mean": wait, "dispute_delay_days_mean": delay}
    accountant = {"reminder_days": reminder, "demand_days": demand, "seizure_days_after_demand": seize,
                  "payment_days": pay, "garnishee": garnishee, "seizure_success_rate": success,
                  "cost_per_seizure": 4.0}
    sc = _scenario("france_public_hospital", None, {"random": {"public_accountant": accountant}}, team,
                   encounters_per_day=2.0)
    _identical_in_numpy(sc, "random", draw_population(sc, seed))


# ----------------------------------------------------------------------------- a collection agency
# a dispute raised before the placement moves it (and the agency's contacts and recall it files); one
# raised after it is resolved on the agency's clock (its decay, its initial intensity for a patient
# who learns of the bill from the corrected statement) and moves what follows
AGENCY = {"early_out_agency": ("finance_levers", {}), "bad_debt_agency_120": ("finance_levers", {}),
          "short_notice_wait": ("operations", {"agency": {"kind": "bad_debt", "placement_days": 30.5, "balance_min": 0,
                                                          "recall_days": 90, "notice_days_before": 3,
                                                          "contact_days": [0, 10]}}),
          "quick_early_out": ("finance_levers", {"agency": {"kind": "early_out", "placement_days": 20.5,
                                                            "balance_min": 0, "fee_rate": 0.2, "initial_per_day": 0.02,
                                                            "decay_per_day": 0.01, "contact_days": [0, 0.5, 9],
                                                            "recall_days": 60}}),
          "bad_debt_without_notice": ("operations", {"agency": {"kind": "bad_debt", "placement_days": 60,
                                                                  "balance_min": 10, "fee_rate": 0.2,
                                                                  "recall_days": 120, "notice_days_before": None,
                                                                  "contact_days": [0, 30]}})}


@pytest.mark.parametrize("team", sorted(TEAMS))
@pytest.mark.parametrize("name", sorted(AGENCY))
def test_disputes_beside_an_agency(team, name):
    scenario, extra = AGENCY[name]
    sc = _scenario(scenario, None if extra else name, {name: extra}, TEAMS[team])
    pop = draw_population(sc, 2)
    counters = _identical_in_numpy(sc, name, pop)
    placement = sc.strategies[name].agency.placement_days
    assert counters["disputes"] > 100 and counters["agency_placements"] > 50 and counters["agency_payments"] > 10
    assert _disputed_after(World(sc, name, pop, hybrid=True), pop, placement) > 10  # raised while placed


def test_disputes_all_on_the_statements_day_beside_a_step_due_before_it_stay_on_simpy():
    sc = _scenario("finance_levers", "payment_plans", {"kept": {"ladder": [{"day": 0, "channel": "letter"}]}},
                   TEAMS["at_once"])
    pop = draw_population(sc, 1)
    assert not World(sc, "kept", pop, hybrid=True).numpy_disputes
    assert_identical(sc, "kept", pop)


def test_beside_an_agency_that_waits_no_day_for_its_final_notice_the_disputes_stay_on_simpy():
    sc = _scenario("operations", None, {"kept": {"agency": {"kind": "bad_debt", "placement_days": 30,
                                                            "notice_days_before": 0}}}, TEAMS["quick"])
    pop = draw_population(sc, 1)
    assert not World(sc, "kept", pop, hybrid=True).numpy_disputes
    assert_identical(sc, "kept", pop)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=hst.sampled_from([0.1, 0.4]), staff=hst.sampled_from([1, 3]), hours=hst.sampled_from([2.0, 25.0]),
       wait=hst.sampled_from([0.0, 5.0]), delay=hst.sampled_from([0.0, 10.0, 60.0, 150.0]),
       kind=hst.sampled_from(["early_out", "bad_debt"]), placement=hst.sampled_from([20.0, 45.5, 90.0]),
       floor=hst.sampled_from([0.0, 50.0]), contacts=hst.sampled_from([[], [0.0], [0.0, 0.25, 30.0]]),
       recall=hst.sampled_from([40.0, 150.0]), notice=hst.sampled_from([None, 1.0, 30.0]), seed=hst.integers(0, 30))
def test_random_agencies_beside_disputes(rate, staff, hours, wait, delay, kind, placement, floor, contacts, recall,
                                         notice, seed):
    team = {"billing_error_rate": rate, "staff": staff, "hours_per_dispute": hours,
            "resolution_wait_days_mean": wait, "dispute_delay_days_mean": delay}
    agency = {"kind": kind, "placement_days": placement, "balance_min": floor, "fee_rate": 0.25,
              "initial_per_day": 0.015, "decay_per_day": 0.02, "contact_days": contacts, "recall_days": recall,
              "contact_jump_per_day": 0.01, "notice_days_before": notice}
    sc = _scenario("operations", None, {"random": {"agency": agency}}, team, encounters_per_day=2.0)
    _identical_in_numpy(sc, "random", draw_population(sc, seed))


# ----------------------------------------------------------------------------- a payment plan
# the plan and the dispute pause one clock (a default restarts it, even before the dispute; a resolution
# while the plan holds the account leaves it paused); the dispute runs while the plan holds the account,
# and moves the instalments the plan files after it
PLAN = {"payment_plans": {},
        "letter_on_the_statement": {"ladder": [{"day": 0, "channel": "letter", "hour": None},
                                               {"day": 40, "channel": "letter"}]},
        "late_offer": {"payment_plan": {"balance_min": 50, "offer_day": 20.5, "uptake_rate": 0.8, "max_months": 6,
                                        "month_days": 7.25, "miss_base_rate": 0.3, "default_after_misses": 1,
                                        "instalment_min": 10}}}


@pytest.mark.parametrize("team", sorted(TEAMS))
@pytest.mark.parametrize("name", sorted(PLAN))
def test_disputes_beside_a_payment_plan(team, name):
    sc = _scenario("finance_levers", "payment_plans", {name: PLAN[name]}, TEAMS[team])
    pop = draw_population(sc, 2)
    counters = _identical_in_numpy(sc, name, pop)
    assert counters["disputes"] > 100 and counters["plans"] > 30 and counters["plan_defaults"] > 3


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=hst.sampled_from([0.1, 0.4]), staff=hst.sampled_from([1, 3]), hours=hst.sampled_from([2.0, 25.0]),
       wait=hst.sampled_from([0.0, 5.0]), delay=hst.sampled_from([0.0, 10.0, 60.0, 150.0]),
       offer=hst.sampled_from([0.0, 10.0, 45.5]), month=hst.sampled_from([0.5, 7.25, 30.0]),
       misses=hst.sampled_from([1, 2]), miss=hst.sampled_from([0.05, 0.5]), seed=hst.integers(0, 30))
def test_random_plans_beside_disputes(rate, staff, hours, wait, delay, offer, month, misses, miss, seed):
    team = {"billing_error_rate": rate, "staff": staff, "hours_per_dispute": hours,
            "resolution_wait_days_mean": wait, "dispute_delay_days_mean": delay}
    plan = {"balance_min": 50, "offer_day": offer, "uptake_rate": 0.6, "max_months": 8, "month_days": month,
            "miss_base_rate": miss, "default_after_misses": misses}
    sc = _scenario("finance_levers", "payment_plans", {"random": {"payment_plan": plan}}, team, encounters_per_day=2.0)
    _identical_in_numpy(sc, "random", draw_population(sc, seed))


# ----------------------------------------------------------------------------- legal action
# a dispute before the filing moves it (its attempts put off for the formal demand, the demand's
# delivery); one raised while in court is resolved (its correction lowers what the order enforces)
# and moves the service and the end, or holds them past the horizon
LEGAL = {"injonction": {"legal_action": {"filing_days": 60.5, "balance_min": 30, "notice_days_before": 15,
                                         "notice_channel": "formal_demand", "filing_fee": 10, "service_fee": 50,
                                         "order_days": 45, "opposition_days": 30, "enforcement_days": 60,
                                         "success_rate": 0.5, "enforcement_fee_rate": 0.05,
                                         "costs_recovered_rate": 1.0}},
         "quick_court": {"legal_action": {"filing_days": 30, "notice_days_before": 1, "order_days": 0,
                                          "opposition_days": 10, "enforcement_days": 0.5, "success_rate": 0.7,
                                          "service_fee": 20}}}


@pytest.mark.parametrize("team", sorted(TEAMS))
@pytest.mark.parametrize("name", sorted(LEGAL))
def test_disputes_beside_legal_action(team, name):
    sc = _scenario("operations", None, {name: LEGAL[name]}, TEAMS[team])
    pop = draw_population(sc, 2)
    counters = _identical_in_numpy(sc, name, pop)
    filing = sc.strategies[name].legal_action.filing_days
    assert counters["disputes"] > 100 and counters["legal_filings"] > 50 and counters["legal_judgments_paid"] > 10
    assert _disputed_after(World(sc, name, pop, hybrid=True), pop, filing) > 10  # raised while in court


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=hst.sampled_from([0.1, 0.4]), staff=hst.sampled_from([1, 3]), hours=hst.sampled_from([2.0, 25.0]),
       wait=hst.sampled_from([0.0, 5.0]), delay=hst.sampled_from([0.0, 10.0, 60.0, 150.0]),
       filing=hst.sampled_from([20.0, 60.5, 120.0]), notice=hst.sampled_from([0.0, 1.0, 15.0]),
       order=hst.sampled_from([0.0, 20.0]), opposition=hst.sampled_from([0.0, 30.0]),
       enforcement=hst.sampled_from([0.25, 60.0]), success=hst.sampled_from([0.0, 0.6, 1.0]),
       seed=hst.integers(0, 30))
def test_random_legal_action_beside_disputes(rate, staff, hours, wait, delay, filing, notice, order, opposition,
                                             enforcement, success, seed):
    team = {"billing_error_rate": rate, "staff": staff, "hours_per_dispute": hours,
            "resolution_wait_days_mean": wait, "dispute_delay_days_mean": delay}
    legal = {"filing_days": filing, "balance_min": 20, "notice_days_before": notice, "filing_fee": 5,
             "service_fee": 30, "order_days": order, "opposition_days": opposition, "enforcement_days": enforcement,
             "success_rate": success, "enforcement_fee_rate": 0.1, "costs_recovered_rate": 0.5}
    sc = _scenario("operations", None, {"random": {"legal_action": legal}}, team, encounters_per_day=2.0)
    _identical_in_numpy(sc, "random", draw_population(sc, seed))
