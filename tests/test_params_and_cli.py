"""Scenario files: clear errors (file, field path, expected, found), no tracebacks; the CLI."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simlib.cli import main
from simlib.scenario.schema import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BAD = """\
name: bad
simulation: {horizon_days: -5, replicatons: 3}
payers:
  medicare: {share: 0.7, allowed_median: 100}
  self_pay: {share: 0.2, allowed_median: abc}
strategies:
  a:
    prompt_pay_discount: {rate: 1.5, window_days: 30}
"""
CROSS = """\
name: cross
payers:
  medicare: {share: 0.7, allowed_median: 100}
strategies:
  a:
    ladder: [{day: 3, channel: fax}, {day: 4, channel: call}]
    prompt_pay_discount: {rate: 0.1, window_days: 30, eligible_payers: [aetna]}
    phone_team: {hours: [7, 12]}
    contact_limits: {quiet_hours: [21, 8]}
"""


@pytest.mark.parametrize("path", sorted((ROOT / "parameters").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_parameter_files_are_valid(path):
    load_scenario(path)


def test_every_field_error_is_reported_with_path_expected_and_found(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(BAD)
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert err.value.problems == [
        "simulation.horizon_days: expected greater than 0; found -5",
        "simulation.replicatons: unknown field (typo?); found 3",
        "payers.self_pay.allowed_median: expected a valid number, unable to parse string as a number; found 'abc'",
        "strategies.a.prompt_pay_discount.rate: expected less than 1; found 1.5",
    ]
    assert all(line.startswith(str(f)) for line in str(err.value).splitlines())


def test_every_cross_field_error_is_reported(tmp_path):
    f = tmp_path / "cross.yaml"
    f.write_text(CROSS)
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    text = "\n".join(err.value.problems)
    assert "payers: shares must sum to 1; found 0.7000" in text
    assert "strategies.a.ladder.0.channel: expected one of" in text and "found 'fax'" in text
    assert "found unknown ['aetna']" in text
    assert "strategies.a.phone_team.hours: calls would fall in the quiet hours" in text


def test_yaml_syntax_error_names_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("name: x\n  bad: [\n")
    with pytest.raises(ScenarioError, match=r"not valid YAML at line 2"):
        load_scenario(f)


def test_validate_command_prints_every_problem_without_traceback(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(BAD)
    proc = subprocess.run([sys.executable, "-m", "simlib", "validate", str(f),
                           str(ROOT / "parameters" / "baseline.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2  # bad input
    assert "Traceback" not in proc.stderr
    assert f"{f}: 4 problems" in proc.stderr
    assert "simulation.replicatons: unknown field" in proc.stderr
    assert "baseline.yaml: OK" in proc.stdout


def test_run_command_writes_tables_parameters_and_provenance(tmp_path):
    sc = load_scenario(ROOT / "parameters" / "baseline.yaml").model_dump(mode="json")
    sc["simulation"].update(encounters_per_day=2, billing_window_days=120, horizon_days=300,
                            measurement_day=120, ar_window_days=60, workers=1)
    import yaml
    f = tmp_path / "small.yaml"
    f.write_text(yaml.safe_dump(sc))
    assert main(["run", str(f), "--replications", "2", "--seed", "3", "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    out = tmp_path / "out" / "baseline"
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics.strategy) == set(sc["strategies"])
    assert (out / "scenario.yaml").exists() and (out / "summary.csv").exists()
    prov = (out / "provenance.json").read_text()
    assert '"seed": 3' in prov and "parameter_hash" in prov
    diffs = pd.read_csv(out / "paired_differences.csv")
    assert "letters_only" not in set(diffs.strategy)
    best = pd.read_csv(out / "probability_best.csv")
    assert set(best.strategy) == set(sc["strategies"]) and best.probability_best.sum() == pytest.approx(1.0)


def test_a_failed_run_keeps_the_replications_already_computed(tmp_path, monkeypatch, capsys):
    """Replication 2 fails: the run stops with a clear message, the result directory is untouched,
    and replications 0–1 are checkpointed with a record of the failure; once the cause is gone,
    --resume computes only the missing replications and publishes the complete result."""
    import json

    import yaml

    from simlib.run import experiment

    sc = load_scenario(ROOT / "parameters" / "baseline.yaml").model_dump(mode="json")
    sc["simulation"].update(encounters_per_day=1, billing_window_days=100, horizon_days=300,
                            measurement_day=100, ar_window_days=50, workers=1)
    f = tmp_path / "small.yaml"
    f.write_text(yaml.safe_dump(sc))
    real = experiment._run_one
    ran = []

    def flaky(task):
        ran.append(task[1])
        if task[1] == 2:
            raise MemoryError("simulated worker failure")
        return real(task)

    monkeypatch.setattr(experiment, "_run_one", flaky)
    out_args = ["--replications", "4", "--out", str(tmp_path / "out"), "--quiet"]
    assert main(["run", str(f), *out_args]) == 5
    err = capsys.readouterr().err
    assert "replication 2 failed: MemoryError: simulated worker failure" in err
    assert "2 finished replications checkpointed in" in err and "--resume" in err
    assert not (tmp_path / "out" / "baseline").exists()
    ck = tmp_path / "out" / ".baseline.checkpoint"
    assert sorted(p.name for p in ck.glob("rep-*")) == ["rep-000000", "rep-000001"]
    run = json.loads((ck / "run.json").read_text())
    assert run["status"] == "failed" and run["replications_done"] == 2 and "MemoryError" in run["error"]

    ran.clear()
    monkeypatch.setattr(experiment, "_run_one", lambda task: (ran.append(task[1]), real(task))[1])
    assert main(["run", str(f), *out_args, "--resume"]) == 0
    assert ran == [2, 3]  # only the missing replications ran
    out = tmp_path / "out" / "baseline"
    assert sorted(pd.read_csv(out / "metrics.csv").replication.unique()) == [0, 1, 2, 3]
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["status"] == "complete" and prov["replications"] == 4 and prov["resumed_replications"] == 2
    assert not ck.exists()
