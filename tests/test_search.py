"""The strategy search end to end on toy scenarios whose best strategy is known.

The toy: self-pay patients with $500 balances, a payment intensity λ0 e^{−κt} and a prompt-pay
discount of rate r for paying within W days, which multiplies the intensity by
m = 1 + u·s·r/(r + h) for a patient of price sensitivity s ~ Gamma(2, ½). With a threshold
E ~ Exp(1), A = (λ0/κ)(1 − e^{−κW}) and C = (λ0/κ)(1 − e^{−κH}) up to the horizon H, the expected
share of a balance collected is

    f(r) = (1 − r)(1 − L) + L(1 − e^{−(C − A)}),   L = E_s[e^{−mA}] = e^{−A}(1 + ½·u·g(r)·A)^{−2},

(the Laplace transform of the Gamma), and the NPV at a zero cost of capital is f(r) × $500 × N
less costs that do not depend on r. Its maximiser r* is computed below; the search must find it.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import optimize

from conftest import tiny
from simlib.scenario.schema import ScenarioError, load_scenario, scenario_from_dict
from simlib.search import SearchError, run_search

N = 4000
LAM0, KAPPA, WINDOW, HORIZON, UPLIFT, HALF = 0.03, 0.04, 30.0, 200.0, 1.2, 0.10
EMAIL = {"statement_channel": "email", "write_off": {"after_days": 10000}}


def collected_share(r: float) -> float:
    """f(r): the expected share of a balance collected with a discount r (module docstring)."""
    a = LAM0 / KAPPA * (1 - math.exp(-KAPPA * WINDOW))
    c = LAM0 / KAPPA * (1 - math.exp(-KAPPA * HORIZON))
    g = r / (r + HALF)
    low = math.exp(-a) * (1 + 0.5 * UPLIFT * g * a) ** -2
    return (1 - r) * (1 - low) + low * (1 - math.exp(-(c - a)))


R_STAR = optimize.minimize_scalar(lambda r: -collected_share(r), bounds=(0, 0.5), method="bounded").x


def toy(n: int = N, budget: int = 20, strategies: dict | None = None, **search) -> dict:
    strategies = strategies or {
        "no_discount": dict(EMAIL, baseline=True),
        "discount_5": dict(EMAIL, prompt_pay_discount={"rate": 0.05, "window_days": WINDOW})}
    d = tiny(strategies, simulation={"open_book_accounts": n, "replications": 4, "horizon_days": HORIZON},
             finance={"cost_of_capital_annual": 0.0, "financial_assistance": None, "starting_cash": 0})
    # a toy hospital (self-pay only, $500 bills): its KPIs are not a real hospital's, so the
    # plausibility envelope is off (simlib.analysis.plausibility; tested in test_plausibility.py)
    constraints = {"within_reported_ranges": False, **search.pop("constraints", {})}
    d["search"] = {"start_from": "discount_5", "budget": budget, "batch": 4, "finalists": 3,
                   "indifference": 0.002 * 500 * n, "selection_replications_max": 8,
                   "variables": [{"path": "prompt_pay_discount.rate", "low": 0.0, "high": 0.3, "step": 0.005}],
                   "constraints": constraints, **search}
    return d


def search(data: dict, out, **kw):
    return run_search(scenario_from_dict(copy.deepcopy(data), "toy"), out=out, page=False, **kw)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    return search(toy(), tmp_path_factory.mktemp("toy"), workers=1)


def test_the_closed_form_has_an_interior_optimum():
    assert 0.05 < R_STAR < 0.12
    assert collected_share(R_STAR) > collected_share(0.0) + 0.05
    assert collected_share(R_STAR) > collected_share(0.3) + 0.02


def test_the_search_finds_the_closed_form_optimal_discount(toy_run):
    """The rate found is within 0.02 of r* and worth at least 99.8 % of f(r*)."""
    r = toy_run.found.values["prompt_pay_discount.rate"]
    assert abs(r - R_STAR) <= 0.02, (r, R_STAR)
    assert collected_share(r) >= 0.998 * collected_share(R_STAR)
    assert toy_run.selection.selected == toy_run.found_name


def test_the_engine_agrees_with_the_closed_form_at_the_found_rate(toy_run):
    """The found strategy's cash collected on the final runs is f(r) within Monte Carlo error."""
    m = toy_run.final.metrics
    cash = m[(m["strategy"] == toy_run.found_name) & (m["metric"] == "cash_collected")]["value"] / (500 * N)
    p = collected_share(toy_run.found.values["prompt_pay_discount.rate"])
    assert abs(cash.mean() - p) <= 4 * math.sqrt(p * (1 - p) / (N * len(cash)))


def test_best_strategy_yaml_is_a_valid_strategy_block(toy_run, tmp_path):
    block = yaml.safe_load((toy_run.directory / "best_strategy.yaml").read_text(encoding="utf-8"))
    assert list(block) == ["searched"]
    data = toy()
    data["strategies"].update(block)
    sc = scenario_from_dict(data, "toy with the block")
    st = sc.strategies["searched"]
    assert st.prompt_pay_discount.rate == toy_run.found.values["prompt_pay_discount.rate"]
    assert st.model_dump(exclude={"label", "description", "baseline"}) == \
        type(st).model_validate(toy_run.found.data).model_dump(exclude={"label", "description", "baseline"})
    assert "prompt-pay discount" in st.description


def test_outputs_hold_the_comparison_and_the_summary(toy_run):
    import json

    from simlib.run.experiment import Results
    d = toy_run.directory
    res = Results.load(d / "results")
    assert set(res.metrics["strategy"]) == {"no_discount", "discount_5", "searched"}
    assert res.scenario.strategies["searched"].label == "Best strategy found by the search"
    summary = json.loads((d / "search.json").read_text())
    assert summary["trials"] == 20 and summary["selection"]["selected"] == toy_run.found_name
    assert [r["rung"] for r in summary["rungs"]] == [0, 1]
    trials = pd.read_csv(d / "trials.csv")
    assert len(trials) == 20 and (trials["state"] == "complete").all()
    assert not (d / "final_runs").exists()


def test_same_seed_same_result_on_one_or_two_workers(tmp_path):
    data = toy(n=1500, budget=12)
    one = search(data, tmp_path / "one", workers=1)
    two = search(data, tmp_path / "two", workers=2)
    assert one.found.values == two.found.values
    t1, t2 = (pd.read_csv(r.directory / "trials.csv") for r in (one, two))
    pd.testing.assert_frame_equal(t1, t2)
    assert one.selection.to_dict() == two.selection.to_dict()
    other = search(data, tmp_path / "seed", workers=1, seed=99)
    assert not pd.read_csv(other.directory / "trials.csv")["objective"].equals(t1["objective"])


@pytest.mark.parametrize("stop_after", [6, 17])
def test_an_interrupted_search_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, stop_after):
    """Interrupted inside a screening batch (6th simulation) or in successive halving (17th),
    the resumed search gives the trials and the strategy of an uninterrupted one."""
    from simlib.search import evaluate

    data = toy(n=1500, budget=12)
    whole = search(data, tmp_path / "whole", workers=1)
    real, calls = evaluate._simulate, {"n": 0}

    def interrupted(task):
        calls["n"] += 1
        if calls["n"] == stop_after:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(evaluate, "_simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        search(data, tmp_path / "cut", workers=1)
    monkeypatch.setattr(evaluate, "_simulate", real)
    with pytest.raises(SearchError, match="another scenario"):
        search(toy(n=1500, budget=12, finalists=2), tmp_path / "cut", workers=1, resume=True)
    resumed = search(data, tmp_path / "cut", workers=1, resume=True)
    assert resumed.found.values == whole.found.values
    pd.testing.assert_frame_equal(pd.read_csv(resumed.directory / "trials.csv"),
                                  pd.read_csv(whole.directory / "trials.csv"))
    def this_session(run) -> int:
        return sum(v for k, v in run.timings.items() if k.endswith("_simulations") and not k.startswith("final"))

    assert resumed.simulations == whole.simulations  # the same strategy-runs in all …
    assert this_session(resumed) < this_session(whole)  # … and those done before the interruption kept


def test_resume_without_a_saved_search_is_refused(tmp_path):
    with pytest.raises(SearchError, match="--resume: no saved search"):
        search(toy(n=500, budget=4), tmp_path, resume=True)


def test_a_scenario_without_a_search_section_is_refused(tmp_path):
    data = toy(n=500)
    del data["search"]
    with pytest.raises(SearchError, match="no search: section"):
        search(data, tmp_path)


# ---------------------------------------------------------------------------- constraints
LADDER_STRATEGIES = {
    "letters": dict(EMAIL, baseline=True, ladder=[{"day": 30, "channel": "letter"}]),
    "texts": dict(EMAIL, ladder=[{"day": 3, "channel": "sms"}, {"day": 5, "channel": "sms"},
                                 {"day": 30, "channel": "letter"}])}


def ladder_toy(**search) -> dict:
    d = toy(n=1500, budget=16, strategies=copy.deepcopy(LADDER_STRATEGIES))
    d["channels"]["sms"].update(reach=1.0, jump_per_day=0.02, cost=0.01)
    constraints = {"within_reported_ranges": False, **search.pop("constraints", {})}  # a toy: as in toy()
    d["search"] = {"start_from": "texts", "budget": 16, "batch": 4, "finalists": 3,
                   "indifference": 500, "selection_replications_max": 8, "constraints": constraints,
                   "contact_limits": {"messages_per_7_days_max": 1},
                   "ladder": [{"channels": ["none", "sms"], "day_low": 1, "day_high": 10},
                              {"channels": ["none", "sms"], "day_low": 1, "day_high": 10},
                              {"channels": ["none", "sms", "letter"], "day_low": 5, "day_high": 40}],
                   **search}
    return d


def test_constraints_are_never_violated_by_the_returned_strategy(tmp_path, monkeypatch):
    """Three texts would pay most; the cap of 1.5 contacts per account and the regulator's one
    message a week must hold for the strategy returned, account by account."""
    from simlib.model import engine
    from simlib.model.population import draw_population

    import optuna

    run = search(ladder_toy(constraints={"contacts_per_account_max": 1.5}), tmp_path, workers=1)
    study = optuna.load_study(study_name="strategy-search", storage=f"sqlite:///{run.directory / 'study.sqlite3'}")
    evals = [v for k, v in study.user_attrs.items() if k.startswith("eval:")]
    assert any(e["suppressed_contacts"] > 0 for e in evals)  # the caps stopped contacts of some candidates
    assert any(e["contacts_per_account"] > 1.5 for e in evals)  # and the cap excluded some
    block = run.final.scenario.strategies[run.found_name]
    assert block.contact_limits.messages_per_7_days_max == 1
    m = run.final.metrics
    contacts = m[(m["strategy"] == run.found_name) & (m["metric"] == "contacts_per_account")]["value"]
    assert contacts.mean() <= 1.5
    accounts = []

    class Recorded(engine.PatientAccount):
        def __init__(self, *args):
            super().__init__(*args)
            accounts.append(self)

    monkeypatch.setattr(engine, "PatientAccount", Recorded)
    sc = run.final.scenario
    engine.World(sc, run.found_name, draw_population(sc, 0, run.seed), hybrid=False).run()  # every account a PatientAccount
    assert accounts
    for acct in accounts:
        t = sorted(acct.message_times)
        assert all(b - a >= 7.0 for a, b in zip(t, t[1:])), t


def test_two_objectives_give_a_pareto_front(tmp_path):
    run = search(ladder_toy(burden="contacts_per_account", finalists=4), tmp_path, workers=1)
    d = run.directory
    front = pd.read_csv(d / "pareto_front.csv")
    on = front[front["on_front"]]
    assert len(on) >= 1
    for r in on.itertuples():  # nobody on the front is beaten on both objectives
        beaten = front[(front["npv_net_cash"] >= r.npv_net_cash) &
                       (front["contacts_per_account"] <= r.contacts_per_account) &
                       ((front["npv_net_cash"] > r.npv_net_cash) |
                        (front["contacts_per_account"] < r.contacts_per_account))]
        assert beaten.empty
    blocks = yaml.safe_load((d / "front_strategies.yaml").read_text())
    data = ladder_toy()
    data["strategies"].update(blocks)
    scenario_from_dict(data, "front")  # every front strategy is a valid block


def test_the_baseline_search_section_validates_and_makes_valid_candidates():
    from simlib.search.space import Space

    sc = load_scenario("parameters/baseline.yaml")
    assert sc.search is not None and sc.search.start_from == "combined"
    space = Space(sc)
    rng = np.random.default_rng(1)
    for _ in range(20):
        values = {}
        for v in sc.search.variables:
            values[v.path] = (v.choices[rng.integers(len(v.choices))] if v.choices is not None
                              else v.low + (v.step or 1) * rng.integers(round((v.high - v.low) / (v.step or 1)) + 1))
        for i, slot in enumerate(sc.search.ladder):
            values[f"ladder.{i}.channel"] = slot.channels[rng.integers(len(slot.channels))]
            values[f"ladder.{i}.day"] = float(rng.integers(slot.day_low, slot.day_high + 1))
        cand = space.candidate(values)
        data = sc.model_dump(mode="json")
        data.update(search=None, strategies={"x": dict(cand.data, baseline=True)})
        try:
            scenario_from_dict(data, "candidate")
        except ScenarioError as err:  # pragma: no cover - the message says which
            pytest.fail(f"invalid candidate {values}: {err}")
