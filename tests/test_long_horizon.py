"""Issue 20, item 5: horizons long enough for an account's whole life, so the model's autonomous
account value is reproduced in the model's own time unit (days), without rescaling time.

The account: the Chehrazi–Glynn–Weber reference intensity (λ∞ = 0.1, κ = 0.7, λ₀ = 2 per year,
expressed per day as in tests/test_payment_model.py), a $1,000 bill paid in full at the first
payment, no contacts. Its first payment time τ has the closed form
P(τ > t) = exp(−Λ(t)), Λ(t) = λ∞ t + (λ₀ − λ∞)(1 − e^{−κt}) ÷ κ, so
mean τ = ∫₀^∞ e^{−Λ(t)} dt and the account value at a discount ρ per day is
$1,000 × ∫₀^∞ λ(t) e^{−Λ(t) − ρt} dt (scipy's quad, independent of the simulation). The floor
keeps paying for decades: 2.4 % of accounts are still unpaid after ten years (the old cap of the
horizon). Measured (20,000 accounts, seed 11; tolerance 3 Monte Carlo standard errors; ≈ 10 s):
over a century, mean 454.1 ± 9.5 days (closed form 451.6) and value $927.28 ± 0.93 (closed form
$927.32); over ten years the value is $921.33 ± 1.15, 5 standard errors short.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from simlib.core.ledger import Kind
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict
from simlib.scenario.size_limits import HORIZON_DAYS_MAX

N = 20_000
LAM_INF, KAPPA, LAM0 = 0.1 / 365, 0.7 / 365, 2.0 / 365
RHO = 0.08 / 365  # discount per day (8 % a year, continuous)
BILL = 1000.0


def _big_lambda(t: float) -> float:
    return LAM_INF * t + (LAM0 - LAM_INF) * (1.0 - math.exp(-KAPPA * t)) / KAPPA


def _closed_form() -> tuple[float, float]:
    """Mean days to payment and the discounted value of one account (USD)."""
    mean_days = integrate.quad(lambda t: math.exp(-_big_lambda(t)), 0.0, math.inf, limit=200)[0]
    value = integrate.quad(lambda t: (LAM_INF + (LAM0 - LAM_INF) * math.exp(-KAPPA * t))
                           * math.exp(-_big_lambda(t) - RHO * t), 0.0, math.inf, limit=200)[0]
    return mean_days, BILL * value


def _payment_days(horizon_days: float) -> np.ndarray:
    """Day of each account's (full) payment, ``inf`` when unpaid at the horizon."""
    sc = scenario_from_dict({
        "name": "autonomous account",
        "finance": {"us_nonprofit": False},  # no financial assistance: the bill is owed whole
        "simulation": {"horizon_days": horizon_days, "billing_window_days": 10, "encounters_per_day": 0,
                       "open_book_accounts": N, "open_book_age_days_max": 0, "measurement_day": 300,
                       "ar_window_days": 90, "seed": 11},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": BILL, "allowed_sigma": 0.0, "patient_share": 1.0}},
        "patients": {"propensity_sigma": 0.0, "contact_propensity_correlation": 1.0},
        "behaviour": {"initial_per_day": LAM0, "floor_per_day": LAM_INF, "decay_per_day": KAPPA,
                      "balance_elasticity": 0.0, "full_payment": "always", "due_date_jump_per_day": 0.0,
                      "unreached_statement_share": 1.0, "contact_age_decay_days": None},
        "operations": {"statement_lag_days": 0, "billing_team": {"billing_error_rate": 0.0}},
        "channels": {"bill": {"cost": 0.0, "reach": 1.0, "jump_per_day": 0.0}},
        "strategies": {"autonomous": {"statement_channel": "bill", "write_off": {"after_days": horizon_days}}},
    })
    pop = draw_population(sc, 0)
    led = World(sc, "autonomous", pop).run().ledger
    rows = led.kind == Kind.PAYMENT_PATIENT
    days = np.full(N, np.inf)
    np.minimum.at(days, (led.receivable[rows] - 1) // 2, led.day[rows])
    assert np.all(np.abs(np.bincount((led.receivable[rows] - 1) // 2, led.amount[rows], minlength=N)[np.isfinite(days)]
                         - BILL * 100) < 1)  # paid in full, once
    return days


@pytest.mark.slow
def test_the_autonomous_account_value_is_reproduced_on_a_horizon_of_a_century():
    mean_days, value = _closed_form()
    days = _payment_days(HORIZON_DAYS_MAX)
    assert np.isfinite(days).mean() > 0.9999  # a century: every account's life
    paid = days[np.isfinite(days)]
    se_days = paid.std(ddof=1) / math.sqrt(N)
    assert abs(paid.mean() - mean_days) < 3 * se_days, (paid.mean(), mean_days, se_days)
    pv = np.where(np.isfinite(days), BILL * np.exp(-RHO * np.where(np.isfinite(days), days, 0.0)), 0.0)
    se_value = pv.std(ddof=1) / math.sqrt(N)
    assert abs(pv.mean() - value) < 3 * se_value, (pv.mean(), value, se_value)


@pytest.mark.slow
def test_ten_years_were_not_enough():
    """At the old cap (3,650 days) the unpaid share is the closed form's e^{−Λ(3650)} ≈ 2.4 %
    (within 3 binomial standard errors), so the account value falls short of the whole life's by
    more than 3 standard errors, and so does the mean time to pay of the paid accounts."""
    mean_days, value = _closed_form()
    days = _payment_days(3650.0)
    unpaid = math.exp(-_big_lambda(3650.0))
    assert abs((~np.isfinite(days)).mean() - unpaid) < 3 * math.sqrt(unpaid * (1 - unpaid) / N)
    paid = days[np.isfinite(days)]
    assert paid.mean() < mean_days - 3 * paid.std(ddof=1) / math.sqrt(N)
    pv = np.where(np.isfinite(days), BILL * np.exp(-RHO * np.where(np.isfinite(days), days, 0.0)), 0.0)
    assert pv.mean() < value - 3 * pv.std(ddof=1) / math.sqrt(N)
