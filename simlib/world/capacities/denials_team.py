"""The denials team: staff who rework denied insurer claims (a SimPy ``Resource``; the claim's
rework rounds, payer reviews and overturns are :mod:`simlib.model.claims`)."""
from __future__ import annotations

from typing import Annotated

import simpy
from pydantic import Field, model_validator

from simlib.core.settings import Fraction, NonNeg, Positive
from simlib.world.capacities.sizing import SizedTeam
from simlib.world.capacities.staffing import WorkedResource


class DenialsTeam(SizedTeam):
    """Staff who rework denied claims (a SimPy Resource): ``staff``, or ``sizing`` from the volume
    (:mod:`simlib.world.capacities.sizing`)."""

    staff: Annotated[int, Field(ge=0)] = 2
    hours_per_rework: Positive = 1.5
    hours_per_day: Annotated[float, Field(gt=0.0, le=24.0)] = 7.0
    payer_review_days_min: NonNeg = 45.0
    payer_review_days_max: NonNeg = 60.0
    max_rounds: Annotated[int, Field(ge=0, le=10)] = 3
    cost_per_rework: NonNeg = 57.23
    filing_limit_days: Positive = 180.0
    final_denial_to_patient_share: Fraction = 0.0
    cost_per_hour: NonNeg = 31.0  # per staffed hour, busy or idle (simlib.world.capacities.staffing)

    @model_validator(mode="after")
    def _check(self) -> "DenialsTeam":
        if self.payer_review_days_max < self.payer_review_days_min:
            raise ValueError("payer_review_days_max must be >= payer_review_days_min")
        return self


def resource(env: simpy.Environment, team: DenialsTeam) -> WorkedResource | None:
    """The team as a resource; ``None`` without staff (denied claims are not reworked)."""
    return WorkedResource(env, team.staff) if team.staff else None
