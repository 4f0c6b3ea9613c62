"""Payment intensity arithmetic of the controlled self-exciting model (Chehrazi & Weber 2015).

Between jumps the intensity relaxes toward a floor:  lambda(t) = f + (lambda_s - f) e^{-kappa (t - s)}.
Its integral over [s, s + x] is  f x + (lambda_s - f)(1 - e^{-kappa x}) / kappa.
A patient pays when the integral since the last payment reaches a latent Exp(1) threshold
(time-change construction), so with f = 0 and no contacts P(pay by t) = 1 - exp(-(lambda_0/kappa)(1 - e^{-kappa t})).
"""
from __future__ import annotations

import math

INF = math.inf


def intensity_after(lam: float, floor: float, kappa: float, dt: float) -> float:
    """Intensity ``dt`` days after it was ``lam``."""
    return floor + (lam - floor) * math.exp(-kappa * dt)


def integrated(lam: float, floor: float, kappa: float, dt: float) -> float:
    """Integral of the intensity over ``dt`` days starting from ``lam``."""
    return floor * dt + (lam - floor) * -math.expm1(-kappa * dt) / kappa


def time_to_reach(lam: float, floor: float, kappa: float, need: float) -> float:
    """Days until the integrated intensity reaches ``need`` (``inf`` if it never does)."""
    if need <= 0.0:
        return 0.0
    c = lam - floor
    if floor <= 0.0:
        x = kappa * need / lam if lam > 0 else INF
        return -math.log1p(-x) / kappa if x < 1.0 else INF
    # f(x) = floor x + c (1 - e^{-kappa x}) / kappa - need is increasing: bracketed Newton.
    b = c / kappa
    lo, hi = 0.0, (need - b) / floor if b < 0 else need / floor
    if b > 0 and kappa * need < c:
        hi = min(hi, -math.log1p(-kappa * need / c) / kappa)
    x = hi
    for _ in range(60):
        e = math.exp(-kappa * x)
        fx = floor * x + b * (1.0 - e) - need
        if abs(fx) < 1e-12 * max(1.0, need):
            return x
        if fx > 0:
            hi = x
        else:
            lo = x
        step = fx / (floor + c * e)
        x_new = x - step
        x = x_new if lo < x_new < hi else 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            break
    return x
