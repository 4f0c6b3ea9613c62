"""A strategy's levers in one line of plain words (the "Levers" column of the strategies table and
the factoring offers' terms).

All lever wording lives here, in one module, so that it can later be replaced by each lever's own
description from a lever registry without touching the tables that show it.
"""
from __future__ import annotations

from collections.abc import Mapping

from simlib.report.param_words import _fmt_param, _humanise

# the levers the report has words for (limitations, how-to-read notes); a strategy may use others
KNOWN_LEVERS = ("ladder", "phone_team", "contact_limits", "prompt_pay_discount", "deposit", "price_estimate",
                "write_off", "payment_plan", "financing", "agency", "factoring")


def lever(strategy, name: str):
    """The settings of lever ``name`` in ``strategy``, or None when the strategy does not use it.

    The one place the report reads a lever from a strategy: an attribute of that name, or an entry
    of a ``levers`` mapping (for a lever registry).
    """
    value = getattr(strategy, name, None)
    if value is None:
        levers = getattr(strategy, "levers", None)
        if isinstance(levers, Mapping):
            value = levers.get(name)
    return None if value is None or value == [] or value == {} else value


def strategies_using(scenario, name: str) -> list[str]:
    """The scenario's strategies that use lever ``name`` (a factoring offer, a deposit, …)."""
    return [k for k, s in (getattr(scenario, "strategies", {}) or {}).items() if lever(s, name) is not None]


def words(key: str) -> str:
    """An id as words mid-sentence: ``formal_demand`` → "formal demand", ``sms`` → "SMS"."""
    from simlib.report.labels import humanise_id

    text = humanise_id(str(key))
    first = text.split(" ", 1)[0]
    return text if any(c.isupper() for c in first[1:]) else text[:1].lower() + text[1:]


def strategy_summary(strategy) -> str:
    """The levers of one strategy in a line of plain words (plain text: escape before use)."""
    s = strategy
    parts = [f"statement by {words(s.statement_channel)}", f"due in {s.credit_terms_days:g} days"]
    if s.ladder:
        steps = []
        for step in s.ladder:
            t = step.target
            extra = []
            if t.score_min > 0 or t.score_max < 1:
                extra.append(f"score {t.score_min:g}–{t.score_max:g}")
            if t.balance_max_usd is not None:
                extra.append(f"balance ${t.balance_min_usd:,.0f}–${t.balance_max_usd:,.0f}")
            elif t.balance_min_usd > 0:
                extra.append(f"balance ≥ ${t.balance_min_usd:,.0f}")
            if t.payers:
                extra.append("payers " + ", ".join(words(p) for p in t.payers))
            rel = "" if step.relative_to == "statement" else " after due date"
            steps.append(f"day {step.day:g}{rel} {words(step.channel)}" + (f" ({'; '.join(extra)})" if extra else ""))
        parts.append("reminders: " + ", ".join(steps))
    if s.phone_team:
        pt = s.phone_team
        parts.append(f"phone team of {pt.agents} agent{'s' if pt.agents != 1 else ''} "
                     f"{pt.hours[0]:g}–{pt.hours[1]:g} h")
    lim = s.contact_limits
    limits = []
    if lim.calls_per_7_days_max is not None:
        limits.append(f"at most {lim.calls_per_7_days_max} calls")
    if lim.messages_per_7_days_max is not None:
        limits.append(f"at most {lim.messages_per_7_days_max} messages")
    if limits:
        parts.append(" and ".join(limits) + " per 7 days")
    if lim.quiet_hours:
        parts.append(f"no contact {lim.quiet_hours[0]:g}–{lim.quiet_hours[1]:g} h")
    if s.prompt_pay_discount:
        d = s.prompt_pay_discount
        parts.append(f"{d.rate * 100:g} % prompt-pay discount within {d.window_days:g} days")
    if s.deposit:
        parts.append(f"deposit of {s.deposit.share * 100:g} % at service "
                     f"({s.deposit.compliance_rate * 100:g} % compliance)")
    if s.price_estimate:
        parts.append("price estimate / portal")
    wo = s.write_off
    parts.append(f"write-off after {wo.after_days:g} days" +
                 (f" or below ${wo.below_balance_usd:,.2f}" if wo.below_balance_usd > 0 else ""))
    plan = lever(s, "payment_plan")
    if plan is not None:
        parts.append(f"payment plan offered on balances from ${plan.balance_min_usd:,.0f} "
                     f"({_pct(plan.uptake_rate)} take it), up to {plan.max_months} months, "
                     + ("instalments sized to ability to pay" if plan.sizing == "ability" else "even instalments")
                     + f", {_pct(plan.autopay_rate)} on autopay, default after {plan.default_after_misses} missed")
    fin = lever(s, "financing")
    if fin is not None:
        band = (f"${fin.balance_min_usd:,.0f}–${fin.balance_max_usd:,.0f}" if fin.balance_max_usd is not None
                else f"from ${fin.balance_min_usd:,.0f}")
        parts.append(f"patient financing by a lender on balances {band} ({_pct(fin.uptake_rate)} take it, "
                     f"{_pct(fin.merchant_fee_rate)} merchant fee)")
    agency = lever(s, "agency")
    if agency is not None:
        kind = "early-out agency" if agency.kind == "early_out" else "bad-debt agency"
        parts.append(f"{kind} from day {agency.placement_days:g} ({_pct(agency.fee_rate)} fee"
                     f", recalled after {agency.recall_days:g} days)")
    if lever(s, "factoring") is not None:
        parts.append("factoring: " + _factoring_terms(s))
    known = {"factoring", "description", "baseline", "credit_terms_days", "statement_channel", "ladder", "phone_team",
             "contact_limits", "prompt_pay_discount", "deposit", "price_estimate", "write_off", "payment_plan",
             "financing", "agency", "label"}
    for name, value in s.model_dump(exclude_defaults=True).items():
        if name not in known and value not in (None, [], {}):
            parts.append(f"{_humanise(name).lower()}: {_fmt_param(name, value)}")
    return "; ".join(parts)


def _pct(rate: float) -> str:
    return f"{rate * 100:g} %"


def _fee_words(fee) -> str:
    """A factoring fee schedule in words: "fee 2.5 % for the first 30 days, then 2 % per 30 days"."""
    kind = getattr(fee, "schedule", "")
    cap = getattr(fee, "max_rate", None)
    cap_text = f", at most {_pct(cap)}" if cap is not None else ""
    if kind == "flat":
        return f"flat fee {_pct(fee.rate)}"
    if kind == "tiered":
        return (f"fee {_pct(fee.first_rate)} for the first {fee.first_days:g} days, then {_pct(fee.step_rate)} "
                f"per {fee.step_days:g} days{cap_text}")
    if kind == "daily":
        return f"fee {_pct(fee.rate_per_day)} a day{cap_text}"
    if kind == "table":
        tiers = ", ".join(f"{_pct(t.rate)} to day {t.up_to_days:g}" for t in fee.tiers)
        return f"fee {tiers}, then {_pct(fee.beyond_rate)}"
    data = {k: v for k, v in fee.model_dump().items() if k != "schedule" and v is not None}
    return f"{kind} fee (" + ", ".join(f"{_humanise(k).lower()} {_fmt_param(k, v)}" for k, v in data.items()) + ")"


def _factoring_terms(strategy) -> str:
    offer = lever(strategy, "factoring")
    if offer is None:
        return "no factoring"
    parts = [f"{offer.scope} receivables", f"{offer.advance_rate * 100:g} % advance on "
             + ("face" if offer.advance_base == "face" else "expected collectable value")]
    parts.append(_fee_words(offer.fee))
    parts.append(f"recourse at {offer.recourse_days:g} days" if offer.recourse_days else "non-recourse")
    if offer.termination:
        parts.append(f"stops at day {offer.termination.stop_day:g} ({offer.termination.settle.replace('_', '-')})")
    return ", ".join(parts)
