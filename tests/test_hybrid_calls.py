"""The accounts the phone team calls, in NumPy (simlib.model.hybrid_calls): the team's queue as a
fixed point of outcomes -> paths -> requests -> queue. With it on, every account of a strategy with
calls runs in NumPy (the billing team's queue too), and every ledger row (cent and day to the bit),
open balance, counter, metric and the team's records (waits in the order granted, busy time, its
cost) equal pure SimPy's. On by default since stop 37 (benchmarks/README.md); these tests make sure
of it. Seeded, and random strategies (hypothesis)."""
from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model import hybrid_calls
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict
from test_hybrid import ROOT, assert_identical, random_strategy, variants

NO_DISPUTES = {"billing_team": {"billing_error_rate": 0.0}}


@pytest.fixture(autouse=True)
def calls_in_numpy(monkeypatch):
    monkeypatch.setattr(hybrid_calls, "ENABLED", True)


def _team_records_equal(sc, name, pop):
    a, b = World(sc, name, pop, hybrid=False).run(), World(sc, name, pop, hybrid=True).run()
    np.testing.assert_array_equal(a.call_waits_days, b.call_waits_days)  # in the order granted
    assert a.agent_busy_days == b.agent_busy_days and a.agent_open_days == b.agent_open_days
    return a


@pytest.mark.parametrize("scenario, name", [("baseline", "calls"), ("baseline", "combined"),
                                            ("policies", "calls_calendar"), ("chile_clinic", "llamadas"),
                                            ("france_clinic", "relance_telephonique")])
def test_the_shipped_call_strategies_without_disputes_run_every_account_in_numpy(scenario, name):
    sc = variants(scenario, name, {name: {}}, encounters_per_day=4.0, operations=NO_DISPUTES)
    pop = draw_population(sc, 1)
    assert assert_identical(sc, name, pop) == 1.0
    world = World(sc, name, pop, hybrid=True)
    assert world.numpy_calls is not None and world.numpy_calls.sum() > 50
    result = _team_records_equal(sc, name, pop)
    # teeth: calls waited (the queue decided when) and some were given up or reached nobody
    assert (result.call_waits_days > 0).mean() > 0.15 and result.counters["calls"] > 100


def test_a_busy_team_with_abandoned_calls_and_limits():
    """One agent, two hours three days a week, long calls, and a cap of one call a week (quiet hours
    may not overlap the team's hours: validation): calls abandoned, calls the cap forbids at the
    agent, every account in NumPy and identical."""
    team = {"agents": 1, "hours": [8, 10], "working_days": [0, 2, 4], "call_minutes_mean": 25,
            "right_party_contact_rate": 0.5, "max_wait_days": 3}
    ladder = [{"day": 10, "channel": "call"}, {"day": 19.5, "channel": "call"}, {"day": 30, "channel": "letter"},
              {"day": 40, "channel": "call", "target": {"balance_min": 100}},
              {"day": 52, "channel": "call", "relative_to": "due_date"}]
    sc = variants("baseline", "calls", {"busy": {"phone_team": team, "ladder": ladder,
                                                  "contact_limits": {"calls_per_7_days_max": 1}}},
                  encounters_per_day=4.0, operations=NO_DISPUTES)
    pop = draw_population(sc, 2)
    assert assert_identical(sc, "busy", pop) == 1.0
    result = _team_records_equal(sc, "busy", pop)
    c = result.counters
    assert c["calls_abandoned"] > 20 and c["suppressed_call"] > 5 and c["calls"] > 50


@pytest.mark.parametrize("scenario, name, seed", [("baseline", "calls", 1), ("baseline", "combined", 2),
                                                  ("policies", "calls_calendar", 3), ("chile_clinic", "llamadas", 4),
                                                  ("france_clinic", "relance_telephonique", 5)])
def test_the_shipped_call_strategies_with_disputes_run_every_account_in_numpy(scenario, name, seed):
    """With the scenarios' billing errors the billing team's queue joins the fixed point: a called
    account's dispute is raised when its process, synced from where it last resumed (a call's
    outcome), reaches it — after a call's wait if it fell in one —, its end resumes the process (the
    replica's order of its later requests), and a call step the dispute's pause moved out of the
    team's hours moves to the next slot. Every account in NumPy, every row and the teams' records
    identical."""
    sc = variants(scenario, name, {name: {}}, encounters_per_day=4.0)
    pop = draw_population(sc, seed)
    world = World(sc, name, pop, hybrid=True)
    assert world.numpy_calls is not None and world.numpy_disputes is True
    disputed_and_called = world.numpy_calls & ~np.isnan(np.asarray(world.levers["price_estimate"].offset, float))
    assert disputed_and_called.sum() > 10  # teeth: called accounts raise disputes
    assert assert_identical(sc, name, pop) == 1.0
    result = _team_records_equal(sc, name, pop)
    assert result.counters["calls_moved_to_working_hours"] > 100 and result.counters["disputes"] > 50


def test_disputes_due_during_a_calls_wait_join_the_queue_in_the_engines_order():
    """One agent two hours three days a week, waits of up to 4 days, a call two days after the
    statement and disputes 4 days after it on average: many disputes fall due while their account
    waits for an agent and are raised when the wait ends — some at one moment, where waits end
    together (requests at the opening hour give up 4 days later): they join the billing team's queue
    in the order the engine resumes those accounts (the replica's order of outcomes; reversed, the
    test fails; in encounter order it passes here: the ties' accounts asked in that order)."""
    team = {"agents": 1, "hours": [9, 11], "working_days": [0, 2, 4], "call_minutes_mean": 30,
            "right_party_contact_rate": 0.5, "max_wait_days": 4}
    ladder = [{"day": 2, "channel": "call"}, {"day": 30, "channel": "letter"}, {"day": 45, "channel": "call"}]
    ops = {"billing_team": {"billing_error_rate": 0.5, "dispute_delay_days_mean": 4.0}}
    sc = variants("baseline", "calls", {"waits": {"phone_team": team, "ladder": ladder}}, encounters_per_day=3.0,
                  operations=ops)
    pop = draw_population(sc, 3)
    world = World(sc, "waits", pop, hybrid=True)
    assert world.numpy_calls is not None
    disputes = world.calls_fixed[1]
    offset = np.asarray(world.levers["price_estimate"].offset, float)
    static = world.start_day + ((np.asarray(world.statement_day) + offset) - world.start_day)
    both = ~np.isnan(disputes.raised) & ~np.isnan(static)
    assert (disputes.raised[both] != static[both]).sum() > 50  # teeth: raised when a wait ended
    raised = disputes.raised[~np.isnan(disputes.raised)]
    assert np.unique(raised).size < raised.size  # teeth: some at one moment
    assert assert_identical(sc, "waits", pop) == 1.0
    _team_records_equal(sc, "waits", pop)


def test_a_call_a_dispute_moves_beside_an_agency_keeps_the_called_accounts_on_simpy():
    """Beside an agency (its deferred placements hold columns by place) the NumPy form refuses to move
    a call step: the fixed point gives up before the run and the accounts a call reaches stay on
    SimPy — identical all the same."""
    agency = {"kind": "early_out", "placement_days": 110, "fee_rate": 0.15}
    sc = variants("baseline", "calls", {"calls": {"agency": agency}}, encounters_per_day=4.0)
    pop = draw_population(sc, 1)
    world = World(sc, "calls", pop, hybrid=True)
    assert world.numpy_calls is None and world.calls_fixed is None
    assert world.numpy_accounts is None or world.numpy_accounts.mean() < 0.95
    assert_identical(sc, "calls", pop)


def test_calls_closer_than_a_wait_stay_on_simpy():
    """Two call steps 6 days apart with 5 days of wait: a wait may push the second out of the team's
    hours, which the engine moves again — not a static column: the probe's way."""
    ladder = [{"day": 20, "channel": "call"}, {"day": 26, "channel": "call"}]
    sc = variants("baseline", "calls", {"close": {"ladder": ladder}}, encounters_per_day=3.0, operations=NO_DISPUTES)
    pop = draw_population(sc, 1)
    assert World(sc, "close", pop, hybrid=True).numpy_calls is None
    assert_identical(sc, "close", pop)


@settings(max_examples=16, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_strategy(), agents=hst.sampled_from([1, 2]), minutes=hst.sampled_from([8, 40]),
       wait=hst.sampled_from([0.5, 5]), errors=hst.sampled_from([0.0, 0.25]))
def test_random_strategies_with_calls_are_identical(case, agents, minutes, wait, errors):
    strategy, behaviour, _, replication = case
    if not any(step["channel"] == "call" for step in strategy["ladder"]):
        strategy["ladder"].append({"day": 25, "channel": "call", "target": {"balance_min": 50}})
    strategy["phone_team"] = {"agents": agents, "hours": [9, 17], "working_days": [0, 1, 2, 3, 4],
                              "call_minutes_mean": minutes, "right_party_contact_rate": 0.4, "max_wait_days": wait}
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=30, horizon_days=300,
                              billing_window_days=200, measurement_day=200, ar_window_days=60)
    data["behaviour"].update(behaviour)
    data["operations"]["billing_team"]["billing_error_rate"] = errors  # disputes beside calls, or none
    data["strategies"] = {"random": {**strategy, "baseline": True}}
    sc = scenario_from_dict(data, "random")
    pop = draw_population(sc, replication)
    assert_identical(sc, "random", pop)
    _team_records_equal(sc, "random", pop)


def test_a_fixed_point_not_found_in_its_rounds_leaves_the_called_accounts_on_simpy(monkeypatch):
    """A queue that needs more rounds than hybrid_calls.MAX_ROUNDS (here one: `calls` needs two)
    gives up before the run, as a refusal: the accounts a call reaches stay on SimPy, identical."""
    monkeypatch.setattr(hybrid_calls, "MAX_ROUNDS", 1)
    sc = variants("baseline", "calls", {"calls": {}}, encounters_per_day=4.0)
    pop = draw_population(sc, 1)
    world = World(sc, "calls", pop, hybrid=True)
    assert world.numpy_calls is None and world.calls_fixed is None and world.numpy_accounts.mean() < 0.95
    assert_identical(sc, "calls", pop)
