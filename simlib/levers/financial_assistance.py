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
below ``free_care_ability_max`` the whole balance is charity; up to
``discount_ability_max`` a sliding discount falling linearly from 100 % to
``discount_min_rate``; above, none. The screening identifies an eligible patient with probability
``identification_rate`` (a latent uniform of the ``charity`` stream). The discount of the open
balance is booked as ``CHARITY_CARE`` — an adjustment, never bad debt. Counters:
``charity_adjustments``, ``charity_free_care``.

A deposit the patient paid at service (:mod:`simlib.levers.deposit`) counts towards what they owe:
the policy's share applies to the whole responsibility (open balance + deposit kept), and what the
deposit paid beyond the patient's share is refunded (IRS §1.501(r)-6: an eligible patient gets back
what they paid beyond what they owe) — a ``REFUND_PATIENT`` row before the ``CHARITY_CARE`` one,
counter ``deposit_fap_refunds``. A deposit that paid the whole balance leaves no account to
screen; presumptive screening, from data the hospital has, still finds the patient on the
statement day (at the latest the horizon).

The hospital's own open book (``simulation.open_book``, an A/R aging report) is not screened
presumptively on day 0: its balances were stated before day 0, when presumptive screening already
found whom it finds, and an aging report lists them net of the charity adjustments already posted
— screening them again would count charity twice. Screening before write-off still applies to
them (their write-off falls in the run). The model's own drawn book (``open_book_accounts``) is
drawn gross, like new encounters, so it is screened on its day-0 statement like any statement.
"""
from __future__ import annotations

import numpy as np

from simlib.core.language import N_, _

from typing import Literal

from pydantic import model_validator

from simlib.core.ledger import Kind
from simlib.levers.base import Lever, register_lever, unknown_payers
from simlib.core.settings import Fraction, NonNeg, Strict

Screening = Literal["presumptive", "at_write_off"]


class FinancialAssistance(Strict):
    """A 501(r) financial assistance policy with presumptive or pre-write-off screening."""

    free_care_ability_max: NonNeg = 63.0
    discount_ability_max: NonNeg = 94.0
    discount_min_rate: Fraction = 0.4
    identification_rate: Fraction = 0.5
    screening: Screening = "presumptive"
    payers: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> "FinancialAssistance":
        if self.discount_ability_max < self.free_care_ability_max:
            raise ValueError("discount_ability_max must be >= free_care_ability_max")
        return self


def fap_origin(finance) -> str:
    """One line: which financial assistance policy applies to a scenario's ``finance`` section and
    why (``simlib validate`` prints it). Charity care only where a policy is declared: a US
    nonprofit without a ``financial_assistance`` key gets the default policy, any other hospital none."""
    declared = "financial_assistance" in finance.model_fields_set
    if finance.financial_assistance is None:
        why = "set to null" if declared else "not a US nonprofit (finance.us_nonprofit: false) and none declared"
        return f"charity care: off ({why})"
    if declared:
        return "charity care: on (finance.financial_assistance as declared)"
    return "charity care: on (the default policy of a US nonprofit, finance.us_nonprofit: true; IRS §501(r)(4))"


def charity_rate(fap: FinancialAssistance, ability_monthly: float) -> float:
    """The share of the balance the policy forgives a patient of this monthly ability to pay."""
    lo, hi = fap.free_care_ability_max, fap.discount_ability_max
    if ability_monthly < lo:
        return 1.0
    if ability_monthly >= hi:
        return 0.0
    return 1.0 - (1.0 - fap.discount_min_rate) * (ability_monthly - lo) / (hi - lo)


def charity_rates(fap: FinancialAssistance, ability_monthly: np.ndarray) -> np.ndarray:
    """:func:`charity_rate` of every patient at once (the same float operations, element by
    element: the same values; a world builds it for every encounter)."""
    a, lo, hi = np.asarray(ability_monthly, dtype=float), fap.free_care_ability_max, fap.discount_ability_max
    with np.errstate(divide="ignore", invalid="ignore"):
        sliding = 1.0 - (1.0 - fap.discount_min_rate) * (a - lo) / (hi - lo)
    return np.where(a < lo, 1.0, np.where(a >= hi, 0.0, sliding))


def _draw(rng, n: int, scenario) -> dict:
    return {"charity_u": rng.random(n)}


@register_lever
class FapScreening(Lever):
    key = "fap_screening"
    title = N_("Financial assistance screening")
    random_draws = {"charity": _draw}
    settings = Screening | None
    order = 999  # the pre-write-off screening runs just before the write-off (order 1000)
    counters = {"charity_adjustments": "balances adjusted as charity care (financial assistance)",
                "charity_free_care": "balances forgiven in full as charity care",
                "deposit_fap_refunds": "deposits refunded (in part) to patients found eligible for "
                                       "financial assistance (501(r))"}

    @classmethod
    def active(cls, settings) -> bool:
        return True  # the policy is the scenario's; __init__ decides whether there is one

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return (_("financial assistance found presumptively on the statement") if settings == "presumptive"
                else _("financial assistance screened before write-off"))

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
        self.rate = np.where(eligible, charity_rates(fap, pop.ability_monthly), 0.0).tolist()
        self._screen = self.screen
        deposit = world.levers.get("deposit")
        self.kept = deposit.kept if deposit is not None else {}
        if (settings or fap.screening) == "presumptive":
            if world.sc.simulation.open_book is not None:  # the hospital's own A/R report: see the module
                self.rate = [0.0 if booked else r for r, booked in zip(self.rate, pop.open_book.tolist())]
            self.at_statement = self.screen_now
            if deposit is not None:
                self.at_service = self.screen_paid_in_full
        else:
            self.after_days = world.st.write_off.after_days
            self.schedule = self.schedule_screening

    def screen_now(self, acct) -> None:
        self.screen(acct, None)

    def schedule_screening(self, acct, bill: float, items: list) -> None:
        if self.rate[acct.i] > 0:
            items.append((bill + self.after_days, 999, self._screen, None))

    def screen_paid_in_full(self, i: int, r: int, day: float, bal: int) -> int:
        """A deposit paid the whole balance at service and no account follows: the presumptive
        screening on the statement day still refunds the eligible share of it. When a secondary
        payer's denial passes a share to the patient an account follows, and its own screening on
        the statement covers the deposit kept with the share (one screening of the patient's whole
        responsibility: screening here too refunded the deposit twice)."""
        kept = self.kept.get(i, 0)
        if bal == 0 and kept > 0 and self.rate[i] > 0 and not self.world.passes_share(i):
            world = self.world
            when = min(max(world.statement_day[i], day, 0.0), world.horizon)
            amount = kept if self.rate[i] >= 1.0 else int(round(self.rate[i] * kept))
            if amount > 0:
                self._refund_and_forgive(r, when, amount, 0)
                self.kept[i] = kept - amount
                world.count("charity_adjustments")
                world.count("charity_free_care")
        return bal

    def screen(self, acct, _) -> None:
        """Adjust the eligible share of what the patient owes (open balance + deposit kept) as
        charity care; a deposit beyond the patient's remaining share is refunded."""
        rate = self.rate[acct.i]
        if rate <= 0 or acct.bal <= 0 or not acct.deadline(self._screen):
            return
        kept = self.kept.get(acct.i, 0)
        owed = acct.bal + kept
        amount = owed if rate >= 1.0 else int(round(rate * owed))   # charity on the whole responsibility
        if amount <= 0:
            return
        world = self.world
        refund = max(0, amount - acct.bal)
        if refund:
            self._refund_and_forgive(acct.r, acct.now, refund, acct.bal)
            self.kept[acct.i] = kept - refund
            acct.bal = 0
            world.open_cents[acct.r] = 0
        else:
            acct.reduce(Kind.CHARITY_CARE, amount, acct.now)
        world.count("charity_adjustments")
        if acct.bal == 0:
            world.count("charity_free_care")
        world.trace(acct.r, "charity care", acct.now)

    def _refund_and_forgive(self, r: int, day: float, refund: int, open_bal: int) -> None:
        """Pay back ``refund`` cents of the deposit and forgive the open balance and the refund
        (the refund raises the balance, the charity row takes it and the open balance off)."""
        world = self.world
        world.ledger.post(r, day, Kind.REFUND_PATIENT, refund)
        world.ledger.post(r, day, Kind.CHARITY_CARE, open_bal + refund)
        world.count("deposit_fap_refunds")
        world.trace(r, "deposit refunded (financial assistance)", day)
