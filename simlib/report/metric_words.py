"""Metrics in words: unit and label of a metric name (from the catalogue, else from its suffix),
labels mid-sentence, signed differences, and a finite-number check for table cells."""
from __future__ import annotations

from simlib.core.metric_catalogue import mid_sentence
from simlib.core.money_names import is_money


def _unit_of(metric: str) -> str:
    from simlib.core.metric_catalogue import METRICS

    if metric in METRICS:
        return METRICS[metric].unit
    if is_money(metric):
        return "usd"
    if metric.endswith(("_days", "_day")):
        return "days"
    if metric.endswith(("_rate", "_share", "_apr", "_ratio")):
        return "share"
    if metric.endswith("_hours"):
        return "hours"
    return "count"


def _label_of(metric: str) -> str:
    from simlib.core.metric_catalogue import METRICS

    if metric in METRICS:
        return METRICS[metric].label
    text = metric
    for suffix, unit in (("_apr", " (APR)"),):
        if text.endswith(suffix):
            text = text[: -len(suffix)] + unit
    return text.replace("_", " ").strip().capitalize()


def higher_is_better(metric: str) -> bool | None:
    """The catalogue's direction of a metric (None: neither, or not in the catalogue)."""
    from simlib.core.metric_catalogue import METRICS

    return METRICS[metric].higher_is_better if metric in METRICS else None


_label_lower = mid_sentence  # a label mid-sentence: "days in A/R", "NPV of net collections"


def pd_notna(x) -> bool:
    import math

    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
