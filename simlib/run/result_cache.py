"""Reuse runs: a content-addressed cache of simulated (strategy, replication) results (issue 27).

The main experiment, lever contributions, the sensitivity sweep and the search all simulate the
same strategy on the same replication's world more than once (the contributions' parts that are
strategies of the scenario, the sensitivity's two strategies at the file's values and each lever
factor's untouched side, the search's final runs of the hand-written strategies). With a cache
directory set (``SIMLIB_RESULT_CACHE=<directory>``; ``python3 dev.py reports`` sets
``.cache/results``), :func:`simlib.run.replication.run_replication` reads such a run instead of
simulating it again.

The key is a SHA-256 of the exact inputs of one run (:func:`run_key`):

- the scenario after the replication's uncertain assumptions were drawn, without what no
  simulated number depends on (its name, label, description, language, ``decision``, ``search``,
  ``sensitivity``, the emptied ``uncertain`` section, how many replications and workers a run
  has) and without its other strategies;
- the strategy's settings (not its name, label, description or baseline flag);
- what the scenario's other strategies change in every strategy's metrics: whether any factors
  (the factoring metrics) and whether any reacts (the policy metrics);
- the seed and the replication;
- the engine (``SIMLIB_ENGINE``: the hybrid, the default, or pure SimPy, :mod:`simlib.model.hybrid`; the same
  ledger rows, but their metrics may differ in the last bit, summed in another order);
- the code version: a hash of every source file of the installed simlib but the report pages' and
  the versions of Python and the numerical packages (:func:`code_version`), so changed code never
  reads an old run.

A stored run is the tuple (metrics, curves, aging) of :func:`simlib.run.replication.run_replication`,
pickled, written once by :func:`simlib.core.atomic.atomic_write_bytes` (a reader sees the whole file
or none). Several processes may share one directory: a writer first claims ``<key>.lock`` with
``O_CREAT | O_EXCL`` (its process id inside); a process that finds the claim held by a live process,
or the result already there, does not write, so two processes never write one result. A claim left
by a dead process is taken over. Unreadable entries are simulated again. The directory grows
with every new run: delete it to clear the cache.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import time
from pathlib import Path

from simlib.core.atomic import atomic_write_bytes, pid_alive
from simlib.core.versions import versions
from simlib.model.hybrid import engine_name

#: the environment variable naming the cache directory (unset or empty: no cache)
ENV = "SIMLIB_RESULT_CACHE"
#: top-level scenario fields no simulated number depends on (left out of the key)
NOT_SIMULATED = ("name", "label", "description", "language", "decision", "search", "sensitivity", "uncertain",
                 "strategies")
#: ``simulation`` fields that say how a run is executed, not what one replication simulates
EXECUTION = ("replications", "workers", "scheduler")
#: strategy fields no simulated number depends on
STRATEGY_WORDS = ("label", "description", "baseline")
PACKAGE = Path(__file__).resolve().parents[1]
#: package folders no simulated number depends on, left out of :func:`code_version`: the report
#: pages read results and never simulate (a wing: no layer that simulates may import it,
#: tests/test_architecture.py), so changing a page does not simulate every run again (stop 37)
NOT_SIMULATING = ("report",)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every source and data file of the simlib package (but :data:`NOT_SIMULATING`) and
    of the package versions."""
    h = hashlib.sha256(json.dumps(versions(), sort_keys=True).encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json", ".csv") \
                and "__pycache__" not in path.parts and path.relative_to(PACKAGE).parts[0] not in NOT_SIMULATING:
            h.update(str(path.relative_to(PACKAGE)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def run_key(drawn_scenario, strategy: str, seed: int, replication: int, flags: dict,
            data: dict | None = None) -> str:
    """The content address of one run (module docstring); ``drawn_scenario`` is the scenario of the
    replication after its uncertain assumptions were drawn; ``data`` its ``model_dump(mode="json")``
    when the caller has it (one dump for every strategy of a replication)."""
    data = drawn_scenario.model_dump(mode="json") if data is None else data
    st = {k: v for k, v in data["strategies"][strategy].items() if k not in STRATEGY_WORDS}
    world = {k: v for k, v in data.items() if k not in NOT_SIMULATED}
    world["simulation"] = {k: v for k, v in world["simulation"].items() if k not in EXECUTION}
    payload = {"scenario": world, "strategy": st, "flags": flags, "seed": int(seed),
               "replication": int(replication), "code": code_version(),
               "engine": engine_name()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class ResultCache:
    """A directory of stored runs, ``<dir>/<key[:2]>/<key>.pkl``. ``hits``, ``misses`` and
    ``writes`` count this process's lookups and stores."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.hits = self.misses = self.writes = 0

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pkl"

    def load(self, key: str):
        """The stored run of ``key``, or ``None`` (not stored, or unreadable)."""
        try:
            with open(self.path(key), "rb") as fh:
                value = pickle.load(fh)
        except FileNotFoundError:
            value = None
        except Exception:  # a damaged entry (disk full, an old format): simulate again
            value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def store(self, key: str, value) -> bool:
        """Store ``value`` under ``key`` unless it is there or another live process is writing it;
        whether this process wrote it."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = target.with_suffix(".lock")
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                break
            except FileExistsError:
                if _holder_alive(lock):
                    return False
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lock)  # a dead writer's claim: take it over
        else:
            return False
        try:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            if target.exists():
                return False
            atomic_write_bytes(target, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            self.writes += 1
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)


def _holder_alive(lock: Path) -> bool:
    try:
        text = lock.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return False
    if not text:  # claimed this instant, its pid not written yet (or its writer died right then)
        with contextlib.suppress(FileNotFoundError):
            return time.time() - lock.stat().st_mtime < 60.0
        return False
    return text.isdigit() and pid_alive(int(text))


_ACTIVE: dict[str, ResultCache] = {}


def active() -> ResultCache | None:
    """The cache of the directory ``SIMLIB_RESULT_CACHE`` names (one per process), or ``None``."""
    directory = os.environ.get(ENV, "").strip()
    if not directory:
        return None
    cache = _ACTIVE.get(directory)
    if cache is None:
        cache = _ACTIVE[directory] = ResultCache(directory)
    return cache
