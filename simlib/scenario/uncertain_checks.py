"""The checks of a scenario's uncertain assumptions against the scenario they name.

Run while a scenario is validated (the ``uncertain`` field comes after every section, so the
sections are already models): each path must name numbers of the scenario, equal in the file; a
number belongs to one assumption only; the drawn range must lie inside the field's allowed range
(from the section's JSON Schema and :mod:`simlib.scenario.value_bounds`) and be accepted by the field's section
at both ends (a mean below a minimum is refused). Each problem is one error located at the
entry (``uncertain.0.path: expected …; found …``). An entry's allowed range is stored on it: the
normal and lognormal tails are truncated there.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError, ValidationInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from simlib.scenario.value_bounds import bound_of
from simlib.core.parameter_paths import ParameterPathError

#: quantiles that stand for the ends of an unbounded distribution's drawn range
TAIL_Q = 1e-6
#: the scenario's sections a path may start with (``uncertain`` is declared after all of them); one
#: missing from the validated data failed validation and reports its own errors
SECTIONS = ("simulation", "finance", "payers", "patients", "behaviour", "channels", "operations", "strategies")


def matches(data: dict, path: str) -> tuple[list[tuple[str, float]], bool]:
    """(concrete path, value) of every number ``path`` names in ``data`` (dumped scenario), and
    whether the path is inactive: nothing matched because the section is unset (null) — below
    ``*`` in every entry, or a section the scenario switches off (``financial_assistance: null``). Raises :class:`ParameterPathError` for a path that names nothing."""
    found: list[tuple[str, float]] = []
    seen = {"missing": 0, "unset": 0}

    def walk(node: Any, keys: Sequence[str], at: str, optional: bool) -> None:
        key, rest = keys[0], keys[1:]
        if not isinstance(node, dict):
            if optional:
                return
            raise ParameterPathError(f"{at or '(top level)'} is not a section; no {key!r} inside")
        for k in (list(node) if key == "*" else [key]):
            here = f"{at}.{k}" if at else k
            if k not in node:
                if optional:
                    seen["missing"] += 1
                    continue
                raise ParameterPathError(f"no parameter {here!r} (known under {at or 'the top level'}: "
                                         f"{', '.join(sorted(map(str, node)))})")
            value = node[k]
            if rest:
                if value is None:  # a section switched off (no policy, no deposit): nothing to draw
                    seen["unset"] += 1
                    continue
                walk(value, rest, here, optional or key == "*")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                found.append((here, float(value)))
            elif optional:
                seen["missing" if value is not None else "unset"] += 1
            else:
                raise ParameterPathError(f"{here} is not a number (found {value!r})")

    walk(data, path.split("."), "", False)
    if not found and not (seen["unset"] and not seen["missing"]):
        raise ParameterPathError(f"{path} matched no number of the scenario")
    return found, not found


def _dumped(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: _dumped(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=256)
def _schema_bounds(cls: type, field: str) -> tuple[float, float, bool, bool, bool]:
    """(lo, hi, lo exclusive, hi exclusive, integer) of ``cls``'s field from its JSON Schema."""
    try:
        prop = cls.model_json_schema().get("properties", {}).get(field, {})
    except Exception:  # a model without a JSON Schema: probing decides
        prop = {}
    branches = [b for b in prop.get("anyOf", [prop]) if b.get("type") in ("number", "integer")]
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    for b in branches:
        if "minimum" in b:
            lo = max(lo, b["minimum"])
        if "exclusiveMinimum" in b and b["exclusiveMinimum"] >= lo:
            lo, lo_open = b["exclusiveMinimum"], True
        if "maximum" in b:
            hi = min(hi, b["maximum"])
        if "exclusiveMaximum" in b and b["exclusiveMaximum"] <= hi:
            hi, hi_open = b["exclusiveMaximum"], True
    integer = any(b.get("type") == "integer" for b in branches)
    return float(lo), float(hi), lo_open, hi_open, integer


def _owner(models: dict, concrete: str) -> tuple[Any, str]:
    keys = concrete.split(".")
    node: Any = models
    for k in keys[:-1]:
        node = node[k] if isinstance(node, dict) else getattr(node, k)
    return node, keys[-1]


def _number(x: float) -> str:
    return f"{x:.6g}"


def _field_range(models: dict, concrete: str) -> tuple[Any, str, float, float, bool, bool, bool]:
    """(owner model, field, lo, hi, lo exclusive, hi exclusive, integer) of the number ``concrete``."""
    owner, field = _owner(models, concrete)
    lo, hi, lo_open, hi_open, integer = _schema_bounds(type(owner), field) if isinstance(owner, BaseModel) \
        else (-math.inf, math.inf, False, False, False)
    bound = bound_of(field, models.get("currency") or "USD")[0]
    return owner, field, max(lo, -bound), min(hi, bound), lo_open, hi_open, integer


def _accepted(models: dict, moved: list[tuple[str, float]]) -> str | None:
    """Why the numbers ``moved`` (concrete path, value) cannot take their values together (a range,
    or a section's refusal, each section checked with all of its moved fields), or None."""
    owners: dict[str, list[tuple[str, float]]] = {}
    for concrete, value in moved:
        owner, field, lo, hi, lo_open, hi_open, _ = _field_range(models, concrete)
        if value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
            return (f"{concrete} = {_number(value)} is outside its allowed values "
                    f"({'>' if lo_open else '>='} {_number(lo)} and {'<' if hi_open else '<='} {_number(hi)})")
        owners.setdefault(concrete.rsplit(".", 1)[0], []).append((concrete, value))
    for items in owners.values():
        owner, _ = _owner(models, items[0][0])
        if not isinstance(owner, BaseModel):
            continue
        try:
            type(owner).model_validate({**owner.model_dump(), **{c.rsplit(".", 1)[1]: float(v) for c, v in items}})
        except ValidationError as exc:
            err = exc.errors()[0]
            why = err["msg"].removeprefix("Value error, ")
            shown = ", ".join(f"{c} = {_number(v)}" for c, v in items)
            return f"{shown} is refused ({'.'.join(map(str, err['loc'])) + ': ' if err['loc'] else ''}{why})"
    return None


def _multiplier_range(models: dict, found: list[tuple[str, float]]) -> tuple[float, float, bool, bool]:
    """The multipliers that keep every number of ``found`` inside its allowed range (a ``scale`` entry)."""
    lo_m, hi_m, lo_open_m, hi_open_m = -math.inf, math.inf, False, False
    for concrete, v in found:
        _, _, lo, hi, lo_open, hi_open, _ = _field_range(models, concrete)
        if v == 0:
            continue
        a, b, a_open, b_open = (lo / v, hi / v, lo_open, hi_open) if v > 0 else (hi / v, lo / v, hi_open, lo_open)
        if a > lo_m or (a == lo_m and a_open):
            lo_m, lo_open_m = a, a_open
        if b < hi_m or (b == hi_m and b_open):
            hi_m, hi_open_m = b, b_open
    return lo_m, hi_m, lo_open_m, hi_open_m


def _problems(entry: Any, models: dict, data: dict, taken: dict[str, int],
              i: int) -> list[tuple[str | None, str]]:
    """(field of the entry or None, what is wrong) of ``entry`` against the scenario (empty: fine;
    sets the entry's bounds)."""
    try:
        found, inactive = matches(data, entry.path)
        joint = [(j, matches(data, j.path)[0]) for j in entry.joint]
    except ParameterPathError as exc:
        return [("path", f"expected a dotted path to a number of the scenario; {exc}")]
    if inactive:
        return []
    values = sorted({v for _, v in found})
    if len(values) > 1 and not entry.scale:
        return [("path", f"expected numbers that are equal in the file (one value is drawn for all); "
                         f"{entry.path} matches {', '.join(_number(v) for v in values)}: give each its own "
                         "entry, or draw a multiplier (scale: true)")]
    out = []
    for concrete, _ in found + [c for _, js in joint for c in js]:
        if concrete in taken:
            out.append(("path", f"expected each number in one entry only; {concrete} is already "
                                f"uncertain in entry {taken[concrete]}"))
        taken.setdefault(concrete, i)
    if entry.joint and not entry.scale and values[0] == 0:
        return out + [("joint", f"expected a nonzero value at {entry.path} (the joint numbers move with the "
                                "drawn value ÷ the file's); found 0: draw a multiplier (scale: true)")]
    _, _, lo, hi, lo_open, hi_open, integer = _field_range(models, found[0][0])
    if integer:
        return out + [("path", f"expected a continuous parameter; {found[0][0]} is a whole number (an "
                               "uncertain count is not drawn)")]
    what = f"the allowed values of {found[0][0]}"
    if entry.scale:
        lo, hi, lo_open, hi_open = _multiplier_range(models, found)
        what = f"the multipliers that keep every number of {entry.path} allowed"
    allowed = f"{'>' if lo_open else '>='} {_number(lo)} and {'<' if hi_open else '<='} {_number(hi)}"
    s_lo, s_hi = entry.support()
    if entry.truncated:
        centre = entry.median if entry.distribution == "lognormal" else entry.mean
        if not (lo < centre < hi or (lo <= centre <= hi and not (lo_open and centre == lo)
                                     and not (hi_open and centre == hi))):
            return out + [("median" if entry.distribution == "lognormal" else "mean",
                           f"expected a value {allowed} ({what}); found {_number(centre)}")]
        tlo = np.nextafter(lo, math.inf) if lo_open else lo
        thi = np.nextafter(hi, -math.inf) if hi_open else hi
        entry._bounds = (float(tlo), float(thi))
        ends = (entry.quantile(TAIL_Q), entry.quantile(1.0 - TAIL_Q))
    else:
        inside = (s_lo > lo or (s_lo == lo and not lo_open)) and (s_hi < hi or (s_hi == hi and not hi_open))
        if not inside:
            return out + [(None, f"expected a drawn range inside {what} ({allowed}); found {_number(s_lo)} "
                                 f"to {_number(s_hi)}")]
        entry._bounds = (float(lo), float(hi))
        ends = (s_lo, s_hi)
    for end in dict.fromkeys(ends):
        ratio = end if entry.scale else end / values[0] if entry.joint else 1.0
        moved = [(c, v * end if entry.scale else end) for c, v in found]
        moved += [(c, v * ratio ** j.power) for j, js in joint for c, v in js]
        why = _accepted(models, [(c, float(v)) for c, v in moved])
        if why:
            return out + [(None, f"expected a drawn range its section accepts; {why}")]
    return out


def check_against_scenario(entries: list, info: ValidationInfo) -> list:
    """The scenario-level checks of every entry (the sections are validated before ``uncertain``)."""
    if not entries:
        return entries
    models = dict(info.data)
    data = {k: _dumped(v) for k, v in models.items()}
    errors: list[InitErrorDetails] = []
    taken: dict[str, int] = {}
    paths: dict[str, int] = {}
    for i, entry in enumerate(entries):
        heads = {p.split(".")[0] for p in [entry.path] + [j.path for j in entry.joint]}
        if any(h in SECTIONS and h not in models for h in heads):
            continue  # a section it names failed validation: its own errors are reported
        if entry.path in paths:
            problems = [("path", f"expected each path once; {entry.path} is also entry {paths[entry.path]}")]
        else:
            paths[entry.path] = i
            problems = _problems(entry, models, data, taken, i)
        for field, text in problems:
            errors.append(InitErrorDetails(type=PydanticCustomError("value_error", "{text}", {"text": text}),
                                           loc=(i, field) if field else (i,),
                                           input=getattr(entry, field) if field else entry.path))
    if errors:
        raise ValidationError.from_exception_data("uncertain", errors)
    return entries
