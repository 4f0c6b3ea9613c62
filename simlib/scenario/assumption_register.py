"""The assumptions a scenario holds fixed: what the board's intervals do not include (issue 25).

docs/model.md marks every parameter no published figure pins down as an **assumption**. Each is
either drawn run by run (the scenario's ``uncertain:`` section, :mod:`simlib.scenario.uncertain`),
so that the intervals include it, or listed in ``assumption_register.yaml`` beside this module
with its documented range and the reason it is not drawn (a strategy the shipped scenarios do not
use, a calibrated value, a shape the drawn assumption already spans). The register also names the
assumptions the baseline draws (``drawn_in_baseline``), so that a scenario which does not draw
them (factoring_offers.yaml) says so on its page. The board page names both
lists (:func:`held_fixed`), so no interval silently rests on an assumption it does not count;
``tests/test_assumptions_reachable.py`` fails when docs/model.md marks a parameter that is in
neither.
"""
from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated

import yaml
from pydantic import Field, TypeAdapter, model_validator

from simlib.core.language import N_
from simlib.core.parameter_paths import ParameterPathError
from simlib.core.settings import Strict

REGISTER_FILE = "assumption_register.yaml"
#: the reason of an assumption the baseline draws and this scenario does not (the register's labels
#: and reasons are board words: the message catalogue extracts them, the page translates them)
NOT_DRAWN_HERE = N_("this scenario does not draw it (parameters/baseline.yaml does: copy its uncertain: entry to "
                    "include it)")


class HeldAssumption(Strict):
    """An assumption of the model that the shipped scenarios do not draw: its documented range and why."""

    path: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_*]+(\.[A-Za-z0-9_*]+)*$")]
    label: Annotated[str, Field(min_length=1, max_length=100)]
    low: float
    high: float
    why: Annotated[str, Field(min_length=10, max_length=300)] | None = None
    #: drawn by the shipped parameters/baseline.yaml: held only in a scenario that does not draw it
    drawn_in_baseline: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "HeldAssumption":
        if not self.low < self.high:
            raise ValueError(f"{self.path}: expected low < high; found {self.low:g}, {self.high:g}")
        if (self.why is None) != self.drawn_in_baseline:
            raise ValueError(f"{self.path}: expected a reason (why) exactly when it is not drawn in the baseline")
        return self

    @property
    def reason(self) -> str:
        """Why the runs hold it: the register's reason, or that this scenario does not draw it."""
        return self.why or NOT_DRAWN_HERE


@functools.lru_cache(maxsize=1)
def register() -> tuple[HeldAssumption, ...]:
    """Every entry of ``assumption_register.yaml`` (validated)."""
    text = resources.files("simlib.scenario").joinpath(REGISTER_FILE).read_text(encoding="utf-8")
    return tuple(TypeAdapter(list[HeldAssumption]).validate_python(yaml.safe_load(text)))


def drawn_paths(scenario) -> set[str]:
    """The concrete paths of every number the scenario's ``uncertain:`` section draws (joint numbers too)."""
    from simlib.scenario.uncertain import drawn_numbers

    data = scenario.model_dump()
    out: set[str] = set()
    for entry in getattr(scenario, "uncertain", None) or ():
        try:
            out |= drawn_numbers(data, entry)
        except ParameterPathError:
            continue
    return out


def held_fixed(scenario) -> list[HeldAssumption]:
    """The register's assumptions that this scenario uses and does not draw: held at the file's values."""
    from simlib.scenario.uncertain_checks import matches

    data, drawn = scenario.model_dump(), drawn_paths(scenario)
    out = []
    for held in register():
        try:
            found, inactive = matches(data, held.path)
        except ParameterPathError:  # a section this scenario does not have (no fitted payment timing)
            continue
        if not inactive and not {p for p, _ in found} <= drawn:
            out.append(held)
    return out
