"""Payment intensity arithmetic of the controlled self-exciting model (Chehrazi & Weber 2015).

Between jumps the intensity relaxes toward a floor:  lambda(t) = f + (lambda_s - f) e^{-kappa (t - s)}.
Its integral over [s, s + x] is  f x + (lambda_s - f)(1 - e^{-kappa x}) / kappa.
A patient pays when the integral since the last payment reaches a latent Exp(1) threshold
(time-change construction), so with f = 0 and no contacts P(pay by t) = 1 - exp(-(lambda_0/kappa)(1 - e^{-kappa t})).
With kappa = 0 the intensity is constant (the limit of the formulas; a fitted history may say so).

A *planner* (``docs/model.md``, "Planners") adds to the integral the planned-day hazard
H(u) = ((u - s)+ / eta)^k of its active time u since the statement: alone, it pays at
u = s + eta E^(1/k), the Weibull quantile of its threshold E.
"""
from __future__ import annotations

import math

from scipy.optimize import brentq

INF = math.inf


def intensity_after(lam: float, floor: float, kappa: float, dt: float) -> float:
    """Intensity ``dt`` days after it was ``lam``."""
    return floor + (lam - floor) * math.exp(-kappa * dt)


def integrated(lam: float, floor: float, kappa: float, dt: float) -> float:
    """Integral of the intensity over ``dt`` days starting from ``lam``."""
    if kappa == 0.0:
        return lam * dt
    return floor * dt + (lam - floor) * -math.expm1(-kappa * dt) / kappa


def time_to_reach(lam: float, floor: float, kappa: float, need: float) -> float:
    """Days until the integrated intensity reaches ``need`` (``inf`` if it never does)."""
    if need <= 0.0:
        return 0.0
    c = lam - floor
    if kappa == 0.0:  # constant intensity lam
        return need / lam if lam > 0 else INF
    if floor <= 0.0:
        x = kappa * need / lam if lam > 0 else INF
        return -math.log1p(-x) / kappa if x < 1.0 else INF
    # f(x) = floor x + c (1 - e^{-kappa x}) / kappa - need is increasing: bracketed Newton.
    b = c / kappa
    lo, hi = 0.0, (need - b) / floor if b < 0 else need / floor
    if b > 0 and kappa * need < c:
        hi = min(hi, -math.log1p(-kappa * need / c) / kappa)
    x = hi
    # the engine's hottest loop: the tolerance and -kappa hoisted (the same floats: ``-kappa * x``
    # is ``(-kappa) * x``)
    exp, neg_kappa, tol = math.exp, -kappa, 1e-12 * max(1.0, need)
    for _ in range(60):
        e = exp(neg_kappa * x)
        fx = floor * x + b * (1.0 - e) - need
        if abs(fx) < tol:
            return x
        if fx > 0:
            hi = x
        else:
            lo = x
        x_new = x - fx / (floor + c * e)
        x = x_new if lo < x_new < hi else 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            break
    return x


# --------------------------------------------------------------------------- planners
def planned_cumulative(u: float, delay: float, scale: float, shape: float) -> float:
    """Planned-day hazard H(u) = ((u - delay)+ / scale)^shape after ``u`` active days."""
    x = u - delay
    return (x / scale) ** shape if x > 0.0 else 0.0


def planned_time(u: float, need: float, delay: float, scale: float, shape: float) -> float:
    """Active days after ``u`` until H grows by ``need`` (the planner's hazard alone)."""
    if need <= 0.0:
        return 0.0
    target = planned_cumulative(u, delay, scale, shape) + need
    return delay + scale * target ** (1.0 / shape) - u


def time_to_reach_planned(lam: float, floor: float, kappa: float, mult: float, u: float,
                          delay: float, scale: float, shape: float, need: float) -> float:
    """Days x until mult * (integral of the intensity over x) + H(u + x) - H(u) reaches ``need``.

    Both terms increase with x, so the root lies below the time either term takes alone; it is
    found by bisection refined with the secant (``brentq``) on that bracket, to 1e-12 days."""
    hi = planned_time(u, need, delay, scale, shape)
    if hi <= 0.0:
        return 0.0
    if (lam <= 0.0 and floor <= 0.0) or mult <= 0.0:
        return hi  # no intensity: the planned day alone (closed form)
    hi = min(hi, time_to_reach(lam, floor, kappa, need / mult))
    h_u = planned_cumulative(u, delay, scale, shape)

    def gap(x: float) -> float:
        return (mult * integrated(lam, floor, kappa, x) + planned_cumulative(u + x, delay, scale, shape)
                - h_u - need)

    if gap(hi) <= 0.0:
        return hi
    return brentq(gap, 0.0, hi, xtol=1e-12, rtol=1e-15, maxiter=200)
