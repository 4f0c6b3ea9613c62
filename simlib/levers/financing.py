"""Third-party patient financing: offered ``offer_day`` after the statement to balances in
[``balance_min``, ``balance_max``]; a patient takes it with a probability that rises with the
balance against their monthly ability to pay, and the lender approves with a probability that falls
with low ability (:mod:`simlib.levers.takeup`; declined applicants count in ``financing_declined``). The lender pays the hospital the whole balance at once (the receivable
closes, ``PAYMENT_LENDER``) and the hospital pays ``merchant_fee_rate`` × balance
(``FEE_FINANCING``); the lender bears the patient's default risk. Not offered to an account a plan
or an agency holds. Counter ``financed``."""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text

from typing import Annotated

from pydantic import Field, model_validator

from simlib.core.ledger import Kind
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.levers.takeup import Uptake, approval_probability, describe_takers, uptake_probability
from simlib.core.settings import Fraction, NonNeg, Positive, cents


class Financing(Uptake):
    """Third-party patient financing: offered on ``offer_day`` after the statement to balances in
    [balance_min, balance_max]; a patient applies with the take-up probability of
    :mod:`simlib.levers.takeup` and is approved with probability
    ``1 / (1 + (approval_ability_half ÷ monthly ability) ** approval_steepness)``; a taker's lender pays the hospital the whole balance at once
    (the receivable closes) and the hospital pays ``merchant_fee_rate`` × balance. The lender bears
    the patient's default risk."""

    balance_min: NonNeg = 500.0
    balance_max: Positive | None = None
    offer_day: NonNeg = 0.0
    uptake_rate: Fraction = 0.15
    merchant_fee_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.06
    approval_ability_half: NonNeg = 50.0
    approval_steepness: Positive = 2.0

    @model_validator(mode="after")
    def _check(self) -> "Financing":
        if self.balance_max is not None and self.balance_max < self.balance_min:
            raise ValueError("balance_max must be >= balance_min")
        return self


def _draw_uptake(rng, n: int, scenario) -> dict:
    return {"financing_u": rng.random(n)}


def _draw_approval(rng, n: int, scenario) -> dict:
    return {"financing_approval_u": rng.random(n)}


@register_lever
class FinancingLever(Lever):
    key = "financing"
    title = N_("Patient financing")
    random_draws = {"financing": _draw_uptake, "financing_approval": _draw_approval}
    risk = (N_("Patient financing"),
            N_("Patients who take the loan owe a lender instead of the hospital: screen for financial "
            "assistance first, and make the offer optional and clear about interest. The uptake "
            "rate is an assumption (no peer-reviewed figure)."))
    assumptions = (Assumption("uptake_rate", N_("Financing take-up rate"), 0.5, 1.5, upper=1.0),)
    settings = Financing | None
    order = 3
    counters = {"financed": "balances paid off by the lender",
                "financing_declined": "applications the lender declined"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        band = f"≥ {money_text(settings.balance_min)}" if settings.balance_max is None else \
            f"{money_text(settings.balance_min)}–{money_text(settings.balance_max)}"
        when = (_("on the statement") if settings.offer_day == 0 else
                _("{days} days after the statement").format(days=short_number_text(settings.offer_day)))
        message = (_("patient financing offered {when} for balances {band} ({takers}; the lender approves everyone "
                     "and pays at once less a {fee} % fee)") if settings.approval_ability_half == 0 else
                   _("patient financing offered {when} for balances {band} ({takers}; the lender approves fewer of "
                     "those less able to pay and pays at once less a {fee} % fee)"))
        return message.format(when=when, band=band, takers=describe_takers(settings),
                              fee=short_number_text(settings.merchant_fee_rate * 100))

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.min_cents = cents(settings.balance_min)
        self.max_cents = None if settings.balance_max is None else cents(settings.balance_max)
        self._offer = self.offer

    def schedule(self, acct, bill: float, items: list) -> None:
        pop, i = self.world.pop, acct.i
        if acct.bal >= self.min_cents and pop.financing_u[i] < uptake_probability(
                self.cfg, acct.bal / 100.0, float(pop.ability_monthly[i])):
            items.append((bill + self.cfg.offer_day, 3, self._offer, None))

    def offer(self, acct, _) -> None:
        """The lender pays the whole balance now; the hospital pays the merchant fee."""
        bal = acct.bal
        if acct.held_by is not None or bal < self.min_cents or (
                self.max_cents is not None and bal > self.max_cents):
            return
        world, now, pop = self.world, acct.now, self.world.pop
        if not pop.financing_approval_u[acct.i] < approval_probability(
                self.cfg.approval_ability_half, self.cfg.approval_steepness,
                float(pop.ability_monthly[acct.i])):
            world.count("financing_declined")
            world.trace(acct.r, "financing declined", now)
            return
        fee = int(round(self.cfg.merchant_fee_rate * bal))
        acct.close(Kind.PAYMENT_LENDER, now)
        acct.book(Kind.FEE_FINANCING, fee, now)
        world.count("financed")
        world.trace(acct.r, "financed", now)
