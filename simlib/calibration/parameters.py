"""The payment-timing parameters: names with units, meaning, and the range each may take.

One record, ``PaymentTiming``, holds every parameter of the model in ``payment_timing.py`` in
natural units; ``SPECS`` says for each fitted one its unit, what it means and how it is mapped to
an unconstrained number for the optimiser (``share``: logit, ``positive``: log, ``real``: none,
``bounded``: upper x expit) and its range. Rates and intensity factors have an upper end because
with whole-day dates an intensity above ~10 per day cannot be told from paying at once
(P(pay within the day) = 1 - e^-10 > 0.9999), so the likelihood is flat beyond it.
``balance_ref`` is a reference constant, never fitted.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

import numpy as np
from scipy.special import expit, logit


@dataclass(frozen=True)
class PaymentTiming:
    """Parameters of the planner + self-exciting payment-timing model (time unit: days)."""

    planner_share: float = 0.8
    planned_day_scale_of_terms: float = 0.9
    planned_day_shape: float = 3.0
    dispute_delay_days: float = 8.0
    dispute_delay_log_sd: float = 0.0
    paper_delay_days: float = 4.0
    initial_per_day: float = 0.05
    decay_per_day: float = 0.05
    floor_per_day: float = 0.0
    due_date_jump_per_day: float = 0.2
    dispute_intensity_factor: float = 0.5
    paper_intensity_factor: float = 0.5
    balance_elasticity: float = 0.0
    balance_ref: float = 500.0

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    def replace(self, **changes: float) -> "PaymentTiming":
        return replace(self, **changes)

    def check(self) -> None:
        """Raise ``ValueError`` naming the first parameter outside its range."""
        for spec in SPECS.values():
            v = getattr(self, spec.name)
            ok = {"share": 0.0 <= v <= 1.0, "positive": v >= 0.0, "real": np.isfinite(v),
                  "bounded": 0.0 <= v <= (spec.upper or np.inf)}[spec.kind]
            if not (ok and np.isfinite(v)):
                raise ValueError(f"{spec.name}: expected {spec.range_text}; found {v!r}")
        if not (self.balance_ref > 0 and np.isfinite(self.balance_ref)):
            raise ValueError(f"balance_ref: expected a number > 0; found {self.balance_ref!r}")


Kind = Literal["share", "positive", "bounded", "real"]


@dataclass(frozen=True)
class ParamSpec:
    name: str
    unit: str
    kind: Kind
    meaning: str
    upper: float | None = None   # upper end of a ``bounded`` parameter

    @property
    def range_text(self) -> str:
        if self.kind == "bounded":
            return f"a number in [0, {self.upper:g}]"
        return {"share": "a share in [0, 1]", "positive": "a number >= 0", "real": "a finite number"}[self.kind]

    def to_free(self, value: float) -> float:
        """Natural value -> unconstrained number (boundary values map to +-inf)."""
        with np.errstate(divide="ignore"):
            if self.kind == "share":
                return float(logit(value))
            if self.kind == "bounded":
                return float(logit(value / self.upper))
            if self.kind == "positive":
                return float(np.log(value))
        return float(value)

    def from_free(self, z: float | np.ndarray) -> float | np.ndarray:
        if self.kind == "share":
            return expit(z)
        if self.kind == "bounded":
            return self.upper * expit(z)
        if self.kind == "positive":
            return np.exp(z)
        return z

    def derivative(self, value: float) -> float:
        """d value / d z at ``value``."""
        if self.kind == "share":
            return value * (1.0 - value)
        if self.kind == "bounded":
            return value * (1.0 - value / self.upper)
        return value if self.kind == "positive" else 1.0

    def bound_of(self, z: float) -> float | None:
        """The boundary value the unconstrained ``z`` runs off to, or ``None`` if ``z`` is interior."""
        if self.kind == "real" or abs(z) < BOUNDARY_Z:
            return None
        if z < 0:
            return 0.0
        return {"share": 1.0, "bounded": self.upper}.get(self.kind)


#: |z| beyond which an estimate is taken to sit on the boundary (e^-16 ~ 1e-7 of its scale).
BOUNDARY_Z = 16.0

#: Largest intensity (per day) told apart from "at once" with whole-day dates; see the docstring.
MAX_RATE_PER_DAY = 10.0
#: Largest covariate multiplier of the intensity (a factor of 100 turns 0.1 per day into 10).
MAX_FACTOR = 100.0

SPECS: dict[str, ParamSpec] = {s.name: s for s in [
    ParamSpec("planner_share", "share of accounts", "share",
              "accounts that pay on a planned day rather than when prompted"),
    ParamSpec("planned_day_scale_of_terms", "x credit terms", "positive",
              "Weibull scale of the planned day after any delay, as a multiple of the credit terms"),
    ParamSpec("planned_day_shape", "1", "positive",
              "Weibull shape of the planned day (larger: more concentrated)"),
    ParamSpec("dispute_delay_days", "days", "positive",
              "a disputed invoice's planned day comes this much later (the mean when the delay has a shape)"),
    ParamSpec("dispute_delay_log_sd", "1", "positive",
              "spread of a disputed invoice's delay: sd of its log (lognormal; 0 = the same delay for every "
              "dispute)"),
    ParamSpec("paper_delay_days", "days", "positive",
              "a paper bill's planned day comes this much later"),
    ParamSpec("initial_per_day", "per day", "bounded",
              "intensity of a prompted payer at the statement (reference balance, electronic, undisputed)",
              MAX_RATE_PER_DAY),
    ParamSpec("decay_per_day", "per day", "bounded",
              "rate at which the intensity relaxes toward the floor (attention fades)", MAX_RATE_PER_DAY),
    ParamSpec("floor_per_day", "per day", "bounded", "long-run intensity of a prompted payer",
              MAX_RATE_PER_DAY),
    ParamSpec("due_date_jump_per_day", "per day", "bounded", "intensity added at the due date",
              MAX_RATE_PER_DAY),
    ParamSpec("dispute_intensity_factor", "x intensity", "bounded",
              "multiplier of a prompted payer's intensity when the invoice is disputed", MAX_FACTOR),
    ParamSpec("paper_intensity_factor", "x intensity", "bounded",
              "multiplier of a prompted payer's intensity for a paper bill", MAX_FACTOR),
    ParamSpec("balance_elasticity", "1", "real",
              "intensity x (balance / balance_ref) ^ -elasticity"),
]}

#: Fitted by default; the floor is held at 0 (the engine's default) unless asked for.
DEFAULT_FREE: tuple[str, ...] = tuple(n for n in SPECS if n not in ("floor_per_day", "dispute_delay_log_sd"))
