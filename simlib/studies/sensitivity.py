"""One-at-a-time sensitivity of the recommendation: what does the ranking hinge on?

Each assumption (a :class:`Range`) is set to a low and a high value in turn, all others held at
the scenario's values, and the recommended strategy and the runner-up are re-run with the **same
seed** (common random numbers: the same patients and latent payment thresholds in every run), so
the differences between runs come from the assumption, not from noise. The outcome is the
recommended strategy's paired gain over the runner-up on the decision metric
(:func:`simlib.analysis.decision.decision_metric`): below zero, the ranking flips. The two
strategies are the run's decision's (:func:`simlib.analysis.decision.decide`).

**The base case is the main run** (:class:`PairedGain`): the gain at the scenario's values is the
main run's; a setting's gain is that plus the *change* measured on the first ``replications``
runs (the main run's own first runs, restricted to the two strategies, against the same runs at
the setting). The factors are the scenario file's ``sensitivity.factors`` (or
:data:`DEFAULT_FACTORS`) and the ``assumptions`` of the levers the two strategies use
(:func:`scenario_factors`). The tornado chart of :func:`simlib.report.plots.tornado` draws :func:`sweep`'s
table; :mod:`simlib.studies.flip_points` finds where the gain crosses zero.
"""
from __future__ import annotations

from simlib.core.language import N_

import math
from collections.abc import Sequence
from typing import Literal

import pandas as pd

from simlib.analysis.decision import decide, decision_metric
from simlib.core.metric_catalogue import KEY_METRIC
from simlib.core.parameter_paths import ParameterPathError, apply, values
from simlib.core.ranges import Range



DEFAULT_FACTORS: tuple[Range, ...] = (
    Range(N_("Reminder effect (intensity jump per contact, all channels)"), "channels.*.jump_per_day", 0.5, 1.5),
    Range(N_("Propensity to pay (initial payment intensity)"), "behaviour.initial_per_day", 0.7, 1.3),
    Range(N_("Initial claim denial rate (all payers)"), "payers.*.initial_denial_rate", 0.7, 1.3, upper=1.0),
    Range(N_("Patients' ability to pay (monthly median)"), "patients.ability_monthly_median", 0.7, 1.3),
    Range(N_("Cost of capital (annual)"), "finance.cost_of_capital_annual", 0.04, 0.12, mode="set", upper=1.0),
)


class SensitivityError(ParameterPathError):
    """A factor names a parameter that does not exist or produces an invalid scenario."""



def lever_factors(scenario, strategies: Sequence[str]) -> list[Range]:
    """The ``assumptions`` of every lever that one of ``strategies`` uses (its section is set and
    differs from the lever's default), in registry order, each once — when the setting is a number
    there: an optional setting left unset (the targeted offer's ``noise_sd``, whose default is the
    patients' score noise) has nothing to move, and a sweep of it would refuse the scenario."""
    from simlib.levers import registered_levers

    data = None  # the dumped scenario, once a lever in use declares assumptions
    out: dict[str, Range] = {}
    for key, lever in registered_levers().items():
        used = any(getattr(scenario.strategies[s], key, None) not in (None, lever.default) for s in strategies)
        if used:
            for a in lever.assumptions:
                data = scenario.model_dump() if data is None else data
                if _has_number(data, a.path(key), strategies):
                    out.setdefault(a.path(key), Range(a.label, a.path(key), a.low, a.high, a.mode, a.upper))
    return list(out.values())


def _has_number(data: dict, path: str, strategies: Sequence[str]) -> bool:
    """Whether ``path`` names a number in ``data`` (a ``strategies.*.`` path: in one of ``strategies``)."""
    parts = path.split(".")
    paths = [".".join(["strategies", s, *parts[2:]]) for s in strategies] \
        if parts[:2] == ["strategies", "*"] and strategies else [path]
    for p in paths:
        try:
            values(data, p)
            return True
        except ParameterPathError:
            continue
    return False


def uncertain_factors(scenario, low_q: float = 0.01, high_q: float = 0.99) -> list[Range]:
    """One factor per assumption of the scenario's ``uncertain:`` section, set from its ``low_q``
    to its ``high_q`` quantile (none without the section; a fixed one has no range)."""
    entries = getattr(scenario, "uncertain", None) or []
    if not entries:
        return []
    from simlib.scenario.uncertain import quantile

    out = [Range(e.label, e.path, float(quantile(e, low_q)), float(quantile(e, high_q)), "scale" if getattr(e, "scale", False) else "set")
           for e in entries]  # a ``scale`` entry draws a multiplier of the file's numbers
    return [f for f in out if f.low < f.high]


def _concerns(scenario, path: str, strategies: Sequence[str]) -> bool:
    """False for a lever setting (``strategies.*.<lever>.…``) that none of ``strategies`` uses."""
    parts = path.split(".")
    if not strategies or parts[:2] != ["strategies", "*"] or len(parts) < 4:
        return True
    return any(getattr(scenario.strategies[s], parts[2], None) is not None for s in strategies)


def scenario_factors(scenario, strategies: Sequence[str] = ()) -> list[Range]:
    """The factors to sweep, one per path: the file's ``sensitivity.factors``; the uncertain
    assumptions (their 1 %–99 % range; a lever's setting only when one of ``strategies`` uses it); the built-in :data:`DEFAULT_FACTORS` when the file lists
    none; the assumptions of the levers ``strategies`` use (unless ``lever_assumptions: false``).
    The first factor of a path wins: an uncertain assumption's range replaces a default's."""
    section = scenario.sensitivity
    listed = [Range.of(f) for f in section.factors] if section is not None and section.factors else []
    listed += [f for f in uncertain_factors(scenario) if _concerns(scenario, f.path, strategies)]
    if not listed or section is None or not section.factors:
        listed += list(DEFAULT_FACTORS)
    if section is None or section.lever_assumptions:
        listed += lever_factors(scenario, strategies)
    out: dict[str, Range] = {}
    for f in listed:
        out.setdefault(f.path, f)
    return list(out.values())


#: the copies :func:`modified` validated, by (scenario, factor, setting), each with its scenario (so
#: its ``id`` stays its own): a report checks every factor's two settings before any run, the sweep
#: checks them again and then runs them — one validation, not three (stop 37)
_MODIFIED: dict[tuple, tuple] = {}
_MODIFIED_KEPT = 512


def modified(scenario, factor: Range, which: Literal["low", "high"] | float):
    """A re-validated copy of ``scenario`` with ``factor`` at its low or high setting (or at the
    setting ``which``: a multiplier in scale mode, a value in set mode). Asked again for the same
    scenario object, factor and setting, the same copy (nothing mutates a scenario once validated)."""
    v = float(which) if not isinstance(which, str) else factor.low if which == "low" else factor.high
    key = (id(scenario), factor.path, factor.mode, factor.upper, float(v))
    known = _MODIFIED.get(key)
    if known is not None and known[0] is scenario:
        return known[1]
    copy = _modified(scenario, factor, v)
    if len(_MODIFIED) >= _MODIFIED_KEPT:
        _MODIFIED.clear()
    _MODIFIED[key] = (scenario, copy)
    return copy


def _modified(scenario, factor: Range, v: float):
    from simlib.scenario.schema import scenario_from_dict
    from simlib.core.settings import ScenarioError

    data = scenario.model_dump()
    try:
        apply(data, factor.path, lambda x: factor.value_at(x, v))
    except ParameterPathError as exc:
        raise SensitivityError(f"{factor.label}: {exc}") from None
    _pin_uncertain(scenario, data, factor, v)
    try:
        return scenario_from_dict(data, factor.label)
    except ScenarioError as exc:  # an out-of-range setting: the first problem, by its field
        raise SensitivityError(f"{factor.label} at {factor.setting_label(v)}: {exc.problems[0]}") from None


def _overlap(a: str, b: str) -> bool:
    """Whether two dotted paths can name the same number (``*`` matches any one name)."""
    x, y = a.split("."), b.split(".")
    return len(x) == len(y) and all(p == q or "*" in (p, q) for p, q in zip(x, y))


def _pin_uncertain(scenario, data: dict, factor: Range, setting: float) -> None:
    """An assumption the scenario declares uncertain (section ``uncertain:``) is drawn in each run,
    over the file's value; at a fixed setting it is held: its entry is dropped (draws are keyed by
    path, so no other draw moves — as :func:`simlib.scenario.uncertain.set_parameter` does) and, for the
    entry at the factor's own path, the setting applies to its central value (a ``scale`` entry's
    multiplier is the setting itself), and its joint numbers move with it as a draw moves them."""
    entries = data.get("uncertain") or []
    hits = [i for i, e in enumerate(entries) if isinstance(e, dict) and any(
        _overlap(str(p), factor.path) for p in [e.get("path")] + [j.get("path") for j in e.get("joint") or []])]
    if not hits:
        return
    same = [i for i in hits if entries[i]["path"] == factor.path]
    if same:
        from simlib.scenario.uncertain import central_value

        entry = scenario.uncertain[same[0]]
        joint = getattr(entry, "joint", None) or ()
        if getattr(entry, "scale", False):  # modified() has multiplied the file's numbers by the setting
            ratio = setting
        else:
            value = factor.value_at(float(central_value(entry)), setting)
            ratio = value / values(scenario.model_dump(), factor.path)[0] if joint else 1.0
            apply(data, factor.path, lambda _: value)
        for j in joint:
            try:
                apply(data, j.path, lambda old, p=j.power: old * ratio ** p)
            except ParameterPathError:  # a joint path no entry of this scenario uses
                pass
    data["uncertain"] = [e for i, e in enumerate(entries) if i not in hits]


def check_factors(scenario, factors: Sequence[Range], where: str = "sensitivity.factors") -> list[str]:
    """One line per factor whose low or high setting makes the scenario invalid (before any run),
    named ``<where>.<index>``."""
    out = []
    for i, factor in enumerate(factors):
        for which in ("low", "high"):
            try:
                modified(scenario, factor, which)
            except SensitivityError as exc:
                out.append(f"{where}.{i}: {exc}")
                break
    return out


def two_strategy_scenario(scenario, strategy: str, baseline: str):
    """The scenario restricted to ``baseline`` and ``strategy`` (half the work of a full run).

    Seeds never depend on the strategy (CRN), so dropping the others changes no number. The
    ``sensitivity`` section is dropped (its paths may name the other strategies), and so are the
    ``search`` section (no simulated number depends on it; its checks cost ≈ 0.04 CPU-s each time
    a task validates the scenario) and an uncertain assumption of a dropped strategy."""
    from simlib.scenario.schema import Scenario

    if strategy == baseline:
        raise SensitivityError("the strategy and the baseline must differ")
    data = scenario.model_dump()
    data["strategies"] = {name: dict(data["strategies"][name], baseline=(name == baseline))
                          for name in (baseline, strategy)}
    data["sensitivity"] = None
    data["search"] = None
    if data.get("uncertain"):  # an assumption of a dropped strategy (its draws are keyed by path)
        data["uncertain"] = [e for e in data["uncertain"] if not (
            e["path"].startswith("strategies.") and e["path"].split(".")[1] not in ("*", baseline, strategy))]
    return Scenario.model_validate(data)


def gain(metrics: pd.DataFrame, strategy: str, baseline: str, metric: str = KEY_METRIC) -> float:
    """Mean paired difference strategy − baseline on ``metric`` across replications."""
    rows = metrics[metrics["metric"] == metric]
    wide = rows.pivot(index="replication", columns="strategy", values="value")
    return float((wide[strategy] - wide[baseline]).mean())


class PairedGain:
    """The gain of ``strategy`` over ``against`` on ``metric`` at any factor setting.

    Runs only the two strategies, ``replications`` runs with ``seed`` (the same runs at every
    setting: common random numbers). The gain at the scenario's values is ``main`` (the main run's
    metrics) when given; a setting's gain is that plus the change from the scenario's values
    measured on the ``replications`` runs — the main run's first runs when it has them, so no
    second base-case figure exists. Results are cached by (factor, setting); ``evaluations``
    counts the settings run. :meth:`prefetch` runs many settings on one pool of ``workers``.
    """

    def __init__(self, scenario, strategy: str, against: str, *, metric: str = KEY_METRIC,
                 replications: int = 2, seed: int | None = None, workers: int = 1,
                 main: pd.DataFrame | None = None):
        self.scenario, self.strategy, self.against, self.metric = scenario, strategy, against, metric
        self.replications, self.workers = replications, workers
        self.seed = scenario.simulation.seed if seed is None else seed
        self.evaluations = 0
        self._cache: dict[tuple, float] = {}
        first = None
        if main is not None:
            pair = main[main["strategy"].isin([strategy, against]) & (main["metric"] == metric)]
            self.base = gain(pair, strategy, against, metric)
            reps = sorted(pair["replication"].unique())[:replications]
            if reps == list(range(replications)):
                first = gain(pair[pair["replication"].isin(reps)], strategy, against, metric)
        if first is None:
            first = self._gains([scenario])[0]
            if main is None:
                self.base = first
        self.offset = self.base - first

    def _gains(self, scenarios: Sequence) -> list[float]:
        """The measured gain (no offset) of each scenario, restricted to the two strategies."""
        from simlib.run.pool import run_tasks

        r = self.replications
        tasks = [(two_strategy_scenario(sc, self.strategy, self.against).model_dump(mode="json"), rep,
                  self.seed, self.strategy, self.against, self.metric) for sc in scenarios for rep in range(r)]
        if self.workers > 1 and len(tasks) > 1:
            diffs = run_tasks(_paired_difference, tasks, self.workers)
        else:
            diffs = [_paired_difference(t) for t in tasks]
        self.evaluations += len(scenarios)
        return [float(pd.Series(diffs[i * r:(i + 1) * r], dtype=float).mean()) for i in range(len(scenarios))]

    def prefetch(self, settings: Sequence[tuple[Range, float]]) -> None:
        """Run every (factor, setting) not yet known, all on one pool."""
        todo = list(dict.fromkeys((f, float(x)) for f, x in settings if self._key(f, x) not in self._cache))
        gains = self._gains([modified(self.scenario, f, x) for f, x in todo])
        for (f, x), g in zip(todo, gains):
            self._cache[self._key(f, x)] = g + self.offset

    @staticmethod
    def _key(factor: Range, setting: float) -> tuple:
        return factor.path, factor.mode, factor.upper, float(setting)

    def at(self, factor: Range, setting: float) -> float:
        """The gain with ``factor`` at ``setting`` (a multiplier in scale mode, a value in set mode)."""
        self.prefetch([(factor, setting)])
        return self._cache[self._key(factor, setting)]


def _paired_difference(task: tuple) -> float:
    """One run of a two-strategy scenario: strategy − against on the metric (a worker's task)."""
    from simlib.run.experiment import run_replication
    from simlib.scenario.schema import scenario_from_dict

    data, rep, seed, strategy, against, metric = task
    m = run_replication(scenario_from_dict(data), rep, seed)["metrics"]
    m = m[m["metric"] == metric].set_index("strategy")["value"]
    return float(m[strategy] - m[against])


def sweep(scenario, factors: Sequence[Range] | None = None, replications: int = 2,
          seed: int | None = None, *, strategy: str | None = None, baseline: str | None = None,
          metric: str | None = None, workers: int = 1, main: pd.DataFrame | None = None,
          curve: PairedGain | None = None) -> pd.DataFrame:
    """Tornado table of the gain of ``strategy`` over ``baseline`` (the strategy it is compared
    with) on ``metric``, factor by factor.

    Columns ``[parameter, path, low_label, high_label, low_value, high_value, base_value, flips]``,
    one row per factor, sorted by swing ``|high − low|`` (largest first); ``flips`` marks a factor
    at whose low or high setting the gain changes sign. Without ``strategy`` the two are the
    recommended strategy and the runner-up of the decision (:func:`simlib.analysis.decision.decide`)
    of ``main`` (the main run's metrics) or of a run of ``scenario``; ``factors`` default to :func:`scenario_factors` for them. ``df.attrs`` records
    strategy, baseline, metric, replications and seed.
    """
    from simlib.run.experiment import run_experiment

    seed = scenario.simulation.seed if seed is None else seed
    if strategy is None:
        if main is None:
            main = run_experiment(scenario, replications=replications, seed=seed, workers=workers,
                                  progress=False).metrics
        decision = decide(main, scenario.baseline_strategy, metric=metric)
        if decision.runner_up is None:
            raise SensitivityError("the scenario has a single strategy: nothing to compare")
        strategy, baseline = decision.strategy, decision.runner_up
    baseline = baseline or scenario.baseline_strategy
    metric = metric or (decision_metric(main) if main is not None else KEY_METRIC)
    factors = list(factors) if factors is not None else scenario_factors(scenario, [strategy, baseline])
    problems = check_factors(scenario, factors)
    if problems:
        raise SensitivityError("\n".join(problems))
    curve = curve or PairedGain(scenario, strategy, baseline, metric=metric, replications=replications,
                                seed=seed, workers=workers, main=main)
    curve.prefetch([(f, x) for f in factors for x in (f.low, f.high)])
    rows = []
    for f in factors:
        lo, hi = curve.at(f, f.low), curve.at(f, f.high)
        rows.append({"parameter": f.label, "path": f.path, "low_label": f.setting_label("low"),
                     "high_label": f.setting_label("high"), "low_value": lo, "high_value": hi,
                     "base_value": curve.base, "flips": _sign(lo) != _sign(curve.base) or
                     _sign(hi) != _sign(curve.base)})
    table = pd.DataFrame(rows, columns=["parameter", "path", "low_label", "high_label", "low_value",
                                        "high_value", "base_value", "flips"])
    swing = (table["high_value"] - table["low_value"]).abs()
    table = table.iloc[swing.sort_values(ascending=False, kind="stable").index].reset_index(drop=True)
    table.attrs.update({"strategy": strategy, "baseline": baseline, "metric": metric,
                        "replications": replications, "seed": seed})
    return table


def _sign(x: float) -> int:
    return 0 if not math.isfinite(x) or x == 0 else 1 if x > 0 else -1


__all__ = ["DEFAULT_FACTORS", "PairedGain", "SensitivityError", "check_factors", "gain",
           "lever_factors", "modified", "scenario_factors", "sweep", "two_strategy_scenario"]
