"""docs/quickstart.md, executed: every ``bash`` block of the page, in order, in an empty folder,
with the installed ``simlib`` command — a smaller hospital (the edit a user makes in step 1, here
to a few encounters a day and a shorter horizon) and 2 runs instead of 10, so that CI stays fast.
Also ``simlib new --minimal`` itself: short, marked, self-contained, valid."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simlib.scenario.authoring import BASELINE_FILE
from simlib.scenario.minimal import YOURS, minimal_scenario

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "quickstart.md"
BIN = Path(sys.executable).parent


def test_minimal_file_is_short_marked_and_self_contained(tmp_path):
    text = minimal_scenario("st_mary", BASELINE_FILE)
    lines = text.splitlines()
    assert len(lines) < 130  # the full starter is over 400
    marked = [line for line in lines if "# <- yours:" in line and not line.startswith("#")]
    n_payers = len(yaml.safe_load(BASELINE_FILE.read_text(encoding="utf-8"))["payers"])
    assert len(marked) == sum(len(v) for k, v in YOURS.items() if k != "payers") + 3 * n_payers == 17
    assert not re.search(r"\.\./|shared/|docs/|parameters/", text)  # nothing outside the package
    data = yaml.safe_load(text)
    assert set(data) == {"name", "description", "simulation", "decision", "finance", "payers", "strategies"}
    assert data["strategies"]["letters_only"]["baseline"] is True


def _commands(doc: str) -> list[str]:
    return [line.strip() for block in re.findall(r"```bash\n(.*?)```", doc, re.S)
            for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def _shrink(path: Path) -> None:
    """The user's edit of step 1, small: a few encounters a day, a shorter horizon, one worker,
    and some numbers of their own."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["simulation"].update({"encounters_per_day": 3, "billing_window_days": 60, "horizon_days": 240,
                               "measurement_day": 120, "ar_window_days": 60, "workers": 1})
    data["finance"]["starting_cash"] = 750_000
    data["payers"]["commercial"]["allowed_median"] = 2100
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.mark.slow
def test_quickstart_runs_from_a_blank_folder(tmp_path):
    commands = _commands(DOC.read_text(encoding="utf-8"))
    assert [c.split()[1] for c in commands] == ["new", "validate", "run", "report"]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "MPLBACKEND": "agg"}
    outputs = []
    for command in commands:
        argv = shlex.split(command.replace("--replications 10", "--replications 2"))
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, (command, proc.stderr[-2000:])
        outputs.append(proc.stdout)
        if argv[1] == "new":
            assert sorted(p.name for p in tmp_path.iterdir()) == ["st_mary.yaml"]
            _shrink(tmp_path / "st_mary.yaml")
    assert "OK (scenario 'st_mary', 3 strategies" in outputs[1]
    assert (tmp_path / "runs" / "st_mary" / "data_dictionary.csv").exists()
    assert "2 replications × 3 strategies" in outputs[2]
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "st_mary" in index and (tmp_path / "reports" / "st_mary" / "strategy_comparison.html").exists()
