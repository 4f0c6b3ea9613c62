"""Collection charges in the NumPy model (issue 27: the hybrid engine).

The engine's :class:`simlib.levers.collection_charges.CollectionChargesLever` schedules one action
per account ``after_days_past_due`` days after the due date (order 4): a balance still open and
not held is charged ``rate`` × the balance, capped by the jurisdiction's brackets
(:func:`~simlib.levers.collection_charges.capped_charge_cents`, the lever's own function, one
account at a time), billed to the patient as a second ``BILLED`` row; the balance grows by it.
Here it is a column of the schedule (after financing's, order 3, before the agency's placement,
order 5); an account a plan holds never reaches it (a plan beside the charges stays on SimPy:
:mod:`simlib.model.vectorized_subset`), one an agency holds has it as a clock-only column
(:mod:`simlib.model.vectorized_agency`). Counter ``collection_charges``.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.levers.collection_charges import capped_charge_cents

INF = np.inf


class CollectionCharges:
    """A strategy's collection charges over one population (inactive without them)."""

    def __init__(self, sc, st):
        self.cfg = cfg = st.collection_charges
        if cfg is not None:
            law = sc.law.collection_charges  # the jurisdiction's brackets and UF value, as the lever reads them
            self.brackets, self.uf_cents = law.brackets, (cfg.uf_value_clp or law.uf_value_clp or 0.0) * 100.0

    def column(self, due: np.ndarray) -> np.ndarray:
        """The day each account is charged (inf: no charges)."""
        return np.full(due.shape, INF) if self.cfg is None else due + self.cfg.after_days_past_due

    def charge(self, jj: np.ndarray, at: np.ndarray, bal: np.ndarray, rows, counters) -> None:
        """Charge the open balances of accounts ``jj`` (open, not held: the loop's) at ``at``."""
        rate, brackets, uf_cents = self.cfg.rate, self.brackets, self.uf_cents
        amount = np.array([capped_charge_cents(b, rate, brackets, uf_cents) for b in bal[jj].tolist()],
                          dtype=np.int64)
        go = amount > 0
        jj, at, amount = jj[go], at[go], amount[go]
        rows.add(jj, at, Kind.BILLED, amount)
        bal[jj] += amount
        counters["collection_charges"] += int(jj.size)
