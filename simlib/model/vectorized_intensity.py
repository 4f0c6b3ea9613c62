"""The intensity between events, in NumPy: what :mod:`simlib.core.behaviour` computes for one account.

The integrated intensity over ``dt`` days, the intensity after them (a decay toward the floor)
and the time until the integral reaches a need (closed form without a floor, the same Newton steps
as the scalar form with one), element by element with :mod:`simlib.core.scalar_math` (Python's
``math``), so that the NumPy forms of the model (:mod:`simlib.model.vectorized`, its levers'
modules) give the engine's payment days to the last bit.
"""
from __future__ import annotations

import math

import numpy as np

from simlib.core import scalar_math as xm

INF = math.inf


def integrated(lam, floor: float, kappa: float, dt):
    return floor * dt + (lam - floor) * -xm.expm1(-kappa * dt) / kappa


def intensity_after(lam, floor: float, kappa: float, dt):
    return floor + (lam - floor) * xm.exp(-kappa * dt)


def time_to_reach(lam: np.ndarray, floor: float, kappa: float, need: np.ndarray) -> np.ndarray:
    """Vector form of :func:`simlib.core.behaviour.time_to_reach` (same formulas, same Newton steps)."""
    lam, need = np.asarray(lam, float), np.asarray(need, float)
    out = np.zeros(need.shape)
    pos = need > 0.0
    if floor <= 0.0:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = np.where(lam > 0, kappa * need / np.where(lam > 0, lam, 1.0), INF)
            t = np.full(x.shape, INF)
            reach = x < 1.0  # log1p only in its domain (scalar_math's fast path)
            t[reach] = -xm.log1p(-x[reach]) / kappa
        out[pos] = t[pos]
        return out
    idx = np.flatnonzero(pos)
    lam_p, need_p = lam[idx], need[idx]
    c = lam_p - floor
    b = c / kappa
    lo = np.zeros(idx.size)
    hi = np.where(b < 0, (need_p - b) / floor, need_p / floor)
    use = (b > 0) & (kappa * need_p < c)
    cap = np.full(idx.size, INF)
    cap[use] = -xm.log1p(-kappa * need_p[use] / c[use]) / kappa  # only in log1p's domain
    hi = np.where(use, np.minimum(hi, cap), hi)
    x = hi.copy()
    live = np.ones(idx.size, bool)
    tol = 1e-12 * np.maximum(1.0, need_p)
    for _ in range(60):
        j = np.flatnonzero(live)
        if not j.size:
            break
        e = xm.exp(-kappa * x[j])
        fx = floor * x[j] + b[j] * (1.0 - e) - need_p[j]
        done = np.abs(fx) < tol[j]
        live[j[done]] = False
        j, fx, e = j[~done], fx[~done], e[~done]
        up = fx > 0
        hi[j[up]] = x[j[up]]
        lo[j[~up]] = x[j[~up]]
        x_new = x[j] - fx / (floor + c[j] * e)
        inside = (lo[j] < x_new) & (x_new < hi[j])
        x[j] = np.where(inside, x_new, 0.5 * (lo[j] + hi[j]))
        live[j[hi[j] - lo[j] < 1e-12]] = False
    out[idx] = x
    return out


def payment(beh, pop, i: np.ndarray, b: np.ndarray, kk: np.ndarray, last=None) -> tuple:
    """The patient's payment (the engine's ``PatientAccount._pay``) by encounters ``i`` owing ``b``
    cents, at their ``kk``-th payment: in full with probability min(1, months of ability ÷ balance),
    and always at the last payment allowed (``last``: also where a clock has no threshold left), else
    the fraction R ~ U(min, max) of the balance, at least a cent. Returns (full, fraction, cents) —
    the hospital's own collection and an agency's share it (:mod:`simlib.model.vectorized_agency`)."""
    if beh.full_payment == "always":
        p_full = np.ones(i.size)
    elif beh.full_payment == "never":
        p_full = np.zeros(i.size)
    else:
        p_full = np.minimum(1.0, pop.ability_monthly[i] * beh.full_payment_months * 100.0 / b)
    full = (kk >= beh.max_payments - 1) | (pop.full_u[i, kk] < p_full)
    if last is not None:
        full |= last
    fmin = beh.partial_fraction_min
    frac = np.where(full, 1.0, fmin + (beh.partial_fraction_max - fmin) * pop.fraction_u[i, kk])
    return full, frac, np.where(full, b, np.minimum(b, np.maximum(1, np.round(frac * b).astype(np.int64))))
