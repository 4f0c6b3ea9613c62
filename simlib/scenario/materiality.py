"""Materiality: how large a difference must be before the decision should care about it.

The scenario's ``decision:`` section states two thresholds, one per kind of number the reports
compare:

* ``materiality`` — a difference of money (NPV, cash collected, collection cost, the lowest
  cash position), in dollars over the simulated days;
* ``materiality_pp`` — a difference of a rate (collection rate, bad debt, A/R over 90 days), in
  percentage points.

A difference below its threshold is "no material difference", however sure the simulation is of
it: the report never calls it better or worse and the summary does not rank two strategies on it.
Numbers of other units (days, counts) have no threshold: only a difference that prints as zero is
no difference. The defaults and why (docs/model.md, "Materiality"):

* $25,000 — a hospital-specific setting, not a finding. For the calibrated hospital (≈14,600
  encounters a year, ≈$33M of net collections over 540 days) it is ≈0.08 % of net collections,
  about half a collector's yearly pay at the baseline's $28 an hour ($58k for 2,080 hours), or the
  one-off cost of changing a collection process (templates, vendor set-up, training), which the
  model does not price; and it is above the Monte Carlo precision of a paired NPV difference at 20
  runs (95 % CI half-widths of at most ≈$12k), so "material" never just means "detectable". A share of net patient revenue (audit
  materiality, 0.5–1 %) answers another question — would a misstatement mislead a reader of the
  accounts — and would call a +$160k reminder programme immaterial: scale the dollar figure with
  the hospital instead (a hospital ten times larger might use $250k).
* 0.5 pp — half a percentage point: about the 95 % CI half-width of the status quo's own rates at
  20 runs (patient collection 47.5 %, CI 46.8–48.1 %; A/R over 90 days 23.2 %, CI 22.5–23.9 %),
  and below the one-decimal precision to which benchmark tables quote these rates.

The thresholds compare with a difference *as displayed* (rounded as the report prints it), so the
words always agree with the number beside them (:func:`simlib.analysis.numbers.verdict`). This module
is in the base layer: the scenario schema (:mod:`simlib.scenario.schema`) holds a :class:`Decision`.
"""
from __future__ import annotations

from simlib.core.language import _, money_text, short_number_text, speech

from typing import Annotated

from pydantic import Field

from simlib.core.settings import Strict

MATERIALITY_USD_DEFAULT = 25_000.0
MATERIALITY_PP_DEFAULT = 0.5


class Decision(Strict):
    """How large a difference must be to matter to the decision (``decision:`` in a scenario).

    ``materiality``: money differences below it (dollars over the simulated days) are "no
    material difference"; ``materiality_pp``: the same for rates, in percentage points. 0 turns
    a threshold off (then only a difference that prints as zero is "no difference")."""

    materiality: Annotated[float, Field(ge=0.0, description=(
        "Money differences (dollars over the simulated days) below this are “no material difference”; "
        "0: none (docs/model.md, Materiality)."))] = MATERIALITY_USD_DEFAULT
    materiality_pp: Annotated[float, Field(ge=0.0, le=100.0, description=(
        "Differences of rates below this many percentage points are “no material difference”; 0: none."))] \
        = MATERIALITY_PP_DEFAULT


#: Every number is material beyond its display precision (no threshold): for callers without a scenario.
NO_THRESHOLD = Decision(materiality=0.0, materiality_pp=0.0)


def decision_of(scenario) -> Decision:
    """The scenario's ``decision`` section (the defaults for an object without one)."""
    decision = getattr(scenario, "decision", None)
    return decision if isinstance(decision, Decision) else Decision()


def threshold(decision: Decision | None, unit: str) -> float:
    """The materiality threshold of a difference of ``unit``, in that unit's own scale: dollars
    for ``usd``, a fraction for ``share`` (0.5 pp → 0.005); 0 for units without one."""
    if decision is None:
        return 0.0
    if unit == "usd":
        return float(decision.materiality)
    if unit == "share":
        return float(decision.materiality_pp) / 100.0
    return 0.0


def is_material(difference: float, unit: str, decision: Decision | None) -> bool:
    """Whether a difference (as displayed, in its unit's own scale) reaches the threshold. A
    difference exactly at the threshold is material; below it is not."""
    return abs(float(difference)) >= threshold(decision, unit)


def threshold_text(decision: Decision | None, unit: str) -> str:
    """The threshold of ``unit`` as a sentence writes it: ``"$25,000"``, ``"0.5 pp"`` ("" if none)."""
    limit = threshold(decision, unit)
    if limit <= 0:
        return ""
    if unit == "usd":
        return _money(limit)
    if unit == "share":
        return _("{points} pp").format(points=short_number_text(limit * 100))
    return short_number_text(limit)


def _money(amount: float) -> str:
    """``"$25,000"``; a million or more as the board writes it, ``"$24M"`` (a threshold in pesos);
    in another language or currency, Babel's whole amount (``24 000 000 $``)."""
    if amount >= 1e6 and speech().is_us_default:
        return f"${amount / 1e6:,.4g}M"
    return money_text(amount)


def threshold_words(decision: Decision | None) -> str:
    """The thresholds in words for notes: ``"$25,000 and 0.5 percentage points"``."""
    if decision is None:
        return _("none")
    return _("{money} for money and {points} percentage points for rates").format(
        money=_money(decision.materiality), points=short_number_text(decision.materiality_pp))
