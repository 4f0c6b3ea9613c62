"""The phone team as a capacity: agents who place the calls of a strategy's reminder ladder.

The agents form a SimPy ``PriorityResource`` (granted as one grants by :class:`PhoneAgents`), open
during working hours (outside them a shift process holds every agent) and paid per open hour
(``COST_AGENTS``) for the days it works the book (:mod:`simlib.world.capacities.staffing`). A call
waits for an agent until the patient pays or ``max_wait_days`` pass (then it is dropped,
``calls_abandoned``); the contact limits may still forbid it when an agent is free; a placed call
reaches the right party with ``right_party_contact_rate`` and then raises the intensity by the call
channel's jump. The strategy's ``phone_team`` section (settings, words) is the lever :mod:`simlib.levers.phone_team`.
"""
from __future__ import annotations

import bisect
import math
from operator import attrgetter

import simpy
from simpy.events import NORMAL, PENDING

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.world.capacities import staffing
from simlib.world.contacts import emit

CALL_ATTEMPTS = 8  # pre-drawn right-party-contact uniforms and call durations per account


class AgentRequest(simpy.Event):
    """A request for an agent (a call's or a shift's), granted as a SimPy ``PriorityRequest`` is:
    ``key`` = (priority, time requested, False), lower first, first come first served among
    equal keys; triggered (``_value`` None) when granted."""

    def __init__(self, env, key):
        self.env, self.callbacks, self.key = env, [], key


_request_key = attrgetter("key")  # C-implemented: insort calls it at every probe


class _Due:
    """An event that only runs its callbacks when processed (only what ``Environment.step`` and
    :class:`_FirstOf` read of an event): a release's (SimPy's ``Release``: the front of the queue
    gets the agent if one is free), and, scheduled ``delay`` later, the timeouts of a call's wait
    and of its end (what ``Timeout`` is, without its checks and value)."""

    __slots__ = ("callbacks",)
    _ok, _value = True, None  # processed without a value (what a resumer sends in)

    def __init__(self, callbacks):
        self.callbacks = callbacks


class PhoneAgents:
    """The agents: SimPy's ``PriorityResource`` (its ``_trigger_put``, ``_do_put`` and
    ``Release``) without its generic machinery, granting the same request at the same moment in
    the same order. A new request joins the queue by key and then, as SimPy's ``Put`` does, the
    queue's *front* (not necessarily the new request) gets an agent if one is free; a release
    frees the agent at once, and when its event is processed the front gets an agent if one is
    free (one request each time, as ``_trigger_put`` stops after the first, ``_do_put`` returning
    ``None``). A granted request is scheduled as ``succeed`` schedules it, except one granted at
    its own creation that nobody waits for (``watched=False``: the call goes on at once): SimPy's
    event for it runs only ``_trigger_get``, a no-op (a release is granted at once, so the get
    queue is always empty), and dropping it shifts the sequence numbers of later events without
    changing their order (the reasoning of :class:`simlib.world.resumer.Resumer`)."""

    def __init__(self, env, capacity: int):
        self.env, self.capacity = env, capacity
        self.busy = 0  # agents granted (SimPy's ``len(users)``)
        self.queue: list[AgentRequest] = []  # waiting requests, sorted by key
        self._grant_front = self.grant_front

    def request(self, priority: int, watched: bool = True) -> AgentRequest:
        env = self.env
        req = AgentRequest(env, (priority, env.now, False))
        queue = self.queue
        if queue:
            bisect.insort_right(queue, req, key=_request_key)
        else:
            queue.append(req)
        if self.busy < self.capacity:
            front = queue.pop(0)
            self.busy += 1
            front._ok, front._value = True, None
            if watched or front is not req:
                env.schedule(front)
        return req

    def cancel(self, req: AgentRequest) -> None:
        """Withdraw a request not granted (SimPy's ``Put.cancel``)."""
        if req._value is PENDING:
            self.queue.remove(req)

    def release(self, _event=None) -> None:
        """Free a granted agent now (the argument: the event whose callback this is, unused)."""
        self.busy -= 1
        self.env.schedule(_Due([self._grant_front]))

    def grant_front(self, _event) -> None:
        queue = self.queue
        if queue and self.busy < self.capacity:
            front = queue.pop(0)
            self.busy += 1
            front._ok, front._value = True, None
            self.env.schedule(front)


class _FirstOf(simpy.Event):
    """``a | b`` (SimPy's ``AnyOf``) for a waiter that reads no value: scheduled, with no value,
    when the first of ``a`` and ``b`` is processed — the moment ``AnyOf`` is — without its
    bookkeeping (the tuple of events, the value of every event processed, the removal of its
    check from the other event, which here stays and does nothing)."""

    def __init__(self, env, a, b):
        self.env, self.callbacks = env, []
        check = self._check
        for event in (a, b):
            if event.callbacks is None:
                check(event)
            else:
                event.callbacks.append(check)

    def _check(self, event) -> None:
        if self._value is not PENDING:
            return
        if not event._ok:
            event._defused = True
            self.fail(event._value)
        else:
            self.succeed()


def next_open_slot(day: float, hours: tuple[float, float], working_days) -> float:
    """The first moment at or after ``day`` when the team is open: ``day`` itself when open; a
    time before opening on a working day moves to the opening hour; a time after closing or on a
    closed day moves to the next working day at the same hour if that is within the hours, else
    at the opening hour (day 0 is a Monday at midnight; weekday = floor(day) mod 7)."""
    h0, h1 = hours
    d = math.floor(day)
    raw = (day - d) * 24.0
    if raw < 24.0 - 1e-6:
        # fast paths, the same answers: rounding (below) moves the hour by at most 5e-7 h, so an
        # hour more than 1e-6 h from the bounds compares with them as the rounded one does
        if d % 7 in working_days:
            if h0 + 1e-6 < raw < h1 - 1e-6:
                return day
            if raw < h0 - 1e-6:
                return d + h0 / 24.0
        if raw < h0 - 1e-6 or raw > h1 + 1e-6:  # out of hours: the next working day's opening
            for k in range(1, 8):
                if (d + k) % 7 in working_days:
                    return d + k + h0 / 24.0
    hour = round(raw, 6)  # to 3.6 ms: an opening hour that came back as 7.9999999 h is 8 h
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
        self.agents = PhoneAgents(env, cfg.agents)
        self.busy_days = 0.0
        self.waits: list[float] = []
        self._minutes_days = cfg.call_minutes_mean / 1440.0  # a call's mean duration in days
        self.call_minutes_exp = world.pop.call_minutes_exp
        h0, h1 = cfg.hours
        self.always_open = h0 <= 0.0 and h1 >= 24.0 and len(set(cfg.working_days)) == 7
        self.hours, self.working_days = (h0, h1), tuple(cfg.working_days)
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
        env, c, agents = self.world.env, self.cfg.agents, self.agents
        for start, end in self.open_intervals:
            held = [agents.request(0) for _ in range(c)]
            yield simpy.AllOf(env, held)
            if start > env.now:
                yield env.timeout(start - env.now)
            for _ in held:
                agents.release()
            if end > env.now:
                yield env.timeout(end - env.now)
        held = [agents.request(0) for _ in range(c)]  # closed after the last shift

    def next_open_slot(self, day: float) -> float:
        """The first moment at or after ``day`` when the team is open (:func:`next_open_slot`)."""
        return next_open_slot(day, self.hours, self.working_days)

    def call(self, acct, channel, request):
        """A call by the ``channel`` (a call-kind channel; ``request``: the
        :class:`~simlib.world.contacts.Contact`): wait for an agent, then talk. Its parts around the
        wait (:meth:`ask`, :meth:`gave_up`, :meth:`talk`) are what a call does to the account and
        the team's records; the wait alone decides when (benchmarks/calls_fixed_point.py replays it)."""
        env = self.world.env
        attempt, t_req, deadline, give_up = self.ask(acct)
        agents = self.agents
        req = agents.request(1, watched=False)
        if req._value is PENDING:
            if deadline > t_req:
                timer = _Due([])  # env.timeout(deadline - t_req)
                env.schedule(timer, NORMAL, deadline - t_req)
                yield _FirstOf(env, req, timer)
            if req._value is PENDING:
                agents.cancel(req)
                self.gave_up(acct, channel, deadline >= give_up)
                return
        self.talk(acct, channel, request, t_req, attempt, agents)

    def ask(self, acct) -> tuple[int, float, float, float]:
        """The account asks for a call now: its attempt's index into the pre-drawn rows, the day
        asked, the day the wait ends (the patient's next payment, or ``max_wait_days`` later) and
        the day it gives up."""
        attempt = acct.calls_attempted % CALL_ATTEMPTS
        acct.calls_attempted += 1
        t_req = self.world.env.now
        give_up = t_req + self.cfg.max_wait_days
        return attempt, t_req, min(acct.payment_time(), give_up), give_up

    def duration(self, i: int, attempt: int) -> float:
        """Encounter ``i``'s call number ``attempt`` lasts this many days (pre-drawn)."""
        return self._minutes_days * self.call_minutes_exp[i, attempt]

    def gave_up(self, acct, channel, abandoned: bool) -> None:
        """No agent came before the wait ended: the patient paid meanwhile, or the call is
        ``abandoned`` after ``max_wait_days``."""
        world = self.world
        self.last_work_day = max(self.last_work_day, world.env.now)  # the team had it in its queue
        if abandoned:
            world.counters["calls_abandoned"] += 1
            if world.event_hooks:
                acct.now = world.env.now
                emit(acct, "abandoned", channel.name)

    def talk(self, acct, channel, request, t_req: float, attempt: int, agents=None) -> float | None:
        """An agent of ``agents`` took the call now: placed unless the contact limits forbid it
        (``None``: the agent is free at once), else the agent is released when it ends; returns how
        long it lasts (days). (``agents=None``: no agent to release, a replay's.)"""
        world, cfg = self.world, self.cfg
        now = acct.now = world.env.now
        counters, hooks = world.counters, world.event_hooks
        if not world.limits.call_allowed(acct, now):
            if agents is not None:
                agents.release()
            counters["suppressed_contacts"] += 1
            counters[f"suppressed_{channel.name}"] += 1
            world.trace(acct.r, f"{channel.name} suppressed", now)
            if hooks:
                emit(acct, "suppressed", channel.name)
            return None
        self.waits.append(now - t_req)
        duration = self.duration(acct.i, attempt)
        self.busy_days += max(0.0, min(duration, world.horizon - now))
        end = now + duration
        if end > self.last_work_day:
            self.last_work_day = end
        if agents is not None:
            world.env.schedule(_Due([agents.release]), NORMAL, duration)  # env.timeout(duration), then release
        acct.call_times.append(now)
        counters["contacts"] += 1
        counters["calls"] += 1
        if request.sent is not None:
            counters[request.sent] += 1
        world.ledger.post(acct.r, now, Kind.COST_CONTACT, channel.cost_cents)
        if hooks:
            emit(acct, "sent", channel.name)
        rpc_u = acct.rpc_u
        if rpc_u is None:  # one row a called account, not one a call (the rows are regenerated on demand)
            rpc_u = acct.rpc_u = world.pop.rpc_u[acct.i].tolist()
        if rpc_u[attempt] < cfg.right_party_contact_rate:
            counters["calls_right_party"] += 1
            if request.reached is not None:
                counters[request.reached] += 1
            channel.respond(acct, now, request.jump_per_day)
            if hooks:
                emit(acct, "answered", channel.name)
        elif hooks:
            emit(acct, "no_answer", channel.name)
        if world.events is not None:
            world.trace(acct.r, "call connected")
        return duration
