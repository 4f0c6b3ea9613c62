#!/usr/bin/env python3
"""Engine speed of two source trees, measured in one run:  before/after a change.

    git worktree add /tmp/simlib_before <commit>
    .venv/bin/python benchmarks/compare.py --before /tmp/simlib_before [--after .] [--rounds 5]

Each round runs every baseline strategy at each size once per tree, each tree in a fresh
subprocess that imports simlib from that tree (the order of the trees alternates by round), and
records the CPU seconds of ``World.run`` (engine only: the population is drawn before timing,
metrics are not computed). Per tree and size it reports accounts per CPU-second over all
strategies — the median round and the best — and the ratio after ÷ before. CPU time of the
process is robust to other jobs sharing the machine, yet still noisy: the rounds are interleaved
so that both trees meet the same conditions. Results go between the ``compare`` markers of
``benchmarks/README.md`` (``--no-write`` prints only).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
START, END = "<!-- compare:start -->", "<!-- compare:end -->"

CHILD = r"""
import gc, json, sys, time
sys.path.insert(0, {tree!r})
import yaml
from simlib.model.engine import World
from simlib.scenario.schema import scenario_from_dict
from simlib.model.population import draw_population
data = yaml.safe_load(open({tree!r} + "/parameters/baseline.yaml", encoding="utf-8"))
data["simulation"]["encounters_per_day"] = {accounts} / data["simulation"].get("billing_window_days", 365.0)
sc = scenario_from_dict(data, "baseline")
pop = draw_population(sc, 0)
out = {{"accounts": pop.n, "cpu_s": {{}}}}
for name in sc.strategies:
    world = World(sc, name, pop)
    gc.collect()
    t = time.process_time()
    world.run()
    out["cpu_s"][name] = time.process_time() - t
    del world
print(json.dumps(out))
"""


def run_child(tree: Path, accounts: int) -> dict:
    code = CHILD.format(tree=str(tree), accounts=accounts)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def commit_of(tree: Path) -> str:
    out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=tree, capture_output=True, text=True)
    return out.stdout.strip() or "?"


def measure(trees: dict[str, Path], sizes: list[int], rounds: int) -> dict:
    runs: dict[str, dict[int, list[dict]]] = {label: {n: [] for n in sizes} for label in trees}
    labels = list(trees)
    for k in range(rounds):
        for n in sizes:
            for label in (labels if k % 2 == 0 else labels[::-1]):
                res = run_child(trees[label], n)
                runs[label][n].append(res)
                total = sum(res["cpu_s"].values())
                print(f"  round {k + 1} {label:<6} {res['accounts']:>7} accounts: "
                      f"{res['accounts'] * len(res['cpu_s']) / total:9.0f} accounts/CPU-s", file=sys.stderr)
    return runs


def summarise(runs: dict, sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        per = {}
        for label, by_size in runs.items():
            rs = by_size[n]
            strategies = list(rs[0]["cpu_s"])
            acc = rs[0]["accounts"]
            totals = [sum(r["cpu_s"].values()) for r in rs]
            per[label] = {
                "accounts": acc,
                "median": acc * len(strategies) / statistics.median(totals),
                "best": acc * len(strategies) / min(totals),
                "by_strategy": {s: acc / statistics.median([r["cpu_s"][s] for r in rs]) for s in strategies},
            }
        rows.append({"size": n, **per})
    return rows


def markdown(rows: list[dict], meta: dict) -> str:
    L = [f"Run `python benchmarks/compare.py` on {meta['date']}: before = commit `{meta['before']}`, "
         f"after = commit `{meta['after']}`, {meta['rounds']} interleaved rounds per tree (fresh "
         f"process each), engine only (`World.run`, every baseline strategy), accounts per CPU-second; "
         f"load average at start {meta['load']}.", "",
         "| accounts | before: median round | before: best | after: median round | after: best "
         "| after ÷ before (median) | after ÷ before (best) |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        b, a = r["before"], r["after"]
        L.append(f"| {b['accounts']:,} | {b['median']:,.0f} | {b['best']:,.0f} | {a['median']:,.0f} | "
                 f"{a['best']:,.0f} | {a['median'] / b['median']:.3f} | {a['best'] / b['best']:.3f} |")
    L += ["", "Per strategy (median round, accounts per CPU-second):", "",
          "| accounts | strategy | before | after | after ÷ before |", "|---:|---|---:|---:|---:|"]
    for r in rows:
        b, a = r["before"], r["after"]
        for s in b["by_strategy"]:
            L.append(f"| {b['accounts']:,} | {s} | {b['by_strategy'][s]:,.0f} | {a['by_strategy'][s]:,.0f} | "
                     f"{a['by_strategy'][s] / b['by_strategy'][s]:.3f} |")
    return "\n".join(L)


def write_readme(text: str) -> None:
    old = README.read_text(encoding="utf-8")
    if START not in old:
        old += f"\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    README.write_text(f"{head}{START}\n{text}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, help="source tree of the reference commit")
    ap.add_argument("--after", type=Path, default=HERE.parent, help="source tree measured (default: this one)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--no-write", action="store_true", help="print, do not update README.md")
    ap.add_argument("--render", metavar="COMPARE_JSON", help="only re-render README.md from a saved compare.json")
    args = ap.parse_args(argv)
    if args.render:
        saved = json.loads(Path(args.render).read_text(encoding="utf-8"))
        write_readme(markdown(saved["rows"], saved["meta"]))
        return 0
    if args.before is None:
        ap.error("--before is required")
    import os
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    meta = {"date": time.strftime("%Y-%m-%dT%H:%M%z"), "rounds": args.rounds,
            "before": commit_of(trees["before"]), "after": commit_of(trees["after"]),
            "load": [round(x, 2) for x in os.getloadavg()]}
    rows = summarise(measure(trees, args.sizes, args.rounds), args.sizes)
    text = markdown(rows, meta)
    print(text)
    (HERE / "compare.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2), encoding="utf-8")
    if not args.no_write:
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
