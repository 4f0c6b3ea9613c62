"""The ladder's call steps in the NumPy model (simlib.model.vectorized_calls, issue 27): an account a
call step selects but never calls runs in NumPy on the hybrid engine, identical to pure SimPy, with
its call steps moved to the team's working slots as the engine moves them; an account a call would
reach is refused by the NumPy model unless it probes. Seeded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simlib.model import hybrid_calls, vectorized
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

from test_hybrid import assert_identical

ROOT = Path(__file__).resolve().parents[1]


def _calls_scenario(steps: list[dict], hours=(9, 17)):
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=30)
    st = data["strategies"]["calls"]
    st["ladder"] = steps
    st["phone_team"]["hours"] = list(hours)
    data["strategies"] = {"calls": st}
    data.pop("uncertain", None)
    data.pop("search", None)
    return scenario_from_dict(data, "calls at odd hours (small)")


@pytest.mark.parametrize("steps", [
    # a call at 18:30, after the team's hours: every one moves to the next working day's opening
    [{"day": 20, "channel": "call", "hour": 18.5, "target": {"balance_min": 200}},
     {"day": 30, "channel": "letter"}, {"day": 44, "channel": "call", "target": {"balance_min": 50, "balance_max": 900}}],
    # no hour (exactly 25.3 days after the statement), and a call relative to the due date
    [{"day": 25.3, "channel": "call", "hour": None}, {"day": 10, "channel": "sms"},
     {"day": 15, "channel": "call", "hour": 7.0, "relative_to": "due_date", "target": {"balance_min": 300}}],
])
def test_accounts_a_call_step_selects_but_never_calls_run_in_numpy_identically(steps):
    sc = _calls_scenario(steps)
    pop = draw_population(sc, 3)
    share = assert_identical(sc, "calls", pop)
    counters = World(sc, "calls", pop, hybrid=True).run().counters
    assert share > 0.2 and counters["calls"] > 20 and counters["calls_moved_to_working_hours"] > 20  # teeth


def test_an_account_a_call_reaches_is_refused_unless_probed(monkeypatch):
    monkeypatch.setattr(hybrid_calls, "ENABLED", False)  # the probe's path (simlib.model.hybrid_calls: off)
    sc = _calls_scenario([{"day": 20, "channel": "call", "target": {"balance_min": 200}}])
    pop = draw_population(sc, 4)
    world = World(sc, "calls", pop, hybrid=True)
    mask = world.numpy_accounts
    disputed = ~np.isnan(np.asarray(world.levers["price_estimate"].offset, float))
    candidates = (pop.patient_cents > 0) & ~disputed
    with pytest.raises(RuntimeError, match="probe run said no call reaches them"):
        vectorized.simulate(sc, "calls", pop, accounts=candidates)
    probed = vectorized.simulate(sc, "calls", pop, accounts=candidates, probe_calls=True).called
    np.testing.assert_array_equal(mask & ~disputed, candidates & ~probed)  # (and the disputed no step selects)
    assert probed.sum() > 10 and (candidates & (pop.patient_cents >= 20000) & ~probed).sum() > 10
    vectorized.simulate(sc, "calls", pop, accounts=mask)  # the hybrid's accounts: no call reaches them
