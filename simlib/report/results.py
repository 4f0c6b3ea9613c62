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
    (JupyterLab defaults)."""
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
                          workers=workers, progress=False)


def _strategies(res) -> list[str]:
    """Strategies in the scenario's order (baseline first)."""
    present = list(dict.fromkeys(res.metrics["strategy"]))
    order = [s for s in getattr(res.scenario, "strategies", {}) if s in present] or present
    order += [s for s in present if s not in order]
    base = res.baseline
    return [base] + [s for s in order if s != base] if base in order else order


def _replications(res) -> int:
    return int(res.metrics["replication"].nunique())


def recommendation(res):
    """The run's decision (:class:`simlib.analysis.decision.Recommendation`: recommended strategy,
    runner-up, verdicts, feasibility), computed once with the results and saved beside them (for a
    view of a few strategies: the decision of the full results it was cut from). Results-like
    objects without one (a test's table) get it from :func:`simlib.analysis.decision.decide`, the
    one place it is computed. ValueError when there is nothing to rank on."""
    if hasattr(res, "decision"):
        if res.decision is None:
            raise ValueError("the results have no decision metric: nothing to recommend")
        return res.decision
    from simlib.analysis.decision import decide
    from simlib.scenario.materiality import decision_of

    return decide(res.metrics, res.baseline, decision_of(res.scenario))


def recommended_strategy(res) -> str | None:
    """The recommended strategy, or None when the results lack the decision metric (nothing to rank on)."""
    try:
        return recommendation(res).strategy
    except ValueError:
        return None


def horizon_days(res) -> float:
    return float(res.scenario.simulation.horizon_days)


class _Subset:
    """The same results restricted to some strategies (for tables that compare a few)."""

    def __init__(self, res, strategies: Sequence[str]):
        self.scenario, self.baseline = res.scenario, res.baseline
        self.provenance = getattr(res, "provenance", {})
        self.decision = recommendation(res)
        keep = set(strategies)
        self.metrics = res.metrics[res.metrics["strategy"].isin(keep)]
        self.curves = res.curves[res.curves["strategy"].isin(keep)] if hasattr(res, "curves") else None
        self.aging = res.aging[res.aging["strategy"].isin(keep)] if hasattr(res, "aging") else None
