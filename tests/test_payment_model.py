"""The payment intensity against closed forms (DESIGN §2), and exact event logs of tiny worlds."""
import math

import numpy as np
import pytest
from scipy import stats

from simlib.core.behaviour import integrated, time_to_reach
from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.model.population import draw_population

N = 4000
# Each check compares an empirical proportion with its closed form; the tolerance is the
# two-sided 99.9 % binomial interval, Bonferroni-corrected over the checked days.
DAYS = [5.0, 15.0, 30.0, 60.0, 120.0]
Z = stats.norm.ppf(1 - 0.001 / (2 * len(DAYS)))


def first_payment_day(res, n):
    led = res.ledger
    m = (led.kind == Kind.PAYMENT_PATIENT)
    days = np.full(2 * n, np.inf)
    np.minimum.at(days, led.receivable[m], led.day[m])
    return days[1::2]


def assert_matches(paid_day, closed_form):
    for t in DAYS:
        p = closed_form(t)
        got = np.mean(paid_day <= t)
        tol = Z * math.sqrt(p * (1 - p) / len(paid_day))
        assert abs(got - p) <= tol, f"P(paid by day {t}): simulated {got:.4f}, closed form {p:.4f} ± {tol:.4f}"


def run(sc, strategy=None):
    pop = draw_population(sc, 0)
    return World(sc, strategy or next(iter(sc.strategies)), pop).run(), pop


def test_no_contacts_matches_closed_form_payment_curve(make_scenario):
    """P(pay by t) = 1 − exp(−(λ0/κ)(1 − e^{−κt})) and P(never) = exp(−λ0/κ) with no contacts."""
    sc = make_scenario(simulation={"open_book_accounts": N, "horizon_days": 1000, "measurement_day": 100})
    res, pop = run(sc)
    lam0, kappa = 0.03, 0.04
    paid = first_payment_day(res, pop.n)
    assert_matches(paid, lambda t: 1 - math.exp(-(lam0 / kappa) * (1 - math.exp(-kappa * t))))
    p_never = math.exp(-lam0 / kappa)
    tol = Z * math.sqrt(p_never * (1 - p_never) / N)
    assert abs(np.mean(np.isinf(paid)) - p_never) <= tol


def test_one_reminder_jump_matches_closed_form(make_scenario):
    """An SMS on day 20 reaching everyone adds δ: Λ(t) gains (δ/κ)(1 − e^{−κ(t−20)}) after day 20."""
    delta = 0.02
    sc = make_scenario(
        {"sms_day_20": {"statement_channel": "email", "write_off": {"after_days": 10000},
                        "ladder": [{"day": 20, "channel": "sms", "hour": None}]}},
        simulation={"open_book_accounts": N, "horizon_days": 1000, "measurement_day": 100},
        channels={"email": {"reach": 1.0}, "sms": {"reach": 1.0, "jump_per_day": delta}})
    res, pop = run(sc)
    lam0, kappa = 0.03, 0.04

    def cdf(t):
        big = (lam0 / kappa) * (1 - math.exp(-kappa * t))
        if t > 20:
            big += (delta / kappa) * (1 - math.exp(-kappa * (t - 20)))
        return 1 - math.exp(-big)
    assert_matches(first_payment_day(res, pop.n), cdf)


def test_reference_case_with_floor_matches_closed_form(make_scenario):
    """Chehrazi, Glynn & Weber (2019) reference: λ∞ = 0.1, κ = 0.7, per year, expressed per day."""
    lam_inf, kappa, lam0 = 0.1 / 365, 0.7 / 365, 2.0 / 365
    sc = make_scenario(simulation={"open_book_accounts": N, "horizon_days": 1000, "measurement_day": 100},
                       behaviour={"initial_per_day": lam0, "floor_per_day": lam_inf, "decay_per_day": kappa,
                                  "full_payment": "never", "partial_fraction_min": 0.1,
                                  "partial_fraction_max": 1.0, "payment_jump_base_per_day": 0.02 / 365,
                                  "payment_jump_fraction_per_day": 0.5 / 365})
    res, pop = run(sc)
    assert_matches(first_payment_day(res, pop.n),
                   lambda t: 1 - math.exp(-(lam_inf * t + (lam0 - lam_inf) * (1 - math.exp(-kappa * t)) / kappa)))


@pytest.mark.parametrize("lam,floor,kappa", [(0.05, 0.0, 0.04), (0.05, 0.01, 0.04), (0.001, 0.02, 0.1),
                                             (2.0, 1e-4, 0.5)])
def test_time_to_reach_inverts_the_integral(lam, floor, kappa):
    for need in (1e-6, 0.1, 0.9, 1.2, 5.0):
        x = time_to_reach(lam, floor, kappa, need)
        if math.isinf(x):
            assert floor == 0 and lam / kappa <= need
        else:
            assert integrated(lam, floor, kappa, x) == pytest.approx(need, rel=1e-9, abs=1e-12)


# ----------------------------------------------------------------------------- exact event logs
def _one_account(make_scenario, strategy, **sections):
    sc = make_scenario({"s": strategy}, simulation={"open_book_accounts": 1}, **sections)
    return sc, draw_population(sc, 0)


def _threshold_for_payment_on(day, jumps, lam0=0.03, kappa=0.04):
    """The Exp(1) threshold that makes the patient pay exactly on ``day``."""
    total = (lam0 / kappa) * (1 - math.exp(-kappa * day))
    for t, d in jumps:
        total += (d / kappa) * (1 - math.exp(-kappa * (day - t)))
    return total


def test_event_log_statement_sms_paid(make_scenario):
    """Statement day 0, SMS day 7 (10:00), paid day 9 — set the latent threshold by hand."""
    sc, pop = _one_account(make_scenario, {"statement_channel": "letter",
                                           "ladder": [{"day": 7, "channel": "sms"},
                                                      {"day": 14, "channel": "letter"}],
                                           "write_off": {"after_days": 90}},
                           channels={"sms": {"reach": 1.0, "jump_per_day": 0.05}})
    sms_at = 7 + 10 / 24
    pop.threshold[0, 0] = _threshold_for_payment_on(9.0, [(sms_at, 0.05)])
    world = World(sc, "s", pop, trace=True)
    res = world.run()
    assert res.events == [(1, 0.0, "statement"), (1, round(sms_at, 6), "sms"), (1, 9.0, "paid")]
    rows = res.ledger.to_frame()
    assert rows.loc[rows.kind == "payment_patient", "amount"].tolist() == [500.0]
    assert rows.loc[rows.kind == "cost_contact", "amount"].tolist() == [0.03]  # one SMS, no letter


def test_event_log_unpaid_goes_to_write_off(make_scenario):
    sc, pop = _one_account(make_scenario, {"statement_channel": "letter",
                                           "ladder": [{"day": 30, "channel": "letter", "hour": None}],
                                           "write_off": {"after_days": 60}})
    pop.threshold[0, 0] = 50.0  # never reached: λ0/κ = 0.75 plus a small jump
    res = World(sc, "s", pop, trace=True).run()
    assert res.events == [(1, 0.0, "statement"), (1, 30.0, "letter"), (1, 60.0, "written off")]
    assert res.ledger.total([Kind.WRITE_OFF_BAD_DEBT]) == 50000


def test_event_log_dispute_pauses_the_clock(make_scenario):
    """A billing error the patient is right about (issue 9): the bill is overcharged by
    c ÷ (1 − c) and the patient pays nothing until the dispute is resolved — raised on day 10,
    2 h of billing-team work (7 h days) then a 2-day wait for the answer. Meanwhile λ decays; the
    corrected statement corrects the overcharge back and is a contact (a jump), not a reset."""
    jump = 0.01
    sc, pop = _one_account(make_scenario, {"statement_channel": "letter", "write_off": {"after_days": 400}},
                           operations={"billing_team": {"billing_error_rate": 1.0, "hours_per_dispute": 2.0,
                                                        "hours_per_day": 7.0, "patient_favour_rate": 1.0,
                                                        "resolution_wait_days_mean": 4.0}},
                           behaviour={"corrected_statement_jump_per_day": jump})
    pop.dispute_delay[0] = 10.0
    pop.correction_fraction[0] = 0.2
    pop.dispute_wait_exp[0] = 0.5
    pop.threshold[0, 0] = 0.4
    res = World(sc, "s", pop, trace=True).run()
    pause = 2.0 / 7.0 + 2.0
    assert [e[2] for e in res.events] == ["statement", "dispute", "dispute resolved", "paid"]
    assert res.events[2][1] == pytest.approx(10 + pause, abs=1e-6)
    lam0, kappa = 0.03, 0.04
    lam_resolved = lam0 * math.exp(-kappa * (10 + pause)) + jump  # nothing accrued while disputed
    expected = 10 + pause + time_to_reach(lam_resolved, 0.0, kappa, 0.4)
    assert res.events[3][1] == pytest.approx(expected, abs=1e-6)
    assert res.ledger.total([Kind.BILLED]) == 62500            # $500 ÷ 0.8
    assert res.ledger.total([Kind.CORRECTION]) == 12500
    assert res.ledger.total([Kind.PAYMENT_PATIENT]) == 50000


def test_event_log_call_queue_one_agent(make_scenario):
    """Two accounts, one agent open 24/7: the second call waits for the first to end."""
    sc = make_scenario({"s": {"statement_channel": "letter", "write_off": {"after_days": 400},
                              "ladder": [{"day": 1, "channel": "call", "hour": None}],
                              "phone_team": {"agents": 1, "hours": [0, 24], "working_days": [0, 1, 2, 3, 4, 5, 6],
                                             "call_minutes_mean": 10, "right_party_contact_rate": 1.0}}},
                       simulation={"open_book_accounts": 2}, behaviour={"initial_per_day": 0.0})
    pop = draw_population(sc, 0)
    pop.call_minutes_exp[:, 0] = [1.5, 1.0]   # 15 and 10 minutes
    world = World(sc, "s", pop, trace=True)
    res = world.run()
    calls = [e for e in res.events if e[2] == "call connected"]
    assert [c[1] for c in calls] == [1.0, round(1.0 + 15 / 1440, 6)]
    assert res.call_waits_days.tolist() == pytest.approx([0.0, 15 / 1440])
    assert res.counters["calls_right_party"] == 2
