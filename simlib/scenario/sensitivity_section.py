"""The ``sensitivity:`` section of a scenario file: which assumptions the sensitivity report moves.

::

    sensitivity:
      replications: 2            # runs per setting and per step of the flip-point search
      lever_assumptions: true    # add the assumptions of the levers the top two strategies use
      flip_points: 3             # flip points for this many factors, largest swing first
      factors:
        - {path: strategies.*.deposit.compliance_rate, label: Deposit compliance,
           low: 0.2, high: 0.9, mode: set}
        - {path: channels.*.jump_per_day, label: Reminder effect, low: 0.5, high: 1.5}

A factor's ``path`` is a dotted parameter path (:mod:`simlib.core.parameter_paths`; ``*`` = every
entry of a mapping); ``mode: scale`` multiplies the scenario's value(s) by ``low`` / ``high``,
``mode: set`` replaces them; ``upper`` caps the result (a rate cannot exceed 1). Without
``factors`` the report uses the built-in ones (:data:`simlib.studies.sensitivity.DEFAULT_FACTORS`).
A path is checked against the scenario when the file is read (the section comes after the
strategies, so it sees them); a setting that makes a value invalid is reported before any run.
This module imports only the settings base and the path walker (base layer).
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator, model_validator

from simlib.scenario.size_limits import REPLICATIONS_MAX
from simlib.core.parameter_paths import ParameterPathError, values
from simlib.core.settings import Strict

FACTORS_MAX = 30
_PATH = re.compile(r"([A-Za-z0-9_]+|\*)(\.([A-Za-z0-9_]+|\*))*")


class FactorSettings(Strict):
    """One assumption to move: where it is, its name for the board, and its low / high setting."""

    path: Annotated[str, Field(min_length=1, max_length=200, description=(
        "Dotted parameter path; * = every entry of a mapping (channels.*.jump_per_day)."))]
    label: Annotated[str, Field(min_length=1, max_length=80, description="The assumption's name on the board's page.")]
    low: Annotated[float, Field(description="Low setting: a multiplier (scale) or a value (set).")]
    high: Annotated[float, Field(description="High setting, above low.")]
    mode: Annotated[Literal["scale", "set"], Field(description=(
        "scale multiplies the scenario's value(s), set replaces them."))] = "scale"
    upper: Annotated[float | None, Field(description="Cap on the result (1 for a rate).")] = None

    @field_validator("path")
    @classmethod
    def _dotted(cls, path: str) -> str:
        if not _PATH.fullmatch(path):
            raise ValueError(f"expected a dotted path of names or * (e.g. channels.*.jump_per_day); found {path!r}")
        return path

    @model_validator(mode="after")
    def _check(self) -> "FactorSettings":
        if self.low >= self.high:
            raise ValueError(f"low must be below high; found low {self.low:g}, high {self.high:g}")
        if self.mode == "scale" and self.low < 0:
            raise ValueError(f"a scale factor multiplies the scenario's value: low must be ≥ 0; found {self.low:g}")
        if self.upper is not None and self.mode == "set" and self.high > self.upper:
            raise ValueError(f"high ({self.high:g}) is above upper ({self.upper:g})")
        return self


class SensitivitySettings(Strict):
    """The sensitivity report's factors and effort (see the module doc)."""

    factors: Annotated[list[FactorSettings] | None, Field(max_length=FACTORS_MAX, description=(
        "The assumptions to move; none: the built-in five (reminder effect, propensity to pay, denial "
        "rates, ability to pay, cost of capital)."))] = None
    replications: Annotated[int, Field(ge=1, le=REPLICATIONS_MAX, description=(
        "Runs per setting and per search step (the main run's first runs, re-run at the setting)."))] = 2
    lever_assumptions: Annotated[bool, Field(description=(
        "Add the assumptions of the levers the recommended strategy and the runner-up use."))] = True
    flip_points: Annotated[int, Field(ge=0, le=FACTORS_MAX, description=(
        "Search the flip points of this many factors, largest swing first."))] = 3


def _plain(value: Any) -> Any:
    """Validated models back to plain data (the form the path walker reads)."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def path_problems(settings: SensitivitySettings, scenario_data: dict) -> list[str]:
    """One line per factor whose path names no number of the scenario (``scenario_data``: the
    scenario as plain data)."""
    out = []
    for i, factor in enumerate(settings.factors or []):
        try:
            values(scenario_data, factor.path)
        except ParameterPathError as exc:
            out.append(f"factors.{i}.path ({factor.label}): {exc}")
    return out


def _check_paths(settings: SensitivitySettings | None, info: ValidationInfo) -> SensitivitySettings | None:
    if settings is None or "strategies" not in info.data:
        return settings  # a broken strategies section is reported by itself
    problems = path_problems(settings, _plain(dict(info.data)))
    if problems:
        raise ValueError("\n".join(problems))
    return settings


#: The type of :attr:`simlib.scenario.schema.Scenario.sensitivity` (declared after the strategies).
SensitivitySection = Annotated[SensitivitySettings | None, AfterValidator(_check_paths)]
