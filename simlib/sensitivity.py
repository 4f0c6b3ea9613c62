"""One-at-a-time sensitivity of the recommendation: what does the answer hinge on?

Each uncertain assumption (a :class:`Factor`) is set to a low and a high value in turn, all
others held at the scenario's values, and the experiment re-run with the **same seed** (common
random numbers: the same patients and the same latent payment thresholds in every run), so the
differences between runs come from the assumption, not from noise. The outcome of each run is
the recommended strategy's paired gain over the baseline on the key metric (NPV by default):
the tornado chart of :func:`simlib.plots.tornado` draws the table :func:`sweep` returns.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from simlib.catalogue import KEY_METRIC
from simlib.parameter_paths import ParameterPathError, apply


@dataclass(frozen=True)
class Factor:
    """An uncertain assumption: a dotted parameter path and its low / high setting.

    ``path`` may contain ``*`` to address every entry of a mapping (every channel, every payer).
    ``mode="scale"`` multiplies the scenario's value(s) by ``low`` / ``high``; ``mode="set"``
    replaces them. ``upper`` caps the result (a rate cannot exceed 1).
    """

    label: str
    path: str
    low: float
    high: float
    mode: Literal["scale", "set"] = "scale"
    upper: float | None = None

    def setting_label(self, which: Literal["low", "high"]) -> str:
        v = self.low if which == "low" else self.high
        if self.mode == "scale":
            return f"×{v:g}"
        if self.upper == 1.0 or self.path.endswith(("_rate", "_annual", "_share")):
            return f"{v * 100:g} %"
        return f"{v:g}"


DEFAULT_FACTORS: tuple[Factor, ...] = (
    Factor("Reminder effect (intensity jump per contact, all channels)", "channels.*.jump_per_day", 0.5, 1.5),
    Factor("Propensity to pay (initial payment intensity)", "behaviour.initial_per_day", 0.7, 1.3),
    Factor("Initial claim denial rate (all payers)", "payers.*.initial_denial_rate", 0.7, 1.3, upper=1.0),
    Factor("Patients' ability to pay (monthly median)", "patients.ability_monthly_median_usd", 0.7, 1.3),
    Factor("Cost of capital (annual)", "finance.cost_of_capital_annual", 0.04, 0.12, mode="set", upper=1.0),
)


class SensitivityError(ParameterPathError):
    """A factor names a parameter that does not exist or produces an invalid scenario."""


def modified(scenario, factor: Factor, which: Literal["low", "high"]):
    """A re-validated copy of ``scenario`` with ``factor`` at its low or high setting."""
    from simlib.params import Scenario

    v = factor.low if which == "low" else factor.high

    def fn(x: float) -> float:
        y = x * v if factor.mode == "scale" else v
        return min(y, factor.upper) if factor.upper is not None else y

    data = scenario.model_dump()
    try:
        apply(data, factor.path, fn)
    except ParameterPathError as exc:
        raise SensitivityError(str(exc)) from None
    try:
        return Scenario.model_validate(data)
    except Exception as exc:  # pydantic ValidationError: out-of-range setting
        raise SensitivityError(f"{factor.label} at {factor.setting_label(which)}: {exc}") from None


def two_strategy_scenario(scenario, strategy: str, baseline: str):
    """The scenario restricted to ``baseline`` and ``strategy`` (half the work of a full run).

    Seeds never depend on the strategy (CRN), so dropping the others changes no number.
    """
    from simlib.params import Scenario

    if strategy == baseline:
        raise SensitivityError("the strategy and the baseline must differ")
    data = scenario.model_dump()
    data["strategies"] = {name: dict(data["strategies"][name], baseline=(name == baseline))
                          for name in (baseline, strategy)}
    return Scenario.model_validate(data)


def gain(metrics: pd.DataFrame, strategy: str, baseline: str, metric: str = KEY_METRIC) -> float:
    """Mean paired difference strategy − baseline on ``metric`` across replications."""
    rows = metrics[metrics["metric"] == metric]
    wide = rows.pivot(index="replication", columns="strategy", values="value")
    return float((wide[strategy] - wide[baseline]).mean())


def choose_strategy(metrics: pd.DataFrame, baseline: str, metric: str = KEY_METRIC) -> str:
    """The recommended strategy, or the best alternative when the baseline itself is best."""
    from simlib.analysis import recommend

    best = recommend(metrics, baseline, metric)["strategy"]
    if best != baseline:
        return best
    others = metrics[(metrics["metric"] == metric) & (metrics["strategy"] != baseline)]
    if others.empty:
        raise SensitivityError("the scenario has a single strategy: nothing to compare")
    means = others.groupby("strategy")["value"].mean()
    from simlib.catalogue import METRICS

    return str(means.idxmax() if METRICS[metric].higher_is_better is not False else means.idxmin())


def sweep(scenario, factors: Sequence[Factor] = DEFAULT_FACTORS, replications: int = 4,
          seed: int | None = None, *, strategy: str | None = None, baseline: str | None = None,
          metric: str = KEY_METRIC, workers: int = 1) -> pd.DataFrame:
    """Tornado table of the gain of ``strategy`` over ``baseline`` on ``metric``, factor by factor.

    Columns ``[parameter, low_label, high_label, low_value, high_value, base_value]``, one row
    per factor, sorted by swing ``|high − low|`` (largest first). ``strategy`` defaults to the
    recommended one at the base setting (the best alternative when the baseline wins). Every run
    uses the same seed. ``df.attrs`` records strategy, baseline, metric, replications and seed.
    """
    from simlib.experiment import run_experiment

    seed = scenario.simulation.seed if seed is None else seed
    baseline = baseline or scenario.baseline_strategy

    def run(scen) -> pd.DataFrame:
        return run_experiment(scen, replications=replications, seed=seed, workers=workers,
                              progress=False).metrics

    if strategy is None:
        base_metrics = run(scenario)
        strategy = choose_strategy(base_metrics, baseline, metric)
        base_value = gain(base_metrics, strategy, baseline, metric)
    else:
        base_value = gain(run(two_strategy_scenario(scenario, strategy, baseline)), strategy, baseline, metric)
    rows = []
    for factor in factors:
        vals = {}
        for which in ("low", "high"):
            scen = two_strategy_scenario(modified(scenario, factor, which), strategy, baseline)
            vals[which] = gain(run(scen), strategy, baseline, metric)
        rows.append({"parameter": factor.label, "low_label": factor.setting_label("low"),
                     "high_label": factor.setting_label("high"), "low_value": vals["low"],
                     "high_value": vals["high"], "base_value": base_value})
    table = pd.DataFrame(rows, columns=["parameter", "low_label", "high_label", "low_value",
                                        "high_value", "base_value"])
    swing = (table["high_value"] - table["low_value"]).abs()
    table = table.iloc[swing.sort_values(ascending=False, kind="stable").index].reset_index(drop=True)
    table.attrs.update({"strategy": strategy, "baseline": baseline, "metric": metric,
                        "replications": replications, "seed": seed})
    return table
