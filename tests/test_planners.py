"""Planners in the engine (behaviour.payment_timing): exactness against the fitted model's sampler,
common random numbers, interactions with disputes, contacts and plans, and the scenario block.

Each test fails on the code before planners (no ``behaviour.payment_timing`` field: the scenario is
refused; checked on commit e1d5427)."""
from pathlib import Path

import numpy as np
import pytest

from simlib.model import vectorized
from simlib.calibration.engine_sim import bills_of, engine_scenario, simulate_with_engine, settle_days_of
from simlib.calibration.history import read_history
from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.payment_timing import Invoices, settle_days
from simlib.calibration.synthetic import synthetic_history
from simlib.model.engine import World
from simlib.scenario.schema import ScenarioError, load_scenario, scenario_from_dict
from simlib.model.population import Bills, draw_population

ROOT = Path(__file__).resolve().parents[1]
TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     due_date_jump_per_day=0.5, dispute_intensity_factor=0.3, paper_intensity_factor=0.5,
                     balance_elasticity=0.4, balance_ref=60.0)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    table = synthetic_history(TRUE, 2000, seed=7, window_days=300)
    path = tmp_path_factory.mktemp("hist") / "synthetic.csv"
    table.to_csv(path, index=False)
    return read_history(path)


def _engine_and_model(timing, history, replication=0, seed=3):
    """Engine settle days, and the model's sampler fed the engine's own latent draws."""
    sc = engine_scenario(timing, 30.0, seed)
    pop = draw_population(sc, replication, seed, bills=bills_of(history))
    engine = simulate_with_engine(timing, history, replication, seed)
    model = settle_days(timing, Invoices.from_table(history.table), pop.threshold[:, 0], pop.planner_u)
    return engine, model, pop


@pytest.mark.parametrize("timing", [TRUE, TRUE.replace(decay_per_day=0.0, balance_elasticity=-0.3),
                                    TRUE.replace(planner_share=0.0), TRUE.replace(planner_share=1.0)])
def test_engine_is_the_models_sampler_given_the_same_latent_draws(history, timing):
    """Same (E, U) per patient => the engine pays on the model's settle time, to 1e-9 days."""
    engine, model, _ = _engine_and_model(timing, history)
    both = np.isfinite(model) & (model < 3000)
    assert np.array_equal(np.isfinite(engine[both]), np.ones(both.sum(), bool))
    assert np.max(np.abs(engine[both] - model[both])) < 1e-9
    assert np.all(np.isinf(engine[~both]) | (engine[~both] > 2500))


def test_engine_and_model_sampler_agree_in_distribution(history):
    """Independent streams (engine: simlib's; model: the check's): two-sample KS of 5 x 2,000
    settle times; tolerance: the KS test's 0.1 % critical value (1.95 sqrt(2 / 10,000) = 0.028)."""
    from scipy.stats import ks_2samp

    from simlib.calibration.check import simulate_with_model
    eng = np.concatenate([simulate_with_engine(TRUE, history, r, 11) for r in range(5)])
    mod = np.concatenate([simulate_with_model(TRUE, history, r, 11) for r in range(5)])
    stat = ks_2samp(np.minimum(eng, 1e6), np.minimum(mod, 1e6)).statistic
    assert stat < 1.95 * np.sqrt(2 / eng.size)
    assert ks_2samp(np.minimum(eng, 1e6), np.minimum(mod, 1e6)).pvalue > 0.001


def test_a_larger_share_turns_exactly_the_accounts_between_the_shares_into_planners(history):
    low, _, pop = _engine_and_model(TRUE.replace(planner_share=0.5), history)
    high, _, _ = _engine_and_model(TRUE.replace(planner_share=0.8), history)
    moved = (pop.planner_u >= 0.5) & (pop.planner_u < 0.8)
    assert np.array_equal(low[~moved], high[~moved])
    assert np.any(low[moved] != high[moved])


def test_a_planner_pays_at_the_weibull_quantile_of_its_threshold(history):
    """No intensity for planners (prompt response 0): t = delay + eta E^(1/k), eta = theta x terms."""
    t = TRUE.replace(planner_share=1.0)
    engine, _, pop = _engine_and_model(t, history)
    tab = history.table
    delay = t.dispute_delay_days * tab["disputed"].to_numpy() + t.paper_delay_days * tab["paper"].to_numpy()
    expected = delay + t.planned_day_scale_of_terms * 30.0 * pop.threshold[:, 0] ** (1 / t.planned_day_shape)
    assert np.allclose(engine, expected, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- interactions
def _world(timing, overrides=None, n=400, trace=False, strategy=None):
    sc = engine_scenario(timing, 30.0, 5)
    data = sc.model_dump(mode="json")
    for path, value in (overrides or {}).items():
        node = data
        *head, last = path.split(".")
        for key in head:
            node = node[key]
        node[last] = value
    if strategy is not None:
        data["strategies"]["history"].update(strategy)
    sc = scenario_from_dict(data)
    bills = Bills(np.zeros(n), np.full(n, 6000), np.zeros(n, bool), np.zeros(n, bool))
    pop = draw_population(sc, 0, 5, bills=bills)
    res = World(sc, "history", pop, trace=trace).run()
    return settle_days_of(res, bills), res, pop


def test_a_dispute_delays_the_planned_day_by_its_pause():
    t = TRUE.replace(planner_share=1.0)
    plain, _, pop = _world(t)
    disputed, res, _ = _world(t, {"operations.billing_team.billing_error_rate": 1.0}, trace=True)
    stated, end = {}, {}
    for r, day, what in res.events:
        if what == "statement":
            stated[r // 2] = day
        elif what == "dispute resolved":
            end[r // 2] = day
    checked = 0
    for i in range(len(plain)):
        if i in end:  # a bill with an error is not paid from the statement until the resolution
            assert disputed[i] == pytest.approx(plain[i] + end[i] - stated[i], abs=1e-5)
            checked += 1
    assert checked > 50


def test_planners_ignore_reminders_at_prompt_response_0_and_only_gain_from_them_at_1():
    ladder = [{"day": d, "channel": "sms"} for d in (3, 10, 17)]
    t = TRUE.replace(planner_share=1.0)
    base, _, _ = _world(t)
    reminded, _, _ = _world(t, strategy={"ladder": ladder})
    assert np.allclose(base, reminded, rtol=0, atol=1e-9)  # only rounding of the split active time
    resp = {"behaviour.payment_timing.planner_prompt_response": 1.0}
    base1, _, _ = _world(t, resp)
    reminded1, _, _ = _world(t, resp, strategy={"ladder": ladder})
    assert np.all(reminded1 <= base1 + 1e-9) and np.any(reminded1 < base1 - 1e-3)
    assert np.all(base1 <= base + 1e-9)  # the statement and due-date prompts only add intensity


def test_a_plan_taking_the_account_ends_the_planned_day():
    """A planner enrolled in a payment plan at the statement pays by the plan's instalments."""
    t = TRUE.replace(planner_share=1.0)
    plan = {"payment_plan": {"uptake_rate": 1.0, "offer_day": 1.0, "max_months": 3,
                             "balance_min": 0.0, "uptake_elasticity": 0.0, "uptake_max": 1.0}}
    base, _, _ = _world(t)
    planned, res, _ = _world(t, strategy=plan)
    assert res.counters["plans"] == len(base)  # every planner still open on day 1 took the plan
    # settled by the plan's last instalment (day 1 + 30 m), never on the planned day
    assert np.allclose((planned - 1.0) % 30.0, 0.0)
    assert not np.any(np.isclose(planned, base))


# --------------------------------------------------------------------------- the scenario block
def _baseline_dict():
    from simlib.core.yaml_reading import read_yaml
    return read_yaml(ROOT / "parameters" / "baseline.yaml")


def test_share_zero_and_neutral_covariates_change_nothing():
    data = _baseline_dict()
    data["simulation"]["encounters_per_day"] = 5.0
    plain = scenario_from_dict(data)
    data["behaviour"] = {**data.get("behaviour", {}), "payment_timing": {"planner_share": 0.0}}
    with_block = scenario_from_dict(data)
    name = plain.baseline_strategy
    # on the SimPy engine, where the planners live (the NumPy form refuses a payment-timing block,
    # so under the hybrid the two worlds would order their ledger rows differently)
    a = World(plain, name, draw_population(plain, 0), hybrid=False).run()
    b = World(with_block, name, draw_population(with_block, 0), hybrid=False).run()
    assert np.array_equal(a.ledger.amount, b.ledger.amount) and np.array_equal(a.ledger.day, b.ledger.day)


def test_a_scenario_includes_a_fitted_file_or_a_pasted_block(tmp_path):
    from simlib.calibration.fit import fit
    fitted = tmp_path / "fitted.yaml"
    fit(read_history(tmp_path_history(tmp_path))).write_yaml(fitted)
    data = _baseline_dict()
    beh = {k: v for k, v in data.get("behaviour", {}).items()
           if k not in ("initial_per_day", "decay_per_day", "floor_per_day", "due_date_jump_per_day",
                        "balance_elasticity", "balance_ref")}
    data["behaviour"] = {**beh, "payment_timing": "fitted.yaml"}
    import yaml
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(data))
    sc = load_scenario(tmp_path / "sc.yaml")
    import yaml as _y
    block = _y.safe_load(fitted.read_text())["behaviour"]["payment_timing"]
    assert sc.behaviour.payment_timing.planner_share == block["planner_share"]
    assert sc.behaviour.initial_per_day == block["initial_per_day"]
    pasted = scenario_from_dict({**data, "behaviour": {**beh, "payment_timing": block}})
    assert pasted.behaviour == sc.behaviour
    # the resolved scenario round-trips (results write it as scenario.yaml)
    assert scenario_from_dict(sc.model_dump(mode="json")).behaviour == sc.behaviour


def tmp_path_history(tmp_path):
    path = tmp_path / "h.csv"
    synthetic_history(TRUE, 600, seed=2).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("behaviour, message", [
    ({"initial_per_day": 0.5, "payment_timing": {"initial_per_day": 0.1}},
     "behaviour: initial_per_day: given both in behaviour (0.5) and in behaviour.payment_timing (0.1)"),
    ({"payment_timing": "missing.yaml"}, "behaviour: payment_timing:"),
    ({"payment_timing": {"planner_share": 1.5}}, "behaviour.payment_timing.planner_share: expected"),
    ({"payment_timing": {"planned_day_shape": 0}}, "behaviour.payment_timing.planned_day_shape: expected"),
    ({"payment_timing": {"speed": 1}}, "behaviour.payment_timing.speed: unknown field"),
])
def test_bad_blocks_are_one_line_errors(behaviour, message):
    data = _baseline_dict()
    data["behaviour"] = behaviour
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, "sc.yaml")
    assert message in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_a_file_without_the_block_is_refused_by_name(tmp_path):
    (tmp_path / "other.yaml").write_text("behaviour: {initial_per_day: 1}\n")
    data = _baseline_dict()
    data["behaviour"] = {"payment_timing": "other.yaml"}
    with pytest.raises(ScenarioError, match="expected a 'behaviour: payment_timing:' block"):
        scenario_from_dict(data, str(tmp_path / "sc.yaml"))


def test_the_vectorized_oracle_refuses_planners():
    data = _baseline_dict()
    data["behaviour"] = {"payment_timing": {"planner_share": 0.5}}
    sc = scenario_from_dict(data)
    with pytest.raises(ValueError, match="planners"):
        vectorized.check_capacity_free(sc, sc.baseline_strategy)


def test_a_shaped_dispute_delay_runs_through_the_engine_as_in_the_sampler(history):
    """dispute_delay_log_sd > 0 (issue 25): the engine draws each patient's Z from its stream
    ``dispute_delay``; fed the same (E, U, Z) the model's sampler gives the engine's settle times
    to 1e-9 days, and disputed planners moved while nothing else did."""
    shaped = TRUE.replace(dispute_delay_log_sd=0.6)
    sc = engine_scenario(shaped, 30.0, 3)
    pop = draw_population(sc, 0, 3, bills=bills_of(history))
    engine = simulate_with_engine(shaped, history, 0, 3)
    inv = Invoices.from_table(history.table)
    model = settle_days(shaped, inv, pop.threshold[:, 0], pop.planner_u, pop.dispute_delay_z)
    both = np.isfinite(model) & (model < 3000)
    assert np.max(np.abs(engine[both] - model[both])) < 1e-9
    constant = simulate_with_engine(TRUE, history, 0, 3)
    moved = ~np.isclose(engine, constant, rtol=0, atol=1e-9) & np.isfinite(constant)
    assert moved.any() and not moved[~inv.disputed].any()
    assert np.all(pop.planner_u[moved] < shaped.planner_share)
