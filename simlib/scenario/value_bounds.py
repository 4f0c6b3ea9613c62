"""Upper bounds of the values a scenario's models leave open (docs/robustness.md, "Bounds").

The pydantic models refuse NaN/inf and values outside a field's meaning (a rate above 1, a negative
day). What they leave open is *size*: a cost of $1e300 overflows integer cents, an elasticity of
1e12 overflows a float power, 10^12 phone agents never finish. :func:`value_problems` walks a
validated scenario and returns one line per value above its bound, named by its field path, in
the same words as the models' own errors. The rules go by field name, so a field added later is
covered by the rule of its unit (``_usd``, ``_days``, ``_per_day``, …) or by the general bound.

Money bounds keep every sum in int64 cents with a margin of 100×: at most
:data:`simlib.scenario.size_limits.ACCOUNTS_MAX` accounts × a bill of median ≤ $1M and log-sd ≤ 3
(mean ≈ 90 × median) stays under 10^17 cents (int64 holds 9.2 × 10^18).
"""
from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel


GENERAL_MAX = 1e9               # any number not covered by a rule below
BILL_MEDIAN_USD_MAX = 1e6       # allowed_median_usd, ability_monthly_median_usd, balance_ref_usd
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

#: (field-name pattern, bound, what it is): the first matching rule applies.
RULES: list[tuple[re.Pattern, float, str]] = [(re.compile(p), b, w) for p, b, w in (
    (r"^(allowed_median_usd|ability_monthly_median_usd|balance_ref_usd)$", BILL_MEDIAN_USD_MAX,
     "a median bill or monthly ability to pay"),
    (r"^(cost_usd|cost_per_.*_usd)$", COST_USD_MAX, "a cost per contact, hour, rework or dispute"),
    (r"^starting_cash_usd$", CASH_USD_MAX, "starting cash"),
    (r"_usd$", AMOUNT_USD_MAX, "a dollar amount"),
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


def bound_of(field: str) -> tuple[float, str]:
    """(upper bound, what it is) of a numeric field named ``field``."""
    for pattern, bound, what in RULES:
        if pattern.search(field):
            return bound, what
    return GENERAL_MAX, "any number"


def _walk(value: Any, loc: str, field: str, out: list[str]) -> None:
    if getattr(type(value), "own_bounds", False):
        return  # bounded by its own fields (simulation: simlib.scenario.size_limits)
    if isinstance(value, BaseModel):  # fields, then extra sections (a strategy's levers)
        for name in [*type(value).model_fields, *(value.__pydantic_extra__ or {})]:
            _walk(getattr(value, name), f"{loc}.{name}" if loc else name, name, out)
    elif isinstance(value, dict):
        _check_length(value, loc, field, out)
        for k, v in value.items():
            _walk(v, f"{loc}.{k}", field, out)
    elif isinstance(value, (list, tuple)):
        _check_length(value, loc, field, out)
        for i, v in enumerate(value):
            _walk(v, f"{loc}.{i}", field, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            out.append(f"{loc}: expected a finite number; found {value!r}")
            return
        bound, what = bound_of(field)
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
    _walk(sc, "", "", out)
    return out
