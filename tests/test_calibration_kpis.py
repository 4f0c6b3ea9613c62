"""`simlib calibrate kpis`: fitting behaviour parameters to aggregate KPIs by simulation.

Fast tests use the one-payer scenario of conftest (no contacts, no floor, $500 balances, no
propensity noise), whose share paid by day t is the closed form 1 − exp(−(λ0/κ)(1 − e^(−κt))):
a fit of λ0 to a collection-rate target can be checked against theory. The slow test recovers two
perturbed parameters of the scaled-down baseline. Every run is seeded.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import tiny
from simlib.analysis.summaries import summarize
from simlib.calibration.kpis import (KpiCalibrationError, calibrate_kpis, kpi_scenario_data, parse_target,
                                     with_values)
from simlib.cli import main
from simlib.scenario.schema import load_scenario, scenario_from_dict

BASELINE = Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml"
HORIZON, KAPPA = 200.0, 0.04  # conftest.tiny: horizon_days, decay_per_day


def _closed_form_initial(share_paid: float) -> float:
    """λ0 at which a share ``share_paid`` of conftest.tiny's patients has paid by the horizon."""
    return -KAPPA * math.log(1 - share_paid) / (1 - math.exp(-KAPPA * HORIZON))


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny(simulation={"open_book_accounts": 1000})))
    return path


def _kpis(tiny_file, tmp_path, *args):
    return main(["calibrate", "kpis", str(tiny_file), "--out", str(tmp_path / "fitted.yaml"),
                 "--replications", "4", "--seed", "3", *args])


# --------------------------------------------------------------------------- fits
def test_one_parameter_fit_meets_the_closed_form(tiny_file, tmp_path, capsys):
    assert _kpis(tiny_file, tmp_path, "--target", "patient_collection_rate=0.6",
                 "--param", "behaviour.initial_per_day=0.015") == 0
    out = capsys.readouterr().out
    assert "patient_collection_rate" in out and "converged" in out
    written = yaml.safe_load((tmp_path / "fitted.yaml").read_text())
    fitted = written["behaviour"]["initial_per_day"]
    record = written["calibration"]
    kpi = record["kpis"]["patient_collection_rate"]
    assert kpi["met"] and kpi["ci95"][0] <= 0.6 <= kpi["ci95"][1]
    assert kpi["residual"] == pytest.approx(kpi["achieved"] - 0.6)
    assert record["parameters"]["behaviour.initial_per_day"]["fitted"] == fitted
    # theory: 1000 accounts x 4 replications, the share paid has sd ~ 0.008, so the fit's
    # Monte Carlo 95 % interval (about ±3 % of λ0) must hold the closed-form λ0 (0.03666).
    lo, hi = record["parameters"]["behaviour.initial_per_day"]["monte_carlo_ci95"]
    assert lo <= _closed_form_initial(0.6) <= hi
    assert hi / lo < 1.15
    # the fitted block is a valid behaviour block: it replaces the scenario's and still validates
    data = yaml.safe_load(tiny_file.read_text())
    assert scenario_from_dict({**data, "behaviour": written["behaviour"]}).behaviour.initial_per_day == fitted


def test_the_fit_is_deterministic_and_changes_nothing_else(tiny_file):
    sc = load_scenario(tiny_file)
    a = calibrate_kpis(sc, {"patient_collection_rate": 0.5}, ["behaviour.initial_per_day=0.05"],
                       replications=3, seed=11)
    b = calibrate_kpis(sc, {"patient_collection_rate": 0.5}, ["behaviour.initial_per_day=0.05"],
                       replications=3, seed=11)
    assert a.fitted == b.fitted and a.kpis == b.kpis and a.ok
    unchanged = {k: v for k, v in a.blocks["behaviour"].items() if k != "initial_per_day"}
    assert unchanged == {k: v for k, v in sc.behaviour.model_dump(mode="json").items() if k != "initial_per_day"}


def test_an_unreachable_target_is_exit_1_and_still_written(tiny_file, tmp_path, capsys):
    # λ0 ≤ 0.03 × 2 pays at most 1 − exp(−1.5) = 78 % by the horizon: 99 % cannot be reached
    assert _kpis(tiny_file, tmp_path, "--target", "patient_collection_rate=0.99",
                 "--param", "behaviour.initial_per_day", "--bounds-factor", "2") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not reached" in err and "behaviour.initial_per_day" in err
    written = yaml.safe_load((tmp_path / "fitted.yaml").read_text())
    assert written["behaviour"]["initial_per_day"] == pytest.approx(0.06, rel=1e-3)  # the upper end
    assert written["calibration"]["targets_met"] is False
    # an interval over seeds means nothing for a parameter held at an end of its range
    assert written["calibration"]["parameters"]["behaviour.initial_per_day"]["monte_carlo_ci95"] is None


def test_an_optimiser_out_of_evaluations_is_exit_1_and_writes_the_best_point(tiny_file, tmp_path, capsys):
    assert _kpis(tiny_file, tmp_path, "--target", "patient_collection_rate=0.6",
                 "--param", "behaviour.initial_per_day=0.01", "--max-evaluations", "2") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "did not converge" in err and "--max-evaluations 2" in err
    record = yaml.safe_load((tmp_path / "fitted.yaml").read_text())["calibration"]
    assert record["converged"] is False and record["evaluations"] >= 2
    assert "patient_collection_rate" in record["kpis"]


# --------------------------------------------------------------------------- bad input: exit 2, one line
@pytest.mark.parametrize("args, words", [
    (["--target", "aged_over_90=0.25"], ["unknown KPI 'aged_over_90' (did you mean ar_over_90_share?)", "days_in_ar"]),
    (["--target", "days_in_ar"], ["expected NAME=VALUE"]),
    (["--target", "days_in_ar=soon"], ["days_in_ar", "expected a number", "'soon'"]),
    (["--target", "ar_over_90_share=25"], ["ar_over_90_share", "[0, 1]", "found 25", "0.25"]),
    (["--target", "days_in_ar=-3"], ["days_in_ar", "[0, inf]", "found -3"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.initial_per_da"],
     ["behaviour.initial_per_da", "unknown parameter", "no field 'initial_per_da'", "initial_per_day"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behavior.initial_per_day"],
     ["behavior.initial_per_day", "unknown parameter", "behaviour"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.full_payment"],
     ["behaviour.full_payment", "expected a real-valued field", "'always'"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour"],
     ["--param behaviour", "expected a real-valued field", "block"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.max_payments"],
     ["behaviour.max_payments", "expected a real-valued field", "whole number", "(12)"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.floor_per_day"],
     ["behaviour.floor_per_day", "must be > 0", "found 0"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.decay_per_day=fast"],
     ["behaviour.decay_per_day", "starting value", "'fast'"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.partial_fraction_min=2"],
     ["behaviour.partial_fraction_min", "above the field's upper limit 1"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.initial_per_day",
      "--param", "behaviour.decay_per_day"], ["2 parameters but 1 targets"]),
    (["--target", "patient_collection_rate=0.5", "--param", "behaviour.initial_per_day",
      "--param", "behaviour.initial_per_day=0.1", "--target", "bad_debt_rate=0.1"], ["given twice"]),
    (["--target", "patient_collection_rate=0.5", "--target", "patient_collection_rate=0.4"], ["given twice"]),
    (["--target", "patient_collection_rate=0.5", "--param", "payers.self_pay.share"],
     ["payers.self_pay.share", "search range", "shares must sum to 1"]),
    (["--target", "patient_collection_rate=0.5", "--strategy", "calls"], ["unknown strategy 'calls'", "none"]),
    (["--target", "patient_collection_rate=0.5", "--replications", "1"], ["--replications", "found 1"]),
    (["--target", "patient_collection_rate=0.5", "--bounds-factor", "1"], ["--bounds-factor", ">= 1.1", "found 1"]),
    (["--target", "patient_collection_rate=0.5", "--encounters-per-day", "-5"], ["--encounters-per-day", "> 0"]),
    ([], ["--target", "give at least one"]),
    # need a simulation to find out (cheap here): a KPI the strategy does not produce, a dead parameter
    (["--target", "days_in_ar=50"], ["days_in_ar", "does not produce this KPI"]),
    (["--target", "patient_collection_rate=0.5", "--param", "finance.cost_of_capital_annual"],
     ["finance.cost_of_capital_annual", "changes none of the targets", "patient_collection_rate"]),
])
def test_bad_input_is_one_line_and_exit_2(tiny_file, tmp_path, capsys, args, words):
    assert _kpis(tiny_file, tmp_path, *args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("simlib calibrate kpis: error:"), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert not (tmp_path / "fitted.yaml").exists()


def test_bad_files_are_one_line_and_exit_2(tmp_path, tiny_file, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\npayers: {}\nstrategies: {a: {}}\nbehaviour: {initial_per_day: -1}\n")
    assert main(["calibrate", "kpis", str(broken), "--target", "days_in_ar=50",
                 "--out", str(tmp_path / "f.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "broken.yaml" in err and "behaviour.initial_per_day" in err
    assert main(["calibrate", "kpis", str(tiny_file), "--target", "days_in_ar=50",
                 "--out", str(tmp_path / "no" / "f.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--out" in err and "does not exist" in err


def test_parse_target_lists_every_known_kpi():
    with pytest.raises(KpiCalibrationError) as exc:
        parse_target("days_to_pay=3")
    assert "npv_net_cash" in str(exc.value) and "ar_over_90_share" in str(exc.value)
    assert parse_target("npv_net_cash=-1e6") == ("npv_net_cash", -1e6)  # amounts may be negative
    assert parse_target(" cost_to_collect =1.5") == ("cost_to_collect", 1.5)  # a ratio, not a share


# --------------------------------------------------------------------------- recovery (slow)
@pytest.mark.slow
def test_recovers_two_perturbed_baseline_parameters():
    """Scaled-down baseline (20 encounters a day, 4 replications, seed 5): KPIs at the shipped
    λ0 and κ (0.085 and 0.04 since issue 25's re-fit on Kodiak's definition; 0.036 before) become the
    targets; the fit starts from λ0 = 0.02, κ = 0.06 (−76 %, +50 %) and must return each within 5 %.

    With the same seed and replications the truth is an exact zero of the objective, so the only
    error is the objective's resolution: KPIs move in steps of about 5e-4 of each KPI at this scale
    (an account's payment crossing the measurement day, day 60 or the horizon). The A/R KPIs and
    the collection rate move only ≈ 0.01 per unit log-parameter along the ridge (both rates up
    together, direction (0.87, 0.49)), so alone they resolve it to ≈ 5e-4 ÷ 0.01 ≈ 5 % per step
    and stopped 10 % low (issue 25). ``patient_collected_60_days`` moves 0.28 per unit along it
    (how fast patients pay against how much): resolution ≈ 0.2 %. Measured: seed 5 within 0.2 %,
    seeds 1, 2, 3, 7 in docs/calibration.md §8. The Monte Carlo interval (another seed) must hold
    the truth.
    """
    sc = load_scenario(BASELINE)
    data, _ = kpi_scenario_data(sc, None, 20)
    truth = {"behaviour.initial_per_day": sc.behaviour.initial_per_day,
             "behaviour.decay_per_day": sc.behaviour.decay_per_day}
    assert all(abs(math.log(v / s)) > math.log(1.4)       # the start is far from the truth
               for v, s in zip(truth.values(), (0.02, 0.06)))
    from simlib.run.experiment import run_experiment
    res = run_experiment(with_values(data, [], []), replications=4, seed=5, workers=1)
    names = ["days_in_ar", "ar_over_90_share", "patient_collection_rate", "patient_collected_60_days"]
    targets = summarize(res.metrics).set_index("metric").loc[names, "mean"].to_dict()
    fit = calibrate_kpis(sc, targets, ["behaviour.initial_per_day=0.02", "behaviour.decay_per_day=0.06"],
                         replications=4, seed=5, encounters_per_day=20, workers=1)
    assert fit.ok, fit.message
    for path, true in truth.items():
        assert abs(math.log(fit.fitted[path] / true)) <= math.log(1.05), (path, fit.fitted[path])
        lo, hi = fit.fitted_ci95[path]
        assert lo <= true <= hi
    rel = np.array([k["relative_residual"] for k in fit.kpis.values()])
    assert np.all(np.abs(rel) < 5e-3), rel


def test_the_readme_reproduction_command_is_accepted(tmp_path, capsys):
    """The README's command, run tiny (2 encounters a day, 2 replications, 1 simulation allowed):
    its targets and parameters are valid, it writes fitted.yaml and reports non-convergence."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split(".venv/bin/simlib calibrate kpis ", 1)[1].split("```", 1)[0]
    argv = block.replace("\\\n", " ").split()
    assert argv[0] == "parameters/baseline.yaml" and "--target" in argv and "--param" in argv
    argv[0] = str(BASELINE)
    argv[argv.index("--out") + 1] = str(tmp_path / "fitted_baseline.yaml")
    code = main(["calibrate", "kpis", *argv, "--encounters-per-day", "2", "--replications", "2",
                 "--workers", "1", "--max-evaluations", "1"])
    assert code == 1 and "did not converge" in capsys.readouterr().err
    record = yaml.safe_load((tmp_path / "fitted_baseline.yaml").read_text())["calibration"]
    assert set(record["kpis"]) == {"days_in_ar", "ar_over_90_share", "patient_collection_rate"}
    start = next(a.split("=", 1)[1] for a in argv if a.startswith("behaviour.initial_per_day="))
    assert record["parameters"]["behaviour.initial_per_day"]["start"] == float(start)
