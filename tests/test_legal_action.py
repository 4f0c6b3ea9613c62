"""Legal action (issue 23): the court path's ledger by hand, its notice wait, and its rules.

A self-pay patient owes exactly €1,000 and never pays on their own (``tiny`` of test_levers):
every row of the court path is known in advance, to the cent.
"""
from __future__ import annotations

import pytest

from simlib.scenario.schema import ScenarioError, scenario_from_dict
from test_levers import rows, run, tiny

#: France: mise en demeure 15 days before filing; serving the order €45.50; enforcement fee 5 %;
#: the patient reimburses 80 % of the fees on a judgment (the numbers are the test's, not the law's)
CASE = {"filing_days": 90, "notice_days_before": 15, "filing_fee": 12.25, "service_fee": 45.5,
        "order_days": 40, "opposition_days": 30, "enforcement_days": 50, "enforcement_fee_rate": 0.05,
        "costs_recovered_rate": 0.8}


def court(success_rate: float, **extra) -> dict:
    data = tiny({"ladder": [{"day": 60, "channel": "formal_demand"}], "write_off": {"after_days": 400},
                 "legal_action": {**CASE, "success_rate": success_rate, **extra}})
    data["jurisdiction"] = "FR"
    data["channels"]["formal_demand"] = {"cost": 0.0, "reach": 1.0, "jump_per_day": 0.0, "delivery_days": 0.0}
    return data


def test_a_case_that_succeeds_pays_the_balance_and_recovers_the_fees_to_the_cent():
    res, _ = run(court(1.0))
    # filed on day 90 (the demand of day 60 is 30 days old), served on 130, paid on 90 + 120 = 210:
    # the €1,000 balance, 5 % of it to enforcement (€50), 80 % of €12.25 + €45.50 = €46.20 back
    assert rows(res) == [(0.0, "BILLED", 100000), (90.0, "COST_LEGAL", 1225), (130.0, "COST_LEGAL", 4550),
                         (210.0, "PAYMENT_PATIENT", 100000), (210.0, "COST_LEGAL", 5000),
                         (210.0, "LEGAL_COSTS_RECOVERED", 4620)]
    c = res.counters
    assert (c["legal_filings"], c["legal_judgments_paid"], c["legal_write_offs"]) == (1, 1, 0)


def test_a_case_that_fails_is_written_off_when_it_ends_and_supersedes_the_write_off():
    res, _ = run(court(0.0, enforcement_days=300))  # ends on day 460, after the write-off due on 400
    assert rows(res) == [(0.0, "BILLED", 100000), (90.0, "COST_LEGAL", 1225), (130.0, "COST_LEGAL", 4550),
                         (460.0, "WRITE_OFF_BAD_DEBT", 100000)]
    assert res.counters["legal_write_offs"] == 1


def test_filing_waits_for_the_formal_demand():
    data = court(1.0)
    data["strategies"]["s"]["ladder"] = [{"day": 85, "channel": "formal_demand"}]
    res, _ = run(data)
    # the demand of day 85 (hour 10) is 15 calendar days old on day 100: filed then
    assert rows(res)[1] == (100.0, "COST_LEGAL", 1225)
    assert res.counters["legal_filings_deferred_for_notice"] == 1
    data["strategies"]["s"]["ladder"] = []
    res, _ = run(data)  # no demand at all: one is sent on day 90, the filing waits 15 days
    assert rows(res)[1] == (105.0, "COST_LEGAL", 1225)
    assert res.counters["legal_notices_sent"] == 1


def test_filing_after_the_limitation_period_is_refused():
    """Chile: 2 years (Código Civil art. 2521); the same filing is fine in France (5 years)."""
    data = court(0.5, filing_days=800)
    data["strategies"]["s"]["write_off"] = {"after_days": 900}
    data["jurisdiction"], data["finance"] = "CL", {"us_nonprofit": False}
    data["strategies"]["s"]["contact_limits"] = {"calls_per_7_days_max": 1, "messages_per_7_days_max": 2,
                                                 "quiet_hours": [20, 8],
                                                 "message_cap_channels": ["letter", "formal_demand", "sms",
                                                                          "email", "whatsapp"]}
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data)
    assert "legal_action.filing_days: expected a filing before the limitation period of 2 years" in str(exc.value)
    assert "Código Civil art. 2521" in str(exc.value)
    data["jurisdiction"] = "FR"
    scenario_from_dict(data)


def test_a_suit_is_an_extraordinary_collection_action_for_a_us_nonprofit():
    data = court(0.5)
    data["jurisdiction"] = "US"  # finance omitted: a US nonprofit
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data)
    text = str(exc.value)
    assert "legal_action.filing_days: a suit is an extraordinary collection action" in text
    assert "legal_action.notice_days_before" in text and "501(r)" in text
    data["strategies"]["s"]["legal_action"].update(filing_days=150, notice_days_before=30)
    scenario_from_dict(data)


def test_the_metrics_net_recovered_fees_against_the_legal_costs():
    """Collection cost = €12.25 + €45.50 + €50 − €46.20 = €61.55 (every channel is free here)."""
    from simlib.model.metrics import compute
    from simlib.scenario.schema import scenario_from_dict as load

    data = court(1.0)
    res, pop = run(data)
    m = compute(res, pop, load(data))[0]
    assert m["collection_cost"] == pytest.approx(61.55, abs=1e-9)
    assert m["cash_collected"] == pytest.approx(1000.0, abs=1e-9)


# --------------------------------------------------------------------------- collection charges (Chile)
def chile(charges: dict, balance_clp: float = 1_000_000) -> dict:
    data = tiny({"collection_charges": charges, "write_off": {"after_days": 400}}, balance=balance_clp,
                ability=80_000)
    data["jurisdiction"] = "CL"
    return data


@pytest.mark.parametrize("rate,charge_clp", [
    (0.09, 71_850),   # capped: 9 % × 395,000 (10 UF) + 6 % × 605,000 = 35,550 + 36,300
    (0.05, 50_000),   # 5 % × 1,000,000, under the cap
])
def test_chilean_collection_charge_is_capped_by_uf_bracket_ley_19496_art_37(rate, charge_clp):
    """UF = 39,500 pesos (cl.yaml); charged 20 days after the due date (30): day 50; the whole
    balance with its charge is written off on day 400."""
    res, _ = run(chile({"rate": rate}))
    total = (1_000_000 + charge_clp) * 100
    assert rows(res) == [(0.0, "BILLED", 100_000_000), (50.0, "BILLED", charge_clp * 100),
                         (400.0, "WRITE_OFF_BAD_DEBT", total)]
    assert res.counters["collection_charges"] == 1


def test_collection_charges_rules():
    for bad, words in (({"rate": 0.10}, "expected at most 9 % (the highest bracket's cap)"),
                       ({"rate": 0.05, "after_days_past_due": 10}, "expected at least 20 days of delay")):
        with pytest.raises(ScenarioError) as exc:
            scenario_from_dict(chile(bad))
        assert words in str(exc.value) and "Ley 19.496 art. 37" in str(exc.value)
    for code, law in (("FR", "L111-8"), ("US", "1692f")):
        data = chile({"rate": 0.05})
        data["jurisdiction"], data["currency"] = code, None
        with pytest.raises(ScenarioError) as exc:
            scenario_from_dict(data)
        assert "collection_charges: charges for collecting may not be added" in str(exc.value) and law in str(exc.value)
    data = chile({"rate": 0.05})
    data["currency"] = "USD"
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data)
    assert "expected currency: CLP; found USD" in str(exc.value)


def test_the_notice_wait_is_whole_days_and_not_zero_with_quiet_hours():
    """The filing waits until the formal demand is ``notice_days_before`` calendar days old; a
    fraction of a day (or no wait while the quiet hours hold the demand back) made the engine
    reschedule the filing at the same instant forever — a RuntimeError after 100,000 actions when
    the hospital sent the demand itself: refused in one line."""
    with pytest.raises(ScenarioError, match=r"legal_action.notice_days_before: expected a whole number of days.*found 15.5"):
        scenario_from_dict(court(0.5, notice_days_before=15.5))
    quiet = court(0.5, notice_days_before=0)
    quiet["strategies"]["s"]["contact_limits"] = {"quiet_hours": [21, 8]}
    with pytest.raises(ScenarioError, match="notice_days_before: 0 with quiet hours"):
        scenario_from_dict(quiet)
    scenario_from_dict(court(0.5, notice_days_before=0))  # no quiet hours: the demand goes out at once
    res, _ = run(court(1.0, notice_days_before=16))       # a whole number of days: filed when it is 16 days old
    assert res.counters["legal_filings"] == 1
