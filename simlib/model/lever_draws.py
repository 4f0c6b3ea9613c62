"""Levers' per-encounter draws (``Lever.random_draws``), made when a strategy first reads them.

Every registered lever declares draws, each from its own stream (a built-in activity of
:data:`simlib.core.rng.STREAMS`, else the lever's hashed stream), and every strategy of a
replication sees the same values (common random numbers). Drawing them all with the population
cost every account the memory of levers its strategies may not use (a phone team's call draws,
an agency's thresholds, a plan's uptake: ≈ 170 bytes per account that the status quo never reads,
issue 27). So the population only notes, per draw name, the call that makes its stream's draws;
the first read of any of them (``population.plan_u``, ``population.lever_draws["legal_u"]``)
makes the whole stream's draws, exactly as the eager draw made them: the streams are independent,
so when a stream is drawn moves no number.
"""
from __future__ import annotations

from functools import partial

from simlib.core.rng import STREAMS, lever_stream, stream
from simlib.levers import registered_levers


class LazyDraws(dict):
    """``population.lever_draws``: the draws of levers that are not ``Population`` fields, by
    name; one not made yet is made on its first read (``pending``: name -> the call)."""

    def __init__(self, values=(), pending=None):
        super().__init__(values)
        self.pending = {} if pending is None else pending

    def __missing__(self, name: str):
        call = self.pending.get(name)
        if call is None:
            raise KeyError(name)
        self._fill(call())
        return self[name]

    def _fill(self, values: dict) -> None:
        for key, value in values.items():
            self.pending.pop(key, None)
            self.setdefault(key, value)


def _make(draw, scenario, seed: int, replication: int, name: str, n: int) -> dict:
    rng = stream(seed, replication, name) if name in STREAMS else lever_stream(seed, replication, name)
    return draw(rng, n, scenario)


def lever_draws(scenario, seed: int, replication: int, n: int, fields: set[str]) -> tuple[dict, LazyDraws]:
    """(pending field draws: field name -> the call making its stream's draws, the other draws)
    of every registered lever. Each draw's names are learnt from a draw of zero rows, so two
    levers declaring the same name are refused now, not when a strategy reads it."""
    pending_fields, pending_others = {}, {}
    for lever in registered_levers().values():
        for name, draw in lever.random_draws.items():
            make = partial(_make, draw, scenario, seed, replication, name, n)
            for key in _make(draw, scenario, seed, replication, name, 0):
                if key in pending_fields or key in pending_others:
                    raise ValueError(f"lever {lever.__qualname__}: draw {key!r} is already another lever's")
                (pending_fields if key in fields else pending_others)[key] = make
    return pending_fields, LazyDraws(pending=pending_others)


def resolve_pending(population, name: str) -> None:
    """Make the draws of the stream that ``name`` (a pending field of ``population``) belongs to:
    its fields go to the population, its other names to ``population.lever_draws``."""
    pending = population.__dict__["pending_draws"]
    values = pending[name]()
    for key, value in values.items():
        if key in pending:
            del pending[key]
            population.__dict__[key] = value
        elif isinstance(population.lever_draws, LazyDraws):
            population.lever_draws._fill({key: value})
        else:
            population.lever_draws.setdefault(key, value)
