"""A strategy's levers in one line of plain words (the "Levers" column of the strategies table and
the factoring offers' terms).

The words themselves are each lever's own ``describe`` (``simlib/levers/``); this module only asks
the registry and reads a lever's settings for the report's other sections.
"""
from __future__ import annotations

from collections.abc import Mapping


def lever(strategy, name: str):
    """The settings of lever ``name`` in ``strategy``, or None when the strategy does not use it.

    The one place the report reads a lever from a strategy: an attribute of that name, or an entry
    of a ``levers`` mapping (for a lever registry).
    """
    value = getattr(strategy, name, None)
    if value is None:
        levers = getattr(strategy, "levers", None)
        if isinstance(levers, Mapping):
            value = levers.get(name)
    return None if value is None or value == [] or value == {} else value


def strategies_using(scenario, name: str) -> list[str]:
    """The scenario's strategies that use lever ``name`` (a factoring offer, a deposit, …)."""
    return [k for k, s in (getattr(scenario, "strategies", {}) or {}).items() if lever(s, name) is not None]


def words(key: str) -> str:
    """An id as words mid-sentence: ``formal_demand`` → "formal demand", ``sms`` → "SMS"."""
    from simlib.core.words import id_words

    return id_words(key)


def strategy_summary(strategy) -> str:
    """The levers of one strategy in a line of plain words (plain text: escape before use): each
    registered lever describes itself (:func:`simlib.levers.describe_strategy`), so a plug-in lever
    appears here without a line of report code."""
    from simlib.levers import describe_strategy

    return describe_strategy(strategy)


def _factoring_terms(strategy) -> str:
    from simlib.levers.factoring import terms_in_words

    return terms_in_words(lever(strategy, "factoring"))
