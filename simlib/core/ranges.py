"""A parameter with a low / high range: the one type the sensitivity sweep, the flip-point search
and the declared assumptions of the levers share.

A :class:`Range` names a dotted parameter ``path`` of a scenario (``*`` addresses every entry of a
mapping: every channel, every payer, every strategy with a deposit), a ``label`` for the board, and
the ``low`` / ``high`` settings: multipliers of the scenario's value(s) with ``mode="scale"``,
values replacing them with ``mode="set"``; ``upper`` caps the result (a rate cannot exceed 1). The
flip-point search adds where the range came from (``source``) and the setting that reproduces the
scenario (``base``).
"""
from __future__ import annotations

from simlib.core.money_names import is_money

import dataclasses
from dataclasses import dataclass
from typing import Literal

from simlib.core.parameter_paths import values


@dataclass(frozen=True)
class Range:
    """A parameter path and its low / high setting (module docstring)."""

    label: str
    path: str
    low: float
    high: float
    mode: Literal["scale", "set"] = "scale"
    upper: float | None = None
    source: Literal["factor", "uncertain"] = "factor"   # a swept factor, or an uncertain assumption
    base: float | None = None  # the setting that reproduces the scenario (None: unknown or several)

    @classmethod
    def of(cls, item) -> "Range":
        """A range from a ``sensitivity.factors`` entry (or any object with the same fields)."""
        return cls(item.label, item.path, item.low, item.high, item.mode, item.upper)

    def with_base(self, scenario=None) -> "Range":
        """This range with ``base`` set: 1 in scale mode; in set mode the scenario's value at
        ``path`` when it has a single one (else None)."""
        base = 1.0 if self.mode == "scale" else None
        if base is None and scenario is not None:
            found = set(values(scenario.model_dump(), self.path))
            base = found.pop() if len(found) == 1 else None
        return dataclasses.replace(self, base=base)

    def value_at(self, value: float, setting: float) -> float:
        """A scenario value under the setting (multiplier or replacement), capped at ``upper``."""
        y = value * setting if self.mode == "scale" else setting
        return min(y, self.upper) if self.upper is not None else y

    def setting_label(self, which: Literal["low", "high"] | float) -> str:
        """A setting as the board writes it: ``×1.3``, ``12 %``, ``$0.05``, ``0.7``."""
        v = which if isinstance(which, float) else self.low if which == "low" else self.high
        if self.mode == "scale":
            return f"×{v:g}"
        if self.upper == 1.0 or self.path.endswith(("_rate", "_annual", "_share")):
            return f"{v * 100:.3g} %"
        if is_money(self.path.rsplit(".", 1)[-1]):
            from simlib.core.language import money_text

            return money_text(v, 2) if abs(v) < 10 else money_text(v)
        return f"{v:.3g}"
