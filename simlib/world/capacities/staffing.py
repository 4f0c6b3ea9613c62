"""What a staffed team costs: every hour it is staffed, busy or idle, at its hourly cost.

The denials and billing teams work ``hours_per_day`` on every day of the run (the model's work
calendar for them: a rework or a dispute takes ``hours_per_… ÷ hours_per_day`` days whatever the
weekday), so their cost is ``staff × hours_per_day × cost_per_hour_usd`` a day, booked at the end
of each day up to the horizon as one cash-only row of the team's kind (receivable −1). Adding a
member raises the cost whether or not the queue needs them: staffing has a price.
"""
from __future__ import annotations

import math

from simlib.core.ledger import Kind
from simlib.core.settings import cents


def book_staffed_hours(world, staff: int, hours_per_day: float, cost_per_hour_usd: float, kind: Kind) -> None:
    """Post the team's staffed-hours cost, one row per day of ``[0, horizon]``."""
    day_cents = staff * hours_per_day * cost_per_hour_usd * 100.0
    if day_cents <= 0:
        return
    horizon = world.horizon
    post = world.ledger.post
    for d in range(int(math.ceil(horizon))):
        end = min(d + 1.0, horizon)
        post(-1, end, kind, int(round(day_cents * (end - d))))


def book_team_costs(world) -> None:
    """The denials and billing teams' staffed hours (``operations``)."""
    ops = world.sc.operations
    dt, bt = ops.denials_team, ops.billing_team
    book_staffed_hours(world, dt.staff, dt.hours_per_day, dt.cost_per_hour_usd, Kind.COST_STAFF_DENIALS)
    book_staffed_hours(world, bt.staff, bt.hours_per_day, bt.cost_per_hour_usd, Kind.COST_STAFF_BILLING)
