"""Metrics of one replication × strategy, computed from the ledger (HFMA MAP-key definitions).

All metrics are vectorised over ledger rows; names, units and directions are in
:mod:`simlib.core.metric_catalogue`. Definitions:
- ``patient_collected_60_days``: the patient part of the measured cohort collected (net of
  refunds) within 60 days of service, over the collection rate's denominator — how fast
  patients pay, where the collection rate says how much (it tells the initial intensity from
  its decay, which the A/R KPIs cannot: docs/calibration.md §8);
- days in A/R = open A/R at the measurement day T ÷ (dollars billed in (T − W, T] ÷ W);
- the measurement window is ``[0, horizon]``: a warm-up before day 0 is simulated and left out
  of every metric (:mod:`simlib.model.measurement_window` says how, metric by metric);
- rates (net collection, patient collection, bad debt, charity, denial write-off) use the
  *measured cohort* — every receivable of an encounter served in ``[0, billing_window_days]``
  (the open book given at day 0 included) — followed to the horizon; what is still open
  then is reported (``open_at_horizon_share``) and its patient part is projected unrecovered:
  counted in bad debt and not collected, so a strategy that delays write-off past the horizon is
  not flattered;
- days to resolution weights every billed dollar of the cohort: resolved at its day (collected,
  adjusted or written off), still open counted at the horizon;
- aging is by days since service at T, buckets 0–30, 31–60, 61–90, 91–120, > 120;
- with a cash floor (``finance.minimum_cash``) the credit line's draws, interest and the NPV
  after that interest (:mod:`simlib.scenario.liquidity`); without one these metrics are absent;
- when a strategy of the scenario records contact outcomes or runs a policy
  (:func:`simlib.policies.base.reacts`), every strategy gets the policy metrics (group
  ``policies``: outcomes and actions per 1,000 accounts, actions and contacts per account, the
  share of promises kept); otherwise they are absent;
- with a secondary payer (a third receivable per encounter, :mod:`simlib.core.receivables`), a
  denial's transfer to the patient counts as billed on the patient's side, not the secondary's;
  with a tiers-payant insurer its late-payment penalties are income in the NPV
  (``late_payment_penalties``); both metrics are absent from scenarios without them;
- harm has a price: the NPV (the decision metric) is the present value of net cash minus the
  present value of the margin lost to harm (:data:`~simlib.core.ledger.LOST_MARGIN` rows: care
  deferred after a declined deposit, patients who do not come back after complaints and
  opt-outs), so no strategy gains by driving patients away (docs/model.md "Harm has a price").
"""
from __future__ import annotations

import numpy as np

from simlib.model import measurement_window as mw
from simlib.scenario import liquidity
from simlib.core.metric_catalogue import AGING_BUCKETS, METRICS, POLICY_COUNTER_METRICS
from simlib.model.engine import WorldResult
from simlib.core import receivables
from simlib.core.ledger import COLLECTED, COSTS, LOST_MARGIN, REFUNDS, Kind
from simlib.scenario.schema import Scenario
from simlib.model.population import Population
from simlib.policies.base import reacts

CURVE_STEP_DAYS = 7
EARLY_DAYS = 60  # patient_collected_60_days: the early point of the patient liquidation curve


def _safe(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def receivable_service_day(pop: Population) -> np.ndarray:
    return receivables.per_receivable(pop.service_day, pop.n_receivables)


def open_at(res: WorldResult, n_recv: int, day: float) -> np.ndarray:
    """Open balance (cents) of each receivable at the end of ``day``."""
    led = res.ledger
    billed = led.per_receivable([Kind.BILLED], n_recv, until_day=day)
    return billed - led.net_reduced(n_recv, until_day=day)


def compute(res: WorldResult, pop: Population, sc: Scenario) -> tuple[dict, dict, dict]:
    """Return (metrics, curves, aging) for one replication of one strategy."""
    led, sim, fin = res.ledger, sc.simulation, sc.finance
    n_recv = pop.n_receivables
    horizon, T, W = sim.horizon_days, sim.measurement_day, sim.ar_window_days
    svc = receivable_service_day(pop)
    is_patient = receivables.sides(pop.n, n_recv) == receivables.PATIENT

    per = {name: led.per_receivable(kinds, n_recv) for name, kinds in {
        "billed": [Kind.BILLED], "collected": COLLECTED, "refunded": REFUNDS,
        "allowances": [Kind.DISCOUNT, Kind.WRITE_OFF_SMALL], "corrections": [Kind.CORRECTION],
        "bad_debt": [Kind.WRITE_OFF_BAD_DEBT], "denied": [Kind.WRITE_OFF_DENIAL],
        "charity": [Kind.CHARITY_CARE], "passed_in": [Kind.TRANSFER_FROM_PAYER],
        "passed_out": [Kind.TRANSFER_TO_PATIENT]}.items()}
    per["collected"] = per["collected"] - per.pop("refunded")  # net of deposits paid back
    # a secondary's denial moves its claim to the patient: billed on the side that owes it
    per["billed"] = per["billed"] + per.pop("passed_in") - per.pop("passed_out")
    # the measured cohort
    mature = receivables.per_receivable(mw.cohort(pop.service_day, pop.open_book, sim), n_recv)
    mp = mature & is_patient
    still_open = res.open_cents                      # each receivable's balance at the horizon
    m = {}
    m["net_collection_rate"] = _safe(per["collected"][mature].sum(),
                                     (per["billed"] - per["allowances"] - per["corrections"]
                                      - per["charity"])[mature].sum())
    m["patient_collection_rate"] = _safe(per["collected"][mp].sum(),
                                         (per["billed"] - per["corrections"] - per["charity"])[mp].sum())
    # Kodiak's definition: of everything patients owed (the insurer's remittance), charity included
    m["patient_responsibility_collection_rate"] = _safe(per["collected"][mp].sum(),
                                                        (per["billed"] - per["corrections"])[mp].sum())
    npr = (per["billed"] - per["allowances"] - per["corrections"] - per["charity"])[mature].sum()
    m["bad_debt_rate"] = _safe(per["bad_debt"][mature].sum() + still_open[mp].sum(), npr)
    m["open_at_horizon_share"] = _safe(still_open[mature].sum(), per["billed"][mature].sum())
    m["charity_care"] = per["charity"][mature].sum() / 100.0
    m["charity_care_share"] = _safe(per["charity"][mature].sum(), npr)
    m["patient_collected_60_days"] = _safe(collected_within(led, svc, n_recv, EARLY_DAYS)[mp].sum(),
                                           (per["billed"] - per["corrections"] - per["charity"])[mp].sum())
    mc = mature & ~is_patient
    m["denial_write_off_rate"] = _safe(per["denied"][mc].sum(), per["billed"][mc].sum())

    # A/R at the measurement day and aging
    open_T = open_at(res, n_recv, T)
    billed_rows = led.kind == Kind.BILLED
    window = billed_rows & (led.day > T - W) & (led.day <= T)
    daily_billed = led.amount[window].sum() / W
    ar_T = open_T.sum()
    m["days_in_ar"] = _safe(ar_T, daily_billed)
    age = T - svc
    edges = [30, 60, 90, 120]
    bucket = np.searchsorted(edges, age, side="left")
    aging = {b: open_T[bucket == k].sum() / 100.0 for k, b in enumerate(AGING_BUCKETS)}
    m["ar_over_90_share"] = _safe(open_T[age > 90].sum(), ar_T)

    # money: the measured cohort's flows and the teams' (no receivable) in the window (mw.counted);
    # the cash curve below: every flow of the window, the running hospital's cash
    counted = mw.counted(led.receivable, led.day, mature, sim)

    def total(kinds) -> int:
        return int(led.amount[led.mask(kinds) & counted].sum())

    collected_total = total(COLLECTED) - total(REFUNDS)
    # court fees a patient reimburses after a judgment net against the legal costs they repay
    cost_total = total(COSTS) + total([Kind.FACTORING_FEE]) - total([Kind.LEGAL_COSTS_RECOVERED])
    m["cash_collected"] = collected_total / 100.0
    m["collection_cost"] = cost_total / 100.0
    m["cost_to_collect"] = _safe(cost_total, collected_total)
    r = np.log1p(fin.cost_of_capital_annual) / 365.0
    cash_day, cash_amt = led.cash_flows()
    cash_rec = led.receivable[led.cash_rows()]
    own = mw.counted(cash_rec, cash_day, mature, sim)
    lost = led.mask(LOST_MARGIN) & mw.counted(led.receivable, led.day, mature, sim)
    lost_pv = float((led.amount[lost] * np.exp(-r * np.maximum(led.day[lost], 0.0))).sum() / 100.0)
    m["npv_net_cash"] = float((cash_amt[own] * np.exp(-r * np.maximum(cash_day[own], 0.0))).sum() / 100.0) \
        - lost_pv
    m["lost_margin"] = float(led.amount[lost].sum()) / 100.0
    in_window = mw.measured(cash_day, sim)
    cash_day, cash_amt = cash_day[in_window], cash_amt[in_window]
    cared = mw.measured(pop.service_day, sim)  # care given before day 0 (a book's) was paid then
    care_day = pop.service_day[cared]
    care_amt = -np.round(pop.allowed_cents[cared] * fin.cost_of_care_ratio)
    all_day = np.concatenate([cash_day, care_day])
    all_amt = np.concatenate([cash_amt, care_amt])
    order = np.argsort(all_day, kind="stable")
    running = fin.starting_cash * 100.0 + np.cumsum(all_amt[order])
    m["cash_trough"] = float(min(fin.starting_cash * 100.0, running.min(initial=np.inf)) / 100.0)
    if fin.minimum_cash is not None:
        cum = np.concatenate([[0.0], np.cumsum(all_amt[order])])
        days, cash = liquidity.end_of_day_cash_cents(all_day[order], cum, fin.starting_cash * 100.0,
                                                     horizon)
        ledger = liquidity.credit_ledger(days, cash, fin.minimum_cash, fin.credit_line,
                                         fin.cost_of_capital_annual)
        m.update(liquidity.liquidity_metrics(ledger, m["npv_net_cash"]))

    r_rec, r_day, r_amt = led.signed_reductions()
    m["days_to_resolution"] = days_to_resolution(r_rec, r_day, r_amt, svc, mature, still_open, horizon)

    # patients and operations
    c = res.counters
    n_patient = max(int(np.count_nonzero(pop.patient_cents)), 1)  # every account simulated
    # absolute counts scaled to the measured cohort's accounts (1 without a warm-up)
    to_cohort = np.count_nonzero(pop.patient_cents[mature[receivables.patient_slice(pop.n)]]) / n_patient
    m["contacts_per_account"] = c["contacts"] / n_patient
    m["calls_per_account"] = c["calls"] / n_patient
    m["disputes_per_account"] = c["disputes"] / n_patient
    m["agency_share"] = c["agency_placements"] / n_patient
    m["plan_share"] = c["plans"] / n_patient
    m["plan_default_rate"] = _safe(c["plan_defaults"], c["plans"])
    m["financed_share"] = c["financed"] / n_patient
    m["agency_recovery_rate"] = _safe(led.total([Kind.PAYMENT_AGENCY]), c["agency_placed_cents"])
    m["suppressed_contacts"] = float(c["suppressed_contacts"]) * to_cohort
    m["notices_moved"] = float(c["notices_moved"]) * to_cohort
    for name in sc.channels:  # per channel, for the channels the catalogue names (the built-in ones)
        for key in (f"suppressed_{name}", f"moved_{name}"):
            if key in METRICS:
                m[key] = float(c[key]) * to_cohort
    m["complaints_per_1000_accounts"] = 1000.0 * c["complaints"] / n_patient
    m["opted_out_contacts"] = float(c["opted_out_contacts"]) * to_cohort
    m["calls_abandoned"] = float(c["calls_abandoned"]) * to_cohort
    m["agent_utilisation"] = _safe(res.agent_busy_days, res.agent_open_days)
    m["call_wait_mean_hours"] = float(res.call_waits_days.mean() * 24.0) if len(res.call_waits_days) else float("nan")
    m["initial_denial_rate"] = _safe(c["claims_denied"], c["claims_adjudicated"])
    if any(p.tiers_payant is not None for p in sc.payers.values()):  # only then (as liquidity's)
        m["late_payment_penalties"] = total([Kind.LATE_PAYMENT_PENALTY]) / 100.0
    if pop.secondary_cents is not None:
        m["secondary_denial_rate"] = _safe(c["secondary_denials"], c["secondary_claims"])
    m["patients_lost"] = c["patients_lost_micro"] / 1e6
    m["deposits_asked"] = float(c["deposits_asked"])
    m["deposits_paid"] = float(c["deposits"])
    m["deposits_declined"] = float(c["deposits_declined"])
    m["care_deferred"] = float(c["care_deferred"])
    m["deposits_refunded"] = float(c["deposit_refunds"] + c["deposit_fap_refunds"])
    if any(reacts(st) for st in sc.strategies.values()):  # same metrics for every strategy of the scenario
        for counter, (metric, _, _) in POLICY_COUNTER_METRICS.items():
            per = 1.0 if metric.endswith("_per_account") else 1000.0
            m[metric] = per * c[counter] / n_patient
        m["promise_kept_share"] = _safe(c["outcome_promise_kept"],
                                        c["outcome_promise_kept"] + c["outcome_promise_broken"])

    # curves: cash position and open A/R at weekly points
    days = np.arange(0, int(horizon) + 1, CURVE_STEP_DAYS, dtype=float)
    sorted_day = all_day[order]
    cum = np.concatenate([[0.0], np.cumsum(all_amt[order])])
    cash_curve = (fin.starting_cash * 100.0 + cum[np.searchsorted(sorted_day, days, side="right")]) / 100.0
    b_day, b_amt = led.day[billed_rows], led.amount[billed_rows]
    ar_curve = (_cum_at(b_day, b_amt, days) - _cum_at(r_day, r_amt, days)) / 100.0
    curves = {"day": days, "cash": cash_curve, "open_ar": ar_curve}
    return m, curves, aging


def days_to_resolution(r_rec, r_day, r_amt, svc, cohort, still_open, horizon: float) -> float:
    """Dollar-weighted mean days from service to the resolution of each billed dollar of the
    billing-window cohort: a dollar collected, adjusted or written off counts at its day; a dollar
    still open at the horizon counts at the horizon (a lower bound of when it will be resolved).
    Every billed dollar is weighted, so keeping dollars open or writing them off later never makes
    a strategy look faster (issue 19: the old ``mean_days_to_cash`` weighted only the dollars
    resolved before the horizon, and a write-off at 480 days looked 4.6 days "faster" than at 365)."""
    keep = cohort[r_rec]
    resolved = (r_amt[keep] * (r_day[keep] - svc[r_rec[keep]])).sum()
    open_part = (still_open[cohort] * (horizon - svc[cohort])).sum()
    return _safe(resolved + open_part, r_amt[keep].sum() + still_open[cohort].sum())


def collected_within(led, svc: np.ndarray, n_recv: int, days: float) -> np.ndarray:
    """Per receivable: cents collected (net of refunds) within ``days`` days of its service day."""
    out = np.zeros(n_recv, dtype=np.int64)
    for kinds, sign in ((COLLECTED, 1), (REFUNDS, -1)):
        rows = led.mask(kinds) & (led.receivable >= 0)
        rows[rows] = led.day[rows] <= svc[led.receivable[rows]] + days
        np.add.at(out, led.receivable[rows], sign * led.amount[rows])
    return out


def _cum_at(day: np.ndarray, amount: np.ndarray, at: np.ndarray) -> np.ndarray:
    order = np.argsort(day, kind="stable")
    cum = np.concatenate([[0], np.cumsum(amount[order])])
    return cum[np.searchsorted(day[order], at, side="right")]

