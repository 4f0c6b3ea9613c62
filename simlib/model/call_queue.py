"""The phone team's queue, compiled: :func:`simlib.model.hybrid_calls.replica_simpy` as one loop.

The fixed point of :mod:`simlib.model.hybrid_calls` replays the team alone once a round. On SimPy
that costs about 25 µs a request — what SimPy's run of the called accounts costs, so the fixed
point saved nothing; a pure-Python loop would be at best about twice cheaper. Here the same events
run in a numba kernel over arrays, in SimPy's order, so every grant falls at the same moment, to the
bit, in the same order among equal times.

SimPy processes its heap by (time, priority, id), ids increasing at each ``schedule``. The kernel
keeps one heap with the same keys for every event that changes anything; the events SimPy schedules
that change nothing (a process's end, a granted request nobody waits for, the shifts' last requests)
are dropped, which shifts the ids of the later ones without changing their order (the reasoning of
:class:`simlib.world.resumer.Resumer`). Times are computed as SimPy computes them (``now + delay``,
the delay ``day - now``), in IEEE float64 like Python (no fastmath). The events:

- the shift process (:meth:`~simlib.world.capacities.phone_team.PhoneTeamCapacity._shifts`): its
  ``Initialize`` (urgent), each held request's grant (the ``AllOf`` counts them), the ``AllOf``,
  its two timeouts, then one release per agent at the opening;
- an account (resumed as ``Resumer`` does): its sync to the request's day, then a request
  (priority 1; the queue is priority-first, first come first served), the wait's timer, the
  grant of a request that waited, the ``_FirstOf`` scheduled by whichever of the two is processed
  first, the call's end (a release); a row of ``resumes`` is a moment it resumes at (an event at
  that moment: a dispute's end), and asks nothing;
- a release's ``_Due``: the front of the queue (the shifts' requests, then the calls) gets an agent.

tests/test_call_queue.py checks it equals the SimPy replica exactly, on the shipped strategies and on
random request sets built to tie.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
from numba import njit

from simlib.model.vectorized_calls import ABANDONED, GRANTED, PAID
from simlib.world.capacities.phone_team import PhoneTeamCapacity

# event kinds (the heap's payload: arg * KINDS + kind)
SHIFT_INIT, SHIFT_GRANT, ALL_OF, SHIFT_TIMEOUT, GRANT_FRONT, SYNC, TIMER, REQUEST, FIRST_OF, CALL_END = range(10)
KINDS = 16
URGENT_TAG, NORMAL_TAG = 0, 1 << 40  # SimPy's priority above the event's sequence number
# the state's integer slots
SIZE, SEQ, BUSY, Q_HEAD, Q_TAIL, SHIFT_WAITING, N_WAITS, ALL_OF_COUNT = range(8)
# outcome codes (0: none by the horizon)
OUTCOMES = (None, GRANTED, PAID, ABANDONED)


class TeamRecords(NamedTuple):
    """What :func:`simlib.model.hybrid_calls.call_outcomes` reads of the team: the waits of the calls
    placed in the order granted, the agents' busy days within the horizon, its last working day."""
    waits: list
    busy_days: float
    last_work_day: float


# the helpers' types, given: otherwise numba compiles one version per literal event kind at their calls
_HEAP = "float64[::1], int64[:, ::1], int64[::1]"
_QUEUE = "int64[::1], boolean[::1], boolean[::1]"


@njit(f"void({_HEAP}, float64, int64, int64, int64)", cache=True)
def _schedule(heap_t, heap_k, state, time, tag, kind, arg):
    """``env.schedule``: push (time, tag + sequence number) with its payload (a binary heap)."""
    seq = state[SEQ]
    state[SEQ] = seq + 1
    key, payload = tag + seq, arg * KINDS + kind
    i = state[SIZE]
    state[SIZE] = i + 1
    while i > 0:
        p = (i - 1) >> 1
        if heap_t[p] < time or (heap_t[p] == time and heap_k[p, 0] < key):
            break
        heap_t[i], heap_k[i, 0], heap_k[i, 1] = heap_t[p], heap_k[p, 0], heap_k[p, 1]
        i = p
    heap_t[i], heap_k[i, 0], heap_k[i, 1] = time, key, payload


@njit(f"Tuple((float64, int64))({_HEAP})", cache=True)
def _pop(heap_t, heap_k, state):
    """``heappop``: the earliest event's (time, payload)."""
    time, payload = heap_t[0], heap_k[0, 1]
    n = state[SIZE] - 1
    state[SIZE] = n
    t, key, pay = heap_t[n], heap_k[n, 0], heap_k[n, 1]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and (heap_t[c + 1] < heap_t[c] or (heap_t[c + 1] == heap_t[c] and heap_k[c + 1, 0] < heap_k[c, 0])):
            c += 1
        if t < heap_t[c] or (t == heap_t[c] and key < heap_k[c, 0]):
            break
        heap_t[i], heap_k[i, 0], heap_k[i, 1] = heap_t[c], heap_k[c, 0], heap_k[c, 1]
        i = c
    heap_t[i], heap_k[i, 0], heap_k[i, 1] = t, key, pay
    return time, payload


@njit(f"void({_HEAP}, {_QUEUE}, float64, boolean, int64)", cache=True)
def _grant_front(heap_t, heap_k, state, queue, cancelled, granted, now, shifts_done, new):
    """The front of the queue gets an agent (``PhoneAgents``: the shifts' requests, priority 0, before
    the calls, each class first come first served); a granted request is scheduled unless it is
    ``new`` (granted at its creation: nobody waits for it) or one of the shifts' last (nothing does)."""
    if state[SHIFT_WAITING] > 0:
        state[SHIFT_WAITING] -= 1
        state[BUSY] += 1
        if not shifts_done:
            _schedule(heap_t, heap_k, state, now, NORMAL_TAG, SHIFT_GRANT, 0)
        return
    h = state[Q_HEAD]
    while h < state[Q_TAIL] and cancelled[queue[h]]:
        h += 1
    state[Q_HEAD] = h
    if h == state[Q_TAIL]:
        return
    r = queue[h]
    state[Q_HEAD] = h + 1
    state[BUSY] += 1
    granted[r] = True
    if r != new:
        _schedule(heap_t, heap_k, state, now, NORMAL_TAG, REQUEST, r)


@njit(f"UniTuple(int64, 2)({_HEAP}, {_QUEUE}, float64, int64, float64[::1], float64[::1], int64, int64)",
      cache=True)
def _shifts(heap_t, heap_k, state, queue, cancelled, granted, now, agents, opens, closes, k, phase):
    """Run the shift process from ``phase`` of interval ``k`` (0: its requests; 1: after the
    ``AllOf``; 2: at the opening; 3: at the closing) until it waits; returns (k, phase) it waits in."""
    while True:
        if phase == 3:
            k, phase = k + 1, 0
        if phase == 0:
            done = k == opens.size  # closed after the last shift: requests nobody waits for
            for _ in range(agents):  # agents.request(0), each granted at once if an agent is free
                state[SHIFT_WAITING] += 1
                if state[BUSY] < agents:
                    _grant_front(heap_t, heap_k, state, queue, cancelled, granted, now, done, -1)
            if done:
                return k, 4
            state[ALL_OF_COUNT] = 0
            if agents == 0:
                _schedule(heap_t, heap_k, state, now, NORMAL_TAG, ALL_OF, 0)
            return k, 1  # waits for the AllOf
        if phase == 1:
            if opens[k] > now:
                _schedule(heap_t, heap_k, state, now + (opens[k] - now), NORMAL_TAG, SHIFT_TIMEOUT, 0)
                return k, 2
            phase = 2
        if phase == 2:
            for _ in range(agents):  # agents.release(): free at once, the front served by its event
                state[BUSY] -= 1
                _schedule(heap_t, heap_k, state, now, NORMAL_TAG, GRANT_FRONT, 0)
            if closes[k] > now:
                _schedule(heap_t, heap_k, state, now + (closes[k] - now), NORMAL_TAG, SHIFT_TIMEOUT, 0)
                return k, 3
            phase = 3


@njit(cache=True)
def _queue(first_ask, day, payment_day, duration, suppressed, resume_only, agents, always_open, opens, closes,
           max_wait_days, horizon, start_day, until):
    """The replica's run (see the module). Returns each request's outcome code and day, the waits
    of the calls placed in the order granted, the busy agent-days and the last working day."""
    n = day.size
    cap = 6 * n + (2 * agents + 3) * (opens.size + 1) + 8  # every event is scheduled at most once
    heap_t, heap_k = np.empty(cap), np.empty((cap, 2), np.int64)
    state = np.zeros(8, np.int64)
    queue = np.empty(n, np.int64)  # the calls' requests in the order made (the cancelled skipped)
    cancelled, granted, fired = np.zeros(n, np.bool_), np.zeros(n, np.bool_), np.zeros(n, np.bool_)
    asked, deadline, give_up = np.empty(n), np.empty(n), np.empty(n)
    outcome, outcome_day, waits = np.zeros(n, np.int8), np.empty(n), np.empty(n)
    account = np.empty(n, np.int64)
    for a in range(first_ask.size - 1):
        account[first_ask[a]:first_ask[a + 1]] = a
    next_ask = first_ask[:-1].copy()
    busy_days, last_work_day = 0.0, -np.inf
    shift_k, shift_phase = 0, 0
    if not always_open:
        _schedule(heap_t, heap_k, state, start_day, URGENT_TAG, SHIFT_INIT, 0)
    now = start_day
    a, synced, waited, starting = -1, False, -1, 0  # the accounts start in order before the run
    while True:
        # account ``a`` goes on (a Resumer's step) until it waits: synced (at its request's day), or
        # ``waited`` (its request's wait ended: the _FirstOf was processed)
        while a >= 0 and next_ask[a] < first_ask[a + 1]:
            r = next_ask[a]
            if waited != r:
                if not synced and day[r] > now:  # a resume: at its moment, not through a timeout's delay
                    t = day[r] if resume_only[r] else now + (day[r] - now)
                    _schedule(heap_t, heap_k, state, t, NORMAL_TAG, SYNC, a)
                    break
                synced = False
                if resume_only[r]:  # a moment the account resumes on the shared clock: it asks nothing
                    next_ask[a] += 1
                    continue
                asked[r] = now
                give_up[r] = now + max_wait_days
                deadline[r] = give_up[r] if give_up[r] < payment_day[r] else payment_day[r]
                queue[state[Q_TAIL]] = r  # agents.request(1, watched=False)
                state[Q_TAIL] += 1
                if state[BUSY] < agents:
                    _grant_front(heap_t, heap_k, state, queue, cancelled, granted, now, shift_phase == 4, r)
                if not granted[r] and deadline[r] > now:
                    _schedule(heap_t, heap_k, state, now + (deadline[r] - now), NORMAL_TAG, TIMER, r)
                    break
            waited = -1
            next_ask[a] += 1
            if not granted[r]:  # the wait ended first: agents.cancel, given up now
                cancelled[r] = True
                if now > last_work_day:
                    last_work_day = now
                outcome[r], outcome_day[r] = 3 if deadline[r] >= give_up[r] else 2, now
                continue
            outcome[r], outcome_day[r] = 1, now
            if suppressed[r]:  # the limits forbid it: the agent is free at once
                state[BUSY] -= 1
                _schedule(heap_t, heap_k, state, now, NORMAL_TAG, GRANT_FRONT, 0)
                continue
            waits[state[N_WAITS]] = now - asked[r]  # PhoneTeamCapacity.talk's records
            state[N_WAITS] += 1
            left = horizon - now
            talk = left if left < duration[r] else duration[r]
            busy_days += talk if talk > 0.0 else 0.0
            if now + duration[r] > last_work_day:
                last_work_day = now + duration[r]
            _schedule(heap_t, heap_k, state, now + duration[r], NORMAL_TAG, CALL_END, 0)
        synced, waited = False, -1
        if starting < first_ask.size - 1:  # the next account's start (encounter order)
            a, starting = starting, starting + 1
            continue
        if state[SIZE] == 0 or heap_t[0] >= until:  # env.run(until=horizon): its urgent event stops it
            break
        a = -1
        now, payload = _pop(heap_t, heap_k, state)
        kind, arg = payload % KINDS, payload // KINDS
        if kind == SYNC:
            a, synced = arg, True
        elif kind == FIRST_OF:
            a, waited = account[arg], arg
        elif kind == TIMER or kind == REQUEST:  # _FirstOf._check: the first of the two schedules it
            if not fired[arg]:
                fired[arg] = True
                _schedule(heap_t, heap_k, state, now, NORMAL_TAG, FIRST_OF, arg)
        elif kind == CALL_END:  # agents.release
            state[BUSY] -= 1
            _schedule(heap_t, heap_k, state, now, NORMAL_TAG, GRANT_FRONT, 0)
        elif kind == GRANT_FRONT:
            if state[BUSY] < agents:
                _grant_front(heap_t, heap_k, state, queue, cancelled, granted, now, shift_phase == 4, -1)
        elif kind == SHIFT_GRANT:  # the AllOf's _check: scheduled when all its requests are processed
            state[ALL_OF_COUNT] += 1
            if state[ALL_OF_COUNT] == agents:
                _schedule(heap_t, heap_k, state, now, NORMAL_TAG, ALL_OF, 0)
        else:  # the shift process resumes (Initialize, its AllOf, a timeout)
            shift_k, shift_phase = _shifts(heap_t, heap_k, state, queue, cancelled, granted, now, agents,
                                           opens, closes, shift_k, shift_phase)
    return outcome, outcome_day, waits[:state[N_WAITS]], busy_days, last_work_day


class _NoProcesses:
    """An environment that starts no process: the team's shifts run in the kernel."""

    @staticmethod
    def process(generator) -> None:
        generator.close()


def queue(cfg, start_day: float, horizon: float, requests: list, suppressed: set,
          resumes: set = frozenset()) -> tuple[dict, TeamRecords]:
    """The team ``cfg`` (a ``phone_team`` section) alone from ``start_day`` to ``horizon``, asked for
    ``requests`` ((encounter, attempt, day on the account's clock, next payment day, duration), each
    account's in the order asked); ``suppressed``: the (encounter, attempt) the contact limits forbid
    at their agent; ``resumes``: those of ``requests`` that ask nothing, a moment the account resumes
    (a dispute's end, in benchmarks/calls_fixed_point.py's replay of the engine). Each call's outcome
    ((encounter, attempt) → (GRANTED | PAID | ABANDONED, day)) and the team's records, as
    :func:`simlib.model.hybrid_calls.replica_simpy` returns them."""
    team = PhoneTeamCapacity(SimpleNamespace(env=_NoProcesses, horizon=horizon, start_day=start_day,
                                             pop=SimpleNamespace(call_minutes_exp=None)), cfg)
    intervals = np.array(team.open_intervals, float).reshape(-1, 2)
    if requests:
        encounter, attempt, day, payment_day, duration = zip(*requests)
    else:
        encounter = attempt = day = payment_day = duration = ()
    encounter = np.array(encounter, np.int64)
    order = np.argsort(encounter, kind="stable")  # the accounts start in encounter order
    encounter = encounter[order]
    attempt = np.array(attempt, np.int64)[order]
    keys = list(zip(encounter.tolist(), attempt.tolist()))
    forbidden = np.array([key in suppressed for key in keys] if suppressed else np.zeros(len(keys)), np.bool_)
    resume_only = np.array([key in resumes for key in keys] if resumes else np.zeros(len(keys)), np.bool_)
    first_ask = np.flatnonzero(np.r_[True, encounter[1:] != encounter[:-1]][:encounter.size])
    first_ask = np.append(first_ask, encounter.size).astype(np.int64)
    start, end = float(start_day), float(horizon)
    outcome, outcome_day, waits, busy_days, last_work_day = _queue(
        first_ask, np.array(day, float)[order], np.array(payment_day, float)[order],
        np.array(duration, float)[order], forbidden, resume_only, int(cfg.agents), bool(team.always_open),
        np.ascontiguousarray(intervals[:, 0]), np.ascontiguousarray(intervals[:, 1]),
        float(cfg.max_wait_days), end, start, start + (end - start))  # SimPy's until: now + (at - now)
    done = np.flatnonzero(outcome).tolist()
    outcomes = dict(zip([keys[j] for j in done], zip([OUTCOMES[k] for k in outcome[done].tolist()],
                                                     outcome_day[done].tolist())))
    return outcomes, TeamRecords(waits.tolist(), float(busy_days), float(last_work_day))


def replica(world, requests: list, suppressed: set, resumes: dict | None = None) -> tuple[dict, TeamRecords]:
    """The world's phone team alone (:func:`queue`): what
    :func:`simlib.model.hybrid_calls.replica_simpy` computes, 10–20× cheaper a round (docs/scale.md);
    ``resumes``: encounter → the moment its process resumes from its dispute, a row that asks nothing
    before the first of its requests on or after it."""
    keys: set = set()
    if resumes:
        merged, done = [], set()
        for request in requests:
            g = request[0]
            if g in resumes and g not in done and request[2] >= resumes[g]:
                merged.append((g, -1, resumes[g], np.inf, 0.0))
                keys.add((g, -1))
                done.add(g)
            merged.append(request)
        requests = merged
    return queue(world.st.phone_team, world.start_day, world.horizon, requests, suppressed, keys)
