"""What the NumPy model (:mod:`simlib.model.vectorized`) returns: per-encounter outcomes, the payment
log and every ledger row of the patient balances it simulated."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from simlib.core.ledger import Kind, Ledger


@dataclass
class VectorResult:
    """Per-encounter outcomes of the patient balances (index ``i``, receivable ``2i+1``)."""

    strategy: str
    statement_day: np.ndarray       # NaN when no statement before the horizon or no balance
    first_payment_day: np.ndarray   # NaN when never paid within the horizon
    paid_cents: np.ndarray          # to the hospital (an agency's collections: its PAYMENT_AGENCY rows)
    bad_debt_cents: np.ndarray
    small_write_off_cents: np.ndarray
    open_cents: np.ndarray
    payments: np.ndarray            # number of payments
    cost_cents: np.ndarray          # statement + contacts
    payment_encounter: np.ndarray   # payment log, in time order per account
    payment_day: np.ndarray
    payment_amount_cents: np.ndarray
    counters: Counter = field(default_factory=Counter)
    complaint_cost_cents: np.ndarray | None = None  # COST_COMPLAINT rows
    lost_margin_cents: np.ndarray | None = None     # LOST_MARGIN_ATTRITION rows
    charity_cents: np.ndarray | None = None         # CHARITY_CARE rows
    discount_cents: np.ndarray | None = None        # DISCOUNT rows
    #: every row the engine posts for these patient balances after their BILLED row
    rows: Ledger | None = None
    #: the accounts a call step would have called (a probe run: ``simulate(..., probe_calls=True)``)
    called: np.ndarray | None = None
    #: the SimPy day each account's dispute was raised (a probe run: ``simulate(..., probe_disputes=True)``)
    disputes_raised: np.ndarray | None = None
    #: the SimPy moment each dispute was raised (NaN: none before the horizon; disputes run here)
    dispute_moments: np.ndarray | None = None
    #: the calls asked for given each call's outcome (``simulate(..., call_outcomes=)``): (encounter, attempt,
    #: day, deadline, duration) in the order asked
    call_requests: list | None = None
    #: of those, the calls an agent took but the contact limits forbade: (encounter, attempt)
    calls_suppressed: list | None = None


def payment_log(log_i: list, log_day: list, log_amt: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The payments logged in pieces, as one log in time order per account."""
    if not log_i:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    li, ld, la = np.concatenate(log_i), np.concatenate(log_day), np.concatenate(log_amt)
    order = np.lexsort((ld, li))
    return li[order], ld[order], la[order]


def per_account(ledger: Ledger, kind: Kind, n: int) -> np.ndarray:
    """The cents of ``ledger``'s rows of ``kind``, summed per encounter (receivable ``2i+1``)."""
    m = ledger.kind == kind
    out = np.zeros(n, np.int64)
    np.add.at(out, (ledger.receivable[m] - 1) // 2, ledger.amount[m])
    return out
