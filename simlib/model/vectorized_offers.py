"""Charity screening and the prompt-pay discount in NumPy, for :mod:`simlib.model.vectorized`.

The same rules as the engine's levers, many accounts at once, in the engine's float operations:

- charity care (:mod:`simlib.levers.financial_assistance`): the eligible (screening uniform below
  ``identification_rate``, the policy's payers) have the share :func:`charity_rate` of their
  balance forgiven — ``CHARITY_CARE`` rows, counters ``charity_adjustments`` and
  ``charity_free_care`` — on the statement (``presumptive``; not the hospital's own open book) or
  just before the bad-debt write-off (``at_write_off``, order 999 of the write-off day). The
  balance factor of the intensity stays that of the bill (the engine computes it at the account's
  creation). The share applies to what the patient owes — the open balance plus the deposit kept
  at service (:mod:`simlib.model.vectorized_deposit`) —, and what exceeds the open balance is the
  deposit refunded: a ``REFUND_PATIENT`` row beside the ``CHARITY_CARE`` one, counter
  ``deposit_fap_refunds``;
- the prompt-pay discount (:mod:`simlib.levers.prompt_pay_discount`): for the eligible payers'
  patients, from the statement to ``window_days`` later (order 1 of that day) the integrated
  intensity accrues × (1 + uplift × price sensitivity), and a payment of the whole balance books
  ``round(balance × rate)`` as a ``DISCOUNT`` row (counter ``discounts``); the payment row is the
  rest.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.levers.prompt_pay_discount import discount_response

INF = np.inf


class Charity:
    """The financial assistance policy of a scenario for one strategy over one population."""

    def __init__(self, sc, strategy, pop):
        fap = sc.finance.financial_assistance
        self.mode = None
        self.rate = np.zeros(pop.n)
        if fap is None or fap.identification_rate == 0:
            return
        eligible = pop.charity_u < fap.identification_rate
        if fap.payers is not None:
            names = [pop.payer_names.index(p) for p in fap.payers]
            eligible &= np.isin(pop.payer, names)
        a, lo, hi = pop.ability_monthly, fap.free_care_ability_max, fap.discount_ability_max
        with np.errstate(divide="ignore", invalid="ignore"):
            sliding = 1.0 - (1.0 - fap.discount_min_rate) * (a - lo) / (hi - lo)
        rate = np.where(a < lo, 1.0, np.where(a >= hi, 0.0, sliding))  # simlib.levers.financial_assistance.charity_rate
        self.mode = strategy.fap_screening or fap.screening
        if self.mode == "presumptive" and sc.simulation.open_book is not None:
            eligible &= ~pop.open_book.astype(bool)  # the hospital's own A/R report: already net of charity
        self.rate = np.where(eligible, rate, 0.0)
        self.after_days = strategy.write_off.after_days

    def screen_column(self, statement: np.ndarray) -> np.ndarray:
        """The day of each account's pre-write-off screening (``inf``: none)."""
        if self.mode != "at_write_off":
            return np.full(statement.shape, INF)
        return np.where(self.rate > 0, statement + self.after_days, INF)

    def screen(self, ii: np.ndarray, at, bal: np.ndarray, rows, counters, kept: np.ndarray | None = None) -> None:
        """Screen accounts ``ii`` at ``at``: forgive the eligible share of what the patient owes
        (the open balance plus ``kept``, the deposit kept at service, taken off in place where
        the share exceeds the open balance: that part of the deposit is refunded)."""
        rate = self.rate[ii]
        b = bal[ii]
        go = (rate > 0) & (b > 0)
        ii, rate, b = ii[go], rate[go], b[go]
        at = np.broadcast_to(np.asarray(at, float), go.shape)[go]
        owed = b if kept is None else b + kept[ii]
        amount = np.where(rate >= 1.0, owed, np.round(rate * owed).astype(np.int64))
        go = amount > 0
        ii, amount, at, b = ii[go], amount[go], at[go], b[go]
        if not ii.size:
            return
        refund = np.maximum(amount - b, 0)  # simlib.levers.financial_assistance.FapScreening.screen
        if kept is not None and refund.any():
            rows.add(ii, at, Kind.REFUND_PATIENT, refund)
            kept[ii] -= refund
            counters["deposit_fap_refunds"] += int((refund > 0).sum())
        rows.add(ii, at, Kind.CHARITY_CARE, amount)
        bal[ii] = b - (amount - refund)
        counters["charity_adjustments"] += ii.size
        counters["charity_free_care"] += int((bal[ii] == 0).sum())


class Discount:
    """A strategy's prompt-pay discount over one population (inactive without one)."""

    def __init__(self, sc, strategy, pop, statement: np.ndarray, stated: np.ndarray):
        cfg = strategy.prompt_pay_discount
        n = pop.n
        self.mult = np.ones(n)
        self.offered = np.zeros(n, bool)
        self.end = np.full(n, INF)
        if cfg is None:
            return
        self.rate = cfg.rate
        payers = [pop.payer_names.index(p) for p in (cfg.eligible_payers or pop.payer_names)]
        beh = sc.behaviour
        uplift = beh.discount_uplift_max * discount_response(cfg.rate, beh.discount_half_rate)
        self.offered = np.isin(pop.payer, payers) & stated
        self.mult = np.where(self.offered, 1.0 + uplift * pop.price_sensitivity, 1.0)
        self.end = np.where(self.offered, statement + cfg.window_days, INF)

    def ends(self, ii: np.ndarray) -> None:
        """The window ends for accounts ``ii``: no allowance, the intensity's multiplier is 1."""
        self.offered[ii] = False
        self.mult[ii] = 1.0

    def allowance(self, ii: np.ndarray, at: np.ndarray, bal: np.ndarray, amount: np.ndarray, rows,
                  counters) -> np.ndarray:
        """Payments of ``amount`` by ``ii`` at ``at`` (balances ``bal`` before): the cents allowed
        off each (a payment of the whole balance inside the window), booked as ``DISCOUNT`` rows."""
        whole = (amount == bal) & self.offered[ii]
        allowed = np.zeros(ii.size, np.int64)
        if whole.any():
            allowed[whole] = np.round(bal[whole] * self.rate).astype(np.int64)
            rows.add(ii[whole], at[whole], Kind.DISCOUNT, allowed[whole])
            counters["discounts"] += int(whole.sum())
        return allowed
