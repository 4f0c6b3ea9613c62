"""The results as the building blocks see them: loaded from a result folder (the pipeline's, or one
prepared by the same step for a notebook opened in JupyterLab), strategies in the scenario's order
with the status quo first, the number of runs, the decision, and a view restricted to a few
strategies."""
from __future__ import annotations

from collections.abc import Sequence



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
        self.directory = getattr(res, "directory", None)
        self.decision = recommendation(res)
        keep = set(strategies)
        self.metrics = res.metrics[res.metrics["strategy"].isin(keep)]
        self.curves = res.curves[res.curves["strategy"].isin(keep)] if hasattr(res, "curves") else None
        self.aging = res.aging[res.aging["strategy"].isin(keep)] if hasattr(res, "aging") else None
