"""Benchmark of the strategy search (issue 12, item 6): 300 candidates on the baseline hospital.

    .venv/bin/python benchmarks/search.py                 # writes benchmarks/search_results.json
    .venv/bin/python benchmarks/search.py --budget 40     # the README's default search

Measures, on this machine: the wall time of ``simlib search parameters/baseline.yaml --budget 300``
with 2 local workers, the time and simulations of each stage (screening, successive halving, the
final runs of every strategy, the Kim–Nelson selection, outputs and page), the CPU seconds spent
(this process and its workers), the load average (the machine is shared), the engine's accounts
per CPU-second inside the search, and whether the strategy found beats the best hand-written one
with a paired interval that excludes zero (95 %, Bonferroni over the two comparisons the page
shows). Not a timed test: the numbers go to benchmarks/README.md by hand.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", help="keep the search's outputs here (default: a temporary folder)")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "search_results.json"))
    args = ap.parse_args(argv)

    from simlib.core.metric_catalogue import KEY_METRIC
    from simlib.levers.base import describe_strategy
    from simlib.scenario.schema import load_scenario
    from simlib.search import run_search
    from simlib.search.selection import paired_interval

    scenario = ROOT / "parameters" / "baseline.yaml"
    sc = load_scenario(scenario)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="simlib-search-bench-"))
    load_start = os.getloadavg()
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    run = run_search(scenario, budget=args.budget, workers=args.workers, out=out, progress=False, page=True,
                     log=lambda m: print(f"[{time.perf_counter() - t0:6.0f} s] {m}", flush=True))
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    load_end = os.getloadavg()

    final, objective = run.final, run.goal.objective

    def values(strategy: str, metric: str):
        m = final.metrics
        return m[(m["strategy"] == strategy) & (m["metric"] == metric)].sort_values("replication")["value"].to_numpy()

    base, best = sc.baseline_strategy, run.best_hand_written
    vs = {}
    for name in dict.fromkeys([base, best]):
        ci = paired_interval(values(run.found_name, objective), values(name, objective), 0.95, comparisons=2)
        vs[name] = {"mean": ci.mean, "low": ci.low, "high": ci.high, "runs": ci.runs,
                    "excludes_zero": ci.excludes_zero}
    burden = {m: {s: float(values(s, m).mean()) for s in (run.found_name, base, best)}
              for m in ("contacts_per_account", "calls_per_account", "complaints_per_1000_accounts")}
    sims = run.simulations + run.timings.get("final_runs_simulations", 0)
    accounts = sc.simulation.encounters_per_day * sc.simulation.billing_window_days + sc.simulation.open_book_accounts
    st = type(sc.strategies[sc.search.start_from]).model_validate(dict(run.found.data, baseline=False))
    result = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="minutes"), "commit": _commit(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "load_average_start": [round(x, 2) for x in load_start],
                    "load_average_end": [round(x, 2) for x in load_end]},
        "budget": args.budget, "workers": args.workers, "wall_seconds": wall, "cpu_seconds": cpu,
        "timings": run.timings, "search_simulations": run.simulations, "all_simulations": sims,
        "encounters_per_replication": accounts,
        "encounters_per_cpu_second": sims * accounts / cpu if cpu else None,
        "objective": objective, "key_metric": KEY_METRIC, "best_hand_written": best, "status_quo": base,
        "found_vs": vs, "burden": burden, "selection": run.selection.to_dict(),
        "found_values": run.found.values, "found_words": describe_strategy(st),
        "rungs": run.history,
    }
    Path(args.json).write_text(json.dumps(result, indent=2, default=float), encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("wall_seconds", "cpu_seconds", "timings", "found_vs",
                                             "selection", "machine")}, indent=2, default=float))
    print(f"found: {result['found_words']}")
    print(f"outputs: {out}; results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
