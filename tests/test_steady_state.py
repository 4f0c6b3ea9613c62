"""Issue 20, item 1: a warm-up before day 0 leaves a book whose aging is stationary and a status
quo whose cash flows have no trend, and everything before day 0 stays out of the metrics.

Statistical tests, seeded (the calibrated hospital, scaled to 12 encounters a day, seed 20261123);
each also runs the cold start (no warm-up) to show the test can fail."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from simlib.core.metric_catalogue import AGING_BUCKETS
from simlib.model import measurement_window as mw
from simlib.model.engine import World
from simlib.model.metrics import compute, open_at, receivable_service_day
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

BASELINE = Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml"
EDGES = [30, 60, 90, 120]


def _scenario(warm_up_days: float, **simulation):
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=12, warm_up_days=warm_up_days, **simulation)
    return scenario_from_dict(data)


def _aging_shares(res, pop, day: float) -> np.ndarray:
    """Share of the open A/R in each aging bucket at the end of ``day``."""
    open_d = open_at(res, 2 * pop.n, day)
    bucket = np.searchsorted(EDGES, day - receivable_service_day(pop), side="left")
    by = np.array([open_d[bucket == k].sum() for k in range(len(AGING_BUCKETS))], float)
    return by / by.sum() if by.sum() else by


def _runs(warm_up_days: float, reps: int = 3):
    sc = _scenario(warm_up_days)
    for r in range(reps):
        pop = draw_population(sc, r)
        yield sc, pop, World(sc, "letters_only", pop).run()


def test_the_warm_up_books_a_stationary_aging():
    """The aging of the book on day 0 equals its aging on day 365 (the measurement day): the largest
    gap of a bucket's share, averaged over 3 runs, is under 3 points; a 364-day warm-up is therefore
    long enough (STATIONARY_WARM_UP_DAYS). Without a warm-up the book of day 0 is empty, and after a
    warm-up of only 120 days the over-120-days bucket is short by more than 5 points."""
    def gaps(w):
        return np.mean([_aging_shares(res, pop, 0.0) - _aging_shares(res, pop, 365.0)
                        for _, pop, res in _runs(w)], axis=0)
    steady = gaps(mw.STATIONARY_WARM_UP_DAYS)
    assert np.abs(steady).max() < 0.03, steady
    short = gaps(120.0)
    assert short[-1] < -0.05, short
    sc, pop, res = next(_runs(0.0, reps=1))
    assert open_at(res, 2 * pop.n, 0.0).sum() == 0


def _weekly_net_cash(sc, pop, res) -> np.ndarray:
    """The status quo's net cash of each week from day 0 to the end of the billing window."""
    _, curves, _ = compute(res, pop, sc)
    cash = curves["cash"][curves["day"] <= sc.simulation.billing_window_days]
    return np.diff(cash)


def test_the_steady_state_cash_series_has_no_trend():
    """Ordinary least squares of the weekly net cash (collections − costs − cost of care) on the
    week, 3 runs pooled: the slope is not different from 0 at the 1 % level in the steady state;
    on a cold start it is (cash flows climb from the first day's deficit)."""
    def slope_p(w):
        weeks, flows = [], []
        for sc, pop, res in _runs(w):
            f = _weekly_net_cash(sc, pop, res)
            weeks.append(np.arange(len(f)))
            flows.append(f)
        fit = stats.linregress(np.concatenate(weeks), np.concatenate(flows))
        return fit.slope, fit.pvalue
    slope, p = slope_p(mw.STATIONARY_WARM_UP_DAYS)
    assert p > 0.01, (slope, p)
    cold_slope, cold_p = slope_p(0.0)
    assert cold_slope > 0 and cold_p < 0.01, (cold_slope, cold_p)


def test_nothing_before_day_0_is_measured():
    """With a warm-up the cash curve starts at the starting cash, the measured cohort has no
    warm-up encounter, and the cash collected is the cohort's collections after day 0 (the book of
    day 0 pays into the cash curve, not into the decision's money)."""
    from simlib.core.ledger import COLLECTED, REFUNDS
    sc, pop, res = next(_runs(mw.STATIONARY_WARM_UP_DAYS, reps=1))
    m, curves, _ = compute(res, pop, sc)
    assert curves["cash"][0] == sc.finance.starting_cash
    warm = mw.warm_up_encounter(pop.service_day, pop.open_book)
    assert warm.sum() > 0.9 * 12 * mw.STATIONARY_WARM_UP_DAYS
    assert not (mw.cohort(pop.service_day, pop.open_book, sc.simulation) & warm).any()
    led = res.ledger
    cohort = np.repeat(mw.cohort(pop.service_day, pop.open_book, sc.simulation), 2)
    own = (led.day > 0) & (led.receivable >= 0)
    own[own] = cohort[led.receivable[own]]
    collected = (led.amount[led.mask(COLLECTED) & own].sum() - led.amount[led.mask(REFUNDS) & own].sum())
    assert m["cash_collected"] == pytest.approx(collected / 100.0)  # the cohort's, after day 0
    assert (led.day < 0).any()  # the warm-up was simulated
    book = led.mask(COLLECTED) & (led.day > 0) & (led.receivable >= 0) & ~own
    assert led.amount[book].sum() > 0  # the book of day 0 pays in the window: cash, not the decision's money

