"""Legally required notices the quiet hours move, in NumPy, for :mod:`simlib.model.vectorized`.

The engine never drops a ladder step whose channel is a notice (``notice: true``, the formal
demand): when the contact limits forbid it, :meth:`~simlib.levers.contact_limits.ContactLimitsLever.next_message_slot`
gives the next allowed slot and, if that is later than now (by more than
:data:`simlib.world.channels.SAME_INSTANT_DAYS`), the message is sent then (order 9 of that day,
counters ``notices_moved`` and ``moved_<channel>``), unless the balance is paid or a plan or an
agency holds the account by then; its delivery follows the moved time. Otherwise it is sent now.

With quiet hours only (a message cap counting the notice's channel that may hold it back,
:func:`cap_may_hold`, is refused by :func:`simlib.model.vectorized_subset.capacity_free_problems`:
Chile's Ley 21.320 counts formal demands, but its ladders leave them weeks after the last letter)
the slot is static per account: the step runs at ``max(step day, statement)`` (fixed by the schedule) and the slot is
that time moved to the end of the quiet hours (:func:`~simlib.model.vectorized_contacts.quiet_hours_end`,
the engine's float operations). So each notice step the quiet hours may move has one more column,
its moved send (order 9, after the ladder's deliveries of the same instant: a delivery is scheduled
at least a day before it falls due, a moved send less than a day), which acts only for the
accounts the step moved; a plan holding the account stands it down and an agency's phase keeps it
as a column that only advances the clock (:meth:`MovedNotices.scheduled`), as the engine does.
Identity with the engine: ``tests/test_vectorized_notices.py``.
"""
from __future__ import annotations

import weakref

import numpy as np

from simlib.levers.contact_limits import default_counted
from simlib.model.vectorized_contacts import hour_of_day, quiet, quiet_hours_end
from simlib.world.channels import SAME_INSTANT_DAYS

INF = np.inf
#: the action code of ladder step ``s``'s moved send is ``MOVED - s`` (above the plans' codes,
#: below the agency's: :mod:`simlib.model.vectorized_plans`, :mod:`simlib.model.vectorized_agency`)
MOVED = -30
#: the most ladder steps whose moved send has a code of its own (``MOVED - s > OFFER``)
MAX_STEPS = 40


def notice_problems(sc, strategy, counted) -> list[str]:
    """Why the ladder's notices lie outside what this module simulates (``[]``: inside)."""
    problems = []
    if cap_may_hold(sc, strategy, counted):
        problems.append("a legally required notice the message cap may move")
    if movable_steps(sc, strategy) and len(strategy.ladder) > MAX_STEPS:
        problems.append(f"a ladder of more than {MAX_STEPS} steps with a notice the quiet hours may move")
    return problems


def cap_may_hold(sc, strategy, counted) -> bool:
    """Whether the 7-day message cap may ever hold back one of the ladder's notices (its channel
    among the ``counted``): whether as many counted ladder messages as the cap allows may have been
    sent in the 7 days before the notice goes out. Each step's send day, counted from the
    statement, lies in a known interval: ``day`` (plus the credit terms after the due date), or a
    day either side of it with a fixed hour; not before the statement (a step due before runs at
    it); a notice the quiet hours move up to a day later. A cap of 0 never holds a notice back
    (the engine's). If it cannot, the notices' send days stay static; else the moved day depends on
    the account's recent messages, which stays on the engine."""
    lim = strategy.contact_limits
    if not lim.messages_per_7_days_max:
        return False
    eps = 1e-6
    span = []
    for step in strategy.ladder:
        day = step.day + (strategy.credit_terms_days if step.relative_to == "due_date" else 0.0)
        lo, hi = (day, day) if step.hour is None else (day - 1.0, day + 1.0)
        moved = sc.channels[step.channel].notice and lim.quiet_hours is not None
        span.append((max(lo, 0.0) - eps, max(hi, 0.0) + (1.0 if moved else 0.0) + eps))
    kinds = [sc.channels[step.channel] for step in strategy.ladder]
    for s, step in enumerate(strategy.ladder):
        if not (kinds[s].notice and step.channel in counted):
            continue
        lo, hi = span[s]
        before = sum(1 for r, other in enumerate(strategy.ladder)
                     if r != s and other.channel in counted and kinds[r].kind == "message"
                     and span[r][0] <= hi and span[r][1] > lo - 7.0)
        if before >= lim.messages_per_7_days_max:
            return True
    return False


def shift_moves_notices(sc, strategy) -> bool:
    """Whether a dispute's shift may change what the quiet hours do to a ladder notice: then the
    NumPy model leaves the strategy's disputes to the engine (:func:`simlib.model.vectorized_disputes.disputes_in_numpy`).

    After a dispute every pending action runs later by the dispute's duration (any number of days,
    so at any hour). A step with an hour is judged at that hour whenever it runs (the engine's
    ``contact(hour=step.hour)``); a message without one at the hour it runs, which the NumPy model
    reads too (the shifted day); the 7-day cap counts the days the counted messages went out, which
    a shift only spreads apart (every later action moves by the same days), so a cap that never
    holds a notice back (:func:`cap_may_hold`) still never does, and the messages it suppresses are
    the engine's. A notice the quiet hours move is not static after a dispute: its slot is the end
    of the quiet hours its shifted day falls in, and a moved send the dispute delays is judged again
    at its new hour (and may move again) — so a notice step without an hour, or at an hour inside
    the quiet hours, keeps the disputes on the engine; so does one a cap of 0 counts (the engine
    never sends it at once then, and looks for the end of the quiet hours from the hour it runs)."""
    lim = strategy.contact_limits
    counted = lim.message_cap_channels if lim.message_cap_channels is not None else default_counted(sc.channels)
    return any(step.hour is None or quiet(lim.quiet_hours, np.float64(step.hour))
               or (lim.messages_per_7_days_max == 0 and step.channel in counted)
               for step in (strategy.ladder[s] for s in movable_steps(sc, strategy)))


def movable_steps(sc, strategy) -> list[int]:
    """The ladder steps whose notice the quiet hours may move (the cap's are refused elsewhere)."""
    if strategy.contact_limits.quiet_hours is None:
        return []
    return [s for s, step in enumerate(strategy.ladder) if sc.channels[step.channel].notice]


class MovedNotices:
    """The ladder's notices the quiet hours move, over one population (inactive without any)."""

    def __init__(self, sc, strategy, contacts, counters):
        # the contacts hold this object (``contacts.notices``): a weak reference back, so no cycle
        # keeps a block's arrays alive until a full collection (issue 27: the 1M year's peak memory)
        self.sc, self.st, self.contacts, self.counters = sc, strategy, weakref.proxy(contacts), counters
        self.hours = strategy.contact_limits.quiet_hours
        self.steps = movable_steps(sc, strategy)  # at most MAX_STEPS ladder steps (notice_problems)
        self.codes = tuple(MOVED - s for s in self.steps)
        n = contacts.pop.n
        #: by step: the day its notice was moved to, per account (inf: not moved, or sent)
        self.moved_to = {s: np.full(n, INF) for s in self.steps}
        #: the steps a cap of 0 counts: never allowed at once, so the engine looks for the end of the
        #: quiet hours from the hour the step runs (a step due before the statement runs at it)
        lim = strategy.contact_limits
        self.capped = {s for s in self.steps if lim.messages_per_7_days_max == 0
                       and strategy.ladder[s].channel in contacts.counted}
        contacts.notices = self

    def slot(self, s: int, at: np.ndarray) -> np.ndarray:
        """The day step ``s``'s notice due at ``at`` is moved to (inf: not moved, it goes out at
        ``at``): the quiet hours forbid its hour (the step's own, else ``at``'s; every hour under a
        cap of 0 that counts it) and the end of the quiet hours ``at`` falls in is later."""
        hour = self.st.ladder[s].hour
        forbidden = quiet(self.hours, hour_of_day(at) if hour is None else np.full(np.shape(at), hour)) \
            | (s in self.capped)
        slot = quiet_hours_end(self.hours, at)
        return np.where(forbidden & (slot > at + SAME_INSTANT_DAYS), slot, INF)

    def columns(self, statement: np.ndarray, step_times: list, cols: list, codes: list, late=()) -> None:
        """Append one column per movable step: the day its notice is moved to (order 9); then the
        ``late`` columns (column, code) of an agency's notice the message cap moved (after the
        deliveries of the messages sent before it: :mod:`simlib.model.vectorized_agency_notice`)."""
        for s in self.steps:
            cols.append(self.slot(s, np.maximum(step_times[s], statement)))  # a step due before the statement runs at it
            codes.append(MOVED - s)
        for col, code in late:
            cols.append(col)
            codes.append(code)

    def sent_day(self, s: int, at: np.ndarray) -> np.ndarray:
        """The day step ``s``'s message goes out if the step runs at ``at`` (its delivery follows)."""
        if s not in self.moved_to:
            return at
        moved = self.slot(s, at)
        return np.where(np.isfinite(moved), moved, at)

    def hold(self, s: int, ii: np.ndarray, at: np.ndarray, allow: np.ndarray) -> np.ndarray:
        """Step ``s``'s notice for accounts ``ii`` at ``at``, ``allow`` where the limits allow it now:
        those forbidden whose slot is later are moved (counted); returns who is sent now."""
        slot = self.slot(s, at)
        moved = ~allow & np.isfinite(slot)
        if moved.any():
            self.moved_to[s][ii[moved]] = slot[moved]
            name = self.st.ladder[s].channel
            self.counters["notices_moved"] += int(moved.sum())
            self.counters[f"moved_{name}"] += int(moved.sum())
        return ~moved

    def unscheduled(self, ii: np.ndarray, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Which of the actions (``ii``, ``codes`` at ``days``) due now are moved sends the engine
        never scheduled (the step did not run, or did not move the account's notice)."""
        if not self.steps:
            return np.zeros(ii.size, bool)
        return ~self.scheduled(ii, codes, days)

    def scheduled(self, ii: np.ndarray, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Per action (any shape of ``codes``/``days`` with ``ii`` along the first axis): not a
        moved send, or one the engine scheduled for the account on that day."""
        out = np.ones(np.shape(codes), bool)
        for s in self.steps:
            mine = codes == MOVED - s
            if mine.any():
                to = self.moved_to[s][ii].reshape((-1,) + (1,) * (np.ndim(codes) - 1))
                out &= ~mine | (np.broadcast_to(to, np.shape(codes)) == days)
        return out

    def send(self, code: int, jj: np.ndarray, at: np.ndarray) -> None:
        """The moved notices of step ``MOVED - code`` go out at ``at`` (the balance is open and no
        plan holds the account: the loop's): sent as the step would, its delivery in the step's
        delivery column (:meth:`sent_day`)."""
        s = MOVED - code
        self.moved_to[s][jj] = INF
        self.contacts.send(s, jj, at)
