"""Liquidity: a cash floor, the credit line that defends it, its interest, and what the decision does
with it (simlib.scenario.liquidity; docs/model.md "Liquidity").

The ledger is checked against a cash series computed by hand (drawn balances, interest to the cent,
discounted interest), and the metrics of a simulated tiny scenario against a plain day-by-day loop
over its own cash flows. Without a floor nothing changes; a strategy short beyond its line is never
recommended; the break-even rate makes the two NPVs equal when the run is repeated at that rate.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

from conftest import tiny
from simlib.scenario import liquidity
from simlib.analysis.decision import decide, decision_metric, infeasible_strategies
from simlib.core.metric_catalogue import KEY_METRIC, LIQUIDITY_KEY_METRIC, METRICS, key_metric
from simlib.run.experiment import run_experiment, run_replication
from simlib.scenario.liquidity import CreditLine
from simlib.scenario.schema import ScenarioError, scenario_from_dict

R_DAY = math.log(1.08) / 365.0  # the NPV's daily rate at an 8 % cost of capital


# --------------------------------------------------------------------------- the ledger by hand
def _series(events: list[tuple[float, float]], starting: float, horizon: float):
    day = np.array([d for d, _ in events], dtype=float)
    cents = np.array([a * 100 for _, a in events], dtype=float)
    order = np.argsort(day, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(cents[order])])
    return liquidity.end_of_day_cash_cents(day[order], cum, starting * 100, horizon)


EVENTS = [(-3.0, -1_000.0),      # the open book's care, before day 0: falls in day 1
          (0.5, -119_000.0),     # care paid on day 1
          (2.0, 5_000.0),        # exactly at the end of day 2: counted in day 2
          (2.3, 30_000.0), (3.0, 60_000.0),
          (4.9, -10_000.0)]


def test_the_credit_ledger_matches_a_hand_computed_one():
    days, cash = _series(EVENTS, starting=100_000.0, horizon=4.5)
    # end-of-day cash: day 1: 100,000 − 1,000 − 119,000 = −20,000; day 2: −15,000; day 3: +75,000;
    # day 4: +75,000; day 5 (⌈4.5⌉): +65,000
    assert days.tolist() == [1, 2, 3, 4, 5]
    assert (cash / 100).tolist() == [-20_000, -15_000, 75_000, 75_000, 65_000]
    line = CreditLine(limit=100_000.0, annual_rate=0.073)  # 0.073 / 365 = 0.0002 a day
    led = liquidity.credit_ledger(days, cash, 50_000.0, line, 0.08)
    # floor $50,000: drawn $70,000 on day 1 and $65,000 on day 2, repaid on day 3
    assert (led.drawn_cents / 100).tolist() == [70_000, 65_000, 0, 0, 0]
    # interest: 70,000 × 0.0002 = $14.00, then 65,000 × 0.0002 = $13.00
    assert np.round(led.interest_cents).tolist() == [1400, 1300, 0, 0, 0]
    m = liquidity.liquidity_metrics(led, npv_net_cash=1_000.0)
    assert m["credit_interest"] == 27.00
    assert m["credit_drawn_peak"] == 70_000.00
    discounted = 14.00 * math.exp(-R_DAY * 1) + 13.00 * math.exp(-R_DAY * 2)
    assert m["npv_after_liquidity"] == pytest.approx(1_000.0 - discounted, abs=1e-9)
    per_point = (70_000 * math.exp(-R_DAY) + 65_000 * math.exp(-2 * R_DAY)) * 0.01 / 365
    assert m["credit_cost_per_rate_point"] == pytest.approx(per_point, abs=1e-9)
    assert 7.3 * m["credit_cost_per_rate_point"] == pytest.approx(discounted, abs=1e-9)
    assert m["liquidity_infeasible"] == 0.0


def test_the_limit_is_the_most_the_line_lends():
    days, cash = _series(EVENTS, starting=100_000.0, horizon=4.5)
    at = {lim: liquidity.credit_ledger(days, cash, 50_000.0, CreditLine(limit=lim, annual_rate=0.05), 0.08)
          for lim in (69_999.99, 70_000.0)}
    assert at[69_999.99].infeasible and not at[70_000.0].infeasible
    # the interest is that of the whole shortfall either way (what a large enough line would cost)
    assert at[69_999.99].interest_total_cents == at[70_000.0].interest_total_cents
    # a floor without a line: short as soon as cash ends a day below it; no interest
    none = liquidity.credit_ledger(days, cash, 50_000.0, None, 0.08)
    assert none.infeasible and none.interest_total_cents == 0.0 and none.peak_drawn_cents == 7_000_000
    assert liquidity.credit_ledger(days, cash, 0.0, None, 0.08).infeasible  # day 1 ends at −$20,000 < $0


def test_the_metrics_of_a_run_follow_a_day_by_day_loop_over_its_cash_flows():
    from simlib.model.engine import World
    from simlib.model.population import draw_population

    sc = scenario_from_dict(_tiny_factoring(minimum_cash=10_000.0,
                                            credit_line={"limit": 1e6, "annual_rate": 0.09}))
    tables = run_replication(sc, 0, 7)
    m = tables["metrics"].set_index(["strategy", "metric"])["value"]
    pop = draw_population(sc, 0, 7)
    res = World(sc, "status_quo", pop).run()
    day, amount = res.ledger.cash_flows()
    flows = list(zip(day.tolist(), (amount / 100).tolist()))
    flows += list(zip(pop.service_day.tolist(), (-np.round(pop.allowed_cents * 0.5) / 100).tolist()))
    interest = discounted = peak = 0.0
    for k in range(1, 201):
        cash = sum(a for d, a in flows if d <= k)
        drawn = max(0.0, 10_000.0 - cash)
        peak = max(peak, drawn)
        interest += drawn * 0.09 / 365
        discounted += drawn * 0.09 / 365 * math.exp(-R_DAY * k)
    got = {k: m[("status_quo", k)] for k in liquidity.METRIC_NAMES}
    assert peak > 0 and got["credit_drawn_peak"] == pytest.approx(peak, abs=0.005)
    assert got["credit_interest"] == round(interest, 2)
    assert got["npv_after_liquidity"] == pytest.approx(m[("status_quo", "npv_net_cash")] - discounted,
                                                           abs=0.005)


# --------------------------------------------------------------------------- no floor: nothing changes
def _tiny_factoring(**finance) -> dict:
    strategies = {
        "status_quo": {"baseline": True, "statement_channel": "email", "write_off": {"after_days": 10000}},
        "factored": {"statement_channel": "email", "write_off": {"after_days": 10000},
                     "factoring": {"scope": "patient", "funding_lag_days": 1, "advance_rate": 0.8,
                                   "fee": {"schedule": "flat", "rate": 0.01}, "recourse_days": None}}}
    return tiny(strategies, behaviour={"initial_per_day": 0.05, "decay_per_day": 0.0},
                finance={"starting_cash": 0, "cost_of_care_ratio": 0.5, "cost_of_capital_annual": 0.08,
                         **finance})


def test_without_a_floor_the_results_are_those_of_today():
    plain = run_replication(scenario_from_dict(_tiny_factoring()), 0, 7)
    assert not set(liquidity.METRIC_NAMES) & set(plain["metrics"]["metric"])
    with_floor = run_replication(scenario_from_dict(_tiny_factoring(
        minimum_cash=0.0, credit_line={"limit": 5e5, "annual_rate": 0.07})), 0, 7)
    rest = with_floor["metrics"][~with_floor["metrics"]["metric"].isin(liquidity.METRIC_NAMES)]
    pd.testing.assert_frame_equal(rest.reset_index(drop=True), plain["metrics"])
    for name in ("curves", "aging"):
        pd.testing.assert_frame_equal(with_floor[name], plain[name])
    assert key_metric(scenario_from_dict(_tiny_factoring())) == KEY_METRIC
    assert decision_metric(plain["metrics"]) == KEY_METRIC
    assert decision_metric(with_floor["metrics"]) == LIQUIDITY_KEY_METRIC


def test_a_floor_cash_never_reaches_costs_nothing():
    tables = run_replication(scenario_from_dict(_tiny_factoring(
        starting_cash=1e7, minimum_cash=0.0, credit_line={"limit": 0, "annual_rate": 0.2})), 0, 7)
    m = tables["metrics"].set_index(["strategy", "metric"])["value"]
    for s in ("status_quo", "factored"):
        assert m[(s, "npv_after_liquidity")] == m[(s, "npv_net_cash")]
        assert m[(s, "credit_interest")] == 0 and m[(s, "liquidity_infeasible")] == 0


def test_every_liquidity_metric_is_in_the_catalogue():
    for name in liquidity.METRIC_NAMES:
        assert name in METRICS and METRICS[name].higher_is_better is not None


# --------------------------------------------------------------------------- the decision
def _table(values: dict[str, list[tuple[float, float]]]) -> pd.DataFrame:
    """Tidy metrics from (npv after interest, short beyond the line 0/1) per run and strategy."""
    rows = []
    for s, runs in values.items():
        for rep, (npv, short) in enumerate(runs):
            rows += [(rep, s, "npv_net_cash", npv + 10.0), (rep, s, LIQUIDITY_KEY_METRIC, npv),
                     (rep, s, "liquidity_infeasible", short)]
    return pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"])


def test_a_strategy_short_beyond_its_line_is_never_recommended():
    rng = np.random.default_rng(11)
    noise = rng.normal(0, 1.0, 20)
    short_twice = [1.0, 1.0] + [0.0] * 18          # 10 % of runs: infeasible
    short_once = [1.0] + [0.0] * 19                # 5 %: still allowed
    metrics = _table({"base": [(100 + e, 0.0) for e in noise],
                      "richest": [(200 + e, s) for e, s in zip(noise, short_twice)],
                      "second": [(150 + e, s) for e, s in zip(noise, short_once)]})
    assert infeasible_strategies(metrics) == ["richest"]
    rec = decide(metrics, "base")
    assert rec.strategy == "second" and rec.metric == LIQUIDITY_KEY_METRIC
    assert rec.infeasible == ("richest",) and rec.feasible and rec.probability_best == 1.0
    assert rec.gain == pytest.approx(50.0)
    assert rec.runner_up == "base"  # the best of the other feasible strategies, not the richer infeasible one


def test_an_infeasible_status_quo_gives_way_even_to_a_poorer_strategy():
    noise = np.random.default_rng(12).normal(0, 1.0, 10)
    metrics = _table({"base": [(100 + e, 1.0) for e in noise], "costly": [(90 + e, 0.0) for e in noise]})
    rec = decide(metrics, "base")
    assert rec.strategy == "costly" and rec.gain == pytest.approx(-10.0) and rec.feasible
    assert rec.runner_up == "base"  # no other feasible strategy: the best of the rest
    everyone = _table({"base": [(100 + e, 1.0) for e in noise], "costly": [(90 + e, 1.0) for e in noise]})
    rec = decide(everyone, "base")
    assert rec.strategy == "base" and not rec.feasible and rec.runner_up == "costly"


def test_the_break_even_rate_closed_form():
    assert liquidity.break_even_rate(1_000.0, 100.0) == pytest.approx(0.10)
    assert liquidity.break_even_rate(-5.0, 100.0) == 0.0       # cheaper than the status quo at any rate
    assert liquidity.break_even_rate(1_000.0, 0.0) is None     # saves no borrowing: never
    assert liquidity.break_even_rate(1_000.0, -3.0) is None


def test_the_credit_needed_leaves_out_at_most_five_percent_of_runs():
    peaks = list(range(1, 21))                                  # 20 runs: one may exceed the line
    assert liquidity.credit_needed(peaks) == 19.0
    assert liquidity.credit_needed([5.0, 1.0, 3.0, 2.0, 0.0, 4.0]) == 5.0   # 6 runs: none may
    assert liquidity.credit_needed([0.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="no runs"):
        liquidity.credit_needed([])


def test_borrowing_at_the_break_even_rate_makes_the_offer_and_the_status_quo_equal():
    data = _tiny_factoring(minimum_cash=10_000.0, credit_line={"limit": 1e6, "annual_rate": 0.10})
    sc = scenario_from_dict(data)
    res = run_experiment(sc, replications=2, seed=7, workers=1, check_resources=False)
    cmp = liquidity.compare_with_borrowing(res.metrics, "status_quo", ["factored"], 10_000.0, sc.finance.credit_line)
    row = cmp.offers.loc["factored"]
    assert row["npv_cost"] > 0 and 0 < row["break_even_rate"] < 1
    assert row["advantage"] == pytest.approx(row["interest_saved"] - row["npv_cost"], abs=1e-6)
    again = copy.deepcopy(data)
    again["finance"]["credit_line"]["annual_rate"] = float(row["break_even_rate"])
    res2 = run_experiment(scenario_from_dict(again), replications=2, seed=7, workers=1, check_resources=False)
    after = res2.metrics[res2.metrics["metric"] == LIQUIDITY_KEY_METRIC].groupby("strategy")["value"].mean()
    assert after["factored"] == pytest.approx(after["status_quo"], abs=1e-6)
    # below the break-even rate borrowing is cheaper, above it the offer is
    assert row["advantage"] < 0 and row["break_even_rate"] > 0.10


# --------------------------------------------------------------------------- bad input, one line each
@pytest.mark.parametrize("finance, words", [
    ({"minimum_cash": 0, "credit_line": {"limit": -1, "annual_rate": 0.07}},
     "finance.credit_line.limit: expected greater than or equal to 0"),
    ({"minimum_cash": 0, "credit_line": {"limit": 1e6, "annual_rate": 1.5}},
     "finance.credit_line.annual_rate: expected less than or equal to 1"),
    ({"minimum_cash": 0, "credit_line": {"limit": 1e6, "annual_rate": float("nan")}},
     "finance.credit_line.annual_rate: expected a finite number"),
    ({"minimum_cash": 0, "credit_line": {"limit": 1e6}}, "finance.credit_line.annual_rate: required"),
    ({"minimum_cash": 0, "credit_line": {"limit": 1e6, "annual_rate": 0.07, "fee": 1}},
     "finance.credit_line.fee: unknown field"),
    ({"minimum_cash": -5}, "finance.minimum_cash: expected greater than or equal to 0"),
    ({"minimum_cash": 2e9, "credit_line": {"limit": 0, "annual_rate": 0}},
     "finance.minimum_cash: expected less than or equal to 1,000,000,000"),
    ({"credit_line": {"limit": 1e6, "annual_rate": 0.07}},
     "finance: credit_line funds cash below a floor: expected minimum_cash as well"),
])
def test_bad_liquidity_settings_are_one_line_each(finance, words):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(tiny(finance=finance), "s.yaml")
    text = str(err.value)
    assert len(text.splitlines()) == 1 and text.startswith("s.yaml: ") and words in text, text


def test_a_floor_without_a_line_is_allowed_and_short_below_it():
    tables = run_replication(scenario_from_dict(_tiny_factoring(minimum_cash=0.0)), 0, 7)
    m = tables["metrics"].set_index(["strategy", "metric"])["value"]
    assert m[("status_quo", "cash_trough")] < 0
    assert m[("status_quo", "liquidity_infeasible")] == 1.0 and m[("status_quo", "credit_interest")] == 0.0
