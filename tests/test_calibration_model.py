"""The payment-timing model: sampler against its own CDF, density, gradient, and the time change's promises."""
import math

import numpy as np
import pytest
from scipy import integrate

from simlib.calibration.parameters import SPECS, PaymentTiming
from simlib.calibration.payment_timing import (Invoices, cdf, density, draw_latent, latent_generator,
                                               log_likelihood, log_likelihood_gradient, settle_days,
                                               survival)

TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     floor_per_day=0.002, due_date_jump_per_day=0.5, dispute_intensity_factor=0.3,
                     paper_intensity_factor=0.5, balance_elasticity=0.4, balance_ref=60.0)


def _invoices(n, seed=3, disputed=None, paper=None, amount=None):
    rng = np.random.default_rng(seed)
    return Invoices(np.full(n, 30.0),
                    rng.random(n) < 0.25 if disputed is None else np.full(n, disputed),
                    rng.random(n) < 0.5 if paper is None else np.full(n, paper),
                    rng.lognormal(4.1, 0.35, n) if amount is None else np.full(n, amount))


@pytest.mark.parametrize("disputed, paper, amount", [(False, False, 60.0), (True, False, 30.0), (True, True, 150.0)])
def test_sampler_follows_the_cdf(disputed, paper, amount):
    """Identical invoices: the sample ECDF stays within the DKW band of the model CDF (alpha = 0.001)."""
    n = 20_000
    inv = _invoices(n, disputed=disputed, paper=paper, amount=amount)
    e, u = draw_latent(latent_generator(7, 0, 1), n)
    t = np.sort(settle_days(TRUE, inv, e, u))
    grid = np.linspace(0.0, 150.0, 1501)
    model = cdf(TRUE, inv.take(np.zeros(len(grid), int)), grid)
    ecdf = np.searchsorted(t, grid, side="right") / n
    band = math.sqrt(math.log(2 / 0.001) / (2 * n))
    assert np.max(np.abs(ecdf - model)) < band


def test_density_integrates_to_the_cdf():
    inv = _invoices(4)
    for i in range(4):
        one = inv.take(np.array([i]))
        kinks = sorted({30.0, TRUE.dispute_delay_days * one.disputed[0] + TRUE.paper_delay_days * one.paper[0]})
        mass, _ = integrate.quad(lambda x: density(TRUE, one, x)[0], 0.0, 60.0, points=kinks, limit=200)
        assert mass == pytest.approx(cdf(TRUE, one, 60.0)[0], abs=1e-7)


def test_gradient_matches_finite_differences():
    inv = _invoices(3000)
    e, u = draw_latent(latent_generator(11, 0, 1), 3000)
    day = np.floor(settle_days(TRUE, inv, e, u))
    rng = np.random.default_rng(5)
    follow = np.floor(rng.uniform(0, 60, 3000))
    open_day = np.where(day > follow, follow, np.nan)
    day[~np.isnan(open_day)] = np.nan
    grad = log_likelihood_gradient(TRUE, inv, day, open_day)
    for name in SPECS:
        v = getattr(TRUE, name)
        h = 1e-6 * max(1.0, abs(v))
        up = log_likelihood(TRUE.replace(**{name: v + h}), inv, day, open_day)
        down = log_likelihood(TRUE.replace(**{name: v - h}), inv, day, open_day)
        assert grad[name] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-4), name


def test_likelihood_terms_are_interval_and_survival_probabilities():
    inv = _invoices(3)
    ll = log_likelihood(TRUE, inv, np.array([5.0, np.nan, 40.0]), np.array([np.nan, 12.0, np.nan]), per_invoice=True)
    s = lambda i, t: survival(TRUE, inv.take(np.array([i])), t)[0]  # noqa: E731
    assert ll[0] == pytest.approx(math.log(s(0, 5.0) - s(0, 6.0)))
    assert ll[1] == pytest.approx(math.log(s(1, 13.0)))       # open on day 12: not settled by day 13
    assert ll[2] == pytest.approx(math.log(s(2, 40.0) - s(2, 41.0)))


def test_no_decay_is_the_limit_of_slow_decay():
    inv = _invoices(50)
    t = np.linspace(0, 90, 50)
    assert np.allclose(cdf(TRUE.replace(decay_per_day=0.0), inv, t), cdf(TRUE.replace(decay_per_day=1e-12), inv, t))


def test_common_random_numbers_and_more_intensity_never_delays():
    inv = _invoices(5000)
    e, u = draw_latent(latent_generator(2, 0, 1), 5000)
    base = settle_days(TRUE, inv, e, u)
    assert np.array_equal(base, settle_days(TRUE, inv, e, u))
    for change in ({"initial_per_day": 0.2}, {"due_date_jump_per_day": 2.0}, {"floor_per_day": 0.01},
                   {"dispute_intensity_factor": 0.9}):
        faster = settle_days(TRUE.replace(**change), inv, e, u)
        assert np.all(faster <= base + 1e-9) and np.any(faster < base - 1e-6), change
    # More planners: only the accounts whose uniform lies between the two shares change type.
    more = settle_days(TRUE.replace(planner_share=0.9), inv, e, u)
    switched = (u >= 0.8) & (u < 0.9)
    assert np.array_equal(more[~switched], base[~switched]) and np.all(more[switched] != base[switched])
    planners = u < TRUE.planner_share
    later = settle_days(TRUE.replace(dispute_delay_days=12.0), inv, e, u)
    assert np.all(later[planners & inv.disputed] - base[planners & inv.disputed] == pytest.approx(4.0))
    assert np.array_equal(later[~inv.disputed], base[~inv.disputed])


def test_planners_pay_on_their_weibull_planned_day():
    inv = _invoices(3, disputed=True, paper=True)
    e = np.array([0.1, 1.0, 3.0])
    t = settle_days(TRUE, inv, e, np.zeros(3))
    scale = TRUE.planned_day_scale_of_terms * 30
    assert t == pytest.approx(8.0 + 4.5 + scale * e ** (1 / TRUE.planned_day_shape))


def test_prompted_payers_can_never_pay_without_a_floor():
    p = TRUE.replace(floor_per_day=0.0)
    inv = _invoices(1, disputed=False, paper=False, amount=60.0)
    total = (p.initial_per_day + p.due_date_jump_per_day) / p.decay_per_day
    t = settle_days(p, inv.take(np.zeros(2, int)), np.array([total * 0.999, total * 1.001]), np.ones(2))
    assert np.isfinite(t[0]) and np.isinf(t[1])
    assert survival(p, inv, 1e6)[0] == pytest.approx((1 - p.planner_share) * math.exp(-total))


def test_parameters_check_their_ranges():
    with pytest.raises(ValueError, match="planner_share: expected a share in"):
        TRUE.replace(planner_share=1.5).check()
    with pytest.raises(ValueError, match=r"due_date_jump_per_day: expected a number in \[0, 10\]"):
        TRUE.replace(due_date_jump_per_day=11.0).check()
    TRUE.check()
