"""Issue 21, item 3 (adversarial corpus): no CSV the project writes starts a cell with a formula.

On af304e3 a strategy key such as ``=1+1+cmd|' /C calc'!A0`` was written verbatim into every run
CSV, ``trials.csv`` and ``flip_points.csv``; a spreadsheet executes it. Every CSV now goes through
:func:`simlib.core.csv_cells.write_csv` (OWASP: a leading ``'``), and reads give back what was written.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simlib.cli import main
from simlib.core.csv_cells import FORMULA_STARTS, neutralise, read_csv, restore, write_csv
from simlib.run.experiment import Results

ROOT = Path(__file__).resolve().parents[1]
EVIL_KEY = "=1+1+cmd|' /C calc'!A0"


def cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row]


def test_run_csvs_have_no_formula_cell_and_load_back_the_keys(tmp_path, capsys):
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    d["simulation"].update(encounters_per_day=2, billing_window_days=200, horizon_days=300,
                           measurement_day=200, ar_window_days=30, workers=1)
    names = list(d["strategies"])
    d["strategies"] = {names[0]: d["strategies"][names[0]],
                       EVIL_KEY: dict(d["strategies"][names[1]], label="@SUM(A1:A9)"),
                       "-2+3": dict(d["strategies"][names[2]], label="+cmd")}
    d.update(uncertain=[], search=None, sensitivity=None)  # they name strategies left out here
    f = tmp_path / "evil.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    out = tmp_path / "out"
    assert main(["run", str(f), "--replications", "2", "--seed", "3", "--format", "csv",
                 "--out", str(out), "--quiet"]) == 0
    written = sorted((out / "baseline").glob("*.csv"))
    assert len(written) >= 7
    for path in written:
        bad = [c for c in cells(path) if c[:1] in FORMULA_STARTS and not _number(c)]
        assert bad == [], f"{path.name}: {bad[:3]}"
    res = Results.load(out / "baseline")
    assert set(res.metrics["strategy"]) == set(res.scenario.strategies) == {names[0], EVIL_KEY, "-2+3"}


def _number(text: str) -> bool:
    return re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|-?inf", text) is not None


@pytest.mark.parametrize("text", ["=A1", "+1", "-x", "@SUM(1)", "\tcmd", "\rcmd", "'=A1", "''", "'", "plain", ""])
def test_neutralise_is_safe_and_reversible(text):
    safe = neutralise(text)
    assert safe[:1] not in FORMULA_STARTS
    assert restore(safe) == text


def test_a_table_round_trips_and_numbers_are_untouched(tmp_path):
    t = pd.DataFrame({"strategy": [EVIL_KEY, "'quoted", "@x", "plain", None], "value": [-1.5, 2, -3, 4, 5],
                      "=col": ["a", "b", "c", "d", "e"]})
    path = write_csv(t, tmp_path / "t.csv")
    assert "=" != cells(path)[2][:1] and cells(path)[2] == "'=col"
    assert cells(path)[4] == "-1.5"  # a number stays a number
    pd.testing.assert_frame_equal(read_csv(path), t)


def test_no_module_writes_a_csv_around_csv_cells():
    """Every writer goes through write_csv: no other ``.to_csv(`` or ``csv.writer`` in the package."""
    offenders = []
    for p in (ROOT / "simlib").rglob("*.py"):
        if p.name == "csv_cells.py":
            continue
        text = p.read_text(encoding="utf-8")
        if re.search(r"\.to_csv\(|csv\.writer|csv\.DictWriter", text):
            offenders.append(str(p.relative_to(ROOT)))
    for p in (ROOT / "notebooks").glob("*.ipynb"):
        if ".to_csv(" in p.read_text(encoding="utf-8"):
            offenders.append(str(p.relative_to(ROOT)))
    assert offenders == []


# --------------------------------------------------------------------------- invisible characters
@pytest.mark.parametrize("where, text, code", [
    ("label", "Status\u202equo", "U+202E"),             # right-to-left override
    ("label", "Status\u200bquo", "U+200B"),             # zero-width space
    ("description", "a\u2066b", "U+2066"),             # left-to-right isolate
    ("key", "baseline\u200d", "U+200D"),               # zero-width joiner in a strategy key
    ("label", "bell\x07", "U+0007"),
])
def test_invisible_and_bidirectional_characters_are_refused(tmp_path, capsys, where, text, code):
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    first = next(iter(d["strategies"]))
    if where == "key":
        d["strategies"] = {text if k == first else k: v for k, v in d["strategies"].items()}
        field = f"strategies.{text}"
    else:
        d["strategies"][first][where] = text
        field = f"strategies.{first}.{where}"
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and field in err and code in err and "invisible or direction-changing" in err


def test_a_line_break_in_a_description_is_still_fine(tmp_path, capsys):
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    d["description"] = "Two lines\nof text\twith a tab, and accents: é, 日本"
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert main(["validate", str(f)]) == 0
