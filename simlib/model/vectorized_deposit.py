"""The deposit at service in NumPy, for :mod:`simlib.model.vectorized` and the hybrid engine.

The same rules as :class:`simlib.levers.deposit.DepositLever`, many encounters at once, before
their patient accounts start (the engine's ``at_service`` hook):

- asked of the encounters not excluded (emergencies, the open book, ``excluded_payers``): the
  estimate is the balance × exp(σ z − σ²/2) (``deposit_estimate_z``), the ask
  ``cents(share × estimate)``; an ask of 0 cents is not made;
- each ask costs ``ask_cost`` (``COST_REGISTRATION`` on the service day, at the earliest the first
  simulated day; counter ``deposits_asked``); the patient pays when the uniform of
  :func:`~simlib.levers.deposit.propensity_uniform` (``deposit_u`` correlated with the propensity)
  is below :func:`~simlib.levers.deposit.compliance_probability`: a ``PAYMENT_PATIENT`` row that
  day (counter ``deposits``); otherwise counter ``deposits_declined`` and, with the deferral rate,
  the care is deferred (``LOST_MARGIN_DEFERRED_CARE``, counter ``care_deferred``);
- a deposit above the balance is refunded on the statement day, at the latest the horizon
  (``REFUND_PATIENT``, counter ``deposit_refunds``); the account starts with what is left;
- with presumptive financial assistance, a patient whose deposit took the whole balance and to
  whom no secondary payer's denial passes a share is still found on the statement day (at the
  earliest day 0, at the latest the horizon): the eligible share of the deposit kept is refunded and
  forgiven (``REFUND_PATIENT`` and ``CHARITY_CARE``, counters ``deposit_fap_refunds``,
  ``charity_adjustments``, ``charity_free_care``:
  :meth:`simlib.levers.financial_assistance.FapScreening.screen_paid_in_full`). The screening of an
  open account (one a share passed to included) reads :attr:`DepositAtService.kept`
  (:class:`~simlib.model.vectorized_offers.Charity`): one screening of the patient's whole responsibility.

The exponential of the estimate and the power of the compliance curve are Python's ``math`` on
each asked encounter (the lever's own functions), not NumPy's vector forms, which may differ in
the last bit and move a cent or a decision; everything else is the lever's float operations
element by element. Identity with the engine: ``tests/test_vectorized_deposit.py``.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.levers.deposit import DEFERRAL_STREAM, compliance_probability, propensity_uniform
from simlib.model.vectorized_rows import Rows


class DepositAtService:
    """A strategy's deposit at service over one population (inactive without one)."""

    def __init__(self, sc, strategy, pop, statement_lag_days=None):
        self.cfg = strategy.deposit
        #: the world's statement lag: a number, or one per encounter (a quality investment's)
        self.lag = sc.operations.statement_lag_days if statement_lag_days is None else statement_lag_days
        #: deposit cents kept (paid minus refunded) by encounter: financial assistance reads it
        self.kept = np.zeros(pop.n, np.int64)
        self.sc, self.pop = sc, pop

    @property
    def active(self) -> bool:
        return self.cfg is not None

    def at_service(self, ii: np.ndarray, bal: np.ndarray, charity, rows, counters, passed_cents=None) -> tuple:
        """Ask the encounters ``ii`` (patient balances > 0, in ``bal``, taken off in place) for
        their deposit; ``charity``: the scenario's :class:`~simlib.model.vectorized_offers.Charity`;
        ``passed_cents``: what a secondary's denial passes to each encounter's patient (an account
        follows: screened on its statement). Returns the deposits paid: (encounters, days, cents)."""
        none = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
        if self.cfg is None or not ii.size:
            return none
        dep, pop, sc = self.cfg, self.pop, self.sc
        excluded = [pop.payer_names.index(p) for p in dep.excluded_payers if p in pop.payer_names]
        ii = ii[~np.isin(pop.payer[ii], excluded) & ~pop.emergency[ii] & ~pop.open_book[ii]]
        b = bal[ii]
        s = dep.estimate_error_sigma
        if s > 0:
            factor = (pop.deposit_estimate_z * s - 0.5 * s * s)[ii]
            estimate = np.array([x * math.exp(f) for x, f in zip(b.tolist(), factor.tolist())], dtype=float)
        else:
            estimate = b.astype(float)
        asked = np.round(dep.share * estimate / 100.0 * 100.0).astype(np.int64)  # simlib.core.settings.cents
        go = asked > 0
        ii, b, asked = ii[go], b[go], asked[go]
        if not ii.size:
            return none
        start_day = -float(sc.simulation.warm_up_days)
        service_day = pop.service_day[ii]
        day = np.maximum(service_day, start_day)
        counters["deposits_asked"] += ii.size
        rows.add(ii, day, Kind.COST_REGISTRATION, cents(dep.ask_cost))
        p = np.array([compliance_probability(dep, a / 100.0, m)
                      for a, m in zip(asked.tolist(), pop.ability_monthly[ii].tolist())], dtype=float)
        u = propensity_uniform(pop.deposit_u, pop.propensity, sc.patients.propensity_sigma,
                               dep.propensity_correlation)[ii]
        pays = u < p
        self._decline(ii[~pays], day[~pays], counters, rows)
        ii, b, asked, day, service_day = ii[pays], b[pays], asked[pays], day[pays], service_day[pays]
        rows.add(ii, day, Kind.PAYMENT_PATIENT, asked)
        counters["deposits"] += ii.size
        over = asked > b
        statement_day = pop.bill_day[ii] + (self.lag[ii] if np.ndim(self.lag) else self.lag)  # World.statement_day
        horizon = sc.simulation.horizon_days
        refund_day = np.minimum(np.maximum(statement_day, day), horizon)
        rows.add(ii[over], refund_day[over], Kind.REFUND_PATIENT, (asked - b)[over])
        counters["deposit_refunds"] += int(over.sum())
        self.kept[ii] = np.minimum(asked, b)
        bal[ii] = np.maximum(b - asked, 0)
        if charity.mode == "presumptive":
            whole = bal[ii] == 0
            if passed_cents is not None:
                whole &= passed_cents[ii] == 0
            self._screen_paid_in_full(ii[whole], statement_day[whole], service_day[whole], charity, rows, counters)
        return ii, day, asked

    def _decline(self, ii: np.ndarray, day: np.ndarray, counters, rows) -> None:
        """The patients ``ii`` declined: counted, and those who defer the care lose its margin."""
        dep, pop = self.cfg, self.pop
        counters["deposits_declined"] += ii.size
        if dep.declined_care_deferral_rate <= 0 or not ii.size:
            return
        defer_u = pop.draws(DEFERRAL_STREAM, lambda g, n: g.random(n))
        deferred = defer_u[ii] < dep.declined_care_deferral_rate
        counters["care_deferred"] += int(deferred.sum())
        margin = pop.allowed_cents[ii[deferred]].astype(float) * self.sc.harm.contribution_margin_ratio
        rows.add(ii[deferred], day[deferred], Kind.LOST_MARGIN_DEFERRED_CARE, np.round(margin).astype(np.int64))

    def _screen_paid_in_full(self, ii, statement_day, service_day, charity, rows, counters) -> None:
        """The presumptive screening finds the patients whose deposit took the whole balance."""
        rate, kept = charity.rate[ii], self.kept[ii]
        amount = np.where(rate >= 1.0, kept, np.round(rate * kept).astype(np.int64))
        go = (kept > 0) & (rate > 0) & (amount > 0)
        ii, amount = ii[go], amount[go]
        if not ii.size:
            return
        horizon = self.sc.simulation.horizon_days
        when = np.minimum(np.maximum(np.maximum(statement_day[go], service_day[go]), 0.0), horizon)
        rows.add(ii, when, Kind.REFUND_PATIENT, amount)
        rows.add(ii, when, Kind.CHARITY_CARE, amount)
        self.kept[ii] -= amount
        for key in ("deposit_fap_refunds", "charity_adjustments", "charity_free_care"):
            counters[key] += ii.size



def balance_at_schedule(sc, strategy, pop, charity, passed_cents=None, overcharge=None) -> np.ndarray:
    """Each encounter's patient balance when its ladder is scheduled (the engine's static targeting
    reads it: a step whose balance floor it is below is never taken): the bill, less the deposit
    kept at service, plus a dispute's overcharge on what the deposit left (``overcharge``: the
    fraction per encounter, the price estimate lever's), plus what a secondary's denial passed on
    (``passed_cents``), less presumptive charity care on the statement (``charity``: the scenario's
    :class:`~simlib.model.vectorized_offers.Charity`). Balances only fall after it."""
    rows, counters = Rows(), Counter()  # scratch: the run itself books them
    bal = pop.patient_cents.astype(np.int64).copy()
    deposit = DepositAtService(sc, strategy, pop)
    deposit.at_service(np.flatnonzero(bal > 0), bal, charity, rows, counters, passed_cents)
    if overcharge is not None:  # billed at service after the deposit (its hook runs first)
        extra = np.round(bal * np.asarray(overcharge, dtype=float)).astype(np.int64)
        bal += np.where((extra > 0) & (bal > 0), extra, 0)
    if passed_cents is not None:
        bal += passed_cents
    if charity.mode == "presumptive":
        charity.screen(np.flatnonzero(bal > 0), 0.0, bal, rows, counters, deposit.kept)
    return bal
