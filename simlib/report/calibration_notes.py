"""The calibration report's closing blocks, in the language in force: what the fit cannot tell, the
glossary of its terms and the reproducibility footer (the notebook calls them through
:mod:`simlib.report.calibration_blocks`)."""
from __future__ import annotations

from simlib.core.language import N_, _, number_text, percent_text
from simlib.report.calibration_words import days_text, parameter_label
from simlib.report.glossary import TERMS
from simlib.report.markup import Markup, _format_date, _html, esc, html_words
from simlib.analysis.numbers import value_text


def limitations(data: dict):
    """What the fit cannot tell, from this history and this fit."""
    h = data["history"]
    items = []
    if h["open"]:
        items.append(_("{open} invoices ({share}) were open on the extraction date: they count as unpaid up to "
                       "that day, and late payment is less well measured.").format(
                           open=number_text(h["open"]), share=value_text(h["open"] / h["rows"], "share")))
    else:
        items.append(_("Every invoice in the history is settled: it is taken as followed to settlement. Invoices "
                       "never paid (written off) are not in it, so the model cannot say how many never pay."))
    spread = h.get("customer_mean_days_p10_p90")
    if spread:
        items.append(_("Customers differ: their own mean days to settle run from {low} to {high} (10th to 90th "
                       "percentile). The model has no customer effect: it predicts a customer drawn from the same "
                       "population, not a particular one.").format(low=days_text(spread[0]), high=days_text(spread[1])))
    items.append(_("The history holds no reminders or calls, so the effect of contacts cannot be fitted from it: "
                   "the strategies' contact effects stay assumptions (see the sensitivity report)."))
    items.append(_("One period ({first} to {last}) and one population: habits, terms or the mix of customers may "
                   "change.").format(first=h["first_invoice"], last=h["last_invoice"]))
    edge = [parameter_label(p["name"]).lower() for p in data["fit"]["parameters"]
            if str(p["method"]).startswith("profile")]
    if edge:
        items.append(_("At the edge of its range: {parameters}. The data show no measurable effect there, so only "
                       "an upper (or lower) limit is given.").format(parameters=", ".join(edge)))
    items.append(_("The amount owed enters only through one sensitivity; payment plans and partial payments are "
                   "not in the history (an invoice is either open or settled)."))
    items.append(_("Using these parameters in a scenario: set the spread of patients' willingness to pay to 0, "
                   "because the fit already describes how customers differ in timing."))
    return _html(f"<h2>{esc(_('What the fit cannot tell'))}</h2><ul>"
                 + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


CALIBRATION_TERMS: tuple[tuple[str, str], ...] = (
    (N_("Days to settle"), N_("Days from the invoice date to the date the invoice was paid in full.")),
    (N_("Open (censored) invoice"), N_("An invoice not yet paid when the history was extracted: we know only that "
     "it took longer than its days open. Such a time is called right-censored.")),
    (N_("Kaplan–Meier estimate"), N_("The share of invoices settled within each number of days, estimated so that "
     "open invoices count as unpaid for as long as they were observed and no longer.")),
    (N_("KS distance (Kolmogorov–Smirnov)"), N_("The largest gap, over all days, between two curves of the share "
     "settled: 0 means identical, 0.05 means at most 5 percentage points apart on any day.")),
    (N_("Planners and prompted payers"), N_("The model's two kinds of customer: planners pay on a day they plan, "
     "around the due date; prompted payers pay at a rate raised by the bill and the due date, which fades.")),
    (N_("Customer bootstrap"), N_("Intervals found by redrawing whole customers at random many times: a customer's "
     "invoices are alike, so they are resampled together.")),
    (N_("95 % CI (confidence interval)"), N_("The range that would contain the true value in 95 % of repeated "
     "studies of this size. A difference whose interval includes zero cannot be told from chance.")),
)


def glossary():
    """The terms of the calibration page, and the percentage points of the other reports."""
    shared = [(t, x) for t, x, _n in TERMS if t.startswith("pp ")]
    rows = "".join(f"<dt>{esc(_(t))}</dt><dd>{esc(_(x))}</dd>" for t, x in (*CALIBRATION_TERMS, *shared))
    return _html(f"<h2>{esc(_('Glossary'))}</h2><dl class=\"glossary\">{rows}</dl>")


def reproducibility_footer(data: dict):
    """File, checksum, seed, replications, resamples, simulator, version and date: enough to rerun."""
    h, s = data["history"], data["settings"]
    items = [(_("History"), h["file"]), ("SHA-256", h["sha256"][:16] + "…"), (_("Invoices"), number_text(h["rows"])),
             (_("Seed"), s["seed"]), (_("Replications"), s["replications"]),
             (_("Bootstrap resamples"), number_text(s["bootstrap"])),
             (_("Simulator"), s["simulator"]), (_("simlib version"), s.get("simlib_version")),
             (_("Computed"), _format_date(s["created"]) if s.get("created") else None)]
    if data.get("cross_validation"):
        items.insert(6, (_("Customer splits"), _("{splits} × {share} held out").format(
            splits=s["splits"], share=percent_text(s["holdout_share"]))))
    body = " · ".join(f"{esc(k)}: {esc(v)}" for k, v in items if v not in (None, ""))
    rerun = html_words(_("Rerun with {command} on the same files with the same seed to get identical numbers."),
                       command=Markup("<code>simlib calibrate report</code>"))
    return _html(f"<div class=\"footer\"><h2>{esc(_('Reproducibility'))}</h2><p>{body}</p><p>{rerun}</p></div>")
