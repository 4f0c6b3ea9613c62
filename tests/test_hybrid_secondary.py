"""A secondary payer's denial on the hybrid engine (simlib.model.vectorized_secondary): the share it
passes to the patient before the statement joins the balance the NumPy model starts from — after
the deposit, the price estimate's overcharge and a targeted offer's scoring at service, which see
the bill only —, so the accounts it raises run in NumPy (and, with them, France's disputes),
identical to pure SimPy: every ledger row, cent and day, open balance, counter and metric. Small
worlds with many denials (half the secondaries refuse), some secondaries covering the whole of what
the primary left (a bill of 0, the account is the share alone), many billing errors; seeded, and
random strategies (hypothesis)."""
from __future__ import annotations

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings

from simlib.core.ledger import Kind
from simlib.model import claims
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_secondary import passed_cents
from simlib.scenario.schema import scenario_from_dict
from test_hybrid import ROOT, assert_identical, random_strategy


def _baseline(denial_rate: float = 0.5, covered_share: float = 0.8, strategies: dict | None = None,
              encounters_per_day: float = 3.0, simulation: dict | None = None, behaviour: dict | None = None,
              error_rate: float | None = None):
    """The baseline, small, whose Medicare and commercial patients hold a secondary that refuses
    ``denial_rate`` of its claims (Medicaid's, ``covered_share`` of what the primary leaves)."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update({"encounters_per_day": encounters_per_day, "warm_up_days": 60, **(simulation or {})})
    data["behaviour"].update(behaviour or {})
    if error_rate is not None:
        data["operations"]["billing_team"]["billing_error_rate"] = error_rate
    for payer in ("medicare", "commercial"):
        data["payers"][payer]["secondary"] = {"holders_share": 0.8, "covered_share": 0.8, "lag_days_min": 2,
                                              "lag_days_mean": 12, "denial_rate": denial_rate}
    data["payers"]["medicaid"]["secondary"] = {"covered_share": covered_share, "denial_rate": denial_rate}
    if strategies is not None:
        data["strategies"] = strategies
    data.pop("uncertain", None)
    data.pop("search", None)
    return scenario_from_dict(data, "baseline with secondaries (small)")


def _raised(world) -> np.ndarray:
    """The encounters whose secondary passed its share to the patient."""
    return passed_cents(world) > 0


def test_the_baselines_strategies_run_the_raised_accounts_in_numpy():
    """Every strategy of the baseline (calls on a balance floor the share may cross, a deposit, a
    discount, contact limits, factoring) with half the secondaries refusing: identical, and every
    account a denial raised is in NumPy unless a call or a dispute keeps it on SimPy."""
    sc = _baseline()
    pop = draw_population(sc, 3)
    for name in sc.strategies:
        share = assert_identical(sc, name, pop)
        world = World(sc, name, pop, hybrid=True)
        raised = _raised(world)
        assert raised.sum() > 50, name
        if name in ("letters_only", "sms_reminders", "prompt_pay_discount", "short_terms", "letters_factored",
                    "deposit"):
            assert share == 1.0 and world.numpy_disputes, name  # the disputes beside them too
    # teeth: a call step's floor of $200 that only the share passed lifts some balances to
    world = World(sc, "calls", pop, hybrid=True)
    passed = passed_cents(world)
    lifted = (pop.patient_cents < 20000) & (pop.patient_cents + passed >= 20000)
    assert lifted.sum() > 5 and not (world.numpy_accounts & lifted).all()


def test_a_share_passed_on_a_bill_of_nothing_is_an_account_of_its_own():
    """Medicaid's secondary covers all the primary leaves: its patients owe nothing unless it
    refuses, and then no BILLED row, no deposit, no scoring — an account of the share alone."""
    sc = _baseline(covered_share=1.0)
    pop = draw_population(sc, 5)
    for name in ("letters_only", "deposit", "combined"):
        assert_identical(sc, name, pop)
    world = World(sc, "letters_only", pop, hybrid=True)
    alone = (pop.patient_cents == 0) & _raised(world)
    assert alone.sum() > 3 and world.numpy_accounts[alone].all()
    res = World(sc, "letters_only", pop, hybrid=True).run()
    r = 2 * np.flatnonzero(alone) + 1
    kinds = set(res.ledger.kind[np.isin(res.ledger.receivable, r)].tolist())
    assert int(Kind.BILLED) not in kinds and {int(Kind.TRANSFER_FROM_PAYER), int(Kind.PAYMENT_PATIENT)} <= kinds


def test_a_deposit_that_took_the_whole_bill_and_the_presumptive_screening():
    """A deposit of the whole estimate (often above the bill: refunded on the statement), presumptive
    financial assistance: a patient whose deposit took the whole bill and whom a denial then owes
    the share is refunded the eligible share of the deposit at service and screened again on the
    statement on the share plus the whole deposit kept (the engine's hook leaves it whole)."""
    strategies = {"deposit_all": {"baseline": True, "credit_terms_days": 30, "statement_channel": "letter",
                                  "ladder": [{"day": 30, "channel": "letter"}],
                                  "deposit": {"share": 1.0, "compliance_rate": 0.95, "estimate_error_sigma": 0.5},
                                  "write_off": {"after_days": 240, "below_balance": 5}}}
    sc = _baseline(denial_rate=0.7, strategies=strategies, encounters_per_day=4.0)
    pop = draw_population(sc, 2)
    assert assert_identical(sc, "deposit_all", pop) > 0.9
    world = World(sc, "deposit_all", pop, hybrid=False)
    res = world.run()
    kept = world.levers["deposit"].kept
    both = [i for i in np.flatnonzero(_raised(world)).tolist() if kept.get(i, 0) == pop.patient_cents[i] > 0]
    assert len(both) > 10 and res.counters["deposit_fap_refunds"] > 10


def test_frances_strategies_with_many_denials_and_disputes():
    """France's six strategies with half the mutuelles refusing and a billing error on one bill in
    five: identical; the status quo runs all of its accounts in NumPy, its disputes too."""
    data = yaml.safe_load((ROOT / "parameters" / "france_clinic.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=60)
    data["payers"]["amo_et_mutuelle"]["secondary"]["denial_rate"] = 0.5
    data["operations"]["billing_team"]["billing_error_rate"] = 0.2
    sc = scenario_from_dict(data, "france_clinic, many denials (small)")
    pop = draw_population(sc, 1)
    shares = {name: assert_identical(sc, name, pop) for name in sc.strategies}
    assert shares["relance_ecrite"] == shares["sms_et_email"] == shares["affacturage"] == 1.0
    world = World(sc, "relance_ecrite", pop, hybrid=True)
    assert world.numpy_disputes and _raised(world).sum() > 100
    assert shares["recouvrement_amiable"] == 1.0  # beside an agency too (tests/test_hybrid_disputes_holders.py)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_strategy())
def test_random_strategies_with_secondaries_are_identical_on_both_engines(case):
    strategy, behaviour, error_rate, replication = case
    sc = _baseline(denial_rate=0.6, covered_share=1.0, strategies={"random": {**strategy, "baseline": True}},
                   encounters_per_day=1.5, behaviour=behaviour, error_rate=error_rate,
                   simulation={"warm_up_days": 30, "horizon_days": 300, "billing_window_days": 200,
                               "measurement_day": 200, "ar_window_days": 60})
    assert_identical(sc, "random", draw_population(sc, replication))


def test_the_secondary_claims_of_numpy_accounts_are_booked_in_bulk(monkeypatch):
    """simlib.model.hybrid_bills books the secondary claims of the NumPy accounts with their bills
    (claims.secondary_claim's rows and counters, the share passed after the hooks): no encounter of
    theirs goes through World._start_patient; those of SimPy accounts (calls, here) still do, in
    encounter order. Identical to SimPy (above, and here with a price estimate's bulk hook)."""
    sc = _baseline(covered_share=1.0)
    pop = draw_population(sc, 4)
    started, decided = [], []
    real_start, real_secondary = World._start_patient, claims.secondary_claim
    monkeypatch.setattr(World, "_start_patient", lambda self, i: (started.append(i), real_start(self, i)))
    monkeypatch.setattr(claims, "secondary_claim", lambda world, i: (decided.append(i), real_secondary(world, i))[1])
    for name in ("letters_only", "calls"):
        started.clear(), decided.clear()
        world = World(sc, name, pop, hybrid=True)
        res = world.run()
        assert res.counters["secondary_denials"] > 50 and res.counters["secondary_claims"] > 100
        owed = (pop.patient_cents > 0) | (passed_cents(world) > 0)
        assert started == np.flatnonzero(owed & ~world.numpy_accounts).tolist()
        assert decided == [i for i in started if pop.secondary_cents[i] > 0]
        if name == "letters_only":
            assert started == [] and world.numpy_disputes
    monkeypatch.undo()
    estimated = _baseline(strategies={"estimate": {
        "baseline": True, "credit_terms_days": 30, "statement_channel": "letter",
        "ladder": [{"day": 30, "channel": "letter"}], "price_estimate": {"cost_per_estimate": 5.2},
        "write_off": {"after_days": 240, "below_balance": 5}}})
    assert assert_identical(estimated, "estimate", draw_population(estimated, 1)) == 1.0
