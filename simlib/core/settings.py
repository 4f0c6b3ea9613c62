"""The settings base: what every section of a scenario file is built from.

Every section is a frozen pydantic model that refuses unknown keys (:class:`Strict`); units are
in the field names (``_days``, ``_per_day``, ``_rate``); amounts are in the scenario's currency. :class:`Targeting` is the one
section shared by several levers (reminder steps, factoring segments). Money is handled in
integer cents (:func:`cents`). :class:`ScenarioError` is what every problem with a scenario's input
raises. This module imports nothing from simlib: every other module may import it.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Strict(BaseModel):
    # allow_inf_nan=False: NaN and ±inf are refused in every numeric field (YAML .nan/.inf, 1e999)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Targeting(Strict):
    """Who a reminder step (or a factoring segment) is for. Score bands are percentiles of the
    observed score (0–1)."""

    score_min: Fraction = 0.0
    score_max: Fraction = 1.0
    balance_min: NonNeg = 0.0
    balance_max: float | None = None
    payers: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> "Targeting":
        if self.score_min > self.score_max:
            raise ValueError("score_min must be <= score_max")
        if self.balance_max is not None and self.balance_max < self.balance_min:
            raise ValueError("balance_max must be >= balance_min")
        return self


class ScenarioError(Exception):
    """Invalid scenario input; ``str(err)`` lists every problem found, each on its own line."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def cents(usd: float) -> int:
    """Dollars to integer cents, rounded half to even (as ``round``)."""
    return int(round(usd * 100.0))
