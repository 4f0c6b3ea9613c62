"""Numbers for Python users: the summary of every strategy and the paired comparison of two, as tidy
DataFrames with the metric's label, unit and direction beside each number (what
:meth:`simlib.run.experiment.Results.summary` and :meth:`~simlib.run.experiment.Results.compare`
return).

Both reuse :mod:`simlib.analysis.summaries`: t-based confidence intervals across replications, and
for a comparison the interval of the run-by-run difference (common random numbers make the runs
pairs, so this interval is much narrower than the two separate ones).
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from simlib.analysis.summaries import paired_differences, summarize
from simlib.core.metric_catalogue import METRICS


def _direction(metric: str) -> str:
    better = METRICS[metric].higher_is_better if metric in METRICS else None
    return {True: "higher", False: "lower"}.get(better, "neither")


def _metric_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame.insert(frame.columns.get_loc("metric") + 1, "label",
                 [METRICS[m].label if m in METRICS else m for m in frame["metric"]])
    frame.insert(frame.columns.get_loc("label") + 1, "unit",
                 [METRICS[m].unit if m in METRICS else "" for m in frame["metric"]])
    frame.insert(frame.columns.get_loc("unit") + 1, "better", [_direction(m) for m in frame["metric"]])
    return frame


def _wanted(metrics: pd.DataFrame, wanted: Sequence[str] | None) -> list[str]:
    present = list(pd.unique(metrics["metric"]))
    if wanted is None:
        return present
    unknown = [m for m in wanted if m not in present]
    if unknown:
        raise ValueError(f"no results for metric(s) {unknown}; expected some of {sorted(present)}")
    return list(wanted)


def summary_frame(metrics: pd.DataFrame, strategies: Sequence[str], wanted: Sequence[str] | None = None,
                  confidence: float = 0.95) -> pd.DataFrame:
    """One row per strategy × metric (strategies in the given order, metrics in ``wanted``'s):
    ``strategy, metric, label, unit, better, n, mean, ci_low, ci_high`` — numbers, in the metric's
    unit (shares as fractions, money in dollars)."""
    names = _wanted(metrics, wanted)
    table = summarize(metrics[metrics["metric"].isin(names)], confidence)
    table["_s"] = table["strategy"].map({s: i for i, s in enumerate(strategies)})
    table["_m"] = table["metric"].map({m: i for i, m in enumerate(names)})
    table = table.sort_values(["_s", "_m"]).reset_index(drop=True)
    out = table[["strategy", "metric", "n", "mean", "ci_low", "ci_high"]].copy()
    return _metric_columns(out)


def compare_frame(metrics: pd.DataFrame, a: str, b: str, wanted: Sequence[str] | None = None,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Strategy ``a`` against strategy ``b``, one row per metric: both means, the mean of the paired
    difference ``a − b`` with its ``confidence`` interval, the relative difference, and ``verdict``:
    "better"/"worse" when the interval excludes zero in the metric's direction, "unclear" when it
    includes zero, "different" for a metric with no better direction. Metrics only one of the two
    reports (a plan's defaults) are left out. Raises ValueError naming an unknown strategy or metric."""
    present = list(pd.unique(metrics["strategy"]))
    for name in (a, b):
        if name not in present:
            raise ValueError(f"no results for strategy {name!r}; expected one of {present}")
    if a == b:
        raise ValueError(f"compare two different strategies; got {a!r} twice")
    names = _wanted(metrics, wanted)
    pair = metrics[metrics["strategy"].isin([a, b]) & metrics["metric"].isin(names)]
    diff = paired_differences(pair, baseline=b, confidence=confidence).set_index("metric")
    means = pair.groupby(["metric", "strategy"])["value"].mean().unstack()
    one_sided = [m for m in names if m not in diff.index]  # e.g. plan defaults: only with a plan offer
    if wanted is not None and one_sided:
        raise ValueError(f"metric(s) {one_sided} not reported for both {a!r} and {b!r}")
    names = [m for m in names if m in diff.index]
    rows = []
    for m in names:
        d = diff.loc[m]
        lo, hi, direction = float(d["ci_low"]), float(d["ci_high"]), _direction(m)
        if not (lo > 0 or hi < 0):
            verdict = "unclear"
        elif direction == "neither":
            verdict = "different"
        else:
            verdict = "better" if (lo > 0) == (direction == "higher") else "worse"
        rows.append({"metric": m, "strategy": a, "against": b, "n": int(d["n"]),
                     "mean": float(means.at[m, a]), "mean_against": float(means.at[m, b]),
                     "diff": float(d["mean_diff"]), "diff_ci_low": lo, "diff_ci_high": hi,
                     "relative_diff": float(d["relative_diff"]), "verdict": verdict})
    return _metric_columns(pd.DataFrame(rows))
