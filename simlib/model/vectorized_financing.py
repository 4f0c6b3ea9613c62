"""Patient financing in NumPy, for :mod:`simlib.model.vectorized` and the hybrid engine.

The same rules as :class:`simlib.levers.financing.FinancingLever`, many accounts at once:

- when the account's actions are scheduled (just after the statement, on the balance the statement
  left: after the deposit and presumptive charity care), a patient whose balance is at least
  ``balance_min`` takes the offer when ``financing_u`` is below
  :func:`~simlib.levers.takeup.uptake_probability`; a taker's offer falls ``offer_day`` after the
  statement, with the lever's tie order (3: after the due date's jump, the prompt-pay window's end
  and the statement's arrival that day, before any message);
- on that day, if the account is still open and its balance in [``balance_min``,
  ``balance_max``], the lender approves when ``financing_approval_u`` is below
  :func:`~simlib.levers.takeup.approval_probability`: then a ``PAYMENT_LENDER`` row closes the
  balance and the hospital pays ``round(merchant_fee_rate × balance)`` (``FEE_FINANCING``), counter
  ``financed``; otherwise counter ``financing_declined`` and nothing changes.

The engine does not offer financing while a plan or an agency holds the account; this form knows
no holder, so :mod:`simlib.model.vectorized_subset` keeps a strategy with financing beside a plan or
an agency on SimPy. Both probabilities are the lever's own functions on each account (Python's
``**``, not NumPy's vector power, which may differ in the last bit and move a decision), the fee
Python's ``round``. Identity with the engine: ``tests/test_vectorized_financing.py``.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.levers.takeup import approval_probability, uptake_probability

INF = np.inf


class Financing:
    """A strategy's patient financing over one population (inactive without one)."""

    def __init__(self, sc, strategy, pop):
        self.cfg, self.pop = strategy.financing, pop
        if self.cfg is not None:
            self.min_cents = cents(self.cfg.balance_min)
            self.max_cents = None if self.cfg.balance_max is None else cents(self.cfg.balance_max)

    @property
    def active(self) -> bool:
        return self.cfg is not None

    def column(self, statement: np.ndarray, alive: np.ndarray, bal: np.ndarray) -> np.ndarray:
        """The day of each account's offer (``inf``: none): the takers among the open accounts
        ``alive``, decided on their balances ``bal`` as scheduled (after the statement)."""
        out = np.full(statement.shape, INF)
        if self.cfg is None:
            return out
        ii = alive[bal[alive] >= self.min_cents]
        cfg, pop = self.cfg, self.pop
        takes = np.array([u < uptake_probability(cfg, b / 100.0, a) for u, b, a in
                          zip(pop.financing_u[ii].tolist(), bal[ii].tolist(), pop.ability_monthly[ii].tolist())],
                         dtype=bool)
        ii = ii[takes] if ii.size else ii
        out[ii] = statement[ii] + cfg.offer_day
        return out

    def offer(self, ii: np.ndarray, at: np.ndarray, bal: np.ndarray, rows, counters) -> None:
        """The offer falls due for the open accounts ``ii`` at ``at``: the lender pays the balances
        in the band it approves (taken off ``bal`` in place), less the hospital's fee."""
        b = bal[ii]
        band = b >= self.min_cents
        if self.max_cents is not None:
            band &= b <= self.max_cents
        ii, at, b = ii[band], at[band], b[band]
        if not ii.size:
            return
        cfg, pop = self.cfg, self.pop
        approved = np.array([u < approval_probability(cfg.approval_ability_half, cfg.approval_steepness, a)
                             for u, a in zip(pop.financing_approval_u[ii].tolist(),
                                             pop.ability_monthly[ii].tolist())], dtype=bool)
        counters["financing_declined"] += int((~approved).sum())
        ii, at, b = ii[approved], at[approved], b[approved]
        if not ii.size:
            return
        fee = np.array([int(round(cfg.merchant_fee_rate * x)) for x in b.tolist()], dtype=np.int64)
        rows.add(ii, at, Kind.PAYMENT_LENDER, b)
        rows.add(ii, at, Kind.FEE_FINANCING, fee)
        bal[ii] = 0
        counters["financed"] += ii.size
