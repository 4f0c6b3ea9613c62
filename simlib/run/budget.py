"""Estimate a run's memory, time and disk before it starts; refuse one the machine cannot hold.

The figures are rough, deliberately on the high side, and come from ``benchmarks/README.md``
(measured on the 2-core development machine):

- a worker process holds ≈ 235 MB once simlib is imported (Python, NumPy, pandas, SimPy) plus,
  per simulated account of one replication (warm-up and open book included), ≈ 0.75 kB of
  population (≈ 0.97 kB once every lever's draws are made: a replication makes a lever's draws
  when a strategy first reads them), ≈ 0.95 kB for the one strategy's world being simulated
  (ledger, records: a replication frees each world once no later strategy shares it) and
  ≈ 0.10 kB per strategy for its results, measured by ``benchmarks/memory.py`` (issue 27) and
  taken with a 25 % margin (issue 21: the
  figures assumed before were 6–18 % *below* the peaks measured at 18–54k accounts); the memory
  available is the host's, or a container's cgroup limit when it leaves less
  (:mod:`simlib.run.cgroup_memory`);
- the engine runs ≈ 20,000 account-strategies per CPU-second (15,000–45,000 measured), and a phone
  team's shifts cost ≈ 3 SimPy events per agent per working day;
- the main process keeps every replication's tables: ≈ 30 kB per strategy and replication in
  memory and ≈ 12 kB on disk (the checkpoint, the temporary result and the published one: 3×).

:func:`check` raises :class:`~simlib.scenario.schema.ScenarioError` (exit code 2) with the estimate when the
memory needed exceeds the memory available now, the time exceeds ``max_hours`` or the disk space
needed exceeds the free space at the output directory.
"""
from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from simlib.run.replication import world_key, worlds_held_at_once
from simlib.scenario.schema import Scenario, ScenarioError

#: Memory figures: measured by benchmarks/memory.py (benchmarks/memory_results.json: the baseline
#: at 40 and 120 encounters a day — 29,160 and 87,480 simulated accounts — with the population
#: alone, 1 and 8 strategies; a process holds ≈ 235 MB once simlib is imported; per simulated
#: account the population ≈ 0.74 kB, the world of the strategy being simulated ≈ 0.95 kB, each
#: strategy's results ≈ 0.10 kB, measured at 5c637a6, issue 27) times MEMORY_MARGIN, rounded up.
#: The population's figure adds the 224 B of levers' draws a strategy may make on first read
#: (simlib.model.lever_draws: the status quo measured makes few of them). tests/test_adversarial_memory.py
#: fails if they fall below that.
MEMORY_MARGIN = 1.25
WORKER_BASE_BYTES = 300e6
MAIN_BASE_BYTES = 300e6
POPULATION_BYTES_PER_ACCOUNT = 1_250
WORLD_BYTES_PER_ACCOUNT = 1_200
RESULT_BYTES_PER_ACCOUNT_STRATEGY = 150
TABLE_BYTES_PER_STRATEGY_REPLICATION = 30_000
DISK_BYTES_PER_STRATEGY_REPLICATION = 3 * 12_000
ACCOUNT_STRATEGIES_PER_CPU_S = 20_000.0
SHIFT_EVENTS_PER_CPU_S = 150_000.0
REPLICATION_OVERHEAD_CPU_S = 0.3


@dataclass(frozen=True)
class Estimate:
    accounts: float              # expected accounts per replication
    strategies: int
    replications: int
    workers: int                 # processes running replications at once (1: the main process)
    worker_bytes: float          # memory of one worker process (0: replications run in the main one)
    main_bytes: float            # memory of the main process (tables of every replication)
    cpu_seconds: float
    wall_seconds: float
    disk_bytes: float
    parallel: int = 1            # CPUs the replications run on at once

    @property
    def memory_bytes(self) -> float:
        return self.main_bytes + self.workers * self.worker_bytes

    def describe_memory(self) -> str:
        where = (f"{self.workers} workers × {_gb(self.worker_bytes)}, plus " if self.worker_bytes else "")
        return (f"{_gb(self.memory_bytes)} ({where}{_gb(self.main_bytes)} in the main process; "
                f"{self.accounts:,.0f} accounts × {self.strategies} strategies per replication, "
                f"{self.replications:,} replications)")

    def describe_time(self) -> str:
        t = self.wall_seconds
        when = f"{t / 3600:,.1f} hours" if t >= 3600 else f"{t / 60:,.1f} minutes" if t >= 60 else f"{t:.0f} s"
        return (f"{when} ({self.replications:,} replications × {self.accounts:,.0f} accounts × "
                f"{self.strategies} strategies at ≈ {ACCOUNT_STRATEGIES_PER_CPU_S:,.0f} "
                f"account-strategies per CPU-second on {self.parallel} CPU{'s' if self.parallel > 1 else ''})")


def _gb(b: float) -> str:
    return f"{b / 1e9:,.1f} GB" if b >= 1e8 else f"{b / 1e6:,.0f} MB"


def available_memory_bytes() -> float | None:
    """Memory available to a new process now: the host's, or less when a container's cgroup limit
    leaves less (:mod:`simlib.run.cgroup_memory`); None if unknown."""
    from simlib.run.cgroup_memory import cgroup_available_bytes

    host, room = host_available_bytes(), cgroup_available_bytes()
    known = [b for b in (host, room) if b is not None]
    return min(known) if known else None


def host_available_bytes() -> float | None:
    """The host's memory available to a new process now (None if unknown)."""
    try:
        import psutil  # installed with dask.distributed
        return float(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - fall back to /proc or sysconf
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def estimate(sc: Scenario, replications: int, workers: int, local: bool = True) -> Estimate:
    """Estimate of a run of ``replications`` on ``workers`` local processes (or a cluster)."""
    sim = sc.simulation
    accounts = sim.simulated_accounts
    # strategies that differ only by a factoring offer share one simulated world, kept in memory
    # from the first strategy that needs it to the last (simlib.run.replication)
    strategies = len(sc.strategies)
    worlds = len({world_key(s) for s in sc.strategies.values()})
    held = worlds_held_at_once(sc)
    shift_events = sum(3.0 * s.phone_team.agents * (sim.horizon_days + sim.warm_up_days) * len(set(s.phone_team.working_days)) / 7
                       for s in sc.strategies.values() if s.phone_team is not None)
    cpu_per_rep = (accounts * worlds / ACCOUNT_STRATEGIES_PER_CPU_S + shift_events / SHIFT_EVENTS_PER_CPU_S
                   + REPLICATION_OVERHEAD_CPU_S)
    accounts_bytes = accounts * (POPULATION_BYTES_PER_ACCOUNT + WORLD_BYTES_PER_ACCOUNT * held
                                 + RESULT_BYTES_PER_ACCOUNT_STRATEGY * strategies)
    main_bytes = MAIN_BASE_BYTES + replications * strategies * TABLE_BYTES_PER_STRATEGY_REPLICATION
    n_workers, worker_bytes = 1, 0.0
    if not local:                  # a cluster: only the tables come back to this machine
        parallel = 1
    elif workers <= 1 or replications <= 1:  # replications run inside the main process
        main_bytes += accounts_bytes
        parallel = 1
    else:
        n_workers = min(workers, replications)
        worker_bytes = WORKER_BASE_BYTES + accounts_bytes
        parallel = max(1, min(n_workers, cpu_count()))
    cpu = replications * cpu_per_rep
    return Estimate(accounts=accounts, strategies=strategies, replications=replications,
                    workers=n_workers, worker_bytes=worker_bytes, main_bytes=main_bytes,
                    cpu_seconds=cpu, wall_seconds=cpu / parallel, parallel=parallel,
                    disk_bytes=replications * strategies * DISK_BYTES_PER_STRATEGY_REPLICATION)


def check(sc: Scenario, replications: int, workers: int, *, local: bool = True,
          max_hours: float = 24.0, out_dir: str | Path | None = None, source: str = "") -> Estimate:
    """Refuse (ScenarioError) a run whose estimate exceeds the machine; return the estimate."""
    est = estimate(sc, replications, workers, local)
    problems = []
    available = available_memory_bytes()
    if available is not None and est.memory_bytes > available:
        problems.append(f"the run needs an estimated {est.describe_memory()}, more than the "
                        f"{_gb(available)} of memory available; use fewer workers, accounts or "
                        f"replications")
    if local and est.wall_seconds > max_hours * 3600:
        problems.append(f"the run would take an estimated {est.describe_time()}, more than "
                        f"--max-hours {max_hours:g}; use fewer replications or accounts, more "
                        f"workers or a cluster, or raise --max-hours")
    if out_dir is not None:
        probe = Path(out_dir)
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        try:
            free = float(shutil.disk_usage(probe).free)
        except OSError:
            free = math.inf
        if est.disk_bytes > free:
            problems.append(f"the results need an estimated {_gb(est.disk_bytes)} of disk, more than "
                            f"the {_gb(free)} free at {out_dir}")
    if problems:
        raise ScenarioError(source or sc.name, problems)
    return est
