"""Disputes in the NumPy model (issue 27: the hybrid engine).

The engine's :class:`simlib.levers.disputes.Disputes` gives a bill with a billing error a dispute a
pre-drawn delay after the statement (order 2): the patient pays nothing from the statement on; at
the dispute the account waits for the billing team (a capacity), its work and the resolution, all
the while its collection clock stands still — every pending action moves later by the dispute's
duration and the intensity fades over it —; then the dispute's cost, the correction when the
patient is right, and the corrected statement (a contact that always reaches). A bill the patient
is right about was an overcharge, billed at service.

The dispute's day is static (nobody pays before it), so the hybrid engine runs the billing team's
queue apart (:mod:`simlib.model.hybrid_disputes`): a probe run of the NumPy model on the disputed
accounts finds the day each dispute is raised (the SimPy clock's ``start + (day - start)``: the
account waits on a timeout from the run's first day), the queue gives its end, and the run proper
resolves each dispute at its end (:class:`Disputes`: the shift of every later column, the fade,
the rows, the contact). A dispute that does not end by the horizon leaves its account as it is.
Only for strategies whose every account the NumPy model runs (:func:`disputes_in_numpy`); or, when
some disputed accounts run on SimPy (a call step may select them, or the engine keeps them), the
billing team's queue stays on SimPy and the NumPy accounts' disputes join it by SimPy processes of
the team's work alone. Under contact limits, unless a ladder notice the quiet hours may move
(:func:`~simlib.model.vectorized_notices.shift_moves_notices` says why). Beside a
deposit, the overcharge is billed on the balance the deposit leaves: the NumPy model books that
``BILLED`` row (:func:`simlib.model.hybrid_disputes.overcharge_in_numpy`). Beside patient
financing, collection charges, a pay link or a patient portal (without plans), their offer, charge,
link or visit is one more action the dispute moves (and a link or a visit before it may close the
account); beside a card on file, a retry scheduled after the dispute has its own day
(:meth:`simlib.model.vectorized_self_service.SelfService.beside`).
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.model.vectorized_intensity import intensity_after
from simlib.model.vectorized_notices import shift_moves_notices

INF = np.inf
DISPUTE = -14  # the dispute's action code (simlib.model.vectorized)

#: the levers beside which disputes stay on SimPy (they hold accounts: a plan, an agency, a court,
#: the public accountant)
_NOT_BESIDE = ("payment_plan", "agency", "legal_action", "public_accountant")


def disputes_in_numpy(sc, st, team_on_simpy: bool = False) -> bool:
    """Whether the NumPy model may run the disputes of strategy ``st`` (its accounts must all run
    there too: the hybrid engine checks that); ``team_on_simpy``: whether it may run those of its
    accounts while other disputed accounts run on SimPy (those a call step may select, those the
    engine keeps): the billing team's queue stays on SimPy then
    (:func:`simlib.model.hybrid_disputes.team_work`)."""
    calls = any(sc.channels[step.channel].kind == "call" for step in st.ladder) or st.phone_team is not None
    return ((team_on_simpy or not calls) and not shift_moves_notices(sc, st)  # the limits: see there
            and all(getattr(st, key) is None for key in _NOT_BESIDE) and sc.behaviour.payment_timing is None)


def dispute_offsets(sc, st, pop, billing_error_rate: float) -> np.ndarray:
    """Days from the statement to each encounter's dispute (NaN: no billing error), as the lever
    draws them (its rate: the world's billing error rate × a price estimate's multiplier)."""
    estimate = st.price_estimate
    rate = billing_error_rate * (estimate.dispute_rate_multiplier if estimate is not None else 1.0)
    return np.where(pop.error_u < rate, pop.dispute_delay, np.nan)


class Disputes:
    """The disputes of one strategy over one population (inactive: the accounts have none)."""

    def __init__(self, sc, st, pop, billing_error_rate: float | None, ends: np.ndarray | None, probe: bool):
        n = pop.n
        self.active = billing_error_rate is not None
        self.paused = np.zeros(n, bool)   # no payment from the statement to the dispute's end
        self.frozen = np.zeros(n, bool)   # waiting for the team or the resolution: nothing moves
        self.shift = np.zeros(n)          # the days every later action moved
        self.retimed = None  # a lever's own days of the actions it schedules as it runs (a card's retry)
        self.codes = {DISPUTE} if self.active else set()
        if not self.active:
            return
        bt = sc.operations.billing_team
        self.pop, self.bt, self.probe, self.ends = pop, bt, probe, ends
        self.start = -float(sc.simulation.warm_up_days)
        self.horizon = sc.simulation.horizon_days
        self.offset = dispute_offsets(sc, st, pop, billing_error_rate)
        c = np.minimum(pop.correction_fraction, 0.99)  # the lever's overcharge: true balance ÷ (1 − c)
        error = ~np.isnan(self.offset)
        self.overcharge = np.where(error & (pop.favour_u < bt.patient_favour_rate), c / (1.0 - c), 0.0)
        self.corrected_jump = sc.behaviour.corrected_statement_jump_per_day
        self.deposit = st.deposit is not None  # the overcharge is billed on what the deposit left
        #: the account's own day of each dispute the SimPy clock reaches before the horizon (a probe
        #: run), NaN for none: SimPy raises it on ``start + (day - start)``
        self.raised = np.full(n, np.nan)
        self.sends: dict[int, tuple] = {}  # ladder step -> (its raw send days, its delivery days)

    def overcharged(self, billed: np.ndarray, bal: np.ndarray, rows) -> None:
        """The balances the world billed with an overcharge (its own ``BILLED`` row at service);
        beside a deposit, on the balance the deposit left, and the row is ours
        (:func:`overcharge_in_numpy`)."""
        if self.active:
            extra = np.round(bal[billed] * self.overcharge[billed]).astype(np.int64)
            extra = np.where(extra > 0, extra, 0)
            bal[billed] += extra
            if self.deposit:
                over = billed[extra > 0]
                rows.add(over, self.pop.service_day[over], Kind.BILLED, extra[extra > 0])

    def column(self, statement: np.ndarray, stated: np.ndarray, contacts) -> np.ndarray:
        """The dispute's day (inf: none); the disputed accounts pay nothing from the statement on, and
        their corrected statement counts in fatigue (one more reach column)."""
        if not self.active:
            return np.full(statement.shape, INF)
        self.paused[:] = stated & ~np.isnan(self.offset)
        state = contacts.state
        self.reach_column = state.reached.shape[1]
        state.reached = np.hstack([state.reached, np.full((state.reached.shape[0], 1), -INF)])
        self.raised_raw = np.where(self.paused, statement + np.nan_to_num(self.offset, nan=0.0), INF)
        return self.raised_raw

    def delivery(self, s: int, sent: np.ndarray, days: float, notices) -> np.ndarray:
        """Ladder step ``s``'s messages, due on ``sent`` (raw; ``notices``: the quiet hours' moves,
        :class:`~simlib.model.vectorized_notices.MovedNotices`), arrive ``days`` later: their delivery
        column. A message sent after its account's dispute is resolved is scheduled on the shifted
        clock — the engine files it at ``(sent + shift + days) − shift`` —, and the schedule is
        sorted by that day (a delivery due the same instant as a later step keeps the engine's order)."""
        col = notices.sent_day(s, sent) + days
        if not self.active:
            return col
        self.sends[s] = (sent, days)
        if self.ends is not None:  # the run proper: every dispute's shift is known
            d = self.ends - (self.start + (self.raised_raw - self.start))
            after = (sent >= self.raised_raw) & ~np.isnan(d)  # the step runs after the dispute (order 2 first)
            with np.errstate(invalid="ignore"):
                col = np.where(after, ((sent + d) + days) - d, col)
        return col

    def moved(self, alive: np.ndarray, t_next: np.ndarray, codes: np.ndarray, steps: int) -> np.ndarray:
        """The column's days ``t_next`` (raw) of accounts ``alive`` moved by their disputes: the
        engine runs a scheduled action at its day plus the shift; a message sent after the dispute
        schedules its arrival at ``(sent + days) − shift``, run at that plus the shift."""
        shift = self.shift[alive]
        t = t_next + shift
        moved = np.flatnonzero((shift != 0.0) & (codes >= steps) & (codes < 2 * steps))
        for k in moved.tolist():
            sent, days = self.sends[int(codes[k]) - steps]
            a = alive[k]
            if sent[a] >= self.raised_raw[a]:  # the step ran after the dispute (order 2 before 10 + n)
                d = shift[k]
                t[k] = ((sent[a] + d) + days - d) + d
        return t if self.retimed is None else self.retimed(alive, t_next, t, codes)

    def stand_down(self, ii: np.ndarray, at: np.ndarray, codes: np.ndarray, clock_only: int):
        """Everything due for a frozen account only advances its clock (nothing reads it again)."""
        frozen = self.frozen[ii]
        return (ii, at, codes) if not frozen.any() else (ii, at, np.where(frozen, clock_only, codes))

    def dispute(self, jj: np.ndarray, at: np.ndarray, bal, lam, t0, now, contacts, rows, counters, kappa_floor) -> None:
        """The disputes of accounts ``jj`` raised at ``at`` (their own clock; the SimPy clock reads
        ``start + (at - start)``): recorded (a probe), or resolved at their end."""
        raised = self.start + (at - self.start)
        if self.probe:
            self.raised[jj] = np.where(raised < self.horizon, at, np.nan)
            self.frozen[jj] = True
            return
        counters["disputes"] += int((raised < self.horizon).sum())
        end = self.ends[jj]
        done = ~np.isnan(end)
        self.frozen[jj[~done]] = True
        jj, end, raised = jj[done], end[done], raised[done]
        if not jj.size:
            return
        pop, bt = self.pop, self.bt
        rows.add(jj, end, Kind.COST_DISPUTE, cents(bt.cost_per_dispute))
        b = bal[jj]
        corr = np.minimum(b - 1, np.round(b * pop.correction_fraction[jj]).astype(np.int64))
        corr = np.where(pop.favour_u[jj] < bt.patient_favour_rate, corr, 0)
        fix = corr > 0
        rows.add(jj[fix], end[fix], Kind.CORRECTION, corr[fix])
        bal[jj] = b - np.where(fix, corr, 0)
        floor, kappa = kappa_floor
        lam[jj] = intensity_after(lam[jj], floor, kappa, end - raised)  # attention faded meanwhile
        self.shift[jj] += end - raised  # every pending action later by the dispute's duration
        t0[jj] = end
        now[jj] = end
        self.paused[jj] = False
        contacts.respond(self.reach_column, jj, end, self.corrected_jump)  # the corrected statement
