"""Monte Carlo replications: a pure ``run_replication`` and runners that parallelise it.

One replication draws one population and simulates every strategy on it (common random
numbers). Replications are independent tasks keyed only by (seed, replication), so results
do not depend on the worker count or on the executor (local processes or a Dask cluster).
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import platform
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from simlib import factoring as _factoring
from simlib import metrics as _metrics
from simlib.engine import World
from simlib.params import Scenario, load_scenario, scenario_from_dict
from simlib.population import draw_population

PACKAGES = ("simlib", "numpy", "scipy", "pandas", "simpy", "pydantic", "dask", "distributed")


def run_replication(sc: Scenario, replication: int, seed: int) -> dict[str, pd.DataFrame]:
    """Simulate every strategy on replication ``replication``'s population; tidy tables."""
    pop = draw_population(sc, replication, seed)
    rows, curve_parts, aging_rows = [], [], []
    any_factoring = any(s.factoring is not None for s in sc.strategies.values())
    worlds: dict[str, object] = {}  # strategies that differ only by a factoring offer share one world
    for name in sc.strategies:
        st = sc.strategies[name]
        key = json.dumps(st.model_dump(mode="json", exclude={"factoring", "description", "baseline"}),
                         sort_keys=True)
        if key not in worlds:
            worlds[key] = World(sc, name, pop).run()
        res = dataclasses.replace(worlds[key], strategy=name)
        extra = _factoring.no_factoring_metrics() if any_factoring else {}
        if st.factoring is not None:
            res, extra = _factoring.overlay(res, pop, sc, st.factoring)
        m, curves, aging = _metrics.compute(res, pop, sc)
        m.update(extra)
        rows.extend((replication, name, k, float(v)) for k, v in m.items())
        curve_parts.append(pd.DataFrame({"replication": replication, "strategy": name, **curves}))
        aging_rows.extend((replication, name, b, float(v)) for b, v in aging.items())
    return {
        "metrics": pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"]),
        "curves": pd.concat(curve_parts, ignore_index=True),
        "aging": pd.DataFrame(aging_rows, columns=["replication", "strategy", "bucket", "amount_usd"]),
    }


def _run_one(args: tuple[dict, int, int]) -> dict[str, pd.DataFrame]:
    data, replication, seed = args
    return run_replication(scenario_from_dict(data), replication, seed)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@dataclass
class Results:
    """Tidy result tables of an experiment, with the resolved scenario and provenance."""

    scenario: Scenario
    metrics: pd.DataFrame
    curves: pd.DataFrame
    aging: pd.DataFrame
    provenance: dict = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        return self.scenario.baseline_strategy

    def save(self, directory: str | Path, fmt: str = "parquet") -> Path:
        """Write tables (parquet or csv), the resolved scenario and provenance to ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name in ("metrics", "curves", "aging"):
            table: pd.DataFrame = getattr(self, name)
            if fmt == "parquet":
                table.to_parquet(d / f"{name}.parquet", index=False)
            elif fmt == "csv":
                table.to_csv(d / f"{name}.csv", index=False)
            else:
                raise ValueError(f"unknown format {fmt!r}; expected 'parquet' or 'csv'")
        (d / "scenario.yaml").write_text(
            yaml.safe_dump(self.scenario.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
        (d / "provenance.json").write_text(json.dumps(self.provenance, indent=2), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> "Results":
        d = Path(directory)
        tables = {}
        for name in ("metrics", "curves", "aging"):
            pq, csv = d / f"{name}.parquet", d / f"{name}.csv"
            tables[name] = pd.read_parquet(pq) if pq.exists() else pd.read_csv(csv)
        prov = json.loads((d / "provenance.json").read_text(encoding="utf-8"))
        return cls(scenario=load_scenario(d / "scenario.yaml"), provenance=prov, **tables)


def _combine(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in ("metrics", "curves", "aging"):
        df = pd.concat([p[name] for p in parts], ignore_index=True)
        out[name] = df.sort_values("replication", kind="stable").reset_index(drop=True)
    return out


class ExperimentError(RuntimeError):
    """A replication failed. ``partial`` holds the replications completed before it (in order),
    so callers can save what was computed; ``replication`` is the one that failed."""

    def __init__(self, replication: int, cause: BaseException, partial: list[dict]):
        self.replication, self.cause, self.partial = replication, cause, partial
        self.results: Results | None = None
        super().__init__(f"replication {replication} failed: {type(cause).__name__}: {cause}")


def run_replications(sc: Scenario, reps: list[int], seed: int, workers: int = 1,
                     scheduler: str | None = None, progress: bool = False) -> list[dict]:
    """Run the given replication indices; order of the returned list follows ``reps``."""
    data = sc.model_dump(mode="json")
    tasks = [(data, r, seed) for r in reps]
    bar = _progress(len(tasks), progress, sc.name)
    out: list[dict] = []
    try:
        if scheduler:
            from simlib.distributed import run_on_dask
            return run_on_dask(tasks, scheduler, _run_one, bar)
        if workers <= 1:
            results = map(_run_one, tasks)
            for part in results:
                out.append(part)
                bar.update(1)
            return out
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(_run_one, tasks, chunksize=1):
                out.append(part)
                bar.update(1)
            return out
    except Exception as exc:  # keep what was computed: the caller decides how to save it
        raise ExperimentError(reps[len(out)] if len(out) < len(reps) else -1, exc, out) from exc
    finally:
        bar.close()


def _progress(total: int, enabled: bool, name: str):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, desc=f"{name}: replications", unit="rep")


def run_experiment(scenario: Scenario | str | Path, replications: int | None = None,
                   seed: int | None = None, workers: int | None = None,
                   scheduler: str | None = None, progress: bool = False,
                   precision: float | None = None, max_replications: int = 1000) -> Results:
    """Run the Monte Carlo experiment of ``scenario``.

    ``precision`` (e.g. 0.02) keeps adding batches of ``replications`` until the CI half-width of
    the key metric is under that fraction of its mean for every strategy, or ``max_replications``.
    """
    sc = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    sim = sc.simulation
    n = replications or sim.replications
    seed = sim.seed if seed is None else seed
    workers = workers or sim.workers
    scheduler = scheduler or sim.scheduler
    started = _dt.datetime.now(_dt.timezone.utc)
    parts: list[dict] = []

    def provenance(done: int, **extra) -> dict:
        return {**_provenance(sc, seed, done, workers, scheduler, precision, started), **extra}

    try:
        parts = run_replications(sc, list(range(n)), seed, workers, scheduler, progress)
        tables = _combine(parts)
        if precision is not None:
            from simlib.analysis import relative_half_width
            from simlib.catalogue import KEY_METRIC
            while relative_half_width(tables["metrics"], KEY_METRIC) > precision and n < max_replications:
                more = list(range(n, min(n + (replications or sim.replications), max_replications)))
                parts += run_replications(sc, more, seed, workers, scheduler, progress)
                n += len(more)
                tables = _combine(parts)
    except ExperimentError as err:
        done = parts + err.partial
        if done:
            err.results = Results(scenario=sc, provenance=provenance(
                len(done), status="failed", error=str(err)), **_combine(done))
        raise
    return Results(scenario=sc, provenance=provenance(n, status="complete"), **tables)


def _provenance(sc: Scenario, seed: int, n: int, workers: int, scheduler, precision, started) -> dict:
    return {
        "scenario_name": sc.name,
        "seed": seed,
        "replications": n,
        "workers": workers,
        "scheduler": scheduler,
        "precision_target": precision,
        "parameter_hash": sc.parameter_hash(),
        "simlib_version": versions().get("simlib"),
        "versions": versions(),
        "created": started.isoformat(timespec="seconds"),
        "elapsed_seconds": round((_dt.datetime.now(_dt.timezone.utc) - started).total_seconds(), 3),
    }

