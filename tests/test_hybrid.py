"""The hybrid engine (issue 27 item 2) equals the pure SimPy engine: every ledger row (sorted
canonically: receivable, kind, cent and day equal to the last bit — simlib.core.scalar_math), every
open balance, every counter and every metric (relative 1e-12: the same rows in another order sum
to the last bit differently), on every strategy of every shipped scenario at a small size
and on random strategies; seeded. The bulk booking of bills and claims (simlib.model.hybrid_bills)
is checked to take only what needs no process."""
from __future__ import annotations

import math
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.core.ledger import Kind
from simlib.model import claims, hybrid, hybrid_calls, metrics, vectorized
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_rows import canonical_order
from simlib.core.settings import ScenarioError
from simlib.scenario.schema import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


def small(path: Path, encounters_per_day: float = 4.0, warm_up_days: int = 90):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=encounters_per_day, warm_up_days=warm_up_days)
    return scenario_from_dict(data, f"{path.stem} (small)")


def variants(scenario: str, base: str | None, strategies: dict, encounters_per_day: float = 3.0,
             operations: dict | None = None):
    """A shipped scenario (``parameters/<scenario>.yaml``) at a small size whose strategies are
    ``base`` (its first when ``None``) changed by each of ``strategies``' sections; ``operations``
    changes its operations' sections (a team's settings)."""
    data = yaml.safe_load((ROOT / "parameters" / f"{scenario}.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=encounters_per_day, warm_up_days=60)
    for section, settings in (operations or {}).items():
        data.setdefault("operations", {}).setdefault(section, {}).update(settings)
    shipped = data["strategies"][base] if base is not None else next(iter(data["strategies"].values()))
    start = {k: v for k, v in shipped.items() if k != "baseline"}
    data["strategies"] = {name: {**start, **extra} for name, extra in strategies.items()}
    data.pop("uncertain", None)
    data.pop("search", None)
    return scenario_from_dict(data, f"{scenario}: variants (small)")


def assert_identical(sc, strategy, pop):
    """Run ``strategy`` on both engines; return the hybrid world's NumPy share."""
    simpy_world, hybrid_world = World(sc, strategy, pop, hybrid=False), World(sc, strategy, pop, hybrid=True)
    a, b = simpy_world.run(), hybrid_world.run()
    oa, ob = canonical_order(a.ledger), canonical_order(b.ledger)
    for column in ("receivable", "kind", "amount"):
        np.testing.assert_array_equal(getattr(a.ledger, column)[oa], getattr(b.ledger, column)[ob], err_msg=column)
    np.testing.assert_array_equal(a.ledger.day[oa], b.ledger.day[ob], err_msg="day")  # to the last bit
    np.testing.assert_array_equal(a.open_cents, b.open_cents)
    assert +a.counters == +b.counters
    ma, ca, ga = metrics.compute(a, pop, sc)
    mb, cb, gb = metrics.compute(b, pop, sc)
    assert ma.keys() == mb.keys()
    for key in ma:
        # every row equal, but in another order: sums of floats may differ in the last bit
        assert (math.isnan(ma[key]) and math.isnan(mb[key])) or ma[key] == pytest.approx(mb[key], rel=1e-12, abs=1e-9), key
    for key in ca:
        np.testing.assert_allclose(np.asarray(ca[key], float), np.asarray(cb[key], float), rtol=1e-12, atol=1e-9)
    assert ga.keys() == gb.keys() and all(ga[k] == pytest.approx(gb[k], rel=1e-12, abs=1e-9) for k in ga)
    mask = hybrid_world.numpy_accounts
    return 0.0 if mask is None else mask.sum() / max(1, (pop.patient_cents > 0).sum())


def test_the_baselines_strategies_are_identical_on_both_engines():
    sc = small(ROOT / "parameters" / "baseline.yaml")
    pop = draw_population(sc, 3)
    share = {name: assert_identical(sc, name, pop) for name in sc.strategies}
    # the NumPy path carries every account of the status quo, disputes included (simlib.model.hybrid_disputes);
    # beside a deposit too (tests/test_hybrid_disputes_levers.py); the accounts a call step asks the
    # team for too, the teams' queues a fixed point (simlib.model.hybrid_calls; also in combined, with a deposit)
    assert share["letters_only"] == 1.0 and share["prompt_pay_discount"] == 1.0
    assert share["deposit"] == 1.0
    assert share["calls"] == 1.0 and share["combined"] == 1.0


SHIPPED = [p for p in sorted((ROOT / "parameters").glob("*.yaml")) if p.name != "baseline.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_is_identical_on_both_engines(path):
    """Every strategy, whether or not its mask is empty: the hybrid books the bills and the claims
    paid on first adjudication in bulk for all (simlib.model.hybrid_bills). The by-hand claim paths
    are exercised: tiers-payant penalties and secondary payers (France), coverage discovery's fee
    on what the insurer pays (operations)."""
    sc = small(path, encounters_per_day=2.0, warm_up_days=60)
    pop = draw_population(sc, 1)
    seen = Counter()
    for name in sc.strategies:
        share = assert_identical(sc, name, pop)
        seen.update(World(sc, name, pop, hybrid=True).run().counters)
        if sc.strategies[name].agency is not None and sc.strategies[name].payment_plan is None \
                and path.stem == "finance_levers":  # an agency runs in NumPy (simlib.model.vectorized_agency)
            assert share > 0.9, name
    assert seen["claims_adjudicated"] > 0 and seen["claims_denied"] > 0
    if path.stem == "france_clinic":
        assert seen["late_penalty_claims"] > 0 and seen["secondary_denials"] > 0
        # a secondary payer: the accounts its denial raises run in NumPy too (tests/test_hybrid_secondary.py)
        world = World(sc, "relance_ecrite", pop, hybrid=True)
        raised = pop.secondary_denied & (pop.secondary_cents > 0)
        assert raised.any() and world.numpy_disputes
        np.testing.assert_array_equal(world.numpy_accounts, pop.patient_cents > 0)
    if path.stem == "operations":
        assert seen["coverage_found"] > 0
        # coverage discovery re-bills the encounters it finds a payer for: they stay on SimPy, the others run in NumPy
        world = World(sc, "coverage_discovery", pop, hybrid=True)
        found = np.asarray(world.payer_index) != pop.payer
        disputed = ~np.isnan(np.asarray(world.levers["price_estimate"].offset, float))
        assert (found & (pop.patient_cents > 0)).any()
        kept = disputed if not world.numpy_disputes else np.zeros(pop.n, bool)
        np.testing.assert_array_equal(world.numpy_accounts, (pop.patient_cents > 0) & ~found & ~kept)


def test_the_open_book_example_is_identical_on_both_engines(tmp_path):
    """The hospital's own open book (claims and balances already open on day 0, no warm-up)."""
    example = ROOT / "parameters" / "examples"
    data = yaml.safe_load((example / "open_book.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=2.0)
    (tmp_path / "hospital.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    shutil.copy(example / "open_book.csv", tmp_path / "open_book.csv")
    sc = load_scenario(tmp_path / "hospital.yaml")
    pop = draw_population(sc, 0)
    assert pop.open_book.any()
    for name in sc.strategies:
        assert_identical(sc, name, pop)


@pytest.mark.parametrize("team", [{"staff": 1, "hours_per_rework": 6.0, "filing_limit_days": 20},
                                  {"staff": 0}, {"staff": 3, "max_rounds": 1, "filing_limit_days": 2}],
                         ids=["a queue that expires", "no team", "one round"])
def test_the_denials_teams_queue_without_simpy_is_the_processes(team):
    """The denied claims' queue (simlib.model.hybrid_denials) against the SimPy processes: a team
    too small for the denials (claims wait, some past their filing limit), no team (every denial
    final on its day), one round only; every payer denying 60 % of its claims."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=2.0, warm_up_days=60)
    data["operations"]["denials_team"].update(team)
    for payer in data["payers"].values():
        if "initial_denial_rate" in payer:
            payer["initial_denial_rate"] = 0.6
    sc = scenario_from_dict(data, "baseline, many denials (small)")
    pop = draw_population(sc, 5)
    for name in ("letters_only", "combined"):
        assert_identical(sc, name, pop)
    c = World(sc, "letters_only", pop, hybrid=True).run().counters
    assert c["claims_denied"] > 100 and c["claims_final_denial"] > 0
    if team["staff"] == 1:
        assert c["reworks_expired"] > 0 and c["reworks"] > 0 and c["denials_overturned"] > 0
    if team["staff"] == 0:
        assert c["reworks"] == 0 and c["claims_final_denial"] == c["claims_denied"]


def test_the_hybrid_books_in_bulk_what_needs_no_process(monkeypatch):
    """No claim of the baseline goes through claims.decide (no tiers-payant rule, no vendor fee) and
    no denied claim is a SimPy process (simlib.model.hybrid_denials runs them all); only the patient
    sides NumPy does not run go through World._start_patient — none here: the disputed accounts run
    in NumPy too (simlib.model.hybrid_disputes); every bill, and every claim paid on first
    adjudication, is booked in bulk, the price estimate's rows too (its hook's bulk form)."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=2.0, warm_up_days=60)
    data["strategies"]["letters_only"]["price_estimate"] = {"cost_per_estimate": 5.2}
    sc = scenario_from_dict(data, "baseline with a price estimate (small)")
    pop = draw_population(sc, 4)
    assert_identical(sc, "letters_only", pop)
    decided, started, processes = [], [], []
    real_decide, real_start, real_denied = claims.decide, World._start_patient, claims.denied_claim
    monkeypatch.setattr(claims, "decide", lambda world, i, t: (decided.append(i), real_decide(world, i, t)))
    monkeypatch.setattr(claims, "denied_claim", lambda world, i, t: (processes.append(i), real_denied(world, i, t))[1])
    monkeypatch.setattr(World, "_start_patient", lambda self, i: (started.append(i), real_start(self, i)))
    world = World(sc, "letters_only", pop, hybrid=True)
    res = world.run()
    denied = np.flatnonzero(np.asarray(world.denied) & (pop.claim_cents > 0)
                            & (np.asarray(world.adjudication_day) <= world.horizon))
    assert decided == [] and processes == [] and res.counters["claims_denied"] == len(denied) > 0
    assert res.counters["reworks"] > 0 and res.counters["denials_overturned"] > 0
    by_hand = np.flatnonzero((pop.patient_cents > 0) & ~world.numpy_accounts)
    assert started == by_hand.tolist() == [] and world.numpy_disputes  # the disputed too run in NumPy
    assert res.counters["price_estimates"] > 0  # the price estimate's hook, in bulk too


def test_on_by_default_off_by_the_variable_and_never_when_traced(monkeypatch):
    sc = small(ROOT / "parameters" / "baseline.yaml", encounters_per_day=1.0, warm_up_days=0)
    pop = draw_population(sc, 0)
    monkeypatch.delenv(hybrid.ENGINE_VARIABLE, raising=False)
    assert World(sc, "letters_only", pop).numpy_accounts is not None
    assert World(sc, "letters_only", pop, trace=True).numpy_accounts is None
    assert World(sc, "letters_only", pop, hybrid=False).numpy_accounts is None
    monkeypatch.setenv(hybrid.ENGINE_VARIABLE, "simpy")
    assert World(sc, "letters_only", pop).numpy_accounts is None
    assert World(sc, "letters_only", pop, hybrid=True).numpy_accounts is not None
    assert hybrid.on_engine("hybrid", lambda _: World(sc, "letters_only", pop).numpy_accounts is not None, None)
    monkeypatch.setenv(hybrid.ENGINE_VARIABLE, "hybrid")
    assert World(sc, "letters_only", pop).numpy_accounts is not None
    assert hybrid.on_engine("simpy", lambda _: World(sc, "letters_only", pop).numpy_accounts is None, None)
    monkeypatch.setenv(hybrid.ENGINE_VARIABLE, "numpy")
    with pytest.raises(ScenarioError, match="environment: SIMLIB_ENGINE='numpy': expected one of hybrid, simpy"):
        World(sc, "letters_only", pop)


def test_the_mask_keeps_every_account_that_may_meet_a_capacity(monkeypatch):
    """No account in NumPy has a call; every other balance of a strategy in the subset is there (the
    mask is not smaller than it must be): a call step's static targeting (a balance of $200 or more
    when the ladder is scheduled) selects many accounts the team never calls — paid, or paid down
    below $200, by the step's day — and those run in NumPy (:mod:`simlib.model.vectorized_calls`);
    the accounts a step asks the team to call (the traced run's ``call`` steps) stay on SimPy. A
    disputed account runs in NumPy when no call step can select it (the billing team's queue stays
    on SimPy: tests/test_hybrid_disputes_team.py). The probe's path: the fixed point of the called
    accounts (simlib.model.hybrid_calls, tests/test_hybrid_calls.py) turned off."""
    monkeypatch.setattr(hybrid_calls, "ENABLED", False)
    sc = small(ROOT / "parameters" / "baseline.yaml", encounters_per_day=2.0, warm_up_days=0)
    pop = draw_population(sc, 2)
    for strategy in ("calls", "combined"):
        world = World(sc, strategy, pop, hybrid=True)
        mask = world.numpy_accounts
        disputed = ~np.isnan(np.asarray(world.levers["price_estimate"].offset, float))
        res = World(sc, strategy, pop, trace=True).run()  # all SimPy
        asked = np.zeros(pop.n, bool)  # the accounts a call step put in the team's queue
        asked[[(r - 1) // 2 for r, _, what in res.events if what == "call"]] = True
        selected = pop.patient_cents >= 20000  # the calls' target (balance_min 200) before deposit and charity
        assert disputed.sum() > 0 and asked.sum() > 0 and (selected & mask & ~disputed).sum() > 0.2 * selected.sum()
        np.testing.assert_array_equal(mask & ~disputed, (pop.patient_cents > 0) & ~disputed & ~asked)
        overcharged = pop.patient_cents * (1.0 + np.asarray(world.levers["price_estimate"].overcharge))
        assert world.numpy_disputes == "team on SimPy"  # the disputed accounts no call step selects: NumPy
        low = (pop.patient_cents > 0) & disputed & (overcharged < 19999)  # no step can select them
        assert low.sum() > 5 and not (low & ~mask).any()  # (charity may have taken a larger one's)
        # the traced run shows no call on a masked account (nor a dispute, where disputes stay on SimPy)
        shared = ("call", "call connected") if world.numpy_disputes else ("call", "call connected", "dispute")
        touched = {r for r, _, what in res.events if what in shared}
        assert touched and not touched & {2 * i + 1 for i in np.flatnonzero(mask)}


def test_plans_run_in_numpy_beside_calls_and_an_agency():
    """The search's plan (parameters/baseline.yaml ``search.add``) on the texts and on ``combined``
    (calls, a deposit, a discount, contact limits): the plans' accounts the calls cannot select run in
    NumPy, identical; with the search's agency too (simlib.model.vectorized_agency: a placement the
    plan deferred runs at its default)."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=60)
    add, st = data["search"]["add"], data["strategies"]
    data["strategies"] = {"sms_plan": {**st["sms_reminders"], "payment_plan": add["payment_plan"]},
                          "combined_plan": {**st["combined"], "payment_plan": add["payment_plan"]},
                          "combined_plan_agency": {**st["combined"], **add}}
    data.pop("uncertain", None)
    sc = scenario_from_dict(data, "baseline with the search's plan (small)")
    pop = draw_population(sc, 6)
    assert assert_identical(sc, "sms_plan", pop) == 1.0  # the disputes too, beside the plan (vectorized_disputes)
    assert assert_identical(sc, "combined_plan", pop) == 1.0  # the called accounts too (hybrid_calls)
    counters = World(sc, "combined_plan", pop, hybrid=True).run().counters
    assert counters["plans"] > 50 and counters["plan_defaults"] > 5 and counters["calls"] > 50  # teeth
    assert 0.3 < assert_identical(sc, "combined_plan_agency", pop)  # beside an agency a moved call stays on SimPy
    counters = World(sc, "combined_plan_agency", pop, hybrid=True).run().counters
    assert counters["plans"] > 50 and counters["plan_defaults"] > 5 and counters["agency_placements"] > 50


_CHANNELS = ("letter", "sms", "email", "formal_demand", "call")


@hst.composite
def random_strategy(draw):
    """A random strategy of the subset the hybrid covers, with or without calls, a discount, a
    deposit, charity screening before write-off; and random behaviour and dispute settings."""
    steps = []
    for _ in range(draw(hst.integers(0, 5))):
        target = {}
        if draw(hst.booleans()):
            target["balance_min"] = draw(hst.sampled_from([0, 50, 200, 1000]))
        if draw(hst.booleans()):
            low = draw(hst.floats(0.0, 0.8))
            target.update(score_min=low, score_max=draw(hst.floats(low, 1.0)))
        if draw(hst.booleans()):
            target["payers"] = draw(hst.lists(hst.sampled_from(["medicare", "commercial", "medicaid", "self_pay"]),
                                              min_size=1, max_size=2, unique=True))
        steps.append({"day": draw(hst.integers(0, 120)), "channel": draw(hst.sampled_from(_CHANNELS)),
                      "hour": draw(hst.sampled_from([None, 9.0, 14.5])),
                      "relative_to": draw(hst.sampled_from(["statement", "due_date"])), "target": target})
    st = {"credit_terms_days": draw(hst.sampled_from([10, 30, 45])),
          "statement_channel": draw(hst.sampled_from(["letter", "email"])), "ladder": steps,
          "write_off": {"after_days": draw(hst.sampled_from([90, 200])),
                        "below_balance": draw(hst.sampled_from([0, 5, 25]))}}
    if any(s["channel"] == "call" for s in steps):
        st["phone_team"] = {"agents": 1, "hours": [9, 17], "working_days": [0, 1, 2, 3, 4],
                            "call_minutes_mean": 8, "right_party_contact_rate": 0.4}
    if draw(hst.booleans()):
        st["prompt_pay_discount"] = {"rate": draw(hst.sampled_from([0.0, 0.05, 0.2])),
                                     "window_days": draw(hst.sampled_from([10, 30, 60])),
                                     "eligible_payers": draw(hst.sampled_from([None, ["self_pay", "commercial"]]))}
    if draw(hst.booleans()):
        st["deposit"] = {"share": draw(hst.sampled_from([0.3, 1.0])),
                         "compliance_rate": draw(hst.sampled_from([0.5, 0.9])),
                         "estimate_error_sigma": draw(hst.sampled_from([0.0, 0.5])),
                         "declined_care_deferral_rate": draw(hst.sampled_from([0.0, 0.2]))}
    st["fap_screening"] = draw(hst.sampled_from([None, "presumptive", "at_write_off"]))
    if draw(hst.booleans()):  # a payment plan (simlib.model.vectorized_plans)
        st["payment_plan"] = {"balance_min": draw(hst.sampled_from([0, 300])),
                              "offer_day": draw(hst.sampled_from([0, 20])), "uptake_rate": 0.6,
                              "max_months": draw(hst.sampled_from([3, 12])),
                              "miss_base_rate": draw(hst.sampled_from([0.05, 0.5])),
                              "default_after_misses": draw(hst.sampled_from([1, 3]))}
    behaviour = {"floor_per_day": draw(hst.sampled_from([0.0, 0.00021, 0.002])),
                 "full_payment": draw(hst.sampled_from(["ability", "always", "never"])),
                 "max_payments": draw(hst.sampled_from([3, 12]))}
    return st, behaviour, draw(hst.sampled_from([0.0, 0.06, 0.3])), draw(hst.integers(0, 50))


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_strategy())
def test_random_small_scenarios_are_identical_on_both_engines(case):
    strategy, behaviour, error_rate, replication = case
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=1.5, warm_up_days=30, horizon_days=300,
                              billing_window_days=200, measurement_day=200, ar_window_days=60)
    data["behaviour"].update(behaviour)
    data["operations"]["billing_team"]["billing_error_rate"] = error_rate
    data["strategies"] = {"random": {**strategy, "baseline": True}}
    sc = scenario_from_dict(data, "random")
    assert_identical(sc, "random", draw_population(sc, replication))


def test_quality_investments_run_in_numpy_with_the_worlds_statement_lag():
    """A billing or claims quality investment shortens the statement lag of the encounters served
    while it runs (not the open book's) and prevents billing errors: the NumPy accounts take the
    world's lag, one per encounter — the deposit's refund waits for that statement — and the
    disputes it leaves stay on SimPy. Seeded; every row, cent and day equal."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=60)
    deposit = data["strategies"]["deposit"]
    data["strategies"] = {"letters_only": data["strategies"]["letters_only"],
                          "quality": {**deposit, "claims_scrubber": {"statement_lag_days_saved": 2.5},
                                      "billing_training": {"billing_error_reduction": 0.5}}}
    sc = scenario_from_dict(data, "quality (small)")
    pop = draw_population(sc, 4)
    world = World(sc, "quality", pop, hybrid=True)
    lag = np.asarray(world.statement_lag_days)
    assert lag.shape == (pop.n,) and set(lag.tolist()) == {5.0 - 2.5}  # the baseline: 5 days, no open book
    assert assert_identical(sc, "quality", pop) > 0.9
    with pytest.raises(ValueError, match="the claims_scrubber lever"):  # alone, the NumPy model has no world
        vectorized.check_capacity_free(sc, "quality")


@pytest.mark.parametrize("ladder, in_numpy", [
    # a letter at the statement and a formal demand at 10:00 on its day (before it, for most): both go
    # out at the statement and arrive at one instant, delivered in the order the engine sent them
    ([{"day": 0, "channel": "letter", "hour": None}, {"day": 0, "channel": "formal_demand", "hour": 10.0}], False),
    ([{"day": 0, "channel": "letter", "relative_to": "due_date", "hour": 9.0},
      {"day": 0, "channel": "formal_demand", "hour": None}], True),  # credit terms of 30 days: after it
    ([{"day": 0, "channel": "letter", "hour": None}, {"day": 1, "channel": "formal_demand", "hour": 10.0}], True),
    # both due on the statement's day itself (one key): sent and delivered in the ladder's order by both
    ([{"day": 0, "channel": "letter", "hour": None}, {"day": 0, "channel": "formal_demand", "hour": None}], True),
], ids=["two at the statement", "one due later", "one the next day", "both on its day"])
def test_two_messages_delivered_from_the_statement_stay_on_simpy(ladder, in_numpy):
    """Found by a random test (helper hyb_secondary): the NumPy model orders deliveries due at one
    instant by the ladder, the engine by their sending; only messages sent at the statement (due
    at or before it: the clock never goes back) can arrive together, so two of those keep the
    strategy on SimPy."""
    sc = variants("baseline", None, {"tie": {"ladder": ladder}}, 6.0, operations={"billing_team": {"billing_error_rate": 0.0}})
    pop = draw_population(sc, 1)
    assert (World(sc, "tie", pop, hybrid=True).numpy_accounts is not None) == in_numpy
    assert_identical(sc, "tie", pop)
