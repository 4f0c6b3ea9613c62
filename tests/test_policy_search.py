"""Issue 22, item 4: `simlib search` over policies — rule thresholds (a list index in the path,
``policy.rules.0.days``) and barrier parameters (``barrier_policy.barrier_per_day``), with the
screening, halving and selection of tests/test_search.py and a Pareto front against burden, on a
tiny one-channel world (tests/policy_world.py: patients who pay only when a contact moves them)."""
from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml

from simlib.core.settings import ScenarioError
from simlib.scenario.schema import scenario_from_dict
from simlib.search import run_search
from tests.policy_world import ALWAYS_OPEN, one_account

N = 600
#: a call moves a patient (jump 0.03/day), costs $2; a $300 bill, 200 days
CALLS = {"kind": "call", "cost": 2.0, "reach": 1.0, "jump_per_day": 0.03}


def world(search: dict) -> dict:
    data = one_account({}, horizon=200.0, initial_per_day=0.002, propensity_sigma=0.5)
    data["simulation"].update(open_book_accounts=N, measurement_day=150, replications=4)
    data["payers"]["self_pay"].update(allowed_median=300.0, allowed_sigma=0.5)
    data["channels"]["call"] = dict(CALLS)
    email = {"statement_channel": "email", "write_off": {"after_days": 10000}}
    team = dict(ALWAYS_OPEN)
    data["strategies"] = {
        "calendar": dict(email, baseline=True, phone_team=team, ladder=[{"day": 30, "channel": "call"}]),
        "rules": dict(email, phone_team=team, policy={"rules": [
            {"when": "no_payment", "days": 30, "after": "statement", "do": {"contact": "call"}},
            {"when": "no_payment", "days": 30, "after": "call", "do": {"contact": "call"}}]}),
        "barrier": dict(email, phone_team=team, barrier_policy={
            "channel": "call", "barrier_per_day": 0.001, "min_gap_days": 14})}
    data["search"] = {"budget": 8, "batch": 4, "finalists": 2, "indifference": 200,
                      "selection_replications_max": 6, "constraints": {"within_reported_ranges": False},
                      **search}
    return data


def search(data: dict, out):
    return run_search(scenario_from_dict(copy.deepcopy(data), "policy search"), out=out, page=False,
                      workers=1, seed=3)


def test_rule_thresholds_are_searched_through_a_list_index(tmp_path):
    """The days of both rules are searched; every candidate keeps its phone team (the calls are the
    policy's, not the ladder's) and the strategy found is a valid block whose rules carry the
    searched days."""
    run = search(world({"start_from": "rules", "variables": [
        {"path": "policy.rules.0.days", "low": 5, "high": 60, "step": 5},
        {"path": "policy.rules.1.days", "low": 10, "high": 90, "step": 10}]}), tmp_path)
    trials = pd.read_csv(run.directory / "trials.csv")
    assert len(trials) == 8 and trials["value:policy.rules.0.days"].between(5, 60).all()
    assert trials["value:policy.rules.1.days"].isin(range(10, 91, 10)).all()
    block = yaml.safe_load((run.directory / "best_strategy.yaml").read_text())
    (name, found), = block.items()
    assert found["phone_team"] is not None
    days = [r["days"] for r in found["policy"]["rules"]]
    assert 5 <= days[0] <= 60 and 10 <= days[1] <= 90
    data = world({"start_from": "rules", "variables": [{"path": "policy.rules.0.days", "low": 5, "high": 60}]})
    data["strategies"][name] = found
    scenario_from_dict(data, "with the found strategy")  # a valid block as it is
    # the calls the searched policy makes: the found strategy calls on the final runs
    calls = run.final.metrics[(run.final.metrics["strategy"] == run.found_name)
                              & (run.final.metrics["metric"] == "calls_per_account")]["value"]
    assert calls.mean() > 0.5


def test_barrier_parameters_are_searched_with_a_pareto_front_against_burden(tmp_path):
    run = search(world({"start_from": "barrier", "burden": "contacts_per_account", "variables": [
        {"path": "barrier_policy.barrier_per_day", "low": 0.0, "high": 0.02, "step": 0.001},
        {"path": "barrier_policy.min_gap_days", "low": 7, "high": 35, "step": 7}]}), tmp_path)
    front = pd.read_csv(run.directory / "pareto_front.csv")
    on = front[front["on_front"]]
    assert len(on) >= 1
    for r in on.itertuples():  # nobody on the front is beaten on both objectives
        beaten = front[(front["npv_net_cash"] >= r.npv_net_cash)
                       & (front["contacts_per_account"] <= r.contacts_per_account)
                       & ((front["npv_net_cash"] > r.npv_net_cash)
                          | (front["contacts_per_account"] < r.contacts_per_account))]
        assert beaten.empty
    trials = pd.read_csv(run.directory / "trials.csv")
    assert trials["value:barrier_policy.barrier_per_day"].between(0.0, 0.02).all()
    blocks = yaml.safe_load((run.directory / "front_strategies.yaml").read_text())
    assert all(b["barrier_policy"]["channel"] == "call" and b["phone_team"] is not None for b in blocks.values())


@pytest.mark.parametrize("path, message", [
    ("policy.rules.5.days", "policy.rules.5.days: no entry 5 (the list has 2)"),
    ("policy.rules.0.dayz", "no parameter 'dayz'"),
])
def test_a_bad_policy_path_is_one_line_naming_it(path, message):
    data = world({"start_from": "rules", "variables": [{"path": path, "low": 5, "high": 60}]})
    with pytest.raises(ScenarioError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")):
        scenario_from_dict(data, "bad")
