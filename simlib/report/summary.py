"""The recommendation in words: the headline sentence (also the index page's headline) with the
runner-up and its paired margin, the title block and the executive summary box of what changes
against the status quo. Every difference turned into words goes through
:func:`simlib.analysis.numbers.verdict` with the scenario's materiality (:mod:`simlib.scenario.materiality`)."""
from __future__ import annotations

from collections.abc import Sequence

from simlib.core.language import _, currency_name, ngettext, number_text, short_number_text
from simlib.model.measurement_window import window_sentence
from simlib.analysis.decision import NOT_MATERIAL
from simlib.core.metric_catalogue import KEY_METRIC
from simlib.scenario.materiality import threshold_text, threshold_words
from simlib.report.labels import scenario_label, strategy_labels
from simlib.report.markup import TOC_MARKER, Sentence, _format_date, _html, esc, html_words
from simlib.report.metric_words import _label_lower, higher_is_better
from simlib.analysis.numbers import NA, ci_text, diff_text, is_zero_text, value_text, verdict, verdict_words
from simlib.report.results import _replications, horizon_days, recommendation
from simlib.report.uncertainty_blocks import runs_phrase


#: Metrics on which two strategies the key metric cannot separate may still differ (in this order).
OTHER_GROUNDS = ("cash_trough", "collection_cost", "bad_debt_rate", "days_in_ar",
                 "patient_collection_rate")


def simulated_what(sim) -> list[str]:
    """What a run simulates, in the page's language: the new encounters and any book on day 0 (the
    comparison's scope note and the board summary's say the same)."""
    what = []
    if sim.encounters_per_day > 0:
        what.append(_("{per_day} new patient encounters a day for {days} days").format(
            per_day=short_number_text(sim.encounters_per_day), days=short_number_text(sim.billing_window_days)))
    if sim.open_book_accounts > 0:
        what.append(_("an open book of {accounts} receivables").format(accounts=number_text(sim.open_book_accounts)))
    if sim.open_book is not None:
        what.append(_("the open book of the hospital's A/R aging report"))
    return what


def other_grounds(res, first: str, second: str, limit: int = 2) -> list[str]:
    """Phrases naming where one of two strategies is materially and clearly better than the other
    on the metrics of :data:`OTHER_GROUNDS` (``"“Y” has the higher lowest cash position
    (−$1.05M against −$1.10M)"``), at most ``limit``; judged by :func:`verdict` like every table."""
    from simlib.analysis.summaries import paired_differences, summarize
    from simlib.core.metric_catalogue import METRICS

    labels = strategy_labels(res)
    decision = recommendation(res).thresholds
    present = [m for m in OTHER_GROUNDS if m in set(res.metrics["metric"])]
    rows = res.metrics[res.metrics["metric"].isin(present) & res.metrics["strategy"].isin([first, second])]
    if rows.empty or rows["strategy"].nunique() < 2:
        return []
    diffs = paired_differences(rows, first).set_index(["strategy", "metric"])
    means = summarize(rows).set_index(["strategy", "metric"])["mean"]
    out = []
    for m in present:
        if (second, m) not in diffs.index:
            continue
        d, info = diffs.loc[(second, m)], METRICS[m]
        word = verdict(d["mean_diff"], d["ci_low"], d["ci_high"], info.unit, info.higher_is_better, decision)
        if word not in ("better", "worse"):
            continue
        win, lose = (second, first) if word == "better" else (first, second)
        message = (_("“{strategy}” has the higher {metric} ({value} against {other})")
                   if info.higher_is_better is not False else
                   _("“{strategy}” has the lower {metric} ({value} against {other})"))
        out.append(message.format(strategy=labels.get(win, win), metric=_label_lower(info.label),
                                  value=value_text(means[(win, m)], info.unit),
                                  other=value_text(means[(lose, m)], info.unit)))
    return out[:limit]


def _tie_sentence(res, first: str, second: str, margin: dict, unit: str) -> str:
    """“X” and “Y” are not materially different …; choose on other grounds: …"""
    labels = strategy_labels(res)
    a, b = labels.get(first, first), labels.get(second, second)
    ci = ci_text(margin["ci_low"], margin["ci_high"], unit)
    gap = value_text(abs(margin["margin"]), unit)
    below = _below(res, unit)
    grounds = other_grounds(res, first, second)
    reason = ("; ".join(grounds) if grounds else
              _("neither is materially better on the lowest cash position, collection cost, bad debt or "
                "days in A/R, so weigh what the model leaves out: the patients' experience and the effort "
                "of putting each in place"))
    return _("“{first}” and “{second}” are not materially different ({gap} apart{ci}{below}); "
             "choose between them on other grounds: {reason}.").format(
                 first=a, second=b, gap=gap, ci=f", {ci}" if ci else "", below=below, reason=reason)


def _below(res, unit: str) -> str:
    """", below the $25,000 materiality threshold" ("" when the unit has none)."""
    limit = threshold_text(recommendation(res).thresholds, unit)
    return _(", below the {threshold} materiality threshold").format(threshold=limit) if limit else ""


def recommendation_sentence(res) -> str:
    """The decision (:func:`simlib.report.results.recommendation`, computed once with the results)
    in plain words: what to adopt, its paired gain over the status quo with its CI, the runner-up
    and the paired margin over it, and how often it was best. The verdicts are the decision's: a
    gain or margin below the scenario's materiality threshold is never called a gain ("not
    materially different"; choose on other grounds)."""
    from simlib.core.metric_catalogue import METRICS

    rec = recommendation(res)
    labels = strategy_labels(res)
    unit = rec.unit
    n, k = rec.replications, rec.strategies
    p = _("{percent} %").format(percent=number_text(rec.probability_best * 100))
    base = labels.get(rec.baseline, rec.baseline)
    best = labels.get(rec.strategy, rec.strategy)
    what, days = _label_lower(METRICS[rec.metric].label), short_number_text(horizon_days(res))
    runs = runs_phrase(res, n)
    if rec.keeps_status_quo:
        sentence = ngettext(
            "Keep the status quo, “{base}”: none of the {alternatives} alternative strategy raised the "
            "{metric} on average; it was the best strategy in {share} of {runs}.",
            "Keep the status quo, “{base}”: none of the {alternatives} alternative strategies raised the "
            "{metric} on average; it was the best strategy in {share} of {runs}.", k - 1).format(
                base=base, alternatives=k - 1, metric=what, share=p, runs=runs)
        if rec.runner_up is not None:
            sentence += " " + _runner_up_clause(res, rec, lead="")
        return sentence
    ci = ci_text(rec.ci_low, rec.ci_high, unit, diff=True)
    in_brackets = f" ({ci})" if ci else ""
    gain = _("{change} {metric} over {days} days").format(change=diff_text(rec.gain, unit), metric=what, days=days)
    if rec.gain_verdict in NOT_MATERIAL:
        grounds = other_grounds(res, rec.baseline, rec.strategy)
        return (_("Keep the status quo, “{base}”, unless other grounds decide: no strategy is materially "
                  "better. “{best}” ranks first, changing the {metric} by {change} over "
                  "{days} days{ci}{below}; it was the best of {strategies} strategies "
                  "in {share} of {runs}.").format(
                      base=base, best=best, metric=what, change=diff_text(rec.gain, unit), days=days,
                      ci=in_brackets, below=_below(res, unit), strategies=k, share=p, runs=runs)
                + (" " + _("On other grounds: {grounds}.").format(grounds="; ".join(grounds)) if grounds else ""))
    sentence = _("Adopt “{best}”: {gain} compared with the status quo, “{base}”{ci}").format(
        best=best, gain=gain, base=base, ci=in_brackets)
    if rec.runner_up is not None and rec.runner_up != rec.baseline:
        clause = _runner_up_clause(res, rec, lead="; ")
        if rec.margin_verdict in NOT_MATERIAL:  # not materially different: either, on other grounds
            other = labels.get(rec.runner_up, rec.runner_up)
            sentence = _("Adopt “{best}” or “{other}”: “{best}” adds {gain} compared with the status quo, "
                         "“{base}”{ci}. {clause}").format(best=best, other=other, gain=gain, base=base,
                                                          ci=in_brackets, clause=clause)
        else:
            sentence += clause
    sentence += ". " + _("“{best}” was the best of {strategies} strategies in {share} of {runs}.").format(
        best=best, strategies=k, share=p, runs=runs)
    if rec.gain_verdict == "no clear difference":
        sentence += " " + _("The interval of its gain includes zero, so the gain is not yet distinguishable "
                            "from chance at this number of runs.")
    return sentence.replace(".. ", ". ")


def _runner_up_clause(res, rec, lead: str) -> str:
    """"; the runner-up, “Y”, is $120k behind (95 % CI $100k to $140k)", or the tie sentence."""
    labels = strategy_labels(res)
    unit, second = rec.unit, rec.runner_up
    margin = {"margin": rec.margin, "ci_low": rec.margin_ci_low, "ci_high": rec.margin_ci_high}
    if rec.margin_verdict in NOT_MATERIAL:
        return _tie_sentence(res, rec.strategy, second, margin, unit)
    ci = ci_text(rec.margin_ci_low, rec.margin_ci_high, unit)
    name = labels.get(second, second)
    status = _(" (the status quo)") if second == rec.baseline else ""
    message = (_("the runner-up, “{name}”{status}, is {margin} behind{ci}") if rec.margin > 0 else
               _("the runner-up, “{name}”{status}, is {margin} ahead on average{ci}"))
    text = lead + message.format(name=name, status=status, margin=value_text(abs(rec.margin), unit),
                                 ci=f" ({ci})" if ci else "")
    if rec.margin_verdict == "no clear difference":
        text += _(", a margin not yet distinguishable from chance")
    return text if lead else text[:1].upper() + text[1:] + "."


def headline(res) -> str:
    """The recommendation used as the index headline and the summary's first line."""
    return recommendation_sentence(res)


def title_block(res, report_title: str):
    """``<h1>`` with the report and scenario names, and the scenario description."""
    scen = res.scenario
    prov = getattr(res, "provenance", {}) or {}
    parts = [f"<h1>{esc(_(report_title))}: {esc(scenario_label(scen))}</h1>"]
    if scen.description:
        parts.append(f"<p>{esc(scen.description)}</p>")
    sim = scen.simulation
    what = simulated_what(sim)
    when = _format_date(prov["created"]) if prov.get("created") else ""
    horizon = short_number_text(sim.horizon_days)
    parts.append("<p class=\"note\">" + html_words(_(
        "Simulated: {what}, followed to day {horizon}; {runs} Monte Carlo runs per strategy{computed}. "
        "Money is in {currency}, totalled over the {horizon} simulated days unless stated."),
            what=_(" and ").join(what), horizon=horizon, runs=_replications(res),
            computed=_(", computed {when}").format(when=when) if when else "", currency=currency_name())
        + f" {esc(window_sentence(sim))}</p>")
    parts.append(TOC_MARKER)
    return _html("\n".join(parts))


_SUMMARY_METRICS = ("net_collection_rate", "cash_collected", "days_in_ar", "ar_over_90_share",
                    "cost_to_collect", "bad_debt_rate", "cash_trough", "contacts_per_account",
                    "calls_per_account", "disputes_per_account", "agency_share")


def _change_line(label: str, base: float, new: float, d, unit: str, hib, decision=None) -> str | None:
    """"Label: 90.2 % → 92.8 % (+2.6 pp, 95 % CI +2.4 to +2.7 pp) — better", or None when the
    metric reads zero or n/a for both strategies (nothing to say)."""
    before, after = value_text(base, unit), value_text(new, unit)
    if all(is_zero_text(t) or t == _(NA) for t in (before, after)):
        return None
    word = verdict(d["mean_diff"], d["ci_low"], d["ci_high"], unit, hib, decision)
    change = diff_text(d["mean_diff"], unit)
    ci = ci_text(d["ci_low"], d["ci_high"], unit, diff=True) if word != "no difference" else ""
    detail = ", ".join(t for t in (change if not is_zero_text(change) else "", ci) if t)
    return (f"<li><strong>{esc(label)}</strong>: {esc(before)} → {esc(after)}"
            f"{f' ({esc(detail)})' if detail else ''}{f' — {esc(verdict_words(word))}' if word else ''}</li>")


def executive_summary(res, extra_sentences: Sequence[str] = ()):
    """The summary box: the recommendation sentence (with the runner-up and its margin), then
    ``extra_sentences`` (plain text, e.g. where the ranking flips; each its own paragraph), then
    what changes for the recommended strategy (or the best alternative) against the status quo,
    in words with CIs; each verdict agrees with the numbers as shown (a change that prints as zero
    is "no difference", one below the scenario's materiality threshold "no material difference")."""
    from simlib.analysis.summaries import paired_differences, summarize
    from simlib.core.metric_catalogue import METRICS

    rec = recommendation(res)
    labels = strategy_labels(res)
    baseline = rec.baseline
    chosen = rec.runner_up if rec.keeps_status_quo and rec.runner_up is not None else rec.strategy  # the best alternative
    parts = ["<div class=\"summary\">", f"<h2 id=\"executive-summary\">{esc(_('Executive summary'))}</h2>",
             f"<p class=\"headline\">{esc(recommendation_sentence(res))}</p>"]
    parts += [f"<p>{esc(text)}</p>" for text in extra_sentences if text and text.strip()]
    decision = recommendation(res).thresholds
    present = [m for m in _SUMMARY_METRICS if m in set(res.metrics["metric"])]
    if chosen != baseline and present:
        rows = res.metrics[res.metrics["metric"].isin(present)]
        means = summarize(rows).set_index(["strategy", "metric"])["mean"]
        diffs = paired_differences(rows, baseline).set_index(["strategy", "metric"])
        items = []
        for m in present:
            if (chosen, m) not in diffs.index:
                continue
            line = _change_line(METRICS[m].label, means[(baseline, m)], means[(chosen, m)],
                                diffs.loc[(chosen, m)], METRICS[m].unit, higher_is_better(m), decision)
            if line:
                items.append(line)
        if items:
            base, new = labels.get(baseline, baseline), labels.get(chosen, chosen)
            parts.append("<p>" + html_words(_("What changes with “{new}” compared with the status quo "
                                              "“{base}” (status quo → {new}; the change is the mean of the "
                                              "paired differences run by run):"), new=new, base=base) + "</p>")
            parts.append("<ul>" + "".join(items) + "</ul>")
    interest = (_(", less the interest on the credit line that keeps cash above the scenario's minimum")
                if rec.metric != KEY_METRIC else "")
    parts.append("<p class=\"note\">" + html_words(_(
        "“Best” means the highest net present value of collections "
        "net of collection costs{interest}, at the hospital's cost of capital. Every strategy is "
        "run on the same simulated patients (common random numbers), so differences are "
        "paired run by run. CI: 95 % confidence interval over the Monte Carlo runs; pp: "
        "percentage points. “No clear difference”: the interval includes zero; “no "
        "material difference”: the change as shown is smaller than this scenario's materiality "
        "threshold ({thresholds}); “no difference”: the change is zero "
        "at the precision shown. The runner-up is the strategy ranked second; its margin is "
        "the paired difference from the recommended strategy, run by run."),
            interest=Sentence(interest), thresholds=threshold_words(decision)) + "</p>")
    parts.append("</div>")
    return _html("\n".join(parts))
