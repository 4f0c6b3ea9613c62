"""The search page's account of the search itself: how it converged, the successive-halving
rungs, the Pareto front (with a second objective) and what it takes to reproduce it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from simlib.report.figures import figure_block
from simlib.core.csv_cells import read_csv
from simlib.report.markup import _html, esc
from simlib.analysis.numbers import value_text
from simlib.report.search_blocks import SearchView, _table, info


def _trials(search_dir: str) -> pd.DataFrame:
    path = Path(search_dir) / "trials.csv"
    return read_csv(path) if path.is_file() else pd.DataFrame(columns=["trial", "state", "objective"])


def convergence_chart(view: SearchView, search_dir: str):
    """Each screened candidate's NPV and the best so far, by trial (screening runs)."""
    from simlib.report.plots import _figure, _format_axis

    t = _trials(search_dir)
    t = t[t["state"] == "complete"]
    if t.empty:
        return _html("")
    label = info(view.objective).label
    fig, ax = _figure(f"{label} of each candidate screened", size=(7.5, 3.4))
    ax.scatter(t["trial"], t["objective"], s=9, color="#9aa5b1", label="candidate (screening runs)")
    ax.plot(t["trial"], t["objective"].cummax(), color="#0b6e4f", lw=2, label="best so far")
    ax.set_xlabel("candidate (trial number)")
    ax.set_ylabel(f"{label} ($)")
    _format_axis(ax.yaxis, "usd")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    fig.simlib_alt = (f"Scatter of the {label} of each of {len(t)} screened candidates by trial number, with "
                      f"a line for the best so far, which ends at {value_text(t['objective'].max(), 'usd')}.")
    rungs = view.summary["rungs"]
    return figure_block(fig, f"Screening: each candidate on {rungs[0]['replications']} run(s) of the search's "
                             "own patients; the line is the best found so far.")


def method_section(view: SearchView):
    """How the search worked: optimiser, rungs, simulations and time."""
    s, st = view.summary, view.summary["settings"]
    two = s["goal"]["burden"] is not None
    rows = [[f"Rung {r['rung'] + 1}", f"{r['candidates']:,}", f"{r['replications']}",
             f"{r['accounts_share']:.0%}", f"{r['feasible']:,}", value_text(r["best_objective"], "usd")]
            for r in s["rungs"]]
    sampler = ("NSGA-II (two objectives: NPV and " + info(s["goal"]["burden"]).label.lower() + ")" if two
               else "TPE (tree-structured Parzen estimator, multivariate)")
    load = s.get("load_average")
    load_text = f"; machine load average at the end {load[0]:.1f}" if load else ""
    text = (f"<p>Optimiser: optuna's {esc(sampler)}, {s['trials']:,} candidates proposed "
            f"{st['batch']} at a time ({s['distinct_candidates']:,} distinct, {s['trials_failed']} invalid or "
            f"interrupted), every one simulated on the same patients (common random numbers). "
            f"Successive halving then kept the best 1/{st['halving_factor']} at each rung with "
            f"{st['halving_factor']} times the runs; the final selection used the scenario's own runs. "
            f"The search simulated {s['simulations']:,} strategy-runs, then every strategy on the scenario's "
            f"runs, in {s['elapsed_seconds'] / 60:.1f} minutes on "
            f"{esc(s['scheduler'] or str(s['workers']) + ' local worker(s)')}{esc(load_text)}.</p>")
    note = ("<p class=\"note\">Rungs run on the search's own simulated patients, not those of the final "
            "comparison: their NPVs differ from the final ones by the luck of those patients, the same for "
            "every candidate.</p>")
    return _html("<h2>How the search worked</h2>" + text
                 + _table("Successive halving", ["Rung", "Candidates", "Runs each", "Accounts simulated",
                                                 "Meeting the caps", "Best NPV"], rows) + note)


def pareto_section(view: SearchView, search_dir: str):
    """With a second objective: the front (chart and table) — what each gain asks of patients."""
    from simlib.report.plots import _figure, _format_axis

    burden = view.summary["goal"]["burden"]
    path = Path(search_dir) / "pareto_front.csv"
    if burden is None or not path.is_file():
        return _html("")
    t = read_csv(path)
    obj, b = info(view.objective), info(burden)
    fig, ax = _figure(f"{obj.label} against {b.label.lower()}", size=(7.5, 3.8))
    off = t[~t["on_front"]]
    ax.scatter(off[burden], off[view.objective], color="#9aa5b1", s=18, label="not on the front")
    front = t[t["on_front"]].sort_values(burden)
    ax.plot(front[burden], front[view.objective], "o-", color="#0b6e4f", label="Pareto front")
    ax.set_xlabel(b.label)
    ax.set_ylabel(f"{obj.label} ($)")
    _format_axis(ax.yaxis, "usd")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    fig.simlib_alt = (f"{len(front)} strategies on the Pareto front of {obj.label} against {b.label.lower()}, "
                      f"and {len(off)} others below it.")
    rows = [[r.label + ("" if r.search_finalist else " (hand-written)"), value_text(getattr(r, view.objective), "usd"),
             value_text(getattr(r, burden), b.unit), r.what_it_does] for r in front.itertuples()]
    chart = figure_block(fig, f"{obj.label} against {b.label.lower()}, full fidelity: no strategy on the front "
                              "is beaten on both.")
    return _html("<h2>Gain against patient burden</h2><p>Strategies on the front trade money for burden: "
                 "moving along it gains NPV only by asking more of patients. The strategies are in "
                 "front_strategies.yaml.</p>" + chart.data
                 + _table("The Pareto front", ["Strategy", obj.label, b.label, "What it does"], rows, text=(3,)))


def search_footer(view: SearchView):
    """Seed, settings and the command that reproduces the search."""
    s = view.summary
    budget = s["settings"]["budget"]
    cmd = f"simlib search {s['source']} --budget {budget} --seed {s['seed']}"
    return _html("<div class=\"footer\"><h2>Reproducibility</h2>"
                 f"<p>Seed {esc(s['seed'])} · {esc(budget)} candidates · computed {esc(s['created'][:16].replace('T', ' '))}. "
                 f"Rerun with <code>{esc(cmd)}</code> to get the same strategy on any number of workers; an "
                 "interrupted search continues with <code>--resume</code>.</p></div>")

