"""Money names: which field, column and metric names are amounts of money.

Every amount is in the scenario's ``currency`` (US dollars, euros, Chilean pesos …:
:mod:`simlib.core.currencies`), so no name carries a currency. Until issue 23 they ended in
``_usd``; a file written then still loads: :func:`modernise` renames each old key (and each
dotted path naming one, in ``uncertain:``, ``sensitivity:``, ``search:`` …) and says so once with
a :class:`MoneyNameDeprecation` warning naming the file and the new names. A field given under
both names is an error (which one would be meant?).

A name is money when it is in :data:`MONEY_NAMES`: units of tables and bounds of values are read
from here, not from a suffix. A new money field, column or metric adds its name here (the test
tests/test_money_names.py checks the scenario models, the metric catalogue and the result tables).
"""
from __future__ import annotations

import re
import warnings
from typing import Any

#: Scenario fields that are amounts (per contact, per hour, per case, thresholds, balances).
MONEY_FIELDS = frozenset({
    "ability_monthly_median", "allowed_median", "approval_ability_half", "ask_cost", "balance_max", "balance_min",
    "balance_ref", "below_balance", "cost", "cost_per_agent_hour", "cost_per_complaint", "cost_per_dispute",
    "cost_per_estimate", "cost_per_hour", "cost_per_instalment", "cost_per_report", "cost_per_rework",
    "cost_per_seizure", "discount_ability_max",
    "filing_fee", "free_care_ability_max", "indifference", "instalment_min", "late_claim_penalty", "limit",
    "materiality", "minimum_cash", "service_fee", "setup_cost", "starting_cash",
    # the self-service levers (issue 26): vendors' and processors' fees
    "monthly_fee", "fee_per_link", "fee_per_payment", "fee_per_charge", "card_fee_fixed", "bank_transfer_fee",
    "chargeback_fee",
    # issue 26: the operations investments' prices (simlib/levers/quality.py, coverage_discovery, targeted_offer)
    "cost_per_account", "cost_per_scored_account", "cost_per_search", "fixed_cost_per_year",
})

#: Metrics and result-table columns that are amounts (the factor's side, the aging table, the book …).
MONEY_COLUMNS = frozenset({
    "ability", "ability_monthly", "advanced", "amount", "balance", "cost_of_funds", "credit_loss", "fees", "pnl", "advantage", "amount_median", "bad_debt", "cash", "cash_collected", "cash_trough", "channel_cost",
    "charity_care", "collection_cost", "credit_cost_per_rate_point", "credit_drawn_peak", "credit_interest",
    "credit_needed", "factoring_advanced", "factoring_buybacks", "factoring_chargebacks", "factoring_credit_loss",
    "factoring_fees", "factoring_rebates", "floor_break_even", "interest_present_value", "interest_saved",
    "lost_margin", "npv_after_liquidity", "npv_cost", "npv_net_cash", "open_ar", "npv_gap", "peak_drawn",
    "cost_per_rate_point_saved", "late_payment_penalties",
})

MONEY_NAMES = MONEY_FIELDS | MONEY_COLUMNS

#: The names renamed in December 2026 (frozen: a money name added later never had an old name).
_RENAMED = frozenset({
    "ability", "ability_monthly", "ability_monthly_median", "advanced", "advantage", "allowed_median", "amount",
    "amount_median", "approval_ability_half", "ask_cost", "bad_debt", "balance", "balance_max", "balance_min",
    "balance_ref", "below_balance", "cash", "cash_collected", "cash_trough", "channel_cost", "charity_care",
    "collection_cost", "cost", "cost_of_funds", "cost_per_agent_hour", "cost_per_complaint", "cost_per_dispute",
    "cost_per_estimate", "cost_per_hour", "cost_per_instalment", "cost_per_rate_point_saved", "cost_per_rework",
    "credit_cost_per_rate_point", "credit_drawn_peak", "credit_interest", "credit_loss", "credit_needed",
    "discount_ability_max", "factoring_advanced", "factoring_buybacks", "factoring_chargebacks",
    "factoring_credit_loss", "factoring_fees", "factoring_rebates", "fees", "filing_fee", "floor_break_even",
    "free_care_ability_max", "indifference", "instalment_min", "interest_present_value", "interest_saved", "limit",
    "lost_margin", "materiality", "minimum_cash", "npv_after_liquidity", "npv_cost", "npv_gap", "npv_net_cash",
    "peak_drawn", "pnl", "service_fee", "setup_cost", "starting_cash",
})

#: Old name → new name (a name of the ``_usd`` era → its currency-neutral name).
OLD_NAMES = {f"{name}_usd": name for name in _RENAMED}
OLD_NAMES["ar_usd"] = "open_ar"
_NEW_TO_OLD = {new: old for old, new in OLD_NAMES.items()}

_OLD_IN_TEXT = re.compile(r"\b(" + "|".join(sorted(map(re.escape, OLD_NAMES), key=len, reverse=True)) + r")\b")
_PATH = re.compile(r"^[\w*]+(\.[\w*]+)+$")  # a dotted parameter path: behaviour.balance_ref_usd


class MoneyNameDeprecation(FutureWarning):
    """A scenario file uses a money name of the ``_usd`` era (shown to users: a FutureWarning)."""


def is_money(name: str) -> bool:
    """Whether a field, column or metric named ``name`` is an amount of money."""
    return name in MONEY_NAMES


def new_name(name: str) -> str:
    """The current name of ``name`` (itself unless it is an old ``_usd`` money name)."""
    return OLD_NAMES.get(name, name)


def stream_key(path: str) -> str:
    """The key of a drawn assumption's random stream: its dotted path as written before the rename
    (``channels.*.cost`` → ``channels.*.cost_usd``), so renaming changed no draw and no number."""
    return ".".join(_NEW_TO_OLD.get(part, part) for part in path.split("."))


def _modern(value: Any, renamed: dict[str, str], clashes: list[str], where: str) -> Any:
    if isinstance(value, dict):
        out: dict = {}
        for key, item in value.items():
            new = OLD_NAMES.get(key, key) if isinstance(key, str) else key
            if new != key:
                renamed[key] = new
                if new in value:
                    clashes.append(f"{where}{new}: given twice, as {new} and as its old name {key}; "
                                   f"expected only {new} (amounts are in the scenario's currency)")
                    continue
            out[new] = _modern(item, renamed, clashes, f"{where}{new}.")
        return out
    if isinstance(value, list):
        return [_modern(item, renamed, clashes, f"{where}{i}.") for i, item in enumerate(value)]
    if isinstance(value, str) and _PATH.match(value) and _OLD_IN_TEXT.search(value):
        new = _OLD_IN_TEXT.sub(lambda m: OLD_NAMES[m.group(0)], value)
        renamed[value] = new
        return new
    return value


def modernise(data: Any, source: str) -> tuple[Any, list[str]]:
    """``data`` with every old money name renamed, and the problems (a name given twice).

    Warns once (:class:`MoneyNameDeprecation`) listing the renames, so the author can update
    the file; ``data`` itself is not changed."""
    renamed: dict[str, str] = {}
    clashes: list[str] = []
    out = _modern(data, renamed, clashes, "")
    if renamed and not clashes:
        pairs = ", ".join(f"{old} → {new}" for old, new in sorted(renamed.items()))
        warnings.warn(f"{source}: money names ending in _usd are deprecated (amounts are in the scenario's "
                      f"currency); read as: {pairs}. Rename them in the file.", MoneyNameDeprecation, stacklevel=3)
    return out, clashes
