"""Ladder notices the quiet hours move, in NumPy (issue 27, simlib.model.vectorized_notices), equal
the SimPy engine account by account: both engines on one population, every ledger row sorted
canonically (receivable, day to the last bit, kind, cents), every open balance and counter
(tests.test_hybrid's assert_identical); seeded. The baseline's ``combined`` (calls, deposit,
discount, message cap, quiet hours [21, 8]) with its formal demand at the hour of its day, a
search candidate with a formal demand, an agency and a plan, Chile's strategies (a cap that counts
the formal demand but never holds it back), and random quiet hours, caps and notice steps
(hypothesis). The moved day itself is checked against the engine's own
``next_message_slot``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.levers.contact_limits import ContactLimits, ContactLimitsLever
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_contacts import quiet_hours_end
from simlib.model.vectorized_subset import capacity_free_problems
from simlib.scenario.schema import scenario_from_dict

from tests.test_hybrid import assert_identical

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "parameters" / "baseline.yaml"


def baseline(encounters_per_day: float = 4.0) -> dict:
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=encounters_per_day, warm_up_days=60)
    return data


def hybrid_counters(sc, strategy, pop):
    return World(sc, strategy, pop, hybrid=True).run().counters


@pytest.mark.parametrize("quiet", [(21.0, 8.0), (20.0, 0.0), (0.0, 6.0)])
def test_the_moved_day_is_the_engines_next_message_slot(quiet):
    """quiet_hours_end against ContactLimitsLever.next_message_slot (no cap: its quiet-hours part),
    to the last bit, on 5,000 random times and the hours around both ends of the window."""
    lever = ContactLimitsLever.__new__(ContactLimitsLever)
    lever.messages_max, lever.counted, lever.quiet = None, frozenset(), ContactLimits(quiet_hours=quiet).quiet_hours
    rng = np.random.default_rng(7)
    days = np.concatenate([rng.uniform(-30.0, 400.0, 5000),
                           np.array([d + h / 24.0 for d in (0, 17, 250) for h in (*quiet, quiet[0] - 1e-9, quiet[1] - 1e-9)])])
    expected = np.array([lever.next_message_slot(None, "formal_demand", t) for t in days.tolist()])
    np.testing.assert_array_equal(quiet_hours_end(quiet, days), expected)
    assert (expected > days).sum() > 500  # a good share falls in the quiet hours (4 to 11 hours in 24)


def test_the_baselines_combined_with_its_formal_demand_at_any_hour():
    """combined's formal demand without a fixed hour (so at the hour of its day: about 11 in 24
    fall in [21, 8]): moved, and its accounts in NumPy; identical to SimPy."""
    data = baseline()
    combined = data["strategies"]["combined"]
    ladder = [dict(step) for step in combined["ladder"]]
    assert ladder[-1]["channel"] == "formal_demand"
    ladder[-1]["hour"] = None
    data["strategies"] = {"combined": {**combined, "ladder": ladder, "baseline": True}}
    sc = scenario_from_dict(data, "combined, notice at any hour")
    assert sc.strategies["combined"].ladder[-1].hour is None
    assert capacity_free_problems(sc, "combined", per_account=True) == []
    pop = draw_population(sc, 3)
    share = assert_identical(sc, "combined", pop)
    assert 0.3 < share < 1.0  # the calls' accounts of $200 or more stay on SimPy
    c = hybrid_counters(sc, "combined", pop)
    assert c["notices_moved"] == c["moved_formal_demand"] > 30
    assert c["contacts_formal_demand"] > c["notices_moved"]  # some fell outside the quiet hours


def search_candidate(values: dict) -> tuple:
    from simlib.search.space import Space
    from simlib.scenario.schema import load_scenario

    sc = load_scenario(str(BASELINE))
    cand = Space(sc).candidate(values)
    data = baseline(encounters_per_day=3.0)
    strategy = dict(cand.data, baseline=True)  # its notice at the hour of its day (a step's default is 10 h)
    strategy["ladder"] = [dict(step, hour=None) if step["channel"] == "formal_demand" else step
                          for step in strategy["ladder"]]
    data.update(search=None, strategies={"candidate": strategy})
    return scenario_from_dict(data, "search candidate"), strategy


CANDIDATE = {"credit_terms_days": 30, "prompt_pay_discount.rate": 0.05, "prompt_pay_discount.window_days": 30,
             "deposit.share": 0.3, "phone_team.agents": 1, "payment_plan.offer_day": 15,
             "payment_plan.max_months": 12, "agency.placement_days": 150, "factoring": "none",
             "ladder.0.channel": "sms", "ladder.0.day": 5.0, "ladder.1.channel": "letter", "ladder.1.day": 20.0,
             "ladder.2.channel": "sms", "ladder.2.day": 40.0, "ladder.3.channel": "call", "ladder.3.day": 30.0,
             "ladder.4.channel": "none", "ladder.4.day": 60.0, "ladder.5.channel": "formal_demand",
             "ladder.5.day": 77.5}


@pytest.mark.parametrize("plan, agency", [("keep", "none"), ("none", "keep")])
def test_a_search_candidate_with_a_formal_demand(plan, agency):
    """The search's quiet hours [21, 8] for every candidate: a formal demand at day 77.5 after the
    statement, at the hour of its day (about half the accounts at night), beside a plan or an
    agency, calls and a cap. (The search's own slots take a step's default hour, 10 h, which the
    quiet hours never move.)"""
    sc, data = search_candidate({**CANDIDATE, "payment_plan": plan, "agency": agency})
    assert any(step["channel"] == "formal_demand" for step in data["ladder"])
    assert capacity_free_problems(sc, "candidate", per_account=True) == []
    pop = draw_population(sc, 1)
    assert assert_identical(sc, "candidate", pop) > 0.3
    c = hybrid_counters(sc, "candidate", pop)
    assert c["notices_moved"] > 20
    assert c["plans" if plan == "keep" else "agency_placements"] > 10


CHILE = ROOT / "parameters" / "chile_clinic.yaml"


def chile(encounters_per_day: float = 3.0) -> dict:
    data = yaml.safe_load(CHILE.read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=encounters_per_day, warm_up_days=60)
    return data


@pytest.mark.parametrize("strategy", ["cartas", "whatsapp_y_sms", "convenio_de_pago"])
def test_chiles_cap_counts_the_formal_demand_but_never_holds_it(strategy):
    """Ley 21.320 counts letters and formal demands (two a week), but Chile's ladders send the
    formal demand weeks after the last letter: in NumPy, identical to SimPy."""
    sc = scenario_from_dict(chile(), "chile (small)")
    assert "formal_demand" in sc.strategies[strategy].contact_limits.message_cap_channels
    pop = draw_population(sc, 2)
    assert assert_identical(sc, strategy, pop) > 0.9  # all but the disputed accounts (billing_error_rate 0.06)


def test_a_cap_that_may_hold_the_notice_stays_on_simpy():
    """Two counted messages in the 7 days before the formal demand (day 60): the cap of 2 may hold
    it back to a day that depends on the account's recent messages: the engine's. Spaced out (or
    a fixed hour that only widens the window by a day), it is in NumPy."""
    data = chile()
    cartas = data["strategies"]["cartas"]
    near = [{"day": 54, "channel": "sms"}, {"day": 58, "channel": "letter"}, {"day": 60, "channel": "formal_demand"}]
    far = [{"day": 50, "channel": "sms", "hour": None}, {"day": 58, "channel": "letter"},
           {"day": 60, "channel": "formal_demand", "hour": None}]
    edge = [{"day": 53, "channel": "sms"}, {"day": 58, "channel": "letter"}, {"day": 60, "channel": "formal_demand"}]
    rest = {key: value for key, value in cartas.items() if key != "baseline"}
    data["strategies"] = {"cartas": cartas, "near": {**rest, "ladder": near},
                          "far": {**rest, "ladder": far}, "edge": {**rest, "ladder": edge}}
    sc = scenario_from_dict(data, "chile, ladders near the formal demand")
    assert "a legally required notice the message cap may move" in capacity_free_problems(sc, "near", True)
    # day 53 at 10 h may be within 7 days of day 60 at 10 h after a day either side (fixed hours)
    assert "a legally required notice the message cap may move" in capacity_free_problems(sc, "edge", True)
    assert capacity_free_problems(sc, "far", True) == []
    pop = draw_population(sc, 4)
    assert assert_identical(sc, "far", pop) > 0.9
    c = hybrid_counters(sc, "far", pop)
    # the quiet hours [20, 8] moved formal demands and dropped texts
    assert c["notices_moved"] > 10 and c["suppressed_sms"] > 10 and "suppressed_formal_demand" not in c


def test_a_ladder_too_long_for_the_moved_sends_codes_stays_on_simpy():
    """A moved send's action code is per step, above the payment plan's: 40 steps at most."""
    data = baseline()
    steps = [{"day": d, "channel": "email"} for d in range(40)] + [{"day": 70, "channel": "formal_demand"}]
    data["strategies"] = {"long": {"baseline": True, "ladder": steps, "contact_limits": {"quiet_hours": [21, 8]}},
                          "short": {"ladder": steps[-2:], "contact_limits": {"quiet_hours": [21, 8]}}}
    sc = scenario_from_dict(data, "a long ladder")
    assert capacity_free_problems(sc, "long", True) == ["a ladder of more than 40 steps with a notice the quiet hours may move"]
    assert capacity_free_problems(sc, "short", True) == []


@hst.composite
def random_notices(draw):
    """A strategy of letters, texts and one or two formal demands (fixed hour or not, before or
    after the statement's quiet hours), random quiet hours, maybe a cap on texts and a plan."""
    steps = [{"day": draw(hst.integers(0, 40)), "channel": draw(hst.sampled_from(["sms", "letter", "email"])),
              "hour": draw(hst.sampled_from([None, 22.0]))}]
    for _ in range(draw(hst.integers(1, 2))):
        steps.append({"day": draw(hst.sampled_from([0, 10.25, 33.5, 60, 61.75])), "channel": "formal_demand",
                      "hour": draw(hst.sampled_from([None, None, 3.0, 12.0])),
                      "relative_to": draw(hst.sampled_from(["statement", "due_date"])),
                      "target": {"balance_min": draw(hst.sampled_from([0, 200]))}})
    quiet = draw(hst.sampled_from([[21, 8], [20, 9.5], [22, 0], [0, 7]]))
    limits = {"quiet_hours": quiet}
    if draw(hst.booleans()):
        limits["messages_per_7_days_max"] = draw(hst.sampled_from([0, 1, 2, 3]))
        if draw(hst.booleans()):  # Ley 21.320's: mail is counted (kept where it never holds the notice)
            limits["message_cap_channels"] = ["sms", "email", "letter", "formal_demand"]
    st = {"credit_terms_days": draw(hst.sampled_from([15, 30])), "statement_channel": "letter", "ladder": steps,
          "contact_limits": limits, "write_off": {"after_days": draw(hst.sampled_from([90, 200]))}}
    if draw(hst.booleans()):
        st["payment_plan"] = {"balance_min": 100, "offer_day": draw(hst.sampled_from([0, 20])), "uptake_rate": 0.5}
    elif draw(hst.booleans()):
        st["agency"] = {"placement_days": draw(hst.sampled_from([45, 80])), "balance_min": 25,
                        "notice_days_before": draw(hst.sampled_from([None, 2, 15]))}  # it waits for the moved notice
    return st, draw(hst.integers(0, 50))


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_notices())
def test_random_moved_notices_are_identical_on_both_engines(case):
    strategy, replication = case
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=1.5, warm_up_days=30, horizon_days=300,
                              billing_window_days=200, measurement_day=200, ar_window_days=60)
    data["operations"]["billing_team"]["billing_error_rate"] = 0.0
    data["finance"]["us_nonprofit"] = False
    data["strategies"] = {"random": {**strategy, "baseline": True}}
    sc = scenario_from_dict(data, "random notices")
    problems = capacity_free_problems(sc, "random", per_account=True)
    assert set(problems) <= {"a legally required notice the message cap may move",  # (both refusals keep it on SimPy)
                             "two delivered messages due at or before the statement (the engine delivers them "
                             "in the order it sent them, which may not be the ladder's)"}
    if problems:
        return
    pop = draw_population(sc, replication)
    assert assert_identical(sc, "random", pop) > 0.9
