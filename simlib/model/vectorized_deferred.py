"""The agency placement a payment plan defers, in NumPy (:mod:`simlib.model.vectorized_agency`
beside :mod:`simlib.model.vectorized_plans`).

A plan in good standing defers a placement that falls due until it defaults; the deferred attempt
then runs on the default's day, in that instalment's column. A bad-debt attempt there may send the
hospital's final notice (the quiet hours may move it to their end), whose arrival and the next
attempt — ``floor(notice day) + notice_days_before``, and after a notice moved to the next day
``floor(moved day) + notice_days_before`` — fall on days no static column holds. They are known
once the plan starts: its misses are drawn then, so the instalment it defaults on (the
``default_after_misses``-th missed month) and its day (the offer's, ``month_days`` added that many
times: the instalment columns' float additions) are fixed. So the schedule reserves four columns
(``inf`` for every account: they sort last in every row), and when a plan starts the taker's four
are filled with those days and the rest of its row — the columns after the offer's — is sorted
again, in the engine's order of one instant (the order of the columns: a code's first column).
One set per account, where a column per instalment that may default would make the schedule, the
NumPy model's peak memory, several times wider.
"""
from __future__ import annotations

import numpy as np

from simlib.model.vectorized_plans import OFFER

INF = np.inf


class DeferredPlacement:
    """The columns of the placement ``plans`` may defer for ``agency`` (a bad-debt placement
    that waits for its notice)."""

    def __init__(self, agency, plans, place: int, moved: int, arrives: int):
        self.agency, self.plans = agency, plans
        self.codes = (place, place, moved, arrives)
        #: the reserved columns (the caller keeps them in the schedule though they are all ``inf``)
        self.reserved = [np.full(plans.held.shape, INF) for _ in self.codes]
        self.schedule = None
        plans.on_start = self.plan_started

    def attach(self, raw: np.ndarray, code: np.ndarray, row: np.ndarray, codes: list) -> None:
        """The loop's sorted schedule (changed in place when a plan starts) and its column codes."""
        first: dict = {}
        for j, c in enumerate(codes):
            first.setdefault(int(c), j)
        keys = np.array(sorted(first))
        self.schedule = raw, code, row, keys, np.array([first[k] for k in keys])

    def plan_started(self, jj: np.ndarray, at: np.ndarray) -> None:
        """Plans started for accounts ``jj`` at ``at`` (the offer's column): fill the days of the
        placement their default would run, and sort the rest of their rows again."""
        if self.schedule is None:
            return
        default = self.plans.default_day(jj, at)
        go = np.isfinite(default)
        jj, default = jj[go], default[go]
        if not jj.size:
            return
        raw, code, row, keys, first = self.schedule
        ag, agency = self.agency.cfg, self.agency
        wait, delivery = ag.notice_days_before, agency.sc.channels[ag.notice_channel].delivery_days
        slot = agency._slot(default)  # inf where the notice is not moved
        r = row[jj]
        days, kinds = raw[r], code[r]
        days[:, -4] = np.floor(default) + wait  # the attempt after a notice sent on the default's day
        days[:, -3] = np.floor(slot) + wait     # after a notice moved to its slot
        days[:, -2] = slot                      # the moved notice goes out
        days[:, -1] = np.where(np.isfinite(slot), slot, default) + delivery if delivery > 0.0 else INF
        kinds[:, -4:] = self.codes
        pos = np.broadcast_to(np.arange(days.shape[1]), days.shape)
        tail = pos > np.argmax(kinds == OFFER, axis=1)[:, None]  # what the loop has not reached
        rank = first[np.searchsorted(keys, kinds)]
        order = np.lexsort((pos, np.where(tail, rank, 0), np.where(tail, days, pos), tail), axis=1)
        raw[r] = np.take_along_axis(days, order, axis=1)
        code[r] = np.take_along_axis(kinds, order, axis=1)
