"""Compute, then render: the page registry (simlib.report.pages) is the only place that names a
notebook, and the notebooks only load what the pipeline computed (simlib.report.derived)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from simlib.report import pipeline
from simlib.report.derived import save_results
from simlib.report.pages import (CONTRIBUTIONS, DEFAULT_PAGES, NOTEBOOK_DIR, PAGES, POLICY_ACTIONS, SENSITIVITY, page,
                                 tables_needed)

ROOT = Path(__file__).resolve().parents[1]
#: Functions that compute (run simulations or studies); a notebook must not call them.
COMPUTING = ("run_experiment", "contribution_data", "compute_sensitivity", "save_sensitivity", "sweep(",
             "run_contributions", "decide(", "prepare_results", "policy_action_data", "replay(")


def _code(nb: Path) -> str:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_the_pipeline_names_no_notebook():
    text = Path(pipeline.__file__).read_text(encoding="utf-8")
    for key, p in PAGES.items():
        assert p.notebook not in text and f'"{key}"' not in text and f"'{key}'" not in text, key


def test_every_registered_page_has_its_notebook_and_known_tables():
    for p in PAGES.values():
        assert p.path().is_file(), p.notebook
        assert set(p.tables) <= {CONTRIBUTIONS, SENSITIVITY, POLICY_ACTIONS}
    assert set(DEFAULT_PAGES) <= set(PAGES)
    assert tables_needed(DEFAULT_PAGES) == (CONTRIBUTIONS, SENSITIVITY, POLICY_ACTIONS)
    mine = page("mine.ipynb")
    assert (mine.notebook, mine.title, mine.tables) == ("mine.ipynb", "Mine", ())


def test_notebooks_only_load_and_present():
    for nb in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        code = _code(nb)
        for name in COMPUTING:
            assert name not in code, f"{nb.name} computes ({name}); the pipeline computes every table"
    for key in DEFAULT_PAGES:  # each page asks load_results for its own tables when opened alone
        assert re.search(rf'load_results\(.*page="{key}"\)', _code(page(key).path())), key


def test_an_unknown_derived_table_is_refused(tmp_path):
    import pytest

    from simlib.report.errors import ReportError

    with pytest.raises(ReportError, match="unknown derived table"):
        save_results(None, tmp_path, ("tornado",))
