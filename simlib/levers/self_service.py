"""What the self-service payment levers share (pay link, patient portal, card on file): who takes
the service up (a uniform per patient correlated with the propensity to pay), the vendor's fixed
monthly fee, a payment in full with the vendor's per-payment fee, and whether a patient can pay the
whole balance at once.

The fixed fee is the cohort's share of the vendor's contract: one ``COST_SELF_SERVICE`` row per
month of the measured encounters (the billing window, ``simulation.billing_window_days``; a last
part month pro rata), on no receivable (like a team's staffed hours). A hospital pays the vendor
every month it bills patients; a month of fees goes with a month of bills, so the cost does not
grow with how long the run follows the cohort after its last bill (the lesson of issue 20's staffed
teams) and a run with no measured encounters (only an open book) pays none.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.levers.deposit import propensity_uniform

#: days of an average month (the vendors bill by calendar month)
DAYS_PER_MONTH = 365.25 / 12.0


def take_up_draws(world, key: str, columns: int, correlation: float) -> tuple[np.ndarray, np.ndarray]:
    """The lever ``key``'s per-patient uniforms (``columns`` of them, its own stream, the same in
    every strategy of a replication) and the take-up uniform made from the first: correlated with
    the propensity to pay through the deposit's Gaussian copula with ``correlation`` (the patients
    who take a self-service tool up are more often those who pay anyway; uniform whatever it is)."""
    u = world.pop.draws(key, lambda rng, n: rng.random((n, columns)))
    take_up = propensity_uniform(u[:, 0], world.pop.propensity, world.sc.patients.propensity_sigma, correlation)
    return u, take_up


def pay_in_full_through(world, acct, reason: str, fee_cents: int, counter: str) -> None:
    """The patient pays the whole balance through the vendor now: the payment, the vendor's fee on
    it (``COST_SELF_SERVICE``) and the lever's counter."""
    acct.pay_in_full(reason)
    acct.book(Kind.COST_SELF_SERVICE, fee_cents, acct.now)
    world.count(counter)


def book_monthly_fee(world, monthly_fee: float, kind: Kind = Kind.COST_SELF_SERVICE) -> int:
    """Post ``monthly_fee`` (currency units) for every month of the billing window, pro rata for a
    last part month, on receivable −1 from day 0; returns the cents booked."""
    fee_cents = monthly_fee * 100.0
    window = float(world.sc.simulation.billing_window_days)
    total, k = 0, 0
    while fee_cents > 0.0 and k * DAYS_PER_MONTH < window:
        start = k * DAYS_PER_MONTH
        amount = int(round(fee_cents * (min(start + DAYS_PER_MONTH, window) - start) / DAYS_PER_MONTH))
        world.ledger.post(-1, start, kind, amount)
        total += amount
        k += 1
    return total


def can_pay_in_full(world, acct) -> float:
    """The chance the patient can pay the whole balance now: the engine's own rule for a payment in
    full (``behaviour.full_payment``: always 1, never 0, or min(1, ``full_payment_months`` × the
    patient's monthly ability to pay ÷ the balance))."""
    beh = world.sc.behaviour
    if beh.full_payment == "always":
        return 1.0
    if beh.full_payment == "never" or acct.bal <= 0:
        return 0.0
    return min(1.0, float(world.pop.ability_monthly[acct.i]) * beh.full_payment_months * 100.0 / acct.bal)
