"""Issue 22 item 5: a reference for the optimum. The account model configured as in
Chehrazi–Glynn–Weber (one account type, no capacities, the hospital's estimate of the intensity
exact), the optimal value and frontier computed by value iteration on a (λ, w) grid
(tests/cgw_reference.py, independent of simlib), and the simulated barrier policy on that
frontier reaching the optimal value within Monte Carlo error, while the best periodic calendar of
no more expected cost falls short (paired on the same patients).

Parameters (tests/cgw_reference.py ``Account`` with cost $40): balance $1,000 on levels $1,000 /
$500 / $250 (full payment with probability min(1, $300 ÷ w), otherwise half), λ₀ 0.03/day, κ 0.03,
payment jumps 0.01 + 0.02 R, contact jump 0.01 at $40, discount 0.001/day; 4,000 accounts, seed 7,
horizon 3,000 days. Tolerance: 3 Monte Carlo standard errors plus $1 of grid error (the grid at dt
0.1 and 0.05 days agree within $0.03: $817.98 and $817.96). Run time ≈ 20–30 s."""
from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cgw_reference import Account, solve, value_at  # noqa: E402

from simlib.core.ledger import Kind  # noqa: E402
from simlib.model.engine import World  # noqa: E402
from simlib.model.population import draw_population  # noqa: E402
from simlib.scenario.schema import scenario_from_dict  # noqa: E402

ACCOUNT = replace(Account(), cost=40.0, lam0=0.03)
N, HORIZON = 4000, 3000.0


def scenario(strategies: dict) -> dict:
    a = ACCOUNT
    return {
        "name": "cgw reference",
        "simulation": {"horizon_days": HORIZON, "billing_window_days": 10, "encounters_per_day": 0,
                       "open_book_accounts": N, "open_book_age_days_max": 0, "measurement_day": 300,
                       "ar_window_days": 90, "seed": 7},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": a.w0, "allowed_sigma": 0.0, "patient_share": 1.0}},
        "patients": {"ability_monthly_median": a.full_ability / 3.0, "ability_sigma": 0.0, "propensity_sigma": 0.0,
                     "contact_propensity_correlation": 1.0},
        "behaviour": {"initial_per_day": a.lam0, "decay_per_day": a.kappa, "floor_per_day": 0.0,
                      "balance_elasticity": 0.0, "full_payment": "ability", "full_payment_months": 3.0,
                      "partial_fraction_min": 0.5, "partial_fraction_max": 0.5,
                      "payment_jump_base_per_day": a.jump_base, "payment_jump_fraction_per_day": a.jump_fraction,
                      "due_date_jump_per_day": 0.0, "unreached_statement_share": 1.0,
                      "contact_fatigue_per_contact": 1.0, "contact_age_decay_days": None},
        "operations": {"statement_lag_days": 0, "billing_team": {"billing_error_rate": 0.0}},
        "channels": {"bill": {"cost": 0.0, "reach": 1.0, "jump_per_day": 0.0},
                     "notice": {"cost": a.cost, "reach": 1.0, "jump_per_day": a.delta}},
        "strategies": {name: {"statement_channel": "bill", "write_off": {"after_days": 3600}, **st}
                       for name, st in strategies.items()},
    }


def discounted(res) -> tuple[np.ndarray, np.ndarray]:
    """Per account: discounted collections and discounted contact costs (USD)."""
    led = res.ledger
    pv = np.exp(-ACCOUNT.rho * led.day) * led.amount / 100.0
    acct = (led.receivable - 1) // 2
    paid = np.bincount(acct[led.kind == Kind.PAYMENT_PATIENT], pv[led.kind == Kind.PAYMENT_PATIENT], minlength=N)
    cost = np.bincount(acct[led.kind == Kind.COST_CONTACT], pv[led.kind == Kind.COST_CONTACT], minlength=N)
    return paid, cost


def calendar(first: float, period: float) -> list:
    """Contacts every `period` days from day `first` (at most 100 steps: a ladder's limit)."""
    return [{"day": d, "channel": "notice", "hour": None} for d in np.arange(first, HORIZON, period).tolist()[:100]]


@pytest.mark.slow
def test_the_barrier_policy_on_the_computed_frontier_reaches_the_optimum_and_beats_calendars():
    asc, values, frontier = solve(ACCOUNT, dt=0.1)
    optimum = value_at(ACCOUNT, asc, values, ACCOUNT.lam0)
    points = [[ACCOUNT.w0 / 2 ** j, frontier[j]] for j in reversed(range(ACCOUNT.levels))]
    assert [round(b, 4) for b in frontier] == [0.0129, 0.0056, 0.0018]   # rises with the balance
    strategies = {"barrier": {"barrier_policy": {"channel": "notice", "barrier_per_day": 0.0, "frontier": points,
                                                 "min_gap_days": 0.01, "max_actions_per_account": 1000}}}
    grid = [(f, p) for p in (15.0, 25.0, 40.0, 60.0, 90.0) for f in (10.0, 30.0, 60.0)]
    for f, p in grid:
        strategies[f"every_{p:g}_from_{f:g}"] = {"ladder": calendar(f, p)}
    sc = scenario_from_dict(scenario(strategies), "cgw")
    pop = draw_population(sc, 0)
    net = {}
    for name in sc.strategies:
        paid, cost = discounted(World(sc, name, pop).run())
        net[name] = (paid - cost, cost.mean())
    value, cost_b = net["barrier"][0], net["barrier"][1]
    se = value.std(ddof=1) / math.sqrt(N)
    assert abs(value.mean() - optimum) < 3 * se + 1.0, (value.mean(), optimum, se)
    affordable = {k: v for k, v in net.items() if k != "barrier" and v[1] <= cost_b * 1.1}
    assert affordable, {k: round(v[1], 2) for k, v in net.items()}
    best = max(affordable, key=lambda k: affordable[k][0].mean())
    diff = value - affordable[best][0]
    assert diff.mean() > 3 * diff.std(ddof=1) / math.sqrt(N), (best, diff.mean())
    # no calendar at all, at any cost, beats the optimum beyond Monte Carlo error
    for name, (v, _) in net.items():
        assert v.mean() < optimum + 3 * v.std(ddof=1) / math.sqrt(N) + 1.0, name
