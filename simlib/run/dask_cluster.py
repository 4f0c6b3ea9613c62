"""Replications on a Dask cluster (``dask.distributed``), the executor for more than one machine.

Each replication is one task whose key is derived only from its inputs (scenario, replication,
seed), so the numbers are identical to a local run with the same seed whatever the cluster does.
If a worker dies mid-run the scheduler re-runs its unfinished tasks elsewhere; a task's result
is kept once under its key, so replications are neither lost nor duplicated. ``retries`` also
re-runs a task that raised (e.g. a worker's out-of-memory error surfacing as an exception).

Start a cluster with ``dask scheduler`` on one host and ``dask worker tcp://HOST:8786`` on
others (each with simlib installed), then ``simlib run scenario.yaml --scheduler tcp://HOST:8786``.

Connecting: an address is checked for syntax first (:mod:`simlib.scenario.scheduler_address`), then a
``tcp://`` scheduler is asked for its identity within ``connect_timeout`` seconds before a
``Client`` is made, so an unreachable host, a closed port or a service that is not a Dask
scheduler is one :class:`ClusterError` at the timeout, never a stall or a traceback. A connection
lost mid-run is a :class:`ClusterError` too (not "replication failed"); results that arrived
before it have been handed to ``on_result``.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from simlib.model import hybrid
from simlib.run.pool import TaskError
from simlib.scenario.scheduler_address import parse_scheduler_address

#: Re-runs of a task that raised; a lost worker is handled by the scheduler itself
#: (``distributed.scheduler.allowed-failures`` worker deaths per task before giving up).
RETRIES = 2
#: Seconds to reach a scheduler before giving up (``--connect-timeout``).
CONNECT_TIMEOUT_S = 10.0


class ClusterError(RuntimeError):
    """The Dask scheduler cannot be reached, is not a scheduler, or the connection was lost."""


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


class _NotAScheduler(Exception):
    pass


async def _identity(address: str) -> dict:
    from distributed.comm import connect

    comm = await connect(address, timeout=None)  # retried until the caller's timeout
    try:
        await comm.write({"op": "identity", "reply": True})
        reply = await comm.read()
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException as exc:  # garbage in the reply can surface as MemoryError, ValueError, …
        raise _NotAScheduler(f"{type(exc).__name__}: {str(exc)[:120]}") from None
    finally:
        comm.abort()
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise _NotAScheduler(f"it answered {str(reply)[:80]!r}")
    return reply


def probe(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Check that a Dask scheduler answers at ``address`` within ``timeout`` seconds."""
    try:
        parse_scheduler_address(address)
    except ValueError as exc:
        raise ClusterError(f"scheduler {address!r}: {exc}") from None
    if "://" in address and not address.lower().startswith("tcp://"):
        return  # tls/ucx/ws need the Client's security settings; the Client's timeout applies
    try:
        asyncio.run(asyncio.wait_for(_identity(address), timeout))
    except (asyncio.TimeoutError, TimeoutError):
        raise ClusterError(f"no Dask scheduler answered at {address} within {timeout:g} s "
                           f"(--connect-timeout); is `dask scheduler` running there and the port "
                           f"open?") from None
    except _NotAScheduler as exc:
        raise ClusterError(f"the service at {address} is not a Dask scheduler ({exc})") from None
    except Exception as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        if isinstance(exc, OSError):  # refused, DNS failure, reset, …
            raise ClusterError(f"cannot connect to a Dask scheduler at {address}: {reason}") from None
        # the handshake failed: garbage from another service surfaces as MemoryError, ValueError, …
        raise ClusterError(f"the service at {address} is not a Dask scheduler (its handshake "
                           f"failed: {type(exc).__name__})") from None


def _client(scheduler, connect_timeout: float = CONNECT_TIMEOUT_S):
    """(client, owned): connect to an address, wrap a cluster object, or use a given client."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    if isinstance(scheduler, str):
        probe(scheduler, connect_timeout)
    try:
        return Client(scheduler, set_as_default=False, timeout=connect_timeout), True
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from None


def run_on_dask(tasks: Sequence[Any], scheduler, fn: Callable[[Any], Any], bar=None,
                on_result: Callable[[int, Any], None] | None = None,
                connect_timeout: float = CONNECT_TIMEOUT_S) -> list:
    """Run ``fn(task)`` for every task on a Dask cluster; results in task order.

    ``scheduler`` is an address (``tcp://host:8786``), a cluster object (e.g. ``LocalCluster``)
    or a connected ``distributed.Client``. ``bar`` (a tqdm bar, optional) advances as tasks finish
    and ``on_result(i, result)`` receives each result as it arrives. A task that raised raises
    here as :class:`~simlib.run.pool.TaskError` (after its retries); a lost scheduler connection raises :class:`ClusterError`.
    """
    tasks = list(tasks)
    if not tasks:
        return []
    with captured_dask_logs() as log:
        try:
            return _run(tasks, scheduler, fn, bar, on_result, connect_timeout)
        except ClusterError as err:
            err.dask_log = list(log)  # what Dask said meanwhile (kept, not printed: the one line is err)
            raise


#: Loggers whose records Dask's client writes while a scheduler goes away (26 lines with two
#: tracebacks after a killed scheduler, before the one line that says so).
DASK_LOGGERS = ("distributed", "tornado", "asyncio")


@contextlib.contextmanager
def captured_dask_logs():
    """Capture Dask's own log records for the duration instead of printing them; yields the list of
    formatted records. The command's one clear line (ClusterError, exit 6) says what happened."""
    records: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                records.append(f"{record.name} {record.levelname}: {record.getMessage()}")
            except Exception:  # noqa: BLE001 - a record that cannot be formatted is dropped
                pass

    keep, saved = _Keep(), []
    for name in DASK_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate))
        logger.handlers[:] = [keep]
        logger.propagate = False
    try:
        yield records
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers[:] = handlers
            logger.propagate = propagate


def _run(tasks, scheduler, fn, bar, on_result, connect_timeout) -> list:
    from distributed import as_completed

    client, owned = _client(scheduler, connect_timeout)
    futures = []
    try:
        # every task on this process's engine (a worker's environment is its own), which its key names
        engine = hybrid.engine_name()
        futures = client.map(functools.partial(hybrid.on_engine, engine, fn), tasks,
                             key=task_keys(tasks, f"simlib-replication-{engine}"), retries=RETRIES)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        done = 0
        for fut in as_completed(futures, loop=client.loop):
            if fut.status == "cancelled":
                raise ClusterError(f"lost the connection to the Dask scheduler after {done} of "
                                   f"{len(tasks)} replications (the scheduler stopped or the network "
                                   f"went down)")
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as exc:
                raise TaskError(i, exc) from exc
            done += 1
            if on_result is not None:
                on_result(i, results[i])
            if bar is not None:
                bar.update(1)
        return results
    except BaseException:
        if futures and client.status == "running":
            try:
                client.cancel(futures)
            except Exception:  # noqa: BLE001 - best effort while already failing
                pass
        raise
    finally:
        if owned:
            _quiet_close(client)


def _quiet_close(client) -> None:
    """Close a client without its reconnect noise when the scheduler is already gone."""
    logger = logging.getLogger("distributed")
    level = logger.level
    if client.status != "running":
        logger.setLevel(logging.CRITICAL)
    try:
        client.close(timeout=5)
    except Exception:  # noqa: BLE001 - closing a client whose scheduler died
        pass
    finally:
        logger.setLevel(level)
