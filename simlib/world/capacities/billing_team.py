"""The billing team: staff who resolve patient disputes caused by billing errors (a SimPy
``Resource``; the dispute process is :mod:`simlib.levers.disputes`)."""
from __future__ import annotations

from typing import Annotated

import simpy
from pydantic import Field

from simlib.core.settings import Fraction, NonNeg, Positive
from simlib.world.capacities.sizing import SizedTeam
from simlib.world.capacities.staffing import WorkedResource


class BillingTeam(SizedTeam):
    """Staff who resolve patient disputes caused by billing errors (a SimPy Resource): ``staff``, or
    ``sizing`` from the volume (:mod:`simlib.world.capacities.sizing`)."""

    staff: Annotated[int, Field(ge=1)] = 1
    hours_per_dispute: Positive = 2.0
    hours_per_day: Annotated[float, Field(gt=0.0, le=24.0)] = 7.0
    billing_error_rate: Fraction = 0.05
    dispute_delay_days_mean: NonNeg = 14.0
    resolution_wait_days_mean: NonNeg = 3.0  # waiting on the payer/coding after the team's work
    patient_favour_rate: Fraction = 0.7
    correction_fraction_mean: Fraction = 0.3
    cost_per_dispute: NonNeg = 25.0
    cost_per_hour: NonNeg = 31.0  # per staffed hour, busy or idle (simlib.world.capacities.staffing)


def resource(env: simpy.Environment, team: BillingTeam) -> WorkedResource:
    return WorkedResource(env, team.staff)
