"""Monte Carlo summaries over a tidy metrics table: t-based CIs, paired differences, P(best).

Every function takes ``metrics`` with columns ``[replication, strategy, metric, value]``, one row
per replication × strategy × metric. Replications are paired across strategies (common random
numbers), so differences against a baseline are taken replication by replication.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def _t_interval(values: pd.Series, confidence: float) -> pd.Series:
    """n, mean, sd and the two-sided t confidence interval of one sample (NaN CI when n < 2)."""
    n = int(values.count())
    mean = values.mean()
    sd = values.std(ddof=1)
    if n < 2:
        half_width = math.nan
    else:
        half_width = stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n)
    return pd.Series({"n": n, "mean": mean, "sd": sd, "ci_low": mean - half_width,
                      "ci_high": mean + half_width, "half_width": half_width})


def _by_group(frame: pd.DataFrame, value: str, confidence: float) -> pd.DataFrame:
    out = (frame.groupby(["strategy", "metric"], sort=False)[value]
           .apply(_t_interval, confidence=confidence).unstack().reset_index())
    out["n"] = out["n"].astype(int)
    return out


def summarize(metrics: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, sd and t-based CI of each metric for each strategy, across replications."""
    return _by_group(metrics, "value", confidence)[
        ["strategy", "metric", "n", "mean", "sd", "ci_low", "ci_high", "half_width"]]


def _wide(metrics: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """Values with one column per strategy, indexed by (metric, replication) or by replication."""
    if metric is not None:
        metrics = metrics[metrics["metric"] == metric]
        if metrics.empty:
            raise ValueError(f"no rows for metric {metric!r}")
        return metrics.pivot(index="replication", columns="strategy", values="value")
    return metrics.pivot(index=["metric", "replication"], columns="strategy", values="value")


def paired_differences(metrics: pd.DataFrame, baseline: str,
                       confidence: float = 0.95) -> pd.DataFrame:
    """CI of the per-replication difference strategy − baseline, for every other strategy.

    ``relative_diff`` is the mean difference over |baseline mean| on the same replications
    (NaN when that mean is 0).
    """
    wide = _wide(metrics)
    if baseline not in wide.columns:
        raise ValueError(f"baseline {baseline!r} is not among the strategies")
    others = [s for s in pd.unique(metrics["strategy"]) if s != baseline]
    frames = []
    for strategy in others:
        pair = wide[[strategy, baseline]].dropna()
        frames.append(pd.DataFrame({
            "strategy": strategy,
            "metric": pair.index.get_level_values("metric"),
            "diff": pair[strategy] - pair[baseline],
            "base": pair[baseline],
        }))
    columns = ["strategy", "metric", "n", "mean_diff", "sd_diff", "ci_low", "ci_high",
               "relative_diff"]
    if not frames:
        return pd.DataFrame(columns=columns)
    diffs = pd.concat(frames, ignore_index=True)
    out = _by_group(diffs, "diff", confidence).rename(columns={"mean": "mean_diff",
                                                               "sd": "sd_diff"})
    base_mean = diffs.groupby(["strategy", "metric"], sort=False)["base"].mean().abs()
    base_mean = base_mean.reindex(pd.MultiIndex.from_frame(out[["strategy", "metric"]]))
    out["relative_diff"] = out["mean_diff"].to_numpy() / base_mean.replace(0, np.nan).to_numpy()
    return out[columns]


def probability_best(metrics: pd.DataFrame, metric: str,
                     higher_is_better: bool = True) -> pd.Series:
    """Share of replications in which each strategy is best on ``metric``; ties split equally.

    Only replications where every strategy has a value count.
    """
    wide = _wide(metrics, metric).dropna()
    if wide.empty:
        raise ValueError(f"no replication has {metric!r} for every strategy")
    best = wide.max(axis=1) if higher_is_better else wide.min(axis=1)
    winners = wide.eq(best, axis=0).astype(float)
    share = winners.div(winners.sum(axis=1), axis=0).mean()
    share.name = "probability_best"
    return share.reindex([s for s in pd.unique(metrics["strategy"]) if s in share.index])


def relative_half_width(metrics: pd.DataFrame, metric: str, strategy: str | None = None,
                        confidence: float = 0.95) -> float:
    """CI half-width ÷ |mean| of ``metric``, the worst over strategies (or for one strategy).

    Infinite when a CI is undefined (n < 2) or the mean is 0 with a non-zero half-width.
    """
    rows = metrics[metrics["metric"] == metric]
    if strategy is not None:
        rows = rows[rows["strategy"] == strategy]
    if rows.empty:
        raise ValueError(f"no rows for metric {metric!r}" + (f", strategy {strategy!r}" if strategy else ""))
    worst = 0.0
    for row in summarize(rows, confidence).itertuples():
        if not math.isfinite(row.half_width):
            return math.inf
        if row.half_width > 0:
            worst = max(worst, row.half_width / abs(row.mean) if row.mean != 0 else math.inf)
    return worst


def precision_reached(metrics: pd.DataFrame, metric: str, strategy: str | None = None,
                      relative: float = 0.02, confidence: float = 0.95) -> bool:
    """Whether the relative CI half-width of ``metric`` is at most ``relative`` (sequential stopping)."""
    return relative_half_width(metrics, metric, strategy, confidence) <= relative
