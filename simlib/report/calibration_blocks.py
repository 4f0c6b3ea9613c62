"""The calibration report's blocks ("does the model look like this hospital?"): headline, title and
summary, the observed-vs-fitted settle curves, the group shifts, the parameter table, the checks on
unseen invoices, limitations, glossary and the reproducibility footer.

Each block takes the numbers of :func:`simlib.calibration.report_data.calibration_report_data`
(a JSON-ready dict) and returns an ``IPython.display.HTML`` built from escaped text; the notebook
``notebooks/calibration.ipynb`` calls them one per cell.
"""
from __future__ import annotations

from simlib.report.calibration_figures import WEEK, settle_curve_chart, weekly_chart, weekly_settled
from simlib.report.calibration_words import (GROUP_LABELS, SHIFT_LABELS, days_text, interval_text, ks_text,
                                             method_text, number, parameter_label, parameter_meaning,
                                             parameter_value_text)
from simlib.report.figures import figure_block
from simlib.report.glossary import TERMS
from simlib.report.markup import TOC_MARKER, _format_date, _html, esc
from simlib.analysis.numbers import ci_text, diff_text, finite, value_text

REPORT_TITLE = "Does the payment model look like this hospital?"
#: A fitted curve this close to the observed band (a share) is not called outside it: where every
#: invoice or none is settled the band has no width, and the model's smooth curve cannot touch 0 or 1.
BAND_TOLERANCE = 0.02


def _file(data: dict) -> str:
    return str(data["history"]["file"])


def _simulator_words(data: dict) -> str:
    return ("through simlib's simulation engine" if data["settings"]["simulator"] == "engine"
            else "with the fitted model's own sampler")


def _ks_clause(check: dict) -> str:
    ks = check["ks"]
    if ks["value"] <= ks["noise_95"]:
        return f"KS {ks_text(ks['value'])} (chance alone reaches {ks_text(ks['noise_95'])})"
    return (f"KS {ks_text(ks['value'])}, more than chance alone ({ks_text(ks['noise_95'])}): "
            "the model misses part of their pattern")


def _means_clause(check: dict, verb: str) -> str:
    m = check["mean_days"]
    return f"{days_text(m['simulated'])} on average {verb}, {days_text(m['observed'])} observed"


def headline(data: dict) -> str:
    """One sentence for the index and the top of the page: how well the model predicts invoices it did
    not see (a second history if given, else the customers held out), else how well it fits its own."""
    if data.get("other"):
        c = data["other"]["check"]
        return (f"The fitted model predicts the days to settle of the invoices in "
                f"{data['other']['history']['file']} within {_ks_clause(c)}: {_means_clause(c, 'predicted')}.")
    if data.get("cross_validation"):
        c = data["cross_validation"]
        return (f"The fitted model predicts unseen customers' days to settle within {_ks_clause(c)}: "
                f"{_means_clause(c, 'predicted')}.")
    c = data["in_sample"]
    return (f"The fitted model matches this history's days to settle within {_ks_clause(c)}, on the invoices "
            f"it was fitted to (no check on unseen invoices was run): {_means_clause(c, 'fitted')}.")


def _parameter(data: dict, name: str) -> float | None:
    return next((p["value"] for p in data["fit"]["parameters"] if p["name"] == name), None)


def _source_sentence(data: dict) -> str:
    fit = data["fit"]
    if fit["source"] == "history":
        return f"The parameters are fitted to all {data['history']['rows']:,} invoices of this history."
    on = fit.get("fitted_on") or {}
    where = f"{on.get('file', 'another history')} ({on.get('rows', '?')} invoices)"
    same = " — this history" if fit.get("same_history") else ": not this history"
    return f"The parameters are read from {fit['file']}, fitted to {where}{same}."


def title_block(data: dict):
    """``<h1>``, what the history is, and the summary box: the headline and the main findings."""
    h = data["history"]
    opened = (f"; {h['open']:,} were still open on the extraction date {h['extraction_date']}" if h["open"]
              else "; every invoice is settled")
    lead = (f"How well simlib's payment-timing model, fitted to a payment history, reproduces when its "
            f"invoices were paid. History {h['file']}: {h['rows']:,} invoices of {h['customers']:,} customers, "
            f"invoiced from {h['first_invoice']} to {h['last_invoice']}{opened}. {_source_sentence(data)}")
    points = []
    share = _parameter(data, "planner_share")
    terms = h["terms_days_median"]
    if share:
        scale = _parameter(data, "planned_day_scale_of_terms") or 0.0
        points.append(f"{value_text(share, 'share')} of customers pay on a planned day, typically about "
                      f"{days_text(scale * max(terms, 1.0))} after the invoice; a disputed invoice "
                      f"{days_text(_parameter(data, 'dispute_delay_days'))} later, a paper bill "
                      f"{days_text(_parameter(data, 'paper_delay_days'))} later. The others pay when prompted.")
    ins = data["in_sample"]
    shift = ins["group_shifts"]["disputed_minus_undisputed"]
    points.append(f"On these invoices: {_means_clause(ins, 'fitted')}; disputed invoices settle "
                  f"{days_text(shift['observed'])} later than undisputed ones, {days_text(shift['simulated'])} "
                  f"in the fitted model.")
    if data.get("cross_validation"):
        c = data["cross_validation"]
        points.append(f"Customers the fit did not see ({c['holdout_share']:.0%} of the customers at a time): "
                      f"{_ks_clause(c)}; {_means_clause(c, 'predicted')}.")
    if data.get("other"):
        c = data["other"]["check"]
        points.append(f"Invoices of {data['other']['history']['file']}: {_ks_clause(c)}; "
                      f"{_means_clause(c, 'predicted')}.")
    items = "".join(f"<li>{esc(p)}</li>" for p in points)
    return _html(f"<h1>{esc(REPORT_TITLE)} Calibration to {esc(_file(data))}</h1><p>{esc(lead)}</p>"
                 f"<div class=\"summary\"><p class=\"headline\">{esc(headline(data))}</p><ul>{items}</ul></div>"
                 f"{TOC_MARKER}")


# --------------------------------------------------------------------------- curves
def settle_curves(data: dict):
    """The observed and fitted settle curves (overall and per group), weekly shares, and the gaps in words."""
    curves = data["curves"]
    groups = curves["groups"]
    fitted_here = data["fit"]["source"] == "history" or data["fit"].get("same_history")
    intro = ("Each curve is the share of invoices settled within a number of days after the invoice. Observed: "
             "the Kaplan–Meier estimate (an open invoice counts as unsettled up to the extraction date), with a "
             f"95 % band from resampling the customers {curves['resamples']} times. Fitted: the model's own curve "
             "for the same invoices (their terms, amounts, dispute and paper flags)"
             + (", which are the invoices the parameters were fitted to." if fitted_here else "."))
    gaps = [f"{GROUP_LABELS[g].lower()}: {groups[g]['largest_gap'] * 100:.1f} percentage points on day "
            f"{groups[g]['largest_gap_day']}" for g in groups]
    n_days = len(curves["days"])
    outside = [f"{GROUP_LABELS[g].lower()} on {groups[g]['days_outside_band']} of {n_days} days, by at most "
               f"{groups[g]['largest_outside_band'] * 100:.1f} points" for g in groups
               if groups[g]["largest_outside_band"] >= BAND_TOLERANCE]
    band = (f"The fitted curve stays inside the observed 95 % band, or less than {BAND_TOLERANCE * 100:.1f} "
            "percentage points outside it, on every day for every group." if not outside
            else "The fitted curve leaves the observed 95 % band for " + "; ".join(outside) + ".")
    parts = [f"<h2>Observed and fitted days to settle</h2><p>{esc(intro)}</p>",
             figure_block(settle_curve_chart(curves),
                          "Share of invoices settled within each number of days after the invoice: observed "
                          "(solid, with its 95 % band) and fitted (dashed), for all invoices and by group.").data,
             f"<p>Largest gap between the observed and the fitted share: {esc('; '.join(gaps))}. {esc(band)}</p>",
             figure_block(weekly_chart(curves), _weekly_caption(data)).data]
    return _html("\n".join(parts))


def _weekly_caption(data: dict) -> str:
    weeks = weekly_settled(data["curves"]["groups"]["all"]["observed"])
    top = int(weeks.argmax())
    return (f"Share of all invoices settled in each week after the invoice: observed (bars) and fitted (line). "
            f"Most invoices settle on days {WEEK * top} to {WEEK * top + WEEK - 1} after the invoice; the usual "
            f"credit terms are {data['history']['terms_days_median']:g} days.")


# --------------------------------------------------------------------------- check tables
def _agreement(stat: dict, shift: bool) -> str:
    ci = stat.get("difference_ci95")
    if not ci or not finite(stat.get("difference")):
        return ""
    if ci[0] <= 0 <= ci[1]:
        return "agrees (within chance)"
    if shift:
        return "model's gap larger" if stat["difference"] > 0 else "model's gap smaller"
    return "model later" if stat["difference"] > 0 else "model earlier"


def _note(text: str) -> str:
    """A small grey line under a value (an interval, how it was found), or nothing."""
    return f"<br><span class=\"ci\">{esc(text)}</span>" if text else ""


def _cell(value: str, ci: str = "") -> str:
    return f"<td class=\"num\">{esc(value)}{_note(ci)}</td>"


def check_table(check: dict, caption: str, model_word: str = "Predicted"):
    """Mean days to settle observed vs the model, overall, by group and the group shifts, with 95 % CIs."""
    rows = [("All invoices", check["mean_days"], False)]
    rows += [(GROUP_LABELS[g], s, False) for g, s in check["mean_days_by_group"].items()]
    rows += [(SHIFT_LABELS[k], s, True) for k, s in check["group_shifts"].items()]
    body = []
    for label, s, shift in rows:
        value = diff_text if shift else value_text
        body.append(
            f"<tr><th scope=\"row\">{esc(label)}</th><td class=\"num\">{s['invoices']:,}</td>"
            + _cell(value(s["observed"], "days"), ci_text(*(s["observed_ci95"] or (None, None)), "days", shift))
            + _cell(value(s["simulated"], "days"), ci_text(*(s["simulated_ci95"] or (None, None)), "days", shift))
            + _cell(diff_text(s["difference"], "days"), ci_text(*(s["difference_ci95"] or (None, None)), "days", True))
            + f"<td>{esc(_agreement(s, shift))}</td></tr>")
    head = ("<th scope=\"col\">Mean days to settle</th><th scope=\"col\">Invoices</th><th scope=\"col\">Observed</th>"
            f"<th scope=\"col\">{esc(model_word)}</th><th scope=\"col\">Difference</th><th scope=\"col\">Verdict</th>")
    return (f"<div class=\"table-scroll\"><table class=\"calibration\"><caption>{esc(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _ks_paragraph(check: dict) -> str:
    ks = check["ks"]
    ci = ks.get("ci95")
    interval = f" (95 % CI {ks_text(ci[0])} to {ks_text(ci[1])})" if ci else ""
    return (f"<p>KS distance between the observed and the model's days to settle: "
            f"<strong>{esc(ks_text(ks['value']))}</strong>{esc(interval)}. Comparing the observed invoices with "
            f"resamples of their own customers gives up to {esc(ks_text(ks['noise_95']))} in 95 % of resamples: "
            "a distance below that is as close as this many customers can show.</p>")


def _censoring_note(check: dict) -> str:
    if check.get("censored_at_extraction"):
        return ("Open invoices count their days open (plus one) and a simulated invoice settled after the "
                "extraction date counts as open, so the means are restricted to what the history can show.")
    never = check.get("simulated_never_settled_share") or 0.0
    tail = f" {value_text(never, 'share')} of the simulated invoices never settle and are left out." if never else ""
    return "Every invoice of the history is settled: means are over settled invoices." + tail


def group_shifts(data: dict):
    """Mean days to settle by group, observed vs fitted on the fitted invoices (in-sample), with CIs."""
    ins = data["in_sample"]
    s = data["settings"]
    intro = (f"Mean days to settle of each kind of invoice, observed and in the fitted model, which simulated "
             f"each invoice {s['replications']} times {_simulator_words(data)}. Intervals resample the customers "
             f"({s['bootstrap']:,} times): a customer's invoices are alike, so invoices are not independent. "
             f"{_censoring_note(ins)}")
    return _html(f"<h2>Group shifts: who pays later</h2><p>{esc(intro)}</p>"
                 + check_table(ins, "Mean days to settle on the fitted history", "Fitted"))


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
    rows.append(f"<tr><th scope=\"row\">Typical amount (reference)</th>"
                f"<td class=\"num\">${fit['balance_ref']:,.2f}</td><td>—<br>"
                f"<span class=\"ci\">not fitted</span></td><td>The amount the payment rates above refer to: "
                f"the history's median invoice when fitted here.</td></tr>")
    ll = (f" Log-likelihood {number(fit['log_likelihood'], 6)}." if finite(fit.get("log_likelihood")) else "")
    intro = ("Maximum-likelihood estimates with 95 % confidence intervals (open invoices are right-censored). "
             "The model mixes two kinds of customer: planners, who pay on a day they plan around the due date, "
             "and prompted payers, who pay at a rate that jumps when the bill arrives and at the due date and "
             f"then fades. Rates are per day.{ll} {_source_sentence(data)}")
    head = ("<th scope=\"col\">Parameter</th><th scope=\"col\">Fitted value</th>"
            "<th scope=\"col\">95 % CI</th><th scope=\"col\">What it means</th>")
    return _html(f"<h2>The fitted parameters</h2><p>{esc(intro)}</p><div class=\"table-scroll\">"
                 f"<table class=\"calibration parameters\"><caption>Payment-timing parameters</caption>"
                 f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


# --------------------------------------------------------------------------- prediction
def _split_spread(cv: dict) -> str:
    ks = [s["ks"] for s in cv.get("splits", [])]
    noise = [s["ks_noise_95"] for s in cv.get("splits", [])]
    if len(ks) < 2:
        return ""
    return (f" Alone, one split's held-out customers score KS {ks_text(min(ks))} to {ks_text(max(ks))}, with "
            f"chance levels of {ks_text(min(noise))} to {ks_text(max(noise))}: which customers are held out moves "
            "one split's distance more than the model does, so the splits are pooled.")


def prediction(data: dict):
    """The checks on invoices the fit did not see: customers held out, and a second history."""
    s = data["settings"]
    parts = []
    if data.get("cross_validation"):
        cv = data["cross_validation"]
        n = len(cv.get("splits", []))
        text = (f"The fit was repeated {n} times, each time on {1 - cv['holdout_share']:.0%} of the customers, and "
                f"each fit predicted the invoices of the other {cv['holdout_share']:.0%}, customers it never saw "
                f"(seed {s['seed']}; every customer is held out equally often). Each held-out invoice was "
                f"simulated {s['replications']} times {_simulator_words(data)} with its own dates, amounts, terms "
                f"and flags, and the pooled predictions are compared with what the customers did."
                + _split_spread(cv))
        parts += [f"<h2>Predicting customers the fit did not see</h2><p>{esc(text)}</p>", _ks_paragraph(cv),
                  check_table(cv, "Mean days to settle of held-out customers", "Predicted"),
                  f"<p class=\"note\">{esc(_censoring_note(cv))}</p>"]
    if data.get("other"):
        other = data["other"]
        c, h = other["check"], other["history"]
        same = (" It is the same file as the history, so this is not an independent check."
                if h["sha256"] == data["history"]["sha256"] else "")
        text = (f"{h['file']}: {h['rows']:,} invoices of {h['customers']:,} customers, invoiced from "
                f"{h['first_invoice']} to {h['last_invoice']}. Each invoice was simulated {s['replications']} times "
                f"{_simulator_words(data)} with the parameters above and its own dates, amounts, terms and flags."
                + same)
        parts += [f"<h2>Check on {esc(h['file'])}</h2><p>{esc(text)}</p>", _ks_paragraph(c),
                  check_table(c, f"Mean days to settle of {h['file']}", "Predicted"),
                  f"<p class=\"note\">{esc(_censoring_note(c))}</p>"]
    if not parts:
        parts.append("<h2>Invoices the fit did not see</h2><p class=\"note\">This page checks the model only on "
                     "the invoices it was fitted to. A check on a second history, or on customers held out of "
                     "the fit, shows whether it predicts invoices it did not see.</p>")
    return _html("\n".join(parts))


# --------------------------------------------------------------------------- limitations, glossary, footer
def limitations(data: dict):
    """What the fit cannot tell, from this history and this fit."""
    h = data["history"]
    items = []
    if h["open"]:
        items.append(f"{h['open']:,} invoices ({value_text(h['open'] / h['rows'], 'share')}) were open on the "
                     "extraction date: they count as unpaid up to that day, and late payment is less well measured.")
    else:
        items.append("Every invoice in the history is settled: it is taken as followed to settlement. Invoices "
                     "never paid (written off) are not in it, so the model cannot say how many never pay.")
    spread = h.get("customer_mean_days_p10_p90")
    if spread:
        items.append(f"Customers differ: their own mean days to settle run from {days_text(spread[0])} to "
                     f"{days_text(spread[1])} (10th to 90th percentile). The model has no customer effect: it "
                     "predicts a customer drawn from the same population, not a particular one.")
    items.append("The history holds no reminders or calls, so the effect of contacts cannot be fitted from it: "
                 "the strategies' contact effects stay assumptions (see the sensitivity report).")
    items.append(f"One period ({h['first_invoice']} to {h['last_invoice']}) and one population: habits, terms "
                 "or the mix of customers may change.")
    edge = [parameter_label(p["name"]).lower() for p in data["fit"]["parameters"]
            if str(p["method"]).startswith("profile")]
    if edge:
        items.append(f"At the edge of its range: {', '.join(edge)}. The data show no measurable effect there, so "
                     "only an upper (or lower) limit is given.")
    items.append("The amount owed enters only through one sensitivity; payment plans and partial payments are "
                 "not in the history (an invoice is either open or settled).")
    items.append("Using these parameters in a scenario: set the spread of patients' willingness to pay to 0, "
                 "because the fit already describes how customers differ in timing.")
    return _html("<h2>What the fit cannot tell</h2><ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


CALIBRATION_TERMS: tuple[tuple[str, str], ...] = (
    ("Days to settle", "Days from the invoice date to the date the invoice was paid in full."),
    ("Open (censored) invoice", "An invoice not yet paid when the history was extracted: we know only that it "
     "took longer than its days open. Such a time is called right-censored."),
    ("Kaplan–Meier estimate", "The share of invoices settled within each number of days, estimated so that open "
     "invoices count as unpaid for as long as they were observed and no longer."),
    ("KS distance (Kolmogorov–Smirnov)", "The largest gap, over all days, between two curves of the share "
     "settled: 0 means identical, 0.05 means at most 5 percentage points apart on any day."),
    ("Planners and prompted payers", "The model's two kinds of customer: planners pay on a day they plan, "
     "around the due date; prompted payers pay at a rate raised by the bill and the due date, which fades."),
    ("Customer bootstrap", "Intervals found by redrawing whole customers at random many times: a customer's "
     "invoices are alike, so they are resampled together."),
    ("95 % CI (confidence interval)", "The range that would contain the true value in 95 % of repeated studies "
     "of this size. A difference whose interval includes zero cannot be told from chance."),
)


def glossary():
    """The terms of the calibration page, and the percentage points of the other reports."""
    shared = [(t, x) for t, x, _ in TERMS if t.startswith("pp ")]
    rows = "".join(f"<dt>{esc(t)}</dt><dd>{esc(x)}</dd>" for t, x in (*CALIBRATION_TERMS, *shared))
    return _html(f"<h2>Glossary</h2><dl class=\"glossary\">{rows}</dl>")


def reproducibility_footer(data: dict):
    """File, checksum, seed, replications, resamples, simulator, version and date: enough to rerun."""
    h, s = data["history"], data["settings"]
    items = [("History", h["file"]), ("SHA-256", h["sha256"][:16] + "…"), ("Invoices", f"{h['rows']:,}"),
             ("Seed", s["seed"]), ("Replications", s["replications"]), ("Bootstrap resamples", f"{s['bootstrap']:,}"),
             ("Simulator", s["simulator"]), ("simlib version", s.get("simlib_version")),
             ("Computed", _format_date(s["created"]) if s.get("created") else None)]
    if data.get("cross_validation"):
        items.insert(6, ("Customer splits", f"{s['splits']} × {s['holdout_share']:.0%} held out"))
    body = " · ".join(f"{esc(k)}: {esc(v)}" for k, v in items if v not in (None, ""))
    return _html(f"<div class=\"footer\"><h2>Reproducibility</h2><p>{body}</p><p>Rerun with "
                 "<code>simlib calibrate report</code> on the same files with the same seed to get identical "
                 "numbers.</p></div>")
