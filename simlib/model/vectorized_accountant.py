"""Recovery by the public accountant in the NumPy model (issue 27: the hybrid engine).

The engine's :class:`simlib.levers.public_accountant.PublicAccountantLever` (a French public
hospital's *comptable public*) schedules two actions per account, both of order 6: the reminder
``reminder_days`` after the statement (counted, then a contact on ``reminder_channel``: the account's
contact verb, as a ladder step with no hour makes it) and the formal demand ``demand_days`` after it
(a contact on ``demand_channel``, then the accountant takes the account over: the hospital's reminders
and the deliveries of its letters stand down, the discount ends, the patient's clock runs on). Then
``seizure_days_after_demand`` later the garnishment: a balance below the law's threshold goes back to
the hospital (``hand_back``); otherwise the hospital books ``cost_per_seizure`` (``COST_LEGAL``), the
patient's clock stands still, and ``payment_days`` later the garnishee pays the whole balance
(``PAYMENT_PATIENT``) when the lever's uniform is below ``seizure_success_rate``, or the account goes
back to the hospital.

Here the two contacts are two more steps of the ladder (:meth:`PublicAccountant.ladder`: the contact
rules of :mod:`simlib.model.vectorized_contacts` apply to them unchanged), whose columns and
deliveries come in the engine's tie order — after the agency's (order 5), before the deliveries (order
9; the accountant's letters' deliveries before the ladder's, :mod:`simlib.model.vectorized`: sent at
one instant, order 6 before 10 + n); the garnishment and the garnishee's payment are columns of their own, acting only where
the action before them happened. A demand the quiet hours hold back (the engine moves the demand
action itself, :meth:`simlib.levers.public_accountant.PublicAccountantLever.demand`): the demand
step's notice moves to the end of the quiet hours (:mod:`simlib.model.vectorized_notices`, counted
there); its moved send (order 9) is the demand itself (:meth:`PublicAccountant.stand_down`): sent
then, the account taken over then, and the garnishment's key counted from that slot. Kept on SimPy
(:func:`accountant_problems`): a message cap (its static check,
:func:`simlib.model.vectorized_notices.cap_may_hold`, sees the ladder only), quiet hours where the
scenario may raise disputes (a dispute's shift moves the demand to another hour, so its slot is not
static, and :func:`simlib.model.vectorized_disputes.disputes_in_numpy` does not see the accountant's
demand), a hold that may reach the write-off or the screening before it (deferred deadlines), and a
plan, an agency or financing beside it. Beside disputes
(:meth:`simlib.model.vectorized_disputes.Disputes.beside`) the garnishment and the garnishee's payment
take their keys where a dispute moved the action that scheduled them, and the patient's clock is the
one the dispute pauses (the demand restarts it).
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.levers.public_accountant import seizure_threshold
from simlib.levers.reminders import Step
from simlib.model.vectorized_contacts import quiet_hours_end
from simlib.model.vectorized_notices import MAX_STEPS, MOVED
from simlib.world.channels import SAME_INSTANT_DAYS

INF = np.inf
SEIZE, SETTLE = -8, -9  # action codes of the garnishment and the garnishee's payment
CLOCK_ONLY = -10  # an action that stood down: it only advanced the clock (the patient still pays)


def accountant_problems(st, disputes: bool = True) -> list[str]:
    """Why the public accountant of ``st`` has no NumPy form (``[]``: it has one, or none is active);
    ``disputes``: whether the scenario may raise disputes (a billing error rate above 0; unknown: it may)."""
    cfg = st.public_accountant
    if cfg is None:
        return []
    out = []
    lim = st.contact_limits
    if lim.messages_per_7_days_max is not None:
        out.append("the public accountant under a message cap (its static check sees the ladder's messages only)")
    if lim.quiet_hours is not None and disputes:
        out.append("the public accountant under quiet hours where disputes may shift its demand to another hour")
    if lim.quiet_hours is not None and len(st.ladder) + (cfg.reminder_days is not None) >= MAX_STEPS:
        out.append("the public accountant under quiet hours after a ladder too long for its demand's moved "
                   "send to have a code of its own (vectorized_notices.MAX_STEPS)")
    if cfg.demand_days + cfg.seizure_days_after_demand + cfg.payment_days >= st.write_off.after_days \
            or st.fap_screening == "at_write_off":
        out.append("the public accountant holding an account at its write-off or screening (deferred deadlines)")
    if any(getattr(st, key) is not None for key in ("payment_plan", "agency", "financing", "legal_action")):
        out.append("the public accountant beside a plan, an agency, financing or legal action")
    return out


class PublicAccountant:
    """The public accountant of one strategy over one population (inactive without one)."""

    def __init__(self, sc, st, pop, real_steps: int):
        self.cfg = cfg = st.public_accountant
        n = pop.n
        self.held = np.zeros(n, bool)     # the accountant took the account over (the demand)
        self.paused = np.zeros(n, bool)   # and garnished it: the patient's clock stands still
        self.codes: dict[int, str] = {}
        self.shift = np.zeros(n)  # the days a dispute moved the account's later actions (its disputes')
        self.after = np.add  # the key of an action scheduled some days after another (disputes: theirs)
        if cfg is None:
            return
        self.real_steps = real_steps
        self.remind_code = None if cfg.reminder_days is None else real_steps
        self.demand_code = real_steps + (cfg.reminder_days is not None)
        self.codes = {self.demand_code: "demand", SEIZE: "seize", SETTLE: "settle"}
        if self.remind_code is not None:
            self.codes[self.remind_code] = "remind"
        #: the quiet hours that may move the demand: its moved send (a notice's) is the demand itself
        self.quiet = st.contact_limits.quiet_hours
        self.moved_code = None if self.quiet is None else MOVED - self.demand_code
        self.threshold_cents = cents(seizure_threshold(cfg, sc.law.public_recovery))
        self.cost_cents = cents(cfg.cost_per_seizure)
        self.u = pop.lever_draws["accountant_u"]
        self.seize_due = np.full(n, INF)   # the garnishment's key, once the demand is made
        self.settle_due = np.full(n, INF)  # the garnishee's payment's key, once garnished

    @property
    def active(self) -> bool:
        return self.cfg is not None

    @staticmethod
    def ladder(st):
        """``st`` with the accountant's reminder and demand as more ladder steps (no hour, no target)."""
        cfg = st.public_accountant
        if cfg is None:
            return st
        extra = ([Step(day=cfg.reminder_days, channel=cfg.reminder_channel, hour=None)]
                 if cfg.reminder_days is not None else [])
        extra.append(Step(day=cfg.demand_days, channel=cfg.demand_channel, hour=None))
        return st.model_copy(update={"ladder": list(st.ladder) + extra})

    def step_columns(self, step_times: list, cols: list, codes: list) -> None:
        """Append the reminder's and the demand's columns (order 6) and the garnishment's and the
        garnishee's payment's (order 6, scheduled after them)."""
        if not self.active:
            return
        own = range(self.real_steps, len(step_times))
        cols += [step_times[s] for s in own]
        codes += list(own)
        cfg = self.cfg
        demand = step_times[self.demand_code]
        if self.quiet is not None:  # sent (and taken over) at the end of the quiet hours it falls in
            slot = quiet_hours_end(self.quiet, demand)
            demand = np.where(slot > demand + SAME_INSTANT_DAYS, slot, demand)
        # the engine: the demand's day, then + the wait (its key, where a dispute moved the demand)
        self.seize_key = self.after(demand, cfg.seizure_days_after_demand)
        self.settle_key = self.after(self.seize_key, cfg.payment_days)
        cols += [self.seize_key, self.settle_key]
        codes += [SEIZE, SETTLE]

    def unscheduled(self, ii: np.ndarray, codes: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Which actions due now the engine never scheduled: a garnishment without its demand, a
        payment without its garnishment."""
        if not self.active:
            return np.zeros(ii.size, bool)
        shift = self.shift[ii]  # the keys run that much later
        out = (codes == SEIZE) & (self.seize_due[ii] + shift != at)
        out |= (codes == SETTLE) & (self.settle_due[ii] + shift != at)
        return out

    def stand_down(self, ii: np.ndarray, at: np.ndarray, codes: np.ndarray, hospitals: tuple):
        """The actions due now less those that stand down while the accountant holds the account
        (they only advanced the clock, code :data:`CLOCK_ONLY`): the hospital's ladder steps, every letter's delivery and
        the ``hospitals`` codes (the due date's jump, a collection charge, a financing offer). The
        moved send of a demand the quiet hours held back is the demand itself (the engine moves the
        demand action: its take-over comes with it)."""
        if not self.active:
            return ii, at, codes
        if self.moved_code is not None:
            codes = np.where(codes == self.moved_code, self.demand_code, codes)
        held = self.held[ii]
        if not held.any():
            return ii, at, codes
        steps = self.real_steps + len(self.codes) - 2  # real steps and the accountant's own
        down = held & (((codes >= 0) & (codes < self.real_steps)) | (codes >= steps)
                       | np.isin(codes, hospitals))
        return ii, at, np.where(down, CLOCK_ONLY, codes)  # the payment day is computed again after them

    def act(self, what: str, jj: np.ndarray, at: np.ndarray, bal: np.ndarray, contacts, discount, record,
            rows, counters) -> None:
        """The accountant's action ``what`` for accounts ``jj`` (open: the loop's) at ``at``."""
        if what == "remind":
            jj, at = jj[~self.held[jj]], at[~self.held[jj]]
            counters["accountant_reminders"] += int(jj.size)
            contacts.step(self.remind_code, jj, at, bal)
        elif what == "demand":
            moved_to = contacts.notices.moved_to.get(self.demand_code) if self.moved_code is not None else None
            if moved_to is not None:
                moved_to[jj] = INF  # its moved send: the demand runs again at the slot (sent now)
            contacts.step(self.demand_code, jj, at, bal)
            if moved_to is not None:  # the quiet hours moved it: no take-over before it goes out
                sent = ~np.isfinite(moved_to[jj])
                jj, at = jj[sent], at[sent]
            self.held[jj] = True
            self.paused[jj] = False  # take_over: the patient's clock runs (even one a dispute paused)
            discount.ends(jj)  # take_over: no allowance, the multiplier 1
            counters["accountant_demands"] += int(jj.size)
            self.seize_due[jj] = self.seize_key[jj]
        elif what == "seize":
            below = bal[jj] < self.threshold_cents
            counters["accountant_below_threshold"] += int(below.sum())
            self.held[jj[below]] = False  # hand_back: the clock was running, its start is now
            jj, at = jj[~below], at[~below]
            self.paused[jj] = True
            rows.add(jj, at, Kind.COST_LEGAL, self.cost_cents)
            counters["accountant_seizures"] += int(jj.size)
            self.settle_due[jj] = self.settle_key[jj]
        else:  # settle
            paid = self.u[jj] < self.cfg.seizure_success_rate
            kk, tk = jj[paid], at[paid]
            record(kk, tk, bal[kk].copy())  # the garnishee pays the whole balance (a close, no payment hook)
            bal[kk] = 0
            counters["accountant_seizures_paid"] += int(kk.size)
            failed = jj[~paid]
            counters["accountant_seizures_failed"] += int(failed.size)
            self.held[failed] = self.paused[failed] = False  # hand_back
            self.held[kk] = self.paused[kk] = False
