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


def run_disputes(world, day: np.ndarray) -> np.ndarray:
    """The day each dispute raised on its account's day ``day`` (NaN: none) is resolved (NaN: not by
    the horizon); sets the billing team's last working day."""
    start = world.start_day
    ends, last = queue_ends(world, start + (day - start))  # the SimPy clock: a timeout from the run's first day
    world.billing.last_work_day = max(world.billing.last_work_day, last)
    return ends


def queue_ends(world, raised: np.ndarray, rank: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The day each dispute raised at the SimPy moment ``raised`` (NaN: none) is resolved (NaN: not
    by the horizon), and the end of the team's last work done (``-inf``: none); changes nothing.
    Disputes raised at one moment join in ``rank``'s order, then the encounters'."""
    bt, lever = world.sc.operations.billing_team, world.levers["price_estimate"]
    work = lever.hours / bt.hours_per_day
    staff, horizon = world.billing.capacity, world.horizon
    ends = np.full(raised.size, np.nan)
    who = np.flatnonzero(~np.isnan(raised))
    who = who[np.lexsort((who, raised[who]) if rank is None else (who, rank[who], raised[who]))]  # by day, …
    finished: list[float] = []
    last = -np.inf
    for k, (i, day) in enumerate(zip(who.tolist(), raised[who].tolist())):
        start = day if k < staff else max(day, finished[k - staff])
        done = start + work
        finished.append(done)
        if start >= horizon or done >= horizon:
            continue
        last = max(last, done)
        ends[i] = _resolved(world, i, done)
    return ends, last


def _resolved(world, i: int, done: float) -> float:
    """The day the dispute of encounter ``i`` whose work was done on ``done`` is resolved (after the
    payer's or coders' wait), NaN if not by the horizon."""
    wait = world.sc.operations.billing_team.resolution_wait_days_mean * float(world.pop.dispute_wait_exp[i])
    end = done + wait if wait > 0.0 else done
    return end if end < world.horizon else np.nan


def team_work(world, i: int, day: float):
    """Beside calls, the billing team stays on SimPy and the dispute of NumPy account ``i``, raised on
    its day ``day``, joins its queue as the account would: started in encounter order with the SimPy
    accounts, it waits until ``day`` (``sync``), for a member of the team, and for the work
    (:meth:`simlib.levers.disputes.Disputes._resolve`'s events, in its order: the queue, the other
    requests and the calls see the same run); the day the work is done goes to
    ``world.dispute_done`` (the NumPy model resolves the dispute: :func:`team_ends`)."""
    env = world.env
    if day > env.now:
        yield env.timeout(day - env.now)
    lever = world.levers["price_estimate"]
    with world.billing.request() as req:
        yield req
        yield env.timeout(lever.hours / world.sc.operations.billing_team.hours_per_day)
    world.dispute_done[i] = env.now


def team_ends(world) -> np.ndarray:
    """The day each dispute :func:`team_work` took to the team is resolved (NaN: not by the horizon)."""
    ends = np.full(world.pop.n, np.nan)
    for i, done in world.dispute_done.items():
        ends[i] = _resolved(world, i, done)
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
