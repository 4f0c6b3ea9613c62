"""The payment methods' processing fees in NumPy (:mod:`simlib.levers.payment_methods`), for the
NumPy model (:mod:`simlib.model.vectorized`) and so the hybrid engine.

Each payment the patient makes of their own (not a plan's instalment, not an agency's collection,
not a deposit: the lever's own exclusions) costs the hospital a ``FEE_PROCESSING`` row on the
patient's receivable, on the payment's day: by card ``round(card_fee_rate × paid) + card_fee_fixed``,
by bank transfer ``bank_transfer_fee``; the patient's method is the lever's pre-drawn uniform against
``card_share`` (stream ``payment_methods``). Counters ``card_payments``, ``bank_transfer_payments``.
The same draws and the same float formula as the lever: every row equals the engine's
(``tests/test_vectorized_payment_methods.py``).
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents

STREAM = "payment_methods"  # the lever's own stream (PaymentMethodsLever.__init__)


class ProcessingFees:
    """A strategy's processing fees over one population (inactive without ``payment_methods``)."""

    def __init__(self, strategy, pop):
        self.cfg = strategy.payment_methods
        if self.cfg is not None:
            u = pop.draws(STREAM, lambda rng, n: rng.random(n))
            self.by_card = u < self.cfg.card_share
            self.fixed, self.transfer = cents(self.cfg.card_fee_fixed), cents(self.cfg.bank_transfer_fee)

    def on_payment(self, ii: np.ndarray, at: np.ndarray, paid: np.ndarray, rows, counters,
                   by_card: bool = False) -> None:
        """The fees of the patients ``ii`` who paid ``paid`` cents (what reached the hospital, after a
        discount's allowance) at ``at``; nothing on a payment of 0 cents (the lever's rule);
        ``by_card``: by card whatever the patient's method (a card on file charged)."""
        if self.cfg is None:
            return
        some = paid > 0
        ii, at, paid = ii[some], at[some], paid[some]
        card = self.by_card[ii] | by_card
        # Python's round() and NumPy's both round half to even on the same float product
        fee = np.where(card, np.round(self.cfg.card_fee_rate * paid).astype(np.int64) + self.fixed, self.transfer)
        rows.add(ii, at, Kind.FEE_PROCESSING, fee)
        counters["card_payments"] += int(card.sum())
        counters["bank_transfer_payments"] += int(ii.size - card.sum())
