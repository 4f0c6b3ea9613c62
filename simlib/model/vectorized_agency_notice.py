"""The agency's final notice under the contact limits, in NumPy (for :mod:`simlib.model.vectorized_agency`),
and what of an agency the NumPy model leaves to the engine (:func:`agency_problems`).

The engine's bad-debt placement without a final notice sends ``notice_channel`` at the attempt
(:meth:`simlib.levers.agency.AgencyLever._noticed`), through the message channel's rules
(:class:`simlib.world.channels.Message`): when the quiet hours or a 7-day message cap that counts
the channel forbid it, the notice goes out at
:meth:`~simlib.levers.contact_limits.ContactLimitsLever.next_message_slot` — when enough counted
messages have left the rolling 7 days (the ``len − cap``-th most recent one's send + 7, in the
engine's float addition), then out of the quiet hours — if that is later than now (order 9,
counters ``notices_moved``, ``moved_<channel>``), and the placement waits from the attempt's day.
Once sent the notice counts toward the cap like any counted message (its own column of the
contacts' send times, :attr:`~simlib.model.vectorized_contacts.ContactState.sent`).

Without a plan (refused beside a counted notice: a default's attempt falls on a day no static
column holds) the notice goes out only at the first attempt, ``placement_days`` after the
statement, so its cap-moved day is one of a few per account known in advance: a counted ladder
message's send + 7, moved out of the quiet hours (:func:`cap_slots`). Each is a column of the
moved send, its arrival and the attempt after it (``floor(slot) + notice_days_before``), acting
only where the account's notice moved there; the send and arrival after the ladder's deliveries
of the same instant (``Agency.late``: the engine scheduled those of messages sent before the
attempt first, and a letter sent on ``x`` arrives on the very slot ``x + 7``). The moved send is
judged again at its slot; with no counted message due between the attempt and the latest slot
(8 days) the engine sends it then (an earlier message's send + 7 reads as still within the 7 days
only by a rounding, and then its next slot is now), and a wait of at least 9 days puts it before
the next attempt. A ladder message delivered later or a notice due in those days (and the
notice's delivery) stays on the engine too: its send or arrival would meet the moved notice's in
another order. Where the cap
counts the notice but no ladder message it counts can fall in the 7 days before the attempt (or
its quiet-hours slot) the cap never moves it (:func:`cap_may_move`: Chile's ``cobranza_externa``,
a formal demand 30 days before the placement). A ladder notice the agency's notice could then
hold back stays on the engine, as do a plan, legal action or the public accountant beside a
counted notice (their own counted messages).
"""
from __future__ import annotations

import numpy as np

from simlib.model.vectorized_contacts import hour_of_day, quiet, quiet_hours_end
from simlib.world.channels import SAME_INSTANT_DAYS

INF = np.inf
#: the most a cap (then the quiet hours) moves the agency's notice: a message's send + 7, after the
#: attempt, then less than a day; the next attempt after at least this many days' wait follows the send
MOVE_DAYS, MIN_WAIT = 8.0, 9
_EPS = 1e-6


def waits_for_notice(ag) -> bool:
    """Whether the placement waits for a final notice (a bad-debt placement with a notice wait)."""
    return ag.kind == "bad_debt" and ag.notice_days_before is not None


def agency_problems(sc, strategy) -> list[str]:
    """Why ``strategy``'s agency lies outside what the NumPy model simulates (``[]``: inside)."""
    ag = strategy.agency
    if ag is None:
        return []
    problems = []
    if getattr(strategy, "payment_plan", None) is not None and waits_for_notice(ag) and ag.notice_days_before == 0:
        problems.append("a payment plan beside a bad-debt agency with no notice wait (after a default the "
                        "engine places after the other deadlines the plan deferred)")
    if sc.channels[strategy.statement_channel].delivery_days >= ag.placement_days:
        problems.append("an agency placement before the statement arrives")
    if not waits_for_notice(ag):
        return problems
    lim = strategy.contact_limits
    if lim.quiet_hours is not None and ag.notice_days_before < 2:  # moved past the next attempt
        problems.append("an agency's final notice the quiet hours may move, with less than 2 days' wait")
    if lim.quiet_hours is not None and any(sc.channels[step.channel].notice and lo <= ag.placement_days + 1.0 + _EPS
                                           and hi >= ag.placement_days - _EPS
                                           for step, (lo, hi, _) in zip(strategy.ladder, _spans(sc, strategy))):
        problems.append("an agency's final notice the quiet hours may move, with a ladder notice due within a "
                        "day after the attempt (moved to one slot, they go out in the order the engine moved them)")
    if not counts_notice(sc, strategy):
        return problems
    if any(getattr(strategy, key, None) is not None for key in ("payment_plan", "legal_action", "public_accountant")):
        problems.append("an agency's final notice the message cap counts beside a payment plan, legal action "
                        "or the public accountant (sent on a day no column holds, or beside their messages)")
        return problems
    moves = cap_may_move(sc, strategy)
    if moves and ag.notice_days_before < MIN_WAIT:
        problems.append(f"an agency's final notice the message cap may move, with less than {MIN_WAIT} days' wait")
    if moves and _orders_beside(sc, strategy):
        problems.append("an agency's final notice the message cap may move, with a ladder message counted, "
                        f"delivered later or a notice due within {MOVE_DAYS:g} days (and the notice's delivery) "
                        "after the attempt (it may move the notice again, or meet it at one instant)")
    if _holds_a_ladder_notice(sc, strategy, MOVE_DAYS if moves else 1.0):
        problems.append("a ladder notice the message cap may hold back after the agency's final notice")
    return problems


def counts_notice(sc, strategy) -> bool:
    """Whether the 7-day message cap counts (and limits) the agency's notice's channel."""
    lim, name = strategy.contact_limits, strategy.agency.notice_channel
    if lim.messages_per_7_days_max is None:
        return False
    if lim.message_cap_channels is not None:
        return name in lim.message_cap_channels
    ch = sc.channels[name]  # simlib.levers.contact_limits.default_counted for one channel
    return ch.kind == "message" and ch.delivery_days == 0.0 and not ch.notice


def _spans(sc, strategy) -> list[tuple[float, float, bool]]:
    """Per ladder step: the interval of its send, in days after the statement (its day; with an hour
    ``floor(statement + day) + hour``, within the day before that; not before the statement, up to a day later for a notice the quiet hours
    move), and whether the cap counts it (a counted message channel)."""
    lim = strategy.contact_limits
    counted = lim.message_cap_channels if lim.message_cap_channels is not None else \
        [n for n, c in sc.channels.items() if c.kind == "message" and c.delivery_days == 0.0 and not c.notice]
    out = []
    for step in strategy.ladder:
        ch = sc.channels[step.channel]
        day = step.day + (strategy.credit_terms_days if step.relative_to == "due_date" else 0.0)
        lo, hi = (day, day) if step.hour is None else (day - 1.0 + step.hour / 24.0, day + step.hour / 24.0)
        moved = ch.notice and lim.quiet_hours is not None
        out.append((max(lo, 0.0) - _EPS, max(hi, 0.0) + (1.0 if moved else 0.0) + _EPS,
                    ch.kind == "message" and step.channel in counted))
    return out


def _counted_in(sc, strategy, lo: float, hi: float) -> int:
    """How many counted ladder messages may be sent in ``[lo, hi]`` days after the statement."""
    return sum(1 for a, b, counted in _spans(sc, strategy) if counted and a <= hi and b >= lo)


def _orders_beside(sc, strategy) -> bool:
    """Whether a ladder message the cap counts, one delivered later or a notice may go out from the
    first attempt to :data:`MOVE_DAYS` (and the agency's notice's delivery) after it: a counted one
    may hold the moved notice back again at its slot; one sent after the attempt whose send or
    arrival falls on the moved notice's send or arrival would come after it in the engine's order
    of one instant, where the columns put the moved notice after every delivery (those of the
    messages sent before the attempt, which the engine scheduled first: a letter's a week after
    its send, the very slot it gives)."""
    at, ag = strategy.agency.placement_days, strategy.agency
    end = at + MOVE_DAYS + sc.channels[ag.notice_channel].delivery_days + _EPS
    return any((counted or sc.channels[step.channel].delivery_days > 0.0 or sc.channels[step.channel].notice)
               and lo <= end and hi >= at - _EPS
               for step, (lo, hi, counted) in zip(strategy.ladder, _spans(sc, strategy))
               if sc.channels[step.channel].kind == "message")


def cap_may_move(sc, strategy) -> bool:
    """Whether the cap may hold the agency's notice back: as many counted ladder messages as it
    allows may fall in the 7 days before the first attempt or its quiet-hours slot (a cap of 0
    never moves a notice: the engine's)."""
    lim, at = strategy.contact_limits, strategy.agency.placement_days
    if not counts_notice(sc, strategy) or not lim.messages_per_7_days_max:
        return False
    late = 1.0 if lim.quiet_hours is not None else 0.0
    return _counted_in(sc, strategy, at - 7.0 - _EPS, at + late + _EPS) >= lim.messages_per_7_days_max


def _holds_a_ladder_notice(sc, strategy, move: float) -> bool:
    """Whether a ladder notice the cap counts may fall within 7 days after the agency's notice
    (sent from the attempt to ``move`` days later) with as many other counted messages as the cap
    allows in its 7 days: the cap would hold it back on a day the agency's notice decides."""
    lim, at = strategy.contact_limits, strategy.agency.placement_days
    if not lim.messages_per_7_days_max:
        return False
    spans = _spans(sc, strategy)
    for s, (lo, hi, counted) in enumerate(spans):
        if not (counted and sc.channels[strategy.ladder[s].channel].notice) or hi < at - _EPS or lo > at + move + 7.0:
            continue
        before = sum(1 for r, (a, b, c) in enumerate(spans) if r != s and c and a <= hi and b > lo - 7.0)
        if before + 1 >= lim.messages_per_7_days_max:
            return True
    return False


def cap_slots(agency, first: np.ndarray, statement: np.ndarray, step_times: list) -> list[np.ndarray]:
    """The days the cap may move the notice due at the first attempt ``first`` to, per account: each
    counted ladder message's send (in the 7 days before) + 7, out of the quiet hours (``inf``: none)."""
    if not cap_may_move(agency.sc, agency.st):
        return []
    out, hours = [], agency.st.contact_limits.quiet_hours
    for s, (step, at) in enumerate(zip(agency.st.ladder, step_times)):
        if not _spans(agency.sc, agency.st)[s][2]:
            continue
        sent = agency.contacts.notices.sent_day(s, np.maximum(at, statement))  # a step due before runs at it
        with np.errstate(invalid="ignore"):  # no attempt or no step: inf - inf
            near = np.isfinite(first) & (first - sent < 7.0) & (sent <= first)
        out.append(np.where(near, quiet_hours_end(hours, np.where(near, sent, 0.0) + 7.0), INF))
    return out


def notice_slot(agency, ii: np.ndarray, at: np.ndarray, sending: np.ndarray) -> np.ndarray:
    """Where the limits move the agency's notice due at ``at`` for accounts ``ii`` (``inf``: it goes
    out now): the engine's ``message_allowed`` and ``next_message_slot`` on the contacts' send times;
    the hospital sends it where ``sending`` (the others' days are not read)."""
    lim, state = agency.st.contact_limits, agency.contacts.state
    allowed = ~quiet(lim.quiet_hours, hour_of_day(at))
    t = np.array(at, float)
    if agency.counted:
        sent = state.sent[ii]
        recent = at[:, None] - sent < 7.0  # not yet sent: -inf, never recent
        n = recent.sum(axis=1)
        allowed &= n < lim.messages_per_7_days_max
        held = np.flatnonzero(n >= lim.messages_per_7_days_max) if lim.messages_per_7_days_max else np.array([], int)
        if held.size:
            times = np.sort(np.where(recent[held], sent[held], INF), axis=1)
            t[held] = times[np.arange(held.size), n[held] - lim.messages_per_7_days_max] + 7.0
    slot = quiet_hours_end(lim.quiet_hours, t)
    slot = np.where(~allowed & (slot > at + SAME_INSTANT_DAYS), slot, INF)
    known = ~np.isfinite(slot) | ~sending
    for col in agency.slots:  # the columns of the days it may move to (cap_slots, the quiet hours')
        known |= col[ii] == slot
    if not known.all():
        raise RuntimeError("the message cap moved an agency's final notice to a day no column holds, which "
                           "simlib.model.vectorized_agency_notice.agency_problems says it never does")
    return slot
