"""Disputes in NumPy beside the levers that hold no account (simlib.model.vectorized_disputes, issue
27): beside a deposit (the world bills a right-about-it dispute's overcharge on the balance the
deposit leaves: the NumPy model books that row), patient financing, a pay link and a patient portal
without plans (an offer, a link or a visit due while the dispute stands moves with every pending
action; a link that reaches, a visit, may close the account before its dispute), a card on file (a
retry the engine schedules after the dispute stores its day less the shift), collection charges
(the correction is a fraction of the balance charged) and five of them together — identical to
pure SimPy (every ledger row to the last bit, counters, open balances) with a congested billing
team, disputes raised on the statement day (tied with what is due then), disputes soon after it
with long resolutions and disputes about the due date; and on random teams, levers and
combinations. Seeded."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.levers.contact_limits import ContactLimits
from simlib.model.engine import World
from simlib.model.population import draw_population

from test_hybrid import assert_identical
from test_hybrid_disputes import TEAMS as _TEAMS, _scenario

TEAMS = {"congested": _TEAMS["congested"],
         # raised on the statement day: ties with what is due then (a financing offer)
         "on_the_statement": {"billing_error_rate": 0.3, "dispute_delay_days_mean": 0.0, "staff": 1,
                              "hours_per_dispute": 10.0, "hours_per_day": 7.0},
         # raised soon, resolved long after: most of the lever's actions fall due while the dispute stands
         "long": {"billing_error_rate": 0.4, "dispute_delay_days_mean": 5.0, "staff": 1, "hours_per_dispute": 14.0,
                  "resolution_wait_days_mean": 20.0},
         # raised about the due date, resolved soon: a card's attempts before, during and after the dispute
         "around_the_due_date": {"billing_error_rate": 0.4, "dispute_delay_days_mean": 30.0, "staff": 1,
                                 "hours_per_dispute": 14.0, "resolution_wait_days_mean": 4.0}}

#: per lever: the shipped scenario its variants start from, its variants, and the counter that shows it acted
LEVERS = {
    "deposit": ("baseline.yaml", "deposits", {
        "half": {"deposit": {"share": 0.5, "compliance_rate": 0.8}},
        "whole_and_more": {"deposit": {"share": 1.0, "compliance_rate": 0.9, "estimate_error_sigma": 0.4}}}),
    "financing": ("finance_levers.yaml", "financed", {
        "on_the_statement": {"financing": {"balance_min": 50, "offer_day": 0, "uptake_rate": 0.6}},
        "later": {"financing": {"balance_min": 50, "balance_max": 3000, "offer_day": 20, "uptake_rate": 0.6}}}),
    "pay_link": ("self_service.yaml", "pay_link_payments", {
        "on_the_statement": {"pay_link": {"day": 0, "channel": "sms", "pay_at_once_rate": 0.5, "friction": 0.1}},
        "later_by_email": {"pay_link": {"day": 25, "channel": "email", "pay_at_once_rate": 0.5}}}),
    "patient_portal": ("self_service.yaml", "portal_payments", {
        "soon": {"patient_portal": {"visit_rate": 0.6, "visit_delay_days": 10, "pay_rate": 0.5}},
        "later": {"patient_portal": {"visit_rate": 0.6, "visit_delay_days": 30, "pay_rate": 0.4, "plan_rate": 0.3}}}),
    "card_on_file": ("self_service.yaml", "card_charges_paid", {
        "often_declined": {"card_on_file": {"consent_rate": 0.6, "failure_rate": 0.6, "retries": 4, "retry_days": 3,
                                            "chargeback_rate": 0.05}},
        "later": {"card_on_file": {"consent_rate": 0.6, "failure_rate": 0.5, "retries": 3, "retry_days": 7.3,
                                   "days_after_due": 12.5, "balance_max": 1500}}}),
    "together": ("self_service.yaml", "card_charges_paid", {
        "five_levers_and_a_discount": {
            "deposit": {"share": 0.3, "compliance_rate": 0.6},
            "financing": {"balance_min": 800, "offer_day": 14, "uptake_rate": 0.4},
            "pay_link": {"day": 3, "channel": "sms", "pay_at_once_rate": 0.3},
            "patient_portal": {"visit_rate": 0.4, "visit_delay_days": 20, "pay_rate": 0.3},
            "card_on_file": {"consent_rate": 0.5, "failure_rate": 0.6, "retries": 3, "retry_days": 4},
            "prompt_pay_discount": {"rate": 0.05, "window_days": 20}}}),
    # Chile's law keeps its disputes on SimPy (its quiet hours and message cap): lifted below (_scenario_of)
    "collection_charges": ("chile_clinic.yaml", "collection_charges", {
        "shipped_terms": {"collection_charges": {"rate": 0.09, "after_days_past_due": 20}},
        "later": {"collection_charges": {"rate": 0.05, "after_days_past_due": 45.5, "uf_value_clp": 12000}}}),
}
CASES = [(lever, name) for lever, (_, _, variants) in LEVERS.items() for name in variants]


def _scenario_of(lever: str, name: str, team: dict, encounters_per_day: float = 3.0):
    """The scenario of ``lever``'s variant ``name`` beside disputes of ``team``. Chile's contact
    rules (quiet hours, a message cap) keep disputes on SimPy, and only Chile allows collection
    charges: their NumPy form beside disputes is checked with the contact limits lifted, past the
    scenario's validation (the engines read the strategy as it is)."""
    path, _, variants = LEVERS[lever]
    sc = _scenario(team, {name: variants[name]}, encounters_per_day=encounters_per_day, path=path)
    if lever == "collection_charges":
        free = {k: st.model_copy(update={"contact_limits": ContactLimits()}) for k, st in sc.strategies.items()}
        sc = sc.model_copy(update={"strategies": free})
    return sc


@pytest.mark.parametrize("team", sorted(TEAMS))
@pytest.mark.parametrize("lever,name", CASES)
def test_disputes_beside_a_lever_run_in_numpy_identically(lever, name, team):
    counter = LEVERS[lever][1]
    sc = _scenario_of(lever, name, TEAMS[team])
    pop = draw_population(sc, 2)
    assert World(sc, name, pop, hybrid=True).numpy_disputes
    share = assert_identical(sc, name, pop)
    counters = World(sc, name, pop, hybrid=True).run().counters
    assert share == 1.0 and counters["disputes"] > 30 and counters[counter] > 30  # teeth: both in NumPy


@settings(max_examples=14, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=hst.sampled_from(CASES), rate=hst.sampled_from([0.1, 0.4]), staff=hst.sampled_from([1, 3]),
       wait=hst.sampled_from([0.0, 10.0]), delay=hst.sampled_from([0.0, 3.0, 40.0]), seed=hst.integers(0, 30))
def test_random_disputes_beside_a_lever_are_identical(case, rate, staff, wait, delay, seed):
    lever, name = case
    team = {"billing_error_rate": rate, "staff": staff, "hours_per_dispute": 10.0,
            "resolution_wait_days_mean": wait, "dispute_delay_days_mean": delay}
    sc = _scenario_of(lever, name, team, encounters_per_day=2.0)
    assert assert_identical(sc, name, draw_population(sc, seed)) == 1.0


@hst.composite
def _levers(draw) -> dict:
    """A random strategy of the levers beside which disputes run in NumPy (at least one)."""
    pick = draw(hst.sets(hst.sampled_from(["deposit", "financing", "pay_link", "patient_portal", "card_on_file"]),
                         min_size=1))
    out: dict = {}
    if "deposit" in pick:
        out["deposit"] = {"share": draw(hst.sampled_from([0.3, 1.0])), "compliance_rate": 0.7}
    if "financing" in pick:
        out["financing"] = {"balance_min": 100, "offer_day": draw(hst.sampled_from([0.0, 7.0, 45.0])),
                            "uptake_rate": 0.5}
    if "pay_link" in pick:
        out["pay_link"] = {"day": draw(hst.sampled_from([0, 3, 20])), "channel": draw(hst.sampled_from(["sms", "email"])),
                           "pay_at_once_rate": 0.4}
    if "patient_portal" in pick:
        out["patient_portal"] = {"visit_rate": 0.5, "visit_delay_days": draw(hst.sampled_from([2.0, 25.0])),
                                 "pay_rate": 0.4}
    if "card_on_file" in pick:
        out["card_on_file"] = {"consent_rate": 0.5, "failure_rate": draw(hst.sampled_from([0.2, 0.7])),
                               "retries": draw(hst.integers(0, 4)), "retry_days": draw(hst.sampled_from([1.5, 3.0, 9.0])),
                               "days_after_due": draw(hst.sampled_from([0.0, 6.25]))}
    return out


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(levers=_levers(), delay=hst.sampled_from([0.0, 5.0, 30.0]), wait=hst.sampled_from([0.0, 4.0, 25.0]),
       seed=hst.integers(0, 30))
def test_random_levers_beside_disputes_are_identical(levers, delay, wait, seed):
    team = {"billing_error_rate": 0.35, "staff": 1, "hours_per_dispute": 12.0, "resolution_wait_days_mean": wait,
            "dispute_delay_days_mean": delay}
    sc = _scenario(team, {"random": levers}, encounters_per_day=2.0, path="self_service.yaml")
    assert assert_identical(sc, "random", draw_population(sc, seed)) == 1.0
