"""Disputes, and the price estimate that prevents them.

A billing error (``operations.billing_team.billing_error_rate`` of bills) makes the patient
dispute the bill a pre-drawn delay after the statement. The dispute waits for the billing team (a
capacity, :mod:`simlib.capacities.billing_team`); meanwhile the patient's collection clock stands
still (every pending action moves later). Resolved in the patient's favour with
``patient_favour_rate``, it corrects the balance down (``CORRECTION`` row); the corrected
statement restores the intensity to at least its initial value. A strategy's ``price_estimate``
(an estimate or portal before care) multiplies the dispute rate and the resolution hours.
Disputes happen in every strategy; counter ``disputes``."""
from __future__ import annotations

import numpy as np

from simlib.ledger import Kind
from simlib.levers.base import Lever, register_lever
from simlib.settings import Fraction, Strict, cents


class PriceEstimate(Strict):
    dispute_rate_multiplier: Fraction = 0.5
    resolution_hours_multiplier: Fraction = 0.7


@register_lever
class Disputes(Lever):
    key = "price_estimate"
    settings = PriceEstimate | None
    order = 2
    counters = {"disputes": "disputes raised (each resolved by the billing team)"}

    @classmethod
    def active(cls, settings) -> bool:
        return True  # billing errors are disputed whether or not a price estimate is offered

    @classmethod
    def describe(cls, settings) -> str:
        return "" if settings is None else "price estimate / portal"

    def __init__(self, world, settings):
        super().__init__(world, settings)
        pop, bt = world.pop, world.sc.operations.billing_team
        self.team = bt
        rate = bt.billing_error_rate * (settings.dispute_rate_multiplier if settings else 1.0)
        self.hours = bt.hours_per_dispute * (settings.resolution_hours_multiplier if settings else 1.0)
        #: days from statement to dispute, NaN for accounts without a billing error
        self.offset = np.where(pop.error_u < rate, pop.dispute_delay, np.nan).tolist()
        self._dispute = self.dispute

    def schedule(self, acct, bill: float, items: list) -> None:
        offset = self.offset[acct.i]
        if offset == offset:  # not NaN: this bill has an error the patient will dispute
            items.append((bill + offset, 2, self._dispute, None))

    def dispute(self, acct, _):
        return self._resolve(acct)

    def _resolve(self, acct):
        world, env, pop, i, bt = self.world, self.world.env, self.world.pop, acct.i, self.team
        start = env.now
        world.count("disputes")
        world.trace(acct.r, "dispute")
        with world.billing.request() as req:
            yield req
            yield env.timeout(self.hours / bt.hours_per_day)
        world.ledger.post(acct.r, env.now, Kind.COST_DISPUTE, cents(bt.cost_per_dispute_usd))
        if pop.favour_u[i] < bt.patient_favour_rate:
            corr = min(acct.bal - 1, int(round(acct.bal * pop.correction_fraction[i])))
            if corr > 0:
                acct.reduce(Kind.CORRECTION, corr, env.now)
        acct.postpone(env.now - start, env.now)   # the patient's collection clock was paused
        acct.lam = max(acct.lam, acct.initial_lam)  # corrected statement
        world.trace(acct.r, "dispute resolved")
