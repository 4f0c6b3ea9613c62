import base64
import re

import matplotlib
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from simlib.analysis import summaries as analysis  # noqa: E402

from simlib.report import plots
from simlib.core.metric_catalogue import AGING_BUCKETS, KEY_METRIC  # noqa: E402

STRATEGIES = ["status quo", "text first", "<script>alert('x')</script>", r"$\frac{ discount$"]


@pytest.fixture
def metrics() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for rep in range(12):
        common = rng.normal(2e6, 2e5)
        for i, strategy in enumerate(STRATEGIES):
            rows.append((rep, strategy, KEY_METRIC, common + 1e4 * i + rng.normal(0, 5e3)))
            rows.append((rep, strategy, "days_in_ar", 45 - i + rng.normal(0, 1)))
    return pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"])


@pytest.fixture
def curves() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    days = np.arange(0, 181, 30)
    return pd.DataFrame(
        [(rep, s, d, -5e5 + 4e3 * d * (1 + 0.1 * i) + rng.normal(0, 2e4), 1e6 * np.exp(-d / 60))
         for rep in range(8) for i, s in enumerate(STRATEGIES) for d in days],
        columns=["replication", "strategy", "day", "cash", "open_ar"])


@pytest.fixture
def aging() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    return pd.DataFrame(
        [(rep, s, b, rng.uniform(1e4, 1e5)) for rep in range(5) for s in STRATEGIES for b in AGING_BUCKETS],
        columns=["replication", "strategy", "bucket", "amount"])


@pytest.fixture
def sens() -> pd.DataFrame:
    return pd.DataFrame({
        "parameter": ["SMS response", "agency fee $rate$", "call minutes"],
        "low_label": ["0.5×", "15 %", "4 min"], "high_label": ["2×", "35 %", "12 min"],
        "low_value": [1e4, 4e4, 3.5e4], "high_value": [9e4, 2e4, 3.0e4],
        "base_value": [3.2e4] * 3})


@pytest.fixture
def figures(metrics, curves, aging, sens):
    diffs = analysis.paired_differences(metrics, "status quo")
    return {
        "cash": plots.cash_curve(curves),
        "ar": plots.ar_curve(curves),
        "aging": plots.aging_bars(aging),
        "diff": plots.paired_difference_chart(diffs, KEY_METRIC, "status quo"),
        "kpi": plots.kpi_bars(analysis.summarize(metrics), "days_in_ar"),
        "tornado": plots.tornado(sens),
    }


def test_every_figure_has_title_and_alt_text_naming_the_strategies(figures):
    for name, fig in figures.items():
        assert fig.get_suptitle().strip(), name
        assert len(fig.simlib_alt) > 60, name
        if name != "tornado":
            assert "text first" in fig.simlib_alt, name


def test_user_text_is_drawn_literally_not_as_mathtext(figures):
    legend = [t.get_text() for t in figures["cash"].legends[0].get_texts()]
    assert r"\$\frac{ discount\$" in legend
    ticks = [t.get_text() for t in figures["tornado"].axes[0].get_yticklabels()]
    assert r"agency fee \$rate\$" in ticks
    for fig in figures.values():  # an unbalanced mathtext name would raise while rendering
        plots.figure_to_html(fig)


def test_figure_to_html_embeds_png_and_escapes_alt_text(figures):
    out = plots.figure_to_html(figures["kpi"])
    match = re.fullmatch(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)" title="([^"]*)">', out)
    assert match, out[:200]
    assert base64.b64decode(match.group(1)).startswith(b"\x89PNG")
    assert "<script>" not in out
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in match.group(2)
    assert match.group(3) == "Days in A/R"


def test_band_chart_mean_line_and_band_match_data(curves):
    fig = plots.cash_curve(curves)
    ax = fig.axes[0]
    line = ax.get_lines()[1]
    expected = curves[curves["strategy"] == "text first"].groupby("day")["cash"].mean()
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    assert len(ax.collections) == len(STRATEGIES)
    assert "8 replications" in fig.simlib_alt


def test_aging_bars_show_shares_in_bucket_order(aging):
    fig = plots.aging_bars(aging)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{b} days" for b in AGING_BUCKETS]
    heights = np.array([p.get_height() for p in ax.patches]).reshape(len(STRATEGIES), len(AGING_BUCKETS))
    np.testing.assert_allclose(heights.sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        plots.aging_bars(aging.assign(bucket="0-90"))


def test_tornado_puts_widest_swing_on_top(sens):
    ax = plots.tornado(sens).axes[0]
    labels = [t.get_text() for t in sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])]
    assert labels == ["SMS response", r"agency fee \$rate\$", "call minutes"]


def test_money_ticks():
    assert plots._money_tick(1_500_000) == "$1.5M"
    assert plots._money_tick(-12_000) == "\N{MINUS SIGN}$12k"
    assert plots._money_tick(850) == "$850"


def test_missing_metric_is_an_error(metrics):
    with pytest.raises(ValueError):
        plots.kpi_bars(analysis.summarize(metrics), "bad_debt_rate")


# --------------------------------------------------------------------------- colours and layout
def test_each_strategy_keeps_its_colour_on_every_page():
    order = ["letters", "digital", "calls", "deposit", "factored"]
    full = plots.strategy_styles(order, baseline="letters", recommended="deposit")
    # a page showing a few strategies passes the full order and gets the same colours
    assert full["letters"].colour == plots.STATUS_QUO_COLOUR
    assert [full[s].colour for s in order[1:]] == list(plots.OKABE_ITO[:4])
    assert len({st.colour for st in full.values()}) == len(order)
    assert full["letters"].emphasised and full["deposit"].emphasised and not full["calls"].emphasised
    assert full["deposit"].legend == "deposit (recommended)" and full["letters"].legend == "letters (status quo)"
    both = plots.strategy_styles(order, baseline="letters", recommended="letters")
    assert both["letters"].legend == "letters (status quo and recommended)"
    many = plots.strategy_styles([f"s{i}" for i in range(10)], baseline="s0")
    assert len({(st.colour, st.linestyle) for st in many.values()}) == 10  # dashes once colours run out


def test_charts_draw_each_strategy_in_its_fixed_colour(curves, aging, metrics):
    styles = plots.strategy_styles(STRATEGIES, baseline="status quo", recommended="text first",
                                   labels={s: s.title() for s in STRATEGIES})
    subset = curves[curves["strategy"].isin(["status quo", r"$\frac{ discount$"])]
    fig = plots.cash_curve(subset, styles, baseline="status quo")
    colours = {line.get_label(): mpl.colors.to_hex(line.get_color()) for line in fig.axes[0].get_lines()}
    assert colours[plots._text(r"$\Frac{ Discount$")] == styles[r"$\frac{ discount$"].colour.lower()
    assert colours["Status Quo (status quo)"] == "#000000"
    bars = plots.aging_bars(aging, styles).axes[0].patches
    assert mpl.colors.to_hex(bars[0].get_facecolor()) == "#000000"
    emphasised = [line.get_linewidth() for line in plots.cash_curve(curves, styles, "status quo").axes[0].get_lines()]
    assert max(emphasised) > min(emphasised)  # status quo and recommended drawn strong, the others muted


def test_difference_panel_is_the_mean_paired_difference(curves):
    fig = plots.cash_curve(curves, baseline="status quo", days={120: "last new patients"})
    assert len(fig.axes) >= 2
    lower = fig.axes[1]
    wide = curves.pivot_table(index=["replication", "day"], columns="strategy", values="cash")
    expected = (wide["text first"] - wide["status quo"]).groupby(level="day").mean()
    line = next(ln for ln in lower.get_lines() if len(ln.get_xdata()) == len(expected))
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    top = fig.axes[0].child_axes[0]
    assert [t.get_text() for t in top.get_xticklabels()] == ["last new patients"]
    assert fig.axes[0].get_ylabel() == "Cash position"
    assert plots.ar_curve(curves).axes[0].get_ylabel() == "Open A/R"


def _drawn_texts(fig):
    """(kind, bounding box) of every piece of text matplotlib draws, and each legend's box."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    if fig.get_suptitle():
        found.append(("title", fig._suptitle))
    found += [("legend", leg) for leg in fig.legends]
    for ax in fig.axes:
        for a in (ax, *ax.child_axes):
            for axis, i in ((a.xaxis, 0), (a.yaxis, 1)):
                lo, hi = sorted(axis.get_view_interval())
                for t in axis.get_ticklabels():
                    pos = t.get_position()[i]
                    if t.get_visible() and t.get_text().strip() and lo - 1e-9 <= pos <= hi + 1e-9:
                        found.append((f"tick {axis.axis_name}", t))
            found += [("label", t) for t in (a.xaxis.label, a.yaxis.label, a.title) if t.get_text().strip()]
            found += [("annotation", t) for t in a.texts if t.get_visible() and t.get_text().strip()]
            if a.get_legend() is not None:
                found.append(("legend", a.get_legend()))
    return [(kind, artist.get_text() if hasattr(artist, "get_text") else kind,
             artist.get_window_extent(renderer)) for kind, artist in found]


def assert_no_overlap(fig, name=""):
    boxes = _drawn_texts(fig)
    width, height = fig.canvas.get_width_height()
    for kind, text, box in boxes:
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, \
            f"{name}: {kind} {text!r} is cut off by the figure's edge"
    for i, (k1, t1, b1) in enumerate(boxes):
        for k2, t2, b2 in boxes[i + 1:]:
            overlap_x = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            overlap_y = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            assert overlap_x <= 1 or overlap_y <= 1, f"{name}: {k1} {t1!r} overlaps {k2} {t2!r}"


def test_no_label_overlaps_another_in_any_chart(figures, curves, aging, metrics, sens):
    for name, fig in figures.items():
        assert_no_overlap(fig, name)
    long = {s: f"A much longer strategy label number {i}" for i, s in enumerate(STRATEGIES)}
    styles = plots.strategy_styles(STRATEGIES, "status quo", "text first", long)
    diffs = analysis.paired_differences(metrics, "status quo")
    busy = {
        "cash with panel": plots.cash_curve(curves, styles, "status quo", {90: "last new patients (day 90)"}),
        "ar with panel": plots.ar_curve(curves, styles, "status quo", {90: "last new patients (day 90)"}),
        "aging": plots.aging_bars(aging, styles),
        "diff": plots.paired_difference_chart(diffs, KEY_METRIC, "status quo",
                                              {s: v for s, v in styles.items() if s != "status quo"}),
        "tornado, long names": plots.tornado(sens.assign(parameter=[
            "Reminder effect (intensity jump per contact, all channels)",
            "Propensity to pay (initial payment intensity)", "Cost of capital (annual)"])),
        "tornado, one-sided": plots.tornado(sens.assign(low_value=[3.2e4] * 3)),
    }
    for name, fig in busy.items():
        assert_no_overlap(fig, name)


def test_overlap_check_sees_an_overlap():
    """Control: a legend put over the bar labels, as the old tornado did, is caught."""
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(4, 3), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.barh([0, 1], [1, 2], label="bars")
    ax.annotate("label under the legend", (1.9, 0.5), ha="right", va="center")
    ax.legend(loc="center right")
    with pytest.raises(AssertionError, match="overlaps"):
        assert_no_overlap(fig)
