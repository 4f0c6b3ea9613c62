"""The ledger rows of the NumPy model (:mod:`simlib.model.vectorized`), as arrays.

The metrics read the ledger by day (cash curves, aging, NPV), so the NumPy model keeps every row
the engine would post for a patient balance — its receivable, day, kind and cents — not only
per-account totals. Rows are collected in blocks (one block per vectorised action) and
concatenated once; like :meth:`simlib.core.ledger.LedgerWriter.post`, a row of 0 cents is not
kept. The order of rows differs from the engine's (the engine posts account by account in event
order); compare them with :func:`canonical_order`.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Ledger


class Rows:
    """Blocks of ledger rows of patient balances (encounter ``i`` is receivable ``2i+1``)."""

    def __init__(self) -> None:
        self._blocks: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = []

    def add(self, encounters: np.ndarray, day, kind: int, amount_cents) -> None:
        """Rows of ``kind`` for ``encounters`` on ``day`` (an array or one day for all) of
        ``amount_cents`` (an array or one amount for all)."""
        encounters = np.asarray(encounters, dtype=np.int64)
        if not encounters.size:
            return
        day = np.broadcast_to(np.asarray(day, dtype=float), encounters.shape)
        amount = np.broadcast_to(np.asarray(amount_cents, dtype=np.int64), encounters.shape)
        keep = amount != 0
        if not keep.all():
            encounters, day, amount = encounters[keep], day[keep], amount[keep]
        self._blocks.append((encounters, np.array(day), int(kind), np.array(amount)))

    def ledger(self) -> Ledger:
        """Every row collected, in blocks' order, as a frozen :class:`~simlib.core.ledger.Ledger`;
        the blocks are let go column by column as they are joined (they and the joined columns
        together were the NumPy model's peak memory: issue 27), so this is called once."""
        blocks, self._blocks = self._blocks, []
        if not blocks:
            return Ledger(receivable=np.zeros(0, np.int64), day=np.zeros(0), kind=np.zeros(0, np.int8),
                          amount=np.zeros(0, np.int64))
        kind = np.concatenate([np.full(b[0].size, b[2], np.int8) for b in blocks])
        columns = [list(column) for column in zip(*[(b[0], b[1], b[3]) for b in blocks])]
        del blocks
        joined = []
        for column in columns:
            joined.append(np.concatenate(column))
            column.clear()
        receivable, day, amount = joined
        receivable *= 2
        receivable += 1
        return Ledger(receivable=receivable, day=day, kind=kind, amount=amount)


def canonical_order(ledger: Ledger) -> np.ndarray:
    """The permutation that sorts a ledger's rows by receivable, day, kind and cents: two ledgers
    that hold the same rows in any order are equal after it."""
    return np.lexsort((ledger.amount, ledger.kind, ledger.day, ledger.receivable))


def concatenate(*ledgers: Ledger) -> Ledger:
    """One ledger of the rows of ``ledgers``, in their order."""
    return Ledger(receivable=np.concatenate([x.receivable for x in ledgers]),
                  day=np.concatenate([x.day for x in ledgers]),
                  kind=np.concatenate([x.kind for x in ledgers]),
                  amount=np.concatenate([x.amount for x in ledgers]))
