"""The results as the building blocks see them: loaded from the pipeline's saved results (or a
small fresh run in JupyterLab), strategies in the scenario's order with the status quo first,
the number of runs, and a view restricted to a few strategies."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from simlib.report.errors import ReportError


def load_results(scenario_file: str = "", results_dir: str = "", replications: int = 4,
                 seed: int | None = None, workers: int | None = None):
    """The notebooks' entry point: saved results when ``results_dir`` is set (the pipeline
    computes them once per scenario), otherwise a small fresh experiment on ``scenario_file``
    (JupyterLab defaults, with a progress bar: it takes a while)."""
    if results_dir:
        from simlib.run.experiment import Results

        path = Path(results_dir)
        if not path.is_dir():
            raise ReportError(f"results directory {path} not found")
        return Results.load(path)
    if not scenario_file:
        raise ReportError("set scenario_file (a parameter file) or results_dir (saved results)")
    from simlib.run.experiment import run_experiment
    from simlib.scenario.schema import load_scenario

    return run_experiment(load_scenario(scenario_file), replications=replications, seed=seed,
                          workers=workers, progress=True)


def _strategies(res) -> list[str]:
    """Strategies in the scenario's order (baseline first)."""
    present = list(dict.fromkeys(res.metrics["strategy"]))
    order = [s for s in getattr(res.scenario, "strategies", {}) if s in present] or present
    order += [s for s in present if s not in order]
    base = res.baseline
    return [base] + [s for s in order if s != base] if base in order else order


def _replications(res) -> int:
    return int(res.metrics["replication"].nunique())


def recommendation(res) -> dict:
    """:func:`simlib.analysis.summaries.recommend` on the key metric (the NPV after credit-line interest when
    a cash floor is set) against the results' baseline (for a view of a few strategies: the
    recommendation of the full results it was cut from)."""
    own = getattr(res, "recommended", None)
    if own is not None:
        return own
    from simlib.analysis.summaries import recommend

    return recommend(res.metrics, res.baseline)


def recommended_strategy(res) -> str | None:
    """The recommended strategy, or None when the results lack the key metric (nothing to rank on)."""
    from simlib.core.metric_catalogue import KEY_METRIC

    if getattr(res, "recommended", None) is None and KEY_METRIC not in set(res.metrics["metric"]):
        return None
    return recommendation(res)["strategy"]


def horizon_days(res) -> float:
    return float(res.scenario.simulation.horizon_days)


class _Subset:
    """The same results restricted to some strategies (for tables that compare a few)."""

    def __init__(self, res, strategies: Sequence[str]):
        self.scenario, self.baseline = res.scenario, res.baseline
        self.provenance = getattr(res, "provenance", {})
        self.recommended = recommendation(res)
        keep = set(strategies)
        self.metrics = res.metrics[res.metrics["strategy"].isin(keep)]
        self.curves = res.curves[res.curves["strategy"].isin(keep)] if hasattr(res, "curves") else None
        self.aging = res.aging[res.aging["strategy"].isin(keep)] if hasattr(res, "aging") else None
