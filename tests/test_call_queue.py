"""The compiled queue of the phone team (simlib.model.call_queue) equals the SimPy replica
(simlib.model.hybrid_calls.replica_simpy) exactly: every call's outcome and day, the waits in the order
granted (``==`` on floats: to the bit), the busy agent-days and the last working day. On the requests
the fixed point asks of the shipped call strategies, and on random request sets built to tie: requests
at the opening and the closing, many at one instant, waits that end on an opening, payment days at a
grant's moment, calls that end when another request arrives, suppressed calls, teams open round the
clock, one agent and many, requests at the first day and after the horizon. Seeded (hypothesis
derandomized); nothing timed.

Slips in the kernel these tests caught (each tried once, by hand): equal times in the reverse order of
their ids; calls granted last come first served; the shifts' requests behind the waiting calls; a
sync, a wait's timer or a shift's opening at the day itself instead of SimPy's ``now + (day - now)``;
no ``_FirstOf`` event; a release granting the front at once (a call's end, a suppressed call); a
request granted at its creation scheduled; ``>`` for ``>=`` between paid and abandoned; the run
stopped at the horizon instead of SimPy's ``start + (horizon - start)``; the shifts' last requests
left out; the ``AllOf`` at its first request; busy time not clipped at the horizon; the accounts
started after the shifts' ``Initialize``; a give-up not counted as the team's work. (The shifts'
``Initialize`` at normal priority changes nothing: it is the first event scheduled.)"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model import call_queue, hybrid_calls
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_calls import ABANDONED, GRANTED, PAID
from test_hybrid import variants

NO_DISPUTES = {"billing_team": {"billing_error_rate": 0.0}}
#: (hours, working days): office hours, a short shift, open round the clock (always open), whole days
#: five days a week (a shift ends when the next starts), hours that are not whole
TEAMS = [((9.0, 17.0), [0, 1, 2, 3, 4]), ((8.0, 10.0), [0, 2, 4]), ((0.0, 24.0), list(range(7))),
         ((0.0, 24.0), [0, 1, 2, 3, 4]), ((7.5, 19.25), [1, 2, 3, 5])]
#: (first day, horizon): the engine's (a whole number of days of warm-up), ones that are not whole, and
#: ones where SimPy's stop, first day + (horizon - first day), falls after or before the horizon
SPANS = [(-30.0, 40.0), (-10.5, 33.7), (0.0, 21.0), (-3.7, 28.9), (-30.7, 10.1)]


def team(hours, working_days, agents: int, max_wait_days: float):
    return SimpleNamespace(agents=agents, hours=hours, working_days=working_days, call_minutes_mean=8.0,
                           max_wait_days=max_wait_days)


def assert_same(cfg, start: float, horizon: float, requests: list, suppressed: set) -> dict:
    """The compiled queue's outcomes and records are the SimPy replica's; returns the outcomes."""
    world = SimpleNamespace(st=SimpleNamespace(phone_team=cfg), start_day=start, horizon=horizon,
                            pop=SimpleNamespace(call_minutes_exp=None))
    expected, simpy_team = hybrid_calls.replica_simpy(world, requests, suppressed)
    outcomes, records = call_queue.queue(cfg, start, horizon, requests, suppressed)
    assert outcomes == expected
    assert records.waits == simpy_team.waits
    assert records.busy_days == simpy_team.busy_days
    assert records.last_work_day == simpy_team.last_work_day
    return outcomes


def moments(rng, cfg, start: float, horizon: float, k: int) -> list[float]:
    """``k`` moments that tie: the team's openings and closings (computed as its shifts compute them),
    whole hours, midnights, the first day, the horizon, SimPy's stop and after it, a few anywhere."""
    h0, h1 = cfg.hours
    out = []
    for _ in range(k):
        d = int(rng.integers(math.floor(start), math.ceil(horizon) + 2))
        pick = int(rng.integers(0, 10))
        out.append([d + h0 / 24.0, d + h1 / 24.0, d + int(rng.integers(0, 24)) / 24.0, float(d), start, horizon,
                    horizon + 1.0, d + h0 / 24.0, d + float(rng.random()), start + (horizon - start)][pick])
    return out


def random_requests(rng, cfg, start: float, horizon: float, accounts: int):
    """Accounts of one to three asks (days on the account's clock, in order, often equal), their
    payment days (never, at the ask, at the wait's limit, at a tying moment) and durations (a whole
    shift, whole hours, minutes, days); the calls the limits forbid. Interleaved by account."""
    h0, h1 = cfg.hours
    pool = moments(rng, cfg, start, horizon, max(4, accounts // 3))  # few moments: many requests at each
    encounters = rng.choice(10 * accounts, accounts, replace=False)
    requests, suppressed = [], set()
    for g in encounters.tolist():
        days = sorted(pool[int(rng.integers(len(pool)))] for _ in range(int(rng.integers(1, 4))))
        for m, day in enumerate(days):
            pay = [math.inf, day, day + cfg.max_wait_days, pool[int(rng.integers(len(pool)))],
                   day + float(rng.random()) * 2 * cfg.max_wait_days][int(rng.integers(0, 5))]
            duration = [(h1 - h0) / 24.0, 1 / 24.0, 0.25 / 24.0, 8 / 1440.0, float(rng.exponential(20 / 1440.0)),
                        2.0][int(rng.integers(0, 6))]
            requests.append((g, m, day, pay, duration))
            if rng.random() < 0.15:
                suppressed.add((g, m))
    order = rng.permutation(len(requests))  # accounts interleaved; each one's asks stay in order
    return _in_order([requests[i] for i in order.tolist()]), suppressed


def _in_order(requests: list) -> list:
    """Each account's asks by attempt (its days in order), accounts left interleaved."""
    seen: dict = {}
    for g, m, day, pay, dur in requests:
        seen.setdefault(g, []).append((m, day, pay, dur))
    taken = {g: iter(sorted(v)) for g, v in seen.items()}
    return [(g, *next(taken[g])) for g, *_ in requests]


def retied(rng, requests: list, outcomes: dict) -> list:
    """The same accounts asked again so that payment days fall on the grants' moments and asks on
    the moments calls end (the timer, the grant and a release at one instant)."""
    grants = [(outcomes[g, m][1], dur) for g, m, _, _, dur in requests if outcomes.get((g, m), ("",))[0] == GRANTED]
    if not grants:
        return requests
    changed = []
    for g, m, day, pay, dur in requests:
        at, took = grants[int(rng.integers(len(grants)))]
        if rng.random() < 0.4:
            pay = at
        if rng.random() < 0.3:
            day = at + took
        changed.append((g, m, day, pay, dur))
    by_account: dict = {}
    for g, m, day, pay, dur in changed:
        by_account.setdefault(g, []).append(day)
    days = {g: iter(sorted(v)) for g, v in by_account.items()}
    return [(g, m, next(days[g]), pay, dur) for g, m, _, pay, dur in changed]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=hst.integers(0, 2**31), shape=hst.sampled_from(TEAMS), agents=hst.sampled_from([1, 2, 5]),
       wait=hst.sampled_from([1.0, 2.0, 0.25, 5.0, 1 / 3]), span=hst.sampled_from(SPANS),
       accounts=hst.sampled_from([1, 8, 40, 90]))
def test_random_request_sets_that_tie_are_queued_as_simpy_queues_them(seed, shape, agents, wait, span, accounts):
    rng = np.random.default_rng(seed)
    cfg, (start, horizon) = team(*shape, agents, wait), span
    requests, suppressed = random_requests(rng, cfg, start, horizon, accounts)
    outcomes = assert_same(cfg, start, horizon, requests, suppressed)
    assert_same(cfg, start, horizon, retied(rng, requests, outcomes), suppressed)


def test_the_random_sets_reach_every_tie():
    """Teeth: over seeded sets, calls wait and are granted at an opening, are given up at the wait's
    limit (also at an opening) and when the patient pays at the very moment (also at a grant's
    moment), are suppressed, end at a closing or when another call asks, and some ask after the
    horizon (no outcome)."""
    seen = dict.fromkeys(["waited", "at_opening", ABANDONED, PAID, "paid_at_ask", "suppressed", "no_outcome",
                          "asked_when_a_call_ended", "paid_at_a_grant", "ended_at_a_closing",
                          "gave_up_at_an_opening"], 0)
    for seed in range(40):
        rng = np.random.default_rng(seed)
        shape, span = TEAMS[seed % len(TEAMS)], SPANS[seed % len(SPANS)]
        cfg = team(*shape, [1, 2, 5][seed % 3], [1.0, 0.25, 5.0][seed % 3])
        requests, suppressed = random_requests(rng, cfg, *span, 60)
        days = range(math.floor(span[0]), math.ceil(span[1]) + 3)
        opens, closes = ({d + hour / 24.0 for d in days} for hour in cfg.hours)
        first = assert_same(cfg, *span, requests, suppressed)
        again = retied(rng, requests, first)
        second = assert_same(cfg, *span, again, suppressed)
        grants = {out[1] for out in second.values() if out[0] == GRANTED}
        ends = {out[1] + dur for (g, m, _, _, dur) in again if (out := second.get((g, m))) and out[0] == GRANTED}
        for outcomes, asked in ((first, requests), (second, again)):
            for g, m, day, pay, dur in asked:
                out = outcomes.get((g, m))
                seen["no_outcome"] += out is None
                if out is None:
                    continue
                kind, at = out
                seen["waited"] += kind == GRANTED and at > day
                seen["at_opening"] += kind == GRANTED and at > day and at == math.floor(at) + cfg.hours[0] / 24.0
                seen[ABANDONED] += kind == ABANDONED
                seen[PAID] += kind == PAID
                seen["paid_at_ask"] += kind == PAID and at == day
                seen["suppressed"] += kind == GRANTED and (g, m) in suppressed
                seen["ended_at_a_closing"] += kind == GRANTED and at + dur in closes
                seen["gave_up_at_an_opening"] += kind != GRANTED and at in opens
        seen["asked_when_a_call_ended"] += sum(day in ends for _, _, day, _, _ in again)
        seen["paid_at_a_grant"] += sum(pay in grants for _, _, _, pay, _ in again)
    assert all(v > 10 for v in seen.values()), seen


@pytest.mark.parametrize("agents", [1, 3])
def test_a_crowd_at_one_instant(agents):
    """Two hundred calls asked at the opening, with every kind of deadline: the engine's order among
    equal times decides who is served, who gives up and who pays meanwhile."""
    cfg = team((9.0, 17.0), [0, 1, 2, 3, 4], agents, 1.0)
    rng = np.random.default_rng(agents)
    opening = 2 + 9.0 / 24.0
    requests = [(g, 0, opening, [math.inf, opening, opening + 1.0, 3 + 9.0 / 24.0][g % 4],
                 [1 / 24.0, 8 / 24.0, float(rng.exponential(0.01))][g % 3]) for g in range(200)]
    outcomes = assert_same(cfg, 0.0, 30.0, requests, {(g, 0) for g in range(0, 200, 7)})
    assert {kind for kind, _ in outcomes.values()} == {GRANTED, PAID, ABANDONED}


@pytest.mark.parametrize("disputes", [False, True])
@pytest.mark.parametrize("scenario, name", [("baseline", "calls"), ("baseline", "combined"),
                                            ("chile_clinic", "llamadas")])
def test_the_shipped_strategies_rounds_are_queued_as_simpy_queues_them(scenario, name, disputes, monkeypatch):
    """Every round of the fixed point, on a small hospital with and without billing errors (a
    dispute's end: a moment the account resumes): the compiled queue's answer is the SimPy
    replica's (and the world runs on it)."""
    sc = variants(scenario, name, {name: {}}, encounters_per_day=4.0, operations=None if disputes else NO_DISPUTES)
    pop = draw_population(sc, 1)
    rounds, resumed = [], []

    def both(world, requests, suppressed, resumes=None):
        expected, simpy_team = hybrid_calls.replica_simpy(world, requests, suppressed, resumes)
        outcomes, records = call_queue.replica(world, requests, suppressed, resumes)
        assert outcomes == expected and records.waits == simpy_team.waits
        assert records.busy_days == simpy_team.busy_days and records.last_work_day == simpy_team.last_work_day
        rounds.append(len(requests))
        resumed.append(len(resumes or {}))
        return outcomes, records

    monkeypatch.setattr(hybrid_calls, "ENABLED", True)
    monkeypatch.setattr(hybrid_calls, "replica", both)
    world = World(sc, name, pop, hybrid=True)
    world.run()
    assert (min(resumed) > 10) if disputes else not any(resumed)
    assert world.numpy_calls is not None and rounds and min(rounds) > 100, rounds
