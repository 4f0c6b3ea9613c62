"""The recommendation in words: the headline sentence (also the index page's headline), the title
block and the executive summary box of what changes against the status quo."""
from __future__ import annotations

from simlib.report.markup import _format_date, _html, esc
from simlib.report.metric_words import _label_lower, _signed
from simlib.report.results import _replications, _strategies


def recommendation(res) -> dict:
    """:func:`simlib.analysis.recommend` on the key metric against the results' baseline."""
    from simlib.analysis import recommend
    from simlib.catalogue import KEY_METRIC

    return recommend(res.metrics, res.baseline, KEY_METRIC)


def recommendation_sentence(res) -> str:
    """One plain sentence: what to adopt, by how much it beats the status quo, how sure we are."""
    from simlib.analysis import format_value
    from simlib.catalogue import KEY_METRIC, METRICS

    rec = recommendation(res)
    info = METRICS[KEY_METRIC]
    n = _replications(res)
    k = len(_strategies(res))
    p = f"{rec['probability_best'] * 100:.0f} %"
    if rec["strategy"] == rec["baseline"]:
        return (f"Keep the status quo, “{rec['baseline']}”: none of the {k - 1} alternative "
                f"strateg{'y' if k == 2 else 'ies'} raised the {_label_lower(info.label)} on average; it "
                f"was the best strategy in {p} of {n} simulated runs.")
    unit = info.unit
    verb = "raises" if rec["gain"] >= 0 else "lowers"
    sentence = (f"Adopt “{rec['strategy']}”: it {verb} the {_label_lower(info.label)} by "
                f"{format_value(abs(rec['gain']), unit)} (95 % CI {format_value(rec['ci_low'], unit)} to "
                f"{format_value(rec['ci_high'], unit)}) compared with the status quo, "
                f"“{rec['baseline']}”, and was the best of {k} strategies in {p} of {n} simulated runs.")
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
    parts = [f"<h1>{esc(report_title)}: {esc(scen.name)}</h1>"]
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
        f"{', computed ' + esc(when) if when else ''}.</p>")
    return _html("\n".join(parts))


_SUMMARY_METRICS = ("net_collection_rate", "cash_collected_usd", "days_in_ar", "ar_over_90_share",
                    "cost_to_collect", "bad_debt_rate", "cash_trough_usd", "contacts_per_account",
                    "calls_per_account", "disputes_per_account", "agency_share")


def executive_summary(res):
    """The summary box: the recommendation sentence, then what changes for the recommended
    strategy (or the best alternative) against the status quo, in words with CIs."""
    from simlib.analysis import format_value, paired_differences, summarize
    from simlib.catalogue import METRICS

    rec = recommendation(res)
    chosen = rec["strategy"]
    if chosen == rec["baseline"] and len(_strategies(res)) > 1:
        from simlib.sensitivity import choose_strategy

        chosen = choose_strategy(res.metrics, rec["baseline"])  # the best alternative
    parts = ["<div class=\"summary\">", "<h2>Executive summary</h2>",
             f"<p class=\"headline\">{esc(recommendation_sentence(res))}</p>"]
    if chosen != rec["baseline"]:
        present = [m for m in _SUMMARY_METRICS if m in set(res.metrics["metric"])]
        rows = res.metrics[res.metrics["metric"].isin(present)]
        means = summarize(rows).set_index(["strategy", "metric"])["mean"]
        diffs = paired_differences(rows, rec["baseline"]).set_index(["strategy", "metric"])
        items = []
        for m in present:
            info = METRICS[m]
            if (chosen, m) not in diffs.index:
                continue
            d = diffs.loc[(chosen, m)]
            verdict = ""
            if info.higher_is_better is not None and (d["ci_low"] > 0 or d["ci_high"] < 0):
                better = (d["mean_diff"] > 0) == info.higher_is_better
                verdict = " — better" if better else " — worse"
            elif d["ci_low"] <= 0 <= d["ci_high"]:
                verdict = " — no clear difference"
            items.append(
                f"<li><strong>{esc(info.label)}</strong>: "
                f"{esc(format_value(means[(rec['baseline'], m)], info.unit))} → "
                f"{esc(format_value(means[(chosen, m)], info.unit))} "
                f"({esc(_signed(d['mean_diff'], info.unit))}, 95 % CI "
                f"{esc(format_value(d['ci_low'], info.unit))} to "
                f"{esc(format_value(d['ci_high'], info.unit))}){esc(verdict)}</li>")
        if items:
            parts.append(f"<p>What changes with “{esc(chosen)}” compared with the status quo "
                         f"“{esc(rec['baseline'])}” (status quo → {esc(chosen)}, paired "
                         "difference):</p>")
            parts.append("<ul>" + "".join(items) + "</ul>")
    parts.append("<p class=\"note\">“Best” means the highest net present value of collections "
                 "net of collection costs, at the hospital's cost of capital. Every strategy is "
                 "run on the same simulated patients (common random numbers), so differences are "
                 "paired run by run. CI: 95 % confidence interval over the Monte Carlo runs.</p>")
    parts.append("</div>")
    return _html("\n".join(parts))
