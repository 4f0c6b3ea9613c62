"""The capacity-free subset of the model in NumPy: every patient balance at once, no SimPy.

Used as an oracle for the engine (same population arrays ⇒ the same path per account) and as the
speed limit the engine is benchmarked against. The subset is the patient side of
:mod:`simlib.model.engine` without any shared capacity or dispute:

- statement at ``max(bill_day + statement_lag, 0)`` sets the intensity to its initial value;
- every statement reaches at once; contacts never tire nor age, nobody opts out or complains
  (the simple contact model; others are refused); a contact's jump scales with the patient's
  contact responsiveness;
- a fixed schedule per account: due-date jump, the ladder's message steps (targeted by score,
  current balance and payer; contact limits and quiet hours applied), write-off after N days;
- between actions the intensity relaxes toward its floor; a payment happens when the integrated
  intensity since the last payment reaches the pre-drawn Exp(1) threshold;
- the full/partial payment rule, payment jumps and the small-balance write-off of the engine.

Per account the action times differ only by the statement day, so the accounts are processed
column by column of their (sorted) schedule; between two columns each account makes the
payments due before its next action. Strategies with calls, disputes (``billing_error_rate > 0``)
or any lever but those listed in ``SIMULATED`` (deposits, discounts, plans, financing, agencies,
plug-in levers) are refused: they need the engine.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from simlib.levers import registered_levers
from simlib.levers.contact_limits import default_counted
from simlib.scenario.schema import Scenario
from simlib.model.population import Population

INF = math.inf
#: the strategy sections this module simulates (``price_estimate`` only matters for disputes,
#: refused below; factoring is settled on the ledger afterwards)
SIMULATED = {"credit_terms_days", "statement_channel", "ladder", "contact_limits", "write_off",
             "price_estimate", "factoring"}
_DUE, _WRITE_OFF, _STEP0 = -1, -2, 0  # action codes; steps are 0..L-1


def _cents(usd: float) -> int:
    return int(round(usd * 100.0))


@dataclass
class VectorResult:
    """Per-encounter outcomes of the patient balances (index ``i``, receivable ``2i+1``)."""

    strategy: str
    statement_day: np.ndarray       # NaN when no statement before the horizon or no balance
    first_payment_day: np.ndarray   # NaN when never paid within the horizon
    paid_cents: np.ndarray
    bad_debt_cents: np.ndarray
    small_write_off_cents: np.ndarray
    open_cents: np.ndarray
    payments: np.ndarray            # number of payments
    cost_cents: np.ndarray          # statement + contacts
    payment_encounter: np.ndarray   # payment log, in time order per account
    payment_day: np.ndarray
    payment_amount_cents: np.ndarray
    counters: Counter = field(default_factory=Counter)


def check_capacity_free(sc: Scenario, strategy: str) -> None:
    """Raise ``ValueError`` unless ``strategy`` lies in the subset this module simulates."""
    st = sc.strategies[strategy]
    problems = []
    if st.phone_team is not None:
        problems.append("a phone team")
    for step in st.ladder:
        if sc.channels[step.channel].kind != "message":
            problems.append(f"a {sc.channels[step.channel].kind!r} step ({step.channel})")
    for key, lever in registered_levers().items():
        if key not in SIMULATED and key not in ("phone_team", "fap_screening") \
                and lever.active(getattr(st, key)):
            problems.append(f"the {key} lever")
    if st.price_estimate is not None and st.price_estimate.cost_per_estimate > 0:
        problems.append("a price estimate's cost (price_estimate.cost_per_estimate > 0)")
    fap = sc.finance.financial_assistance
    if fap is not None and fap.identification_rate > 0:
        problems.append("financial assistance (finance.financial_assistance)")
    if sc.operations.billing_team.billing_error_rate > 0:
        problems.append("disputes (billing_error_rate > 0)")
    if sc.behaviour.payment_timing is not None:
        problems.append("payment timing with planners (behaviour.payment_timing)")
    if sc.behaviour.decay_per_day == 0:
        problems.append("a constant intensity (behaviour.decay_per_day = 0)")
    beh = sc.behaviour
    if beh.unreached_statement_share < 1.0:
        problems.append("statements that may not reach (behaviour.unreached_statement_share < 1)")
    if beh.contact_fatigue_per_contact < 1.0 or beh.contact_age_decay_days is not None:
        problems.append("contact fatigue or decay with the debt's age (behaviour.contact_*)")
    lim = st.contact_limits
    counted = lim.message_cap_channels if lim.message_cap_channels is not None else default_counted(sc.channels)
    if any(sc.channels[step.channel].notice
           and ((lim.messages_per_7_days_max and step.channel in counted) or _quiet(lim.quiet_hours, step.hour))
           for step in st.ladder):
        problems.append("a legally required notice the contact limits may move")
    for name in {st.statement_channel, *(step.channel for step in st.ladder)}:
        ch = sc.channels[name]
        if ch.delivery_days > 0 or ch.opt_out_rate > 0 or ch.complaint_rate > 0:
            problems.append(f"delivery days, opt-outs or complaints on channel {name!r}")
    if problems:
        raise ValueError(f"strategy {strategy!r} is not capacity-free: it has {', '.join(problems)}")


# ----------------------------------------------------------------------------- intensity math
def integrated(lam, floor: float, kappa: float, dt):
    return floor * dt + (lam - floor) * -np.expm1(-kappa * dt) / kappa


def intensity_after(lam, floor: float, kappa: float, dt):
    return floor + (lam - floor) * np.exp(-kappa * dt)


def time_to_reach(lam: np.ndarray, floor: float, kappa: float, need: np.ndarray) -> np.ndarray:
    """Vector form of :func:`simlib.core.behaviour.time_to_reach` (same formulas, same Newton steps)."""
    lam, need = np.asarray(lam, float), np.asarray(need, float)
    out = np.zeros(need.shape)
    pos = need > 0.0
    if floor <= 0.0:
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(lam > 0, kappa * need / np.where(lam > 0, lam, 1.0), INF)
            t = np.where(x < 1.0, -np.log1p(-np.minimum(x, 1.0)) / kappa, INF)
        out[pos] = t[pos]
        return out
    idx = np.flatnonzero(pos)
    lam_p, need_p = lam[idx], need[idx]
    c = lam_p - floor
    b = c / kappa
    lo = np.zeros(idx.size)
    hi = np.where(b < 0, (need_p - b) / floor, need_p / floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = -np.log1p(-kappa * need_p / c) / kappa
    use = (b > 0) & (kappa * need_p < c)
    hi = np.where(use, np.minimum(hi, cap), hi)
    x = hi.copy()
    live = np.ones(idx.size, bool)
    tol = 1e-12 * np.maximum(1.0, need_p)
    for _ in range(60):
        j = np.flatnonzero(live)
        if not j.size:
            break
        e = np.exp(-kappa * x[j])
        fx = floor * x[j] + b[j] * (1.0 - e) - need_p[j]
        done = np.abs(fx) < tol[j]
        live[j[done]] = False
        j, fx, e = j[~done], fx[~done], e[~done]
        up = fx > 0
        hi[j[up]] = x[j[up]]
        lo[j[~up]] = x[j[~up]]
        x_new = x[j] - fx / (floor + c[j] * e)
        inside = (lo[j] < x_new) & (x_new < hi[j])
        x[j] = np.where(inside, x_new, 0.5 * (lo[j] + hi[j]))
        live[j[hi[j] - lo[j] < 1e-12]] = False
    out[idx] = x
    return out


# ----------------------------------------------------------------------------- simulation
def simulate(sc: Scenario, strategy: str, pop: Population) -> VectorResult:
    """Simulate the patient balances of ``pop`` under ``strategy`` (capacity-free subset)."""
    check_capacity_free(sc, strategy)
    st, beh = sc.strategies[strategy], sc.behaviour
    f, kappa = beh.floor_per_day, beh.decay_per_day
    horizon = sc.simulation.horizon_days
    n = pop.n
    counters: Counter = Counter()

    bal = pop.patient_cents.astype(np.int64).copy()
    statement = np.maximum(pop.bill_day + sc.operations.statement_lag_days, 0.0)
    stated = (bal > 0) & (statement < horizon)
    alive = np.flatnonzero(stated)
    with np.errstate(divide="ignore"):
        balance_factor = (np.maximum(bal, 1) / 100.0 / beh.balance_ref) ** -beh.balance_elasticity
    resp = pop.propensity * balance_factor
    contact_weight = pop.contact_responsiveness * balance_factor
    lam = np.where(stated, beh.initial_per_day * resp, 0.0)
    t0 = statement.copy()
    cum = np.zeros(n)
    k = np.zeros(n, dtype=np.int64)
    cost = np.zeros(n, dtype=np.int64)
    cost[alive] = _cents(sc.channels[st.statement_channel].cost)
    paid = np.zeros(n, dtype=np.int64)
    bad_debt = np.zeros(n, dtype=np.int64)
    small_wo = np.zeros(n, dtype=np.int64)
    n_pay = np.zeros(n, dtype=np.int64)
    first_pay = np.full(n, np.nan)
    log_i, log_day, log_amt = [], [], []

    # schedule: columns in the engine's tie order (due 0, steps 10+n, write-off 1000), then a
    # stable sort by raw time per account reproduces the engine's (day, order) sort.
    ladder = st.ladder
    due = statement + st.credit_terms_days
    cols, codes = [due], [_DUE]
    for s, step in enumerate(ladder):
        base = statement if step.relative_to == "statement" else due
        cols.append(np.floor(base + step.day) + step.hour / 24.0)
        codes.append(_STEP0 + s)
    cols.append(statement + st.write_off.after_days)
    codes.append(_WRITE_OFF)
    raw = np.stack(cols, axis=1)
    perm = np.argsort(raw, axis=1, kind="stable")
    raw = np.take_along_axis(raw, perm, axis=1)
    code = np.asarray(codes)[perm]
    now = statement.copy()           # time of each account's last event

    ch_names = list(sc.channels)
    lim = st.contact_limits
    sent = np.full((n, max(len(ladder), 1)), -INF)  # message times, one slot per ladder step
    small_cents = st.write_off.below_balance * 100.0
    full_rule, months = beh.full_payment, beh.full_payment_months
    fmin, fspan = beh.partial_fraction_min, beh.partial_fraction_max - beh.partial_fraction_min
    jump_base, jump_frac = beh.payment_jump_base_per_day, beh.payment_jump_fraction_per_day

    def advance(ii: np.ndarray, at: np.ndarray) -> None:
        dt = at - t0[ii]
        dt = np.where(dt > 0.0, dt, 0.0)
        lam_i = lam[ii]
        cum[ii] += integrated(lam_i, f, kappa, dt)
        lam[ii] = np.where(dt > 0.0, intensity_after(lam_i, f, kappa, dt), lam_i)
        t0[ii] = np.where(dt > 0.0, at, t0[ii])

    def pay_time(ii: np.ndarray) -> np.ndarray:
        return t0[ii] + time_to_reach(lam[ii], f, kappa, pop.threshold[ii, k[ii]] - cum[ii])

    tpay = np.full(n, INF)
    tpay[alive] = pay_time(alive)

    def pay(ii: np.ndarray) -> None:
        at = tpay[ii]
        advance(ii, at)
        now[ii] = at
        b, kk = bal[ii], k[ii]
        if full_rule == "always":
            p_full = np.ones(ii.size)
        elif full_rule == "never":
            p_full = np.zeros(ii.size)
        else:
            p_full = np.minimum(1.0, pop.ability_monthly[ii] * months * 100.0 / b)
        full = (kk >= beh.max_payments - 1) | (pop.full_u[ii, kk] < p_full)
        frac = np.where(full, 1.0, fmin + fspan * pop.fraction_u[ii, kk])
        part = np.minimum(b, np.maximum(1, np.round(frac * b).astype(np.int64)))
        amount = np.where(full, b, part)
        paid[ii] += amount
        n_pay[ii] += 1
        first = np.isnan(first_pay[ii])
        first_pay[ii[first]] = at[first]
        log_i.append(ii)
        log_day.append(at)
        log_amt.append(amount)
        b = b - amount
        lam[ii] += jump_base + jump_frac * frac
        cum[ii] = 0.0
        k[ii] = kk + 1
        small = (b > 0) & (b < small_cents)
        small_wo[ii[small]] = b[small]
        b[small] = 0
        bal[ii] = b
        counters["patient_payments"] += ii.size
        live = ii[b > 0]
        tpay[ii] = INF
        tpay[live] = pay_time(live)

    for j in range(raw.shape[1] + 1):
        if not alive.size:
            break
        t_next = raw[alive, j] if j < raw.shape[1] else np.full(alive.size, INF)
        due_now = (tpay[alive] <= t_next) & (tpay[alive] < horizon)
        cand, cand_next = alive[due_now], t_next[due_now]
        while cand.size:
            pay(cand)
            keep = (bal[cand] > 0) & (tpay[cand] <= cand_next) & (tpay[cand] < horizon)
            cand, cand_next = cand[keep], cand_next[keep]
        if j == raw.shape[1]:
            break
        go = (bal[alive] > 0) & (t_next < horizon)
        ii, at = alive[go], np.maximum(t_next[go], now[alive[go]])
        advance(ii, at)
        now[ii] = at
        codes_j = code[ii, j]
        for c in np.unique(codes_j):
            sel = codes_j == c
            jj, tj = ii[sel], at[sel]
            if c == _DUE:
                lam[jj] += beh.due_date_jump_per_day * resp[jj]
            elif c == _WRITE_OFF:
                bad_debt[jj] += bal[jj]
                bal[jj] = 0
                counters["bad_debt_write_offs"] += jj.size
            else:
                _message_step(sc, ladder[c], int(c), jj, tj, pop, bal, lam, contact_weight, sent, cost,
                              counters, ch_names, lim)
            tpay[jj] = INF
            live = jj[bal[jj] > 0]
            tpay[live] = pay_time(live)
        alive = alive[bal[alive] > 0]

    open_cents = bal
    if log_i:
        li, ld, la = np.concatenate(log_i), np.concatenate(log_day), np.concatenate(log_amt)
        order = np.lexsort((ld, li))
        li, ld, la = li[order], ld[order], la[order]
    else:
        li, ld, la = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    return VectorResult(
        strategy=strategy, statement_day=np.where(stated, statement, np.nan),
        first_payment_day=first_pay, paid_cents=paid, bad_debt_cents=bad_debt,
        small_write_off_cents=small_wo, open_cents=open_cents, payments=n_pay, cost_cents=cost,
        payment_encounter=li, payment_day=ld, payment_amount_cents=la, counters=counters)


def _quiet(quiet, hour: float) -> bool:
    if quiet is None:
        return False
    q0, q1 = quiet
    return (hour >= q0 or hour < q1) if q0 > q1 else (q0 <= hour < q1)


def _message_step(sc, step, s, ii, at, pop, bal, lam, resp, sent, cost, counters, ch_names, lim):
    """Ladder step ``s`` for accounts ``ii`` at times ``at``: targeting, limits, reach, jump."""
    t = step.target
    usd = bal[ii] / 100.0
    ok = (t.score_min <= pop.score_pct[ii]) & (pop.score_pct[ii] <= t.score_max) & (usd >= t.balance_min)
    if t.balance_max is not None:
        ok &= usd <= t.balance_max
    if t.payers is not None:
        allowed = np.array([name in t.payers for name in pop.payer_names])
        ok &= allowed[pop.payer[ii]]
    ii, at = ii[ok], at[ok]
    if not ii.size:
        return
    if _quiet(lim.quiet_hours, step.hour):
        counters["suppressed_contacts"] += ii.size
        counters[f"suppressed_{step.channel}"] += ii.size
        return
    counted = lim.message_cap_channels if lim.message_cap_channels is not None else default_counted(sc.channels)
    if lim.messages_per_7_days_max is not None and step.channel in counted:
        recent = (at[:, None] - sent[ii] < 7.0).sum(axis=1)
        allow = recent < lim.messages_per_7_days_max
        counters["suppressed_contacts"] += int((~allow).sum())
        counters[f"suppressed_{step.channel}"] += int((~allow).sum())
        ii, at = ii[allow], at[allow]
    cfg = sc.channels[step.channel]
    if step.channel in counted:
        sent[ii, s] = at  # only what the cap counts holds later messages back
    counters["contacts"] += ii.size
    counters[f"contacts_{step.channel}"] += ii.size
    cost[ii] += _cents(cfg.cost)
    reached = pop.reach_u[ii, ch_names.index(step.channel)] < cfg.reach
    counters[f"reached_{step.channel}"] += int(reached.sum())
    lam[ii[reached]] += cfg.jump_per_day * resp[ii[reached]]
