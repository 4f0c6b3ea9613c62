""""How to read it": short explanations next to the charts and tables they explain, with the
scenario's own numbers — what the cash curve shows (why it dips, why it turns at the end of the
billing window), how to weigh factoring offers (``docs/factoring.md``) and how to read payment
plans, financing and agencies (``docs/finance_levers.md``)."""
from __future__ import annotations

from simlib.core.language import N_, _, localised, short_number_text
from simlib.model.measurement_window import cold_start, window_sentence
from simlib.scenario.materiality import decision_of
from simlib.report.labels import strategy_labels
from simlib.report.markup import _html, esc
from simlib.analysis.numbers import value_text, verdict
from simlib.report.strategy_words import lever, strategies_using


def _pct(rate: float) -> str:
    """A rate as the reports write it: ``0.085`` → "8.5 %", ``0.44`` → "44 %"."""
    return _("{share} %").format(share=localised(f"{rate * 100:.3g}"))


def _apart(a: float, b: float, unit: str, decision) -> bool:
    """Whether two values differ by a material amount as displayed (:func:`verdict`'s rule)."""
    return verdict(a - b, float("nan"), float("nan"), unit, True, decision) not in (
        "", "no difference", "no material difference")


def _box(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs if p)
    return f"<div class=\"explain\"><h3>{esc(_(title))}</h3>{body}</div>"


def cash_curve_explanation(res):
    """Why the status quo's cash curve falls, where its low point is, and what the turn at the end
    of the billing window is — from the curve itself and the scenario's settings."""
    curves = getattr(res, "curves", None)
    if curves is None or curves.empty or res.baseline not in set(curves["strategy"]):
        return _html("")
    scen = res.scenario
    sim, fin = scen.simulation, scen.finance
    base = strategy_labels(res).get(res.baseline, res.baseline)
    mean = curves[curves["strategy"] == res.baseline].groupby("day")["cash"].mean()
    start, low_day, low = float(mean.iloc[0]), float(mean.idxmin()), float(mean.min())
    end_day, end = float(mean.index[-1]), float(mean.iloc[-1])
    window = float(sim.billing_window_days)
    care = float(getattr(fin, "cost_of_care_ratio", 0.0) or 0.0)
    paras = []
    running = not cold_start(sim)
    if care > 0 and running:
        paras.append(_(
            "The hospital pays for care when it is given — {care} of the allowed amount in this "
            "scenario — and, running before day 0, it is already collecting the bills of earlier patients, "
            "which keep pace with the cost of new ones: under the status quo (“{base}”) cash goes from "
            "{start} on day 0 to {low} at its lowest, around day "
            "{low_day}; what the collection cycle ties up was already paid before day 0.").format(
                care=_pct(care), base=base, start=value_text(start, 'usd'), low=value_text(low, 'usd'),
                low_day=short_number_text(low_day)))
    elif care > 0 and low < start:
        paras.append(_(
            "Why it falls: the hospital pays for care when it is given — {care} of the allowed amount in "
            "this scenario — while insurers pay weeks later and patients later still. Each day adds costs "
            "before their collections arrive, so cash falls from the starting "
            "{start} to a low of {low} around day {low_day} under the "
            "status quo (“{base}”). That low point is the working capital the collection cycle ties up; "
            "from then on the collections of earlier patients roughly keep pace with the cost of new ones.").format(
                care=_pct(care), start=value_text(start, 'usd'), low=value_text(low, 'usd'),
                low_day=short_number_text(low_day), base=base))
    elif care == 0:
        paras.append(_("The cost of care is not part of this scenario (cost of care ratio 0), so the cash "
                       "position is the starting cash plus net collections."))
    if sim.encounters_per_day > 0 and window < end_day:
        paras.append(_(
            "The turn at day {window}: the billing window ends — the simulation adds no new patients "
            "after it — so no more cost of care goes out while the bills of the last months are still "
            "being paid; cash climbs to {end} by day {end_day}. A real hospital keeps "
            "treating patients: read the turn as the end of the simulated year of patients, not a forecast.").format(
                window=short_number_text(window), end=value_text(end, 'usd'), end_day=short_number_text(end_day)))
    if cold_start(sim):
        paras.append(_("The simulation starts with no unpaid bills on the books, so the dip is deeper than in a "
                       "running hospital that is already collecting last year's bills: compare the strategies' "
                       "curves and low points with each other rather than read them as the bank balance."))
    else:
        paras.append(window_sentence(sim))
    return _html(_box(N_("Reading the cash curve"), paras))


def factoring_explanation(res, offers: list[str]):
    """How to weigh factoring offers (docs/factoring.md "How to read it"), with this scenario's
    numbers: liquidity bought (lowest cash position) against its price (NPV, effective annual cost)."""
    import pandas as pd

    from simlib.analysis.summaries import paired_differences, summarize

    if not offers:
        return _html("")
    labels = strategy_labels(res)
    rows = res.metrics[res.metrics["strategy"].isin([res.baseline, *offers])]
    pair = rows[rows["metric"].isin(["cash_trough", "npv_net_cash"])]
    diffs = (paired_differences(pair, res.baseline).set_index(["strategy", "metric"])["mean_diff"]
             if not pair.empty else pd.Series(dtype=float))
    apr_rows = rows[rows["metric"] == "factoring_apr"]
    apr = summarize(apr_rows).set_index("strategy")["mean"] if not apr_rows.empty else pd.Series(dtype=float)
    coc = float(res.scenario.finance.cost_of_capital_annual)
    paras = [_("Factoring sells receivables for cash now: the factor advances part of their value and keeps a "
               "fee, so cash arrives earlier but less of it. Weigh two numbers for each offer: how much it "
               "lifts the lowest cash position (the liquidity it buys) and how much net present value it "
               "costs (its price). The highest advance buys the most liquidity; it is not always the "
               "cheapest money.")]
    lift = {s: diffs.get((s, "cash_trough")) for s in offers if (s, "cash_trough") in diffs.index}
    price = {s: diffs.get((s, "npv_net_cash")) for s in offers if (s, "npv_net_cash") in diffs.index}
    if lift and price:
        decision = decision_of(res.scenario)
        most = max(lift, key=lift.get)
        cheapest = max(price, key=price.get)
        rivals = {s: v for s, v in lift.items() if s != most}
        near = max(rivals, key=rivals.get) if rivals else None
        name = labels.get(most, most)
        if near is None or _apart(lift[most], lift[near], "usd", decision):
            text = _("Here “{offer}” buys the most liquidity (lowest cash position {lift} higher) at an NPV cost "
                     "of {cost}").format(offer=name, lift=value_text(lift[most], 'usd'), cost=value_text(-price[most], 'usd'))
        else:  # the top two lift the low point by amounts the board should not tell apart
            text = _("Here “{offer}” and “{other}” buy the most liquidity, about the same "
                     "(lowest cash position {lift} and {other_lift} higher); “{offer}” at an NPV cost of {cost}").format(
                         offer=name, other=labels.get(near, near), lift=value_text(lift[most], 'usd'),
                         other_lift=value_text(lift[near], 'usd'), cost=value_text(-price[most], 'usd'))
        if cheapest != most and _apart(price[cheapest], price[most], "usd", decision):
            moves = (_("; “{offer}” costs least ({cost}) but lifts the low point by {lift}") if lift[cheapest] >= 0 else
                     _("; “{offer}” costs least ({cost}) but lowers the low point by {lift}"))
            text += moves.format(offer=labels.get(cheapest, cheapest), cost=value_text(-price[cheapest], 'usd'),
                                 lift=value_text(abs(lift[cheapest]), 'usd'))
        paras.append(text + ".")
    finite = apr.dropna()
    if not finite.empty:
        lo, hi = float(finite.min()), float(finite.max())
        unit = _("{share} %").replace("{share}", "")
        span = _pct(lo) if round(lo, 2) == round(hi, 2) else _("{low} to {high}").format(
            low=_pct(lo).removesuffix(unit), high=_pct(hi))
        paras.append(_("The offers' effective annual cost is {span}, above the hospital's {cost} cost of capital: "
                       "factoring pays only if the low cash point itself is binding — if the hospital cannot "
                       "otherwise borrow or wait.") if lo > coc else
                     _("The offers' effective annual cost is {span}, against the hospital's {cost} cost of capital."))
        paras[-1] = paras[-1].format(span=span, cost=_pct(coc))
    strategies = res.scenario.strategies
    if any(getattr(lever(strategies[s], "factoring"), "recourse_days", 1) is None for s in offers if s in strategies):
        paras.append(_("Non-recourse costs more: insurer claims carry almost no credit loss, so the factor's "
                       "protection is worth little on them, while fees keep accruing during denial rework."))
    if any(getattr(lever(strategies[s], "factoring"), "termination", None) is not None
           for s in offers if s in strategies):
        paras.append(_("An offer that stops early saves fees but gives the liquidity back: bought-back "
                       "receivables return to the books when the low point may still be ahead."))
    return _html(_box(N_("How to read the factoring offers"), paras))


def finance_levers_explanation(res):
    """How to read payment plans, patient financing and agencies (docs/finance_levers.md), shown
    when a strategy uses one of them."""
    scen = res.scenario
    plans, financing = strategies_using(scen, "payment_plan"), strategies_using(scen, "financing")
    agency = strategies_using(scen, "agency")
    if not (plans or financing or agency):
        return _html("")
    paras = []
    if agency:
        fees = sorted({float(getattr(lever(scen.strategies[s], "agency"), "fee_rate", 0.0)) for s in agency})
        fee_text = _(" to ").join(dict.fromkeys(_pct(f) for f in (fees[0], fees[-1]) if f)) if fees else ""
        paras.append(_("Gross and net: an agency brings in cash the hospital would not collect, but keeps its "
                       "contingency fee{fee}. Judge it on "
                       "the NPV of net collections, not on cash collected.").format(
                           fee=_(" ({fee} of what it collects)").format(fee=fee_text) if fee_text else ""))
        paras.append(_("Accounts placed with an agency stay on the hospital's A/R until they are paid or "
                       "recalled, so an agency strategy can show more days in A/R than writing off at the same "
                       "age. Late agency collections and recall write-offs may fall after the last simulated "
                       "day, which understates its bad debt slightly."))
    if plans or financing:
        paras.append(_("Plans and financing spread or transfer the balance: plans collect in instalments over "
                       "months, a lender pays at once less its merchant fee. Their uptake (and the plans' "
                       "default) rates are assumptions without a peer-reviewed source: check them on the "
                       "sensitivity report before relying on the ranking."))
    paras.append(_("The levers are complements, not rivals: one strategy may combine a plan, financing and "
                   "an agency."))
    return _html(_box(N_("How to read plans, financing and agencies"), paras))
