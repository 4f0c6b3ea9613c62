"""The accounts the phone team calls, in NumPy (simlib.model.hybrid_calls): the team's queue as a
fixed point of outcomes -> paths -> requests -> queue. With it on, every account of a strategy with
calls runs in NumPy where no dispute meets a call, and every ledger row (cent and day to the bit),
open balance, counter, metric and the team's records (waits in the order granted, busy time, its
cost) equal pure SimPy's. Off by default (measured slower than SimPy for a ladder of calls alone:
benchmarks/README.md); these tests turn it on. Seeded, and random strategies (hypothesis)."""
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


def test_disputes_beside_calls_keep_the_called_accounts_on_simpy():
    """A dispute's end is a moment a called account resumes on SimPy (it orders its later requests):
    with billing errors the fixed point does not apply, and the accounts a call reaches stay on SimPy."""
    sc = variants("baseline", "calls", {"calls": {}}, encounters_per_day=4.0)
    pop = draw_population(sc, 1)
    world = World(sc, "calls", pop, hybrid=True)
    assert world.numpy_calls is None and world.numpy_accounts.mean() < 0.95
    assert_identical(sc, "calls", pop)


def test_calls_closer_than_a_wait_stay_on_simpy():
    """Two call steps 6 days apart with 5 days of wait: a wait may push the second out of the team's
    hours, which the engine moves again — not a static column: the probe's way."""
    ladder = [{"day": 20, "channel": "call"}, {"day": 26, "channel": "call"}]
    sc = variants("baseline", "calls", {"close": {"ladder": ladder}}, encounters_per_day=3.0, operations=NO_DISPUTES)
    pop = draw_population(sc, 1)
    assert World(sc, "close", pop, hybrid=True).numpy_calls is None
    assert_identical(sc, "close", pop)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_strategy(), agents=hst.sampled_from([1, 2]), minutes=hst.sampled_from([8, 40]),
       wait=hst.sampled_from([0.5, 5]))
def test_random_strategies_with_calls_are_identical(case, agents, minutes, wait):
    strategy, behaviour, _, replication = case
    if not any(step["channel"] == "call" for step in strategy["ladder"]):
        strategy["ladder"].append({"day": 25, "channel": "call", "target": {"balance_min": 50}})
    strategy["phone_team"] = {"agents": agents, "hours": [9, 17], "working_days": [0, 1, 2, 3, 4],
                              "call_minutes_mean": minutes, "right_party_contact_rate": 0.4, "max_wait_days": wait}
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=30, horizon_days=300,
                              billing_window_days=200, measurement_day=200, ar_window_days=60)
    data["behaviour"].update(behaviour)
    data["operations"]["billing_team"]["billing_error_rate"] = 0.0
    data["strategies"] = {"random": {**strategy, "baseline": True}}
    sc = scenario_from_dict(data, "random")
    pop = draw_population(sc, replication)
    assert_identical(sc, "random", pop)
    _team_records_equal(sc, "random", pop)
