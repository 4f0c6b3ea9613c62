"""Legal action in the NumPy model (issue 27: the hybrid engine).

The engine's :class:`simlib.levers.legal_action.LegalActionLever` tries to file each balance of at
least ``balance_min`` (when its schedule is built) ``filing_days`` after the statement (order 6):
a balance fallen below the floor is left; one whose formal demand (the last notice sent: a ladder
step's, or its own) is at least ``notice_days_before`` calendar days old is taken to court; else
the filing waits until ``floor(sent) + notice_days_before`` (sending the notice first if none went
out) and is tried again then — a later ladder notice may put it off again; with no wait, the
attempt put off to the start of today runs again at once and files. Filing takes the
account over and stops the patient's clock: nothing the hospital does moves it any more (its
steps, deliveries and due date stand down, its write-off lapses), so its end is known at filing:
the filing fee, the service fee ``order_days`` later, and ``days_to_end`` after filing the
enforced payment of the whole balance (``PAYMENT_PATIENT``, the enforcement fee, the costs
recovered) with the lever's uniform below ``success_rate``, else a bad-debt write-off — each row
only if it falls by the horizon.

Here: the first attempt is a column; every day a filing may be put off to (each ladder notice's
send day and the attempt's own, floored, plus the wait) is a column acting only where the
account's next attempt falls then (as the agency's placement, :mod:`simlib.model.vectorized_agency`);
the notice the lever sends is one more ladder step (no hour) with its delivery column, sent only
from the first attempt. Kept on SimPy (:func:`legal_problems`): quiet hours or a message cap (they
may move a notice), and a plan, an agency, financing or the public accountant beside it. Beside
disputes (:meth:`simlib.model.vectorized_disputes.Disputes.beside`, ``in_court``) the attempts, the
service and the end take their keys where a dispute moved them, and a dispute raised while in court
is resolved before the end (the order enforces the corrected balance) or holds the case past the horizon.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.levers.reminders import Step

INF = np.inf
FILE = -11  # action code of a filing attempt (the codes of every NumPy form: simlib.model.vectorized)


def legal_problems(st) -> list[str]:
    """Why the legal action of ``st`` has no NumPy form (``[]``: it has one, or none is active)."""
    if st.legal_action is None:
        return []
    out = []
    lim = st.contact_limits
    if lim.quiet_hours is not None or lim.messages_per_7_days_max is not None:
        out.append("legal action under quiet hours or a message cap (they may move its notice)")
    if any(getattr(st, key) is not None for key in ("payment_plan", "agency", "financing", "public_accountant")):
        out.append("legal action beside a plan, an agency, financing or the public accountant")
    return out


class LegalAction:
    """The legal action of one strategy over one population (inactive without one)."""

    def __init__(self, sc, st, pop, notice_step: int):
        self.cfg = cfg = st.legal_action
        n = pop.n
        self.held = np.zeros(n, bool)  # taken to court: the patient's clock stands still
        self.codes = {FILE} if cfg is not None else set()
        self.disputes = self.clock = None  # beside disputes (vectorized_disputes.Disputes.beside)
        if cfg is None:
            return
        self.sc, self.st, self.pop = sc, st, pop
        self.notice_step = notice_step  # the ladder's index of the lever's own notice
        self.min_cents = cents(cfg.balance_min)
        self.wait = cfg.notice_days_before
        self.next_attempt = np.full(n, INF)
        self.u = pop.lever_draws["legal_u"]

    @property
    def active(self) -> bool:
        return self.cfg is not None

    @staticmethod
    def ladder(st):
        """``st`` with the lever's notice as one more ladder step (no hour; it never runs as a step)."""
        cfg = st.legal_action
        if cfg is None:
            return st
        return st.model_copy(update={"ladder": list(st.ladder) + [
            Step(day=cfg.filing_days, channel=cfg.notice_channel, hour=None)]})

    def columns(self, statement: np.ndarray, bal: np.ndarray, step_times: list, cols: list, codes: list) -> None:
        """Append the first attempt (order 6) and every day a filing may be put off to."""
        if not self.active:
            return
        first = np.where(bal >= self.min_cents, statement + self.cfg.filing_days, INF)
        self.next_attempt[:] = first
        sends = [first]  # the lever's own notice goes out on the first attempt's day
        for s, step in enumerate(self.st.ladder[:self.notice_step]):
            if self.sc.channels[step.channel].notice:  # a step due before the statement runs at it
                sends.append(np.maximum(step_times[s], statement))
        cols.append(first)
        codes.append(FILE)
        for later in (self.disputes.deferred_keys(sends, self.wait) if self.disputes is not None
                      else [np.floor(sent) + self.wait for sent in sends]):  # the attempts' keys
            cols.append(np.where(np.isfinite(first) & (later > first), later, INF))
            codes.append(FILE)

    def unscheduled(self, ii: np.ndarray, codes: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Which actions due now the engine never scheduled: an attempt not due then."""
        if not self.active:
            return np.zeros(ii.size, bool)
        return (codes == FILE) & (self.next_attempt[ii] + self._shift(ii) != at)

    def _shift(self, ii: np.ndarray) -> np.ndarray:
        """The days a dispute moved the actions of accounts ``ii`` (their keys run that much later)."""
        return self.disputes.shift[ii] if self.disputes is not None else np.zeros(ii.size)

    def stand_down(self, ii: np.ndarray, at: np.ndarray, codes: np.ndarray, clock_only: int):
        """Everything due for an account in court only advances its clock (nothing reads it again)."""
        if not self.active:
            return ii, at, codes
        held = self.held[ii]
        return (ii, at, codes) if not held.any() else (ii, at, np.where(held, clock_only, codes))

    def file(self, jj: np.ndarray, at: np.ndarray, bal: np.ndarray, contacts, discount, record, write_off,
             rows, counters, horizon: float) -> None:
        """Filing attempts of accounts ``jj`` (open, not held: the loop's) at ``at``."""
        self.next_attempt[jj] = INF
        go = bal[jj] >= self.min_cents
        jj, at = jj[go], at[go]
        sent = contacts.state.notice_day[jj]
        noticed = np.isfinite(sent) & (np.floor(at) - np.floor(sent) >= self.wait)
        late = ~noticed
        if late.any():
            kk, tk = jj[late], at[late]
            none = ~np.isfinite(sent[late])
            counters["legal_notices_sent"] += int(none.sum())
            contacts.step(self.notice_step, kk[none], tk[none], bal)
            counters["legal_filings_deferred_for_notice"] += int(kk.size)
            self.next_attempt[kk] = np.floor(contacts.state.notice_day[kk]) + self.wait - self._shift(kk)
            if self.wait == 0:  # the attempt put off to today's start runs again at once: filed now
                self.next_attempt[kk] = INF
                noticed = np.ones(jj.size, bool)
        jj, at = jj[noticed], at[noticed]
        if not jj.size:
            return
        cfg = self.cfg
        self.held[jj] = True
        if self.clock is not None:  # take_over(pause_clock=True): the disputes' clock too
            self.clock[jj] = True
        discount.ends(jj)  # take_over: no allowance, the multiplier 1
        rows.add(jj, at, Kind.COST_LEGAL, cents(cfg.filing_fee))
        counters["legal_filings"] += int(jj.size)
        shift = self._shift(jj)  # the service and the end, filed (now + days) − shift, run at that + shift
        served, end = at + cfg.order_days - shift, at + cfg.days_to_end - shift
        go = np.ones((2, jj.size), bool)
        if self.disputes is not None:  # a dispute still to come while in court moves them, or they wait past it
            (served, end), go = self.disputes.in_court(jj, at, (served, end), bal, rows, counters)
        else:
            served, end = served + shift, end + shift
        s = go[0] & (served <= horizon)
        rows.add(jj[s], served[s], Kind.COST_LEGAL, cents(cfg.service_fee))
        e = go[1] & (end <= horizon)
        jj, end = jj[e], end[e]
        paid = self.u[jj] < cfg.success_rate
        kk, tk, amount = jj[paid], end[paid], bal[jj[paid]].copy()
        record(kk, tk, amount)  # the enforced order: the whole balance (a close, no payment hook)
        bal[kk] = 0
        rows.add(kk, tk, Kind.COST_LEGAL, np.round(cfg.enforcement_fee_rate * amount).astype(np.int64))
        fees = cents(cfg.filing_fee) + cents(cfg.service_fee)
        rows.add(kk, tk, Kind.LEGAL_COSTS_RECOVERED, int(round(cfg.costs_recovered_rate * fees)))
        counters["legal_judgments_paid"] += int(kk.size)
        lost = ~paid
        counters["legal_write_offs"] += int(lost.sum())
        write_off(jj[lost], end[lost])  # counts bad_debt_write_offs
