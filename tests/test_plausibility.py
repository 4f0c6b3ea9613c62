"""The plausibility envelope (issue 19, item 7): a strategy whose mean KPI lies outside what any
hospital has reported is flagged in plain words on the board page and in the comparison table,
and the search treats it as infeasible unless told otherwise."""
from __future__ import annotations

import math

import yaml

from simlib import report, run_experiment
from simlib.analysis import plausibility
from simlib.search.objectives import goal_for, score
from simlib.scenario.search_section import SearchSettings


def test_every_band_has_a_source_and_holds_its_calibration_range():
    data = yaml.safe_load(plausibility.DATA_FILE.read_text(encoding="utf-8"))
    assert data["patient_responsibility_collection_rate"]["reported"] == [0.34, 0.55]  # Kodiak 34.46 % (2024) to 54.8 % (2021)
    for metric, band in plausibility.envelope().items():
        assert band.low is not None or band.high is not None, metric
        assert (band.low is None or band.low_source) and (band.high is None or band.high_source), metric
        c_low, c_high = band.calibration
        assert band.low is None or c_low is None or band.low <= c_low, metric
        assert band.high is None or c_high is None or c_high <= band.high, metric


def test_check_flags_only_what_is_outside_and_says_so_in_plain_words():
    flags = plausibility.check("deposit_70", {"patient_responsibility_collection_rate": 0.68, "days_in_ar": 50.0,
                                              "agency_recovery_rate": math.nan})
    assert [(f.band.metric, f.side, f.bound) for f in flags] == [("patient_responsibility_collection_rate", "above", 0.55)]
    words = plausibility.flag_words(flags[0], "Deposit of 70 %")
    assert words.startswith("No hospital has reported a patient collection rate above 55.0 % (Kodiak")
    assert "“Deposit of 70 %” reaches 68.0 %: treat this as an extrapolation" in words
    assert plausibility.excess(flags) == (0.68 - 0.55) / 0.55


def outside_scenario(make_scenario):
    """Two strategies on the conftest's $500 self-pay balances: the status quo pays at the usual
    pace (collection rate inside 34–55 %); a second, whose patients pay at 20 times the intensity,
    collects almost everything: outside what any hospital has reported."""
    return make_scenario(
        {"status_quo": {"statement_channel": "email", "baseline": True, "write_off": {"after_days": 60}},
         "free_lunch": {"statement_channel": "email", "write_off": {"after_days": 60},
                        "ladder": [{"day": d, "channel": "email"} for d in (1, 2, 3, 4, 5, 6)]}},
        behaviour={"initial_per_day": 0.026, "decay_per_day": 0.04},
        channels={"email": {"jump_per_day": 0.5, "reach": 1.0}})


def test_a_strategy_outside_is_flagged_on_the_board_page_and_in_the_comparison_table(make_scenario):
    res = run_experiment(outside_scenario(make_scenario), replications=2, seed=20261206, workers=1)
    rate = res.metrics[res.metrics.metric == "patient_responsibility_collection_rate"].groupby("strategy")["value"].mean()
    assert 0.34 <= rate["status_quo"] <= 0.55 < rate["free_lunch"], rate
    flags = plausibility.check_results(res.metrics)
    assert [f.band.metric for f in flags["free_lunch"]] == ["patient_responsibility_collection_rate"]
    # (a self-pay-only toy: its bad debt, 53 % of net patient revenue, is outside too)
    assert [f.band.metric for f in flags["status_quo"]] == ["bad_debt_rate"]
    section = report.plausibility_section(res).data
    assert "No hospital has reported a patient collection rate above 55.0 %" in section
    table = report.metric_table(res, ["patient_responsibility_collection_rate", "npv_net_cash"]).data
    assert table.count("‡") == 2  # the cell and the note under the table
    assert "class=\"num outside\"" in table or "class=\"num best outside\"" in table
    assert "treat this as an extrapolation" in table


def test_the_search_treats_a_candidate_outside_as_infeasible_unless_told_otherwise():
    runs = [{"npv_net_cash": 1e6, "patient_responsibility_collection_rate": 0.68, "days_in_ar": 50.0}] * 3
    some = {"start_from": "combined", "variables": [{"path": "deposit.share", "low": 0.0, "high": 1.0}]}
    settings = SearchSettings(**some)
    goal = goal_for(settings, runs[0].keys())
    assert goal.envelope and not score(goal, runs).feasible
    inside = [dict(r, patient_responsibility_collection_rate=0.5) for r in runs]
    assert score(goal, inside).feasible
    relaxed = SearchSettings(**some, constraints={"within_reported_ranges": False})
    assert score(goal_for(relaxed, runs[0].keys()), runs).feasible
