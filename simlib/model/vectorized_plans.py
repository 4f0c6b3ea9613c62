"""The payment plan in NumPy, for :mod:`simlib.model.vectorized` and the hybrid engine.

The same rules as :class:`simlib.levers.payment_plan.PaymentPlanLever`, many accounts at once:

- **offer** (order 4, ``offer_day`` after the statement): scheduled for the accounts whose balance
  when the ladder is scheduled is at least ``balance_min`` and whose uptake uniform is below
  :func:`~simlib.levers.takeup.uptake_probability` of it; made if the balance is still at least
  ``balance_min`` then. The terms are :func:`~simlib.levers.payment_plan.plan_terms` (the lever's
  own function, one account at a time: its power is Python's); the set-up costs ``setup_cost``
  (``COST_PLAN_ADMIN``); counters ``plans``, ``plans_autopay``;
- **the plan holds the account** (``take_over(pause_clock=True)``): the prompt-pay discount's offer
  ends (multiplier 1, no allowance), the patient's own payment clock accrues nothing (the intensity
  still fades), the due date's jump, ladder steps and message deliveries stand down (the
  statement's own arrival does not), and the charity screening and write-off that fall due wait
  for the plan to end (:meth:`PaymentPlans.stand_down`);
- **instalments** (order 6) every ``month_days`` from the offer, the first on its day: each costs
  ``cost_per_instalment`` (``COST_PLAN_ADMIN``); missed when the account's ``plan_miss_u`` of that
  month is below the miss probability (counter ``plan_misses``), else ``min(instalment, balance)``
  is a ``PAYMENT_PATIENT`` row (counter ``plan_instalments``; ``plans_completed`` when it clears
  the balance, which ends the account). No payment hook runs (no small-balance write-off);
- **default** at the ``default_after_misses``-th miss (counter ``plan_defaults``): the account is
  handed back — its payment clock restarts from the faded intensity with the threshold it had —
  and the deadlines it deferred (the screening, the write-off, an agency's placement) happen that
  day in the order they fell due, each while a balance is left.

Once a plan starts its path is fixed (nothing else moves the balance while it holds it), but every
instalment is an action of the engine's (the intensity is advanced to it, which fixes its last
bit), so the instalments are columns of the schedule: instalment ``m`` of every taker is column
``m`` of the plan, at the offer day + ``month_days`` added ``m`` times (the engine's float
additions); an instalment after the plan has ended is no action (:meth:`PaymentPlans.unscheduled`).
Identity with the engine: ``tests/test_vectorized_plans.py``.

A plan beside an agency: the placement deferred to a default runs in the instalment's column; the
days it may move to from there (its final notice, the notice's arrival, the next attempt) fill
columns the schedule reserves when the plan starts (:mod:`simlib.model.vectorized_deferred`:
:meth:`PaymentPlans.default_day`, ``on_start``).
"""
from __future__ import annotations

import numpy as np


from simlib.core.ledger import Kind
from simlib.core.rng import take_rows
from simlib.core.settings import cents
from simlib.levers.payment_plan import plan_terms
from simlib.levers.takeup import uptake_probability

INF = np.inf
#: the offer's action code in :mod:`simlib.model.vectorized`'s schedule; instalment ``m`` is
#: ``FIRST_INSTALMENT - m`` (every plan code is at most ``OFFER``)
OFFER, FIRST_INSTALMENT = -100, -101


class PaymentPlans:
    """A strategy's payment plan over one population (inactive without one). ``bal`` is the
    model's balance array (changed in place), ``record(ii, days, cents)`` books the patient's
    payments (their ``PAYMENT_PATIENT`` rows and payment log), ``discount`` the strategy's
    :class:`~simlib.model.vectorized_offers.Discount`; ``runs_while_held``: the action codes that
    still act while a plan holds the account (the rest stand down); ``deadlines``: (code,
    action(accounts, days)) of the actions a plan defers until it defaults."""

    def __init__(self, sc, strategy, pop, bal, rows, counters, discount, record, runs_while_held: tuple = (),
                 deadlines: tuple = ()):
        self.cfg, self.pop, self.bal, self.rows, self.counters = strategy.payment_plan, pop, bal, rows, counters
        self.discount, self.record = discount, record
        self.runs_while_held, self.deadlines = runs_while_held, deadlines
        #: a plan in good standing holds the account
        self.held = np.zeros(pop.n, bool)
        self.active = self.cfg is not None
        #: called with (accounts, days) when plans start (:mod:`simlib.model.vectorized_deferred`)
        self.on_start = None
        #: beside disputes: the account's one payment clock (the plan pauses it, a default restarts it)
        self.clock = None
        if not self.active:
            return
        cfg = self.cfg
        self.min_cents, self.setup_cents = cents(cfg.balance_min), cents(cfg.setup_cost)
        self.instalment_cents = cents(cfg.cost_per_instalment)
        self.months = cfg.max_months + cfg.default_after_misses - 1  # the most instalments a plan has
        self.inst = np.zeros(pop.n, np.int64)
        self.misses = np.zeros(pop.n, np.int64)
        self.slot = np.full(pop.n, -1, np.int64)  # a taker's row of ``missed``
        self.missed = np.zeros((0, self.months), bool)
        #: by deadline code: when a plan deferred the account's deadline (the number of the
        #: :meth:`stand_down` that did, which grows with each account's time; -1: not deferred)
        self.deferred = {code: np.full(pop.n, -1, np.int64) for code, _ in deadlines}
        self._stand_downs = 0

    # ------------------------------------------------------------------ the schedule
    def columns(self, statement: np.ndarray, alive: np.ndarray, horizon: float) -> tuple[list, list]:
        """The offer's column and one column per instalment month (``inf`` where none, or after the
        ``horizon``), with their codes; decides who takes the plan on today's balances."""
        if not self.active:
            return [], []
        cfg, pop, bal = self.cfg, self.pop, self.bal
        asked = alive[bal[alive] >= self.min_cents]
        takes = [u < uptake_probability(cfg, b / 100.0, a) for u, b, a in
                 zip(pop.plan_u[asked, 0].tolist(), bal[asked].tolist(), pop.ability_monthly[asked].tolist())]
        takers = asked[np.asarray(takes, bool)]
        self.slot[takers] = np.arange(takers.size)
        self.missed = np.zeros((takers.size, self.months), bool)
        day = np.full(pop.n, INF)
        day[takers] = statement[takers] + cfg.offer_day
        self.offer_day, self.horizon = day, horizon
        self.cols = [np.where(day <= horizon, day, INF)] + [np.empty(pop.n) for _ in range(self.months)]
        self.rekey(np.add)
        return self.cols, [OFFER] + [FIRST_INSTALMENT - m for m in range(self.months)]

    def rekey(self, after) -> None:
        """Fill the instalments' columns (in place): instalment m at the offer day + ``month_days``, m
        times (the engine's float additions) — ``after(key, days)``: the key of an action filed
        ``days`` after one of key ``key`` runs (beside disputes, which move it: their keys)."""
        day = after(self.offer_day, 0.0)  # the first instalment: filed on the offer's day
        for col in self.cols[1:]:
            col[:] = np.where(day <= self.horizon, day, INF)
            day = after(day, self.cfg.month_days)

    def unscheduled(self, ii: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Which of the actions (``ii``, ``codes``) due now are instalments of no running plan (the
        offer was not made, or the plan ended): the engine never scheduled them."""
        if not self.active:
            return np.zeros(ii.size, bool)
        return (codes < OFFER) & ~self.held[ii]

    def stand_down(self, ii: np.ndarray, at: np.ndarray, codes: np.ndarray):
        """The actions (``ii``, ``at``, ``codes``) due now less those a plan holding the account
        stops: its deadlines are deferred (the constructor's), the others do nothing."""
        if not self.active:
            return ii, at, codes
        held = self.held[ii]
        if not held.any():
            return ii, at, codes
        self._stand_downs += 1
        for code, _ in self.deadlines:
            self.deferred[code][ii[held & (codes == code)]] = self._stand_downs
        keep = ~held | (codes <= OFFER) | np.isin(codes, self.runs_while_held)
        return ii[keep], at[keep], codes[keep]

    # ------------------------------------------------------------------ actions
    def act(self, code: int, jj: np.ndarray, at: np.ndarray) -> None:
        """The plan's action ``code`` for accounts ``jj`` at days ``at``."""
        if code == OFFER:
            self._offer(jj, at)
        else:
            self._instalment(FIRST_INSTALMENT - code, jj, at)

    def _offer(self, jj: np.ndarray, at: np.ndarray) -> None:
        cfg, pop, bal, counters = self.cfg, self.pop, self.bal, self.counters
        go = bal[jj] >= self.min_cents
        jj, at = jj[go], at[go]
        if not jj.size:
            return
        terms = [plan_terms(cfg, b, a, u) for b, a, u in
                 zip(bal[jj].tolist(), pop.ability_monthly[jj].tolist(), pop.plan_u[jj, 1].tolist())]
        inst, p_miss, autopay = (np.array(x) for x in zip(*terms))
        self.inst[jj] = inst
        counters["plans_autopay"] += int(autopay.sum())
        self.held[jj] = True  # take_over: the discount's offer ends, the patient's own clock pauses
        if self.clock is not None:
            self.clock[jj] = True
        self.discount.ends(jj)
        self.rows.add(jj, at, Kind.COST_PLAN_ADMIN, self.setup_cents)
        counters["plans"] += jj.size
        miss_u = take_rows(pop.plan_miss_u, jj)[:, :self.months]  # rows drawn on demand, all of these at once
        self.missed[self.slot[jj]] = miss_u < p_miss[:, None]
        if self.on_start is not None:
            self.on_start(jj, at)

    def default_day(self, jj: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The day the plans started at ``at`` for accounts ``jj`` default on (``inf``: not within
        the horizon): their ``default_after_misses``-th missed month, on that instalment column's
        day (``month_days`` added to the offer's day once a month, as :meth:`columns` does)."""
        misses = np.cumsum(self.missed[self.slot[jj]], axis=1)
        out = misses[:, -1] >= self.cfg.default_after_misses
        month = np.argmax(misses >= self.cfg.default_after_misses, axis=1)
        day = np.asarray(at, float).copy()
        for m in range(int(month.max(initial=0))):
            day = np.where(m < month, day + self.cfg.month_days, day)
        return np.where(out & (day <= self.horizon), day, INF)

    def _instalment(self, m: int, jj: np.ndarray, at: np.ndarray) -> None:
        bal, counters = self.bal, self.counters
        self.rows.add(jj, at, Kind.COST_PLAN_ADMIN, self.instalment_cents)
        missed = self.missed[self.slot[jj], m]
        mj, mat = jj[missed], at[missed]
        if mj.size:
            self.misses[mj] += 1
            counters["plan_misses"] += mj.size
            out = self.misses[mj] >= self.cfg.default_after_misses
            counters["plan_defaults"] += int(out.sum())
            self._hand_back(mj[out], mat[out])
        pj, pat = jj[~missed], at[~missed]
        if pj.size:
            amount = np.minimum(self.inst[pj], bal[pj])  # the last instalment takes the rounding
            self.record(pj, pat, amount)
            bal[pj] -= amount
            counters["plan_instalments"] += pj.size
            done = bal[pj] == 0
            counters["plans_completed"] += int(done.sum())
            self.held[pj[done]] = False

    def _hand_back(self, jj: np.ndarray, at: np.ndarray) -> None:
        """The plan defaulted: back to the hospital's collection (the caller recomputes the next
        payments); the deferred deadlines happen now, in the order they fell due (the engine's
        ``hand_back``), each while a balance is left."""
        self.held[jj] = False
        if self.clock is not None:
            self.clock[jj] = False
        if not self.deadlines or not jj.size:
            return
        when = np.stack([self.deferred[code][jj] for code, _ in self.deadlines], axis=1)
        order = np.argsort(when, axis=1, kind="stable")
        for rank in range(when.shape[1]):
            d = order[:, rank]
            was = when[np.arange(jj.size), d] >= 0
            for c, (_, action) in enumerate(self.deadlines):
                due = was & (d == c) & (self.bal[jj] > 0)
                if due.any():
                    action(jj[due], at[due])
