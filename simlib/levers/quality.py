"""Billing and claims quality as strategies (issue 26): what the four quality investments share.

Billing training (:mod:`simlib.levers.billing_training`), coding audits
(:mod:`simlib.levers.coding_audit`), eligibility checks before service
(:mod:`simlib.levers.eligibility_check`) and a claims scrubber (:mod:`simlib.levers.claims_scrubber`)
each lower what the hospital otherwise holds fixed (``operations.billing_team.billing_error_rate``,
``payers.*.initial_denial_rate``, ``operations.statement_lag_days``) for the encounters served while
the strategy runs (not the open book on day 0: its bills and claims were made before), at a price:

- ``billing_error_reduction``: the share of billing errors prevented. The billing error rate becomes
  rate × (1 − reduction); a bill has an error iff its uniform (the disputes' stream) is below it, so
  the bills without errors under the status quo keep none (common random numbers);
- ``denial_reduction``: the share of first-pass denials prevented: a claim is denied iff its uniform is
  below the payer's rate × (1 − reduction) (the claims' stream): the claims it spares are a subset of
  those denied without it;
- ``statement_lag_days_saved``: days off the statement lag (never below no lag);
- ``fixed_cost_per_year``: a licence, an auditor, the training hours, booked evenly day by day over the
  whole run (``COST_BILLING_QUALITY`` rows of the hospital, receivable −1, one per day);
- ``cost_per_account``: per encounter served (a transaction fee, a minute of staff time), booked on
  its service day (``COST_BILLING_QUALITY``, receivable −1).

Several investments in one strategy compound: each takes its share of what the others left.
Counters: ``quality_accounts`` (encounters the investments applied to).
"""
from __future__ import annotations

import math

import numpy as np

from simlib.core.language import _, money_text, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Strict, cents
from simlib.levers.base import Lever


class QualityInvestment(Strict):
    """An investment in billing and claims quality: its effects and its price (each lever sets its
    own defaults, with their sources, in its module)."""

    billing_error_reduction: Fraction = 0.0
    denial_reduction: Fraction = 0.0
    statement_lag_days_saved: NonNeg = 0.0
    fixed_cost_per_year: NonNeg = 0.0
    cost_per_account: NonNeg = 0.0


DAYS_PER_YEAR = 365.0


class QualityLever(Lever):
    """The lever of one quality investment: its effects on the world before the run, its costs."""

    order = 0
    counters = {"quality_accounts": "encounters served under a billing or claims quality investment"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        effects = []
        if settings.billing_error_reduction:
            effects.append(_("{share} % fewer billing errors").format(
                share=short_number_text(round(settings.billing_error_reduction * 100, 1))))
        if settings.denial_reduction:
            effects.append(_("{share} % fewer claim denials").format(
                share=short_number_text(round(settings.denial_reduction * 100, 1))))
        if settings.statement_lag_days_saved:
            effects.append(_("statements {days} days sooner").format(
                days=short_number_text(settings.statement_lag_days_saved)))
        price = _("{fixed} a year and {per} per encounter").format(
            fixed=money_text(settings.fixed_cost_per_year), per=money_text(settings.cost_per_account, 2))
        return _("{what} ({effects}; {price})").format(
            what=cls.board_title().lower(), effects=", ".join(effects) or _("no effect"), price=price)

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None or not settings.statement_lag_days_saved or getattr(strategy, "factoring", None) is None:
            return []
        return [f"{at}.statement_lag_days_saved: expected 0 in a strategy with factoring (the factor's "
                f"settlement reads the scenario's statement lag); found {settings.statement_lag_days_saved:g}"]

    def __init__(self, world, settings):
        super().__init__(world, settings)
        pop, cfg = world.pop, settings
        new = ~pop.open_book
        if cfg.billing_error_reduction:
            world.billing_error_rate = np.where(new, world.billing_error_rate * (1.0 - cfg.billing_error_reduction),
                                                world.billing_error_rate)
        if cfg.denial_reduction:
            world.denial_rate_factor = np.where(new, world.denial_rate_factor * (1.0 - cfg.denial_reduction),
                                                world.denial_rate_factor)
        if cfg.statement_lag_days_saved:
            world.statement_lag_days = np.where(
                new, np.maximum(world.statement_lag_days - cfg.statement_lag_days_saved, 0.0), world.statement_lag_days)
        world.count("quality_accounts", int(np.count_nonzero(new)))
        self._book_costs(world, new)

    def _book_costs(self, world, new: np.ndarray) -> None:
        """The fixed cost day by day over the run, the per-account cost on each service day."""
        post, cfg = world.ledger.post, self.cfg
        day_cents = cfg.fixed_cost_per_year * 100.0 / DAYS_PER_YEAR
        if day_cents > 0:
            for d in range(int(math.floor(world.start_day)), int(math.ceil(world.horizon))):
                end = min(d + 1.0, world.horizon)
                post(-1, end, Kind.COST_BILLING_QUALITY, int(round(day_cents * (end - d))))
        per = cents(cfg.cost_per_account)
        if per > 0:
            for day in world.pop.service_day[new].tolist():
                post(-1, day, Kind.COST_BILLING_QUALITY, per)
