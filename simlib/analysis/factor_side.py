"""Would a factor make this offer? The factor's expected profit and loss per factoring offer (issue 25).

An offer is typed into a scenario by the modeller; nothing in the terms says a factor would sign
them. A non-recourse 70 % advance on patient balances that collect under half "gains" for the
hospital because the factor absorbs the credit loss: no factor would offer it. This module reads
the factor's side off the settled contract's metrics (:mod:`simlib.model.factoring_settlement`),
run by run:

* the factor's books per receivable satisfy ``collections + buy-backs + charge-backs − (advance
  cash + rebates) + open advance = fees − credit loss`` (checked to the cent on every run), so its
  **margin before funding** is ``factoring_fees − factoring_credit_loss`` (an advance
  still open at the horizon counted at par: optimistic for a non-recourse factor);
* its **cost of funds** is the money it has out: Σ advance share × days outstanding (the APR's
  denominator) × its annual rate ÷ 365. ``factoring_apr`` = fees ÷ advance dollar-days × 365, so
  the cost is ``fees × rate ÷ APR`` — with the APR's fees including those accrued on shares still
  open at the horizon, the dollar-days are slightly understated, and so is the cost (a flagged offer
  loses money all the more);
* **expected P&L** = fees − credit loss − cost of funds, its mean over the runs with a t-based 95 %
  CI. An offer whose mean is below zero is flagged: "no factor would offer these terms". The
  factor's own servicing costs (staff, lockbox, audits) are not modelled: a factor needs a
  positive margin to cover them, so the flag is a lower bound on the offers no factor would make.

The rate defaults to the scenario's ``finance.cost_of_capital_annual`` — an assumption: a factor
funds itself on a warehouse line whose price domain-research does not quote.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

FLAG_WORDS = "no factor would offer these terms"


@dataclass(frozen=True)
class FactorSide:
    """The factor's expected profit and loss on one offer (means over the runs, USD)."""

    strategy: str
    runs: int
    advanced: float
    fees: float
    credit_loss: float
    cost_of_funds: float
    pnl: float
    pnl_ci: tuple[float, float]
    cost_of_funds_annual: float

    @property
    def loses_money(self) -> bool:
        """The factor expects to lose money (mean P&L below zero): no factor would offer these terms."""
        return self.pnl < 0

    @property
    def margin_on_fees(self) -> float:
        """P&L ÷ fees: the share of what the hospital pays that the factor keeps (nan without fees)."""
        return self.pnl / self.fees if self.fees else math.nan


def factor_pnl_per_run(metrics: pd.DataFrame, strategy: str, cost_of_funds_annual: float) -> pd.DataFrame:
    """Per replication: advanced, fees, credit loss, cost of funds and the factor's P&L (USD)."""
    rows = metrics[(metrics["strategy"] == strategy) & metrics["metric"].str.startswith("factoring_")]
    wide = rows.pivot(index="replication", columns="metric", values="value")
    need = ("factoring_advanced", "factoring_fees", "factoring_credit_loss", "factoring_apr")
    missing = [m for m in need if m not in wide.columns]
    if missing:
        raise ValueError(f"strategy {strategy!r} has no {', '.join(missing)} (not a factoring offer?)")
    fees, apr = wide["factoring_fees"], wide["factoring_apr"]
    # fees × rate ÷ APR = advance dollar-days × rate ÷ 365; no fees: no money-days measured (0 if nothing advanced)
    cost = pd.Series(np.where((fees > 0) & (apr > 0), fees * cost_of_funds_annual / apr.where(apr > 0, 1.0),
                              np.where(wide["factoring_advanced"] > 0, np.nan, 0.0)), index=wide.index)
    return pd.DataFrame({"advanced": wide["factoring_advanced"], "fees": fees,
                         "credit_loss": wide["factoring_credit_loss"], "cost_of_funds": cost,
                         "pnl": fees - wide["factoring_credit_loss"] - cost})


def factor_side(metrics: pd.DataFrame, strategy: str, cost_of_funds_annual: float) -> FactorSide:
    """The factor's expected P&L on ``strategy``'s offer (module docstring)."""
    per = factor_pnl_per_run(metrics, strategy, cost_of_funds_annual)
    n = len(per)
    pnl = per["pnl"]
    if n > 1 and pnl.notna().all():
        half = stats.t.ppf(0.975, n - 1) * pnl.std(ddof=1) / math.sqrt(n)
        ci = (float(pnl.mean() - half), float(pnl.mean() + half))
    else:
        ci = (math.nan, math.nan)
    return FactorSide(strategy=strategy, runs=n, advanced=float(per["advanced"].mean()),
                      fees=float(per["fees"].mean()), credit_loss=float(per["credit_loss"].mean()),
                      cost_of_funds=float(per["cost_of_funds"].mean()), pnl=float(pnl.mean()),
                      pnl_ci=ci, cost_of_funds_annual=cost_of_funds_annual)
