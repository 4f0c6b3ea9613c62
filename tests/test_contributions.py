"""What each lever contributes (simlib.studies.contributions): the Shapley maths against hand-computed games,
the rules that split a strategy into levers, sub-strategies that reproduce hand-written strategies
exactly on common random numbers, efficiency, a lever that never triggers, and add-one with its
interaction."""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from conftest import tiny
from simlib.studies.contributions import (ContributionError, add_one, contribution_table, design, lever_groups,
                                  leave_one_out, per_replication, run_contributions, shapley_values)
from simlib.run.experiment import run_experiment
from simlib.scenario.schema import load_scenario, scenario_from_dict

KEY = "npv_net_cash"


def game(worth: dict[str, float]) -> dict[frozenset, float]:
    """``{"": 0, "a": 10, "ab": 50, …}`` → ``{frozenset(): 0, frozenset({"a"}): 10, …}``."""
    return {frozenset(k): v for k, v in worth.items()}


# --------------------------------------------------------------------------- the maths
def test_two_levers_by_hand():
    v = game({"": 0, "a": 10, "b": 30, "ab": 50})
    phi = shapley_values(v, ["a", "b"])
    # φ_a = ½ (v(a) − v(∅)) + ½ (v(ab) − v(b)) = ½·10 + ½·20 = 15; φ_b = ½·30 + ½·40 = 35
    assert phi == {"a": Fraction(15), "b": Fraction(35)}
    assert add_one(v, ["a", "b"]) == {"a": 10, "b": 30}
    assert leave_one_out(v, ["a", "b"]) == {"a": 20, "b": 40}
    assert 50 - sum(add_one(v, ["a", "b"]).values()) == 10  # the interaction add-one leaves out


def test_glove_game():
    """One left glove, two right gloves; a pair is worth 1: φ = (2/3, 1/6, 1/6) (textbook values)."""
    players = ["left", "right1", "right2"]
    v = {frozenset(s): float("left" in s and len(s) >= 2)
         for n in range(4) for s in combinations(players, n)}
    assert shapley_values(v, players) == {"left": Fraction(2, 3), "right1": Fraction(1, 6),
                                          "right2": Fraction(1, 6)}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_efficiency_is_exact_and_a_dummy_gets_zero(n):
    rng = np.random.default_rng(1000 + n)
    players = [f"p{i}" for i in range(n)] + ["dummy"]
    base = {frozenset(s): float(rng.normal(0, 1e5)) for k in range(n + 1) for s in combinations(players[:n], k)}
    v = {**base, **{s | {"dummy"}: x for s, x in base.items()}}  # the dummy never changes anything
    phi = shapley_values(v, players)
    assert sum(phi.values()) == Fraction(v[frozenset(players)]) - Fraction(v[frozenset()])  # exactly
    assert phi["dummy"] == 0


# --------------------------------------------------------------------------- which levers
@pytest.fixture(scope="module")
def baseline():
    return load_scenario("parameters/baseline.yaml")


def test_the_combined_baseline_strategy_has_five_levers(baseline):
    groups = lever_groups(baseline, "combined")
    assert [g.key for g in groups] == ["credit_terms_days", "message", "call", "prompt_pay_discount", "deposit"]
    by_key = {g.key: g for g in groups}
    assert by_key["call"].sections == ("phone_team",)            # the team goes with its calls
    assert by_key["message"].sections == ("contact_limits",)     # limits go with the messages
    assert by_key["message"].label == "Text-message reminders with contact limits"
    assert "day 7 SMS" in by_key["message"].changes and "status quo: due in 30 days" in \
        by_key["credit_terms_days"].changes
    assert [g.key for g in lever_groups(baseline, "calls")] == ["call"]
    with pytest.raises(ContributionError, match="changes 1 lever"):
        design(baseline, "deposit")


def test_sub_strategies_are_the_hand_written_single_lever_strategies(baseline):
    """The baseline's one-lever strategies are the status quo plus one lever of `combined` (all but
    SMS, which `combined` pairs with contact limits): the parts built as data equal them."""
    plan = design(baseline, "combined")
    assert plan.method == "shapley" and len(plan.subsets) == 32
    assert plan.subsets[frozenset()] == "letters_only"
    sc = plan.scenario

    def sections(s):
        return {k: v for k, v in s.model_dump(mode="json").items() if k not in ("label", "description", "baseline")}

    for on, name in (("call", "calls"), ("deposit", "deposit"), ("prompt_pay_discount", "prompt_pay_discount"),
                     ("credit_terms_days", "short_terms")):
        assert sections(sc.strategies[plan.subsets[frozenset({on})]]) == sections(baseline.strategies[name]), on
    sms = sections(sc.strategies[plan.subsets[frozenset({"message"})]])
    assert sms["ladder"] == sections(baseline.strategies["sms_reminders"])["ladder"]
    assert sms["contact_limits"] == sections(baseline.strategies["combined"])["contact_limits"]
    full = sc.strategies[plan.subsets[frozenset(g.key for g in plan.groups)]]
    assert sections(full) == sections(baseline.strategies["combined"])  # the ladder exactly as written
    mixed = sc.strategies[plan.subsets[frozenset({"message", "call"})]]
    assert [(s.day, s.channel) for s in mixed.ladder] == [
        (7, "sms"), (20, "call"), (21, "sms"), (30, "letter"), (45, "sms"), (45, "call"), (60, "letter"),
        (75, "call"), (90, "formal_demand")]


def test_many_levers_use_add_one_and_leave_one_out(baseline):
    plan = design(baseline, "combined", shapley_max=4)
    assert plan.method == "add_one"
    keys = [g.key for g in plan.groups]
    expected = {frozenset(), frozenset(keys)} | {frozenset({k}) for k in keys} | \
        {frozenset(keys) - {k} for k in keys}
    assert set(plan.subsets) == expected and len(plan.subsets) == 12


def test_a_part_that_is_not_a_valid_strategy_is_a_one_line_error():
    """An agency placed at 150 days needs the combined strategy's later write-off (200 days): with the
    status quo's 120 it would never place anyone, which the scenario model refuses."""
    sq = {"statement_channel": "email", "write_off": {"after_days": 120}, "baseline": True}
    both = {**sq, "baseline": False, "write_off": {"after_days": 200},
            "agency": {"placement_days": 150, "recall_days": 190}}
    sc = scenario_from_dict(tiny({"sq": sq, "both": both}, finance={"us_nonprofit": False}))
    with pytest.raises(ContributionError) as err:
        design(sc, "both")
    text = str(err.value)
    assert "\n" not in text and "cannot be run apart" in text and "agency.placement_days" in text


# --------------------------------------------------------------------------- on simulated patients
SQ = {"statement_channel": "email", "write_off": {"after_days": 10000}, "baseline": True}
SMS = [{"day": 7, "channel": "sms"}]
DISCOUNT = {"rate": 0.1, "window_days": 30}


@pytest.fixture(scope="module")
def two_levers():
    """The status quo, each lever alone and both, written by hand and run together (seed 5)."""
    strategies = {"sq": SQ, "sms": {**SQ, "baseline": False, "ladder": SMS},
                  "discount": {**SQ, "baseline": False, "prompt_pay_discount": DISCOUNT},
                  "both": {**SQ, "baseline": False, "ladder": SMS, "prompt_pay_discount": DISCOUNT}}
    sc = scenario_from_dict(tiny(strategies))
    main = run_experiment(sc, replications=3, seed=5, workers=1)
    plan = design(sc, "both")
    parts = run_experiment(plan.scenario, replications=3, seed=5, workers=1)
    return sc, main, plan, parts


def _wide(res):
    rows = res.metrics[res.metrics["metric"] == KEY]
    return rows.pivot(index="replication", columns="strategy", values="value")


def test_parts_run_on_the_main_runs_patients(two_levers):
    """Common random numbers: every part equals the hand-written strategy with the same levers, run
    by run, to the last digit (the empty and full sets are the status quo and the strategy)."""
    _, main, plan, parts = two_levers
    m, p = _wide(main), _wide(parts)
    for on, hand in ((frozenset(), "sq"), (frozenset({"message"}), "sms"),
                     (frozenset({"prompt_pay_discount"}), "discount"),
                     (frozenset({"message", "prompt_pay_discount"}), "both")):
        assert p[plan.subsets[on]].tolist() == m[hand].tolist(), hand


def test_two_levers_shapley_by_hand_and_efficiency(two_levers):
    _, main, plan, parts = two_levers
    m = _wide(main)
    runs = per_replication(parts.metrics, plan, KEY)
    for rep in m.index:
        v0, va, vb, vab = (Fraction(float(m.loc[rep, s])) for s in ("sq", "sms", "discount", "both"))
        got = runs[runs["replication"] == rep].set_index("lever")["contribution"]
        assert got["message"] == ((va - v0) + (vab - vb)) / 2            # exactly, in fractions
        assert got["prompt_pay_discount"] == ((vb - v0) + (vab - va)) / 2
        assert got["message"] + got["prompt_pay_discount"] == vab - v0 == got["total"]
    table = contribution_table(parts.metrics, plan, KEY).set_index("lever")
    total = table.loc["total", "contribution"]
    assert table.loc[["message", "prompt_pay_discount"], "contribution"].sum() == pytest.approx(total, rel=1e-12)
    assert table.loc[["message", "prompt_pay_discount"], "share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert total == pytest.approx((m["both"] - m["sq"]).mean(), rel=1e-12)
    assert (table["contribution_ci_low"] <= table["contribution"]).all()
    assert table.loc["message", "label"] == "Text-message reminders"


def test_a_lever_that_never_triggers_contributes_nothing():
    """An SMS step only for balances of $100M or more changes no account: exactly 0, in every run."""
    never = [{"day": 7, "channel": "sms", "target": {"balance_min": 1e8}}]
    both = {**SQ, "baseline": False, "ladder": never, "prompt_pay_discount": DISCOUNT}
    sc = scenario_from_dict(tiny({"sq": SQ, "both": both}))
    table = run_contributions(sc, "both", replications=3, seed=11, workers=1).set_index("lever")
    assert table.loc["message", ["contribution", "contribution_ci_low", "contribution_ci_high", "share"]].tolist() \
        == [0.0, 0.0, 0.0, 0.0]
    assert table.loc["prompt_pay_discount", "contribution"] == table.loc["total", "contribution"] != 0


def test_add_one_reports_the_interaction(two_levers):
    sc, main, _, _ = two_levers
    table = run_contributions(sc, "both", replications=3, seed=5, workers=1, shapley_max=1).set_index("lever")
    m = _wide(main)
    assert (table["method"] == "add_one").all()
    assert list(table.index) == ["message", "prompt_pay_discount", "interaction", "total"]
    assert table.loc["message", "contribution"] == pytest.approx((m["sms"] - m["sq"]).mean(), rel=1e-12)
    assert table.loc["message", "last"] == pytest.approx((m["both"] - m["discount"]).mean(), rel=1e-12)
    parts = table.loc[["message", "prompt_pay_discount", "interaction"], "contribution"].sum()
    assert parts == pytest.approx(table.loc["total", "contribution"], rel=1e-12)


def test_parts_that_are_strategies_of_the_scenario_come_from_the_main_run(two_levers, baseline):
    """Every part of the two-lever strategy is hand-written in the scenario: nothing is run again,
    and the table is the one of the parts run anew, to the last digit."""
    sc, main, plan, parts = two_levers
    reusing = design(sc, "both", reuse=True)
    assert reusing.scenario is None
    assert set(reusing.subsets.values()) == {"sq", "sms", "discount", "both"}
    again = run_contributions(sc, "both", replications=3, seed=5, workers=1, known_metrics=main.metrics)
    pd.testing.assert_frame_equal(again, contribution_table(parts.metrics, plan, KEY))
    # the baseline's combined strategy: six of its 32 parts are strategies of the file
    reused = design(baseline, "combined", reuse=True)
    assert sorted(set(reused.subsets.values()) & set(baseline.strategies)) == sorted(
        ["letters_only", "calls", "prompt_pay_discount", "deposit", "short_terms", "combined"])
    assert len(reused.scenario.strategies) == 26
