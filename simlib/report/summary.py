"""The recommendation in words: the headline sentence (also the index page's headline), the title
block and the executive summary box of what changes against the status quo."""
from __future__ import annotations

from simlib.report.labels import scenario_label, strategy_labels
from simlib.report.markup import TOC_MARKER, _format_date, _html, esc
from simlib.report.metric_words import _label_lower, higher_is_better
from simlib.report.numbers import ci_text, diff_text, is_zero_text, value_text, verdict
from simlib.report.results import _replications, _strategies, horizon_days
from simlib.report.results import recommendation as recommendation
from simlib.report.uncertainty_blocks import runs_phrase


def recommendation_sentence(res) -> str:
    """One plain sentence: what to adopt, by how much it beats the status quo, how sure we are."""
    from simlib.catalogue import KEY_METRIC, METRICS

    rec = recommendation(res)
    labels = strategy_labels(res)
    info = METRICS[KEY_METRIC]
    n = _replications(res)
    k = len(_strategies(res))
    p = f"{rec['probability_best'] * 100:.0f} %"
    base = labels.get(rec["baseline"], rec["baseline"])
    if rec["strategy"] == rec["baseline"]:
        return (f"Keep the status quo, “{base}”: none of the {k - 1} alternative "
                f"strateg{'y' if k == 2 else 'ies'} raised the {_label_lower(info.label)} on average; it "
                f"was the best strategy in {p} of {runs_phrase(res, n)}.")
    unit = info.unit
    verb = "raises" if rec["gain"] >= 0 else "lowers"
    ci = ci_text(rec["ci_low"], rec["ci_high"], unit)
    sentence = (f"Adopt “{labels.get(rec['strategy'], rec['strategy'])}”: over the {horizon_days(res):g} "
                f"simulated days it {verb} the {_label_lower(info.label)} by "
                f"{value_text(abs(rec['gain']), unit)}{f' ({ci})' if ci else ''} compared with the status quo, "
                f"“{base}”, and was the best of {k} strategies in {p} of {runs_phrase(res, n)}.")
    if not rec["significant"]:
        sentence += (" The interval includes zero, so this gain is not yet distinguishable "
                     "from chance at this number of runs.")
    return sentence


def headline(res) -> str:
    """The one-sentence recommendation used as the index headline and the summary's first line."""
    return recommendation_sentence(res)


def title_block(res, report_title: str):
    """``<h1>`` with the report and scenario names, and the scenario description."""
    scen = res.scenario
    prov = getattr(res, "provenance", {}) or {}
    parts = [f"<h1>{esc(report_title)}: {esc(scenario_label(scen))}</h1>"]
    if scen.description:
        parts.append(f"<p>{esc(scen.description)}</p>")
    sim = scen.simulation
    what = []
    if sim.encounters_per_day > 0:
        what.append(f"{sim.encounters_per_day:g} new patient encounters a day for "
                    f"{sim.billing_window_days:g} days")
    if sim.open_book_accounts > 0:
        what.append(f"an open book of {sim.open_book_accounts:,} receivables")
    when = _format_date(prov["created"]) if prov.get("created") else ""
    parts.append(
        f"<p class=\"note\">Simulated: {esc(' and '.join(what))}, followed to day "
        f"{sim.horizon_days:g}; {_replications(res)} Monte Carlo runs per strategy"
        f"{', computed ' + esc(when) if when else ''}. Money is in US dollars, totalled over the "
        f"{sim.horizon_days:g} simulated days unless stated.</p>")
    parts.append(TOC_MARKER)
    return _html("\n".join(parts))


_SUMMARY_METRICS = ("net_collection_rate", "cash_collected_usd", "days_in_ar", "ar_over_90_share",
                    "cost_to_collect", "bad_debt_rate", "cash_trough_usd", "contacts_per_account",
                    "calls_per_account", "disputes_per_account", "agency_share")


def _change_line(label: str, base: float, new: float, d, unit: str, hib) -> str | None:
    """"Label: 90.2 % → 92.8 % (+2.6 pp, 95 % CI +2.4 to +2.7 pp) — better", or None when the
    metric reads zero or n/a for both strategies (nothing to say)."""
    before, after = value_text(base, unit), value_text(new, unit)
    if all(is_zero_text(t) or t == "n/a" for t in (before, after)):
        return None
    word = verdict(d["mean_diff"], d["ci_low"], d["ci_high"], unit, hib)
    change = diff_text(d["mean_diff"], unit)
    ci = ci_text(d["ci_low"], d["ci_high"], unit, diff=True) if word != "no difference" else ""
    detail = ", ".join(t for t in (change if not is_zero_text(change) else "", ci) if t)
    return (f"<li><strong>{esc(label)}</strong>: {esc(before)} → {esc(after)}"
            f"{f' ({esc(detail)})' if detail else ''}{f' — {esc(word)}' if word else ''}</li>")


def executive_summary(res):
    """The summary box: the recommendation sentence, then what changes for the recommended
    strategy (or the best alternative) against the status quo, in words with CIs; each verdict
    agrees with the numbers as shown (a change that prints as zero is "no difference")."""
    from simlib.analysis import paired_differences, summarize
    from simlib.catalogue import METRICS

    rec = recommendation(res)
    labels = strategy_labels(res)
    chosen = rec["strategy"]
    if chosen == rec["baseline"] and len(_strategies(res)) > 1:
        from simlib.sensitivity import choose_strategy

        chosen = choose_strategy(res.metrics, rec["baseline"])  # the best alternative
    parts = ["<div class=\"summary\">", "<h2 id=\"executive-summary\">Executive summary</h2>",
             f"<p class=\"headline\">{esc(recommendation_sentence(res))}</p>"]
    present = [m for m in _SUMMARY_METRICS if m in set(res.metrics["metric"])]
    if chosen != rec["baseline"] and present:
        rows = res.metrics[res.metrics["metric"].isin(present)]
        means = summarize(rows).set_index(["strategy", "metric"])["mean"]
        diffs = paired_differences(rows, rec["baseline"]).set_index(["strategy", "metric"])
        items = []
        for m in present:
            if (chosen, m) not in diffs.index:
                continue
            line = _change_line(METRICS[m].label, means[(rec["baseline"], m)], means[(chosen, m)],
                                diffs.loc[(chosen, m)], METRICS[m].unit, higher_is_better(m))
            if line:
                items.append(line)
        if items:
            base, new = labels.get(rec["baseline"], rec["baseline"]), labels.get(chosen, chosen)
            parts.append(f"<p>What changes with “{esc(new)}” compared with the status quo "
                         f"“{esc(base)}” (status quo → {esc(new)}; the change is the mean of the "
                         "paired differences run by run):</p>")
            parts.append("<ul>" + "".join(items) + "</ul>")
    parts.append("<p class=\"note\">“Best” means the highest net present value of collections "
                 "net of collection costs, at the hospital's cost of capital. Every strategy is "
                 "run on the same simulated patients (common random numbers), so differences are "
                 "paired run by run. CI: 95 % confidence interval over the Monte Carlo runs; pp: "
                 "percentage points. “No clear difference”: the interval includes zero; “no "
                 "difference”: the change is zero at the precision shown.</p>")
    parts.append("</div>")
    return _html("\n".join(parts))
