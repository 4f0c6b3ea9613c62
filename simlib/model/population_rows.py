"""Some encounters of a population, seen as a population of their own (issue 27).

The NumPy model (:mod:`simlib.model.vectorized`) keeps some sixty arrays of one value per encounter
while it runs. On the hybrid engine it simulates only the encounters :func:`simlib.model.hybrid.numpy_accounts`
chose, so it runs on :class:`PopulationRows` of them, a block at a time: its arrays then hold that
block, not every encounter of the population (a million-encounter year held ≈ 600 bytes per
encounter of them at once). Per encounter the model reads only that encounter's values, so a
block's paths, rows and cents are the whole population's, encounter for encounter.

Every per-encounter array of the population (first dimension ``n``) is read at ``rows``; a matrix
of uniforms held as its place in the stream (:class:`~simlib.core.rng.UniformRows`) is read
through :class:`_RowsOf`; names, the seed and other values are the population's. A method of the
population that computes over every encounter is refused (``AttributeError``), but for
:meth:`draws`, read at ``rows``: a model that used one would read the wrong encounters.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from simlib.core.rng import UniformRows


class _RowsOf:
    """Rows ``rows`` of a :class:`~simlib.core.rng.UniformRows`: ``m[i]`` is the population's row ``rows[i]``."""

    __slots__ = ("_matrix", "_rows")

    def __init__(self, matrix: UniformRows, rows: np.ndarray):
        self._matrix, self._rows = matrix, rows

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self._rows), self._matrix.k)

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, i: int) -> np.ndarray:
        return self._matrix.row(self._rows[i])

    def __getitem__(self, index):
        if isinstance(index, tuple):
            i, j = index
            return self._matrix[self._rows[i], j]
        return self._matrix[self._rows[index]]

    def take(self, rows) -> np.ndarray:
        """Rows ``rows`` of these (:meth:`UniformRows.take <simlib.core.rng.UniformRows.take>`)."""
        return self._matrix.take(self._rows[np.asarray(rows, dtype=np.int64)])

    def __array__(self, dtype=None, copy=None):
        values = np.stack([self._matrix.row(i) for i in self._rows]) if len(self._rows) else \
            np.zeros((0, self._matrix.k))
        return values if dtype is None else values.astype(dtype)


class _DrawsAt(dict):
    """``lever_draws`` of the rows: a draw is read at ``rows`` when first asked for."""

    def __init__(self, draws: dict, rows: np.ndarray):
        super().__init__()
        self._draws, self._rows = draws, rows

    def __missing__(self, name: str):
        value = self._draws[name][self._rows]
        self[name] = value
        return value

    def __contains__(self, name) -> bool:
        return dict.__contains__(self, name) or name in self._draws


class PopulationRows:
    """The encounters ``rows`` (sorted indices) of ``population``: encounter ``k`` here is
    ``rows[k]`` there. Values are read on first use and kept."""

    def __init__(self, population, rows: np.ndarray):
        rows = np.asarray(rows, dtype=np.int64)
        self.__dict__.update(population=population, rows=rows, n=int(rows.size),
                             lever_draws=_DrawsAt(population.lever_draws, rows))

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        population = self.__dict__["population"]
        value = getattr(population, name)
        if isinstance(value, np.ndarray):
            if value.ndim and value.shape[0] == population.n:
                value = value[self.rows]
        elif isinstance(value, UniformRows):
            value = _RowsOf(value, self.rows)
        elif callable(value):
            raise AttributeError(f"PopulationRows: {name}() computes over every encounter of the population")
        self.__dict__[name] = value
        return value

    def draws(self, name: str, draw: Callable[[np.random.Generator, int], np.ndarray]) -> np.ndarray:
        """The population's draws of the plug-in stream ``name`` (:meth:`Population.draws`) at ``rows``."""
        return self.population.draws(name, draw)[self.rows]
