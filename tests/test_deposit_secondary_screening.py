"""A deposit that took the whole bill, then a secondary payer's denial passes its share to the
patient: presumptive financial assistance screens the patient once, on the statement, on the whole
responsibility (the deposit kept and the share), on both engines.

Found at stop 35 (helper hyb_secondary): the screening at service refunded the eligible share of the
deposit kept, left the deposit kept as it was, and the account's own screening on the statement
refunded it again — a refund the hospital should not pay. Hand-checked ledger per encounter: what
was refunded of the deposit never exceeds what was paid, and the charity care booked equals the
eligible share of (deposit kept + share passed), to the rounding of one cent."""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_secondary import passed_cents
from test_hybrid import assert_identical
from test_hybrid_secondary import _baseline

#: a deposit of the whole estimated bill, paid by almost everyone: many deposits take the whole bill
DEPOSIT = {"credit_terms_days": 30, "statement_channel": "letter",
           "ladder": [{"day": 30, "channel": "letter"}, {"day": 60, "channel": "formal_demand"}],
           "deposit": {"share": 1.0, "compliance_rate": 0.95},
           "write_off": {"after_days": 240, "below_balance": 5}}


def _per_receivable(ledger, kind: Kind, receivables: np.ndarray) -> np.ndarray:
    sel = ledger.kind == int(kind)
    return np.bincount(ledger.receivable[sel], weights=ledger.amount[sel],
                       minlength=int(receivables.max()) + 1)[receivables]


def test_a_deposit_that_took_the_bill_is_screened_once_with_the_share_passed():
    sc = _baseline(denial_rate=0.6, strategies={"deposit": {"label": "Deposit", "baseline": True, **DEPOSIT}},
                   encounters_per_day=4.0)
    pop = draw_population(sc, 11)
    world = World(sc, "deposit", pop, hybrid=False)
    passed = passed_cents(world)
    result = world.run()
    ledger = result.ledger
    fap = world.levers["fap_screening"]
    rate = np.asarray(fap.rate)
    r = 2 * np.arange(pop.n) + 1
    billed = _per_receivable(ledger, Kind.BILLED, r)
    # the deposit: the patient's payment on the service day (no account runs before the statement)
    patient = (ledger.receivable % 2 == 1) & (ledger.receivable < 2 * pop.n)
    service = np.maximum(pop.service_day, world.start_day)[np.where(patient, ledger.receivable // 2, 0)]
    at_service = patient & (ledger.kind == int(Kind.PAYMENT_PATIENT)) & (ledger.day == service)
    deposit = np.bincount(ledger.receivable[at_service], weights=ledger.amount[at_service],
                          minlength=int(r.max()) + 1)[r]
    refunds = _per_receivable(ledger, Kind.REFUND_PATIENT, r)
    charity = _per_receivable(ledger, Kind.CHARITY_CARE, r)
    took_all = (billed > 0) & (deposit >= billed) & (passed > 0) & (rate > 0)
    assert took_all.sum() >= 10, int(took_all.sum())
    # never more refunded than the deposit paid
    assert (refunds[took_all] <= deposit[took_all]).all()
    # one screening on the whole responsibility: the bill the deposit kept plus the share passed
    kept = np.minimum(deposit, billed)
    owed = kept + passed
    expected = np.where(rate >= 1.0, owed, np.round(rate * owed))
    np.testing.assert_allclose(charity[took_all], expected[took_all], atol=1.0)
    # the same on the hybrid engine, every row, cent and day
    assert assert_identical(sc, "deposit", pop) == 1.0
