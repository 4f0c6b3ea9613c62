"""Report figures from tidy simulation tables, each with a title and alt text for HTML.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (headless Agg)
with ``fig.simlib_alt`` describing it in words; user names are drawn literally, never as mathtext.
Colours are the Okabe–Ito palette (readable with every common colour-vision deficiency):
:func:`strategy_styles` fixes each strategy's colour by its place in the scenario (the status quo
black), so a strategy looks the same on every page; the status quo and the recommended strategy
are drawn strong, the others muted. Legends sit outside the plots, never over data or labels.
"""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simlib.analysis.numbers import MINUS, NA, mean_ci_text, value_text
from simlib.core.language import N_, _, currency_symbol, short_number_text, speech
from simlib.core.metric_catalogue import AGING_BUCKETS, KEY_METRIC, METRICS

_STYLE = {**sns.axes_style("whitegrid"), "font.size": 11, "axes.titlesize": 12,
          "axes.labelsize": 11, "figure.titlesize": 14, "legend.fontsize": 10,
          "xtick.labelsize": 10, "ytick.labelsize": 10}
_styled = mpl.rc_context(_STYLE)

# Okabe & Ito (2008), "Color Universal Design": black for the status quo, then the seven colours
# in an order that keeps neighbours far apart (yellow, the faintest on white, last).
STATUS_QUO_COLOUR = "#000000"
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
_DASHES = ("-", "--", ":", "-.")


@dataclass(frozen=True)
class StrategyStyle:
    """How one strategy is drawn: its label, fixed colour, line style and whether it is emphasised."""

    label: str
    colour: str
    linestyle: str = "-"
    emphasised: bool = True
    role: str = ""  # "status quo", "recommended" or both

    @property
    def legend(self) -> str:  # the name in a legend or on an axis, with its role
        return f"{self.label} ({self.role})" if self.role else self.label

    linewidth = property(lambda self: 2.6 if self.emphasised else 1.4)
    alpha = property(lambda self: 1.0 if self.emphasised else 0.75)


def strategy_styles(strategies: Sequence[str], baseline: str | None = None, recommended: str | None = None,
                    labels: Mapping[str, str] | None = None) -> dict[str, StrategyStyle]:
    """One style per strategy, fixed by its place in ``strategies`` (the scenario's order): pass
    the full order even when a chart shows a few, and every page keeps the same colours.

    With a ``baseline`` or ``recommended`` strategy, those two are emphasised and the others muted.
    """
    labels = labels or {}
    emphasis = {s for s in (baseline, recommended) if s is not None}
    out: dict[str, StrategyStyle] = {}
    k = 0
    for s in strategies:
        if s == baseline:
            colour, dash = STATUS_QUO_COLOUR, "-"
        else:
            colour, dash = OKABE_ITO[k % len(OKABE_ITO)], _DASHES[(k // len(OKABE_ITO)) % len(_DASHES)]
            k += 1
        role = _(" and ").join(_(r) for r, who in ((N_("status quo"), baseline), (N_("recommended"), recommended)) if s == who)
        out[s] = StrategyStyle(str(labels.get(s, s)), colour, dash, not emphasis or s in emphasis, role)
    return out


def _styles_for(frame: pd.DataFrame, styles: Mapping[str, StrategyStyle] | None) -> dict[str, StrategyStyle]:
    present = list(pd.unique(frame["strategy"]))
    if styles is None:
        return strategy_styles(present)
    missing = [s for s in present if s not in styles]
    if missing:
        raise ValueError(f"no style for strategies {missing}")
    return {s: styles[s] for s in styles if s in set(present)}  # the styles' order: emphasised ones last drawn


def _draw_order(styles: Mapping[str, StrategyStyle]) -> list[str]:
    return sorted(styles, key=lambda s: styles[s].emphasised)  # muted first, emphasised on top


def _text(name: str) -> str:
    """``name`` escaped so that matplotlib draws any ``$`` literally instead of as mathtext."""
    return str(name).replace("$", r"\$")


def _wrapped(name: str, width: int = 30) -> str:
    """A long axis label on several lines (so the plot keeps its width), ``$`` drawn literally."""
    import textwrap

    return _text("\n".join(textwrap.wrap(str(name), width)) or str(name))


def _names(styles: Mapping[str, StrategyStyle]) -> str:
    return ", ".join(st.legend for st in styles.values())


def _money_tick(value: float, _pos=None) -> str:
    """Compact dollars for an axis: ``$850``, ``$12k``, ``$1.5M``, ``−$2.1B``."""
    sign, size = (MINUS if value < 0 else ""), abs(value)
    if not speech().is_us_default: return value_text(value, "usd")  # noqa: E701  the locale's money (Babel)
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
    return {"days": _("{label} (days)"), "hours": _("{label} (hours)"), "usd": _("{label} ({currency})")}.get(unit, "{label}").format(label=label, currency=currency_symbol())


def _figure(title: str, size=(8, 4.5), rows: int = 1, **kw) -> tuple[Figure, object]:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure text with (label placement), no pyplot
    fig.suptitle(title)
    return fig, fig.subplots(rows, 1, **kw)


def _legend(fig: Figure, handles, labels, title: str = N_("Strategy")) -> None:
    """The legend below the plots, outside every axes (it can cover neither data nor labels), in
    as many columns (up to three) as fit the figure's width."""
    if not handles:
        return
    renderer = fig.canvas.get_renderer()
    for ncols in range(min(3, len(handles)), 0, -1):
        legend = fig.legend(handles, labels, title=_(title) if title else title, loc="outside lower center", ncols=ncols, frameon=False)
        if ncols == 1 or legend.get_window_extent(renderer).width <= fig.bbox.width * 0.98:
            return
        legend.remove()


def _rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    if (rows := frame[frame["metric"] == metric]).empty:
        raise ValueError(f"no rows for metric {metric!r}")
    return rows


def _mark_days(ax, days: Mapping[float, str] | None) -> None:
    """Label days of note (e.g. the end of the billing window) on a top axis, with a dotted line."""
    if not days:
        return
    for day in days:
        ax.axvline(day, color="0.35", lw=1, ls=":")
    top = ax.secondary_xaxis("top")
    top.set_xticks(list(days), [_text(t) for t in days.values()])
    top.tick_params(length=0, labelsize=9, colors="0.25")


@_styled
def _band_chart(curves: pd.DataFrame, column: str, title: str, what: str, styles=None,
                baseline: str | None = None, days: Mapping[float, str] | None = None) -> Figure:
    """Mean line per strategy over days; a 5th–95th percentile band for the emphasised strategies;
    with a ``baseline``, a second panel of each strategy's mean paired difference from it."""
    styles = _styles_for(curves, styles)
    paired = baseline is not None and baseline in styles and len(styles) > 1
    fig, axes = _figure(title, (8, 6.6 if paired else 4.6), rows=2 if paired else 1,
                        **({"sharex": True, "height_ratios": (3, 2)} if paired else {}))
    ax = axes[0] if paired else axes
    grouped = curves.groupby(["strategy", "day"])[column]
    mean = grouped.mean()
    band = grouped.quantile([0.05, 0.95]).unstack()
    handles = {}
    for s in _draw_order(styles):
        st = styles[s]
        days_s = mean[s].index
        (line,) = ax.plot(days_s, mean[s].to_numpy(), color=st.colour, lw=st.linewidth, ls=st.linestyle,
                          alpha=st.alpha, label=_text(st.legend), zorder=3 if st.emphasised else 2)
        handles[s] = line
        if st.emphasised:
            ax.fill_between(days_s, band.loc[s, 0.05], band.loc[s, 0.95], color=st.colour, alpha=0.15, lw=0)
    ax.set_ylabel(_(what))
    _format_axis(ax.yaxis, "usd")
    _mark_days(ax, days)
    if paired:
        wide = curves.pivot_table(index=["replication", "day"], columns="strategy", values=column)
        diff = wide.sub(wide[baseline], axis=0).groupby(level="day").mean()
        dx = axes[1]
        dx.axhline(0, color=styles[baseline].colour, lw=styles[baseline].linewidth)
        for s in _draw_order(styles):
            if s == baseline:
                continue
            st = styles[s]
            dx.plot(diff.index, diff[s].to_numpy(), color=st.colour, lw=st.linewidth, ls=st.linestyle,
                    alpha=st.alpha, zorder=3 if st.emphasised else 2)
        dx.set_ylabel(_("Difference from\nthe status quo"))
        _format_axis(dx.yaxis, "usd")
        dx.set_xlabel(_("Day"))
        for d in days or {}:
            dx.axvline(d, color="0.35", lw=1, ls=":")
    else:
        ax.set_xlabel(_("Day"))
    order = list(styles)
    _legend(fig, [handles[s] for s in order], [_text(styles[s].legend) for s in order])
    last = curves["day"].max()
    at_last = "; ".join(f"{styles[s].legend} {value_text(mean[s].get(last, np.nan), 'usd', exact=True)}" for s in order)
    fig.simlib_alt = ((_(
        "Line chart of mean {what} by day for {count} strategies ({names}), with shaded bands from the 5th to the 95th percentile across {runs} replications and a lower panel of each strategy's mean difference from the status quo. Mean on day {day}: {values}.") if paired else _(
        "Line chart of mean {what} by day for {count} strategies ({names}), with shaded bands from the 5th to the 95th percentile across {runs} replications. Mean on day {day}: {values}.")).format(
            what=_(what), count=len(styles), names=_names(styles), runs=curves['replication'].nunique(), day=short_number_text(last), values=at_last))
    return fig


def cash_curve(curves: pd.DataFrame, styles=None, baseline: str | None = None,
               days: Mapping[float, str] | None = None) -> Figure:
    """The hospital's cash position by day, per strategy, from ``[replication, strategy, day, cash]``."""
    return _band_chart(curves, "cash", _("Cash position over time"), N_("Cash position"), styles, baseline, days)


def ar_curve(curves: pd.DataFrame, styles=None, baseline: str | None = None,
             days: Mapping[float, str] | None = None) -> Figure:
    """Open accounts receivable by day, per strategy, from ``[replication, strategy, day, open_ar]``."""
    return _band_chart(curves, "open_ar", _("Open A/R over time"), N_("Open A/R"), styles, baseline, days)


@_styled
def aging_bars(aging: pd.DataFrame, styles=None) -> Figure:
    """Mean share of open A/R in each aging bucket, bars grouped by bucket, one colour per strategy."""
    unknown = set(aging["bucket"]) - set(AGING_BUCKETS)
    if unknown:
        raise ValueError(f"unknown aging buckets {sorted(unknown)}")
    styles = _styles_for(aging, styles)
    totals = aging.groupby(["replication", "strategy"])["amount"].transform("sum")
    share = (aging.assign(share=aging["amount"] / totals.replace(0, np.nan))
             .groupby(["strategy", "bucket"])["share"].mean())
    fig, ax = _figure(_("A/R aging mix"))
    x = np.arange(len(AGING_BUCKETS))
    n = len(styles)
    width = 0.8 / n
    handles = []
    for i, (s, st) in enumerate(styles.items()):
        values = share[s].reindex(AGING_BUCKETS).fillna(0).to_numpy()
        bars = ax.bar(x + (i - (n - 1) / 2) * width, values, width, color=st.colour, alpha=st.alpha,
                      edgecolor="white" if st.emphasised else st.colour, lw=0.5, label=_text(st.legend))
        handles.append(bars)
    ax.set_xticks(x, [_("{days} days").format(days=b) for b in AGING_BUCKETS])
    ax.set_xlabel(_("Age from service"))
    ax.set_ylabel(_("Share of open A/R"))
    _format_axis(ax.yaxis, "share")
    _legend(fig, handles, [_text(st.legend) for st in styles.values()])
    over_90 = "; ".join(
        f"{st.legend} {value_text(share[s].reindex(AGING_BUCKETS[3:]).fillna(0).sum(), 'share', exact=True)}"
        for s, st in styles.items())
    fig.simlib_alt = _(
        "Grouped bar chart of the mean share of open A/R in each aging bucket "
        "({buckets} days from service) for {count} strategies "
        "({names}). Share older than 90 days: {values}.").format(buckets=", ".join(AGING_BUCKETS), count=n, names=_names(styles), values=over_90)
    return fig


@_styled
def paired_difference_chart(diffs: pd.DataFrame, metric: str, baseline: str | None = None,
                            styles=None, baseline_label: str | None = None) -> Figure:
    """Each strategy's paired difference from the baseline on ``metric``, with its CI, from
    :func:`simlib.analysis.summaries.paired_differences`."""
    info = METRICS[metric]
    rows = _rows(diffs, metric)
    styles = _styles_for(rows, styles)
    rows = rows.set_index("strategy").loc[[s for s in styles]].reset_index()
    against = baseline_label or (styles[baseline].label if baseline in styles else baseline)
    fig, ax = _figure(_("{metric}: difference from the status quo").format(metric=info.label), (8, 1.6 + 0.55 * len(rows)))
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows.itertuples()):
        st = styles[r.strategy]
        ax.errorbar([r.mean_diff], [yi], xerr=[[r.mean_diff - r.ci_low], [r.ci_high - r.mean_diff]], fmt="o",
                    color=st.colour, alpha=st.alpha, capsize=4, ms=8 if st.emphasised else 6,
                    lw=2 if st.emphasised else 1.2)
    ax.axvline(0, color="0.3", lw=1)
    ax.set_yticks(y, [_wrapped(styles[s].legend) for s in rows["strategy"]])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    vs = _("Difference vs {against}").format(against=against) if against else _("Difference vs the status quo")
    ax.set_xlabel(_text(_unit_label(vs, info.unit)))
    _format_axis(ax.xaxis, info.unit)
    ax.xaxis.set_major_locator(MaxNLocator(6))
    listing = "; ".join(f"{styles[r.strategy].legend} {mean_ci_text(r.mean_diff, r.ci_low, r.ci_high, info.unit, exact=True)}"
                        for r in rows.itertuples())
    fig.simlib_alt = _(
        "Dot plot of the paired difference in {metric} between each strategy and the "
        "status quo{against}, with confidence intervals; "
        "a vertical line marks no difference. {values}.").format(metric=info.label, against="" if against is None else f" ({against})", values=listing)
    return fig


@_styled
def kpi_bars(summary: pd.DataFrame, metric: str, styles=None) -> Figure:
    """Mean of ``metric`` per strategy with its CI, from :func:`simlib.analysis.summaries.summarize`."""
    info = METRICS[metric]
    rows = _rows(summary, metric)
    styles = _styles_for(rows, styles)
    rows = rows.set_index("strategy").loc[[s for s in styles]].reset_index()
    fig, ax = _figure(info.label, (8, 1.5 + 0.6 * len(rows)))
    y = np.arange(len(rows))[::-1]
    err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
    ax.barh(y, rows["mean"], xerr=err, capsize=5, height=0.6,
            color=[styles[s].colour for s in rows["strategy"]])
    ax.set_yticks(y, [_wrapped(styles[s].legend) for s in rows["strategy"]])
    ax.set_xlabel(_unit_label(info.label, info.unit))
    _format_axis(ax.xaxis, info.unit)
    listing = "; ".join(f"{styles[r.strategy].legend} {mean_ci_text(r.mean, r.ci_low, r.ci_high, info.unit, exact=True)}"
                        for r in rows.itertuples())
    fig.simlib_alt = (f"Bar chart of {info.label} per strategy, the mean with its confidence "
                      f"interval: {listing}.")
    return fig


@_styled
def tornado(sens: pd.DataFrame, metric: str = KEY_METRIC, against: str = "the status quo") -> Figure:
    """Tornado chart of the ``metric`` gain over ``against`` as each parameter moves from its low to its high value.

    ``sens`` has ``[parameter, low_label, high_label, low_value, high_value, base_value]``, the
    values being the gain at the low, high and base-case settings; the widest swing is on top. A bar
    that crosses zero (the ranking flips) is marked "flips" on its label, with a dashed zero line.
    The setting labels sit beyond the bar ends with room kept for them; the legend is below the axes.
    """
    info = METRICS[metric] if metric in METRICS else METRICS[KEY_METRIC]
    sens = sens.assign(swing=(sens["high_value"] - sens["low_value"]).abs(), parameter=[_(p) for p in sens["parameter"]])
    sens = sens.sort_values("swing", ascending=False, kind="stable")
    flips = (np.sign(sens[["low_value", "high_value"]].to_numpy()) != np.sign(sens[["base_value"]].to_numpy())).any(axis=1)
    fig, ax = _figure(_("What moves the gain in {metric}").format(metric=info.label), (8, 2.0 + 0.6 * len(sens)))
    y, base = np.arange(len(sens))[::-1], sens["base_value"].to_numpy()
    handles = [ax.barh(y, sens[column].to_numpy() - base, left=base, color=colour, height=0.6, label=name)
               for column, colour, name in (("low_value", OKABE_ITO[0], _("Low setting")),
                                            ("high_value", OKABE_ITO[1], _("High setting")))]
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
    if flips.any():
        ax.axvline(0.0, color="0.3", lw=1, ls="--")
    ax.set_yticks(y, [_wrapped(p + (_(" — flips") if f else "")) for p, f in zip(sens["parameter"], flips)])
    ax.set_ylim(-0.6, len(sens) - 0.4)
    ax.set_xlabel(_unit_label(_("Gain over {against}").format(against=against), info.unit))
    _format_axis(ax.xaxis, info.unit)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    _room_for_labels(fig, ax)
    _legend(fig, handles, [_("Low setting"), _("High setting")], title="")
    listing = "; ".join(
        f"{r.parameter}{_(' (flips the ranking)') if f else ''}: {r.low_label} {value_text(r.low_value, info.unit, exact=True)}, "
        f"{r.high_label} {value_text(r.high_value, info.unit, exact=True)}" for r, f in zip(sens.itertuples(), flips))
    fig.simlib_alt = _(
        "Tornado chart of the {metric} gain over {against} when each parameter moves from its low to its high setting, "
        "widest swing on top; base case {base}. {values}.").format(metric=info.label, against=against, values=listing,
        base=value_text(float(np.median(base)), info.unit, exact=True) if len(base) else _(NA))
    return fig


def _room_for_labels(fig: Figure, ax, pad_px: float = 6.0) -> None:
    """Widen the x limits until every annotation lies inside the axes (none spills onto the tick
    labels or out of the figure)."""
    renderer = fig.canvas.get_renderer()
    for _ in range(4):
        fig.draw_without_rendering()
        box = ax.get_window_extent(renderer)
        lo, hi = ax.get_xlim()
        per_px = (hi - lo) / max(box.width, 1.0)
        need_left = need_right = 0.0
        for t in ax.texts:
            ext = t.get_window_extent(renderer)
            need_left = max(need_left, box.x0 + pad_px - ext.x0)
            need_right = max(need_right, ext.x1 + pad_px - box.x1)
        if need_left <= 0 and need_right <= 0:
            return
        ax.set_xlim(lo - max(need_left, 0) * per_px * 1.1, hi + max(need_right, 0) * per_px * 1.1)


def figure_to_html(fig: Figure) -> str:
    """The figure as a self-contained ``<img>`` (base64 PNG) with escaped alt text and title."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = html.escape(getattr(fig, "simlib_alt", ""), quote=True)
    title = html.escape(fig.get_suptitle(), quote=True)
    return f'<img src="data:image/png;base64,{data}" alt="{alt}" title="{title}">'
