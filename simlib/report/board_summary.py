"""The board summary: the first page of the board pack, one printed A4 page.

It holds the answer in one sentence, one chart of every strategy's gain over the status quo with
its 95 % CI, and three bullets — what the chosen strategy gains, how sure the answer is, what it
asks of patients and staff. Every conclusion is the run's decision
(:class:`simlib.analysis.decision.Recommendation`, computed once with the results and read through
:func:`simlib.report.results.recommendation`): this page ranks nothing and judges no difference
itself; it only formats the decision's numbers and the metrics' paired changes. Its words are the
templates of :mod:`simlib.report.board_words` (one place to translate).
"""
from __future__ import annotations

from simlib.core.language import _, currency_words
from simlib.analysis.decision import NOT_MATERIAL
from simlib.analysis.numbers import ci_text, diff_text, is_zero_text, value_text
from simlib.core.metric_catalogue import METRICS
from simlib.report.board_words import board_text
from simlib.report.labels import scenario_label, strategy_labels
from simlib.report.markup import _format_date, _html, esc
from simlib.report.metric_words import _label_lower
from simlib.report.results import horizon_days, recommendation
from simlib.report.summary import simulated_what
from simlib.report.uncertainty_blocks import runs_phrase
from simlib.scenario.liquidity import INFEASIBLE_SHARE_MAX
from simlib.scenario.materiality import threshold_text

#: What the chosen strategy gains beyond the decision metric: collection and speed (in this order).
GAIN_METRICS = ("net_collection_rate", "patient_collection_rate", "days_in_ar")
#: What it asks of patients (the phone team, for staff, is read from the strategy's settings).
ASK_METRICS = ("contacts_per_account", "complaints_per_1000_accounts", "deposits_asked")


def _ci(low, high, unit: str, diff: bool = False) -> str:
    text = ci_text(low, high, unit, diff)
    return board_text("ci", ci=text) if text else ""


def _below(rec) -> str:
    limit = threshold_text(rec.thresholds, rec.unit)
    return board_text("below", limit=limit) if limit else ""


def _share_text() -> str:
    return value_text(INFEASIBLE_SHARE_MAX, "share").replace(".0 %", " %")


def chosen_strategy(res) -> str:
    """The strategy the page describes: the recommended one, or the best alternative when the
    status quo is kept (the decision's runner-up); the status quo itself when it stands alone."""
    rec = recommendation(res)
    if rec.keeps_status_quo and rec.runner_up is not None:
        return rec.runner_up
    return rec.strategy


def answer_sentence(res) -> str:
    """The decision in one sentence: adopt (or keep the status quo), the paired gain with its CI.
    The verdicts — material or not, beyond chance or not, tied with the runner-up or not — are the
    decision's (:mod:`simlib.analysis.decision`)."""
    rec = recommendation(res)
    labels = strategy_labels(res)
    base, best = labels.get(rec.baseline, rec.baseline), labels.get(rec.strategy, rec.strategy)
    what, days = _label_lower(METRICS[rec.metric].label), f"{horizon_days(res):g}"
    gain, ci = diff_text(rec.gain, rec.unit), _ci(rec.ci_low, rec.ci_high, rec.unit, diff=True)
    if rec.keeps_status_quo:
        text = board_text("answer_keep", base=base, what=what)
    elif rec.gain_verdict in NOT_MATERIAL:
        text = board_text("answer_keep_unless", base=base, best=best, what=what, gain=gain, days=days,
                          ci=ci, below=_below(rec))
    elif rec.runner_up not in (None, rec.baseline) and rec.margin_verdict in NOT_MATERIAL:
        text = board_text("answer_adopt_either", best=best, other=labels.get(rec.runner_up, rec.runner_up),
                          gain=gain, what=what, days=days, base=base, ci=ci)
    elif rec.gain_verdict == "no clear difference":
        text = board_text("answer_adopt_unclear", best=best, gain=gain, what=what, days=days, base=base, ci=ci)
    else:
        text = board_text("answer_adopt", best=best, gain=gain, what=what, days=days, base=base, ci=ci)
    if not rec.feasible:
        text += board_text("answer_all_short", share=_share_text())
    return text


def _changes(res, chosen: str, metrics) -> list[str]:
    """"net collection rate 90.2 % → 92.8 %" for each of ``metrics`` the results carry, status quo
    → ``chosen`` (means over the runs); a metric reading zero (or n/a) for both is left out."""
    from simlib.analysis.summaries import summarize

    present = [m for m in metrics if m in set(res.metrics["metric"])]
    rows = res.metrics[res.metrics["metric"].isin(present) & res.metrics["strategy"].isin([res.baseline, chosen])]
    if rows.empty:
        return []
    means = summarize(rows).set_index(["strategy", "metric"])["mean"]
    out = []
    for m in present:
        if (res.baseline, m) not in means.index or (chosen, m) not in means.index:
            continue
        unit = METRICS[m].unit
        before, after = value_text(means[(res.baseline, m)], unit), value_text(means[(chosen, m)], unit)
        if all(is_zero_text(t) or t == "n/a" for t in (before, after)):
            continue
        out.append(board_text("change", label=_label_lower(METRICS[m].label), before=before, after=after))
    return out


def _agents(res, strategy: str) -> str:
    settings = (getattr(res.scenario, "strategies", None) or {}).get(strategy)
    team = getattr(settings, "phone_team", None)
    if team is None:
        return board_text("no_phone_team")
    return board_text("agent") if team.agents == 1 else board_text("agents", n=team.agents)


def board_bullets(res) -> list[tuple[str, str]]:
    """The three bullets as (lead, text): what the chosen strategy (:func:`chosen_strategy`) gains,
    how sure the decision is, what it asks of patients and staff. Empty with a single strategy."""
    rec = recommendation(res)
    labels = strategy_labels(res)
    chosen = chosen_strategy(res)
    if chosen == rec.baseline:
        return []
    name = labels.get(chosen, chosen)
    unit, what, days = rec.unit, _label_lower(METRICS[rec.metric].label), f"{horizon_days(res):g}"
    if rec.keeps_status_quo:  # the decision's margin is the status quo's lead over this alternative
        gain, low, high = -rec.margin, -rec.margin_ci_high, -rec.margin_ci_low
    else:
        gain, low, high = rec.gain, rec.ci_low, rec.ci_high
    gains = [board_text("gains", gain=diff_text(gain, unit), what=what, days=days, ci=_ci(low, high, unit, True))]
    gains += _changes(res, chosen, GAIN_METRICS)

    runs = runs_phrase(res, rec.replications)
    sure = [board_text("sure_best", k=rec.strategies, p=f"{rec.probability_best * 100:.0f} %", runs=runs)]
    if rec.keeps_status_quo:
        sure.append(board_text("status_quo_is_best", k=rec.strategies, name=name))
    else:
        sure.append(board_text("sure_excludes" if rec.significant else "sure_includes"))
        if rec.runner_up is not None:
            other = labels.get(rec.runner_up, rec.runner_up)
            status = board_text("status_quo_mark") if rec.runner_up == rec.baseline else ""
            margin = value_text(abs(rec.margin), unit)
            m_ci = _ci(rec.margin_ci_low, rec.margin_ci_high, unit)
            if rec.margin_verdict in NOT_MATERIAL:
                plain = ci_text(rec.margin_ci_low, rec.margin_ci_high, unit)
                sure.append(board_text("sure_tie", name=other, margin=margin,
                                       ci=board_text("ci_inline", ci=plain) if plain else "", below=_below(rec)))
            else:
                key = "sure_runner_up" if rec.margin > 0 else "sure_runner_up_ahead"
                text = board_text(key, name=other, status=status, margin=margin, ci=m_ci)
                if rec.margin_verdict == "no clear difference":
                    text += board_text("sure_runner_up_chance")
                sure.append(text)
    if rec.infeasible and rec.feasible:
        names = ", ".join(f"“{labels.get(s, s)}”" for s in rec.infeasible)
        sure.append(board_text("sure_infeasible", names=names, share=_share_text()))

    asks = _changes(res, chosen, ASK_METRICS)
    before, after = _agents(res, rec.baseline), _agents(res, chosen)
    none = board_text("no_phone_team")
    asks.append(board_text("asks_no_phone") if before == after == none
                else board_text("asks_phone", before=before, after=after))
    return [(board_text("gains_lead", name=name), "; ".join(gains)),
            (board_text("sure_lead"), "; ".join(sure)),
            (board_text("asks_lead"), "; ".join(asks))]


def board_summary(res):
    """The board summary page's content: heading, scope, the answer, the gain chart, three bullets
    and a note on how to read them (module docstring). Sized for one printed A4 page (the page
    CSS's ``.board`` rules)."""
    from simlib.report.figures import difference_chart

    rec = recommendation(res)
    sim = res.scenario.simulation
    prov = getattr(res, "provenance", {}) or {}
    what = simulated_what(sim)
    computed = board_text("computed", date=_format_date(prov["created"])) if prov.get("created") else ""
    scope = board_text("scope", runs=runs_phrase(res, rec.replications), what=_(" and ").join(what),
                       days=f"{sim.horizon_days:g}", computed=computed, money=currency_words(getattr(res.scenario, "currency", "USD")))
    parts = ["<div class=\"board\">",
             f"<h1>{esc(board_text('heading', scenario=scenario_label(res.scenario)))}</h1>",
             f"<p class=\"note\">{esc(scope)}</p>",
             f"<p class=\"headline answer\">{esc(answer_sentence(res))}</p>"]
    bullets = board_bullets(res)
    if bullets:
        caption = board_text("chart_caption", what=_label_lower(METRICS[rec.metric].label))
        parts.append(difference_chart(res, caption=caption).data)
        parts.append("<ul class=\"board-points\">" + "".join(
            f"<li><strong>{esc(lead)}</strong>: {esc(text)}.</li>" for lead, text in bullets) + "</ul>")
        name = strategy_labels(res).get(chosen_strategy(res), chosen_strategy(res))
        parts.append(f"<p class=\"note\">{esc(board_text('note', name=name, runs=runs_phrase(res, rec.replications)))}</p>")
    else:
        parts.append(f"<p>{esc(board_text('nothing_to_compare'))}</p>")
    parts.append("</div>")
    return _html("\n".join(parts))
