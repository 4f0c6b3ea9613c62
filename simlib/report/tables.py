"""Tables of results, strategies as rows: metrics per strategy with their 95 % CIs, paired
differences from the status quo, and the strategies compared with their levers in words.

Every table keeps to a few metric columns (long lists are split into several tables) inside a
scroll container, so each strategy's row fits a 1024-pixel screen and a printed page. The
recommended strategy's row and the best value of each column are highlighted; a metric that is
zero or n/a for every strategy is left out and named underneath.
"""
from __future__ import annotations

from collections.abc import Sequence

from simlib.core.language import N_, _, currency_name, short_number_text
from simlib.scenario.materiality import decision_of, threshold_words
from simlib.report.labels import strategy_labels
from simlib.report.liquidity_blocks import liquidity_note
from simlib.report.markup import Markup, Sentence, _html, esc, html_words
from simlib.report.metric_words import _label_of, _unit_of, higher_is_better
from simlib.report.plausibility_blocks import MARK, outside_cells
from simlib.analysis.numbers import NA, diff_text, is_zero_text, plus_minus_text, value_text, verdict, verdict_words
from simlib.report.results import _replications, _strategies, horizon_days, recommended_strategy
from simlib.report.strategy_words import strategy_summary


DIFFERENCE_METRICS = ("npv_net_cash", "npv_after_liquidity", "cash_collected", "collection_cost",
                      "lost_margin", "cash_trough",
                      "net_collection_rate", "days_in_ar", "bad_debt_rate")
MAX_COLUMNS = 5
LIQUIDITY_THEME = N_("Cash floor and credit line")

# the financial results, in tables a reader can take in at once
KPI_THEMES = (
    (N_("Money"), ("npv_net_cash", "cash_collected", "collection_cost", "lost_margin",
               "cash_trough")),
    (N_("How much is collected"), ("net_collection_rate", "patient_collection_rate", "bad_debt_rate",
                               "denial_write_off_rate", "agency_recovery_rate")),
    (N_("How fast, and at what cost"), ("days_in_ar", "ar_over_90_share", "days_to_resolution", "cost_to_collect")),
    # only when the scenario sets a cash floor (simlib.scenario.liquidity); the note names the floor and line
    (LIQUIDITY_THEME, ("npv_after_liquidity", "credit_drawn_peak", "credit_interest",
                       "credit_cost_per_rate_point", "liquidity_infeasible")),
)
#: The captions the page notebooks give the tables (translated when shown, like every caption).
NOTEBOOK_CAPTIONS = (N_("Difference from the status quo (paired)"), N_("Patient experience"), N_("Operations"))


class _Filled(str):
    """A caption of the catalogue with values to fill in once translated (:func:`_part`)."""

    def __new__(cls, message: str, values: dict):
        self = super().__new__(cls, message)
        self.values = values
        return self


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
    return "" if hib is None else (_("↑ higher is better") if hib else _("↓ lower is better"))


def _row_head(res, strategy: str, labels: dict[str, str], recommended: str | None) -> tuple[str, str]:
    """The ``<th>`` naming a strategy (with its status-quo / recommended tags) and the row's class."""
    tags = []
    if strategy == res.baseline:
        tags.append(f"<span class=\"tag\">{esc(_('status quo'))}</span>")
    if strategy == recommended:
        tags.append(f"<span class=\"tag rec\">{esc(_('recommended'))}</span>")
    cls = " class=\"recommended\"" if strategy == recommended else ""
    return f"<th scope=\"row\">{esc(labels.get(strategy, strategy))}{' '.join([''] + tags)}</th>", cls


def _best(values: dict[str, float], metric: str) -> set[str]:
    """Strategies whose displayed value is the best of the column (none if all read the same)."""
    hib = higher_is_better(metric)
    shown = {s: v for s, v in values.items() if value_text(v, _unit_of(metric)) != _(NA)}
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


def _part(caption: str, index: int, count: int) -> str:
    """A table's caption in the language in force, "(2 of 3)" after it when it is one of several."""
    if not caption:
        return ""
    text = _(caption)
    if isinstance(caption, _Filled):
        text = text.format(**caption.values)
    if count <= 1:
        return text
    return text + " " + _("({number} of {count})").format(number=index + 1, count=count)


def _hidden_note(hidden: list[str], why: str) -> str:
    if not hidden:
        return ""
    return "<p class=\"note\">" + html_words(_("Not shown, {why}: {metrics}."), why=why,
                                              metrics=", ".join(_label_of(m) for m in hidden)) + "</p>"


def metric_table(res, metrics: Sequence[str] | None = None, caption: str = "", group: str | None = None,
                 max_columns: int = MAX_COLUMNS, note: bool = True, caption_values: dict | None = None):
    """Strategies as rows, metrics as columns: the mean over the runs with ± half its 95 % CI.

    More than ``max_columns`` metrics are split over several tables. Metrics that read zero or
    n/a for every strategy are left out and named in a note. ``caption`` is English, shown in the
    language in force (a message of the catalogue), its ``{names}`` filled from ``caption_values``.
    """
    if caption_values:
        caption = _Filled(caption, caption_values)
    from simlib.analysis.summaries import summarize
    from simlib.core.metric_catalogue import METRICS

    present = list(dict.fromkeys(res.metrics["metric"]))
    if metrics is None:
        metrics = [m for m in METRICS if m in present and (group is None or METRICS[m].group == group)]
    metrics = [m for m in metrics if m in present]
    if not metrics:
        what = _part(caption, 0, 1).lower() or _("metrics")
        return _html("<p class=\"note\">" + html_words(_("No {what} in these results."), what=what) + "</p>")
    strategies = _strategies(res)
    labels = strategy_labels(res)
    recommended = recommended_strategy(res) if len(strategies) > 1 else None
    summ = summarize(res.metrics[res.metrics["metric"].isin(metrics)]).set_index(["strategy", "metric"])
    outside = outside_cells(res)

    def mean(s, m):
        return float(summ.loc[(s, m), "mean"]) if (s, m) in summ.index else float("nan")

    shown = [m for m in metrics
             if not all(is_zero_text(t) or t == _(NA) for t in (value_text(mean(s, m), _unit_of(m)) for s in strategies))]
    hidden = [m for m in metrics if m not in shown]
    parts = []
    chunks = _chunks(shown, max_columns)
    for i, chunk in enumerate(chunks):
        head = f"<th scope=\"col\">{esc(_('Strategy'))}</th>" + "".join(
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
                    cells.append(f"<td class=\"num\">{esc(_(NA))}</td>")
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
        cap = _part(caption, i, len(chunks))
        parts.append(_table(cap, head, rows, "kpi"))
    if not shown:
        what = _part(caption, 0, 1).lower() or _("metric")
        parts.append("<p class=\"note\">" + html_words(_("No {what} differs from zero for any strategy."), what=what)
                     + "</p>")
    elif note:
        parts.append("<p class=\"note\">" + html_words(_(
            "Mean over {runs} simulated runs; underneath, ± half its 95 % confidence interval. {key_start}Bold "
            "on blue{key_end}: the best value of the column. Shaded row: the recommended strategy."),
            runs=_replications(res), key_start=Markup("<span class=\"best-key\">"), key_end=Markup("</span>"))
            + "</p>")
    flagged = [words for (s, m), words in outside.items() if m in shown]
    if flagged:
        parts.append(f"<p class=\"note outside-note\">{MARK} {esc(_('Outside what hospitals have reported:'))} "
                     + " ".join(esc(w) for w in flagged) + "</p>")
    parts.append(_hidden_note(hidden, _("zero or n/a for every strategy")))
    return _html("".join(parts))


def kpi_tables(res):
    """The financial results in three short tables (money; how much is collected; how fast and at
    what cost), every money figure over the simulated horizon."""
    from simlib.core.metric_catalogue import METRICS

    present = set(res.metrics["metric"])
    horizon = short_number_text(horizon_days(res))
    themed = [m for _theme, ms in KPI_THEMES for m in ms]
    rest = [m for m, info in METRICS.items() if info.group == "finance" and m in present and m not in themed]
    groups = [(t, [m for m in ms if m in present]) for t, ms in (*KPI_THEMES, (N_("Other financial results"), rest))]
    groups = [(t, ms) for t, ms in groups if ms]
    parts = []
    for i, (title, ms) in enumerate(groups):
        shown_title = title
        if title == "Money":
            shown_title = N_("Money ({currency}, totals over the {horizon} simulated days)")
        parts.append(metric_table(res, ms, shown_title, note=i == len(groups) - 1,
                                  caption_values={"currency": currency_name(), "horizon": horizon}).data)
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
        return _html(f"<p class=\"note\">{esc(_('No alternative strategy to compare.'))}</p>")
    labels = strategy_labels(res)
    recommended = recommended_strategy(res)
    diffs = paired_differences(res.metrics[res.metrics["metric"].isin(metrics)], res.baseline)
    diffs = diffs.set_index(["strategy", "metric"])
    decision = decision_of(res.scenario)
    shown = [m for m in metrics
             if any((s, m) in diffs.index and not is_zero_text(diff_text(diffs.loc[(s, m), "mean_diff"], _unit_of(m)))
                    and diff_text(diffs.loc[(s, m), "mean_diff"], _unit_of(m)) != _(NA) for s in others)]
    hidden = [m for m in metrics if m not in shown]
    parts = []
    chunks = _chunks(shown, max_columns)
    for i, chunk in enumerate(chunks):
        head = f"<th scope=\"col\">{esc(_('Strategy'))}</th>" + "".join(
            f"<th scope=\"col\">{esc(_label_of(m))}<br><span class=\"note\">{esc(_direction_note(m))}</span></th>"
            for m in chunk)
        rows = []
        for s in others:
            th, cls = _row_head(res, s, labels, recommended)
            cells = []
            for m in chunk:
                unit = _unit_of(m)
                if (s, m) not in diffs.index:
                    cells.append(f"<td class=\"num\">{esc(_(NA))}</td>")
                    continue
                d = diffs.loc[(s, m)]
                word = verdict(d["mean_diff"], d["ci_low"], d["ci_high"], unit, higher_is_better(m), decision)
                pm = plus_minus_text(d["ci_low"], d["ci_high"], unit)
                extra = "".join(f"<br><span class=\"ci\">{esc(t)}</span>" for t in (pm, verdict_words(word)) if t)
                mark = {"better": " better", "worse": " worse"}.get(word, "")
                cells.append(f"<td class=\"num{mark}\">{esc(diff_text(d['mean_diff'], unit))}{extra}</td>")
            rows.append(f"<tr{cls}>{th}{''.join(cells)}</tr>")
        cap = _part(caption, i, len(chunks))
        parts.append(_table(cap, head, rows, "kpi diff"))
    if shown:
        parts.append("<p class=\"note\">" + html_words(_(
            "Each strategy minus the status quo, run by run on the same patients "
            "(mean of the paired differences); underneath, ± half its 95 % confidence interval and "
            "the verdict: no material difference when the difference shown is below this "
            "scenario's materiality threshold ({thresholds}), otherwise "
            "better or worse when the interval excludes zero and no clear difference when it "
            "does not. Differences of rates are in percentage points (pp)."), thresholds=threshold_words(decision))
            + "</p>")
    parts.append(_hidden_note(hidden, _("no difference from the status quo (or n/a) for any strategy")))
    return _html("".join(parts))


def strategies_table(res):
    """The strategies compared: label (status quo / recommended), description, levers in words."""
    labels = strategy_labels(res)
    recommended = recommended_strategy(res) if len(res.scenario.strategies) > 1 else None
    rows = []
    for name, strat in res.scenario.strategies.items():
        th, cls = _row_head(res, name, labels, recommended)
        th = th.replace("</th>", f"<br><span class=\"note\">{esc(_('id:'))} {esc(name)}</span></th>")
        rows.append(f"<tr{cls}>{th}<td>{esc(strat.description)}</td><td>{esc(strategy_summary(strat))}</td></tr>")
    head = "".join(f"<th scope=\"col\">{esc(_(h))}</th>" for h in
                   (N_("Strategy"), N_("Description"), N_("What it does")))
    return _html(_table(_("Strategies compared"), head, rows, "strategies"))
