"""Recovery by the public accountant in the NumPy model (simlib.model.vectorized_accountant, issue 27):
a French public hospital's reminder, formal demand, garnishment and the garnishee's payment run in
NumPy on the hybrid engine, identical to pure SimPy (ledger rows to the last bit, counters, open
balances) — the shipped strategies and variants that exercise what a hold stops (the hospital's
letters and their deliveries, a due date after the demand, a discount), no reminder, an employer as
garnishee, a garnishment that always or never pays; quiet hours and a hold that may reach the
write-off keep the strategy on SimPy. Seeded."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.model.engine import World
from simlib.model.population import draw_population

from test_hybrid import assert_identical, variants

ROOT = Path(__file__).resolve().parents[1]


def _scenario(strategies: dict, encounters_per_day: float = 3.0):
    return variants("france_public_hospital", "comptable_public", strategies, encounters_per_day)


ACCOUNTANT = yaml.safe_load((ROOT / "parameters" / "france_public_hospital.yaml").read_text(encoding="utf-8"))[
    "strategies"]["comptable_public"]["public_accountant"]
STRATEGIES = {
    "shipped": {},
    "letters_held_back": {"ladder": [{"day": 30, "channel": "letter"}, {"day": 95, "channel": "sms"},
                                     {"day": 100, "channel": "formal_demand", "hour": None},
                                     {"day": 130, "channel": "letter"}]},
    "due_after_the_demand": {"credit_terms_days": 120,
                             "prompt_pay_discount": {"rate": 0.05, "window_days": 100}},
    "no_reminder_employer": {"public_accountant": {**ACCOUNTANT, "reminder_days": None, "garnishee": "employer",
                                                   "seizure_success_rate": 1.0, "cost_per_seizure": 0}},
    "never_paid_late_demand": {"public_accountant": {**ACCOUNTANT, "demand_days": 200, "reminder_days": 120,
                                                     "seizure_success_rate": 0.0, "payment_days": 0,
                                                     "balance_min": 400}},
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_the_public_accountant_runs_in_numpy_identically(name):
    sc = _scenario(STRATEGIES)
    pop = draw_population(sc, 3)
    share = assert_identical(sc, name, pop)
    counters = World(sc, name, pop, hybrid=True).run().counters
    assert share > 0.9 and counters["accountant_demands"] > 50 and counters["accountant_seizures"] > 20  # teeth
    if name == "letters_held_back":  # the text on day 95 stands down: the accountant holds them all
        assert counters["contacts_sms"] == 0 and counters["contacts_letter"] > 100


@pytest.mark.parametrize("extra", [
    {"contact_limits": {"quiet_hours": [20, 8]}},
    {"write_off": {"after_days": 150}},
])
def test_what_the_numpy_form_cannot_hold_stays_on_simpy(extra):
    sc = _scenario({"kept": extra})
    pop = draw_population(sc, 1)
    assert World(sc, "kept", pop, hybrid=True).numpy_accounts is None
    assert_identical(sc, "kept", pop)


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(reminder=hst.sampled_from([None, 20, 45.5]), demand=hst.sampled_from([60, 90, 150]),
       wait=hst.sampled_from([30, 47.25]), pay=hst.sampled_from([0, 30]), rate=hst.sampled_from([0.0, 0.6, 1.0]),
       terms=hst.sampled_from([30, 100]), seed=hst.integers(0, 30))
def test_random_public_accountants_are_identical(reminder, demand, wait, pay, rate, terms, seed):
    cfg = {**ACCOUNTANT, "reminder_days": reminder, "demand_days": demand, "seizure_days_after_demand": wait,
           "payment_days": pay, "seizure_success_rate": rate}
    sc = _scenario({"random": {"public_accountant": cfg, "credit_terms_days": terms,
                               "ladder": [{"day": 10, "channel": "sms"}, {"day": demand + 5, "channel": "letter"}]}},
                   encounters_per_day=1.5)
    assert_identical(sc, "random", draw_population(sc, seed))
