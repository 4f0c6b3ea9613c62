"""Deposit at service: ``share`` of the patient's *estimated* responsibility is asked for when care
is given (never for emergencies — EMTALA — nor for the open book billed before the simulation
starts, nor from the payers of ``excluded_payers``: Medicaid by default, whose beneficiaries may
be charged only nominal cost sharing and may not be refused care for it, 42 CFR 447.52/447.56).
Whether the patient pays depends on the deposit against their ability to pay:

    P(pay) = compliance_rate / (1 + (deposit ÷ monthly ability ÷ compliance_half_months) ** compliance_steepness)

(a log-logistic fall: ``compliance_rate`` for a deposit that is small against the patient's
monthly ability, half of it when the deposit is ``compliance_half_months`` months of ability;
``compliance_half_months: null`` keeps the flat ``compliance_rate``), and on the patient: the
uniform the probability is compared with is correlated with the patient's propensity to pay the
bill (a Gaussian copula of correlation ``propensity_correlation``: patients who would pay their
bill are the ones who pay a deposit; the share who pay is unchanged). The estimate is the final
responsibility times a mean-one lognormal error (``estimate_error_sigma``); a paid deposit is
booked as a patient payment at service (counter ``deposits``) and the statement is for what is
left. A deposit above the final responsibility is refunded when the final responsibility is known,
on the statement day (at the latest the horizon): a ``REFUND_PATIENT`` row, counter
``deposit_refunds``; so is, under a 501(r) policy, what a patient later found eligible for
financial assistance paid beyond what they owe (:mod:`simlib.levers.financial_assistance`).

What asking costs (docs/model.md "Deposits"): every ask takes registration staff time,
``ask_cost`` (a ``COST_REGISTRATION`` row); a patient who declines defers or cancels the
(elective) care with probability ``declined_care_deferral_rate``, and the hospital loses the
encounter's contribution margin (allowed × ``harm.contribution_margin_ratio``, a
``LOST_MARGIN_DEFERRED_CARE`` row: no cash, subtracted from the NPV; counter ``care_deferred``).
The encounter itself stays in the books (every strategy meets the same encounters): only its
margin is counted as lost."""
from __future__ import annotations

from simlib.core.language import N_, _, ngettext, short_number_text

import math

import numpy as np
from scipy.special import ndtr, ndtri

from simlib.core.ledger import Kind
from simlib.levers.base import Assumption, Lever, register_lever, unknown_payers
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, cents

#: payers never asked for a deposit unless the strategy says otherwise (names absent from a scenario
#: are ignored in this default only)
DEFAULT_EXCLUDED = ["medicaid"]
#: draws of the deposit's own stream (a lever stream: no built-in draw moves)
DEFERRAL_STREAM = "deposit_deferral"


class Deposit(Strict):
    """``share`` of the estimated patient responsibility asked at service; paid with probability
    ``compliance_rate / (1 + (deposit ÷ monthly ability ÷ compliance_half_months) ** compliance_steepness)``
    (flat ``compliance_rate`` with ``compliance_half_months: null``), by the patients most likely
    to pay their bill (``propensity_correlation``). The estimate is the final responsibility ×
    exp(σ z − σ²/2), σ = ``estimate_error_sigma``; an excess is refunded. Each ask costs
    ``ask_cost``; a declined deposit defers the care with ``declined_care_deferral_rate``."""

    share: Fraction
    compliance_rate: Fraction
    compliance_half_months: Positive | None = 1.0
    compliance_steepness: Positive = 1.0
    estimate_error_sigma: NonNeg = 0.25
    propensity_correlation: Fraction = 0.5
    declined_care_deferral_rate: Fraction = 0.1
    ask_cost: NonNeg = 2.6
    excluded_payers: list[str] = DEFAULT_EXCLUDED


def _draw(rng, n: int, scenario) -> dict:
    return {"deposit_u": rng.random(n)}


def _draw_estimate_error(rng, n: int, scenario) -> dict:
    return {"deposit_estimate_z": rng.standard_normal(n)}


def compliance_probability(dep: Deposit, deposit: float, ability_monthly: float) -> float:
    """P(the patient pays a deposit of ``deposit``) given their monthly ability to pay."""
    if dep.compliance_half_months is None:
        return dep.compliance_rate
    if ability_monthly <= 0.0:
        return 0.0
    ratio = deposit / ability_monthly / dep.compliance_half_months
    return dep.compliance_rate / (1.0 + ratio ** dep.compliance_steepness)


def propensity_uniform(deposit_u: np.ndarray, propensity: np.ndarray, sigma: float, rho: float) -> np.ndarray:
    """The uniform a patient's deposit decision is compared with: Φ(−ρ z_p + √(1 − ρ²) z_u), z_p
    the normal score of the (mean-one lognormal) propensity and z_u that of the deposit's own
    uniform. Uniform whatever ρ; with ρ > 0 low for patients likely to pay (they pay more often)."""
    if rho <= 0.0 or sigma <= 0.0:
        return deposit_u
    z_p = (np.log(propensity) + 0.5 * sigma * sigma) / sigma
    z_u = ndtri(np.clip(deposit_u, 1e-12, 1.0 - 1e-12))
    return ndtr(-rho * z_p + math.sqrt(1.0 - rho * rho) * z_u)


@register_lever
class DepositLever(Lever):
    key = "deposit"
    title = N_("Deposit at service")
    random_draws = {"deposits": _draw, "deposit_estimate": _draw_estimate_error}
    # the law on deposits (EMTALA, Ley 20.394) is the jurisdiction's: simlib/scenario/jurisdictions
    risk = (N_("Deposits at service"),
            N_("The compliance rate, how far deposit payers are the patients who would pay anyway, and the "
            "share who defer care when they decline (whose lost margin the NPV counts) are "
            "assumptions."))
    glossary = ((N_("Deposit"), N_("Part of the patient's estimated share collected when care is given (not in "
                 "emergencies).")),)
    assumptions = (Assumption("compliance_rate", N_("Deposit compliance (share who pay a small deposit)"), 0.5, 1.5, upper=1.0),
                   Assumption("propensity_correlation", N_("How much deposit payers are the patients who pay anyway"),
                              0.0, 0.9, mode="set"),
                   Assumption("declined_care_deferral_rate", N_("Patients who defer care when they decline a deposit"),
                              0.02, 0.3, mode="set"))
    settings = Deposit | None
    counters = {"deposits_asked": "deposits asked at service",
                "deposits": "deposits collected at service",
                "deposits_declined": "deposits asked for and not paid",
                "care_deferred": "patients who declined a deposit and deferred or cancelled the care",
                "deposit_refunds": "deposits above the final responsibility, refunded"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        rate = short_number_text(settings.compliance_rate * 100)
        if settings.compliance_half_months is None:
            how = _("{rate} % compliance").format(rate=rate)
        else:
            half = settings.compliance_half_months
            how = ngettext("up to {rate} % compliance, half when the deposit is {months} month of the patient's "
                           "ability to pay", "up to {rate} % compliance, half when the deposit is {months} months "
                           "of the patient's ability to pay", 1 if half == 1 else 2).format(
                               rate=rate, months=short_number_text(half))
        never = ", ".join(settings.excluded_payers)
        text = _("deposit of {share} % at service ({how}; excess refunded").format(
            share=short_number_text(settings.share * 100), how=how)
        return text + (_("; never from {payers}").format(payers=never) if never else "") + ")"

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None or settings.excluded_payers == DEFAULT_EXCLUDED:
            return []  # the default names Medicaid, which a scenario need not have
        return unknown_payers(f"{at}.excluded_payers", settings.excluded_payers, scenario)

    def __init__(self, world, settings):
        super().__init__(world, settings)
        pop, s = world.pop, settings.estimate_error_sigma
        self.estimate_factor = pop.deposit_estimate_z * s - 0.5 * s * s if s > 0 else None
        self.u = propensity_uniform(pop.deposit_u, pop.propensity, world.sc.patients.propensity_sigma,
                                    settings.propensity_correlation).tolist()
        excluded = [pop.payer_names.index(p) for p in settings.excluded_payers if p in pop.payer_names]
        self.asked_of = (~np.isin(pop.payer, excluded) & ~pop.emergency & ~pop.open_book).tolist()
        self.defer_u = pop.draws(DEFERRAL_STREAM, lambda g, n: g.random(n)).tolist() \
            if settings.declined_care_deferral_rate > 0 else None
        self.ask_cents = cents(settings.ask_cost)
        #: deposit cents kept (paid minus refunded) by encounter: the 501(r) refund reads it
        self.kept: dict[int, int] = {}

    def at_service(self, i: int, r: int, day: float, bal: int) -> int:
        world, pop, dep = self.world, self.world.pop, self.cfg
        if not self.asked_of[i]:
            return bal
        estimate = bal if self.estimate_factor is None else bal * math.exp(self.estimate_factor[i])
        asked = cents(dep.share * estimate / 100.0)
        if asked <= 0:
            return bal
        day = max(day, world.start_day)  # an open book's bills were served before the run
        world.count("deposits_asked")
        world.ledger.post(r, day, Kind.COST_REGISTRATION, self.ask_cents)
        if not self.u[i] < compliance_probability(dep, asked / 100.0, float(pop.ability_monthly[i])):
            world.count("deposits_declined")
            if self.defer_u is not None and self.defer_u[i] < dep.declined_care_deferral_rate:
                self._defer(i, r, day)
            return bal
        world.ledger.post(r, day, Kind.PAYMENT_PATIENT, asked)
        world.count("deposits")
        world.trace(r, "deposit", day)
        if asked <= bal:
            self.kept[i] = asked
            return bal - asked
        self.kept[i] = bal
        refund_day = min(max(world.statement_day[i], day), world.horizon)
        world.ledger.post(r, refund_day, Kind.REFUND_PATIENT, asked - bal)
        world.count("deposit_refunds")
        world.trace(r, "deposit refunded", refund_day)
        return 0

    def _defer(self, i: int, r: int, day: float) -> None:
        """The patient declined and defers or cancels the care: its contribution margin is lost."""
        world = self.world
        world.count("care_deferred")
        margin = float(world.pop.allowed_cents[i]) * world.sc.harm.contribution_margin_ratio
        world.ledger.post(r, day, Kind.LOST_MARGIN_DEFERRED_CARE, int(round(margin)))
        world.trace(r, "care deferred", day)
