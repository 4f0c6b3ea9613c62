"""The collection agency in NumPy (issue 27, simlib.model.vectorized_agency) equals the SimPy lever
account by account: both engines on one population, every ledger row sorted canonically
(receivable, day to the last bit, kind, cents), every open balance and counter (tests.test_hybrid's
assert_identical); seeded. The shipped agencies (finance_levers.yaml), a bad-debt placement that
sends its own final notice or waits for a late one, no wait, an early-out placement with a
prompt-pay discount, and random agency settings (hypothesis)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model import hybrid
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_subset import capacity_free_problems
from simlib.scenario.schema import scenario_from_dict

from tests.test_hybrid import assert_identical, random_strategy, small

ROOT = Path(__file__).resolve().parents[1]
FINANCE = ROOT / "parameters" / "finance_levers.yaml"


def agency_counters(sc, strategy, pop):
    return World(sc, strategy, pop, hybrid=True).run().counters


def test_the_shipped_agencies_run_in_numpy_and_equal_simpy():
    sc = small(FINANCE, encounters_per_day=4.0, warm_up_days=60)
    pop = draw_population(sc, 1)
    for name in ("early_out_agency", "bad_debt_agency_120"):
        share = assert_identical(sc, name, pop)
        assert share > 0.9, name  # all but the disputed accounts (billing_error_rate 0.06)
        c = agency_counters(sc, name, pop)
        assert c["agency_placements"] > 200 and c["agency_payments"] > 50 and c["agency_recalls"] > 100, name
        assert c["agency_contacts"] > 3 * c["agency_recalls"]


def variants() -> dict:
    """finance_levers.yaml's bad-debt agency with other ladders and notice waits (no US nonprofit
    rule, so a wait under 30 days and an early placement are allowed)."""
    data = yaml.safe_load(FINANCE.read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=4.0, warm_up_days=60)
    data["finance"]["us_nonprofit"] = False
    base = data["strategies"]["bad_debt_agency_120"]
    agency = base["agency"]
    letters = [{"day": 30, "channel": "letter"}, {"day": 60, "channel": "letter"}]
    data["strategies"] = {
        # no notice in the ladder: the hospital sends one at day 120 and places 30 days later
        "own_notice": {**base, "ladder": letters},
        # notices at day 100 (balances of $200 or more) and 125 ($1,000 or more): placements move
        # to 30 days after the last one, some twice; the others get the agency's notice
        "late_notices": {**base, "ladder": [letters[0], {"day": 100, "channel": "formal_demand",
                                                          "target": {"balance_min": 200}},
                                            {"day": 125, "channel": "formal_demand", "target": {"balance_min": 1000}}]},
        # the hospital's notice in the quiet hours goes out at 8 h (the same day or the next), then
        # 30 days' wait (some placements deferred twice); with a 2 days' wait after 9 h
        "quiet_notice": {**base, "ladder": letters, "contact_limits": {"quiet_hours": [21, 8]}},
        "quiet_short_wait": {**base, "ladder": letters, "contact_limits": {"quiet_hours": [20, 9]},
                             "agency": {**agency, "notice_days_before": 2}},
        # no wait: the notice goes out and the placement follows at once; a floor of intensity
        "no_wait": {**base, "ladder": [{"day": 30, "channel": "sms"}],
                    "agency": {**agency, "notice_days_before": 0, "floor_per_day": 0.0005}},
        # early out at day 20 with two contacts on the placement day, during a discount's window
        "early_out": {**base, "prompt_pay_discount": {"rate": 0.05, "window_days": 60},
                      "agency": {**agency, "kind": "early_out", "placement_days": 20, "contact_days": [0, 0, 5]}},
    }
    return scenario_from_dict(data, "agency variants (small)")


@pytest.mark.parametrize("strategy", ["own_notice", "late_notices", "quiet_notice", "quiet_short_wait", "no_wait",
                                      "early_out"])
def test_the_notice_wait_and_the_agency_phase_equal_simpy(strategy):
    sc = variants()
    pop = draw_population(sc, 2)
    assert assert_identical(sc, strategy, pop) > 0.9
    c = agency_counters(sc, strategy, pop)
    assert c["agency_placements"] > 200 and c["agency_payments"] > 50 and c["agency_recalls"] > 100
    if strategy in ("own_notice", "no_wait"):  # every placement waited for the hospital's notice
        assert c["eca_notices_sent"] == c["placements_deferred_for_notice"] >= c["agency_placements"] > 0
    if strategy == "late_notices":  # deferred by the ladder's notices, some twice; some sent one
        assert c["placements_deferred_for_notice"] > c["eca_notices_sent"] > 50
    if strategy.startswith("quiet"):  # about half the notices moved; those to the next day defer twice
        assert 0.3 * c["eca_notices_sent"] < c["notices_moved"] < 0.7 * c["eca_notices_sent"]
        assert c["placements_deferred_for_notice"] > c["eca_notices_sent"] + 10
    if strategy == "early_out":
        assert c["discounts"] > 0 and "eca_notices_sent" not in c


def test_what_stays_on_simpy():
    """A payment plan beside a bad-debt agency with no notice wait (after the plan's default the
    engine places after the write-off it deferred), a notice the quiet hours could move past a wait
    of 1 day: the engine's. A plan beside a wait runs in NumPy (tests/test_vectorized_plan_agency.py),
    so does a notice the message cap counts (tests/test_hybrid_agency_cap.py)."""
    data = yaml.safe_load(FINANCE.read_text(encoding="utf-8"))
    data["finance"]["us_nonprofit"] = False
    st = data["strategies"]["bad_debt_agency_120"]
    plan = data["strategies"]["payment_plans"]["payment_plan"]
    data["strategies"] = {
        "with_plan": {**st, "payment_plan": plan, "agency": {**st["agency"], "notice_days_before": 0}},
        "with_plan_and_wait": {**st, "payment_plan": plan},
        "quiet": {**st, "contact_limits": {"quiet_hours": [21, 8]},
                  "agency": {**st["agency"], "notice_days_before": 1}},
        "capped": {**st, "contact_limits": {"messages_per_7_days_max": 2, "message_cap_channels": ["formal_demand"]}},
        "plain": st}
    sc = scenario_from_dict(data, "agency outside the subset")
    assert any("payment plan beside a bad-debt agency with no notice wait" in p
               for p in capacity_free_problems(sc, "with_plan", True))
    assert capacity_free_problems(sc, "with_plan_and_wait", True) == []
    assert any("quiet hours may move" in p for p in capacity_free_problems(sc, "quiet", True))
    # (the cap counts the notice but never moves it: the ladder's formal demand is 30 days old at the
    # placement; one it moves: tests/test_hybrid_agency_cap.py)
    assert capacity_free_problems(sc, "capped", True) == []
    assert capacity_free_problems(sc, "plain", True) == []


@hst.composite
def random_agency(draw):
    """A random strategy of tests.test_hybrid's (calls, discount, deposit, screening, behaviour,
    disputes) with a random agency placed before its write-off, and the delivery days of the
    final notice's channel."""
    strategy, behaviour, error_rate, replication = draw(random_strategy())
    after = strategy["write_off"]["after_days"]
    kind = draw(hst.sampled_from(["bad_debt", "early_out"]))
    recall = draw(hst.sampled_from([20, 60, 150]))
    strategy["agency"] = {
        "kind": kind, "placement_days": draw(hst.sampled_from([10, 45, 80])) * after / 90,
        "balance_min": draw(hst.sampled_from([0, 25, 300])), "fee_rate": draw(hst.sampled_from([0.0, 0.12, 0.3])),
        "initial_per_day": draw(hst.sampled_from([0.0, 0.005, 0.03])),
        "floor_per_day": draw(hst.sampled_from([0.0, 0.0003])), "decay_per_day": draw(hst.sampled_from([0.01, 0.05])),
        "contact_days": draw(hst.lists(hst.integers(0, recall - 1), max_size=4)),
        "contact_jump_per_day": draw(hst.sampled_from([0.0, 0.004, 0.02])), "recall_days": recall,
        "notice_days_before": draw(hst.sampled_from([None, 0, 2, 15, 30]))}
    if draw(hst.booleans()) and strategy["agency"]["notice_days_before"] != 0:
        # (no wait and quiet hours: the engine re-attempts the placement at once while its notice
        # waits for the morning, forever — its RuntimeError, on both engines)
        strategy["contact_limits"] = {"quiet_hours": draw(hst.sampled_from([[21, 8], [20, 9]]))}
    return strategy, behaviour, error_rate, replication, draw(hst.sampled_from([7.0, 0.0]))


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_agency())
def test_random_agencies_are_identical_on_both_engines(case):
    sc, replication = random_scenario(case, "random agency")
    assert_identical(sc, "random", draw_population(sc, replication))


def random_scenario(case, label: str):
    """The baseline, small and short, with the drawn strategy ``random`` (an agency, a plan beside
    it: tests/test_vectorized_plan_agency.py) and its behaviour, error rate and notice's delivery;
    returns the scenario and the replication to draw."""
    strategy, behaviour, error_rate, replication, notice_delivery_days = case
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["channels"] = {"formal_demand": {"delivery_days": notice_delivery_days}}  # 0: the response at once
    data["simulation"].update(encounters_per_day=1.5, warm_up_days=30, horizon_days=300,
                              billing_window_days=200, measurement_day=200, ar_window_days=60)
    data["behaviour"].update(behaviour)
    data["operations"]["billing_team"]["billing_error_rate"] = error_rate
    data["finance"]["us_nonprofit"] = False
    data["strategies"] = {"random": {**strategy, "baseline": True}}
    return scenario_from_dict(data, label), replication


def test_the_random_agencies_are_placed_in_numpy():
    """The hypothesis cases above are not vacuous: a typical one places accounts in NumPy."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=1.5, warm_up_days=30, horizon_days=300,
                              billing_window_days=200, measurement_day=200, ar_window_days=60)
    data["finance"]["us_nonprofit"] = False
    data["strategies"] = {"random": {"baseline": True, "ladder": [{"day": 20, "channel": "letter"}],
                                     "write_off": {"after_days": 200},
                                     "agency": {"placement_days": 100, "notice_days_before": 15}}}
    sc = scenario_from_dict(data, "one agency")
    pop = draw_population(sc, 0)
    world = World(sc, "random", pop, hybrid=True)
    assert world.numpy_accounts is not None and world.numpy_accounts.mean() > 0.5
    c = world.run().counters
    assert c["agency_placements"] > 20 and c["eca_notices_sent"] > 20
    np.testing.assert_array_equal(assert_identical(sc, "random", pop) > 0.5, True)


def test_the_searchs_agency_on_the_combined_strategy_equals_simpy():
    """baseline.yaml's search adds its bad-debt agency (day 150) to `combined`: calls (the accounts
    they may target stay on SimPy), quiet hours [21, 8] that move the hospital's notice, the
    message cap, a deposit and a prompt-pay discount."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=60)
    combined = {k: v for k, v in data["strategies"]["combined"].items() if k != "baseline"}
    combined["ladder"] = [s for s in combined["ladder"] if s["channel"] != "formal_demand"]
    data["strategies"] = {"combined_agency": {**combined, "agency": data["search"]["add"]["agency"]}}
    data.pop("search")
    data.pop("uncertain", None)
    sc = scenario_from_dict(data, "combined with the search's agency (small)")
    pop = draw_population(sc, 4)
    assert 0.3 < assert_identical(sc, "combined_agency", pop) < 0.9
    c = agency_counters(sc, "combined_agency", pop)
    assert c["agency_placements"] > 50 and c["notices_moved"] > 20 and c["eca_notices_sent"] > 50


@pytest.mark.parametrize("strategy", ["late_notices", "quiet_notice"])
def test_the_agency_is_the_same_in_blocks_of_seven_accounts(strategy, monkeypatch):
    """The hybrid runs its NumPy accounts in blocks (simlib.model.population_rows): the agency's
    thresholds and the placements' columns read each block's own encounters."""
    sc = variants()
    pop = draw_population(sc, 3)
    monkeypatch.setattr(hybrid, "BLOCK_ACCOUNTS", 7)
    assert assert_identical(sc, strategy, pop) > 0.9
    assert agency_counters(sc, strategy, pop)["agency_placements"] > 200
