"""The calibration report's charts: observed (Kaplan–Meier, with its 95 % band) against fitted settle
curves, overall and per group, and the share of invoices settled in each week after the invoice.

Built like every report figure (:mod:`simlib.report.plots`: headless Agg, the Okabe–Ito colours, legends
below the plots, alt text in words) from the numbers of
:func:`simlib.calibration.report_data.settle_curves`.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from simlib.report.plots import OKABE_ITO, STATUS_QUO_COLOUR, _legend, _styled
from simlib.core.language import N_, _, localised
from simlib.report.calibration_words import group_label

GROUP_COLOURS = {"all": STATUS_QUO_COLOUR, "undisputed": OKABE_ITO[0], "disputed": OKABE_ITO[1],
                 "electronic": OKABE_ITO[2], "paper": OKABE_ITO[3]}
PANELS = ((N_("All invoices"), ("all",)), (N_("Disputed or not"), ("undisputed", "disputed")),
          (N_("Paper or electronic bill"), ("electronic", "paper")))
WEEK = 7


def _new_figure(title: str, size, columns: int) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer for the legend's measurement, no pyplot
    fig.suptitle(title)
    return fig, np.atleast_1d(fig.subplots(1, columns, sharey=True))


def _key(groups) -> tuple[list, list]:
    """Legend entries: line styles (observed, fitted) then each group's colour."""
    handles = [Line2D([], [], color="0.3", lw=2.2, ls="-"), Line2D([], [], color="0.3", lw=2.2, ls="--")]
    labels = [_("Observed (Kaplan–Meier; band: 95 % CI)"), _("Fitted model")]
    for g in groups:
        handles.append(Line2D([], [], color=GROUP_COLOURS[g], lw=6))
        labels.append(group_label(g))
    return handles, labels


@_styled
def settle_curve_chart(curves: dict) -> Figure:
    """Share settled within x days: observed step curve with its band and the fitted curve (dashed)."""
    days = np.asarray(curves["days"], float)
    groups = curves["groups"]
    panels = [(_(title), [g for g in names if g in groups]) for title, names in PANELS]
    panels = [(title, names) for title, names in panels if names]
    fig, axes = _new_figure(_("Share of invoices settled, by days after the invoice"), (10, 4.4), len(panels))
    drawn = []
    for ax, (title, names) in zip(axes, panels):
        for g in names:
            c = groups[g]
            colour = GROUP_COLOURS[g]
            ax.fill_between(days, c["observed_low"], c["observed_high"], step="post", color=colour, alpha=0.15, lw=0)
            ax.step(days, c["observed"], where="post", color=colour, lw=2.0)
            ax.plot(days, c["fitted"], color=colour, lw=2.0, ls="--")
            drawn.append(g)
        ax.set_title(title)
        ax.set_xlabel(_("Days after the invoice"))
        ax.set_xlim(0, days[-1])
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    axes[0].set_ylabel(_("Settled within that many days"))
    _legend(fig, *_key(drawn), title="")
    gaps = "; ".join(_("{group} {gap} points on day {day}").format(
        group=group_label(g).lower(), gap=localised(f"{groups[g]['largest_gap'] * 100:.1f}"),
        day=groups[g]["largest_gap_day"]) for g in drawn)
    fig.simlib_alt = _("Step curves of the share of invoices settled within each number of days from 0 to "
                       "{last}, observed (Kaplan–Meier with a shaded 95 % band) and fitted (dashed), in {count} "
                       "panels: {panels}. Largest gap between observed and fitted: {gaps}.").format(
                           last=f"{days[-1]:g}", count=len(panels), panels=", ".join(t.lower() for t, _n in panels),
                           gaps=gaps)
    return fig


def weekly_settled(curve: list[float]) -> np.ndarray:
    """Share settled in each week after the invoice (days 0–6, 7–13, …) from a settled-within-x-days
    curve on days 0, 1, 2, …"""
    c = np.asarray(curve, float)
    ends = np.arange(WEEK - 1, len(c), WEEK)
    if ends.size == 0 or ends[-1] != len(c) - 1:
        ends = np.append(ends, len(c) - 1)
    return np.diff(np.concatenate([[0.0], c[ends]]))


@_styled
def weekly_chart(curves: dict) -> Figure:
    """Bars: the observed share settled in each week after the invoice; line: the fitted share."""
    c = curves["groups"]["all"]
    observed, fitted = weekly_settled(c["observed"]), weekly_settled(c["fitted"])
    weeks = np.arange(len(observed))
    fig, axes = _new_figure(_("When invoices are settled: share settled in each week after the invoice"), (10, 3.8), 1)
    ax = axes[0]
    bars = ax.bar(weeks, observed, width=0.8, color=OKABE_ITO[5], label=_("Observed"))
    (line,) = ax.plot(weeks, fitted, color=STATUS_QUO_COLOUR, lw=2.2, marker="o", ms=4, label=_("Fitted model"))
    last = len(c["observed"]) - 1
    ax.set_xticks(weeks, [f"{WEEK * w}–{min(WEEK * w + WEEK - 1, last)}" for w in weeks], rotation=45, ha="right")
    ax.set_xlabel(_("Days after the invoice"))
    ax.set_ylabel(_("Share of invoices"))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    _legend(fig, [bars, line], [_("Observed (Kaplan–Meier)"), _("Fitted model")], title="")
    top = int(np.argmax(observed))
    fig.simlib_alt = _("Bar chart of the observed share of invoices settled in each week after the invoice, "
                       "with the fitted model's share as a line, over {weeks} weeks. The most invoices are "
                       "settled on days {first}–{last}: {observed} % observed, {fitted} % fitted.").format(
                           weeks=len(weeks), first=WEEK * top, last=WEEK * top + WEEK - 1,
                           observed=f"{observed[top] * 100:.0f}", fitted=f"{fitted[top] * 100:.0f}")
    return fig
