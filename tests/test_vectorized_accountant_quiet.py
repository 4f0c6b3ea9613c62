"""The public accountant's formal demand under quiet hours in the NumPy model
(simlib.model.vectorized_accountant): the demand the quiet hours hold back moves with the take-over to
their end, the garnishment counted from there — identical to pure SimPy (every ledger row, cent and
day, open balance, counter and metric).

The strategy stays on SimPy where the scenario may raise disputes (``accountant_problems``: a
dispute's shift moves the demand to another hour, which the disputes' own check does not see; the
caller, simlib.model.vectorized_subset, says so where the billing error rate is above 0, their only
source): these tests run France's public hospital without billing errors. Seeded, and random
accountants, quiet hours and ladders (hypothesis, derandomized)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model import vectorized_subset
from simlib.model.engine import World
from simlib.model.population import draw_population

from test_hybrid import assert_identical, variants
from test_vectorized_accountant import ACCOUNTANT

NO_DISPUTES = {"billing_team": {"billing_error_rate": 0.0}}


def _scenario(strategies: dict, encounters_per_day: float = 3.0, disputes: bool = False):
    return variants("france_public_hospital", "comptable_public", strategies, encounters_per_day,
                    operations=None if disputes else NO_DISPUTES)


STRATEGIES = {
    "quiet_20_8": {"contact_limits": {"quiet_hours": [20, 8]}},
    "quiet_22_7_letters": {"contact_limits": {"quiet_hours": [22, 7]},
                           "ladder": [{"day": 30, "channel": "letter"}, {"day": 90, "channel": "sms", "hour": None},
                                      {"day": 91, "channel": "letter", "hour": None}]},
    "quiet_employer_no_reminder": {"contact_limits": {"quiet_hours": [19, 9]},
                                   "public_accountant": {**ACCOUNTANT, "reminder_days": None,
                                                         "garnishee": "employer", "seizure_success_rate": 1.0}},
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_demand_the_quiet_hours_move_runs_in_numpy_identically(name):
    sc = _scenario(STRATEGIES)
    pop = draw_population(sc, 2)
    share = assert_identical(sc, name, pop)
    c = World(sc, name, pop, hybrid=True).run().counters
    # teeth: all in NumPy, many demands moved, each sent and taken over
    assert share == 1.0 and c["moved_formal_demand"] > 50 and c["accountant_seizures"] > 20
    assert c["contacts_formal_demand"] >= c["accountant_demands"] > c["moved_formal_demand"]


def test_quiet_hours_stay_on_simpy_where_disputes_may_shift_the_demand():
    sc = _scenario({"kept": STRATEGIES["quiet_20_8"]}, disputes=True)  # France's 4 % billing errors
    assert any("disputes may shift" in p for p in vectorized_subset.capacity_free_problems(sc, "kept", True))
    pop = draw_population(sc, 1)
    assert World(sc, "kept", pop, hybrid=True).numpy_accounts is None


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(reminder=hst.sampled_from([None, 20, 45.5]), demand=hst.sampled_from([60, 90.25, 150]),
       wait=hst.sampled_from([30, 47.25]), pay=hst.sampled_from([0, 30]), rate=hst.sampled_from([0.0, 0.6, 1.0]),
       quiet=hst.sampled_from([(20, 8), (21, 7.5), (18, 9), (23, 1)]), terms=hst.sampled_from([30, 100]),
       seed=hst.integers(0, 30))
def test_random_public_accountants_under_quiet_hours_are_identical(reminder, demand, wait, pay, rate, quiet, terms,
                                                                   seed):
    cfg = {**ACCOUNTANT, "reminder_days": reminder, "demand_days": demand, "seizure_days_after_demand": wait,
           "payment_days": pay, "seizure_success_rate": rate}
    sc = _scenario({"random": {"public_accountant": cfg, "credit_terms_days": terms,
                               "contact_limits": {"quiet_hours": list(quiet)},
                               "ladder": [{"day": 10, "channel": "sms", "hour": None},
                                          {"day": demand, "channel": "letter", "hour": None},
                                          {"day": demand + 0.5, "channel": "email", "hour": None}]}},
                   encounters_per_day=1.5)
    assert assert_identical(sc, "random", draw_population(sc, seed)) == 1.0
