"""Disputes, and the price estimate that prevents them.

A billing error (``operations.billing_team.billing_error_rate`` of bills, less what a billing or
claims quality investment prevents: ``world.billing_error_rate``, :mod:`simlib.levers.quality`) makes the patient
dispute the bill a pre-drawn delay after the statement. When the patient is right (with
``patient_favour_rate``) the error is an overcharge: the bill is the true balance ÷ (1 − the
correction fraction), billed at service (a second ``BILLED`` row), and the resolution corrects
it back. The patient pays nothing between the statement and the resolution. The dispute waits for the billing team (a
capacity, :mod:`simlib.world.capacities.billing_team`), then for the resolution (an exponential wait
of mean ``resolution_wait_days_mean``: the payer, the coders); meanwhile the patient's collection
clock stands still (every pending action moves later) while their attention fades (the intensity
decays as it would without payments). Resolved in the patient's favour with
``patient_favour_rate``, it corrects the balance down (``CORRECTION`` row); the corrected
statement is a contact (``behaviour.corrected_statement_jump_per_day``, scaled like any contact
by :mod:`simlib.world.contact_response`), not a fresh statement. A strategy's ``price_estimate``
(an estimate or portal before care) multiplies the dispute rate and the resolution hours, and
costs ``cost_per_estimate`` for every encounter it is given to (care that is scheduled: not
emergencies nor the open book; a ``COST_PRICE_ESTIMATE`` row at service, counter
``price_estimates``): ten minutes of a financial counsellor at the model's $31 an hour by default
(an assumption, docs/model.md "Price estimate"). Disputes happen in every strategy; counter
``disputes``."""
from __future__ import annotations

from simlib.core.language import N_, _

import numpy as np

from simlib.core.ledger import Kind
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.core.settings import Fraction, NonNeg, Strict, cents


class PriceEstimate(Strict):
    """An estimate or portal before care: fewer disputes, quicker to resolve, at a cost per estimate."""

    dispute_rate_multiplier: Fraction = 0.5
    resolution_hours_multiplier: Fraction = 0.7
    cost_per_estimate: NonNeg = 5.2


def _draw(rng, n: int, scenario) -> dict:
    """Per account: whether the bill has an error, the days to the dispute, whether the patient is
    right and the correction's fraction (mean ``correction_fraction_mean``, a beta)."""
    bt = scenario.operations.billing_team
    error_u = rng.random(n)
    dispute_delay = bt.dispute_delay_days_mean * rng.standard_exponential(n)
    favour_u = rng.random(n)
    m = bt.correction_fraction_mean
    correction_fraction = rng.beta(2.0 * m / (1 - m), 2.0, n) if 0 < m < 1 else np.full(n, m)
    return {"error_u": error_u, "dispute_delay": dispute_delay, "favour_u": favour_u,
            "correction_fraction": correction_fraction}


def _draw_wait(rng, n: int, scenario) -> dict:
    return {"dispute_wait_exp": rng.standard_exponential(n)}


@register_lever
class Disputes(Lever):
    key = "price_estimate"
    title = N_("Price estimate")
    random_draws = {"disputes": _draw, "dispute_resolution": _draw_wait}
    assumptions = (Assumption("dispute_rate_multiplier", N_("Disputes left with a price estimate (share of usual)"), 0.5, 1.5, upper=1.0),)
    settings = PriceEstimate | None
    order = 2
    counters = {"disputes": "disputes raised (each resolved by the billing team)",
                "price_estimates": "price estimates given before care"}

    @classmethod
    def active(cls, settings) -> bool:
        return True  # billing errors are disputed whether or not a price estimate is offered

    @classmethod
    def describe(cls, settings) -> str:
        return "" if settings is None else _("price estimate / portal")

    def __init__(self, world, settings):
        super().__init__(world, settings)
        pop, bt = world.pop, world.sc.operations.billing_team
        self.team = bt
        rate = world.billing_error_rate * (settings.dispute_rate_multiplier if settings else 1.0)
        self.hours = bt.hours_per_dispute * (settings.resolution_hours_multiplier if settings else 1.0)
        self.corrected_jump = world.sc.behaviour.corrected_statement_jump_per_day
        #: days from statement to dispute, NaN for accounts without a billing error
        error = pop.error_u < rate
        self.offset = np.where(error, pop.dispute_delay, np.nan).tolist()
        #: a billing error the patient is right about is an overcharge: the bill is the true
        #: balance ÷ (1 − correction fraction), and the correction brings it back
        c = np.minimum(pop.correction_fraction, 0.99)
        self.overcharge = np.where(error & (pop.favour_u < bt.patient_favour_rate), c / (1.0 - c), 0.0).tolist()
        self._dispute = self.dispute
        self.estimate_cents = cents(settings.cost_per_estimate) if settings else 0
        self.estimated = (~pop.emergency & ~pop.open_book).tolist() if self.estimate_cents else None

    def at_service(self, i: int, r: int, day: float, balance: int) -> int:
        if self.estimated is not None and self.estimated[i]:
            self.world.ledger.post(r, max(day, 0.0), Kind.COST_PRICE_ESTIMATE, self.estimate_cents)
            self.world.count("price_estimates")
        extra = int(round(balance * self.overcharge[i]))
        if extra > 0:
            self.world.ledger.post(r, day, Kind.BILLED, extra)
        return balance + extra

    def at_service_in_bulk(self, encounters, day, balance):
        """:meth:`at_service` for many bills at once (the hybrid engine): the same estimate rows
        and counter, the same overcharge (``round`` half to even, as Python's)."""
        rows, r = [], 2 * encounters + 1
        if self.estimated is not None:
            at = np.asarray(self.estimated, dtype=bool)[encounters]
            if at.any():
                self.world.count("price_estimates", int(at.sum()))
                rows.append((r[at], np.maximum(day[at], 0.0), Kind.COST_PRICE_ESTIMATE,
                             np.full(int(at.sum()), self.estimate_cents, dtype=np.int64)))
        extra = np.round(balance * np.asarray(self.overcharge, dtype=float)[encounters]).astype(np.int64)
        over = extra > 0
        if over.any():
            rows.append((r[over], day[over], Kind.BILLED, extra[over]))
        return balance + extra, rows

    def at_statement(self, acct) -> None:
        """A patient who finds an error on the bill does not pay it until it is resolved."""
        offset = self.offset[acct.i]
        if offset == offset:
            acct.clock_paused = True

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
        wait = bt.resolution_wait_days_mean * pop.dispute_wait_exp[i]
        if wait > 0.0:
            yield env.timeout(wait)
        acct.book(Kind.COST_DISPUTE, cents(bt.cost_per_dispute), env.now)
        if pop.favour_u[i] < bt.patient_favour_rate:
            corr = min(acct.bal - 1, int(round(acct.bal * pop.correction_fraction[i])))
            if corr > 0:
                acct.reduce(Kind.CORRECTION, corr, env.now)
        # the patient's collection clock was paused; their attention faded meanwhile
        acct.fade(env.now - start)
        acct.postpone(env.now - start, env.now)
        if acct.held_by is None:
            acct.clock_paused = False
        acct.now = env.now
        acct.contact(None, "corrected_statement", jump_per_day=self.corrected_jump)
        world.trace(acct.r, "dispute resolved")
