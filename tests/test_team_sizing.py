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


# --------------------------------------------------------------------------- teams sized for the work
def _sized(sizing: dict, phone_sizing: dict | None = None, **simulation) -> dict:
    """The calibrated hospital with every team sized by ``sizing`` (the phone teams by ``phone_sizing``)."""
    data = _baseline(**simulation)
    data["search"] = None  # its variables name phone_team.agents, which a sized team does not state
    data.pop("uncertain", None)  # its paths name the strategies: a broken one would add a second line
    for team in ("denials_team", "billing_team"):
        data["operations"][team].pop("staff")
        data["operations"][team]["sizing"] = dict(sizing)
    for name in ("calls", "combined"):
        data["strategies"][name]["phone_team"].pop("agents")
        data["strategies"][name]["phone_team"]["sizing"] = dict(phone_sizing or sizing)
    return data


def _textbook_service_level(c: int, a: float, t_over_s: float) -> float:
    """P(wait ≤ t) in M/M/c from the textbook sum (independent of scipy's Poisson):
    C = (a^c / c!) (c / (c − a)) ÷ (Σ_{k<c} a^k / k! + (a^c / c!) (c / (c − a))); 1 − C e^{−(c − a) t / s}."""
    top = a ** c / math.factorial(c) * c / (c - a)
    erlang = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return 1.0 - erlang * math.exp(-(c - a) * t_over_s)


@pytest.mark.parametrize("volume", [12, 40, 200])
def test_a_team_sized_to_a_service_level_is_the_fewest_that_meet_it_by_erlang_c(volume):
    """The sized team meets the service level (80 % of reworks and disputes started within 0.1 day,
    90 % of calls within 0.02 day) by the textbook Erlang C formula, and one member fewer does not
    (or the team is at its floor of one)."""
    sc = scenario_from_dict(_sized({"service_level": 0.8, "wait_days_max": 0.1},
                                   {"service_level": 0.9, "wait_days_max": 0.02}, encounters_per_day=volume))
    loads = {load.team: load for load in team_loads(sc)}
    teams = {"operations.denials_team": (sc.operations.denials_team, 0.8, 0.1),
             "operations.billing_team": (sc.operations.billing_team, 0.8, 0.1),
             "strategies.calls.phone_team": (sc.strategies["calls"].phone_team, 0.9, 0.02)}
    for path, (team, level, wait) in teams.items():
        load = loads[path]
        c = load.servers
        a = load.arrivals_per_day * load.service_days
        assert load.service_days == pytest.approx(  # full-time members: the stated hours are kept
            (team.hours_per_rework if "denials" in path else team.hours_per_dispute) / 7.0
            if "operations" in path else 8.0 / 1440.0 / (8.0 / 24.0 * 5.0 / 7.0))
        assert c > a and _textbook_service_level(c, a, wait / load.service_days) >= level, (path, c, a)
        assert c == 1 or c - 1 <= a or _textbook_service_level(c - 1, a, wait / load.service_days) < level, (path, c)


@pytest.mark.parametrize("volume", [12, 40])
def test_a_team_sized_to_a_utilisation_works_exactly_the_hours_the_rule_asks(volume):
    """utilisation_max 0.85: every team is ⌈x⌉ people each working x ÷ ⌈x⌉ of the stated hours, with
    x = workload ÷ 0.85 (workload = tasks a day × hours per task ÷ stated hours a day), so it is
    85 % busy and paid x full-time members' hours; the file keeps sizing and the stated hours."""
    sc = scenario_from_dict(_sized({"utilisation_max": 0.85}, encounters_per_day=volume))
    dt = sc.operations.denials_team
    reworks = next(load for load in team_loads(sc) if load.team == "operations.denials_team").arrivals_per_day
    x = reworks * dt.hours_per_rework / 7.0 / 0.85
    assert dt.staff == math.ceil(x) and dt.staff * dt.hours_per_day == pytest.approx(x * 7.0)
    phone = sc.strategies["calls"].phone_team
    assert phone.hours[0] == 9.0 and phone.agents * (phone.hours[1] - 9.0) <= 8.0 * max(1.0, phone.agents)
    assert all(load.utilisation == pytest.approx(0.85) for load in team_loads(sc))
    dumped = sc.model_dump(mode="json")
    assert "staff" not in dumped["operations"]["denials_team"] and dumped["operations"]["denials_team"]["hours_per_day"] == 7.0
    assert dumped["strategies"]["calls"]["phone_team"]["hours"] == [9.0, 17.0]
    bigger = sc.with_values({"simulation.encounters_per_day": volume * 3})  # a changed volume resizes
    assert bigger.operations.denials_team.staff * bigger.operations.denials_team.hours_per_day == pytest.approx(3 * x * 7.0)


def test_a_team_sized_per_volume_scales_with_the_encounters():
    """0.05 members per encounter a day: 0.6 full-time at 12 a day (1 person, 60 % of the hours), 2
    at 40; whole members (part_time false) round to the nearest: 1 and 2."""
    for volume, people, hours in ((12, 1, 0.6 * 7.0), (40, 2, 7.0)):
        sc = scenario_from_dict(_sized({"members_per_encounter_per_day": 0.05}, encounters_per_day=volume))
        assert (sc.operations.billing_team.staff, sc.operations.billing_team.hours_per_day) == (people, pytest.approx(hours))
    whole = scenario_from_dict(_sized({"members_per_encounter_per_day": 0.05, "part_time": False}, encounters_per_day=12))
    assert (whole.operations.billing_team.staff, whole.operations.billing_team.hours_per_day) == (1, 7.0)


def test_scenarios_without_sizing_dump_and_hash_as_before():
    sc = scenario_from_dict(_baseline())
    assert "sizing" not in sc.model_dump(mode="json")["operations"]["denials_team"]
    assert sc.operations.denials_team.staff == 2 and sc.operations.denials_team.hours_per_day == 7.0


@pytest.mark.parametrize("change, line", [
    (lambda d: d["operations"]["billing_team"].update(staff=2),
     "operations.billing_team: give staff (a fixed number) or sizing (from the volume), not both; found both"),
    (lambda d: d["operations"]["denials_team"]["sizing"].update(members_per_encounter_per_day=0.1),
     "operations.denials_team.sizing: expected exactly one of members_per_encounter_per_day, utilisation_max or "
     "service_level (with wait_days_max); found members_per_encounter_per_day, utilisation_max"),
    (lambda d: d["strategies"]["calls"]["phone_team"].update(sizing={"service_level": 0.8}),
     "strategies.calls.phone_team.sizing: service_level and wait_days_max go together"),
    (lambda d: d["operations"]["denials_team"].update(sizing={"utilisation_max": 1.0}),
     "operations.denials_team.sizing.utilisation_max: expected"),
])
def test_a_bad_sizing_is_one_line_and_exit_2(tmp_path, capsys, change, line):
    data = _sized({"utilisation_max": 0.85})
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{path}: {line}") and "\n" not in err, err


def test_validate_says_how_each_sized_team_was_sized(tmp_path, capsys):
    path = tmp_path / "sized.yaml"
    path.write_text(yaml.safe_dump(_sized({"utilisation_max": 0.85}, encounters_per_day=12), sort_keys=False),
                    encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: operations.denials_team: 1 staff (0.54 full-time) sized by utilisation_max 0.85" in out
    assert "warning" not in out  # a team sized to the work is neither short nor idle


def test_a_call_moved_to_the_next_slot_is_placed_there_not_moved_forever():
    """Regression: a call step moved to a part-time team's next slot (09:00–11:30) after a dispute's
    pause fired a rounding error before the slot and was moved to the same slot again, forever
    (replication 4 of the 12-a-day sized hospital, seed 20261123, hung). It now finishes and places
    its calls (main's fix: simlib.world.capacities.phone_team.next_open_slot reads the hour to
    3.6 ms); SIGALRM fails the test instead of hanging the suite."""
    import signal

    data = _sized({"utilisation_max": 0.85}, encounters_per_day=12)
    data["strategies"] = {"calls": data["strategies"]["calls"]}
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 4)

    def _hung(*_):
        raise TimeoutError("the run did not finish in 120 s: a moved call loops")
    old = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(120)
    try:
        res = World(sc, "calls", pop).run()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert res.counters["calls"] > 1000
