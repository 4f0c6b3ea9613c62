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

Where it applies (:func:`calls_in_numpy`): every account a call step may select runs in NumPy (so no
SimPy account shares the queue), none of them has a dispute (a dispute's end is a moment an account
resumes on SimPy, which orders its later requests; a pause moves a call out of the team's hours,
which the engine moves again), and the ladder's calls are far enough apart that no wait can push the
next one out of the team's hours. Otherwise the accounts a call reaches stay on SimPy
(:func:`simlib.model.hybrid.numpy_accounts`'s probe).
"""
from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np
import simpy
from simpy.events import NORMAL, PENDING

from simlib.model import vectorized
from simlib.model.population_rows import PopulationRows
from simlib.model.vectorized_calls import ABANDONED, GRANTED, PAID
from simlib.model.vectorized_secondary import passed_cents
from simlib.world.capacities.phone_team import PhoneTeamCapacity, _Due, _FirstOf
from simlib.world.resumer import Resumer

#: whether the hybrid engine runs the called accounts this way. Off: exact (tests/test_hybrid_calls.py),
#: but measured slower than leaving them on SimPy for a ladder of calls alone — the replica of the
#: queue, run once a round, costs about what SimPy's run of those accounts does (benchmarks/README.md
#: "The called accounts as a fixed point"); benchmarks/calls_fixed_point.py and the tests turn it on
ENABLED = False
#: rounds of the fixed point before the run stops with an error (the shipped ladders need 2–3)
MAX_ROUNDS = 100
#: days a call step may move to the team's next slot (a Friday evening to Monday's opening), with a margin
SLOT_DAYS = 4.0


def calls_in_numpy(world, selected: np.ndarray, mask: np.ndarray, disputed: np.ndarray | None) -> bool:
    """Whether the accounts a call step may select (``selected``, of those the NumPy ``mask`` allows)
    run in NumPy with the team's queue as a fixed point (see the module)."""
    st, sc = world.st, world.sc
    owed = np.asarray(world.patient_cents) > 0
    if st.phone_team is None or (selected & owed & ~mask).any():
        return False
    if disputed is not None and (disputed & selected).any():
        return False
    team = st.phone_team
    offsets = sorted((step.day + (st.credit_terms_days if step.relative_to == "due_date" else 0.0))
                     for step in st.ladder if sc.channels[step.channel].kind == "call")
    return all(b - a > team.max_wait_days + SLOT_DAYS + 1.0 for a, b in zip(offsets, offsets[1:]))


def _run(world, encounters: np.ndarray, table: dict) -> dict[int, tuple]:
    """The NumPy model on ``encounters`` given ``table`` ((encounter, attempt) → outcome): each
    one's requests and the calls the limits forbade at an agent (encounters with no request: none)."""
    local = {g: j for j, g in enumerate(encounters.tolist())}
    lag = world.statement_lag_days
    passed = passed_cents(world)
    v = vectorized.simulate(world.sc, world.strategy_name, PopulationRows(world.pop, encounters),
                            accounts=np.ones(encounters.size, bool),
                            statement_lag_days=lag[encounters] if np.ndim(lag) else lag,
                            passed_cents=None if passed is None else passed[encounters],
                            call_outcomes={(local[g], m): v for (g, m), v in table.items() if g in local})
    asks: dict[int, tuple] = {}
    for j, m, t, pay, dur in v.call_requests:
        g = int(encounters[j])
        asks[g] = asks.get(g, ()) + ((g, m, t, pay, dur),)
    forbidden: dict[int, set] = {}
    for j, m in v.calls_suppressed:
        forbidden.setdefault(int(encounters[j]), set()).add((int(encounters[j]), m))
    return {g: (r, frozenset(forbidden.get(g, ()))) for g, r in asks.items()}


def call_outcomes(world, candidates: np.ndarray) -> dict:
    """The fixed point: each call's outcome, by (encounter, attempt), for the accounts of the
    boolean mask ``candidates`` (those a call step may select); the world's phone team takes the
    records of the last round. A round simulates again only the accounts whose outcomes the last
    replica changed, and ends the search when their requests come out the same (the queue would)."""
    rerun, table, asks, team = np.flatnonzero(candidates), {}, {}, None
    wait = world.st.phone_team.max_wait_days
    for _ in range(MAX_ROUNDS):
        found = _run(world, rerun, table) if rerun.size else {}
        moved = False
        for g in rerun.tolist():
            if _effective(found.get(g), wait) != _effective(asks.get(g), wait):
                moved = True
                if g in found:
                    asks[g] = found[g]
                else:
                    del asks[g]
        if not moved and team is not None or not asks:
            break
        requests = [r for g in sorted(asks) for r in asks[g][0]]
        new, team = replica(world, requests, set().union(*(asks[g][1] for g in asks)))
        rerun = np.array(sorted({g for g, m in set(new) | set(table) if new.get((g, m)) != table.get((g, m))}),
                         dtype=np.int64)
        table = new
    else:
        raise RuntimeError(f"strategy {world.strategy_name!r}: the phone team's queue found no fixed point in "
                           f"{MAX_ROUNDS} rounds (simlib.model.hybrid_calls)")
    if team is not None:
        phone = world.phone
        phone.waits, phone.busy_days, phone.last_work_day = team.waits, team.busy_days, team.last_work_day
    return table


def _effective(asks: tuple | None, wait: float):
    """An account's requests as the queue reads them: a next payment day after the wait's limit (a
    margin of 1e-6 day for the SimPy clock's rounding) only says "not before it" — the same wait."""
    if asks is None:
        return None
    return tuple((g, m, day, pay if pay < day + wait - 1e-6 else None, dur) for g, m, day, pay, dur in asks[0]), asks[1]


def replica(world, requests: list, suppressed: set):
    """The phone team alone (:func:`replica_simpy`), compiled: :mod:`simlib.model.call_queue` runs
    the same events in the same order in a numba loop, 10–20× cheaper a round (imported here: numba
    loads only when the fixed point runs)."""
    from simlib.model import call_queue
    return call_queue.replica(world, requests, suppressed)


def replica_simpy(world, requests: list, suppressed: set) -> tuple[dict, PhoneTeamCapacity]:
    """The phone team alone on SimPy (the reference of the compiled :func:`replica`), asked for
    ``requests`` ((encounter, attempt, day on the account's clock, next payment day, duration));
    ``suppressed``: the calls the contact limits forbid at their agent. Returns each call's outcome
    and the team (its records: waits, busy time, last working day)."""
    cfg, start, horizon = world.st.phone_team, world.start_day, world.horizon
    env = simpy.Environment(initial_time=start)
    team = PhoneTeamCapacity(SimpleNamespace(env=env, horizon=horizon, start_day=start, pop=world.pop), cfg)
    agents, outcomes = team.agents, {}
    by_encounter: dict[int, list] = {}
    for request in requests:
        by_encounter.setdefault(request[0], []).append(request)

    def account(asks: list):
        for i, m, day, payment_day, duration in asks:
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
        gen = account(by_encounter[i])
        with contextlib.suppress(StopIteration):
            Resumer(gen).wait(next(gen))
    env.run(until=horizon)
    return outcomes, team
