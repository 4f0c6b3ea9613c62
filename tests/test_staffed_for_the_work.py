"""Issue 20, item 3: teams are paid for the days they work the book, never for idle days after it,
so what a strategy costs does not depend on how long the run is followed after the last task."""
from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from pathlib import Path

from simlib.core.ledger import Kind
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict
from simlib.world.capacities.staffing import worked_until

BASELINE = Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml"
TEAM_KINDS = [Kind.COST_AGENTS, Kind.COST_STAFF_DENIALS, Kind.COST_STAFF_BILLING]


def _small(horizon_days: float) -> dict:
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(billing_window_days=40, horizon_days=horizon_days, measurement_day=40,
                              ar_window_days=30, encounters_per_day=8, warm_up_days=0)
    return data


def test_team_costs_do_not_grow_with_the_horizon_after_the_last_task():
    """Horizon 700 vs 1,400 days (seed 20261123, replication 0): every team's cost is the same to
    the cent, and each team stopped being paid well before the horizon."""
    totals = []
    for horizon in (700.0, 1400.0):
        sc = scenario_from_dict(_small(horizon))
        pop = draw_population(sc, 0)
        world = World(sc, "calls", pop)
        res = world.run()
        totals.append([res.ledger.total([k]) for k in TEAM_KINDS])
        for kind in TEAM_KINDS:
            rows = res.ledger.kind == kind
            assert rows.any(), kind
            assert res.ledger.day[rows].max() < horizon - 100, kind
    assert totals[0] == totals[1]


def test_worked_until_is_the_end_of_the_last_working_day():
    assert worked_until(12.3, 100.0) == 13.0
    assert worked_until(12.0, 100.0) == 13.0
    assert worked_until(99.5, 99.7) == 99.7       # never after the horizon
    assert worked_until(-3.5, 50.0) == -3.0       # a warm-up day
    assert worked_until(-math.inf, 50.0) == -math.inf  # never worked: never paid


def test_the_phone_team_is_paid_per_open_hour_up_to_its_last_call():
    """Hand count: the agents' cost is agents × open hours × hourly cost over the open intervals
    that start before the end of the last call's day, and nothing after."""
    sc = scenario_from_dict(_small(400.0))
    pop = draw_population(sc, 0)
    world = World(sc, "calls", pop)
    res = world.run()
    phone, cfg = world.phone, sc.strategies["calls"].phone_team
    until = worked_until(phone.last_work_day, sc.simulation.horizon_days)
    open_hours = sum((b - a) * 24.0 for a, b in phone.open_intervals if a < until)
    expected_cents = cfg.agents * open_hours * cfg.cost_per_agent_hour * 100.0
    rows = res.ledger.kind == Kind.COST_AGENTS
    assert res.ledger.amount[rows].sum() == pytest.approx(expected_cents, abs=int(rows.sum()))
    assert res.ledger.day[rows].max() <= until
    assert phone.open_days == pytest.approx(cfg.agents * open_hours / 24.0)
    assert np.isfinite(phone.last_work_day) and phone.last_work_day < 300
