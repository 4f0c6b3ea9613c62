"""Customer-level hold-out: fit on some customers, check on customers the fit never saw.

``customer_split`` draws the held-out customers (a share of them, seeded). ``customer_splits``
gives ``splits`` such splits that hold every customer out equally often: the customers in a
seeded random order on a circle, split k holding out the window of round(share x n) customers
starting at k x n / splits (with 70 customers, 10 splits of 21 = 30 %: each customer is held
out exactly 3 times). ``cross_validated_check`` pools the held-out invoices of those splits:
every pooled invoice is simulated with the parameters fitted *without its customer*, and the
pooled observed and simulated settle days are compared by ``check.check`` (the simulator is
swapped through its ``simulate`` argument). Pooled, the observed side is the whole history
(repeated), so the verdict does not hang on which 30 % of the customers one split held out;
with 70 customers whose mean days to settle range from 4 to 50, one split's KS varies from
0.04 to 0.2 whatever the model (docs/calibration.md).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.calibration.check import CHECK_STREAM, SettleDaySimulator, check
from simlib.calibration.fit import FitResult, fit
from simlib.calibration.history import History
from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.payment_timing import (Invoices, draw_delay_normal, draw_latent, latent_generator,
                                               settle_days)

SPLIT_STREAM = 103


def customer_split(history: History, holdout_share: float, seed: int) -> tuple[History, History]:
    """(training, held-out) histories; round(share x customers) customers are held out."""
    if not 0.0 < holdout_share < 1.0:
        raise ValueError(f"holdout_share: expected a share in (0, 1); found {holdout_share}")
    customers = np.unique(history.table["customer_id"].to_numpy(str))
    n_out = int(round(holdout_share * len(customers)))
    if n_out < 1 or n_out >= len(customers):
        raise ValueError(f"{history.source}: {len(customers)} customers cannot be split "
                         f"{1 - holdout_share:.0%} / {holdout_share:.0%}")
    rng = latent_generator(seed, 0, SPLIT_STREAM)
    held = rng.choice(customers, n_out, replace=False)
    out = history.table["customer_id"].isin(held).to_numpy()
    return history.subset(~out, "fit customers"), history.subset(out, "held-out customers")


def customer_splits(history: History, holdout_share: float, splits: int,
                    seed: int) -> list[tuple[History, History]]:
    """``splits`` (training, held-out) pairs holding each customer out (almost) equally often."""
    if not 0.0 < holdout_share < 1.0 or splits < 1:
        raise ValueError("customer_splits: expected 0 < holdout_share < 1 and splits >= 1")
    customers = np.unique(history.table["customer_id"].to_numpy(str))
    n = len(customers)
    size = int(round(holdout_share * n))
    if size < 1 or size >= n:
        raise ValueError(f"{history.source}: {n} customers cannot be split "
                         f"{1 - holdout_share:.0%} / {holdout_share:.0%}")
    order = latent_generator(seed, 0, SPLIT_STREAM).permutation(customers)
    ids = history.table["customer_id"].to_numpy(str)
    pairs = []
    for k in range(splits):
        start = int(round(k * n / splits))
        held = order[(start + np.arange(size)) % n]
        out = np.isin(ids, held)
        pairs.append((history.subset(~out, f"fit customers, split {k}"),
                      history.subset(out, f"held-out customers, split {k}")))
    return pairs


def cross_validated_check(history: History, splits: int = 10, holdout_share: float = 0.3, seed: int = 1,
                          replications: int = 20, bootstrap: int = 1000,
                          fixed: dict[str, float] | None = None,
                          simulate: SettleDaySimulator | None = None) -> dict:
    """``check`` on the pooled held-out invoices of ``customer_splits``.

    The dict is ``check``'s, plus ``splits``: per split the held-out customers' own KS (and the
    KS that resampling noise alone reaches on them) and the fit's log-likelihood. ``fixed`` is
    passed to every ``fit`` (e.g. ``{"planner_share": 0.0}`` for the intensity alone).
    ``simulate`` (e.g. ``engine_sim.simulate_with_engine``) simulates each split's held-out invoices
    with that split's fit, replication r of split k as replication ``r * splits + k`` (independent
    streams); ``None``: the model's sampler with one latent draw per pooled invoice.
    """
    fits: list[FitResult] = []
    tables, per_split = [], []
    for k, (train, held) in enumerate(customer_splits(history, holdout_share, splits, seed)):
        result = fit(train, fixed=fixed)
        fits.append(result)
        tables.append(held.table.assign(_split=k))
        alone = check(result.timing, held, replications, seed, bootstrap=max(10, bootstrap // 10),
                      **({"simulate": simulate} if simulate is not None else {}))
        per_split.append({"split": k, "held_out_customers": held.n_customers,
                          "ks": alone["ks"]["value"], "ks_noise_95": alone["ks"]["noise_95"],
                          "log_likelihood": result.log_likelihood})
    pooled_table = pd.concat(tables, ignore_index=True)
    pooled = History(pooled_table.drop(columns="_split"), f"{history.source} [held out, {splits} splits]",
                     history.sha256, history.extraction_date)
    split_of = pooled_table["_split"].to_numpy()

    def simulate_per_split(_timing: PaymentTiming, hist: History, replication: int, seed_: int) -> np.ndarray:
        if simulate is not None:
            days = np.empty(hist.n_invoices)
            for k, result in enumerate(fits):
                rows = split_of == k
                sub = History(hist.table[rows].reset_index(drop=True), hist.source, hist.sha256,
                              hist.extraction_date)
                days[rows] = simulate(result.timing, sub, replication * splits + k, seed_)
            return days
        rng = latent_generator(seed_, replication, CHECK_STREAM)
        threshold, uniform = draw_latent(rng, hist.n_invoices)
        normal = draw_delay_normal(rng, hist.n_invoices)
        invoices = Invoices.from_table(hist.table)
        days = np.empty(hist.n_invoices)
        for k, result in enumerate(fits):
            rows = np.flatnonzero(split_of == k)
            days[rows] = settle_days(result.timing, invoices.take(rows), threshold[rows], uniform[rows],
                                     normal[rows])
        return days

    report = check(fits[0].timing, pooled, replications, seed, simulate=simulate_per_split, bootstrap=bootstrap)
    report["splits"] = per_split
    report["holdout_share"] = holdout_share
    return report
