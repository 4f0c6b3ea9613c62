"""Limitations and risks, generated from the levers the scenario's strategies use: the rules a
board must respect before adopting a lever, and what the model leaves out. A lever's own risks
are written in its module (``Lever.risk``, ``Lever.risk_notes``); the laws it meets (EMTALA and
deposits, IRS §501(r) before extraordinary collection actions, Medicare/Medicaid anti-assignment
for factoring in the US; Ley 21.320 in Chile, …) are the scenario's jurisdiction's, in its file's
``board.risks`` (:mod:`simlib.scenario.jurisdiction`), so a page names only its country's laws. Sources: ``../shared/reference/domain-research.md`` §2.4, §4, §5; ``docs/finance_levers.md``.

The wording is a checklist for the hospital's compliance team, not legal advice.
"""
from __future__ import annotations

from simlib.core.language import N_, _

from simlib.model.measurement_window import cold_start
from simlib.report.labels import strategy_labels
from simlib.report.markup import _html, esc, html_words
from simlib.levers.base import strategies_using


def _who(res, keys: list[str]) -> str:
    labels = strategy_labels(res)
    return ", ".join(f"“{labels.get(k, k)}”" for k in keys)


def _law_notes(lever, notes: list, strategies: dict, scen) -> list[tuple[str, list[str], str]]:
    """The lever's notes with its jurisdiction's laws said first (``replace``: instead), and the
    laws on a topic the lever has no note on, for the strategies that use it."""
    from simlib.scenario.jurisdiction import DEFAULT_JURISDICTION, jurisdiction

    entries = jurisdiction(getattr(scen, "jurisdiction", DEFAULT_JURISDICTION)).board.risks
    nonprofit = bool(getattr(getattr(scen, "finance", None), "us_nonprofit", False))
    notes = [list(n) for n in notes]
    for e in entries:
        if e.lever != lever.key or (e.when == "us_nonprofit" and not nonprofit):
            continue
        users = [k for k in strategies_using(strategies, lever.key)
                 if e.kind is None or getattr(getattr(strategies[k], lever.key), "kind", None) == e.kind]
        own = next((n for n in notes if n[0] == e.topic and (e.replace or set(n[1]) == set(users))), None)
        if own is not None:
            own.append(e)  # the laws of a topic, in the file's order, then the lever's own words
        elif users and not e.replace:
            notes.append([e.topic, users, "", e])
    out = []
    for topic, keys, text, *laws in notes:
        replaced = [e.text for e in laws if e.replace]
        # each law and note in the language in force (the catalogue has them one by one)
        words = " ".join(_(t) for t in (replaced or [*(e.text for e in laws), text]) if t).strip()
        if words:
            out.append((topic, keys, words))
    return out


def lever_risks(res) -> list[tuple[str, str, str]]:
    """(topic, strategies concerned, the rule or risk in words) for each lever in use: each lever's
    own notes (``Lever.risk`` / ``Lever.risk_notes``, in the lever's module) with the laws of the
    scenario's jurisdiction it meets, in registry order; two levers' notes on the same topic (a
    statement and reminders by text) become one."""
    from simlib.levers import registered_levers

    scen = res.scenario
    strategies = dict(getattr(scen, "strategies", {}) or {})
    merged: dict[tuple[str, str], list[str]] = {}
    for lever in registered_levers().values():
        for topic, keys, text in _law_notes(lever, lever.risk_notes(strategies, scen), strategies, scen):
            merged.setdefault((topic, text), []).extend(k for k in keys if k not in merged.get((topic, text), ()))
    order = list(strategies)
    return [(topic, _who(res, sorted(keys, key=order.index)), text) for (topic, text), keys in merged.items()]


#: said only of a run without a warm-up or an open book (simlib.model.measurement_window)
_COLD_START = (N_("The simulation starts with no unpaid bills on the books (no warm-up): the early cash dip is "
               "deeper than in a running hospital, which is already collecting last year's bills. Compare "
               "strategies on it rather than read it as a forecast of the bank balance; a warm-up "
               "(simulation.warm_up_days) measures a running hospital."))

_MODEL_LIMITS = (
    N_("Patients' payment behaviour (how they respond to statements, reminders, discounts) comes from "
    "published studies and assumptions, not from this hospital's own accounts; the sensitivity report "
    "shows which assumptions the recommendation depends on."),
    N_("Figures are means over a finite number of simulated runs; the 95 % confidence intervals say how "
    "far they could move with more runs."),
    N_("Payer contract changes and the patients' satisfaction or loyalty are not modelled."),
)

#: said only where a financial assistance policy applies (issue 25, item 3: docs/calibration.md §10)
_CHARITY_SPLIT = N_("Charity care follows an assumed financial assistance policy (who qualifies and how many of "
                    "them the hospital finds): how unpaid patient balances split between charity care and bad "
                    "debt is the model's, not a hospital's: the calibrated community hospital books about twice "
                    "as much charity care as bad debt, where hospitals have reported about 0.6 times as much.")


def limitations_section(res):
    """The "Limitations and risks" section: rules and risks of each lever in use, then what the
    model leaves out."""
    items = "".join(f"<li><strong>{esc(_(topic))}</strong> ({esc(who)}): {esc(_(text))}</li>"
                    for topic, who, text in lever_risks(res))
    parts = [f"<h2>{esc(_('Limitations and risks'))}</h2>"]
    if items:
        parts.append("<p>" + html_words(_("Rules and risks to check before adopting the levers these strategies use "
                                          "(a checklist for the compliance team, not legal advice):")) + "</p>")
        parts.append(f"<ul>{items}</ul>")
    parts.append(f"<p>{html_words(_('What the model leaves out:'))}</p>")
    limits = list(_MODEL_LIMITS)
    sim = res.scenario.simulation
    if cold_start(sim):
        limits.insert(1, _COLD_START)
    if getattr(getattr(res.scenario, "finance", None), "financial_assistance", None) is not None:
        limits.append(_CHARITY_SPLIT)
    parts.append("<ul>" + "".join(f"<li>{esc(_(t))}</li>" for t in limits) + "</ul>")
    return _html("\n".join(parts))
