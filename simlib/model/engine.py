"""The SimPy world: one simulated hospital running one strategy over one replication.

The world is the core the levers plug into; it never names a lever. It builds the strategy's
levers from the registry (:mod:`simlib.levers`), gathers the hooks they override (the
declared list :data:`simlib.levers.base.HOOKS`), books every
encounter's bills, runs the insurer claims (:mod:`simlib.model.claims`) and the patient accounts
(:mod:`simlib.world.account`), and checks the ledger balances to the cent at the end.

Design for speed without losing SimPy as the scheduler and extension point:
- every random value is pre-drawn in :mod:`simlib.model.population`; the engine only reads arrays;
- a patient account computes its next payment exactly from the intensity (no polling) and
  runs ahead on its own clock through everything that touches only itself; it synchronises with
  the SimPy clock only before an action that shares a capacity (a call waiting for an agent, a
  dispute waiting for the billing team), so capacities see requests in true time order. An
  account that never needs a capacity never touches SimPy; one that does waits on SimPy events
  without being a SimPy process (the events resume its generator: ``_Resumer``);
- a claim that is paid on first adjudication is booked at creation; only denied claims, which
  wait for the denials team, are processes;
- races (``AnyOf``) are used only where a capacity makes the wait unknown;
- money goes to a :class:`~simlib.core.ledger.LedgerWriter` as integer cents;
- with ``hybrid`` (the default; ``SIMLIB_ENGINE=simpy`` turns it off), the patient balances that can never meet a shared
  capacity are not SimPy accounts at all: :mod:`simlib.model.hybrid` simulates them in NumPy after
  the run and their ledger rows join the world's before the conservation check; the bills and the
  claims paid on first adjudication are then booked in bulk (:mod:`simlib.model.hybrid_bills`) and
  the denied claims run as a queue without processes (:mod:`simlib.model.hybrid_denials`).
"""
from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import simpy

from simlib.model import claims, hybrid as hybrid_engine, hybrid_bills, hybrid_disputes
from simlib.world.account import PatientAccount
from simlib.world.resumer import Resumer as _Resumer
from simlib.world.capacities import billing_team, denials_team, staffing
from simlib.world.channels import registered_channels
from simlib.core.ledger import Kind, Ledger, LedgerWriter, check_conservation
from simlib.core.packed import packed, zeros as packed_zeros
from simlib.model.vectorized_rows import concatenate
from simlib.levers import registered_levers
from simlib.levers.base import HOOKS, lever_hooks
from simlib.scenario.schema import Scenario
from simlib.model.population import Population
from simlib.core.settings import cents

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


class World:
    """One hospital, one strategy, one replication."""

    def __init__(self, sc: Scenario, strategy: str, pop: Population, trace: bool = False,
                 hybrid: bool | None = None):
        """``hybrid``: run the accounts that never meet a shared capacity in NumPy (``None``: as
        ``SIMLIB_ENGINE`` says; a traced run is all-SimPy)."""
        self.sc, self.strategy_name, self.st, self.pop = sc, strategy, sc.strategies[strategy], pop
        #: the first day simulated: day 0 (the measurement starts) less the warm-up, whose events are
        #: simulated and left out of every metric (:mod:`simlib.model.measurement_window`)
        self.start_day = -float(sc.simulation.warm_up_days)
        self.env = simpy.Environment(initial_time=self.start_day)
        self.horizon = sc.simulation.horizon_days
        self.ledger = LedgerWriter()
        self.counters: Counter = Counter()
        self.open_cents = packed_zeros(pop.n_receivables)  # the engine's own balances (cents, fast to set)
        # per-encounter scalars read once per account, packed (simlib.core.packed: NumPy scalar access is slow)
        self.service_day = packed(pop.service_day)
        self.claim_cents = packed(pop.claim_cents)
        self.patient_cents = packed(pop.patient_cents)
        # the claim and bill settings a lever built below may change before the run (billing and
        # claims quality, simlib.levers.quality; coverage discovery, simlib.levers.coverage_discovery):
        # the payer of each encounter, its adjudication and bill days, the uniform that decides a
        # first denial and a factor on the payer's denial rate, the statement lag (a number of days,
        # or one per encounter) and the billing error rate; ``_derive_claim_paths`` turns them into
        # what the run reads
        self.payer_index = pop.payer.copy()
        self.adjudication_day = packed(np.maximum(self.start_day, pop.service_day + pop.submit_lag + pop.adjudication_lag))
        self.bill_day = pop.bill_day.copy()
        self.denial_u = pop.denial_u
        self.denial_rate_factor = 1.0
        self.statement_lag_days = sc.operations.statement_lag_days
        self.billing_error_rate = sc.operations.billing_team.billing_error_rate
        #: a vendor's share of what an insurer pays on a receivable: receivable -> (rate, ledger kind)
        self.insurer_payment_fees: dict[int, tuple[float, Kind]] = {}
        self.propensity = packed(pop.propensity)
        self.score = packed(pop.score_pct)
        #: each encounter's secondary claim in cents (None: the scenario has no secondary payer; an
        #: encounter moved to a payer by coverage discovery has none)
        self.secondary_cents = None if pop.secondary_cents is None else pop.secondary_cents.tolist()
        self.adjudication_day_secondary = None if pop.secondary_cents is None else \
            np.maximum(self.start_day, pop.secondary_decision_day()).tolist()
        self.events: list | None = [] if trace else None
        #: the contact requests made so far (simlib.world.contacts.Contact), one per distinct contact
        self.contact_requests: dict = {}
        kinds = registered_channels()
        self.channels = {name: kinds[cfg.kind](name, cfg, k)
                         for k, (name, cfg) in enumerate(sc.channels.items())}
        self.phone = None   # a phone-team lever sets it
        self.limits = None  # the contact-limits lever sets it
        ops = sc.operations
        self.denials = denials_team.resource(self.env, ops.denials_team)
        self.billing = billing_team.resource(self.env, ops.billing_team)
        #: the strategy's levers that take part in the run, by YAML key, in registry order
        self.levers = {}
        for key, lever in registered_levers().items():
            settings = getattr(self.st, key)
            if lever.active(settings):
                self.levers[key] = lever(self, settings)
        # the hooks declared in simlib.levers.base.HOOKS that each lever overrides, in registry order
        for hook in HOOKS.values():
            if hook.world_list is not None:
                setattr(self, hook.world_list, lever_hooks(self.levers.values(), hook.name))
        self._derive_claim_paths()
        #: the encounters whose patient balance runs in NumPy (None: every account is SimPy's)
        self.numpy_accounts = None
        #: beside calls, the day each NumPy account's dispute joins the billing team's queue (a list,
        #: NaN: none; None: no such dispute) and the day its work was done (simlib.model.hybrid_disputes)
        self.dispute_day, self.dispute_done = None, None
        #: the hybrid engine: bills and first adjudications booked in bulk (simlib.model.hybrid_bills)
        self.hybrid = (hybrid_engine.hybrid_requested() if hybrid is None else hybrid) and not trace
        if self.hybrid:
            self.numpy_accounts = hybrid_engine.numpy_accounts(self)
        self._in_numpy = None if self.numpy_accounts is None else self.numpy_accounts.tolist()

    def _derive_claim_paths(self) -> None:
        """Whether each claim is denied at first, each statement's day and each encounter's payer
        name, from the settings the levers may have changed (identical to the population's own
        when no lever changed them)."""
        rates = np.array([p.initial_denial_rate for p in self.sc.payers.values()])[self.payer_index]
        self.denied = (self.denial_u < rates * self.denial_rate_factor).tolist()
        self.statement_day = packed(self.bill_day + self.statement_lag_days)
        self.payer_of = np.asarray(self.pop.payer_names, dtype=object)[self.payer_index].tolist()
        #: each encounter's primary's tiers-payant rule (None: no deadline), read at adjudication
        rules = [p.tiers_payant for p in self.sc.payers.values()]
        self.tiers_payant = [rules[k] for k in self.payer_index.tolist()] if any(rules) else None

    cents = staticmethod(cents)

    def passes_share(self, i: int) -> bool:
        """Whether encounter ``i``'s secondary payer denies its claim by the horizon, passing its share
        to the patient (:func:`simlib.model.claims.secondary_claim`; the vector form:
        :func:`simlib.model.vectorized_secondary.passed_cents`)."""
        return bool(self.secondary_cents and self.secondary_cents[i]
                    and not self.adjudication_day_secondary[i] > self.horizon and self.pop.secondary_denied[i])

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
            bulk = hybrid_bills.start_encounters(self) if self.hybrid else None
            if bulk is None:
                for i in range(self.pop.n):
                    self._start_encounter(i)
            self.env.run(until=self.horizon)
            numpy_rows = None if self.numpy_accounts is None else \
                hybrid_engine.run_numpy_accounts(self, self.numpy_accounts)  # the billing team's disputes too
            staffing.book_team_costs(self)  # for the days each team worked, known only now
        finally:
            if gc_was_enabled:
                gc.enable()
        ledger = self.ledger.freeze()
        if bulk is not None:
            ledger = concatenate(bulk, ledger)
        if numpy_rows is not None:
            ledger = concatenate(ledger, numpy_rows)
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
        first adjudication, what levers take at service, and its patient account up to its first
        shared action."""
        day, claim = self.service_day[i], self.claim_cents[i]
        if claim:
            self.ledger.post(2 * i, day, Kind.BILLED, claim)
            self.open_cents[2 * i] = claim
            claims.adjudicate(self, i)
        self._start_patient(i)

    def _start_patient(self, i: int) -> None:
        """Book encounter ``i``'s secondary claim, its patient bill and what levers take at service,
        and start its patient account up to its first shared action (unless NumPy runs it)."""
        day, bal = self.service_day[i], self.patient_cents[i]
        # a secondary's denial passes its share to the patient before the statement goes out
        passed = claims.secondary_claim(self, i) if self.secondary_cents and self.secondary_cents[i] else 0
        if bal or passed:
            r = 2 * i + 1
            if bal:
                self.ledger.post(r, day, Kind.BILLED, bal)
                for hook in self.service_hooks:
                    bal = hook(i, r, day, bal)
            bal += passed
            self.open_cents[r] = bal
            if bal and not (self._in_numpy is not None and self._in_numpy[i]):
                self._start(PatientAccount(self, i, bal).run())
            elif self.dispute_day is not None and self.dispute_day[i] == self.dispute_day[i]:
                self._start(hybrid_disputes.team_work(self, i, self.dispute_day[i]))  # NumPy's dispute

    def close(self) -> None:
        """Drop everything the world holds once its result is taken. A world's parts refer to each
        other (its levers, channels and capacities to the world, the SimPy environment to its
        processes), so without this only the cycle collector frees its per-encounter lists and
        ledger arrays, and a full collection costs more than a small world's run (0.15 CPU-s per
        strategy in a process holding 260k objects, against 0.07 s for the run)."""
        self.__dict__.clear()

    def _start(self, gen) -> None:
        """Run ``gen`` now until it first waits on a SimPy event; from then on the events it waits
        for resume it (:class:`_Resumer`)."""
        try:
            first = next(gen)
        except StopIteration:
            return
        _Resumer(gen).wait(first)
