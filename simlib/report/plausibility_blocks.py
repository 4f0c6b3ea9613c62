"""The plausibility section of a board page and the marks of the strategy comparison table: a
strategy whose mean KPI lies outside what hospitals have reported is flagged in plain words
(:mod:`simlib.analysis.plausibility`, issue 19 item 7)."""
from __future__ import annotations

from simlib.analysis.plausibility import check_results, envelope, flag_words
from simlib.report.labels import strategy_labels
from simlib.core.language import N_, _
from simlib.report.markup import _html, esc, html_words

SECTION_TITLE = N_("Beyond what hospitals have reported")
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


def plausibility_section(res):
    """Every strategy outside the envelope, in plain words; or one sentence saying all are inside."""
    flags = flags_of(res)
    labels = strategy_labels(res)
    names = ", ".join(_bare(_(b.words)) for b in envelope().values())
    parts = [f"<h2 id=\"plausibility\">{esc(_(SECTION_TITLE))}</h2>"]
    if not flags:
        parts.append("<p>" + html_words(_("Every strategy's {measures} lie within what hospitals have reported "
                                          "(sources: simlib/analysis/plausibility.yaml)."), measures=names) + "</p>")
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
    return _html("\n".join(parts))


__all__ = ["MARK", "SECTION_TITLE", "flags_of", "outside_cells", "plausibility_section"]
