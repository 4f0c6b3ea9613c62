import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simlib.analysis import summaries as analysis
from simlib.analysis.decision import decide
from simlib.analysis.numbers import mean_ci_text, value_text
from simlib.core.metric_catalogue import KEY_METRIC


def tidy(values: dict[str, list[float]], metric: str = KEY_METRIC) -> pd.DataFrame:
    """A metrics table from ``{strategy: [value per replication]}``."""
    return pd.DataFrame([(rep, strategy, metric, float(v))
                         for strategy, vals in values.items() for rep, v in enumerate(vals)],
                        columns=["replication", "strategy", "metric", "value"])


def correlated(n: int = 30, seed: int = 7) -> pd.DataFrame:
    """Three strategies sharing a large per-replication common shock (as under CRN)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(1_000_000, 100_000, n)
    return tidy({"status quo": common + rng.normal(0, 1_000, n),
                 "text first": common + 20_000 + rng.normal(0, 1_000, n),
                 "early agency": common - 5_000 + rng.normal(0, 1_000, n)})


def test_summarize_matches_hand_computed_t_interval():
    summary = analysis.summarize(tidy({"a": [1, 2, 3, 4]})).iloc[0]
    # mean 2.5, sd sqrt(5/3), t(0.975, 3) = 3.182446: half-width 3.182446 * 1.290994 / 2
    assert summary["n"] == 4
    assert summary["mean"] == pytest.approx(2.5)
    assert summary["sd"] == pytest.approx(math.sqrt(5 / 3))
    assert summary["half_width"] == pytest.approx(2.0542603, rel=1e-6)
    assert (summary["ci_low"], summary["ci_high"]) == pytest.approx((2.5 - 2.0542603, 2.5 + 2.0542603))


def test_summarize_confidence_level_widens_interval():
    metrics = tidy({"a": [1, 2, 3, 4, 9]})
    assert (analysis.summarize(metrics, 0.99)["half_width"].iloc[0]
            > analysis.summarize(metrics, 0.90)["half_width"].iloc[0])


def test_summarize_single_replication_and_constant_values():
    one = analysis.summarize(tidy({"a": [5.0]})).iloc[0]
    assert one["n"] == 1 and one["mean"] == 5.0
    assert math.isnan(one["ci_low"]) and math.isnan(one["half_width"])
    flat = analysis.summarize(tidy({"a": [3.0, 3.0, 3.0]})).iloc[0]
    assert flat["sd"] == 0 and flat["half_width"] == 0 and flat["ci_low"] == flat["ci_high"] == 3.0


def test_summarize_keeps_strategies_and_metrics_apart():
    metrics = pd.concat([tidy({"a": [1, 2], "b": [10, 20]}), tidy({"a": [5, 5]}, "days_in_ar")])
    summary = analysis.summarize(metrics).set_index(["strategy", "metric"])
    assert summary.loc[("b", KEY_METRIC), "mean"] == 15
    assert summary.loc[("a", "days_in_ar"), "mean"] == 5
    assert len(summary) == 3


def test_paired_difference_is_mean_of_per_replication_differences():
    metrics = correlated()
    wide = metrics.pivot(index="replication", columns="strategy", values="value")
    diffs = analysis.paired_differences(metrics, "status quo").set_index("strategy")
    assert set(diffs.index) == {"text first", "early agency"}
    per_rep = wide["text first"] - wide["status quo"]
    row = diffs.loc["text first"]
    assert row["mean_diff"] == pytest.approx(per_rep.mean())
    assert row["sd_diff"] == pytest.approx(per_rep.std(ddof=1))
    assert row["relative_diff"] == pytest.approx(per_rep.mean() / wide["status quo"].mean())
    assert row["ci_low"] < 20_000 < row["ci_high"]


def test_paired_ci_is_narrower_than_unpaired_under_common_random_numbers():
    metrics = correlated()
    wide = metrics.pivot(index="replication", columns="strategy", values="value")
    n = len(wide)
    unpaired_half_width = stats.t.ppf(0.975, n - 1) * math.sqrt(
        (wide["text first"].var() + wide["status quo"].var()) / n)
    row = analysis.paired_differences(metrics, "status quo").set_index("strategy").loc["text first"]
    paired_half_width = (row["ci_high"] - row["ci_low"]) / 2
    assert paired_half_width < unpaired_half_width / 10
    assert row["ci_low"] > 0  # the gain is resolved only because replications are paired


def test_paired_differences_joins_on_replication_not_row_order():
    metrics = tidy({"base": [10, 20, 30], "alt": [11, 22, 33]})
    shuffled = metrics.sample(frac=1, random_state=3)
    row = analysis.paired_differences(shuffled, "base").iloc[0]
    assert row["mean_diff"] == pytest.approx(2.0)
    assert row["n"] == 3


def test_paired_differences_relative_nan_when_baseline_mean_zero_and_unknown_baseline():
    metrics = tidy({"base": [-1, 1], "alt": [1, 2]})
    assert math.isnan(analysis.paired_differences(metrics, "base")["relative_diff"].iloc[0])
    with pytest.raises(ValueError):
        analysis.paired_differences(metrics, "nope")


def test_probability_best_counts_wins_and_splits_ties():
    metrics = tidy({"a": [3, 1, 2, 5], "b": [3, 2, 1, 4], "c": [1, 0, 2, 5]})
    share = analysis.probability_best(metrics, KEY_METRIC)
    # rep 0: a,b tie; rep 1: b; rep 2: a,c tie; rep 3: a,c tie
    assert share.to_dict() == pytest.approx({"a": (0.5 + 0.5 + 0.5) / 4, "b": 1.5 / 4, "c": 1 / 4})
    lower = analysis.probability_best(metrics, KEY_METRIC, higher_is_better=False)
    # lowest: rep 0 c, rep 1 c, rep 2 b, rep 3 b
    assert lower.to_dict() == pytest.approx({"a": 0, "b": 0.5, "c": 0.5})


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=20))
def test_probability_best_sums_to_one(rows):
    metrics = tidy({s: [r[i] for r in rows] for i, s in enumerate("xyz")})
    assert analysis.probability_best(metrics, KEY_METRIC).sum() == pytest.approx(1.0)


def test_decide_picks_best_by_catalogue_direction():
    result = decide(correlated(), "status quo")
    assert result.strategy == "text first" and result.baseline == "status quo"
    assert result.significant and result.ci_low < result.gain < result.ci_high
    assert result.probability_best == pytest.approx(1.0)
    assert result.runner_up == "status quo" and result.margin == pytest.approx(result.gain)  # the next best
    # days in A/R: lower is better; the runner-up's margin is positive in the better direction
    days = tidy({"base": [40, 42, 41], "fast": [35, 36, 36], "slow": [50, 51, 49]}, "days_in_ar")
    result = decide(days, "base", metric="days_in_ar")
    assert result.strategy == "fast" and result.gain == pytest.approx(-16 / 3)
    assert result.runner_up == "base" and result.margin == pytest.approx(16 / 3)


def test_decide_baseline_best_and_no_direction():
    result = decide(tidy({"base": [5, 6], "alt": [1, 2]}), "base")
    assert result.strategy == "base" and result.gain == 0 and not result.significant
    assert result.runner_up == "alt" and result.margin == pytest.approx(4.0)
    with pytest.raises(ValueError):
        decide(tidy({"base": [1, 2]}, "plan_share"), "base", metric="plan_share")


@pytest.mark.parametrize("value, unit, text", [
    (1_234_567.4, "usd", "$1,234,567"),
    (-1234, "usd", "\N{MINUS SIGN}$1,234"),
    (-0.3, "usd", "$0"),
    (47.21, "days", "47.2 days"),
    (0.1234, "share", "12.3 %"),
    (-0.005, "share", "\N{MINUS SIGN}0.5 %"),
    (1.234, "count", "1.23"),
    (12_345.2, "count", "12,345"),
    (3.44, "hours", "3.4 h"),
    (float("nan"), "usd", "n/a"),
])
def test_exact_value_text(value, unit, text):
    assert value_text(value, unit, exact=True) == text


def test_one_formatter_two_modes_unknown_unit_and_mean_ci_text():
    assert value_text(1_234_567.4, "usd") == "$1.23M" and value_text(1_234_567.4, "usd", exact=True) == "$1,234,567"
    assert value_text(-0.005, "share") == "\N{MINUS SIGN}0.50 %"  # the board: two decimals below 1 %
    with pytest.raises(ValueError):
        value_text(1.0, "furlongs", exact=True)
    assert mean_ci_text(1500, -200, 3200, "usd", exact=True) == "$1,500 (CI \N{MINUS SIGN}$200 to $3,200)"
    assert mean_ci_text(1500, -200, 3200, "usd") == "$1.50k (CI \N{MINUS SIGN}$200 to $3.20k)"
    assert mean_ci_text(0.5, math.nan, math.nan, "share", exact=True) == "50.0 %"


def test_relative_half_width_and_precision_reached():
    metrics = pd.concat([tidy({"a": [99, 100, 101], "b": [90, 100, 110]}),
                         tidy({"a": [7.0]}, "days_in_ar")])
    t = stats.t.ppf(0.975, 2)
    assert analysis.relative_half_width(metrics, KEY_METRIC, "a") == pytest.approx(t / math.sqrt(3) / 100)
    assert analysis.relative_half_width(metrics, KEY_METRIC) == pytest.approx(10 * t / math.sqrt(3) / 100)
    # a: 2.5 %, b: 24.8 %
    assert analysis.precision_reached(metrics, KEY_METRIC, "a", relative=0.03)
    assert not analysis.precision_reached(metrics, KEY_METRIC, relative=0.03)
    assert analysis.relative_half_width(metrics, "days_in_ar") == math.inf
    assert analysis.precision_reached(tidy({"a": [0, 0]}), KEY_METRIC)
