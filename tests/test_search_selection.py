"""The search's statistics: the Kim–Nelson selection keeps its stated probability of correct
selection, paired intervals are Bonferroni-corrected, the goal follows the metrics present
(before and after the liquidity metrics exist), Pareto ranks and successive halving's rungs."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from simlib.search.halving import halving_cost, rung_replications
from simlib.search.objectives import Score, front_ranks, goal_for, ranked, score
from simlib.search.selection import kim_nelson, kn_constants, paired_interval


def normal_systems(means, sd, rng, common_sd=0.0):
    """``more(names, start, stop)`` for systems with normal outputs and a common random part."""
    def draw(names, start: int, stop: int) -> dict[str, np.ndarray]:
        common = rng.normal(0, common_sd, stop - start)
        every = {n: m + common + rng.normal(0, sd, stop - start) for n, m in means.items()}
        return {n: every[n] for n in names}
    return draw


def test_kn_constants_match_the_published_formula():
    # KN (2001): eta = 1/2 [(2 alpha/(k-1))^(-2/(n0-1)) - 1], h^2 = 2 eta (n0 - 1)
    k, n0, alpha = 5, 20, 0.05
    eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1)
    assert kn_constants(k, n0, 1 - alpha) == pytest.approx(2 * eta * (n0 - 1))


def test_kim_nelson_picks_a_clear_best_and_stops_early():
    rng = np.random.default_rng(3)
    means = {"a": 0.0, "b": 10.0, "c": 2.0, "d": -5.0}
    more = normal_systems(means, 1.0, rng)
    sel = kim_nelson(more(list(means), 0, 10), more,
                     indifference=1.0, batch=2, max_runs=100)
    assert sel.selected == "b" and sel.guaranteed
    assert max(sel.runs.values()) <= 12 and set(sel.eliminated_at) == {"a", "c", "d"}


def test_kim_nelson_probability_of_correct_selection_is_at_least_the_confidence():
    """400 selections among 4 normal systems with a common random part (as under CRN), the best
    exactly δ ahead (the least favourable configuration): at least 95 % select it."""
    rng = np.random.default_rng(20261124)
    delta, correct, trials = 1.0, 0, 400
    means = {"best": delta, "x": 0.0, "y": 0.0, "z": 0.0}
    for _ in range(trials):
        more = normal_systems(means, 2.0, rng, common_sd=3.0)
        sel = kim_nelson(more(list(means), 0, 10), more,
                         indifference=delta, confidence=0.95, batch=5, max_runs=10_000)
        assert sel.guaranteed
        correct += sel.selected == "best"
    assert correct / trials >= 0.95, correct  # 0.9775 with this seed: KN is conservative


def test_kim_nelson_says_when_it_stopped_at_the_cap():
    rng = np.random.default_rng(5)
    means = {"a": 0.0, "b": 0.0}
    more = normal_systems(means, 5.0, rng)
    sel = kim_nelson(more(list(means), 0, 5), more, indifference=0.01, max_runs=20)
    assert not sel.guaranteed and max(sel.runs.values()) == 20


def test_kim_nelson_with_one_contender_or_identical_ones():
    sel = kim_nelson({"only": np.array([1.0, 2.0])}, lambda *a: {}, indifference=1.0)
    assert sel.selected == "only" and sel.guaranteed
    same = np.array([1.0, 2.0, 3.0])
    sel = kim_nelson({"first": same, "second": same.copy()}, lambda *a: pytest.fail("no more runs needed"),
                     indifference=1.0)
    assert sel.selected == "first"  # a tie goes to the contender listed first


def test_paired_interval_is_bonferroni_corrected():
    rng = np.random.default_rng(1)
    x, y = rng.normal(1, 1, 20), rng.normal(0, 1, 20)
    one, two = paired_interval(x, y), paired_interval(x, y, comparisons=2)
    d = x - y
    half = stats.t.ppf(1 - 0.025 / 2, 19) * d.std(ddof=1) / math.sqrt(20)
    assert two.mean == pytest.approx(d.mean()) and two.high - two.mean == pytest.approx(half)
    assert two.high - two.low > one.high - one.low


# ---------------------------------------------------------------------------- objectives
def settings(**constraints):
    c = dict(contacts_per_account_max=None, calls_per_account_max=None, complaints_per_1000_accounts_max=None,
             liquidity_infeasible_share_max=0.0, within_reported_ranges=True)
    c.update(constraints)
    return SimpleNamespace(constraints=SimpleNamespace(**c), burden=None)


def test_the_goal_uses_the_liquidity_metrics_when_the_scenario_reports_them():
    before = goal_for(settings(contacts_per_account_max=3), ["npv_net_cash", "contacts_per_account"])
    assert before.objective == "npv_net_cash" and before.caps == (("contacts_per_account", 3),)
    after = goal_for(settings(), ["npv_net_cash", "npv_after_liquidity", "liquidity_infeasible"])
    assert after.objective == "npv_after_liquidity" and after.caps == (("liquidity_infeasible", 0.0),)
    runs = [{"npv_after_liquidity": 10.0, "liquidity_infeasible": 0.0},
            {"npv_after_liquidity": 20.0, "liquidity_infeasible": 1.0}]
    s = score(after, runs)
    assert s.objective == 15.0 and not s.feasible and s.excess == (0.5,)


def test_ranking_puts_feasible_first_then_pareto_rank_then_objective():
    s = {"infeasible_rich": Score(100.0, None, (1.0,), 1), "ok": Score(50.0, None, (0.0,), 1),
         "better": Score(60.0, None, (-1.0,), 1)}
    assert ranked(s) == ["better", "ok", "infeasible_rich"]
    two = {"a": Score(10.0, 1.0, (), 1), "b": Score(20.0, 2.0, (), 1), "c": Score(9.0, 3.0, (), 1),
           "d": Score(15.0, 1.5, (), 1)}
    assert front_ranks(two) == {"a": 0, "b": 0, "d": 0, "c": 1}
    assert ranked(two) == ["b", "d", "a", "c"]


def test_successive_halving_rungs_and_cost():
    assert rung_replications(1, 3, 20) == [1, 3, 9]
    assert rung_replications(2, 2, 8) == [2, 4]
    assert rung_replications(5, 3, 4) == [5]
    s = SimpleNamespace(screening_replications=1, halving_factor=3, finalists=4, screening_accounts_share=1.0)
    # 300 screened: 100 promoted to 3 runs (2 more each), 34 to 9 runs (6 more each)
    assert halving_cost(300, s, 20) == 100 * 2 + 34 * 6
