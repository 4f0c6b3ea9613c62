"""Liquidity: a minimum cash level, the credit line that defends it, and what the line costs.

A scenario may state ``finance.minimum_cash`` (the floor) and ``finance.credit_line``
(:class:`CreditLine`: a limit and an annual rate). Without a floor nothing here runs and every
result is as before. With one, each strategy's cash position (starting cash − cost of care + net
collections, as for the lowest cash position in :mod:`simlib.model.metrics`) is read at the end of each
whole day, and the line is drawn to keep it at the floor. The convention (docs/model.md
"Liquidity"):

- day ``k`` = 1, 2, …, ⌈horizon⌉ ends at time ``k``; its cash ``c_k`` counts every flow at a time
  ≤ ``k`` (the metrics pass only the flows of the measurement window,
  :mod:`simlib.model.measurement_window`: a warm-up's, and an open book's care, are not in it);
- drawn balance ``b_k = max(0, floor − c_k)``: drawn as soon as cash ends a day below the floor,
  repaid as soon as it ends a day above it (intra-day dips are not funded);
- interest ``i_k = b_k × annual_rate ÷ 365``: simple daily interest on the day's end balance,
  counted as a cost and not added to the balance (no interest on interest; its effect would be
  of the order of the rate times the interest); no interest after the horizon;
- its present value discounts ``i_k`` by ``exp(−r k)``, ``r = ln(1 + cost_of_capital) ÷ 365``, the
  discounting of ``npv_net_cash``;
- a strategy is *short beyond the line* in a run when ``max b_k`` exceeds the limit (with no line,
  when cash ends any day below the floor). The interest is still that of the whole shortfall (what
  a line large enough would cost), so the numbers stay comparable; a strategy short beyond the line
  in more than :data:`INFEASIBLE_SHARE_MAX` of the runs cannot be recommended.

The interest is linear in the rate, so the present value of the interest per percentage point of
annual rate (``credit_cost_per_rate_point``) turns any rate into its cost, and the rate at which
two strategies cost the same has a closed form (:func:`break_even_rate`). The peak drawn balance
is ``floor − min c_k``, one for one in the floor, so the smallest line and the highest floor a
strategy can live with are closed forms too (:func:`credit_needed`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simlib.core.settings import Fraction, NonNeg, Strict

DAYS_PER_YEAR = 365.0
#: A strategy short of cash beyond its credit line in more than this share of runs is infeasible.
INFEASIBLE_SHARE_MAX = 0.05
RATE_POINT = 0.01  # one percentage point of annual rate

#: The metrics a scenario with a cash floor adds (simlib.core.metric_catalogue has their labels).
METRIC_NAMES = ("credit_drawn_peak", "credit_interest", "credit_cost_per_rate_point",
                "npv_after_liquidity", "liquidity_infeasible")


class CreditLine(Strict):
    """A revolving line of credit that funds cash below ``finance.minimum_cash``: at most
    ``limit`` drawn, simple interest at ``annual_rate`` a year on the balance drawn each day."""

    limit: NonNeg
    annual_rate: Fraction


def finance_problems(minimum_cash: float | None, credit_line: CreditLine | None) -> list[str]:
    """The cross-field problems of the liquidity settings (one line each)."""
    if credit_line is not None and minimum_cash is None:
        return ["credit_line funds cash below a floor: expected minimum_cash as well (0: cash may "
                "not go below zero); found a credit_line and no minimum_cash"]
    return []


def daily_discount_rate(cost_of_capital_annual: float) -> float:
    """The continuous daily rate of the NPV: ``ln(1 + cost_of_capital) ÷ 365``."""
    return float(np.log1p(cost_of_capital_annual) / DAYS_PER_YEAR)


def end_of_day_cash_cents(sorted_day: np.ndarray, cumulative_cents: np.ndarray, starting_cents: float,
                          horizon_days: float) -> tuple[np.ndarray, np.ndarray]:
    """(days 1…⌈horizon⌉, cash at each day's end in cents) from the flows sorted by time:
    ``cumulative_cents[j]`` is the sum of the first ``j`` flows (``cumulative_cents[0] = 0``)."""
    days = np.arange(1, int(math.ceil(horizon_days)) + 1, dtype=float)
    upto = np.searchsorted(sorted_day, days, side="right")
    return days, starting_cents + np.asarray(cumulative_cents, dtype=float)[upto]


@dataclass(frozen=True)
class CreditLedger:
    """The line, day by day: cash at the day's end, balance drawn, interest and its discount factor."""

    day: np.ndarray
    cash_cents: np.ndarray
    drawn_cents: np.ndarray
    interest_cents: np.ndarray
    discount: np.ndarray
    limit_cents: float
    annual_rate: float

    @property
    def peak_drawn_cents(self) -> float:
        return float(self.drawn_cents.max(initial=0.0))

    @property
    def interest_total_cents(self) -> float:
        return float(self.interest_cents.sum())

    @property
    def interest_present_value_cents(self) -> float:
        return float((self.interest_cents * self.discount).sum())

    @property
    def present_value_per_rate_point_cents(self) -> float:
        """Present value of the interest the same balances would cost at one point (1 %) a year."""
        return float((self.drawn_cents * self.discount).sum() * RATE_POINT / DAYS_PER_YEAR)

    @property
    def infeasible(self) -> bool:
        return self.peak_drawn_cents > self.limit_cents


def credit_ledger(day: np.ndarray, cash_cents: np.ndarray, minimum_cash: float,
                  credit_line: CreditLine | None, cost_of_capital_annual: float) -> CreditLedger:
    """The credit line's ledger for end-of-day cash ``cash_cents`` on days ``day`` (module docstring)."""
    day = np.asarray(day, dtype=float)
    drawn = np.maximum(0.0, minimum_cash * 100.0 - np.asarray(cash_cents, dtype=float))
    rate = credit_line.annual_rate if credit_line is not None else 0.0
    limit = credit_line.limit * 100.0 if credit_line is not None else 0.0
    return CreditLedger(day=day, cash_cents=np.asarray(cash_cents, dtype=float), drawn_cents=drawn,
                        interest_cents=drawn * rate / DAYS_PER_YEAR,
                        discount=np.exp(-daily_discount_rate(cost_of_capital_annual) * day),
                        limit_cents=limit, annual_rate=rate)


def liquidity_metrics(ledger: CreditLedger, npv_net_cash: float) -> dict[str, float]:
    """The metrics of :data:`METRIC_NAMES` for one replication × strategy (dollars; interest
    rounded to the cent)."""
    return {
        "credit_drawn_peak": ledger.peak_drawn_cents / 100.0,
        "credit_interest": float(np.round(ledger.interest_total_cents)) / 100.0,
        "credit_cost_per_rate_point": ledger.present_value_per_rate_point_cents / 100.0,
        "npv_after_liquidity": npv_net_cash - ledger.interest_present_value_cents / 100.0,
        "liquidity_infeasible": 1.0 if ledger.infeasible else 0.0,
    }


# --------------------------------------------------------------------------- closed forms
def break_even_rate(npv_gap: float, cost_per_rate_point_saved: float) -> float | None:
    """The annual borrowing rate at which an alternative (a factoring offer) and the status quo
    have the same NPV after the line's interest.

    ``npv_gap`` = NPV(status quo) − NPV(alternative) before interest (what the alternative costs);
    ``cost_per_rate_point_saved`` = the status quo's present value of interest per point of rate
    minus the alternative's (the borrowing it avoids). Both NPVs fall linearly with the rate, so
    they meet at ``RATE_POINT × gap ÷ saved``. 0.0 when the alternative is worth as much at any
    rate (gap ≤ 0); None when it never is (it saves no borrowing and costs more).
    """
    if npv_gap <= 0:
        return 0.0
    if cost_per_rate_point_saved <= 0:
        return None
    return RATE_POINT * npv_gap / cost_per_rate_point_saved


def credit_needed(peak_drawn: Any, share_max: float = INFEASIBLE_SHARE_MAX) -> float:
    """The smallest credit limit with which a strategy is short beyond its line in at most
    ``share_max`` of the runs, from its peak drawn balance in each run."""
    peaks = np.sort(np.asarray(peak_drawn, dtype=float))[::-1]
    if peaks.size == 0:
        raise ValueError("no runs: expected at least one peak drawn balance")
    allowed = int(math.floor(share_max * peaks.size + 1e-9))  # runs that may exceed the limit
    return float(max(peaks[allowed], 0.0)) if allowed < peaks.size else 0.0


def infeasible_share(values: Any) -> float:
    """Share of runs short of cash beyond the credit line (mean of the 0/1 metric)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()) if arr.size else 0.0


def is_infeasible(share: float) -> bool:
    return share > INFEASIBLE_SHARE_MAX + 1e-12


# --------------------------------------------------------------------------- factoring or borrowing
@dataclass(frozen=True)
class BorrowingComparison:
    """Factoring offers against funding the status quo's shortfall from the credit line.

    ``status_quo``: its mean lowest cash position, the line it needs (:func:`credit_needed`),
    its share of runs short beyond the line, its interest and the present value of that interest,
    and ``floor_break_even`` — the cash floor above which it is short beyond the line (None
    without a line or when it never draws). ``offers``: one row per offer, from paired means over
    the runs — ``npv_cost`` (NPV of the status quo − the offer's, before interest),
    ``interest_saved`` (present value of the status quo's interest the offer avoids, at the
    line's rate), ``advantage`` (the offer's NPV after interest − the status quo's),
    ``break_even_rate`` (NaN: no rate makes the offer worth as much), ``credit_needed`` and
    ``infeasible_share`` of the offer.
    """

    status_quo: dict
    offers: Any  # pandas.DataFrame indexed by strategy


def compare_with_borrowing(metrics: Any, baseline: str, offers: list[str], minimum_cash: float,
                           credit_line: CreditLine | None) -> BorrowingComparison:
    """:class:`BorrowingComparison` from a tidy metrics table that carries :data:`METRIC_NAMES`."""
    import pandas as pd

    wanted = ("npv_net_cash", "cash_trough", *METRIC_NAMES)
    rows = metrics[metrics["metric"].isin(wanted) & metrics["strategy"].isin([baseline, *offers])]
    missing = [m for m in ("npv_net_cash", *METRIC_NAMES) if m not in set(rows["metric"])]
    if missing:
        raise ValueError(f"no rows for {', '.join(missing)}: the scenario sets no minimum cash "
                         "(finance.minimum_cash)")
    wide = rows.pivot_table(index="replication", columns=["strategy", "metric"], values="value")
    rate = credit_line.annual_rate if credit_line is not None else 0.0
    limit = credit_line.limit if credit_line is not None else 0.0
    base = wide[baseline]
    need = credit_needed(base["credit_drawn_peak"])
    status_quo = {
        "cash_trough": float(base["cash_trough"].mean()),
        "credit_needed": need,
        "infeasible_share": infeasible_share(base["liquidity_infeasible"]),
        "credit_interest": float(base["credit_interest"].mean()),
        "interest_present_value": float((base["npv_net_cash"] - base["npv_after_liquidity"]).mean()),
        "floor_break_even": (minimum_cash + limit - need) if credit_line is not None and need > 0 else None,
    }
    out = []
    for offer in offers:
        pair = pd.concat({"base": base, "offer": wide[offer]}, axis=1).dropna()
        b, o = pair["base"], pair["offer"]
        gap = float((b["npv_net_cash"] - o["npv_net_cash"]).mean())
        saved_per_point = float((b["credit_cost_per_rate_point"] - o["credit_cost_per_rate_point"]).mean())
        be = break_even_rate(gap, saved_per_point)
        out.append({"strategy": offer, "npv_cost": gap,
                    "interest_saved": rate / RATE_POINT * saved_per_point,
                    "advantage": float((o["npv_after_liquidity"] - b["npv_after_liquidity"]).mean()),
                    "break_even_rate": math.nan if be is None else be,
                    "credit_needed": credit_needed(o["credit_drawn_peak"]),
                    "infeasible_share": infeasible_share(o["liquidity_infeasible"])})
    table = pd.DataFrame(out, columns=["strategy", "npv_cost", "interest_saved", "advantage",
                                       "break_even_rate", "credit_needed", "infeasible_share"])
    return BorrowingComparison(status_quo=status_quo, offers=table.set_index("strategy"))
