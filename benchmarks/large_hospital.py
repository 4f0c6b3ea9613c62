#!/usr/bin/env python3
"""One replication of a large health system, on one core: CPU time and peak memory (issue 27).

A health system that bills a million encounters a year is ``parameters/baseline.yaml`` with
``encounters_per_day`` = 1,000,000 ÷ its billing window (365 days → 2,740 a day). The scenario's
warm-up (a running hospital's unpaid book: 364 days of earlier patients simulated and left out of
every number) and open book are kept, so the replication simulates about twice the year's
encounters. Each measurement is a fresh subprocess (one core: it runs
:func:`simlib.run.replication.run_replication`, which simulates the strategies one after the
other) that reports its CPU seconds (user + system, ``getrusage``: the load of a shared machine
does not count) and its peak resident memory (``ru_maxrss``)::

    .venv/bin/python benchmarks/large_hospital.py                      # 1M encounters, every strategy
    .venv/bin/python benchmarks/large_hospital.py --strategies 1       # the status quo alone
    .venv/bin/python benchmarks/large_hospital.py --encounters 20000 --no-write   # a quick look

Results go to benchmarks/large_hospital_results.json (a list: one entry per measurement, newest
last). The issue's target: one replication of a one-million-encounter year in ≤ 60 s and ≤ 4 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("large_hospital_results.json")
TARGET_CPU_S, TARGET_PEAK_GB = 60.0, 4.0

CHILD = r"""
import json, resource, sys, time
import yaml
from simlib.run.replication import run_replication, worlds_held_at_once
from simlib.scenario.schema import scenario_from_dict

encounters, n_strategies, seed, path = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
d = yaml.safe_load(open(path, encoding="utf-8"))
window = d["simulation"].get("billing_window_days", 365)
d["simulation"]["encounters_per_day"] = encounters / window
names = list(d["strategies"])
baseline = next(n for n in names if d["strategies"][n].get("baseline"))
keep = [baseline] + [n for n in names if n != baseline][: max(n_strategies, 1) - 1]
d["strategies"] = {n: d["strategies"][n] for n in keep}
d["search"] = d["sensitivity"] = None
sc = scenario_from_dict(d, "large hospital benchmark")
t0 = time.perf_counter()
tables = run_replication(sc, 0, seed)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"encounters_a_year": encounters, "strategies": len(sc.strategies),
                  "worlds_held_at_once": worlds_held_at_once(sc),
                  "accounts_simulated": sc.simulation.simulated_accounts, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "wall_s": wall, "peak_bytes": ru.ru_maxrss * 1024,
                  "metrics_rows": len(tables["metrics"])}))
"""


def measure(encounters: float, strategies: int, seed: int = 1, scenario: Path | None = None) -> dict:
    """One replication in a fresh subprocess (its CPU time includes imports: ≈ 2 s)."""
    path = scenario or ROOT / "parameters" / "baseline.yaml"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(encounters), str(strategies), str(seed), str(path)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise SystemExit(f"large_hospital: the replication failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update(load_average=os.getloadavg()[0], python=platform.python_version(), commit=_commit())
    return out


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def verdict(m: dict) -> str:
    """The measurement in one line, with the issue's targets when it is a million-encounter year."""
    strategies = "1 strategy" if m["strategies"] == 1 else f"{m['strategies']} strategies"
    line = (f"{m['encounters_a_year']:,.0f} encounters a year, {strategies} "
            f"({m['accounts_simulated']:,.0f} accounts each, warm-up and open book included): "
            f"{m['cpu_s']:.1f} CPU-s, peak {m['peak_bytes'] / 1e9:.2f} GB")
    if m["encounters_a_year"] >= 1e6:
        line += (f" — target ≤ {TARGET_CPU_S:.0f} s: {'met' if m['cpu_s'] <= TARGET_CPU_S else 'not met'}, "
                 f"≤ {TARGET_PEAK_GB:.0f} GB: {'met' if m['peak_bytes'] <= TARGET_PEAK_GB * 1e9 else 'not met'}")
    return line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--encounters", type=float, default=1e6, help="encounters billed a year (default 1,000,000)")
    ap.add_argument("--strategies", type=int, default=0, help="the status quo and the next N−1 (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", type=Path, default=None, help="another scenario file (default the baseline)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    strategies = args.strategies or 10 ** 6
    m = measure(args.encounters, strategies, args.seed, args.scenario)
    print(verdict(m))
    if not args.no_write:
        old = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else []
        OUT.write_text(json.dumps(old + [m], indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
