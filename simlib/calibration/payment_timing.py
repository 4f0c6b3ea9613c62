"""Payment timing of one invoice: planners and prompted payers, inside the time-change construction.

Each account draws, once, a threshold E ~ Exp(1) and a uniform U. It is a *planner* if
U < planner_share, otherwise a *prompted payer*; it settles when its cumulative intensity since
the invoice reaches E (formulas and likelihood in ``docs/calibration.md``):

- planner: cumulative intensity H(t) = ((t - s)+ / eta)^k, i.e. the planned day is s plus a
  Weibull(scale eta, shape k) draw; eta = planned_day_scale_of_terms x max(terms, 1 day) and
  s = R [disputed] + paper_delay_days [paper], R the dispute's resolution delay: lognormal with
  mean dispute_delay_days and log-scale sd dispute_delay_log_sd, R = s_D exp(sigma Z - sigma^2 / 2)
  with Z ~ N(0, 1) drawn once per account (sigma = 0: the constant delay s_D, the limit it nests).
  The distribution averages over Z by Gauss-Hermite quadrature (``DELAY_NODES`` nodes; one node
  when sigma = 0, so the constant delay is computed exactly as without the shape);
- prompted payer: the self-exciting intensity of ``docs/model.md`` without contacts,
  lambda(t) = w [f + (lambda0 - f) e^{-kappa t} + J e^{-kappa (t - tau)} 1{t >= tau}],
  tau = terms (the due date), scaled by the covariate multiplier
  w = dispute_intensity_factor [disputed] x paper_intensity_factor [paper]
      x (amount / balance_ref) ^ -balance_elasticity.

Everything is vectorised over invoices. Given the same (E, U), ``settle_days`` returns the same
account under any parameters (common random numbers), and raising any intensity never delays a
payment.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import elementwise

from simlib.calibration.parameters import PaymentTiming


@dataclass(frozen=True)
class Invoices:
    """What the model needs to know about each invoice (arrays of equal length)."""

    terms_days: np.ndarray
    disputed: np.ndarray
    paper: np.ndarray
    amount: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.terms_days)
        if not all(len(a) == n for a in (self.disputed, self.paper, self.amount)):
            raise ValueError("Invoices: terms_days, disputed, paper and amount differ in length")

    def __len__(self) -> int:
        return len(self.terms_days)

    @classmethod
    def from_table(cls, table) -> "Invoices":
        """From ``History.table`` (columns terms_days, disputed, paper, amount)."""
        return cls(table["terms_days"].to_numpy(float), table["disputed"].to_numpy(bool),
                   table["paper"].to_numpy(bool), table["amount"].to_numpy(float))

    def take(self, index: np.ndarray) -> "Invoices":
        return Invoices(self.terms_days[index], self.disputed[index], self.paper[index],
                        self.amount[index])


#: Gauss-Hermite nodes over Z ~ N(0, 1) of the lognormal dispute delay (probabilists' weights / sqrt(2 pi)).
DELAY_NODES = 40
_Z_NODES, _Z_WEIGHTS = hermegauss(DELAY_NODES)
_Z_WEIGHTS = _Z_WEIGHTS / _Z_WEIGHTS.sum()


@dataclass(frozen=True)
class _PerInvoice:
    delay_days: np.ndarray     # s at each quadrature node of the dispute delay: (n, nodes)
    planner_scale: np.ndarray  # eta, (n, 1)
    multiplier: np.ndarray     # w
    due_day: np.ndarray        # tau
    weights: np.ndarray = field(default_factory=lambda: np.ones(1))  # the nodes' weights (sum 1)
    delay_factor: np.ndarray = field(default_factory=lambda: np.ones(1))  # R / s_D: e^(sigma z - sigma^2/2)
    nodes: np.ndarray = field(default_factory=lambda: np.zeros(1))  # z at each node


def _per_invoice(p: PaymentTiming, inv: Invoices) -> _PerInvoice:
    sigma = p.dispute_delay_log_sd
    z, weights = (_Z_NODES, _Z_WEIGHTS) if sigma > 0 and inv.disputed.any() else (np.zeros(1), np.ones(1))
    factor = np.exp(sigma * z - 0.5 * sigma * sigma)
    delay = (p.dispute_delay_days * factor[None, :] * inv.disputed[:, None]
             + (p.paper_delay_days * inv.paper)[:, None])
    scale = (p.planned_day_scale_of_terms * np.maximum(inv.terms_days, 1.0))[:, None]
    w = (np.where(inv.disputed, p.dispute_intensity_factor, 1.0)
         * np.where(inv.paper, p.paper_intensity_factor, 1.0)
         * (inv.amount / p.balance_ref) ** (-p.balance_elasticity))
    return _PerInvoice(delay, scale, w, inv.terms_days.astype(float), weights, factor, z)


def _dispute_parts(p: PaymentTiming, inv: Invoices) -> list[np.ndarray]:
    """The disputed and the undisputed invoices' indices when the dispute delay has a shape and
    both kinds are present (only the disputed need the quadrature's nodes); else none."""
    if p.dispute_delay_log_sd > 0 and inv.disputed.any() and not inv.disputed.all():
        return [np.flatnonzero(inv.disputed), np.flatnonzero(~inv.disputed)]
    return []


def account_delay_days(p: PaymentTiming, inv: Invoices, normal: np.ndarray | None) -> np.ndarray:
    """Each account's planner delay given its standard normal Z of the dispute delay (shape (n,)
    or (replications, n)); ``normal`` may be ``None`` only when the delay is a constant."""
    if p.dispute_delay_log_sd > 0 and inv.disputed.any():
        if normal is None:
            raise ValueError("dispute_delay_log_sd > 0: each account needs its dispute delay's normal draw")
        sigma = p.dispute_delay_log_sd
        dispute = p.dispute_delay_days * np.exp(sigma * np.asarray(normal, float) - 0.5 * sigma * sigma)
    else:
        dispute = p.dispute_delay_days
    return dispute * inv.disputed + p.paper_delay_days * inv.paper


def _phi(u: np.ndarray) -> np.ndarray:
    """(1 - e^{-u}) / u for u >= 0, equal to 1 at u = 0 (so decay_per_day = 0 is allowed)."""
    v = np.maximum(u, 1e-300)  # expm1 is exact for tiny arguments: the ratio tends to 1
    return -np.expm1(-v) / v


# --------------------------------------------------------------------------- the two payer types
def _planner_cumulative(p: PaymentTiming, q: _PerInvoice, t) -> np.ndarray:
    """H at t of each invoice (t of shape (n,)) at each node of the dispute delay: (n, nodes)."""
    t = np.asarray(t, float)[..., None]
    return (np.maximum(t - q.delay_days, 0.0) / q.planner_scale) ** p.planned_day_shape


def _planner_hazard(p: PaymentTiming, q: _PerInvoice, t) -> np.ndarray:
    k = p.planned_day_shape
    t = np.asarray(t, float)[..., None]
    x = np.maximum(t - q.delay_days, 0.0) / q.planner_scale
    with np.errstate(divide="ignore"):
        return np.where(t > q.delay_days, k / q.planner_scale * x ** (k - 1.0), 0.0)


def _over_delay(q: _PerInvoice, values: np.ndarray) -> np.ndarray:
    """Expectation over the dispute delay: the quadrature's weighted sum on the node axis."""
    return values @ q.weights


def _prompted_cumulative(p: PaymentTiming, q: _PerInvoice, t) -> np.ndarray:
    after = np.maximum(t - q.due_day, 0.0)
    kappa, floor = p.decay_per_day, p.floor_per_day
    base = floor * t + (p.initial_per_day - floor) * t * _phi(kappa * t)
    return q.multiplier * (base + p.due_date_jump_per_day * after * _phi(kappa * after))


def _prompted_intensity(p: PaymentTiming, q: _PerInvoice, t) -> np.ndarray:
    kappa, floor = p.decay_per_day, p.floor_per_day
    jump = np.where(t >= q.due_day, p.due_date_jump_per_day * np.exp(-kappa * np.maximum(t - q.due_day, 0.0)), 0.0)
    return q.multiplier * (floor + (p.initial_per_day - floor) * np.exp(-kappa * t) + jump)


def _prompted_total(p: PaymentTiming, q: _PerInvoice) -> np.ndarray:
    """Cumulative intensity of a prompted payer over all time (finite only when the floor is 0)."""
    if p.floor_per_day > 0 or (p.decay_per_day == 0 and p.initial_per_day + p.due_date_jump_per_day > 0):
        return np.where(q.multiplier > 0, np.inf, 0.0)
    if p.decay_per_day == 0:
        return np.zeros_like(q.multiplier)
    return q.multiplier * (p.initial_per_day + p.due_date_jump_per_day) / p.decay_per_day


# --------------------------------------------------------------------------- distribution
def survival(p: PaymentTiming, inv: Invoices, t) -> np.ndarray:
    """P(not settled by day t) for each invoice."""
    q = _per_invoice(p, inv)
    pi = p.planner_share
    return (pi * _over_delay(q, np.exp(-_planner_cumulative(p, q, t)))
            + (1 - pi) * np.exp(-_prompted_cumulative(p, q, t)))


def cdf(p: PaymentTiming, inv: Invoices, t) -> np.ndarray:
    """P(settled by day t) for each invoice."""
    return 1.0 - survival(p, inv, t)


def density(p: PaymentTiming, inv: Invoices, t) -> np.ndarray:
    """Density of the settle time at day t (continuous time)."""
    q = _per_invoice(p, inv)
    pi = p.planner_share
    return (pi * _over_delay(q, _planner_hazard(p, q, t) * np.exp(-_planner_cumulative(p, q, t)))
            + (1 - pi) * _prompted_intensity(p, q, t) * np.exp(-_prompted_cumulative(p, q, t)))


def _exp_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """e^{-a} - e^{-b} for b >= a >= 0, without cancellation."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(a), 0.0, np.exp(-a) * -np.expm1(np.minimum(a - b, 0.0)))


def log_likelihood(p: PaymentTiming, inv: Invoices, settle_day: np.ndarray, open_day: np.ndarray,
                   exact_times: bool = False, per_invoice: bool = False):
    """Log-likelihood of settle days (NaN where open) and days open at extraction (NaN where settled).

    Dates are whole days, so by default a settle day d means T in [d, d + 1) and contributes
    log P(d <= T < d + 1); an invoice open at day c of the extraction contributes log S(c + 1).
    With ``exact_times`` a settle time contributes the log density instead and an open one log S(c).
    """
    parts = _dispute_parts(p, inv)
    if parts:  # the delay's quadrature only where it matters: disputed and undisputed apart
        out = np.empty(len(inv))
        for rows in parts:
            out[rows] = log_likelihood(p, inv.take(rows), settle_day[rows], open_day[rows], exact_times, True)
        return out if per_invoice else float(out.sum())
    q = _per_invoice(p, inv)
    pi = p.planner_share
    settled = ~np.isnan(settle_day)
    shift = 0.0 if exact_times else 1.0
    # One pass at t1 (settle day, or the first day still open) and one at t2 = d + 1.
    t1 = np.where(settled, settle_day, np.nan_to_num(open_day) + shift)
    h1, g1 = _planner_cumulative(p, q, t1), _prompted_cumulative(p, q, t1)
    if exact_times:
        prob = (pi * _over_delay(q, _planner_hazard(p, q, t1) * np.exp(-h1))
                + (1 - pi) * _prompted_intensity(p, q, t1) * np.exp(-g1))
    else:
        t2 = t1 + 1.0
        prob = (pi * _over_delay(q, _exp_gap(h1, _planner_cumulative(p, q, t2)))
                + (1 - pi) * _exp_gap(g1, _prompted_cumulative(p, q, t2)))
    still_open = pi * _over_delay(q, np.exp(-h1)) + (1 - pi) * np.exp(-g1)
    with np.errstate(divide="ignore"):
        ll = np.log(np.where(settled, prob, still_open))
    return ll if per_invoice else float(ll.sum())


# --------------------------------------------------------------------------- sampler
def latent_generator(seed: int, replication: int, stream: int) -> np.random.Generator:
    """The generator of ``SeedSequence(seed, spawn_key=(replication, stream))`` (simlib's stream scheme)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, stream))))


def draw_latent(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The latent draws of n accounts: thresholds E ~ Exp(1) and uniforms U (in this order)."""
    return rng.standard_exponential(n), rng.random(n)


def draw_delay_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Each account's standard normal Z of the dispute delay: drawn after (E, U) from the same
    generator, so adding it shifts none of them."""
    return rng.standard_normal(n)


def settle_days(p: PaymentTiming, inv: Invoices, threshold: np.ndarray, uniform: np.ndarray,
                delay_normal: np.ndarray | None = None) -> np.ndarray:
    """Settle time (days after the invoice, ``inf`` = never) of each account given its (E, U)
    and, when the dispute delay has a shape, its normal Z.

    ``threshold``, ``uniform`` and ``delay_normal`` have shape (n,) or (replications, n).
    """
    q = _per_invoice(p, inv)
    E, U = np.broadcast_arrays(np.asarray(threshold, float), np.asarray(uniform, float))
    shape = E.shape
    delay = np.broadcast_to(account_delay_days(p, inv, delay_normal), shape).reshape(-1, len(inv))
    E, U = E.reshape(-1, len(inv)), U.reshape(-1, len(inv))
    planner = U < p.planner_share
    # Planners: H(t) = E  <=>  t = s + eta E^(1/k).
    t_plan = delay + q.planner_scale[:, 0] * E ** (1.0 / p.planned_day_shape)
    t_prompt = np.full(E.shape, np.inf)
    rows, cols = np.nonzero(~planner)
    if rows.size:
        t_prompt[rows, cols] = _invert_prompted(p, q, E[rows, cols], cols)
    return np.where(planner, t_plan, t_prompt).reshape(shape)


def _invert_prompted(p: PaymentTiming, q: _PerInvoice, need: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Solve Lambda(t) = need for prompted payers (bracketed Chandrupatla root finding)."""
    sub = _PerInvoice(q.delay_days[idx], q.planner_scale[idx], q.multiplier[idx], q.due_day[idx])
    out = np.full(need.shape, np.inf)
    ok = need < _prompted_total(p, sub)
    if not ok.any():
        return out
    sub = _PerInvoice(*(a[ok] for a in (sub.delay_days, sub.planner_scale, sub.multiplier, sub.due_day)))
    target = need[ok]
    hi = np.maximum(sub.due_day, 1.0) * 2.0
    for _ in range(200):  # double the bracket until it holds the root (the integral is unbounded)
        short = _prompted_cumulative(p, sub, hi) < target
        if not short.any():
            break
        hi = np.where(short, hi * 2.0, hi)

    def gap(t, target, w, due):
        return _prompted_cumulative(p, _PerInvoice(0.0, 1.0, w, due), t) - target

    res = elementwise.find_root(gap, (np.zeros_like(hi), hi), args=(target, sub.multiplier, sub.due_day),
                                tolerances={"xatol": 1e-9, "xrtol": 1e-12})
    out[ok] = res.x
    return out


# --------------------------------------------------------------------------- gradient
def _dphi(u: np.ndarray) -> np.ndarray:
    """d/du (1 - e^{-u}) / u = (e^{-u}(1 + u) - 1) / u^2, by its series near 0 (cancellation)."""
    v = np.maximum(u, 1e-3)
    exact = (np.exp(-v) * (1.0 + v) - 1.0) / (v * v)
    return np.where(u < 1e-3, -0.5 + u / 3.0 - u * u / 8.0, exact)


def _partials(p: PaymentTiming, inv: Invoices, q: _PerInvoice, t: np.ndarray):
    """H, G at t and their derivatives with respect to every parameter (dict of arrays)."""
    k, eta = p.planned_day_shape, q.planner_scale
    x = np.maximum(t[:, None] - q.delay_days, 0.0)                     # (n, nodes)
    pos = x > 0
    ratio = np.where(pos, x, 1.0) / eta
    H = np.where(pos, ratio ** k, 0.0)
    dH_ds = np.where(pos, -k / eta * ratio ** (k - 1.0), 0.0)       # d/d delay
    disputed = inv.disputed[:, None]
    # R = s_D m(z), m = exp(sigma z - sigma^2 / 2): dR/ds_D = m, dR/dsigma = R (z - sigma)
    dH = {"planned_day_scale_of_terms": -k * H / p.planned_day_scale_of_terms,
          "planned_day_shape": H * np.log(ratio),
          "dispute_delay_days": dH_ds * disputed * q.delay_factor,
          "dispute_delay_log_sd": (dH_ds * disputed * p.dispute_delay_days * q.delay_factor
                                   * (q.nodes - p.dispute_delay_log_sd)),
          "paper_delay_days": dH_ds * inv.paper[:, None]}
    kappa, floor, lam0, jump = p.decay_per_day, p.floor_per_day, p.initial_per_day, p.due_date_jump_per_day
    a = np.maximum(t - q.due_day, 0.0)
    tphi, aphi = t * _phi(kappa * t), a * _phi(kappa * a)
    G = q.multiplier * (floor * t + (lam0 - floor) * tphi + jump * aphi)
    w = q.multiplier
    dG = {"initial_per_day": w * tphi, "floor_per_day": w * (t - tphi), "due_date_jump_per_day": w * aphi,
          "decay_per_day": w * ((lam0 - floor) * t * t * _dphi(kappa * t) + jump * a * a * _dphi(kappa * a)),
          "dispute_intensity_factor": np.where(inv.disputed, G / np.maximum(p.dispute_intensity_factor, 1e-300), 0.0),
          "paper_intensity_factor": np.where(inv.paper, G / np.maximum(p.paper_intensity_factor, 1e-300), 0.0),
          "balance_elasticity": -G * np.log(inv.amount / p.balance_ref)}
    return H, G, dH, dG


def log_likelihood_gradient(p: PaymentTiming, inv: Invoices, settle_day: np.ndarray,
                            open_day: np.ndarray) -> dict[str, float]:
    """Gradient of the whole-day ``log_likelihood`` with respect to each parameter (natural units)."""
    parts = _dispute_parts(p, inv)
    if parts:
        grads = [log_likelihood_gradient(p, inv.take(rows), settle_day[rows], open_day[rows]) for rows in parts]
        return {name: sum(g[name] for g in grads) for name in grads[0]}
    q = _per_invoice(p, inv)
    pi = p.planner_share
    settled = ~np.isnan(settle_day)
    t1 = np.where(settled, settle_day, np.nan_to_num(open_day) + 1.0)
    H1, G1, dH1, dG1 = _partials(p, inv, q, t1)
    H2, G2, dH2, dG2 = _partials(p, inv, q, t1 + 1.0)
    e_h1, e_g1 = np.exp(-H1), np.exp(-G1)
    # Settled: P = pi A + (1 - pi) B with A = E[e^-H1 - e^-H2] over the dispute delay,
    # B = e^-G1 - e^-G2; open: E[e^-H1], e^-G1.
    s_col = settled[:, None]
    A = _over_delay(q, np.where(s_col, _exp_gap(H1, H2), e_h1))
    B = np.where(settled, _exp_gap(G1, G2), e_g1)
    e_h2, e_g2 = np.where(s_col, np.exp(-H2), 0.0), np.where(settled, np.exp(-G2), 0.0)
    P = pi * A + (1 - pi) * B
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_p = np.where(P > 0, 1.0 / P, 0.0)
    grad = {"planner_share": float(np.sum((A - B) * inv_p))}
    for name in dH1:
        dA = _over_delay(q, -e_h1 * dH1[name] + e_h2 * dH2[name])
        grad[name] = float(np.sum(pi * dA * inv_p))
    for name in dG1:
        dB = -e_g1 * dG1[name] + e_g2 * dG2[name]
        grad[name] = float(np.sum((1 - pi) * dB * inv_p))
    return grad
