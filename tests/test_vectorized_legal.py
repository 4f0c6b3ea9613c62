"""Legal action in the NumPy model (simlib.model.vectorized_legal, issue 27): France's injonction de
payer runs in NumPy on the hybrid engine, identical to pure SimPy (ledger rows to the last bit,
counters, open balances) — the shipped strategy and variants: no formal demand in the ladder (the
lever sends its own and waits), a demand too recent (the filing waits), a later demand that puts it
off again, a case that always or never pays, ends after the horizon; quiet hours keep it on SimPy.
Seeded."""
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
SHIPPED = yaml.safe_load((ROOT / "parameters" / "france_clinic.yaml").read_text(encoding="utf-8"))["strategies"][
    "injonction_de_payer"]
LEGAL = SHIPPED["legal_action"]


def _scenario(strategies: dict, encounters_per_day: float = 3.0):
    return variants("france_clinic", "injonction_de_payer", strategies, encounters_per_day)


STRATEGIES = {
    "shipped": {},
    "own_notice": {"ladder": [{"day": 30, "channel": "letter"}, {"day": 60, "channel": "sms"}]},
    "recent_demand_then_another": {
        "ladder": [{"day": 110, "channel": "formal_demand", "hour": None},
                   {"day": 122.5, "channel": "formal_demand"}, {"day": 150, "channel": "letter"}]},
    "always_paid_costly": {"legal_action": {**LEGAL, "success_rate": 1.0, "filing_fee": 35, "enforcement_fee_rate": 0.1,
                                            "costs_recovered_rate": 0.5, "balance_min": 0}},
    "never_paid_long_case": {"legal_action": {**LEGAL, "success_rate": 0.0, "filing_days": 200, "enforcement_days": 400}},
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_legal_action_runs_in_numpy_identically(name):
    sc = _scenario(STRATEGIES)
    pop = draw_population(sc, 4)
    share = assert_identical(sc, name, pop)
    counters = World(sc, name, pop, hybrid=True).run().counters
    assert share > 0.9 and counters["legal_filings"] > 30  # teeth
    if name in ("own_notice", "recent_demand_then_another"):
        assert counters["legal_filings_deferred_for_notice"] > 30
    if name == "own_notice":
        assert counters["legal_notices_sent"] > 30


def test_quiet_hours_keep_legal_action_on_simpy():
    sc = _scenario({"quiet": {"contact_limits": {"quiet_hours": [20, 8]}}})
    pop = draw_population(sc, 1)
    assert World(sc, "quiet", pop, hybrid=True).numpy_accounts is None


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(filing=hst.sampled_from([61, 90.5, 120]), wait=hst.sampled_from([0, 15, 40]),
       demand=hst.sampled_from([None, 50, 100, 118]), rate=hst.sampled_from([0.0, 0.5, 1.0]),
       floor=hst.sampled_from([0, 300]), seed=hst.integers(0, 30))
def test_random_legal_actions_are_identical(filing, wait, demand, rate, floor, seed):
    ladder = [{"day": 20, "channel": "letter"}]
    if demand is not None:
        ladder.append({"day": demand, "channel": "formal_demand"})
    cfg = {**LEGAL, "filing_days": filing, "notice_days_before": wait, "success_rate": rate, "balance_min": floor}
    sc = _scenario({"random": {"legal_action": cfg, "ladder": ladder}}, encounters_per_day=1.5)
    assert_identical(sc, "random", draw_population(sc, seed))
