"""Self-service payment levers (issue 26 item 1): pay link, payment methods, card on file, patient
portal. Each against a hand-computed ledger or event log (seeded), and the aggregates against their
closed forms (binomial tolerance: 4 standard deviations)."""
from __future__ import annotations

import math

import numpy as np
from pathlib import Path

import pytest

from simlib.core.ledger import Kind
from simlib.levers.payment_methods import PaymentMethods, processing_fee_cents
from simlib.levers.self_service import DAYS_PER_MONTH
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from test_levers import rows, run, tiny

ROOT = Path(__file__).resolve().parents[1]
SMS = {"cost": 0.03, "reach": 1.0, "jump_per_day": 0.01}
NO_VENDOR_FEES = {"monthly_fee": 0.0}


def with_sms(data: dict, **sms) -> dict:
    data["channels"]["sms"] = {**SMS, **sms}
    return data


def share(res, counter: str, n: int) -> float:
    return res.counters[counter] / n


def four_sd(p: float, n: int) -> float:
    return 4.0 * math.sqrt(p * (1.0 - p) / n)


# --------------------------------------------------------------------------- pay link
def test_a_pay_link_that_reaches_a_patient_who_pays_at_once_books_the_payment_and_its_fees():
    link = {"day": 3, "channel": "sms", "pay_at_once_rate": 1.0, "friction": 0.0, "fee_per_link": 0.05,
            "fee_per_payment": 0.5, **NO_VENDOR_FEES}
    res, _ = run(with_sms(tiny({"pay_link": link}, accounts=2)), trace=True)
    # the sms's 3 cents, the payment in full, the vendor's 50 cents a payment and 5 cents a link
    for r in (1, 3):
        assert rows(res, r) == [(0.0, "BILLED", 100000), (3.0, "COST_CONTACT", 3), (3.0, "PAYMENT_PATIENT", 100000),
                                (3.0, "COST_SELF_SERVICE", 50), (3.0, "COST_SELF_SERVICE", 5)]
    assert [e for e in res.events if e[2] != "statement"] == [(1, 3.0, "paid by link"), (3, 3.0, "paid by link")]
    assert (res.counters["pay_links_sent"], res.counters["pay_links_read"], res.counters["pay_link_payments"]) == (2, 2, 2)


def test_full_friction_leaves_only_the_reminders_jump_and_an_unreached_link_does_nothing():
    link = {"day": 3, "pay_at_once_rate": 1.0, "friction": 1.0, "jump_per_day": 0.0, **NO_VENDOR_FEES}
    res, _ = run(with_sms(tiny({"pay_link": link})))
    assert res.counters["pay_links_read"] == 1 and res.counters["pay_link_payments"] == 0
    assert res.counters["patient_payments"] == 0  # a patient who never pays on their own, and no jump
    res, _ = run(with_sms(tiny({"pay_link": {**link, "friction": 0.0}}), reach=0.0))
    assert res.counters["pay_links_sent"] == 1 and res.counters["pay_links_read"] == 0
    assert res.counters["patient_payments"] == 0


def test_the_share_paid_through_links_matches_its_closed_form():
    """P(paid by link) = reach × pay_at_once_rate × (1 − friction) × min(1, 3 months × $97 ÷ $1,000)
    = 0.75 × 0.5 × 0.8 × 0.291 = 0.0873 (patients who never pay on their own: every payment is a link's)."""
    n = 3000
    link = {"day": 3, "pay_at_once_rate": 0.5, "friction": 0.2, "jump_per_day": 0.0, **NO_VENDOR_FEES}
    data = with_sms(tiny({"pay_link": link}, accounts=n, full_payment="ability", full_payment_months=3.0), reach=0.75)
    res, _ = run(data)
    expected = 0.75 * 0.5 * 0.8 * min(1.0, 3 * 97.0 / 1000.0)
    assert share(res, "pay_link_payments", n) == pytest.approx(expected, abs=four_sd(expected, n))
    assert share(res, "pay_links_read", n) == pytest.approx(0.75, abs=four_sd(0.75, n))
    assert res.counters["patient_payments"] == res.counters["pay_link_payments"]


def test_a_pay_link_needs_a_message_channel():
    data = tiny({"pay_link": {"channel": "call"}})
    data["channels"]["call"] = {"kind": "call"}
    with pytest.raises(ScenarioError, match=r"strategies\.s\.pay_link\.channel: expected a message channel"):
        scenario_from_dict(data)


def test_the_vendors_monthly_fee_is_booked_for_the_months_of_the_billing_window():
    """45 days of encounters: a whole month (10,000 cents) and 14.5625 of 30.4375 days (4,784 cents)."""
    data = with_sms(tiny({"pay_link": {"monthly_fee": 100.0}}))
    data["simulation"]["billing_window_days"] = 45
    res, _ = run(data)
    assert rows(res, -1) == [(0.0, "COST_SELF_SERVICE", 10000),
                             (DAYS_PER_MONTH, "COST_SELF_SERVICE", round(10000 * (45 - DAYS_PER_MONTH) / DAYS_PER_MONTH))]
    assert rows(res, -1)[1][2] == 4784


# --------------------------------------------------------------------------- payment methods
def test_processing_fees_by_hand():
    cfg = PaymentMethods(card_fee_rate=0.029, card_fee_fixed=0.30, bank_transfer_fee=0.25)
    assert processing_fee_cents(100000, True, cfg) == 2900 + 30
    assert processing_fee_cents(12345, True, cfg) == 358 + 30   # 2.9 % of $123.45 = $3.58005
    assert processing_fee_cents(12345, False, cfg) == 25


def test_every_patient_payment_carries_its_methods_fee_on_the_ledger():
    """Partial payments of a patient who pays on their own: each PAYMENT_PATIENT row is followed by
    the fee of the patient's method, to the cent; the counters split the payments by method."""
    n = 200
    data = tiny({"payment_methods": {"card_share": 0.5}}, accounts=n, initial_per_day=0.05,
                full_payment="ability", horizon=300)
    res, pop = run(data)
    by_card = pop.lever_draws["payment_methods"] < 0.5
    cfg = PaymentMethods(card_share=0.5)
    led = res.ledger
    pays = led.kind == Kind.PAYMENT_PATIENT
    fees = led.kind == Kind.FEE_PROCESSING
    assert pays.sum() == fees.sum() > n  # partial payments: more payments than patients
    expected = {}
    for r, amount in zip(led.receivable[pays].tolist(), led.amount[pays].tolist()):
        expected[r] = expected.get(r, 0) + processing_fee_cents(amount, bool(by_card[r // 2]), cfg)
    got = {}
    for r, amount in zip(led.receivable[fees].tolist(), led.amount[fees].tolist()):
        got[r] = got.get(r, 0) + amount
    assert got == expected
    assert res.counters["card_payments"] + res.counters["bank_transfer_payments"] == pays.sum()


# --------------------------------------------------------------------------- card on file
def test_a_declined_card_is_retried_then_left_to_collection():
    card = {"consent_rate": 1.0, "failure_rate": 1.0, "retries": 2, "retry_days": 3, "fee_per_charge": 0.1,
            **NO_VENDOR_FEES}
    res, _ = run(tiny({"card_on_file": card}), trace=True)
    # due on day 30 (net 30): attempts on days 30, 33 and 36, 10 cents each, all declined; then the
    # write-off after 180 days
    assert rows(res) == [(0.0, "BILLED", 100000)] + [(d, "COST_SELF_SERVICE", 10) for d in (30.0, 33.0, 36.0)] \
        + [(180.0, "WRITE_OFF_BAD_DEBT", 100000)]
    assert [e[1] for e in res.events if e[2] == "card declined"] == [30.0, 33.0, 36.0]
    assert res.counters["card_charges"] == 3 and res.counters["card_charges_failed"] == 3


def test_a_charged_card_pays_by_card_and_a_chargeback_takes_it_back_and_prices_the_harm():
    card = {"consent_rate": 1.0, "failure_rate": 0.0, "chargeback_rate": 1.0, "chargeback_days": 45,
            "chargeback_fee": 20.0, "fee_per_charge": 0.1, **NO_VENDOR_FEES}
    # the patient's own method is a bank transfer, but a card on file is a card: 2.9 % + 30 cents
    res, _ = run(tiny({"card_on_file": card, "payment_methods": {"card_share": 0.0}}))
    # harm: attrition 0.25 × 1 future encounter × $1,000 allowed × 0.3 margin = $75
    assert rows(res) == [(0.0, "BILLED", 100000), (30.0, "COST_SELF_SERVICE", 10), (30.0, "PAYMENT_PATIENT", 100000),
                         (30.0, "FEE_PROCESSING", 2930), (75.0, "CHARGEBACK", 100000),
                         (75.0, "WRITE_OFF_BAD_DEBT", 100000), (75.0, "FEE_PROCESSING", 2000),
                         (75.0, "LOST_MARGIN_ATTRITION", 7500)]
    assert res.counters["chargebacks"] == 1 and res.counters["card_payments"] == 1
    assert res.counters["patients_lost_micro"] == 250000


def test_no_charge_above_the_consented_balance():
    res, _ = run(tiny({"card_on_file": {"consent_rate": 1.0, "balance_max": 999.99, **NO_VENDOR_FEES}}))
    assert res.counters["card_charges"] == 0 and res.counters["patient_payments"] == 0


def test_the_share_paid_by_cards_on_file_matches_its_closed_form():
    """P(paid) = consent × (1 − failure^(retries + 1)) = 0.5 × (1 − 0.5³) = 0.4375."""
    n = 3000
    card = {"consent_rate": 0.5, "failure_rate": 0.5, "retries": 2, "chargeback_rate": 0.0, **NO_VENDOR_FEES}
    res, _ = run(tiny({"card_on_file": card}, accounts=n))
    expected = 0.5 * (1 - 0.5 ** 3)
    assert share(res, "card_charges_paid", n) == pytest.approx(expected, abs=four_sd(expected, n))
    # attempts: consenting patients make 1 + f + f² = 1.75 attempts on average
    assert res.counters["card_charges"] / res.counters["card_on_file_consents"] == pytest.approx(1.75, abs=0.06)


# --------------------------------------------------------------------------- patient portal
def test_a_portal_visit_is_exponential_after_the_statement_and_the_visitor_pays_there():
    portal = {"visit_rate": 1.0, "visit_delay_days": 10.0, "pay_rate": 1.0, "fee_per_payment": 0.25,
              **NO_VENDOR_FEES}
    res, pop = run(tiny({"patient_portal": portal}, accounts=3), trace=True)
    u = pop.lever_draws["patient_portal"]
    for i in range(3):
        day = -10.0 * math.log1p(-float(u[i, 1]))
        assert rows(res, 2 * i + 1) == [(0.0, "BILLED", 100000), (round(day, 9), "PAYMENT_PATIENT", 100000),
                                        (round(day, 9), "COST_SELF_SERVICE", 25)]
    assert res.counters["portal_visits"] == res.counters["portal_payments"] == 3


def test_a_portal_visitor_who_does_not_pay_sets_up_a_plan_on_the_plans_terms():
    portal = {"visit_rate": 1.0, "pay_rate": 0.0, "plan_rate": 1.0, **NO_VENDOR_FEES}
    plan = {"uptake_rate": 0.0, "sizing": "even", "max_months": 4, "miss_base_rate": 0.0}
    res, pop = run(tiny({"patient_portal": portal, "payment_plan": plan}))
    day = -10.0 * math.log1p(-float(pop.lever_draws["patient_portal"][0, 1]))
    assert [r for r in rows(res) if r[1] == "PAYMENT_PATIENT"] == \
        [(round(day + 30.0 * m, 9), "PAYMENT_PATIENT", 25000) for m in range(4)]
    assert res.counters["portal_plans"] == res.counters["plans"] == 1


def test_the_share_paid_on_the_portal_matches_its_closed_form():
    """P(paid on the portal) = visit_rate × pay_rate × P(can pay in full) = 0.3 × 0.4 × 0.291."""
    n = 3000
    res, _ = run(tiny({"patient_portal": {"visit_rate": 0.3, "pay_rate": 0.4, **NO_VENDOR_FEES}}, accounts=n,
                      full_payment="ability", full_payment_months=3.0))
    expected = 0.3 * 0.4 * 0.291
    assert share(res, "portal_payments", n) == pytest.approx(expected, abs=four_sd(expected, n))
    assert share(res, "portal_visits", n) == pytest.approx(0.3, abs=four_sd(0.3, n))


# --------------------------------------------------------------------------- the shipped scenario
def test_the_shipped_scenario_runs_every_lever_and_describes_it_in_words():
    """parameters/self_service.yaml, made small (60 days of 5 encounters a day, no warm-up): every
    lever acts, the books balance (checked by every run) and the board's words name each lever."""
    import yaml

    from simlib.levers import describe_strategy
    from simlib.model.engine import World
    from simlib.model.population import draw_population
    data = yaml.safe_load((ROOT / "parameters" / "self_service.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(warm_up_days=0, encounters_per_day=5, billing_window_days=60, horizon_days=200,
                              measurement_day=60, ar_window_days=30)
    sc = scenario_from_dict(data)
    words = describe_strategy(sc.strategies["all_self_service"])
    for phrase in ("pay link by SMS on day 3 ($500 a month)", "patient portal ($1,000 a month)", "card on file charged on the due date",
                   "70 % of patients pay by card (2.9 % + $0.30 a payment), the others by bank transfer ($0.25 a payment)"):
        assert phrase in words, (phrase, words)
    res = World(sc, "all_self_service", draw_population(sc, 0)).run()
    for counter in ("pay_link_payments", "portal_visits", "card_charges_paid", "card_payments",
                    "bank_transfer_payments"):
        assert res.counters[counter] > 0, counter
    led = res.ledger
    assert led.total([Kind.COST_SELF_SERVICE]) > 0 and led.total([Kind.FEE_PROCESSING]) > 0


@pytest.mark.parametrize("key, setting, attribute", [("card_on_file", {"consent_rate": 0.3}, "consents"),
                                                     ("patient_portal", {"visit_rate": 0.3}, "visitors")])
def test_who_takes_up_self_service_follows_the_propensity_to_pay(key, setting, attribute):
    """The deposit's copula: with a correlation of 0.8 the patients who consent (or visit) have a
    clearly higher propensity to pay than the others; with 0 they are the same people on average
    (3,000 patients, propensity log-sd 1: the means differ by far less than their spread)."""
    from simlib.model.engine import World
    from simlib.model.population import draw_population

    means = {}
    for rho in (0.0, 0.8):
        data = tiny({key: {**setting, "propensity_correlation": rho, **NO_VENDOR_FEES}}, accounts=3000)
        data["patients"]["propensity_sigma"] = 1.0
        sc = scenario_from_dict(data)
        pop = draw_population(sc, 0)
        chosen = np.array(getattr(World(sc, "s", pop).levers[key], attribute))
        assert chosen.mean() == pytest.approx(0.3, abs=four_sd(0.3, 3000))  # the rate holds whatever rho
        means[rho] = pop.propensity[chosen].mean() / pop.propensity[~chosen].mean()
    assert means[0.0] == pytest.approx(1.0, abs=0.15)
    assert means[0.8] > 2.0
