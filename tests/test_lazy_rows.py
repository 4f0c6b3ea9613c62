"""Issue 27: a matrix of uniforms held as its place in the stream (simlib.core.rng.UniformRows)
gives, row by row, exactly the numbers ``Generator.random`` draws eagerly, and leaves the stream
where the eager draw would: the population's memory falls and no number moves."""
from __future__ import annotations

import numpy as np
import pytest

from simlib.core.rng import UniformRows, stream
from simlib.levers.payment_plan import PLAN_MONTHS_MAX
from simlib.world.capacities.phone_team import CALL_ATTEMPTS


@pytest.mark.parametrize("n", [1, 2, 37, 1000])
@pytest.mark.parametrize("seed", [0, 1, 20261207])
def test_lazy_rows_are_the_eagerly_drawn_matrix_bit_for_bit(n, seed):
    eager = stream(seed, 3, "plans")
    before, matrix, after = eager.random((n, 2)), eager.random((n, PLAN_MONTHS_MAX)), eager.random(7)
    lazy = stream(seed, 3, "plans")
    assert np.array_equal(lazy.random((n, 2)), before)
    rows = UniformRows(lazy, n, PLAN_MONTHS_MAX)
    assert np.array_equal(lazy.random(7), after)  # later draws of the stream do not move
    assert rows.shape == (n, PLAN_MONTHS_MAX) and len(rows) == n
    order = np.random.default_rng(seed).permutation(n)  # any order of access: each row from its start
    for i in order.tolist():
        assert np.array_equal(rows[i], matrix[i])  # exact equality of the float64 bits
    assert rows[n - 1, PLAN_MONTHS_MAX - 1] == matrix[n - 1, PLAN_MONTHS_MAX - 1]
    assert np.array_equal(np.asarray(rows), matrix)


def test_lazy_rows_first_in_a_stream_and_before_a_variable_length_draw():
    """The phone team's stream: the right-party uniforms first, then Exp(1) durations (ziggurat:
    not a fixed number of outputs), which must come out as when the uniforms were drawn eagerly."""
    n = 500
    eager = stream(5, 0, "calls")
    rpc, minutes = eager.random((n, CALL_ATTEMPTS)), eager.standard_exponential((n, CALL_ATTEMPTS))
    lazy = stream(5, 0, "calls")
    rows = UniformRows(lazy, n, CALL_ATTEMPTS)
    assert np.array_equal(lazy.standard_exponential((n, CALL_ATTEMPTS)), minutes)
    assert all(rows[i, j] == rpc[i, j] for i in (0, 1, 250, n - 1) for j in range(CALL_ATTEMPTS))


def test_a_row_outside_the_matrix_is_refused():
    rows = UniformRows(stream(1, 0, "plans"), 3, 4)
    with pytest.raises(IndexError):
        rows[3]
    with pytest.raises(IndexError):
        rows[-1]
    with pytest.raises(TypeError):
        UniformRows(np.random.Generator(np.random.MT19937(1)), 3, 4)


def test_a_levers_draws_are_made_when_first_read_and_are_the_eager_ones():
    """Population memory (issue 27): a lever's draws are made on their first read, the whole
    stream's at once, with the values an eager draw from the same stream gives."""
    from pathlib import Path

    from simlib.core.rng import lever_stream
    from simlib.model.population import draw_population
    from simlib.scenario.schema import load_scenario

    sc = load_scenario(Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml")
    seed = 11
    pop = draw_population(sc, 2, seed)
    assert "rpc_u" not in pop.__dict__ and "call_minutes_exp" not in pop.__dict__  # nothing held yet
    calls = stream(seed, 2, "calls")
    rpc, minutes = calls.random((pop.n, CALL_ATTEMPTS)), calls.standard_exponential((pop.n, CALL_ATTEMPTS))
    assert np.array_equal(pop.call_minutes_exp, minutes)
    assert "rpc_u" in pop.__dict__  # made with its stream's other draw
    assert np.array_equal(np.asarray(pop.rpc_u), rpc)
    plans = stream(seed, 2, "plans")
    plan_u = plans.random((pop.n, 2))
    assert np.array_equal(pop.plan_u, plan_u)
    assert np.array_equal(pop.agency_threshold, stream(seed, 2, "agency").standard_exponential((pop.n, 4)))
    legal = lever_stream(seed, 2, "legal_action").random(pop.n)
    assert "legal_u" not in pop.lever_draws
    assert np.array_equal(pop.lever_draws["legal_u"], legal)
    with pytest.raises(AttributeError):
        pop.no_such_draw
    with pytest.raises(KeyError):
        pop.lever_draws["no_such_draw"]


@pytest.mark.parametrize("seed", [0, 7, 20261208])
def test_rows_taken_at_once_are_the_rows_drawn_one_by_one(seed):
    """``UniformRows.take`` (runs of nearby rows drawn in one call) gives each requested row, in the
    order asked, repeats included, bit for bit; far apart, close together, first and last rows."""
    n, k = 5000, CALL_ATTEMPTS
    eager = stream(seed, 1, "calls").random((n, k))
    rows = UniformRows(stream(seed, 1, "calls"), n, k)
    rng = np.random.default_rng(seed)
    wanted = np.concatenate([rng.integers(0, n, 300), [0, n - 1, 5, 5, 6, 70, 71, 4000], np.arange(100, 180)])
    rng.shuffle(wanted)
    assert np.array_equal(rows.take(wanted), eager[wanted])
    assert rows.take(np.zeros(0, np.int64)).shape == (0, k)
    with pytest.raises(IndexError):
        rows.take([n])
