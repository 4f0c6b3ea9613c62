"""Prompt-pay discount: ``rate`` off for paying in full within ``window_days`` of the statement,
for the eligible payers' patients. While the offer is open the patient's payment intensity is
multiplied by the dose–response 1 + ``discount_uplift_max`` × price sensitivity × g(rate), with
g(r) = r ÷ (r + ``discount_half_rate``) (both in the scenario's ``behaviour``): no effect at 0 %,
increasing in the rate, saturating (half the largest uplift at the half rate). A payment in full
books the discount as an allowance (``DISCOUNT`` row, counter ``discounts``). The offer ends at the
window's end, or when a plan or an agency takes the account over."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from simlib.core.ledger import Kind
from simlib.levers.base import Assumption, Lever, register_lever, unknown_payers
from simlib.core.settings import Positive, Strict


class PromptPayDiscount(Strict):
    rate: Annotated[float, Field(ge=0.0, lt=1.0)]
    window_days: Positive
    eligible_payers: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_fixed_multiplier(cls, data):
        if isinstance(data, dict) and "intensity_multiplier" in data:
            raise ValueError("intensity_multiplier was removed (issue 9): the patient's response now "
                             "follows the rate; set behaviour.discount_uplift_max and "
                             "behaviour.discount_half_rate instead")
        return data


def discount_response(rate: float, half_rate: float) -> float:
    """g(rate) = rate ÷ (rate + half_rate): 0 at 0 %, increasing, → 1 for large rates."""
    return rate / (rate + half_rate)


@register_lever
class PromptPayDiscountLever(Lever):
    key = "prompt_pay_discount"
    title = "Prompt-pay discount"
    # the law on discounts (the US Anti-Kickback Statute) is the jurisdiction's: simlib/scenario/jurisdictions
    assumptions = (Assumption("behaviour.discount_uplift_max", "Response to a prompt-pay discount (largest uplift)", 0.5, 1.5),)
    settings = PromptPayDiscount | None
    order = 1
    counters = {"discounts": "payments in full inside the discount window"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return f"{settings.rate * 100:g} % prompt-pay discount within {settings.window_days:g} days"

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None:
            return []
        return unknown_payers(f"{at}.eligible_payers", settings.eligible_payers, scenario)

    def __init__(self, world, settings):
        super().__init__(world, settings)
        pop = world.pop
        self.payers = set(pop.payer_names.index(p) for p in (settings.eligible_payers or pop.payer_names))
        self._allowance, self._ends = self.allowance, self.ends
        beh = world.sc.behaviour
        self.uplift = beh.discount_uplift_max * discount_response(settings.rate, beh.discount_half_rate)

    def at_statement(self, acct) -> None:
        pop, i = self.world.pop, acct.i
        if pop.payer[i] in self.payers:
            acct.allowance = self._allowance
            acct.mult = 1.0 + self.uplift * float(pop.price_sensitivity[i])

    def schedule(self, acct, bill: float, items: list) -> None:
        if acct.allowance is self._allowance:
            items.append((bill + self.cfg.window_days, 1, self._ends, None))

    def allowance(self, acct, bal: int) -> int:
        discount = int(round(bal * self.cfg.rate))
        acct.book(Kind.DISCOUNT, discount, acct.now)
        self.world.count("discounts")
        return discount

    def ends(self, acct, _) -> None:
        acct.allowance, acct.mult = None, 1.0
