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
- refused, in the hybrid's run (a ``RuntimeError``: the probe said it is never called).
"""
from __future__ import annotations

import numpy as np

from simlib.world.capacities.phone_team import next_open_slot


class CallSteps:
    """The call steps of one strategy's ladder for the accounts of one NumPy run."""

    def __init__(self, sc, st, n: int, probe: bool):
        self.steps = {s for s, step in enumerate(st.ladder) if sc.channels[step.channel].kind == "call"}
        self.ladder, self.probe, self.team = st.ladder, probe, st.phone_team
        #: the accounts a call step would have called (a probe run), by the run's index
        self.called = np.zeros(n, bool)

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

    def step(self, s: int, ii: np.ndarray, bal: np.ndarray) -> None:
        """Call step ``s`` at its column for accounts ``ii`` (open, not held: the loop's): those
        whose balance is in the step's band would wait for the team."""
        t = self.ladder[s].target
        usd = bal[ii] / 100.0  # as the engine's step: cents to dollars, then the band
        calls = usd >= t.balance_min
        if t.balance_max is not None:
            calls &= usd <= t.balance_max
        if not calls.any():
            return
        if not self.probe:
            raise RuntimeError(f"call step {s} ({self.ladder[s].channel}) reaches {int(calls.sum())} account(s) "
                               "the hybrid engine runs in NumPy: its probe run said no call reaches them")
        self.called[ii[calls]] = True
