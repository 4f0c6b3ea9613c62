"""How receivables are numbered: two per encounter, and a third block when secondary payers exist.

Encounter ``i`` of ``n`` has its primary insurer's claim at ``2i``, the patient's balance at
``2i + 1`` and — only when the scenario has a secondary (complementary) payer — the secondary's
claim at ``2n + i``. The third block follows all the others, so a scenario without a secondary
numbers, draws and reports exactly as before, and every per-receivable array is the two-sided one
followed by ``n`` entries. Every place that maps receivables to encounters or sides uses this
module (the ledger, the metrics, factoring, calibration).
"""
from __future__ import annotations

import numpy as np

#: sides of a receivable (:func:`sides`)
PRIMARY, PATIENT, SECONDARY = 0, 1, 2


def count(n_encounters: int, secondary: bool) -> int:
    """How many receivables ``n_encounters`` encounters have."""
    return (3 if secondary else 2) * n_encounters


def secondary_receivable(i: int, n_encounters: int) -> int:
    """The receivable of encounter ``i``'s secondary claim."""
    return 2 * n_encounters + i


def encounters(n_encounters: int, n_receivables: int) -> np.ndarray:
    """The encounter of each receivable ``0 … n_receivables − 1``."""
    r = np.arange(n_receivables)
    return np.where(r < 2 * n_encounters, r // 2, r - 2 * n_encounters)


def sides(n_encounters: int, n_receivables: int) -> np.ndarray:
    """The side of each receivable: :data:`PRIMARY`, :data:`PATIENT` or :data:`SECONDARY`."""
    r = np.arange(n_receivables)
    return np.where(r < 2 * n_encounters, r % 2, SECONDARY)


def per_receivable(per_encounter: np.ndarray, n_receivables: int) -> np.ndarray:
    """An encounter's value repeated on each of its receivables."""
    return np.asarray(per_encounter)[encounters(len(per_encounter), n_receivables)]


def patient_slice(n_encounters: int) -> slice:
    """The patient balances' receivables, in encounter order."""
    return slice(1, 2 * n_encounters, 2)
