"""Memory per account of one replication, measured: the figures behind simlib/run/budget.py.

Each point is a fresh subprocess that loads ``parameters/baseline.yaml`` at a given encounter rate
and strategy count, notes its resident memory, runs one replication (population, every strategy's
world, metrics: what a worker holds) and reads its peak resident memory (``ru_maxrss``); a third
kind of point draws the population alone. The fixed cost cancels in the slope between two sizes;
a replication frees each strategy's simulated world once no later strategy shares it
(``simlib.run.replication``), so with ``held`` worlds at once and ``s`` strategies::

    slope(0) = population
    slope(s) = population + held(s) × world + s × retained      (bytes per account)

(``retained``: what each strategy's results keep after its world is freed).

    .venv/bin/python benchmarks/memory.py            # writes benchmarks/memory_results.json
    .venv/bin/python benchmarks/memory.py --quick    # smaller sizes, prints only

Issue 21: the estimate assumed 1.5 kB + 1 kB per strategy (9.5 kB per account with 8 strategies)
where 12.6 kB was measured, so runs near the machine's limit passed the check and then exceeded it.
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
OUT = Path(__file__).with_name("memory_results.json")

CHILD = r"""
import json, resource, sys
import yaml
from simlib.run.replication import run_replication, worlds_held_at_once
from simlib.scenario.schema import scenario_from_dict

rate, n_strategies, seed = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
population_only = n_strategies == 0  # the population alone: what every strategy's run shares
n_strategies = max(n_strategies, 1)
d = yaml.safe_load(open(sys.argv[4], encoding="utf-8"))
d["simulation"].update(encounters_per_day=rate, open_book_accounts=0)
names = list(d["strategies"])
baseline = next(n for n in names if d["strategies"][n].get("baseline"))
keep = [baseline] + [n for n in names if n != baseline][: n_strategies - 1]
d["strategies"] = {n: d["strategies"][n] for n in keep}
d["search"] = None
d["sensitivity"] = None
d["uncertain"] = [u for u in d.get("uncertain") or [] if "deposit" not in u["path"] or
                  any("deposit" in d["strategies"][n] for n in keep)]
sc = scenario_from_dict(d, "memory benchmark")
page = resource.getpagesize()
before = int(open("/proc/self/statm").read().split()[1]) * page
if population_only:
    from simlib.model.population import draw_population
    from simlib.scenario.uncertain import draw_assumptions
    pop = draw_population(draw_assumptions(sc, 0, seed)[0], 0, seed)
else:
    tables = run_replication(sc, 0, seed)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
accounts = sc.simulation.simulated_accounts  # what simlib.run.budget multiplies: warm-up and open book included
print(json.dumps({"rate": rate, "strategies": 0 if population_only else len(sc.strategies),
                  "held": 0 if population_only else worlds_held_at_once(sc), "accounts": accounts,
                  "rss_before": before, "peak": peak}))
"""


def point(rate: float, strategies: int, seed: int = 1) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(rate), str(strategies), str(seed),
                           str(ROOT / "parameters" / "baseline.yaml")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(rates: tuple[float, float]) -> dict:
    all_strategies = len(__import__("yaml").safe_load((ROOT / "parameters" / "baseline.yaml").read_text())["strategies"])
    points, slopes = [], {}
    for s in (0, 1, all_strategies):
        small, large = point(rates[0], s), point(rates[1], s)
        points += [small, large]
        slopes[s] = (large["peak"] - small["peak"]) / (large["accounts"] - small["accounts"])
    held = points[-1]["held"]  # worlds the full run holds at once (one unless strategies share one)
    population = slopes[0]
    # slope(1) = population + world + retained; slope(all) = population + held × world + all × retained
    retained = (slopes[all_strategies] - slopes[1] - (held - 1) * (slopes[1] - population)) / (
        all_strategies - 1 - (held - 1))
    world = slopes[1] - population - retained
    return {"points": points, "bytes_per_account": {str(k): v for k, v in slopes.items()},
            "population_bytes_per_account": population, "strategy_bytes_per_account": world,
            "retained_bytes_per_account_strategy": retained, "held": held,
            "strategies": all_strategies, "python": platform.python_version(),
            "machine": platform.machine(), "commit": _commit()}


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes; print, do not write")
    args = ap.parse_args()
    result = measure((10.0, 30.0) if args.quick else (40.0, 120.0))
    print(json.dumps({k: v for k, v in result.items() if k != "points"}, indent=2))
    if not args.quick:
        OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
