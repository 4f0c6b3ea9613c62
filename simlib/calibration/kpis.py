"""Calibration to aggregate KPIs: adjust named parameters until simulated KPIs meet targets.

For a hospital without an account export (``simlib calibrate kpis``; docs/calibration.md,
"Calibrating to KPIs"). Every evaluation simulates one strategy with the same seed and
replications (common random numbers), so the KPIs are a deterministic function of the
parameters: piecewise constant on a fine scale (one account's payment crossing the measurement
day moves days in A/R by a step), smooth at the scale of a few per cent. The optimiser is scipy's
``least_squares`` (trust-region reflective) on the log of each parameter within bounds, with a
forward-difference Jacobian whose step (``FD_STEP_LOG``: 3 % of each parameter) spans many such
steps. Residuals are relative, (achieved − target) / |target|, so KPIs in days and in shares
weigh alike. The Monte Carlo 95 % interval of each fitted parameter is the sandwich
(JᵀJ)⁻¹ Jᵀ Σ J (JᵀJ)⁻¹ on the log scale, Σ the covariance of the mean KPIs across replications:
how far the fit would move with another seed.
"""
from __future__ import annotations

import copy
import datetime as _dt
import difflib
import functools
import math
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel
from scipy import optimize, stats

from simlib.core.metric_catalogue import METRICS
from simlib.scenario.schema import Scenario, ScenarioError, load_scenario, scenario_from_dict

FD_STEP_LOG = 0.03
CI_STEP_LOG = 0.1
BOUNDS_FACTOR_DEFAULT = 10.0
MAX_EVALUATIONS_DEFAULT = 60
DEFAULT_PARAMETERS = ("behaviour.initial_per_day", "behaviour.decay_per_day")
UNBOUNDED_SHARES = {"cost_to_collect", "factoring_apr"}  # ratios of two amounts that may exceed 1
SIGNED_MONEY = {"npv_net_cash", "cash_trough"}  # amounts that may be negative


class KpiCalibrationError(ValueError):
    """Input the KPI calibration cannot use; ``str(err)`` is one line naming the option or path."""


def kpi_range(name: str) -> tuple[float, float]:
    """The values a KPI can take: shares of a whole in [0, 1], counts, days and costs >= 0."""
    if name in SIGNED_MONEY:
        return -math.inf, math.inf
    return 0.0, 1.0 if METRICS[name].unit == "share" and name not in UNBOUNDED_SHARES else math.inf


def parse_target(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` with NAME a metric of :data:`simlib.core.metric_catalogue.METRICS` and VALUE in its range."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise KpiCalibrationError(f"--target: expected NAME=VALUE; found {text!r}")
    if name not in METRICS:
        close = difflib.get_close_matches(name, METRICS, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise KpiCalibrationError(f"--target: unknown KPI {name!r}{hint}; known: {', '.join(METRICS)}")
    try:
        number = float(value)
    except ValueError:
        raise KpiCalibrationError(f"--target {name}: expected a number; found {value!r}") from None
    lo, hi = kpi_range(name)
    if not math.isfinite(number) or not lo <= number <= hi:
        unit = METRICS[name].unit
        raise KpiCalibrationError(f"--target {name}: expected a {unit} value in [{lo:g}, {hi:g}]; "
                                  f"found {value.strip()}" + (" (shares are fractions: 25 % is 0.25)"
                                                              if unit == "share" and number > 1 else ""))
    return name, number


@dataclass(frozen=True)
class FreeParameter:
    """A scenario field the calibration moves, by its dotted path, and its search range."""

    path: str
    start: float
    low: float
    high: float


def _declared_range(keys: tuple[str, ...]) -> tuple[float, float]:
    """Bounds the scenario model declares for a field (gt/ge/lt/le), else (0, inf)."""
    ann, meta = Scenario, []
    for key in keys:
        if typing.get_origin(ann) in (typing.Union, types.UnionType):  # X | None
            ann = next((a for a in typing.get_args(ann) if a is not type(None)), ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel) and key in ann.model_fields:
            info = ann.model_fields[key]
            ann, meta = info.annotation, info.metadata
        elif typing.get_origin(ann) is dict:
            ann, meta = typing.get_args(ann)[1], []
        else:
            return 0.0, math.inf
    lows = [getattr(m, "gt", None) or getattr(m, "ge", None) or 0.0 for m in meta]
    highs = [m.lt * (1 - 1e-9) if getattr(m, "lt", None) is not None else getattr(m, "le", None) or math.inf
             for m in meta]
    return max(lows, default=0.0), min(highs, default=math.inf)


def free_parameter(data: dict, text: str, bounds_factor: float = BOUNDS_FACTOR_DEFAULT) -> FreeParameter:
    """``PATH`` or ``PATH=START`` (e.g. ``behaviour.decay_per_day=0.02``) checked against ``data``,
    a scenario as a dict; searched within [start / factor, start × factor] and the field's range."""
    path, sep, start_text = text.partition("=")
    path = path.strip()
    node, keys = data, path.split(".")
    for i, key in enumerate(keys):
        where = ".".join(keys[:i]) or "the scenario"
        if not isinstance(node, dict):
            raise KpiCalibrationError(f"--param {path}: {where} is not a block of fields")
        if key not in node:
            known = ", ".join(map(str, node)) or "none"
            raise KpiCalibrationError(f"--param {path}: unknown parameter; {where} has no field "
                                      f"{key!r} (fields: {known})")
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, float):
        found = ("a block of fields" if isinstance(node, dict) else "a whole number, which cannot be "
                 f"fitted ({node})" if isinstance(node, int) else repr(node))
        raise KpiCalibrationError(f"--param {path}: expected a real-valued field; found {found}")
    start = float(node)
    if sep:
        try:
            start = float(start_text)
        except ValueError:
            raise KpiCalibrationError(f"--param {path}: expected a starting value after '='; "
                                      f"found {start_text!r}") from None
    if not math.isfinite(start) or start <= 0:
        raise KpiCalibrationError(f"--param {path}: the search works on the log of the parameter, so "
                                  f"its starting value must be > 0; found {start:g} (give one: "
                                  f"--param {path}=VALUE)")
    lo, hi = _declared_range(tuple(keys))
    low, high = max(start / bounds_factor, lo), min(start * bounds_factor, hi)
    if start > high:
        raise KpiCalibrationError(f"--param {path}: starting value {start:g} is above the field's "
                                  f"upper limit {hi:g}")
    return FreeParameter(path, start, low, high)


def kpi_scenario_data(sc: Scenario, strategy: str | None = None,
                      encounters_per_day: float | None = None) -> tuple[dict, str]:
    """The scenario as a dict with one strategy (default: the status quo), optionally scaled; without
    ``uncertain:``, whose draws would replace the very parameters being fitted (the file's values are
    the centre the draws spread around)."""
    name = strategy or sc.baseline_strategy
    if name not in sc.strategies:
        raise KpiCalibrationError(f"--strategy: unknown strategy {name!r}; the scenario has "
                                  f"{', '.join(sc.strategies)}")
    data = sc.model_dump(mode="json")
    data["strategies"] = {name: data["strategies"][name]}
    data.pop("uncertain", None)
    if encounters_per_day is not None:
        data["simulation"]["encounters_per_day"] = encounters_per_day
    return data, name


def with_values(data: dict, params: list[FreeParameter], values) -> Scenario:
    """``data`` with each parameter set to its value, validated like a scenario file."""
    out = copy.deepcopy(data)
    for p, v in zip(params, values):
        *parents, last = p.path.split(".")
        functools.reduce(dict.__getitem__, parents, out)[last] = float(v)
    return scenario_from_dict(out, "calibrate kpis")


@dataclass
class KpiFit:
    """Fitted parameters with Monte Carlo intervals, and each target with what was achieved."""

    source: str
    strategy: str
    seed: int
    replications: int
    encounters_per_day: float
    parameters: list[FreeParameter]
    fitted: dict[str, float]
    fitted_ci95: dict[str, tuple[float, float] | None]  # None: at a bound, or not identified
    kpis: dict[str, dict]  # target, achieved, ci95, residual, relative_residual, met
    converged: bool
    message: str
    evaluations: int
    elapsed_seconds: float
    blocks: dict = field(default_factory=dict)  # top-level sections holding a fitted value

    @property
    def targets_met(self) -> bool:
        return all(k["met"] for k in self.kpis.values())

    @property
    def ok(self) -> bool:
        return self.converged and self.targets_met

    def write_yaml(self, path: str | Path) -> None:
        """The fitted blocks (paste them into the scenario) and a ``calibration`` record."""
        from simlib.core.versions import SIMLIB_VERSION
        record = {
            "calibration": {
                "method": "simlib calibrate kpis (least squares on log-parameters, common random numbers)",
                "scenario": self.source, "strategy": self.strategy, "seed": self.seed,
                "replications": self.replications, "encounters_per_day": self.encounters_per_day,
                "converged": self.converged, "targets_met": self.targets_met, "message": self.message,
                "evaluations": self.evaluations,
                "parameters": {p.path: {"start": p.start, "fitted": self.fitted[p.path],
                                        "monte_carlo_ci95": self.fitted_ci95[p.path],
                                        "search_range": (p.low, p.high)} for p in self.parameters},
                "kpis": self.kpis,
                "simlib_version": SIMLIB_VERSION, "fitted_on": _dt.date.today().isoformat(),
            }}
        fitted = ", ".join(f"{p.path} = {self.fitted[p.path]:.6g}" for p in self.parameters)
        head = ("# Fitted by `simlib calibrate kpis` (docs/calibration.md, \"Calibrating to KPIs\").\n"
                "# Each block below replaces the scenario's block of the same name; the\n"
                "# `calibration` record says what was targeted and achieved.\n"
                f"# Fitted: {fitted}\n")
        dump = yaml.dump({**self.blocks, **record}, Dumper=_Dumper, sort_keys=False, width=110)
        from simlib.core.atomic import atomic_write_text
        atomic_write_text(path, head + dump)  # the old file or the new one, never half of it


def at_bound(p: FreeParameter, value: float) -> bool:
    """Within 0.1 % of an end of the search range (the optimiser stays strictly inside it)."""
    return value <= p.low * (1 + 1e-3) or value >= p.high * (1 - 1e-3)


class _Dumper(yaml.SafeDumper):
    """Intervals and ranges (tuples) on one line: ``ci95: [54.2, 56.0]``."""


_Dumper.add_representer(tuple, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


class _Budget(Exception):
    """The simulations allowed are spent."""


class _Simulator:
    """KPIs of one strategy as a function of log-parameters; same seed and replications each time."""

    def __init__(self, data, params, targets, replications, seed, workers, labels, max_evaluations):
        self.data, self.params, self.targets = data, params, targets
        self.names = list(targets)
        self.target = np.array([targets[n] for n in self.names])
        self.scale = np.where(self.target != 0, np.abs(self.target), 1.0)
        self.replications, self.seed, self.workers, self.labels = replications, seed, workers, labels
        self.max_evaluations, self.cache, self.best = max_evaluations, {}, None

    def per_replication(self, x) -> pd.DataFrame:
        key = tuple(np.round(np.asarray(x, float), 12))
        if key not in self.cache:
            if len(self.cache) >= self.max_evaluations:
                raise _Budget
            from simlib.run.experiment import run_experiment
            sc = with_values(self.data, self.params, np.exp(key))
            res = run_experiment(sc, replications=self.replications, seed=self.seed,
                                 workers=self.workers, labels=self.labels)
            wide = res.metrics.pivot(index="replication", columns="metric", values="value")
            missing = [n for n in self.names if n not in wide or wide[n].isna().any()]
            if missing:
                raise KpiCalibrationError(f"--target {missing[0]}: strategy {next(iter(sc.strategies))!r} "
                                          f"does not produce this KPI in this scenario")
            self.cache[key] = wide[self.names]
            cost = float(np.sum(self.residuals(x) ** 2))
            if self.best is None or cost < self.best[0]:
                self.best = (cost, np.array(key))
        return self.cache[key]

    def residuals(self, x) -> np.ndarray:
        return (self.per_replication(x).mean().to_numpy() - self.target) / self.scale

    def jacobian(self, x) -> np.ndarray:
        x = np.asarray(x, float)
        r0, cols = self.residuals(x), []
        for j, p in enumerate(self.params):
            h = FD_STEP_LOG if x[j] + FD_STEP_LOG <= math.log(p.high) else -FD_STEP_LOG
            xj = x.copy()
            xj[j] += h
            cols.append((self.residuals(xj) - r0) / h)
        jac = np.column_stack(cols)
        dead = [p.path for j, p in enumerate(self.params) if not np.any(jac[:, j])]
        if dead:
            raise KpiCalibrationError(f"--param {dead[0]}: moving it by {FD_STEP_LOG:.0%} changes none "
                                      f"of the targets ({', '.join(self.names)}); fit another parameter")
        return jac


def calibrate_kpis(scenario: Scenario | str | Path, targets: dict[str, float],
                   parameters: list[str] | None = None, *, strategy: str | None = None,
                   replications: int = 10, seed: int | None = None,
                   encounters_per_day: float | None = None, workers: int = 1,
                   bounds_factor: float = BOUNDS_FACTOR_DEFAULT,
                   max_evaluations: int = MAX_EVALUATIONS_DEFAULT, labels: dict | None = None) -> KpiFit:
    """Fit ``parameters`` (dotted paths, ``PATH=START`` allowed; default ``DEFAULT_PARAMETERS``)
    so that the strategy's mean KPIs over ``replications`` meet ``targets`` ({metric: value}).

    A target is met when it lies inside the 95 % t-interval of its achieved mean across the
    replications. Raises KpiCalibrationError or ScenarioError on input it cannot use.
    """
    source = str(scenario) if isinstance(scenario, (str, Path)) else scenario.name
    sc = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    if not targets:
        raise KpiCalibrationError("--target: give at least one KPI target NAME=VALUE")
    for name, value in targets.items():
        parse_target(f"{name}={float(value)!r}" if isinstance(value, (int, float)) else f"{name}={value}")
    if not bounds_factor >= 1.1:  # the search range must hold the Jacobian's 3 % steps
        raise KpiCalibrationError(f"--bounds-factor: expected a number >= 1.1; found {bounds_factor:g}")
    if max_evaluations < 1:
        raise KpiCalibrationError(f"--max-evaluations: expected a whole number >= 1; found {max_evaluations}")
    data, strategy = kpi_scenario_data(sc, strategy, encounters_per_day)
    texts = list(parameters) if parameters else list(DEFAULT_PARAMETERS[:len(targets)])
    params = [free_parameter(data, t, bounds_factor) for t in texts]
    paths = [p.path for p in params]
    if len(set(paths)) < len(paths):
        raise KpiCalibrationError(f"--param {next(p for p in paths if paths.count(p) > 1)}: given twice")
    if len(params) > len(targets):
        raise KpiCalibrationError(f"--param: {len(params)} parameters but {len(targets)} targets; "
                                  f"targets cannot pin down more parameters than there are targets")
    from simlib.run.options import resolve
    opts = resolve(with_values(data, params, [p.start for p in params]), replications=replications,
                   seed=seed, workers=workers, labels=labels, source=source)
    for p in params:  # the search range must stay valid for the scenario (cross-field rules too)
        for edge in (p.low, p.high):
            try:
                with_values(data, params, [edge if q is p else q.start for q in params])
            except ScenarioError as err:
                raise KpiCalibrationError(f"--param {p.path}: the search range [{p.low:g}, {p.high:g}] "
                                          f"leaves the valid values ({err.problems[0]}); use a smaller "
                                          f"--bounds-factor") from None
    sim = _Simulator(data, params, targets, opts.replications, opts.seed, opts.workers, labels,
                     max_evaluations)
    x0 = np.log([p.start for p in params])
    lower, upper = np.log([p.low for p in params]), np.log([p.high for p in params])
    started = time.perf_counter()
    try:  # xtol 1e-3: a step under ~0.5 % of the parameters, finer than the objective resolves
        res = optimize.least_squares(sim.residuals, x0, jac=sim.jacobian, bounds=(lower, upper),
                                     method="trf", x_scale=1.0, xtol=1e-3, ftol=1e-6, gtol=1e-8)
        x, converged = res.x, res.status > 0
        message = f"converged ({res.message.rstrip('.')})" if converged else f"did not converge ({res.message})"
    except _Budget:
        x, converged = sim.best[1], False
        message = (f"did not converge within --max-evaluations {max_evaluations} simulations; "
                   f"the best point found is written")
    if sim.best[0] < float(np.sum(sim.residuals(x) ** 2)):  # trf returns its last point
        x = sim.best[1]
    kpis, ci = _achieved(sim, x), _monte_carlo_ci(sim, x)
    fitted = dict(zip(paths, np.exp(x).tolist()))
    ci = {p.path: None if at_bound(p, fitted[p.path]) else ci[p.path] for p in params}
    missed = [n for n, k in kpis.items() if not k["met"]]
    if converged and missed:
        bounds = [p.path for p in params if at_bound(p, fitted[p.path])]
        gaps = "; ".join(f"{n} {kpis[n]['achieved']:.4g} (95 % CI {kpis[n]['ci95'][0]:.4g}–"
                         f"{kpis[n]['ci95'][1]:.4g}) vs target {kpis[n]['target']:.4g}" for n in missed)
        message = (f"converged, but a target is not reached within the Monte Carlo 95 % CI: {gaps}"
                   + (f"; at an end of its search range (--bounds-factor): {', '.join(bounds)}"
                      if bounds else ""))
    final = with_values(data, params, np.exp(x)).model_dump(mode="json")
    blocks = {p.path.split(".")[0]: final[p.path.split(".")[0]] for p in params}
    return KpiFit(source, strategy, opts.seed, opts.replications, final["simulation"]["encounters_per_day"],
                  params, fitted, ci, kpis, converged, message, len(sim.cache),
                  time.perf_counter() - started, blocks)


def _achieved(sim: _Simulator, x) -> dict[str, dict]:
    """Each target with its achieved mean, t-based 95 % CI across replications and residual."""
    wide = sim.per_replication(x)
    mean, n = wide.mean().to_numpy(), len(wide)
    half = stats.t.ppf(0.975, n - 1) * wide.std(ddof=1).to_numpy() / math.sqrt(n)
    return {name: {"target": float(t), "achieved": float(m), "ci95": (float(m - h), float(m + h)),
                   "residual": float(m - t), "relative_residual": float((m - t) / s),
                   "met": bool(m - h <= t <= m + h)}
            for name, t, m, h, s in zip(sim.names, sim.target, mean, half, sim.scale)}


def _monte_carlo_ci(sim: _Simulator, x) -> dict[str, tuple[float, float] | None]:
    """95 % interval of each fitted parameter over seeds: sandwich on the log scale (see module),
    with a central-difference Jacobian of step ``CI_STEP_LOG`` (wider than the optimiser's, so the
    fine-scale steps of the objective hardly move the weakly identified direction)."""
    paths, x = [p.path for p in sim.params], np.asarray(x, float)
    sim.max_evaluations = len(sim.cache) + 2 * len(paths)  # the intervals' own simulations
    cols = []
    for j, p in enumerate(sim.params):
        xu, xd = x.copy(), x.copy()
        xu[j], xd[j] = min(x[j] + CI_STEP_LOG, math.log(p.high)), max(x[j] - CI_STEP_LOG, math.log(p.low))
        cols.append((sim.residuals(xu) - sim.residuals(xd)) / (xu[j] - xd[j]))
    jac = np.column_stack(cols)
    values = sim.per_replication(x).to_numpy() / sim.scale
    sigma = np.atleast_2d(np.cov(values, rowvar=False)) / len(values)
    info = jac.T @ jac
    if not np.all(np.isfinite(info)) or np.linalg.cond(info) > 1e12:
        return dict.fromkeys(paths)
    bread = np.linalg.solve(info, jac.T)
    cov = bread @ sigma @ bread.T
    half = stats.norm.ppf(0.975) * np.sqrt(np.clip(np.diag(cov), 0, None))
    return {p: (float(np.exp(x[j] - half[j])), float(np.exp(x[j] + half[j]))) for j, p in enumerate(paths)}
