"""`simlib calibrate fit|check` through the main command line (the calibration package parses the rest)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simlib.cli import main

INVOICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "ar_payment_history" / "invoices.csv"


@pytest.mark.skipif(not INVOICES.exists(), reason="../shared/data is not beside the checkout")
def test_fit_then_check_from_the_main_command(tmp_path, capsys):
    fitted = tmp_path / "fitted.yaml"
    assert main(["calibrate", "fit", str(INVOICES), "--out", str(fitted)]) == 0
    assert "planner_share" in fitted.read_text()
    out = tmp_path / "check.json"
    assert main(["calibrate", "check", str(fitted), str(INVOICES), "--json", str(out),
                 "--replications", "3", "--bootstrap", "20"]) == 0
    data = json.loads(out.read_text())
    assert {"ks", "mean_days", "mean_days_by_group"} <= set(data)
    # fitted and checked on the same invoices: the simulated settle days match closely
    assert data["ks"]["value"] < 0.05


def test_a_missing_history_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["calibrate", "fit", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "f.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
