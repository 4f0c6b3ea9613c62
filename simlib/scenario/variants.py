"""Change a scenario from Python, validated like a file: a new strategy made from an existing one
(:meth:`ScenarioVariants.variant`) or parameters set by dotted path (:meth:`ScenarioVariants.with_values`).

Both return a *new* scenario (scenarios are immutable) that went through the same validation as a
scenario file — unknown keys, out-of-range values and cross-field rules — so a bad change fails
here, as one :class:`~simlib.core.settings.ScenarioError` naming the field, not minutes later when
the run starts. Paths are those of :mod:`simlib.core.parameter_paths` (``behaviour.initial_per_day``,
``strategies.*.deposit.share``); a ``*`` changes every entry of a mapping.

The methods are mixed into :class:`simlib.scenario.schema.Scenario`::

    sc = simlib.load_scenario("parameters/baseline.yaml")
    sc2 = sc.variant("deposit_40", from_="deposit_at_service", deposit={"share": 0.4})
    sc3 = sc2.with_values({"operations.phone_team.agents": 6})
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from simlib.core.parameter_paths import ParameterPathError, apply
from simlib.core.settings import ScenarioError

#: Where a variant's problems are said to come from (there is no file).
SOURCE = "<variant>"


def _merge(base: Any, change: Any) -> Any:
    """``change`` laid over ``base``: mappings merge key by key (a ``None`` value removes the key),
    anything else replaces."""
    if not (isinstance(base, dict) and isinstance(change, Mapping)):
        return copy.deepcopy(change)
    out = dict(base)
    for key, value in change.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def _set(data: dict, path: str, value: Any) -> None:
    """Set ``value`` at ``path``: numbers through :func:`simlib.core.parameter_paths.apply` (``*``
    allowed), any other value (a channel name, a list of reminder steps, a section) at the exact
    path, whose parent must exist."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            apply(data, path, lambda _old: value)
            return
        except ParameterPathError:
            pass  # not a number yet (e.g. a None default): set it at the exact path below
    keys = path.split(".")
    node: Any = data
    for i, key in enumerate(keys[:-1]):
        if key == "*":
            raise ParameterPathError(f"{path}: '*' only sets numbers; name the entry")
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            known = sorted(node) if isinstance(node, dict) else []
            raise ParameterPathError(f"{'.'.join(keys[:i + 1])}: no section {key!r} here (known: {known})")
        node = node[key]
    node[keys[-1]] = copy.deepcopy(value)


class ScenarioVariants:
    """Methods of :class:`~simlib.scenario.schema.Scenario` that make validated changed copies."""

    #: ``scenario_from_dict`` (set by :mod:`simlib.scenario.schema`, which imports this module).
    variant_validator = None

    def _revalidated(self, data: dict):
        return type(self).variant_validator(data, SOURCE)  # the file's validation, whole

    def variant(self, name: str, from_: str | None = None, **changes: Any):
        """A copy of this scenario with one more strategy, ``name``: strategy ``from_`` (default: the
        status quo) with ``changes`` laid over it — a lever section as a mapping merges into the
        existing one (``deposit={"share": 0.4}``), ``None`` removes a lever
        (``prompt_pay_discount=None``), ``label=``/``description=`` name it. The new strategy is
        never the status quo. Raises :class:`ScenarioError` (one line per problem) when the name is
        taken, ``from_`` is unknown or the changed strategy is invalid."""
        data = self.model_dump(mode="json")
        strategies = data["strategies"]
        source = from_ if from_ is not None else self.baseline_strategy
        problems = []
        if not isinstance(name, str) or not name:
            problems.append(f"strategies: expected a non-empty strategy name; found {name!r}")
        elif name in strategies:
            problems.append(f"strategies.{name}: a strategy of that name exists; expected a new name")
        if source not in strategies:
            problems.append(f"from_: no strategy {source!r}; expected one of {sorted(strategies)}")
        if problems:
            raise ScenarioError(SOURCE, problems)
        strategy = _merge(strategies[source], changes)
        strategy["baseline"] = False
        if "description" not in changes:
            strategy["description"] = f"{source}, changed: {', '.join(sorted(changes)) or 'nothing'}"
        strategies[name] = strategy
        return self._revalidated(data)

    def with_values(self, values: Mapping[str, Any]):
        """A copy of this scenario with each ``{path: value}`` set (see :mod:`simlib.core.parameter_paths`;
        ``*`` sets a number in every entry of a mapping), validated as a file would be. Raises
        :class:`ScenarioError` naming the path when it matches nothing or the value is refused."""
        data = self.model_dump(mode="json")
        problems = []
        for path, value in values.items():
            try:
                _set(data, str(path), value)
            except ParameterPathError as exc:
                problems.append(str(exc))
        if problems:
            raise ScenarioError(SOURCE, problems)
        return self._revalidated(data)
