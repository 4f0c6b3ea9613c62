"""A secondary payer's denial in the NumPy model (issue 27: the hybrid engine).

The engine books a secondary payer's claim before the patient's bill
(:meth:`simlib.model.engine.World._start_patient`, :func:`simlib.model.claims.secondary_claim`):
billed at service and decided on its day (the primary's first decision plus the secondary's lag,
at the earliest the first simulated day). Denied by the horizon, its share passes to the patient on
that day (``TRANSFER_TO_PATIENT`` on the secondary's receivable, ``TRANSFER_FROM_PAYER`` on the
patient's): no ``BILLED`` row and no ``at_service`` hook for it — the deposit is asked on the bill,
the price estimate's overcharge billed on it, a targeted offer scores the bill only —, but the
patient's account starts from what the hooks left of the bill plus the share passed (a bill of 0:
no hooks at all, an account of the share alone). The statement follows the secondary's decision
(the population's bill day), so nothing of the account happens before.

The world still books every one of those rows on the hybrid engine (the by-hand path of
:mod:`simlib.model.hybrid_bills`); the NumPy model starts from the world's balance
(``vectorized.simulate(..., passed_cents=)`` adds :func:`passed_cents` after the at-service work),
so what reads the starting balance reads it with the share: the balance factor of the
responsiveness and the contact weight, the ladder's static targeting, presumptive charity care on
the statement, every later threshold and payment. Identity: ``tests/test_hybrid_secondary.py``.
"""
from __future__ import annotations

import numpy as np


def passed_cents(world) -> np.ndarray | None:
    """The cents each encounter's secondary payer passes to the patient in ``world`` (0: none, or
    decided after the horizon; ``None``: the scenario has no secondary payer) —
    :func:`simlib.model.claims.secondary_claim`'s test, on the world's days."""
    if world.secondary_cents is None:
        return None
    amount = np.asarray(world.secondary_cents, dtype=np.int64)
    decided = ~(np.asarray(world.adjudication_day_secondary, dtype=float) > world.horizon)
    return np.where(decided & np.asarray(world.pop.secondary_denied, dtype=bool) & (amount > 0), amount, 0)
