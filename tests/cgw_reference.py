"""An independent reference for the optimal collection policy of one account type in the
controlled self-exciting model of Chehrazi, Glynn & Weber (Management Science 2019), by value
iteration on a (λ, w) grid. Nothing here imports simlib: it is the check, not the code.

The account: balance w on the levels w₀, w₀/2, w₀/4, … (a payment pays the whole balance with
probability min(1, A ÷ w), otherwise half of it); repayments arrive at intensity λ, which decays
toward 0 at κ between events, jumps by ``jump_base + jump_fraction × R`` at a payment of fraction R
(self-excitation; R = 1 ends the account) and by δ at a contact costing c. The hospital maximises
the expected discounted collections less contact costs, discount rate ρ per day. A contact is an
impulse: V(λ, w) = max(V(λ + δ, w) − c, wait), and waiting dt days:

    wait = p · E[pay] + (1 − p) e^(−ρ dt) V(λ', w),  p = 1 − exp(−∫λ),  λ' = λ e^(−κ dt),
    E[pay] = e^(−ρ dt/2) [q w + (1 − q)(w/2 + V(λ' + jump(½), w/2))],  q = min(1, A ÷ w).

The λ grid is geometric along the flow (λ_k = λ_max e^(−κ k dt)), so waiting maps a grid point
exactly onto the next; a jump is interpolated linearly. Each level is solved from the smallest
balance up (a payment only lowers it) by sweeping from the smallest λ up until the values move
less than ``tol``. The action region at each level is λ ≤ b(w): the optimal frontier.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Account:
    w0: float = 1000.0            # balance, USD
    full_ability: float = 300.0   # A: pays in full with probability min(1, A / w)
    levels: int = 3               # w0, w0/2, w0/4 (the last pays in full when A >= w0/4)
    kappa: float = 0.03           # decay per day
    lam0: float = 0.02            # intensity at the statement
    jump_base: float = 0.01       # self-excitation at a payment
    jump_fraction: float = 0.02   # ... + this × the fraction paid
    delta: float = 0.01           # a contact's jump
    cost: float = 2.0             # a contact's cost, USD
    rho: float = 0.001            # discount rate per day


def solve(a: Account, dt: float = 0.02, lam_max: float = 0.6, lam_min: float = 2e-5, tol: float = 1e-9):
    """(λ grid ascending, values by level [w0, w0/2, …] on it, frontier b(w) by level)."""
    K = int(math.ceil(math.log(lam_max / lam_min) / (a.kappa * dt)))
    lam = lam_max * np.exp(-a.kappa * dt * np.arange(K + 1))         # descending
    asc = lam[::-1]
    p_pay = -np.expm1(-lam * (-math.expm1(-a.kappa * dt)) / a.kappa)  # 1 − exp(−∫λ over dt)
    disc, half = math.exp(-a.rho * dt), math.exp(-a.rho * dt / 2)
    values: list[np.ndarray] = [None] * a.levels
    frontier = [0.0] * a.levels
    for j in reversed(range(a.levels)):
        w = a.w0 / 2 ** j
        q = 1.0 if j == a.levels - 1 else min(1.0, a.full_ability / w)
        if q < 1.0:
            after = np.interp(lam + a.jump_base + a.jump_fraction * 0.5, asc, values[j + 1][::-1])
            pay = half * (q * w + (1 - q) * (w / 2 + after))
        else:
            pay = np.full_like(lam, half * w)
        v = np.zeros_like(lam)
        for _ in range(10_000):
            act = np.interp(lam + a.delta, asc, v[::-1]) - a.cost   # beyond λ_max: flat (never acted on)
            new = np.empty_like(v)
            nxt = v[-1]
            for k in range(K, -1, -1):
                wait = p_pay[k] * pay[k] + (1 - p_pay[k]) * disc * nxt
                nxt = new[k] = act[k] if act[k] > wait else wait
            change = float(np.max(np.abs(new - v)))
            v = new
            if change < tol * w:
                break
        act = np.interp(lam + a.delta, asc, v[::-1]) - a.cost
        acting = act >= v - 1e-12 * w
        frontier[j] = float(lam[acting].max()) if acting.any() else 0.0
        values[j] = v
    return asc, [v[::-1] for v in values], frontier


def value_at(a: Account, asc, values, lam: float, level: int = 0) -> float:
    return float(np.interp(lam, asc, values[level]))
