"""Issue 21, item 2 (adversarial corpus): the search folder is published whole, and a resumed
search gives the trials of an uninterrupted one.

On af304e3 an interruption in the output phase left a new ``best_strategy.yaml`` and ``trials.csv``
beside the old ``search.json``; and a trial interrupted while its values were chosen was marked
failed and never proposed again (11 candidates screened instead of 12).
"""
from __future__ import annotations

import pandas as pd
import pytest

from simlib.search import outputs, space as space_module
from test_search import search, toy

OUTPUTS = ("best_strategy.yaml", "trials.csv", "search.json")


def published(directory) -> dict[str, bytes]:
    """The search's outputs (the saved study and the final runs' checkpoint aside: they are the
    search's state, which a later search rewrites, not its outputs)."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and not p.name.startswith("study.sqlite3")
            and p.relative_to(directory).parts[0] != "final_runs"}


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    return search(toy(n=1500, budget=12), tmp_path_factory.mktemp("whole"), workers=1)


@pytest.mark.parametrize("cut_at", [6, 10])
def test_a_trial_cut_while_its_values_were_chosen_is_proposed_again(tmp_path, monkeypatch, whole, cut_at):
    real, calls = space_module.Space.suggest, {"n": 0}

    def cut(self, trial):
        calls["n"] += 1
        if calls["n"] == cut_at:
            trial.suggest_float("prompt_pay_discount.rate", 0.0, 0.3, step=0.005)  # some values chosen …
            raise KeyboardInterrupt  # … then SIGTERM
        return real(self, trial)

    monkeypatch.setattr(space_module.Space, "suggest", cut)
    with pytest.raises(KeyboardInterrupt):
        search(toy(n=1500, budget=12), tmp_path, workers=1)
    monkeypatch.setattr(space_module.Space, "suggest", real)
    resumed = search(toy(n=1500, budget=12), tmp_path, workers=1, resume=True)
    t_whole, t_resumed = (pd.read_csv(r.directory / "trials.csv") for r in (whole, resumed))
    assert (t_resumed["state"] == "complete").sum() == 12
    pd.testing.assert_frame_equal(t_resumed, t_whole)
    assert resumed.found.values == whole.found.values
    assert resumed.selection.to_dict() == whole.selection.to_dict()


def test_an_interrupted_publication_leaves_the_previous_search_whole(tmp_path, monkeypatch, whole):
    first = search(toy(n=1500, budget=12), tmp_path, workers=1)
    before = published(first.directory)
    assert set(OUTPUTS) <= set(before)
    real, calls = outputs.write_csv, {"n": 0}

    def cut(table, path, **kw):
        calls["n"] += 1
        raise KeyboardInterrupt  # SIGTERM while trials.csv is written

    monkeypatch.setattr(outputs, "write_csv", cut)
    with pytest.raises(KeyboardInterrupt):
        search(toy(n=1500, budget=12), tmp_path, workers=1, seed=5)
    assert calls["n"] == 1
    assert published(first.directory) == before  # every output of the first search, byte for byte
    assert not [p.name for p in first.directory.parent.iterdir() if p.name.startswith(".search")]
    monkeypatch.setattr(outputs, "write_csv", real)
    resumed = search(toy(n=1500, budget=12), tmp_path, workers=1, seed=5, resume=True)
    fresh = search(toy(n=1500, budget=12), tmp_path / "fresh", workers=1, seed=5)
    pd.testing.assert_frame_equal(pd.read_csv(resumed.directory / "trials.csv"),
                                  pd.read_csv(fresh.directory / "trials.csv"))
    assert resumed.found.values == fresh.found.values
    # and a resume after a complete search still finds its study
    again = search(toy(n=1500, budget=12), tmp_path, workers=1, seed=5, resume=True)
    assert again.found.values == fresh.found.values
