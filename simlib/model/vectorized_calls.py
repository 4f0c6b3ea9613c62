"""The ladder's call steps for accounts the phone team never calls (issue 27: the hybrid engine).

A call step's static targeting (score band, payers, the balance floor when the ladder is scheduled)
selects more accounts than the phone team ever calls: at the step's day the engine's
:meth:`simlib.levers.reminders.Ladder.step` asks the team only for an account still open, not held
by a plan or an agency, whose balance is still in the step's band — a patient who paid in full, or
paid down below ``balance_min``, or was written off or placed before, is never called. Until its
call the account touches nothing shared: it runs ahead on its own clock, and its SimPy process
creates no event. So an account that never reaches a call has the same path with or without
the phone team, and the SimPy run of the others is the same without it.

:class:`CallSteps` is what the NumPy model does at a call step's column for the accounts it runs:
nothing but the clock (the engine advances the intensity at every action's time, so the column
stays, or the last bit of later payment days moves); an account the step would call is

- recorded, in a **probe** run (:func:`simlib.model.hybrid.numpy_accounts` runs the accounts a call
  step may select before the SimPy run and leaves to SimPy those a call reaches, for their whole
  life: what the call does after is the team's queue, shared with the others);
- refused, in the hybrid's run (a ``RuntimeError``: the probe said it is never called);
- **called**, given each call's outcome (``outcomes``: (encounter, attempt) → granted or given up, and
  when; benchmarks/calls_fixed_point.py finds them as the fixed point of the phone team's queue): the
  engine's :meth:`~simlib.world.capacities.phone_team.PhoneTeamCapacity.call` without its wait. The
  account asks for the call at the step (its deadline: the next payment, or ``max_wait_days`` later;
  recorded in :attr:`CallSteps.requests`, what the team's queue needs), then stands still until the
  outcome's day: given up (``calls_abandoned`` at the wait's limit), or an agent takes it — unless the
  contact limits forbid it (quiet hours, the 7-day call cap) it costs the channel's cost and reaches
  the right party below ``right_party_contact_rate`` (the pre-drawn uniform of the attempt): the
  response, opt-out and complaint of any reached contact. The actions due meanwhile run after it, at
  its day (the loop's clock), as the engine's blocked account runs them. A call step a dispute moved
  out of the team's hours moves to its next slot (:meth:`Ladder.step <simlib.levers.reminders.Ladder.step>`:
  ``calls_moved_to_working_hours``, filed at ``slot − shift``, order 10): a column of its own right
  after the step's, filled when the step moves and moved, in the account's row, after the actions
  filed before it (:meth:`CallSteps.move`); the form refuses (:class:`MovedCallRefused`) one filed at
  the same key, or any move beside an agency (whose deferred placements hold columns by place).
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.rng import take_rows
from simlib.model.vectorized_contacts import hour_of_day, quiet
from simlib.world.capacities.phone_team import CALL_ATTEMPTS, next_open_slot

#: a call's outcomes: an agent took it; no agent came before the patient paid; none within ``max_wait_days``
GRANTED, PAID, ABANDONED = "granted", "paid meanwhile", "abandoned"
#: the action code of the ``k``-th call step's move to the team's next slot is ``MOVED_CALL - k`` (between
#: the self-service levers' codes and the plans': tests/test_vectorized_codes.py), for at most
#: ``MAX_MOVED_CALLS`` call steps
MOVED_CALL, MAX_MOVED_CALLS = -81, 19


class MovedCallRefused(RuntimeError):
    """A call step moved to the team's next slot where the NumPy form does not follow it (the caller
    keeps the called accounts on SimPy): beside an agency, at the key of another action, or more call
    steps than moved codes."""


class CallSteps:
    """The call steps of one strategy's ladder for the accounts of one NumPy run."""

    def __init__(self, sc, st, n: int, probe: bool, outcomes: dict | None = None, contacts=None):
        self.steps = {s for s, step in enumerate(st.ladder) if sc.channels[step.channel].kind == "call"}
        #: given the outcomes, each call step's move to a slot has a column: its code -> the step
        self.moved_codes = {MOVED_CALL - k: s for k, s in enumerate(sorted(self.steps))} if outcomes is not None else {}
        self.codes = self.steps | set(self.moved_codes)  # the columns :meth:`step` acts on
        self.disputes = self.raw = None  # the run's disputes (their shift, the resume moments) and schedule
        self.ladder, self.probe, self.team, self.agency = st.ladder, probe, st.phone_team, st.agency is not None
        #: the accounts a call step would have called (a probe run), by the run's index
        self.called = np.zeros(n, bool)
        self.outcomes, self.contacts, self.sc, self.limits = outcomes, contacts, sc, st.contact_limits
        #: the calls asked for, in the order asked: (encounter, attempt, day, next payment day, duration)
        self.requests: list[tuple] = []
        #: the calls an agent took but the contact limits forbade: (encounter, attempt)
        self.suppressed: list[tuple] = []
        if outcomes is not None:
            self.attempts = np.zeros(n, np.int64)
            self.call_times = np.full((n, max(1, len(self.steps))), -np.inf)  # the calls placed, by step

    def bind(self, pop, advance, pay_time, now, disputes) -> None:
        """The run's clock: its ``advance`` and ``pay_time`` functions and ``now`` array; its disputes."""
        self.pop, self.advance, self.pay_time, self.now, self.disputes = pop, advance, pay_time, now, disputes

    def moved_columns(self, step_times: list) -> tuple[list, list]:
        """The columns of the call steps' moves (right after their steps': the same raw days) and their
        codes; none but given the outcomes."""
        if len(self.moved_codes) > MAX_MOVED_CALLS:
            raise MovedCallRefused(f"{len(self.moved_codes)} call steps: at most {MAX_MOVED_CALLS} may move")
        return [step_times[s] for s in self.moved_codes.values()], list(self.moved_codes)

    def attach(self, raw: np.ndarray, code: np.ndarray, row: np.ndarray) -> None:
        """The run's schedule (raw days and codes by row, each account's row): a move fills its column."""
        self.raw, self.code, self.row = raw, code, row
        self.moved = np.zeros(raw.shape, bool)  # the move columns filled

    def unscheduled(self, ii: np.ndarray, codes: np.ndarray, j: int) -> np.ndarray:
        """Which of the actions due at column ``j`` are call moves that never happened (their column
        keeps the step's key until :meth:`move` fills it)."""
        if not self.moved_codes:
            return np.zeros(ii.size, bool)
        return (codes <= MOVED_CALL) & (codes > MOVED_CALL - MAX_MOVED_CALLS) & ~self.moved[self.row[ii], j]

    def move(self, s: int, ii: np.ndarray, slots: np.ndarray, counters) -> None:
        """Call step ``s`` of accounts ``ii``, out of the team's hours, moves to ``slots``: filed at
        ``slot − shift`` (the engine's ``acct.at(slot, 10, …)``: ``insort`` on (key, order)) — its
        column takes that key and moves, in the account's row, after the columns filed before it (the
        row's columns not yet run, still sorted by key)."""
        if self.agency:
            raise MovedCallRefused(f"call step {s}: moved to the team's next slot beside an agency")
        counters["calls_moved_to_working_hours"] += ii.size
        shift = self.disputes.shift[ii] if self.disputes is not None else np.zeros(ii.size)
        key = slots - shift
        code = next(c for c, step in self.moved_codes.items() if step == s)
        raw, codes, moved = self.raw, self.code, self.moved
        for r, k in zip(self.row[ii].tolist(), key.tolist()):
            j = int(np.argmax(codes[r] == code))
            before = raw[r, j + 1:] < k
            if (raw[r, j + 1:] == k).any():  # the same key: order decides (refused: a measure-zero tie)
                raise MovedCallRefused(f"call step {s}: moved to the key of another action")
            p = j + int(before.sum())  # the columns after it are sorted: those filed before k come first
            if p > j:
                for m in (raw, codes, moved):
                    m[r, j:p] = m[r, j + 1:p + 1].copy()
            raw[r, p], codes[r, p], moved[r, p] = k, code, True

    def working_slots(self, s: int, at: np.ndarray, scheduled: np.ndarray, counters) -> np.ndarray:
        """Step ``s``'s days ``at`` moved to the team's working slots, as
        :meth:`simlib.levers.phone_team.PhoneTeam.schedule` moves them when an account's schedule
        is built (the same function, once per distinct day), counting
        ``calls_moved_to_working_hours`` for the ``scheduled`` accounts (the engine builds their
        schedule: a statement before the horizon; the step's static targeting selects them)."""
        if s not in self.steps:
            return at
        days, where = np.unique(at[scheduled], return_inverse=True)
        hours, working_days = tuple(self.team.hours), tuple(self.team.working_days)
        slots = np.array([next_open_slot(day, hours, working_days) for day in days.tolist()], dtype=float)
        moved = at.copy()
        moved[scheduled] = slots[where]
        counters["calls_moved_to_working_hours"] += int((moved[scheduled] != at[scheduled]).sum())
        return moved

    def step(self, s: int, ii: np.ndarray, at: np.ndarray, bal: np.ndarray) -> None:
        """Call step ``s`` at its column for accounts ``ii`` (open, not held: the loop's) at ``at``:
        those whose balance is in the step's band would wait for the team."""
        s = self.moved_codes.get(s, s)  # a move's column: the step again, at its slot
        t = self.ladder[s].target
        usd = bal[ii] / 100.0  # as the engine's step: cents to dollars, then the band
        calls = usd >= t.balance_min
        if t.balance_max is not None:
            calls &= usd <= t.balance_max
        if not calls.any():
            return
        if self.outcomes is not None:
            self.call(s, ii[calls], at[calls])
            return
        if not self.probe:
            raise RuntimeError(f"call step {s} ({self.ladder[s].channel}) reaches {int(calls.sum())} account(s) "
                               "the hybrid engine runs in NumPy: its probe run said no call reaches them")
        self.called[ii[calls]] = True

    def call(self, s: int, ii: np.ndarray, at: np.ndarray) -> None:
        """Call step ``s`` calls accounts ``ii`` at ``at``, each call's outcome given."""
        contacts, team, counters = self.contacts, self.team, self.contacts.counters
        channel = self.ladder[s].channel
        cfg, c = self.sc.channels[channel], list(self.sc.channels).index(channel)
        hours, days = tuple(team.hours), tuple(team.working_days)
        slots = np.array([next_open_slot(t, hours, days) for t in at.tolist()], dtype=float)
        late = slots > at  # a dispute moved the step out of the team's hours: to its next slot
        if late.any():
            self.move(s, ii[late], slots[late], counters)
            ii, at = ii[~late], at[~late]
        out = contacts.state.opted_out[ii, c]  # the patient opted out of calls: not asked
        counters["opted_out_contacts"] += int(out.sum())
        ii, at = ii[~out], at[~out]
        attempt = self.attempts[ii]
        self.attempts[ii] += 1
        duration = team.call_minutes_mean / 1440.0 * self.pop.call_minutes_exp[ii, attempt % CALL_ATTEMPTS]
        self.requests += zip(ii.tolist(), attempt.tolist(), at.tolist(), self.pay_time(ii).tolist(), duration.tolist())
        got = [self.outcomes.get((i, m), (GRANTED, t)) for i, m, t in zip(ii.tolist(), attempt.tolist(), at.tolist())]
        granted = np.array([g[0] == GRANTED for g in got], bool)
        day = np.array([g[1] for g in got], float)
        gone = ~granted  # no agent before the wait ended: the patient paid meanwhile, or abandoned
        self.now[ii[gone]] = day[gone]
        if self.disputes is not None and self.disputes.active:  # the account's process resumed then
            self.disputes.resumed[ii] = day
        counters["calls_abandoned"] += sum(g[0] == ABANDONED for g in got)
        ii, day, attempt = ii[granted], day[granted], attempt[granted]
        allowed = ~quiet(self.limits.quiet_hours, hour_of_day(day))
        if self.limits.calls_per_7_days_max is not None:
            allowed &= (day[:, None] - self.call_times[ii] < 7.0).sum(axis=1) < self.limits.calls_per_7_days_max
        counters["suppressed_contacts"] += int((~allowed).sum())
        counters[f"suppressed_{channel}"] += int((~allowed).sum())
        self.now[ii[~allowed]] = day[~allowed]
        self.suppressed += zip(ii[~allowed].tolist(), attempt[~allowed].tolist())
        ii, day, attempt = ii[allowed], day[allowed], attempt[allowed]
        self.now[ii] = day  # the account's clock moves; its intensity only where the call reaches
        self.call_times[ii, sorted(self.steps).index(s)] = day
        counters["contacts"] += ii.size
        counters["calls"] += ii.size
        contacts.state.cost[ii] += cfg_cents(cfg.cost)
        contacts.rows.add(ii, day, Kind.COST_CONTACT, cfg_cents(cfg.cost))
        # rows drawn on demand (simlib.core.rng.UniformRows), all of this step's at once
        u = take_rows(self.pop.rpc_u, ii)[np.arange(ii.size), attempt % CALL_ATTEMPTS] if ii.size else np.zeros(0)
        reached = u < team.right_party_contact_rate
        ii, day = ii[reached], day[reached]
        counters["calls_right_party"] += ii.size
        if ii.size:
            self.advance(ii, day)
            contacts.respond(s, ii, day, cfg.jump_per_day)
            contacts.after_reach(ii, day, c, cfg)


def cfg_cents(usd: float) -> int:
    return int(round(usd * 100.0))
