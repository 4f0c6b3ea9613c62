"""Metrics that cannot be gamed (issue 19, item 5): days to resolution weights every billed dollar
of the cohort, so delaying the write-off never makes a strategy look faster."""
from __future__ import annotations

import numpy as np

from simlib import run_experiment
from simlib.model.metrics import days_to_resolution


def test_days_to_resolution_by_hand():
    """Two receivables served on day 0 and 10 ($100 and $50): the first collected $60 on day 30
    and written off $40 on day 200; the second still open ($50) at the horizon, day 300.
    (60·30 + 40·200 + 50·(300 − 10)) ÷ 150 = 24,300 ÷ 150 = 162 days. A receivable outside the
    cohort (served on day 400) is left out."""
    r_rec, r_day = np.array([0, 0, 2]), np.array([30.0, 200.0, 410.0])
    r_amt = np.array([6000, 4000, 9000])
    svc, cohort = np.array([0.0, 10.0, 400.0]), np.array([True, True, False])
    still_open = np.array([0, 5000, 0])
    assert days_to_resolution(r_rec, r_day, r_amt, svc, cohort, still_open, 300.0) == 162.0


def test_delaying_the_write_off_never_shortens_days_to_resolution(make_scenario):
    """Same seed (common random numbers): write-off 480 days after the statement instead of 365.
    Every dollar is resolved no earlier, so the metric cannot fall, run by run. On this scenario
    the old ``mean_days_to_cash`` (main af304e3), which weighted only the dollars resolved before
    the horizon, fell from 208–221 days to 77–85 days with the later write-off (the 480-day
    write-offs fall after the 450-day horizon); days to resolution rises from 230–236 to 245–251."""
    ladder = [{"day": 30, "channel": "letter"}, {"day": 60, "channel": "letter"}]
    sc = make_scenario(
        {f"write_off_{d}": {"statement_channel": "letter", "ladder": ladder,
                            "write_off": {"after_days": d}} for d in (365, 480)},
        simulation={"horizon_days": 450, "billing_window_days": 300, "encounters_per_day": 2,
                    "open_book_accounts": 100, "measurement_day": 300, "ar_window_days": 90},
        behaviour={"initial_per_day": 0.004, "floor_per_day": 0.0003})
    res = run_experiment(sc, replications=3, seed=20261206, workers=1)
    wide = res.metrics[res.metrics.metric == "days_to_resolution"].pivot(
        index="replication", columns="strategy", values="value")
    assert (wide["write_off_480"] >= wide["write_off_365"]).all(), wide
    assert (wide["write_off_480"] - wide["write_off_365"]).mean() > 5.0  # the write-offs moved
