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

from simlib.core.language import N_, _, ngettext, number_text, percent_text
from simlib.model.measurement_window import window_sentence
from simlib.core.metric_catalogue import METRICS, MetricInfo
from simlib.levers.base import lever_descriptions, registered_levers
from simlib.report.errors import ReportError
from simlib.report.labels import strategy_labels
from simlib.report.markup import TOC_MARKER, _html, esc, html_words
from simlib.report.metric_words import _label_lower
from simlib.analysis.numbers import ci_text, diff_text, value_text, verdict, verdict_words
from simlib.analysis.plausibility import check_results, flag_words

GAIN_METRICS = ("patient_collection_rate", "bad_debt_rate", "days_in_ar", "collection_cost", "cash_trough")
ASK_METRICS = ("contacts_per_account", "calls_per_account", "complaints_per_1000_accounts", "suppressed_contacts",
               "agent_utilisation", "call_wait_mean_hours", "plan_share", "agency_share")
SEARCH_TERMS = (
    (N_("Strategy search"), N_("A computer search over the settings of the collection levers (reminder days and "
     "channels, discount, deposit, plans, agency, phone team, factoring) for the combination with the "
     "highest NPV that respects the limits set for patients and staff.")),
    (N_("Screening and successive halving"), N_("Every candidate is first simulated on one run; the better third "
     "is simulated on three times as many runs, and so on: most simulation time goes to the promising ones.")),
    (N_("Finalists"), N_("The few candidates left after successive halving; they are compared with the best "
     "hand-written strategy on fresh runs, the same patients as the strategy comparison.")),
    (N_("Probability of correct selection"), N_("How often the selection procedure picks the truly best finalist "
     "when it is better than the others by at least the indifference zone (Kim–Nelson procedure).")),
    (N_("Indifference zone"), N_("A difference in NPV too small to matter to the decision; the selection does not "
     "spend runs telling apart strategies closer than this.")),
    (N_("Pareto front"), N_("The strategies that no other beats on both NPV and patient burden: each gains more "
     "only by asking more of patients.")),
)
#: the found strategy's name when the scenario's search section gives none (its default ``label``),
#: said in the page's language; a label the author wrote stays as written
FOUND_LABEL = N_("Best strategy found by the search")


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
        return own_words(strategy_labels(self.res).get(strategy, strategy))


def own_words(label: str) -> str:
    """A saved label in the language in force: the package's own default names (the found strategy's,
    "Search finalist 2") translated, a label the scenario's author wrote as written."""
    if label == FOUND_LABEL:
        return _(FOUND_LABEL)
    rank = label.removeprefix("Search finalist ")
    return _("Search finalist {rank}").format(rank=rank) if rank != label and rank.isdigit() else label


def load_search(search_dir: str, language: str = "") -> SearchView:
    """The notebook's entry point: the outputs of ``simlib search`` in ``search_dir``. The page
    speaks ``language`` (empty: the searched scenario's), in the scenario's money, from here on
    (the kernel's language, :func:`simlib.core.language.set_language`)."""
    from simlib.core.language import scenario_speech, set_language

    view = read_search(search_dir)
    try:
        speech = scenario_speech(view.res.scenario, language or None)
    except ValueError as exc:
        raise ReportError(f"language: {exc}") from None
    set_language(speech.language, speech.currency)
    return view


def read_search(search_dir) -> SearchView:
    """The outputs of ``simlib search`` in ``search_dir`` (the language in force unchanged)."""
    from simlib.run.experiment import Results

    d = Path(search_dir)
    if not (d / "search.json").is_file():
        raise ReportError(f"no search results in {d}: run `simlib search SCENARIO --out DIR` first")
    return SearchView(json.loads((d / "search.json").read_text(encoding="utf-8")), Results.load(d / "results"))


def info(metric: str) -> MetricInfo:
    return METRICS.get(metric) or MetricInfo(N_("NPV after the cost of liquidity"), "usd", True,
                                             N_("NPV of net collections less the credit line's interest."))


def bare_interval(text: str) -> str:
    """A :func:`ci_text` interval without its "95 % CI" words (a table's column says them)."""
    return text.removeprefix(_("95 % CI {low} to {high}").split("{low}")[0])


def comparison(view: SearchView, metric: str, other: str, comparisons: int = 2):
    """The found strategy minus ``other`` on ``metric``, paired, Bonferroni over ``comparisons``."""
    from simlib.search.selection import paired_interval

    return paired_interval(view.values(view.found, metric), view.values(other, metric), 0.95, comparisons)


def _others(view: SearchView) -> list[str]:
    """The status quo and the best hand-written strategy (once if they are the same)."""
    return list(dict.fromkeys(s for s in (view.baseline, view.best_hand) if s and s != view.found))


def headline_text(search_dir) -> str:
    """The answer in one plain sentence (the index's headline when the search page comes first), in
    the language in force."""
    view = read_search(search_dir)
    return _headline(view)


def _headline(view: SearchView) -> str:
    obj, sel = info(view.objective), view.summary["selection"]
    base = comparison(view, view.objective, view.baseline)
    words = {"found": view.label(view.found), "metric": _label_lower(obj.label), "gain": diff_text(base.mean, "usd"),
             "interval": ci_text(base.low, base.high, "usd", diff=True)}
    best = view.best_hand
    if best and best != view.baseline:
        hand = comparison(view, view.objective, best)
        text = _("“{found}” changes the {metric} by {gain} against the status quo ({interval}) and by {gain_hand} "
                 "against the best hand-written strategy, “{best}” ({interval_hand}).").format(
                     **words, gain_hand=diff_text(hand.mean, "usd"), best=view.label(best),
                     interval_hand=ci_text(hand.low, hand.high, "usd", diff=True))
    else:
        text = _("“{found}” changes the {metric} by {gain} against the status quo ({interval}).").format(**words)
    if sel["selected"] != view.summary["found"]["finalist"]:
        return text + " " + _("The final comparison did not select it over “{best}”: keep the hand-written "
                              "strategy or test both.").format(best=view.label(best))
    return text


def search_title(view: SearchView, title: str = N_("Strategy search")):
    from simlib.report.labels import scenario_label

    s = view.summary
    heading = _("{title}: {scenario}").format(title=_(title), scenario=scenario_label(view.res.scenario))
    return _html(f"<h1>{esc(heading)}</h1><p>"
                 + html_words(_("The search tried {trials} combinations of lever settings, starting from "
                                "“{start}”, and compared the best of them with the status quo and with every "
                                "hand-written strategy on the same simulated patients. {window}"),
                              trials=number_text(s["trials"]), start=view.label(s["settings"]["start_from"]),
                              window=window_sentence(view.res.scenario.simulation)) + "</p>" + TOC_MARKER)


def answer_section(view: SearchView):
    """The answer in a headline: the gain over the status quo and the best hand-written strategy."""
    sel, delta = view.summary["selection"], value_text(view.summary["settings"]["indifference"], "usd")
    if len(sel["runs"]) == 1:
        sure = _("Only one strategy met the constraints on the final runs.")
    elif sel["guaranteed"]:
        sure = _("Probability of correct selection: at least {confidence} whenever the best is {delta} or more "
                 "ahead of the others (below, “How sure”).").format(confidence=percent_text(sel["confidence"]),
                                                                   delta=delta)
    else:
        sure = _("The top contenders could not be told apart within {delta} (below, “How sure”).").format(delta=delta)
    runs = len(view.values(view.found, view.objective))
    note = ngettext("Intervals are paired 95 % intervals over {runs} runs on the same simulated patients, widened "
                    "for the two comparisons shown (Bonferroni). The strategy, ready to paste into the scenario "
                    "file, is in best_strategy.yaml beside this page.",
                    "Intervals are paired 95 % intervals over {runs} runs on the same simulated patients, widened "
                    "for the two comparisons shown (Bonferroni). The strategy, ready to paste into the scenario "
                    "file, is in best_strategy.yaml beside this page.", runs)
    return _html(f"<h2>{esc(_('The answer'))}</h2><p class=\"headline\">{esc(_headline(view))}</p><p>{esc(sure)}</p>"
                 f"<p class=\"note\">{html_words(note, runs=number_text(runs))}</p>")


def _how_sure_sentence(view: SearchView) -> str:
    sel, s = view.summary["selection"], view.summary["settings"]
    n = len(sel["runs"])
    delta = value_text(s["indifference"], "usd")
    chosen = sel["selected"] == view.summary["found"]["finalist"]
    who = view.label(sel["selected"])
    if n == 1:
        return _("Only one strategy met the constraints at full fidelity, so there was nothing to select between.")
    if sel["guaranteed"]:
        finalists = n - (1 if view.best_hand else 0)
        contenders = (_("{n} contenders ({finalists} search finalists and the best hand-written strategy)")
                      if view.best_hand else _("{n} contenders ({finalists} search finalists)")).format(
                          n=n, finalists=finalists)
        words = dict(contenders=contenders, who=who, confidence=percent_text(sel["confidence"]), delta=delta)
        if chosen:
            return _("How sure: among {contenders}, the selection picked it; this procedure picks the best with "
                     "probability at least {confidence} whenever the best is {delta} or more ahead of the others "
                     "(closer than {delta}, the choice hardly matters).").format(**words)
        return _("How sure: among {contenders}, the selection picked “{who}”; this procedure picks the best with "
                 "probability at least {confidence} whenever the best is {delta} or more ahead of the others "
                 "(closer than {delta}, the choice hardly matters).").format(**words)
    words = dict(delta=delta, runs=max(sel["runs"].values()), who=who, confidence=percent_text(sel["confidence"]))
    if chosen:
        return _("How sure: the contenders were still within {delta} of each other after {runs} runs each, the "
                 "most allowed; it has the highest mean, but the {confidence} guarantee does not hold: treat the "
                 "top contenders as equally good.").format(**words)
    return _("How sure: the contenders were still within {delta} of each other after {runs} runs each, the most "
             "allowed; “{who}” has the highest mean, but the {confidence} guarantee does not hold: treat the top "
             "contenders as equally good.").format(**words)


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
    return _html(f"<h2>{esc(_('What it does'))}</h2><p>"
                 + html_words(_("Each lever of the strategy found, beside the same lever in the strategies it is "
                                "compared with (— : not used).")) + "</p>"
                 + _table(_("The strategies lever by lever"), [_("Lever")] + [view.label(c) for c in cols], rows,
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
            interval = bare_interval(ci_text(c.low, c.high, i.unit, diff=True))
            word = verdict_words(verdict(c.mean, c.low, c.high, i.unit, i.higher_is_better, materiality))
            cells.append(" ".join(p for p in (diff_text(c.mean, i.unit), f"({interval})" if interval else "", word) if p))
        rows.append(cells)
    return rows


def _head(view: SearchView) -> list[str]:
    return [_("Measure"), view.label(view.found)] + [_("vs {strategy}").format(strategy=view.label(o))
                                                     for o in _others(view)]


def what_it_gains(view: SearchView):
    """Money and collection: the found strategy's level and its paired differences."""
    rows = _metric_rows(view, (view.objective,) + GAIN_METRICS)
    return _html(f"<h2>{esc(_('What it gains'))}</h2><p>"
                 + html_words(_("The found strategy's level, and its difference from each strategy on the same "
                                "simulated patients (95 % interval, Bonferroni-adjusted).")) + "</p>"
                 + _table(_("Money and collection"), _head(view), rows))


def what_it_asks(view: SearchView):
    """What it asks of patients and staff, and the caps it had to respect."""
    rows = _metric_rows(view, ASK_METRICS)
    team = view.res.scenario.strategies[view.found].phone_team
    staff = (ngettext("It needs a phone team of {agents} agent.", "It needs a phone team of {agents} agents.",
                      team.agents).format(agents=team.agents)
             if team is not None else _("It places no calls, so it needs no phone team."))
    caps = view.summary["goal"]["caps"]
    cap_text = "; ".join(_("{metric} at most {cap} (found: {value})").format(
        metric=_label_lower(info(m).label), cap=value_text(c, info(m).unit),
        value=value_text(float(np.mean(view.values(view.found, m))), info(m).unit))
        for m, c in caps if len(view.values(view.found, m)))
    limits = lever_descriptions(view.res.scenario.strategies[view.found]).get("contact_limits")
    parts = [f"<p>{esc(staff)}"]
    if limits:
        parts.append(" " + html_words(_("Contact limits ({limits}) applied to every candidate: a contact they "
                                        "forbid is never made."), limits=limits))
    if cap_text:
        parts.append(" " + html_words(_("Caps the search had to respect: {caps}."), caps=cap_text))
    if view.summary["goal"].get("within_reported_ranges"):
        parts.append(" " + html_words(_("Its answer had to stay within what hospitals have reported (patient "
                                        "collection rate, days in A/R, A/R over 90 days, bad debt, denials, agency "
                                        "recovery: simlib/analysis/plausibility.yaml).")))
    flags = check_results(view.res.metrics).get(view.found, [])
    for flag in flags:
        parts.append(" " + esc(flag_words(flag, view.label(view.found))))
    return _html(f"<h2>{esc(_('What it asks of patients and staff'))}</h2>" + "".join(parts) + "</p>"
                 + _table(_("Patients and staff"), _head(view), rows))


def how_sure(view: SearchView):
    """The final selection: each contender, its runs and mean, and what became of it."""
    s, sel = view.summary, view.summary["selection"]
    names = {f["name"]: _("Search finalist {rank}").format(rank=f["rank"]) for f in s["finalists"]}
    names[s["found"]["finalist"]] = view.label(view.found)
    if view.best_hand:
        names[view.best_hand] = _("{strategy} (hand-written)").format(strategy=view.label(view.best_hand))
    obj = info(view.objective)
    rows = []
    for name in sorted(sel["runs"], key=lambda n: -sel["means"][n]):
        if name == sel["selected"]:
            fate = _("selected")
        elif name in sel["eliminated_at"]:
            fate = ngettext("eliminated after {runs} runs", "eliminated after {runs} runs",
                            sel["eliminated_at"][name]).format(runs=sel["eliminated_at"][name])
        else:
            fate = _("not selected (largest mean wins at the end)")
        rows.append([names.get(name, name), f"{sel['runs'][name]}", value_text(sel["means"][name], obj.unit), fate])
    intro = html_words(_("The finalists of the search and the best hand-written strategy were simulated on the "
                         "scenario's own {runs} runs (patients the search never saw), then more runs were added to "
                         "those still in contention until one was left (the Kim–Nelson procedure, indifference "
                         "zone {indifference})."), runs=sel["first_stage"],
                       indifference=value_text(sel["indifference"], "usd"))
    return _html(f"<h2>{esc(_('How sure'))}</h2><p>{intro}</p><p>{esc(_how_sure_sentence(view))}</p>"
                 + _table(_("The final selection"), [_("Contender"), _("Runs"), obj.label, _("Outcome")], rows,
                          text=(3,)))


def search_glossary(view: SearchView):
    """The search's own terms, then the general terms of every report."""
    from simlib.report.glossary import TERMS

    terms = list(SEARCH_TERMS) + [(t, x) for t, x, need in TERMS if need is None]
    rows = "".join(f"<dt>{esc(_(t))}</dt><dd>{esc(_(x))}</dd>" for t, x in terms)
    return _html(f"<h2>{esc(_('Glossary'))}</h2><dl class=\"glossary\">{rows}</dl>")

