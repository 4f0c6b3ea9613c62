"""The plausibility envelope: every KPI of every strategy checked against what hospitals have
published (issue 19, item 7).

An optimiser finds every free lunch: a strategy whose patient collection rate is 68 % when no
hospital has reported more than 55 % is the model extrapolating, not a finding. The ranges live
in one data file with their sources, ``plausibility.yaml`` next to this module: per KPI the
calibration range of the baseline's status quo and the wider band of what has ever been reported.
A strategy whose mean over the runs lies outside the reported band is *outside the envelope*:
the board page and the strategy comparison table say so in plain words, and ``simlib search``
keeps its answer inside by default (``search.plausibility``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).with_name("plausibility.yaml")


@dataclass(frozen=True)
class Band:
    """What hospitals have reported for one KPI: ``low``–``high`` (``None``: no published bound on
    that side), each bound with its source, and the calibration range of the baseline."""

    metric: str
    words: str
    low: float | None
    high: float | None
    low_source: str | None
    high_source: str | None
    calibration: tuple[float | None, float | None]


@dataclass(frozen=True)
class Flag:
    """A strategy's mean ``value`` of ``band.metric`` beyond ``bound`` on ``side`` ("above"/"below")."""

    strategy: str
    band: Band
    value: float
    side: str
    bound: float

    @property
    def source(self) -> str:
        return (self.band.high_source if self.side == "above" else self.band.low_source) or ""


@lru_cache(maxsize=1)
def envelope() -> dict[str, Band]:
    """The bands of the data file, by metric name."""
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    out = {}
    for metric, d in data.items():
        low, high = d["reported"]
        out[metric] = Band(metric, d["words"], low, high, d.get("low_source"), d.get("high_source"),
                           tuple(d.get("calibration") or (None, None)))
    return out


def check(strategy: str, means: dict[str, float]) -> list[Flag]:
    """The flags of one strategy, given its mean KPIs (a KPI absent or not a number is not checked:
    an agency recovery rate without an agency)."""
    flags = []
    for metric, band in envelope().items():
        value = means.get(metric)
        if value is None or not math.isfinite(value):
            continue
        if band.high is not None and value > band.high:
            flags.append(Flag(strategy, band, float(value), "above", band.high))
        elif band.low is not None and value < band.low:
            flags.append(Flag(strategy, band, float(value), "below", band.low))
    return flags


def check_results(metrics) -> dict[str, list[Flag]]:
    """Flags per strategy of a long metrics table (columns strategy, metric, value: the mean over
    the runs is checked), in the table's strategy order; strategies inside are left out."""
    wanted = metrics[metrics["metric"].isin(list(envelope()))]
    means = wanted.groupby(["strategy", "metric"], sort=False)["value"].mean()
    out = {}
    for strategy in dict.fromkeys(metrics["strategy"]):
        got = {m: float(means[(strategy, m)]) for m in envelope() if (strategy, m) in means.index}
        flags = check(strategy, got)
        if flags:
            out[strategy] = flags
    return out


def _value_words(metric: str, value: float) -> str:
    from simlib.core.language import _, localised, number_text
    from simlib.core.metric_catalogue import METRICS
    unit = METRICS[metric].unit if metric in METRICS else "share"
    if unit == "share":
        return f"{number_text(value * 100, 1)} %"
    return _("{days} days").format(days=number_text(value, 1)) if unit == "days" else localised(f"{value:,.3g}")


def flag_words(flag: Flag, label: str | None = None) -> str:
    """The flag in plain words: "No hospital has reported a patient collection rate above 55.0 %
    (Kodiak …); “X” reaches 68.0 %: treat this as an extrapolation of the model."."""
    from simlib.core.language import _

    band, who = flag.band, label or flag.strategy
    bound, value = _value_words(band.metric, flag.bound), _value_words(band.metric, flag.value)
    source = f" ({_(flag.source)})" if flag.source else ""
    message = (_("No hospital has reported {what} above {bound}{source}; “{who}” reaches "
                 "{value}: treat this as an extrapolation of the model, not a forecast.") if flag.side == "above" else
               _("No hospital has reported {what} below {bound}{source}; “{who}” reaches "
                 "{value}: treat this as an extrapolation of the model, not a forecast."))
    return message.format(what=_(band.words), bound=bound, source=source, who=who, value=value)


def excess(flags: list[Flag]) -> float:
    """How far outside the envelope, relative to each bound (0 inside): a soft constraint's value."""
    return float(sum(abs(f.value - f.bound) / max(abs(f.bound), 1e-9) for f in flags))


__all__ = ["Band", "DATA_FILE", "Flag", "check", "check_results", "envelope", "excess", "flag_words"]
