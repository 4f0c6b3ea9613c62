"""The uncertain assumptions in the board's words: the table of what the runs drew (distribution,
90 % range, source), where the spread of the gain over the runner-up comes from
(:func:`simlib.analysis.spread.spread_sources`), and the phrase that says what the runs varied."""
from __future__ import annotations

from simlib.core.money_names import is_money

import math

from simlib.core.language import N_, _, localised, money_text, ngettext
from simlib.report.labels import strategy_labels
from simlib.report.markup import Markup, Sentence, _html, esc, html_words
from simlib.analysis.numbers import value_text
from simlib.report.results import _replications, recommendation

SECTION_TITLE = N_("Assumptions we are unsure of")
CHANCE_WORDS = N_("chance in which patients arrive and how they pay")


def _drawn(res):
    import pandas as pd

    table = getattr(res, "assumptions", None)
    return table if table is not None else pd.DataFrame(columns=["replication", "path", "label", "value"])


def assumptions_varied(res) -> bool:
    """Whether the runs drew uncertain assumptions that took more than one value."""
    drawn = _drawn(res)
    return bool(len(drawn)) and bool((drawn.groupby("path")["value"].nunique() > 1).any())


def runs_phrase(res, n: int | None = None) -> str:
    """``"20 simulated runs"``, or ``"20 simulated runs that vary both the patients and the uncertain
    assumptions"`` when the runs drew uncertain assumptions."""
    n = _replications(res) if n is None else n
    if assumptions_varied(res):
        return ngettext("{n} simulated run that varies both the patients and the uncertain assumptions",
                        "{n} simulated runs that vary both the patients and the uncertain assumptions", n).format(n=n)
    return ngettext("{n} simulated run", "{n} simulated runs", n).format(n=n)


def _field(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def value_words(path: str, value: float) -> str:
    """A drawn value as the board reads it, by what the field's name says it is (two significant
    figures for rates per day and multipliers, which have no everyday unit)."""
    field = _field(path)
    if field.endswith(("_rate", "_share", "_annual")) or field in ("share", "reach"):
        pct = value * 100
        return _("{share} %").format(share=localised(f"{pct:.1f}" if 0 < abs(pct) < 10 else f"{pct:.0f}"))
    if is_money(field):
        return value_text(value, "usd")
    if field.endswith("_days"):
        return _("{days} days").format(days=localised(f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"))
    if field.endswith("_months"):
        return ngettext("{months} month", "{months} months", 1 if f"{value:.2g}" == "1" else 2).format(
            months=localised(f"{value:.2g}"))
    if field.endswith("_per_day"):
        return _("{rate} a day").format(rate=localised(f"{value:.2g}"))
    return localised(f"{value:.2g}")


def distribution_words(entry) -> str:
    """``"Beta between 20 % and 100 %, centred on 60 %"``, ``"Log-normal, centred on 0.008 a day"``."""
    from simlib.scenario.uncertain import central_value

    lo, hi = entry.support()
    w = (lambda v: f"×{v:.2g}") if entry.scale else (lambda v: value_words(entry.path, v))  # noqa: E731
    if lo == hi:
        return _("Fixed at {value}").format(value=w(lo))
    centre = w(central_value(entry))
    d = entry.distribution
    if d == "beta":
        return _("Beta between {low} and {high}, centred on {centre}").format(low=w(lo), high=w(hi), centre=centre)
    if d == "uniform":
        return _("Uniform: any value from {low} to {high} equally likely").format(low=w(lo), high=w(hi))
    if d == "triangular":
        return _("Triangular from {low} to {high}, most likely {mode}").format(low=w(lo), high=w(hi), mode=w(entry.mode))
    if d == "lognormal":
        return _("Log-normal, centred on {centre} (skewed towards higher values)").format(centre=centre)
    return _("Normal, centred on {centre}").format(centre=centre)


def range_words(entry, coverage: float = 0.90) -> str:
    """The central ``coverage`` range of ``entry``'s distribution: ``"35 % to 85 %"``,
    ``"0.44 to 2.3 months"``; a rate per day, which has no everyday unit, as multiples of its
    centre: ``"0.52× to 1.9× the centre"``."""
    from simlib.scenario.uncertain import central_value

    tail = (1.0 - coverage) / 2
    lo, hi = entry.quantile(tail), entry.quantile(1.0 - tail)
    if entry.scale:  # a multiplier of the file's numbers
        return _("×{low} to ×{high} the file's values").format(low=localised(f"{lo:.2g}"), high=localised(f"{hi:.2g}"))
    if lo == hi:
        return value_words(entry.path, lo)
    centre = central_value(entry)
    if _field(entry.path).endswith("_per_day") and centre > 0:
        return _("{low}× to {high}× the centre").format(low=localised(f"{lo / centre:.2g}"),
                                                         high=localised(f"{hi / centre:.2g}"))
    low, high = value_words(entry.path, lo), value_words(entry.path, hi)
    units = [_("{share} %").replace("{share}", ""), ngettext("{months} month", "{months} months", 2).replace("{months}", ""),
             _("{days} days").replace("{days}", ""), _("{rate} a day").replace("{rate}", "")]
    for unit in units:
        if low.endswith(unit) and high.endswith(unit):
            low = low[: -len(unit)]
            break
    return _("{low} to {high}").format(low=low, high=high)


def assumptions_table(res) -> str:
    """The table of the scenario's uncertain assumptions (label, distribution, 90 % range, source)."""
    rows = "".join(
        f"<tr><th scope=\"row\">{esc(e.label)}</th><td>{esc(distribution_words(e))}</td>"
        f"<td class=\"num\">{esc(range_words(e))}</td><td>{esc(e.source)}</td></tr>"
        for e in res.scenario.uncertain)
    head = "".join(f"<th scope=\"col\">{esc(_(h))}</th>" for h in
                   (N_("Assumption"), N_("Distribution"), N_("90 % range"), N_("Source")))
    return (f"<div class=\"table-scroll\"><table><caption>{esc(_('Uncertain assumptions, drawn afresh in every run'))}"
            f"</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def held_range_words(path: str, low: float, high: float) -> str:
    """A documented range as the board reads it, two significant figures: ``"2–30 %"``,
    ``"$25–$45"``, ``"14–60 days"``; a rate per day, too small to read, per year (``"0–0.16 a year"``)."""
    field = _field(path)
    g = lambda v: f"{v:.2g}" if abs(v) < 100 else f"{v:,.0f}"  # noqa: E731
    if field.endswith("_per_day"):
        return f"{g(low * 365)}–{g(high * 365)} a year"
    if field.endswith(("_rate", "_share", "_annual")) or field in ("share", "reach"):
        return f"{g(low * 100)}–{g(high * 100)} %"
    if is_money(field):
        money = lambda v: money_text(v) if v >= 10 or v == int(v) else money_text(v, 2)  # noqa: E731
        return f"{money(low)}–{money(high)}"
    if field.endswith("_days"):
        return f"{g(low)}–{g(high)} days"
    if field.endswith("_months"):
        return f"{g(low)}–{g(high)} months"
    return f"{g(low)}–{g(high)}"


def held_fixed_paragraph(res) -> str:
    """What the intervals do not include: the assumptions of the model (docs/model.md) this scenario
    uses but holds at the file's values, each with its documented range and why it is not drawn
    (:func:`simlib.scenario.assumption_register.held_fixed`); empty when there are none."""
    from simlib.scenario.assumption_register import held_fixed

    held = held_fixed(res.scenario)
    if not held:
        return ""
    items = "".join(f"<li>{esc(h.label)} (documented range {esc(held_range_words(h.path, h.low, h.high))}; "
                    f"<code>{esc(h.path)}</code>): "
                    f"{esc(h.reason)}.</li>" for h in held)
    return ("<p><strong>Not included in the intervals.</strong> These assumptions of the model are held at the "
            "file's values in every run, so the intervals above do not count them; the sensitivity study can "
            f"sweep any of them over its range:</p><ul>{items}</ul>")


def _percent(x: float) -> str:
    return _("{share} %").format(share=f"{x * 100:.0f}")


def spread_sentence(res) -> str:
    """"Of the spread in the gain over <runner-up>, x % comes from the uncertain assumptions (mostly
    <label>) and y % from chance in which patients arrive and how they pay." (plain text)."""
    from simlib.analysis.spread import spread_sources

    rec = recommendation(res)
    best, other = rec.strategy, rec.runner_up
    if other is None:
        return ""
    split = spread_sources(res, best, other, rec.metric)
    labels = strategy_labels(res)
    over = _("the gain of “{best}” over the runner-up “{other}”").format(best=labels.get(best, best),
                                                                     other=labels.get(other, other))
    if not math.isfinite(split.explained_share):
        if not math.isfinite(split.gain_sd) or split.gain_sd == 0:
            text = _("{gain} is the same in every run: there is no spread to split.").format(gain=over)
            return text[:1].upper() + text[1:]
        return _("With {runs} runs the spread in {gain} cannot be split among {count} "
                 "uncertain assumptions (at least {needed} runs are needed).").format(
                     runs=split.runs, gain=over, count=len(split.shares), needed=len(split.shares) + 2)
    explained, chance = _percent(split.explained_share), _percent(split.chance_share)
    if f"{split.explained_share * 100:.0f}" == "0":  # prints as 0 %
        return _("None of the spread in {gain} comes from the uncertain assumptions: it is all {chance}.").format(
            gain=over, chance=_(CHANCE_WORDS))
    table = split.table()
    leading = table[table["share"] >= table["share"].iloc[0] / 2].head(2)  # the first, and a close second
    mostly = _(", and ").join(f"“{r.label}”, {_percent(r.share)}" for r in leading.itertuples())
    return _("Of the spread in {gain}, {explained} comes from the uncertain assumptions (mostly "
             "{mostly}) and {chance} from {chance_words}.").format(gain=over, explained=explained, mostly=mostly,
                                                                  chance=chance, chance_words=_(CHANCE_WORDS))


def uncertain_assumptions_section(res):
    """The section "Assumptions we are unsure of": the table and where the spread comes from."""
    parts = [f"<h2 id=\"uncertain-assumptions\">{esc(_(SECTION_TITLE))}</h2>"]
    if not res.scenario.uncertain:
        parts.append("<p>" + html_words(_("This scenario declares no uncertain assumptions: every run uses the values of "
                                          "the parameter file, so the spread between runs comes only from {chance}."),
                                        chance=Sentence(_(CHANCE_WORDS))) + "</p>")
        parts.append(held_fixed_paragraph(res))
        return _html("\n".join(p for p in parts if p))
    parts.append("<p>" + html_words(_(
        "Some of the scenario's numbers are not known well. Each run draws them afresh from the "
        "ranges below, the same values for every strategy in that run, so the intervals and the "
        "chance of being best in this report include this uncertainty as well as chance in the "
        "patients.")) + "</p>")
    parts.append("<p>" + html_words(_("{strong_start}Included in the intervals:{strong_end} the assumptions of the table "
                                      "below."), strong_start=Markup("<strong>"), strong_end=Markup("</strong>")) + "</p>")
    parts.append(assumptions_table(res))
    parts.append(held_fixed_paragraph(res))
    sentence = spread_sentence(res)
    if sentence:
        parts.append(f"<p class=\"headline\">{esc(sentence)}</p>")
        parts.append("<p class=\"note\">" + html_words(_(
            "How the spread is split: the run-by-run gain is regressed on the values "
            "drawn in each run. The share explained (adjusted R², which discounts what chance alone "
            "would explain with this many runs) is the assumptions' part, divided among them by "
            "their average contribution over every order of adding them (Shapley, or LMG, shares); "
            "the rest is chance. Details: docs/uncertainty.md.")) + "</p>")
    return _html("\n".join(p for p in parts if p))
