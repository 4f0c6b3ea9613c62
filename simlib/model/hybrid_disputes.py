"""The hybrid engine's disputes without SimPy processes (issue 27): the billing team's queue.

When the NumPy model runs every disputed account (:func:`simlib.model.vectorized_disputes.disputes_in_numpy`),
nothing else uses the billing team, and a dispute's day is static (the patient pays nothing before
it), so the team is a queue of its own: first come first served, ``staff`` identical servers, the
same work of ``hours_per_dispute ÷ hours_per_day`` days for every dispute. Raised in order (the
same day: in encounter order, the order the SimPy accounts are started and wait for that day), the
k-th dispute starts when raised or when the (k − staff)-th ends, whichever is later (SimPy's
``Resource``: a release grants the longest waiting request at once), ends its work ``+ work`` days
later (``env.timeout``'s arithmetic) and is resolved ``resolution_wait_days_mean ×`` its
exponential draw after that. Only events before the horizon happen (SimPy's ``run(until=)``): a
dispute not resolved by then leaves its account as it is; the team's last working day (its staff
cost, :mod:`simlib.world.capacities.staffing`) is the end of its last work done.
"""
from __future__ import annotations

import numpy as np


def run_disputes(world, raised: np.ndarray) -> np.ndarray:
    """The day each dispute raised on SimPy day ``raised`` (NaN: none) is resolved (NaN: not by the
    horizon); sets the billing team's last working day."""
    bt, lever = world.sc.operations.billing_team, world.levers["price_estimate"]
    work = lever.hours / bt.hours_per_day
    staff, horizon, pop = world.billing.capacity, world.horizon, world.pop
    ends = np.full(raised.size, np.nan)
    who = np.flatnonzero(~np.isnan(raised))
    who = who[np.lexsort((who, raised[who]))]  # by day, then encounter
    finished: list[float] = []
    last = world.billing.last_work_day
    for k, (i, day) in enumerate(zip(who.tolist(), raised[who].tolist())):
        start = day if k < staff else max(day, finished[k - staff])
        done = start + work
        finished.append(done)
        if start >= horizon or done >= horizon:
            continue
        last = max(last, done)
        wait = bt.resolution_wait_days_mean * float(pop.dispute_wait_exp[i])
        end = done + wait if wait > 0.0 else done
        if end < horizon:
            ends[i] = end
    world.billing.last_work_day = last
    return ends


def overcharge_in_numpy(world, mask: np.ndarray) -> None:
    """Beside a deposit, the NumPy model books the overcharge of its disputed accounts: the world
    bills it at service on the balance the deposit leaves (the deposit's hook runs first), and the
    hybrid engine skips the deposit's hook for them, so the price estimate's hook would bill it on
    the whole balance — it bills none for them (:meth:`Disputes.overcharged
    <simlib.model.vectorized_disputes.Disputes.overcharged>` does, on what the deposit left)."""
    if world.numpy_disputes and world.st.deposit is not None:
        overcharge = world.levers["price_estimate"].overcharge
        for i in np.flatnonzero(mask & (np.asarray(overcharge) > 0.0)).tolist():
            overcharge[i] = 0.0
