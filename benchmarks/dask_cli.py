#!/usr/bin/env python3
"""A 2-worker Dask cluster started from the ``dask`` command line, against local processes (issue 27).

What a hospital's IT would do: ``dask scheduler`` and ``dask worker … --nworkers 2`` as separate
processes on this machine, then ``simlib run scenario.yaml --scheduler tcp://…``. The same run with
``--workers 2`` (local processes) and ``--workers 1`` gives the comparison. Reported: the wall time
of each ``simlib run`` (its own start-up included; the cluster's start-up separately), and whether
the three result tables are identical (the reproducibility rule: any worker count, any cluster)::

    .venv/bin/python benchmarks/dask_cli.py                       # baseline, 4 encounters a day, 4 runs
    .venv/bin/python benchmarks/dask_cli.py --encounters-per-day 40 --replications 8
    .venv/bin/python benchmarks/dask_cli.py --no-write            # print only

Results go to benchmarks/dask_cli_results.json (a list, newest last). Wall times on a shared
machine move with its load (reported); compare within one run only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("dask_cli_results.json")
BIN = Path(sys.executable).parent


def _scenario(folder: Path, encounters_per_day: float, replications: int) -> Path:
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    d["simulation"].update(encounters_per_day=encounters_per_day, replications=replications)
    d["simulation"].pop("workers", None)
    d["search"] = d["sensitivity"] = None
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    return path


def _run(scenario: Path, out: Path, *options: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "simlib"), "run", str(scenario), "--out", str(out), "--format", "csv", *options],
                   check=True, capture_output=True, text=True, env={**os.environ, "SIMLIB_RESULT_CACHE": ""})
    return time.perf_counter() - t0


def _metrics(out: Path) -> pd.DataFrame:
    """The run's metrics table (``--out`` holds one folder per scenario)."""
    (table,) = out.glob("*/metrics.csv")
    return pd.read_csv(table).sort_values(["replication", "strategy", "metric"]).reset_index(drop=True)


class Cluster:
    """``dask scheduler`` and ``dask worker --nworkers N`` as child processes; the address from the
    scheduler file; stopped (terminated, then killed) on exit."""

    def __init__(self, folder: Path, workers: int):
        self.folder, self.workers, self.procs = folder, workers, []

    def __enter__(self) -> "Cluster":
        t0 = time.perf_counter()
        file = self.folder / "scheduler.json"
        log = (self.folder / "cluster.log").open("w")
        self.procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                            "--dashboard-address", ":0", "--scheduler-file", str(file)],
                                           stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while not file.exists():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise SystemExit("dask_cli: the scheduler did not start; see " + str(self.folder / "cluster.log"))
            time.sleep(0.2)
        self.procs.append(subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(file),
                                            "--nworkers", str(self.workers), "--nthreads", "1",
                                            "--dashboard-address", ":0"], stdout=log, stderr=subprocess.STDOUT,
                                           env={**os.environ, "PYTHONPATH": str(ROOT)}))
        self.address = json.loads(file.read_text())["address"]
        from distributed import Client
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(self.workers, timeout=120)
        self.start_s = time.perf_counter() - t0
        return self

    def __exit__(self, *exc) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def measure(encounters_per_day: float = 4.0, replications: int = 4) -> dict:
    with tempfile.TemporaryDirectory(prefix="simlib-dask-cli-") as tmp:
        folder = Path(tmp)
        scenario = _scenario(folder, encounters_per_day, replications)
        one = _run(scenario, folder / "one", "--workers", "1")
        two = _run(scenario, folder / "two", "--workers", "2")
        with Cluster(folder, 2) as cluster:
            dask = _run(scenario, folder / "dask", "--scheduler", cluster.address)
            start = cluster.start_s
        base = _metrics(folder / "one")
        same = all(_metrics(folder / name).equals(base) for name in ("two", "dask"))
    return {"encounters_per_day": encounters_per_day, "replications": replications,
            "wall_s": {"1 local process": one, "2 local processes": two, "2-worker dask CLI cluster": dask},
            "cluster_start_s": start, "identical": same, "load_average": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--encounters-per-day", type=float, default=4.0)
    ap.add_argument("--replications", type=int, default=4)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    m = measure(args.encounters_per_day, args.replications)
    for what, s in m["wall_s"].items():
        print(f"{what}: {s:.1f} s")
    print(f"cluster start-up: {m['cluster_start_s']:.1f} s; results identical on the three: {m['identical']}"
          f" (load {m['load_average']:.1f})")
    if not args.no_write:
        old = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else []
        OUT.write_text(json.dumps(old + [m], indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0 if m["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
