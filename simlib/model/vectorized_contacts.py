"""Contacts of the NumPy capacity-free model (:mod:`simlib.model.vectorized`), many accounts at once.

The same rules as the engine's message channel (:class:`simlib.world.channels.Message`) and
contact response (:mod:`simlib.world.contact_response`), one ladder step for a set of accounts:

- targeting by score, balance and payer; an opted-out channel is not used (a legal notice is);
  quiet hours and the 7-day message cap suppress the message; a legally required notice the quiet
  hours forbid is moved to their end (:mod:`simlib.model.vectorized_notices`; one a message cap
  may hold back is refused by :func:`simlib.model.vectorized.check_capacity_free`);
- a sent message costs the channel's cost and arrives ``delivery_days`` later (the caller keeps
  it pending in a delivery column of the schedule) or at once;
- on arrival it reaches the patient when their uniform is below the channel's reach; the patient
  then learns of the bill (if the statement had not reached them) and the intensity jumps by the
  channel's jump × contact weight × fatigue^(contacts that reached in the fatigue window) ×
  exp(−days since the statement ÷ ``contact_age_decay_days``), in the engine's order of float
  operations;
- each reached contact may make the patient opt out of the channel or complain (geometric counts
  from one uniform per patient and channel), with the harm booked as in the engine: the
  complaint's handling cost and the rise of P(patient lost) × future margin.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from simlib.core import scalar_math as xm

from simlib.core.ledger import Kind
from simlib.levers.contact_limits import default_counted
from simlib.model.vectorized_rows import Rows

INF = np.inf


def cents(amount: float) -> int:
    return int(round(amount * 100.0))


@dataclass
class ContactState:
    """Per-account contact state (one row per encounter; one column per ladder step or channel)."""

    sent: np.ndarray            # (n, steps) send times of the messages the 7-day cap counts
    reached: np.ndarray         # (n, steps) times the step's message reached the patient
    pending: np.ndarray         # (n, steps) bool: sent, arrives in a delivery column
    notice_day: np.ndarray      # day of the last legally required notice sent (-inf: none)
    unaware: np.ndarray         # bool: the statement has not reached the patient (yet)
    channel_reached: np.ndarray  # (n, channels) int: contacts that reached, by channel
    opted_out: np.ndarray       # (n, channels) bool
    complained: np.ndarray      # (n, channels) bool
    cost: np.ndarray            # int64 cents: statement and contacts
    complaint_cost: np.ndarray  # int64 cents: COST_COMPLAINT rows
    lost_margin: np.ndarray     # int64 cents: LOST_MARGIN_ATTRITION rows

    @classmethod
    def empty(cls, n: int, steps: int, channels: int) -> "ContactState":
        z = np.zeros
        return cls(sent=np.full((n, steps), -INF), reached=np.full((n, steps), -INF),
                   pending=z((n, steps), bool), notice_day=np.full(n, -INF), unaware=z(n, bool), channel_reached=z((n, channels), np.int64),
                   opted_out=z((n, channels), bool), complained=z((n, channels), bool),
                   cost=z(n, np.int64), complaint_cost=z(n, np.int64), lost_margin=z(n, np.int64))


class Contacts:
    """The contact rules of one scenario and strategy over the arrays of one population."""

    def __init__(self, sc, strategy, pop, lam, initial_lam, contact_weight, billed_day, counters: Counter,
                 rows: Rows):
        self.sc, self.st, self.pop, self.beh, self.rows = sc, strategy, pop, sc.behaviour, rows
        self.lam, self.initial_lam, self.contact_weight, self.billed_day = lam, initial_lam, contact_weight, billed_day
        self.counters = counters
        self.ch_names = list(sc.channels)
        lim = self.lim = strategy.contact_limits
        self.counted = lim.message_cap_channels if lim.message_cap_channels is not None \
            else default_counted(sc.channels)
        self.state = ContactState.empty(pop.n, max(len(strategy.ladder), 1), len(self.ch_names))
        #: what moves the notices the quiet hours forbid (:mod:`simlib.model.vectorized_notices`)
        self.notices = None

    # ------------------------------------------------------------------ a ladder step
    def step(self, s: int, ii: np.ndarray, at: np.ndarray, bal: np.ndarray) -> None:
        """Ladder step ``s`` for accounts ``ii`` at times ``at``: targeting, opt-out, limits, send."""
        step, pop, counters, state = self.st.ladder[s], self.pop, self.counters, self.state
        t = step.target
        usd = bal[ii] / 100.0
        ok = (t.score_min <= pop.score_pct[ii]) & (pop.score_pct[ii] <= t.score_max) & (usd >= t.balance_min)
        if t.balance_max is not None:
            ok &= usd <= t.balance_max
        if t.payers is not None:
            allowed = np.array([name in t.payers for name in pop.payer_names])
            ok &= allowed[pop.payer[ii]]
        ii, at = ii[ok], at[ok]
        cfg, c = self.sc.channels[step.channel], self.ch_names.index(step.channel)
        if not cfg.notice:
            out = state.opted_out[ii, c]
            counters["opted_out_contacts"] += int(out.sum())
            ii, at = ii[~out], at[~out]
        if not ii.size:
            return
        hour = np.full(ii.size, step.hour) if step.hour is not None else hour_of_day(at)
        allow = ~quiet(self.lim.quiet_hours, hour)
        lim = self.lim
        if lim.messages_per_7_days_max is not None and step.channel in self.counted:
            under = (at[:, None] - state.sent[ii] < 7.0).sum(axis=1) < lim.messages_per_7_days_max
            if cfg.notice and lim.messages_per_7_days_max and not under.all():  # its move would depend on them
                raise RuntimeError(f"the message cap held back step {s}'s notice ({step.channel}), which "
                                   "simlib.model.vectorized_notices.cap_may_hold says it never does")
            allow &= under
        if cfg.notice and not allow.all():  # never dropped: moved to the end of the quiet hours, or sent now
            now = self.notices.hold(s, ii, at, allow)
            ii, at = ii[now], at[now]
        elif not cfg.notice:
            suppressed = int((~allow).sum())
            counters["suppressed_contacts"] += suppressed
            counters[f"suppressed_{step.channel}"] += suppressed
            ii, at = ii[allow], at[allow]
        if ii.size:
            self.send(s, ii, at)

    def send(self, s: int, ii: np.ndarray, at: np.ndarray) -> None:
        """Ladder step ``s``'s message goes out to accounts ``ii`` at ``at`` (the limits allowed it):
        counters, cost, and its delivery now or in a delivery column."""
        step, counters, state = self.st.ladder[s], self.counters, self.state
        cfg = self.sc.channels[step.channel]
        if step.channel in self.counted:
            state.sent[ii, s] = at  # only what the cap counts holds later messages back
        if cfg.notice:
            state.notice_day[ii] = at  # a bad-debt placement waits for it (simlib.model.vectorized_agency)
        counters["contacts"] += ii.size
        counters[f"contacts_{step.channel}"] += ii.size
        state.cost[ii] += cents(cfg.cost)
        self.rows.add(ii, at, Kind.COST_CONTACT, cents(cfg.cost))
        if cfg.delivery_days > 0.0:
            state.pending[ii, s] = True
        else:
            self.deliver(s, ii, at)

    def deliver(self, s: int, ii: np.ndarray, at: np.ndarray) -> None:
        """Step ``s``'s message arrives for accounts ``ii`` at ``at``: reach, response, harm."""
        step = self.st.ladder[s]
        cfg, c = self.sc.channels[step.channel], self.ch_names.index(step.channel)
        self.state.pending[ii, s] = False
        reached = self.pop.reach_u[ii, c] < cfg.reach
        ii, at = ii[reached], at[reached]
        self.counters[f"reached_{step.channel}"] += ii.size
        if not ii.size:
            return
        self.respond(s, ii, at, cfg.jump_per_day)
        self.after_reach(ii, at, c, cfg)

    # ------------------------------------------------------------------ response
    def learn_of_bill(self, ii: np.ndarray) -> None:
        """The patients ``ii`` learn of the bill: the unaware gain the statement's missing part."""
        u = ii[self.state.unaware[ii]]
        self.state.unaware[u] = False
        self.lam[u] += (1.0 - self.beh.unreached_statement_share) * self.initial_lam[u]

    def respond(self, s: int, ii: np.ndarray, at: np.ndarray, jump_per_day: float) -> None:
        beh = self.beh
        self.learn_of_bill(ii)
        factor = np.ones(ii.size)
        if beh.contact_fatigue_per_contact < 1.0:
            recent = (at[:, None] - self.state.reached[ii] < beh.contact_fatigue_window_days).sum(axis=1)
            factor = xm.power(beh.contact_fatigue_per_contact, recent.astype(float))
        self.state.reached[ii, s] = at
        if beh.contact_age_decay_days is not None:
            factor = factor * xm.exp(-np.maximum(0.0, at - self.billed_day[ii]) / beh.contact_age_decay_days)
        self.lam[ii] += jump_per_day * self.contact_weight[ii] * factor

    def after_reach(self, ii: np.ndarray, at: np.ndarray, c: int, cfg) -> None:
        """Opt-outs and complaints after a contact on channel ``c`` reached ``ii``; their harm."""
        if cfg.opt_out_rate <= 0.0 and cfg.complaint_rate <= 0.0:
            return
        state, pop, harm = self.state, self.pop, self.sc.harm
        state.channel_reached[ii, c] += 1
        k = state.channel_reached[ii, c]
        before = lost_probability(state.complained[ii].sum(axis=1), state.opted_out[ii].sum(axis=1), harm)
        opt = np.zeros(ii.size, bool)
        if cfg.opt_out_rate > 0.0:
            opt = ~state.opted_out[ii, c] & (pop.opt_out_u[ii, c] < chance_by(k, cfg.opt_out_rate))
            state.opted_out[ii[opt], c] = True
            self.counters["opt_outs"] += int(opt.sum())
        comp = np.zeros(ii.size, bool)
        if cfg.complaint_rate > 0.0:
            comp = ~state.complained[ii, c] & (pop.complaint_u[ii, c] < chance_by(k, cfg.complaint_rate))
            state.complained[ii[comp], c] = True
            self.counters["complaints"] += int(comp.sum())
        harmed = opt | comp
        if not harmed.any():
            return
        jj, comp = ii[harmed], comp[harmed]
        at = at[harmed]
        if harm.cost_per_complaint > 0.0:
            state.complaint_cost[jj[comp]] += int(round(harm.cost_per_complaint * 100.0))
            self.rows.add(jj[comp], at[comp], Kind.COST_COMPLAINT, int(round(harm.cost_per_complaint * 100.0)))
        after = lost_probability(state.complained[jj].sum(axis=1), state.opted_out[jj].sum(axis=1), harm)
        rise = after - before[harmed]
        up = rise > 0.0
        jj, rise, at = jj[up], rise[up], at[up]
        self.counters["patients_lost_micro"] += int(np.round(rise * 1e6).sum())
        margin = rise * harm.future_encounters_per_patient * (
            pop.allowed_cents[jj].astype(float) * harm.contribution_margin_ratio)
        state.lost_margin[jj] += np.round(margin).astype(np.int64)
        self.rows.add(jj, at, Kind.LOST_MARGIN_ATTRITION, np.round(margin).astype(np.int64))


def lost_probability(complaints: np.ndarray, opt_outs: np.ndarray, harm) -> np.ndarray:
    """:func:`simlib.world.contact_response.lost_probability` over arrays of counts."""
    return 1.0 - xm.power(1.0 - harm.attrition_per_complaint, complaints.astype(float)) \
        * xm.power(1.0 - harm.attrition_per_opt_out, opt_outs.astype(float))


def chance_by(k: np.ndarray, rate: float) -> np.ndarray:
    """P(the event by the k-th contact) = 1 − (1 − rate)^k (1 for a rate of 1)."""
    if rate >= 1.0:
        return np.ones(k.shape)
    return -xm.expm1(k * xm.log1p(-rate))


def hour_of_day(day: np.ndarray) -> np.ndarray:
    """:func:`simlib.world.contacts.hour_of_day` over an array of days (nan for no day: inf)."""
    with np.errstate(invalid="ignore"):
        return np.round((day % 1.0) * 24.0, 6) % 24.0


def quiet_hours_end(hours, at: np.ndarray) -> np.ndarray:
    """The quiet-hours part of :meth:`simlib.levers.contact_limits.ContactLimitsLever.next_message_slot`:
    each time ``at`` that falls in the quiet hours ``[start, end)`` moved to their end (the same day
    when its hour is before ``end``, else the next day), the others unchanged; the engine's float
    operations (``floor(t) + end / 24``)."""
    at = np.asarray(at, float)
    if hours is None:
        return at.copy()
    hour, end = hour_of_day(at), hours[1] / 24.0
    later = np.where(hour < hours[1], np.floor(at) + end, (np.floor(at) + 1.0) + end)
    return np.where(quiet(hours, hour), later, at)


def quiet(hours, hour: np.ndarray) -> np.ndarray:
    """Whether each ``hour`` lies in the quiet hours ``[start, end)`` (wrapping past midnight)."""
    if hours is None:
        return np.zeros(np.shape(hour), bool)
    q0, q1 = hours
    return ((hour >= q0) | (hour < q1)) if q0 > q1 else ((q0 <= hour) & (hour < q1))
