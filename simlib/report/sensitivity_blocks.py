"""The sensitivity section: the one-at-a-time sweep for the recommended strategy, its table and
verdict in words (does the gain change sign?), and the tornado chart."""
from __future__ import annotations

from simlib.report.figures import figure_block
from simlib.report.labels import humanise_id
from simlib.report.markup import _html, esc
from simlib.report.metric_words import _label_lower
from simlib.report.numbers import value_text
from simlib.report.results import _strategies


def run_sensitivity(res, replications: int = 2, seed: int | None = None, factors=None,
                    workers: int | None = None):
    """:func:`simlib.sensitivity.sweep` for the strategy the results recommend (or the best
    alternative to the status quo), with the results' seed unless ``seed`` is given."""
    from simlib import sensitivity

    if len(_strategies(res)) < 2:
        return None
    strategy = sensitivity.choose_strategy(res.metrics, res.baseline)
    prov = getattr(res, "provenance", {}) or {}
    seed = seed if seed is not None else prov.get("seed")
    return sensitivity.sweep(res.scenario, factors or sensitivity.DEFAULT_FACTORS,
                             replications=replications, seed=seed, strategy=strategy,
                             baseline=res.baseline, workers=workers or res.scenario.simulation.workers)


def sensitivity_section(table, res=None):
    """Text and table for a :func:`simlib.sensitivity.sweep` result (the tornado is separate);
    strategies named by their display labels when the results ``res`` are given."""
    if table is None:
        return _html("")
    from simlib.catalogue import KEY_METRIC, METRICS
    from simlib.report.labels import strategy_labels

    labels = strategy_labels(res) if res is not None else {}
    metric = table.attrs.get("metric", KEY_METRIC)
    info = METRICS[metric]
    strategy, baseline = table.attrs.get("strategy", "?"), table.attrs.get("baseline", "?")
    strategy = labels.get(strategy) or humanise_id(strategy)
    baseline = labels.get(baseline) or humanise_id(baseline)
    base = float(table["base_value"].iloc[0]) if len(table) else float("nan")
    flips = []
    for r in table.itertuples():
        for lab, val in ((r.low_label, r.low_value), (r.high_label, r.high_value)):
            if (val > 0) != (base > 0):
                flips.append(f"{r.parameter} at {lab}")
    intro = (f"<p>The gain of “{esc(strategy)}” over the status quo “{esc(baseline)}” on "
             f"{esc(_label_lower(info.label))} is {esc(value_text(base, info.unit))} with the scenario's "
             "assumptions. Each uncertain assumption below was moved to a low and a high setting, "
             "one at a time, on the same simulated patients.</p>")
    if table.empty:
        verdict = ""
    elif flips:
        verdict = ("<p class=\"headline\">The sign of the gain flips when: "
                   f"{esc('; '.join(flips))}. The recommendation hinges on these assumptions.</p>")
    else:
        top = table.iloc[0]
        verdict = (f"<p class=\"headline\">The gain keeps its sign at every setting tested; it "
                   f"depends most on {esc(top['parameter'].lower())}.</p>")
    rows = "".join(
        f"<tr><th scope=\"row\">{esc(r.parameter)}</th><td class=\"num\">{esc(r.low_label)}: "
        f"{esc(value_text(r.low_value, info.unit))}</td><td class=\"num\">{esc(r.high_label)}: "
        f"{esc(value_text(r.high_value, info.unit))}</td><td class=\"num\">"
        f"{esc(value_text(abs(r.high_value - r.low_value), info.unit))}</td></tr>"
        for r in table.itertuples())
    tbl = ("<div class=\"table-scroll\"><table><caption>Gain at each setting</caption><thead><tr><th scope=\"col\">Assumption</th>"
           "<th scope=\"col\">Low setting</th><th scope=\"col\">High setting</th>"
           "<th scope=\"col\">Swing</th></tr></thead>"
           f"<tbody>{rows}</tbody></table></div>")
    note = (f"<p class=\"note\">{esc(table.attrs.get('replications', '?'))} runs per setting (the base "
            "case too, so its gain may differ slightly from the strategy comparison's estimate), seed "
            f"{esc(table.attrs.get('seed', '?'))}; “×0.5” multiplies the scenario's value(s) by 0.5; "
            "“all channels” and “all payers” move every channel's or payer's value together.</p>")
    return _html(intro + verdict + tbl + note)


def tornado_block(table):
    """The tornado chart of a sensitivity table (or a note when there is nothing to sweep)."""
    if table is None or len(table) == 0:
        return _html("<p>This scenario has a single strategy: there is no gain to test.</p>")
    from simlib import plots

    return figure_block(plots.tornado(table, table.attrs.get("metric") or "npv_net_cash_usd"),
                        "Gain over the status quo with each assumption at its low and high "
                        "setting; the vertical line is the gain with the scenario's values.")
