"""One replication: draw the world once and simulate every strategy on it (common random numbers).

:func:`run_replication` is pure: its tables depend only on the scenario, the seed and the
replication. With a result cache (:mod:`simlib.run.result_cache`, ``SIMLIB_RESULT_CACHE``) a
strategy's run already simulated with exactly the same inputs is read instead of simulated again.
"""
from __future__ import annotations

import dataclasses
import gc
import json

import pandas as pd

from simlib.model import factoring_settlement as _factoring
from simlib.model import metrics as _metrics
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.policies.base import reacts
from simlib.run import result_cache
from simlib.scenario.schema import Scenario
from simlib.scenario.uncertain import draw_assumptions


def assumptions_table(rows=()) -> pd.DataFrame:
    """The ``assumptions`` table from (replication, path, label, value) rows: the value each
    uncertain assumption was drawn at, per replication (simlib.scenario.uncertain)."""
    rows = list(rows)
    return pd.DataFrame({
        "replication": pd.Series([r[0] for r in rows], dtype="int64"),
        "path": pd.Series([r[1] for r in rows], dtype=str),
        "label": pd.Series([r[2] for r in rows], dtype=str),
        "value": pd.Series([r[3] for r in rows], dtype="float64"),
    })


#: a world of at least this many simulated accounts is followed by a full garbage collection (what
#: its SimPy processes held at the horizon, ≈ 1 kB per account); below it a collection costs more
#: than the run (0.15 CPU-s in a process of 260k objects against ≈ 0.07 s for 1,800 accounts) and
#: the automatic collector frees the little left in due course
COLLECT_AFTER_ACCOUNTS = 20_000


def run_replication(sc: Scenario, replication: int, seed: int) -> dict[str, pd.DataFrame]:
    """Simulate every strategy on replication ``replication``'s population; tidy tables.

    The scenario's uncertain assumptions are drawn first, once (:func:`simlib.scenario.uncertain.draw_assumptions`):
    every strategy of the replication runs in the same drawn world. The population is drawn only
    if some strategy's run is not in the result cache."""
    labels = {e.path: e.label for e in sc.uncertain}
    sc, drawn = draw_assumptions(sc, replication, seed)
    cache = result_cache.active()
    any_factoring = any(s.factoring is not None for s in sc.strategies.values())
    flags = {"any_factoring": any_factoring, "any_reacts": any(reacts(st) for st in sc.strategies.values())}
    dumped = sc.model_dump(mode="json") if cache is not None else None  # once for every strategy's key
    pop = None
    rows, curve_parts, aging_rows = [], [], []
    keys = {name: world_key(st) for name, st in sc.strategies.items()}
    last_user = {key: name for name, key in keys.items()}  # the last strategy that needs each world
    worlds: dict[str, object] = {}  # strategies that differ only by a factoring offer share one world
    for name in sc.strategies:
        key = result_cache.run_key(sc, name, seed, replication, flags, dumped) if cache is not None else None
        stored = cache.load(key) if cache is not None else None
        if stored is None:
            if pop is None:
                pop = draw_population(sc, replication, seed)
            stored = _simulate(sc, name, pop, worlds, keys[name], any_factoring)
            if cache is not None:
                cache.store(key, stored)
        if last_user[keys[name]] == name:
            worlds.pop(keys[name], None)  # no later strategy reads this world's result: freed now
        m, curves, aging = stored
        rows.extend((replication, name, k, float(v)) for k, v in m.items())
        curve_parts.append(pd.DataFrame({"replication": replication, "strategy": name, **curves}))
        aging_rows.extend((replication, name, b, float(v)) for b, v in aging.items())
    return {
        "metrics": pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"]),
        "curves": pd.concat(curve_parts, ignore_index=True),
        "aging": pd.DataFrame(aging_rows, columns=["replication", "strategy", "bucket", "amount"]),
        "assumptions": assumptions_table((replication, p, labels[p], v) for p, v in drawn.items()),
    }


def world_key(strategy) -> str:
    """What a strategy's simulated world depends on: its settings without the factoring offer (an
    overlay on the world's cash) and its words. Strategies with one key share one world."""
    return json.dumps(strategy.model_dump(mode="json", exclude={"factoring", "description", "baseline"}),
                      sort_keys=True)


def worlds_held_at_once(sc: Scenario) -> int:
    """The most simulated worlds :func:`run_replication` holds at one time: a world is kept from
    the first strategy that needs it to the last (strategies are run in the scenario's order)."""
    keys = [world_key(st) for st in sc.strategies.values()]
    last = {key: i for i, key in enumerate(keys)}
    alive: set[str] = set()
    most = 0
    for i, key in enumerate(keys):
        alive.add(key)
        most = max(most, len(alive))
        if last[key] == i:
            alive.discard(key)
    return most


def _simulate(sc: Scenario, name: str, pop, worlds: dict, key: str, any_factoring: bool) -> tuple[dict, dict, dict]:
    """(metrics, curves, aging) of strategy ``name`` on ``pop``; its world is ``worlds[key]``
    (simulated now unless a strategy sharing it already did)."""
    st = sc.strategies[name]
    if key not in worlds:
        world = World(sc, name, pop)
        worlds[key] = world.run()
        world.close()
        if pop.n >= COLLECT_AFTER_ACCOUNTS:
            # what its SimPy processes still held at the horizon (accounts, and through their
            # schedules the levers' per-encounter lists) is cyclic garbage: collected before the
            # metrics allocate theirs, so the two never add up (≈ 170 bytes per account of the
            # baseline's status quo, issue 27), and a replication holds one strategy's accounts
            gc.collect()
    res = dataclasses.replace(worlds[key], strategy=name)
    extra = _factoring.no_factoring_metrics() if any_factoring else {}
    if st.factoring is not None:
        res, extra = _factoring.overlay(res, pop, sc, st.factoring)
    m, curves, aging = _metrics.compute(res, pop, sc)
    m.update(extra)
    return m, curves, aging
