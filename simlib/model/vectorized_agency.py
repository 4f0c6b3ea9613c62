"""The collection agency in NumPy, for :mod:`simlib.model.vectorized` and the hybrid engine.

The same rules as :class:`simlib.levers.agency.AgencyLever`, many accounts at once, in two parts:

- **the hospital's phase** (columns of the vectorized loop): a placement is due ``placement_days``
  after the statement (order 5 of its day) for a balance of at least ``balance_min`` when the ladder
  is scheduled and still when it falls due. A bad-debt placement with ``notice_days_before`` waits
  until the last final notice (a ladder step by a channel marked ``notice``, or the agency's own)
  is that many calendar days old: without one the hospital sends ``notice_channel`` now (counters
  ``eca_notices_sent``, ``contacts``, ``contacts_<channel>``, its cost; delivered ``delivery_days``
  later with the channel's reach and response, before the ladder's deliveries of that instant),
  and the placement moves to ``floor(notice day) + notice_days_before`` (counter
  ``placements_deferred_for_notice``, once per deferral). A notice due in the quiet hours goes out
  at the next slot out of them (counters ``notices_moved``, ``moved_<channel>``; order 9, after the
  deliveries of that instant, which the engine scheduled first: a letter sent a week before at the
  hour the quiet hours end; so does one the message cap holds back,
  :mod:`simlib.model.vectorized_agency_notice`); until then the placement counts from the day it was due. Every day a placement may move to is known
  per account in advance (the agency's notice goes out on the placement day or its slot, a ladder
  notice on its step's day), so each is a column the loop skips unless the account's placement
  waits for it. A payment plan in good standing defers a placement that falls due until it
  defaults (:mod:`simlib.model.vectorized_plans`): the attempt then runs in the instalment's
  column, and its notice's move and arrival and the next attempts fill columns reserved for them
  when the plan starts (:mod:`simlib.model.vectorized_deferred`). A placed account leaves the loop holding its balance (counters
  ``agency_placements``, ``agency_placed_cents``);
- **the agency's phase** (:meth:`Agency.finish`, after the loop): from the placement day the
  patient pays on a fresh clock — intensity ``initial_per_day`` × responsiveness, the agency's
  floor and decay, its pre-drawn Exp(1) thresholds (``agency_threshold``; the payment that uses
  the last is in full) — with a jump of ``contact_jump_per_day`` × responsiveness at each of
  ``contact_days`` after placement (order 7; counter ``agency_contacts``) and the recall at
  ``recall_days`` (order 8: ``WRITE_OFF_BAD_DEBT`` of what is open, counters ``agency_recalls``
  and ``bad_debt_write_offs``). Payments follow the engine's rule (the payment count goes on
  from the hospital's phase) and are booked gross, ``PAYMENT_AGENCY``, with the contingency fee
  rounded on the running total, ``FEE_AGENCY`` (counter ``agency_payments``); the small-balance
  write-off applies. The hospital's actions still in the engine's schedule after the placement
  (its due date, ladder steps, deliveries of messages already sent, screening, write-off) stand
  down, but the engine advances the account's clock to each, so they are kept as columns that
  only advance it: splitting the integral there moves the last bit of a payment day.

Subset (:func:`~simlib.model.vectorized_agency_notice.agency_problems`): with quiet hours a wait
of at least 2 days (the moved notice goes out before the next attempt), a statement that arrives
before the placement, beside a payment plan a bad-debt notice wait of at least a day (with none the
engine's attempt after a default runs after the other deadlines the plan deferred); a notice the
message cap counts: :mod:`simlib.model.vectorized_agency_notice` (its moved send's columns).
Identity with the engine: ``tests/test_vectorized_agency.py``, ``tests/test_vectorized_plan_agency.py``.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.model.vectorized_contacts import quiet_hours_end
from simlib.world.channels import SAME_INSTANT_DAYS
from simlib.model.vectorized_intensity import integrated, intensity_after, payment, time_to_reach
from simlib.model.vectorized_deferred import DeferredPlacement
from simlib.model.vectorized_disputes import DISPUTE
from simlib.model.vectorized_plans import OFFER
from simlib.model.vectorized_agency_notice import cap_slots, counts_notice, notice_slot, waits_for_notice

INF = np.inf
#: action codes of the vectorized loop (its own are -1..-5, ladder steps and deliveries >= 0)
PLACE, NOTICE_ARRIVES, NOTICE_MOVED = -20, -21, -22
#: the agency phase's column kinds (a dispute the agency meets: :mod:`simlib.model.vectorized_disputes`)
_ADVANCE, _CONTACT, _RECALL, _DISPUTE = 0, 1, 2, 3


class Agency:
    """A strategy's collection agency over one population (inactive without one)."""

    codes = (PLACE, NOTICE_ARRIVES, NOTICE_MOVED)

    def __init__(self, sc, strategy, pop, contacts, rows, counters):
        self.cfg, self.sc, self.st, self.pop = strategy.agency, sc, strategy, pop
        self.contacts, self.rows, self.counters = contacts, rows, counters
        n = pop.n
        #: the day the account's next placement attempt is due (inf: none)
        self.next_attempt = np.full(n, INF)
        #: the day the agency placed the account (inf: not placed) and the balance it took
        self.placed_day = np.full(n, INF)
        self.placed_cents = np.zeros(n, np.int64)
        #: the day the agency's notice on its way arrives (inf: none)
        self.notice_at = np.full(n, INF)
        #: the day the agency's notice the quiet hours moved goes out (inf: none)
        self.move_at = np.full(n, INF)
        #: the placement a plan defers (:mod:`simlib.model.vectorized_deferred`) and its reserved columns
        self.deferred, self.reserved = None, []
        #: the columns of the notice the cap moved (after the ladder's deliveries of the same instant)
        self.late, self.slots = [], []
        self.disputes, self.after = None, np.add  # beside disputes (vectorized_disputes.Disputes.beside)
        if self.cfg is not None and waits_for_notice(self.cfg):
            state = contacts.state  # one more reach column: the agency's notice counts in fatigue
            self.notice_column = state.reached.shape[1]
            state.reached = np.hstack([state.reached, np.full((n, 1), -INF)])
        #: the cap counts the notice: its column of the contacts' send times (the cap's)
        self.counted = self.cfg is not None and waits_for_notice(self.cfg) and counts_notice(sc, strategy)
        if self.counted:
            self.sent_column = contacts.state.sent.shape[1]
            contacts.state.sent = np.hstack([contacts.state.sent, np.full((n, 1), -INF)])

    @property
    def active(self) -> bool:
        return self.cfg is not None

    # ------------------------------------------------------------------ the hospital's phase
    def add_columns(self, cols: list, codes: list, statement: np.ndarray, bal: np.ndarray, step_times: list,
                    plans=None) -> None:
        """Add the placement's columns (order 5: before a plan's instalments, order 6) and its
        notice's (order 9: after them, before the ladder's deliveries of the same instant): the first
        attempt and every day a bad-debt placement may be deferred to; beside ``plans``
        (:class:`~simlib.model.vectorized_plans.PaymentPlans`), the columns reserved for a placement
        a plan defers to its default (:attr:`reserved`, :mod:`simlib.model.vectorized_deferred`)."""
        ag = self.cfg
        if ag is None:
            return
        first = np.where(bal >= cents(ag.balance_min), statement + ag.placement_days, INF)
        self.next_attempt[:] = first
        place, notices = [first], []
        if waits_for_notice(ag):
            wait, delivery = ag.notice_days_before, self.sc.channels[ag.notice_channel].delivery_days
            moved_to = self._slot(first)
            capped = cap_slots(self, first, statement, step_times)  # the days the cap may move it to
            self.slots = [moved_to, *capped]  # (notice_slot checks the day it moves one to is among them)
            sends = [first, moved_to, *capped]  # the agency's own notice goes out on the first attempt's day, or is moved
            for s, (step, at) in enumerate(zip(self.st.ladder, step_times)):
                if self.sc.channels[step.channel].notice:  # a step due before the statement runs at it; the
                    sends.append(self.contacts.notices.sent_day(s, np.maximum(at, statement)))  # quiet hours move it
            for later in (self.disputes.deferred_keys(sends, wait) if self.disputes is not None
                          else [np.floor(sent) + wait for sent in sends]):  # the keys of the attempts it may defer to
                place.append(np.where(np.isfinite(first) & (later > first), later, INF))
            arrives = np.where(np.isfinite(moved_to), moved_to, first)  # the notice's send; its arrival's key:
            notices.append((self.after(arrives, delivery), NOTICE_ARRIVES))  # its moved send: after the deliveries
            self.late = [(moved_to, NOTICE_MOVED)] + [(col, code) for slot in capped for col, code in
                                                      ((slot, NOTICE_MOVED), (slot + delivery, NOTICE_ARRIVES))]
            if plans is not None and plans.active:  # wait >= 1 (agency_problems)
                self.deferred = DeferredPlacement(self, plans, PLACE, NOTICE_MOVED, NOTICE_ARRIVES)
                self.reserved = self.deferred.reserved
                place += self.reserved[:2]
                notices += list(zip(self.reserved[2:], (NOTICE_MOVED, NOTICE_ARRIVES)))
        at = next((j for j, c in enumerate(codes) if c < OFFER), len(codes))  # a plan's first instalment
        cols[at:at], codes[at:at] = place, [PLACE] * len(place)
        cols += [col for col, _ in notices]
        codes += [code for _, code in notices]

    def attach(self, raw: np.ndarray, code: np.ndarray, row: np.ndarray, codes: list) -> None:
        """The loop's sorted schedule, where a plan's start fills the reserved columns."""
        if self.deferred is not None:
            self.deferred.attach(raw, code, row, codes)

    def _slot(self, days: np.ndarray) -> np.ndarray:
        """Where the quiet hours move a notice due on ``days``: the contact limits' next slot out of
        them, to the last bit (``inf`` where it is not moved)."""
        quiet, out = self.st.contact_limits.quiet_hours, np.full(days.shape, INF)
        if quiet is not None:
            due = np.flatnonzero(np.isfinite(days))
            slot = quiet_hours_end(quiet, days[due])
            moved = slot > days[due] + SAME_INSTANT_DAYS
            out[due[moved]] = slot[moved]
        return out

    def acts(self, ii: np.ndarray, t_go: np.ndarray, codes_j: np.ndarray) -> np.ndarray | None:
        """Which of the accounts ``ii`` at column times ``t_go`` have an action there (``None``:
        all): a placement column only where the account's attempt is due then, the notice's send
        and arrival only where they are due then. The others must not advance their clock."""
        if self.cfg is None:
            return None
        keep = np.ones(ii.size, bool)
        shift = self._shift(ii)  # the keys run later by a dispute's duration
        for c, day in ((PLACE, self.next_attempt), (NOTICE_ARRIVES, self.notice_at), (NOTICE_MOVED, self.move_at)):
            sel = codes_j == c
            keep[sel] = day[ii[sel]] + shift[sel] == t_go[sel]
        return None if keep.all() else keep

    def _shift(self, ii: np.ndarray) -> np.ndarray:
        """The days a dispute moved the actions of accounts ``ii`` (their keys run that much later)."""
        return self.disputes.shift[ii] if self.disputes is not None else np.zeros(ii.size)

    def act(self, code: int, ii: np.ndarray, at: np.ndarray, bal: np.ndarray) -> None:
        if code == NOTICE_ARRIVES:
            self.notice_at[ii] = INF
            self._deliver_notice(ii, at)
            return
        if code == NOTICE_MOVED:  # the engine's Message._send_moved: the account is neither held nor paid
            self.move_at[ii] = INF
            self._send_notice(ii, at)
            return
        self.next_attempt[ii] = INF
        ag, counters = self.cfg, self.counters
        due = bal[ii] >= cents(ag.balance_min)
        ii, at = ii[due], at[due]
        if waits_for_notice(ag) and ii.size:
            sent = self.contacts.state.notice_day[ii]
            none = ~np.isfinite(sent)
            slot = notice_slot(self, ii, at, none) if self.counted else self._slot(at)  # the cap's: the account's messages
            moved = none & np.isfinite(slot)
            self._move_notice(ii[moved], slot[moved])
            self._send_notice(ii[none & ~moved], at[none & ~moved])
            counters["eca_notices_sent"] += int(none.sum())
            sent = np.where(none, at, sent)
            wait = ag.notice_days_before
            ok = ~none & (np.floor(at) - np.floor(sent) >= wait)
            counters["placements_deferred_for_notice"] += int((~ok).sum())
            if wait == 0:  # the engine's deferred attempt runs at once, after the notice
                ok |= none
            later = ~ok
            self.next_attempt[ii[later]] = np.floor(sent[later]) + wait - self._shift(ii[later])  # its key
            ii, at = ii[ok], at[ok]
        counters["agency_placements"] += ii.size
        counters["agency_placed_cents"] += int(bal[ii].sum())
        self.placed_day[ii] = at
        self.placed_cents[ii] = bal[ii]
        bal[ii] = 0  # held by the agency: out of the hospital's loop

    def _send_notice(self, ii: np.ndarray, at: np.ndarray) -> None:
        """The hospital's final notice before a placement (never stopped by an opt-out; counted
        by the cap that counts its channel)."""
        if not ii.size:
            return
        name = self.cfg.notice_channel
        cfg, state, counters = self.sc.channels[name], self.contacts.state, self.counters
        state.notice_day[ii] = at
        if self.counted:
            state.sent[ii, self.sent_column] = at
        counters["contacts"] += ii.size
        counters[f"contacts_{name}"] += ii.size
        state.cost[ii] += cents(cfg.cost)
        self.rows.add(ii, at, Kind.COST_CONTACT, cents(cfg.cost))
        if cfg.delivery_days > 0.0:
            self.notice_at[ii] = at + cfg.delivery_days - self._shift(ii)
        else:
            self._deliver_notice(ii, at)

    def _move_notice(self, ii: np.ndarray, slot: np.ndarray) -> None:
        """The notice falls in the quiet hours: it goes out at the next allowed slot
        (:meth:`simlib.levers.contact_limits.ContactLimitsLever.next_message_slot`), counted."""
        if ii.size:
            name = self.cfg.notice_channel
            self.counters["notices_moved"] += ii.size
            self.counters[f"moved_{name}"] += ii.size
            self.move_at[ii] = slot

    def _deliver_notice(self, ii: np.ndarray, at: np.ndarray) -> None:
        """The agency's notice arrives: the reach, response and harm of a ladder message."""
        contacts, name = self.contacts, self.cfg.notice_channel
        cfg, c = self.sc.channels[name], contacts.ch_names.index(name)
        reached = self.pop.reach_u[ii, c] < cfg.reach
        ii, at = ii[reached], at[reached]
        self.counters[f"reached_{name}"] += ii.size
        if not ii.size:
            return
        contacts.respond(self.notice_column, ii, at, cfg.jump_per_day)
        contacts.after_reach(ii, at, c, cfg)

    # ------------------------------------------------------------------ the agency's phase
    def finish(self, raw: np.ndarray, code: np.ndarray, row: np.ndarray, bal: np.ndarray, k: np.ndarray,
               resp: np.ndarray, bad_debt: np.ndarray, small_cents: float) -> None:
        """Simulate the placed accounts with the agency until they are paid, recalled or the
        horizon; their balances return to ``bal``. ``raw``/``code``: the hospital's schedule
        (the loop's columns; encounter ``i``'s is row ``row[i]``), ``k`` the payments made so
        far, ``resp`` the responsiveness."""
        if self.cfg is None:
            return
        ii = np.flatnonzero(np.isfinite(self.placed_day))
        if not ii.size:
            return
        ag, pop, beh, rows, counters = self.cfg, self.pop, self.sc.behaviour, self.rows, self.counters
        horizon = self.sc.simulation.horizon_days
        placed = self.placed_day[ii]
        bal[ii] = self.placed_cents[ii]
        times, kinds = self._columns(ii, placed, raw[row[ii]], code[row[ii]])
        n = ii.size  # local index p: account ii[p]
        lam = ag.initial_per_day * resp[ii]
        initial, stopped = lam.copy(), np.zeros(n, bool)  # stopped: a dispute not resolved by the horizon
        t0, cum, tk = placed.copy(), np.zeros(n), np.zeros(n, np.int64)
        gross, fee = np.zeros(n, np.int64), np.zeros(n, np.int64)
        f, kappa = ag.floor_per_day, ag.decay_per_day
        thresholds = pop.agency_threshold[ii]
        last = thresholds.shape[1] - 1
        jump_base, jump_frac = beh.payment_jump_base_per_day, beh.payment_jump_fraction_per_day

        def advance(p, at):
            dt = at - t0[p]
            dt = np.where(dt > 0.0, dt, 0.0)
            cum[p] += integrated(lam[p], f, kappa, dt)  # the agency's multiplier is 1
            lam[p] = np.where(dt > 0.0, intensity_after(lam[p], f, kappa, dt), lam[p])
            t0[p] = np.where(dt > 0.0, at, t0[p])

        def pay_time(p):
            return t0[p] + time_to_reach(lam[p], f, kappa, thresholds[p, tk[p]] - cum[p])

        tpay = pay_time(np.arange(n))

        def pay(p):
            at = tpay[p]
            advance(p, at)
            i, b, kk = ii[p], bal[ii[p]], k[ii[p]]
            _, frac, amount = payment(beh, pop, i, b, kk, last=tk[p] >= last)
            rows.add(i, at, Kind.PAYMENT_AGENCY, amount)
            gross[p] += amount
            total_fee = np.round(ag.fee_rate * gross[p]).astype(np.int64)
            rows.add(i, at, Kind.FEE_AGENCY, total_fee - fee[p])
            fee[p] = total_fee
            counters["agency_payments"] += p.size
            b = b - amount
            lam[p] += jump_base + jump_frac * frac
            cum[p] = 0.0
            k[i] = kk + 1
            tk[p] += 1
            small = (b > 0) & (b < small_cents)
            rows.add(i[small], at[small], Kind.WRITE_OFF_SMALL, b[small])
            b[small] = 0
            bal[i] = b
            tpay[p] = INF
            live = p[b > 0]
            tpay[live] = pay_time(live)

        alive = np.arange(n)
        for j in range(times.shape[1] + 1):
            if not alive.size:
                break
            t_next = times[alive, j] if j < times.shape[1] else np.full(alive.size, INF)
            due_now = (tpay[alive] <= t_next) & (tpay[alive] <= horizon)
            cand, cand_next = alive[due_now], t_next[due_now]
            while cand.size:
                pay(cand)
                keep = (bal[ii[cand]] > 0) & (tpay[cand] <= cand_next) & (tpay[cand] <= horizon)
                cand, cand_next = cand[keep], cand_next[keep]
            if j == times.shape[1]:
                break
            go = (bal[ii[alive]] > 0) & (t_next <= horizon)
            p, at = alive[go], t_next[go]
            advance(p, at)
            kind = kinds[p, j]
            hit = p[kind == _CONTACT]
            counters["agency_contacts"] += hit.size
            lam[hit] += ag.contact_jump_per_day * resp[ii[hit]]
            if self.disputes is not None and (held := kind == _DISPUTE).any():
                q = p[held]
                stopped[q] = ~self.disputes.held_dispute(q, ii[q], at[held], bal, lam, t0, self.contacts, rows,
                                                         counters, f, kappa, initial)
            gone = kind == _RECALL
            q, i = p[gone], ii[p[gone]]
            rows.add(i, at[gone], Kind.WRITE_OFF_BAD_DEBT, bal[i])
            bad_debt[i] += bal[i]
            bal[i] = 0
            counters["agency_recalls"] += q.size
            counters["bad_debt_write_offs"] += q.size
            tpay[p] = INF
            live = p[bal[ii[p]] > 0]
            tpay[live] = pay_time(live)
            alive = alive[(bal[ii[alive]] > 0) & ~stopped[alive]]

    def _columns(self, ii, placed, r, c) -> tuple[np.ndarray, np.ndarray]:
        """Per placed account ``ii``, in the engine's order: the hospital's actions still scheduled
        after its placement (``r``/``c``: its rows of the loop's schedule; they only advance the
        clock), the agency's contacts and its recall."""
        ag, ladder = self.cfg, self.st.ladder
        # the column that placed it: a placement's, or the instalment a plan defaulted on (the
        # columns of that instant before it only advance the clock by nothing)
        d = self.disputes.shift[ii][:, None] if self.disputes is not None else 0.0  # a dispute moved it
        j0 = np.argmax(((c == PLACE) | (c < OFFER)) & (r + d == placed[:, None]), axis=1)
        # no attempt is left, nor an instalment (the plan defaulted, or never started)
        scheduled = (np.arange(r.shape[1])[None, :] > j0[:, None]) & np.isfinite(r) & (c != PLACE) & (c >= OFFER)
        delivery = c >= len(ladder)
        if delivery.any():  # a ladder message's arrival is in the schedule only if it was sent
            pending = self.contacts.state.pending[ii[:, None], np.where(delivery, c - len(ladder), 0)]
            scheduled &= ~delivery | pending
        scheduled &= (c != NOTICE_ARRIVES) | (r == self.notice_at[ii][:, None])
        scheduled &= (c != NOTICE_MOVED) | (r == self.move_at[ii][:, None])
        scheduled &= self.contacts.notices.scheduled(ii, c, r)  # a ladder notice's moved send: where it moved
        days = np.array(sorted(ag.contact_days) + [ag.recall_days])[None, :]
        own = placed[:, None] + days  # the agency's contacts and recall; after a dispute moved the placement
        if self.disputes is not None:  # the engine files (placed + days) − shift, after the placement
            own = np.where(d != 0.0, np.maximum(r[np.arange(r.shape[0]), j0][:, None], own - d), own)
        times = np.hstack([np.where(scheduled, r, INF), own])
        kinds = np.hstack([np.where(c == DISPUTE, _DISPUTE, _ADVANCE), np.full(own.shape, _CONTACT)])
        kinds[:, -1] = _RECALL
        codes = np.hstack([c, np.full(own.shape, OFFER + 1)])  # theirs: no delivery's
        order = np.argsort(times, axis=1, kind="stable")
        times, kinds = np.take_along_axis(times, order, axis=1), np.take_along_axis(kinds, order, axis=1)
        if self.disputes is not None:  # the days they run
            times = self.disputes.held_run_times(ii, times, np.take_along_axis(codes, order, axis=1),
                                                 kinds == _DISPUTE, len(ladder))
        return times, kinds

