#!/usr/bin/env python3
"""simlib benchmarks, one command:  .venv/bin/python benchmarks/run.py  [--quick]

Measures, in one run on this machine (ratios are only ever taken within the run):
  1. the full baseline model, accounts/s on one core, at 10k and 100k accounts;
  2. the capacity-free subset: SimPy engine vs the NumPy vectorized model (and their agreement);
  3. memory per account: compact storage (frozen ledger + population arrays) and the peak RSS
     growth of a run, measured in a fresh subprocess;
  4. Monte Carlo wall time, N replications x all baseline strategies, 1 and 2 local worker
     processes, and a 2-worker Dask LocalCluster (start-up reported separately);
  5. a cProfile of one strategy at 10k accounts (top costs);
  6. the hybrid engine (issue 27): pure SimPy vs hybrid per strategy, the share of balances the
     mask sends to NumPy and the NumPy model's rate on them (benchmarks/hybrid_bench.py).
Results go to benchmarks/results.json and between the markers of benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simlib.model.engine import World  # noqa: E402
from simlib.run.experiment import run_replication, run_replications  # noqa: E402
from simlib.scenario.schema import (CALIBRATED_BASELINE, inherited_sections, load_scenario,  # noqa: E402
                                    scenario_from_dict)
from simlib.model.population import draw_population  # noqa: E402
from simlib.model import vectorized  # noqa: E402
from simlib.model.vectorized_rows import canonical_order  # noqa: E402
from simlib.core.ledger import Ledger  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from hybrid_bench import bench_hybrid, hybrid_markdown  # noqa: E402  (benchmarks/hybrid_bench.py)

BASELINE = ROOT / "parameters" / "baseline.yaml"
#: the scenario measured (``--scenario``; the baseline by default)
SCENARIO = BASELINE
README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
SEED = 20261123


# ----------------------------------------------------------------------------- scenarios
def baseline_data() -> dict:
    """The measured scenario's YAML (the baseline unless ``--scenario`` names another), with the
    hospital sections it leaves out taken from the calibrated baseline (as ``load_scenario`` does)."""
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    base = yaml.safe_load(CALIBRATED_BASELINE.read_text(encoding="utf-8"))
    return {**data, **{k: base[k] for k in inherited_sections(data) if k in base}}


def scaled(accounts: int, data: dict | None = None) -> "Scenario":  # noqa: F821
    """The scenario (or ``data``) with encounters_per_day set for ~``accounts`` encounters a year."""
    data = data or baseline_data()
    sim = data.setdefault("simulation", {})
    sim["encounters_per_day"] = accounts / sim.get("billing_window_days", 365.0)
    sim.pop("open_book", None)  # a table of the hospital's own accounts does not scale
    return scenario_from_dict(data, f"{SCENARIO.stem} x{accounts}")


def strategy_names() -> list[str]:
    return list(load_scenario(SCENARIO).strategies)


def capacity_free_data() -> dict:
    """The scenario without what needs shared capacities (disputes, denied claims), its
    behaviours, channels and financial assistance policy kept as they are (issue 27)."""
    data = baseline_data()
    data.setdefault("operations", {}).setdefault("billing_team", {})["billing_error_rate"] = 0.0
    for p in data["payers"].values():
        p["initial_denial_rate"] = 0.0
    return data


# ----------------------------------------------------------------------------- machine
def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    import numpy, simpy, distributed  # noqa: E401
    return {"date": dt.datetime.now().astimezone().isoformat(timespec="minutes"),
            "nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "numpy": numpy.__version__, "simpy": simpy.__version__,
            "distributed": distributed.__version__, "commit": commit,
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "mem_total_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def timed(fn, *args):
    """(result, wall seconds, CPU seconds of this process): CPU time is the per-core figure,
    robust to other jobs sharing the machine; wall time is reported alongside."""
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - w, time.process_time() - c


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- 1. full model
def bench_full(sizes: list[int]) -> list[dict]:
    rows = []
    for accounts in sizes:
        sc = scaled(accounts)
        t = time.perf_counter()
        pop = draw_population(sc, 0)
        t_pop = time.perf_counter() - t
        total = total_wall = 0.0
        for name in sc.strategies:
            world = World(sc, name, pop, hybrid=False)
            (res, wall, cpu) = timed(world.run)
            total += cpu
            total_wall += wall
            events = next(world.env._eid)  # SimPy's event counter: events scheduled in the run
            rows.append({"accounts": pop.n, "strategy": name, "seconds": cpu, "wall_seconds": wall,
                         "accounts_per_s": pop.n / cpu, "events_per_account": events / pop.n,
                         "ledger_rows_per_account": len(res.ledger) / pop.n})
            log(f"  full {pop.n:>7} {name:<22} {cpu:7.2f} cpu-s {wall:7.2f} s  {pop.n / cpu:9.0f} acc/cpu-s  "
                f"{events / pop.n:5.1f} ev/acc")
        rows.append({"accounts": pop.n, "strategy": "ALL (engine only)", "seconds": total,
                     "wall_seconds": total_wall, "accounts_per_s": pop.n * len(sc.strategies) / total,
                     "population_seconds": t_pop})
        if True:  # measured proposal: no cyclic GC passes during a run
            first = next(iter(sc.strategies))
            world = World(sc, first, pop, hybrid=False)
            gc.collect()
            gc.freeze()
            gc.disable()
            try:
                (_, wall, cpu) = timed(world.run)
            finally:
                gc.enable()
                gc.unfreeze()
            rows.append({"accounts": pop.n, "strategy": f"{first}, gc disabled during run",
                         "seconds": cpu, "wall_seconds": wall, "accounts_per_s": pop.n / cpu})
            log(f"  full {pop.n:>7} {first}, gc off   {cpu:7.2f} cpu-s  {pop.n / cpu:9.0f} acc/cpu-s")
    return rows


def bench_simpy_floor(n: int = 20_000, timeouts=(1, 3, 10)) -> list[dict]:
    """The cost of SimPy itself: one bare process per account, started by an arrivals process,
    waiting ``k`` timeouts and doing nothing else. Bounds what any per-account-process engine
    can reach for a given number of events per account."""
    import simpy
    rows = []
    for k in timeouts:
        env = simpy.Environment()

        def account(t, k=k):
            for _ in range(k):
                yield env.timeout(t)

        def arrivals():
            for i in range(n):
                yield env.timeout(365.0 / n)
                env.process(account(30.0 + i * 1e-6))

        env.process(arrivals())
        _, wall, cpu = timed(env.run)
        events = next(env._eid)
        rows.append({"timeouts": k, "events_per_account": events / n, "accounts_per_s": n / cpu,
                     "events_per_s": events / cpu})
        log(f"  simpy floor k={k}: {events / n:.1f} ev/acc  {n / cpu:9.0f} acc/cpu-s  {events / cpu:9.0f} ev/cpu-s")
    return rows


# ----------------------------------------------------------------------------- 2. engine vs numpy
def bench_capacity_free(sizes: list[int]) -> list[dict]:
    """Engine vs NumPy on every strategy of the scenario that lies in the capacity-free subset
    (the others are listed with the reason :func:`vectorized.check_capacity_free` gives)."""
    rows = []
    for accounts in sizes:
        sc = scaled(accounts, capacity_free_data())
        pop = draw_population(sc, 0)
        for name in sc.strategies:
            try:
                vectorized.check_capacity_free(sc, name)
            except ValueError as exc:
                rows.append({"accounts": pop.n, "strategy": name, "refused": str(exc).split(": it has ", 1)[-1]})
                continue
            res, _, t_engine = timed(World(sc, name, pop, hybrid=False).run)
            vectorized.simulate(sc, name, pop)  # warm-up
            reps = 5
            v, _, t_vec = timed(lambda: [vectorized.simulate(sc, name, pop) for _ in range(reps)])
            v, t_vec = v[-1], t_vec / reps
            agree = same_patient_rows(res.ledger, v.rows)
            rows.append({"accounts": pop.n, "strategy": name, "engine_s": t_engine, "vector_s": t_vec,
                         "engine_acc_s": pop.n / t_engine, "vector_acc_s": pop.n / t_vec,
                         "ratio": t_engine / t_vec, "identical_payments": agree})
            log(f"  capacity-free {pop.n:>7} {name:<14} engine {pop.n / t_engine:9.0f}/s  "
                f"numpy {pop.n / t_vec:11.0f}/s  x{t_engine / t_vec:6.0f}  same={agree}")
    return rows


def same_patient_rows(engine_ledger, numpy_rows) -> bool:
    """Whether the NumPy model's ledger rows are the engine's rows of the patient balances (after
    their BILLED row — a collection charge bills another): same receivables, kinds and cents, days
    within 1e-9."""
    led = engine_ledger
    m = (led.receivable > 0) & (led.receivable % 2 == 1)  # not -1: the hospital's own costs (a vendor's fees)
    billed = np.flatnonzero(m & (led.kind == 0))
    _, first = np.unique(led.receivable[billed], return_index=True)  # the bill at service comes first
    m[billed[first]] = False
    a = Ledger(led.receivable[m], led.day[m], led.kind[m], led.amount[m])
    oa, ob = canonical_order(a), canonical_order(numpy_rows)
    b = numpy_rows
    return bool(len(a) == len(b) and np.array_equal(a.receivable[oa], b.receivable[ob])
                and np.array_equal(a.kind[oa], b.kind[ob]) and np.array_equal(a.amount[oa], b.amount[ob])
                and np.allclose(a.day[oa], b.day[ob], rtol=0, atol=1e-9))


# ----------------------------------------------------------------------------- 3. memory
def _rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_child(accounts: int, strategy: str) -> dict:
    """Runs in a fresh interpreter. Peak traced heap growth (tracemalloc; NumPy buffers included)
    while drawing the population and while running one strategy, and the compact frozen sizes."""
    import tracemalloc
    sc = scaled(accounts)
    rss0 = _rss_bytes()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    pop = draw_population(sc, 0)
    cur, peak_pop = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    res = World(sc, strategy, pop).run()
    peak_run = tracemalloc.get_traced_memory()[1]
    gc.collect()  # the finished world is a reference cycle (env <-> processes <-> accounts)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rss1 = _rss_bytes()
    led = res.ledger
    ledger_bytes = sum(getattr(led, f).nbytes for f in ("receivable", "day", "kind", "amount"))
    pop_bytes = sum(v.nbytes for v in vars(pop).values() if isinstance(v, np.ndarray))
    n = pop.n
    return {"accounts": n, "strategy": strategy, "ledger_rows": len(led),
            "ledger_bytes_per_account": ledger_bytes / n,
            "population_bytes_per_account": pop_bytes / n,
            "open_cents_bytes_per_account": res.open_cents.nbytes / n,
            "peak_population_bytes_per_account": (peak_pop - base) / n,
            "peak_run_bytes_per_account": (peak_run - cur) / n,
            "retained_after_run_bytes_per_account": (after - cur) / n,
            "rss_growth_bytes_per_account": (rss1 - rss0) / n}


def bench_memory(accounts: int, strategies: list[str]) -> list[dict]:
    rows = []
    for name in strategies:
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(accounts), name, str(SCENARIO)],
                             capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        log(f"  memory {row['accounts']} {name}: ledger {row['ledger_bytes_per_account']:.0f} B/acc, "
            f"population {row['population_bytes_per_account']:.0f} B/acc, "
            f"peak heap growth in run {row['peak_run_bytes_per_account']:.0f} B/acc")
    return rows


# ----------------------------------------------------------------------------- 4. Monte Carlo
def bench_monte_carlo(reps: int, accounts: int | None) -> dict:
    sc = scaled(accounts) if accounts else load_scenario(SCENARIO)
    n_acc = draw_population(sc, 0).n
    out = {"replications": reps, "strategies": len(sc.strategies), "accounts": n_acc}
    for workers in (1, 2):
        t = time.perf_counter()
        parts = run_replications(sc, list(range(reps)), SEED, workers=workers)
        out[f"local_{workers}_s"] = time.perf_counter() - t
        log(f"  monte carlo {reps} reps, {workers} local worker(s): {out[f'local_{workers}_s']:.1f} s")
        if workers == 1:
            reference = parts
    from distributed import LocalCluster
    t = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        out["dask_startup_s"] = time.perf_counter() - t
        t = time.perf_counter()
        parts = run_replications(sc, list(range(reps)), SEED, scheduler=cluster.scheduler_address)
        out["dask_2_s"] = time.perf_counter() - t
    out["dask_identical"] = all(a["metrics"].equals(b["metrics"]) for a, b in zip(parts, reference))
    out["speedup_local_2"] = out["local_1_s"] / out["local_2_s"]
    out["speedup_dask_2"] = out["local_1_s"] / out["dask_2_s"]
    out["dask_overhead_vs_local_2"] = out["dask_2_s"] / out["local_2_s"] - 1.0
    log(f"  dask 2 workers: start-up {out['dask_startup_s']:.1f} s, run {out['dask_2_s']:.1f} s, "
        f"identical={out['dask_identical']}")
    # one replication = draw + every strategy + metrics, for the 100-replication extrapolation
    t = time.perf_counter()
    run_replication(sc, 0, SEED)
    out["one_replication_s"] = time.perf_counter() - t
    return out


# ----------------------------------------------------------------------------- 5. profile
def bench_profile(accounts: int, strategy: str, top: int = 18) -> dict:
    sc = scaled(accounts)
    pop = draw_population(sc, 0)
    prof = cProfile.Profile()
    world = World(sc, strategy, pop)
    prof.enable()
    world.run()
    prof.disable()
    st = pstats.Stats(prof, stream=io.StringIO())
    total = st.total_tt
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _callers) in st.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({func})" if line else func,
                     "calls": nc, "tottime_s": tt, "cumtime_s": ct, "share": tt / total})
    rows.sort(key=lambda r: -r["tottime_s"])
    by_cum = sorted(rows, key=lambda r: -r["cumtime_s"])
    return {"accounts": pop.n, "strategy": strategy, "total_s": total,
            "top_tottime": rows[:top], "top_cumtime": by_cum[:top]}


# ----------------------------------------------------------------------------- report
def fmt(x, nd=0):
    return f"{x:,.{nd}f}"


def markdown(res: dict) -> str:
    """The README's generated part; sections a partial run (``--sections``) left out are skipped."""
    res = {"full": [], "capacity_free": [], "memory": [], **res}
    m = res["machine"]
    L = [f"Run `{res['command']}` on {m['date']}: {m['nproc']} cores ({m['cpu']}), "
         f"{m['mem_total_gb']} GB RAM, Python {m['python']}, NumPy {m['numpy']}, SimPy {m['simpy']}, "
         f"distributed {m['distributed']}, commit `{m['commit']}`; load average at start "
         f"{m['load_average_1_5_15']} (other jobs shared the machine: single-process throughputs are "
         f"per CPU-second of this process, parallel runs are wall time). All ratios come from this one run.",
         "", "### 1. Full baseline model, one core (engine only; population drawn once, metrics excluded)",
         "", "| accounts | strategy | CPU s | wall s | accounts per CPU-s | SimPy events/account "
         "| ledger rows/account |", "|---:|---|---:|---:|---:|---:|---:|"]
    for r in res["full"]:
        ev, rows_ = r.get("events_per_account"), r.get("ledger_rows_per_account")
        L.append(f"| {fmt(r['accounts'])} | {r['strategy']} | {r['seconds']:.2f} | {r['wall_seconds']:.2f} | "
                 f"{fmt(r['accounts_per_s'])} | {'' if ev is None else f'{ev:.1f}'} | "
                 f"{'' if rows_ is None else f'{rows_:.1f}'} |")
    L += ["", "Target: ≥ 50,000 accounts/s/core for the full baseline model.", "",
          "SimPy's own floor on this machine: a bare process per account (started by an arrivals "
          "process) that only waits *k* timeouts:", "",
          "| timeouts/account | SimPy events/account | accounts per CPU-s | events per CPU-s |",
          "|---:|---:|---:|---:|"]
    for r in res.get("simpy_floor", []):
        L.append(f"| {r['timeouts']} | {r['events_per_account']:.1f} | {fmt(r['accounts_per_s'])} | "
                 f"{fmt(r['events_per_s'])} |")
    L += ["",
          "### 2. Capacity-free subset: SimPy engine vs NumPy vectorized (same population, same paths)",
          "", "| accounts | strategy | engine accounts/s | NumPy accounts/s | NumPy ÷ engine | identical ledger rows |",
          "|---:|---|---:|---:|---:|---|"]
    refused = {}
    for r in res["capacity_free"]:
        if "refused" in r:
            refused.setdefault(r["strategy"], r["refused"])
            continue
        L.append(f"| {fmt(r['accounts'])} | {r['strategy']} | {fmt(r['engine_acc_s'])} | "
                 f"{fmt(r['vector_acc_s'])} | {r['ratio']:.0f}× | {r['identical_payments']} |")
    if refused:
        L += ["", "Strategies outside the capacity-free subset (they stay on the engine): "
              + "; ".join(f"`{k}` ({v})" for k, v in refused.items()) + "."]
    L += ["", "### 3. Memory per account (fresh subprocess per row)", "",
          "| accounts | strategy | ledger rows | frozen ledger B/account | population arrays B/account "
          "| peak heap growth while running B/account | kept after run B/account | RSS growth B/account |",
          "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in res["memory"]:
        L.append(f"| {fmt(r['accounts'])} | {r['strategy']} | {fmt(r['ledger_rows'])} | "
                 f"{r['ledger_bytes_per_account']:.0f} | {r['population_bytes_per_account']:.0f} | "
                 f"{r['peak_run_bytes_per_account']:.0f} | {r['retained_after_run_bytes_per_account']:.0f} | "
                 f"{r['rss_growth_bytes_per_account']:.0f} |")
    L += ["", "Target: < 1 KB per account for the ledger and records (frozen ledger column).", ""]
    if "monte_carlo" in res:
        L += monte_carlo_markdown(res["monte_carlo"])
    if "profile" in res:
        L += profile_markdown(res["profile"])
    L += hybrid_markdown(res.get("hybrid", []), fmt)
    return "\n".join(L)


def monte_carlo_markdown(mc: dict) -> list[str]:
    per100 = mc["local_1_s"] / mc["replications"] * 100
    L = [f"### 4. Monte Carlo: {mc['replications']} replications × {mc['strategies']} strategies "
          f"× {fmt(mc['accounts'])} accounts", "",
          "| executor | workers | wall s | speed-up vs 1 | parallel efficiency |", "|---|---:|---:|---:|---:|",
          f"| local (sequential) | 1 | {mc['local_1_s']:.1f} | 1.00 | 1.00 |",
          f"| local processes | 2 | {mc['local_2_s']:.1f} | {mc['speedup_local_2']:.2f} | "
          f"{mc['speedup_local_2'] / 2:.2f} |",
          f"| Dask LocalCluster (run only) | 2 | {mc['dask_2_s']:.1f} | {mc['speedup_dask_2']:.2f} | "
          f"{mc['speedup_dask_2'] / 2:.2f} |",
          f"| Dask LocalCluster start-up | 2 | {mc['dask_startup_s']:.1f} | | |", "",
          f"Dask run vs local 2-process run: {100 * mc['dask_overhead_vs_local_2']:+.0f} % wall time "
          f"(plus {mc['dask_startup_s']:.1f} s cluster start-up); Dask results identical to local: "
          f"{mc['dask_identical']}. One replication (population + {mc['strategies']} strategies + "
          f"metrics) takes {mc['one_replication_s']:.1f} s, so 100 replications take ≈ {per100 / 60:.0f} min "
          f"on 1 core and ≈ {per100 / mc['speedup_local_2'] / 60:.0f} min on 2 (linear in replications "
          f"and, roughly, in accounts). Target speed-up at 2 workers: ≥ 1.8×.", ""]
    return L


def profile_markdown(p: dict) -> list[str]:
    L = [f"### 5. Profile: `{p['strategy']}` at {fmt(p['accounts'])} accounts "
          f"(cProfile, {p['total_s']:.2f} s total, own time)", "",
          "| function | calls | own s | share | cumulative s |", "|---|---:|---:|---:|---:|"]
    for r in p["top_tottime"]:
        L.append(f"| `{r['function']}` | {fmt(r['calls'])} | {r['tottime_s']:.3f} | "
                 f"{100 * r['share']:.1f} % | {r['cumtime_s']:.3f} |")
    return L


def write_readme(text: str) -> None:
    old = README.read_text(encoding="utf-8") if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in old:
        old += f"\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, 2 replications (≈1–2 min)")
    ap.add_argument("--replications", type=int, default=None, help="Monte Carlo replications (default 12)")
    ap.add_argument("--no-write", action="store_true", help="print, do not update README.md/results.json")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only re-render README.md from a saved results.json")
    ap.add_argument("--scenario", metavar="YAML", help="the scenario measured (default parameters/baseline.yaml)")
    ap.add_argument("--accounts", type=int, nargs="+", metavar="N",
                    help="accounts a year for the single-core rows (default 10000 100000; --quick 10000)")
    ap.add_argument("--sections", type=int, nargs="+", choices=range(1, 7), default=[1, 2, 3, 4, 5, 6],
                    help="which of the six measurements to run (default all; a partial run writes nothing)")
    ap.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.render:
        res = json.loads(Path(args.render).read_text(encoding="utf-8"))
        write_readme(markdown(res) + f"\n\nBenchmark wall time: {res['elapsed_s'] / 60:.1f} min.")
        return 0
    global SCENARIO
    if args.memory_child:
        SCENARIO = Path(args.memory_child[2])
        print(json.dumps(memory_child(int(args.memory_child[0]), args.memory_child[1])))
        return 0
    if args.scenario:
        SCENARIO = Path(args.scenario).resolve()
    quick = args.quick
    sizes = args.accounts or ([10_000] if quick else [10_000, 100_000])
    reps = args.replications or (2 if quick else 12)
    names = strategy_names()
    command = "python benchmarks/run.py" + (" --quick" if quick else "") \
        + (f" --scenario {args.scenario}" if args.scenario else "") \
        + (f" --accounts {' '.join(map(str, args.accounts))}" if args.accounts else "") \
        + (f" --replications {args.replications}" if args.replications else "")
    res = {"command": command, "machine": machine()}
    t0 = time.perf_counter()
    sec = set(args.sections)
    if 1 in sec:
        log("1. full model")
        res["full"] = bench_full(sizes)
        res["simpy_floor"] = bench_simpy_floor(n=min(20_000, 4 * max(sizes)))
    if 2 in sec:
        log("2. capacity-free subset: engine vs NumPy")
        res["capacity_free"] = bench_capacity_free(sizes)
    if 3 in sec:
        log("3. memory")
        res["memory"] = bench_memory(sizes[-1], [n for n in ("letters_only", "sms_reminders", "calls")
                                                 if n in names] or names[:3])
    if 4 in sec:
        log("4. Monte Carlo")
        res["monte_carlo"] = bench_monte_carlo(reps, min(3_000, max(sizes)) if (quick or args.accounts) else None)
    if 5 in sec:
        log("5. profile")
        res["profile"] = bench_profile(min(10_000, max(sizes)), "letters_only" if "letters_only" in names else names[0])
    if 6 in sec:
        log("6. hybrid engine")
        for accounts in sizes:
            res.setdefault("hybrid", []).extend(bench_hybrid(scaled(accounts), draw_population(scaled(accounts), 0),
                                                             timed, log))
    res["elapsed_s"] = time.perf_counter() - t0
    text = markdown(res) + f"\n\nBenchmark wall time: {res['elapsed_s'] / 60:.1f} min."
    print(text)
    if not (args.no_write or quick or len(sec) < 6):  # --quick is a smoke run: print only
        (README.parent / "results.json").write_text(json.dumps(res, indent=2, default=str), encoding="utf-8")
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
