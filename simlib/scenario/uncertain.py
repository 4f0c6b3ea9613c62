"""Uncertain assumptions: numbers of a scenario given as distributions, drawn once per replication.

A scenario's ``uncertain:`` section lists the assumptions the modeller is unsure of::

    uncertain:
      - path: strategies.*.deposit.compliance_rate
        label: Share of patients who pay a deposit asked at service
        source: "assumption: no published figure"
        distribution: beta
        a: 3
        b: 3
        low: 0.2
        high: 1.0

``path`` is a dotted parameter path (:mod:`simlib.core.parameter_paths`; ``*`` = every entry of a
mapping, entries without the rest of the path skipped). Every number it matches is set to the
same drawn value, so the numbers it matches must be equal in the file. Distributions (scipy.stats
gives every cdf and quantile): ``beta {a, b}`` on ``[low, high]`` (default ``[0, 1]``),
``uniform {low, high}``, ``triangular {low, mode, high}``, ``lognormal {median, sigma}`` and
``normal {mean, sd}``; the last two are truncated to the field's allowed range (a bounded one must
lie inside it). Zero width (``uniform`` with ``low == high``, ``sigma: 0``, ``sd: 0``) is a fixed
value.

Two forms move several numbers with one draw (issue 25), so that one regressor of the spread split
stands for one idea:

* ``scale: true`` — the drawn value is a **multiplier** of every number at ``path``, which may then
  differ (``channels.*.opt_out_rate``: every channel's opt-out rate × the same factor keeps their
  ratios);
* ``joint: [{path, power}]`` — further numbers moved with the draw: each becomes its file value
  × r^power, r the multiplier (``scale``) or the drawn value ÷ the file's value at ``path``. A
  calibration ridge is one such line: ``initial_per_day`` ∝ ``decay_per_day``^1.78 keeps the
  status quo's KPIs (docs/calibration.md, "Identifiability").

Each replication draws every assumption once (:func:`draw_assumptions`) by the inverse of its cdf
at a uniform from the assumption's own random stream (stream ``assumptions``, keyed by
replication and path): the same value for every strategy of the replication, on any worker
count or executor, and adding or removing another assumption never changes this one's draws.
The scenario is then re-validated with the drawn values (:func:`set_parameter`).

Validation (when a scenario is read) refuses, in one line naming the entry and what was expected:
an unknown distribution, a missing or out-of-range parameter, a path that matches no number (or
numbers that differ), and a drawn range outside the field's allowed range or refused by the
field's section (a mean below a minimum …). A path below ``*`` whose section no entry uses
(``strategies.*.deposit.…`` in a scenario without a deposit) is inactive: nothing is drawn.
"""
from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, Field, PrivateAttr, ValidationError, model_serializer, model_validator
from scipy import stats

from simlib.scenario.uncertain_checks import check_against_scenario, matches
from simlib.scenario.value_bounds import LOG_SD_MAX, value_problems
from simlib.core.parameter_paths import ParameterPathError, apply
from simlib.core.money_names import stream_key
from simlib.core.rng import keyed_stream
from simlib.core.settings import NonNeg, Positive, ScenarioError, Strict

#: distribution → (required parameters, optional parameters)
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "beta": (("a", "b"), ("low", "high")),
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "lognormal": (("median", "sigma"), ()),
    "normal": (("mean", "sd"), ()),
}
PARAMETERS = ("a", "b", "low", "high", "mode", "median", "sigma", "mean", "sd")
#: the distributions whose tails the field's range truncates (the others must lie inside it)
TRUNCATED = ("lognormal", "normal")
#: stream of the draws (simlib.core.rng.STREAMS)
STREAM = "assumptions"
#: most uncertain assumptions per scenario (each is a regressor of the exact spread decomposition,
#: simlib.analysis.spread, which fits all 2^k subsets)
ASSUMPTIONS_MAX = 24


class JointPath(Strict):
    """A further number moved with an assumption's draw: its file value × r^``power`` (r: the
    multiplier of a ``scale`` entry, else the drawn value ÷ the file's value at the entry's path)."""

    path: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_*]+(\.[A-Za-z0-9_*]+)*$",
                               description="Dotted path of the number(s) moved with the draw.")]
    power: Annotated[float, Field(ge=-10.0, le=10.0, description="Exponent of the ratio r (1: in proportion).")] = 1.0


class UncertainAssumption(Strict):
    """One uncertain assumption: the number(s) at ``path`` are drawn from ``distribution`` once per
    replication, the same value for every strategy."""

    path: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_*]+(\.[A-Za-z0-9_*]+)*$",
                               description="Dotted path of the number(s), `*` for every entry of a "
                                           "mapping (e.g. `strategies.*.deposit.compliance_rate`).")]
    label: Annotated[str, Field(min_length=1, max_length=80,
                                description="The assumption in the board's words (report table).")]
    source: Annotated[str, Field(min_length=1, max_length=300,
                                 description="Where the range comes from: a reference, or "
                                             "\"assumption: no published figure\".")]
    distribution: Literal["beta", "uniform", "triangular", "lognormal", "normal"] = Field(
        description="beta {a, b, optional low, high}, uniform {low, high}, triangular {low, mode, high}, "
                    "lognormal {median, sigma}, normal {mean, sd}.")
    a: Positive | None = Field(None, description="beta: first shape parameter.")
    b: Positive | None = Field(None, description="beta: second shape parameter.")
    low: float | None = Field(None, description="Lowest value (beta: default 0; uniform, triangular).")
    high: float | None = Field(None, description="Highest value (beta: default 1; uniform, triangular).")
    mode: float | None = Field(None, description="triangular: the most likely value.")
    median: Positive | None = Field(None, description="lognormal: the median.")
    sigma: Annotated[float, Field(ge=0.0, le=LOG_SD_MAX)] | None = Field(
        None, description="lognormal: sd of the log (0: fixed at the median).")
    mean: float | None = Field(None, description="normal: the mean (before truncation).")
    sd: NonNeg | None = Field(None, description="normal: the standard deviation (0: fixed at the mean).")
    scale: bool = Field(False, description="The draw multiplies every number at `path` (which may "
                                           "then differ) instead of replacing it.")
    joint: Annotated[list[JointPath], Field(max_length=8)] = Field(
        default_factory=list, description="Further numbers moved with the draw: file value × r^power.")

    #: the field's allowed range (lo, hi), set when the scenario is validated; truncates normal and
    #: lognormal tails
    _bounds: tuple[float, float] = PrivateAttr(default=(-math.inf, math.inf))

    @model_validator(mode="after")
    def _parameters(self) -> "UncertainAssumption":
        required, optional = DISTRIBUTIONS[self.distribution]
        given = [p for p in PARAMETERS if getattr(self, p) is not None]
        missing = [p for p in required if p not in given]
        foreign = [p for p in given if p not in required + optional]
        takes = ", ".join(required) + (f" (optional {', '.join(optional)})" if optional else "")
        if missing or foreign:
            found = f"missing {', '.join(missing)}" if missing else f"found {', '.join(foreign)}"
            raise ValueError(f"expected the parameters of {self.distribution}: {takes}; {found}")
        lo, hi = self.support()
        if self.distribution == "beta" and not lo < hi:
            raise ValueError(f"beta: expected low < high; found low {lo:g}, high {hi:g}")
        if self.distribution == "uniform" and not lo <= hi:
            raise ValueError(f"uniform: expected low <= high; found low {lo:g}, high {hi:g}")
        if self.distribution == "triangular" and not lo <= self.mode <= hi:
            raise ValueError(f"triangular: expected low <= mode <= high; found {lo:g}, {self.mode:g}, {hi:g}")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> dict:
        """Parameters the distribution does not take (None) are left out of the dump."""
        out = {k: v for k, v in handler(self).items() if not (k in PARAMETERS and v is None)}
        if not out.get("scale"):
            out.pop("scale", None)
        if not out.get("joint"):
            out.pop("joint", None)
        return out

    def support(self) -> tuple[float, float]:
        """The distribution's own range before truncation (infinite ends for normal, lognormal)."""
        if self.distribution == "beta":
            return (0.0 if self.low is None else self.low, 1.0 if self.high is None else self.high)
        if self.distribution in ("uniform", "triangular"):
            return (self.low, self.high)
        if self.distribution == "lognormal":
            return (0.0, math.inf) if self.sigma > 0 else (self.median, self.median)
        return (-math.inf, math.inf) if self.sd > 0 else (self.mean, self.mean)

    @property
    def bounds(self) -> tuple[float, float]:
        """The field's allowed range, as the scenario's validation found it."""
        return self._bounds

    @property
    def truncated(self) -> bool:
        """Whether the field's allowed range truncates the distribution (normal, lognormal)."""
        return self.distribution in TRUNCATED

    def quantile(self, q):
        """:func:`quantile` of this assumption."""
        return quantile(self, q)


# --------------------------------------------------------------------------- quantiles
def _scipy(entry: UncertainAssumption):
    """The scipy.stats frozen distribution of ``entry``, or None when it is a fixed value."""
    lo, hi = entry.support()
    if lo == hi:
        return None
    return _frozen(entry.distribution, lo, hi, *(getattr(entry, k, None) for k in _SHAPE))


_SHAPE = ("a", "b", "mode", "sigma", "median", "mean", "sd")


@functools.lru_cache(maxsize=4096)
def _frozen(d: str, lo: float, hi: float, a, b, mode, sigma, median, mean, sd):
    """The frozen distribution of these parameters, made once: making one costs about a millisecond
    (scipy writes its docstring), and every validation of a scenario's copy (each setting of a
    sensitivity sweep, stop 37) asks for the same ones again. The same object, the same numbers."""
    if d == "beta":
        return stats.beta(a, b, loc=lo, scale=hi - lo)
    if d == "uniform":
        return stats.uniform(loc=lo, scale=hi - lo)
    if d == "triangular":
        return stats.triang((mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    if d == "lognormal":
        return stats.lognorm(sigma, scale=median)
    return stats.norm(loc=mean, scale=sd)


def quantile(entry: UncertainAssumption, q):
    """The ``q`` quantile (scalar or array) of ``entry``'s distribution; normal and lognormal are
    truncated to the field's allowed range: ``F⁻¹(F(lo) + q (F(hi) − F(lo)))``."""
    dist = _scipy(entry)
    q = np.asarray(q, dtype=float)
    if dist is None:
        out = np.full(q.shape, entry.support()[0])
    else:
        lo, hi = entry.bounds if entry.truncated else (-math.inf, math.inf)
        f_lo, f_hi = dist.cdf(lo), dist.cdf(hi)
        out = dist.ppf(f_lo + q * (f_hi - f_lo)) if (f_lo > 0.0 or f_hi < 1.0) else dist.ppf(q)
        out = np.clip(out, *entry.bounds)
    return float(out) if out.ndim == 0 else out


def central_value(entry: UncertainAssumption) -> float:
    """The median of ``entry``'s (truncated) distribution: the value it is centred on."""
    return quantile(entry, 0.5)


# --------------------------------------------------------------------------- setting and drawing
def set_parameter(scenario, path: str, value: float):
    """A re-validated copy of ``scenario`` with every number at ``path`` fixed at ``value``
    (:class:`~simlib.core.settings.ScenarioError`, one line, when the value is refused). An uncertain
    assumption that draws any of those numbers is dropped, so the runs use ``value`` (a flip-point
    search or a sweep moves an uncertain assumption this way); its other numbers keep the file's."""
    data = scenario.model_dump()
    try:
        concrete = {p for p, _ in matches(data, path)[0]}
        apply(data, path, lambda _old: value)
    except ParameterPathError as exc:
        raise ScenarioError(f"scenario {scenario.name}", [str(exc)]) from None
    data["uncertain"] = [e for e, entry in zip(data.get("uncertain", []), getattr(scenario, "uncertain", []))
                         if not concrete & drawn_numbers(data, entry)]
    return _revalidated(scenario, data, f"{path} = {value:g}")


def drawn_numbers(data: dict, entry: UncertainAssumption) -> set[str]:
    """The concrete paths of every number ``entry`` moves in ``data`` (its path and its joint paths)."""
    out = {p for p, _ in matches(data, entry.path)[0]}
    for j in entry.joint:
        out |= {p for p, _ in matches(data, j.path)[0]}
    return out


def apply_draw(data: dict, entry: UncertainAssumption, value: float) -> None:
    """Set the numbers ``entry`` moves in ``data`` (the file's values, changed in place) for the drawn
    ``value``: replaced by it (or multiplied, ``scale``), and each joint number × r^power."""
    if entry.scale:
        ratio = value
        apply(data, entry.path, lambda old: old * value)
    else:
        found = matches(data, entry.path)[0]
        ratio = value / found[0][1] if entry.joint else 1.0  # the checks refuse a joint on a zero
        apply(data, entry.path, lambda _old: value)
    for j in entry.joint:
        if matches(data, j.path)[0]:
            apply(data, j.path, lambda old, p=j.power: old * ratio ** p)


def _revalidated(scenario, data: dict, what: str):
    try:
        out = type(scenario).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ScenarioError(f"scenario {scenario.name}", [
            f"{what}: refused ({loc + ': ' if loc else ''}{first['msg'].removeprefix('Value error, ')})"]) from None
    problems = value_problems(out)
    if problems:
        raise ScenarioError(f"scenario {scenario.name}", [f"{what}: refused ({problems[0]})"])
    return out


def _uniform(seed: int, replication: int, path: str) -> float:
    return float(keyed_stream(seed, replication, STREAM, stream_key(path)).random())


def draw_assumptions(scenario, replication: int, seed: int) -> tuple[Any, dict[str, float]]:
    """The scenario of replication ``replication`` with every active uncertain assumption drawn
    (its ``uncertain`` section emptied: the drawn world is certain), and ``{path: value}``.

    Without assumptions the scenario itself is returned, unchanged."""
    entries = list(getattr(scenario, "uncertain", ()) or ())
    if not entries:
        return scenario, {}
    data = scenario.model_dump()
    drawn: dict[str, float] = {}
    for entry in entries:
        try:
            _, inactive = matches(data, entry.path)
        except ParameterPathError as exc:
            raise ScenarioError(f"scenario {scenario.name}", [f"uncertain {entry.path}: {exc}"]) from None
        if inactive:
            continue
        value = quantile(entry, _uniform(seed, replication, entry.path))
        apply_draw(data, entry, value)
        drawn[entry.path] = value
    data["uncertain"] = []
    what = "uncertain " + ", ".join(f"{p} = {v:g}" for p, v in drawn.items())
    return _revalidated(scenario, data, what), drawn


#: The type of the scenario's ``uncertain:`` field (declared after every section it refers to).
Uncertain = Annotated[list[UncertainAssumption], Field(max_length=ASSUMPTIONS_MAX),
                      AfterValidator(check_against_scenario)]
