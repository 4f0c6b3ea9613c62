"""A patient balance under collection: what every account has, and the interface levers call.

Every account has a balance (integer cents), a payment intensity with its Exp(1) thresholds
(:mod:`simlib.core.behaviour`), its own clock ``now`` and a schedule of actions. It runs ahead on its
own clock through everything that touches only itself (payments, messages, due dates, plans,
agency, write-off) at no SimPy cost, and synchronises with the SimPy clock only before an action
that shares a capacity (a call waiting for an agent, a dispute waiting for the billing team).

What a lever may do to an account (the whole interface):

- ``jump(delta)``: raise the payment intensity now; ``mult``: a multiplier of the intensity
  (1 unless an incentive raises it);
- ``at(day, order, action, argument)``: run ``action(account, argument)`` at an absolute day;
- ``take_over(lever, pause_clock)``: the lever takes the account from the hospital's own
  collection (a plan, an agency): ``held_by`` is the lever, so other levers' actions stand down,
  incentives end (``mult`` 1, no ``allowance``), and with ``pause_clock`` the patient makes no
  payment of their own; ``hand_back()`` returns it and runs the deadlines deferred meanwhile;
- ``deadline(action, argument)``: for an action that must still happen if the account is held
  (write-off, placement): runs it now, or lets the holder decide (``Lever.while_holding``),
  which may ``defer(action, argument)`` it until ``hand_back``;
- ``restart_clock(lam, floor, kappa, thresholds)``: a fresh payment clock with other intensity
  parameters (the agency's);
- ``postpone(days, now)``: the collection clock stood still (a dispute);
- ``contact(channel, kind, hour=, jump_per_day=, sent=, reached=, on_reach=)``: the one way to contact the
  patient (a reminder, the statement, a corrected statement, an agency's notice); what applies to
  each kind — reach, opt-out, contact limits, fatigue, age of the debt, delivery, counters,
  complaints — is the table of :mod:`simlib.world.contacts`;
- ``fade(days)``: the patient's attention faded for ``days`` with no payment clock (a dispute);
- ``pay_in_full(what)``: the patient pays the whole balance now, as if by their own payment (a
  pay link opened, a card on file charged); ``paid``: the cents the last payment brought;
- ``reduce(kind, cents, day)`` and ``close(kind, day)``: move money off the balance through the
  ledger (the only ways the balance changes besides a payment); ``book(kind, cents, day)``: a
  ledger row of this account that leaves the balance as it is (a cost, a fee, a discount granted
  on a payment, an agency's gross collection);
- ``allowance``: called on a payment in full, returns the cents allowed off (a discount);
  ``collector``: who books the patient's payments (``None``: the hospital; an agency books gross
  and charges its fee).
"""
from __future__ import annotations

import bisect
from math import exp, expm1, log1p
from operator import itemgetter

from simlib.core.behaviour import (INF, intensity_after, planned_cumulative, time_to_reach,
                               time_to_reach_planned)
from simlib.core.ledger import Kind
from simlib.core.payment_timing import covariate_factor, planned_delay_days, planned_scale_days
from simlib.world.contacts import KINDS as CONTACT_KINDS, Contact


COUNTERS = {"patient_payments": "payments the patient made to the hospital (instalments, deposits "
                                "and agency collections are counted by their levers)"}


#: a schedule item's sort key: (day, order) (C-implemented: sorting is on the engine's hot path)
_sched_key = itemgetter(0, 1)


#: see :meth:`PatientAccount.at`
MAX_ACTIONS_PER_ACCOUNT = 100_000


class PatientAccount:
    """One patient balance of one world. ``thr``/``tk`` are the Exp(1) threshold row in use and its
    index; ``k`` counts the patient's payments and indexes the paid-fraction draws."""

    __slots__ = ("world", "i", "r", "now", "bal", "lam", "t0", "cum", "k", "mult", "shift",
                 "responsiveness", "initial_lam", "floor", "kappa", "thr", "tk", "schedule", "idx",
                 "held_by", "clock_paused", "deferred", "allowance", "collector", "due_day",
                 "message_times", "call_times", "calls_attempted", "rpc_u", "plan", "pu", "paid",
                 # contact response (simlib.world.contact_response)
                 "contact_weight", "billed_day", "unaware", "reached_times", "channel_reached",
                 "opted_out_of", "complained_of")

    def __init__(self, world, i: int, bal: int):
        self.world, self.i, self.r, self.bal, self.now = world, i, 2 * i + 1, bal, 0.0
        beh, pop = world.sc.behaviour, world.pop
        balance_factor = (bal / 100.0 / beh.balance_ref) ** -beh.balance_elasticity
        self.responsiveness = world.propensity[i] * balance_factor
        self.contact_weight = float(pop.contact_responsiveness[i]) * balance_factor
        self.plan, self.pu = None, 0.0  # a planner's [delay, scale, shape, responsiveness, contact weight]; days
        if beh.payment_timing is not None:
            self._payment_timing(beh.payment_timing, pop)
        self.initial_lam = beh.initial_per_day * self.responsiveness
        self.lam, self.t0, self.cum, self.k, self.mult, self.shift = 0.0, 0.0, 0.0, 0, 1.0, 0.0
        self.floor, self.kappa = beh.floor_per_day, beh.decay_per_day
        self.thr, self.tk, self.idx = pop.threshold[i].tolist(), 0, 0
        self.held_by = self.deferred = self.allowance = self.collector = None
        self.clock_paused = False
        self.due_day = 0.0
        self.message_times: list[float] = []
        self.call_times: list[float] = []
        self.calls_attempted = 0
        self.rpc_u = None  # the phone team's right-party uniforms of this account, drawn at its first call
        self.paid = 0  # cents the last payment brought the collector (after a discount's allowance)
        self.billed_day, self.unaware = 0.0, False
        self.reached_times: list[float] = []
        self.channel_reached = None
        self.opted_out_of = self.complained_of = 0  # bit masks by channel index
        self.schedule: list = []

    # -------------------------------------------------------------- intensity state
    def advance(self, now: float) -> None:
        dt = now - self.t0
        if dt > 0.0:
            # simlib.core.behaviour's integrated and intensity_after, inline (the engine's hottest
            # path: the same float operations in the same order, so the same numbers)
            lam, floor, kappa = self.lam, self.floor, self.kappa
            if not self.clock_paused:  # a paused payment clock accrues nothing; attention still fades
                if kappa == 0.0:
                    self.cum += self.mult * (lam * dt)
                else:
                    self.cum += self.mult * (floor * dt + (lam - floor) * -expm1(-kappa * dt) / kappa)
                if self.plan is not None:
                    self.pu += dt  # a planner's active days (a pause or a dispute does not count)
            self.lam = floor + (lam - floor) * exp(-kappa * dt)
            self.t0 = now

    def jump(self, delta: float) -> None:
        self.advance(self.now)
        self.lam += delta

    def fade(self, days: float) -> None:
        """The intensity decays over ``days`` as it would without payments (the clock stood still)."""
        self.lam = intensity_after(self.lam, self.floor, self.kappa, days)

    # -------------------------------------------------------------- contacts
    def contact(self, channel: str | None, kind: str = "reminder", *, hour: float | None = None,
                jump_per_day: float | None = None, sent: str | None = None, reached: str | None = None,
                on_reach=None):
        """Contact the patient now: the one way a lever does (the kinds and what applies to each:
        :mod:`simlib.world.contacts`). ``channel`` is a channel of the scenario (``None`` for a
        contact no channel carries), ``hour`` the hour it is made (``None``: now), ``jump_per_day``
        its jump when it reaches (``None``: the channel's), ``sent``/``reached`` the caller's
        counters, ``on_reach`` the caller's ``action(account, None)`` run when a message reaches
        the patient, after the response (a pay link the patient opens). Returns ``None``, or a
        generator of SimPy events when it waits for a capacity (a call): the action returns it."""
        if kind == "reminder":  # the common kind, inline: contacts are the engine's hot path
            if self.held_by is not None:  # suspended on a plan, stopped at the agency
                return None
            world = self.world
            key = (channel, hour, jump_per_day, sent, reached, on_reach)
            request = world.contact_requests.get(key)
            if request is None:  # one immutable request per distinct contact of the world
                request = world.contact_requests[key] = Contact(*key)
            return world.channels[channel].contact(world, self, request)
        return CONTACT_KINDS[kind](self, channel, hour, jump_per_day, sent, reached)  # on_reach: messages only

    def payment_time(self) -> float:
        """Absolute day of the next payment if nothing else happens (``inf`` if never)."""
        if self.clock_paused:
            return INF
        if self.plan is not None:  # a planner: the planned-day hazard adds to the integral
            delay, scale, shape = self.plan[:3]
            need = self.thr[self.tk] - self.cum - planned_cumulative(self.pu, delay, scale, shape)
            return self.t0 + time_to_reach_planned(self.lam, self.floor, self.kappa, self.mult, self.pu,
                                                   delay, scale, shape, need)
        need = (self.thr[self.tk] - self.cum) / self.mult
        kappa, lam = self.kappa, self.lam
        if self.floor <= 0.0 and kappa != 0.0 and need > 0.0:  # time_to_reach's closed form, inline
            if lam > 0:
                x = kappa * need / lam
                if x < 1.0:
                    return self.t0 + -log1p(-x) / kappa
            return INF
        return self.t0 + time_to_reach(lam, self.floor, kappa, need)

    # -------------------------------------------------------------- planners (docs/model.md)
    def _payment_timing(self, pt, pop) -> None:
        """The bill's covariates scale every prompt; a planner (latent uniform below the share)
        keeps ``planner_prompt_response`` of it until the planned payment."""
        disputed, paper = bool(pop.disputed_bill[self.i]), bool(pop.paper_bill[self.i])
        factor = covariate_factor(pt, disputed, paper)
        self.responsiveness *= factor
        self.contact_weight *= factor
        if pop.planner_u[self.i] < pt.planner_share:
            self.plan = [planned_delay_days(pt, disputed, paper, pop.dispute_delay_z[self.i]), None,
                         pt.planned_day_shape,
                         self.responsiveness, self.contact_weight]
            self.responsiveness *= pt.planner_prompt_response
            self.contact_weight *= pt.planner_prompt_response

    def _end_plan(self) -> None:
        """The planned payment happened, or a plan or agency took the account: from now on a
        prompted payer with the full responsiveness."""
        self.responsiveness, self.contact_weight = self.plan[3], self.plan[4]
        self.initial_lam = self.world.sc.behaviour.initial_per_day * self.responsiveness
        self.plan = None

    def restart_clock(self, lam: float, floor: float, kappa: float, thresholds) -> None:
        """A fresh payment clock from now with other intensity parameters and thresholds."""
        self.floor, self.kappa = floor, kappa
        self.thr, self.tk, self.cum, self.t0 = thresholds, 0, 0.0, self.now
        self.lam = self.initial_lam = lam

    def postpone(self, days: float, now: float) -> None:
        """The collection clock stood still for ``days`` until ``now``: pending actions move
        ``days`` later and no intensity accrued meanwhile."""
        self.shift += days
        self.t0 = now

    # -------------------------------------------------------------- schedule
    def at(self, day: float, order: int, action, argument=None) -> None:
        """Run ``action(self, argument)`` at absolute ``day`` (after the actions already due then).

        An account schedules a few hundred actions in its life; more than
        :data:`MAX_ACTIONS_PER_ACCOUNT` means an action that moves itself again and again (a
        slot that rounds back before itself): a clear error instead of memory growing until the
        kernel kills the worker."""
        if len(self.schedule) >= MAX_ACTIONS_PER_ACCOUNT:
            raise RuntimeError(f"receivable {self.r}: more than {MAX_ACTIONS_PER_ACCOUNT:,} actions scheduled "
                               f"(the last: {getattr(action, '__qualname__', action)} at day {day:g}): an action "
                               "that reschedules itself forever")
        bisect.insort(self.schedule, (day - self.shift, order, action, argument), lo=self.idx,
                      key=_sched_key)

    def sync(self):
        """Wait until the SimPy clock reaches this account's own clock (before a shared action)."""
        env = self.world.env
        if self.now > env.now:
            yield env.timeout(self.now - env.now)

    # -------------------------------------------------------------- who collects
    def take_over(self, lever, pause_clock: bool = False) -> None:
        """``lever`` takes the account from the hospital's own collection (see the module doc)."""
        self.held_by, self.clock_paused = lever, pause_clock
        self.allowance, self.mult = None, 1.0
        if self.plan is not None:
            self._end_plan()

    def hand_back(self) -> None:
        """Back to the hospital's collection: the payment clock restarts from the (decayed)
        intensity, and the deadlines deferred while the account was held happen now, in order."""
        self.held_by, self.clock_paused, self.t0 = None, False, self.now
        deferred, self.deferred = self.deferred, None
        for action, argument in deferred or ():
            if self.bal > 0:
                action(self, argument)

    def deadline(self, action, argument=None) -> bool:
        """Whether ``action`` may run now; if a lever holds the account, it decides instead."""
        if self.held_by is None:
            return True
        self.held_by.while_holding(self, action, argument)
        return False

    def defer(self, action, argument=None) -> None:
        """Hold ``action`` until :meth:`hand_back`."""
        if self.deferred is None:
            self.deferred = []
        self.deferred.append((action, argument))

    # -------------------------------------------------------------- money
    def reduce(self, kind: Kind, amount: int, day: float) -> None:
        """Book ``amount`` cents off the balance as a ledger row of ``kind``."""
        world = self.world
        world.ledger.post(self.r, day, kind, amount)
        self.bal -= amount
        world.open_cents[self.r] = self.bal

    def book(self, kind: Kind, amount: int, day: float) -> None:
        """A ledger row of ``amount`` cents of ``kind`` for this account; the balance is unchanged."""
        self.world.ledger.post(self.r, day, kind, amount)

    def close(self, kind: Kind, day: float) -> None:
        """Book the whole open balance as ``kind`` (a write-off, a lender's payment)."""
        world = self.world
        world.ledger.post(self.r, day, kind, self.bal)
        self.bal = 0
        world.open_cents[self.r] = 0

    # -------------------------------------------------------------- process
    def run(self):
        """The account's life. Actions that return a generator share a capacity: they start by
        synchronising with the SimPy clock (``sync``); all else runs ahead on ``self.now``."""
        world, env = self.world, self.world.env
        horizon = world.horizon
        self.now = max(world.statement_day[self.i], env.now)
        if self.now > horizon:
            return
        self._statement()
        self.schedule = sched = self._build_schedule(self.now)
        if self.plan is not None:  # planners plan relative to the credit terms
            self.plan[1] = planned_scale_days(world.sc.behaviour.payment_timing, self.due_day - self.now)
        idx = 0
        payment_time, advance = self.payment_time, self.advance  # bound once (the loop's hot calls)
        while self.bal > 0:
            t_pay = payment_time()
            t_next = sched[idx][0] + self.shift if idx < len(sched) else INF
            if t_pay <= t_next:
                if t_pay > horizon:
                    return
                if t_pay > self.now:
                    self.now = t_pay
                self._pay()
            else:
                if t_next > horizon:
                    return
                if t_next > self.now:
                    self.now = t_next
                advance(self.now)
                item = sched[idx]
                action, arg = item[2], item[3]
                idx += 1
                self.idx = idx
                gen = action(self, arg)
                if gen is not None:
                    if self.now > env.now:  # sync(), inline: no generator made when already in step
                        yield env.timeout(self.now - env.now)
                    yield from gen
                    self.now = env.now

    def _statement(self) -> None:
        self.t0, self.lam, self.billed_day = self.now, self.initial_lam, self.now
        for hook in self.world.statement_hooks:
            hook(self)
        self.world.trace(self.r, "statement", self.now)

    def _build_schedule(self, bill: float) -> list:
        """Sorted (day, order, action, argument) of everything the levers plan for this account
        (after what the statement itself scheduled: its arrival)."""
        items: list = self.schedule
        for hook in self.world.schedule_hooks:
            hook(self, bill, items)
        items.sort(key=_sched_key)
        return items

    def _pay(self) -> None:
        """The patient pays: in full with probability min(1, months of ability ÷ balance),
        otherwise a fraction R ~ U(min, max); the payment raises the intensity (self-excitation)."""
        world, pop, i, k = self.world, self.world.pop, self.i, self.k
        beh, now = world.sc.behaviour, self.now
        self.advance(now)
        bal = self.bal
        if beh.full_payment == "always":
            p_full = 1.0
        elif beh.full_payment == "never":
            p_full = 0.0
        else:
            p_full = min(1.0, pop.ability_monthly[i] * beh.full_payment_months * 100.0 / bal)
        if k >= beh.max_payments - 1 or pop.full_u[i, k] < p_full or self.tk >= len(self.thr) - 1:
            frac, amount = 1.0, bal
        else:
            frac = beh.partial_fraction_min + (beh.partial_fraction_max - beh.partial_fraction_min) \
                * pop.fraction_u[i, k]
            amount = min(bal, max(1, int(round(frac * bal))))
        self._settle(amount, frac)

    def pay_in_full(self, what: str = "paid") -> None:
        """The patient pays the whole balance now, by an act of their own that a lever offered (a
        pay link they opened, a card on file charged with their consent): booked like a payment of
        their own in full (a discount's allowance, the collector, the payment hooks), counted in
        ``patient_payments``; ``what`` is the trace's word."""
        self.advance(self.now)
        self._settle(self.bal, 1.0, what)

    def _settle(self, amount: int, frac: float, what: str | None = None) -> None:
        """Book a payment of ``amount`` cents (``frac`` of the balance) made now; the payment
        raises the intensity (self-excitation). ``paid`` is what reached the collector."""
        world, now, bal = self.world, self.now, self.bal
        beh = world.sc.behaviour
        allowed = 0
        if amount == bal and self.allowance is not None:
            allowed = self.allowance(self, bal)
        self.paid = amount - allowed
        if self.collector is None:
            world.ledger.post(self.r, now, Kind.PAYMENT_PATIENT, amount - allowed)
            world.count("patient_payments")
        else:
            self.collector(self, amount - allowed, now)
        world.trace(self.r, what or ("paid" if amount == bal else "paid part"), now)
        self.bal = bal - amount
        self.lam += beh.payment_jump_base_per_day + beh.payment_jump_fraction_per_day * frac
        self.cum, self.k, self.tk = 0.0, self.k + 1, self.tk + 1
        if self.plan is not None:
            self._end_plan()
        for hook in world.payment_hooks:
            hook(self)
        world.open_cents[self.r] = self.bal
