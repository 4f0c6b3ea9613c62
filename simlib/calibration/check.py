"""Hold-out check: does a fitted payment-timing model predict another history's settle days?

For every invoice of the other history (same terms, amounts, dispute and paper flags), settle
days are simulated ``replications`` times and compared with the observed ones:

- ``ks``: Kolmogorov-Smirnov distance between the observed and simulated distributions of days
  to settle (whole days; an open invoice never counts as settled), its interval, and
  ``noise_95``: the 95 % point of the distance between the observed distribution and its own
  customer resamples, i.e. what even a perfect model would often score on a sample this size;
- ``mean_days``: mean days to settle, observed and simulated, and their difference;
- ``mean_days_by_group``: the same for disputed / undisputed and paper / electronic invoices;
- ``group_shifts``: disputed - undisputed and paper - electronic mean days, observed and simulated.

Intervals are 95 % percentile intervals of a bootstrap that resamples *customers* (invoices of
one customer are not independent), the observed and simulated values of the same resample
together, so the difference intervals are paired.

Censoring: when the history has open invoices, a simulated settle day after the extraction date
is open too, and means are restricted means (an open invoice counts its days open + 1). When
no invoice is open, the history is taken as followed to settlement: nothing simulated is cut,
means are over settled invoices and ``simulated_never_settled_share`` reports any that never
settle.

The simulation is one function, ``simulate``: the model's own sampler by default; the engine
integration passes a function with the same signature that runs these invoices through SimPy.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from simlib.calibration.history import History
from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.payment_timing import (Invoices, draw_delay_normal, draw_latent, latent_generator,
                                               settle_days)

#: Spawn-key stream ids of the check's random numbers (outside simlib.core.rng.STREAMS' range).
CHECK_STREAM, BOOTSTRAP_STREAM = 101, 102

#: (timing, history, replication, seed) -> settle time of each invoice in days (``inf``: never).
SettleDaySimulator = Callable[[PaymentTiming, History, int, int], np.ndarray]

GROUPS = {"disputed": ("disputed", True), "undisputed": ("disputed", False),
          "paper": ("paper", True), "electronic": ("paper", False)}
SHIFTS = {"disputed_minus_undisputed": ("disputed", "undisputed"),
          "paper_minus_electronic": ("paper", "electronic")}


def simulate_with_model(timing: PaymentTiming, history: History, replication: int, seed: int) -> np.ndarray:
    """The model's sampler: per invoice one (E, U) from stream (replication, CHECK_STREAM), then
    the dispute delay's normal Z."""
    rng = latent_generator(seed, replication, CHECK_STREAM)
    threshold, uniform = draw_latent(rng, history.n_invoices)
    normal = draw_delay_normal(rng, history.n_invoices)
    return settle_days(timing, Invoices.from_table(history.table), threshold, uniform, normal)


def check(timing: PaymentTiming, history: History, replications: int = 20, seed: int = 1,
          simulate: SettleDaySimulator = simulate_with_model, bootstrap: int = 1000) -> dict:
    """Compare simulated with observed settle days of ``history``; a JSON-serialisable dict."""
    if replications < 1 or bootstrap < 10:
        raise ValueError("check: replications must be >= 1 and bootstrap >= 10")
    table = history.table
    n = history.n_invoices
    censored = history.n_open > 0
    follow = ((history.extraction_date - table["invoice_date"]).dt.days.to_numpy(float) + 1.0
              if censored else np.full(n, np.inf))
    obs_day = np.where(table["settled"], table["days_to_settle"], follow)
    sims = np.stack([np.asarray(simulate(timing, history, r, seed), float) for r in range(replications)])
    if sims.shape != (replications, n):
        raise ValueError(f"check: the simulator returned shape {sims.shape}; expected ({replications}, {n})")
    sim_day = np.minimum(np.floor(sims), follow)           # cut at the extraction date
    sim_settled = sim_day < follow
    obs_settled = table["settled"].to_numpy(bool)

    _, customer = np.unique(table["customer_id"].to_numpy(str), return_inverse=True)
    m = customer.max() + 1
    rng = latent_generator(seed, 0, BOOTSTRAP_STREAM)
    weights = np.vstack([np.ones(m), rng.multinomial(m, np.full(m, 1.0 / m), size=bootstrap)])

    ks = _ks(obs_day, obs_settled, sim_day, sim_settled, customer, m, weights)
    masks = {"all": np.ones(n, bool)}
    masks |= {g: table[col].to_numpy(bool) == val for g, (col, val) in GROUPS.items()}
    means = {g: _means(obs_day, obs_settled, sim_day, sim_settled, mask, censored, customer, m, weights)
             for g, mask in masks.items()}
    shifts = {name: _shift(means[a], means[b]) for name, (a, b) in SHIFTS.items()}
    out = {
        "invoices": n, "customers": int(m), "replications": replications, "seed": seed,
        "bootstrap": bootstrap, "censored_at_extraction": bool(censored),
        "simulated_never_settled_share": float(np.mean(np.isinf(sims))),
        "ks": ks,
        "mean_days": _public(means["all"]),
        "mean_days_by_group": {g: _public(means[g]) for g in GROUPS},
        "group_shifts": {k: _public(v) for k, v in shifts.items()},
    }
    if m < BOOTSTRAP_MIN_CUSTOMERS:  # a resample of 1 customer is that customer: a zero-width "interval"
        out = _without_intervals(out)
        out["interval_note"] = (f"no 95 % intervals: the bootstrap resamples customers and needs at least "
                                f"{BOOTSTRAP_MIN_CUSTOMERS}; the history has {m}")
    return out


#: Fewest customers for the customer-level bootstrap's intervals (with fewer the resamples repeat a
#: handful of customers and the percentile interval is far too narrow; with one it has zero width).
BOOTSTRAP_MIN_CUSTOMERS = 20


def _without_intervals(node):
    if isinstance(node, dict):
        return {k: (None if k.endswith("ci95") else _without_intervals(v)) for k, v in node.items()}
    return node


# --------------------------------------------------------------------------- statistics
def _ci(values: np.ndarray) -> list[float] | None:
    v = values[np.isfinite(values)]
    if v.size < 10:
        return None
    return [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]


def _per_customer_counts(day, settled, customer, m, size, scale=1.0):
    """counts[c, x]: settled invoices of customer c on day x (last column: later days)."""
    idx = np.minimum(day, size - 1).astype(np.int64)
    flat = np.bincount((customer * size + idx)[settled], minlength=m * size)
    return flat.reshape(m, size) * scale


def _ks(obs_day, obs_settled, sim_day, sim_settled, customer, m, weights) -> dict:
    reps = sim_day.shape[0]
    finite = np.concatenate([obs_day[obs_settled], sim_day[sim_settled]])
    size = int(min(np.max(obs_day[obs_settled], initial=0), 10_000)) + 2
    obs = _per_customer_counts(obs_day, obs_settled, customer, m, size)
    sim = _per_customer_counts(sim_day.ravel(), sim_settled.ravel(), np.tile(customer, reps), m, size, 1.0 / reps)
    per_customer = np.bincount(customer, minlength=m).astype(float)
    total = weights @ per_customer
    f_obs = np.cumsum(weights @ obs, axis=1) / total[:, None]
    f_sim = np.cumsum(weights @ sim, axis=1) / total[:, None]
    d = np.max(np.abs(f_obs - f_sim), axis=1)
    # Resampling adds noise, and noise only ever adds distance: shift the percentile interval by
    # the bootstrap's own bias estimate (and keep it >= 0).
    bias = float(np.mean(d[1:]) - d[0])
    raw = _ci(d[1:])
    ci = [max(0.0, raw[0] - bias), max(0.0, raw[1] - bias)] if raw else None
    # What a perfect model would score: the observed distribution's own resampling noise.
    noise = np.max(np.abs(f_obs[1:] - f_obs[0]), axis=1)
    return {"value": float(d[0]), "ci95": ci, "noise_95": float(np.percentile(noise, 95)),
            "days_compared": int(size - 1), "settled_observed": int(obs_settled.sum()),
            "settled_simulated_per_replication": float(sim_settled.sum() / reps),
            "max_settled_day": float(np.max(finite, initial=0))}


def _means(obs_day, obs_settled, sim_day, sim_settled, mask, censored, customer, m, weights) -> dict:
    """Observed and simulated mean days over ``mask`` for the original sample and each resample."""
    reps = sim_day.shape[0]
    use_obs = mask & (obs_settled if not censored else True)
    use_sim = np.broadcast_to(mask[None, :] & (sim_settled if not censored else True), sim_day.shape)
    o_sum = np.bincount(customer, weights=np.where(use_obs, obs_day, 0.0), minlength=m)
    o_n = np.bincount(customer, weights=use_obs.astype(float), minlength=m)
    s_sum = np.bincount(customer, weights=np.where(use_sim, sim_day, 0.0).sum(axis=0), minlength=m) / reps
    s_n = np.bincount(customer, weights=use_sim.sum(axis=0).astype(float), minlength=m) / reps
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (weights @ o_sum) / (weights @ o_n)
        simulated = (weights @ s_sum) / (weights @ s_n)
    return {"observed": observed, "simulated": simulated, "invoices": int(mask.sum())}


def _shift(a: dict, b: dict) -> dict:
    return {"observed": a["observed"] - b["observed"], "simulated": a["simulated"] - b["simulated"],
            "invoices": a["invoices"] + b["invoices"]}


def _public(stat: dict) -> dict:
    """Point values (first row: the original sample) with bootstrap intervals, JSON-ready."""
    obs, sim = stat["observed"], stat["simulated"]
    diff = sim - obs

    def point(x):
        return float(x[0]) if np.isfinite(x[0]) else None

    return {"observed": point(obs), "observed_ci95": _ci(obs[1:]),
            "simulated": point(sim), "simulated_ci95": _ci(sim[1:]),
            "difference": point(diff), "difference_ci95": _ci(diff[1:]),
            "invoices": stat["invoices"]}
