#!/usr/bin/env python3
"""Golden numbers: what every shipped scenario produces today, stored small.

For each scenario in ``parameters/*.yaml`` (plus ``tests/golden/levers_combined.yaml``, which
combines every lever) the scenario is shrunk to a few hundred to a couple of thousand encounters
(``GOLDEN_ENCOUNTERS_PER_DAY``; every strategy and every lever kept) and replications 0 and 1 are
run with the scenario's own seed. Per strategy this records

- ``ledger_sha256``: SHA-256 of every ledger row of both replications (factoring rows included),
  canonical and sorted: ``replication,receivable,day,kind,amount_cents``;
- ``metrics_sha256``: SHA-256 of the metric, curve and aging tables of
  :func:`simlib.run.experiment.run_replication`, sorted, one value per line;
- ``counters_sha256`` and ``events_sha256``: the engine's counters and its traced event log
  (receivable, day, what), in the engine's order;
- the row count and a few sample rows and metrics, so that a failure shows what moved.

Canonical numbers: amounts are integer cents (exact); days are written with 9 decimals (a
millionth of a second would not round away) and metric values with 12 significant digits, so the
hashes do not depend on the last bit of a platform's ``exp``. A behaviour change moves cents.

Usage (from the repository root)::

    .venv/bin/python tests/golden/make_golden.py            # rewrite tests/golden/golden.json
    .venv/bin/python tests/golden/make_golden.py --check    # compare, print differences

``tests/test_golden.py`` recomputes and compares. Regenerate only when a change of numbers is
intended (a behaviour fix, a recalibration), and say why in the commit message.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).resolve().parent
GOLDEN_FILE = GOLDEN_DIR / "golden.json"
EXTRA_SCENARIOS = (GOLDEN_DIR / "levers_combined.yaml",)
REPLICATIONS = (0, 1)
GOLDEN_ENCOUNTERS_PER_DAY = 4.0   # about 1,500 encounters a year instead of 14,600
SAMPLE_METRICS = ("npv_net_cash", "cash_collected", "days_in_ar", "patient_collection_rate",
                  "bad_debt_rate", "contacts_per_account")
REGENERATE = ("If the change of numbers is intended (a behaviour change, not a restructuring), "
              "regenerate deliberately with `.venv/bin/python tests/golden/make_golden.py` and "
              "commit tests/golden/golden.json saying why the numbers changed.")


def scenario_files() -> list[Path]:
    return sorted((ROOT / "parameters").glob("*.yaml")) + list(EXTRA_SCENARIOS)


def shrink(data: dict) -> dict:
    """The scenario with fewer encounters per day (open book untouched); every strategy kept. Its
    uncertain assumptions are left out: the golden numbers are those of the file's values (the
    draws have tests of their own, tests/test_uncertain*.py)."""
    data = copy.deepcopy(data)
    data.pop("uncertain", None)
    sim = data.setdefault("simulation", {})
    sim["encounters_per_day"] = min(float(sim.get("encounters_per_day", 40.0)), GOLDEN_ENCOUNTERS_PER_DAY)
    return data


def _sha(lines) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


def _num(x: float) -> str:
    x = float(x)
    return "nan" if x != x else f"{x:.12g}"


def _ledger_rows(replication: int, led) -> list[str]:
    order = np.lexsort((led.amount, led.kind, led.day, led.receivable))
    return [f"{replication},{r},{d:.9f},{int(k)},{a}" for r, d, k, a in
            zip(led.receivable[order].tolist(), led.day[order].tolist(), led.kind[order].tolist(),
                led.amount[order].tolist())]


def compute(path: Path) -> dict:
    """Golden entry of one scenario file: per strategy, hashes, counts and samples."""
    from simlib.model import factoring_settlement as factoring
    from simlib.model.engine import World
    from simlib.run.experiment import run_replication
    from simlib.scenario.schema import scenario_from_dict
    from simlib.model.population import draw_population

    sc = scenario_from_dict(shrink(yaml.safe_load(path.read_text(encoding="utf-8"))), str(path))
    seed = sc.simulation.seed
    ledger_rows = {name: [] for name in sc.strategies}
    table_rows = {name: [] for name in sc.strategies}
    samples = {name: {} for name in sc.strategies}
    counter_rows = {name: [] for name in sc.strategies}
    event_rows = {name: [] for name in sc.strategies}
    for rep in REPLICATIONS:
        pop = draw_population(sc, rep, seed)
        for name, st in sc.strategies.items():
            res = World(sc, name, pop, trace=True).run()
            counter_rows[name].extend(f"{rep},{k},{v}" for k, v in sorted(res.counters.items()))
            event_rows[name].extend(f"{rep},{r},{d:.6f},{what}" for r, d, what in res.events)
            if st.factoring is not None:
                res, _ = factoring.overlay(res, pop, sc, st.factoring)
            rows = _ledger_rows(rep, res.ledger)
            ledger_rows[name].extend(rows)
            if rep == 0:
                samples[name]["ledger_rows_first"] = rows[:3]
                samples[name]["ledger_rows_last"] = rows[-2:]
        tables = run_replication(sc, rep, seed)
        for tname, df in tables.items():
            for rec in df.itertuples(index=False):
                d = rec._asdict()
                name = d.pop("strategy")
                cells = [tname] + [_num(v) if isinstance(v, (float, np.floating)) else str(v)
                                   for v in d.values()]
                table_rows[name].append(",".join(cells))
        metrics = tables["metrics"]
        for name in sc.strategies:
            m = metrics[(metrics["strategy"] == name) & metrics["metric"].isin(SAMPLE_METRICS)]
            samples[name][f"metrics_replication_{rep}"] = {k: _num(v) for k, v in zip(m["metric"], m["value"])}
    out = {"encounters_per_day": sc.simulation.encounters_per_day, "seed": seed,
           "replications": list(REPLICATIONS), "strategies": {}}
    for name in sc.strategies:
        out["strategies"][name] = {
            "ledger_rows": len(ledger_rows[name]),
            "ledger_sha256": _sha(ledger_rows[name]),
            "metrics_sha256": _sha(sorted(table_rows[name])),
            "counters_sha256": _sha(counter_rows[name]),
            "events_sha256": _sha(event_rows[name]),
            **samples[name],
        }
    return out


def compute_all() -> dict:
    return {str(p.relative_to(ROOT)): compute(p) for p in scenario_files()}


def differences(expected: dict, found: dict) -> list[str]:
    """Human-readable differences between two golden documents (empty when identical)."""
    out = []
    for scen in sorted(set(expected) | set(found)):
        if scen not in found:
            out.append(f"{scen}: in the golden file but no longer a scenario")
            continue
        if scen not in expected:
            out.append(f"{scen}: a scenario without golden numbers")
            continue
        e, f = expected[scen]["strategies"], found[scen]["strategies"]
        for name in sorted(set(e) | set(f)):
            if name not in e or name not in f:
                out.append(f"{scen} / {name}: strategy {'added' if name in f else 'removed'}")
                continue
            for key in e[name]:
                if e[name][key] != f[name].get(key):
                    out.append(f"{scen} / {name} / {key}:\n    expected {e[name][key]}\n    found    "
                               f"{f[name].get(key)}")
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with golden.json, write nothing")
    args = ap.parse_args(argv)
    found = compute_all()
    if args.check:
        diff = differences(json.loads(GOLDEN_FILE.read_text(encoding="utf-8")), found)
        print("\n".join(diff) if diff else "golden numbers identical")
        return 1 if diff else 0
    GOLDEN_FILE.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN_FILE.relative_to(ROOT)} ({len(found)} scenarios)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
