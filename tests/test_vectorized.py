"""The NumPy capacity-free model agrees with the SimPy engine: per account, and statistically."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as hst

from simlib.core import behaviour
from simlib.model import vectorized as V
from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.scenario.schema import scenario_from_dict
from simlib.model.population import draw_population

from tests.conftest import SIMPLE_CHANNELS, SIMPLE_CONTACT_BEHAVIOUR

BASELINE = Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml"


def capacity_free(encounters_per_day=6.0, simple=True, warm_up_days=0, **behaviour_overrides):
    """Baseline payers and patients; no disputes, no denials; message-only strategies. ``simple``:
    the simple contact model (every statement reaches at once, no fatigue, no delivery days, no
    opt-outs); otherwise the baseline's contact response and channels."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(horizon_days=400, billing_window_days=180, measurement_day=200,
                              ar_window_days=60, encounters_per_day=encounters_per_day,
                              open_book_accounts=0 if warm_up_days else 60, warm_up_days=warm_up_days,
                              replications=2, workers=1)
    data["operations"]["billing_team"]["billing_error_rate"] = 0.0
    data["finance"]["financial_assistance"] = None  # charity care (issue 9) needs the engine
    for payer in data["payers"].values():
        payer["initial_denial_rate"] = 0.0
    data["behaviour"].update({**(SIMPLE_CONTACT_BEHAVIOUR if simple else {}), **behaviour_overrides})
    if simple:
        data["channels"] = SIMPLE_CHANNELS  # the simple contact model; contact responsiveness as default
    strategies = {k: v for k, v in data["strategies"].items() if k in ("letters_only", "sms_reminders")}
    strategies["targeted"] = {
        "credit_terms_days": 21,
        "statement_channel": "email",
        "ladder": [
            {"day": 0, "channel": "sms", "hour": 9},
            {"day": 2, "channel": "email", "target": {"balance_min": 150}},
            {"day": 5, "channel": "sms", "hour": 22},                      # quiet hour: suppressed
            {"day": 6, "channel": "sms", "relative_to": "due_date"},
            {"day": 7, "channel": "email", "relative_to": "due_date"},
            {"day": 8, "channel": "sms", "relative_to": "due_date"},        # 3rd in 7 days: limited
            {"day": 40, "channel": "letter", "target": {"score_min": 0.3, "score_max": 0.8}},
            {"day": 60, "channel": "formal_demand", "target": {"payers": ["self_pay", "commercial"],
                                                               "balance_max": 5000}},
        ],
        "contact_limits": {"messages_per_7_days_max": 2, "quiet_hours": [21, 8]},
        "write_off": {"after_days": 120, "below_balance": 10},
    }
    strategies["texting"] = {  # many reached contacts: fatigue, opt-outs, complaints, a moved-free notice
        "credit_terms_days": 15,
        "statement_channel": "letter",
        "ladder": [{"day": d, "channel": "sms", "hour": h} for d, h in ((1, 9), (3, 22), (4, None), (6, 12),
                                                                      (9, 18), (14, 9), (20, 10))]
        + [{"day": 2, "channel": "email", "hour": None}, {"day": 25, "channel": "letter"},
           {"day": 10, "channel": "formal_demand", "relative_to": "due_date", "hour": 14}],
        "contact_limits": {"messages_per_7_days_max": 2, "quiet_hours": [21, 8],
                           "message_cap_channels": ["sms", "email"]},
        "write_off": {"after_days": 150, "below_balance": 10},
    }
    data["strategies"] = strategies
    return scenario_from_dict(data, "capacity-free")


def engine_outcomes(sc, strategy, pop):
    res = World(sc, strategy, pop).run()
    led, n = res.ledger, pop.n
    pay = (led.kind == Kind.PAYMENT_PATIENT) & (led.receivable % 2 == 1)
    enc, day, amt = (led.receivable[pay] - 1) // 2, led.day[pay], led.amount[pay]
    order = np.lexsort((day, enc))
    enc, day, amt = enc[order], day[order], amt[order]
    first = np.full(n, np.nan)
    u, ix = np.unique(enc, return_index=True)
    first[u] = day[ix]

    def per(kind):
        m = (led.kind == kind) & (led.receivable % 2 == 1)
        out = np.zeros(n, np.int64)
        np.add.at(out, (led.receivable[m] - 1) // 2, led.amount[m])
        return out

    return dict(first=first, enc=enc, day=day, amt=amt, paid=per(Kind.PAYMENT_PATIENT),
                bad_debt=per(Kind.WRITE_OFF_BAD_DEBT), small=per(Kind.WRITE_OFF_SMALL),
                cost=per(Kind.COST_STATEMENT) + per(Kind.COST_CONTACT), complaint_cost=per(Kind.COST_COMPLAINT),
                lost_margin=per(Kind.LOST_MARGIN_ATTRITION), open=res.open_cents[1::2], counters=res.counters)


def assert_same_paths(sc, strategy, pop):
    e = engine_outcomes(sc, strategy, pop)
    v = V.simulate(sc, strategy, pop)
    np.testing.assert_array_equal(np.isnan(e["first"]), np.isnan(v.first_payment_day))
    np.testing.assert_array_equal(e["first"], v.first_payment_day)  # to the last bit (NaN = NaN here)
    np.testing.assert_array_equal(e["enc"], v.payment_encounter)
    np.testing.assert_array_equal(e["day"], v.payment_day)  # to the last bit (simlib.core.scalar_math)
    np.testing.assert_array_equal(e["amt"], v.payment_amount_cents)
    np.testing.assert_array_equal(e["paid"], v.paid_cents)
    np.testing.assert_array_equal(e["bad_debt"], v.bad_debt_cents)
    np.testing.assert_array_equal(e["small"], v.small_write_off_cents)
    np.testing.assert_array_equal(e["open"], v.open_cents)
    np.testing.assert_array_equal(e["cost"], v.cost_cents)
    np.testing.assert_array_equal(e["complaint_cost"], v.complaint_cost_cents)
    np.testing.assert_array_equal(e["lost_margin"], v.lost_margin_cents)
    for key in ("contacts", "suppressed_contacts", "patient_payments", "bad_debt_write_offs", "opt_outs",
                "complaints", "patients_lost_micro", "opted_out_contacts",
                *(f"{what}_{ch}" for what in ("contacts", "reached", "suppressed") for ch in sc.channels)):
        assert e["counters"][key] == v.counters[key], key
    return e, v


@pytest.mark.parametrize("strategy", ["letters_only", "sms_reminders", "targeted"])
def test_same_draws_give_the_same_path_per_account(strategy):
    sc = capacity_free()
    pop = draw_population(sc, 0)
    e, v = assert_same_paths(sc, strategy, pop)
    assert len(e["enc"]) > 300 and (e["bad_debt"] > 0).sum() > 50  # the test has teeth
    if strategy == "targeted":
        assert e["counters"]["suppressed_contacts"] > 100 and v.small_write_off_cents.sum() > 0


@pytest.mark.parametrize("strategy", ["letters_only", "sms_reminders", "texting"])
def test_same_paths_with_the_baselines_contact_response(strategy):
    """The baseline's capacity-free behaviours (issue 27): statements that may not reach (30 % of the
    intensity until a letter arrives 7 days later), fatigue, the debt's age, delivery days,
    opt-outs and complaints with their harm rows: every payment day (to 1e-6 days) and cent equal."""
    sc = capacity_free(encounters_per_day=8.0, simple=False)
    beh = sc.behaviour
    assert beh.unreached_statement_share < 1 and beh.contact_fatigue_per_contact < 1
    assert beh.contact_age_decay_days is not None and sc.channels["letter"].delivery_days > 0
    pop = draw_population(sc, 3)
    e, v = assert_same_paths(sc, strategy, pop)
    assert len(e["enc"]) > 300 and (e["bad_debt"] > 0).sum() > 50  # the test has teeth
    if strategy == "texting":
        c = e["counters"]
        assert c["opt_outs"] > 10 and c["opted_out_contacts"] > 10 and c["suppressed_contacts"] > 100
        assert c["complaints"] + (e["lost_margin"] > 0).sum() > 0


def test_warm_up_statements_start_on_the_first_simulated_day():
    """With a warm-up, statements before it are sent on its first day, as in the engine."""
    sc = capacity_free(encounters_per_day=4.0, simple=False, warm_up_days=120)
    pop = draw_population(sc, 5)
    assert (pop.service_day < 0).sum() > 100
    assert_same_paths(sc, "sms_reminders", pop)


@pytest.mark.parametrize("overrides", [
    dict(floor_per_day=0.002),                            # Newton path of time_to_reach
    dict(full_payment="never", max_payments=4),           # many partial payments, forced last
    dict(full_payment="always", initial_per_day=0.2),
])
def test_same_paths_under_other_behaviour(overrides):
    sc = capacity_free(encounters_per_day=3.0, **overrides)
    pop = draw_population(sc, 1)
    assert_same_paths(sc, "targeted", pop)
    assert_same_paths(sc, "letters_only", pop)


def test_strategies_outside_the_subset_are_refused():
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    sc = scenario_from_dict(data)
    for name in ("calls", "prompt_pay_discount", "deposit", "letters_only"):
        with pytest.raises(ValueError, match="not capacity-free"):
            V.check_capacity_free(sc, name)  # baseline has disputes, so even letters_only


@settings(max_examples=200, deadline=None)
@given(lam=hst.floats(0.0, 2.0), floor=hst.sampled_from([0.0, 1e-4, 0.003, 0.05]),
       kappa=hst.floats(0.005, 0.5), need=hst.floats(0.0, 8.0))
def test_vector_time_to_reach_matches_scalar(lam, floor, kappa, need):
    want = behaviour.time_to_reach(lam, floor, kappa, need)
    got = V.time_to_reach(np.array([lam]), floor, kappa, np.array([need]))[0]
    if math.isinf(want):
        assert math.isinf(got)
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6)  # days: both stop at |f| < 1e-12


def _collection_and_days(pop, paid, first, bal0, horizon):
    mature = (pop.service_day <= horizon - 180) & (bal0 > 0)
    rate = paid[mature].sum() / bal0[mature].sum()
    ok = ~np.isnan(first) & mature
    return rate, float(np.mean(first[ok] - pop.service_day[ok]))


@pytest.mark.parametrize("simple", [True, False])
def test_engine_and_vectorized_agree_within_monte_carlo_error(simple):
    """Independent replications (engine on 0–3, vectorized on 100–139): the mean patient
    collection rate and days to first payment differ by less than 3 standard errors (with the
    simple contact model and with the baseline's contact response)."""
    sc = capacity_free(encounters_per_day=4.0, simple=simple)
    H = sc.simulation.horizon_days
    eng, vec = [], []
    for rep in range(4):
        pop = draw_population(sc, rep)
        e = engine_outcomes(sc, "sms_reminders", pop)
        eng.append(_collection_and_days(pop, e["paid"], e["first"], pop.patient_cents, H))
    for rep in range(100, 140):
        pop = draw_population(sc, rep)
        v = V.simulate(sc, "sms_reminders", pop)
        vec.append(_collection_and_days(pop, v.paid_cents, v.first_payment_day, pop.patient_cents, H))
    eng, vec = np.array(eng), np.array(vec)
    for col in range(2):
        se = math.sqrt(eng[:, col].var(ddof=1) / len(eng) + vec[:, col].var(ddof=1) / len(vec))
        assert abs(eng[:, col].mean() - vec[:, col].mean()) < 3 * se, (col, eng[:, col], vec[:, col].mean())
