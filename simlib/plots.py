"""Report figures from tidy simulation tables, each with a title and alt text for HTML.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (safe on a
headless Agg backend) with ``fig.simlib_alt`` describing it in words. Strategy and parameter
names are user text: they are drawn literally, never as mathtext.
"""
from __future__ import annotations

import base64
import html
import io

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simlib.analysis import MINUS, format_ci, format_value
from simlib.catalogue import AGING_BUCKETS, KEY_METRIC, METRICS

_STYLE = {**sns.axes_style("whitegrid"), "font.size": 11, "axes.titlesize": 12,
          "axes.labelsize": 11, "figure.titlesize": 14, "legend.fontsize": 10,
          "xtick.labelsize": 10, "ytick.labelsize": 10}
_styled = mpl.rc_context(_STYLE)


def _text(name: str) -> str:
    """``name`` escaped so that matplotlib draws any ``$`` literally instead of as mathtext."""
    return str(name).replace("$", r"\$")


def _palette(n: int) -> list:
    return sns.color_palette("colorblind", max(n, 1))


def _strategies(frame: pd.DataFrame) -> list[str]:
    return list(pd.unique(frame["strategy"]))


def _names(strategies) -> str:
    return ", ".join(str(s) for s in strategies)


def _money_tick(value: float, _pos=None) -> str:
    """Compact dollars for an axis: ``$850``, ``$12k``, ``$1.5M``, ``−$2.1B``."""
    sign = MINUS if value < 0 else ""
    size = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{sign}${size / scale:.3g}{suffix}"
    return f"{sign}${size:.0f}"


def _format_axis(axis, unit: str) -> None:
    if unit == "usd":
        axis.set_major_formatter(FuncFormatter(_money_tick))
    elif unit == "share":
        axis.set_major_formatter(PercentFormatter(xmax=1))


def _unit_label(label: str, unit: str) -> str:
    return {"days": f"{label} (days)", "hours": f"{label} (hours)"}.get(unit, label)


def _figure(title: str, size=(8, 4.5)) -> tuple[Figure, mpl.axes.Axes]:
    fig = Figure(figsize=size, layout="constrained")
    fig.suptitle(title)
    return fig, fig.subplots()


def _rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = frame[frame["metric"] == metric]
    if rows.empty:
        raise ValueError(f"no rows for metric {metric!r}")
    return rows


@_styled
def _band_chart(curves: pd.DataFrame, column: str, title: str, what: str) -> Figure:
    """Mean line per strategy over days with a 5th–95th percentile band across replications."""
    fig, ax = _figure(title)
    strategies = _strategies(curves)
    grouped = curves.groupby(["strategy", "day"])[column]
    mean = grouped.mean()
    band = grouped.quantile([0.05, 0.95]).unstack()
    for strategy, colour in zip(strategies, _palette(len(strategies))):
        days = mean[strategy].index
        ax.plot(days, mean[strategy].to_numpy(), color=colour, lw=2, label=_text(strategy))
        ax.fill_between(days, band.loc[strategy, 0.05], band.loc[strategy, 0.95],
                        color=colour, alpha=0.2, lw=0)
    ax.set_xlabel("Day")
    ax.set_ylabel(what.capitalize())
    _format_axis(ax.yaxis, "usd")
    fig.legend(title="Strategy", loc="outside right upper")
    last = curves["day"].max()
    at_last = "; ".join(f"{s} {format_value(mean[s].get(last, np.nan), 'usd')}" for s in strategies)
    fig.simlib_alt = (
        f"Line chart of mean {what} by day for {len(strategies)} strategies "
        f"({_names(strategies)}), with shaded bands from the 5th to the 95th percentile across "
        f"{curves['replication'].nunique()} replications. Mean on day {last:g}: {at_last}.")
    return fig


def cash_curve(curves: pd.DataFrame) -> Figure:
    """The hospital's cash position by day, per strategy, from ``[replication, strategy, day, cash_usd]``."""
    return _band_chart(curves, "cash_usd", "Cash position over time", "cash position")


def ar_curve(curves: pd.DataFrame) -> Figure:
    """Open accounts receivable by day, per strategy, from ``[replication, strategy, day, ar_usd]``."""
    return _band_chart(curves, "ar_usd", "Open A/R over time", "open A/R")


@_styled
def aging_bars(aging: pd.DataFrame) -> Figure:
    """Mean share of open A/R in each aging bucket, bars grouped by bucket, one colour per strategy."""
    unknown = set(aging["bucket"]) - set(AGING_BUCKETS)
    if unknown:
        raise ValueError(f"unknown aging buckets {sorted(unknown)}")
    totals = aging.groupby(["replication", "strategy"])["amount_usd"].transform("sum")
    share = (aging.assign(share=aging["amount_usd"] / totals.replace(0, np.nan))
             .groupby(["strategy", "bucket"])["share"].mean())
    strategies = _strategies(aging)
    fig, ax = _figure("A/R aging mix")
    x = np.arange(len(AGING_BUCKETS))
    width = 0.8 / len(strategies)
    for i, (strategy, colour) in enumerate(zip(strategies, _palette(len(strategies)))):
        values = share[strategy].reindex(AGING_BUCKETS).fillna(0).to_numpy()
        ax.bar(x + (i - (len(strategies) - 1) / 2) * width, values, width, color=colour,
               label=_text(strategy))
    ax.set_xticks(x, [f"{b} days" for b in AGING_BUCKETS])
    ax.set_xlabel("Age from service")
    ax.set_ylabel("Share of open A/R")
    _format_axis(ax.yaxis, "share")
    fig.legend(title="Strategy", loc="outside right upper")
    over_90 = "; ".join(
        f"{s} {format_value(share[s].reindex(AGING_BUCKETS[3:]).fillna(0).sum(), 'share')}"
        for s in strategies)
    fig.simlib_alt = (
        f"Grouped bar chart of the mean share of open A/R in each aging bucket "
        f"({', '.join(AGING_BUCKETS)} days from service) for {len(strategies)} strategies "
        f"({_names(strategies)}). Share older than 90 days: {over_90}.")
    return fig


@_styled
def paired_difference_chart(diffs: pd.DataFrame, metric: str, baseline: str | None = None) -> Figure:
    """Each strategy's paired difference from the baseline on ``metric``, with its CI, from
    :func:`simlib.analysis.paired_differences`."""
    info = METRICS[metric]
    rows = _rows(diffs, metric)
    fig, ax = _figure(f"{info.label}: difference from baseline",
                      (8, 1.5 + 0.5 * len(rows)))
    y = np.arange(len(rows))[::-1]
    err = np.vstack([rows["mean_diff"] - rows["ci_low"], rows["ci_high"] - rows["mean_diff"]])
    ax.errorbar(rows["mean_diff"], y, xerr=err, fmt="o", color=_palette(1)[0], capsize=4, ms=7)
    ax.axvline(0, color="0.3", lw=1)
    ax.set_yticks(y, [_text(s) for s in rows["strategy"]])
    against = f" vs {baseline}" if baseline is not None else " vs baseline"
    ax.set_xlabel(_text(_unit_label(f"{info.label} difference{against}", info.unit)))
    _format_axis(ax.xaxis, info.unit)
    listing = "; ".join(f"{r.strategy} {format_ci(r.mean_diff, r.ci_low, r.ci_high, info.unit)}"
                        for r in rows.itertuples())
    fig.simlib_alt = (
        f"Dot plot of the paired difference in {info.label} between each strategy and the "
        f"baseline{'' if baseline is None else f' ({baseline})'}, with confidence intervals; "
        f"a vertical line marks no difference. {listing}.")
    return fig


@_styled
def kpi_bars(summary: pd.DataFrame, metric: str) -> Figure:
    """Mean of ``metric`` per strategy with its CI, from :func:`simlib.analysis.summarize`."""
    info = METRICS[metric]
    rows = _rows(summary, metric)
    fig, ax = _figure(info.label, (8, 1.5 + 0.6 * len(rows)))
    y = np.arange(len(rows))[::-1]
    err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
    ax.barh(y, rows["mean"], xerr=err, capsize=5, height=0.6, color=_palette(len(rows)))
    ax.set_yticks(y, [_text(s) for s in rows["strategy"]])
    ax.set_xlabel(_unit_label(info.label, info.unit))
    _format_axis(ax.xaxis, info.unit)
    listing = "; ".join(f"{r.strategy} {format_ci(r.mean, r.ci_low, r.ci_high, info.unit)}"
                        for r in rows.itertuples())
    fig.simlib_alt = (f"Bar chart of {info.label} per strategy, the mean with its confidence "
                     f"interval: {listing}.")
    return fig


@_styled
def tornado(sens: pd.DataFrame, metric: str = KEY_METRIC) -> Figure:
    """Tornado chart of the ``metric`` gain as each parameter moves from its low to its high value.

    ``sens`` has ``[parameter, low_label, high_label, low_value, high_value, base_value]``, the
    values being the gain at the low, high and base-case settings; the widest swing is on top.
    """
    info = METRICS[metric]
    sens = sens.assign(swing=(sens["high_value"] - sens["low_value"]).abs())
    sens = sens.sort_values("swing", ascending=False, kind="stable")
    fig, ax = _figure(f"Sensitivity of the {info.label} gain", (8, 1.5 + 0.6 * len(sens)))
    y = np.arange(len(sens))[::-1]
    base = sens["base_value"].to_numpy()
    low_colour, high_colour = _palette(2)[:2]
    for column, colour, name in (("low_value", low_colour, "Low setting"),
                                 ("high_value", high_colour, "High setting")):
        ends = sens[column].to_numpy()
        ax.barh(y, ends - base, left=base, color=colour, height=0.6, label=name)
    # setting labels outside the bars: the lower end's on the left, the higher end's on the right
    for yi, lo, hi, b, lo_text, hi_text in zip(y, sens["low_value"], sens["high_value"], base,
                                               sens["low_label"], sens["high_label"]):
        (left, left_text), (right, right_text) = sorted([(lo, lo_text), (hi, hi_text)], key=lambda e: e[0])
        ax.annotate(_text(left_text), (min(left, b), yi), xytext=(-4, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=9)
        ax.annotate(_text(right_text), (max(right, b), yi), xytext=(4, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=9)
    for value in np.unique(base):
        ax.axvline(value, color="0.3", lw=1)
    ax.set_yticks(y, [_text(p) for p in sens["parameter"]])
    ax.set_xlabel(_unit_label(f"{info.label} gain vs baseline", info.unit))
    _format_axis(ax.xaxis, info.unit)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.margins(x=0.15)
    ax.legend(loc="lower right")
    listing = "; ".join(
        f"{r.parameter}: {r.low_label} {format_value(r.low_value, info.unit)}, "
        f"{r.high_label} {format_value(r.high_value, info.unit)}" for r in sens.itertuples())
    fig.simlib_alt = (
        f"Tornado chart of the {info.label} gain when each parameter moves from its low to its "
        f"high setting, widest swing on top; base case "
        f"{format_value(float(np.median(base)), info.unit) if len(base) else 'n/a'}. {listing}.")
    return fig


def figure_to_html(fig: Figure) -> str:
    """The figure as a self-contained ``<img>`` (base64 PNG) with escaped alt text and title."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = html.escape(getattr(fig, "simlib_alt", ""), quote=True)
    title = html.escape(fig.get_suptitle(), quote=True)
    return f'<img src="data:image/png;base64,{data}" alt="{alt}" title="{title}">'
