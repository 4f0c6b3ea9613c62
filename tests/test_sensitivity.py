"""Sensitivity of the ranking: factors from the file and from the levers, the base case taken from
the main run, the tornado against the runner-up, one-line errors for bad factors."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml

matplotlib.use("Agg")

from simlib.core.ranges import Range
from simlib import report  # noqa: E402

from simlib.report import plots
from simlib.studies import sensitivity as sens  # noqa: E402
from simlib.analysis.decision import decide, decision_metric  # noqa: E402
from simlib.run.experiment import run_experiment  # noqa: E402
from simlib.scenario.schema import load_scenario, scenario_from_dict  # noqa: E402
from simlib.core.settings import ScenarioError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "parameters" / "baseline.yaml"


def small_baseline(path: Path, sensitivity: dict | None = None, **simulation) -> Path:
    """The shipped baseline, shrunk to run in well under a second per replication."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update({"encounters_per_day": 3, "billing_window_days": 60, "horizon_days": 240,
                               "measurement_day": 120, "ar_window_days": 60, "replications": 3,
                               "workers": 1, **simulation})
    if sensitivity is not None:
        data["sensitivity"] = sensitivity
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_factor_settings_are_applied_and_revalidated(tmp_path):
    scen = load_scenario(small_baseline(tmp_path / "t.yaml"))
    denial = Range("denials", "payers.*.initial_denial_rate", 0.5, 20.0, upper=1.0)
    high = sens.modified(scen, denial, "high")
    assert all(p.initial_denial_rate == 1.0 for p in high.payers.values())  # capped
    low = sens.modified(scen, denial, "low")
    assert low.payers["commercial"].initial_denial_rate == pytest.approx(0.075)
    coc = Range("coc", "finance.cost_of_capital_annual", 0.04, 0.12, mode="set")
    assert sens.modified(scen, coc, "high").finance.cost_of_capital_annual == 0.12
    assert sens.modified(scen, coc, 0.05).finance.cost_of_capital_annual == 0.05  # any setting
    assert (coc.setting_label("low"), denial.setting_label("high")) == ("4 %", "×20")
    assert scen.finance.cost_of_capital_annual == 0.08  # the original is untouched
    with pytest.raises(sens.SensitivityError, match="no parameter 'initial_per_dya'"):
        sens.modified(scen, Range("x", "behaviour.initial_per_dya", 0.5, 2), "low")
    with pytest.raises(sens.SensitivityError, match="ref at ×0: behaviour.balance_ref: expected"):
        sens.modified(scen, Range("ref", "behaviour.balance_ref", 0.0, 2), "low")
    two = sens.two_strategy_scenario(scen, "sms_reminders", "letters_only")
    assert list(two.strategies) == ["letters_only", "sms_reminders"]
    assert two.baseline_strategy == "letters_only"


def test_sweep_is_reproducible_and_sorted(tmp_path):
    scen = load_scenario(small_baseline(tmp_path / "t.yaml", encounters_per_day=2))
    factors = (Range("Cost of capital", "finance.cost_of_capital_annual", 0.0, 0.5, mode="set"),
               Range("Reminder effect", "channels.*.jump_per_day", 0.0, 3.0))
    kwargs = dict(replications=2, strategy="sms_reminders", baseline="letters_only")
    a = sens.sweep(scen, factors, **kwargs)
    b = sens.sweep(scen, factors, **kwargs)
    pd.testing.assert_frame_equal(a, b)  # same seed, same numbers (common random numbers)
    assert list(a.columns) == ["parameter", "path", "low_label", "high_label", "low_value", "high_value",
                               "base_value", "flips"]
    swings = (a["high_value"] - a["low_value"]).abs()
    assert swings.is_monotonic_decreasing
    assert a.attrs["strategy"] == "sms_reminders" and a.attrs["baseline"] == "letters_only"
    sign = np.sign(a["base_value"])
    assert list(a["flips"]) == list((np.sign(a["low_value"]) != sign) | (np.sign(a["high_value"]) != sign))
    html = report.sensitivity_section(a).data
    assert "Gain at each setting" in html and "SMS reminders" in html and "sms_reminders" not in html


def test_base_case_is_the_main_run(tmp_path):
    """The gain with the scenario's values is the main run's; a setting adds the change measured on
    the main run's own first runs (a fresh two-strategy run of them gives the same numbers)."""
    scen = load_scenario(small_baseline(tmp_path / "t.yaml", encounters_per_day=4))
    run = run_experiment(scen, replications=4, progress=False)
    main, strategy, against = run.metrics, run.decision.strategy, run.decision.runner_up
    full = sens.gain(main, strategy, against)
    first = sens.gain(main[main["replication"] < 2], strategy, against)
    curve = sens.PairedGain(scen, strategy, against, replications=2, main=main)
    assert curve.base == full and curve.offset == pytest.approx(full - first)
    assert curve.evaluations == 0  # the base case is not run again
    assert curve._gains([scen])[0] == pytest.approx(first, abs=1e-6)  # CRN: the main run's first runs
    coc = Range("Cost of capital", "finance.cost_of_capital_annual", 0.02, 0.2, mode="set")
    table = sens.sweep(scen, [coc], 2, strategy=strategy, baseline=against, main=main)
    assert table["base_value"].iloc[0] == full  # one figure for the base gain: the main run's
    alone = sens.PairedGain(scen, strategy, against, replications=2)
    assert alone.at(coc, 0.2) - alone.base == pytest.approx(table["high_value"].iloc[0] - full, abs=1e-6)


def test_the_decision_ranks_on_the_decision_metric():
    rows = [(r, s, m, v) for r in range(3) for s, v in (("a", 1.0), ("b", 3.0), ("c", 2.0))
            for m, v in (("npv_net_cash", v), ("npv_after_liquidity", -v))]
    metrics = pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"])
    assert decision_metric(metrics) == "npv_after_liquidity"
    pair = lambda d: (d.strategy, d.runner_up)  # noqa: E731
    assert pair(decide(metrics, "a")) == ("a", "c")  # after liquidity, a is best
    assert pair(decide(metrics, "a", metric="npv_net_cash")) == ("b", "c")
    plain = metrics[metrics["metric"] == "npv_net_cash"]
    assert decision_metric(plain) == "npv_net_cash" and pair(decide(plain, "b")) == ("b", "c")


def test_defaults_include_the_top_two_strategies_lever_assumptions():
    scen = load_scenario(BASELINE)
    paths = [f.path for f in sens.scenario_factors(scen, ["combined", "deposit"])]
    uncertain = [u.path for u in scen.uncertain]  # the baseline's uncertain assumptions come first
    assert paths[:len(uncertain)] == uncertain  # combined uses every lever they name
    assert {f.path for f in sens.DEFAULT_FACTORS} <= set(paths)
    for path in ("strategies.*.deposit.compliance_rate", "strategies.*.phone_team.right_party_contact_rate",
                 "behaviour.discount_uplift_max", "behaviour.due_date_jump_per_day"):
        assert path in paths
    assert len(paths) == len(set(paths))  # the ladder's channel effect is the default factor's
    plain = [f.path for f in sens.scenario_factors(scen, ["sms_reminders", "letters_only"])]
    assert "strategies.*.deposit.compliance_rate" not in plain and "behaviour.due_date_jump_per_day" not in plain
    deposit = next(f for f in sens.scenario_factors(scen, ["deposit", "letters_only"])
                   if f.path.endswith("compliance_rate"))
    high = deposit.value_at(0.6, deposit.high)  # the uncertain range's 99 % quantile (set mode)
    assert deposit.mode == "set" and 0.6 < high <= 1.0
    assert sens.modified(scen, deposit, "high").strategies["deposit"].deposit.compliance_rate == pytest.approx(high)
    assert sens.modified(scen, deposit, "high").strategies["combined"].deposit.compliance_rate == pytest.approx(high)
    # every declared assumption names a real setting of its lever's section
    from simlib.levers import registered_levers

    for key, lever in registered_levers().items():
        for a in lever.assumptions:
            if "." not in a.setting:
                assert a.setting in lever.settings.__args__[0].model_fields, (key, a.setting)


def test_an_optional_lever_setting_left_unset_is_not_swept():
    """The operations scenario's targeted discount leaves the score's ``noise_sd`` unset (the
    patients' score noise): its sensitivity sweep failed ("matched no parameter") whenever that
    strategy was the recommendation or the runner-up; set, the factor is swept."""
    scen = load_scenario(ROOT / "parameters" / "operations.yaml")
    pair = ["targeted_discount", scen.baseline_strategy]
    paths = [f.path for f in sens.scenario_factors(scen, pair)]
    assert "strategies.*.targeted_offer.noise_sd" not in paths
    assert not sens.check_factors(scen, sens.scenario_factors(scen, pair))
    data = scen.model_dump(mode="json")
    data["strategies"]["targeted_discount"]["targeted_offer"].update(score="contact_response", noise_sd=0.6)
    noisy = scenario_from_dict(data, "noisy")
    factors = sens.scenario_factors(noisy, pair)
    assert "strategies.*.targeted_offer.noise_sd" in [f.path for f in factors]
    assert not sens.check_factors(noisy, factors)


def test_factors_listed_in_the_file(tmp_path):
    section = {"replications": 1, "lever_assumptions": False, "flip_points": 1, "factors": [
        {"path": "strategies.*.deposit.compliance_rate", "label": "Deposit compliance", "low": 0.2,
         "high": 0.9, "mode": "set"}]}
    scen = load_scenario(small_baseline(tmp_path / "t.yaml", sensitivity=section))
    factors = sens.scenario_factors(scen, ["combined", "deposit"])
    # the file's factor first (it wins over the uncertain range of the same path), then the uncertain ones
    assert factors[0] == Range("Deposit compliance", "strategies.*.deposit.compliance_rate", 0.2, 0.9, "set")
    assert [f.path for f in factors[1:]] == [u.path for u in scen.uncertain if u.path != factors[0].path]
    section["lever_assumptions"] = True
    scen = load_scenario(small_baseline(tmp_path / "t.yaml", sensitivity=section))
    assert len(sens.scenario_factors(scen, ["combined", "deposit"])) > 1
    # restricted to two strategies, the section (whose paths may name others) is dropped
    assert sens.two_strategy_scenario(scen, "calls", "letters_only").sensitivity is None


@pytest.mark.parametrize("factor, expected", [
    ({"path": "strategies.*.deposit.compliance_rat", "label": "D", "low": 0.2, "high": 0.9},
     "sensitivity: factors.0.path (D): strategies.*.deposit.compliance_rat: matched no parameter"),
    ({"path": "behaviour.initial_per_dya", "label": "P", "low": 0.5, "high": 2},
     "sensitivity: factors.0.path (P): behaviour.initial_per_dya: no parameter 'initial_per_dya'"),
    ({"path": "behaviour..x", "label": "P", "low": 0.5, "high": 2},
     "sensitivity.factors.0.path: expected a dotted path of names or *"),
    ({"path": "behaviour.initial_per_day", "label": "P", "low": 2, "high": 0.5},
     "sensitivity.factors.0: low must be below high; found low 2, high 0.5"),
    ({"path": "behaviour.initial_per_day", "label": "P", "low": 0.5, "high": 2, "mod": "set"},
     "sensitivity.factors.0.mod: unknown field"),
])
def test_bad_factors_are_one_line_errors_naming_file_and_field(tmp_path, factor, expected):
    path = small_baseline(tmp_path / "bad.yaml", sensitivity={"factors": [factor]})
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert len(err.value.problems) == 1
    message = str(err.value)
    assert message.startswith(f"{path}: {expected}") and "\n" not in message


def test_a_setting_outside_a_fields_range_stops_the_build_before_any_run(tmp_path):
    section = {"factors": [{"path": "strategies.*.deposit.compliance_rate", "label": "Deposit compliance",
                            "low": 0.2, "high": 1.5, "mode": "set"}]}
    path = small_baseline(tmp_path / "bad.yaml", sensitivity=section)
    with pytest.raises(report.ReportError) as err:
        report.build_reports([path], out_dir=tmp_path / "out", log=lambda *a: None)
    assert (f"{path}: sensitivity.factors.0: Deposit compliance at 150 %: "
            "strategies.deposit.deposit.compliance_rate: expected less than or equal to 1; found 1.5") in str(err.value)
    assert not (tmp_path / "out" / "bad").exists()


def test_tornado_shows_the_gain_over_the_runner_up_and_marks_flips():
    table = pd.DataFrame({"parameter": ["Deposit compliance", "Cost of capital"],
                          "low_label": ["×0.5", "4 %"], "high_label": ["×1.5", "12 %"],
                          "low_value": [-2e4, 3.0e4], "high_value": [9e4, 3.5e4], "base_value": [3.2e4] * 2})
    fig = plots.tornado(table, against="“Deposit at service”")
    ax = fig.axes[0]
    ticks = [t.get_text() for t in sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])]
    assert ticks[0].replace("\n", " ") == "Deposit compliance — flips" and ticks[1] == "Cost of capital"
    assert ax.get_xlabel() == "Gain over “Deposit at service” ($)"
    assert any(line.get_xdata()[0] == 0 and line.get_linestyle() == "--" for line in ax.get_lines())
    assert "Deposit compliance (flips the ranking)" in fig.simlib_alt
    held = plots.tornado(table.assign(low_value=[1e4, 3e4]))
    assert not any("flips" in t.get_text() for t in held.axes[0].get_yticklabels())
    assert not any(line.get_xdata()[0] == 0 for line in held.axes[0].get_lines())


def test_scenario_without_a_section_validates_as_before():
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    assert scenario_from_dict(data, "b").sensitivity is None
