"""The plausibility section of a board page and the marks of the strategy comparison table: a
strategy whose mean KPI lies outside what hospitals have reported is flagged in plain words
(:mod:`simlib.analysis.plausibility`, issue 19 item 7); and the status quo's charity care ÷ bad
debt beside the published ratio, met or not, why and what would close it
(:mod:`simlib.analysis.charity_gap`, issue 25 item 3)."""
from __future__ import annotations

import html

from simlib.analysis.charity_gap import PUBLISHED_SOURCE, charity_gap
from simlib.analysis.plausibility import check_results, envelope, flag_words
from simlib.report.labels import strategy_labels
from simlib.core.language import N_, _, number_text
from simlib.report.markup import _html, esc, html_words

SECTION_TITLE = N_("Beyond what hospitals have reported")
CHARITY_TITLE = N_("Charity care against bad debt")
#: the mark of a table cell outside the envelope
MARK = "‡"


def flags_of(res) -> dict:
    """Flags per strategy of a results object (strategies inside the envelope are left out)."""
    return check_results(res.metrics)


def outside_cells(res) -> dict[tuple[str, str], str]:
    """``(strategy, metric)`` → the plain-words flag, for every cell outside the envelope."""
    labels = strategy_labels(res)
    return {(s, f.band.metric): flag_words(f, labels.get(s, s))
            for s, flags in flags_of(res).items() for f in flags}


def _bare(words: str) -> str:
    """A measure's words without their article ("a patient collection rate" → "patient collection
    rate"; "un taux …", "una tasa …" alike)."""
    first, _sep, rest = words.partition(" ")
    return rest if rest and first.lower() in ("a", "an", "un", "une", "una", "uno") else words


def _share(value: float) -> str:
    return f"{number_text(value * 100, 1)} %"


def charity_words(gap, label: str) -> list[str]:
    """The status quo's charity care ÷ bad debt beside the published ratio, in sentences: the
    numbers and the verdict; when not met, why and what would close it at this bad debt."""
    interval = ("" if gap.met is None else
                _(" (95 % CI {low}–{high}, {runs} runs)").format(
                    low=number_text(gap.ratio_low, 2), high=number_text(gap.ratio_high, 2), runs=gap.runs))
    verdict = (_("within the published figure") if gap.met else
               _("one run: no interval to compare") if gap.met is None else _("not met"))
    out = [_("Charity care ÷ bad debt under “{who}”: {ratio}{interval}, against about {published} published "
             "({source}): {verdict}.").format(who=label, ratio=number_text(gap.ratio, 2), interval=interval,
                                             published=number_text(gap.published, 2),
                                             source=_(PUBLISHED_SOURCE), verdict=verdict)]
    if gap.met is False:
        out.append(_("Why: every patient dollar the model does not collect is booked as charity care or as bad "
                     "debt, and its financial assistance policy (an assumption) forgives {charity} of net patient "
                     "revenue against {bad_debt} of bad debt. Hospitals also book uninsured discounts, "
                     "small-balance and administrative adjustments, which no published figure sizes for this "
                     "model yet.").format(charity=_share(gap.charity_share), bad_debt=_share(gap.bad_debt_share)))
        if gap.collection_rate is not None and gap.responsibility_collection_rate is not None:
            out.append(_("The published patient collection rates (Kodiak: 47.8 % in 2022–23, 34.5 % for commercially "
                         "insured patients in 2024) count everything patients owed, charity care included: on that "
                         "definition “{who}” collects {gross}, where its patient collection rate, net of charity "
                         "care, reads {net}.").format(who=label, gross=_share(gap.responsibility_collection_rate),
                                                      net=_share(gap.collection_rate)))
        out.append(_("What would close it: at this bad debt the published ratio means charity care of {target} "
                     "of net patient revenue, so {excess} would have to be booked as neither charity care nor bad "
                     "debt, or be collected. Read the split between charity care and bad debt as the model's, "
                     "not a hospital's.").format(target=_share(gap.charity_at_published),
                                                 excess=_share(gap.excess_charity)))
    return out


def charity_part(res) -> str:
    """The charity care ÷ bad debt paragraph of the status quo (empty without charity care or bad
    debt: no financial assistance policy, nothing to compare)."""
    baseline = res.baseline
    gap = charity_gap(res.metrics, baseline)
    if gap is None:
        return ""
    label = strategy_labels(res).get(baseline, baseline)
    body = "".join(f"<p>{html.escape(s, quote=False)}</p>" for s in charity_words(gap, label))
    return f"<h3 id=\"charity-vs-bad-debt\">{esc(_(CHARITY_TITLE))}</h3>{body}"


def plausibility_section(res):
    """Every strategy outside the envelope, in plain words; or one sentence saying all are inside;
    then the status quo's charity care ÷ bad debt against the published ratio."""
    flags = flags_of(res)
    labels = strategy_labels(res)
    names = ", ".join(_bare(_(b.words)) for b in envelope().values())
    parts = [f"<h2 id=\"plausibility\">{esc(_(SECTION_TITLE))}</h2>"]
    charity = charity_part(res)
    if not flags:
        parts.append("<p>" + html_words(_("Every strategy's {measures} lie within what hospitals have reported "
                                          "(sources: simlib/analysis/plausibility.yaml)."), measures=names) + "</p>")
        parts.append(charity)
        return _html("\n".join(parts))
    parts.append("<p class=\"headline\">" + html_words(_(
        "Some results lie outside anything a hospital has reported. The model "
        "extrapolates there: read these strategies' numbers as what the model's assumptions imply, "
        "not as what a hospital can expect.")) + "</p>")
    items = [f"<li>{esc(flag_words(f, labels.get(s, s)))}</li>" for s, fs in flags.items() for f in fs]
    parts.append("<ul>" + "".join(items) + "</ul>")
    parts.append("<p class=\"note\">" + html_words(_(
        "Checked: the mean over the runs of {measures}, against the widest range "
        "any source reports (simlib/analysis/plausibility.yaml, with sources). In the tables, {mark} marks "
        "a value outside."), measures=names, mark=MARK) + "</p>")
    parts.append(charity)
    return _html("\n".join(parts))


__all__ = ["CHARITY_TITLE", "MARK", "SECTION_TITLE", "charity_part", "charity_words", "flags_of",
           "outside_cells", "plausibility_section"]
