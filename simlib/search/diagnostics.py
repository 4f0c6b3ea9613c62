"""The search page's account of the search itself: how it converged, the successive-halving
rungs, the Pareto front (with a second objective) and what it takes to reproduce it, in the page's
language (the words saved with the search are English: the page says them again in its own)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from simlib.core.language import DEFAULT_LANGUAGE, _, localised, ngettext, number_text, percent_text, speech
from simlib.report.figures import figure_block
from simlib.core.csv_cells import read_csv
from simlib.report.markup import Markup, _html, esc, html_words
from simlib.analysis.numbers import value_text
from simlib.report.search_blocks import SearchView, _table, info, own_words


def _trials(search_dir: str) -> pd.DataFrame:
    path = Path(search_dir) / "trials.csv"
    return read_csv(path) if path.is_file() else pd.DataFrame(columns=["trial", "state", "objective"])


def convergence_chart(view: SearchView, search_dir: str):
    """Each screened candidate's NPV and the best so far, by trial (screening runs)."""
    from simlib.report.plots import _figure, _format_axis, _unit_label

    t = _trials(search_dir)
    t = t[t["state"] == "complete"]
    if t.empty:
        return _html("")
    label = info(view.objective).label
    fig, ax = _figure(_("{metric} of each candidate screened").format(metric=label), size=(7.5, 3.4))
    ax.scatter(t["trial"], t["objective"], s=9, color="#9aa5b1", label=_("candidate (screening runs)"))
    ax.plot(t["trial"], t["objective"].cummax(), color="#0b6e4f", lw=2, label=_("best so far"))
    ax.set_xlabel(_("candidate (trial number)"))
    ax.set_ylabel(_unit_label(label, "usd"))
    _format_axis(ax.yaxis, "usd")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    fig.simlib_alt = _("Scatter of the {metric} of each of {candidates} screened candidates by trial number, with "
                       "a line for the best so far, which ends at {best}.").format(
                           metric=label, candidates=len(t), best=value_text(t["objective"].max(), "usd"))
    runs = view.summary["rungs"][0]["replications"]
    return figure_block(fig, ngettext("Screening: each candidate on {runs} run(s) of the search's own patients; the "
                                      "line is the best found so far.",
                                      "Screening: each candidate on {runs} run(s) of the search's own patients; the "
                                      "line is the best found so far.", runs).format(runs=runs))


def method_section(view: SearchView):
    """How the search worked: optimiser, rungs, simulations and time."""
    s, st = view.summary, view.summary["settings"]
    two = s["goal"]["burden"] is not None
    rows = [[_("Rung {rung}").format(rung=r["rung"] + 1), number_text(r["candidates"]), f"{r['replications']}",
             percent_text(r["accounts_share"]), number_text(r["feasible"]), value_text(r["best_objective"], "usd")]
            for r in s["rungs"]]
    sampler = (_("NSGA-II (two objectives: NPV and {burden})").format(burden=info(s["goal"]["burden"]).label.lower())
               if two else _("TPE (tree-structured Parzen estimator, multivariate)"))
    load = s.get("load_average")
    load_text = _("; machine load average at the end {load}").format(load=localised(f"{load[0]:.1f}")) if load else ""
    workers = s["scheduler"] or ngettext("{workers} local worker(s)", "{workers} local worker(s)",
                                         s["workers"]).format(workers=s["workers"])
    factor = st["halving_factor"]
    text = html_words(_(
        "Optimiser: optuna's {sampler}, {trials} candidates proposed {batch} at a time ({distinct} distinct, "
        "{failed} invalid or interrupted), every one simulated on the same patients (common random numbers). "
        "Successive halving then kept the best 1/{factor} at each rung with {factor} times the runs; the final "
        "selection used the scenario's own runs. The search simulated {simulations} strategy-runs, then every "
        "strategy on the scenario's runs, in {minutes} minutes on {workers}{load}."),
        sampler=sampler, trials=number_text(s["trials"]), batch=st["batch"],
        distinct=number_text(s["distinct_candidates"]), failed=s["trials_failed"], factor=factor,
        simulations=number_text(s["simulations"]), minutes=localised(f"{s['elapsed_seconds'] / 60:.1f}"),
        workers=workers, load=load_text)
    note = html_words(_("Rungs run on the search's own simulated patients, not those of the final comparison: "
                        "their NPVs differ from the final ones by the luck of those patients, the same for every "
                        "candidate."))
    return _html(f"<h2>{esc(_('How the search worked'))}</h2><p>{text}</p>"
                 + _table(_("Successive halving"), [_("Rung"), _("Candidates"), _("Runs each"),
                                                    _("Accounts simulated"), _("Meeting the caps"), _("Best NPV")], rows)
                 + f"<p class=\"note\">{note}</p>")


def _front_words(view: SearchView, search_dir: str, table: pd.DataFrame) -> dict[str, str]:
    """Each front strategy's levers in the language in force (``pareto_front.csv`` keeps them in
    English): a hand-written strategy's from the scenario, a search finalist's from
    ``front_strategies.yaml`` (its blocks in the order of the table's front finalists)."""
    import yaml

    from simlib.levers.base import describe_strategy

    strategies = view.res.scenario.strategies
    words = {n: describe_strategy(strategies[n]) for n in table["strategy"] if n in strategies}
    path = Path(search_dir) / "front_strategies.yaml"
    blocks = list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).values()) if path.is_file() else []
    model = type(strategies[view.found])
    finalists = table.loc[table["on_front"] & table["search_finalist"], "strategy"]
    for name, block in zip(finalists, blocks):
        words[name] = describe_strategy(model.model_validate(dict(block, baseline=False)))
    return words


def pareto_section(view: SearchView, search_dir: str):
    """With a second objective: the front (chart and table) — what each gain asks of patients."""
    from simlib.report.plots import _figure, _format_axis, _unit_label

    burden = view.summary["goal"]["burden"]
    path = Path(search_dir) / "pareto_front.csv"
    if burden is None or not path.is_file():
        return _html("")
    t = read_csv(path)
    obj, b = info(view.objective), info(burden)
    title = _("{metric} against {burden}").format(metric=obj.label, burden=b.label.lower())
    fig, ax = _figure(title, size=(7.5, 3.8))
    off = t[~t["on_front"]]
    ax.scatter(off[burden], off[view.objective], color="#9aa5b1", s=18, label=_("not on the front"))
    front = t[t["on_front"]].sort_values(burden)
    ax.plot(front[burden], front[view.objective], "o-", color="#0b6e4f", label=_("Pareto front"))
    ax.set_xlabel(b.label)
    ax.set_ylabel(_unit_label(obj.label, "usd"))
    _format_axis(ax.yaxis, "usd")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    fig.simlib_alt = _("{strategies} strategies on the Pareto front of {metric} against {burden}, and {others} "
                       "others below it.").format(strategies=len(front), metric=obj.label, burden=b.label.lower(),
                                                  others=len(off))
    saved = speech().language == DEFAULT_LANGUAGE
    words = {} if saved else _front_words(view, search_dir, t)
    rows = [[own_words(r.label) if r.search_finalist else _("{strategy} (hand-written)").format(strategy=r.label),
             value_text(getattr(r, view.objective), "usd"), value_text(getattr(r, burden), b.unit),
             r.what_it_does if saved else words.get(r.strategy, r.what_it_does)] for r in front.itertuples()]
    chart = figure_block(fig, _("{title}, full fidelity: no strategy on the front is beaten on both.").format(
        title=title))
    return _html(f"<h2>{esc(_('Gain against patient burden'))}</h2><p>"
                 + html_words(_("Strategies on the front trade money for burden: moving along it gains NPV only by "
                                "asking more of patients. The strategies are in front_strategies.yaml.")) + "</p>"
                 + chart.data + _table(_("The Pareto front"), [_("Strategy"), obj.label, b.label, _("What it does")],
                                       rows, text=(3,)))


def search_footer(view: SearchView):
    """Seed, settings and the command that reproduces the search."""
    s = view.summary
    budget = s["settings"]["budget"]
    cmd = f"simlib search {s['source']} --budget {budget} --seed {s['seed']}"
    return _html(f"<div class=\"footer\"><h2>{esc(_('Reproducibility'))}</h2><p>"
                 + html_words(_("Seed {seed} · {budget} candidates · computed {created}. Rerun with {command} to get "
                                "the same strategy on any number of workers; an interrupted search continues with "
                                "{resume}."), seed=s["seed"], budget=budget,
                              created=s["created"][:16].replace("T", " "),
                              command=Markup(f"<code>{esc(cmd)}</code>"), resume=Markup("<code>--resume</code>"))
                 + "</p></div>")
