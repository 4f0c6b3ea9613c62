"""The sensitivity section: what the ranking hinges on, and when it flips.

:func:`compute_sensitivity` takes the main run's results and compares the recommended strategy
with the runner-up: the one-at-a-time sweep (:func:`simlib.studies.sensitivity.sweep`; the tornado chart)
and the flip points of the deciding assumptions — the largest swings and every uncertain
assumption (:mod:`simlib.studies.flip_points`). The report pipeline computes them once per build and
saves them beside the results (:func:`save_sensitivity`: ``sensitivity.csv``,
``flip_points.csv``, called by :mod:`simlib.report.derived`); the sensitivity page shows them
(:func:`load_sensitivity` reads them) and the strategy comparison's summary says them in one
sentence (:func:`flip_sentence`).
"""
from __future__ import annotations

import math
from pathlib import Path

from simlib.core.csv_cells import read_csv, write_csv
from simlib.core.language import N_, _, speaking
from simlib.report.figures import figure_block
from simlib.report.labels import humanise_id
from simlib.report.markup import _html, esc, html_words
from simlib.report.metric_words import _label_lower
from simlib.analysis.numbers import value_text
from simlib.report.results import _replications, recommendation

SENSITIVITY_FILE = "sensitivity.csv"
FLIPS_FILE = "flip_points.csv"
_ATTRS = ("strategy", "baseline", "metric", "replications", "seed", "strategy_label", "baseline_label",
          "main_replications", "runs_total")


def _settings(res):
    from simlib.scenario.sensitivity_section import SensitivitySettings

    return getattr(res.scenario, "sensitivity", None) or SensitivitySettings()


def compute_sensitivity(res, replications: int | None = None, workers: int | None = None,
                        factors=None):
    """(tornado table, flip-point table) of the recommended strategy against the runner-up, on the
    main run ``res`` (its gain is the base case; its seed and first runs are reused), or
    ``(None, None)`` with a single strategy. ``replications`` (default: the scenario's
    ``sensitivity.replications``) runs per setting and per search step."""
    from simlib.studies import flip_points as fp
    from simlib.studies import sensitivity
    from simlib.report.labels import strategy_labels

    rec = recommendation(res)
    if rec.runner_up is None:
        return None, None
    settings = _settings(res)
    reps = replications or settings.replications
    metric, strategy, against = rec.metric, rec.strategy, rec.runner_up
    seed = (getattr(res, "provenance", {}) or {}).get("seed", res.scenario.simulation.seed)
    curve = sensitivity.PairedGain(res.scenario, strategy, against, metric=metric, replications=reps,
                                   seed=seed, workers=workers or res.scenario.simulation.workers,
                                   main=res.metrics)
    if factors is None:
        factors = sensitivity.scenario_factors(res.scenario, [strategy, against])
    table = sensitivity.sweep(res.scenario, factors, reps, seed, strategy=strategy, baseline=against,
                              metric=metric, curve=curve)
    by_path = {f.path: f for f in factors}
    uncertain = fp.uncertain_ranges(res.scenario)  # every one; the tornado already ran their ends
    drawn = {r.path for r in uncertain}
    deciding = [by_path[p] for p in table["path"] if p not in drawn][:settings.flip_points]
    ranges = [f.with_base(res.scenario) for f in deciding] + uncertain
    flips = fp.flip_points(curve, ranges)
    labels = strategy_labels(res)
    extra = {"strategy_label": labels.get(strategy, humanise_id(strategy)),
             "baseline_label": labels.get(against, humanise_id(against)),
             "main_replications": _replications(res), "runs_total": curve.evaluations}
    for t in (table, flips):
        t.attrs.update(extra)
    return table, flips


def sensitivity_problems(scenario) -> list[str]:
    """One line per factor of the file's ``sensitivity`` section whose low or high setting is
    invalid (the pipeline reports them before any run)."""
    from simlib.studies import sensitivity

    section = getattr(scenario, "sensitivity", None)
    if section is None or not section.factors:
        return []
    from simlib.core.ranges import Range

    return sensitivity.check_factors(scenario, [Range.of(f) for f in section.factors])


def save_sensitivity(res, results_dir: str | Path, **kwargs) -> tuple:
    """:func:`compute_sensitivity`, saved in ``results_dir`` (the pipeline calls it once per build)."""
    table, flips = compute_sensitivity(res, **kwargs)
    if table is not None:
        for t, name in ((table, SENSITIVITY_FILE), (flips, FLIPS_FILE)):
            write_csv(t.assign(**{k: t.attrs.get(k) for k in _ATTRS}), Path(results_dir) / name)
    return table, flips


def load_sensitivity(results_dir: str | Path) -> tuple:
    """The saved (tornado table, flip-point table), or ``(None, None)`` when not computed."""
    d = Path(results_dir) if results_dir else None
    if d is None or not (d / SENSITIVITY_FILE).is_file() or not (d / FLIPS_FILE).is_file():
        return None, None
    out = []
    for name in (SENSITIVITY_FILE, FLIPS_FILE):
        t = read_csv(d / name, keep_default_na=False, na_values=[""])
        attrs = {k: t[k].iloc[0] for k in _ATTRS if k in t and len(t)}
        t = t.drop(columns=[k for k in _ATTRS if k in t])
        t.attrs.update({k: (v.item() if hasattr(v, "item") else v) for k, v in attrs.items()})
        out.append(t)
    return tuple(out)


# --------------------------------------------------------------------------- words
def _names(table, res=None) -> tuple[str, str]:
    from simlib.report.labels import strategy_labels

    labels = strategy_labels(res) if res is not None else {}
    out = []
    for key in ("strategy", "baseline"):
        sid = str(table.attrs.get(key, "?"))
        out.append(labels.get(sid) or str(table.attrs.get(f"{key}_label") or humanise_id(sid)))
    return out[0], out[1]


def _metric_info(table):
    from simlib.core.metric_catalogue import KEY_METRIC, METRICS

    return METRICS.get(table.attrs.get("metric", KEY_METRIC), METRICS[KEY_METRIC])


def sensitivity_section(table, res=None):
    """Text and table for a :func:`simlib.studies.sensitivity.sweep` result (the tornado is separate);
    strategies named by their display labels."""
    if table is None:
        return _html("")
    info = _metric_info(table)
    strategy, against = _names(table, res)
    base = float(table["base_value"].iloc[0]) if len(table) else float("nan")
    flips = []
    for r in table.itertuples():
        for lab, val in ((r.low_label, r.low_value), (r.high_label, r.high_value)):
            if (val > 0) != (base > 0):
                flips.append(_("{assumption} at {setting}").format(assumption=_(r.parameter), setting=lab))
    main = table.attrs.get("main_replications")
    runs = _(" ({runs} runs)").format(runs=main) if main else ""
    intro = "<p>" + html_words(_(
        "The recommended strategy “{strategy}” is ahead of the runner-up “{against}” "
        "by {gain} of {metric} in the main run{runs}. Each assumption below was moved to a low and a high setting, "
        "one at a time, on the same simulated patients; the gain over the runner-up at each setting is "
        "shown. Below zero, the runner-up would be better: the ranking flips."), strategy=strategy, against=against,
        gain=value_text(base, info.unit), metric=_label_lower(info.label), runs=runs) + "</p>"
    if table.empty:
        verdict = ""
    elif flips:
        verdict = ("<p class=\"headline\">" + html_words(_(
            "The ranking flips when: {settings}. The recommendation hinges on these assumptions."),
            settings="; ".join(flips)) + "</p>")
    else:
        top = table.iloc[0]
        verdict = ("<p class=\"headline\">" + html_words(_(
            "The ranking holds at every setting tested; the gain depends most on {assumption}."),
            assumption=_label_lower(_(top['parameter']))) + "</p>")
    rows = "".join(
        f"<tr><th scope=\"row\">{esc(_(r.parameter))}</th><td class=\"num\">{esc(r.low_label)}: "
        f"{esc(value_text(r.low_value, info.unit))}</td><td class=\"num\">{esc(r.high_label)}: "
        f"{esc(value_text(r.high_value, info.unit))}</td><td class=\"num\">"
        f"{esc(value_text(abs(r.high_value - r.low_value), info.unit))}</td>"
        f"<td>{esc(_('flips') if bool(getattr(r, 'flips', False)) else _('holds'))}</td></tr>"
        for r in table.itertuples())
    head = "".join(f"<th scope=\"col\">{esc(_(h))}</th>" for h in
                   (N_("Assumption"), N_("Low setting"), N_("High setting"), N_("Swing"), N_("Ranking")))
    tbl = (f"<div class=\"table-scroll\"><table><caption>{esc(_('Gain at each setting, over the runner-up'))}</caption>"
           f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")
    reps = table.attrs.get("replications", "?")
    note = ("<p class=\"note\">" + html_words(_(
        "The gain with the scenario's values is the main run's{runs}. The "
        "change at each setting was measured on the first {replications} of those runs (seed "
        "{seed}, only these two strategies), re-run with the setting, "
        "and added to it. “×0.5” multiplies the scenario's value(s) by 0.5; “all channels” and "
        "“all payers” move every channel's or payer's value together; a lever's assumption moves "
        "in every strategy that uses the lever."), runs=runs, replications=reps, seed=table.attrs.get('seed', '?'))
        + "</p>")
    return _html(intro + verdict + tbl + note)


def tornado_block(table):
    """The tornado chart of a sensitivity table (or a note when there is nothing to sweep)."""
    if table is None or len(table) == 0:
        return _html(f"<p>{esc(_('This scenario has a single strategy: there is no ranking to test.'))}</p>")
    from simlib.report import plots

    strategy, against = _names(table)
    return figure_block(plots.tornado(table, table.attrs.get("metric") or "npv_net_cash",
                                      against=f"“{against}”"),
                        _("Gain of “{strategy}” over the runner-up “{against}” with each assumption at "
                          "its low and high setting; the solid line is the gain with the scenario's "
                          "values; a bar that crosses the dashed zero line (marked “flips”) reverses the ranking.").format(
                              strategy=strategy, against=against))


def _scenario_text(row: dict) -> str:
    """The assumption's value in the scenario, in board units."""
    from simlib.studies.flip_points import setting_text

    if row["mode"] == "scale":
        return setting_text(1.0, row, True) if row["scenario_value"] is not None else _("the file's values")
    return setting_text(float(row["base_setting"]), row, True) if row["base_setting"] is not None else _("several values")


def _row(r) -> dict:
    row = r._asdict() if hasattr(r, "_asdict") else dict(r)
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def flip_points_section(flips, res=None):
    """The flip points in words: for each deciding assumption, the value at which the runner-up
    would overtake the recommended strategy, or that it does not within the range searched."""
    if flips is None:
        return _html("")
    strategy, against = _names(flips, res)
    if flips.empty:
        return _html(f"<p>{esc(_('No assumption was searched for a flip point.'))}</p>")
    from simlib.studies.flip_points import range_text

    rows = []
    for r in flips.itertuples(index=False):
        row = _row(r)
        rows.append(f"<tr><th scope=\"row\">{esc(_(row['label']))}</th><td class=\"num\">{esc(_scenario_text(row))}</td>"
                    f"<td class=\"num\">{esc(range_text(row))}</td><td>{esc(_words(row))}</td></tr>")
    reps, evals = flips.attrs.get("replications", "?"), flips.attrs.get("runs_total")
    head = "".join(f"<th scope=\"col\">{esc(_(h))}</th>" for h in
                   (N_("Assumption"), N_("In the scenario"), N_("Range searched"), N_("The recommendation…")))
    return _html(
        f"<h3 id=\"flip-points\">{esc(_('When the ranking flips'))}</h3><p>" + html_words(_(
            "For the assumptions that move the gain most, the value at which the runner-up “{against}” would "
            "overtake “{strategy}”, searched between the low and the high setting."), against=against, strategy=strategy)
        + f"</p><div class=\"table-scroll\"><table><caption>{esc(_('Flip points of the deciding assumptions'))}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        "<p class=\"note\">" + html_words(_(
            "Method: the gain over the runner-up as a function of one assumption, the "
            "others at the scenario's values, on the first {replications} runs of the main run (the same "
            "patients at every value: common random numbers), offset to the main run's gain; where it "
            "changes sign, Brent's method narrows the crossing to 1 % of the range searched{evaluations}. Only "
            "these two strategies are compared: at extreme values a third one could overtake both."),
            replications=reps, evaluations=_(" ({runs} two-strategy runs in all, the sweep included)").format(runs=evals)
            if evals else "") + "</p>")


def _words(row: dict) -> str:
    """A flip point's words in the language in force: the saved words are English, written when
    the results were saved; a search's note (why no flip was found) stays as saved."""
    from simlib.studies.flip_points import flip_words

    with speaking():
        english = flip_words(row)
    return flip_words(row) if row.get("words") == english else str(row.get("words"))


def _flipping(row: dict) -> str | None:
    """"deposit compliance is below 22 %" for a flip point, in the language in force, or None."""
    if row["flip_below"] is None and row["flip_above"] is None:
        return None
    words, head = _words(row), _("stays best unless {assumption} is {conditions}")
    prefix = head.split("{assumption}")[0]
    return words.removeprefix(prefix) if words.startswith(prefix) else words


def flip_sentence(results_dir: str | Path) -> str:
    """One sentence for the summary, from the saved flip points: when the recommendation would
    change (plain text: escape it), or ``""`` when none were computed."""
    _sweep, flips = load_sensitivity(results_dir)
    if flips is None or flips.empty:
        return ""
    strategy, against = _names(flips)
    rows = [_row(r) for r in flips.itertuples(index=False)]
    flipping = [w for w in (_flipping(r) for r in rows) if w is not None]
    holding = [_label_lower(_(str(r["label"]))) for r in rows if r["words"].startswith("does not change")]
    if flipping:
        text = _("“{strategy}” stays ahead of the runner-up “{against}” unless {conditions} "
                 "(each on its own, the other assumptions as in the scenario)").format(
                     strategy=strategy, against=against, conditions=_and(flipping, _("or")))
        return text + (_("; the ranking does not change within the ranges tested for {assumptions}.").format(
            assumptions=_and(holding)) if holding else ".")
    return _("The ranking of “{strategy}” over the runner-up “{against}” does not change within the "
             "ranges tested for {assumptions}.").format(strategy=strategy, against=against, assumptions=_and(holding))


def _and(items: list[str], word: str | None = None) -> str:
    word = _("and") if word is None else word
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]
