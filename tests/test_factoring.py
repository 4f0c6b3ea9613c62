"""Factoring contracts: hand-computed ledgers on tiny deterministic cases, the APR formula against
domain-research §4.2's worked examples, validation messages, and the factor's P&L identity to the
cent on random offers × random ledgers (hypothesis).

Conventions of the tiny cases: one $100.00 receivable (10 000 cents) bought on day 0 unless said
otherwise; the default offer is 90 % of face, 2.5 % for the first 30 days then 2 % per 30 days,
recourse at 90 days, no funding or sweep lag.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from simlib.model import factoring_settlement as factoring
from simlib.model.engine import World
from simlib.run.experiment import run_replication
from simlib.core.ledger import CASH_SIGN, Kind, Ledger
from simlib.scenario.schema import FactoringOffer, ScenarioError, load_scenario, scenario_from_dict
from simlib.model.population import CALL_ATTEMPTS, PLAN_MONTHS_MAX, Population

K = Kind
HORIZON = 540.0
PAYERS = {
    "commercial": {"share": 0.6, "allowed_median": 100.0},
    "medicare": {"share": 0.4, "allowed_median": 100.0, "anti_assignment": True},
}
DEFAULT_OFFER = {
    "advance_rate": 0.9, "funding_lag_days": 0, "sweep_lag_days": 0, "recourse_days": 90,
    "fee": {"schedule": "tiered", "first_rate": 0.025, "first_days": 30, "step_rate": 0.02,
            "step_days": 30},
}


def scenario(strategy: dict | None = None, **sim):
    return scenario_from_dict({
        "name": "factoring-test",
        "simulation": {"horizon_days": HORIZON, "measurement_day": 365, "encounters_per_day": 1, **sim},
        "payers": PAYERS,
        "operations": {"statement_lag_days": 0.0},
        "strategies": {"s": strategy or {}},
    }, "test")


SC = scenario()


def offer(**kw) -> FactoringOffer:
    return FactoringOffer.model_validate({**DEFAULT_OFFER, **kw})


def population(n: int = 1, payer=None, service_day=None, claim_cents=None, patient_cents=None,
               submit_lag=None, score=None) -> Population:
    """Encounters with every latent value neutral; only what factoring reads is set."""
    z = np.zeros(n)

    def arr(v, default, dtype=float):
        return np.asarray(default if v is None else v, dtype=dtype).reshape(n)

    claim = arr(claim_cents, [10_000] * n, np.int64)
    patient = arr(patient_cents, [0] * n, np.int64)
    return Population(
        n=n, payer_names=("commercial", "medicare"), channel_names=("letter",),
        service_day=arr(service_day, z), open_book=np.zeros(n, bool), payer=arr(payer, [0] * n, int),
        allowed_cents=claim + patient, claim_cents=claim, patient_cents=patient,
        emergency=np.zeros(n, bool), ability_monthly=z + 100, propensity=z + 1,
        price_sensitivity=z, score_pct=arr(score, z + 0.5), reach_u=np.zeros((n, 1)),
        threshold=np.ones((n, 4)), fraction_u=np.zeros((n, 4)), full_u=np.zeros((n, 4)),
        submit_lag=arr(submit_lag, z), adjudication_lag=z, denial_u=z + 1,
        overturn_u=np.zeros((n, 1)), review_u=np.zeros((n, 1)), error_u=z + 1, dispute_delay=z,
        favour_u=z, correction_fraction=z, rpc_u=np.zeros((n, CALL_ATTEMPTS)),
        call_minutes_exp=np.ones((n, CALL_ATTEMPTS)), deposit_u=z + 1, plan_u=np.ones((n, 2)),
        plan_miss_u=np.ones((n, PLAN_MONTHS_MAX)), financing_u=z + 1,
        agency_threshold=np.ones((n, 4)))


def ledger(*rows) -> Ledger:
    """Rows ``(receivable, day, kind, cents)``; BILLED rows are added from the population."""
    rec, day, kind, amt = zip(*rows) if rows else ((), (), (), ())
    return Ledger(np.asarray(rec, np.int64), np.asarray(day, float),
                  np.asarray([int(k) for k in kind], np.int8), np.asarray(amt, np.int64))


def billed(pop: Population, *rows) -> Ledger:
    bills = [(2 * i + s, pop.service_day[i], K.BILLED, int(c))
             for i in range(pop.n) for s, c in ((0, pop.claim_cents[i]), (1, pop.patient_cents[i])) if c]
    return ledger(*bills, *rows)


def rows_of(s: factoring.Settlement) -> list[tuple]:
    r = s.rows
    return [(int(a), round(float(b), 6), Kind(int(c)).name, int(d))
            for a, b, c, d in zip(r.receivable, r.day, r.kind, r.amount)]


def cash(led: Ledger) -> int:
    return int(led.cash_flows()[1].sum())


def run(pop, led, off, sc=SC, horizon=HORIZON) -> factoring.Settlement:
    s = factoring.settle(led, pop, sc, off, horizon)
    assert not s.factor_pnl_gap().any()
    assert (s.rows.amount > 0).all() and (s.rows.kind >= 30).all()
    return s


# --------------------------------------------------------------------------- settlement, by hand
def test_full_payment_releases_collected_minus_advance_minus_fee():
    pop = population()
    led = billed(pop, (0, 20.0, K.PAYMENT_INSURER, 10_000))
    s = run(pop, led, offer())
    assert rows_of(s) == [(0, 0.0, "FACTORING_ADVANCE", 9_000),
                          (0, 20.0, "FACTORING_FEE", 250),
                          (0, 20.0, "FACTORING_REBATE", 750),
                          (0, 20.0, "FACTORING_COLLECTION", 10_000)]
    # hospital: the insurer's 100.00 in, passed on to the factor; advance + rebate = 100 − fee
    assert cash(led.concat(s.rows)) == 10_000 - 250


@pytest.mark.parametrize("day, fee_cents", [
    (1.0, 250), (29.9, 250), (30.0, 250),      # first tier: days 1..30
    (30.2, 450), (31.0, 450), (60.0, 450),     # day 31 starts the first 30-day step
    (60.5, 650), (61.0, 650), (90.0, 650),
])
def test_tiered_fee_boundaries_at_30_and_31_days(day, fee_cents):
    pop = population()
    s = run(pop, billed(pop, (0, day, K.PAYMENT_INSURER, 10_000)), offer())
    assert s.fees.sum() == fee_cents
    assert s.rebates.sum() == 10_000 - 9_000 - fee_cents


def test_fee_schedules_by_days_outstanding():
    tiered = offer().fee
    assert factoring.fee_rate(tiered, [1, 30, 31, 60, 61]) == pytest.approx([0.025, 0.025, 0.045, 0.045, 0.065])
    capped = offer(fee={**DEFAULT_OFFER["fee"], "max_rate": 0.05}).fee
    assert factoring.fee_rate(capped, [30, 31, 61, 400]) == pytest.approx([0.025, 0.045, 0.05, 0.05])
    daily = offer(fee={"schedule": "daily", "rate_per_day": 0.001}).fee
    assert factoring.fee_rate(daily, factoring.days_outstanding([0.0, 0.5, 30.0, 30.01])) \
        == pytest.approx([0.001, 0.001, 0.030, 0.031])
    table = offer(fee={"schedule": "table", "beyond_rate": 0.2,
                       "tiers": [{"up_to_days": 10, "rate": 0.02}, {"up_to_days": 20, "rate": 0.03}]}).fee
    assert factoring.fee_rate(table, [1, 10, 11, 20, 21]) == pytest.approx([0.02, 0.02, 0.03, 0.03, 0.2])
    flat = offer(fee={"schedule": "flat", "rate": 0.03}).fee
    assert factoring.fee_rate(flat, [1, 365]) == pytest.approx([0.03, 0.03])


def test_recourse_buy_back_at_day_90_then_the_hospital_collects_for_itself():
    pop = population()
    led = billed(pop, (0, 120.0, K.PAYMENT_INSURER, 10_000))
    s = run(pop, led, offer())
    # buy-back = advance 90.00 + fee(90 days) = 2.5 % + 2 × 2 % of face = 6.50
    assert rows_of(s) == [(0, 0.0, "FACTORING_ADVANCE", 9_000),
                          (0, 90.0, "FACTORING_FEE", 650),
                          (0, 90.0, "FACTORING_BUYBACK", 9_650)]
    assert cash(led.concat(s.rows)) == 9_000 - 9_650 + 10_000


def test_payment_on_the_recourse_day_still_settles_with_the_factor():
    pop = population()
    s = run(pop, billed(pop, (0, 90.0, K.PAYMENT_INSURER, 10_000)), offer())
    assert s.buybacks.sum() == 0 and s.collections.sum() == 10_000 and s.fees.sum() == 650


def test_partial_payments_settle_pro_rata_and_the_rest_is_bought_back():
    pop = population()
    led = billed(pop, (0, 10.0, K.PAYMENT_INSURER, 3_000), (0, 40.0, K.PAYMENT_INSURER, 3_000))
    s = run(pop, led, offer())
    # each 30 % share: advance 27.00; fee 2.5 % (day 10) or 4.5 % (day 40) of 30.00
    # remaining 40 % at day 90: advance 36.00 + 6.5 % of 40.00
    assert rows_of(s) == [(0, 0.0, "FACTORING_ADVANCE", 9_000),
                          (0, 10.0, "FACTORING_FEE", 75),
                          (0, 10.0, "FACTORING_REBATE", 3_000 - 2_700 - 75),
                          (0, 10.0, "FACTORING_COLLECTION", 3_000),
                          (0, 40.0, "FACTORING_FEE", 135),
                          (0, 40.0, "FACTORING_REBATE", 3_000 - 2_700 - 135),
                          (0, 40.0, "FACTORING_COLLECTION", 3_000),
                          (0, 90.0, "FACTORING_FEE", 260),
                          (0, 90.0, "FACTORING_BUYBACK", 3_600 + 260)]


def test_reserve_charged_back_when_collected_is_below_advance_plus_fee():
    pop = population()
    # the patient pays 85.00 and takes a 15.00 prompt-pay discount on day 25: one settlement event
    led = billed(pop, (0, 25.0, K.PAYMENT_INSURER, 8_500), (0, 25.0, K.DISCOUNT, 1_500))
    s = run(pop, led, offer())
    assert rows_of(s) == [(0, 0.0, "FACTORING_ADVANCE", 9_000),
                          (0, 25.0, "FACTORING_FEE", 250),
                          (0, 25.0, "FACTORING_CHARGEBACK", 9_000 + 250 - 8_500),
                          (0, 25.0, "FACTORING_COLLECTION", 8_500)]
    assert cash(led.concat(s.rows)) == 8_500 - 250


def test_denial_is_charged_back_with_its_accrued_fee():
    pop = population()
    s = run(pop, billed(pop, (0, 50.0, K.WRITE_OFF_DENIAL, 10_000)), offer())
    assert s.chargebacks.sum() == 9_000 + 450 and s.rebates.sum() == 0


def test_non_recourse_factor_bears_bad_debt_but_charges_back_a_denial():
    pop = population(claim_cents=[10_000], patient_cents=[10_000])
    led = billed(pop,
                 (1, 20.0, K.PAYMENT_PATIENT, 4_000), (1, 180.0, K.WRITE_OFF_BAD_DEBT, 6_000),
                 (0, 100.0, K.WRITE_OFF_DENIAL, 10_000))
    s = run(pop, led, offer(scope="all", recourse_days=None))
    assert rows_of(s) == [(0, 0.0, "FACTORING_ADVANCE", 9_000),
                          (1, 0.0, "FACTORING_ADVANCE", 9_000),
                          (1, 20.0, "FACTORING_FEE", 100),
                          (1, 20.0, "FACTORING_REBATE", 4_000 - 3_600 - 100),
                          (1, 20.0, "FACTORING_COLLECTION", 4_000),
                          # denial at day 100: 2.5 % + 3 steps × 2 % = 8.5 % of face
                          (0, 100.0, "FACTORING_FEE", 850),
                          (0, 100.0, "FACTORING_CHARGEBACK", 9_000 + 850)]
    # the bad-debt share (advance 54.00) is the factor's loss: no charge-back, no fee
    assert s.credit_loss.tolist() == [0, 5_400]
    assert s.chargebacks.tolist() == [9_850, 0]
    # the same write-off under recourse (period longer than the write-off) is charged back
    r = run(pop, led, offer(scope="patient", recourse_days=200))
    fee_180 = round(10_000 * (0.025 + 5 * 0.02) * 0.6)
    assert r.credit_loss.sum() == 0 and r.chargebacks.tolist() == [0, 5_400 + fee_180]


def test_anti_assignment_claims_are_swept_through_the_hospital():
    pop = population(n=2, payer=[1, 1], claim_cents=[10_000, 0], patient_cents=[0, 5_000])
    led = billed(pop, (0, 28.0, K.PAYMENT_INSURER, 10_000), (3, 28.0, K.PAYMENT_PATIENT, 5_000))
    s = run(pop, led, offer(scope="all", sweep_lag_days=3))
    # Medicare pays the hospital on day 28; the sweep reaches the factor on day 31 (fee tier 2)
    assert [r for r in rows_of(s) if r[0] == 0] == [(0, 0.0, "FACTORING_ADVANCE", 9_000),
                                                     (0, 31.0, "FACTORING_FEE", 450),
                                                     (0, 31.0, "FACTORING_REBATE", 550),
                                                     (0, 31.0, "FACTORING_COLLECTION", 10_000)]
    # the Medicare patient's own balance is not a Medicare payment: no sweep
    assert [r for r in rows_of(s) if r[0] == 3] == [(3, 0.0, "FACTORING_ADVANCE", 4_500),
                                                     (3, 28.0, "FACTORING_FEE", 125),
                                                     (3, 28.0, "FACTORING_REBATE", 375),
                                                     (3, 28.0, "FACTORING_COLLECTION", 5_000)]
    full = led.concat(s.rows)
    d, a = full.cash_flows()
    held = a[(d > 28) & (d < 31)].sum() + a[d <= 28].sum()
    assert held == 9_000 + 10_000 + 4_500 + 375   # the hospital briefly holds Medicare's 100.00
    excluded = run(pop, led, offer(scope="all", allow_anti_assignment=False))
    assert excluded.factored.tolist() == [False, False, False, True]


def test_termination_stops_purchases_and_buys_back_after_notice():
    pop = population(n=3, service_day=[0.0, 99.5, 100.0])
    led = billed(pop, (0, 50.0, K.PAYMENT_INSURER, 10_000), (2, 140.0, K.PAYMENT_INSURER, 10_000),
                 (4, 120.0, K.PAYMENT_INSURER, 10_000))
    term = {"stop_day": 100, "notice_days": 30, "settle": "buy_back"}
    s = run(pop, led, offer(recourse_days=None, termination=term))
    assert s.factored.tolist() == [True, False, True, False, False, False]   # day 100: not sold
    # day 50: fee 4.5 %; the day-99.5 claim is open at day 130: advance + fee(⌈30.5⌉ = 31 days)
    assert rows_of(s) == [(0, 0.0, "FACTORING_ADVANCE", 9_000),
                          (0, 50.0, "FACTORING_FEE", 450),
                          (0, 50.0, "FACTORING_REBATE", 550),
                          (0, 50.0, "FACTORING_COLLECTION", 10_000),
                          (2, 99.5, "FACTORING_ADVANCE", 9_000),
                          (2, 130.0, "FACTORING_FEE", 450),
                          (2, 130.0, "FACTORING_BUYBACK", 9_450)]
    run_off = run(pop, led, offer(recourse_days=None, termination={**term, "settle": "run_off"}))
    assert run_off.buybacks.sum() == 0
    assert run_off.collections.tolist()[:3] == [10_000, 0, 10_000]   # the day-140 payment goes to the factor


def test_advance_on_expected_collectable_value_and_admin_fee():
    pop = population(n=2, payer=[0, 1])
    led = billed(pop, (0, 20.0, K.PAYMENT_INSURER, 10_000), (2, 20.0, K.PAYMENT_INSURER, 10_000))
    off = offer(advance_rate=0.8, advance_base="ecv", ecv_rate={"commercial": 0.95, "medicare": 0.9},
                admin_fee_rate=0.01, fee={"schedule": "flat", "rate": 0.02})
    s = run(pop, led, off)
    # commercial: F = 95.00, A = 76.00, admin 0.95 deducted, fee 1.90 → rebate 100 − 76 − 1.90
    assert s.base.tolist()[::2] == [9_500, 9_000]
    assert s.advance_cash.tolist()[::2] == [7_600 - 95, 7_200 - 90]
    assert s.rebates.tolist()[::2] == [10_000 - 7_600 - 190, 10_000 - 7_200 - 180]
    assert s.fees.tolist()[::2] == [95 + 190, 90 + 180]


def test_cohort_mode_sells_the_book_open_on_the_cohort_day():
    pop = population(n=2, service_day=[-40.0, 10.0])
    led = billed(pop, (0, -5.0, K.PAYMENT_INSURER, 4_000), (0, 20.0, K.PAYMENT_INSURER, 6_000))
    s = run(pop, led, offer(mode="cohort", cohort_day=0))
    assert s.factored.tolist() == [True, False, False, False]
    assert s.face.tolist()[0] == 6_000 and s.advance.tolist()[0] == 5_400
    assert s.rebates.tolist()[0] == 6_000 - 5_400 - 150


def test_segment_selects_by_payer_balance_and_score():
    pop = population(n=3, payer=[0, 1, 0], claim_cents=[10_000, 10_000, 200_000], score=[0.2, 0.5, 0.9])
    led = billed(pop)
    assert run(pop, led, offer(segment={"payers": ["commercial"]})).factored[::2].tolist() == [True, False, True]
    assert run(pop, led, offer(segment={"balance_max": 500})).factored[::2].tolist() == [True, True, False]
    assert run(pop, led, offer(segment={"score_min": 0.4})).factored[::2].tolist() == [False, True, True]


# --------------------------------------------------------------------------- APR
def test_simple_apr_matches_the_worked_examples():
    assert factoring.simple_apr(2.0, 75.0, 30) == pytest.approx(0.3244, abs=5e-4)     # ≈ 32 %
    assert factoring.simple_apr(0.03 * 100, 85.0, 45) == pytest.approx(0.2863, abs=5e-4)  # ≈ 29 %


def test_medbanker_example_through_the_settlement():
    """$100 claim (ECV), $75 advanced, paid at 30 days: the factor keeps $75 + $2, releases $23."""
    pop = population()
    led = billed(pop, (0, 30.0, K.PAYMENT_INSURER, 10_000))
    off = offer(advance_rate=0.75, fee={"schedule": "tiered", "first_rate": 0.02, "first_days": 30,
                                        "step_rate": 0.02, "step_days": 30})
    s = run(pop, led, off)
    assert (s.advance_cash.sum(), s.fees.sum(), s.rebates.sum()) == (7_500, 200, 2_300)
    m = s.metrics(10_000)
    assert m["factoring_apr"] == pytest.approx(factoring.simple_apr(200, 7_500, 30), rel=1e-12)
    assert round(m["factoring_apr"], 2) == 0.32


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("change, message", [
    ({"advance_rate": 1.2}, "factoring.advance_rate: expected less than or equal to 1"),
    ({"fee": {**DEFAULT_OFFER["fee"], "step_rate": -0.01}}, "factoring.fee.tiered.step_rate: expected greater than or equal to 0"),
    ({"fee": {**DEFAULT_OFFER["fee"], "step_days": 0}}, "factoring.fee.tiered.step_days: expected greater than 0"),
    ({"recourse_days": 20}, "factoring: recourse_days: must be >= the first fee tier (30 days); found 20"),
    ({"advance_base": "ecv"}, "factoring: ecv_rate: required when advance_base is 'ecv'"),
    ({"advance_base": "ecv", "ecv_rate": {"commercial": 0.9}}, "factoring.ecv_rate: missing a rate for payers ['medicare']"),
    ({"admin_fee_rate": 0.95}, "factoring: admin_fee_rate: is deducted from the advance"),
    ({"fee": {"schedule": "weekly"}}, "factoring.fee"),
    ({"segment": {"payers": ["medicaid"]}}, "factoring.segment.payers: expected payers among"),
    ({"termination": {"stop_day": 900}}, "factoring.termination.stop_day: must be <= simulation.horizon_days"),
    ({"sweep_lag": 2}, "factoring.sweep_lag: unknown field"),
])
def test_impossible_terms_are_rejected_naming_the_field(change, message):
    with pytest.raises(ScenarioError) as err:
        scenario({"factoring": {**DEFAULT_OFFER, **change}})
    assert any(message in p for p in err.value.problems), err.value.problems
    assert all(p.startswith("strategies.s.factoring") for p in err.value.problems), err.value.problems


def test_shipped_offers_file_validates_and_compares_offers_on_one_collection_path():
    sc = load_scenario("parameters/factoring_offers.yaml")
    offers = {n: s.factoring for n, s in sc.strategies.items()}
    assert offers[sc.baseline_strategy] is None and sum(o is not None for o in offers.values()) >= 3
    ladders = {s.model_dump_json(exclude={"factoring", "label", "description", "baseline"}) for s in sc.strategies.values()}
    assert len(ladders) == 1
    rates = {o.advance_rate for o in offers.values() if o}
    assert len(rates) >= 3 and any(o.recourse_days is None for o in offers.values() if o)


# --------------------------------------------------------------------------- with the engine
def small_world_scenario():
    return scenario({"write_off": {"after_days": 120}}, horizon_days=300, billing_window_days=60,
                    encounters_per_day=4, measurement_day=200, ar_window_days=60)


@pytest.mark.parametrize("terms", [{}, {"scope": "all", "recourse_days": None},
                                   {"scope": "all", "termination": {"stop_day": 30, "notice_days": 20}}])
def test_hospital_cash_is_the_sum_of_its_cash_rows_on_a_simulated_ledger(terms):
    sc = small_world_scenario()
    from simlib.model.population import draw_population
    pop = draw_population(sc, 0, 11)
    res = World(sc, "s", pop).run()
    s = run(pop, res.ledger, offer(**terms, sweep_lag_days=2), sc, sc.simulation.horizon_days)
    assert s.factored.sum() > 0
    full = res.ledger.concat(s.rows)
    sign = np.array([CASH_SIGN[Kind(int(k))] for k in full.kind])
    assert cash(full) == int((sign * full.amount).sum())
    assert CASH_SIGN[Kind.FACTORING_FEE] == 0     # fees are inside rebates, never a cash row
    # hospital cash with factoring = without − fees + credit loss borne by the factor + open advance
    assert cash(full) - cash(res.ledger) == s.open_advance.sum() + s.credit_loss.sum() - s.fees.sum()
    # factoring rows leave the receivable invariant untouched
    from simlib.core.ledger import check_conservation
    check_conservation(full, res.open_cents, "with factoring")


def test_run_replication_reports_factoring_metrics_and_shares_the_collection_path():
    base = small_world_scenario().model_dump(mode="json")
    base["strategies"] = {"none": {"baseline": True, "write_off": {"after_days": 120}},
                          "factor": {"write_off": {"after_days": 120}, "factoring": DEFAULT_OFFER}}
    sc = scenario_from_dict(base)
    t = run_replication(sc, 0, 5)["metrics"].pivot(index="metric", columns="strategy", values="value")
    assert t.loc["factoring_advanced", "none"] == 0 and math.isnan(t.loc["factoring_apr", "none"])
    assert t.loc["factoring_advanced", "factor"] > 0 and 0 < t.loc["factoring_apr", "factor"] < 2
    for same in ("cash_collected", "days_in_ar", "net_collection_rate", "bad_debt_rate"):
        assert t.loc[same, "none"] == t.loc[same, "factor"] or np.isnan(t.loc[same, ["none", "factor"]]).all()
    assert t.loc["npv_net_cash", "factor"] != t.loc["npv_net_cash", "none"]


# --------------------------------------------------------------------------- P&L identity
REDUCING = [K.PAYMENT_INSURER, K.PAYMENT_PATIENT, K.PAYMENT_AGENCY, K.DISCOUNT, K.CORRECTION,
            K.WRITE_OFF_SMALL, K.WRITE_OFF_BAD_DEBT, K.WRITE_OFF_DENIAL]


@hs.composite
def books(draw):
    n = draw(hs.integers(1, 4))
    pop = population(n=n, payer=draw(hs.lists(hs.integers(0, 1), min_size=n, max_size=n)),
                     service_day=draw(hs.lists(hs.floats(-30, 200), min_size=n, max_size=n)),
                     claim_cents=draw(hs.lists(hs.integers(0, 2_000_000), min_size=n, max_size=n)),
                     patient_cents=draw(hs.lists(hs.integers(1, 300_000), min_size=n, max_size=n)),
                     submit_lag=draw(hs.lists(hs.floats(0, 10), min_size=n, max_size=n)))
    rows = []
    for i in range(n):
        for side, face in ((0, int(pop.claim_cents[i])), (1, int(pop.patient_cents[i]))):
            left, day = face, float(pop.service_day[i])
            for _ in range(draw(hs.integers(0, 4))):
                if left <= 0:
                    break
                day += draw(hs.floats(0, 80))
                amount = draw(hs.integers(1, left))
                rows.append((2 * i + side, day, draw(hs.sampled_from(REDUCING)), amount))
                left -= amount
    return pop, billed(pop, *rows)


fee_schedules = hs.one_of(
    hs.builds(lambda r: {"schedule": "flat", "rate": r}, hs.floats(0, 0.1)),
    hs.builds(lambda a, d, b, s: {"schedule": "tiered", "first_rate": a, "first_days": d,
                                  "step_rate": b, "step_days": s},
              hs.floats(0, 0.06), hs.integers(1, 30), hs.floats(0, 0.05), hs.integers(1, 30)),
    hs.builds(lambda r: {"schedule": "daily", "rate_per_day": r}, hs.floats(0, 0.003)),
)
offers = hs.fixed_dictionaries({
    "scope": hs.sampled_from(["insurer", "patient", "all"]),
    "advance_rate": hs.floats(0.05, 1.0),
    "admin_fee_rate": hs.floats(0, 0.05),
    "fee": fee_schedules,
    "fee_on": hs.sampled_from(["base", "advance"]),
    "recourse_days": hs.one_of(hs.none(), hs.integers(30, 200)),
    "funding_lag_days": hs.floats(0, 5),
    "sweep_lag_days": hs.floats(0, 5),
    "allow_anti_assignment": hs.booleans(),
    "termination": hs.one_of(hs.none(), hs.fixed_dictionaries({
        "stop_day": hs.floats(0, 300), "notice_days": hs.floats(0, 120),
        "settle": hs.sampled_from(["buy_back", "run_off"])})),
    "advance_base": hs.just("face"),
}) | hs.fixed_dictionaries({
    "advance_rate": hs.floats(0.05, 1.0),
    "advance_base": hs.just("ecv"),
    "ecv_rate": hs.floats(0.3, 1.0),
    "fee": fee_schedules,
    "recourse_days": hs.one_of(hs.none(), hs.integers(30, 200)),
    "scope": hs.just("all"),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=books(), terms=offers, horizon=hs.floats(100, 400))
def test_factor_pnl_identity_and_hospital_cash_to_the_cent(book, terms, horizon):
    pop, led = book
    led = Ledger(*(getattr(led, f)[led.day <= horizon] for f in ("receivable", "day", "kind", "amount")))
    fee = terms["fee"]
    if terms.get("recourse_days") is not None and fee["schedule"] == "tiered":
        terms = {**terms, "recourse_days": max(terms["recourse_days"], fee["first_days"])}
    if terms.get("admin_fee_rate", 0) > terms["advance_rate"]:
        terms = {**terms, "admin_fee_rate": terms["advance_rate"]}
    off = FactoringOffer.model_validate({**terms, "funding_lag_days": terms.get("funding_lag_days", 0)})
    s = factoring.settle(led, pop, SC, off, horizon)
    # the factor: received − paid + still outstanding = fees − credit loss, per receivable
    assert not s.factor_pnl_gap().any()
    # the hospital: cash with factoring = without − fees + credit loss + open advance
    assert cash(led.concat(s.rows)) - cash(led) == \
        s.open_advance.sum() + s.credit_loss.sum() - s.fees.sum()
    # one advance per factored receivable; at most one buy-back; rows are cash-only kinds
    adv = s.rows.receivable[s.rows.kind == K.FACTORING_ADVANCE]
    assert len(adv) == len(set(adv.tolist())) <= s.factored.sum()
    bb = s.rows.receivable[s.rows.kind == K.FACTORING_BUYBACK]
    assert len(bb) == len(set(bb.tolist()))
    assert (s.rows.amount > 0).all() and (s.rows.kind >= 30).all()
    assert (s.advance <= s.face).all() and (s.collections <= s.face).all()
    assert (s.credit_loss == 0).all() or off.recourse_days is None
