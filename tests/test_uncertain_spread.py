"""Where the spread of the gain comes from (issue 11, item 1: "the report states how much of the
spread comes from each"): :func:`simlib.analysis.spread.spread_sources` on tables whose answer is known,
on scenarios whose gain depends only on an assumption or not on it at all, and the report's
section "Assumptions we are unsure of"."""
from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import tiny
from simlib.run.experiment import assumptions_table, run_experiment
from simlib.scenario.schema import scenario_from_dict
from simlib.report.summary import recommendation_sentence
from simlib.report.uncertainty_blocks import (range_words, runs_phrase, spread_sentence,
                                              uncertain_assumptions_section)
from simlib.analysis.decision import decision_metric
from simlib.analysis.spread import shapley_r_squared, spread_sources


def synthetic(gain: np.ndarray, drawn: dict[str, np.ndarray]):
    """Results-like tables: strategy "a" has the gain over "b" on metric "m"; ``drawn`` by path."""
    n = len(gain)
    metrics = pd.DataFrame([(r, s, "m", v) for r in range(n) for s, v in (("a", float(gain[r])), ("b", 0.0))],
                           columns=["replication", "strategy", "metric", "value"])
    rows = [(r, p, p.upper(), float(v[r])) for r in range(n) for p, v in drawn.items()]
    return SimpleNamespace(metrics=metrics, assumptions=assumptions_table(rows))


def test_a_known_split_is_recovered():
    """gain = 1000·x1 + 500·x2 + noise, x1, x2 ~ U(0, 1), x3 unrelated: Var = 1000²/12 + 500²/12 + σ²
    with σ² = the first two together, so the shares are 0.4, 0.1, 0 and chance 0.5 (n = 4,000;
    the standard error of each share is about 0.01)."""
    rng = np.random.default_rng(20261123)
    n = 4000
    x1, x2, x3 = rng.uniform(size=n), rng.uniform(size=n), rng.normal(size=n)
    sd = math.sqrt((1000**2 + 500**2) / 12)
    split = spread_sources(synthetic(1000 * x1 + 500 * x2 + rng.normal(scale=sd, size=n),
                                     {"x1": x1, "x2": x2, "x3": x3}), "a", "b", metric="m")
    shares = split.shares
    assert shares["x1"] == pytest.approx(0.4, abs=0.03)
    assert shares["x2"] == pytest.approx(0.1, abs=0.02)
    assert abs(shares["x3"]) < 0.01
    assert split.explained_share == pytest.approx(0.5, abs=0.03)
    assert split.chance_share == pytest.approx(1 - split.explained_share)
    assert shares.sum() == pytest.approx(split.explained_share, rel=1e-9)
    assert list(split.table()["path"]) == ["x1", "x2", "x3"] and split.table()["label"][0] == "X1"


def test_shapley_shares_sum_to_r_squared_and_split_correlated_regressors():
    """Two copies of one driver share its R² equally; the shares always sum to R²."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    y = 2 * x + rng.normal(scale=0.1, size=200)
    r2, shares = shapley_r_squared(np.column_stack([x, x, rng.normal(size=200)]), y)
    assert shares.sum() == pytest.approx(r2, rel=1e-12)
    assert shares[0] == pytest.approx(shares[1], rel=1e-9) and shares[2] < 0.01


def test_with_few_runs_chance_alone_is_not_taken_for_the_assumptions():
    """A gain that is pure chance, six unrelated assumptions, 20 runs, 200 seeded trials: the
    in-sample R² averages k/(n − 1) = 6/19 ≈ 0.32 (its expectation under no relation); the
    adjusted R² before clipping averages 0 (unbiased), so the reported share (clipped at 0) is
    far below the raw R². Tolerances: 3 standard errors of the mean over the trials."""
    rng = np.random.default_rng(7)
    raw, unclipped, reported = [], [], []
    for _ in range(200):
        drawn = {f"x{j}": rng.uniform(size=20) for j in range(6)}
        split = spread_sources(synthetic(rng.normal(size=20), drawn), "a", "b", metric="m")
        raw.append(split.r_squared)
        unclipped.append(1 - (1 - split.r_squared) * 19 / 13)
        reported.append(split.explained_share)
    se_raw, se_adj = np.std(raw) / np.sqrt(200), np.std(unclipped) / np.sqrt(200)
    assert abs(np.mean(raw) - 6 / 19) < 3 * se_raw
    assert abs(np.mean(unclipped)) < 3 * se_adj
    assert np.mean(reported) < np.mean(raw) / 3 and min(reported) == 0.0


def test_too_few_runs_or_nothing_drawn():
    rng = np.random.default_rng(1)
    few = spread_sources(synthetic(rng.normal(size=4), {f"x{j}": rng.uniform(size=4) for j in range(3)}), "a", "b",
                         metric="m")
    assert math.isnan(few.explained_share) and len(few.shares) == 3
    fixed = spread_sources(synthetic(rng.normal(size=10), {"x": np.full(10, 0.6)}), "a", "b", metric="m")
    assert fixed.explained_share == 0.0 and fixed.chance_share == 1.0 and fixed.shares.empty


# --------------------------------------------------------------------------- on simulated runs
NOTICE = {"kind": "message", "cost": 1.0, "reach": 1.0, "jump_per_day": 0.0}


def notice_scenario(uncertain):
    strategies = {"statement": {"baseline": True, "statement_channel": "email", "write_off": {"after_days": 10000}},
                  "notice": {"statement_channel": "email", "ladder": [{"day": 0, "channel": "notice"}],
                             "write_off": {"after_days": 10000}}}
    return scenario_from_dict(tiny(strategies, uncertain=uncertain, channels={"notice": NOTICE}), "test")


COST = {"path": "channels.notice.cost", "label": "Cost of the notice", "source": "test",
        "distribution": "uniform", "low": 1.0, "high": 5.0}
UNUSED = {"path": "channels.whatsapp.jump_per_day", "label": "WhatsApp effect", "source": "test",
          "distribution": "uniform", "low": 0.0, "high": 0.03}


def test_a_gain_that_depends_only_on_an_assumption_is_all_assumption():
    """A notice at the statement that moves nobody (jump 0): its gain is minus its cost times the
    accounts, a straight line in the drawn cost; the unused channel explains nothing."""
    res = run_experiment(notice_scenario([COST, UNUSED]), replications=12, seed=3)
    split = spread_sources(res, "notice", "statement", "npv_net_cash")
    assert split.explained_share > 0.999 and split.chance_share < 0.001
    assert split.shares[COST["path"]] > 0.99 and split.shares[UNUSED["path"]] < 0.005


def test_an_assumption_no_strategy_uses_explains_nothing_of_a_chance_gain():
    """SMS reminders vs none with only the (unused) WhatsApp effect uncertain: the spread is chance."""
    strategies = {"statement": {"baseline": True, "statement_channel": "email", "write_off": {"after_days": 10000}},
                  "sms": {"statement_channel": "email", "ladder": [{"day": 5, "channel": "sms"}],
                          "write_off": {"after_days": 10000}}}
    sc = scenario_from_dict(tiny(strategies, uncertain=[UNUSED], channels={"sms": {"jump_per_day": 0.01}},
                                 patients={"propensity_sigma": 0.8}), "test")
    res = run_experiment(sc, replications=24, seed=5)
    split = spread_sources(res, "sms", "statement", "npv_net_cash")
    assert split.gain_sd > 0 and split.explained_share < 0.15


# --------------------------------------------------------------------------- the report
def test_the_section_states_the_table_and_the_split_in_words():
    res = run_experiment(notice_scenario([COST, UNUSED]), replications=12, seed=3)
    html = uncertain_assumptions_section(res).data
    assert "Assumptions we are unsure of" in html and "Cost of the notice" in html and "WhatsApp effect" in html
    assert "Uniform: any value from $1.00 to $5.00 equally likely" in html
    assert "$1.20 to $4.80" in html  # the 90 % range: 5 % and 95 % of U(1, 5)
    sentence = spread_sentence(res)
    assert re.fullmatch(r"Of the spread in the gain of “[^”]+” over the runner-up “[^”]+”, 100 % comes from the "
                        r"uncertain assumptions \(mostly “Cost of the notice”, 100 %\) and 0 % from chance in which "
                        r"patients arrive and how they pay\.", sentence), sentence
    assert not re.search(r"\d\.\d{4,}", html)  # no raw floats


def test_without_uncertain_assumptions_the_section_says_so_and_the_headline_is_unchanged():
    sc = notice_scenario([])
    res = run_experiment(sc, replications=2, seed=3)
    assert "declares no uncertain assumptions" in uncertain_assumptions_section(res).data
    assert runs_phrase(res) == "2 simulated runs"
    assert "vary both" not in recommendation_sentence(res) and "vary both" not in res.headline()


def test_the_headline_says_the_runs_vary_patients_and_assumptions():
    res = run_experiment(notice_scenario([COST]), replications=3, seed=3)
    phrase = "3 simulated runs that vary both the patients and the uncertain assumptions"
    assert runs_phrase(res) == phrase and phrase in recommendation_sentence(res)
    assert "runs that vary both the patients and the uncertain assumptions" in res.headline()


def test_range_words_for_a_rate_per_day_are_multiples_of_the_centre():
    sc = scenario_from_dict(tiny(uncertain=[{"path": "channels.sms.jump_per_day", "label": "x", "source": "y",
                                             "distribution": "lognormal", "median": 0.008, "sigma": 0.4}]), "t")
    assert range_words(sc.uncertain[0]) == "0.52× to 1.9× the centre"


def test_decision_metric():
    table = synthetic(np.array([1.0, 2.0]), {})
    assert decision_metric(table.metrics) == "npv_net_cash"
    liquid = pd.concat([table.metrics, table.metrics.assign(metric="npv_after_liquidity")])
    assert decision_metric(liquid) == "npv_after_liquidity"
