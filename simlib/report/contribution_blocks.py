"""What each lever contributes: the strategy comparison's table and bar chart of a combined
strategy's gain over the status quo, split by lever (:mod:`simlib.studies.contributions`).

The strategy split is the recommended one when it combines two or more levers, otherwise the
best-ranked strategy that does (one strategy per report, to keep the build short). The pipeline
computes the split once, after the main run, with at most :data:`CONTRIBUTION_REPLICATIONS` runs
of every sub-strategy on the main run's seed (so they are the main run's first runs), and saves it
with the results as the table ``contributions``; the notebook cell only presents it.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from simlib.core.language import N_, _, short_number_text
from simlib.run.saved_tables import read_saved_table
from simlib.scenario.materiality import decision_of
from simlib.report.labels import strategy_labels
from simlib.report.markup import Sentence, _html, esc, html_words
from simlib.analysis.numbers import MINUS, NA, ci_text, diff_text, plus_minus_text, verdict
from simlib.report.results import _replications, horizon_days, recommendation

#: Runs of every sub-strategy in the report (the main run may have more; the block says so).
#: The baseline's 5 levers make 32 sub-strategies, 26 of them new: about 8 s a run on 2 workers.
CONTRIBUTION_REPLICATIONS = 6
TABLE = "contributions"

#: The verdict on a lever's contribution, in the words of a lever (decided by :func:`verdict`).
EFFECT_WORDS = {"better": N_("adds to the gain"), "worse": N_("takes from the gain"), "higher": N_("raises it"),
                "lower": N_("lowers it"), "no clear difference": N_("no clear effect"),
                "no material difference": N_("no material effect"), "no difference": N_("no effect"), "": ""}


def decomposed_strategy(res, metric: str | None = None) -> str | None:
    """The strategy whose gain the report splits: the recommended one if it combines two or more
    levers of the status quo, else the best-ranked (mean ``metric``) strategy that does; None
    when no strategy combines levers."""
    from simlib.core.metric_catalogue import METRICS
    from simlib.studies.contributions import ContributionError, lever_groups

    rec = recommendation(res)
    metric = metric or rec.metric
    scen, base = res.scenario, res.baseline
    bundled = []
    for name in scen.strategies:
        try:
            if name != base and len(lever_groups(scen, name, base)) >= 2:
                bundled.append(name)
        except (ContributionError, KeyError):  # a channel the scenario lacks: nothing to split
            continue
    if not bundled:
        return None
    if metric == rec.metric and rec.strategy in bundled:
        return rec.strategy
    rows = res.metrics[(res.metrics["metric"] == metric) & res.metrics["strategy"].isin(bundled)]
    if rows.empty:
        return bundled[0]
    means = rows.groupby("strategy")["value"].mean()
    return str(means.idxmin() if METRICS[metric].higher_is_better is False else means.idxmax())


def contribution_data(res, replications: int = CONTRIBUTION_REPLICATIONS, workers: int | None = None,
                      scheduler: str | None = None, metric: str | None = None,
                      progress: bool = False) -> pd.DataFrame | None:
    """The lever contributions of :func:`decomposed_strategy` (None when no strategy combines
    levers), from ``replications`` runs (at most the main run's) on the main run's seed; parts
    that are strategies of the scenario come from the main run, not run again. A split
    that cannot be run (a part that is not a valid strategy) is a one-row table whose ``error``
    says why, so the report explains it instead of failing."""
    from simlib.studies.contributions import ContributionError, run_contributions

    metric = metric or recommendation(res).metric
    strategy = decomposed_strategy(res, metric)
    if strategy is None:
        return None
    n = max(2, min(int(replications), _replications(res)))
    seed = (getattr(res, "provenance", {}) or {}).get("seed", res.scenario.simulation.seed)
    try:
        return run_contributions(res.scenario, strategy, n, seed=seed, workers=workers, scheduler=scheduler,
                                 metric=metric, known_metrics=res.metrics, progress=progress)
    except ContributionError as exc:
        return pd.DataFrame([{"strategy": strategy, "metric": metric, "error": str(exc)}])


def load_contributions(results_dir: str | Path) -> pd.DataFrame | None:
    """The ``contributions`` table saved with the results (None when the results have none)."""
    return read_saved_table(results_dir, TABLE)


def _chart(table: pd.DataFrame, unit: str, what: str, title: str):
    """Horizontal bars: each lever's contribution with its 95 % CI, then the total."""
    import numpy as np

    from simlib.report.plots import OKABE_ITO, _figure, _format_axis, _styled, _unit_label, _wrapped
    from simlib.analysis.numbers import mean_ci_text

    @_styled
    def draw():
        rows = table.reset_index(drop=True)
        fig, ax = _figure(title, (8, 1.7 + 0.55 * len(rows)))
        y = np.arange(len(rows))[::-1]
        mean = rows["contribution"].to_numpy(dtype=float)
        lo = np.nan_to_num(mean - rows["contribution_ci_low"].to_numpy(dtype=float))
        hi = np.nan_to_num(rows["contribution_ci_high"].to_numpy(dtype=float) - mean)
        colours = ["#000000" if k == "total" else (OKABE_ITO[0] if m >= 0 else OKABE_ITO[1])
                   for k, m in zip(rows["lever"], mean)]
        ax.barh(y, mean, xerr=np.vstack([lo, hi]), capsize=4, height=0.6, color=colours)
        ax.axvline(0, color="0.3", lw=1)
        ax.set_yticks(y, [_wrapped(t) for t in rows["label"]])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xlabel(_unit_label(_("Contribution to the gain in {metric}").format(metric=what), unit))
        _format_axis(ax.xaxis, unit)
        listing = "; ".join(f"{r.label} {mean_ci_text(r.contribution, r.contribution_ci_low, r.contribution_ci_high, unit, exact=True)}"
                            for r in rows.itertuples())
        fig.simlib_alt = _("Bar chart of each lever's contribution to the gain in {metric} over the status "
                           "quo, with 95 % confidence intervals, and the total: {values}.").format(metric=what, values=listing)
        return fig

    return draw()


def contribution_section(res):
    """The block: a heading, what is split and how, the table (lever, what it changes, its
    contribution with its CI and verdict, its share of the gain, the gain it brings alone) and the
    bar chart. Empty when no strategy combines levers. Reads the table saved beside the results
    (:mod:`simlib.report.derived` computes it before the notebooks run)."""
    from simlib.core.metric_catalogue import METRICS
    from simlib.report.figures import figure_block
    from simlib.report.metric_words import _label_lower

    from simlib.report.uplift_blocks import uplift_section

    folder = getattr(res, "directory", None)
    table = load_contributions(folder) if folder is not None else None
    uplift = uplift_section(res)
    if table is None or table.empty:
        return _html(uplift)
    strategy, metric = str(table["strategy"].iloc[0]), str(table["metric"].iloc[0])
    labels = strategy_labels(res)
    name, base = labels.get(strategy, strategy), labels.get(res.baseline, res.baseline)
    head = f"<h2 id=\"lever-contributions\">{esc(_('What each lever contributes'))}</h2>"
    if "error" in table and table["error"].notna().any():
        return _html(f"{head}<p class=\"note\">" + html_words(_(
            "“{strategy}” combines several levers, but its gain cannot be split between them: {reason}."),
            strategy=name, reason=str(table['error'].dropna().iloc[0])) + "</p>" + uplift)
    table = _in_words(table, res, strategy)
    info = METRICS[metric]
    unit, what = info.unit, _label_lower(info.label)
    decision = decision_of(res.scenario)
    levers = table[~table["lever"].isin(["total", "interaction"])]
    total = table[table["lever"] == "total"].iloc[0]
    runs, method = int(table["replications"].iloc[0]), str(table["method"].iloc[0])
    ci = ci_text(total["contribution_ci_low"], total["contribution_ci_high"], unit, diff=True)
    parts = [head, "<p>" + html_words(_(
        "“{strategy}” changes {levers} levers of the status quo, “{base}”. Over "
        "{days} days its gain in {metric} is {gain}{ci} in these {runs} runs; the table splits it by lever."),
        strategy=name, levers=len(levers), base=base, days=short_number_text(horizon_days(res)), metric=what,
        gain=diff_text(total['contribution'], unit), ci=f" ({ci})" if ci else "", runs=runs) + "</p>"]
    if method == "shapley":
        parts.append("<p>" + html_words(_(
            "A lever's contribution is its Shapley value: the gain it adds, averaged over every "
            "order in which the levers could be added to the status quo, so the contributions add "
            "up to the whole gain and levers that only work together share what they make. "
            "“Alone” is its gain added by itself to the status quo.")) + "</p>")
    else:
        parts.append("<p>" + html_words(_(
            "With this many levers, a lever's contribution is its gain added alone to the status "
            "quo; “last” is what removing it from the whole strategy loses. Levers that work together "
            "make these differ, so they do not add up to the gain: the interaction row is the rest.")) + "</p>")
    parts.append(_table(table, unit, decision, method))
    title = _("What each lever adds to the gain in {metric}").format(metric=what)
    parts.append(figure_block(_chart(table[table["lever"] != "interaction"], unit, what, title),
                              _("Each lever's contribution to the gain of “{strategy}” over the status quo, with its "
                                "95 % confidence interval across runs; the black bar is the whole gain.").format(
                                    strategy=name)).data)
    main = _replications(res)
    fewer = (_(" — fewer than the {main} runs of the rest of this report, to keep it quick; the total can "
               "therefore differ a little from the gain in the tables above").format(main=main) if runs < main else "")
    parts.append("<p class=\"note\">" + html_words(_(
        "Every part is the status quo with some of the levers switched on, run "
        "on the same simulated patients (common random numbers): {runs} runs of each{fewer}. "
        "Reminder steps count as levers by kind of contact (messages, calls); the phone team counts "
        "with the calls and contact limits with the messages they restrain. The verdict under each "
        "number follows the rules of the tables above, with this scenario's materiality threshold."),
        runs=runs, fewer=Sentence(fewer)) + "</p>")
    return _html("\n".join(parts + [uplift]))


def _in_words(table: pd.DataFrame, res, strategy: str) -> pd.DataFrame:
    """The table with each row's lever and what it changes in the language in force (the saved
    words are English, written when the results were saved): the same groups, said again."""
    from simlib.studies.contributions import ContributionError, group_words, lever_groups

    try:
        words = {g.key: (g.label, g.changes) for g in lever_groups(res.scenario, strategy, res.baseline)}
    except (ContributionError, KeyError):
        return table
    words.update(group_words())
    out = table.copy()
    out["label"] = [words.get(k, (lab, ch))[0] for k, lab, ch in zip(out["lever"], out["label"], out["changes"])]
    out["changes"] = [words.get(k, (lab, ch))[1] for k, lab, ch in zip(out["lever"], out["label"], out["changes"])]
    return out


def _pct(share: float) -> str:
    """A share of the gain: ``41 %``, ``−13 %`` (no sign on a share that prints as zero)."""
    if not math.isfinite(share):
        return _(NA)
    text = _("{share} %").format(share=f"{abs(share) * 100:.0f}")
    return f"{MINUS}{text}" if share < 0 and text != "0 %" else text


def _cell(mean, lo, hi, unit: str, decision, word: bool = True) -> str:
    pm = plus_minus_text(lo, hi, unit)
    effect = EFFECT_WORDS.get(verdict(mean, lo, hi, unit, True, decision), "")
    extra = [pm] + ([_(effect) if effect else ""] if word else [])
    under = "".join(f"<br><span class=\"ci\">{esc(t)}</span>" for t in extra if t)
    return f"<td class=\"num\">{esc(diff_text(mean, unit))}{under}</td>"


def _table(table: pd.DataFrame, unit: str, decision, method: str) -> str:
    second = ("alone", _("Alone on the status quo")) if method == "shapley" else ("last", _("Last (leave-one-out)"))
    head = "".join(f"<th scope=\"col\">{esc(_(h))}</th>" for h in (
        N_("Lever"), N_("What it changes"), N_("Contribution"), N_("Share of the gain"))) + (
        f"<th scope=\"col\">{esc(second[1])}</th>")
    rows = []
    for r in table.itertuples():
        total = r.lever == "total"
        label = f"<strong>{esc(r.label)}</strong>" if total else esc(r.label)
        other = (_cell(getattr(r, second[0]), getattr(r, f"{second[0]}_ci_low"), getattr(r, f"{second[0]}_ci_high"),
                       unit, decision, word=False) if r.lever not in ("total", "interaction")
                 else "<td class=\"num\"></td>")
        rows.append(f"<tr><th scope=\"row\">{label}</th><td>{esc(r.changes)}</td>"
                    f"{_cell(r.contribution, r.contribution_ci_low, r.contribution_ci_high, unit, decision, not total)}"
                    f"<td class=\"num\">{esc(_pct(r.share))}</td>{other}</tr>")
    caption = esc(_("Contribution of each lever to the gain over the status quo"))
    return (f"<div class=\"table-scroll\"><table class=\"contributions\"><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")
