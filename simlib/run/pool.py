"""Local worker processes that never outlive the process that started them.

Each worker, when it starts (:func:`worker_init`):

- asks Linux to send it SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)`` through ctypes);
  this covers SIGKILL of the main process, which no handler can see;
- starts a watchdog thread that exits the worker once the main process is gone (every
  :data:`WATCHDOG_SECONDS`; the portable fallback where ``prctl`` does not exist);
- ignores SIGINT (Ctrl-C reaches the whole process group; the main process decides, saves what
  finished and stops the workers) and takes SIGTERM's default action.

:func:`run_tasks` runs tasks on such a pool, hands each result to ``on_result`` as it arrives (so
it can be checkpointed) and, on any exit other than success — a failed task, Ctrl-C, SIGTERM made
into an exception by the CLI — terminates the workers before returning.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from simlib.core.atomic import pid_alive

WATCHDOG_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1


class TaskError(Exception):
    """Task ``index`` raised ``cause`` (or its worker process died)."""

    def __init__(self, index: int, cause: BaseException):
        self.index, self.cause = index, cause
        super().__init__(f"task {index} failed: {type(cause).__name__}: {cause}")


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watchdog(main_pid: int, parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(WATCHDOG_SECONDS):
        if os.getppid() != parent_pid or not pid_alive(main_pid):
            os._exit(1)


def worker_init(main_pid: int) -> None:
    """Initializer of every worker process (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    _set_parent_death_signal()
    if not pid_alive(main_pid):  # the main process died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watchdog, args=(main_pid, parent), name="simlib-parent-watchdog",
                     daemon=True).start()


def terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued tasks and terminate the worker processes."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        try:
            p.terminate()
        except (OSError, ValueError):
            pass
    for p in processes:
        try:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)
        except (OSError, ValueError, AssertionError):
            pass


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int,
              on_result: Callable[[int, Any], None] | None = None) -> list:
    """``[fn(t) for t in tasks]`` on ``workers`` processes; ``on_result(i, result)`` as each finishes.

    Raises :class:`TaskError` for the first task (in finishing order) that raised, after stopping
    the pool; results handed to ``on_result`` before it stay handed.
    """
    results: list[Any] = [None] * len(tasks)
    if not tasks:
        return results
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(tasks))),
                               initializer=worker_init, initargs=(os.getpid(),))
    ok = False
    try:
        pending: dict[Future, int] = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=pending.__getitem__):
                i = pending.pop(fut)
                try:
                    results[i] = fut.result()
                except BrokenProcessPool as exc:
                    raise TaskError(i, RuntimeError(
                        "a worker process died (killed, or out of memory?)")) from exc
                except Exception as exc:
                    raise TaskError(i, exc) from exc
                if on_result is not None:
                    on_result(i, results[i])
        ok = True
        return results
    finally:
        if ok:
            pool.shutdown(wait=True)
        else:
            terminate(pool)
