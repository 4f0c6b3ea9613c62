"""Upper bounds of the values a scenario's models leave open (docs/robustness.md, "Bounds").

The pydantic models refuse NaN/inf and values outside a field's meaning (a rate above 1, a negative
day). What they leave open is *size*: a cost of $1e300 overflows integer cents, an elasticity of
1e12 overflows a float power, 10^12 phone agents never finish. :func:`value_problems` walks a
validated scenario and returns one line per value above its bound, named by its field path, in
the same words as the models' own errors. The rules go by field name, so a field added later is
covered by the rule of its unit (an amount: :mod:`simlib.core.money_names`; ``_days``, ``_per_day``, …) or
by the general bound.

Money bounds are written in US dollars and scaled to the scenario's ``currency:`` by the rough
rate of :data:`simlib.core.currencies.CURRENCIES` (a Chilean median bill of 5,000,000 pesos is as
valid as a US one of $5,000). They keep every sum in int64 cents with a margin of 100×: in US
dollars, at most :data:`simlib.scenario.size_limits.ACCOUNTS_MAX` accounts × a bill of median
≤ $1M and log-sd ≤ 3 (mean ≈ 90 × median) stays under 10^17 cents (int64 holds 9.2 × 10^18). In a
currency of many units per dollar that pairing of extremes could overflow, so each payer's
expected total billed (accounts × mean bill, in cents) is also checked against 10^17 cents.
"""
from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel

from simlib.core.currencies import CURRENCIES, DEFAULT_CURRENCY
from simlib.core.money_names import is_money


GENERAL_MAX = 1e9               # any number not covered by a rule below
BILL_MEDIAN_USD_MAX = 1e6       # allowed_median, ability_monthly_median, balance_ref
COST_USD_MAX = 1e4              # a contact, an agent-hour, a rework, a dispute
CASH_USD_MAX = 1e12             # starting cash
AMOUNT_USD_MAX = 1e9            # balance thresholds and other dollar amounts
LOG_SD_MAX = 3.0                # lognormal spreads (exp(3σ) ≈ 8,000× the median at 3 sd)
SCORE_NOISE_SD_MAX = 10.0
ELASTICITY_MAX = 10.0
RATE_PER_DAY_MAX = 1000.0
DAYS_MAX = 36_500.0             # day offsets and durations: 100 years
MINUTES_MAX = 24 * 60.0
HOURS_MAX = 1000.0              # hours of work per rework or dispute
MONTHS_MAX = 1200.0
MULTIPLIER_MAX = 100.0
AGENTS_MAX = 1_000              # phone agents: the shift process handles each agent every day
STAFF_MAX = 10_000              # denials and billing staff
CONTACTS_PER_WEEK_MAX = 1000
BILLED_CENTS_MAX = 1e17         # a payer's expected total billed per replication, in cents

#: Amounts (simlib.core.money_names.is_money), in US dollars: scaled to the scenario's currency.
MONEY_RULES: list[tuple[re.Pattern, float, str]] = [(re.compile(p), b, w) for p, b, w in (
    (r"^(allowed_median|ability_monthly_median|balance_ref)$", BILL_MEDIAN_USD_MAX,
     "a median bill or monthly ability to pay"),
    (r"^(cost|cost_per_.*)$", COST_USD_MAX, "a cost per contact, hour, rework or dispute"),
    (r"^starting_cash$", CASH_USD_MAX, "starting cash"),
    (r"", AMOUNT_USD_MAX, "an amount of money"),
)]

#: (field-name pattern, bound, what it is) of other numbers: the first matching rule applies.
RULES: list[tuple[re.Pattern, float, str]] = [(re.compile(p), b, w) for p, b, w in (
    (r"_sigma$", LOG_SD_MAX, "a lognormal spread"),
    (r"_sd$", SCORE_NOISE_SD_MAX, "a standard deviation"),
    (r"_elasticity$", ELASTICITY_MAX, "an elasticity"),
    (r"_per_day$", RATE_PER_DAY_MAX, "a rate per day"),
    (r"(^|_)(day|days)(_|$)", DAYS_MAX, "days (100 years)"),
    (r"minutes", MINUTES_MAX, "minutes (one day)"),
    (r"^hours_per_", HOURS_MAX, "hours of work"),
    (r"months", MONTHS_MAX, "months (100 years)"),
    (r"(multiplier|_share)$", MULTIPLIER_MAX, "a multiplier"),
    (r"^agents$", AGENTS_MAX, "phone agents"),
    (r"^staff$", STAFF_MAX, "staff"),
    (r"^(calls|messages)_per_7_days_max$", CONTACTS_PER_WEEK_MAX, "contacts per week"),
)]

#: Longest lists and mappings (each one multiplies the work or the memory of a run).
COLLECTION_MAX = {"strategies": 50, "payers": 50, "channels": 50, "ladder": 100,
                  "contact_days": 100, "tiers": 100, "working_days": 7}
COLLECTION_DEFAULT_MAX = 100


def bound_of(field: str, currency: str = DEFAULT_CURRENCY) -> tuple[float, str]:
    """(upper bound, what it is) of a numeric field named ``field``; money in ``currency``."""
    for pattern, bound, what in MONEY_RULES if is_money(field) else ():
        if pattern.search(field):
            if currency != "USD":
                rate = CURRENCIES[currency].units_per_usd
                return bound * rate, f"{what}, in {currency} (${_number(bound)} at {rate:g} per USD)"
            return bound, what
    for pattern, bound, what in RULES:
        if pattern.search(field):
            return bound, what
    return GENERAL_MAX, "any number"


def _walk(value: Any, loc: str, field: str, out: list[str], currency: str = DEFAULT_CURRENCY) -> None:
    if getattr(type(value), "own_bounds", False):
        return  # bounded by its own fields (simulation: simlib.scenario.size_limits)
    if isinstance(value, BaseModel):  # fields, then extra sections (a strategy's levers)
        for name in [*type(value).model_fields, *(value.__pydantic_extra__ or {})]:
            _walk(getattr(value, name), f"{loc}.{name}" if loc else name, name, out, currency)
    elif isinstance(value, dict):
        _check_length(value, loc, field, out)
        for k, v in value.items():
            _walk(v, f"{loc}.{k}", field, out, currency)
    elif isinstance(value, (list, tuple)):
        _check_length(value, loc, field, out)
        for i, v in enumerate(value):
            _walk(v, f"{loc}.{i}", field, out, currency)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            out.append(f"{loc}: expected a finite number; found {value!r}")
            return
        bound, what = bound_of(field, currency)
        if abs(value) > bound:
            relation = "less than or equal to" if value > 0 else "greater than or equal to"
            out.append(f"{loc}: expected {relation} {_number(bound if value > 0 else -bound)} "
                       f"({what}); found {_number(value)}")


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _check_length(value, loc: str, field: str, out: list[str]) -> None:
    limit = COLLECTION_MAX.get(field, COLLECTION_DEFAULT_MAX)
    if len(value) > limit:
        out.append(f"{loc}: expected at most {limit} entries; found {len(value)}")


def value_problems(sc: BaseModel) -> list[str]:
    """One line per value of ``sc`` above its bound (empty if none)."""
    out: list[str] = []
    currency = getattr(sc, "currency", DEFAULT_CURRENCY)
    _walk(sc, "", "", out, currency)
    return out or _billed_problems(sc)


def _billed_problems(sc: BaseModel) -> list[str]:
    """One line per payer whose expected total billed per replication passes int64 cents' margin."""
    simulation, payers = getattr(sc, "simulation", None), getattr(sc, "payers", None) or {}
    if simulation is None:
        return []
    accounts = max(simulation.simulated_accounts, 1.0)
    out = []
    for name, p in payers.items():
        mean_bill = p.allowed_median * math.exp(p.allowed_sigma ** 2 / 2)
        cents = accounts * p.share * mean_bill * 100
        if cents > BILLED_CENTS_MAX:
            out.append(f"payers.{name}.allowed_median: expected a total billed per replication "
                       f"(accounts × mean bill) under {_number(BILLED_CENTS_MAX / 100)} "
                       f"{getattr(sc, 'currency', DEFAULT_CURRENCY)}; found {cents / 100:.3g} "
                       f"({accounts:,.0f} accounts × share {p.share:g} × mean bill {mean_bill:,.0f})")
    return out
