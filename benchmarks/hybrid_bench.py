"""Section 6 of ``benchmarks/run.py``: the hybrid engine against pure SimPy and the NumPy limit.

Per strategy of the measured scenario, on one population: CPU seconds of this process for
building and running the world on pure SimPy (``World(..., hybrid=False)``) and on the hybrid
(``hybrid=True``: the mask is computed in the world's constructor, so it is timed), the share of
patient balances the mask sends to NumPy, the NumPy model's own rate on those balances (the
limit the hybrid approaches as the share grows) and whether the two engines' ledgers hold the
same rows (cents exact, days within 1e-9). Throughputs are encounters per CPU-second, as in
section 1.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Ledger
from simlib.model import vectorized
from simlib.model.engine import World
from simlib.model.hybrid import model_inputs
from simlib.model.vectorized_rows import canonical_order


def same_ledgers(a: Ledger, b: Ledger) -> bool:
    oa, ob = canonical_order(a), canonical_order(b)
    return bool(len(a) == len(b) and all(np.array_equal(getattr(a, c)[oa], getattr(b, c)[ob])
                                         for c in ("receivable", "kind", "amount"))
                and np.allclose(a.day[oa], b.day[ob], rtol=0, atol=1e-9))


def bench_hybrid(sc, pop, timed, log) -> list[dict]:
    rows = []
    balances = max(1, int((pop.patient_cents > 0).sum()))
    total = {"simpy": 0.0, "hybrid": 0.0}
    for name in sc.strategies:
        pure, _, t_simpy = timed(lambda: World(sc, name, pop, hybrid=False).run())
        world, _, t_build = timed(lambda: World(sc, name, pop, hybrid=True))
        mixed, _, t_run = timed(world.run)
        t_hybrid = t_build + t_run
        mask = world.numpy_accounts
        share = 0.0 if mask is None else float(mask.sum()) / balances
        numpy_rate = None
        if mask is not None:
            inputs = model_inputs(world, mask)  # the calls' outcomes and the disputes' days the hybrid found
            _, _, t_np = timed(lambda: vectorized.simulate(sc, name, pop, accounts=mask, **inputs))
            numpy_rate = float(mask.sum()) / t_np
        total["simpy"] += t_simpy
        total["hybrid"] += t_hybrid
        row = {"accounts": pop.n, "strategy": name, "simpy_s": t_simpy, "hybrid_s": t_hybrid,
               "simpy_acc_s": pop.n / t_simpy, "hybrid_acc_s": pop.n / t_hybrid, "numpy_share": share,
               "numpy_acc_s": numpy_rate, "speed_up": t_simpy / t_hybrid,
               "identical": same_ledgers(pure.ledger, mixed.ledger)}
        rows.append(row)
        log(f"  hybrid {pop.n:>7} {name:<22} simpy {row['simpy_acc_s']:9.0f}/s  hybrid {row['hybrid_acc_s']:9.0f}/s"
            f"  x{row['speed_up']:.2f}  numpy share {share:.2f}  same={row['identical']}")
    n = len(sc.strategies)
    rows.append({"accounts": pop.n, "strategy": "ALL", "simpy_s": total["simpy"], "hybrid_s": total["hybrid"],
                 "simpy_acc_s": pop.n * n / total["simpy"], "hybrid_acc_s": pop.n * n / total["hybrid"],
                 "speed_up": total["simpy"] / total["hybrid"]})
    return rows


def hybrid_markdown(rows: list[dict], fmt) -> list[str]:
    if not rows:
        return []
    L = ["### 6. Hybrid engine: pure SimPy vs hybrid vs the NumPy limit (same population; world built and run)",
         "", "| accounts | strategy | SimPy accounts per CPU-s | hybrid accounts per CPU-s | hybrid ÷ SimPy "
         "| balances in NumPy | NumPy accounts per CPU-s (its share) | identical ledger rows |",
         "|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        share = r.get("numpy_share")
        L.append(f"| {fmt(r['accounts'])} | {r['strategy']} | {fmt(r['simpy_acc_s'])} | {fmt(r['hybrid_acc_s'])} | "
                 f"{r['speed_up']:.2f}× | {'' if share is None else f'{100 * share:.0f} %'} | "
                 f"{'' if r.get('numpy_acc_s') is None else fmt(r['numpy_acc_s'])} | "
                 f"{r.get('identical', '')} |")
    return L + [""]
