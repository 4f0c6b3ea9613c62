"""The final selection among the finalists, at full fidelity, on fresh runs: the fully
sequential indifference-zone procedure of Kim & Nelson (2001, ACM TOMACS 11:251–273), and
Bonferroni-corrected paired confidence intervals for the comparisons the report shows.

**Kim–Nelson (KN).** Every contender is simulated on the same ``n0`` runs (common random
numbers; the scenario's replications). With ``k`` contenders, confidence 1 − α and indifference
zone δ (``search.indifference``), let η = ½[(2α/(k−1))^(−2/(n0−1)) − 1], h² = 2η(n0 − 1) and
S²_il the sample variance of the paired differences X_i − X_l over the first ``n0`` runs. After
r runs, contender i is eliminated when its mean is below some other survivor l's by more than
W_il(r) = max(0, δ/(2r) · (h² S²_il / δ² − r)). More runs are added to the survivors until one
is left, or until r = N + 1 with N = max ⌊h² S²_il / δ²⌋, when the largest mean is selected.
Then P(the best is selected) ≥ 1 − α whenever the best contender's mean exceeds every other's by
at least δ (normal outputs; KN, Theorem 1). Runs are added ``batch`` at a time and eliminations
checked after each batch: checking the boundary at fewer stages can only make a wrong
elimination less likely, so the guarantee holds. If the procedure would need more than
``max_runs`` runs it stops there, selects the largest mean and says that the guarantee does not
hold (``guaranteed`` False).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats


@dataclass
class Selection:
    """The outcome of :func:`kim_nelson`."""

    selected: str
    confidence: float
    indifference: float
    first_stage: int
    h2: float
    guaranteed: bool
    runs: dict[str, int] = field(default_factory=dict)
    eliminated_at: dict[str, int] = field(default_factory=dict)
    means: dict[str, float] = field(default_factory=dict)
    max_runs_needed: int = 0

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("selected", "confidence", "indifference", "first_stage", "h2",
                                              "guaranteed", "runs", "eliminated_at", "means", "max_runs_needed")}


def kn_constants(k: int, n0: int, confidence: float) -> float:
    """h² of the KN procedure (c = 1) for ``k`` contenders, ``n0`` first-stage runs."""
    alpha = 1.0 - confidence
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def kim_nelson(first: dict[str, np.ndarray], more: Callable[[list[str], int, int], dict[str, np.ndarray]],
               indifference: float, confidence: float = 0.95, batch: int = 5,
               max_runs: int = 100) -> Selection:
    """Select the contender with the largest mean (contenders in ``first``: name → its values on
    runs 0 … n0−1, the same runs for all). ``more(names, start, stop)`` returns the values of runs
    start … stop−1 for the named survivors. Ties go to the contender listed first."""
    names = list(first)
    n0 = len(next(iter(first.values())))
    values = {n: list(map(float, first[n])) for n in names}
    if len(names) == 1:
        return Selection(names[0], confidence, indifference, n0, 0.0, True, {names[0]: n0}, {},
                         {names[0]: float(np.mean(values[names[0]]))}, n0)
    if n0 < 2:
        raise ValueError("the Kim–Nelson procedure needs at least 2 first-stage runs")
    h2 = kn_constants(len(names), n0, confidence)
    s2 = {(i, j): float(np.var(np.subtract(values[i][:n0], values[j][:n0]), ddof=1))
          for i in names for j in names if i != j}
    needed = max(math.floor(h2 * v / indifference ** 2) for v in s2.values())
    alive, r, eliminated = list(names), n0, {}

    def mean(n: str) -> float:
        return float(np.mean(values[n][:r]))

    def margin(i: str, j: str) -> float:
        return max(0.0, indifference / (2.0 * r) * (h2 * s2[(i, j)] / indifference ** 2 - r))

    guaranteed = True
    while True:
        if r >= needed + 1:  # KN's last stage (or n0 > N): the largest mean
            break
        survivors = [i for i in alive if all(mean(i) >= mean(j) - margin(i, j) for j in alive if j != i)]
        eliminated.update({i: r for i in alive if i not in survivors})
        alive = survivors
        if len(alive) == 1:
            break
        if r >= max_runs:
            guaranteed = False
            break
        stop = min(r + batch, needed + 1, max_runs)
        extra = more(list(alive), r, stop)
        for n in alive:
            values[n].extend(map(float, extra[n]))
        r = stop
    best = max(alive, key=lambda n: (mean(n), -names.index(n)))
    return Selection(best, confidence, indifference, n0, h2, guaranteed,
                     {n: len(values[n]) for n in names}, eliminated,
                     {n: float(np.mean(values[n])) for n in names}, needed + 1)


@dataclass(frozen=True)
class PairedInterval:
    """Mean of x − y over common runs and its two-sided interval (Bonferroni over ``comparisons``)."""

    mean: float
    low: float
    high: float
    runs: int
    confidence: float
    comparisons: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_interval(x, y, confidence: float = 0.95, comparisons: int = 1) -> PairedInterval:
    """Paired t interval of mean(x − y) on the runs both have, at family-wise ``confidence`` over
    ``comparisons`` intervals (Bonferroni: each at 1 − α / comparisons)."""
    n = min(len(x), len(y))
    d = np.subtract(np.asarray(x, float)[:n], np.asarray(y, float)[:n])
    m = float(d.mean()) if n else math.nan
    if n < 2:
        return PairedInterval(m, math.nan, math.nan, n, confidence, comparisons)
    alpha = (1.0 - confidence) / comparisons
    half = float(stats.t.ppf(1.0 - alpha / 2.0, n - 1) * d.std(ddof=1) / math.sqrt(n))
    return PairedInterval(m, m - half, m + half, n, confidence, comparisons)
