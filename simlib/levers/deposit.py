"""Deposit at service: ``share`` of the patient's *estimated* responsibility is asked for when care
is given (never for emergencies — EMTALA — nor for the open book billed before the simulation
starts). Whether the patient pays depends on the deposit against their ability to pay:

    P(pay) = compliance_rate / (1 + (deposit ÷ monthly ability ÷ compliance_half_months) ** compliance_steepness)

(a log-logistic fall: ``compliance_rate`` for a deposit that is small against the patient's
monthly ability, half of it when the deposit is ``compliance_half_months`` months of ability;
``compliance_half_months: null`` keeps the flat ``compliance_rate``). The estimate is the final
responsibility times a mean-one lognormal error (``estimate_error_sigma``); a paid deposit is
booked as a patient payment at service (counter ``deposits``) and the statement is for what is
left. A deposit above the final responsibility is refunded when the final responsibility is known,
on the statement day (at the latest the horizon): a ``REFUND_PATIENT`` row, counter
``deposit_refunds``."""
from __future__ import annotations

import math

from simlib.core.ledger import Kind
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, cents


class Deposit(Strict):
    """``share`` of the estimated patient responsibility asked at service; paid with probability
    ``compliance_rate / (1 + (deposit ÷ monthly ability ÷ compliance_half_months) ** compliance_steepness)``
    (flat ``compliance_rate`` with ``compliance_half_months: null``). The estimate is the final
    responsibility × exp(σ z − σ²/2), σ = ``estimate_error_sigma``; an excess is refunded."""

    share: Fraction
    compliance_rate: Fraction
    compliance_half_months: Positive | None = 1.0
    compliance_steepness: Positive = 1.0
    estimate_error_sigma: NonNeg = 0.25


def _draw(rng, n: int, scenario) -> dict:
    return {"deposit_u": rng.random(n)}


def _draw_estimate_error(rng, n: int, scenario) -> dict:
    return {"deposit_estimate_z": rng.standard_normal(n)}


def compliance_probability(dep: Deposit, deposit_usd: float, ability_monthly_usd: float) -> float:
    """P(the patient pays a deposit of ``deposit_usd``) given their monthly ability to pay."""
    if dep.compliance_half_months is None:
        return dep.compliance_rate
    if ability_monthly_usd <= 0.0:
        return 0.0
    ratio = deposit_usd / ability_monthly_usd / dep.compliance_half_months
    return dep.compliance_rate / (1.0 + ratio ** dep.compliance_steepness)


@register_lever
class DepositLever(Lever):
    key = "deposit"
    title = "Deposit at service"
    random_draws = {"deposits": _draw, "deposit_estimate": _draw_estimate_error}
    risk = ("Deposits at service",
            "EMTALA forbids delaying or refusing emergency screening and stabilisation to ask about "
            "payment, so a deposit may be asked only for non-emergency care. The model exempts "
            "emergencies (each payer's emergency share), but registration staff must apply the rule "
            "every time. The compliance rate is an assumption, and deposits can deter patients "
            "from needed care.")
    glossary = (("EMTALA", "The federal law that requires emergency screening and stabilisation regardless of "
                 "ability to pay."),
                ("Deposit", "Part of the patient's estimated share collected when care is given (not in "
                 "emergencies)."))
    assumptions = (Assumption("compliance_rate", "Deposit compliance (share who pay a small deposit)", 0.5, 1.5, upper=1.0),)
    settings = Deposit | None
    counters = {"deposits": "deposits collected at service",
                "deposits_declined": "deposits asked for and not paid",
                "deposit_refunds": "deposits above the final responsibility, refunded"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        how = (f"{settings.compliance_rate * 100:g} % compliance" if settings.compliance_half_months is None
               else f"up to {settings.compliance_rate * 100:g} % compliance, half when the deposit is "
                    f"{settings.compliance_half_months:g} month{'s' if settings.compliance_half_months != 1 else ''}"
                    f" of the patient's ability to pay")
        return f"deposit of {settings.share * 100:g} % at service ({how}; excess refunded)"

    def __init__(self, world, settings):
        super().__init__(world, settings)
        s = settings.estimate_error_sigma
        self.estimate_factor = world.pop.deposit_estimate_z * s - 0.5 * s * s if s > 0 else None

    def at_service(self, i: int, r: int, day: float, bal: int) -> int:
        world, pop, dep = self.world, self.world.pop, self.cfg
        if pop.emergency[i] or pop.open_book[i]:
            return bal
        estimate = bal if self.estimate_factor is None else bal * math.exp(self.estimate_factor[i])
        asked = cents(dep.share * estimate / 100.0)
        if asked <= 0:
            return bal
        if not pop.deposit_u[i] < compliance_probability(dep, asked / 100.0, float(pop.ability_monthly[i])):
            world.count("deposits_declined")
            return bal
        day = max(day, world.start_day)  # an open book's bills were served before the run
        world.ledger.post(r, day, Kind.PAYMENT_PATIENT, asked)
        world.count("deposits")
        world.trace(r, "deposit", day)
        if asked <= bal:
            return bal - asked
        refund_day = min(max(world.statement_day[i], day), world.horizon)
        world.ledger.post(r, refund_day, Kind.REFUND_PATIENT, asked - bal)
        world.count("deposit_refunds")
        world.trace(r, "deposit refunded", refund_day)
        return 0
