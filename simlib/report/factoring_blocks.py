"""The factoring section: offers against the status quo (terms in words, findings on liquidity
against price, factoring or borrowing from the credit line, key figures, paired differences) and
the cash-position chart."""
from __future__ import annotations

from collections.abc import Sequence

from simlib.core.language import N_, _, ngettext
from simlib.report.explanations import factoring_explanation
from simlib.report.figures import day_marks, figure_block, styles
from simlib.report.labels import strategy_labels
from simlib.report.liquidity_blocks import borrowing_answer
from simlib.report.markup import _html, esc, html_words
from simlib.report.metric_words import pd_notna
from simlib.analysis.numbers import ci_text, diff_text, value_text
from simlib.report.results import _strategies, _Subset
from simlib.report.strategy_words import _factoring_terms
from simlib.report.tables import difference_table, metric_table


FACTORING_PREFIX = "factoring_"
#: Shown with the offers when the scenario sets a cash floor (simlib.scenario.liquidity).
LIQUIDITY_METRICS = ("npv_after_liquidity", "credit_drawn_peak", "credit_interest",
                     "liquidity_infeasible")


def factoring_metrics(res) -> list[str]:
    return [m for m in dict.fromkeys(res.metrics["metric"]) if str(m).startswith(FACTORING_PREFIX)]


def factoring_strategies(res) -> list[str]:
    """Strategies that sold anything to a factor (a factoring metric non-zero in some run)."""
    fact = factoring_metrics(res)
    if not fact:
        return []
    rows = res.metrics[res.metrics["metric"].isin(fact)]
    active = rows[rows["value"].fillna(0) != 0]["strategy"].unique()
    return [s for s in _strategies(res) if s in set(active)]


def factoring_section(res):
    """Factoring offers against no factoring: their own metrics plus cash trough and NPV."""
    offers = factoring_strategies(res)
    if not offers:
        return _html(f"<h2>{esc(_('No factoring offers in this scenario'))}</h2><p>" + html_words(_(
            "None of the strategies in this scenario sells receivables to a factor, "
            "so there is nothing to compare here. Add a strategy with a factoring offer to "
            "the parameter file to see cash now against cash lost, the effective annual "
            "cost (APR), the lowest cash position, NPV and buy-back exposure.")) + "</p>")
    shown = [s for s in _strategies(res) if s == res.baseline or s in offers]
    sub = _Subset(res, shown)
    metrics = factoring_metrics(res) + [m for m in ("cash_trough", "npv_net_cash", "cash_collected",
                                                    *LIQUIDITY_METRICS) if m in set(res.metrics["metric"])]
    labels = strategy_labels(res)
    terms = "".join(f"<li><strong>{esc(labels.get(s, s))}</strong>: {esc(_factoring_terms(res.scenario.strategies[s]))}</li>"
                    for s in offers if s in res.scenario.strategies)
    listing = f"<p>{esc(_('The offers:'))}</p><ul>{terms}</ul>" if terms else ""
    listing += _factoring_findings(res, offers)
    listing += factor_side_block(res, offers)
    listing += borrowing_answer(res, offers)
    parts = [
        f"<h2>{esc(_('Factoring offers compared'))}</h2>",
        "<p>" + html_words(ngettext(
            "{count} factoring offer against the status quo “{base}”. Factoring brings cash forward (a higher "
            "lowest cash position) at a price (fees, charge-backs, buy-backs). The highest advance is not always "
            "the cheapest money: compare the effective annual cost with the liquidity it buys.",
            "{count} factoring offers against the status quo “{base}”. Factoring brings cash forward (a higher "
            "lowest cash position) at a price (fees, charge-backs, buy-backs). The highest advance is not always "
            "the cheapest money: compare the effective annual cost with the liquidity it buys.", len(offers)),
            count=len(offers), base=labels.get(res.baseline, res.baseline)) + "</p>",
        listing,
        factoring_explanation(res, offers).data,
        metric_table(sub, metrics, N_("Factoring offers: key figures")).data,
        difference_table(sub, ["cash_trough", "npv_net_cash", "npv_after_liquidity", "cash_collected",
                               "factoring_fees", "factoring_buybacks", "factoring_chargebacks"],
                         "Difference from the status quo (paired)").data,
    ]
    return _html("\n".join(parts))


def _factoring_findings(res, offers: Sequence[str]) -> str:
    """Per offer, in words: the liquidity bought (cash trough) against its price (NPV, APR)."""
    from simlib.analysis.summaries import paired_differences, summarize

    wanted = {"cash_trough", "npv_net_cash", "factoring_apr"}
    rows = res.metrics[res.metrics["metric"].isin(wanted) & res.metrics["strategy"].isin([res.baseline, *offers])]
    if rows.empty:
        return ""
    diffs = paired_differences(rows[rows["metric"] != "factoring_apr"], res.baseline).set_index(["strategy", "metric"])
    means = summarize(rows).set_index(["strategy", "metric"])["mean"]
    labels = strategy_labels(res)
    items = []
    for s in offers:
        bits = []
        for m, what in (("cash_trough", _("lowest cash position {change}")), ("npv_net_cash", _("NPV {change}"))):
            if (s, m) in diffs.index:
                d = diffs.loc[(s, m)]
                ci = ci_text(d["ci_low"], d["ci_high"], "usd", diff=True)
                bits.append(what.format(change=diff_text(d['mean_diff'], 'usd')) + (f" ({ci})" if ci else ""))
        if (s, "factoring_apr") in means.index and pd_notna(means[(s, "factoring_apr")]):
            bits.append(_("effective annual cost {rate}").format(rate=value_text(means[(s, 'factoring_apr')], 'share')))
        if bits:
            items.append(f"<li><strong>{esc(labels.get(s, s))}</strong>: {esc('; '.join(bits))}</li>")
    if not items:
        return ""
    return ("<p>" + html_words(_("Against the status quo “{base}” (paired differences):"),
                               base=labels.get(res.baseline, res.baseline)) + f"</p><ul>{''.join(items)}</ul>")


def factor_side_block(res, offers: Sequence[str]) -> str:
    """The factor's side of each offer (:mod:`simlib.analysis.factor_side`): its expected profit
    and loss, and the flag "no factor would offer these terms" when it expects to lose money."""
    from simlib.analysis.factor_side import factor_side

    rate = float(res.scenario.finance.cost_of_capital_annual)
    sides = []
    for s in offers:
        try:
            sides.append(factor_side(res.metrics, s, rate))
        except ValueError:
            continue
    return factor_side_html(sides, strategy_labels(res))


def factor_side_html(sides, labels: dict) -> str:
    """The table of the factor's expected P&L per offer, with the offers no factor would make named."""
    from simlib.analysis.factor_side import FLAG_WORDS

    if not sides:
        return ""
    rate = sides[0].cost_of_funds_annual
    rows = []
    for f in sides:
        ci = ci_text(f.pnl_ci[0], f.pnl_ci[1], "usd", diff=True)
        verdict = f"<strong>Loses money: {FLAG_WORDS}</strong>" if f.loses_money else "Profitable for the factor"
        rows.append(f"<tr><th scope=\"row\">{esc(labels.get(f.strategy, f.strategy))}</th>"
                    f"<td class=\"num\">{esc(value_text(f.advanced, 'usd'))}</td>"
                    f"<td class=\"num\">{esc(value_text(f.fees, 'usd'))}</td>"
                    f"<td class=\"num\">{esc(value_text(f.credit_loss, 'usd'))}</td>"
                    f"<td class=\"num\">{esc(value_text(f.cost_of_funds, 'usd'))}</td>"
                    f"<td class=\"num\">{esc(diff_text(f.pnl, 'usd'))}{' (' + esc(ci) + ')' if ci else ''}</td>"
                    f"<td>{verdict}</td></tr>")
    flagged = [labels.get(f.strategy, f.strategy) for f in sides if f.loses_money]
    warning = ""
    if flagged:
        names = ", ".join(f"“{esc(n)}”" for n in flagged)
        warning = (f"<p class=\"headline\">{names}: {FLAG_WORDS}. The factor would expect to lose money on "
                   "them, so their gains for the hospital are money a factor would not leave on the table; "
                   "do not plan on these terms.</p>")
    return (warning + "<div class=\"table-scroll\"><table><caption>Would a factor make this offer? The factor's "
            "expected profit and loss per offer over the simulated days</caption><thead><tr>"
            "<th scope=\"col\">Offer</th><th scope=\"col\">Cash advanced</th><th scope=\"col\">Fees it earns</th>"
            "<th scope=\"col\">Credit loss it bears</th><th scope=\"col\">Its cost of funds</th>"
            "<th scope=\"col\">Its expected profit (95 % CI)</th><th scope=\"col\">Verdict</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f"<p class=\"note\">The factor's profit = fees − credit loss on non-recourse bad debt − the cost of the "
            f"money it has out (advance dollar-days at {rate * 100:g} % a year, the scenario's cost of capital: an "
            "assumption). Its own servicing costs are not counted, so an offer flagged here loses money before "
            "them. Details: docs/factoring.md, \"The factor's side\".</p>")


def factoring_charts(res):
    """Cash position over time (what factoring buys), shown only when there are factoring offers."""
    offers = factoring_strategies(res)
    if not offers:
        return _html("")
    from simlib.report import plots

    sub = _Subset(res, [res.baseline] + offers)
    return figure_block(plots.cash_curve(sub.curves, styles(res), res.baseline, day_marks(res)),
                        _("Cash position by day per strategy: factoring lifts early cash; fees and "
                          "buy-backs lower it later. Lower panel: each offer's mean difference from the "
                          "status quo, run by run."))
