"""Liquidity in the reports: the factoring page answers "factor or borrow?" in words with the
break-even rate, an infeasible status quo is said plainly, the KPI tables show the liquidity columns
(catalogue labels) with a note only when a floor is set, and the glossary explains the terms."""
from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from simlib import report

from simlib.scenario import liquidity
from simlib.core.metric_catalogue import METRICS
from simlib.run.experiment import run_experiment
from simlib.scenario.schema import scenario_from_dict
from simlib.report.liquidity_blocks import rate_text

from test_liquidity import _tiny_factoring
from test_report import FakeResults


def _text(block) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block.data)))


@pytest.fixture(scope="module")
def factored_run():
    sc = scenario_from_dict(_tiny_factoring(minimum_cash=10_000.0,
                                            credit_line={"limit": 1e6, "annual_rate": 0.10}))
    return run_experiment(sc, replications=2, seed=7, workers=1, check_resources=False)


def test_the_factoring_page_gives_the_break_even_borrowing_rate(factored_run):
    res = factored_run
    cmp = liquidity.compare_with_borrowing(res.metrics, res.baseline, ["factored"], 10_000.0,
                                           res.scenario.finance.credit_line)
    be = float(cmp.offers.loc["factored", "break_even_rate"])
    text = _text(report.factoring_section(res))
    assert "Factoring or borrowing" in text
    assert "a credit line of $1.00M at 10 % a year funds any shortfall" in text
    assert f"worth taking only if borrowing costs more than {rate_text(be)} a year" in text
    rec = report.recommendation(res)
    assert rec.metric == "npv_after_liquidity"
    assert f"Decision: “{report.strategy_labels(res)[rec.strategy]}”, the highest NPV after credit-line interest" \
        in text
    for m in ("npv_after_liquidity", "credit_interest"):
        assert METRICS[m].label in text


def _synthetic(tmp_path, short_status_quo: float, line: bool):
    """Status quo and one factoring offer with hand-made metrics; the status quo's cash falls below
    the floor (short beyond the line in the given share of 4 runs)."""
    data = _tiny_factoring(minimum_cash=0.0, **({"credit_line": {"limit": 2e6, "annual_rate": 0.09}}
                                                    if line else {}))
    sc = scenario_from_dict(data)
    rows = []
    for rep in range(4):
        short = 1.0 if rep < round(short_status_quo * 4) else 0.0
        for s, npv, trough, peak, cpp, fees, infeasible in (
                ("status_quo", 1_000_000.0 + rep, -1_200_000.0, 1_200_000.0, 2_000.0, 0.0, short),
                ("factored", 900_000.0 + rep, 100_000.0, 0.0, 0.0, 80_000.0, 0.0)):
            rate = 0.09 if line else 0.0
            rows += [(rep, s, "npv_net_cash", npv), (rep, s, "cash_trough", trough),
                     (rep, s, "credit_drawn_peak", peak), (rep, s, "credit_cost_per_rate_point", cpp),
                     (rep, s, "credit_interest", cpp * rate * 100),
                     (rep, s, "npv_after_liquidity", npv - cpp * rate * 100),
                     (rep, s, "liquidity_infeasible", infeasible), (rep, s, "factoring_fees", fees),
                     (rep, s, "cash_collected", npv), (rep, s, "factoring_advanced", 0.0 if fees == 0 else 5e6)]
    return FakeResults(sc, pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"]))


def test_a_status_quo_below_the_floor_with_no_credit_line_is_said_to_be_infeasible(tmp_path):
    res = _synthetic(tmp_path, short_status_quo=1.0, line=False)
    text = _text(report.factoring_section(res))
    assert "has no credit line" in text
    assert "no credit line is available. The status quo is therefore not feasible (short of cash in 4 of 4 runs)" \
        in text
    assert "“Status quo” cannot be recommended" in text
    assert report.recommendation(res).strategy == "factored"
    assert "Decision: “Factored”" in text


def test_with_a_line_the_answer_names_the_rate_the_line_and_the_floor_that_tip_it(tmp_path):
    res = _synthetic(tmp_path, short_status_quo=0.0, line=True)
    text = _text(report.factoring_section(res))
    # NPV cost $100k; the status quo's interest is $18k at 9 %: 2,000 a point → break-even 50 %
    assert "costs $100k of NPV against the status quo, saves $18.0k of interest" in text
    assert ("worth taking only if borrowing costs more than 50 % a year, or the credit line is below $1.20M "
            "or no credit is available, or the hospital must keep more than $800k in cash") in text
    assert report.recommendation(res).strategy == "status_quo"
    assert ("The offers advance $5.00M over the simulated days against a shortfall of at most $1.20M: most of "
            "their fees pay for cash the hospital does not need") in text


def test_the_kpi_tables_show_the_liquidity_columns_only_with_a_floor(tmp_path, factored_run):
    text = _text(report.kpi_tables(factored_run))
    assert "Cash floor and credit line" in text
    for m in liquidity.METRIC_NAMES:
        assert METRICS[m].label in text
    assert "Strategies are ranked on the NPV after that interest" in text
    plain = _synthetic(tmp_path, 0.0, True)
    plain.metrics = plain.metrics[~plain.metrics["metric"].isin(liquidity.METRIC_NAMES)]
    assert "Cash floor and credit line" not in _text(report.kpi_tables(plain))


def test_the_glossary_explains_liquidity_only_when_a_floor_is_set(tmp_path, factored_run):
    assert "<dt>Break-even borrowing rate</dt>" in report.glossary(factored_run).data
    no_floor = FakeResults(scenario_from_dict(_tiny_factoring()), factored_run.metrics)
    assert "Break-even borrowing rate" not in report.glossary(no_floor).data


def test_without_a_floor_the_page_says_offers_are_compared_on_npv_alone(factored_run):
    plain = FakeResults(scenario_from_dict(_tiny_factoring()),
                        factored_run.metrics[~factored_run.metrics["metric"].isin(liquidity.METRIC_NAMES)])
    assert "states no minimum cash level or credit line" in _text(report.factoring_section(plain))


def test_the_borrowing_answer_says_what_its_figures_stand_on():
    """Issue 20: a running hospital (warm-up), a given book, or a cold start, said in one sentence."""
    from simlib.report.liquidity_blocks import _basis
    sim = scenario_from_dict(_tiny_factoring()).simulation
    assert "open book given on day 0" in _basis(sim)  # tiny: an open book (of age 0)
    cold = sim.model_copy(update={"open_book_accounts": 0, "encounters_per_day": 2.0})
    assert "cold start" in _basis(cold) and "warm_up_days" in _basis(cold)
    warm = cold.model_copy(update={"warm_up_days": 364.0})
    assert "running hospital" in _basis(warm) and "364 days before day 0" in _basis(warm)
