"""Prompt-pay discount: ``rate`` off for paying in full within ``window_days`` of the statement,
for the eligible payers' patients. While the offer is open the patient's payment intensity is
multiplied by 1 + (``intensity_multiplier`` − 1) × their price sensitivity; a payment in full
books the discount as an allowance (``DISCOUNT`` row, counter ``discounts``). The offer ends at the
window's end, or when a plan or an agency takes the account over."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simlib.ledger import Kind
from simlib.levers.base import Lever, register_lever, unknown_payers
from simlib.settings import Positive, Strict


class PromptPayDiscount(Strict):
    rate: Annotated[float, Field(gt=0.0, lt=1.0)]
    window_days: Positive
    eligible_payers: list[str] | None = None
    intensity_multiplier: Annotated[float, Field(ge=1.0)] = 1.5


@register_lever
class PromptPayDiscountLever(Lever):
    key = "prompt_pay_discount"
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

    def at_statement(self, acct) -> None:
        pop, i = self.world.pop, acct.i
        if pop.payer[i] in self.payers:
            acct.allowance = self._allowance
            acct.mult = 1.0 + (self.cfg.intensity_multiplier - 1.0) * pop.price_sensitivity[i]

    def schedule(self, acct, bill: float, items: list) -> None:
        if acct.allowance is self._allowance:
            items.append((bill + self.cfg.window_days, 1, self._ends, None))

    def allowance(self, acct, bal: int) -> int:
        discount = int(round(bal * self.cfg.rate))
        self.world.ledger.post(acct.r, acct.now, Kind.DISCOUNT, discount)
        self.world.count("discounts")
        return discount

    def ends(self, acct, _) -> None:
        acct.allowance, acct.mult = None, 1.0
