"""Jurisdictions as data: one YAML file per country in ``simlib/scenario/jurisdictions/``.

A scenario names its jurisdiction (``jurisdiction: FR``; ISO 3166-1 alpha-2, default ``US``) and
its currency (``currency: EUR``; ISO 4217, default the jurisdiction's own). The jurisdiction's
file holds its rules with their sources; adding a country is adding a file (docs/jurisdictions.md).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simlib.core.currencies import CURRENCIES, DEFAULT_CURRENCY
from simlib.core.settings import Strict
from simlib.core.yaml_reading import read_yaml

FOLDER = Path(__file__).resolve().parent / "jurisdictions"
DEFAULT_JURISDICTION = "US"


class Jurisdiction(Strict):
    """One country's file: its code, name and currency."""

    code: str
    name: str
    currency: str


@cache
def jurisdictions() -> dict[str, Jurisdiction]:
    """Every jurisdiction file of the package, by code (read once)."""
    out = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        try:
            j = Jurisdiction.model_validate(read_yaml(path))
        except ValidationError as exc:  # a broken package file is a bug, said with its path
            raise RuntimeError(f"{path}: {exc}") from None
        if j.code != path.stem.upper() or j.currency not in CURRENCIES:
            raise RuntimeError(f"{path}: code must be {path.stem.upper()!r} and currency one of "
                               f"{sorted(CURRENCIES)}; found {j.code!r}, {j.currency!r}")
        out[j.code] = j
    return out


def jurisdiction(code: str) -> Jurisdiction:
    """The jurisdiction of ``code`` (a code the scenario schema has already checked)."""
    return jurisdictions()[code]


def check_jurisdiction(code: str) -> str:
    """The field validator of ``jurisdiction:``: a known code, or one clear line."""
    known = jurisdictions()
    if code not in known:
        raise ValueError(f"expected one of {sorted(known)} (a country with a file in "
                         f"simlib/scenario/jurisdictions, ISO 3166-1 code); found {code!r}")
    return code


def check_currency(code: str) -> str:
    """The field validator of ``currency:``: an ISO 4217 code the package knows."""
    if code not in CURRENCIES:
        raise ValueError(f"expected one of {sorted(CURRENCIES)} (ISO 4217 code); found {code!r}")
    return code


def fill_currency(data: Any) -> Any:
    """A scenario mapping without ``currency:`` gets its jurisdiction's (USD without either)."""
    if isinstance(data, dict) and data.get("currency") is None:
        code = data.get("jurisdiction", DEFAULT_JURISDICTION)
        known = jurisdictions().get(code) if isinstance(code, str) else None
        data = {**data, "currency": known.currency if known else DEFAULT_CURRENCY}
    return data
