"""The phone team's agents (:class:`PhoneAgents`) grant what SimPy's ``PriorityResource`` grants:
the same request, at the same moment, in the same order, on seeded cases full of ties (requests,
releases, give-ups and shifts on a coarse grid of times). Whole runs are held by the golden tables
on both engines and the identity checks of the hybrid."""
from __future__ import annotations

import numpy as np
import pytest
import simpy
from simpy.events import PENDING

from simlib.world.capacities.phone_team import PhoneAgents, _FirstOf


class _SimPyAgents:
    """A plain ``simpy.PriorityResource`` behind the calls :class:`PhoneAgents` offers."""

    def __init__(self, env, capacity):
        self.res = simpy.PriorityResource(env, capacity=capacity)
        self.held: list = []

    def request(self, priority, watched=True):
        return self.res.request(priority=priority)

    def cancel(self, req):
        req.cancel()

    def release(self, _event=None, req=None):
        self.res.release(req)


def _run(kind: str, seed: int, capacity: int, n: int) -> list:
    """Processes that ask for an agent at times on a grid of quarter days, wait until a deadline
    (or not at all), sometimes hand the agent back at once (a suppressed call), else after a
    duration on the same grid; a shift holds every agent each day until half past. Returns what
    happened, in the order it happened."""
    env = simpy.Environment()
    agents = PhoneAgents(env, capacity) if kind == "fast" else _SimPyAgents(env, capacity)
    rng = np.random.default_rng(seed)
    log: list = []

    def release(req):
        if kind == "fast":
            return agents.release
        return lambda _ev: agents.release(req=req)

    def caller(k, start, priority, wait, hold, drop):
        yield env.timeout(start)
        t_req = env.now
        req = agents.request(priority, watched=False)
        if req._value is PENDING and wait > 0.0:
            yield _FirstOf(env, req, env.timeout(wait))
        if req._value is PENDING:
            agents.cancel(req)
            log.append((env.now, k, "gave up"))
            return
        log.append((env.now, k, "granted", env.now - t_req))
        if drop:
            release(req)(None)
        else:
            env.timeout(hold).callbacks.append(release(req))
        if k % 3 == 0:  # goes on and asks again at once (the next ladder step due the same day)
            yield from caller(k + n, 0.0, priority, wait, hold, False)

    def shifts():
        for day in range(12):
            held = [agents.request(0) for _ in range(capacity)]
            yield simpy.AllOf(env, held)
            log.append((env.now, "shift holds"))
            if day + 0.5 > env.now:
                yield env.timeout(day + 0.5 - env.now)
            for req in held:
                release(req)(None)
            log.append((env.now, "shift opens"))
            yield env.timeout(day + 1.0 - env.now)

    env.process(shifts())
    for k in range(n):
        env.process(caller(k, float(rng.integers(0, 40)) / 4.0, int(rng.integers(1, 3)),
                           float(rng.choice([0.0, 0.25, 0.5, 1.0, 3.0])), float(rng.integers(1, 4)) / 4.0,
                           bool(rng.random() < 0.2)))
    env.run(until=14.0)
    return log


@pytest.mark.parametrize("seed,capacity,n", [(0, 1, 60), (1, 3, 200), (2, 5, 400), (3, 2, 300), (5, 2, 100),
                                             (7, 5, 100), (18, 3, 100)])
def test_the_agents_are_granted_as_simpy_grants_them(seed, capacity, n):
    fast, reference = _run("fast", seed, capacity, n), _run("simpy", seed, capacity, n)
    assert fast == reference
    grants = [e for e in fast if len(e) == 4]
    times = [e[0] for e in grants]
    assert len(times) - len(set(times)) >= capacity + 2  # agents granted at the same moment
    assert any(e[2] == "gave up" for e in fast if len(e) == 3)
    assert sum(e[3] > 0.0 for e in grants) >= 3  # calls that waited for an agent
