"""The NumPy model's action codes (simlib.model.vectorized and its forms' modules) never collide: a
column's code decides which form acts on it, and plans take every code at or below theirs."""
from __future__ import annotations

from simlib.model import vectorized, vectorized_calls, vectorized_disputes, vectorized_accountant, vectorized_agency, vectorized_legal, vectorized_notices, \
    vectorized_plans, vectorized_self_service as selfserve


def test_every_forms_codes_are_its_own():
    ranges = {
        "vectorized": {vectorized._DUE, vectorized._WRITE_OFF, vectorized._ARRIVE, vectorized._ENDS,
                       vectorized._SCREEN, vectorized._FINANCE, vectorized._CHARGE},
        "accountant": {vectorized_accountant.SEIZE, vectorized_accountant.SETTLE, vectorized_accountant.CLOCK_ONLY},
        "legal": {vectorized_legal.FILE},
        "disputes": {vectorized_disputes.DISPUTE},
        "self_service": {selfserve.PAY_LINK, selfserve.PORTAL, selfserve.CHARGE},  # every card attempt: CHARGE
        "agency": {vectorized_agency.PLACE, vectorized_agency.NOTICE_ARRIVES, vectorized_agency.NOTICE_MOVED},
        "notices": {vectorized_notices.MOVED - s for s in range(vectorized_notices.MAX_STEPS)},
        "call moves": {vectorized_calls.MOVED_CALL - k for k in range(vectorized_calls.MAX_MOVED_CALLS)},
    }
    seen: dict[int, str] = {}
    for name, codes in ranges.items():
        for code in codes:
            assert code not in seen, f"code {code} of {name} is {seen[code]}'s too"
            assert vectorized_plans.OFFER < code < 0, f"code {code} of {name}: plans take every code <= OFFER"
            seen[code] = name
    assert min(seen) > vectorized_plans.OFFER
