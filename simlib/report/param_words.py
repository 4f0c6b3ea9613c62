"""Scenario parameters in words: a field name with its unit (``after_days`` → "After (days)") and
a value formatted by what the name says it is (rate, dollars, days, lists, nested settings)."""
from __future__ import annotations

from typing import Any


def _humanise(name: str) -> str:
    from simlib.report.labels import humanise_id

    from simlib.core.language import currency_symbol
    from simlib.core.money_names import is_money

    text = f"{name} ({currency_symbol()})" if is_money(name) else name
    for suffix, repl in (("_per_day", " per day"), ("_days", " (days)"),
                         ("_annual", " (annual)"), ("_hours", " (hours)")):
        if text.endswith(suffix):
            text = text[: -len(suffix)] + repl
    return humanise_id(text)


def _short_name(name: str) -> str:
    """A field name in words without its unit suffix (the formatted value carries the unit)."""
    for suffix in ("_days", "_rate", "_per_day", "_hours"):
        if name.endswith(suffix) and name != suffix.lstrip("_"):
            name = name[: -len(suffix)] + (" (days)" if suffix == "_days" else " rate" if suffix == "_rate"
                                          else " per day" if suffix == "_per_day" else "")
            break
    return name.replace("_", " ").strip()


def _fmt_param(name: str, value: Any) -> str:
    from simlib.analysis.numbers import value_text

    from simlib.core.language import _, localised, money_text
    from simlib.core.money_names import is_money

    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        if name.endswith(("_rate", "_share", "_annual")) or name in {"share", "rate", "patient_share", "reach",
                                                                     "compliance_rate"}:
            return value_text(float(value), "share", exact=True)
        if is_money(name):
            return money_text(value, 2) if abs(value) < 100 and value != int(value) else value_text(float(value), "usd", exact=True)
        return localised(f"{value:,}" if isinstance(value, int) else f"{value:,.6g}")
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt_param(name, v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_short_name(k)} {_fmt_param(k, v)}" for k, v in value.items()
                         if v is not None) or "—"
    return str(value)
