"""Same numbers: every shipped scenario reproduces its golden ledger, metrics, counters and events.

The golden file (``tests/golden/golden.json``) was produced by ``tests/golden/make_golden.py``;
see that script for what is hashed and how. A restructuring must leave every number identical.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def _make_golden():
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN_DIR / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_shipped_scenario_has_golden_numbers():
    mg = _make_golden()
    expected = json.loads(mg.GOLDEN_FILE.read_text(encoding="utf-8"))
    files = {str(p.relative_to(mg.ROOT)) for p in mg.scenario_files()}
    assert files == set(expected), (
        f"scenarios {sorted(files ^ set(expected))} are not covered by (or no longer exist for) "
        f"the golden file. {mg.REGENERATE}")


def test_ledger_metrics_counters_and_events_are_unchanged():
    mg = _make_golden()
    expected = json.loads(mg.GOLDEN_FILE.read_text(encoding="utf-8"))
    found = mg.compute_all()
    diff = mg.differences(expected, found)
    assert not diff, ("the simulation no longer reproduces its golden numbers:\n" + "\n".join(diff)
                      + "\n" + mg.REGENERATE)


def test_the_comparison_sees_a_single_cent():
    """The check can fail: one cent on one row of one strategy changes the ledger hash."""
    mg = _make_golden()
    rows = ["0,1,10.000000000,1,5000", "0,3,12.500000000,1,700"]
    moved = ["0,1,10.000000000,1,5001", "0,3,12.500000000,1,700"]
    a = {"s.yaml": {"strategies": {"x": {"ledger_sha256": mg._sha(rows)}}}}
    b = {"s.yaml": {"strategies": {"x": {"ledger_sha256": mg._sha(moved)}}}}
    assert mg.differences(a, a) == []
    assert mg.differences(a, b) and "ledger_sha256" in mg.differences(a, b)[0]
