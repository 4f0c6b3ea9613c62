"""The accounts the phone team calls, in NumPy (issue 27): the team's queue as a fixed point.

A called account's path depends on the team only through each call's *outcome* — an agent took it
at a moment, or the wait ended first (the patient paid meanwhile, or ``max_wait_days`` passed) —,
and the team's queue depends on the accounts only through their *requests*: the moment each call is
asked for on the account's own clock, the patient's next payment day then and the call's pre-drawn
duration (and, at an agent, whether the contact limits allow it). So:

- given every outcome, the paths are the NumPy model's
  (:class:`simlib.model.vectorized_calls.CallSteps` given ``call_outcomes``), which records the
  requests;
- given the requests, :func:`replica` is the team alone: the engine's
  :class:`~simlib.world.capacities.phone_team.PhoneTeamCapacity` (its agents, its shifts) on a
  SimPy environment of its own, each called account a process that asks at the engine's moments —
  synchronised from its own clock as the engine's account is, started in encounter order as the
  engine starts accounts — and waits as :meth:`~simlib.world.capacities.phone_team.PhoneTeamCapacity.call`
  waits; its SimPy events keep the engine's order among equal times, so it grants each call when
  the engine would.

The engine is causal (an outcome depends only on what happened before it), so outcomes → paths →
requests → queue → outcomes has one fixed point, the engine's run, and iterating from "every call
taken when asked" reaches it: :func:`call_outcomes` stops when no outcome changes (the shipped
ladders of calls: 2–3 rounds; benchmarks/calls_fixed_point.py measured it first with the engine
computing the paths). Only the accounts that asked for a call in the first round are simulated
again (a call's first request depends on no outcome, so no other account ever asks). The team's
records of the last round — the waits in the order granted, the agents' busy time, its last working
day — are the world's phone team's, which books its costs as the engine does.

The billing team's queue joins the fixed point (:class:`_Disputes`): every disputed account then
runs in NumPy; a called account raises its dispute when its process, synced from where it last
resumed (a call's outcome), reaches it — when a call's wait ends, if it fell due during it; disputes
raised at one moment join the queue in the order the replica resumed their accounts
(:func:`~simlib.model.hybrid_disputes.queue_ends`); its end is a moment the process resumes (the
replica's ``resumes``), and a call step its pause moved out of the team's hours moves to the next
slot (:meth:`~simlib.model.vectorized_calls.CallSteps.move`). The raise moments and the ends are
iterated with the outcomes.

Where it applies (:func:`calls_in_numpy`): every account a call step may select runs in NumPy (so no
SimPy account shares the queue), and the ladder's calls are far enough apart that no wait can push the
next one out of the team's hours; with disputes, where their NumPy form applies and every disputed
account runs in NumPy. It runs before the SimPy run (:func:`simlib.model.hybrid.numpy_accounts`):
where it meets a path the NumPy form does not follow (:class:`Refused`) the accounts a call reaches
stay on SimPy (the probe's way). Identity: tests/test_hybrid_calls.py.
"""
from __future__ import annotations

import contextlib
import heapq
from types import SimpleNamespace

import numpy as np
import simpy
from simpy.events import NORMAL, PENDING

from simlib.model import vectorized
from simlib.model.population_rows import PopulationRows
from simlib.model.hybrid_disputes import queue_ends
from simlib.model.vectorized_calls import ABANDONED, GRANTED, PAID, MovedCallRefused
from simlib.model.vectorized_secondary import passed_cents
from simlib.world.capacities.phone_team import PhoneTeamCapacity, _Due, _FirstOf
from simlib.world.resumer import Resumer

#: whether the hybrid engine runs the called accounts this way (on since stop 37: with the compiled
#: queue, :mod:`simlib.model.call_queue`, one world of every shipped ladder of calls, disputes included,
#: measured 1.5–2.7× faster than with those accounts on SimPy: benchmarks/README.md "Issue 27 at stop
#: 37"); off, the accounts a call reaches stay on SimPy (the tests of that path turn it off)
ENABLED = True
#: rounds of the fixed point before it gives up (:class:`Refused`: the called accounts stay on SimPy,
#: whose run then costs less than more rounds; the shipped ladders need 2–3)
MAX_ROUNDS = 12
#: days a call step may move to the team's next slot (a Friday evening to Monday's opening), with a margin
SLOT_DAYS = 4.0


class Refused(RuntimeError):
    """The fixed point meets a path the NumPy form does not follow: the caller keeps the called
    accounts on SimPy."""


def calls_in_numpy(world, selected: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the accounts a call step may select (``selected``, of those the NumPy ``mask`` allows)
    run in NumPy with the team's queue as a fixed point (see the module)."""
    st, sc = world.st, world.sc
    owed = np.asarray(world.patient_cents) > 0
    if st.phone_team is None or (selected & owed & ~mask).any():
        return False
    team = st.phone_team
    offsets = sorted((step.day + (st.credit_terms_days if step.relative_to == "due_date" else 0.0))
                     for step in st.ladder if sc.channels[step.channel].kind == "call")
    return all(b - a > team.max_wait_days + SLOT_DAYS + 1.0 for a, b in zip(offsets, offsets[1:]))


def _run(world, encounters: np.ndarray, table: dict, disputes: "_Disputes | None") -> tuple[dict, dict]:
    """The NumPy model on ``encounters`` given ``table`` ((encounter, attempt) → outcome) and the
    disputes' days: each one's requests and the calls the limits forbade at an agent (encounters with
    no request: none), and the SimPy moment each raised its dispute (none: not before the horizon)."""
    local = {g: j for j, g in enumerate(encounters.tolist())}
    lag = world.statement_lag_days
    passed = passed_cents(world)
    rate = world.billing_error_rate if disputes is not None else None
    v = vectorized.simulate(world.sc, world.strategy_name, PopulationRows(world.pop, encounters),
                            accounts=np.ones(encounters.size, bool),
                            statement_lag_days=lag[encounters] if np.ndim(lag) else lag,
                            billing_error_rate=rate[encounters] if np.ndim(rate) else rate,
                            dispute_ends=None if disputes is None else disputes.ends[encounters],
                            dispute_raised=None if disputes is None else disputes.raised[encounters],
                            passed_cents=None if passed is None else passed[encounters],
                            call_outcomes={(local[g], m): v for (g, m), v in table.items() if g in local})
    asks: dict[int, tuple] = {}
    for j, m, t, pay, dur in v.call_requests:
        g = int(encounters[j])
        asks[g] = asks.get(g, ()) + ((g, m, t, pay, dur),)
    forbidden: dict[int, set] = {}
    for j, m in v.calls_suppressed:
        forbidden.setdefault(int(encounters[j]), set()).add((int(encounters[j]), m))
    moments = {} if v.dispute_moments is None else \
        {int(encounters[j]): float(v.dispute_moments[j]) for j in np.flatnonzero(~np.isnan(v.dispute_moments))}
    return {g: (r, frozenset(forbidden.get(g, ()))) for g, r in asks.items()}, moments


class _Disputes:
    """The billing team's queue beside the called accounts: every dispute's SimPy moment (``raised``,
    NaN: none) and its end (``ends``, NaN: none by the horizon) — the accounts not called raise theirs
    where a probe run says (their day is static), the called accounts where their path does (a call's
    wait may delay it, and their process syncs from where it last resumed)."""

    def __init__(self, world, day: np.ndarray, called: np.ndarray):
        self.world, start, self.called = world, world.start_day, called
        self.raised = start + (day - start)
        self.rank = np.full(day.size, np.nan)  # where the queue's order among equal moments is the replica's
        self.ends, self.last = queue_ends(world, self.raised)

    def update(self, moments: dict, accounts, table: dict) -> set:
        """The called ``accounts``' moments as their last paths (given ``table``) raised them: the
        accounts whose moment or end moved. A dispute due while its account waited for a call is
        raised when the wait ends: disputes raised at one moment so join the queue in the order their
        processes resumed, the replica's order of outcomes (``table``'s); other ties between a called
        account's dispute and another: :class:`Refused` (the engine's order is its events')."""
        raised, rank = self.raised.copy(), self.rank.copy()
        for g in accounts:
            raised[g], rank[g] = moments.get(g, np.nan), np.nan
        seq = {key: k for k, key in enumerate(table)}
        for (g, m), (_, day) in table.items():
            if raised[g] == day:  # raised as its process resumed from this call's wait
                rank[g] = seq[(g, m)]
        known = np.flatnonzero(~np.isnan(raised))
        _, first, count = np.unique(raised[known], return_inverse=True, return_counts=True)
        tied = known[count[first] > 1]
        if (self.called[tied] & np.isnan(rank[tied])).any():
            raise Refused("a called account's dispute raised at the moment of another (the engine's order is its events')")
        ends, self.last = queue_ends(self.world, raised, np.where(np.isnan(rank), -1.0, rank))
        self.rank = rank
        moved = np.flatnonzero(~((raised == self.raised) | np.isnan(raised) & np.isnan(self.raised))
                               | ~((ends == self.ends) | np.isnan(ends) & np.isnan(self.ends)))
        self.raised, self.ends = raised, ends
        return set(moved.tolist())


def call_outcomes(world, candidates: np.ndarray, dispute_days: np.ndarray | None = None) -> tuple[dict, "_Disputes | None"]:
    """The fixed point: each call's outcome, by (encounter, attempt), for the accounts of the
    boolean mask ``candidates`` (those a call step may select), and the disputes' days where
    accounts raise disputes (``dispute_days``: each account's own day of its dispute, as a probe run
    finds it without waiting for a call, NaN: none; every one runs in NumPy); the world's phone team takes
    the records of the last round, its billing team its last working day. A round simulates again
    only the accounts whose outcomes or dispute days the last one moved, and ends the search when
    their requests come out the same (the queue would); :class:`Refused` where the NumPy form stops."""
    rerun, table, asks, team = np.flatnonzero(candidates), {}, {}, None
    wait = world.st.phone_team.max_wait_days
    disputes = None if dispute_days is None else _Disputes(world, dispute_days, candidates)
    called = set(rerun.tolist())
    for _ in range(MAX_ROUNDS):
        try:
            found, moments = _run(world, rerun, table, disputes) if rerun.size else ({}, {})
        except MovedCallRefused as refused:
            raise Refused(str(refused)) from refused
        moved = False
        for g in rerun.tolist():
            if _effective(found.get(g), wait) != _effective(asks.get(g), wait):
                moved = True
                if g in found:
                    asks[g] = found[g]
                else:
                    del asks[g]
        shifted = disputes.update(moments, rerun.tolist(), table) & called if disputes is not None else set()
        if not moved and not shifted and team is not None or not asks:
            break
        requests = [r for g in sorted(asks) for r in asks[g][0]]
        resumes = {} if disputes is None else {g: disputes.ends[g] for g in called if not np.isnan(disputes.ends[g])}
        new, team = replica(world, requests, set().union(*(asks[g][1] for g in asks)), resumes)
        rerun = np.array(sorted({g for g, m in set(new) | set(table) if new.get((g, m)) != table.get((g, m))}
                                | shifted), dtype=np.int64)
        table = new
    else:
        raise Refused(f"strategy {world.strategy_name!r}: the phone team's queue found no fixed point in "
                      f"{MAX_ROUNDS} rounds")
    if team is not None:
        phone = world.phone
        phone.waits, phone.busy_days, phone.last_work_day = team.waits, team.busy_days, team.last_work_day
    if disputes is not None:
        world.billing.last_work_day = max(world.billing.last_work_day, disputes.last)
    return table, disputes


def _effective(asks: tuple | None, wait: float):
    """An account's requests as the queue reads them: a next payment day after the wait's limit (a
    margin of 1e-6 day for the SimPy clock's rounding) only says "not before it" — the same wait."""
    if asks is None:
        return None
    return tuple((g, m, day, pay if pay < day + wait - 1e-6 else None, dur) for g, m, day, pay, dur in asks[0]), asks[1]


def replica(world, requests: list, suppressed: set, resumes: dict | None = None):
    """The phone team alone (:func:`replica_simpy`), compiled: :mod:`simlib.model.call_queue` runs
    the same events in the same order in a numba loop, 10–20× cheaper a round (imported here: numba
    loads only when the fixed point runs); ``resumes``: as :func:`replica_simpy`'s."""
    from simlib.model import call_queue
    return call_queue.replica(world, requests, suppressed, resumes)


def replica_simpy(world, requests: list, suppressed: set, resumes: dict | None = None) -> tuple[dict, PhoneTeamCapacity]:
    """The phone team alone on SimPy (the reference of the compiled :func:`replica`), asked for
    ``requests`` ((encounter, attempt, day on the account's clock, next payment day, duration));
    ``suppressed``: the calls the contact limits forbid at their agent; ``resumes``: the SimPy
    moment an account's process resumes from its dispute (its end, an absolute moment), from which
    it syncs to its next request. Returns each call's outcome and the team (its records: waits,
    busy time, last working day)."""
    cfg, start, horizon = world.st.phone_team, world.start_day, world.horizon
    env = simpy.Environment(initial_time=start)
    team = PhoneTeamCapacity(SimpleNamespace(env=env, horizon=horizon, start_day=start, pop=world.pop), cfg)
    agents, outcomes = team.agents, {}
    by_encounter: dict[int, list] = {}
    for request in requests:
        by_encounter.setdefault(request[0], []).append(request)

    def account(asks: list, resume: float | None):
        for i, m, day, payment_day, duration in asks:
            if resume is not None and day >= resume:  # the dispute's end resumes the process, at its moment
                back = _Due([])
                heapq.heappush(env._queue, (resume, NORMAL, next(env._eid), back))  # env.schedule's entry
                resume = None
                yield back
            if day > env.now:  # the engine's account synchronises its own clock with SimPy's
                sync = _Due([])  # env.timeout(day - env.now): the same heap entry
                env.schedule(sync, NORMAL, day - env.now)
                yield sync
            t_req = env.now  # from here PhoneTeamCapacity.call's wait, on the SimPy clock
            give_up = t_req + cfg.max_wait_days
            deadline = min(payment_day, give_up)
            req = agents.request(1, watched=False)
            if req._value is PENDING:
                if deadline > t_req:
                    timer = _Due([])
                    env.schedule(timer, NORMAL, deadline - t_req)
                    yield _FirstOf(env, req, timer)
                if req._value is PENDING:
                    agents.cancel(req)
                    team.last_work_day = max(team.last_work_day, env.now)
                    outcomes[(i, m)] = (ABANDONED if deadline >= give_up else PAID, env.now)
                    continue
            now = env.now
            outcomes[(i, m)] = (GRANTED, now)
            if (i, m) in suppressed:  # the limits forbid it: the agent is free at once
                agents.release()
                continue
            team.waits.append(now - t_req)  # PhoneTeamCapacity.talk's records, in its order
            team.busy_days += max(0.0, min(duration, horizon - now))
            team.last_work_day = max(team.last_work_day, now + duration)
            env.schedule(_Due([agents.release]), NORMAL, duration)

    for i in sorted(by_encounter):  # the engine starts its accounts at the first day, in encounter order
        gen = account(by_encounter[i], (resumes or {}).get(i))
        with contextlib.suppress(StopIteration):
            Resumer(gen).wait(next(gen))
    env.run(until=horizon)
    return outcomes, team
