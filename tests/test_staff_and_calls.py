"""Issue 9, item 9: staffing has a price (denials and billing teams paid per staffed hour) and calls
land on working days and hours (a call step due when the team is closed moves to its next slot)."""
from __future__ import annotations

import numpy as np
import pytest
import yaml
from pathlib import Path

from simlib.world.capacities.phone_team import next_open_slot
from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.model.metrics import compute
from simlib.scenario.schema import scenario_from_dict
from simlib.model.population import draw_population

BASELINE = Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml"


def small_baseline(**operations) -> dict:
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(billing_window_days=60, horizon_days=200, measurement_day=120,
                              ar_window_days=60, encounters_per_day=10, warm_up_days=0)
    for team, fields in operations.items():
        data["operations"][team].update(fields)
    return data


@pytest.mark.parametrize("team,kind", [("denials_team", Kind.COST_STAFF_DENIALS),
                                       ("billing_team", Kind.COST_STAFF_BILLING)])
def test_one_more_staff_member_costs_their_staffed_hours(team, kind):
    costs, worked_days = [], {}
    for staff in (1, 2):
        data = small_baseline(**{team: {"staff": staff}})
        sc = scenario_from_dict(data)
        pop = draw_population(sc, 0)
        world = World(sc, "letters_only", pop)
        res = world.run()
        resource = world.denials if team == "denials_team" else world.billing
        worked_days[staff] = np.floor(resource.last_work_day) + 1 - world.start_day
        m, _, _ = compute(res, pop, sc)
        costs.append((res.ledger.total([kind]), m["collection_cost_usd"]))
    t = sc.operations.denials_team if team == "denials_team" else sc.operations.billing_team
    for staff, (cents_paid, _) in zip((1, 2), costs):  # paid every day up to the last task's day
        days = worked_days[staff]
        assert 0 < days < sc.simulation.horizon_days
        assert cents_paid == pytest.approx(staff * t.hours_per_day * days * t.cost_per_hour_usd * 100, abs=days)
    assert costs[1][1] > costs[0][1]   # the collection cost rises (before: staff were free)


def test_next_open_slot():
    h, wd = (9.0, 17.0), [0, 1, 2, 3, 4]
    assert next_open_slot(0 + 10 / 24, h, wd) == 0 + 10 / 24              # Monday 10 h: open
    assert next_open_slot(0 + 7 / 24, h, wd) == pytest.approx(9 / 24)      # Monday 7 h: 9 h
    assert next_open_slot(5 + 10 / 24, h, wd) == pytest.approx(7 + 10 / 24)  # Saturday -> Monday
    assert next_open_slot(4 + 18 / 24, h, wd) == pytest.approx(7 + 9 / 24)   # Friday 18 h -> Monday 9 h


def calls_of(agents: int):
    data = small_baseline()
    data["strategies"]["calls"]["phone_team"]["agents"] = agents
    data["strategies"] = {"calls": data["strategies"]["calls"]}
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    res = World(sc, "calls", pop, trace=True).run()
    days = np.array([d for _, d, what in res.events if what == "call connected"])
    return res, days


def test_no_call_is_placed_on_a_weekend_and_many_agents_wait_little():
    res, days = calls_of(16)
    assert len(days) > 50
    assert not np.isin(np.floor(days).astype(int) % 7, [5, 6]).any()
    hours = (days % 1.0) * 24
    assert ((hours >= 9 - 1e-9) & (hours < 17)).all()
    waits_h = res.call_waits_days * 24
    # before: calls due on a weekend waited for Monday, so the mean wait was ≥ 10 h with 16 agents
    # now the only waits are calls moved to the same 9:00 opening: well under an hour on average
    assert waits_h.mean() < 1.0 and waits_h.max() < 8
    assert res.counters["calls_moved_to_working_hours"] > 0
