"""Figure blocks: a chart embedded as a PNG with its caption, the cash / open A/R / aging charts
(with what the cash curve shows, in words) and the paired-difference chart. Every chart draws a
strategy in the same colour (:func:`styles`), the status quo and the recommended strategy strong."""
from __future__ import annotations

from simlib.report.labels import strategy_labels
from simlib.report.markup import _html, esc
from simlib.report.results import recommendation, recommended_strategy


def figure_block(fig, caption: str = ""):
    """A figure as an embedded PNG (alt text from the plot) with a caption; the figure is closed."""
    from simlib.report.plots import figure_to_html

    img = figure_to_html(fig)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return _html(f"<figure>{img}{cap}</figure>")


def styles(res) -> dict:
    """Each strategy's chart style, fixed by its place in the scenario (the same colour on every
    page, also on pages that show only a few strategies); status quo and recommended emphasised."""
    from simlib.report.plots import strategy_styles

    order = list(getattr(res.scenario, "strategies", {}) or {})
    order += [s for s in dict.fromkeys(res.metrics["strategy"]) if s not in order]
    recommended = recommended_strategy(res) if len(order) > 1 else None
    return strategy_styles(order, baseline=res.baseline, recommended=recommended, labels=strategy_labels(res))


def day_marks(res) -> dict[float, str]:
    """Days worth a line on the time charts: the end of the billing window (no new patients after it)."""
    sim = res.scenario.simulation
    window = float(sim.billing_window_days)
    if sim.encounters_per_day > 0 and window < float(sim.horizon_days):
        return {window: f"last new patients (day {window:g})"}
    return {}


def cash_and_ar_charts(res):
    """Cash position and open A/R over time (each with a panel of the difference from the status
    quo), what the cash curve shows in words, and the A/R aging mix."""
    from simlib.report import plots
    from simlib.report.explanations import cash_curve_explanation

    st = styles(res)
    marks = day_marks(res)
    blocks = [
        figure_block(plots.cash_curve(res.curves, st, res.baseline, marks),
                     "Cash position of the hospital by day: starting cash, less the cost of care when it is "
                     "given, plus net collections. Upper panel: mean over runs (line) and the 5th–95th "
                     "percentile range (band) for the status quo and the recommended strategy; lower "
                     "panel: each strategy's mean difference from the status quo, run by run.").data,
        cash_curve_explanation(res).data,
        figure_block(plots.ar_curve(res.curves, st, res.baseline, marks),
                     "Open accounts receivable by day: money billed but not yet collected, "
                     "adjusted or written off. Lower panel: difference from the status quo.").data,
        figure_block(plots.aging_bars(res.aging, st),
                     "Open A/R by age from the date of service at the measurement day; older "
                     "balances are less likely to be collected.").data,
    ]
    return _html("\n".join(blocks))


def difference_chart(res, metric: str | None = None, caption: str | None = None):
    """Dot-and-interval chart of each strategy's paired gain over the status quo on ``metric``
    (default: the decision's metric), with ``caption`` (default: how to read it)."""
    from simlib.report import plots
    from simlib.analysis.summaries import paired_differences

    metric = metric or recommendation(res).metric
    rows = res.metrics[res.metrics["metric"] == metric]
    if rows["strategy"].nunique() < 2:
        return _html("<p class=\"note\">Only one strategy: nothing to compare.</p>")
    diffs = paired_differences(rows, res.baseline)
    st = {s: v for s, v in styles(res).items() if s != res.baseline}
    return figure_block(plots.paired_difference_chart(diffs, metric, res.baseline, st,
                                                      strategy_labels(res).get(res.baseline)),
                        caption if caption is not None else
                        "Difference from the status quo, run by run on the same patients, with "
                        "its 95 % confidence interval; an interval clear of the vertical line is "
                        "a difference beyond chance.")
