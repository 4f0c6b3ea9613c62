"""Issue 9, item 7: charity care under a 501(r) financial assistance policy. Eligible balances are
adjusted as charity (a ledger kind of its own, in the conservation check), never as bad debt;
bad debt and charity are reported apart, as shares of net patient revenue."""
from __future__ import annotations

import numpy as np
import pytest

from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.levers.financial_assistance import FinancialAssistance, charity_rate, charity_rates
from simlib.model.metrics import compute
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from simlib.model.population import draw_population


def scenario(strategies: dict, finance: dict | None = None, ability_sigma: float = 0.8, seed: int = 5) -> dict:
    """Self-pay patients of $800 of varied ability who pay slowly; write-off at 120 days."""
    return {
        "name": "fap",
        "simulation": {"horizon_days": 500, "billing_window_days": 120, "encounters_per_day": 10,
                       "measurement_day": 300, "ar_window_days": 90, "seed": seed},
        "finance": finance or {},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": 800, "allowed_sigma": 0.0,
                                "patient_share": 1.0}},
        "patients": {"ability_sigma": ability_sigma, "propensity_sigma": 0.5},
        "behaviour": {"initial_per_day": 0.01},
        "operations": {"billing_team": {"billing_error_rate": 0.0}},
        "strategies": {name: {"statement_channel": "letter", "write_off": {"after_days": 120}, **st}
                       for name, st in strategies.items()},
    }


def run(data: dict):
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    out = {}
    for name in sc.strategies:
        res = World(sc, name, pop).run()       # World.run checks conservation, charity included
        out[name] = (res, compute(res, pop, sc)[0])
    return out, pop


def test_sliding_scale_from_the_ability_proxy():
    fap = FinancialAssistance(free_care_ability_max=60, discount_ability_max=100, discount_min_rate=0.4)
    assert charity_rate(fap, 59.99) == 1.0 and charity_rate(fap, 100.0) == 0.0
    assert charity_rate(fap, 60.0) == pytest.approx(1.0) and charity_rate(fap, 80.0) == pytest.approx(0.7)
    assert charity_rate(fap, 99.999) == pytest.approx(0.4, abs=1e-4)


@pytest.mark.parametrize("lo, hi", [(60, 100), (80, 80), (0, 250)])
def test_the_array_form_gives_every_patient_the_same_rate_to_the_bit(lo, hi):
    """charity_rates (what a world builds for all encounters at once) equals charity_rate, bit for
    bit, at the bounds, between them, on an empty scale (lo = hi) and for a missing ability (NaN,
    where the scale is not empty: there charity_rate divides by zero)."""
    fap = FinancialAssistance(free_care_ability_max=lo, discount_ability_max=hi, discount_min_rate=0.4)
    ability = np.concatenate([np.random.default_rng(7).uniform(-10, 300, 2000),
                              [lo, hi, np.nextafter(lo, -1), np.nextafter(hi, -1), 0.0] + ([np.nan] if lo < hi else [])])
    expected = np.array([charity_rate(fap, a) for a in ability.tolist()])
    np.testing.assert_array_equal(charity_rates(fap, ability), expected)


def test_presumptive_charity_is_booked_as_charity_and_never_as_bad_debt():
    out, pop = run(scenario({"s": {}}, {"financial_assistance": None}))
    res0, m0 = out["s"]
    data = scenario({"s": {}})
    out, _ = run(data)
    res1, m1 = out["s"]
    assert res0.ledger.total([Kind.CHARITY_CARE]) == 0 and m0["charity_care"] == 0
    assert m1["charity_care"] > 0 and m1["charity_care_share"] > 0.05
    bad_debt = [r.ledger.total([Kind.WRITE_OFF_BAD_DEBT]) for r in (res0, res1)]
    charity = res1.ledger.total([Kind.CHARITY_CARE])
    assert bad_debt[1] < bad_debt[0] - 0.6 * charity     # most charity would have been bad debt
    # charity is on the statement day and only for patients of low ability
    led = res1.ledger
    rows = led.kind == Kind.CHARITY_CARE
    i = led.receivable[rows] // 2
    assert (pop.ability_monthly[i] < 94.0).all()
    sc = scenario_from_dict(data)
    stmt = pop.bill_day + sc.operations.statement_lag_days
    assert np.allclose(led.day[rows], stmt[i])
    # free care: no bad debt on a balance forgiven in full
    free = np.zeros(2 * pop.n, bool)
    full = led.per_receivable([Kind.CHARITY_CARE], 2 * pop.n) == led.per_receivable([Kind.BILLED], 2 * pop.n)
    free[full & (np.arange(2 * pop.n) % 2 == 1)] = True
    assert free.any() and led.per_receivable([Kind.WRITE_OFF_BAD_DEBT], 2 * pop.n)[free].sum() == 0


def test_screening_before_write_off_turns_the_eligible_part_of_the_write_off_into_charity():
    out, pop = run(scenario({"presumptive": {}, "screened": {"fap_screening": "at_write_off"},
                             "none": {}}, {"financial_assistance": {"identification_rate": 1.0}}))
    res, m = out["screened"]
    led = res.ledger
    rows = led.kind == Kind.CHARITY_CARE
    assert rows.any()
    bd = led.kind == Kind.WRITE_OFF_BAD_DEBT
    # the screening is on the write-off day of the account, just before it
    bd_day = dict(zip(led.receivable[bd].tolist(), led.day[bd].tolist()))
    for r, d in zip(led.receivable[rows].tolist(), led.day[rows].tolist()):
        assert r not in bd_day or bd_day[r] == d
    # presumptive forgives earlier and more (patients do not pay down the eligible part first)
    assert out["presumptive"][1]["charity_care"] > m["charity_care"]


def test_payers_and_strategy_override_are_checked():
    with pytest.raises(ScenarioError, match="financial_assistance.payers"):
        scenario_from_dict(scenario({"s": {}}, {"financial_assistance": {"payers": ["nobody"]}}))
    with pytest.raises(ScenarioError, match="fap_screening"):
        scenario_from_dict(scenario({"s": {"fap_screening": "at_write_off"}}, {"financial_assistance": None}))
    with pytest.raises(ScenarioError, match="discount_ability_max"):
        scenario_from_dict(scenario({"s": {}}, {"financial_assistance": {"free_care_ability_max": 100,
                                                                         "discount_ability_max": 50}}))
