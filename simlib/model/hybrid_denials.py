"""The hybrid engine's denied claims without SimPy processes (issue 27): the denials team's queue.

In the pure engine each denied claim is a SimPy process (:func:`simlib.model.claims.denied_claim`)
that waits for the denials team, a ``Resource`` of ``staff`` members. Nothing else uses that team
and a claim touches nothing a patient account reads (its own receivable ``2i``, counters, the
team's last working day for :mod:`simlib.world.capacities.staffing`), so the denied claims are a
sub-model of their own: a first-come-first-served queue of identical servers with reneging at the
filing limit. :func:`run_denied_claims` runs it with a heap of events instead of SimPy, with the
same arithmetic on the clock (a wait of ``d`` days from ``now`` ends at ``now + d``, as SimPy's
``timeout``), the same order for events at the same instant (the order they were scheduled in; the
claims decided at the run's first day first, as SimPy's process initialisations), the same
queue discipline (a release grants the longest waiting request at once; a claim whose filing limit
falls first leaves the queue) and the same horizon (no event at or after it). It posts the same
rows and counts the same counters as the processes; ``tests/test_hybrid.py`` holds it to the pure
engine on every shipped scenario, the open book example and random strategies.
"""
from __future__ import annotations

import heapq
from collections import deque

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.model.claims import insurer_pays

# what an event does (its tuple's third field)
_DENIED, _RELEASE, _REVIEWED, _FILING_LIMIT = range(4)


def run_denied_claims(world, encounters: list[int]) -> None:
    """Run the denied claims of ``encounters`` (decided by the horizon, in encounter order) to the
    horizon: rework rounds, payer reviews, overturns, expiries and final denials, as
    :func:`simlib.model.claims.denied_claim` does for each."""
    if not encounters:
        return
    pop, ops, team = world.pop, world.sc.operations, world.denials
    dt = ops.denials_team
    start, horizon, post, count = world.start_day, world.horizon, world.ledger.post, world.count
    rounds = dt.max_rounds if team is not None else 0
    staff = team.capacity if team is not None else 0
    work_days = dt.hours_per_rework / dt.hours_per_day
    rework_cents = cents(dt.cost_per_rework)
    payers = world.sc.payers
    queue: deque = deque()          # claims waiting for the team, longest first
    waiting: set = set()
    busy, last_work_day = 0, team.last_work_day if team is not None else None
    round_of, limit_of = {}, {}
    events: list = []
    seq = 0
    for i in encounters:  # SimPy: initialised now (priority 0) or a wait until the decision day
        t = world.adjudication_day[i]
        if t > start:
            events.append((start + (t - start), 1, seq, _DENIED, i))
        else:
            events.append((start, 0, seq, _DENIED, i))
        seq += 1
    heapq.heapify(events)

    def final_denial(i: int, now: float) -> None:
        count("claims_final_denial")
        post(2 * i, now, Kind.WRITE_OFF_DENIAL, int(world.claim_cents[i]))
        world.open_cents[2 * i] = 0

    while events and events[0][0] < horizon:
        now, _, _, what, i = heapq.heappop(events)
        if what == _DENIED:
            count("claims_denied")
            limit_of[i], round_of[i] = now + dt.filing_limit_days, 0
        elif what == _RELEASE:
            busy -= 1
            last_work_day = max(last_work_day, now)
            count("reworks")
            post(2 * i, now, Kind.COST_REWORK, rework_cents)
            k = round_of[i]
            review = dt.payer_review_days_min + (dt.payer_review_days_max - dt.payer_review_days_min) \
                * pop.review_u[i, k]
            heapq.heappush(events, (now + review, 1, seq, _REVIEWED, i))
            seq += 1
            if queue:  # the longest waiting request is granted at once; its work starts now
                j = queue.popleft()
                waiting.discard(j)
                busy += 1
                heapq.heappush(events, (now + work_days, 1, seq, _RELEASE, j))
                seq += 1
            continue
        elif what == _REVIEWED:
            k = round_of[i]
            if pop.overturn_u[i, k] < payers[world.payer_of[i]].overturn_rate:
                count("denials_overturned")
                insurer_pays(world, 2 * i, int(world.claim_cents[i]), now)
                continue
            round_of[i] = k + 1
        else:  # _FILING_LIMIT: still waiting, the claim leaves the queue
            if i in waiting:
                waiting.discard(i)
                queue.remove(i)
                count("reworks_expired")
                final_denial(i, now)
            continue
        # the head of a rework round (a first denial, or a review that did not overturn)
        if round_of[i] >= rounds:
            final_denial(i, now)
        elif busy < staff:
            busy += 1
            heapq.heappush(events, (now + work_days, 1, seq, _RELEASE, i))
            seq += 1
        else:
            queue.append(i)
            waiting.add(i)
            heapq.heappush(events, (now + max(0.0, limit_of[i] - now), 1, seq, _FILING_LIMIT, i))
            seq += 1
    if team is not None:
        team.last_work_day = last_work_day
