"""The SimPy world: one simulated hospital running one strategy over one replication.

Design for speed without losing SimPy as the scheduler and extension point:
- every random value is pre-drawn in :mod:`simlib.population`; the engine only reads arrays;
- a patient account computes its next payment exactly from the intensity (no polling) and
  runs ahead on its own clock (``acct.now``) through everything that touches only itself
  (payments, messages, due dates, plans, agency, write-off): those cost no SimPy event at all.
  It synchronises with the SimPy clock only before an action that shares a capacity (a call
  waiting for an agent, a dispute waiting for the billing team), so capacities see requests in
  true time order. An account that never needs a capacity is never a SimPy process;
- a claim that is paid on first adjudication is booked at creation; only denied claims, which
  wait for the denials team, are processes;
- races (``AnyOf``) are used only where a capacity makes the wait unknown;
- money goes to a :class:`~simlib.ledger.LedgerWriter` as integer cents.
"""
from __future__ import annotations

import bisect
import gc
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import simpy

from simlib.behaviour import INF, integrated, intensity_after, time_to_reach
from simlib.channels import ContactKind, registered_channels
from simlib.ledger import Kind, Ledger, LedgerWriter, check_conservation
from simlib.params import PhoneTeam as PhoneTeamParams
from simlib.params import Scenario, Step
from simlib.population import CALL_ATTEMPTS, Population

NORMAL, ON_PLAN, AT_AGENCY = 0, 1, 2  # PatientAccount.mode


def cents(usd: float) -> int:
    return int(round(usd * 100.0))


@dataclass
class WorldResult:
    """Everything a replication of one strategy produced, before metrics."""

    strategy: str
    ledger: Ledger
    open_cents: np.ndarray
    counters: Counter
    call_waits_days: np.ndarray
    agent_busy_days: float
    agent_open_days: float
    events: list = field(default_factory=list)  # (receivable, day, what) when tracing is on


class ContactLimits:
    """Frequency limits per account over a rolling 7 days, and quiet hours."""

    def __init__(self, params):
        self.calls_max = params.calls_per_7_days_max
        self.messages_max = params.messages_per_7_days_max
        self.quiet = params.quiet_hours

    def _quiet(self, hour: float) -> bool:
        if self.quiet is None:
            return False
        q0, q1 = self.quiet
        return (hour >= q0 or hour < q1) if q0 > q1 else (q0 <= hour < q1)

    @staticmethod
    def _recent(times: list, now: float) -> int:
        return sum(1 for t in times if now - t < 7.0)

    def message_allowed(self, acct, now: float, hour: float) -> bool:
        if self._quiet(hour):
            return False
        return self.messages_max is None or self._recent(acct.message_times, now) < self.messages_max

    def call_allowed(self, acct, now: float) -> bool:
        if self._quiet((now % 1.0) * 24.0):
            return False
        return self.calls_max is None or self._recent(acct.call_times, now) < self.calls_max


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


class PhoneTeam:
    """Agents as a SimPy ``PriorityResource``; outside working hours a shift process holds them."""

    def __init__(self, world: "World", cfg: PhoneTeamParams):
        self.world, self.cfg = world, cfg
        env = world.env
        self.res = QueuePriorityResource(env, capacity=cfg.agents)
        self.busy_days = 0.0
        self.waits: list[float] = []
        h0, h1 = cfg.hours
        self.always_open = h0 <= 0.0 and h1 >= 24.0 and len(set(cfg.working_days)) == 7
        horizon = world.horizon
        self.open_intervals = [(d + h0 / 24.0, min(d + h1 / 24.0, horizon))
                               for d in range(int(math.ceil(horizon)))
                               if d % 7 in cfg.working_days and d + h0 / 24.0 < horizon]
        self.open_days = cfg.agents * sum(b - a for a, b in self.open_intervals)
        day_cost = cfg.agents * (h1 - h0) * cfg.cost_per_agent_hour_usd
        for a, b in self.open_intervals:
            world.ledger.post(-1, b, Kind.COST_AGENTS, cents(day_cost * (b - a) * 24.0 / (h1 - h0)))
        if not self.always_open:
            env.process(self._shifts())

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

    def call(self, acct: "PatientAccount", channel: ContactKind):
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
            if deadline >= give_up:
                world.count("calls_abandoned")
            return
        now = acct.now = env.now
        if not world.limits.call_allowed(acct, now):
            self.res.release(req)
            world.count("suppressed_contacts")
            return
        self.waits.append(now - t_req)
        duration = cfg.call_minutes_mean / 1440.0 * pop.call_minutes_exp[i, attempt]
        self.busy_days += max(0.0, min(duration, world.horizon - now))
        env.timeout(duration).callbacks.append(lambda _ev, r=req: self.res.release(r))
        acct.call_times.append(now)
        world.count("contacts")
        world.count("calls")
        world.ledger.post(acct.r, now, Kind.COST_CONTACT, cents(channel.cfg.cost_usd))
        if pop.rpc_u[i, attempt] < cfg.right_party_contact_rate:
            world.count("calls_right_party")
            acct.jump(channel.cfg.jump_per_day * acct.responsiveness)
        world.trace(acct.r, "call connected")


class World:
    """One hospital, one strategy, one replication."""

    def __init__(self, sc: Scenario, strategy: str, pop: Population, trace: bool = False):
        self.sc, self.strategy_name, self.st, self.pop = sc, strategy, sc.strategies[strategy], pop
        self.env = simpy.Environment()
        self.horizon = sc.simulation.horizon_days
        self.ledger = LedgerWriter()
        self.counters: Counter = Counter()
        self.open_cents: list[int] = [0] * (2 * pop.n)  # the engine's own balances (a list: fast to set)
        # per-encounter scalars read once per account, as Python lists (NumPy scalar access is slow)
        self.service_day = pop.service_day.tolist()
        self.claim_cents = pop.claim_cents.tolist()
        self.patient_cents = pop.patient_cents.tolist()
        self.adjudication_day = np.maximum(0.0, pop.service_day + pop.submit_lag + pop.adjudication_lag).tolist()
        denial_rate = np.array([p.initial_denial_rate for p in sc.payers.values()])[pop.payer]
        self.denied = (pop.denial_u < denial_rate).tolist()
        self.statement_day = (pop.bill_day + sc.operations.statement_lag_days).tolist()
        self.propensity = pop.propensity.tolist()
        self.score = pop.score_pct.tolist()
        self.payer_of = [pop.payer_names[k] for k in pop.payer.tolist()]
        pe = self.st.price_estimate
        self.dispute_rate = sc.operations.billing_team.billing_error_rate * (
            pe.dispute_rate_multiplier if pe else 1.0)
        #: days from statement to dispute, NaN for accounts without a billing error
        self.dispute_offset = np.where(pop.error_u < self.dispute_rate, pop.dispute_delay, np.nan).tolist()
        #: the ladder with its static targeting unpacked: (order, step, from due date, day, hour,
        #: score min, score max, balance min USD, payers or None)
        self.ladder = [(10 + n, s, s.relative_to == "due_date", s.day, s.hour, s.target.score_min,
                        s.target.score_max, s.target.balance_min_usd,
                        None if s.target.payers is None else frozenset(s.target.payers))
                       for n, s in enumerate(self.st.ladder)]
        self.events: list | None = [] if trace else None
        kinds = registered_channels()
        self.channels = {name: kinds[cfg.kind](name, cfg, k)
                         for k, (name, cfg) in enumerate(sc.channels.items())}
        self.limits = ContactLimits(self.st.contact_limits)
        self.phone = PhoneTeam(self, self.st.phone_team) if self.st.phone_team else None
        ops = sc.operations
        self.denials = simpy.Resource(self.env, ops.denials_team.staff) if ops.denials_team.staff else None
        self.billing = simpy.Resource(self.env, ops.billing_team.staff)
        disc = self.st.prompt_pay_discount
        self.discount_payers = None if disc is None else set(
            pop.payer_names.index(p) for p in (disc.eligible_payers or pop.payer_names))

    cents = staticmethod(cents)

    def count(self, key: str, k: int = 1) -> None:
        self.counters[key] += k

    def trace(self, receivable: int, what: str, day: float | None = None) -> None:
        if self.events is not None:
            self.events.append((receivable, round(self.env.now if day is None else day, 6), what))

    # ------------------------------------------------------------------ run
    def run(self) -> WorldResult:
        # The engine creates no reference cycles worth collecting mid-run; the cyclic collector's
        # scans of millions of young objects cost 20–35 % of the run time (benchmarks/README.md).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for i in range(self.pop.n):
                self._start_encounter(i)
            self.env.run(until=self.horizon)
        finally:
            if gc_was_enabled:
                gc.enable()
        ledger = self.ledger.freeze()
        open_cents = np.asarray(self.open_cents, dtype=np.int64)
        check_conservation(ledger, open_cents, f"strategy {self.strategy_name!r}")
        phone = self.phone
        return WorldResult(
            strategy=self.strategy_name, ledger=ledger, open_cents=open_cents,
            counters=self.counters,
            call_waits_days=np.asarray(phone.waits if phone else [], dtype=float),
            agent_busy_days=phone.busy_days if phone else 0.0,
            agent_open_days=phone.open_days if phone else 0.0,
            events=sorted(self.events or [], key=lambda e: e[1]),
        )

    def _start_encounter(self, i: int) -> None:
        """Book encounter ``i`` (at day 0, for all encounters): its bills, its claim if paid on
        first adjudication, its deposit, and its patient account up to its first shared action."""
        pop, st = self.pop, self.st
        day, claim, bal = self.service_day[i], self.claim_cents[i], self.patient_cents[i]
        if claim:
            self.ledger.post(2 * i, day, Kind.BILLED, claim)
            self.open_cents[2 * i] = claim
            self._claim_adjudicated(i)
        if bal:
            r = 2 * i + 1
            self.ledger.post(r, day, Kind.BILLED, bal)
            dep = st.deposit
            if dep and not pop.emergency[i] and not pop.open_book[i] and pop.deposit_u[i] < dep.compliance_rate:
                paid = min(bal, cents(dep.share * bal / 100.0))
                self.ledger.post(r, max(day, 0.0), Kind.PAYMENT_PATIENT, paid)
                self.count("deposits")
                self.trace(r, "deposit", max(day, 0.0))
                bal -= paid
            self.open_cents[r] = bal
            if bal:
                self._start(PatientAccount(self, i, bal).run())

    def _start(self, gen) -> None:
        """Run ``gen`` now until it first waits on a SimPy event; only then make it a process."""
        try:
            first = next(gen)
        except StopIteration:
            return
        self.env.process(_continue(gen, first))

    # ------------------------------------------------------------------ insurer claims
    def _claim_adjudicated(self, i: int) -> None:
        t = self.adjudication_day[i]
        if t > self.horizon:
            return
        self.counters["claims_adjudicated"] += 1
        if self.denied[i]:
            self.env.process(self._denied_claim(i, t))
        else:
            self._insurer_pays(2 * i, self.claim_cents[i], t)

    def _denied_claim(self, i: int, t: float):
        """A denied claim: rework rounds by the denials team (a capacity), payer reviews, overturn."""
        env, pop, ops = self.env, self.pop, self.sc.operations
        r, amount = 2 * i, int(pop.claim_cents[i])
        payer = self.sc.payers[pop.payer_names[pop.payer[i]]]
        if t > env.now:
            yield env.timeout(t - env.now)
        self.count("claims_denied")
        self.trace(r, "denied")
        team, dt = self.denials, ops.denials_team
        limit = env.now + dt.filing_limit_days
        for k in range(dt.max_rounds if team is not None else 0):
            req = team.request()
            if not req.triggered:
                yield req | env.timeout(max(0.0, limit - env.now))
            if not req.triggered:
                req.cancel()
                self.count("reworks_expired")
                break
            yield env.timeout(dt.hours_per_rework / dt.hours_per_day)
            team.release(req)
            self.count("reworks")
            self.ledger.post(r, env.now, Kind.COST_REWORK, cents(dt.cost_per_rework_usd))
            review = dt.payer_review_days_min + (dt.payer_review_days_max - dt.payer_review_days_min) \
                * pop.review_u[i, k]
            yield env.timeout(review)
            if pop.overturn_u[i, k] < payer.overturn_rate:
                self.count("denials_overturned")
                self._insurer_pays(r, amount, env.now)
                return
        self.count("claims_final_denial")
        self.ledger.post(r, env.now, Kind.WRITE_OFF_DENIAL, amount)
        self.open_cents[r] = 0
        self.trace(r, "final denial")

    def _insurer_pays(self, r: int, amount: int, day: float) -> None:
        self.ledger.post(r, day, Kind.PAYMENT_INSURER, amount)
        self.open_cents[r] = 0
        self.trace(r, "insurer paid", day)


def _continue(gen, first):
    """A SimPy process that resumes a generator already started (see ``World._start``)."""
    value = yield first
    while True:
        try:
            event = gen.send(value)
        except StopIteration:
            return
        value = yield event


class PatientAccount:
    """A patient balance under collection: intensity state, schedule of actions, contacts.

    ``mode`` is NORMAL (the hospital collects), ON_PLAN (payments are the plan's instalments; the
    intensity clock is paused and reminders are suspended) or AT_AGENCY (the agency's intensity,
    decay, floor and Exp(1) thresholds replace the hospital's; the hospital's reminders and
    write-off stop). ``thr``/``tk`` are the threshold row in use and its index; ``k`` counts
    payments of any kind and indexes the paid-fraction draws.
    """

    __slots__ = ("world", "i", "r", "now", "bal", "lam", "t0", "cum", "k", "mult", "shift",
                 "responsiveness", "initial_lam", "discount_open", "message_times",
                 "call_times", "calls_attempted", "schedule", "idx", "mode", "floor", "kappa",
                 "thr", "tk", "plan_inst", "plan_p_miss", "plan_m", "plan_misses", "deferred",
                 "agency_gross", "agency_fee")

    def __init__(self, world: World, i: int, bal: int):
        self.world, self.i, self.r, self.bal, self.now = world, i, 2 * i + 1, bal, 0.0
        beh, pop = world.sc.behaviour, world.pop
        self.responsiveness = world.propensity[i] * (bal / 100.0 / beh.balance_ref_usd) ** -beh.balance_elasticity
        self.initial_lam = beh.initial_per_day * self.responsiveness
        self.lam, self.t0, self.cum, self.k, self.mult, self.shift = 0.0, 0.0, 0.0, 0, 1.0, 0.0
        self.floor, self.kappa = beh.floor_per_day, beh.decay_per_day
        self.thr, self.tk, self.mode, self.idx = pop.threshold[i].tolist(), 0, NORMAL, 0
        self.deferred = None
        self.discount_open = False
        self.message_times: list[float] = []
        self.call_times: list[float] = []
        self.calls_attempted = 0
        self.schedule: list = []

    # -------------------------------------------------------------- intensity state
    def advance(self, now: float) -> None:
        dt = now - self.t0
        if dt > 0.0:
            if self.mode != ON_PLAN:  # on a plan the payment clock is paused; attention still fades
                self.cum += self.mult * integrated(self.lam, self.floor, self.kappa, dt)
            self.lam = intensity_after(self.lam, self.floor, self.kappa, dt)
            self.t0 = now

    def jump(self, delta: float) -> None:
        self.advance(self.now)
        self.lam += delta

    def sync(self):
        """Wait until the SimPy clock reaches this account's own clock (before a shared action)."""
        env = self.world.env
        if self.now > env.now:
            yield env.timeout(self.now - env.now)

    def payment_time(self) -> float:
        """Absolute day of the next payment if nothing else happens (``inf`` if never)."""
        if self.mode == ON_PLAN:
            return INF
        need = (self.thr[self.tk] - self.cum) / self.mult
        return self.t0 + time_to_reach(self.lam, self.floor, self.kappa, need)

    def _insert(self, day: float, order: int, action, arg=None) -> None:
        """Add an action at absolute ``day`` to the pending part of the schedule (shift-aware)."""
        bisect.insort(self.schedule, (day - self.shift, order, action, arg), lo=self.idx,
                      key=_sched_key)

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
        idx = 0
        while self.bal > 0:
            t_pay = self.payment_time()
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
                self.advance(self.now)
                action, arg = sched[idx][2], sched[idx][3]
                idx += 1
                self.idx = idx
                gen = action(self, arg)
                if gen is not None:
                    yield from self.sync()
                    yield from gen
                    self.now = env.now

    def _statement(self) -> None:
        world, now = self.world, self.now
        ch = world.sc.channels[world.st.statement_channel]
        world.ledger.post(self.r, now, Kind.COST_STATEMENT, cents(ch.cost_usd))
        self.t0, self.lam = now, self.initial_lam
        disc = world.st.prompt_pay_discount
        if disc is not None and world.pop.payer[self.i] in world.discount_payers:
            self.discount_open = True
            self.mult = 1.0 + (disc.intensity_multiplier - 1.0) * world.pop.price_sensitivity[self.i]
        world.trace(self.r, "statement", now)

    def _build_schedule(self, bill: float) -> list:
        """Sorted (day, order, action, argument) of everything the strategy plans for this account.

        Actions are plain functions called as ``action(account, argument)``; steps whose static
        targeting (score band, payer, balance floor — balances only fall) excludes the account
        are left out.
        """
        world, st, pop, i = self.world, self.world.st, self.world.pop, self.i
        due = bill + st.credit_terms_days
        items = [(due, 0, PatientAccount._due, None)]
        if self.discount_open:
            items.append((bill + st.prompt_pay_discount.window_days, 1, PatientAccount._discount_ends, None))
        score, payer, usd = world.score[i], world.payer_of[i], self.bal / 100.0
        for order, step, from_due, day, hour, score_min, score_max, usd_min, payers in world.ladder:
            if not (score_min <= score <= score_max) or usd < usd_min or (
                    payers is not None and payer not in payers):
                continue
            base = due if from_due else bill
            at = base + day if hour is None else math.floor(base + day) + hour / 24.0
            items.append((at, order, PatientAccount._step, step))
        dispute = world.dispute_offset[i]
        if dispute == dispute:  # not NaN: this bill has an error the patient will dispute
            items.append((bill + dispute, 2, PatientAccount._dispute, None))
        # finance levers: scheduled only for accounts that could use them (balances only fall)
        fin, pp, ag = st.financing, st.payment_plan, st.agency
        if fin is not None and pop.financing_u[i] < fin.uptake_rate and self.bal >= cents(fin.balance_min_usd):
            items.append((bill + fin.offer_day, 3, PatientAccount._financing_offer, fin))
        if pp is not None and pop.plan_u[i, 0] < pp.uptake_rate and self.bal >= cents(pp.balance_min_usd):
            items.append((bill + pp.offer_day, 4, PatientAccount._plan_offer, pp))
        if ag is not None and self.bal >= cents(ag.balance_min_usd):
            items.append((bill + ag.placement_days, 5, PatientAccount._agency_place, ag))
        items.append((bill + st.write_off.after_days, 1000, PatientAccount._write_off, None))
        items.sort(key=_sched_key)
        return items

    # -------------------------------------------------------------- actions
    def _due(self, _):
        if self.mode == NORMAL:
            self.jump(self.world.sc.behaviour.due_date_jump_per_day * self.responsiveness)

    def _discount_ends(self, _):
        self.discount_open, self.mult = False, 1.0

    def _step(self, step: Step):
        if self.mode != NORMAL:  # suspended on a plan, stopped at the agency
            return None
        world, t = self.world, step.target      # score band and payer were checked when scheduling
        usd = self.bal / 100.0
        if usd < t.balance_min_usd or (t.balance_max_usd is not None and usd > t.balance_max_usd):
            return None
        world.trace(self.r, step.channel, self.now)
        return world.channels[step.channel].contact(world, self, step)

    def _dispute(self, _):
        return self._dispute_process()

    def _dispute_process(self):
        world, env, pop, i = self.world, self.world.env, self.world.pop, self.i
        bt, pe = world.sc.operations.billing_team, world.st.price_estimate
        start = env.now
        world.count("disputes")
        world.trace(self.r, "dispute")
        with world.billing.request() as req:
            yield req
            hours = bt.hours_per_dispute * (pe.resolution_hours_multiplier if pe else 1.0)
            yield env.timeout(hours / bt.hours_per_day)
        world.ledger.post(self.r, env.now, Kind.COST_DISPUTE, cents(bt.cost_per_dispute_usd))
        if pop.favour_u[i] < bt.patient_favour_rate:
            corr = min(self.bal - 1, int(round(self.bal * pop.correction_fraction[i])))
            if corr > 0:
                world.ledger.post(self.r, env.now, Kind.CORRECTION, corr)
                self.bal -= corr
                world.open_cents[self.r] = self.bal
        self.shift += env.now - start          # the patient's collection clock was paused
        self.t0 = env.now
        self.lam = max(self.lam, self.initial_lam)  # corrected statement
        world.trace(self.r, "dispute resolved")

    def _write_off(self, _):
        if self.mode == ON_PLAN:      # never while a plan is in good standing; at default if due
            self._defer(PatientAccount._write_off)
            return
        if self.mode == AT_AGENCY:    # placement supersedes: written off at recall instead
            return
        world = self.world
        world.ledger.post(self.r, self.now, Kind.WRITE_OFF_BAD_DEBT, self.bal)
        world.count("bad_debt_write_offs")
        self.bal = 0
        world.open_cents[self.r] = 0
        world.trace(self.r, "written off", self.now)

    def _pay(self) -> None:
        world, pop, i, k = self.world, self.world.pop, self.i, self.k
        beh, now = world.sc.behaviour, self.now
        self.advance(now)
        bal = self.bal
        agency = self.mode == AT_AGENCY
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
        discount = 0
        if amount == bal and self.discount_open:
            discount = int(round(bal * world.st.prompt_pay_discount.rate))
            world.ledger.post(self.r, now, Kind.DISCOUNT, discount)
            world.count("discounts")
        if agency:
            self._agency_collects(amount, now)
        else:
            world.ledger.post(self.r, now, Kind.PAYMENT_PATIENT, amount - discount)
            world.count("patient_payments")
        world.trace(self.r, "paid" if amount == bal else "paid part", self.now)
        self.bal = bal = bal - amount
        self.lam += beh.payment_jump_base_per_day + beh.payment_jump_fraction_per_day * frac
        self.cum, self.k, self.tk = 0.0, k + 1, self.tk + 1
        small = world.st.write_off.below_balance_usd
        if 0 < bal < small * 100.0:
            world.ledger.post(self.r, now, Kind.WRITE_OFF_SMALL, bal)
            self.bal = bal = 0
        world.open_cents[self.r] = bal

    # -------------------------------------------------------------- finance levers
    def _defer(self, action, arg=None) -> None:
        """Hold an action that falls due while a plan is in good standing until the plan defaults."""
        if self.deferred is None:
            self.deferred = []
        self.deferred.append((action, arg))

    def _financing_offer(self, fin):
        """The lender pays the whole balance now; the hospital pays the merchant fee."""
        world, bal = self.world, self.bal
        if self.mode != NORMAL or bal < cents(fin.balance_min_usd) or (
                fin.balance_max_usd is not None and bal > cents(fin.balance_max_usd)):
            return
        now = self.now
        world.ledger.post(self.r, now, Kind.PAYMENT_LENDER, bal)
        world.ledger.post(self.r, now, Kind.FEE_FINANCING, int(round(fin.merchant_fee_rate * bal)))
        world.count("financed")
        world.trace(self.r, "financed", self.now)
        self.bal = 0
        world.open_cents[self.r] = 0

    def _plan_offer(self, pp):
        """Enrol in a plan (uptake was decided when scheduling); first instalment today."""
        world, pop, i, bal = self.world, self.world.pop, self.i, self.bal
        if self.mode != NORMAL or bal < cents(pp.balance_min_usd):
            return
        ability = float(pop.ability_monthly[i])
        inst = -(-bal // pp.max_months)                      # ceil(balance / max months)
        if pp.sizing == "ability":
            inst = max(inst, cents(ability * pp.affordability_share))
        inst = min(bal, max(inst, cents(pp.instalment_min_usd), 1))
        p_miss = min(1.0, pp.miss_base_rate * (inst / 100.0 / ability) ** pp.miss_elasticity) \
            if ability > 0 else 1.0
        if pop.plan_u[i, 1] < pp.autopay_rate:
            p_miss *= pp.autopay_miss_factor
            world.count("plans_autopay")
        self.mode, self.discount_open, self.mult = ON_PLAN, False, 1.0
        self.plan_inst, self.plan_p_miss, self.plan_m, self.plan_misses = inst, p_miss, 0, 0
        world.count("plans")
        world.trace(self.r, "plan", self.now)
        self._insert(self.now, 6, PatientAccount._instalment, pp)

    def _instalment(self, pp):
        world, pop, i = self.world, self.world.pop, self.i
        now, m = self.now, self.plan_m
        self.plan_m = m + 1
        if pop.plan_miss_u[i, m] < self.plan_p_miss:
            self.plan_misses += 1
            world.count("plan_misses")
            world.trace(self.r, "instalment missed", self.now)
            if self.plan_misses >= pp.default_after_misses:
                self._plan_default()
                return
        else:
            amount = min(self.plan_inst, self.bal)            # the last instalment takes the rounding
            world.ledger.post(self.r, now, Kind.PAYMENT_PATIENT, amount)
            world.count("plan_instalments")
            self.bal -= amount
            world.open_cents[self.r] = self.bal
            world.trace(self.r, "instalment", self.now)
            if self.bal == 0:
                world.count("plans_completed")
                return
        self._insert(now + pp.month_days, 6, PatientAccount._instalment, pp)

    def _plan_default(self) -> None:
        """Back to normal collection: the ladder resumes, the paused payment clock restarts from
        the (decayed) intensity, and a write-off or placement that fell due meanwhile happens now."""
        world = self.world
        self.mode = NORMAL
        self.t0 = self.now
        world.count("plan_defaults")
        world.trace(self.r, "plan defaulted", self.now)
        deferred, self.deferred = self.deferred, None
        for action, arg in deferred or ():
            if self.bal > 0:
                action(self, arg)

    def _agency_place(self, ag):
        world, pop, i = self.world, self.world.pop, self.i
        if self.mode == ON_PLAN:
            self._defer(PatientAccount._agency_place, ag)
            return
        if self.mode != NORMAL or self.bal < cents(ag.balance_min_usd):
            return
        now = self.now
        self.mode, self.discount_open, self.mult = AT_AGENCY, False, 1.0
        self.floor, self.kappa = ag.floor_per_day, ag.decay_per_day
        self.thr, self.tk, self.cum, self.t0 = pop.agency_threshold[i], 0, 0.0, now
        self.lam = self.initial_lam = ag.initial_per_day * self.responsiveness
        self.agency_gross = self.agency_fee = 0
        world.count("agency_placements")
        world.count("agency_placed_cents", self.bal)
        world.trace(self.r, f"placed ({ag.kind})", self.now)
        for d in ag.contact_days:
            self._insert(now + d, 7, PatientAccount._agency_contact, ag)
        self._insert(now + ag.recall_days, 8, PatientAccount._agency_recall, ag)

    def _agency_contact(self, ag):
        if self.mode == AT_AGENCY:
            self.world.count("agency_contacts")
            self.jump(ag.contact_jump_per_day * self.responsiveness)

    def _agency_collects(self, amount: int, now: float) -> None:
        """Gross collection plus the contingency fee, rounded on the running total so that the
        fees on an account sum to round(fee_rate × collected) exactly."""
        world = self.world
        world.ledger.post(self.r, now, Kind.PAYMENT_AGENCY, amount)
        self.agency_gross += amount
        fee = int(round(world.st.agency.fee_rate * self.agency_gross))
        world.ledger.post(self.r, now, Kind.FEE_AGENCY, fee - self.agency_fee)
        self.agency_fee = fee
        world.count("agency_payments")

    def _agency_recall(self, ag):
        world = self.world
        if self.mode != AT_AGENCY or self.bal <= 0:
            return
        world.ledger.post(self.r, self.now, Kind.WRITE_OFF_BAD_DEBT, self.bal)
        world.count("agency_recalls")
        world.count("bad_debt_write_offs")
        world.trace(self.r, "recalled, written off", self.now)
        self.bal = 0
        world.open_cents[self.r] = 0


def _sched_key(item: tuple) -> tuple:
    return item[0], item[1]
