"""The billing team's queue on SimPy while the NumPy model resolves disputes (issue 27,
simlib.model.hybrid_disputes.team_work): when some disputed accounts run on SimPy — a call step may
select them, or the engine keeps them (a payer coverage discovery found) — the disputes of the accounts the
NumPy model runs join the team's SimPy queue by a process of the team's work alone, started where
the account would have been (encounter order), and the NumPy model resolves them on the day the
work was done. Identical to pure SimPy (every ledger row to the last bit, the team's staff cost,
counters, open balances) with a congested team, disputes on the statement's day (same-instant
requests: the order they were made decides), calls by a congested phone team and call targets
that split the disputed accounts between the engines. Seeded."""
from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model import hybrid_calls
from simlib.model.engine import World
from simlib.model.population import draw_population

from test_hybrid import ROOT, assert_identical, variants


@pytest.fixture(autouse=True)
def called_accounts_on_simpy(monkeypatch):
    """The path where the accounts a call reaches stay on SimPy (the fixed point of
    simlib.model.hybrid_calls refuses, e.g. beside an agency, or is turned off): their disputes keep
    the billing team on SimPy, and the NumPy accounts' disputes join it."""
    monkeypatch.setattr(hybrid_calls, "ENABLED", False)

TEAMS = {
    "congested": {"billing_error_rate": 0.3, "staff": 1, "hours_per_dispute": 20.0, "hours_per_day": 7.0},
    # every dispute on its statement's day: the requests of one day tie, their order decides the queue
    "on_the_statement": {"billing_error_rate": 0.3, "dispute_delay_days_mean": 0.0, "staff": 2,
                         "hours_per_dispute": 10.0},
    "no_wait": {"billing_error_rate": 0.2, "resolution_wait_days_mean": 0.0, "staff": 1, "hours_per_dispute": 7.0},
}
PHONE = {"agents": 1, "hours": [9.0, 12.0], "max_wait_days": 3.0}


def _calls(balance_min: float) -> dict:
    return {"ladder": [{"day": 5, "channel": "call", "target": {"balance_min": balance_min}},
                       {"day": 20, "channel": "letter"},
                       {"day": 35, "channel": "call", "target": {"balance_min": balance_min}}],
            "phone_team": PHONE}


def _split(world, pop) -> tuple[int, int]:
    """Disputed balances the NumPy model runs, and those SimPy runs."""
    offset = np.asarray(world.levers["price_estimate"].offset, dtype=float)
    disputed = ~np.isnan(offset) & (pop.patient_cents > 0)
    in_numpy = world.numpy_accounts if world.numpy_accounts is not None else np.zeros(pop.n, bool)
    return int((disputed & in_numpy).sum()), int((disputed & ~in_numpy).sum())


@pytest.mark.parametrize("team", sorted(TEAMS))
def test_disputes_beside_calls_share_the_team_on_simpy_identically(team):
    sc = variants("baseline", None, {"calls": _calls(300.0)}, 3.0, operations={"billing_team": TEAMS[team]})
    pop = draw_population(sc, 4)
    world = World(sc, "calls", pop, hybrid=True)
    assert world.numpy_disputes == "team on SimPy"
    numpy_side, simpy_side = _split(world, pop)
    assert numpy_side > 30 and simpy_side > 10  # teeth: the team serves both engines' disputes
    assert assert_identical(sc, "calls", pop) > 0.5
    result = World(sc, "calls", pop, hybrid=True).run()
    assert result.counters["disputes"] > 40 and result.counters["calls"] > 20


def test_a_payer_found_keeps_its_account_on_simpy_and_the_others_disputes_in_numpy():
    """Coverage discovery re-bills the encounters whose payer it finds: the engine keeps those
    accounts (their disputes too); the others' disputes share the team's SimPy queue with them."""
    data = yaml.safe_load((ROOT / "parameters" / "operations.yaml").read_text(encoding="utf-8"))
    found = data["strategies"]["coverage_discovery"]["coverage_discovery"]
    sc = variants("operations", None, {"discovery": {"coverage_discovery": found}}, 4.0,
                  operations={"billing_team": TEAMS["congested"]})
    pop = draw_population(sc, 2)
    world = World(sc, "discovery", pop, hybrid=True)
    assert world.numpy_disputes == "team on SimPy"
    numpy_side, simpy_side = _split(world, pop)
    assert numpy_side > 30 and simpy_side > 0
    assert assert_identical(sc, "discovery", pop) > 0.9


def test_without_a_disputed_account_on_simpy_the_queue_runs_apart():
    """No call and no account the engine keeps: the whole queue runs without SimPy, as before."""
    sc = variants("baseline", None, {"letters": {}}, 3.0, operations={"billing_team": TEAMS["congested"]})
    pop = draw_population(sc, 1)
    world = World(sc, "letters", pop, hybrid=True)
    assert world.numpy_disputes is True and world.dispute_day is None
    assert assert_identical(sc, "letters", pop) == 1.0


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(team=hst.sampled_from(sorted(TEAMS)), balance_min=hst.sampled_from([0.0, 150.0, 600.0]),
       staff=hst.sampled_from([1, 2]), seed=hst.integers(0, 40))
def test_random_teams_and_call_targets_are_identical(team, balance_min, staff, seed):
    sc = variants("baseline", None, {"calls": _calls(balance_min)}, 3.0,
                  operations={"billing_team": {**TEAMS[team], "staff": staff}})
    assert_identical(sc, "calls", draw_population(sc, seed))


def test_disputes_of_an_open_book_tie_on_day_0_and_keep_the_encounters_order(tmp_path):
    """The hospital's own open book: every open balance's statement is on day 0 and, with no delay,
    its dispute too — one instant, a queue served in the order the requests were made (encounter
    order, whichever engine runs the account)."""
    import shutil

    import yaml

    from simlib.scenario.schema import load_scenario

    example = ROOT / "parameters" / "examples"
    data = yaml.safe_load((example / "open_book.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=2.0)
    data.setdefault("operations", {})["billing_team"] = {**TEAMS["on_the_statement"], "staff": 1}
    first = next(iter(data["strategies"].values()))
    data["strategies"] = {"calls": {**{k: v for k, v in first.items() if k != "baseline"}, **_calls(300.0)}}
    (tmp_path / "hospital.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    shutil.copy(example / "open_book.csv", tmp_path / "open_book.csv")
    sc = load_scenario(tmp_path / "hospital.yaml")
    pop = draw_population(sc, 0)
    world = World(sc, "calls", pop, hybrid=True)
    assert world.numpy_disputes == "team on SimPy"
    day = np.asarray(world.dispute_day)
    assert (day == 0.0).sum() > 10  # teeth: NumPy accounts' disputes at the same instant as SimPy's
    numpy_side, simpy_side = _split(world, pop)
    assert numpy_side > 30 and simpy_side > 10
    assert_identical(sc, "calls", pop)


def test_the_call_targets_read_the_overcharge_beside_a_deposit_and_charity():
    """The shipped ``combined`` (a deposit, a discount, contact limits, calls on $200 or more): an
    overcharge is billed on what the deposit left, before presumptive charity screens the bill, so
    the balance the call steps read is none of the three alone (``balance_at_schedule`` takes them
    in the engine's order). Encounter 16048 of this population (a $1,187.71 bill, an overcharge of
    123 %) was the case a bound scaled after charity missed: a call reached it in NumPy; a call step
    selects it, so it runs on SimPy."""
    from simlib.scenario.schema import load_scenario

    sc = load_scenario(ROOT / "parameters" / "baseline.yaml")
    pop = draw_population(sc, 0)
    world = World(sc, "combined", pop, hybrid=True)
    assert world.numpy_disputes == "team on SimPy" and not world.numpy_accounts[16048]
    assert assert_identical(sc, "combined", pop) > 0.8
