"""Issue 22 item 3: the barrier policy acts exactly when the estimated intensity crosses the
barrier (closed form: λ̂(t) = f + (λ̂₀ − f) e^(−κ t) = b(w) ⇒ t = ln((λ̂₀ − f)/(b − f)) / κ), and its
parameters are searchable."""
from __future__ import annotations

import math

import pytest

from simlib.policies.barrier import crossing_days
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from tests.policy_world import ALWAYS_OPEN, events, one_account, run


def barrier_world(**barrier):
    data = one_account({"barrier_policy": {"channel": "email", "min_gap_days": 3, **barrier}}, initial_per_day=0.05)
    data["channels"]["email"]["jump_per_day"] = 0.02
    return data


def test_contacts_fall_exactly_where_the_estimate_crosses_the_barrier():
    res = run(barrier_world(barrier_per_day=0.01))
    days = [d for d, what in events(res) if what.startswith("policy contact email")]
    # first crossing from 0.05; every later one from the barrier plus the email's jump (0.01 + 0.02)
    first, gap = math.log(0.05 / 0.01) / 0.03, math.log(0.03 / 0.01) / 0.03
    paid = [d for d, what in events(res) if what == "paid"]
    expected = [first + k * gap for k in range(10) if first + k * gap < (paid or [400.0])[0]]
    assert days == pytest.approx(expected, abs=1e-4)


def test_the_barrier_rises_with_the_balance():
    """b(w) = 0.01 × (w / $500) ^ 1: a $1,000 balance is acted on at 0.02, i.e. earlier."""
    res = run(barrier_world(barrier_per_day=0.01, balance_exponent=1.0, balance_ref=500.0))
    first = next(d for d, what in events(res) if what.startswith("policy contact email"))
    assert first == pytest.approx(math.log(0.05 / 0.02) / 0.03, abs=1e-4)


def test_a_call_answered_moves_the_estimate_and_an_unanswered_one_does_not():
    data = one_account({"phone_team": dict(ALWAYS_OPEN),
                        "barrier_policy": {"channel": "call", "barrier_per_day": 0.01, "min_gap_days": 5}},
                       initial_per_day=0.05)
    data["channels"]["call"]["jump_per_day"] = 0.02
    answered = [d for d, w in events(run(data)) if w.startswith("policy contact call")]
    data["strategies"]["s"]["phone_team"]["right_party_contact_rate"] = 0.0
    unanswered = [d for d, w in events(run(data)) if w.startswith("policy contact call")]
    first = math.log(5.0) / 0.03
    assert answered[:2] == pytest.approx([first, first + math.log(3.0) / 0.03], abs=1e-4)
    assert unanswered[:3] == pytest.approx([first, first + 5, first + 10], abs=1e-4)  # the minimum gap


def test_crossing_days_closed_form():
    assert crossing_days(0.05, 0.0, 0.03, 0.01) == pytest.approx(math.log(5) / 0.03)
    assert crossing_days(0.05, 0.002, 0.03, 0.01) == pytest.approx(math.log(0.048 / 0.008) / 0.03)
    assert crossing_days(0.01, 0.0, 0.03, 0.02) == 0.0
    assert crossing_days(0.05, 0.02, 0.03, 0.01) == math.inf


def test_the_barrier_is_described_and_checked_and_searchable():
    from simlib.levers import lever_descriptions
    from simlib.search.space import Space
    data = barrier_world(barrier_per_day=0.01, balance_exponent=0.5)
    sc = scenario_from_dict(data, "test")
    assert lever_descriptions(sc.strategies["s"])["barrier_policy"] == (
        "barrier policy: email when the estimated repayment intensity falls below 0.01/day × "
        "(balance ÷ $1,000) ^ 0.5, at most every 3 days")
    bad = barrier_world(barrier_per_day=0.01)
    bad["strategies"]["s"]["barrier_policy"]["channel"] = "call"
    with pytest.raises(ScenarioError, match=r"strategies\.s\.barrier_policy\.channel: a call needs a phone_team"):
        scenario_from_dict(bad, "policy.yaml")
    data["search"] = {"start_from": "s", "variables": [
        {"path": "barrier_policy.barrier_per_day", "low": 0.0, "high": 0.05},
        {"path": "barrier_policy.balance_exponent", "low": 0.0, "high": 2.0}]}
    sc = scenario_from_dict(data, "test")
    assert Space(sc).parameter_names() == ["barrier_policy.barrier_per_day", "barrier_policy.balance_exponent"]
