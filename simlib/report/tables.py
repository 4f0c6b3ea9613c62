"""Tables of results: metrics per strategy with their confidence intervals, paired differences from
the status quo, and the strategies compared with their levers in words."""
from __future__ import annotations

from collections.abc import Sequence

from simlib.report.markup import _html, esc
from simlib.report.metric_words import _label_of, _signed, _unit_of, pd_notna
from simlib.report.results import _strategies
from simlib.report.strategy_words import strategy_summary


DIFFERENCE_METRICS = ("npv_net_cash_usd", "cash_collected_usd", "net_collection_rate", "days_in_ar",
                      "collection_cost_usd", "bad_debt_rate", "cash_trough_usd")


def metric_table(res, metrics: Sequence[str] | None = None, caption: str = "", group: str | None = None):
    """Strategies as columns, metrics as rows: mean with its 95 % CI underneath."""
    from simlib.analysis import format_value, summarize
    from simlib.catalogue import METRICS

    present = list(dict.fromkeys(res.metrics["metric"]))
    if metrics is None:
        metrics = [m for m in METRICS if m in present and (group is None or METRICS[m].group == group)]
    metrics = [m for m in metrics if m in present]
    if not metrics:
        return _html(f"<p class=\"note\">No {esc(caption.lower() or 'metrics')} in these results.</p>")
    strategies = _strategies(res)
    summ = summarize(res.metrics[res.metrics["metric"].isin(metrics)]).set_index(["strategy", "metric"])
    head = "".join(f"<th scope=\"col\">{esc(s)}{' (status quo)' if s == res.baseline else ''}</th>"
                   for s in strategies)
    rows = []
    for m in metrics:
        unit = _unit_of(m)
        cells = []
        for s in strategies:
            if (s, m) not in summ.index:
                cells.append("<td class=\"num\">n/a</td>")
                continue
            r = summ.loc[(s, m)]
            ci = ""
            if r["n"] >= 2 and pd_notna(r["ci_low"]):
                ci = (f"<br><span class=\"note\">{esc(format_value(r['ci_low'], unit))} to "
                      f"{esc(format_value(r['ci_high'], unit))}</span>")
            cells.append(f"<td class=\"num\">{esc(format_value(r['mean'], unit))}{ci}</td>")
        desc = METRICS[m].description if m in METRICS else ""
        direction = ""
        if m in METRICS and METRICS[m].higher_is_better is not None:
            direction = " ↑ higher is better" if METRICS[m].higher_is_better else " ↓ lower is better"
        rows.append(f"<tr><th scope=\"row\" title=\"{esc(desc)}\">{esc(_label_of(m))}"
                    f"<br><span class=\"note\">{esc(direction.strip())}</span></th>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return _html(f"<table>{cap}<thead><tr><th scope=\"col\">Metric</th>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>"
                 "<p class=\"note\">Mean over the Monte Carlo runs; underneath, its 95 % "
                 "confidence interval.</p>")


def difference_table(res, metrics: Sequence[str], caption: str = ""):
    """Paired differences of each strategy minus the status quo, with CIs, one row per metric."""
    from simlib.analysis import format_value, paired_differences

    present = set(res.metrics["metric"])
    metrics = [m for m in metrics if m in present]
    others = [s for s in _strategies(res) if s != res.baseline]
    if not metrics or not others:
        return _html("<p class=\"note\">No alternative strategy to compare.</p>")
    diffs = paired_differences(res.metrics[res.metrics["metric"].isin(metrics)], res.baseline)
    diffs = diffs.set_index(["strategy", "metric"])
    head = "".join(f"<th scope=\"col\">{esc(s)} − {esc(res.baseline)}</th>" for s in others)
    rows = []
    for m in metrics:
        unit = _unit_of(m)
        cells = []
        for s in others:
            if (s, m) in diffs.index:
                d = diffs.loc[(s, m)]
                ci = ""
                if pd_notna(d["ci_low"]):
                    ci = (f"<br><span class=\"note\">{esc(format_value(d['ci_low'], unit))} to "
                          f"{esc(format_value(d['ci_high'], unit))}</span>")
                cells.append(f"<td class=\"num\">{esc(_signed(d['mean_diff'], unit))}{ci}</td>")
            else:
                cells.append("<td class=\"num\">n/a</td>")
        rows.append(f"<tr><th scope=\"row\">{esc(_label_of(m))}</th>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return _html(f"<table>{cap}<thead><tr><th scope=\"col\">Metric</th>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>"
                 "<p class=\"note\">Mean paired difference over the runs; underneath, its 95 % "
                 "confidence interval.</p>")


def strategies_table(res):
    """The strategies compared: name, description and levers in words."""
    rows = []
    for name, strat in res.scenario.strategies.items():
        tag = " (status quo)" if name == res.baseline else ""
        rows.append(f"<tr><th scope=\"row\">{esc(name)}{esc(tag)}</th><td>{esc(strat.description)}</td>"
                    f"<td>{esc(strategy_summary(strat))}</td></tr>")
    return _html("<table><caption>Strategies compared</caption><thead><tr><th scope=\"col\">Strategy</th>"
                 "<th scope=\"col\">Description</th><th scope=\"col\">Levers</th></tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>")
