"""The phone team as a capacity: agents who place the calls of a strategy's reminder ladder.

The agents form a SimPy ``PriorityResource``, open during working hours (outside them a shift
process holds every agent) and paid per open hour (``COST_AGENTS``) for the days it works the book
(:mod:`simlib.world.capacities.staffing`). A call waits for an agent
until the patient pays or ``max_wait_days`` pass (then it is dropped, ``calls_abandoned``); the
contact limits may still forbid it when an agent is free; a placed call reaches the right party
with ``right_party_contact_rate`` and then raises the intensity by the call channel's jump.
The strategy's ``phone_team`` section (settings, words) is the lever :mod:`simlib.levers.phone_team`.
"""
from __future__ import annotations

import bisect
import math

import simpy

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.world.capacities import staffing
from simlib.world.contacts import emit

CALL_ATTEMPTS = 8  # pre-drawn right-party-contact uniforms and call durations per account


class _InsortQueue(list):
    """SimPy's ``SortedQueue`` re-sorts the whole queue on every request; insert in place instead
    (same order: by key, first come first served among equal keys)."""

    def __init__(self, maxlen=None):
        super().__init__()
        self.maxlen = maxlen

    def append(self, item) -> None:
        if self.maxlen is not None and len(self) >= self.maxlen:
            raise RuntimeError("Cannot append event. Queue is full.")
        bisect.insort_right(self, item, key=_request_key)


def _request_key(request):
    return request.key


class QueuePriorityResource(simpy.PriorityResource):
    PutQueue = _InsortQueue


def next_open_slot(day: float, hours: tuple[float, float], working_days) -> float:
    """The first moment at or after ``day`` when the team is open: ``day`` itself when open; a
    time before opening on a working day moves to the opening hour; a time after closing or on a
    closed day moves to the next working day at the same hour if that is within the hours, else
    at the opening hour (day 0 is a Monday at midnight; weekday = floor(day) mod 7)."""
    h0, h1 = hours
    d = math.floor(day)
    if d % 7 in working_days:
        # fast path, the same answer: rounding (below) moves the hour by at most 5e-7 h, so an hour
        # more than 1e-6 h from the bounds compares with them as the rounded one does
        raw = (day - d) * 24.0
        if h0 + 1e-6 < raw < h1 - 1e-6:
            return day
        if raw < h0 - 1e-6:
            return d + h0 / 24.0
    hour = round((day - d) * 24.0, 6)  # to 3.6 ms: an opening hour that came back as 7.9999999 h is 8 h
    if hour >= 24.0:
        d, hour = d + 1, 0.0
    open_days = set(working_days)
    for k in range(8):
        if (d + k) % 7 not in open_days:
            continue
        if k == 0:
            if hour < h0:
                return d + h0 / 24.0
            if hour < h1:
                return day
            continue
        return d + k + (hour if h0 <= hour < h1 else h0) / 24.0
    return day  # no working day: validation prevents this


class PhoneTeamCapacity:
    """The team of one world: its resource, shifts, agent costs and the calls it places."""

    def __init__(self, world, cfg):
        self.world, self.cfg = world, cfg
        env = world.env
        self.res = QueuePriorityResource(env, capacity=cfg.agents)
        self.busy_days = 0.0
        self.waits: list[float] = []
        h0, h1 = cfg.hours
        self.always_open = h0 <= 0.0 and h1 >= 24.0 and len(set(cfg.working_days)) == 7
        self._hours, self._working_days = (h0, h1), tuple(cfg.working_days)
        horizon = world.horizon
        self.open_intervals = [(d + h0 / 24.0, min(d + h1 / 24.0, horizon))
                               for d in range(int(math.floor(world.start_day)), int(math.ceil(horizon)))
                               if d % 7 in cfg.working_days and d + h0 / 24.0 < horizon]
        self.open_days = 0.0  # agent-days open while the team works the book (book_costs)
        self.last_work_day = -math.inf  # the end of its last call, or of a call's last wait
        if not self.always_open:
            env.process(self._shifts())

    def book_costs(self) -> None:
        """Post the agents' cost, one row per open interval, for the days the team works the book
        (:mod:`simlib.world.capacities.staffing`: up to the end of the day of its last call or of a
        call's last wait; nothing if it never had a call), and count those open agent-days."""
        cfg, world = self.cfg, self.world
        until = staffing.worked_until(self.last_work_day, world.horizon)
        h0, h1 = cfg.hours
        day_cost = cfg.agents * (h1 - h0) * cfg.cost_per_agent_hour
        for a, b in self.open_intervals:
            if a >= until:
                break
            self.open_days += cfg.agents * (b - a)
            world.ledger.post(-1, b, Kind.COST_AGENTS, cents(day_cost * (b - a) * 24.0 / (h1 - h0)))

    def _shifts(self):
        env, c = self.world.env, self.cfg.agents
        for start, end in self.open_intervals:
            held = [self.res.request(priority=0) for _ in range(c)]
            yield simpy.AllOf(env, held)
            if start > env.now:
                yield env.timeout(start - env.now)
            for req in held:
                self.res.release(req)
            if end > env.now:
                yield env.timeout(end - env.now)
        held = [self.res.request(priority=0) for _ in range(c)]  # closed after the last shift

    def next_open_slot(self, day: float) -> float:
        """The first moment at or after ``day`` when the team is open (:func:`next_open_slot`)."""
        return next_open_slot(day, self._hours, self._working_days)

    def call(self, acct, channel, request):
        """A call by the ``channel`` (a call-kind channel; ``request``: the
        :class:`~simlib.world.contacts.Contact`): wait for an agent, then talk."""
        world, env, cfg = self.world, self.world.env, self.cfg
        pop, i = world.pop, acct.i
        attempt = acct.calls_attempted % CALL_ATTEMPTS
        acct.calls_attempted += 1
        t_req = env.now
        give_up = t_req + cfg.max_wait_days
        deadline = min(acct.payment_time(), give_up)
        req = self.res.request(priority=1)
        if not req.triggered and deadline > t_req:
            yield req | env.timeout(deadline - t_req)
        if not req.triggered:
            req.cancel()
            self.last_work_day = max(self.last_work_day, env.now)  # the team had it in its queue
            if deadline >= give_up:
                world.count("calls_abandoned")
                if world.event_hooks:
                    acct.now = env.now
                    emit(acct, "abandoned", channel.name)
            return
        now = acct.now = env.now
        if not world.limits.call_allowed(acct, now):
            self.res.release(req)
            world.count("suppressed_contacts")
            world.count(f"suppressed_{channel.name}")
            world.trace(acct.r, f"{channel.name} suppressed", now)
            if world.event_hooks:
                emit(acct, "suppressed", channel.name)
            return
        self.waits.append(now - t_req)
        duration = cfg.call_minutes_mean / 1440.0 * pop.call_minutes_exp[i, attempt]
        self.busy_days += max(0.0, min(duration, world.horizon - now))
        self.last_work_day = max(self.last_work_day, now + duration)
        env.timeout(duration).callbacks.append(lambda _ev, r=req: self.res.release(r))
        acct.call_times.append(now)
        world.count("contacts")
        world.count("calls")
        if request.sent is not None:
            world.count(request.sent)
        world.ledger.post(acct.r, now, Kind.COST_CONTACT, channel.cost_cents)
        if world.event_hooks:
            emit(acct, "sent", channel.name)
        if pop.rpc_u[i, attempt] < cfg.right_party_contact_rate:
            world.count("calls_right_party")
            if request.reached is not None:
                world.count(request.reached)
            channel.respond(acct, now, request.jump_per_day)
            if world.event_hooks:
                emit(acct, "answered", channel.name)
        elif world.event_hooks:
            emit(acct, "no_answer", channel.name)
        world.trace(acct.r, "call connected")
