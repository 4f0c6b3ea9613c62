"""The dispute delay's shape (issue 25 item 5): a disputed invoice's planner delay is lognormal with
mean ``dispute_delay_days`` and log-scale sd ``dispute_delay_log_sd`` (0: the constant delay).

Checked like the model's other parameters (tests/test_calibration_model.py): the density integrates
to the CDF, the sampler follows the CDF (DKW band), the analytic gradient matches finite
differences, the constant delay is the limit of a vanishing spread, and a fit recovers the shape
from a synthetic history drawn with it. Seeded.
"""
import math

import numpy as np
import pytest
from scipy import integrate

from simlib.calibration.fit import fit
from simlib.calibration.history import read_history
from simlib.calibration.parameters import SPECS, PaymentTiming
from simlib.calibration.payment_timing import (Invoices, account_delay_days, cdf, density, draw_delay_normal,
                                               draw_latent, latent_generator, log_likelihood,
                                               log_likelihood_gradient, settle_days)
from simlib.calibration.synthetic import synthetic_history

SHAPED = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                       dispute_delay_days=10.0, dispute_delay_log_sd=0.6, paper_delay_days=4.5,
                       initial_per_day=0.08, decay_per_day=0.05, floor_per_day=0.0, due_date_jump_per_day=0.5,
                       dispute_intensity_factor=0.3, paper_intensity_factor=0.5, balance_elasticity=0.4,
                       balance_ref=60.0)


def _invoices(n, seed=3, disputed=None, paper=None):
    """Random flags and amounts, or ``n`` identical invoices when the flags are given."""
    rng = np.random.default_rng(seed)
    if disputed is not None:
        return Invoices(np.full(n, 30.0), np.full(n, disputed), np.full(n, paper), np.full(n, 60.0))
    return Invoices(np.full(n, 30.0), rng.random(n) < 0.3, rng.random(n) < 0.5, rng.lognormal(4.1, 0.35, n))


def _latent(seed, n):
    rng = latent_generator(seed, 0, 1)
    e, u = draw_latent(rng, n)
    return e, u, draw_delay_normal(rng, n)


def test_density_integrates_to_the_cdf():
    q_delays = sorted(set(np.round(SHAPED.dispute_delay_days * np.exp(
        SHAPED.dispute_delay_log_sd * np.polynomial.hermite_e.hermegauss(40)[0] - 0.18), 6)))
    inv = Invoices(np.full(2, 30.0), np.ones(2, bool), np.array([False, True]), np.array([30.0, 150.0]))
    for i in range(2):
        one = inv.take(np.array([i]))
        kinks = [d + SHAPED.paper_delay_days * one.paper[0] for d in q_delays if d < 90] + [30.0]
        mass, _ = integrate.quad(lambda x: density(SHAPED, one, x)[0], 0.0, 90.0, points=sorted(kinks), limit=500)
        assert mass == pytest.approx(cdf(SHAPED, one, 90.0)[0], abs=1e-6)


@pytest.mark.parametrize("paper", [False, True])
def test_sampler_follows_the_cdf(paper):
    """Disputed invoices: the sample ECDF of 20,000 draws stays within the DKW band of the model's
    CDF (alpha = 0.001, ±0.0138); the CDF averages the delay by 40-node quadrature, the sampler
    draws it, so the band also bounds the quadrature's error."""
    n = 20_000
    inv = _invoices(n, disputed=True, paper=paper)
    e, u, z = _latent(7, n)
    t = np.sort(settle_days(SHAPED, inv, e, u, z))
    grid = np.linspace(0.0, 150.0, 1501)
    model = cdf(SHAPED, inv.take(np.zeros(len(grid), int)), grid)
    ecdf = np.searchsorted(t, grid, side="right") / n
    assert np.max(np.abs(ecdf - model)) < math.sqrt(math.log(2 / 0.001) / (2 * n))
    # the mean delay is dispute_delay_days whatever the spread
    delays = account_delay_days(SHAPED, inv, z) - SHAPED.paper_delay_days * paper
    assert delays.mean() == pytest.approx(SHAPED.dispute_delay_days, rel=3 * 0.64 / math.sqrt(n))


def test_gradient_matches_finite_differences():
    n = 3000
    inv = _invoices(n)
    e, u, z = _latent(11, n)
    day = np.floor(settle_days(SHAPED, inv, e, u, z))
    follow = np.floor(np.random.default_rng(5).uniform(0, 60, n))
    open_day = np.where(day > follow, follow, np.nan)
    day[~np.isnan(open_day)] = np.nan
    grad = log_likelihood_gradient(SHAPED, inv, day, open_day)
    assert set(grad) == set(SPECS)
    for name in SPECS:
        v = getattr(SHAPED, name)
        h = 1e-6 * max(1.0, abs(v))
        up = log_likelihood(SHAPED.replace(**{name: v + h}), inv, day, open_day)
        down = log_likelihood(SHAPED.replace(**{name: v - h}), inv, day, open_day)
        assert grad[name] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-4), name


def test_the_constant_delay_is_the_limit_of_no_spread():
    inv = _invoices(400)
    t = np.linspace(0.0, 90.0, 400)
    constant = SHAPED.replace(dispute_delay_log_sd=0.0)
    assert np.allclose(cdf(constant, inv, t), cdf(SHAPED.replace(dispute_delay_log_sd=1e-7), inv, t), atol=1e-6)
    # a spread moves disputed invoices only
    moved = ~np.isclose(cdf(constant, inv, t), cdf(SHAPED, inv, t), atol=1e-9)
    assert moved.any() and not moved[~inv.disputed].any()
    # and without it, the sampler needs no normal draw and places a planner exactly at the old day
    e, u, _ = _latent(2, 400)
    assert np.array_equal(settle_days(constant, inv, e, u), settle_days(constant, inv, e, u, np.ones(400)))
    with pytest.raises(ValueError, match="dispute_delay_log_sd"):
        settle_days(SHAPED, inv, e, u)


def test_fit_recovers_the_shape_from_a_synthetic_history(tmp_path):
    """3,000 invoices drawn with a lognormal delay (mean 10 days, log-sd 0.6), the planners' six
    parameters fitted (the prompted payers' held at the truth, to keep the test short): each lies
    within 4 standard errors of the truth, and the shape beats the constant delay by a likelihood
    ratio far above the boundary test's 2.71."""
    table = synthetic_history(SHAPED, 3000, seed=4, disputed_share=0.3)
    path = tmp_path / "shaped.csv"
    table.to_csv(path, index=False)
    history = read_history(path)
    free = ("planner_share", "planned_day_scale_of_terms", "planned_day_shape", "dispute_delay_days",
            "dispute_delay_log_sd", "paper_delay_days")
    held = {n: getattr(SHAPED, n) for n in SPECS if n not in free}
    shaped = fit(history, free=free, fixed=held, balance_ref=60.0)
    assert shaped.optimiser["converged"]
    for name in free:
        lo, hi = (SPECS[name].to_free(v) for v in shaped.confidence_95[name])
        se = (hi - lo) / (2 * 1.959963984540054)
        assert abs(SPECS[name].to_free(getattr(shaped.timing, name)) - SPECS[name].to_free(getattr(SHAPED, name))) \
            < 4 * se, name
    constant = fit(history, free=free[:4] + free[5:], fixed={**held, "dispute_delay_log_sd": 0.0}, balance_ref=60.0)
    assert 2 * (shaped.log_likelihood - constant.log_likelihood) > 2.71


def test_a_fitted_file_from_before_the_shape_reads_as_the_constant_delay(tmp_path):
    import yaml

    from simlib.calibration.fitted_file import load_fitted
    values = SHAPED.as_dict()
    values.pop("dispute_delay_log_sd")
    path = tmp_path / "old_fitted.yaml"
    path.write_text(yaml.safe_dump({"behaviour": {"payment_timing": values}}))
    assert load_fitted(path).timing == SHAPED.replace(dispute_delay_log_sd=0.0)
