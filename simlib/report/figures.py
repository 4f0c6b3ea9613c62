"""Figure blocks: a chart embedded as a PNG with its caption, the cash / open A/R / aging charts
and the paired-difference chart."""
from __future__ import annotations

from simlib.report.markup import _html, esc


def figure_block(fig, caption: str = ""):
    """A figure as an embedded PNG (alt text from the plot) with a caption; the figure is closed."""
    from simlib.plots import figure_to_html

    img = figure_to_html(fig)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return _html(f"<figure>{img}{cap}</figure>")


def cash_and_ar_charts(res):
    """Cash position and open A/R over time, and the A/R aging mix."""
    from simlib import plots

    blocks = [
        figure_block(plots.cash_curve(res.curves),
                     "Cash position of the hospital by day: mean over runs (line) and the 5th–95th "
                     "percentile range (band). Cash is starting cash less the cost of care plus net collections.").data,
        figure_block(plots.ar_curve(res.curves),
                     "Open accounts receivable by day: money billed but not yet collected, "
                     "adjusted or written off.").data,
        figure_block(plots.aging_bars(res.aging),
                     "Open A/R by age from the date of service at the measurement day; older "
                     "balances are less likely to be collected.").data,
    ]
    return _html("\n".join(blocks))


def difference_chart(res, metric: str | None = None):
    """Dot-and-interval chart of each strategy's paired gain over the status quo on ``metric``."""
    from simlib import plots
    from simlib.analysis import paired_differences
    from simlib.catalogue import KEY_METRIC

    metric = metric or KEY_METRIC
    rows = res.metrics[res.metrics["metric"] == metric]
    if rows["strategy"].nunique() < 2:
        return _html("<p class=\"note\">Only one strategy: nothing to compare.</p>")
    diffs = paired_differences(rows, res.baseline)
    return figure_block(plots.paired_difference_chart(diffs, metric, res.baseline),
                        "Difference from the status quo, run by run on the same patients, with "
                        "its 95 % confidence interval; an interval clear of the vertical line is "
                        "a difference beyond chance.")
