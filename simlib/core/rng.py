"""Random streams: one NumPy generator per (replication, activity), never per strategy.

``SeedSequence(seed, spawn_key=(replication, stream_id))`` with stable ids: every strategy of a
replication sees the same patients and the same latent draws (common random numbers), and a new
stream never shifts the draws of an existing one. Nothing global is seeded.
"""
from __future__ import annotations

import zlib

import numpy as np

#: Stable stream ids. Append new activities at the end; never renumber.
STREAMS: dict[str, int] = {
    "arrivals": 0,
    "amounts": 1,
    "traits": 2,
    "thresholds": 3,
    "claims": 4,
    "disputes": 5,
    "calls": 6,
    "deposits": 7,
    "plans": 8,
    "financing": 9,
    "agency": 10,
    # 20-29: patient take-up and financial assistance (issue 9, items 6-7)
    "deposit_estimate": 20,
    "financing_approval": 21,
    "charity": 22,
    # engineer C (planners, issue 10): ids 30-39
    "planners": 30,      # per patient: the uniform that makes a planner (behaviour.payment_timing)
    "bill_medium": 31,   # per patient: the uniform that makes a paper bill (paper_bill_share)
    "dispute_delay": 32,  # per patient: the normal Z of a disputed bill's lognormal delay (issue 25)
    # issue 9, contact response (ids 11-19)
    "contact_traits": 11,
    "contact_response": 12,
    "dispute_resolution": 13,
    # issue 11, uncertain assumptions (ids 40-49): one uniform per replication and assumption,
    # keyed by its path (simlib.scenario.uncertain.draw_assumptions, via keyed_stream)
    "assumptions": 40,
    # issue 20, steady state and the hospital's own open book (ids 50-59)
    "warm_up_arrivals": 50,  # service days of the warm-up's encounters (simlib.model.measurement_window)
    "open_book": 51,         # ages and balances of a given A/R aging report's accounts (simlib.model.open_book)
    # issue 23 item 3, a second payer per encounter (ids 60-69)
    "secondary_claims": 60,  # per encounter: holds the cover, the secondary's lag and denial (simlib.model.population)
}


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of activity ``name`` in replication ``replication``."""
    ss = np.random.SeedSequence(seed, spawn_key=(replication, STREAMS[name]))
    return np.random.Generator(np.random.PCG64(ss))


def keyed_stream(seed: int, replication: int, name: str, key: str) -> np.random.Generator:
    """The generator of activity ``name``'s draws for ``key`` (e.g. one uncertain assumption's
    path) in replication ``replication``: a stable hash of ``key`` is the third part of the spawn
    key, so adding or removing another key never shifts this one's draws."""
    ss = np.random.SeedSequence(seed, spawn_key=(replication, STREAMS[name], zlib.crc32(key.encode())))
    return np.random.Generator(np.random.PCG64(ss))


LEVER_STREAM_BASE = 1 << 20  # plug-in levers' stream ids start here, far above the built-in ones


def lever_stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of a plug-in lever's draws ``name``: its stream id is a stable hash of the
    name, so a new lever needs no line here and never shifts an existing stream."""
    if name in STREAMS:
        raise ValueError(f"stream name {name!r} is a built-in activity; choose the lever's own name")
    ss = np.random.SeedSequence(seed, spawn_key=(replication, LEVER_STREAM_BASE + zlib.crc32(name.encode())))
    return np.random.Generator(np.random.PCG64(ss))


def take_rows(matrix, rows) -> np.ndarray:
    """Rows ``rows`` of a matrix of uniforms: a :class:`UniformRows` (or rows of one) drawn in
    runs (:meth:`UniformRows.take`), a plain array indexed (a test's population may hold one)."""
    if isinstance(matrix, np.ndarray):
        return matrix[np.asarray(rows, dtype=np.int64)]
    return matrix.take(rows)


#: rows of :meth:`UniformRows.take` this close are drawn in one run (the rows between drawn and dropped)
RUN_GAP_ROWS = 64


class UniformRows:
    """The matrix ``rng.random((n, k))`` held as nothing but where it starts in ``rng``'s stream:
    row ``i`` is regenerated on demand, bit for bit, by advancing a copy of the stream ``i × k``
    steps from that start. Making it moves ``rng`` past the matrix, as drawing it would, so every
    later draw from ``rng`` is unchanged.

    Why: a draw that only some strategies read (a plan's 36 monthly miss uniforms, 288 bytes per
    account, read by plan takers alone) would otherwise cost every account its memory (issue 27).
    ``Generator.random`` turns one 64-bit PCG64 output into each double, so the ``j``-th uniform
    is the output after ``j`` steps (``PCG64.advance``); tests/test_lazy_rows.py checks that the
    rows equal the eagerly drawn matrix for several sizes and seeds. Indexing: ``rows[i]`` (a row),
    ``rows[i, j]`` (a scalar); ``np.asarray(rows)`` draws the whole matrix (tests, small runs).
    """

    __slots__ = ("n", "k", "_bits", "_start", "_gen")

    def __init__(self, rng: np.random.Generator, n: int, k: int):
        if not isinstance(rng.bit_generator, np.random.PCG64):
            raise TypeError("UniformRows needs a PCG64 stream (simlib.core.rng.stream)")
        self.n, self.k = int(n), int(k)
        self._start = rng.bit_generator.state
        self._bits = np.random.PCG64()
        self._gen = np.random.Generator(self._bits)
        rng.bit_generator.advance(self.n * self.k)  # the stream moves on as if it had drawn the matrix

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.k)

    def __len__(self) -> int:
        return self.n

    def row(self, i: int) -> np.ndarray:
        """Row ``i``: the ``k`` uniforms of encounter ``i``."""
        i = int(i)
        if not 0 <= i < self.n:
            raise IndexError(f"row {i} of {self.n}")
        self._bits.state = self._start
        self._bits.advance(i * self.k)
        return self._gen.random(self.k)

    def __getitem__(self, index):
        if isinstance(index, tuple):
            i, j = index
            return self.row(i)[j]
        return self.row(index)

    def take(self, rows) -> np.ndarray:
        """Rows ``rows`` (an integer array, any order, repeats allowed) as a ``(len(rows), k)``
        matrix, the same bits as :meth:`row`: each run of needed rows less than
        :data:`RUN_GAP_ROWS` apart is drawn in one call from its first row's place in the stream
        (one ``advance`` a run instead of one a row: a row alone costs ≈ 5 µs, mostly the
        state's reset and advance, while a run's extra uniforms cost ≈ 3 ns each)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((rows.size, self.k))
        if not rows.size:
            return out
        if rows.min() < 0 or rows.max() >= self.n:
            raise IndexError(f"rows outside 0..{self.n - 1}")
        need, where = np.unique(rows, return_inverse=True)
        breaks = np.flatnonzero(np.diff(need) >= RUN_GAP_ROWS) + 1
        got = np.empty((need.size, self.k))
        for first, last in zip(np.r_[0, breaks].tolist(), np.r_[breaks, need.size].tolist()):
            lo, hi = int(need[first]), int(need[last - 1]) + 1
            self._bits.state = self._start
            self._bits.advance(lo * self.k)
            got[first:last] = self._gen.random((hi - lo, self.k))[need[first:last] - lo]
        out[:] = got[where.reshape(-1)]
        return out

    def __array__(self, dtype=None, copy=None):
        self._bits.state = self._start
        values = self._gen.random((self.n, self.k))
        return values if dtype is None else values.astype(dtype)
