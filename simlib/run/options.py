"""Options of one run (replications, seed, workers, scheduler, precision, …), checked like the file.

A command-line value (``--replications 0``) or a keyword of :func:`simlib.run.experiment.run_experiment`
is validated by the same pydantic field as ``simulation.replications`` in a scenario file, so it
gets the same bound and the same words: ``--replications: expected greater than or equal to 2;
found 0``. A value given overrides the file's; ``None`` means "use the file's".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from simlib.scenario.size_limits import CONNECT_TIMEOUT_S_MAX, REPLICATIONS_MAX
from simlib.scenario.schema import Scenario, ScenarioError, Simulation, _describe

#: Label of each option in messages, for the command line and for Python callers.
CLI_LABELS = {"replications": "--replications", "seed": "--seed", "workers": "--workers",
              "scheduler": "--scheduler", "precision": "--precision",
              "max_replications": "--max-replications", "connect_timeout": "--connect-timeout",
              "max_hours": "--max-hours"}
PY_LABELS = {k: k for k in CLI_LABELS}

MAX_REPLICATIONS_DEFAULT = 1000
CONNECT_TIMEOUT_DEFAULT_S = 10.0
MAX_HOURS_DEFAULT = 24.0

_EXTRA = {
    "precision": TypeAdapter(Annotated[float, Field(gt=0.0, allow_inf_nan=False)]),
    "max_replications": TypeAdapter(Annotated[int, Field(ge=2, le=REPLICATIONS_MAX)]),
    "connect_timeout": TypeAdapter(Annotated[float, Field(gt=0.0, le=CONNECT_TIMEOUT_S_MAX,
                                                          allow_inf_nan=False)]),
    "max_hours": TypeAdapter(Annotated[float, Field(gt=0.0, allow_inf_nan=False)]),
}


@dataclass(frozen=True)
class RunOptions:
    replications: int
    seed: int
    workers: int
    scheduler: Any
    precision: float | None
    max_replications: int
    connect_timeout: float
    max_hours: float


def resolve(sc: Scenario, *, replications: int | None = None, seed: int | None = None,
            workers: int | None = None, scheduler: Any = None, precision: float | None = None,
            max_replications: int | None = None, connect_timeout: float | None = None,
            max_hours: float | None = None, source: str = "", labels: dict | None = None) -> RunOptions:
    """The run's options: each given value checked and put over the file's; ScenarioError lists
    every bad one."""
    labels = labels or PY_LABELS
    sim = sc.simulation
    given = {"replications": replications, "seed": seed, "workers": workers}
    if isinstance(scheduler, str) or scheduler is None:
        given["scheduler"] = scheduler
    given = {k: v for k, v in given.items() if v is not None}
    problems: list[str] = []
    merged = sim
    try:
        merged = Simulation.model_validate({**sim.model_dump(), **given})
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            label = labels.get(field, f"simulation.{field}" if field else "simulation")
            problems.extend(_describe({**e, "loc": (label,)}).splitlines())
    extra = {"precision": precision, "max_replications": max_replications,
             "connect_timeout": connect_timeout, "max_hours": max_hours}
    checked = {}
    for name, value in extra.items():
        if value is None:
            checked[name] = None
            continue
        try:
            checked[name] = _EXTRA[name].validate_python(value)
        except ValidationError as exc:
            problems.extend(_describe({**e, "loc": (labels[name],)}) for e in exc.errors())
    if problems:
        raise ScenarioError(source or sc.name, problems)
    return RunOptions(
        replications=merged.replications, seed=merged.seed, workers=merged.workers,
        scheduler=scheduler if scheduler is not None and not isinstance(scheduler, str) else merged.scheduler,
        precision=checked["precision"],
        max_replications=checked["max_replications"] or MAX_REPLICATIONS_DEFAULT,
        connect_timeout=checked["connect_timeout"] or CONNECT_TIMEOUT_DEFAULT_S,
        max_hours=checked["max_hours"] or MAX_HOURS_DEFAULT)
