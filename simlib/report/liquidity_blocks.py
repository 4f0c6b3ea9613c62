"""Liquidity in words: the cash floor and credit line a scenario states, which strategies cannot be
recommended because their cash falls below the floor beyond the line, and — for factoring offers —
the answer to "factor or borrow?" with the borrowing rate, credit line and cash floor at which an
offer becomes worth taking (:func:`simlib.scenario.liquidity.compare_with_borrowing`)."""
from __future__ import annotations

import math

from simlib.report.labels import strategy_labels
from simlib.core.language import _, localised, ngettext, short_number_text
from simlib.report.markup import esc, html_words
from simlib.analysis.numbers import value_text
from simlib.report.results import _replications, recommendation


def rate_text(rate: float) -> str:
    """An annual rate: ``0.07`` → "7 %", ``0.927`` → "92.7 %", ``12.3`` → "1,230 %"."""
    pct = rate * 100
    return _("{share} %").format(share=localised(f"{pct:,.0f}" if pct >= 100 else f"{pct:.3g}"))


def _floor_and_line(fin) -> str:
    """"The hospital keeps at least $0 in cash; a credit line of $2.00M at 7 % a year funds …"."""
    floor = value_text(fin.minimum_cash, "usd")
    line = fin.credit_line
    if line is None:
        return _("The hospital must keep at least {floor} in cash and has no credit line: a strategy whose "
                 "cash ends a day below that minimum is not feasible.").format(floor=floor)
    return _("The hospital keeps at least {floor} in cash; a credit line of {limit} "
             "at {rate} a year funds any shortfall (simple interest each day on the "
             "balance drawn at the day's end, repaid as soon as cash is back above the minimum).").format(
                 floor=floor, limit=value_text(line.limit, 'usd'), rate=rate_text(line.annual_rate))


def _runs(share: float, n: int) -> str:
    k = int(round(share * n))
    return ngettext("{k} of {n} run", "{k} of {n} runs", n).format(k=k, n=n)


def infeasible_words(res) -> str:
    """The sentence naming the strategies that cannot be recommended (plain text; "" if none)."""
    from simlib.scenario.liquidity import INFEASIBLE_SHARE_MAX

    bad = recommendation(res).infeasible
    if not bad:
        return ""
    labels = strategy_labels(res)
    names = ", ".join(f"“{labels.get(s, s)}”" for s in bad)
    return ngettext("{names} cannot be recommended: its cash falls below the minimum by more than the credit line "
                    "can fund in more than {share} % of the runs.",
                    "{names} cannot be recommended: their cash fall below the minimum by more than the credit line "
                    "can fund in more than {share} % of the runs.", len(bad)).format(
                        names=names, share=f"{INFEASIBLE_SHARE_MAX * 100:.0f}")


def liquidity_note(res) -> str:
    """A note (HTML) under the liquidity columns of the strategy tables: the floor, the line, the
    ranking metric and the strategies that cannot be recommended; "" without a floor."""
    fin = res.scenario.finance
    if getattr(fin, "minimum_cash", None) is None or "liquidity_infeasible" not in set(res.metrics["metric"]):
        return ""
    text = (_floor_and_line(fin) + " " + _("Strategies are ranked on the NPV after that interest.") + " "
            + infeasible_words(res))
    return f"<p class=\"note\">{esc(text.strip())}</p>"


def _trough_day(res, strategy: str) -> float | None:
    curves = getattr(res, "curves", None)
    if curves is None or curves.empty or strategy not in set(curves["strategy"]):
        return None
    mean = curves[curves["strategy"] == strategy].groupby("day")["cash"].mean()
    return float(mean.idxmin())


def borrowing_answer(res, offers: list[str]) -> str:
    """Factoring or borrowing, in words (HTML paragraphs and a list, one item per offer)."""
    from simlib.scenario.liquidity import compare_with_borrowing

    fin = res.scenario.finance
    labels = strategy_labels(res)
    base = labels.get(res.baseline, res.baseline)
    if getattr(fin, "minimum_cash", None) is None or "liquidity_infeasible" not in set(res.metrics["metric"]):
        return (f"<h3>{esc(_('Factoring or borrowing'))}</h3><p>" + html_words(_(
            "This scenario states no minimum cash level or credit line, "
            "so the offers are compared on NPV alone: cash falling below zero costs nothing here. State "
            "the hospital's minimum cash and credit line (finance: minimum_cash, credit_line) to "
            "weigh each offer against borrowing.")) + "</p>")
    cmp = compare_with_borrowing(res.metrics, res.baseline, list(offers), fin.minimum_cash, fin.credit_line)
    sq, n, line = cmp.status_quo, _replications(res), fin.credit_line
    paras = [_floor_and_line(fin) + " " + _basis(res.scenario.simulation)]
    day = _trough_day(res, res.baseline)
    sq_text = (_("Without factoring (“{base}”), cash falls to {low} (the runs' low points, averaged)").format(
        base=base, low=value_text(sq['cash_trough'], 'usd'))
        + (_(", lowest around day {day}").format(day=f"{day:.0f}") if day is not None else ""))
    need = sq["credit_needed"]
    costs = cmp.offers["npv_cost"]
    cheapest = costs.idxmin() if not costs.empty else None
    if need <= 0:
        paras.append(sq_text + _(", and stays above the minimum in at least 95 % of the runs: it needs no "
                                 "borrowing, so an offer can only win on NPV."))
    elif sq["infeasible_share"] > 0 and _is_infeasible(sq["infeasible_share"]):
        short = _("no credit line is available") if line is None else \
            _("the credit line of {limit} is not enough").format(limit=value_text(line.limit, 'usd'))
        paras.append(sq_text + _("; it needs {need} to stay at the minimum and {short}. "
                                 "The status quo is therefore not feasible (short of cash in {runs}) "
                                 "and cannot be recommended: an offer that keeps cash above the minimum is needed.").format(
                                     need=value_text(need, 'usd'), short=short, runs=_runs(sq['infeasible_share'], n)))
    else:
        text = sq_text + _("; keeping it at the minimum needs up to {need} from the line "
                           "({basis}). At {rate} that costs {interest} of interest ({present} in present value)").format(
                               need=value_text(need, 'usd'), basis=_need_basis(n), rate=rate_text(line.annual_rate),
                               interest=value_text(sq['credit_interest'], 'usd'),
                               present=value_text(sq['interest_present_value'], 'usd'))
        if cheapest is not None and costs[cheapest] > sq["interest_present_value"]:
            text += _(" — less than any offer costs in NPV ({cost} or more, “{offer}” the cheapest)").format(
                cost=value_text(costs[cheapest], 'usd'), offer=labels.get(cheapest, cheapest))
        paras.append(text + ".")
    advanced = _mean_of(res, offers, "factoring_advanced")
    if need > 0 and advanced and min(advanced.values()) > need:
        lo, hi = min(advanced.values()), max(advanced.values())
        span = value_text(lo, "usd") if value_text(lo, "usd") == value_text(hi, "usd") else \
            _("{low} to {high}").format(low=value_text(lo, 'usd'), high=value_text(hi, 'usd'))
        paras.append(_("The offers advance {span} over the simulated days against a shortfall of at most "
                       "{need}: most of their fees pay for cash the hospital does not need, so borrowing only the "
                       "shortfall costs far less than the offers' effective annual cost suggests.").format(
                           span=span, need=value_text(need, 'usd')))
    items = [f"<li><strong>{esc(labels.get(s, s))}</strong>: {esc(_offer_words(row, sq, fin, n))}</li>"
             for s, row in cmp.offers.iterrows()]
    rec = recommendation(res)
    verdict = _("Decision: “{strategy}”, the highest NPV after credit-line interest among the feasible "
                "strategies.").format(strategy=labels.get(rec.strategy, rec.strategy))
    if not rec.feasible:
        verdict = _("Decision: no strategy keeps cash above the minimum within the credit line; "
                    "“{strategy}” has the highest NPV after interest, but "
                    "the hospital needs more credit or a lower minimum.").format(strategy=labels.get(rec.strategy, rec.strategy))
    tail = " ".join(t for t in (verdict, infeasible_words(res)) if t)
    return (f"<h3>{esc(_('Factoring or borrowing'))}</h3>" + "".join(f"<p>{esc(p)}</p>" for p in paras)
            + "<p>" + html_words(_("Each offer against funding the status quo's shortfall from the line (means of the "
                                   "paired runs):")) + f"</p><ul>{''.join(items)}</ul><p>{esc(tail)}</p>")


def _basis(sim) -> str:
    """What the liquidity figures below stand on: a running hospital, its own book, or a cold start."""
    from simlib.model.measurement_window import cold_start

    if sim.warm_up_days > 0:
        return _("The cash, credit and break-even figures below are those of a running hospital: each strategy "
                 "was simulated for {days} days before day 0 (left out of every number), so day 0 "
                 "finds its steady-state unpaid bills, their care already paid.").format(days=short_number_text(sim.warm_up_days))
    if not cold_start(sim):
        return _("The cash, credit and break-even figures below start from the open book given on day 0, its "
                 "care already paid.")
    return _("The cash, credit and break-even figures below are those of a cold start (no unpaid bills on day 0, "
             "the cost of care paid from day 1): a running hospital borrows less; set simulation.warm_up_days "
             "to measure one.")


def _mean_of(res, strategies: list[str], metric: str) -> dict[str, float]:
    rows = res.metrics[(res.metrics["metric"] == metric) & res.metrics["strategy"].isin(strategies)]
    return {s: float(v) for s, v in rows.groupby("strategy")["value"].mean().items()}


def _need_basis(n: int) -> str:
    """What the credit needed is: the largest need of the runs, or its 95 % quantile when runs are many."""
    from simlib.scenario.liquidity import INFEASIBLE_SHARE_MAX

    allowed = int(math.floor(INFEASIBLE_SHARE_MAX * n + 1e-9))
    if allowed == 0:
        return _("the most any of the {n} runs needed").format(n=n)
    return _("enough in {k} of the {n} runs").format(k=n - allowed, n=n)


def _is_infeasible(share: float) -> bool:
    from simlib.scenario.liquidity import is_infeasible

    return is_infeasible(share)


def _offer_words(row, sq: dict, fin, n: int) -> str:
    """One offer against borrowing: its NPV cost, the interest it saves, and when it is worth taking."""
    line = fin.credit_line
    cost, saved, be = row["npv_cost"], row["interest_saved"], row["break_even_rate"]
    if _is_infeasible(row["infeasible_share"]):
        return _("its own cash falls below the minimum beyond the line in {runs}, "
                 "so it cannot be recommended.").format(runs=_runs(row['infeasible_share'], n))
    bits = [_("costs {cost} of NPV against the status quo").format(cost=value_text(cost, 'usd')) if cost > 0 else
            _("adds {gain} of NPV against the status quo").format(gain=value_text(-cost, 'usd'))]
    if line is not None and saved > 0:
        bits.append(_("saves {interest} of interest (present value)").format(interest=value_text(saved, 'usd')))
    words = ", ".join(bits)
    sq_short = _is_infeasible(sq["infeasible_share"]) and sq["credit_needed"] > 0
    if sq_short:
        hypothetical = (_(" (were credit enough, borrowing would be cheaper up to {rate} a year)").format(rate=rate_text(be))
                        if cost > 0 and math.isfinite(be) else "")
        return words + _("; it keeps cash above the minimum where the status quo cannot") + hypothetical + "."
    if cost <= 0:
        return words + _("; worth taking at any borrowing rate.")
    if not math.isfinite(be):
        return words + _("; it saves no borrowing, so it is never worth taking on price.")
    when = [_("borrowing costs more than {rate} a year").format(rate=rate_text(be))]
    need_sq, need_offer = sq["credit_needed"], row["credit_needed"]
    if need_sq > 0 and need_offer < need_sq:
        if need_offer <= 0:
            when.append(_("no credit is available") if line is None else
                        _("the credit line is below {amount} or no credit is available").format(amount=value_text(need_sq, 'usd')))
        else:
            when.append(_("the credit line is between {low} and {high}").format(low=value_text(need_offer, 'usd'),
                                                                               high=value_text(need_sq, 'usd')))
        floor_be = sq.get("floor_break_even")
        if line is not None and floor_be is not None and floor_be > fin.minimum_cash:
            when.append(_("the hospital must keep more than {amount} in cash").format(amount=value_text(floor_be, 'usd')))
    ok_now = line is not None and row["advantage"] > 0
    if ok_now:
        return words + _("; worth taking now (it beats the status quo after interest): break-even at {rate}.").format(
            rate=rate_text(be))
    return words + _("; worth taking only if {conditions}.").format(conditions=_(", or ").join(when))
