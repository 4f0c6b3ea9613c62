"""Take-up of an offer (a payment plan, patient financing) by the patient it is offered to.

Who takes a plan or a loan depends on how the balance compares with what they can pay each month
(x = balance ÷ monthly ability to pay, in months):

    P(take) = min(uptake_max, uptake_rate × (x ÷ uptake_ratio_ref_months) ** uptake_elasticity)

``uptake_rate`` is the take-up at a balance of ``uptake_ratio_ref_months`` months of ability; a
balance the patient can clear from one month's means is rarely spread out, one of many months
often is (PayZen/HFMA 2025: patients say they can afford ≈ $97 a month, so a 12-month plan covers
a balance under $1,200; ``docs/model.md``). ``uptake_elasticity: 0`` is the flat rate.

A lender approves the patient with a probability that falls with low ability to pay (a proxy of
income and credit):

    P(approve) = 1 / (1 + (approval_ability_half ÷ monthly ability) ** approval_steepness)

(half approved at ``approval_ability_half``; ``0`` approves everyone).
"""
from __future__ import annotations

from simlib.core.language import _, short_number_text

from typing import Annotated

from pydantic import Field

from simlib.core.settings import Fraction, Positive, Strict


class Uptake(Strict):
    """The take-up fields a plan or financing section shares (see the module doc)."""

    uptake_rate: Fraction = 0.3
    uptake_ratio_ref_months: Positive = 6.0
    uptake_elasticity: Annotated[float, Field(ge=0.0, le=5.0)] = 0.5
    uptake_max: Fraction = 0.8


def uptake_probability(cfg: Uptake, balance: float, ability_monthly: float) -> float:
    """P(the patient takes the offer) for a balance against their monthly ability to pay."""
    if cfg.uptake_elasticity == 0.0:
        return min(cfg.uptake_max, cfg.uptake_rate)
    if ability_monthly <= 0.0:
        return cfg.uptake_max if cfg.uptake_rate > 0 else 0.0
    months = balance / ability_monthly
    return min(cfg.uptake_max, cfg.uptake_rate * (months / cfg.uptake_ratio_ref_months) ** cfg.uptake_elasticity)


def approval_probability(half_ability: float, steepness: float, ability_monthly: float) -> float:
    """P(a lender approves) a patient of this monthly ability to pay (1 when ``half_ability`` is 0)."""
    if half_ability <= 0.0:
        return 1.0
    if ability_monthly <= 0.0:
        return 0.0
    return 1.0 / (1.0 + (half_ability / ability_monthly) ** steepness)


def describe_takers(settings: Uptake) -> str:
    """Who takes an offer, in words."""
    if settings.uptake_elasticity == 0:
        return _("{rate} % take it").format(rate=short_number_text(min(settings.uptake_rate, settings.uptake_max) * 100))
    return _("{rate} % take it at a balance of {months} months of their ability to pay, more for larger "
             "balances, at most {most} %").format(rate=short_number_text(settings.uptake_rate * 100),
                                                  months=short_number_text(settings.uptake_ratio_ref_months),
                                                  most=short_number_text(settings.uptake_max * 100))
