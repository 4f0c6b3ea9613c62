"""Monte Carlo replications: a pure ``run_replication`` and runners that parallelise it.

One replication draws one population and simulates every strategy on it (common random
numbers). Replications are independent tasks keyed only by (seed, replication), so results
do not depend on the worker count or on the executor (local processes or a Dask cluster).

Robustness (docs/robustness.md): options are checked like the file's fields and the run's memory
and time are estimated before it starts (:mod:`simlib.run.options`, :mod:`simlib.run.budget`);
with ``checkpoint=`` every finished replication is stored as it arrives and ``resume=True``
continues from them with the numbers of an uninterrupted run (:mod:`simlib.run.checkpoint`); worker
processes never outlive the run (:mod:`simlib.run.pool`); :meth:`Results.save` publishes a result
directory at once, ``provenance.json`` written last (:mod:`simlib.core.atomic`).
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from simlib.model.hybrid import hybrid_requested
from simlib.run import budget as resources
from simlib.run.replication import assumptions_table, run_replication
from simlib.core.atomic import publishing
from simlib.core.csv_cells import write_csv
from simlib.core.data_dictionary import data_dictionary
from simlib.run.checkpoint import Checkpoint, identity
from simlib.run.dask_cluster import CONNECT_TIMEOUT_S
from simlib.scenario.schema import Scenario, ScenarioError, load_scenario, scenario_from_dict
from simlib.run.pool import TaskError, run_tasks
from simlib.run.options import resolve
from simlib.run.saved_tables import read_table_file
from simlib.core.versions import versions

TABLES = ("metrics", "curves", "aging", "assumptions")


def _run_one(args: tuple[dict, int, int]) -> dict[str, pd.DataFrame]:
    data, replication, seed = args
    return run_replication(scenario_from_dict(data), replication, seed)


@dataclass
class Results:
    """Tidy result tables of an experiment, with the resolved scenario and provenance."""

    scenario: Scenario
    metrics: pd.DataFrame
    curves: pd.DataFrame
    aging: pd.DataFrame
    assumptions: pd.DataFrame = field(default_factory=assumptions_table)  # drawn uncertain values
    provenance: dict = field(default_factory=dict)
    _decision: object = field(default=None, init=False, repr=False, compare=False)
    #: The folder the results were loaded from (None for a fresh run): derived tables live beside them.
    directory: Path | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def baseline(self) -> str:
        return self.scenario.baseline_strategy

    #: The metrics :meth:`summary` shows by default: the decision's money, cash and patients.
    SUMMARY_METRICS = ("npv_net_cash", "patient_collection_rate", "net_collection_rate",
                       "days_in_ar", "ar_over_90_share", "bad_debt", "collection_cost")

    def strategies(self) -> list[str]:
        """The strategies of these results, status quo first, then in the scenario's order."""
        return [self.baseline] + [s for s in pd.unique(self.metrics["strategy"]) if s != self.baseline]

    def summary(self, metrics=None, confidence: float = 0.95, intervals: bool = True,
                formatted: bool = False) -> pd.DataFrame:
        """Numbers: one row per strategy × metric (status quo first) with the metric's label, unit and
        better direction, ``n``, ``mean`` and its ``confidence`` interval across replications
        (:func:`simlib.analysis.comparisons.summary_frame`). ``metrics`` defaults to
        :attr:`SUMMARY_METRICS`. ``formatted=True``: text for reading instead — one row per strategy,
        one column per metric label, each cell the mean and (``intervals``) its interval."""
        from simlib.analysis.comparisons import summary_frame
        from simlib.analysis.numbers import mean_ci_text, value_text
        from simlib.analysis.summaries import summarize
        from simlib.core.metric_catalogue import METRICS

        present = list(pd.unique(self.metrics["metric"]))
        wanted = [m for m in (metrics or self.SUMMARY_METRICS) if m in present or metrics]
        if not formatted:
            return summary_frame(self.metrics, self.strategies(), wanted, confidence)
        table = summarize(self.metrics[self.metrics["metric"].isin(wanted)], confidence)
        order = self.strategies()
        rows = {}
        for strategy in order:
            cells = table[table["strategy"] == strategy].set_index("metric")
            rows[strategy] = {
                METRICS[m].label: (mean_ci_text(cells.at[m, "mean"], cells.at[m, "ci_low"], cells.at[m, "ci_high"],
                                                METRICS[m].unit, exact=True) if intervals
                                   else value_text(cells.at[m, "mean"], METRICS[m].unit, exact=True))
                for m in wanted if m in cells.index}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "strategy"
        return out

    def compare(self, a: str, b: str | None = None, metrics=None, confidence: float = 0.95) -> pd.DataFrame:
        """Strategy ``a`` against ``b`` (default: the status quo), one row per metric (default: all):
        both means and the paired difference ``a − b`` with its ``confidence`` interval and a verdict
        (:func:`simlib.analysis.comparisons.compare_frame`)."""
        from simlib.analysis.comparisons import compare_frame

        return compare_frame(self.metrics, a, self.baseline if b is None else b, metrics, confidence)

    @property
    def decision(self):
        """The run's :class:`~simlib.analysis.decision.Recommendation` (recommended strategy,
        runner-up, verdicts against the scenario's materiality, feasibility): read from
        ``decision.json`` for saved results, computed once otherwise; None when the results lack
        the decision metric (nothing to rank on)."""
        if self._decision is None:
            from simlib.analysis.decision import decide
            from simlib.scenario.materiality import decision_of

            try:
                self._decision = decide(self.metrics, self.baseline, decision_of(self.scenario))
            except (KeyError, ValueError):
                return None
        return self._decision

    def headline(self) -> str:
        """The decision in one plain sentence for the terminal: the same recommendation, runner-up
        and verdicts as the board's summary (:mod:`simlib.analysis.decision`), numbers formatted
        as the board formats them (:mod:`simlib.analysis.numbers`). ValueError without a decision."""
        from simlib.analysis.decision import plain_sentence

        if self.decision is None:
            raise ValueError("the results have no decision metric: nothing to recommend")
        varied = (" that vary both the patients and the uncertain assumptions"
                  if (self.assumptions.groupby("path")["value"].nunique() > 1).any() else "")
        return plain_sentence(self.decision, self.scenario.simulation.horizon_days, varied)

    def save(self, directory: str | Path, fmt: str = "parquet",
             extra_tables: dict[str, pd.DataFrame] | None = None) -> Path:
        """Publish tables (parquet or csv), ``extra_tables``, the resolved scenario and provenance
        as the directory ``directory``, at once: a reader sees the previous complete directory or
        this one, never a mix (tables of another format left by an earlier run are gone too)."""
        if fmt not in ("parquet", "csv"):
            raise ValueError(f"unknown format {fmt!r}; expected 'parquet' or 'csv'")
        d = Path(directory)
        tables = {name: getattr(self, name) for name in TABLES}
        tables.update(extra_tables or {})
        tables.setdefault("data_dictionary", data_dictionary())  # every metric: label, unit, direction, definition
        with publishing(d) as tmp:
            for name, table in tables.items():
                if fmt == "parquet":
                    table.to_parquet(tmp / f"{name}.parquet", index=False)
                else:
                    write_csv(table, tmp / f"{name}.csv")  # formula-safe cells (csv_cells)
            (tmp / "scenario.yaml").write_text(
                yaml.safe_dump(self.scenario.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
            if self.decision is not None:
                self.decision.save(tmp)
            prov = {**self.provenance, "format": fmt, "tables": sorted(tables)}
            (tmp / "provenance.json").write_text(json.dumps(prov, indent=2), encoding="utf-8")  # last
        return d

    @classmethod
    def load(cls, directory: str | Path) -> "Results":
        """Read a result directory in the format its provenance names (never a stale other one)."""
        d = Path(directory)
        try:
            prov = json.loads((d / "provenance.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ScenarioError(str(d), ["no provenance.json: not a complete result directory"]) from None
        except ValueError as exc:
            raise ScenarioError(str(d), [f"provenance.json is not valid JSON ({exc})"]) from None
        fmt = prov.get("format")
        if fmt is None:  # written before the format was recorded: refuse to guess between two
            both = [n for n in TABLES if (d / f"{n}.parquet").exists() and (d / f"{n}.csv").exists()]
            if both:
                raise ScenarioError(str(d), [f"both {both[0]}.csv and {both[0]}.parquet exist and "
                                             "provenance.json does not say which is current; run again"])
            fmt = "parquet" if (d / "metrics.parquet").exists() else "csv"
        tables = {}
        for name in TABLES:
            f = d / f"{name}.{fmt}"
            if name == "assumptions" and not f.exists():  # saved before assumptions were drawn
                tables[name] = assumptions_table()
                continue
            tables[name] = read_table_file(f, fmt)
        from simlib.analysis.decision import load_decision

        out = cls(scenario=load_scenario(d / "scenario.yaml"), provenance=prov, **tables)
        out._decision = load_decision(d)  # None for a directory saved before decision.json: computed
        out.directory = d
        return out


def _combine(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in TABLES:
        df = pd.concat([p[name] for p in parts], ignore_index=True)
        out[name] = df.sort_values("replication", kind="stable").reset_index(drop=True)
    return out


class ExperimentError(RuntimeError):
    """A replication failed. ``partial`` holds the replications finished before it (in order),
    so callers can save what was computed; ``replication`` is the one that failed."""

    def __init__(self, replication: int, cause: BaseException, partial: list[dict]):
        self.replication, self.cause, self.partial = replication, cause, partial
        self.results: Results | None = None
        self.checkpoint: Path | None = None
        super().__init__(f"replication {replication} failed: {type(cause).__name__}: {cause}")


def run_replications(sc: Scenario, reps: list[int], seed: int, workers: int = 1,
                     scheduler: str | None = None, progress: bool = False, on_result=None,
                     connect_timeout: float = CONNECT_TIMEOUT_S) -> list[dict]:
    """Run the given replication indices; order of the returned list follows ``reps``.

    ``on_result(replication, tables)`` is called in the main process as each one finishes (in
    finishing order), e.g. to checkpoint it. A replication that raises stops the run with
    :class:`ExperimentError`; worker processes are stopped on every exit path.
    """
    reps = list(reps)
    hybrid_requested()  # a wrong SIMLIB_ENGINE: one clear line here, not in every worker
    data = sc.model_dump(mode="json")
    tasks = [(data, r, seed) for r in reps]
    bar = _progress(len(tasks), progress, sc.name)
    got: dict[int, dict] = {}

    def handed(i: int, part: dict) -> None:
        got[i] = part
        if on_result is not None:
            on_result(reps[i], part)
        bar.update(1)

    try:
        if scheduler:
            from simlib.run.dask_cluster import run_on_dask
            return run_on_dask(tasks, scheduler, _run_one, on_result=handed, connect_timeout=connect_timeout)
        if workers <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                try:
                    part = _run_one(task)
                except Exception as exc:
                    raise TaskError(i, exc) from exc
                handed(i, part)
            return [got[i] for i in range(len(tasks))]
        return run_tasks(_run_one, tasks, workers, on_result=handed)
    except TaskError as err:  # keep what was computed: the caller decides how to save it
        raise ExperimentError(reps[err.index], err.cause, [got[i] for i in sorted(got)]) from err.cause
    finally:
        bar.close()


def _progress(total: int, enabled: bool, name: str):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, desc=f"{name}: replications", unit="rep")


def run_experiment(scenario: Scenario | str | Path, replications: int | None = None,
                   seed: int | None = None, workers: int | None = None,
                   scheduler: str | None = None, progress: bool = False,
                   precision: float | None = None, max_replications: int | None = None, *,
                   checkpoint: str | Path | None = None, resume: bool = False,
                   connect_timeout: float | None = None, max_hours: float | None = None,
                   check_resources: bool = True, labels: dict | None = None) -> Results:
    """Run the Monte Carlo experiment of ``scenario``.

    ``precision`` (e.g. 0.02) keeps adding batches of ``replications`` until the CI half-width of
    the key metric is under that fraction of its mean for every strategy, or ``max_replications``
    (1000). Options given override the file's and are checked like it (ScenarioError); the run's
    memory and time are estimated first and a run the machine cannot hold is refused
    (:mod:`simlib.run.budget`; ``max_hours`` defaults to 24).

    ``checkpoint`` (a directory) stores each finished replication as it arrives; with ``resume``
    the replications already stored there are reused (same scenario and seed required), so an
    interrupted run continues to the numbers an uninterrupted one gives.
    """
    sc = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    opts = resolve(sc, replications=replications, seed=seed, workers=workers, scheduler=scheduler,
                   precision=precision, max_replications=max_replications,
                   connect_timeout=connect_timeout, max_hours=max_hours, labels=labels)
    if check_resources:
        resources.check(sc, opts.max_replications if opts.precision else opts.replications,
                        opts.workers, local=not opts.scheduler, max_hours=opts.max_hours)
    seed, workers, scheduler, precision = opts.seed, opts.workers, opts.scheduler, opts.precision
    n, batch, cap = opts.replications, opts.replications, max(opts.max_replications, opts.replications)
    started = _dt.datetime.now(_dt.timezone.utc)
    ck = Checkpoint.open(checkpoint, identity(sc, seed), resume, sc.name) if checkpoint else None
    parts: dict[int, dict] = ck.load() if ck is not None and resume else {}
    resumed = len(parts)

    def store(r: int, part: dict) -> None:
        parts[r] = part
        if ck is not None:
            ck.save(r, part)

    def run(reps) -> dict[str, pd.DataFrame]:
        todo = [r for r in reps if r not in parts]
        if todo:
            run_replications(sc, todo, seed, workers, scheduler, progress, on_result=store,
                             connect_timeout=opts.connect_timeout)
        return _combine([parts[r] for r in range(n)])

    def provenance(done: int, **extra) -> dict:
        return {**_provenance(sc, seed, done, workers, scheduler, precision, started), **extra}

    try:
        tables = run(range(n))
        if precision is not None:
            from simlib.analysis.summaries import relative_half_width
            from simlib.core.metric_catalogue import KEY_METRIC
            while relative_half_width(tables["metrics"], KEY_METRIC) > precision and n < cap:
                more = range(n, min(n + batch, cap))
                n += len(more)
                tables = run(more)
    except ExperimentError as err:
        if ck is not None:
            ck.mark("failed", error=str(err), replications_done=len(parts))
            err.checkpoint = ck.directory
        if parts:
            done = sorted(parts)
            err.results = Results(scenario=sc, provenance=provenance(
                len(done), status="failed", error=str(err), replications_done=done),
                **_combine([parts[r] for r in done]))
        raise
    except BaseException as exc:  # Ctrl-C, SIGTERM, a lost cluster: the checkpoint keeps what finished
        if ck is not None:
            ck.mark("interrupted", error=f"{type(exc).__name__}: {exc}", replications_done=len(parts))
        raise
    extra = {"resumed_replications": resumed} if resumed else {}
    return Results(scenario=sc, provenance=provenance(n, status="complete", **extra), **tables)


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

