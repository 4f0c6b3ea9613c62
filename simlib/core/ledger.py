"""The money ledger: every movement is a row ``(receivable, day, kind, amount_cents)``.

Rows are appended to plain Python lists during a run and frozen into NumPy arrays at the end
(compact: 8 + 8 + 1 + 8 bytes a row, no Python object per row once frozen). Amounts are integer
cents so the books balance exactly.

Receivables are numbered ``2 * encounter + side`` with side 0 = insurer claim, 1 = patient balance;
when a payer has a secondary (complementary) insurer, its claims follow all of those, at
``2 * n + encounter`` (:mod:`simlib.core.receivables`); pooled costs that belong to no receivable (agent salaries) use receivable -1. Lost-margin rows
(:data:`LOST_MARGIN`) record an economic loss on the patient's receivable without moving its
balance or the hospital's cash.

Invariant, per receivable, to the cent (:func:`check_conservation`):
    billed = collected − refunded + allowances + corrections + charity + written off
             + transferred out − transferred in + still open

A refund (a deposit above the final responsibility paid back), a chargeback (a card payment the
patient's bank takes back) and a transfer from a secondary insurer that denied (its share passes to
the patient) are the receivable movements that raise a balance: they enter every "net reduction"
with a minus sign (:data:`RAISES`). A transfer is two rows of the same amount and day:
``TRANSFER_TO_PATIENT`` reduces the secondary's claim and ``TRANSFER_FROM_PAYER`` raises the
patient's balance; no cash moves.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd


class Kind(IntEnum):
    """Ledger row kinds. Receivable movements are < 20; cash-only rows (costs, financing) >= 20."""

    BILLED = 0
    PAYMENT_PATIENT = 1
    PAYMENT_INSURER = 2
    DISCOUNT = 3          # prompt-pay discount allowance
    CORRECTION = 4        # billing-error correction after a dispute
    WRITE_OFF_BAD_DEBT = 5
    WRITE_OFF_DENIAL = 6  # final claim denial
    WRITE_OFF_SMALL = 7   # small-balance adjustment
    PAYMENT_AGENCY = 8    # collected by a collection agency (gross of its fee)
    PAYMENT_LENDER = 9    # third-party financing: lender pays the balance at once
    REFUND_PATIENT = 10   # a deposit above the final patient responsibility, paid back
    CHARITY_CARE = 11     # financial assistance (501(r) FAP): an adjustment, not bad debt
    TRANSFER_TO_PATIENT = 12  # a secondary insurer denied: its claim passes to the patient (no cash)
    TRANSFER_FROM_PAYER = 13  # ... and the patient's balance rises by the same amount
    CHARGEBACK = 14       # a card payment the patient disputed with their bank, taken back by it
    COST_STATEMENT = 20
    COST_CONTACT = 21
    COST_AGENTS = 22
    COST_REWORK = 23
    COST_DISPUTE = 24
    FEE_AGENCY = 25
    FEE_FINANCING = 26
    COST_STAFF_DENIALS = 27  # denials team's staffed hours
    COST_STAFF_BILLING = 28  # billing team's staffed hours
    COST_REGISTRATION = 29   # registration staff's time asking for a deposit at service
    FACTORING_ADVANCE = 30
    FACTORING_FEE = 31
    FACTORING_REBATE = 32
    FACTORING_BUYBACK = 33
    FACTORING_CHARGEBACK = 34
    FACTORING_COLLECTION = 35  # collections the factor keeps (outflow from the hospital's view)
    COST_PRICE_ESTIMATE = 36   # a price estimate / portal given before care
    COST_PLAN_ADMIN = 37       # administering a payment plan (set-up and monthly servicing)
    COST_COMPLAINT = 38        # handling a patient's complaint about a contact
    COST_LEGAL = 39            # a court step's fees (filing, serving the order, enforcement)
    # economic losses: not cash and not a receivable movement, subtracted from the NPV
    LOST_MARGIN_DEFERRED_CARE = 40  # contribution margin of elective care deferred after a declined deposit
    LOST_MARGIN_ATTRITION = 41      # expected future margin of patients driven away by harm
    LEGAL_COSTS_RECOVERED = 42      # court fees the patient reimburses after a judgment (cash in)
    LATE_PAYMENT_PENALTY = 43       # a mandatory insurer's penalty for paying a claim late (tiers payant; cash in)
    COST_SELF_SERVICE = 44   # a self-service vendor's fees (pay links, portal, card on file): fixed and per use
    FEE_PROCESSING = 45      # a payment processor's fee on a patient's payment (card %, bank transfer), chargebacks
    COST_BILLING_QUALITY = 46  # an investment in billing and claims quality (training, audits, checks, a scrubber)
    FEE_COVERAGE_DISCOVERY = 47  # a coverage-discovery vendor's fee (per search, or a share of what the found payer pays)
    COST_SCORING = 48          # scoring accounts for a targeted offer (a vendor's fee per scored account)


COLLECTED = (Kind.PAYMENT_PATIENT, Kind.PAYMENT_INSURER, Kind.PAYMENT_AGENCY, Kind.PAYMENT_LENDER)
ALLOWANCES = (Kind.DISCOUNT, Kind.WRITE_OFF_SMALL)
CORRECTIONS = (Kind.CORRECTION,)
WRITTEN_OFF = (Kind.WRITE_OFF_BAD_DEBT, Kind.WRITE_OFF_DENIAL)
CHARITY = (Kind.CHARITY_CARE,)
TRANSFERRED = (Kind.TRANSFER_TO_PATIENT,)
REDUCTIONS = COLLECTED + ALLOWANCES + CORRECTIONS + CHARITY + WRITTEN_OFF + TRANSFERRED
#: cash paid back to patients: deposits refunded, card payments charged back (cash out)
REFUNDS = (Kind.REFUND_PATIENT, Kind.CHARGEBACK)
#: movements that raise a balance again (netted against REDUCTIONS with a minus sign)
RAISES = REFUNDS + (Kind.TRANSFER_FROM_PAYER,)
COSTS = (Kind.COST_STATEMENT, Kind.COST_CONTACT, Kind.COST_AGENTS, Kind.COST_REWORK,
         Kind.COST_DISPUTE, Kind.FEE_AGENCY, Kind.FEE_FINANCING, Kind.COST_STAFF_DENIALS,
         Kind.COST_STAFF_BILLING, Kind.COST_REGISTRATION, Kind.COST_PRICE_ESTIMATE,
         Kind.COST_PLAN_ADMIN, Kind.COST_COMPLAINT, Kind.COST_LEGAL, Kind.COST_SELF_SERVICE,
         Kind.FEE_PROCESSING, Kind.COST_BILLING_QUALITY, Kind.FEE_COVERAGE_DISCOVERY, Kind.COST_SCORING)
#: margin lost to harm (deferred care, patients who do not come back): no cash moves, but the
#: decision metric (the NPV) subtracts its present value (docs/model.md "Harm has a price")
LOST_MARGIN = (Kind.LOST_MARGIN_DEFERRED_CARE, Kind.LOST_MARGIN_ATTRITION)

#: Sign of each kind in the hospital's cash (collections in, costs out); 0 = not cash.
CASH_SIGN = {k: 0 for k in Kind}
CASH_SIGN.update({k: +1 for k in COLLECTED})
CASH_SIGN.update({k: -1 for k in COSTS})
CASH_SIGN.update({k: -1 for k in REFUNDS})
CASH_SIGN.update({Kind.LEGAL_COSTS_RECOVERED: +1, Kind.LATE_PAYMENT_PENALTY: +1, Kind.FACTORING_ADVANCE: +1, Kind.FACTORING_REBATE: +1, Kind.FACTORING_FEE: 0,
                  Kind.FACTORING_BUYBACK: -1, Kind.FACTORING_CHARGEBACK: -1,
                  Kind.FACTORING_COLLECTION: -1})


class ConservationError(AssertionError):
    """The books do not balance: money was created or lost."""


class LedgerWriter:
    """Append-only row buffer used by the engine (one per simulated world).

    Typed ``array.array`` columns: a row costs 25 bytes and no Python object while a run goes on.
    """

    __slots__ = ("receivable", "day", "kind", "amount", "_appends")

    def __init__(self) -> None:
        self.receivable = array("q")
        self.day = array("d")
        self.kind = array("b")
        self.amount = array("q")
        #: the four columns' bound ``append`` methods, looked up once (a post is on the hot path)
        self._appends = (self.receivable.append, self.day.append, self.kind.append, self.amount.append)

    def post(self, receivable: int, day: float, kind: int, amount_cents: int) -> None:
        if amount_cents:
            r, d, k, a = self._appends
            r(receivable)
            d(day)
            k(kind)
            a(amount_cents)

    def freeze(self) -> "Ledger":
        """The rows as a :class:`Ledger` whose arrays are views of this writer's columns, not
        copies (a copy doubled the ledger's memory at the end of a run: 25 bytes per row, issue 27);
        the writer can take no row after (``BufferError``: its columns cannot grow while viewed)."""
        return Ledger(
            receivable=np.frombuffer(self.receivable, dtype=np.int64),
            day=np.frombuffer(self.day, dtype=np.float64),
            kind=np.frombuffer(self.kind, dtype=np.int8),
            amount=np.frombuffer(self.amount, dtype=np.int64),
        )


@dataclass(frozen=True)
class Ledger:
    """Frozen ledger arrays, all the same length."""

    receivable: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    amount: np.ndarray

    def __len__(self) -> int:
        return len(self.amount)

    def mask(self, kinds) -> np.ndarray:
        return np.isin(self.kind, np.asarray([int(k) for k in kinds], dtype=np.int8))

    def total(self, kinds, until_day: float | None = None) -> int:
        m = self.mask(kinds)
        if until_day is not None:
            m &= self.day <= until_day
        return int(self.amount[m].sum())

    def per_receivable(self, kinds, n_receivables: int, until_day: float | None = None) -> np.ndarray:
        m = self.mask(kinds) & (self.receivable >= 0)
        if until_day is not None:
            m &= self.day <= until_day
        return _bincount_int(self.receivable[m], self.amount[m], n_receivables)

    def net_reduced(self, n_receivables: int, until_day: float | None = None) -> np.ndarray:
        """Per receivable: reductions minus raises (what left the balance, net), in cents."""
        return (self.per_receivable(REDUCTIONS, n_receivables, until_day)
                - self.per_receivable(RAISES, n_receivables, until_day))

    def signed_reductions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(receivable, day, signed cents) of every balance movement: reductions +, raises −."""
        red = self.mask(REDUCTIONS) & (self.receivable >= 0)
        ref = self.mask(RAISES) & (self.receivable >= 0)
        m = red | ref
        return self.receivable[m], self.day[m], np.where(red[m], self.amount[m], -self.amount[m])

    def _cash_sign(self) -> np.ndarray:
        sign = np.zeros(256, dtype=np.int64)
        for k, s in CASH_SIGN.items():
            sign[int(k)] = s
        return sign[self.kind.astype(np.int64)]

    def cash_rows(self) -> np.ndarray:
        """Mask of the rows that move the hospital's cash (in the order of :meth:`cash_flows`)."""
        return self._cash_sign() != 0

    def cash_flows(self) -> tuple[np.ndarray, np.ndarray]:
        """(day, signed cents) of every row that moves the hospital's cash."""
        s = self._cash_sign()
        m = s != 0
        return self.day[m], self.amount[m] * s[m]

    def concat(self, other: "Ledger") -> "Ledger":
        return Ledger(*(np.concatenate([getattr(self, f), getattr(other, f)])
                        for f in ("receivable", "day", "kind", "amount")))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            "receivable": self.receivable, "day": self.day,
            "kind": pd.Categorical.from_codes(
                pd.Series(self.kind).map({int(k): i for i, k in enumerate(Kind)}).to_numpy(),
                categories=[k.name.lower() for k in Kind]),
            "amount": self.amount / 100.0,
        })


def _bincount_int(index: np.ndarray, amount: np.ndarray, n: int) -> np.ndarray:
    """Exact integer per-index sums (np.bincount would go through float64)."""
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, index, amount)
    return out


def check_conservation(ledger: Ledger, open_cents: np.ndarray, context: str = "") -> None:
    """Fail loudly unless billed = collected − refunded + allowances + corrections + charity +
    written off + transferred out − transferred in + open.

    ``open_cents`` is the engine's own record of each receivable's remaining balance, kept
    separately from the ledger rows; the two must agree to the cent for every receivable.
    """
    n = len(open_cents)
    billed = ledger.per_receivable([Kind.BILLED], n)
    reduced = ledger.net_reduced(n)
    if (open_cents < 0).any():
        bad = np.flatnonzero(open_cents < 0)[:5]
        raise ConservationError(f"{context}: negative open balance on receivables {bad.tolist()}")
    gap = billed - reduced - open_cents
    if gap.any():
        bad = np.flatnonzero(gap)[:5]
        detail = ", ".join(f"#{r}: billed {billed[r]} reduced {reduced[r]} open {open_cents[r]}"
                           for r in bad)
        raise ConservationError(f"{context}: ledger does not balance for {np.count_nonzero(gap)} "
                                f"receivable(s) (cents): {detail}")
