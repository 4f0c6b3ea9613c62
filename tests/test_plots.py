import base64
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from simlib import analysis, plots  # noqa: E402
from simlib.catalogue import AGING_BUCKETS, KEY_METRIC  # noqa: E402

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
        columns=["replication", "strategy", "day", "cash_usd", "ar_usd"])


@pytest.fixture
def aging() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    return pd.DataFrame(
        [(rep, s, b, rng.uniform(1e4, 1e5)) for rep in range(5) for s in STRATEGIES for b in AGING_BUCKETS],
        columns=["replication", "strategy", "bucket", "amount_usd"])


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
    expected = curves[curves["strategy"] == "text first"].groupby("day")["cash_usd"].mean()
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
