"""The public accountant's formal demand under the contact limits (quiet hours, a message cap).

The demand (*mise en demeure de payer*) is a legally required notice: the limits never drop it,
they move it to the next slot they allow. The garnishment follows a formal demand (LPF L257-0 A),
so the account passes to the accountant only when the demand has really gone out: the demand
action itself moves to that slot (counted ``notices_moved`` and ``moved_<channel>``), the demand is
sent there (its ``COST_CONTACT`` row), the accountant takes the account over there and garnishes
``seizure_days_after_demand`` later. Before the fix the accountant took the account over at once
and the moved demand, finding the account held, was never sent.

One patient owing €1,000 who never pays on their own (``hospital`` of test_public_accountant):
every row is known in advance. Seeded (the scenario's seed 7, population 0).
"""
from __future__ import annotations

import pytest

from test_levers import rows, run
from test_public_accountant import hospital

#: the demand falls at midnight of day 90 (the bill at day 0, no hour): inside quiet hours 20-8
EIGHT_AM = 8 / 24
TEN_AM = 10 / 24


def _events(res) -> list[tuple[float, str]]:
    return [(d, w) for r, d, w in res.events if r == 1]


def _under(limits: dict, success_rate: float = 1.0, **extra) -> dict:
    data = hospital(success_rate, **extra)
    data["channels"]["formal_demand"]["notice"] = True
    data["strategies"]["s"]["contact_limits"] = limits
    return data


def test_without_limits_the_demand_goes_out_on_its_day():
    """The reference: the demand on day 90 at midnight, the garnishment 30 days later."""
    res, _ = run(_under({}), trace=True)
    assert (90.0, "COST_CONTACT", 800) in rows(res)
    c = res.counters
    assert (c["contacts_formal_demand"], c["notices_moved"], c["accountant_demands"]) == (1, 0, 1)


def test_quiet_hours_move_the_demand_and_the_take_over_to_8_am():
    res, _ = run(_under({"quiet_hours": [20, 8]}), trace=True)
    t = 90 + EIGHT_AM
    # the reminder letter on day 45 at midnight is not a notice: the quiet hours suppress it
    assert rows(res) == [(0.0, "BILLED", 100000), (0.0, "COST_STATEMENT", 125),
                         (round(t, 9), "COST_CONTACT", 800), (round(t + 30, 9), "COST_LEGAL", 450),
                         (round(t + 60, 9), "PAYMENT_PATIENT", 100000)]
    c = res.counters
    assert (c["contacts_formal_demand"], c["notices_moved"], c["moved_formal_demand"]) == (1, 1, 1)
    assert (c["accountant_demands"], c["accountant_seizures"], c["accountant_seizures_paid"]) == (1, 1, 1)
    assert c["suppressed_letter"] == 1
    ev = _events(res)
    assert (90.0, f"formal_demand moved to day {round(t, 6):g}") in ev
    assert (round(t, 6), "formal demand by the public accountant") in ev
    assert (round(t + 30, 6), "garnishment") in ev
    assert not any(w == "formal demand by the public accountant" and d < 90.3 for d, w in ev)


def test_a_message_cap_moves_the_demand_a_week_after_the_hospitals_letter():
    """A cap of one message a week that counts mail: the hospital's letter on day 85 at 10 am fills
    the week; the day-90 demand goes on day 92 at 10 am, the garnishment 30 days after that. Until
    then the hospital still holds the account: its own letter of day 91 is capped, not stood down."""
    data = _under({"messages_per_7_days_max": 1, "message_cap_channels": ["letter", "formal_demand"]},
                  success_rate=0.0)
    data["strategies"]["s"]["ladder"] = [{"day": 85, "channel": "letter"}, {"day": 91, "channel": "letter"}]
    res, _ = run(data, trace=True)
    t = 92 + TEN_AM
    contact_rows = [r for r in rows(res) if r[1] in ("COST_CONTACT", "COST_LEGAL")]
    assert contact_rows == [(45.0, "COST_CONTACT", 125), (round(85 + TEN_AM, 9), "COST_CONTACT", 125), (round(t, 9), "COST_CONTACT", 800),
                            (round(t + 30, 9), "COST_LEGAL", 450)]
    c = res.counters
    assert (c["contacts_formal_demand"], c["notices_moved"], c["moved_formal_demand"]) == (1, 1, 1)
    assert (c["accountant_demands"], c["accountant_seizures"], c["accountant_seizures_failed"]) == (1, 1, 1)
    assert c["suppressed_letter"] == 1  # the day-91 letter: the cap, the account still the hospital's
    assert (round(t, 6), "formal demand by the public accountant") in _events(res)


@pytest.mark.parametrize("limits", [{"quiet_hours": [20, 8]},
                                    {"messages_per_7_days_max": 1,
                                     "message_cap_channels": ["letter", "formal_demand"]}])
def test_every_demand_counted_went_out(limits):
    """Whatever the limits: as many demands sent on the demand channel as the accountant counts,
    each before its garnishment."""
    data = _under(limits)
    data["strategies"]["s"]["ladder"] = [{"day": 85, "channel": "letter"}]
    res, _ = run(data)
    c = res.counters
    assert c["accountant_demands"] == c["contacts_formal_demand"] == 1


def test_the_moved_demand_goes_after_a_letter_delivered_at_its_slot():
    """The moved demand keeps a moved notice's place among the actions of its slot (order 9, after
    the deliveries due then): the hospital's letter of day 83 at 8 am arrives on day 90 at 8 am, the
    demand's slot, while the hospital still holds the account — it reaches the patient."""
    data = _under({"quiet_hours": [20, 8]})
    data["strategies"]["s"]["ladder"] = [{"day": 83, "channel": "letter", "hour": 8}]
    res, _ = run(data)
    c = res.counters
    assert (c["contacts_letter"], c["reached_letter"], c["contacts_formal_demand"]) == (1, 1, 1)
