"""The strategy search page (notebooks/strategy_search.ipynb) in the board's words: what the found
strategy does, what it gains over the status quo and the best hand-written strategy (paired, with
Bonferroni-adjusted 95 % intervals), how sure the selection is, and what it asks of patients and
staff; the Pareto front when there is a second objective, and how the search worked.

Every block reads a :class:`SearchView`: the ``search.json`` a search writes and its ``results/``
(the hand-written strategies and the found one on the scenario's replications).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simlib.model.measurement_window import window_sentence
from simlib.core.metric_catalogue import METRICS, MetricInfo
from simlib.levers.base import lever_descriptions, registered_levers
from simlib.report.errors import ReportError
from simlib.report.labels import strategy_labels
from simlib.report.markup import TOC_MARKER, _html, esc
from simlib.report.metric_words import _label_lower
from simlib.analysis.numbers import ci_text, diff_text, value_text, verdict
from simlib.analysis.plausibility import check_results, flag_words

GAIN_METRICS = ("patient_collection_rate", "bad_debt_rate", "days_in_ar", "collection_cost", "cash_trough")
ASK_METRICS = ("contacts_per_account", "calls_per_account", "complaints_per_1000_accounts", "suppressed_contacts",
               "agent_utilisation", "call_wait_mean_hours", "plan_share", "agency_share")
SEARCH_TERMS = (
    ("Strategy search", "A computer search over the settings of the collection levers (reminder days and "
     "channels, discount, deposit, plans, agency, phone team, factoring) for the combination with the "
     "highest NPV that respects the limits set for patients and staff."),
    ("Screening and successive halving", "Every candidate is first simulated on one run; the better third "
     "is simulated on three times as many runs, and so on: most simulation time goes to the promising ones."),
    ("Finalists", "The few candidates left after successive halving; they are compared with the best "
     "hand-written strategy on fresh runs, the same patients as the strategy comparison."),
    ("Probability of correct selection", "How often the selection procedure picks the truly best finalist "
     "when it is better than the others by at least the indifference zone (Kim–Nelson procedure)."),
    ("Indifference zone", "A difference in NPV too small to matter to the decision; the selection does not "
     "spend runs telling apart strategies closer than this."),
    ("Pareto front", "The strategies that no other beats on both NPV and patient burden: each gains more "
     "only by asking more of patients."),
)


@dataclass
class SearchView:
    """A search's summary (``search.json``) and its result tables."""

    summary: dict
    res: object

    @property
    def found(self) -> str:
        return self.summary["found"]["name"]

    @property
    def baseline(self) -> str:
        return self.res.baseline

    @property
    def best_hand(self) -> str | None:
        return self.summary.get("best_hand_written")

    @property
    def objective(self) -> str:
        return self.summary["goal"]["objective"]

    def values(self, strategy: str, metric: str) -> np.ndarray:
        m = self.res.metrics
        rows = m[(m["strategy"] == strategy) & (m["metric"] == metric)]
        return rows.sort_values("replication")["value"].to_numpy(dtype=float)

    def label(self, strategy: str) -> str:
        return strategy_labels(self.res).get(strategy, strategy)


def load_search(search_dir: str) -> SearchView:
    """The notebook's entry point: the outputs of ``simlib search`` in ``search_dir``."""
    from simlib.run.experiment import Results

    d = Path(search_dir)
    if not (d / "search.json").is_file():
        raise ReportError(f"no search results in {d}: run `simlib search SCENARIO --out DIR` first")
    return SearchView(json.loads((d / "search.json").read_text(encoding="utf-8")), Results.load(d / "results"))


def info(metric: str) -> MetricInfo:
    return METRICS.get(metric) or MetricInfo("NPV after the cost of liquidity", "usd", True,
                                             "NPV of net collections less the credit line's interest.")


def comparison(view: SearchView, metric: str, other: str, comparisons: int = 2):
    """The found strategy minus ``other`` on ``metric``, paired, Bonferroni over ``comparisons``."""
    from simlib.search.selection import paired_interval

    return paired_interval(view.values(view.found, metric), view.values(other, metric), 0.95, comparisons)


def _others(view: SearchView) -> list[str]:
    """The status quo and the best hand-written strategy (once if they are the same)."""
    return list(dict.fromkeys(s for s in (view.baseline, view.best_hand) if s and s != view.found))


def headline_text(search_dir) -> str:
    """The answer in one plain sentence (the index's headline when the search page comes first)."""
    view = load_search(str(search_dir))
    return _headline(view)


def _headline(view: SearchView) -> str:
    obj, sel = info(view.objective), view.summary["selection"]
    base = comparison(view, view.objective, view.baseline)
    gain = (f"“{view.label(view.found)}” changes the {_label_lower(obj.label)} by "
            f"{diff_text(base.mean, 'usd')} against the status quo ({ci_text(base.low, base.high, 'usd', diff=True)})")
    best = view.best_hand
    if best and best != view.baseline:
        hand = comparison(view, view.objective, best)
        gain += (f" and by {diff_text(hand.mean, 'usd')} against the best hand-written strategy, "
                 f"“{view.label(best)}” ({ci_text(hand.low, hand.high, 'usd', diff=True)})")
    if sel["selected"] != view.summary["found"]["finalist"]:
        return (gain + f". The final comparison did not select it over “{view.label(best)}”: keep the "
                "hand-written strategy or test both.")
    return gain + "."


def search_title(view: SearchView, title: str = "Strategy search"):
    from simlib.report.labels import scenario_label

    s = view.summary
    return _html(f"<h1>{esc(title)}: {esc(scenario_label(view.res.scenario))}</h1>"
                 f"<p>The search tried {s['trials']:,} combinations of lever settings, starting from "
                 f"“{esc(view.label(s['settings']['start_from']))}”, and compared the best of them with the "
                 "status quo and with every hand-written strategy on the same simulated patients. "
                 f"{esc(window_sentence(view.res.scenario.simulation))}</p>" + TOC_MARKER)


def answer_section(view: SearchView):
    """The answer in a headline: the gain over the status quo and the best hand-written strategy."""
    sel, delta = view.summary["selection"], value_text(view.summary["settings"]["indifference"], "usd")
    if len(sel["runs"]) == 1:
        sure = "Only one strategy met the constraints on the final runs."
    elif sel["guaranteed"]:
        sure = (f"Probability of correct selection: at least {sel['confidence']:.0%} whenever the best is "
                f"{delta} or more ahead of the others (below, “How sure”).")
    else:
        sure = f"The top contenders could not be told apart within {delta} (below, “How sure”)."
    return _html(f"<h2>The answer</h2><p class=\"headline\">{esc(_headline(view))}</p><p>{esc(sure)}</p>"
                 f"<p class=\"note\">Intervals are paired 95 % intervals over {len(view.values(view.found, view.objective))} "
                 "runs on the same simulated patients, widened for the two comparisons shown (Bonferroni). "
                 "The strategy, ready to paste into the scenario file, is in best_strategy.yaml beside this page.</p>")


def _how_sure_sentence(view: SearchView) -> str:
    sel, s = view.summary["selection"], view.summary["settings"]
    n = len(sel["runs"])
    delta = value_text(s["indifference"], "usd")
    who = "it" if sel["selected"] == view.summary["found"]["finalist"] else f"“{view.label(sel['selected'])}”"
    if n == 1:
        return "Only one strategy met the constraints at full fidelity, so there was nothing to select between."
    if sel["guaranteed"]:
        return (f"How sure: among {n} contenders ({n - (1 if view.best_hand else 0)} search finalists"
                f"{' and the best hand-written strategy' if view.best_hand else ''}), the selection picked {who}; "
                f"this procedure picks the best with probability at least {sel['confidence']:.0%} whenever the best "
                f"is {delta} or more ahead of the others (closer than {delta}, the choice hardly matters).")
    return (f"How sure: the contenders were still within {delta} of each other after {max(sel['runs'].values())} "
            f"runs each, the most allowed; {who} has the highest mean, but the {sel['confidence']:.0%} guarantee "
            "does not hold: treat the top contenders as equally good.")


def _row(cells: list[str], head: bool = False, text: frozenset = frozenset()) -> str:
    """A table row; cells after the first are numbers (right-aligned) unless their column is in ``text``."""
    first = f"<th scope=\"{'col' if head else 'row'}\">{esc(cells[0])}</th>"
    if head:
        return "<tr>" + first + "".join(f"<th scope=\"col\">{esc(c)}</th>" for c in cells[1:]) + "</tr>"
    num = " class=\"num\""
    return "<tr>" + first + "".join(f"<td{'' if i in text else num}>{esc(c)}</td>"
                                    for i, c in enumerate(cells[1:], start=1)) + "</tr>"


def _table(caption: str, head: list[str], rows: list[list[str]], text: tuple[int, ...] = ()) -> str:
    """A captioned table in a scroll box; ``text``: the columns of words (the others are numbers)."""
    cols = frozenset(text)
    return (f"<div class=\"table-scroll\"><table><caption>{esc(caption)}</caption><thead>{_row(head, True)}"
            f"</thead><tbody>{''.join(_row(r, text=cols) for r in rows)}</tbody></table></div>")


def what_it_does(view: SearchView):
    """Lever by lever in words: the found strategy, the best hand-written one and the status quo."""
    st = view.res.scenario.strategies
    cols = [view.found] + _others(view)
    words = {c: lever_descriptions(st[c]) for c in cols}
    keys = list(dict.fromkeys(k for c in cols for k in words[c]))
    levers = registered_levers()
    rows = [[levers[k].board_title()] + [words[c].get(k, "—") for c in cols]
            for k in keys]
    return _html("<h2>What it does</h2><p>Each lever of the strategy found, beside the same lever in the "
                 "strategies it is compared with (— : not used).</p>"
                 + _table("The strategies lever by lever", ["Lever"] + [view.label(c) for c in cols], rows,
                          text=tuple(range(1, len(cols) + 1))))


def _metric_rows(view: SearchView, metrics) -> list[list[str]]:
    """The found strategy against the others, each difference judged by :func:`verdict` against the
    materiality thresholds of the decision saved with the search's results (as the board judges)."""
    rows, others = [], _others(view)
    decision = view.res.decision
    materiality = decision.thresholds if decision is not None else None
    for m in metrics:
        found = view.values(view.found, m)
        if not len(found) or not any(np.isfinite(view.values(s, m)).any() for s in [view.found] + others):
            continue
        i = info(m)
        cells = [i.label, value_text(float(np.mean(found)), i.unit)]
        for o in others:
            c = comparison(view, m, o, len(others))
            interval = ci_text(c.low, c.high, i.unit, diff=True).removeprefix("95 % CI ")
            word = verdict(c.mean, c.low, c.high, i.unit, i.higher_is_better, materiality)
            cells.append(" ".join(p for p in (diff_text(c.mean, i.unit), f"({interval})" if interval else "", word) if p))
        rows.append(cells)
    return rows


def what_it_gains(view: SearchView):
    """Money and collection: the found strategy's level and its paired differences."""
    head = ["Measure", view.label(view.found)] + [f"vs {view.label(o)}" for o in _others(view)]
    rows = _metric_rows(view, (view.objective,) + GAIN_METRICS)
    return _html("<h2>What it gains</h2><p>The found strategy's level, and its difference from each "
                 "strategy on the same simulated patients (95 % interval, Bonferroni-adjusted).</p>"
                 + _table("Money and collection", head, rows))


def what_it_asks(view: SearchView):
    """What it asks of patients and staff, and the caps it had to respect."""
    head = ["Measure", view.label(view.found)] + [f"vs {view.label(o)}" for o in _others(view)]
    rows = _metric_rows(view, ASK_METRICS)
    team = view.res.scenario.strategies[view.found].phone_team
    staff = (f"It needs a phone team of {team.agents} agent{'s' if team.agents != 1 else ''}."
             if team is not None else "It places no calls, so it needs no phone team.")
    caps = view.summary["goal"]["caps"]
    cap_text = "; ".join(f"{_label_lower(info(m).label)} at most {value_text(c, info(m).unit)} "
                         f"(found: {value_text(float(np.mean(view.values(view.found, m))), info(m).unit)})"
                         for m, c in caps if len(view.values(view.found, m)))
    limits = lever_descriptions(view.res.scenario.strategies[view.found]).get("contact_limits")
    parts = [f"<p>{esc(staff)}"]
    if limits:
        parts.append(f" Contact limits ({esc(limits)}) applied to every candidate: a contact they forbid is "
                     "never made.")
    if cap_text:
        parts.append(f" Caps the search had to respect: {esc(cap_text)}.")
    if view.summary["goal"].get("within_reported_ranges"):
        parts.append(" Its answer had to stay within what hospitals have reported (patient collection rate, "
                     "days in A/R, A/R over 90 days, bad debt, denials, agency recovery: "
                     "simlib/analysis/plausibility.yaml).")
    flags = check_results(view.res.metrics).get(view.found, [])
    for flag in flags:
        parts.append(" " + esc(flag_words(flag, view.label(view.found))))
    return _html("<h2>What it asks of patients and staff</h2>" + "".join(parts) + "</p>"
                 + _table("Patients and staff", head, rows))


def how_sure(view: SearchView):
    """The final selection: each contender, its runs and mean, and what became of it."""
    s, sel = view.summary, view.summary["selection"]
    names = {f["name"]: f"Search finalist {f['rank']}" for f in s["finalists"]}
    names[s["found"]["finalist"]] = view.label(view.found)
    if view.best_hand:
        names[view.best_hand] = f"{view.label(view.best_hand)} (hand-written)"
    obj = info(view.objective)
    rows = []
    for name in sorted(sel["runs"], key=lambda n: -sel["means"][n]):
        if name == sel["selected"]:
            fate = "selected"
        elif name in sel["eliminated_at"]:
            fate = f"eliminated after {sel['eliminated_at'][name]} runs"
        else:
            fate = "not selected (largest mean wins at the end)"
        rows.append([names.get(name, name), f"{sel['runs'][name]}", value_text(sel["means"][name], obj.unit), fate])
    intro = (f"<p>The finalists of the search and the best hand-written strategy were simulated on the "
             f"scenario's own {sel['first_stage']} runs (patients the search never saw), then more runs were "
             "added to those still in contention until one was left (the Kim–Nelson procedure, "
             f"indifference zone {esc(value_text(sel['indifference'], 'usd'))}).</p>")
    return _html("<h2>How sure</h2>" + intro + f"<p>{esc(_how_sure_sentence(view))}</p>"
                 + _table("The final selection", ["Contender", "Runs", obj.label, "Outcome"], rows, text=(3,)))


def search_glossary(view: SearchView):
    """The search's own terms, then the general terms of every report."""
    from simlib.report.glossary import TERMS

    terms = list(SEARCH_TERMS) + [(t, x) for t, x, need in TERMS if need is None]
    rows = "".join(f"<dt>{esc(t)}</dt><dd>{esc(x)}</dd>" for t, x in terms)
    return _html(f"<h2>Glossary</h2><dl class=\"glossary\">{rows}</dl>")
