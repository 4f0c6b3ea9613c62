"""A payment plan beside a collection agency in NumPy (issue 27: simlib.model.vectorized_plans and
simlib.model.vectorized_agency) equals the SimPy engine account by account: both engines on one
population, every ledger row sorted canonically (receivable, day to the last bit, kind, cents),
every open balance and counter (tests.test_hybrid's assert_identical); seeded. A plan in good
standing defers the placement until it defaults: the placement then runs on the default's day, a
bad-debt one sending its final notice that day (moved by the quiet hours, some to the next day)
and waiting for it; a write-off deferred before the next attempt goes first. The shipped plan and
agencies (parameters/finance_levers.yaml), the search's (parameters/baseline.yaml) and random
settings (hypothesis)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.core.ledger import Kind
from simlib.model import hybrid
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_subset import capacity_free_problems
from simlib.scenario.schema import scenario_from_dict

from tests.test_hybrid import assert_identical
from tests.test_vectorized_agency import random_agency, random_scenario
from tests.test_vectorized_plans import random_plan

ROOT = Path(__file__).resolve().parents[1]
FINANCE = ROOT / "parameters" / "finance_levers.yaml"


def scenario():
    """finance_levers.yaml's agencies with its plan beside them (small; no US nonprofit rule, so a
    placement before day 120 is allowed)."""
    data = yaml.safe_load(FINANCE.read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=4.0, warm_up_days=60)
    data["finance"]["us_nonprofit"] = False
    st = data["strategies"]
    plan = st["payment_plans"]["payment_plan"]
    hard = {**plan, "miss_base_rate": 0.5, "uptake_rate": 0.7}  # many plans default after the placement day
    bad, early, letters = st["bad_debt_agency_120"], st["early_out_agency"], [{"day": 30, "channel": "letter"}]
    data["strategies"] = {
        "bad_debt_plan": {**bad, "payment_plan": plan},
        "early_out_plan": {**early, "payment_plan": plan},
        # the formal demand at day 90 stands down while the plan holds: the placement at its
        # default sends the hospital's notice and waits 30 days for it
        "bad_debt_defaults": {**bad, "payment_plan": hard},
        "early_out_defaults": {**early, "payment_plan": hard},
        # placed from day 40, when most plans still hold their account: the notice at the default in
        # the quiet hours goes out at 8 h, the same day or the next (then the placement waits again)
        "quiet_defaults": {**bad, "payment_plan": hard, "ladder": letters, "contact_limits": {"quiet_hours": [21, 8]},
                           "agency": {**bad["agency"], "placement_days": 40}},
        # letters at midnight every 30 days from day 60: the attempt 30 days after a notice sent on
        # a default's day falls at the instant of a letter; the placement (order 5) stops the letter
        "midnight_letters": {**bad, "payment_plan": hard, "agency": {**bad["agency"], "placement_days": 40},
                             "ladder": [{"day": d, "channel": "letter", "hour": 0} for d in range(60, 240, 30)],
                             "write_off": {"after_days": 300, "below_balance": 5}},
        # the plan offered after the first attempt (day 100) sent the notice: the write-off (day
        # 120) falls due before the next attempt (day 130); both wait for the default, in that order
        "write_off_first": {**bad, "ladder": letters, "payment_plan": {**hard, "offer_day": 105},
                            "agency": {**bad["agency"], "placement_days": 100},
                            "write_off": {"after_days": 120, "below_balance": 5}},
        # instalments every 20 days from day 20 of the statement: the placement at day 120 ties
        # with the sixth, to the last bit for about a third of the takers (the placement's order 5
        # goes first; the other order gives the same: a default hands the deferred placement back)
        "ties": {**early, "payment_plan": {**hard, "offer_day": 20, "month_days": 20},
                 "agency": {**early["agency"], "placement_days": 120}},
    }
    return scenario_from_dict(data, "plans beside agencies (small)")


def placed_after_default(sc, strategy, ledger) -> int:
    """Accounts the agency collected from whose plan ended later than the first placement
    attempt: a plan in good standing deferred their placement until it defaulted."""
    acct = (ledger.receivable - 1) // 2  # the patient balances' rows (odd receivables) name their encounter
    stated, plan = ledger.kind == Kind.COST_STATEMENT, ledger.kind == Kind.COST_PLAN_ADMIN
    statement = dict(zip(acct[stated].tolist(), ledger.day[stated].tolist()))
    plan_end = {}
    for i, day in zip(acct[plan].tolist(), ledger.day[plan].tolist()):
        plan_end[i] = max(day, plan_end.get(i, -np.inf))
    agency = set(acct[ledger.kind == Kind.PAYMENT_AGENCY].tolist())
    first = sc.strategies[strategy].agency.placement_days
    return sum(1 for i in agency & plan_end.keys() if plan_end[i] > statement[i] + first)


def ties(ledger, placement_days: float) -> int:
    """Accounts with an instalment due at the instant of the first placement attempt."""
    stated = ledger.kind == Kind.COST_STATEMENT
    statement = dict(zip(ledger.receivable[stated].tolist(), ledger.day[stated].tolist()))
    plan = ledger.kind == Kind.COST_PLAN_ADMIN
    return len({r for r, day in zip(ledger.receivable[plan].tolist(), ledger.day[plan].tolist())
                if day == statement[r] + placement_days})


@pytest.mark.parametrize("strategy", ["bad_debt_plan", "early_out_plan", "bad_debt_defaults", "early_out_defaults",
                                      "quiet_defaults", "midnight_letters", "write_off_first", "ties"])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_plan_beside_an_agency_equals_simpy(strategy, seed):
    sc = scenario()
    pop = draw_population(sc, seed)
    assert capacity_free_problems(sc, strategy, per_account=True) == []
    assert assert_identical(sc, strategy, pop) > 0.9  # all but the disputed accounts (billing_error_rate 0.06)
    result = World(sc, strategy, pop, hybrid=True).run()
    c = result.counters
    assert c["plans"] > 80 and c["plan_defaults"] > 20  # teeth
    assert (c["agency_placements"] == 0) if strategy == "write_off_first" else (c["agency_placements"] > 150)
    if strategy == "ties":
        assert ties(result.ledger, 120.0) > 20
    if strategy.startswith("early_out"):
        assert placed_after_default(sc, strategy, result.ledger) > (3 if strategy.endswith("plan") else 15)
    if strategy in ("bad_debt_plan", "bad_debt_defaults"):  # the notices at the defaults (the others had day 90's)
        assert c["eca_notices_sent"] > 10 and c["placements_deferred_for_notice"] >= c["eca_notices_sent"]
    if strategy == "quiet_defaults":
        assert c["notices_moved"] > 50 and c["placements_deferred_for_notice"] > c["eca_notices_sent"] + 10
    if strategy == "write_off_first":  # written off on the default's day (after day 120), never placed
        led = result.ledger
        statement = dict(zip(led.receivable[led.kind == Kind.COST_STATEMENT].tolist(),
                             led.day[led.kind == Kind.COST_STATEMENT].tolist()))
        late = [day > statement[r] + 121 for r, day in zip(led.receivable[led.kind == Kind.WRITE_OFF_BAD_DEBT].tolist(),
                                                            led.day[led.kind == Kind.WRITE_OFF_BAD_DEBT].tolist())]
        assert sum(late) > 20


def test_the_searchs_plan_and_agency_on_the_letters_equal_simpy():
    """baseline.yaml's search adds its plan and its bad-debt agency (day 150) to the letters and to
    the texts: the candidates that have both."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=60)
    add, st = data["search"]["add"], data["strategies"]
    data["strategies"] = {name: {**{k: v for k, v in st[name].items() if k != "baseline"}, **add}
                          for name in ("letters_only", "sms_reminders")}
    data.pop("search")
    data.pop("uncertain", None)
    sc = scenario_from_dict(data, "the search's plan and agency (small)")
    for seed in (3, 4):
        pop = draw_population(sc, seed)
        for name in sc.strategies:
            assert assert_identical(sc, name, pop) > 0.9, name
            c = World(sc, name, pop, hybrid=True).run().counters
            assert c["plans"] > 30 and c["plan_defaults"] > 3 and c["agency_placements"] > 50, name


def test_a_plan_beside_an_agency_is_the_same_in_blocks_of_seven_accounts(monkeypatch):
    """The hybrid runs its NumPy accounts in blocks (simlib.model.population_rows): the defaults'
    columns read each block's own encounters."""
    sc = scenario()
    pop = draw_population(sc, 3)
    monkeypatch.setattr(hybrid, "BLOCK_ACCOUNTS", 7)
    assert assert_identical(sc, "quiet_defaults", pop) > 0.9


@hst.composite
def random_plan_and_agency(draw):
    """tests.test_vectorized_agency's random strategy and agency with a random plan of
    tests.test_vectorized_plans' beside it (a bad-debt placement waits at least a day for its
    notice: with no wait it stays on SimPy)."""
    strategy, behaviour, error_rate, replication, notice_delivery_days = draw(random_agency())
    strategy["payment_plan"] = draw(random_plan())[0]
    if strategy["agency"]["notice_days_before"] == 0:
        strategy["agency"]["notice_days_before"] = draw(hst.sampled_from([2, 30]))
    return strategy, behaviour, error_rate, replication, notice_delivery_days


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_plan_and_agency())
def test_random_plans_beside_random_agencies_are_identical_on_both_engines(case):
    sc, replication = random_scenario(case, "random plan and agency")
    assert capacity_free_problems(sc, "random", per_account=True) == []
    assert_identical(sc, "random", draw_population(sc, replication))
