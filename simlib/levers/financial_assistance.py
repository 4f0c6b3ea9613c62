"""Financial assistance (charity care) under a US nonprofit hospital's 501(r) FAP.

The policy is the hospital's, not a collection strategy's: IRS §501(r)(4) requires a nonprofit
hospital to have a written financial assistance policy, and who qualifies is the same whatever the
collection strategy, so strategies are compared on collecting from the same patients. It is the
scenario's ``finance.financial_assistance`` section (``null``: no FAP). What a strategy may choose
is *when* eligibility is found — the ``fap_screening`` key of a strategy (``null``: the policy's):

- ``presumptive``: on the statement, from data the hospital has (presumptive eligibility scoring);
- ``at_write_off``: just before the bad-debt write-off (screening the accounts about to be
  written off; a plan in good standing defers it with the write-off; an agency placement, which
  supersedes the write-off, supersedes it too).

Eligibility uses the patient's monthly ability to pay as the proxy of income (``docs/model.md``):
below ``free_care_ability_max_usd`` the whole balance is charity; up to
``discount_ability_max_usd`` a sliding discount falling linearly from 100 % to
``discount_min_rate``; above, none. The screening identifies an eligible patient with probability
``identification_rate`` (a latent uniform of the ``charity`` stream). The discount of the open
balance is booked as ``CHARITY_CARE`` — an adjustment, never bad debt. Counters:
``charity_adjustments``, ``charity_free_care``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from simlib.core.ledger import Kind
from simlib.levers.base import Lever, register_lever, unknown_payers
from simlib.core.settings import Fraction, NonNeg, Strict

Screening = Literal["presumptive", "at_write_off"]


class FinancialAssistance(Strict):
    """A 501(r) financial assistance policy with presumptive or pre-write-off screening."""

    free_care_ability_max_usd: NonNeg = 63.0
    discount_ability_max_usd: NonNeg = 94.0
    discount_min_rate: Fraction = 0.4
    identification_rate: Fraction = 0.5
    screening: Screening = "presumptive"
    payers: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> "FinancialAssistance":
        if self.discount_ability_max_usd < self.free_care_ability_max_usd:
            raise ValueError("discount_ability_max_usd must be >= free_care_ability_max_usd")
        return self


def charity_rate(fap: FinancialAssistance, ability_monthly_usd: float) -> float:
    """The share of the balance the policy forgives a patient of this monthly ability to pay."""
    lo, hi = fap.free_care_ability_max_usd, fap.discount_ability_max_usd
    if ability_monthly_usd < lo:
        return 1.0
    if ability_monthly_usd >= hi:
        return 0.0
    return 1.0 - (1.0 - fap.discount_min_rate) * (ability_monthly_usd - lo) / (hi - lo)


def _draw(rng, n: int, scenario) -> dict:
    return {"charity_u": rng.random(n)}


@register_lever
class FapScreening(Lever):
    key = "fap_screening"
    title = "Financial assistance screening"
    random_draws = {"charity": _draw}
    settings = Screening | None
    order = 999  # the pre-write-off screening runs just before the write-off (order 1000)
    counters = {"charity_adjustments": "balances adjusted as charity care (financial assistance)",
                "charity_free_care": "balances forgiven in full as charity care"}

    @classmethod
    def active(cls, settings) -> bool:
        return True  # the policy is the scenario's; __init__ decides whether there is one

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return ("financial assistance found presumptively on the statement" if settings == "presumptive"
                else "financial assistance screened before write-off")

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        fap = scenario.finance.financial_assistance
        out = [] if fap is None else unknown_payers("finance.financial_assistance.payers", fap.payers, scenario)
        if settings is not None and fap is None:
            out.append(f"{at}: screening needs a policy: set finance.financial_assistance")
        return out

    def __init__(self, world, settings):
        super().__init__(world, settings)
        fap = world.sc.finance.financial_assistance
        self.fap = fap
        if fap is None or fap.identification_rate == 0:
            return  # no hooks: nothing happens
        pop = world.pop
        eligible = pop.charity_u < fap.identification_rate
        if fap.payers is not None:
            names = [pop.payer_names.index(p) for p in fap.payers]
            eligible &= (pop.payer[:, None] == names).any(axis=1) if names else False
        self.rate = [charity_rate(fap, a) if e else 0.0
                     for a, e in zip(pop.ability_monthly.tolist(), eligible.tolist())]
        self._screen = self.screen
        if (settings or fap.screening) == "presumptive":
            self.at_statement = self.screen_now
        else:
            self.after_days = world.st.write_off.after_days
            self.schedule = self.schedule_screening

    def screen_now(self, acct) -> None:
        self.screen(acct, None)

    def schedule_screening(self, acct, bill: float, items: list) -> None:
        if self.rate[acct.i] > 0:
            items.append((bill + self.after_days, 999, self._screen, None))

    def screen(self, acct, _) -> None:
        """Adjust the eligible share of the open balance as charity care."""
        rate = self.rate[acct.i]
        if rate <= 0 or acct.bal <= 0 or not acct.deadline(self._screen):
            return
        amount = acct.bal if rate >= 1.0 else int(round(rate * acct.bal))
        if amount <= 0:
            return
        acct.reduce(Kind.CHARITY_CARE, amount, acct.now)
        world = self.world
        world.count("charity_adjustments")
        if acct.bal == 0:
            world.count("charity_free_care")
        world.trace(acct.r, "charity care", acct.now)
