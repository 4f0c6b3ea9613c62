"""Disputes in the NumPy model (issue 27: the hybrid engine).

The engine's :class:`simlib.levers.disputes.Disputes` gives a bill with a billing error a dispute a
pre-drawn delay after the statement (order 2): the patient pays nothing from the statement on; at
the dispute the account waits for the billing team (a capacity), its work and the resolution, all
the while its collection clock stands still — every pending action moves later by the dispute's
duration and the intensity fades over it —; then the dispute's cost, the correction when the
patient is right, and the corrected statement (a contact that always reaches). A bill the patient
is right about was an overcharge, billed at service.

The dispute's day is static (nobody pays before it but to a lever that took the account over,
which the probe run below follows), so the hybrid engine runs the billing team's queue apart
(:mod:`simlib.model.hybrid_disputes`): a probe run of the NumPy model on the disputed
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

Beside a lever that holds accounts (:meth:`Disputes.beside`: the public accountant, a payment plan,
an agency) the engine has one paused clock: the dispute pauses it at the statement, the holder's
``take_over`` sets it (the accountant's demand and an agency's placement restart it, a garnishment
and a plan stop it, a plan's default restarts it), and a resolution restarts it only where no lever
holds the account; a dispute runs whoever holds the account. An action the holder files after a
dispute moved it is filed at ``(now + days) − shift`` (after the action filing it, even where the
round trip puts it before): in the run proper each dispute's duration is known (the queue's end), so
those keys are the columns' (:meth:`Disputes.scheduled_after`: the garnishment and the garnishee's
payment, a plan's instalments, a bad-debt placement deferred for its notice, the notice's arrival),
in the engine's order. A dispute an agency meets after the placement is resolved on the agency's
clock, in its phase (:meth:`Disputes.held_run_times`, :meth:`Disputes.held_dispute`).
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.model.vectorized_intensity import intensity_after
from simlib.model.vectorized_notices import shift_moves_notices

INF = np.inf
DISPUTE = -14  # the dispute's action code (simlib.model.vectorized)



def disputes_in_numpy(sc, st, team_on_simpy: bool = False) -> bool:
    """Whether the NumPy model may run the disputes of strategy ``st`` (its accounts must all run
    there too: the hybrid engine checks that); ``team_on_simpy``: whether it may run those of its
    accounts while other disputed accounts run on SimPy (those a call step may select, those the
    engine keeps): the billing team's queue stays on SimPy then
    (:func:`simlib.model.hybrid_disputes.team_work`). Not beside an agency whose placement waits no day for
    its final notice (the engine's attempt runs again at once:
    :func:`simlib.model.vectorized_agency.agency_problems`), nor beside a plan and an agency (a
    placement a plan defers fills reserved columns: :mod:`simlib.model.vectorized_deferred`), nor
    beside an agency under contact limits (its final notice, which the limits may move), nor
    when every dispute comes on the statement's day and a step may be due before it (it runs at the
    statement, before the dispute: the columns see a send on the dispute's day, after it)."""
    lim = st.contact_limits
    if st.agency is not None and (st.payment_plan is not None or (st.agency.kind == "bad_debt"
                                                                 and st.agency.notice_days_before == 0)
                                  or lim.quiet_hours is not None or lim.messages_per_7_days_max is not None):
        return False  # (under contact limits: the agency's final notice the limits may move, not shifted)
    if sc.operations.billing_team.dispute_delay_days_mean == 0 and any(
            step.hour is not None and step.day + (st.credit_terms_days if step.relative_to == "due_date" else 0) < 1
            for step in st.ladder):
        return False
    calls = any(sc.channels[step.channel].kind == "call" for step in st.ladder) or st.phone_team is not None
    return ((team_on_simpy or not calls) and not shift_moves_notices(sc, st)  # the limits: see there
            and sc.behaviour.payment_timing is None)


def dispute_offsets(sc, st, pop, billing_error_rate: float) -> np.ndarray:
    """Days from the statement to each encounter's dispute (NaN: no billing error), as the lever
    draws them (its rate: the world's billing error rate × a price estimate's multiplier)."""
    estimate = st.price_estimate
    rate = billing_error_rate * (estimate.dispute_rate_multiplier if estimate is not None else 1.0)
    return np.where(pop.error_u < rate, pop.dispute_delay, np.nan)


class Disputes:
    """The disputes of one strategy over one population (inactive: the accounts have none)."""

    def __init__(self, sc, st, pop, billing_error_rate: float | None, ends: np.ndarray | None, probe: bool,
                 raised_at: np.ndarray | None = None):
        n = pop.n
        self.active = billing_error_rate is not None
        self.paused = np.zeros(n, bool)   # no payment from the statement to the dispute's end
        self.frozen = np.zeros(n, bool)   # waiting for the team or the resolution: nothing moves
        self.shift = np.zeros(n)          # the days every later action moved
        self.retimed = None  # a lever's own days of the actions it schedules as it runs (a card's retry)
        self.held = np.zeros(n, bool)     # a lever holds the account (:meth:`beside`)
        self.known = np.zeros(n)          # each resolved dispute's duration, known before the run proper
        self.met = np.zeros(n, bool)      # the account met its dispute (raised it, or was taken to court)
        self.end_day = np.full(n, -INF)   # the day each dispute is resolved, known before the run proper
        self.codes = {DISPUTE} if self.active else set()
        if not self.active:
            return
        bt = sc.operations.billing_team
        self.pop, self.bt, self.probe, self.ends = pop, bt, probe, ends
        self.start = -float(sc.simulation.warm_up_days)
        self.horizon = sc.simulation.horizon_days
        #: the SimPy clock where each account last resumed before its dispute (its process starts on the
        #: run's first day; a call's outcome resumes it): it syncs from there to its dispute's day
        self.resumed = np.full(n, self.start)
        #: the SimPy moment each dispute was raised (NaN: none before the horizon), and the moments a
        #: run proper is given (``raised_at``, NaN: ``start + (day - start)``; hybrid_calls' fixed point)
        self.moments, self.raised_at = np.full(n, np.nan), raised_at
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
        if self.ends is not None:  # the run proper: the queue gave each dispute's end, so its duration
            done = self.paused & ~np.isnan(self.ends)
            self.known[done] = self.ends[done] - self.simpy_raised()[done]
            self.end_day[done] = self.ends[done]
        return self.raised_raw

    def simpy_raised(self) -> np.ndarray:
        """The SimPy moment of each dispute known before the run: given (``raised_at``), else the
        account's process syncing from the run's first day, ``start + (day - start)``."""
        raised = self.start + (self.raised_raw - self.start)
        return raised if self.raised_at is None else np.where(np.isnan(self.raised_at), raised, self.raised_at)

    def beside(self, *holders) -> None:
        """Levers that hold accounts beside the disputes (the module doc). The public accountant, a
        plan, legal action: one payment clock stands still for the holder and the dispute (the
        engine's ``clock_paused``: the dispute pauses it from the statement, the holder's
        ``take_over`` sets it, a resolution restarts it only where no lever holds the account), and
        the holder's actions filed after a dispute take their keys (:meth:`scheduled_after`,
        :meth:`deferred_keys`, :meth:`in_court`). An agency: its attempts' keys likewise, and a
        dispute it meets after the placement is resolved on its clock (:meth:`held_run_times`,
        :meth:`held_dispute`)."""
        for holder in holders:
            if not (self.active and holder.active):
                continue
            holder.disputes, holder.after = self, self.scheduled_after
            if hasattr(holder, "paused"):  # the public accountant: its pause is the clock
                holder.paused |= self.paused
                self.paused, self.held = holder.paused, holder.held
                holder.shift = self.shift
            elif hasattr(holder, "rekey"):  # a payment plan: it pauses the disputes' clock; its instalments' keys
                self.held, holder.clock = holder.held, self.paused
                holder.rekey(self.scheduled_after)
            elif hasattr(holder, "clock"):  # legal action: filing pauses the clock for good
                self.held, holder.clock = holder.held, self.paused

    def deferred_keys(self, sends: list, wait: float) -> list:
        """The keys a bad-debt placement waiting for a final notice sent on (raw) days ``sends`` may
        be deferred to: ``floor(sent) + wait`` filed less the shift at the attempt — the notice sent
        after a dispute on its moved day, the attempt before or after it."""
        d, out = self.known, []
        for sent in sends:
            later = np.floor(np.where((d != 0.0) & (self.raised_raw <= sent), self._run(sent), sent)) + wait
            out += [later, np.where(d != 0.0, later - d, INF)]
        return out

    def scheduled_after(self, key: np.ndarray, days: float) -> np.ndarray:
        """The schedule key of an action an action of key ``key`` (order above the dispute's 2)
        schedules ``days`` after it runs: the engine files ``(now + days) − shift``, and ``now``
        is ``key + shift`` once the dispute moved it (its duration is known in the run proper); a
        key the round trip puts before ``key`` is filed after it all the same (``at``'s ``lo``)."""
        d = self.known
        after = (d != 0.0) & (self.raised_raw <= key)
        return np.where(after, np.maximum(key, (self._run(key) + days) - d), key + days)

    def _run(self, key: np.ndarray) -> np.ndarray:
        """The day an action of key ``key`` after a resolved dispute runs: ``key`` plus the dispute's
        duration, or the resolution's day where that rounds before it (the engine's clock never goes back)."""
        return np.maximum(key + self.known, self.end_day)

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
            d = self.ends - self.simpy_raised()
            after = (sent >= self.raised_raw) & ~np.isnan(d)  # the step runs after the dispute (order 2 first)
            with np.errstate(invalid="ignore"):
                col = np.where(after, (np.maximum(sent + d, self.ends) + days) - d, col)
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
                d = shift[k]  # sent at its moved day, or at the resolution if that rounds before it
                t[k] = (max(sent[a] + d, self.ends[a]) + days - d) + d
        return t if self.retimed is None else self.retimed(alive, t_next, t, codes)

    def stand_down(self, ii: np.ndarray, at: np.ndarray, codes: np.ndarray, clock_only: int):
        """Everything due for a frozen account only advances its clock (nothing reads it again)."""
        frozen = self.frozen[ii]
        return (ii, at, codes) if not frozen.any() else (ii, at, np.where(frozen, clock_only, codes))

    def dispute(self, jj: np.ndarray, at: np.ndarray, bal, lam, t0, now, contacts, rows, counters, kappa_floor) -> None:
        """The disputes of accounts ``jj`` raised at ``at`` (their own clock; the SimPy clock reads
        ``start + (at - start)``): recorded (a probe), or resolved at their end."""
        done, raised, end = self._raise(jj, at, counters)
        self.frozen[jj[~done]] = True
        self.paused[jj[~done]] = True  # never resolved: the account waits (even one a holder unpaused)
        jj, end, raised = jj[done], end[done], raised[done]
        if not jj.size:
            return
        self._resolve(jj, end, bal, rows)
        floor, kappa = kappa_floor
        lam[jj] = intensity_after(lam[jj], floor, kappa, end - raised)  # attention faded meanwhile
        self.shift[jj] += end - raised  # every pending action later by the dispute's duration
        t0[jj] = end
        now[jj] = end
        self.paused[jj] &= self.held[jj]  # a lever holding it decides (its take_over set the clock)
        contacts.respond(self.reach_column, jj, end, self.corrected_jump)  # the corrected statement

    def _raise(self, jj: np.ndarray, at: np.ndarray, counters):
        """Disputes raised at ``at``: which are resolved (none in a probe, which records the
        account's own day, SimPy raising it on ``start + (day - start)``), their SimPy day and their end."""
        self.met[jj] = True
        back = self.resumed[jj]
        raised = back + (at - back)  # the account syncs from where it last resumed
        self.moments[jj] = np.where(raised < self.horizon, raised, np.nan)
        if self.probe:
            self.raised[jj] = np.where(raised < self.horizon, at, np.nan)
            return np.zeros(jj.size, bool), raised, raised
        counters["disputes"] += int((raised < self.horizon).sum())
        end = self.ends[jj]
        return ~np.isnan(end), raised, end

    def _resolve(self, jj: np.ndarray, end: np.ndarray, bal, rows) -> None:
        """The resolution's rows: the dispute's cost, the correction where the patient is right."""
        pop, bt = self.pop, self.bt
        rows.add(jj, end, Kind.COST_DISPUTE, cents(bt.cost_per_dispute))
        b = bal[jj]
        corr = np.minimum(b - 1, np.round(b * pop.correction_fraction[jj]).astype(np.int64))
        corr = np.where(pop.favour_u[jj] < bt.patient_favour_rate, corr, 0)
        fix = corr > 0
        rows.add(jj[fix], end[fix], Kind.CORRECTION, corr[fix])
        bal[jj] = b - np.where(fix, corr, 0)

    def in_court(self, jj: np.ndarray, at: np.ndarray, keys: tuple, bal, rows, counters):
        """Accounts ``jj`` taken to court at ``at`` (their clock stands still for good), the court's
        actions filed at ``keys`` (in order): the days they run and whether they do. A dispute still
        to come before the last is raised (the account is held, its balance open), moves those
        after it by its duration, or holds them past the horizon when it is not resolved by then."""
        d_now, R = self.shift[jj], self.raised_raw[jj]
        meet = ~self.met[jj] & np.isfinite(R) & (R <= keys[-1]) & (R <= self.horizon)
        k = np.flatnonzero(meet)
        done, _, end = self._raise(jj[k], R[k], counters)
        self.frozen[jj[k]] = True  # nothing else happens to them in the loop (the court holds them)
        if done.any():  # the resolution's rows, before the enforcement takes the corrected balance
            self._resolve(jj[k[done]], end[done], bal, rows)
        resolved = np.zeros(jj.size, bool)
        resolved[k[done]] = True
        runs, go = [], np.ones((len(keys), jj.size), bool)
        for m, key in enumerate(keys):
            after = meet & (R <= key)  # the dispute (order 2) before the court's action (6)
            runs.append(np.maximum(key + np.where(after, self.known[jj], d_now), at))
            go[m] = ~after | resolved
        return runs, go

    # ------------------------------------------------------------------ an agency holding the account
    def held_run_times(self, ii: np.ndarray, keys: np.ndarray, codes: np.ndarray, disputed: np.ndarray,
                       steps: int) -> np.ndarray:
        """The days the engine runs the actions of keys ``keys`` (codes ``codes``, sorted; the
        dispute's column where ``disputed``) an agency holding accounts ``ii`` meets: moved as in
        the loop by a dispute before the placement (:meth:`moved`), or by the duration of a
        dispute the agency meets, after it."""
        t = keys.copy()
        if not self.active:
            return t
        for j in range(keys.shape[1]):
            due = np.isfinite(keys[:, j])
            t[due, j] = self.moved(ii[due], keys[due, j], codes[due, j], steps)
        after = (np.cumsum(disputed, axis=1) > 0) & ~disputed
        return np.where(after, t + self.known[ii][:, None], t)

    def held_dispute(self, p: np.ndarray, jj: np.ndarray, at: np.ndarray, bal, lam, t0, contacts, rows, counters,
                     floor: float, kappa: float, initial: np.ndarray) -> np.ndarray:
        """Disputes of accounts ``jj`` an agency holds (its clock: ``lam``, ``t0``, ``initial``, by
        the agency's rows ``p``), raised at ``at``: which go on (the others wait past the horizon)."""
        done, raised, end = self._raise(jj, at, counters)
        q, jj, end, raised = p[done], jj[done], end[done], raised[done]
        if jj.size:
            self._resolve(jj, end, bal, rows)
            lam[q] = intensity_after(lam[q], floor, kappa, end - raised)  # the agency's decay
            t0[q] = end
            self.shift[jj] += end - raised
            # the corrected statement on the agency's clock (learning of the bill: its initial intensity)
            contacts.lam[jj], contacts.initial_lam[jj] = lam[q], initial[q]
            contacts.respond(self.reach_column, jj, end, self.corrected_jump)
            lam[q] = contacts.lam[jj]
        return done
