"""Simulating candidate strategies: one task per (candidate, replication), on the local process
pool or a Dask cluster, with every result kept so that nothing is simulated twice.

A task is a scenario holding the one candidate strategy and a replication number; it runs
:func:`simlib.run.experiment.run_replication`, whose random streams depend on (seed, replication)
only, never on the strategy (common random numbers). So a candidate's numbers are the same
whichever other candidates are simulated with it, in whatever order, on however many workers.

The search's own runs (screening and successive halving) use replication numbers from
:data:`SEARCH_REPLICATION_BASE` on: patients the final comparison (the scenario's replications
0, 1, …, the same patients as ``simlib run`` and the strategy comparison report) never sees, so
the candidates chosen on them are judged on fresh runs (no winner's curse).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from simlib.search.space import Candidate

SEARCH_REPLICATION_BASE = 1_000_000


class EvaluationError(RuntimeError):
    """A candidate's simulation failed."""


def _simulate(task: tuple[dict, int, int]) -> dict[str, float]:
    """One candidate, one replication: its metrics (the worker's function; module level so it pickles)."""
    from simlib.run.experiment import run_replication
    from simlib.scenario.schema import scenario_from_dict

    data, replication, seed = task
    metrics = run_replication(scenario_from_dict(data, "search candidate"), replication, seed)["metrics"]
    return {str(m): float(v) for m, v in zip(metrics["metric"], metrics["value"])}


def _clean(metrics: dict[str, float | None]) -> dict[str, float | None]:
    """JSON-safe (NaN as null) for the study's storage."""
    return {k: (None if v is None or not math.isfinite(v) else v) for k, v in metrics.items()}


def _restore(metrics: dict[str, float | None]) -> dict[str, float]:
    return {k: (math.nan if v is None else float(v)) for k, v in metrics.items()}


class Evaluator:
    """Runs candidates and remembers their metrics by (candidate key, replication, accounts share).

    ``store(name, payload)`` (optional) persists each result as it arrives (the search passes the
    optuna study's ``set_user_attr``); :meth:`load` reads such payloads back on resume.
    """

    def __init__(self, scenario, seed: int, workers: int = 1, scheduler: str | None = None,
                 store: Callable[[str, Any], None] | None = None):
        base = scenario.model_dump(mode="json")
        base["search"] = None
        self.base, self.seed, self.workers, self.scheduler, self.store = base, seed, workers, scheduler, store
        self.cache: dict[tuple[str, int, float], dict[str, float]] = {}
        self.simulations = 0

    @staticmethod
    def storage_name(key: str, replication: int, accounts_share: float) -> str:
        return f"eval:{key}:{replication}:{accounts_share!r}"

    def load(self, attrs: dict[str, Any]) -> int:
        """Take the results stored under :meth:`storage_name` keys; return how many."""
        n = 0
        for name, payload in attrs.items():
            if name.startswith("eval:"):
                _, key, rep, share = name.split(":")
                self.cache[(key, int(rep), float(share))] = _restore(payload)
                n += 1
        return n

    def _task(self, cand: Candidate, replication: int, accounts_share: float) -> tuple[dict, int, int]:
        data = dict(self.base, strategies={cand.name: dict(cand.data, baseline=True)})
        if accounts_share < 1.0:
            sim = dict(data["simulation"])
            sim["encounters_per_day"] = sim["encounters_per_day"] * accounts_share
            sim["open_book_accounts"] = int(round(sim["open_book_accounts"] * accounts_share))
            data["simulation"] = sim
        return data, replication, self.seed

    def run(self, candidates: Iterable[Candidate], replications: Iterable[int], accounts_share: float = 1.0,
            bar=None) -> None:
        """Simulate every candidate on every replication not simulated yet."""
        reps = list(replications)
        todo, seen = [], set()
        for cand in candidates:
            for r in reps:
                k = (cand.key, r, accounts_share)
                if k not in self.cache and k not in seen:
                    seen.add(k)
                    todo.append((cand, r))
        if not todo:
            return
        tasks = [self._task(c, r, accounts_share) for c, r in todo]

        def arrived(i: int, metrics: dict[str, float]) -> None:
            cand, r = todo[i]
            self.cache[(cand.key, r, accounts_share)] = metrics
            self.simulations += 1
            if self.store is not None:
                self.store(self.storage_name(cand.key, r, accounts_share), _clean(metrics))
            if bar is not None:
                bar.update(1)

        from simlib.run.pool import TaskError
        try:
            if self.scheduler:
                from simlib.run.dask_cluster import run_on_dask
                run_on_dask(tasks, self.scheduler, _simulate, on_result=arrived)
            elif self.workers <= 1 or len(tasks) == 1:
                for i, task in enumerate(tasks):
                    arrived(i, _simulate(task))
            else:
                from simlib.run.pool import run_tasks
                run_tasks(_simulate, tasks, self.workers, on_result=arrived)
        except TaskError as err:
            cand, r = todo[err.index]
            raise EvaluationError(f"simulating a candidate failed (replication {r}): "
                                  f"{type(err.cause).__name__}: {err.cause}") from err.cause

    def metrics(self, cand: Candidate, replications: Iterable[int], accounts_share: float = 1.0
                ) -> list[dict[str, float]]:
        """The stored metrics of ``cand`` on each replication (all must have been run)."""
        return [self.cache[(cand.key, r, accounts_share)] for r in replications]
