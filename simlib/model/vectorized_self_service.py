"""The self-service payment levers in NumPy (pay link, card on file, patient portal), for
:mod:`simlib.model.vectorized` and the hybrid engine.

The same rules as :mod:`simlib.levers.pay_link`, :mod:`simlib.levers.card_on_file` and
:mod:`simlib.levers.patient_portal`, many accounts at once, on the levers' own draws (their take-up
uniform correlated with the propensity to pay: :func:`simlib.levers.deposit.propensity_uniform`):

- **the pay link** (order 20, ``day`` after the statement, every account): a message like a
  ladder step's — an opted-out channel is not used, the quiet hours and the 7-day cap suppress it,
  it costs the channel's cost (``COST_CONTACT``) and the vendor's fee per link
  (``COST_SELF_SERVICE``), it reaches with the channel's reach and the reminder's response (the
  link's jump, or the channel's), counts for the fatigue and the cap of later messages (a column
  of its own in the contact state) and may bring an opt-out or a complaint; a patient it reaches
  pays the whole balance when the lever's uniform is below ``pay_at_once_rate`` × (1 −
  ``friction``) × P(can pay in full);
- **the card on file** (order 21, ``days_after_due`` after the due date, for the patients who
  consent: counter ``card_on_file_consents`` when the account's actions are scheduled): a charge
  of a balance at most ``balance_max`` costs ``fee_per_charge``; it succeeds when the attempt's
  uniform is below (1 − ``failure_rate``) × P(can pay in full), else it is retried ``retry_days``
  later (the engine's float additions), at most ``retries`` times: each attempt is a column of its
  own, an action only on the day of the attempt the engine scheduled
  (:meth:`SelfService.unscheduled`). A paid charge is by card whatever the patient's method; a
  chargeback (the lever's second uniform below ``chargeback_rate``) ``chargeback_days`` later,
  within the horizon, books the ``CHARGEBACK``, its bad-debt write-off, the processor's fee and the
  lost margin of a complaint;
- **the patient portal** (order 22, the visitors' pre-drawn exponential delay after the
  statement): the visit tells the patient of the bill and they pay the whole balance when the
  lever's third uniform is below ``pay_rate`` × P(can pay in full); otherwise, beside a payment
  plan, a balance of at least its ``balance_min`` takes a plan when that uniform, rescaled above
  the payers, is below ``plan_rate`` (counter ``portal_plans``): the plan's own offer
  (:mod:`simlib.model.vectorized_plans`), its first instalment right after the visit, the next
  every ``month_days`` — columns that follow the visit's.

A payment in full is booked as the engine's ``pay_in_full``: a discount's allowance, the payment
row and payment log, the processing fee, counter ``patient_payments``; the lever's fee per payment
and counter. While a plan holds the account the three stand down
(:meth:`~simlib.model.vectorized_plans.PaymentPlans.stand_down`: their codes are above the plan's),
but their clock advances. The vendors' monthly fees are the world's rows (receivable −1).

Subset (:func:`self_service_problems`): no agency, legal action or public accountant beside them
(their holds: an agency's second pass would take a retry never scheduled for a clock-only action),
a portal that sets up payment plans only where no plan is offered to all (``uptake_rate`` 0: an
account has at most one plan, its instalments from the visit), a pay link by a channel that is
neither a legal notice nor delivered later, no message cap counting the link in the 7 days before a
ladder notice it counts (the cap could move the notice), and a ladder of at most 11 steps (step
``s`` has order 10 + ``s``: their tie order).
Identity with the engine: ``tests/test_vectorized_self_service.py``.
"""
from __future__ import annotations

import numpy as np

from simlib.core import scalar_math as xm
from simlib.core.ledger import Kind
from simlib.core.settings import cents
from simlib.levers.card_on_file import RETRIES_MAX
from simlib.levers.deposit import propensity_uniform
from simlib.model.vectorized_contacts import hour_of_day, quiet
from simlib.model.vectorized_plans import FIRST_INSTALMENT, OFFER

INF = np.inf
#: action codes of the vectorized loop (above the plans' codes: a plan holding the account stops
#: them; every form's are disjoint: tests/test_vectorized_codes.py); every card attempt is ``CHARGE``
PAY_LINK, PORTAL, CHARGE = -12, -13, -70
KEYS = ("pay_link", "card_on_file", "patient_portal")
#: the longest ladder whose steps (order 10 + s) keep their tie order with the levers' (20, 21, 22)
MAX_STEPS = 11


def self_service_problems(sc, strategy, counted) -> list[str]:
    """Why the strategy's self-service levers lie outside what this module simulates (``[]``:
    inside); ``counted``: the channels the message cap counts."""
    if all(getattr(strategy, key) is None for key in KEYS):
        return []
    problems = []
    if strategy.agency is not None or strategy.public_accountant is not None or strategy.legal_action is not None:
        problems.append("a self-service lever beside an agency, the public accountant or legal action")
    if len(strategy.ladder) > MAX_STEPS:
        problems.append(f"a ladder of more than {MAX_STEPS} steps beside a self-service lever")
    portal = strategy.patient_portal
    plan = strategy.payment_plan
    if portal is not None and plan is not None and portal.plan_rate > 0 and plan.uptake_rate > 0:
        problems.append("a patient portal that sets up payment plans beside plans offered to all (uptake_rate > 0)")
    link = strategy.pay_link
    if link is not None:
        ch = sc.channels[link.channel]
        if ch.notice or ch.delivery_days > 0.0:
            problems.append("a pay link by a legal notice's channel or one delivered later")
        if _may_hold_a_notice(sc, strategy, counted):
            problems.append("a pay link the message cap counts in the 7 days before a notice it counts")
    return problems


def _may_hold_a_notice(sc, strategy, counted) -> bool:
    """Whether the link (sent ``day`` after the statement) may fall in the 7 days before a ladder
    notice the message cap counts, so that the cap may move the notice: the send days of
    :func:`simlib.model.vectorized_notices.cap_may_hold` (its own check leaves the link out)."""
    link, lim = strategy.pay_link, strategy.contact_limits
    if not lim.messages_per_7_days_max or link.channel not in counted:
        return False
    eps = 1e-6
    for step in strategy.ladder:
        if not (sc.channels[step.channel].notice and step.channel in counted):
            continue
        day = step.day + (strategy.credit_terms_days if step.relative_to == "due_date" else 0.0)
        lo, hi = (day, day) if step.hour is None else (day - 1.0, day + 1.0)
        lo, hi = max(lo, 0.0) - eps, max(hi, 0.0) + (1.0 if lim.quiet_hours is not None else 0.0) + eps
        if link.day - eps <= hi and link.day + eps > lo - 7.0:
            return True
    return False


def take_up(sc, pop, key: str, columns: int, correlation: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`simlib.levers.self_service.take_up_draws` of the population ``pop``."""
    u = np.asarray(pop.draws(key, lambda rng, n: rng.random((n, columns))))
    return u, propensity_uniform(u[:, 0], pop.propensity, sc.patients.propensity_sigma, correlation)


class SelfService:
    """A strategy's pay link, card on file and patient portal over one population (inactive
    without them). ``record(ii, days, cents)`` books the patient's payments, ``discount``, ``fees``
    and ``plans`` are the strategy's :class:`~simlib.model.vectorized_offers.Discount`,
    :class:`~simlib.model.vectorized_payment_methods.ProcessingFees` and
    :class:`~simlib.model.vectorized_plans.PaymentPlans` (its columns made); ``cols`` and
    ``col_codes`` are the levers' columns of the schedule (:meth:`columns`)."""

    def __init__(self, sc, strategy, pop, contacts, rows, counters, discount, fees, record, plans,
                 statement: np.ndarray, due: np.ndarray, stated: np.ndarray):
        self.sc, self.pop, self.contacts, self.rows, self.counters = sc, pop, contacts, rows, counters
        self.discount, self.fees, self.record, self.plans = discount, fees, record, plans
        self.link, self.card, self.portal = (getattr(strategy, key) for key in KEYS)
        self.codes: set[int] = set()
        self.shift = np.zeros(pop.n)  # the days a dispute moved every pending action (:meth:`beside`)
        if self.link is not None:
            self.link_u = take_up(sc, pop, "pay_link", 1, self.link.propensity_correlation)[1]
            self.p_link = self.link.pay_at_once_rate * (1.0 - self.link.friction)
            state = contacts.state  # the link's own column of send and reach times (the cap, fatigue)
            self.column = state.reached.shape[1]
            pad = self.column + 1 - state.sent.shape[1]  # past the columns of reaches only (a corrected statement)
            state.sent = np.hstack([state.sent, np.full((pop.n, pad), -INF)])
            state.reached = np.hstack([state.reached, np.full((pop.n, 1), -INF)])
            self.codes.add(PAY_LINK)
        if self.card is not None:
            self.card_u, consent_u = take_up(sc, pop, "card_on_file", 2 + RETRIES_MAX + 1,
                                             self.card.propensity_correlation)
            self.consents = consent_u < self.card.consent_rate
            self.attempt = np.zeros(pop.n, np.int64)  # the attempt the engine has scheduled, and its day
            self.next_day = np.where(self.consents, due + self.card.days_after_due, INF)  # as it stores it
            self.next_raw = self.next_day.copy()  # the day of that attempt's column
            self.codes.add(CHARGE)
        if self.portal is not None:
            self.portal_u, visit_u = take_up(sc, pop, "patient_portal", 3, self.portal.propensity_correlation)
            self.visitors = visit_u < self.portal.visit_rate
            #: plans are started on a visit only (self_service_problems: none offered to all)
            self.sets_up_plans = plans.active and self.portal.plan_rate > 0
            self.codes.add(PORTAL)
        self.cols, self.col_codes = self.columns(statement, due, stated)

    def columns(self, statement: np.ndarray, due: np.ndarray, stated: np.ndarray) -> tuple[list, list]:
        """The levers' columns in their tie order (the link, the card's attempts, the visit), with
        their codes; counts the consents of the accounts ``stated`` (their actions are scheduled)."""
        cols, codes = [], []
        if self.link is not None:
            cols.append(statement + self.link.day)
            codes.append(PAY_LINK)
        if self.card is not None:
            self.counters["card_on_file_consents"] += int((self.consents & stated).sum())
            at = self.next_day
            for _ in range(self.card.retries + 1):  # a retry: the attempt before it + retry_days
                cols.append(at)
                codes.append(CHARGE)
                at = at + self.card.retry_days
        if self.portal is not None:
            delay = -self.portal.visit_delay_days * xm.log1p(-self.portal_u[:, 1])  # Exp(mean delay)
            visit = np.where(self.visitors, statement + delay, INF)
            cols.append(visit)
            codes.append(PORTAL)
            if self.sets_up_plans:  # a plan started on a visit: its first instalment next (order 6), then
                plans, visitors = self.plans, np.flatnonzero(self.visitors)  # every month_days (the engine's
                plans.slot[visitors] = np.arange(visitors.size)  # float additions)
                plans.missed = np.zeros((visitors.size, plans.months), bool)
                for m in range(plans.months):
                    cols.append(visit)
                    codes.append(FIRST_INSTALMENT - m)
                    visit = visit + plans.cfg.month_days
        return cols, codes

    def beside(self, disputes) -> None:
        """Disputes (:class:`~simlib.model.vectorized_disputes.Disputes`) move every pending action by
        their duration (``shift``): the engine stores a day less the shift of the moment it is
        scheduled and runs it at that plus the shift of the moment it is due — a card's retry is
        scheduled as the attempt before fails, so after a dispute its day is its own
        (:meth:`retried`)."""
        self.shift = disputes.shift
        if self.card is not None:
            disputes.retimed = self.retried

    def retried(self, alive: np.ndarray, raw: np.ndarray, t: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """The days ``t`` (the column's ``raw`` days moved) of accounts ``alive`` with the card
        attempt the engine scheduled run on the day it stored plus the shift."""
        card = np.flatnonzero((codes == CHARGE) & (self.shift[alive] != 0.0))
        if card.size:
            a = alive[card]
            due = raw[card] == self.next_raw[a]  # the column of the attempt the engine scheduled
            t[card[due]] = self.next_day[a[due]] + self.shift[a[due]]
        return t

    def unscheduled(self, ii: np.ndarray, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Which of the actions (``ii``, ``codes`` at ``days``) due now are card attempts the engine
        never scheduled (the attempt before did not fail): the scheduled one falls on ``next_day``
        plus a dispute's shift (the engine's float additions, as the columns')."""
        if self.card is None:
            return np.zeros(ii.size, bool)
        return (codes == CHARGE) & (days != self.next_day[ii] + self.shift[ii])

    def act(self, code: int, jj: np.ndarray, at: np.ndarray, bal: np.ndarray) -> None:
        """The action ``code`` for the open accounts ``jj`` at days ``at`` (``bal`` changed in place)."""
        if code == PAY_LINK:
            self._link(jj, at, bal)
        elif code == PORTAL:
            self._visit(jj, at, bal)
        else:
            self._charge(jj, at, bal)

    # ------------------------------------------------------------------ actions
    def _can_pay(self, jj: np.ndarray, bal: np.ndarray) -> np.ndarray:
        """:func:`simlib.levers.self_service.can_pay_in_full` of the open accounts ``jj``."""
        beh = self.sc.behaviour
        if beh.full_payment in ("always", "never"):
            return np.full(jj.size, 1.0 if beh.full_payment == "always" else 0.0)
        return np.minimum(1.0, self.pop.ability_monthly[jj] * beh.full_payment_months * 100.0 / bal[jj])

    def _pay_in_full(self, jj, at, bal, by_card: bool = False) -> np.ndarray:
        """The patients ``jj`` pay their whole balance now (``PatientAccount.pay_in_full``);
        returns what reached the hospital."""
        b = bal[jj]
        net = b - self.discount.allowance(jj, at, b, b, self.rows, self.counters)
        self.record(jj, at, net)
        self.fees.on_payment(jj, at, net, self.rows, self.counters, by_card=by_card)
        self.counters["patient_payments"] += jj.size
        bal[jj] = 0
        return net

    def _link(self, jj: np.ndarray, at: np.ndarray, bal: np.ndarray) -> None:
        """The link goes out (the message channel's rules), reaches, and may be paid through."""
        link, contacts, counters, rows = self.link, self.contacts, self.counters, self.rows
        state, name = contacts.state, link.channel
        cfg, c = self.sc.channels[name], contacts.ch_names.index(name)
        out = state.opted_out[jj, c]
        counters["opted_out_contacts"] += int(out.sum())
        jj, at = jj[~out], at[~out]
        lim = contacts.lim
        allow = ~quiet(lim.quiet_hours, hour_of_day(at))
        if lim.messages_per_7_days_max is not None and name in contacts.counted:
            allow &= (at[:, None] - state.sent[jj] < 7.0).sum(axis=1) < lim.messages_per_7_days_max
        suppressed = int((~allow).sum())
        counters["suppressed_contacts"] += suppressed
        counters[f"suppressed_{name}"] += suppressed
        jj, at = jj[allow], at[allow]
        if not jj.size:
            return
        if name in contacts.counted:
            state.sent[jj, self.column] = at
        counters["contacts"] += jj.size
        counters[f"contacts_{name}"] += jj.size
        counters["pay_links_sent"] += jj.size
        state.cost[jj] += cents(cfg.cost)
        rows.add(jj, at, Kind.COST_CONTACT, cents(cfg.cost))
        sent, sent_at = jj, at
        reached = self.pop.reach_u[jj, c] < cfg.reach
        jj, at = jj[reached], at[reached]
        counters[f"reached_{name}"] += jj.size
        counters["pay_links_read"] += jj.size
        if jj.size:
            contacts.respond(self.column, jj, at, cfg.jump_per_day if link.jump_per_day is None else link.jump_per_day)
            contacts.after_reach(jj, at, c, cfg)
            pays = self.link_u[jj] < self.p_link * self._can_pay(jj, bal)
            jj, at = jj[pays], at[pays]
            self._pay_in_full(jj, at, bal)
            rows.add(jj, at, Kind.COST_SELF_SERVICE, cents(link.fee_per_payment))
            counters["pay_link_payments"] += jj.size
        # the vendor's fee per link last, as the engine books it: the rows of one instant keep the
        # engine's order (the cash curve's running minimum reads them in that order)
        rows.add(sent, sent_at, Kind.COST_SELF_SERVICE, cents(link.fee_per_link))

    def _visit(self, jj: np.ndarray, at: np.ndarray, bal: np.ndarray) -> None:
        """The patients ``jj`` visit the portal: they learn of the bill and may pay it there."""
        self.counters["portal_visits"] += jj.size
        self.contacts.learn_of_bill(jj)
        u, p_pay = self.portal_u[jj, 2], self.portal.pay_rate * self._can_pay(jj, bal)
        pays = u < p_pay
        if self.sets_up_plans:  # the same uniform, rescaled above the payers
            plans = self.plans
            with np.errstate(divide="ignore", invalid="ignore"):
                takes = ~pays & (bal[jj] >= plans.min_cents) & ((u - p_pay) / (1.0 - p_pay) < self.portal.plan_rate)
            plans.act(OFFER, jj[takes], at[takes])
            self.counters["portal_plans"] += int(plans.held[jj[takes]].sum())
        jj, at = jj[pays], at[pays]
        self._pay_in_full(jj, at, bal)
        self.rows.add(jj, at, Kind.COST_SELF_SERVICE, cents(self.portal.fee_per_payment))
        self.counters["portal_payments"] += jj.size

    def _charge(self, jj: np.ndarray, at: np.ndarray, bal: np.ndarray) -> None:
        """The scheduled attempt to charge the balances of ``jj`` to their cards."""
        card, counters, rows, pop = self.card, self.counters, self.rows, self.pop
        raw = self.next_raw[jj]
        self.next_day[jj] = self.next_raw[jj] = INF
        if card.balance_max is not None:
            under = bal[jj] <= cents(card.balance_max)
            jj, at, raw = jj[under], at[under], raw[under]
        counters["card_charges"] += jj.size
        rows.add(jj, at, Kind.COST_SELF_SERVICE, cents(card.fee_per_charge))
        a = self.attempt[jj]
        failed = self.card_u[jj, 2 + a] >= (1.0 - card.failure_rate) * self._can_pay(jj, bal)
        counters["card_charges_failed"] += int(failed.sum())
        retry = failed & (a < card.retries)
        self.attempt[jj[retry]] = a[retry] + 1
        self.next_day[jj[retry]] = (at[retry] + card.retry_days) - self.shift[jj[retry]]  # acct.at's arithmetic
        self.next_raw[jj[retry]] = raw[retry] + card.retry_days
        jj, at = jj[~failed], at[~failed]
        net = self._pay_in_full(jj, at, bal, by_card=True)
        counters["card_charges_paid"] += jj.size
        day = at + card.chargeback_days
        back = (self.card_u[jj, 1] < card.chargeback_rate) & (day <= self.sc.simulation.horizon_days) & (net > 0)
        jj, day, net = jj[back], day[back], net[back]
        if not jj.size:
            return
        harm = self.sc.harm
        counters["chargebacks"] += jj.size
        rows.add(jj, day, Kind.CHARGEBACK, net)
        rows.add(jj, day, Kind.WRITE_OFF_BAD_DEBT, net)
        rows.add(jj, day, Kind.FEE_PROCESSING, cents(card.chargeback_fee))
        counters["patients_lost_micro"] += jj.size * int(round(harm.attrition_per_complaint * 1e6))
        lost = harm.attrition_per_complaint * harm.future_encounters_per_patient * (
            pop.allowed_cents[jj].astype(float) * harm.contribution_margin_ratio)
        rows.add(jj, day, Kind.LOST_MARGIN_ATTRITION, np.round(lost).astype(np.int64))
