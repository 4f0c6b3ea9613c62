"""The capacity-free subset of the model in NumPy: every patient balance at once, no SimPy.

Used as an oracle for the engine (same population arrays ⇒ the same path per account) and as the
speed limit the engine is benchmarked against. The subset is the patient side of
:mod:`simlib.model.engine` without any shared capacity or dispute:

- statement at ``max(bill_day + statement_lag, first simulated day)`` sets the intensity to its
  initial value; until it arrives (``delivery_days``), or for good if it does not reach, the
  patient pays at ``unreached_statement_share`` of it and learns of the bill at arrival or at the
  first contact that reaches them;
- contacts with the engine's response (:mod:`simlib.model.vectorized_contacts`): delivery days,
  reach, contact weight, fatigue, the debt's age, opt-outs and complaints with their harm;
- a fixed schedule per account: due-date jump, the ladder's message steps (targeted by score,
  current balance and payer; contact limits and quiet hours applied), write-off after N days;
- between actions the intensity relaxes toward its floor; a payment happens when the integrated
  intensity since the last payment reaches the pre-drawn Exp(1) threshold;
- the full/partial payment rule, payment jumps and the small-balance write-off of the engine;
- charity screening (on the statement or before the write-off) and the prompt-pay discount
  (:mod:`simlib.model.vectorized_offers`);
- the deposit at service, its refund and financial assistance's refund of it
  (:mod:`simlib.model.vectorized_deposit`): the account starts with what the deposit left;
- patient financing (:mod:`simlib.model.vectorized_financing`): a lender's payment closes the balance;
  payment plans (:mod:`simlib.model.vectorized_plans`); processing fees (:mod:`simlib.model.vectorized_payment_methods`).
- a collection agency (:mod:`simlib.model.vectorized_agency`): a placement takes an account out of the loop.
- a legally required notice the quiet hours move: sent at their end (:mod:`simlib.model.vectorized_notices`).
- offers withheld outside a score band (:mod:`simlib.model.vectorized_targeting`); collection charges.
- call steps: clock-only where the team never calls, else given each call's outcome (:mod:`simlib.model.vectorized_calls`).
- disputes, resolved on the day the billing team's queue gives (:mod:`simlib.model.vectorized_disputes`);
  a secondary payer's denial: its share added to the balance (:mod:`simlib.model.vectorized_secondary`).
- a pay link, a card on file, a patient portal and its plans (:mod:`simlib.model.vectorized_self_service`).

Besides per-account totals it keeps every ledger row the engine posts for a patient balance after
its ``BILLED`` row (:mod:`simlib.model.vectorized_rows`): deposits and their costs and refunds,
statement and contact costs, harm rows, charity, discounts, payments and write-offs, each with its
day (``paid_cents``, the first payment day and the payment log count a deposit paid at service
as the patient's first payment; ``payments`` counts the account's own).

Per account the action times differ only by the statement day, so the accounts are processed
column by column of their (sorted) schedule; between two columns each account makes the
payments due before its next action. Strategies with calls, disputes (``billing_error_rate > 0``)
or any lever but those listed in ``SIMULATED`` (plug-in levers) are refused: they need the engine.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from simlib.core import scalar_math as xm
from simlib.scenario.schema import Scenario
from simlib.core.ledger import Kind, Ledger
from simlib.model.population import Population
from simlib.model.vectorized_contacts import Contacts
from simlib.model.vectorized_intensity import integrated, intensity_after, payment, time_to_reach  # noqa: F401  (re-exported)
from simlib.model.vectorized_subset import (SIMULATED, capacity_free_problems,  # noqa: F401  (re-exported)
                                            check_capacity_free)
from simlib.model.vectorized_accountant import CLOCK_ONLY, PublicAccountant
from simlib.model.vectorized_agency import PLACE, Agency
from simlib.model.vectorized_calls import CallSteps
from simlib.model.vectorized_charges import CollectionCharges
from simlib.model.vectorized_deposit import DepositAtService
from simlib.model.vectorized_disputes import DISPUTE, Disputes
from simlib.model.vectorized_financing import Financing
from simlib.model.vectorized_legal import LegalAction
from simlib.model.vectorized_offers import Charity, Discount
from simlib.model.vectorized_notices import MovedNotices
from simlib.model.vectorized_payment_methods import ProcessingFees
from simlib.model.vectorized_plans import OFFER as _PLAN, PaymentPlans
from simlib.model.vectorized_result import VectorResult, payment_log, per_account  # noqa: F401  (re-exported)
from simlib.model.vectorized_self_service import SelfService
from simlib.model.vectorized_rows import Rows
from simlib.model.vectorized_targeting import TargetedOffers

INF = math.inf
# action codes; steps are 0..L-1, their deliveries L..2L-1; each NumPy form's own codes are disjoint
# (tests/test_vectorized_codes.py): here -1..-7, the public accountant -8..-10, legal action -11, the
# self-service levers -12, -13 and -70..-80, a dispute -14, the agency -20..-22, moved notices -30..-69,
# payment plans -100 and below
_DUE, _WRITE_OFF, _ARRIVE, _ENDS, _SCREEN, _FINANCE, _CHARGE = -1, -2, -3, -4, -5, -6, -7


def _cents(usd: float) -> int:
    return int(round(usd * 100.0))


# ----------------------------------------------------------------------------- simulation
def simulate(sc: Scenario, strategy: str, pop: Population, accounts: np.ndarray | None = None,
             statement_lag_days=None, probe_calls: bool = False, billing_error_rate: float | None = None,
             dispute_ends: np.ndarray | None = None, probe_disputes: bool = False, passed_cents=None,
             call_outcomes: dict | None = None, dispute_raised: np.ndarray | None = None) -> VectorResult:
    """Simulate the patient balances of ``pop`` under ``strategy`` (capacity-free subset);
    ``accounts``: a boolean mask of the encounters to simulate (default: all), which
    :func:`simlib.model.hybrid.numpy_accounts` chose: no call reaches them and they have no dispute
    (their call steps only advance the clock: :mod:`simlib.model.vectorized_calls`);
    ``statement_lag_days``: the world's, one per encounter where a quality investment shortened it
    (default the scenario's); ``probe_calls``: record the accounts a call step would call
    (``VectorResult.called``) instead of refusing them; ``billing_error_rate`` (the world's): the
    accounts' disputes run here (:mod:`simlib.model.vectorized_disputes`), raised only
    (``probe_disputes``: ``VectorResult.disputes_raised``) or resolved on ``dispute_ends`` (raised at the
    SimPy moments ``dispute_raised``, NaN: from the first day); ``passed_cents``: what a secondary's
    denial passed on; ``call_outcomes``: :mod:`simlib.model.hybrid_calls`."""
    if accounts is None:
        check_capacity_free(sc, strategy)
    elif capacity_free_problems(sc, strategy, per_account=True):
        raise ValueError(f"strategy {strategy!r}: {', '.join(capacity_free_problems(sc, strategy, True))}")
    st, beh = sc.strategies[strategy], sc.behaviour
    real_steps = len(st.ladder)
    st = LegalAction.ladder(PublicAccountant.ladder(st))  # their contacts: more steps (never both)
    f, kappa = beh.floor_per_day, beh.decay_per_day
    horizon = sc.simulation.horizon_days
    n = pop.n
    counters: Counter = Counter()
    rows = Rows()

    bal = pop.patient_cents.astype(np.int64).copy()
    charity = Charity(sc, st, pop)
    lag = sc.operations.statement_lag_days if statement_lag_days is None else statement_lag_days
    deposit = DepositAtService(sc, st, pop, lag)  # at service: the account starts with what it leaves
    billed = np.flatnonzero((bal > 0) if accounts is None else (bal > 0) & accounts)
    targeted = TargetedOffers(sc, st, pop)  # every bill scored at service; offers withheld outside the band
    targeted.at_service(billed, rows, counters)
    deposits = deposit.at_service(billed, bal, charity, rows, counters, passed_cents)
    disputes = Disputes(sc, st, pop, billing_error_rate, dispute_ends, probe_disputes, dispute_raised)
    disputes.overcharged(billed, bal, rows)  # billed at service by the world (beside a deposit: here)
    if passed_cents is not None:  # the account starts from the bill's rest and the share passed
        bal += passed_cents if accounts is None else np.where(accounts, passed_cents, 0)
    statement = np.maximum(pop.bill_day + lag, -float(sc.simulation.warm_up_days))
    stated = (bal > 0) & (statement <= horizon)  # the engine: nothing after the horizon
    if accounts is not None:
        stated &= accounts
    alive = np.flatnonzero(stated)
    with np.errstate(divide="ignore"):
        balance_factor = xm.power(np.maximum(bal, 1) / 100.0 / beh.balance_ref, -beh.balance_elasticity)
    resp = pop.propensity * balance_factor
    contact_weight = pop.contact_responsiveness * balance_factor
    initial_lam = beh.initial_per_day * resp
    lam = np.where(stated, initial_lam, 0.0)
    t0 = statement.copy()
    cum = np.zeros(n)
    k = np.zeros(n, dtype=np.int64)
    contacts = Contacts(sc, st, pop, lam, initial_lam, contact_weight, statement, counters, rows)
    state = contacts.state
    stmt_cfg = sc.channels[st.statement_channel]
    state.cost[alive] = _cents(stmt_cfg.cost)
    rows.add(alive, statement[alive], Kind.COST_STATEMENT, _cents(stmt_cfg.cost))
    discount = Discount(sc, st, pop, statement, stated)
    targeted.withhold(discount, stated, counters)
    fees = ProcessingFees(st, pop)
    mult = discount.mult
    # the statement (simlib.world.contacts.statement): unread until it arrives, or for good if it
    # does not reach; then the patient pays at unreached_statement_share of its intensity
    arrival = np.full(n, INF)
    share = beh.unreached_statement_share
    if share < 1.0:
        reaches = pop.reach_u[:, list(sc.channels).index(st.statement_channel)] < stmt_cfg.reach
        state.unaware[:] = stated & ((stmt_cfg.delivery_days > 0.0) | ~reaches)
        lam[state.unaware] = share * initial_lam[state.unaware]
        if stmt_cfg.delivery_days > 0.0:
            arrival = np.where(state.unaware & reaches, statement + stmt_cfg.delivery_days, INF)
    if charity.mode == "presumptive":  # the statement hooks' order: the statement, the discount, charity
        charity.screen(alive, statement[alive], bal, rows, counters, deposit.kept)
        alive = alive[bal[alive] > 0]
    paid = np.zeros(n, dtype=np.int64)
    bad_debt = np.zeros(n, dtype=np.int64)
    small_wo = np.zeros(n, dtype=np.int64)
    n_pay = np.zeros(n, dtype=np.int64)
    first_pay = np.full(n, np.nan)
    # a deposit is the patient's first payment (a PAYMENT_PATIENT row), counted by its own counter
    paid[deposits[0]] = deposits[2]
    first_pay[deposits[0]] = deposits[1]
    log_i, log_day, log_amt = [deposits[0]], [deposits[1]], [deposits[2]]

    def record(ii: np.ndarray, at: np.ndarray, net: np.ndarray) -> None:  # the patient's own, instalments
        rows.add(ii, at, Kind.PAYMENT_PATIENT, net)
        paid[ii] += net
        first = np.isnan(first_pay[ii])
        first_pay[ii[first]] = at[first]
        log_i.append(ii)
        log_day.append(at)
        log_amt.append(net)

    def write_off(jj: np.ndarray, tj: np.ndarray) -> None:
        rows.add(jj, tj, Kind.WRITE_OFF_BAD_DEBT, bal[jj])
        bad_debt[jj] += bal[jj]
        bal[jj] = 0
        counters["bad_debt_write_offs"] += jj.size
    accountant = PublicAccountant(sc, st, pop, real_steps)
    legal = LegalAction(sc, st, pop, real_steps)
    plans = PaymentPlans(sc, st, pop, bal, rows, counters, discount, record, runs_while_held=(_ARRIVE, _ENDS, DISPUTE),
                         deadlines=((_SCREEN, lambda jj, tj: charity.screen(jj, tj, bal, rows, counters, deposit.kept)),
                                    (_WRITE_OFF, write_off), (PLACE, lambda jj, tj: agency.act(PLACE, jj, tj, bal))))

    # schedule: columns in the engine's tie order (due 0, statement arrival 3, financing 3, a plan's offer 4 and
    # instalments 6, deliveries 9, steps 10+n, write-off 1000), then a stable sort by raw time per
    # account reproduces the engine's (day, order) sort. A step due before the statement runs at
    # the statement, so its message arrives delivery_days after max(step, statement).
    ladder = st.ladder
    due = statement + st.credit_terms_days
    calls = CallSteps(sc, st, n, probe_calls, call_outcomes, contacts)  # ``accounts`` only: clock-only, or called
    step_times = []
    for step in ladder:
        base = statement if step.relative_to == "statement" else due
        at = base + step.day if step.hour is None else np.floor(base + step.day) + step.hour / 24.0
        # the engine schedules a step only for the accounts its static targeting may select (score
        # band, payers, balance floor after the statement): the others have no action then
        t = step.target
        excluded = (pop.score_pct < t.score_min) | (pop.score_pct > t.score_max) | (bal / 100.0 < t.balance_min)
        if t.payers is not None:
            excluded |= ~np.isin(pop.payer, [pop.payer_names.index(p) for p in t.payers])
        at = calls.working_slots(len(step_times), np.where(excluded, INF, at), stated & ~excluded, counters)
        step_times.append(at)  # a call step: moved to the team's working hours
    financing = Financing(sc, st, pop)  # its take-up is decided on the balance the statement left
    # the plan's offer (order 4) and instalments (6), made only where a targeted offer allows it
    plan_cols, plan_codes = plans.columns(statement, targeted.offered_to("payment_plan", alive), horizon)
    charges = CollectionCharges(sc, st)  # order 4, after financing's 3
    cols = [due, discount.end, disputes.column(statement, stated, contacts), arrival,
            financing.column(statement, targeted.offered_to("financing", alive), bal), charges.column(due), *plan_cols]
    codes = [_DUE, _ENDS, DISPUTE, _ARRIVE, _FINANCE, _CHARGE, *plan_codes]
    notices = MovedNotices(sc, st, contacts, counters)  # a notice the quiet hours move: its delivery follows
    agency = Agency(sc, st, pop, contacts, rows, counters)  # placement order 5, its notice's arrival 9
    disputes.beside(accountant, agency, plans, legal)  # one paused clock; their actions' keys after a dispute
    agency.add_columns(cols, codes, statement, bal, step_times, plans)  # placements before instalments
    accountant.step_columns(step_times, cols, codes)  # order 6: its reminder, demand, garnishment, payment
    legal.columns(statement, bal, step_times, cols, codes)  # order 6: filing attempts
    for s in [*range(real_steps, len(ladder)), *range(real_steps)]:  # a lever's contact: before the ladder's
        d = sc.channels[ladder[s].channel].delivery_days
        if d > 0.0:
            cols.append(disputes.delivery(s, np.maximum(step_times[s], statement), d, notices))  # after a dispute: its clock
            codes.append(len(ladder) + s)
    notices.columns(statement, step_times, cols, codes, agency.late)  # its moved send (order 9, after the deliveries)
    selfserve = SelfService(sc, st, pop, contacts, rows, counters, discount, fees, record, plans, statement, due, stated)
    selfserve.beside(disputes)  # a card's retry scheduled after a dispute: its own day
    moved_cols, moved_codes = calls.moved_columns(step_times)  # a call step a dispute moves: right after it
    cols += step_times[:real_steps] + moved_cols + selfserve.cols + [charity.screen_column(statement),
                                                                     statement + st.write_off.after_days]
    codes += list(range(real_steps)) + moved_codes + selfserve.col_codes + [_SCREEN, _WRITE_OFF]  # orders 20-22
    used = [j for j, col in enumerate(cols) if np.isfinite(col[alive]).any() or codes[j] == _WRITE_OFF
            or any(col is kept for kept in agency.reserved)]  # filled when a plan starts
    cols, codes = [cols[j] for j in used], [codes[j] for j in used]
    # one row per account still alive, small action codes: the schedule's matrices were the NumPy
    # model's peak memory (issue 27, the million-encounter year)
    row = np.zeros(n, dtype=np.int64)
    row[alive] = np.arange(alive.size)
    raw = np.stack([col[alive] for col in cols], axis=1)
    del cols, step_times
    perm = np.argsort(raw, axis=1, kind="stable")
    code = np.asarray(codes, dtype=np.int16)[perm]
    raw = np.take_along_axis(raw, perm, axis=1)
    agency.attach(raw, code, row, codes)  # a plan's start fills the agency's reserved columns
    calls.attach(raw, code, row)  # a call step's move fills its column
    del perm
    now = statement.copy()           # time of each account's last event
    small_cents = st.write_off.below_balance * 100.0
    jump_base, jump_frac = beh.payment_jump_base_per_day, beh.payment_jump_fraction_per_day
    # the accounts whose own payments stand still: a plan holds them, or a garnishment (never both)
    paused, stops = next(((held, True) for held, on in ((disputes.paused, disputes.active), (plans.held, plans.active),
                                                       (accountant.paused, accountant.active),
                                                       (legal.held, legal.active))
                   if on), (plans.held, False))

    def advance(ii: np.ndarray, at: np.ndarray) -> None:
        dt = at - t0[ii]
        dt = np.where(dt > 0.0, dt, 0.0)
        lam_i = lam[ii]
        accrued = mult[ii] * integrated(lam_i, f, kappa, dt)
        cum[ii] += np.where(paused[ii], 0.0, accrued) if stops else accrued  # a plan, a garnishment pauses it
        lam[ii] = np.where(dt > 0.0, intensity_after(lam_i, f, kappa, dt), lam_i)
        t0[ii] = np.where(dt > 0.0, at, t0[ii])

    def pay_time(ii: np.ndarray) -> np.ndarray:
        t, own = np.full(ii.size, INF), ~paused[ii]  # a plan holding the account pauses the patient's own
        ii = ii[own]
        t[own] = t0[ii] + time_to_reach(lam[ii], f, kappa, (pop.threshold[ii, k[ii]] - cum[ii]) / mult[ii])
        return t

    tpay = np.full(n, INF)
    tpay[alive] = pay_time(alive)
    calls.bind(pop, advance, pay_time, now, disputes)

    def pay(ii: np.ndarray) -> None:
        at = tpay[ii]
        advance(ii, at)
        now[ii] = at
        b, kk = bal[ii], k[ii]
        _, frac, amount = payment(beh, pop, ii, b, kk)
        net = amount - discount.allowance(ii, at, b, amount, rows, counters)
        record(ii, at, net)
        fees.on_payment(ii, at, net, rows, counters)  # the payment methods' processing fees
        n_pay[ii] += 1
        b = b - amount
        lam[ii] += jump_base + jump_frac * frac
        cum[ii] = 0.0
        k[ii] = kk + 1
        small = (b > 0) & (b < small_cents)
        small_wo[ii[small]] = b[small]
        rows.add(ii[small], at[small], Kind.WRITE_OFF_SMALL, b[small])
        b[small] = 0
        bal[ii] = b
        counters["patient_payments"] += ii.size
        live = ii[b > 0]
        tpay[ii] = INF
        tpay[live] = pay_time(live)

    for j in range(raw.shape[1] + 1):
        if not alive.size:
            break
        t_next = raw[row[alive], j] if j < raw.shape[1] else np.full(alive.size, INF)
        if disputes.active and j < raw.shape[1]:  # a dispute moved every later action
            t_next = disputes.moved(alive, t_next, code[row[alive], j], len(ladder))
        due_now = (tpay[alive] <= t_next) & (tpay[alive] <= horizon)
        cand, cand_next = alive[due_now], t_next[due_now]
        while cand.size:
            pay(cand)
            keep = (bal[cand] > 0) & (tpay[cand] <= cand_next) & (tpay[cand] <= horizon)
            cand, cand_next = cand[keep], cand_next[keep]
        if j == raw.shape[1]:
            break
        go = (bal[alive] > 0) & (t_next <= horizon)
        ii, t_go = alive[go], t_next[go]
        codes_j = code[row[ii], j]
        unsent = codes_j >= len(ladder)  # a delivery column: an action only where the message was sent
        unsent[unsent] = ~state.pending[ii[unsent], codes_j[unsent] - len(ladder)]
        unsent |= plans.unscheduled(ii, codes_j)  # an instalment of a plan not running: no action
        unsent |= notices.unscheduled(ii, codes_j, t_go)  # a notice's moved send where it was not moved
        unsent |= accountant.unscheduled(ii, codes_j, t_go)  # a garnishment without its demand, …
        unsent |= legal.unscheduled(ii, codes_j, t_go)  # a filing attempt not due then
        unsent |= selfserve.unscheduled(ii, codes_j, t_go)  # a card's charge not on the attempt's day
        unsent |= calls.unscheduled(ii, codes_j, j)  # a call step's move that did not happen
        if unsent.any():
            ii, t_go, codes_j = ii[~unsent], t_go[~unsent], codes_j[~unsent]
        if (acting := agency.acts(ii, t_go, codes_j)) is not None:  # a placement not due: no action
            ii, t_go, codes_j = ii[acting], t_go[acting], codes_j[acting]
        at = np.maximum(t_go, now[ii])
        advance(ii, at)
        now[ii] = at
        ii, at, codes_j = plans.stand_down(ii, at, codes_j)  # what a plan holding the account stops
        ii, at, codes_j = accountant.stand_down(ii, at, codes_j, (_DUE, _CHARGE, _FINANCE))  # … the accountant
        ii, at, codes_j = legal.stand_down(ii, at, codes_j, CLOCK_ONLY)  # … a court
        ii, at, codes_j = disputes.stand_down(ii, at, codes_j, CLOCK_ONLY)  # … a dispute not resolved
        for c in np.unique(codes_j):
            sel = codes_j == c
            jj, tj = ii[sel], at[sel]
            if c == CLOCK_ONLY:  # stood down while the public accountant holds the account
                pass
            elif c == DISPUTE:
                disputes.dispute(jj, tj, bal, lam, t0, now, contacts, rows, counters, (f, kappa))
            elif c == _DUE:
                lam[jj] += beh.due_date_jump_per_day * resp[jj]
            elif c == _ARRIVE:
                contacts.learn_of_bill(jj)
            elif c == _ENDS:
                discount.ends(jj)
            elif c == _FINANCE:
                financing.offer(jj, tj, bal, rows, counters)
            elif c == _CHARGE:
                charges.charge(jj, tj, bal, rows, counters)
            elif c == _SCREEN:
                charity.screen(jj, tj, bal, rows, counters, deposit.kept)
            elif c == _WRITE_OFF:
                write_off(jj, tj)
            elif c in selfserve.codes:  # a pay link, a card's charge, a portal visit
                selfserve.act(int(c), jj, tj, bal)
            elif c <= _PLAN:
                plans.act(int(c), jj, tj)
            elif c in notices.codes:  # a notice the quiet hours moved goes out
                notices.send(int(c), jj, tj)
            elif c in accountant.codes:  # its reminder, demand, garnishment, the garnishee's payment
                accountant.act(accountant.codes[int(c)], jj, tj, bal, contacts, discount, record, rows, counters)
            elif c in legal.codes:
                legal.file(jj, tj, bal, contacts, discount, record, write_off, rows, counters, horizon)
            elif c in agency.codes:  # a placement (the account leaves the loop) or its notice arrives
                agency.act(int(c), jj, tj, bal)
            elif c >= len(ladder):  # a message arrives (only if it was sent)
                s = int(c) - len(ladder)
                contacts.deliver(s, jj, tj)
            elif c in calls.codes:
                calls.step(int(c), jj, tj, bal)
            else:
                contacts.step(int(c), jj, tj, bal)
            tpay[jj] = INF
            live = jj[bal[jj] > 0]
            tpay[live] = pay_time(live)
        alive = alive[bal[alive] > 0]

    agency.finish(raw, code, row, bal, k, resp, bad_debt, small_cents)  # the placed accounts, with the agency
    open_cents = bal
    li, ld, la = payment_log(log_i, log_day, log_amt)
    ledger = rows.ledger()
    return VectorResult(
        strategy=strategy, statement_day=np.where(stated, statement, np.nan),
        first_payment_day=first_pay, paid_cents=paid, bad_debt_cents=bad_debt,
        small_write_off_cents=small_wo, open_cents=open_cents, payments=n_pay, cost_cents=state.cost,
        payment_encounter=li, payment_day=ld, payment_amount_cents=la, counters=counters,
        complaint_cost_cents=state.complaint_cost, lost_margin_cents=state.lost_margin,
        charity_cents=per_account(ledger, Kind.CHARITY_CARE, n), discount_cents=per_account(ledger, Kind.DISCOUNT, n),
        rows=ledger,
        called=calls.called if probe_calls else None, disputes_raised=disputes.raised if probe_disputes else None,
        dispute_moments=disputes.moments if disputes.active else None,
        call_requests=calls.requests, calls_suppressed=calls.suppressed)
