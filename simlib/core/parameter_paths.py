"""Dotted parameter paths into a scenario: read and change numbers by name.

A path names a numeric parameter of a scenario's data (``behaviour.initial_per_day``,
``payers.commercial.initial_denial_rate``; a number names an entry of a list,
``strategies.workflow.policy.rules.2.days``); ``*`` addresses every entry of a mapping
(``channels.*.jump_per_day``, ``strategies.*.deposit.compliance_rate``). Below a ``*``, entries
without the rest of the path are skipped (a strategy without a deposit has no deposit compliance);
a path that matches nothing is an error. Used by the sensitivity sweep, uncertain assumptions,
flip points and the strategy search, each of which re-validates the changed data.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class ParameterPathError(ValueError):
    """A path names no number of the scenario."""


def _walk(node: Any, keys: Sequence[str], fn: Callable[[float], float] | None, path: str,
          found: list[float], optional: bool) -> None:
    key, rest = keys[0], keys[1:]
    if isinstance(node, list) and key.isdigit():  # an entry of a list: policy.rules.2.days
        if int(key) >= len(node):
            if optional:
                return
            raise ParameterPathError(f"{path}: no entry {key} (the list has {len(node)})")
        targets, known = [int(key)], range(len(node))
    elif not isinstance(node, dict):
        if optional:
            return
        raise ParameterPathError(f"{path}: {key!r} is not inside a mapping")
    else:
        targets, known = (list(node) if key == "*" else [key]), node
    for k in targets:
        if k not in known or (node[k] is None and rest):
            if optional:
                continue
            raise ParameterPathError(f"{path}: no parameter {k!r} (known: {sorted(node)})")
        if rest:
            _walk(node[k], rest, fn, path, found, optional or key == "*")
            continue
        value = node[k]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            if optional:
                continue
            raise ParameterPathError(f"{path}: {k!r} is not a number")
        found.append(float(value))
        if fn is not None:
            node[k] = fn(value)


def apply(data: dict, path: str, fn: Callable[[float], float]) -> int:
    """Replace every number at ``path`` in ``data`` (nested dicts, changed in place) by
    ``fn(number)``; return how many changed. Raises :class:`ParameterPathError` when none match."""
    found: list[float] = []
    _walk(data, path.split("."), fn, path, found, False)
    if not found:
        raise ParameterPathError(f"{path}: matched no parameter")
    return len(found)


def values(data: dict, path: str) -> list[float]:
    """The numbers at ``path`` in ``data`` (in mapping order)."""
    found: list[float] = []
    _walk(data, path.split("."), None, path, found, False)
    if not found:
        raise ParameterPathError(f"{path}: matched no parameter")
    return found


def child(node: Any, key: str, missing: Any = None) -> Any:
    """``node[key]`` for a mapping, ``node[int(key)]`` for a list (a rule of ``policy.rules``), else
    ``missing``."""
    if isinstance(node, dict):
        return node.get(key, missing)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return missing


def at_path(node: Any, path: str, missing: Any = None) -> Any:
    """The value at dotted ``path`` (mapping keys and list indices; no ``*``), or ``missing``."""
    for key in path.split("."):
        node = child(node, key, missing)
        if node is missing:
            return missing
    return node
