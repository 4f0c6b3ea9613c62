"""Dividing a joint result among its parts: the exact values of a cooperative game.

A game assigns a worth v(S) to every subset S of its players (here: the levers of a strategy, the
worth a run's gain under the status quo with the levers in S switched on). Three ways to credit
each player, all in exact rational arithmetic (every float converted exactly, so sums are exact):

* :func:`shapley_values` — φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)), the
  player's marginal worth averaged over every order of arrival (Shapley 1953). It is the only
  split that adds up to v(N) − v(∅) (efficiency), gives a player who never changes the worth 0
  (null player), equal players equal shares (symmetry), and the sum of two games' splits for their
  sum (additivity);
* :func:`add_one` — v({i}) − v(∅), the player alone;
* :func:`leave_one_out` — v(N) − v(N ∖ {i}), what the player adds last.

Used by :mod:`simlib.studies.contributions`; this module imports nothing from simlib.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from itertools import combinations
from typing import Any


def shapley_values(values: Mapping[frozenset, Any], players: Sequence[str]) -> dict[str, Fraction]:
    """Exact Shapley values of the game ``values`` (every subset of ``players`` -> its worth, each
    converted exactly to a fraction): Σ_S |S|!(n−|S|−1)!/n! (v(S ∪ {i}) − v(S))."""
    n = len(players)
    v = {frozenset(k): Fraction(x) for k, x in values.items()}
    out = {}
    for p in players:
        others = [q for q in players if q != p]
        total = Fraction(0)
        for size in range(n):
            weight = Fraction(math.factorial(size) * math.factorial(n - size - 1), math.factorial(n))
            for combo in combinations(others, size):
                s = frozenset(combo)
                total += weight * (v[s | {p}] - v[s])
        out[p] = total
    return out


def add_one(values: Mapping[frozenset, Any], players: Sequence[str]) -> dict[str, Fraction]:
    """Each player alone: v({i}) − v(∅)."""
    v = {frozenset(k): Fraction(x) for k, x in values.items()}
    return {p: v[frozenset({p})] - v[frozenset()] for p in players}


def leave_one_out(values: Mapping[frozenset, Any], players: Sequence[str]) -> dict[str, Fraction]:
    """What each player adds last: v(all) − v(all without i)."""
    v = {frozenset(k): Fraction(x) for k, x in values.items()}
    every = frozenset(players)
    return {p: v[every] - v[every - {p}] for p in players}
