"""The scenario's ``finance:`` section: the hospital's money context and its financial assistance
policy (its own module: the scenario schema keeps to the sections' assembly)."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from simlib.core.settings import Fraction, NonNeg, Strict
from simlib.levers.financial_assistance import FinancialAssistance
from simlib.scenario.liquidity import CreditLine, finance_problems


class Finance(Strict):
    """The hospital's money context, and its financial assistance policy (501(r) FAP; ``null``:
    none; :mod:`simlib.levers.financial_assistance`). ``minimum_cash`` (optional) is the cash
    floor and ``credit_line`` the line that funds cash below it (:mod:`simlib.scenario.liquidity`).
    Without a ``financial_assistance`` key a US nonprofit (IRS §501(r)(4)) gets the default policy,
    any other hospital none (``fap_origin`` in that module says which applied).
    ``public_hospital``: a public hospital whose bills its public accountant recovers (France's
    comptable public; :mod:`simlib.levers.public_accountant`), where the jurisdiction has that path."""

    cost_of_capital_annual: Annotated[float, Field(ge=0.0, le=1.0)] = 0.08
    starting_cash: float = 0.0
    cost_of_care_ratio: Fraction = 0.0
    us_nonprofit: bool = True
    public_hospital: bool = False
    financial_assistance: FinancialAssistance | None = None
    minimum_cash: NonNeg | None = None
    credit_line: CreditLine | None = None

    @model_validator(mode="after")
    def _default_policy(self) -> "Finance":
        """A US nonprofit's default FAP when none is declared (``null`` stays); the field stays unset."""
        if "financial_assistance" not in self.model_fields_set and self.us_nonprofit:
            object.__setattr__(self, "financial_assistance", FinancialAssistance())
        return self

    @model_validator(mode="after")
    def _liquidity(self) -> "Finance":
        problems = finance_problems(self.minimum_cash, self.credit_line)
        if problems:
            raise ValueError("\n".join(problems))
        return self
