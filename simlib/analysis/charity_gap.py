"""Charity care against bad debt: the status quo's ratio beside the published one (issue 25, item 3).

The model books every patient dollar it does not collect as charity care (a 501(r) financial
assistance adjustment), bad debt (written off, or still open at the horizon) or a billing
correction. Real hospitals book less charity against their bad debt: the AHA/HARA figures of
Q4 2013 give 2.06 % (charity) ÷ 3.26 % (bad debt) of gross revenue ≈ 0.63
(../shared/reference/domain-research.md §1.1). Both are at charges there, and the AHA turns
both into costs with the same cost-to-charge ratio, so the ratio is the same on either basis
and can be compared with the model's (both at the patient's liability) as it is.

:func:`charity_gap` measures the gap on a results table instead of hiding it: the mean over the
runs of each run's ratio, its 95 % t-interval, whether the interval holds the published ratio,
and what would close it at the strategy's own bad debt — how much of the charity (as a share of
net patient revenue) would have to be booked as something that is neither charity nor bad debt
(uninsured discounts, small-balance and administrative adjustments: docs/calibration.md §10) or
be collected; and the patient collection rate on both definitions, the model's (net of charity
care) and Kodiak's (of everything patients owed), since the published collection rate is Kodiak's.
The board page says it in words (:mod:`simlib.report.plausibility_blocks`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from simlib.core.language import N_

#: charity care ÷ bad debt published by AHA/HARA for Q4 2013 (2.06 % ÷ 3.26 % of gross revenue)
PUBLISHED_RATIO = 2.06 / 3.26
PUBLISHED_SOURCE = N_("AHA/HARA, fourth quarter of 2013: charity care 2.06 % and bad debt 3.26 % of gross revenue")


@dataclass(frozen=True)
class CharityGap:
    """One strategy's charity care ÷ bad debt against the published ratio.

    ``ratio``: mean over the runs of each run's charity ÷ bad debt (both shares of net patient
    revenue, so the shares' common denominator cancels), with its 95 % t-interval
    ``ratio_low``–``ratio_high`` (NaN with one run); ``charity_share`` and ``bad_debt_share``:
    the runs' mean shares of net patient revenue; ``met``: the interval holds ``published``
    (``None`` with one run: no interval);
    ``charity_at_published``: the charity share the published ratio gives at this bad debt
    (``published × bad_debt_share``); ``excess_charity``: ``charity_share −
    charity_at_published``, the share of net patient revenue that would have to leave charity for
    an adjustment that is neither charity nor bad debt (or be collected) to meet the ratio at this
    bad debt (negative: charity is short of it). ``collection_rate`` and
    ``responsibility_collection_rate``: the runs' mean patient collection rate, net of charity care
    (the model's) and of everything patients owed (Kodiak's definition), when the table has them."""

    strategy: str
    runs: int
    ratio: float
    ratio_low: float
    ratio_high: float
    charity_share: float
    bad_debt_share: float
    published: float
    met: bool | None
    charity_at_published: float
    excess_charity: float
    collection_rate: float | None = None
    responsibility_collection_rate: float | None = None


def charity_gap(metrics: pd.DataFrame, strategy: str, confidence: float = 0.95,
                published: float = PUBLISHED_RATIO) -> CharityGap | None:
    """The gap of ``strategy`` in a long metrics table (columns replication, strategy, metric,
    value), or ``None`` when that strategy has no charity care or no bad debt in some run (no
    financial assistance policy, or nothing written off: there is no ratio to compare)."""
    rates = ("patient_collection_rate", "patient_responsibility_collection_rate")
    rows = metrics[(metrics["strategy"] == strategy)
                   & metrics["metric"].isin(["charity_care_share", "bad_debt_rate", *rates])]
    wide = rows.pivot_table(index="replication", columns="metric", values="value", aggfunc="first")
    if wide.empty or not {"charity_care_share", "bad_debt_rate"} <= set(wide.columns):
        return None
    charity, bad_debt = wide["charity_care_share"].astype(float), wide["bad_debt_rate"].astype(float)
    if not ((charity > 0) & (bad_debt > 0)).all():
        return None
    ratios = charity / bad_debt
    n, mean = len(ratios), float(ratios.mean())
    half = (float(stats.t.ppf((1 + confidence) / 2, n - 1) * ratios.std(ddof=1) / math.sqrt(n))
            if n > 1 else math.nan)
    low, high = mean - half, mean + half
    charity_share, bad_debt_share = float(charity.mean()), float(bad_debt.mean())
    at_published = published * bad_debt_share
    mean_of = {r: float(wide[r].mean()) if r in wide.columns else None for r in rates}
    return CharityGap(strategy=strategy, runs=n, ratio=mean, ratio_low=low, ratio_high=high,
                      charity_share=charity_share, bad_debt_share=bad_debt_share, published=published,
                      met=bool(low <= published <= high) if n > 1 else None, charity_at_published=at_published,
                      excess_charity=charity_share - at_published,
                      collection_rate=mean_of["patient_collection_rate"],
                      responsibility_collection_rate=mean_of["patient_responsibility_collection_rate"])


__all__ = ["CharityGap", "PUBLISHED_RATIO", "PUBLISHED_SOURCE", "charity_gap"]
