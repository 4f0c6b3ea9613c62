"""Maximum-likelihood fit of the payment-timing model to a payment history, with 95 % intervals.

The optimiser works on unconstrained numbers (logit of shares, log of non-negative parameters;
see ``parameters.SPECS``): BFGS with the analytic gradient from four fixed starting points
(deterministic), the best one restarted once. Intervals: Wald intervals from the observed
information (the Jacobian of the analytic gradient by ``scipy.differentiate.jacobian``) on the
unconstrained scale, mapped back, so they respect each parameter's range. An estimate on the
boundary of its range (e.g. no measurable decay, ``decay_per_day`` = 0) is held there, the
others are refitted, and its interval is one-sided from the profile likelihood: the values whose
likelihood-ratio statistic stays under 2.71, the 95 % point of the 1/2 chi2_0 + 1/2 chi2_1 law of
a boundary estimate (Self & Liang 1987).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import differentiate, optimize

from simlib.calibration.fitted_file import write_fitted
from simlib.calibration.history import History
from simlib.calibration.parameters import BOUNDARY_Z, DEFAULT_FREE, SPECS, PaymentTiming
from simlib.calibration.payment_timing import Invoices, log_likelihood, log_likelihood_gradient

Z95 = 1.959963984540054
BOUNDARY_CHI2_95 = 2.705543454095404  # chi2_1 quantile 0.90
NEAR_EDGE_Z = 5.0


class FitError(ValueError):
    """The history cannot identify the model (one line: what and what to do)."""


@dataclass
class FitResult:
    """Estimates, 95 % intervals and how each was obtained, plus the data's provenance."""

    timing: PaymentTiming
    free: tuple[str, ...]
    confidence_95: dict[str, tuple[float, float]]
    ci_method: dict[str, str]
    log_likelihood: float
    provenance: dict
    optimiser: dict = field(default_factory=dict)

    def summary(self) -> str:
        rows = [f"{'parameter':<28} {'estimate':>11}  {'95 % interval':<25} {'unit':<18} method"]
        for name, spec in SPECS.items():
            value = getattr(self.timing, name)
            if name in self.free:
                lo, hi = self.confidence_95[name]
                ci = f"[{lo:.4g}, {hi:.4g}]"
            else:
                ci = "(fixed)"
            rows.append(f"{name:<28} {value:>11.4g}  {ci:<25} {spec.unit:<18} {self.ci_method[name]}")
        rows.append(f"{'balance_ref':<28} {self.timing.balance_ref:>11.4g}  {'(reference)':<25} {'USD':<18}")
        prov = self.provenance
        rows.append(f"log-likelihood {self.log_likelihood:.2f} on {prov['rows']} invoices "
                    f"({prov['settled']} settled, {prov['open']} open) of {prov['customers']} customers")
        return "\n".join(rows)

    def write_yaml(self, path) -> None:
        """Write ``fitted.yaml`` (see ``fitted_file``)."""
        write_fitted(self, path)


@dataclass
class _Objective:
    """Negative log-likelihood as a function of the unconstrained free parameters."""

    base: PaymentTiming
    names: tuple[str, ...]
    invoices: Invoices
    settle_day: np.ndarray
    open_day: np.ndarray

    def timing(self, z) -> PaymentTiming:
        return self.base.replace(**{n: float(SPECS[n].from_free(v)) for n, v in zip(self.names, z)})

    def __call__(self, z) -> float:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            ll = log_likelihood(self.timing(z), self.invoices, self.settle_day, self.open_day)
        return -ll if np.isfinite(ll) else 1e300

    def gradient(self, z) -> np.ndarray:
        """d(-log-likelihood)/dz by the chain rule through each parameter's transform."""
        p = self.timing(z)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            g = log_likelihood_gradient(p, self.invoices, self.settle_day, self.open_day)
        out = np.empty(len(self.names))
        for i, n in enumerate(self.names):
            out[i] = -g[n] * SPECS[n].derivative(getattr(p, n))
        return np.where(np.isfinite(out), out, 0.0)

    def without(self, name: str, value: float) -> "_Objective":
        return _Objective(self.base.replace(**{name: value}), tuple(n for n in self.names if n != name),
                          self.invoices, self.settle_day, self.open_day)


def fit(history: History, free: tuple[str, ...] = DEFAULT_FREE, fixed: dict[str, float] | None = None,
        balance_ref: float | None = None) -> FitResult:
    """Fit the parameters named in ``free``; the others keep ``fixed`` values or the defaults.

    ``balance_ref`` defaults to the history's median amount (so ``initial_per_day`` is the
    intensity at a typical balance and hardly correlates with ``balance_elasticity``).
    """
    unknown = [n for n in list(free) + list(fixed or {}) if n not in SPECS]
    if unknown:
        raise FitError(f"unknown parameter {unknown[0]!r}; expected one of {', '.join(SPECS)}")
    fixed = dict(fixed or {})
    table = history.table
    ref = balance_ref or float(np.median(table["amount"]))
    base = PaymentTiming(balance_ref=ref).replace(**{k: float(v) for k, v in fixed.items()})
    try:
        base.check()
    except ValueError as exc:
        raise FitError(f"fixed value out of range: {exc}") from None
    if history.n_settled == 0:
        raise FitError(f"{history.source}: no settled invoice, nothing to fit")
    invoices = Invoices.from_table(table)
    held = set(SPECS) - set(free) | set(fixed)
    unused = _unused(base, held, invoices)
    names = tuple(n for n in SPECS if n not in held and n not in unused)
    obj = _Objective(base, names, invoices, table["days_to_settle"].to_numpy(float),
                     table["days_open"].to_numpy(float))

    best = min((_optimise(obj, _start_vector(obj, s)) for s in _starts(table)), key=lambda r: r.fun)
    inner, best, at_bound, hessian, dropped = _settle_boundaries(obj, best)
    unused |= dropped
    z_hat = best.x
    ci, method = _wald(inner, z_hat, hessian)
    timing = inner.timing(z_hat)
    for n, b in at_bound.items():
        ci[n] = _profile_one_sided(inner, z_hat, n, b)
        method[n] = "profile (estimate on its bound)"
    method |= unused
    for n in SPECS:
        method.setdefault(n, "fixed")
    ci = {n: ci[n] for n in SPECS if n in ci}
    grad = np.max(np.abs(inner.gradient(z_hat)), initial=0.0)
    return FitResult(timing, tuple(ci), ci, method, -float(best.fun), history.provenance(),
                     {"converged": bool(best.success), "starts": len(_starts(table)),
                      "max_abs_gradient": float(grad)})


PLANNER_PARAMS = ("planned_day_scale_of_terms", "planned_day_shape", "dispute_delay_days", "dispute_delay_log_sd",
                  "paper_delay_days")
PROMPTED_PARAMS = ("initial_per_day", "decay_per_day", "floor_per_day", "due_date_jump_per_day",
                   "dispute_intensity_factor", "paper_intensity_factor", "balance_elasticity")


def _unused(t: PaymentTiming, held: set[str], inv: Invoices) -> dict[str, str]:
    """Parameters that cannot change the likelihood, given the values held and the invoices."""
    out: dict[str, str] = {}
    if "planner_share" in held and t.planner_share in (0.0, 1.0):
        group = PLANNER_PARAMS if t.planner_share == 0.0 else PROMPTED_PARAMS
        out |= {n: f"not used: planner_share = {t.planner_share:g}" for n in group}
    if "decay_per_day" in held and t.decay_per_day == 0.0:
        out["floor_per_day"] = "not used: decay_per_day = 0"
    rates = ("initial_per_day", "floor_per_day", "due_date_jump_per_day")
    if all(r in held and getattr(t, r) == 0.0 for r in rates):
        out |= {n: "not used: every prompted intensity is 0" for n in PROMPTED_PARAMS if n not in rates}
    if not inv.disputed.any():
        out |= {n: "not used: no disputed invoice" for n in ("dispute_delay_days", "dispute_delay_log_sd",
                                                              "dispute_intensity_factor")}
    if "dispute_delay_days" in held and t.dispute_delay_days == 0.0:
        out["dispute_delay_log_sd"] = "not used: dispute_delay_days = 0"
    if not inv.paper.any():
        out |= {n: "not used: no paper bill" for n in ("paper_delay_days", "paper_intensity_factor")}
    if np.ptp(np.log(inv.amount)) == 0.0:
        out["balance_elasticity"] = "not used: every invoice has the same amount"
    return out


# --------------------------------------------------------------------------- optimisation
def _optimise(obj: _Objective, z0: np.ndarray) -> optimize.OptimizeResult:
    """BFGS with the analytic gradient, restarted once from its end point (fresh curvature)."""
    first = optimize.minimize(obj, z0, jac=obj.gradient, method="BFGS", options={"gtol": 1e-4})
    best = optimize.minimize(obj, first.x, jac=obj.gradient, method="BFGS", options={"gtol": 1e-5})
    if first.fun < best.fun:
        best = first
    best.nfev = first.nfev + best.nfev
    best.success = bool(np.max(np.abs(obj.gradient(best.x)), initial=0.0) < 1e-2)
    return best


def _starts(table) -> list[dict[str, float]]:
    """Deterministic starting points: one from the data's medians, three varied around it."""
    days = table["days_to_settle"].to_numpy(float)
    disputed, paper = table["disputed"].to_numpy(bool), table["paper"].to_numpy(bool)
    terms = float(np.median(np.maximum(table["terms_days"], 1)))

    def median_of(mask):
        d = days[mask & ~np.isnan(days)]
        return float(np.median(d)) if d.size else np.nan

    plain = median_of(~disputed & ~paper)
    plain = plain if np.isfinite(plain) else float(np.nanmedian(days))
    shift_d = median_of(disputed) - median_of(~disputed)
    shift_p = median_of(paper) - median_of(~paper)
    first = {"planned_day_scale_of_terms": float(np.clip(plain / terms, 0.1, 3.0)),
             "dispute_delay_days": float(np.clip(np.nan_to_num(shift_d, nan=1.0), 0.5, 60.0)),
             "paper_delay_days": float(np.clip(np.nan_to_num(shift_p, nan=1.0), 0.5, 60.0)),
             "dispute_delay_log_sd": 0.5}
    return [first,
            {**first, "planner_share": 0.5, "initial_per_day": 0.02, "decay_per_day": 0.01},
            {**first, "planner_share": 0.95, "initial_per_day": 0.2, "decay_per_day": 0.2},
            {**first, "planned_day_shape": 1.5, "due_date_jump_per_day": 1.0, "dispute_intensity_factor": 0.1}]


def _start_vector(obj: _Objective, start: dict[str, float]) -> np.ndarray:
    default = PaymentTiming()
    z = []
    for n in obj.names:
        v = start.get(n, getattr(default, n))
        if SPECS[n].kind in ("positive", "bounded"):
            v = float(np.clip(v, 1e-3, 0.5 * (SPECS[n].upper or np.inf)))
        z.append(SPECS[n].to_free(v))
    return np.array(z)


# --------------------------------------------------------------------------- intervals
def _hessian(obj: _Objective, z: np.ndarray) -> np.ndarray:
    """Observed information: the Jacobian of the analytic gradient (``scipy.differentiate``)."""
    def grad(zz):  # differentiate passes (p, ...) arrays: evaluate column by column
        flat = zz.reshape(len(z), -1)
        cols = np.stack([obj.gradient(flat[:, j]) for j in range(flat.shape[1])], axis=1)
        return cols.reshape(zz.shape)

    res = differentiate.jacobian(grad, z, order=4, initial_step=0.02, maxiter=4)
    h = np.asarray(res.df, float)
    return 0.5 * (h + h.T)


def _flat_direction(h: np.ndarray) -> np.ndarray | None:
    """The eigenvector of a (near-)flat direction of the likelihood, or ``None`` if none."""
    eigval, eigvec = np.linalg.eigh(h)
    if np.all(np.isfinite(eigval)) and eigval[0] > 1e-8 * max(eigval[-1], 1.0):
        return None
    return eigvec[:, 0] if np.all(np.isfinite(eigvec)) else np.ones(len(h))


def _settle_boundaries(obj: _Objective, best):
    """Hold every estimate that ran to the edge of its range at that edge and refit the rest.

    An estimate is on its edge when its unconstrained value is beyond ``BOUNDARY_Z``, or when
    the likelihood is flat along a direction dominated by a parameter already far out
    (|z| > NEAR_EDGE_Z: within e^-5 of its edge), where the optimiser merely stopped walking.
    """
    at_bound: dict[str, float] = {}
    dropped: dict[str, str] = {}
    inner, z = obj, best.x
    for _ in range(len(obj.names) + 1):
        edge = {n: SPECS[n].bound_of(v) for n, v in zip(inner.names, z)}
        edge = {n: b for n, b in edge.items() if b is not None}
        h = None
        if not edge and len(z):
            h = _hessian(inner, z)
            flat = _flat_direction(h)
            if flat is None:
                return inner, best, at_bound, h, dropped
            j = int(np.argmax(np.abs(flat)))
            name = inner.names[j]
            if abs(z[j]) < NEAR_EDGE_Z or SPECS[name].kind == "real":
                worst = np.argsort(-np.abs(flat))[:2]
                names = " and ".join(inner.names[i] for i in worst)
                raise FitError(f"the history does not identify {names} (flat likelihood); "
                               f"hold one fixed (--fix NAME=VALUE) or add invoices")
            edge = {name: SPECS[name].bound_of(np.sign(z[j]) * np.inf)}
        if not edge:
            return inner, best, at_bound, h, dropped
        keep = dict(zip(inner.names, z))
        for n, b in edge.items():
            inner = inner.without(n, b)
        at_bound.update(edge)
        now = inner.timing(np.array([keep[n] for n in inner.names]))
        newly = _unused(now, set(SPECS) - set(inner.names), inner.invoices)
        for n in [n for n in inner.names if n in newly]:
            inner = inner.without(n, keep[n])
            dropped[n] = newly[n]
        best = _optimise(inner, np.array([keep[n] for n in inner.names]))
        z = best.x
    raise FitError("the fit did not settle: every parameter ran to the edge of its range")


def _wald(obj: _Objective, z: np.ndarray, h: np.ndarray | None) -> tuple[dict, dict]:
    if not len(z):
        return {}, {}
    h = _hessian(obj, z) if h is None else h
    se = np.sqrt(np.diag(np.linalg.inv(h)))
    ci, method = {}, {}
    for i, n in enumerate(obj.names):
        lo, hi = SPECS[n].from_free(z[i] - Z95 * se[i]), SPECS[n].from_free(z[i] + Z95 * se[i])
        ci[n], method[n] = (float(lo), float(hi)), "wald (observed information)"
    return ci, method


def _profile_one_sided(inner: _Objective, z_hat: np.ndarray, name: str, bound: float) -> tuple[float, float]:
    """One-sided 95 % profile-likelihood interval of a parameter whose estimate is ``bound``."""
    spec = SPECS[name]
    full = _Objective(inner.base, inner.names + (name,), inner.invoices, inner.settle_day, inner.open_day)
    nll_at_bound = inner(z_hat)
    toward = 1.0 if bound == 0.0 else -1.0   # direction of the interior on the unconstrained scale
    z_edge = -toward * BOUNDARY_Z

    state = {"x": z_hat.copy()}

    def excess(zj: float) -> float:
        fixed_obj = full.without(name, float(spec.from_free(zj)))
        r = optimize.minimize(fixed_obj, state["x"], jac=fixed_obj.gradient, method="BFGS",
                              options={"gtol": 1e-5})
        state["x"] = r.x
        return 2.0 * (min(r.fun, fixed_obj(state["x"])) - nll_at_bound) - BOUNDARY_CHI2_95

    inside, zj = z_edge, z_edge
    for _ in range(40):   # walk inward in steps of e (on the log / logit scale) until rejected
        zj = inside + toward * 1.0
        if excess(zj) > 0:
            break
        inside = zj
    else:
        far = float(spec.from_free(toward * np.inf))
        return (bound, far) if toward > 0 else (far, bound)
    state["x"] = z_hat.copy()
    root = optimize.brentq(excess, inside, zj, xtol=1e-3) if inside != zj else zj
    limit = float(spec.from_free(root))
    return (bound, limit) if toward > 0 else (limit, bound)
