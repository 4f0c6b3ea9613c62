"""What a staffed team costs: every hour it is staffed, busy or idle, for the days it works the book.

A team is staffed from the first day of the run (day 0, or the first day of the warm-up) to the
end of the day on which it finished its last task (the denials team its last rework, the billing
team its last dispute, the phone team its last call, or the last call it had in its queue): a
hospital keeps the team while there is work for it and not on the idle days after the book is
worked, so the cost does not depend on how long the run is followed after the last task (issue 20:
at a 900-day horizon the phone team was paid for a year of nothing and ``calls`` flipped sign).
Between tasks the team is paid, busy or idle: adding a member raises the cost whether or not the
queue needs them. A team that never had a task costs nothing.

The denials and billing teams work ``hours_per_day`` on every day (the model's work calendar for
them: a rework or a dispute takes ``hours_per_… ÷ hours_per_day`` days whatever the weekday), so
their cost is ``staff × hours_per_day × cost_per_hour`` a day, booked at the end of each day as
one cash-only row of the team's kind (receivable −1). The phone team is paid per open hour
(:mod:`simlib.world.capacities.phone_team`). The costs are booked when the run ends, when the last
task is known.
"""
from __future__ import annotations

import math

import simpy

from simlib.core.ledger import Kind


class WorkedResource(simpy.Resource):
    """A team as a SimPy ``Resource`` that remembers when it last finished a task (the release of
    a request it had granted): the end of the work it did, for :func:`book_team_costs`."""

    def __init__(self, env: simpy.Environment, capacity: int):
        super().__init__(env, capacity)
        self.last_work_day = -math.inf

    def release(self, request):
        if request in self.users:  # a request never granted (cancelled) did no work
            self.last_work_day = max(self.last_work_day, self._env.now)
        return super().release(request)


def worked_until(last_work_day: float, horizon: float) -> float:
    """The end of the team's staffed period: the end of the day of its last task (day ``d`` runs
    from ``d`` to ``d + 1``), never after the horizon; ``-inf`` when it never worked."""
    if last_work_day == -math.inf:
        return -math.inf
    return min(math.floor(last_work_day) + 1.0, horizon)


def book_staffed_hours(world, staff: int, hours_per_day: float, cost_per_hour: float, kind: Kind,
                       until_day: float) -> None:
    """Post the team's staffed-hours cost, one row per day from the run's first day to
    ``until_day`` (the end of its last working day)."""
    day_cents = staff * hours_per_day * cost_per_hour * 100.0
    if day_cents <= 0 or until_day == -math.inf:
        return
    post = world.ledger.post
    for d in range(int(math.floor(world.start_day)), int(math.ceil(until_day))):
        end = min(d + 1.0, until_day)
        post(-1, end, kind, int(round(day_cents * (end - d))))


def book_team_costs(world) -> None:
    """Every team's staffed cost, once the run is over (``operations`` and the phone team)."""
    ops = world.sc.operations
    dt, bt = ops.denials_team, ops.billing_team
    if world.denials is not None:
        book_staffed_hours(world, dt.staff, dt.hours_per_day, dt.cost_per_hour, Kind.COST_STAFF_DENIALS,
                           worked_until(world.denials.last_work_day, world.horizon))
    book_staffed_hours(world, bt.staff, bt.hours_per_day, bt.cost_per_hour, Kind.COST_STAFF_BILLING,
                       worked_until(world.billing.last_work_day, world.horizon))
    if world.phone is not None:
        world.phone.book_costs()
