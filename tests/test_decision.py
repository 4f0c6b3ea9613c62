"""One decision per run (simlib.analysis.decision): saved with the results, read back, and stated
alike by the terminal (`simlib run`'s printout, Results.headline) and the board (the summary's
recommendation sentence, also the index headline).

The terminal-versus-board test runs every shipped scenario (parameters/*.yaml) shrunk to 2
encounters a day and 3 runs, once with the file's materiality thresholds and once with them off
(so that both the "not materially different" and the ranking branches are met), and reads back
from each *text* which strategy it recommends, which runner-up it names and what it says of the
gain and the margin.
"""
from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simlib.analysis.decision import DECISION_FILE, Recommendation, decide, load_decision
from simlib.report.labels import strategy_labels
from simlib.report.summary import recommendation_sentence
from simlib.run.experiment import Results, run_experiment
from simlib.scenario.schema import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "parameters").glob("*.yaml"))


def _small(path: Path, **decision) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["simulation"].update(encounters_per_day=2.0, replications=3, workers=1)
    if decision:
        data["decision"] = decision
    return data


def _terminal_claims(text: str) -> dict:
    """What the terminal's sentence states: kind, recommended, runner-up, unclear gain/margin."""
    q = r"'([^']+)'"
    if m := re.match(rf"Keep the status quo {q} unless other grounds decide: .*?; {q} ranks first", text):
        out = {"kind": "keep unless", "strategy": m[2], "runner_up": None}
    elif m := re.match(rf"Keep the status quo {q}: ", text):
        out = {"kind": "keep", "strategy": m[1], "runner_up": None}
    elif m := re.match(rf"Adopt {q} or {q}: ", text):
        out = {"kind": "either", "strategy": m[1], "runner_up": m[2]}
    elif m := re.match(rf"Adopt {q}: ", text):
        out = {"kind": "adopt", "strategy": m[1], "runner_up": None}
    else:
        raise AssertionError(f"unexpected terminal sentence: {text}")
    if out["runner_up"] is None and (r := re.search(rf"the runner-up {q}", text)
                                     or re.search(rf"{q} and {q} are not materially different", text)):
        out["runner_up"] = r[r.lastindex]
    out["gain_unclear"] = "the interval of its gain includes zero" in text
    out["margin_unclear"] = "a margin not yet distinguishable from chance" in text
    out["tie"] = "are not materially different" in text
    return out


def _board_claims(text: str, ids: dict[str, str]) -> dict:
    """What the board's sentence states, strategy labels turned back into ids."""
    q = "“([^”]+)”"
    if m := re.match(rf"Keep the status quo, {q}, unless other grounds decide: .*?\. {q} ranks first", text):
        out = {"kind": "keep unless", "strategy": m[2], "runner_up": None}
    elif m := re.match(rf"Keep the status quo, {q}: ", text):
        out = {"kind": "keep", "strategy": m[1], "runner_up": None}
    elif m := re.match(rf"Adopt {q} or {q}: ", text):
        out = {"kind": "either", "strategy": m[1], "runner_up": m[2]}
    elif m := re.match(rf"Adopt {q}: ", text):
        out = {"kind": "adopt", "strategy": m[1], "runner_up": None}
    else:
        raise AssertionError(f"unexpected board sentence: {text}")
    if out["runner_up"] is None and (r := re.search(rf"the runner-up, {q}", text, re.IGNORECASE)
                                     or re.search(rf"{q} and {q} are not materially different", text)):
        out["runner_up"] = r[r.lastindex]
    out = {k: ids.get(v, v) if k in ("strategy", "runner_up") and v else v for k, v in out.items()}
    out["gain_unclear"] = "The interval of its gain includes zero" in text
    out["margin_unclear"] = "a margin not yet distinguishable from chance" in text
    out["tie"] = "are not materially different" in text
    return out


@pytest.fixture(scope="module", params=SHIPPED, ids=lambda p: p.stem)
def shipped_run(request):
    sc = scenario_from_dict(_small(request.param), str(request.param))
    return run_experiment(sc, progress=False)


@pytest.mark.parametrize("materiality", ["file", "off"])
def test_the_terminal_and_the_board_state_the_same_decision(shipped_run, materiality):
    res = shipped_run
    if materiality == "off":
        data = res.scenario.model_dump(mode="json")
        data["decision"] = {"materiality": 0.0, "materiality_pp": 0.0}
        res = dataclasses.replace(res, scenario=scenario_from_dict(data, "off"))
    terminal, board = res.headline(), recommendation_sentence(res)
    ids = {label: key for key, label in strategy_labels(res).items()}
    said, shown = _terminal_claims(terminal), _board_claims(board, ids)
    assert said == shown, f"\nterminal: {terminal}\nboard:    {board}"
    d = res.decision
    assert said["strategy"] == d.strategy
    assert said["runner_up"] in (None, d.runner_up)
    for text in (terminal, board):  # the numbers as the board writes them, never "$1,234,567"
        assert not re.search(r"\$\d{1,3},\d{3},\d{3}", text), text


def test_the_terminal_applies_materiality_like_the_board(tmp_path):
    """A gain of $10k (below the $25,000 threshold) is not a reason to adopt, on either."""
    data = _small(SHIPPED[0])
    sc = scenario_from_dict(data, "t")
    base, other = sc.baseline_strategy, next(s for s in sc.strategies if s != sc.baseline_strategy)
    rows = [(r, s, "npv_net_cash", 1e6 + 1e3 * r * (-1) ** r + (10_000.0 if s == other else 0.0))
            for r in range(4) for s in sc.strategies]
    metrics = pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"])
    empty = pd.DataFrame()
    res = Results(scenario=sc, metrics=metrics, curves=empty, aging=empty)
    assert res.decision.strategy == other and res.decision.gain_verdict == "no material difference"
    assert res.headline().startswith(f"Keep the status quo '{base}' unless other grounds decide")
    assert "+$10.0k" in res.headline() and "below the $25,000 materiality threshold" in res.headline()
    assert recommendation_sentence(res).startswith("Keep the status quo, “")


def test_the_decision_is_saved_with_the_results_and_read_back(tmp_path):
    sc = scenario_from_dict(_small(SHIPPED[0]), "t")
    res = run_experiment(sc, replications=2, progress=False)
    res.save(tmp_path / "out")
    assert (tmp_path / "out" / DECISION_FILE).is_file()
    saved = load_decision(tmp_path / "out")
    assert saved == res.decision and isinstance(saved, Recommendation)
    back = Results.load(tmp_path / "out")
    assert back.decision == res.decision and back.headline() == res.headline()
    assert decide(back.metrics, back.baseline, sc.decision) == saved  # the same numbers computed afresh
    # the file is what the readers use: a hand-edited decision is what they show
    other = next(s for s in sc.strategies if s != sc.baseline_strategy)
    edited = dataclasses.replace(saved, strategy=other, gain_verdict="no material difference")
    edited.save(tmp_path / "out")
    assert "unless other grounds decide" in Results.load(tmp_path / "out").headline()
