"""Replications on a Dask cluster (``dask.distributed``), the executor for more than one machine.

Each replication is one task whose key is derived only from its inputs (scenario, replication,
seed), so the numbers are identical to a local run with the same seed whatever the cluster does.
If a worker dies mid-run the scheduler re-runs its unfinished tasks elsewhere; a task's result
is kept once under its key, so replications are neither lost nor duplicated. ``retries`` also
re-runs a task that raised (e.g. a worker's out-of-memory error surfacing as an exception).

Start a cluster with ``dask scheduler`` on one host and ``dask worker tcp://HOST:8786`` on
others (each with simlib installed), then ``simlib run scenario.yaml --scheduler tcp://HOST:8786``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: Re-runs of a task that raised; a lost worker is handled by the scheduler itself
#: (``distributed.scheduler.allowed-failures`` worker deaths per task before giving up).
RETRIES = 2


def task_keys(tasks: Sequence[Any], prefix: str = "simlib-replication") -> list[str]:
    """One deterministic Dask key per task: same inputs, same key, on every run and machine."""
    from dask.base import tokenize

    keys = []
    for task in tasks:
        rep = task[1] if isinstance(task, tuple) and len(task) > 1 and isinstance(task[1], int) else "x"
        keys.append(f"{prefix}-{rep}-{tokenize(task)}")
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate replication tasks: every (scenario, replication, seed) must be unique")
    return keys


def _client(scheduler):
    """(client, owned): connect to an address, wrap a cluster object, or use a given client."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler, set_as_default=False), True


def run_on_dask(tasks: Sequence[Any], scheduler, fn: Callable[[Any], Any], bar=None) -> list:
    """Run ``fn(task)`` for every task on a Dask cluster; results in task order.

    ``scheduler`` is an address (``tcp://host:8786``), a cluster object (e.g. ``LocalCluster``)
    or a connected ``distributed.Client``. ``bar`` (a tqdm bar, optional) advances as tasks finish.
    """
    from distributed import as_completed

    tasks = list(tasks)
    if not tasks:
        return []
    client, owned = _client(scheduler)
    try:
        futures = client.map(fn, tasks, key=task_keys(tasks), retries=RETRIES)
        for _ in as_completed(futures, loop=client.loop):
            if bar is not None:
                bar.update(1)
        return client.gather(futures)
    finally:
        if owned:
            client.close()
