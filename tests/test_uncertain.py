"""Uncertain assumptions (issue 11, item 1): the ``uncertain:`` section is validated like every
field, each replication draws every assumption once — the same value for every strategy, on any
worker count, with checkpoints and resume and with precision batches — and zero width reproduces
the file's numbers exactly."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from simlib.run import experiment, replication
from simlib.scenario.uncertain import central_value, draw_assumptions, quantile, set_parameter
from simlib.cli import main
from simlib.run.experiment import Results, run_experiment, run_replication
from simlib.scenario.schema import ScenarioError, load_scenario, scenario_from_dict
from simlib.core.rng import keyed_stream

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "parameters" / "baseline.yaml"
SMS = {"path": "channels.sms.jump_per_day", "label": "Text-message effect", "source": "test",
       "distribution": "lognormal", "median": 0.008, "sigma": 0.4}
DEPOSIT = {"path": "strategies.*.deposit.compliance_rate", "label": "Deposit compliance", "source": "test",
           "distribution": "beta", "a": 3, "b": 3, "low": 0.2, "high": 1.0}


def small_baseline(uncertain=None, encounters_per_day: float = 2.0) -> dict:
    """The baseline file with few encounters (every strategy and lever kept)."""
    d = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    d["simulation"].update(encounters_per_day=encounters_per_day, billing_window_days=120, horizon_days=240,
                           measurement_day=120, ar_window_days=30, workers=1)
    if uncertain is not None:
        d["uncertain"] = uncertain
    return d


def two_sms_strategies(uncertain) -> dict:
    d = small_baseline(uncertain)
    d["strategies"] = {k: d["strategies"][k] for k in ("letters_only", "sms_reminders", "combined")}
    return d


# --------------------------------------------------------------------------- drawing
def test_every_strategy_of_a_replication_sees_the_same_drawn_values(monkeypatch):
    sc = scenario_from_dict(two_sms_strategies([SMS, DEPOSIT]), "test")
    seen: dict[tuple[int, str], tuple[float, float]] = {}
    real_world = replication.World  # run_replication's module (simlib/run/replication.py)

    def recording_world(scen, name, pop, **kw):
        dep = scen.strategies["combined"].deposit.compliance_rate
        seen[(pop_replication[0], name)] = (scen.channels["sms"].jump_per_day, dep)
        return real_world(scen, name, pop, **kw)

    pop_replication = [0]
    monkeypatch.setattr(replication, "World", recording_world)
    for r in range(3):
        pop_replication[0] = r
        tables = run_replication(sc, r, seed=11)
        values = {(row.path): row.value for row in tables["assumptions"].itertuples()}
        per_strategy = {v for (rep, _), v in seen.items() if rep == r}
        assert per_strategy == {(values[SMS["path"]], values[DEPOSIT["path"]])}  # one world per replication
    draws = [v for (rep, name), v in seen.items() if name == "letters_only"]
    assert len(set(draws)) == 3  # and a new draw in every replication


def test_draws_are_the_same_on_one_or_two_workers_and_in_batches():
    sc = scenario_from_dict(two_sms_strategies([SMS, DEPOSIT]), "test")
    one = run_experiment(sc, replications=4, seed=5, workers=1)
    two = run_experiment(sc, replications=4, seed=5, workers=2)
    batches = run_experiment(sc, replications=2, seed=5, workers=2, precision=1e-12, max_replications=4)
    assert len(one.assumptions) == 4 * 2 and list(one.assumptions.columns) == ["replication", "path", "label", "value"]
    for other in (two, batches):
        for name in experiment.TABLES:
            pd.testing.assert_frame_equal(getattr(other, name), getattr(one, name), check_exact=True)
    # the draw of replication r is that of its own stream, whatever else the scenario declares
    alone = scenario_from_dict(two_sms_strategies([SMS]), "test")
    assert draw_assumptions(alone, 3, 5)[1][SMS["path"]] == \
        one.assumptions.query("replication == 3 and path == @SMS['path']")["value"].item()


def test_draws_are_the_inverse_cdf_at_the_assumptions_own_uniform():
    sc = scenario_from_dict(two_sms_strategies([SMS]), "test")
    drawn, values = draw_assumptions(sc, 7, 99)
    u = keyed_stream(99, 7, "assumptions", SMS["path"]).random()
    expected = stats.lognorm(0.4, scale=0.008).ppf(u)
    assert values == {SMS["path"]: pytest.approx(expected, rel=1e-12)}
    assert drawn.channels["sms"].jump_per_day == values[SMS["path"]] and drawn.uncertain == []
    assert sc.channels["sms"].jump_per_day == 0.008  # the scenario itself is unchanged


def test_without_uncertain_assumptions_the_scenario_is_used_as_it_is():
    sc = scenario_from_dict(small_baseline(), "test")
    sc = sc.model_copy(update={"uncertain": []})
    assert draw_assumptions(sc, 0, 1) == (sc, {})
    assert run_replication(sc, 0, 1)["assumptions"].empty


def test_zero_width_uncertainty_reproduces_the_files_numbers_exactly():
    """Uniform with low == high == the file's value on every assumption the baseline declares."""
    data = small_baseline()
    fixed = []
    plain = scenario_from_dict(copy.deepcopy({**data, "uncertain": []}), "test")
    for entry in data["uncertain"]:  # a multiplier (scale) is fixed at 1; joint numbers stay with it
        value = 1.0 if entry.get("scale") else {v for v in _values(plain, entry["path"])}.pop()
        fixed.append({"path": entry["path"], "label": entry["label"], "source": entry["source"],
                      "distribution": "uniform", "low": value, "high": value,
                      **{k: entry[k] for k in ("scale", "joint") if k in entry}})
    zero = scenario_from_dict({**data, "uncertain": fixed}, "test")
    a = run_experiment(plain, replications=2, seed=3)
    b = run_experiment(zero, replications=2, seed=3)
    for name in ("metrics", "curves", "aging"):
        pd.testing.assert_frame_equal(getattr(b, name), getattr(a, name), check_exact=True)
    assert len(b.assumptions) == 2 * len(fixed) and b.assumptions.groupby("path")["value"].nunique().eq(1).all()
    assert "vary both" not in b.headline()  # nothing varied: the runs vary only the patients


def _values(sc, path):
    from simlib.core.parameter_paths import values
    return values(sc.model_dump(), path)


# --------------------------------------------------------------------------- distributions
ENTRIES = [
    ({"distribution": "beta", "a": 2.0, "b": 5.0}, stats.beta(2.0, 5.0)),
    ({"distribution": "beta", "a": 3.0, "b": 3.0, "low": 0.2, "high": 1.0}, stats.beta(3.0, 3.0, loc=0.2, scale=0.8)),
    ({"distribution": "uniform", "low": 0.3, "high": 0.7}, stats.uniform(0.3, 0.4)),
    ({"distribution": "triangular", "low": 0.1, "mode": 0.5, "high": 0.6}, stats.triang(0.8, loc=0.1, scale=0.5)),
    # a rate's range 0–1 truncates the normal (5.7e-7 of it): scipy's own truncated normal
    ({"distribution": "normal", "mean": 0.5, "sd": 0.1}, stats.truncnorm(-5.0, 5.0, loc=0.5, scale=0.1)),
]


def _entry_scenario(params: dict, path: str = "strategies.*.deposit.compliance_rate"):
    sc = scenario_from_dict(small_baseline([{"path": path, "label": "x", "source": "y", **params}]), "test")
    return sc.uncertain[0]


@pytest.mark.parametrize("params, dist", ENTRIES, ids=[e[0]["distribution"] for e in ENTRIES])
def test_draws_follow_the_declared_distribution(params, dist):
    """4,000 seeded draws (one per replication, as the runs make them): Kolmogorov–Smirnov distance
    to scipy's cdf below the 1 % critical value 1.63/√n; quantiles equal scipy's ppf."""
    entry = _entry_scenario(params)
    n = 4000
    u = np.array([keyed_stream(2026, r, "assumptions", entry.path).random() for r in range(n)])
    draws = quantile(entry, u)
    assert stats.kstest(draws, dist.cdf).statistic < 1.63 / np.sqrt(n)
    q = np.array([0.01, 0.05, 0.5, 0.95, 0.99])
    np.testing.assert_allclose(quantile(entry, q), dist.ppf(q), rtol=1e-9)


def test_normal_and_lognormal_are_truncated_to_the_fields_range():
    normal = _entry_scenario({"distribution": "normal", "mean": 0.9, "sd": 0.2})
    trunc = stats.truncnorm((0.0 - 0.9) / 0.2, (1.0 - 0.9) / 0.2, loc=0.9, scale=0.2)
    q = np.linspace(0.001, 0.999, 41)
    np.testing.assert_allclose(quantile(normal, q), trunc.ppf(q), rtol=1e-9, atol=1e-12)
    assert central_value(normal) == pytest.approx(trunc.median())
    logn = _entry_scenario({"distribution": "lognormal", "median": 0.6, "sigma": 0.8})
    base = stats.lognorm(0.8, scale=0.6)
    x = quantile(logn, q)
    np.testing.assert_allclose(base.cdf(x) / base.cdf(1.0), q, rtol=1e-9)
    assert x.max() <= 1.0


def test_zero_width_forms_are_fixed_values():
    for params in ({"distribution": "uniform", "low": 0.6, "high": 0.6},
                   {"distribution": "normal", "mean": 0.6, "sd": 0.0},
                   {"distribution": "lognormal", "median": 0.6, "sigma": 0.0},
                   {"distribution": "triangular", "low": 0.6, "mode": 0.6, "high": 0.6}):
        entry = _entry_scenario(params)
        assert quantile(entry, np.array([0.0, 0.3, 0.999])).tolist() == [0.6, 0.6, 0.6]


# --------------------------------------------------------------------------- bad input
BAD = [
    ({**DEPOSIT, "distribution": "gamma"}, "uncertain.0.distribution: expected 'beta', 'uniform', 'triangular', "
                                           "'lognormal' or 'normal'; found 'gamma'"),
    ({k: v for k, v in DEPOSIT.items() if k != "b"}, "uncertain.0: expected the parameters of beta: a, b "
                                                    "(optional low, high); missing b"),
    ({**DEPOSIT, "mode": 0.5}, "expected the parameters of beta: a, b (optional low, high); found mode"),
    ({**DEPOSIT, "a": -1}, "uncertain.0.a: expected greater than 0; found -1"),
    ({**DEPOSIT, "low": 0.9, "high": 0.5}, "beta: expected low < high; found low 0.9, high 0.5"),
    ({**SMS, "sigma": 9}, "uncertain.0.sigma: expected less than or equal to 3"),
    ({**DEPOSIT, "high": 1.2}, "uncertain.0: expected a drawn range inside the allowed values of "
                               "strategies.deposit.deposit.compliance_rate (>= 0 and <= 1); found 0.2 to 1.2"),
    ({**DEPOSIT, "path": "strategies.*.deposit.complaince_rate"},
     "uncertain.0.path: expected a dotted path to a number of the scenario; "
     "strategies.*.deposit.complaince_rate matched no number"),
    ({**SMS, "path": "channel.sms.jump_per_day"}, "uncertain.0.path: expected a dotted path to a number of the "
                                                  "scenario; no parameter 'channel'"),
    ({**SMS, "path": "channels.*.jump_per_day"}, "expected numbers that are equal in the file"),
    ({**SMS, "path": "channels.sms.kind"}, "channels.sms.kind is not a number"),
    ({"path": "operations.billing_team.staff", "label": "x", "source": "y", "distribution": "uniform",
      "low": 1, "high": 3}, "uncertain.0.path: expected a continuous parameter"),
    ({"path": "payers.commercial.adjudication_days_mean", "label": "x", "source": "y", "distribution": "uniform",
      "low": 10, "high": 40}, "payers.commercial.adjudication_days_mean = 10 is refused (adjudication_days_mean "
                              "must be >= adjudication_days_min)"),
    ({**DEPOSIT, "distribution": "normal", "mean": 1.5, "sd": 0.1, "a": None, "b": None, "low": None,
      "high": None}, "uncertain.0.mean: expected a value >= 0 and <= 1"),
    ({**DEPOSIT, "label": ""}, "uncertain.0.label: expected"),
]


@pytest.mark.parametrize("entry, message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_entries_are_one_line_naming_file_entry_and_what_was_expected(entry, message):
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(small_baseline([entry]), "st_mary.yaml")
    text = str(err.value)
    assert text.count("\n") == 0 and text.startswith("st_mary.yaml: uncertain.0") and message in text, text


def test_two_entries_may_not_draw_the_same_number():
    both = [DEPOSIT, {**DEPOSIT, "path": "strategies.deposit.deposit.compliance_rate"}]
    with pytest.raises(ScenarioError, match=r"uncertain\.1\.path: expected each number in one entry only; "
                                            r"strategies\.deposit\.deposit\.compliance_rate is already"):
        scenario_from_dict(small_baseline(both), "x.yaml")
    with pytest.raises(ScenarioError, match=r"uncertain\.1\.path: expected each path once"):
        scenario_from_dict(small_baseline([SMS, SMS]), "x.yaml")


def test_validate_prints_one_line_and_exits_2(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(small_baseline([{**SMS, "distribution": "weibull"}])), encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "uncertain.0.distribution" in err and "weibull" in err


def test_a_path_below_star_that_no_strategy_uses_is_inactive():
    """The status quo alone: no strategy has a deposit or a phone team, so nothing is drawn for them."""
    data = small_baseline()
    data["strategies"] = {"letters_only": data["strategies"]["letters_only"]}
    sc = scenario_from_dict(data, "test")
    _, drawn = draw_assumptions(sc, 0, 1)
    # the attrition after a complaint (issue 19) and the world's assumptions (issue 25) are the
    # hospital's, drawn whatever the strategies; the levers' are not
    world = {e["path"] for e in data["uncertain"] if not e["path"].startswith("strategies.")}
    assert {"behaviour.discount_uplift_max", "channels.sms.jump_per_day", "channels.call.jump_per_day",
            "harm.attrition_per_complaint", "behaviour.decay_per_day", "operations.*.cost_per_hour"} <= world
    assert set(drawn) == world
    drawn_sc, _ = draw_assumptions(sc, 0, 1)  # the staff pay's joint phone-team path is inactive too
    assert drawn_sc.harm.cost_per_complaint != sc.harm.cost_per_complaint


def test_set_parameter_returns_a_revalidated_copy():
    sc = scenario_from_dict(small_baseline(), "test")
    changed = set_parameter(sc, "strategies.*.deposit.compliance_rate", 0.25)
    assert changed.strategies["deposit"].deposit.compliance_rate == 0.25
    assert changed.strategies["combined"].deposit.compliance_rate == 0.25
    assert sc.strategies["deposit"].deposit.compliance_rate == 0.6
    with pytest.raises(ScenarioError) as err:
        set_parameter(sc, "strategies.*.deposit.compliance_rate", 1.5)
    assert str(err.value).count("\n") == 0 and "compliance_rate = 1.5: refused" in str(err.value)


# --------------------------------------------------------------------------- results and checkpoints
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_assumptions_table_is_saved_and_loaded(tmp_path, fmt):
    sc = scenario_from_dict(two_sms_strategies([SMS, DEPOSIT]), "test")
    res = run_experiment(sc, replications=2, seed=1)
    res.save(tmp_path / "r", fmt=fmt)
    back = Results.load(tmp_path / "r")
    pd.testing.assert_frame_equal(back.assumptions, res.assumptions, check_exact=True)
    assert back.scenario.uncertain == res.scenario.uncertain


def test_a_resumed_run_keeps_the_assumptions_table(tmp_path):
    sc = scenario_from_dict(two_sms_strategies([SMS, DEPOSIT]), "test")
    whole = run_experiment(sc, replications=4, seed=8)
    ck = tmp_path / "ck"
    run_experiment(sc, replications=2, seed=8, checkpoint=ck)
    assert all((ck / f"rep-{r:06d}" / "assumptions.parquet").exists() for r in (0, 1))
    resumed = run_experiment(sc, replications=4, seed=8, checkpoint=ck, resume=True)
    assert resumed.provenance["resumed_replications"] == 2
    for name in experiment.TABLES:
        pd.testing.assert_frame_equal(getattr(resumed, name), getattr(whole, name), check_exact=True)


def test_a_changed_distribution_is_a_different_run_for_resume(tmp_path):
    sc = scenario_from_dict(two_sms_strategies([SMS]), "test")
    run_experiment(sc, replications=2, seed=8, checkpoint=tmp_path / "ck")
    wider = scenario_from_dict(two_sms_strategies([{**SMS, "sigma": 0.6}]), "test")
    with pytest.raises(ScenarioError, match="scenario_hash"):
        run_experiment(wider, replications=2, seed=8, checkpoint=tmp_path / "ck", resume=True)


def test_the_shipped_baseline_declares_its_unsourced_assumptions():
    sc = load_scenario(BASELINE)
    paths = {e.path for e in sc.uncertain}
    assert {"strategies.*.deposit.compliance_rate", "behaviour.discount_uplift_max", "channels.sms.jump_per_day",
            "channels.call.jump_per_day", "strategies.*.phone_team.right_party_contact_rate"} <= paths
    plain = sc.model_dump()
    for e in sc.uncertain:  # centred on the file's value, with a source and a label for the board:
        # its median, or a triangular's mode (the most likely value); a multiplier (scale) is centred on 1
        v = 1.0 if e.scale else _values(sc, e.path)[0]
        if e.distribution == "triangular":
            assert e.mode == v, e.path
            assert e.quantile(0.05) < v < e.quantile(0.95) or v == e.low
        else:
            assert central_value(e) == pytest.approx(v, rel=1e-6), e.path
            assert e.quantile(0.05) < v < e.quantile(0.95)
        assert e.source and e.label and e.label[0].isupper()
    assert plain["uncertain"][0].keys() >= {"path", "label", "source", "distribution"}


def test_dask_draws_the_same_assumptions_as_local_processes():
    distributed = pytest.importorskip("distributed")
    sc = scenario_from_dict(two_sms_strategies([SMS, DEPOSIT]), "test")
    local = run_experiment(sc, replications=3, seed=21, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        remote = run_experiment(sc, replications=3, seed=21, scheduler=cluster.scheduler_address)
    for name in experiment.TABLES:
        pd.testing.assert_frame_equal(getattr(remote, name), getattr(local, name), check_exact=True)


def test_the_example_of_docs_uncertainty_md_is_a_valid_section():
    text = (ROOT / "docs" / "uncertainty.md").read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    sc = scenario_from_dict(small_baseline(yaml.safe_load(block)["uncertain"]), "docs/uncertainty.md")
    assert [e.path for e in sc.uncertain] == ["strategies.*.deposit.compliance_rate", "channels.sms.jump_per_day"]


def test_set_parameter_fixes_an_uncertain_assumption_so_the_runs_use_the_value():
    sc = scenario_from_dict(two_sms_strategies([SMS, DEPOSIT]), "test")
    fixed = set_parameter(sc, "channels.sms.jump_per_day", 0.02)
    assert [e.path for e in fixed.uncertain] == [DEPOSIT["path"]]
    drawn, values = draw_assumptions(fixed, 0, 1)
    assert drawn.channels["sms"].jump_per_day == 0.02 and set(values) == {DEPOSIT["path"]}
    one = set_parameter(sc, "strategies.combined.deposit.compliance_rate", 0.3)  # part of an entry: dropped
    assert [e.path for e in one.uncertain] == [SMS["path"]]


def test_a_failed_section_is_reported_once_not_again_through_its_uncertain_entry():
    data = small_baseline([SMS, DEPOSIT])
    data["channels"] = {"sms": {"reach": 2.0}}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, "x.yaml")
    assert str(err.value) == "x.yaml: channels.sms.reach: expected less than or equal to 1; found 2.0"
