"""Contact rules as written (issue 19, item 3): each cap counts the channels its rule counts, and a
legally required notice is moved to the next allowed slot, never dropped. Exact event logs and
ledgers of one patient, worked out by hand from the rules (Reg F's 7-in-7 counts calls; Chile's
Ley 21.320 counts mail with messages: /work/shared/reference/domain-research.md)."""
from __future__ import annotations

import pytest

from simlib.scenario.schema import ScenarioError, scenario_from_dict
from test_levers import rows, run, tiny

TEN_AM = 10 / 24
QUIET = {"reach": 1.0, "jump_per_day": 0.0, "opt_out_rate": 0.0, "complaint_rate": 0.0}


def one_patient(ladder: list, limits: dict) -> dict:
    """One self-pay patient who never pays, written off at day 400; every channel reaches and
    moves nothing (so the log is the rules' alone)."""
    data = tiny({"ladder": ladder, "contact_limits": limits, "write_off": {"after_days": 400}},
                horizon=500.0)
    data["channels"] = {name: dict(QUIET, cost=cost)
                        for name, cost in (("letter", 0.0), ("sms", 0.03), ("formal_demand", 8.0))}
    return data


TWO_TEXTS_THEN_DEMAND = [{"day": 86, "channel": "sms"}, {"day": 88, "channel": "sms"},
                         {"day": 90, "channel": "formal_demand"}]


def events(res) -> list[tuple[float, str]]:
    return [(d, w) for r, d, w in res.events if r == 1]


def contact_costs(res) -> list[tuple[float, int]]:
    return [(d, a) for d, k, a in rows(res) if k == "COST_CONTACT"]


def test_two_texts_no_longer_suppress_the_formal_demand_under_a_two_a_week_cap():
    res, _ = run(one_patient(TWO_TEXTS_THEN_DEMAND, {"messages_per_7_days_max": 2}), trace=True)
    assert events(res) == [(0.0, "statement"), (86 + round(TEN_AM, 6), "sms"), (88 + round(TEN_AM, 6), "sms"),
                           (90 + round(TEN_AM, 6), "formal_demand"), (400.0, "written off")]
    assert contact_costs(res) == [(pytest.approx(86 + TEN_AM), 3), (pytest.approx(88 + TEN_AM), 3),
                                  (pytest.approx(90 + TEN_AM), 800)]
    c = res.counters
    assert (c["contacts_formal_demand"], c["suppressed_contacts"], c["notices_moved"]) == (1, 0, 0)


def test_a_cap_that_counts_mail_moves_the_formal_demand_to_the_next_allowed_slot():
    """Chile: two messages a week, mail included. The texts of days 86 and 88 fill the week; the
    day-90 demand goes when the first text leaves the rolling 7 days: 86 + 7 = day 93, 10 am."""
    limits = {"messages_per_7_days_max": 2, "message_cap_channels": ["sms", "letter", "formal_demand"]}
    res, _ = run(one_patient(TWO_TEXTS_THEN_DEMAND, limits), trace=True)
    t = round(TEN_AM, 6)
    assert events(res) == [(0.0, "statement"), (86 + t, "sms"), (88 + t, "sms"), (90 + t, "formal_demand"),
                           (90 + t, f"formal_demand moved to day {93 + t:g}"), (93 + t, "formal_demand"),
                           (400.0, "written off")]
    assert contact_costs(res)[-1] == (pytest.approx(93 + TEN_AM), 800)
    c = res.counters
    assert (c["contacts_formal_demand"], c["notices_moved"], c["moved_formal_demand"], c["suppressed_contacts"]) \
        == (1, 1, 1, 0)


def test_a_reminder_letter_the_cap_counts_is_suppressed_and_counted_per_channel():
    limits = {"messages_per_7_days_max": 2, "message_cap_channels": ["sms", "letter"]}
    ladder = [{"day": 86, "channel": "sms"}, {"day": 88, "channel": "sms"}, {"day": 90, "channel": "letter"}]
    res, _ = run(one_patient(ladder, limits), trace=True)
    assert (90 + round(TEN_AM, 6), "letter suppressed") in events(res)
    c = res.counters
    assert (c["contacts_letter"], c["suppressed_letter"], c["suppressed_contacts"]) == (0, 1, 1)
    # under the default cap (electronic messages only) the same letter goes out
    res, _ = run(one_patient(ladder, {"messages_per_7_days_max": 2}))
    assert (res.counters["contacts_letter"], res.counters["suppressed_contacts"]) == (1, 0)


def test_quiet_hours_move_a_notice_to_their_end_and_drop_a_text():
    ladder = [{"day": 30, "channel": "sms", "hour": 22}, {"day": 90, "channel": "formal_demand", "hour": 22}]
    res, _ = run(one_patient(ladder, {"quiet_hours": [21, 8]}), trace=True)
    ev = events(res)
    assert (30 + round(22 / 24, 6), "sms suppressed") in ev
    assert (91 + round(8 / 24, 6), "formal_demand") in ev      # the next morning, 8 am
    assert contact_costs(res) == [(pytest.approx(91 + 8 / 24), 800)]
    assert (res.counters["suppressed_sms"], res.counters["moved_formal_demand"]) == (1, 1)


def test_a_cap_counts_only_message_channels_of_the_scenario():
    data = one_patient(TWO_TEXTS_THEN_DEMAND, {"messages_per_7_days_max": 2,
                                               "message_cap_channels": ["sms", "fax"]})
    with pytest.raises(ScenarioError, match="message_cap_channels: expected message channels"):
        scenario_from_dict(data)


AGENCY = {"kind": "bad_debt", "placement_days": 120, "initial_per_day": 0.0, "recall_days": 180}


@pytest.mark.parametrize("demand_day, placed_day", [(None, 150.0), (100, 130.0), (90, 120.0)])
def test_a_bad_debt_placement_waits_30_days_after_the_final_notice(demand_day, placed_day):
    """IRS §1.501(r)-6(c)(4): written notice at least 30 days before an extraordinary collection
    action, in calendar days. No demand: the hospital sends it at day 120 and places at 150; a
    demand on day 100 defers the placement to day 130; one on day 90 leaves day 120 as it was."""
    ladder = [{"day": 30, "channel": "letter"}]
    if demand_day is not None:
        ladder.append({"day": demand_day, "channel": "formal_demand"})
    res, _ = run(_with_agency(one_patient(ladder, {})), trace=True)
    placed = [d for d, w in events(res) if w.startswith("placed")]
    assert placed == [pytest.approx(placed_day)]
    demands = [(d, a) for d, a in contact_costs(res) if a == 800]
    assert len(demands) == 1
    c = res.counters
    assert c["eca_notices_sent"] == (1 if demand_day is None else 0)
    assert c["placements_deferred_for_notice"] == (0 if demand_day == 90 else 1)


def _with_agency(data: dict) -> dict:
    data["strategies"]["s"]["agency"] = dict(AGENCY)
    return data


def test_a_bad_debt_agency_needs_a_notice_channel():
    data = _with_agency(one_patient([], {}))
    data["strategies"]["s"]["agency"]["notice_channel"] = "letter"
    with pytest.raises(ScenarioError, match="notice_channel: expected a message channel marked notice"):
        scenario_from_dict(data)


def test_a_notice_moved_out_of_the_quiet_hours_is_allowed_at_its_slot_after_the_clock_round_trip():
    """Found by the default search (seed 4242): during the warm-up an account's clock is stored
    relative to its shift, so a slot of ``floor(day) + 8/24`` came back as 7.9999999 h, inside
    quiet hours ending at 8, and the formal demand was moved to the same slot forever (12 GB per
    worker). At every slot the limits hand out, the notice must be allowed after the round trip, or due
    now (its next slot within the channel's same-instant tolerance), never moved again."""
    import random
    from types import SimpleNamespace

    from simlib.levers.contact_limits import ContactLimitsLever
    from simlib.world.channels import SAME_INSTANT_DAYS
    from simlib.world.contacts import hour_of_day

    limits = object.__new__(ContactLimitsLever)
    limits.quiet, limits.messages_max, limits.calls_max, limits.counted = (21.0, 8.0), 2, 7, frozenset({"sms"})
    acct = SimpleNamespace(message_times=[], call_times=[])
    rng = random.Random(4242)
    cases = [(-126.66666666666669, -238.54531816515967)]
    cases += [(rng.uniform(-400, 600), rng.uniform(-400, 0)) for _ in range(20_000)]
    for now, shift in cases:
        for channel in ("formal_demand", "sms"):
            acct.message_times = [now - rng.uniform(0, 6.9) for _ in range(2)] if channel == "sms" else []
            slot = limits.next_message_slot(acct, channel, now)
            back = (slot - shift) + shift  # PatientAccount.at stores day - shift; now is that + shift
            assert slot >= now
            allowed = limits.message_allowed(acct, channel, back, hour_of_day(back))
            # the channel sends a notice whose next slot is within SAME_INSTANT_DAYS of now
            again = limits.next_message_slot(acct, channel, back)
            assert allowed or again <= back + SAME_INSTANT_DAYS, (now, shift, slot, back, again)
