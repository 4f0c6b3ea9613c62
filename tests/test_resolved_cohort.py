"""Issue 9, item 8: every dollar resolved. Rates are measured on the billing-window cohort followed
to the horizon; what is still open is reported and its patient part projected unrecovered, so a
strategy that delays write-off past the horizon is not flattered."""
from __future__ import annotations

import pytest

from simlib.model.engine import World
from simlib.model.metrics import compute
from simlib.scenario.schema import scenario_from_dict
from simlib.model.population import draw_population


def test_a_later_write_off_does_not_lower_bad_debt():
    data = {
        "name": "late",
        "simulation": {"horizon_days": 400, "billing_window_days": 200, "encounters_per_day": 15,
                       "measurement_day": 300, "ar_window_days": 90, "seed": 3},
        "finance": {"financial_assistance": None},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": 600, "patient_share": 1.0}},
        "operations": {"billing_team": {"billing_error_rate": 0.0}},
        "strategies": {"write_off_180": {"write_off": {"after_days": 180}},
                       "write_off_never": {"write_off": {"after_days": 5000}}},
    }
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    m = {name: compute(World(sc, name, pop).run(), pop, sc)[0] for name in sc.strategies}
    early, late = m["write_off_180"], m["write_off_never"]
    # before: the late strategy showed no bad debt at all (nothing written off by the horizon)
    assert late["open_at_horizon_share"] > 0.1
    assert late["bad_debt_rate"] >= early["bad_debt_rate"] - (
        late["patient_collection_rate"] - early["patient_collection_rate"]) - 1e-9
    assert late["bad_debt_rate"] > 0.8 * early["bad_debt_rate"]
    # resolved + open add up: collected + bad debt (projected) = the patient dollars sought
    assert late["patient_collection_rate"] + late["bad_debt_rate"] == pytest.approx(1.0, abs=0.02)
