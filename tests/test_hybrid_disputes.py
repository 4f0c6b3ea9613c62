"""Disputes in the hybrid engine without SimPy (simlib.model.vectorized_disputes and
simlib.model.hybrid_disputes, issue 27): when the NumPy model runs every disputed account, the
billing team's queue runs apart and the disputes are resolved in NumPy — identical to pure SimPy
(every ledger row to the last bit, the team's staff cost included, counters, open balances) with
a congested team, no resolution wait, disputes still open at the horizon, a price estimate, a
quality investment (a billing error rate per encounter) and letters sent after a dispute; beside
quiet hours, or when a disputed account stays on SimPy, the disputes stay on SimPy (beside the
levers that hold no account: tests/test_hybrid_disputes_levers.py). Seeded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model.engine import World
from simlib.model.population import draw_population

from test_hybrid import assert_identical, variants

ROOT = Path(__file__).resolve().parents[1]


def _scenario(team: dict, strategies: dict, encounters_per_day: float = 3.0, path: str = "baseline.yaml"):
    return variants(Path(path).stem, None, strategies, encounters_per_day, operations={"billing_team": team})


TEAMS = {
    "congested": {"billing_error_rate": 0.3, "staff": 1, "hours_per_dispute": 20.0, "hours_per_day": 7.0},
    "no_wait": {"billing_error_rate": 0.2, "resolution_wait_days_mean": 0.0, "staff": 2},
    "late_disputes": {"billing_error_rate": 0.2, "dispute_delay_days_mean": 200.0, "staff": 1,
                      "hours_per_dispute": 7.0},
}
STRATEGIES = {
    "status_quo": {},
    "letters_and_estimate": {"ladder": [{"day": 10, "channel": "letter"}, {"day": 25, "channel": "letter"},
                                        {"day": 40, "channel": "formal_demand", "hour": None}],
                             "price_estimate": {"dispute_rate_multiplier": 0.8, "resolution_hours_multiplier": 0.5},
                             "prompt_pay_discount": {"rate": 0.05, "window_days": 20}},
}


@pytest.mark.parametrize("team", sorted(TEAMS))
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_disputes_run_without_simpy_identically(team, name):
    sc = _scenario(TEAMS[team], STRATEGIES)
    pop = draw_population(sc, 3)
    world = World(sc, name, pop, hybrid=True)
    assert world.numpy_disputes
    share = assert_identical(sc, name, pop)
    counters = World(sc, name, pop, hybrid=True).run().counters
    assert share == 1.0 and counters["disputes"] > 30  # teeth: every dispute in NumPy


def test_a_quality_investment_rates_each_encounter():
    data = yaml.safe_load((ROOT / "parameters" / "operations.yaml").read_text(encoding="utf-8"))
    sc = _scenario({"billing_error_rate": 0.25, "staff": 1, "hours_per_dispute": 10.0},
                   {"training": {"billing_training": data["strategies"]["billing_training"]["billing_training"]}},
                   path="operations.yaml")
    pop = draw_population(sc, 2)
    assert np.ndim(World(sc, "training", pop, hybrid=True).billing_error_rate) == 1
    assert assert_identical(sc, "training", pop) == 1.0


@pytest.mark.parametrize("extra", [{"contact_limits": {"quiet_hours": [21, 8]},  # a notice they may move
                                    "ladder": [{"day": 30, "channel": "letter"}, {"day": 90, "channel": "formal_demand",
                                                                                  "hour": None}]}])
def test_beside_what_the_numpy_form_cannot_hold_the_disputes_stay_on_simpy(extra):
    sc = _scenario(TEAMS["congested"], {"kept": extra})
    pop = draw_population(sc, 1)
    world = World(sc, "kept", pop, hybrid=True)
    assert not world.numpy_disputes
    assert_identical(sc, "kept", pop)


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=hst.sampled_from([0.05, 0.4]), staff=hst.sampled_from([1, 3]), hours=hst.sampled_from([2.0, 14.0]),
       wait=hst.sampled_from([0.0, 3.0]), delay=hst.sampled_from([0.0, 14.0, 90.0]), seed=hst.integers(0, 30))
def test_random_teams_are_identical(rate, staff, hours, wait, delay, seed):
    team = {"billing_error_rate": rate, "staff": staff, "hours_per_dispute": hours,
            "resolution_wait_days_mean": wait, "dispute_delay_days_mean": delay}
    sc = _scenario(team, {"random": STRATEGIES["letters_and_estimate"]}, encounters_per_day=2.0)
    assert assert_identical(sc, "random", draw_population(sc, seed)) == 1.0
