"""Targeted offers in the NumPy model (issue 27: the hybrid engine).

The engine's :class:`simlib.levers.targeted_offer.TargetedOfferLever` withholds the strategy's
``offers`` (its prompt-pay discount, payment plan, financing) from the accounts whose score lies
outside [``score_min``, ``score_max``]: at the statement it counts them (``targeted_withheld``) and
takes the discount back (no allowance, the intensity's multiplier 1), and from their schedule it
removes every action of the withheld levers (the discount's end, the plan's offer, financing's
offer: not even the clock moves then). Here the same: the discount's arrays lose those accounts,
and the plan's and financing's columns are built for the others only. Scoring every bill at service
(``COST_SCORING``) is a service hook the world runs for every encounter.

Only the ``propensity`` score (the population's observed score, per encounter) with the ladder's
own targeting: a ``contact_response`` score is a percentile over the whole population, and
``ladder: true`` moves the ladder's targeting to it (:mod:`simlib.model.vectorized_subset` keeps
those on SimPy).
"""
from __future__ import annotations

import numpy as np

INF = np.inf


class TargetedOffers:
    """A strategy's targeted offers over one population (inactive without them)."""

    def __init__(self, st, pop, stated: np.ndarray, counters):
        self.cfg = cfg = st.targeted_offer
        self.offers = () if cfg is None else tuple(k for k in cfg.offers if getattr(st, k, None) is not None)
        if cfg is None:
            return
        self.in_band = (cfg.score_min <= pop.score_pct) & (pop.score_pct <= cfg.score_max)
        counters["targeted_withheld"] += int((stated & ~self.in_band).sum())

    def withhold_discount(self, discount) -> None:
        """Take the prompt-pay discount back from the accounts out of the band (if it is targeted)."""
        if "prompt_pay_discount" not in self.offers:
            return
        out = ~self.in_band
        discount.offered[out] = False
        discount.mult[out] = 1.0
        discount.end[out] = INF  # its end is an action of the discount's: removed

    def offered_to(self, offer: str, alive: np.ndarray) -> np.ndarray:
        """The accounts among ``alive`` that may be made ``offer`` (a plan, financing)."""
        return alive[self.in_band[alive]] if offer in self.offers else alive
