"""The calibration report's blocks ("does the model look like this hospital?"): headline, title and
summary, the observed-vs-fitted settle curves, the group shifts, the parameter table, the checks on
unseen invoices, limitations, glossary and the reproducibility footer.

Each block takes the numbers of :func:`simlib.calibration.report_data.calibration_report_data`
(a JSON-ready dict) and returns an ``IPython.display.HTML`` built from escaped text; the notebook
``notebooks/calibration.ipynb`` calls them one per cell.
"""
from __future__ import annotations

from simlib.report.calibration_figures import WEEK, settle_curve_chart, weekly_chart, weekly_settled
from simlib.core.language import N_, _, localised, money_text, number_text, percent_text, short_number_text
from simlib.report.calibration_notes import CALIBRATION_TERMS, glossary, limitations, reproducibility_footer
from simlib.report.calibration_words import (days_text, group_label, interval_text, ks_text, method_text, number,
                                             parameter_label, parameter_meaning, parameter_value_text, shift_label)
from simlib.report.figures import figure_block
from simlib.report.markup import TOC_MARKER, Markup, _html, esc, html_words
from simlib.analysis.numbers import ci_text, diff_text, finite, value_text

#: the closing blocks live in simlib.report.calibration_notes; the notebook calls them from here
__all__ = ["CALIBRATION_TERMS", "glossary", "limitations", "reproducibility_footer"]
REPORT_TITLE = N_("Does the payment model look like this hospital?")
#: A fitted curve this close to the observed band (a share) is not called outside it: where every
#: invoice or none is settled the band has no width, and the model's smooth curve cannot touch 0 or 1.
BAND_TOLERANCE = 0.02


def speak(language: str = "", currency: str = "") -> None:
    """The page's language (empty: English) and the history's money (empty: the language's usual
    one, :data:`simlib.core.language.HOME_CURRENCY`), made the kernel's (the notebook's first cell)."""
    from simlib.core.language import page_speech, set_language

    speech = page_speech(language or None, currency or None)
    set_language(speech.language, speech.currency)


def _file(data: dict) -> str:
    return str(data["history"]["file"])


def _simulator_words(data: dict) -> str:
    return (_("through simlib's simulation engine") if data["settings"]["simulator"] == "engine"
            else _("with the fitted model's own sampler"))


def _ks_clause(check: dict) -> str:
    ks = check["ks"]
    if ks["value"] <= ks["noise_95"]:
        return _("KS {ks} (chance alone reaches {noise})").format(ks=ks_text(ks["value"]), noise=ks_text(ks["noise_95"]))
    return _("KS {ks}, more than chance alone ({noise}): the model misses part of their pattern").format(
        ks=ks_text(ks["value"]), noise=ks_text(ks["noise_95"]))


def _means_clause(check: dict, verb: str) -> str:
    m = check["mean_days"]
    words = {"simulated": days_text(m["simulated"]), "observed": days_text(m["observed"])}
    if verb == "predicted":
        return _("{simulated} on average predicted, {observed} observed").format(**words)
    return _("{simulated} on average fitted, {observed} observed").format(**words)


def headline(data: dict) -> str:
    """One sentence for the index and the top of the page: how well the model predicts invoices it did
    not see (a second history if given, else the customers held out), else how well it fits its own."""
    if data.get("other"):
        c = data["other"]["check"]
        return _("The fitted model predicts the days to settle of the invoices in {file} within {ks}: "
                 "{means}.").format(file=data["other"]["history"]["file"], ks=_ks_clause(c),
                                    means=_means_clause(c, "predicted"))
    if data.get("cross_validation"):
        c = data["cross_validation"]
        return _("The fitted model predicts unseen customers' days to settle within {ks}: {means}.").format(
            ks=_ks_clause(c), means=_means_clause(c, "predicted"))
    c = data["in_sample"]
    return _("The fitted model matches this history's days to settle within {ks}, on the invoices it was fitted "
             "to (no check on unseen invoices was run): {means}.").format(ks=_ks_clause(c),
                                                                          means=_means_clause(c, "fitted"))


def _parameter(data: dict, name: str) -> float | None:
    return next((p["value"] for p in data["fit"]["parameters"] if p["name"] == name), None)


def _source_sentence(data: dict) -> str:
    fit = data["fit"]
    if fit["source"] == "history":
        return _("The parameters are fitted to all {rows} invoices of this history.").format(
            rows=number_text(data["history"]["rows"]))
    on = fit.get("fitted_on") or {}
    words = {"file": fit["file"], "other": on.get("file", _("another history")), "rows": on.get("rows", "?")}
    if fit.get("same_history"):
        return _("The parameters are read from {file}, fitted to {other} ({rows} invoices) — this history.").format(
            **words)
    return _("The parameters are read from {file}, fitted to {other} ({rows} invoices): not this history.").format(
        **words)


def title_block(data: dict):
    """``<h1>``, what the history is, and the summary box: the headline and the main findings."""
    h = data["history"]
    opened = (_("; {open} were still open on the extraction date {date}").format(
        open=number_text(h["open"]), date=h["extraction_date"]) if h["open"] else _("; every invoice is settled"))
    lead = _("How well simlib's payment-timing model, fitted to a payment history, reproduces when its invoices "
             "were paid. History {file}: {rows} invoices of {customers} customers, invoiced from {first} to "
             "{last}{opened}. {source}").format(
                 file=h["file"], rows=number_text(h["rows"]), customers=number_text(h["customers"]),
                 first=h["first_invoice"], last=h["last_invoice"], opened=opened, source=_source_sentence(data))
    points = []
    share = _parameter(data, "planner_share")
    terms = h["terms_days_median"]
    if share:
        scale = _parameter(data, "planned_day_scale_of_terms") or 0.0
        points.append(_("{share} of customers pay on a planned day, typically about {days} after the invoice; a "
                        "disputed invoice {dispute} later, a paper bill {paper} later. The others pay when "
                        "prompted.").format(share=value_text(share, "share"), days=days_text(scale * max(terms, 1.0)),
                                            dispute=days_text(_parameter(data, "dispute_delay_days")),
                                            paper=days_text(_parameter(data, "paper_delay_days"))))
    ins = data["in_sample"]
    shift = ins["group_shifts"]["disputed_minus_undisputed"]
    points.append(_("On these invoices: {means}; disputed invoices settle {observed} later than undisputed ones, "
                    "{simulated} in the fitted model.").format(means=_means_clause(ins, "fitted"),
                                                               observed=days_text(shift["observed"]),
                                                               simulated=days_text(shift["simulated"])))
    if data.get("cross_validation"):
        c = data["cross_validation"]
        points.append(_("Customers the fit did not see ({share} of the customers at a time): {ks}; {means}.").format(
            share=percent_text(c["holdout_share"]), ks=_ks_clause(c), means=_means_clause(c, "predicted")))
    if data.get("other"):
        c = data["other"]["check"]
        points.append(_("Invoices of {file}: {ks}; {means}.").format(
            file=data["other"]["history"]["file"], ks=_ks_clause(c), means=_means_clause(c, "predicted")))
    items = "".join(f"<li>{esc(p)}</li>" for p in points)
    heading = _("{question} Calibration to {file}").format(question=_(REPORT_TITLE), file=_file(data))
    return _html(f"<h1>{esc(heading)}</h1><p>{esc(lead)}</p>"
                 f"<div class=\"summary\"><p class=\"headline\">{esc(headline(data))}</p><ul>{items}</ul></div>"
                 f"{TOC_MARKER}")


# --------------------------------------------------------------------------- curves
def _points(share: float) -> str:
    """A gap between two shares in percentage points, one decimal (``2.4``, ``2,4``)."""
    return localised(f"{share * 100:.1f}")


def settle_curves(data: dict):
    """The observed and fitted settle curves (overall and per group), weekly shares, and the gaps in words."""
    curves = data["curves"]
    groups = curves["groups"]
    fitted_here = data["fit"]["source"] == "history" or data["fit"].get("same_history")
    intro = (_("Each curve is the share of invoices settled within a number of days after the invoice. Observed: "
               "the Kaplan–Meier estimate (an open invoice counts as unsettled up to the extraction date), with a 95 % "
               "band from resampling the customers {resamples} times. Fitted: the model's own curve for the same "
               "invoices (their terms, amounts, dispute and paper flags), which are the invoices the parameters "
               "were fitted to.") if fitted_here else
             _("Each curve is the share of invoices settled within a number of days after the invoice. Observed: "
               "the Kaplan–Meier estimate (an open invoice counts as unsettled up to the extraction date), with a 95 % "
               "band from resampling the customers {resamples} times. Fitted: the model's own curve for the same "
               "invoices (their terms, amounts, dispute and paper flags).")).format(resamples=curves["resamples"])
    gaps = [_("{group}: {gap} percentage points on day {day}").format(
        group=group_label(g).lower(), gap=_points(groups[g]["largest_gap"]), day=groups[g]["largest_gap_day"])
        for g in groups]
    n_days = len(curves["days"])
    outside = [_("{group} on {days} of {all_days} days, by at most {gap} points").format(
        group=group_label(g).lower(), days=groups[g]["days_outside_band"], all_days=n_days,
        gap=_points(groups[g]["largest_outside_band"])) for g in groups
        if groups[g]["largest_outside_band"] >= BAND_TOLERANCE]
    band = (_("The fitted curve stays inside the observed 95 % band, or less than {tolerance} percentage points "
              "outside it, on every day for every group.").format(tolerance=_points(BAND_TOLERANCE)) if not outside
            else _("The fitted curve leaves the observed 95 % band for {groups}.").format(groups="; ".join(outside)))
    largest = _("Largest gap between the observed and the fitted share: {gaps}.").format(gaps="; ".join(gaps))
    parts = [f"<h2>{esc(_('Observed and fitted days to settle'))}</h2><p>{esc(intro)}</p>",
             figure_block(settle_curve_chart(curves),
                          _("Share of invoices settled within each number of days after the invoice: observed "
                            "(solid, with its 95 % band) and fitted (dashed), for all invoices and by group.")).data,
             f"<p>{esc(largest)} {esc(band)}</p>",
             figure_block(weekly_chart(curves), _weekly_caption(data)).data]
    return _html("\n".join(parts))


def _weekly_caption(data: dict) -> str:
    weeks = weekly_settled(data["curves"]["groups"]["all"]["observed"])
    top = int(weeks.argmax())
    return _("Share of all invoices settled in each week after the invoice: observed (bars) and fitted (line). "
             "Most invoices settle on days {first} to {last} after the invoice; the usual credit terms are {terms} "
             "days.").format(first=WEEK * top, last=WEEK * top + WEEK - 1,
                             terms=short_number_text(data["history"]["terms_days_median"]))


# --------------------------------------------------------------------------- check tables
def _agreement(stat: dict, shift: bool) -> str:
    ci = stat.get("difference_ci95")
    if not ci or not finite(stat.get("difference")):
        return ""
    if ci[0] <= 0 <= ci[1]:
        return _("agrees (within chance)")
    if shift:
        return _("model's gap larger") if stat["difference"] > 0 else _("model's gap smaller")
    return _("model later") if stat["difference"] > 0 else _("model earlier")


def _note(text: str) -> str:
    """A small grey line under a value (an interval, how it was found), or nothing."""
    return f"<br><span class=\"ci\">{esc(text)}</span>" if text else ""


def _cell(value: str, ci: str = "") -> str:
    return f"<td class=\"num\">{esc(value)}{_note(ci)}</td>"


def check_table(check: dict, caption: str, model_word: str = N_("Predicted")):
    """Mean days to settle observed vs the model, overall, by group and the group shifts, with 95 % CIs."""
    rows = [(group_label("all"), check["mean_days"], False)]
    rows += [(group_label(g), s, False) for g, s in check["mean_days_by_group"].items()]
    rows += [(shift_label(k), s, True) for k, s in check["group_shifts"].items()]
    body = []
    for label, s, shift in rows:
        value = diff_text if shift else value_text
        body.append(
            f"<tr><th scope=\"row\">{esc(label)}</th><td class=\"num\">{number_text(s['invoices'])}</td>"
            + _cell(value(s["observed"], "days"), ci_text(*(s["observed_ci95"] or (None, None)), "days", shift))
            + _cell(value(s["simulated"], "days"), ci_text(*(s["simulated_ci95"] or (None, None)), "days", shift))
            + _cell(diff_text(s["difference"], "days"), ci_text(*(s["difference_ci95"] or (None, None)), "days", True))
            + f"<td>{esc(_agreement(s, shift))}</td></tr>")
    head = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in (
        _("Mean days to settle"), _("Invoices"), _("Observed"), _(model_word), _("Difference"), _("Verdict")))
    return (f"<div class=\"table-scroll\"><table class=\"calibration\"><caption>{esc(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _ks_paragraph(check: dict) -> str:
    ks = check["ks"]
    ci = ks.get("ci95")
    interval = " " + _("(95 % CI {low} to {high})").format(low=ks_text(ci[0]), high=ks_text(ci[1])) if ci else ""
    return "<p>" + html_words(_("KS distance between the observed and the model's days to settle: {ks}{interval}. "
                                "Comparing the observed invoices with resamples of their own customers gives up to "
                                "{noise} in 95 % of resamples: a distance below that is as close as this many "
                                "customers can show."),
                              ks=Markup(f"<strong>{esc(ks_text(ks['value']))}</strong>"), interval=interval,
                              noise=ks_text(ks["noise_95"])) + "</p>"


def _censoring_note(check: dict) -> str:
    if check.get("censored_at_extraction"):
        return _("Open invoices count their days open (plus one) and a simulated invoice settled after the "
                 "extraction date counts as open, so the means are restricted to what the history can show.")
    never = check.get("simulated_never_settled_share") or 0.0
    tail = (" " + _("{share} of the simulated invoices never settle and are left out.").format(
        share=value_text(never, "share"))) if never else ""
    return _("Every invoice of the history is settled: means are over settled invoices.") + tail


def group_shifts(data: dict):
    """Mean days to settle by group, observed vs fitted on the fitted invoices (in-sample), with CIs."""
    ins = data["in_sample"]
    s = data["settings"]
    intro = _("Mean days to settle of each kind of invoice, observed and in the fitted model, which simulated each "
              "invoice {replications} times {simulator}. Intervals resample the customers ({bootstrap} times): a "
              "customer's invoices are alike, so invoices are not independent. {censoring}").format(
                  replications=s["replications"], simulator=_simulator_words(data),
                  bootstrap=number_text(s["bootstrap"]), censoring=_censoring_note(ins))
    return _html(f"<h2>{esc(_('Group shifts: who pays later'))}</h2><p>{esc(intro)}</p>"
                 + check_table(ins, _("Mean days to settle on the fitted history"), N_("Fitted")))


# --------------------------------------------------------------------------- parameters
def parameter_table(data: dict):
    """Every parameter in words: label, value with unit, 95 % CI and how it was found, meaning."""
    fit = data["fit"]
    terms = data["history"]["terms_days_median"]
    rows = []
    for p in fit["parameters"]:
        name = p["name"]
        ci = interval_text(name, p["ci95"], terms)
        how = method_text(p["method"])
        rows.append(f"<tr><th scope=\"row\">{esc(parameter_label(name))}</th>"
                    f"<td class=\"num\">{esc(parameter_value_text(name, p['value'], terms))}</td>"
                    f"<td>{esc(ci) if ci else '—'}{_note(how)}</td>"
                    f"<td>{esc(parameter_meaning(name))}</td></tr>")
    rows.append(f"<tr><th scope=\"row\">{esc(_('Typical amount (reference)'))}</th>"
                f"<td class=\"num\">{esc(money_text(fit['balance_ref'], 2))}</td><td>—<br>"
                f"<span class=\"ci\">{esc(_('not fitted'))}</span></td><td>"
                + html_words(_("The amount the payment rates above refer to: the history's median invoice when "
                               "fitted here.")) + "</td></tr>")
    ll = (" " + _("Log-likelihood {value}.").format(value=number(fit["log_likelihood"], 6))
          if finite(fit.get("log_likelihood")) else "")
    intro = _("Maximum-likelihood estimates with 95 % confidence intervals (open invoices are right-censored). The "
              "model mixes two kinds of customer: planners, who pay on a day they plan around the due date, and "
              "prompted payers, who pay at a rate that jumps when the bill arrives and at the due date and then "
              "fades. Rates are per day.{log_likelihood} {source}").format(log_likelihood=ll,
                                                                           source=_source_sentence(data))
    head = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in (
        _("Parameter"), _("Fitted value"), _("95 % CI"), _("What it means")))
    return _html(f"<h2>{esc(_('The fitted parameters'))}</h2><p>{esc(intro)}</p><div class=\"table-scroll\">"
                 f"<table class=\"calibration parameters\"><caption>{esc(_('Payment-timing parameters'))}</caption>"
                 f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


# --------------------------------------------------------------------------- prediction
def _split_spread(cv: dict) -> str:
    ks = [s["ks"] for s in cv.get("splits", [])]
    noise = [s["ks_noise_95"] for s in cv.get("splits", [])]
    if len(ks) < 2:
        return ""
    return " " + _("Alone, one split's held-out customers score KS {low} to {high}, with chance levels of "
                   "{noise_low} to {noise_high}: which customers are held out moves one split's distance more than "
                   "the model does, so the splits are pooled.").format(
                       low=ks_text(min(ks)), high=ks_text(max(ks)), noise_low=ks_text(min(noise)),
                       noise_high=ks_text(max(noise)))


def prediction(data: dict):
    """The checks on invoices the fit did not see: customers held out, and a second history."""
    s = data["settings"]
    parts = []
    if data.get("cross_validation"):
        cv = data["cross_validation"]
        n = len(cv.get("splits", []))
        text = _("The fit was repeated {splits} times, each time on {kept} of the customers, and each fit predicted "
                 "the invoices of the other {held}, customers it never saw (seed {seed}; every customer is held out "
                 "equally often). Each held-out invoice was simulated {replications} times {simulator} with its own "
                 "dates, amounts, terms and flags, and the pooled predictions are compared with what the customers "
                 "did.").format(splits=n, kept=percent_text(1 - cv["holdout_share"]),
                                held=percent_text(cv["holdout_share"]), seed=s["seed"],
                                replications=s["replications"], simulator=_simulator_words(data)) + _split_spread(cv)
        parts += [f"<h2>{esc(_('Predicting customers the fit did not see'))}</h2><p>{esc(text)}</p>",
                  _ks_paragraph(cv), check_table(cv, _("Mean days to settle of held-out customers"), N_("Predicted")),
                  f"<p class=\"note\">{esc(_censoring_note(cv))}</p>"]
    if data.get("other"):
        other = data["other"]
        c, h = other["check"], other["history"]
        same = (" " + _("It is the same file as the history, so this is not an independent check.")
                if h["sha256"] == data["history"]["sha256"] else "")
        text = _("{file}: {rows} invoices of {customers} customers, invoiced from {first} to {last}. Each invoice was "
                 "simulated {replications} times {simulator} with the parameters above and its own dates, amounts, "
                 "terms and flags.").format(file=h["file"], rows=number_text(h["rows"]),
                                            customers=number_text(h["customers"]), first=h["first_invoice"],
                                            last=h["last_invoice"], replications=s["replications"],
                                            simulator=_simulator_words(data)) + same
        heading = _("Check on {file}").format(file=h["file"])
        parts += [f"<h2>{esc(heading)}</h2><p>{esc(text)}</p>", _ks_paragraph(c),
                  check_table(c, _("Mean days to settle of {file}").format(file=h["file"]), N_("Predicted")),
                  f"<p class=\"note\">{esc(_censoring_note(c))}</p>"]
    if not parts:
        parts.append(f"<h2>{esc(_('Invoices the fit did not see'))}</h2><p class=\"note\">"
                     + esc(_("This page checks the model only on the invoices it was fitted to. A check on a second "
                             "history, or on customers held out of the fit, shows whether it predicts invoices it did "
                             "not see.")) + "</p>")
    return _html("\n".join(parts))
