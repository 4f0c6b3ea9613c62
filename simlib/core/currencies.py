"""The currencies a scenario's money may be in (ISO 4217), and a rough rate to scale bounds.

Money in a scenario file is in one currency, named by ``currency:`` (ISO 4217 code). The model
never converts between currencies: every amount of a scenario is in its own currency, and the
ledger counts hundredths of that unit (``*_cents``; a Chilean peso has no minor unit, so its
hundredths are only the ledger's resolution).

:data:`CURRENCIES` also holds a *rough* number of units per US dollar. It is used for one thing
only: scaling the documented upper bounds of money fields (:mod:`simlib.scenario.value_bounds`),
which are written in US dollars, so that a Chilean bill in pesos is as valid as a US bill in
dollars. The rates are rounded mid-2025 reference rates (ECB euro reference rate ≈ 0.86-0.93 EUR
per USD over 2024-2025; Banco Central de Chile dólar observado ≈ 900-1,000 CLP per USD); a bound
is a guard against typos, so a rate 10 % off changes nothing that matters. Add a currency here
(code, name, minor-unit digits, rough rate, source) to allow it in scenario files.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    """One ISO 4217 currency: its code, English name, minor-unit digits and rough units per USD."""

    code: str
    name: str
    minor_digits: int        # ISO 4217 minor unit: 2 for USD and EUR, 0 for CLP
    units_per_usd: float     # rough; for scaling bounds only (module docstring)
    rate_source: str


CURRENCIES: dict[str, Currency] = {c.code: c for c in (
    Currency("USD", "US dollars", 2, 1.0, "the unit the bounds are written in"),
    Currency("EUR", "euros", 2, 0.92,
             "ECB euro foreign exchange reference rates, 2024-2025 range 0.86-0.96 EUR per USD"),
    Currency("CLP", "Chilean pesos", 0, 950.0,
             "Banco Central de Chile, dólar observado, 2024-2025 range about 880-1,000 CLP per USD"),
)}
DEFAULT_CURRENCY = "USD"


def currency_name(res) -> str:
    """The English name of the money of a run's (or a scenario's) currency: "US dollars", "euros"."""
    scen = getattr(res, "scenario", res)
    return CURRENCIES.get(getattr(scen, "currency", DEFAULT_CURRENCY), CURRENCIES[DEFAULT_CURRENCY]).name


def currency(code: str) -> Currency:
    """The :class:`Currency` of ISO code ``code`` (KeyError with the known codes if unknown)."""
    try:
        return CURRENCIES[code]
    except KeyError:
        raise KeyError(f"expected one of {sorted(CURRENCIES)} (ISO 4217); found {code!r}") from None
