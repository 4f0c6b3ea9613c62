"""Issue 20, item 3: the workload each team can expect from the volume, Erlang C, and the
one-line warning of `simlib validate` when a team is far from the volume's needs."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from simlib.cli import main
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict
from simlib.scenario.team_sizing import erlang_c, erlang_c_wait_days, sizing_warnings, team_loads

BASELINE = Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml"


def _baseline(**simulation) -> dict:
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(simulation)
    return data


def test_erlang_c_against_its_textbook_formula():
    """C(c, a) = (a^c / c!) (c / (c − a)) ÷ (Σ_{k<c} a^k / k! + (a^c / c!) (c / (c − a))), by hand
    for c = 1 (M/M/1: C = ρ) and c = 2, a = 1 (C = 1/3); the wait W_q = C ÷ (c μ − λ)."""
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    for c, a in ((3, 2.2), (5, 4.1), (10, 7.0)):
        top = a ** c / math.factorial(c) * c / (c - a)
        assert erlang_c(c, a) == pytest.approx(top / (sum(a ** k / math.factorial(k) for k in range(c)) + top))
    assert erlang_c_wait_days(1, 0.6, 1.0) == pytest.approx(0.6 / (1.0 - 0.6))  # M/M/1: ρ / (μ − λ)
    assert erlang_c(2, 2.0) == 1.0 and math.isinf(erlang_c_wait_days(2, 4.0, 0.5))


def test_the_expected_workloads_match_the_simulated_ones():
    """The denials team's reworks and the billing team's disputes per day predicted from the
    scenario agree with those simulated (calibrated hospital, 40 encounters a day, no warm-up,
    replication 0 of seed 20261123) within 10 %, over the encounters of the billing window."""
    sc = scenario_from_dict(_baseline(warm_up_days=0))
    loads = {load.team: load for load in team_loads(sc)}
    pop = draw_population(sc, 0)
    res = World(sc, "letters_only", pop).run()
    days = sc.simulation.billing_window_days
    assert res.counters["reworks"] / days == pytest.approx(loads["operations.denials_team"].arrivals_per_day,
                                                           rel=0.10)
    assert res.counters["disputes"] / days == pytest.approx(loads["operations.billing_team"].arrivals_per_day,
                                                            rel=0.10)


def test_validate_warns_when_the_teams_do_not_fit_the_volume(tmp_path, capsys):
    """At 40 encounters a day (the calibrated hospital) no warning; at 12 a day the denials team
    and the phone teams are twice what is needed; at 200 a day the denials and billing teams are
    short. One line per team, and validate still succeeds (exit 0)."""
    assert sizing_warnings(scenario_from_dict(_baseline())) == []
    small = sizing_warnings(scenario_from_dict(_baseline(encounters_per_day=12)))
    assert any(w.startswith("operations.denials_team: 2 for 2.1 tasks a day") for w in small), small
    assert any(w.startswith("strategies.calls.phone_team: 2 for at most") for w in small), small
    big = _baseline(encounters_per_day=200)
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(big, sort_keys=False), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    short = [line for line in out if "warning: operations." in line]
    assert len(short) == 2 and all("Erlang C" in line and "would serve this volume" in line for line in short)
    assert np.all(["\n" not in line for line in out])
