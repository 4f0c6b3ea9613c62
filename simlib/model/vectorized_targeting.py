"""Targeted offers in the NumPy model (issue 27: the hybrid engine).

The engine's :class:`simlib.levers.targeted_offer.TargetedOfferLever` withholds the strategy's
``offers`` (its prompt-pay discount, payment plan, financing) from the accounts whose score lies
outside [``score_min``, ``score_max``]: at the statement it counts them (``targeted_withheld``) and
takes the discount back (no allowance, the intensity's multiplier 1), and from their schedule it
removes every action of the withheld levers (the discount's end, the plan's offer, financing's
offer: not even the clock moves then). Here the same: the discount's arrays lose those accounts,
and the plan's and financing's columns are built for the others only. Every bill is scored at service
(``COST_SCORING``, counter ``targeted_scored``): the hybrid engine's world skips that service hook
for the accounts the NumPy model runs (:mod:`simlib.model.hybrid`).

Only the ``propensity`` score (the population's observed score, per encounter) with the ladder's
own targeting: a ``contact_response`` score is a percentile over the whole population, and
``ladder: true`` moves the ladder's targeting to it (:mod:`simlib.model.vectorized_subset` keeps
those on SimPy).
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents

INF = np.inf


class TargetedOffers:
    """A strategy's targeted offers over one population (inactive without them)."""

    def __init__(self, sc, st, pop):
        self.cfg = cfg = st.targeted_offer
        self.offers = () if cfg is None else tuple(k for k in cfg.offers if getattr(st, k, None) is not None)
        if cfg is None:
            return
        self.pop, self.first_day = pop, -float(sc.simulation.warm_up_days)
        self.in_band = (cfg.score_min <= pop.score_pct) & (pop.score_pct <= cfg.score_max)

    def at_service(self, billed: np.ndarray, rows, counters) -> None:
        """Every patient bill ``billed`` is scored on its service day (or the first day simulated)."""
        if self.cfg is None:
            return
        counters["targeted_scored"] += int(billed.size)
        cost = cents(self.cfg.cost_per_scored_account)
        if cost:
            rows.add(billed, np.maximum(self.pop.service_day[billed], self.first_day), Kind.COST_SCORING, cost)

    def withhold(self, discount, stated: np.ndarray, counters) -> None:
        """At the statement: count the ``stated`` accounts out of the band, and take the prompt-pay
        discount back from them (if it is targeted)."""
        if self.cfg is None:
            return
        counters["targeted_withheld"] += int((stated & ~self.in_band).sum())
        if "prompt_pay_discount" not in self.offers:
            return
        out = ~self.in_band
        discount.offered[out] = False
        discount.mult[out] = 1.0
        discount.end[out] = INF  # its end is an action of the discount's: removed

    def offered_to(self, offer: str, alive: np.ndarray) -> np.ndarray:
        """The accounts among ``alive`` that may be made ``offer`` (a plan, financing)."""
        return alive[self.in_band[alive]] if offer in self.offers else alive
