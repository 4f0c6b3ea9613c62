"""Where the spread of a paired gain comes from: the uncertain assumptions or chance in the patients.

Every replication draws new patients *and* new values of the uncertain assumptions
(:mod:`simlib.scenario.uncertain`), so the gain of the recommended strategy over the runner-up varies
from run to run for both reasons. :func:`spread_sources` splits the variance of that paired gain
(on the decision metric) by a linear regression of the gain on the drawn values:

* the part the assumptions explain is the regression's **adjusted R²** (clipped to 0–1): the
  in-sample R² shrunk for the number of assumptions fitted, ``1 − (1 − R²)(n − 1)/(n − k − 1)``
  (with 20 runs and 6 assumptions an unrelated set of values would already reach R² ≈ 0.3);
* each assumption's share is its **Shapley value** of R² (the LMG decomposition of Lindeman,
  Merenda & Gold 1980; Grömping 2006, *J. Stat. Software* 17(1)): its gain in R² when added to a
  regression, averaged over every order in which the assumptions can be added (exact, over all
  2^k subsets, least squares by :func:`numpy.linalg.lstsq`, for up to ``EXACT_MAX`` assumptions;
  beyond, averaged over ``PERMUTATIONS`` random orders drawn with a fixed seed — each order's
  increments sum to R² exactly, so the shares still do, and the same table gives the same
  shares). The shares are non-negative and sum to R²; they are scaled by adjusted R² ÷ R² so that
  they sum to the explained part;
* the rest is **chance**: which patients arrive and how they pay (with nonlinear effects of the
  assumptions, which a linear fit does not capture).

Assumptions that did not vary (zero width, or inactive for these strategies) are left out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simlib.analysis.decision import decision_metric

METHOD = ("linear regression of the paired gain on the drawn values; explained part = adjusted R²; "
          "each assumption's share = its Shapley (LMG) share of R², scaled to the explained part")

def paired_gain(metrics: pd.DataFrame, strategy: str, other: str, metric: str) -> pd.Series:
    """``strategy − other`` on ``metric``, replication by replication (index: replication)."""
    wide = metrics[metrics["metric"] == metric].pivot(index="replication", columns="strategy", values="value")
    for s in (strategy, other):
        if s not in wide.columns:
            raise ValueError(f"strategy {s!r} has no {metric!r} values")
    return (wide[strategy] - wide[other]).dropna()


@dataclass
class SpreadSources:
    """The split of the variance of the paired gain ``strategy − runner_up`` on ``metric``."""

    strategy: str
    runner_up: str
    metric: str
    runs: int
    gain_mean: float
    gain_sd: float
    r_squared: float           # in-sample R² of the regression (nan when it cannot be fitted)
    explained_share: float     # adjusted R², clipped to [0, 1]: the assumptions' part
    shares: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # by path, sum = explained
    labels: dict = field(default_factory=dict)   # path -> label
    method: str = METHOD

    @property
    def chance_share(self) -> float:
        """The part of chance in the patients (1 − explained)."""
        return 1.0 - self.explained_share if math.isfinite(self.explained_share) else math.nan

    def table(self) -> pd.DataFrame:
        """One row per assumption, largest share first: path, label, share."""
        out = pd.DataFrame({"path": self.shares.index, "label": [self.labels.get(p, p) for p in self.shares.index],
                            "share": self.shares.to_numpy()})
        return out.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)


def _r_squared(x: np.ndarray, y: np.ndarray, sst: float) -> float:
    a = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ coef
    return max(0.0, 1.0 - float(resid @ resid) / sst)


#: most assumptions for the exact decomposition over all 2^k subsets
EXACT_MAX = 12
#: random orders of the sampled decomposition beyond EXACT_MAX, and their seed
PERMUTATIONS = 2000
PERMUTATION_SEED = 20261207


def sampled_shapley_r_squared(x: np.ndarray, y: np.ndarray, sst: float,
                              permutations: int = PERMUTATIONS) -> tuple[float, np.ndarray]:
    """(R², Shapley shares) averaged over ``permutations`` random orders of the columns (seeded:
    the same table gives the same shares); each order's increments sum to R², so the shares do."""
    k = x.shape[1]
    rng = np.random.default_rng(PERMUTATION_SEED)
    cache: dict[int, float] = {0: 0.0}

    def r2(mask: int) -> float:
        if mask not in cache:
            cache[mask] = _r_squared(x[:, [j for j in range(k) if mask >> j & 1]], y, sst)
        return cache[mask]

    shares = np.zeros(k)
    for _ in range(permutations):
        mask = 0
        for j in rng.permutation(k):
            before = r2(mask)
            mask |= 1 << int(j)
            shares[j] += r2(mask) - before
    return r2((1 << k) - 1), shares / permutations


def shapley_r_squared(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(R² of ``y`` on every column of ``x``, each column's Shapley share of it), exact over all
    subsets of columns (LMG) up to ``EXACT_MAX`` columns, sampled over random orders beyond.
    ``x`` is runs × assumptions."""
    n, k = x.shape
    yc = y - y.mean()
    sst = float(yc @ yc)
    if sst == 0.0:
        return math.nan, np.full(k, math.nan)
    if k > EXACT_MAX:
        return sampled_shapley_r_squared(x, y, sst)
    r2 = np.zeros(1 << k)
    for mask in range(1, 1 << k):
        cols = [j for j in range(k) if mask >> j & 1]
        r2[mask] = _r_squared(x[:, cols], y, sst)
    weight = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    shares = np.zeros(k)
    for mask in range(1 << k):
        size = bin(mask).count("1")
        for j in range(k):
            if not mask >> j & 1:
                shares[j] += weight[size] * (r2[mask | 1 << j] - r2[mask])
    return float(r2[-1]), shares


def spread_sources(results, strategy: str, runner_up_strategy: str, metric: str | None = None) -> SpreadSources:
    """Split the variance of the paired gain ``strategy − runner_up_strategy`` over the runs of
    ``results`` (its ``metrics`` and ``assumptions`` tables) into the uncertain assumptions' part
    and chance (module docstring). ``metric`` defaults to :func:`decision_metric`."""
    metrics = results.metrics
    metric = metric or decision_metric(metrics)
    gain = paired_gain(metrics, strategy, runner_up_strategy, metric)
    drawn = getattr(results, "assumptions", None)
    if drawn is None or drawn.empty:
        values = pd.DataFrame(index=gain.index)
        labels = {}
    else:
        values = drawn.pivot(index="replication", columns="path", values="value").reindex(gain.index)
        labels = dict(zip(drawn["path"], drawn["label"]))
        values = values.loc[:, values.nunique(dropna=True) > 1]  # assumptions that did not vary say nothing
    n, k = len(gain), values.shape[1]
    base = dict(strategy=strategy, runner_up=runner_up_strategy, metric=metric, runs=n,
                gain_mean=float(gain.mean()), gain_sd=float(gain.std(ddof=1)) if n > 1 else math.nan,
                labels=labels)
    if k == 0:
        return SpreadSources(r_squared=0.0, explained_share=0.0, **base)
    if n <= k + 1 or not np.isfinite(values.to_numpy()).all():
        return SpreadSources(r_squared=math.nan, explained_share=math.nan,
                             shares=pd.Series(math.nan, index=values.columns), **base)
    x = values.to_numpy(dtype=float)
    r2, lmg = shapley_r_squared((x - x.mean(axis=0)) / x.std(axis=0), gain.to_numpy(dtype=float))
    if not math.isfinite(r2):  # the gain did not vary at all
        return SpreadSources(r_squared=math.nan, explained_share=math.nan,
                             shares=pd.Series(math.nan, index=values.columns), **base)
    adjusted = min(1.0, max(0.0, 1.0 - (1.0 - r2) * (n - 1) / (n - k - 1)))
    scale = adjusted / r2 if r2 > 0 else 0.0
    return SpreadSources(r_squared=r2, explained_share=adjusted,
                         shares=pd.Series(lmg * scale, index=values.columns), **base)
