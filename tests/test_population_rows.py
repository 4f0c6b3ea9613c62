"""Blocks of the NumPy model's accounts (issue 27, the million-encounter year's memory): a block of
encounters seen as a population of its own (simlib.model.population_rows) reads every value of its
encounters and nothing else, and the hybrid engine's rows, open balances and counters are the same
whatever the block size — one block, blocks of 7 or 1 encounters — and equal pure SimPy's. Seeded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simlib.core.rng import UniformRows
from simlib.model import hybrid, vectorized
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.population_rows import PopulationRows
from simlib.model.vectorized_rows import canonical_order
from simlib.scenario.schema import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


def _small(encounters_per_day: float = 3.0):
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=encounters_per_day, warm_up_days=60)
    return scenario_from_dict(data, "baseline (small)")


def test_a_block_reads_its_encounters_values():
    sc = _small()
    pop = draw_population(sc, 0, seed=5)
    rows = np.array([0, 3, 4, pop.n - 1])
    block = PopulationRows(pop, rows)
    assert block.n == 4 and block.payer_names == pop.payer_names
    np.testing.assert_array_equal(block.patient_cents, pop.patient_cents[rows])
    np.testing.assert_array_equal(block.threshold, pop.threshold[rows])       # a matrix: its rows
    np.testing.assert_array_equal(block.deposit_u, pop.deposit_u[rows])       # a lever's draw made on first read
    np.testing.assert_array_equal(block.plan_miss_u[2], pop.plan_miss_u[4])   # rows regenerated from the stream
    assert block.plan_miss_u[1, 5] == pop.plan_miss_u[3, 5]
    np.testing.assert_array_equal(np.asarray(block.plan_miss_u), np.asarray(pop.plan_miss_u)[rows])
    draw = lambda g, n: g.random(n)  # noqa: E731
    np.testing.assert_array_equal(block.draws("a_plug_in", draw), pop.draws("a_plug_in", draw)[rows])
    with pytest.raises(AttributeError, match="every encounter"):
        block.primary_decision_day()  # computed over every encounter: refused, never read wrongly


def test_uniform_rows_of_a_block_match_the_eager_matrix():
    eager = np.random.Generator(np.random.PCG64(11)).random((9, 4))
    lazy = UniformRows(np.random.Generator(np.random.PCG64(11)), 9, 4)
    block = PopulationRows(type("P", (), {"n": 9, "lever_draws": {}, "u": lazy})(), np.array([8, 2]))
    np.testing.assert_array_equal(np.asarray(block.u), eager[[8, 2]])


@pytest.mark.parametrize("strategy", ["letters_only", "deposit", "combined"])
def test_the_hybrid_is_the_same_in_any_block_size(strategy, monkeypatch):
    sc = _small()
    pop = draw_population(sc, 1, seed=2)
    results = []
    for block in (10**9, 7, 1):
        monkeypatch.setattr(hybrid, "BLOCK_ACCOUNTS", block)
        world = World(sc, strategy, pop, hybrid=True)
        results.append((world.run(), int(world.numpy_accounts.sum())))
    simpy = World(sc, strategy, pop, hybrid=False).run()
    assert results[0][1] > 7 * 20  # many blocks of 7
    for result, _ in results:
        a, b = simpy.ledger, result.ledger
        oa, ob = canonical_order(a), canonical_order(b)
        for column in ("receivable", "day", "kind", "amount"):
            np.testing.assert_array_equal(getattr(a, column)[oa], getattr(b, column)[ob], err_msg=column)
        np.testing.assert_array_equal(simpy.open_cents, result.open_cents)
        assert +simpy.counters == +result.counters
    # one block: the very rows, in the order, of the model run on the whole population (the metrics
    # sum them in that order, to the last bit)
    world = World(sc, strategy, pop, hybrid=True)
    whole = vectorized.simulate(sc, strategy, pop, accounts=world.numpy_accounts,  # the disputes and calls too
                                **hybrid.model_inputs(world, world.numpy_accounts)).rows
    one = hybrid.run_numpy_accounts(world, world.numpy_accounts, block_accounts=10**9)
    for column in ("receivable", "day", "kind", "amount"):
        np.testing.assert_array_equal(getattr(whole, column), getattr(one, column), err_msg=column)


@pytest.mark.parametrize("path", ["baseline", "chile_clinic", "finance_levers"])
def test_a_blocks_arrays_are_freed_when_it_ends(path):
    """No reference cycle among the NumPy model's parts: a block's arrays go when its result does,
    not at the next full collection (a cycle between the contacts and the moved notices kept every
    block of a million-encounter year alive: peak 3.54 -> 4.49 GB until it was broken)."""
    import gc
    data = yaml.safe_load((ROOT / "parameters" / f"{path}.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=2.0, warm_up_days=30)
    sc = scenario_from_dict(data, path)
    pop = draw_population(sc, 0)
    ran = 0
    gc.collect()
    gc.disable()
    try:
        for name in sc.strategies:
            world = World(sc, name, pop, hybrid=True)
            mask = world.numpy_accounts
            if mask is None:
                continue
            rows = np.flatnonzero(mask)
            inputs = hybrid.model_inputs(world, mask, rows)  # the calls' outcomes, the disputes' days
            gc.collect()
            vectorized.simulate(sc, name, PopulationRows(pop, rows), accounts=np.ones(rows.size, bool), **inputs)
            assert gc.collect() == 0, name  # nothing left for the cycle collector
            ran += 1
    finally:
        gc.enable()
    assert ran >= 3
