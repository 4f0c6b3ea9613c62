"""Writing a scenario without reading code: `simlib new`, `simlib schema`, docs/scenarios.md, help."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from simlib.scenario import authoring
from simlib.cli import main
from simlib.scenario.schema import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_docs_scenarios_md_is_generated_from_the_models_and_current():
    committed = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert committed == authoring.scenario_reference(), (
        "docs/scenarios.md is out of date: run `.venv/bin/simlib schema --markdown docs/scenarios.md`")


def test_the_reference_names_every_section_and_lever_key():
    text = authoring.scenario_reference()
    from simlib.levers import registered_levers
    for key in ["simulation", "finance", "payers", "patients", "behaviour", "operations", "strategies",
                *registered_levers()]:
        assert f"`{key}`" in text, key
    assert "| `horizon_days` | number | days | `540.0` | > 0, ≤ 36500 |" in text


@pytest.mark.parametrize("path", sorted((ROOT / "parameters").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_satisfies_the_json_schema(path):
    schema = authoring.scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_the_json_schema_refuses_an_unknown_lever_key_like_validate_does():
    schema = authoring.scenario_json_schema()
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text())
    first = next(iter(data["strategies"]))
    data["strategies"][first]["deposite"] = {"share": 0.5}
    with pytest.raises(jsonschema.ValidationError, match="deposite"):
        jsonschema.validate(data, schema)


def test_schema_command_writes_json(tmp_path):
    out = tmp_path / "s.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["title"] == "simlib scenario"


def test_new_writes_a_valid_starter_from_the_calibrated_baseline(tmp_path, capsys):
    assert main(["new", "st_mary", "--out", str(tmp_path)]) == 0
    path = tmp_path / "st_mary.yaml"
    sc = load_scenario(path)
    base = load_scenario(ROOT / "parameters" / "baseline.yaml")
    assert sc.name == "st_mary"
    # the hospital is the calibrated one, not the models' built-in defaults
    for section in ("simulation", "finance", "payers", "patients", "behaviour", "operations", "strategies"):
        assert getattr(sc, section) == getattr(base, section), section
    assert "# " in path.read_text()  # the baseline's source comments are kept
    # a second call does not overwrite; a bad name is refused in one line
    assert main(["new", "st_mary", "--out", str(tmp_path)]) == 2
    assert main(["new", "../evil", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "Traceback" not in err


def test_help_is_plain_text_with_defaults_and_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "``" not in text and ":func:" not in text and "simlib new NAME" in text
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # help lines wrap at the terminal width
    assert "(default: csv)" in text and "(default: runs)" in text
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("simlib 0.")


def test_results_summary_and_headline(make_scenario):
    from simlib.run.experiment import run_experiment
    sc = make_scenario({"letters": {"baseline": True, "statement_channel": "letter",
                                    "write_off": {"after_days": 10000}},
                        "sms": {"statement_channel": "letter", "ladder": [{"day": 10, "channel": "sms"}],
                                "write_off": {"after_days": 10000}}})
    res = run_experiment(sc, replications=3, seed=5, workers=1)
    table = res.summary(formatted=True)
    assert list(table.index) == ["letters", "sms"]            # status quo first
    assert "Patient collection rate" in table.columns
    assert all("CI" in cell for cell in table["Patient collection rate"])
    assert "CI" not in res.summary(intervals=False, formatted=True).iloc[0, 0]
    sentence = res.headline()
    assert "'letters'" in sentence and ("'sms'" in sentence or "Keep the status quo" in sentence)


def test_report_pdf_option_reaches_the_pipeline(monkeypatch, tmp_path):
    """`simlib report --pdf` asks the pipeline for PDFs (the printing itself: tests/test_report_words.py)."""
    import simlib.report as report
    seen = {}

    def fake_build(files, **kwargs):
        seen.update(kwargs)
        return []
    monkeypatch.setattr(report, "build_reports", fake_build)
    assert main(["report", str(ROOT / "parameters" / "finance_levers.yaml"), "--out", str(tmp_path),
                 "--pdf", "--chromium", "/usr/bin/chromium"]) == 0
    assert seen["pdf"] is True and seen["chromium"] == "/usr/bin/chromium"


def _write(tmp_path, data, name="s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_an_omitted_hospital_section_is_the_calibrated_baseline_and_validate_says_so(tmp_path, capsys):
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text())
    for section in ("finance", "behaviour"):
        del data[section]
    path = _write(tmp_path, data)
    sc, base = load_scenario(path), load_scenario(ROOT / "parameters" / "baseline.yaml")
    assert sc.finance == base.finance and sc.behaviour == base.behaviour   # not the models' defaults
    assert sc.finance.starting_cash == base.finance.starting_cash != 0
    assert main(["validate", str(path)]) == 0
    assert "finance, behaviour from the calibrated baseline" in capsys.readouterr().out


def test_a_finance_section_must_state_the_starting_cash(tmp_path, capsys):
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text())
    del data["finance"]["starting_cash"]
    assert main(["validate", str(_write(tmp_path, data))]) == 2
    err = capsys.readouterr().err
    assert "finance.starting_cash" in err and "Traceback" not in err


@pytest.mark.parametrize("quiet, ok", [([21, 8], True), ([22, 7], True), ([8, 21], False), ([0, 23], False),
                                       ([9, 9], False), ([1, 6], True)])
def test_swapped_quiet_hours_are_refused(tmp_path, capsys, quiet, ok):
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text())
    first = next(iter(data["strategies"]))
    data["strategies"][first]["contact_limits"] = {"quiet_hours": quiet}
    code = main(["validate", str(_write(tmp_path, data))])
    err = capsys.readouterr().err
    assert code == (0 if ok else 2), err
    if not ok:
        assert "quiet_hours" in err and "Traceback" not in err
