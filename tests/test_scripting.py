"""For scripts: ``--json`` on run, validate, search and calibrate gives exactly one parseable JSON
document on stdout (errors too), every run writes a data dictionary, and docs/metrics.md is the
catalogue's current table."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simlib.cli import main
from simlib.core import json_output
from simlib.core.data_dictionary import BEGIN, END, data_dictionary, markdown_table
from simlib.core.metric_catalogue import KEY_METRIC, METRICS
from tests.test_report import tiny_yaml

ROOT = Path(__file__).resolve().parents[1]
INVOICES = ROOT.parent / "shared" / "data" / "ar_payment_history" / "invoices.csv"


def one_document(text: str) -> dict:
    doc = json.loads(text)  # the whole of stdout: nothing before or after the document
    assert set(doc) == {"command", "argv", "ok", "exit_code", "result", "messages", "errors"}
    assert doc["ok"] == (doc["exit_code"] == 0)
    return doc


@pytest.mark.parametrize("argv, expected", [
    (["run", "a.yaml", "--json"], (True, ["run", "a.yaml"])),
    (["--json", "validate", "a.yaml"], (True, ["validate", "a.yaml"])),
    (["validate", "a.yaml"], (False, ["validate", "a.yaml"])),
    (["report", "a.yaml", "--json"], (False, ["report", "a.yaml", "--json"])),  # not a --json command
    (["calibrate", "check", "f.yaml", "o.csv", "--json", "out.json"],
     (False, ["calibrate", "check", "f.yaml", "o.csv", "--json", "out.json"])),  # check's --json FILE
    (["calibrate", "check", "f.yaml", "o.csv", "--json"], (True, ["calibrate", "check", "f.yaml", "o.csv"])),
    (["calibrate", "fit", "--json", "h.csv", "--out", "f.yaml"], (True, ["calibrate", "fit", "h.csv", "--out", "f.yaml"])),
])
def test_the_flag_is_found_where_it_belongs(argv, expected):
    assert json_output.split_flag(argv) == expected


def test_validate_json_lists_every_file_and_its_problems(tmp_path, capsys):
    good = tiny_yaml(tmp_path / "good.yaml", name="good")
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("encounters_per_day: 3", "encounters_per_dya: 3"))
    code = main(["validate", "--json", str(good), str(bad)])
    doc = one_document(capsys.readouterr().out)
    assert code == 2 and doc["exit_code"] == 2 and not doc["ok"]
    files = {Path(f["file"]).name: f for f in doc["result"]["files"]}
    assert files["good.yaml"]["ok"] and files["good.yaml"]["scenario"] == "good"
    assert "letters_only" in files["good.yaml"]["strategies"]
    assert not files["bad.yaml"]["ok"]
    assert any("encounters_per_dya: unknown field" in p for p in files["bad.yaml"]["problems"])
    assert any("encounters_per_dya" in line for line in doc["errors"])


def test_usage_and_input_errors_are_documents_too(tmp_path, capsys):
    assert main(["run", "--json"]) == 2  # no file: argparse's usage error
    doc = one_document(capsys.readouterr().out)
    assert doc["exit_code"] == 2 and "FILE" in " ".join(doc["errors"])
    assert main(["--json", "search", str(tmp_path / "nope.yaml")]) == 2
    doc = one_document(capsys.readouterr().out)
    assert doc["command"] == "search" and "nope.yaml" in " ".join(doc["errors"])
    assert main(["calibrate", "fit", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "f.yaml"), "--json"]) == 2
    doc = one_document(capsys.readouterr().out)
    assert "nope.csv" in " ".join(doc["errors"]) and not any("Traceback" in e for e in doc["errors"])


def test_run_json_from_the_real_command_and_the_data_dictionary(tmp_path):
    """The installed entry point in a fresh process: stdout is the document and nothing else
    (no progress bar, no worker output), and the run wrote data_dictionary.csv beside its tables."""
    param = tiny_yaml(tmp_path / "tiny.yaml", name="tiny")
    proc = subprocess.run([sys.executable, "-m", "simlib", "run", str(param), "--replications", "2", "--seed", "3",
                           "--out", str(tmp_path / "runs"), "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == ""
    doc = one_document(proc.stdout)
    run = doc["result"]["scenarios"][0]
    assert run["scenario"] == "tiny" and run["replications"] == 2 and run["seed"] == 3
    assert run["recommendation"]["strategy"] in run["strategies"] and run["headline"]
    assert "data_dictionary.csv" in run["tables"] and "metrics.csv" in run["tables"]
    metrics = pd.read_csv(Path(run["out"]) / "metrics.csv")
    key = [r for r in run["summary"] if r["metric"] == KEY_METRIC and r["strategy"] == run["baseline"]][0]
    saved = metrics.query("metric == @KEY_METRIC and strategy == @run['baseline']")["value"].mean()
    assert key["mean"] == pytest.approx(saved, rel=1e-9)  # the document's numbers are the tables'
    dictionary = pd.read_csv(Path(run["out"]) / "data_dictionary.csv")
    assert list(dictionary.columns[:5]) == ["metric", "label", "unit", "unit_meaning", "direction"]
    assert set(metrics["metric"]) <= set(dictionary["metric"])  # every metric of the run is defined
    assert dictionary.set_index("metric").at[KEY_METRIC, "role"].startswith("decision metric")


@pytest.mark.skipif(not INVOICES.exists(), reason="../shared/data is not beside the checkout")
def test_calibrate_fit_json_reports_the_estimates(tmp_path, capsys):
    fitted = tmp_path / "fitted.yaml"
    assert main(["calibrate", "fit", str(INVOICES), "--out", str(fitted), "--json"]) == 0
    doc = one_document(capsys.readouterr().out)
    params = doc["result"]["fit"]["parameters"]
    assert doc["result"]["fit"]["out"] == str(fitted) and fitted.exists()
    free = [name for name, p in params.items() if p["free"]]
    assert free and all(isinstance(params[n]["estimate"], float) for n in free)
    assert any("wrote" in m for m in doc["messages"])


def test_data_dictionary_covers_the_catalogue():
    table = data_dictionary()
    assert list(table["metric"]) == list(METRICS)
    assert table["definition"].str.len().min() > 10 and table["unit"].isin(["usd", "share", "days", "count", "hours"]).all()
    assert set(table["direction"]) <= {"higher is better", "lower is better", "neither (context)"}


def test_the_docs_metric_table_is_current():
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    current = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert current == markdown_table().strip(), (
        "docs/metrics.md is not the catalogue's table: .venv/bin/python -c \"from simlib.core.data_dictionary "
        "import write_doc; write_doc('docs/metrics.md')\"")
    for name in METRICS:
        assert f"`{name}`" in current
