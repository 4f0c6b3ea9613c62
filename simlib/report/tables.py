"""Tables of results, strategies as rows: metrics per strategy with their 95 % CIs, paired
differences from the status quo, and the strategies compared with their levers in words.

Every table keeps to a few metric columns (long lists are split into several tables) inside a
scroll container, so each strategy's row fits a 1024-pixel screen and a printed page. The
recommended strategy's row and the best value of each column are highlighted; a metric that is
zero or n/a for every strategy is left out and named underneath.
"""
from __future__ import annotations

from collections.abc import Sequence

from simlib.core.currencies import currency_name
from simlib.scenario.materiality import decision_of, threshold_words
from simlib.report.labels import strategy_labels
from simlib.report.liquidity_blocks import liquidity_note
from simlib.report.markup import _html, esc
from simlib.report.metric_words import _label_of, _unit_of, higher_is_better
from simlib.report.plausibility_blocks import MARK, outside_cells
from simlib.analysis.numbers import diff_text, is_zero_text, plus_minus_text, value_text, verdict
from simlib.report.results import _replications, _strategies, horizon_days, recommended_strategy
from simlib.report.strategy_words import strategy_summary


DIFFERENCE_METRICS = ("npv_net_cash_usd", "npv_after_liquidity_usd", "cash_collected_usd", "collection_cost_usd",
                      "lost_margin_usd", "cash_trough_usd",
                      "net_collection_rate", "days_in_ar", "bad_debt_rate")
MAX_COLUMNS = 5
LIQUIDITY_THEME = "Cash floor and credit line"

# the financial results, in tables a reader can take in at once
KPI_THEMES = (
    ("Money", ("npv_net_cash_usd", "cash_collected_usd", "collection_cost_usd", "lost_margin_usd",
               "cash_trough_usd")),
    ("How much is collected", ("net_collection_rate", "patient_collection_rate", "bad_debt_rate",
                               "denial_write_off_rate", "agency_recovery_rate")),
    ("How fast, and at what cost", ("days_in_ar", "ar_over_90_share", "days_to_resolution", "cost_to_collect")),
    # only when the scenario sets a cash floor (simlib.scenario.liquidity); the note names the floor and line
    (LIQUIDITY_THEME, ("npv_after_liquidity_usd", "credit_drawn_peak_usd", "credit_interest_usd",
                       "credit_cost_per_rate_point_usd", "liquidity_infeasible")),
)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    """``items`` in consecutive groups of at most ``size``, as even as possible (7 → 4 + 3)."""
    items = list(items)
    if not items:
        return []
    count = -(-len(items) // size)
    step = -(-len(items) // count)
    return [items[i:i + step] for i in range(0, len(items), step)]


def _direction_note(metric: str) -> str:
    hib = higher_is_better(metric)
    return "" if hib is None else ("↑ higher is better" if hib else "↓ lower is better")


def _row_head(res, strategy: str, labels: dict[str, str], recommended: str | None) -> tuple[str, str]:
    """The ``<th>`` naming a strategy (with its status-quo / recommended tags) and the row's class."""
    tags = []
    if strategy == res.baseline:
        tags.append("<span class=\"tag\">status quo</span>")
    if strategy == recommended:
        tags.append("<span class=\"tag rec\">recommended</span>")
    cls = " class=\"recommended\"" if strategy == recommended else ""
    return f"<th scope=\"row\">{esc(labels.get(strategy, strategy))}{' '.join([''] + tags)}</th>", cls


def _best(values: dict[str, float], metric: str) -> set[str]:
    """Strategies whose displayed value is the best of the column (none if all read the same)."""
    hib = higher_is_better(metric)
    shown = {s: v for s, v in values.items() if value_text(v, _unit_of(metric)) != "n/a"}
    if hib is None or len(shown) < 2:
        return set()
    texts = {s: value_text(v, _unit_of(metric)) for s, v in shown.items()}
    if len(set(texts.values())) == 1:
        return set()
    top = (max if hib else min)(shown.values())
    return {s for s, t in texts.items() if t == value_text(top, _unit_of(metric))}


def _table(caption: str, head: str, rows: list[str], cls: str) -> str:
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f"<div class=\"table-scroll\"><table class=\"{cls}\">{cap}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _hidden_note(hidden: list[str], why: str) -> str:
    if not hidden:
        return ""
    return f"<p class=\"note\">Not shown, {esc(why)}: {esc(', '.join(_label_of(m) for m in hidden))}.</p>"


def metric_table(res, metrics: Sequence[str] | None = None, caption: str = "", group: str | None = None,
                 max_columns: int = MAX_COLUMNS, note: bool = True):
    """Strategies as rows, metrics as columns: the mean over the runs with ± half its 95 % CI.

    More than ``max_columns`` metrics are split over several tables. Metrics that read zero or
    n/a for every strategy are left out and named in a note.
    """
    from simlib.analysis.summaries import summarize
    from simlib.core.metric_catalogue import METRICS

    present = list(dict.fromkeys(res.metrics["metric"]))
    if metrics is None:
        metrics = [m for m in METRICS if m in present and (group is None or METRICS[m].group == group)]
    metrics = [m for m in metrics if m in present]
    if not metrics:
        return _html(f"<p class=\"note\">No {esc(caption.lower() or 'metrics')} in these results.</p>")
    strategies = _strategies(res)
    labels = strategy_labels(res)
    recommended = recommended_strategy(res) if len(strategies) > 1 else None
    summ = summarize(res.metrics[res.metrics["metric"].isin(metrics)]).set_index(["strategy", "metric"])
    outside = outside_cells(res)

    def mean(s, m):
        return float(summ.loc[(s, m), "mean"]) if (s, m) in summ.index else float("nan")

    shown = [m for m in metrics
             if not all(is_zero_text(t) or t == "n/a" for t in (value_text(mean(s, m), _unit_of(m)) for s in strategies))]
    hidden = [m for m in metrics if m not in shown]
    parts = []
    chunks = _chunks(shown, max_columns)
    for i, chunk in enumerate(chunks):
        head = "<th scope=\"col\">Strategy</th>" + "".join(
            f"<th scope=\"col\" title=\"{esc(METRICS[m].description if m in METRICS else '')}\">"
            f"{esc(_label_of(m))}<br><span class=\"note\">{esc(_direction_note(m))}</span></th>" for m in chunk)
        best = {m: _best({s: mean(s, m) for s in strategies}, m) for m in chunk}
        rows = []
        for s in strategies:
            th, cls = _row_head(res, s, labels, recommended)
            cells = []
            for m in chunk:
                unit = _unit_of(m)
                if (s, m) not in summ.index:
                    cells.append("<td class=\"num\">n/a</td>")
                    continue
                r = summ.loc[(s, m)]
                pm = plus_minus_text(r["ci_low"], r["ci_high"], unit) if r["n"] >= 2 else ""
                ci = f"<br><span class=\"ci\">{esc(pm)}</span>" if pm else ""
                mark = " best" if s in best[m] else ""
                flag = outside.get((s, m))
                if flag:
                    cells.append(f"<td class=\"num{mark} outside\" title=\"{esc(flag)}\">"
                                 f"{esc(value_text(r['mean'], unit))} {MARK}{ci}</td>")
                    continue
                cells.append(f"<td class=\"num{mark}\">{esc(value_text(r['mean'], unit))}{ci}</td>")
            rows.append(f"<tr{cls}>{th}{''.join(cells)}</tr>")
        cap = caption + (f" ({i + 1} of {len(chunks)})" if len(chunks) > 1 and caption else "")
        parts.append(_table(cap, head, rows, "kpi"))
    if not shown:
        parts.append(f"<p class=\"note\">No {esc(caption.lower() or 'metric')} differs from zero for any strategy.</p>")
    elif note:
        parts.append(f"<p class=\"note\">Mean over {_replications(res)} simulated runs; underneath, ± half "
                     "its 95 % confidence interval. <span class=\"best-key\">Bold on blue</span>: the best "
                     "value of the column. Shaded row: the recommended strategy.</p>")
    flagged = [words for (s, m), words in outside.items() if m in shown]
    if flagged:
        parts.append(f"<p class=\"note outside-note\">{MARK} Outside what hospitals have reported: "
                     + " ".join(esc(w) for w in flagged) + "</p>")
    parts.append(_hidden_note(hidden, "zero or n/a for every strategy"))
    return _html("".join(parts))


def kpi_tables(res):
    """The financial results in three short tables (money; how much is collected; how fast and at
    what cost), every money figure over the simulated horizon."""
    from simlib.core.metric_catalogue import METRICS

    present = set(res.metrics["metric"])
    horizon = f"{horizon_days(res):g}"
    themed = [m for _, ms in KPI_THEMES for m in ms]
    rest = [m for m, info in METRICS.items() if info.group == "finance" and m in present and m not in themed]
    groups = [(t, [m for m in ms if m in present]) for t, ms in (*KPI_THEMES, ("Other financial results", rest))]
    groups = [(t, ms) for t, ms in groups if ms]
    parts = []
    for i, (title, ms) in enumerate(groups):
        if title == "Money":
            title = f"Money ({currency_name(res)}, totals over the {horizon} simulated days)"
        parts.append(metric_table(res, ms, title, note=i == len(groups) - 1).data)
        if title == LIQUIDITY_THEME:
            parts.append(liquidity_note(res))
    return _html("\n".join(parts))


def difference_table(res, metrics: Sequence[str], caption: str = "", max_columns: int = 4):
    """Paired differences of each alternative minus the status quo: strategies as rows, the
    difference with ± half its 95 % CI and a verdict word that agrees with the number shown."""
    from simlib.analysis.summaries import paired_differences

    present = set(res.metrics["metric"])
    metrics = [m for m in metrics if m in present]
    others = [s for s in _strategies(res) if s != res.baseline]
    if not metrics or not others:
        return _html("<p class=\"note\">No alternative strategy to compare.</p>")
    labels = strategy_labels(res)
    recommended = recommended_strategy(res)
    diffs = paired_differences(res.metrics[res.metrics["metric"].isin(metrics)], res.baseline)
    diffs = diffs.set_index(["strategy", "metric"])
    decision = decision_of(res.scenario)
    shown = [m for m in metrics
             if any((s, m) in diffs.index and not is_zero_text(diff_text(diffs.loc[(s, m), "mean_diff"], _unit_of(m)))
                    and diff_text(diffs.loc[(s, m), "mean_diff"], _unit_of(m)) != "n/a" for s in others)]
    hidden = [m for m in metrics if m not in shown]
    parts = []
    chunks = _chunks(shown, max_columns)
    for i, chunk in enumerate(chunks):
        head = "<th scope=\"col\">Strategy</th>" + "".join(
            f"<th scope=\"col\">{esc(_label_of(m))}<br><span class=\"note\">{esc(_direction_note(m))}</span></th>"
            for m in chunk)
        rows = []
        for s in others:
            th, cls = _row_head(res, s, labels, recommended)
            cells = []
            for m in chunk:
                unit = _unit_of(m)
                if (s, m) not in diffs.index:
                    cells.append("<td class=\"num\">n/a</td>")
                    continue
                d = diffs.loc[(s, m)]
                word = verdict(d["mean_diff"], d["ci_low"], d["ci_high"], unit, higher_is_better(m), decision)
                pm = plus_minus_text(d["ci_low"], d["ci_high"], unit)
                extra = "".join(f"<br><span class=\"ci\">{esc(t)}</span>" for t in (pm, word) if t)
                mark = {"better": " better", "worse": " worse"}.get(word, "")
                cells.append(f"<td class=\"num{mark}\">{esc(diff_text(d['mean_diff'], unit))}{extra}</td>")
            rows.append(f"<tr{cls}>{th}{''.join(cells)}</tr>")
        cap = caption + (f" ({i + 1} of {len(chunks)})" if len(chunks) > 1 and caption else "")
        parts.append(_table(cap, head, rows, "kpi diff"))
    if shown:
        parts.append("<p class=\"note\">Each strategy minus the status quo, run by run on the same patients "
                     "(mean of the paired differences); underneath, ± half its 95 % confidence interval and "
                     "the verdict: no material difference when the difference shown is below this "
                     f"scenario's materiality threshold ({esc(threshold_words(decision))}), otherwise "
                     "better or worse when the interval excludes zero and no clear difference when it "
                     "does not. Differences of rates are in percentage points (pp).</p>")
    parts.append(_hidden_note(hidden, "no difference from the status quo (or n/a) for any strategy"))
    return _html("".join(parts))


def strategies_table(res):
    """The strategies compared: label (status quo / recommended), description, levers in words."""
    labels = strategy_labels(res)
    recommended = recommended_strategy(res) if len(res.scenario.strategies) > 1 else None
    rows = []
    for name, strat in res.scenario.strategies.items():
        th, cls = _row_head(res, name, labels, recommended)
        th = th.replace("</th>", f"<br><span class=\"note\">id: {esc(name)}</span></th>")
        rows.append(f"<tr{cls}>{th}<td>{esc(strat.description)}</td><td>{esc(strategy_summary(strat))}</td></tr>")
    head = ("<th scope=\"col\">Strategy</th><th scope=\"col\">Description</th>"
            "<th scope=\"col\">What it does</th>")
    return _html(_table("Strategies compared", head, rows, "strategies"))
