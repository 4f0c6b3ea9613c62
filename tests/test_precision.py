"""Precision-driven runs: batches of replications until the key metric's CI is tight enough."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from simlib.run import experiment
from simlib.analysis.summaries import relative_half_width
from simlib.core.metric_catalogue import KEY_METRIC
from simlib.scenario.schema import scenario_from_dict

BASELINE = Path(__file__).resolve().parents[1] / "parameters" / "baseline.yaml"


def tiny_scenario():
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["simulation"].update(horizon_days=300, billing_window_days=90, encounters_per_day=6,
                              measurement_day=120, ar_window_days=30, replications=4, workers=1)
    data["strategies"] = {k: v for k, v in data["strategies"].items()
                          if k in ("letters_only", "sms_reminders")}
    return scenario_from_dict(data, "tiny")


@pytest.fixture
def batches(monkeypatch):
    """Record the replication indices of every call to the runner."""
    seen, real = [], experiment.run_replications

    def spy(sc, reps, *args, **kwargs):
        seen.append(list(reps))
        return real(sc, reps, *args, **kwargs)

    monkeypatch.setattr(experiment, "run_replications", spy)
    return seen


def _first(metrics: pd.DataFrame, k: int) -> pd.DataFrame:
    return metrics[metrics["replication"] < k].reset_index(drop=True)


def test_precision_run_stops_at_target_or_cap_in_batches(batches):
    res = experiment.run_experiment(tiny_scenario(), replications=4, seed=5, precision=0.05,
                                    max_replications=24)
    n = res.provenance["replications"]
    assert res.provenance["precision_target"] == 0.05
    assert sorted(res.metrics["replication"].unique()) == list(range(n))
    assert batches == [list(range(s, s + 4)) for s in range(0, n, 4)]  # deterministic batches of 4
    assert 4 < n < 24  # the tiny scenario needs more than one batch, and fewer than the cap
    assert relative_half_width(res.metrics, KEY_METRIC) <= 0.05
    # it did not stop early: the CI was still too wide one batch before
    assert relative_half_width(_first(res.metrics, n - 4), KEY_METRIC) > 0.05


def test_first_k_replications_equal_a_plain_run():
    sc = tiny_scenario()
    prec = experiment.run_experiment(sc, replications=4, seed=5, precision=0.05, max_replications=24)
    k = prec.provenance["replications"] - 4
    plain = experiment.run_experiment(sc, replications=k, seed=5)
    pd.testing.assert_frame_equal(_first(prec.metrics, k), plain.metrics, check_exact=True)


def test_cap_and_easy_target(batches):
    sc = tiny_scenario()
    capped = experiment.run_experiment(sc, replications=4, seed=5, precision=1e-9, max_replications=10)
    assert capped.provenance["replications"] == 10 and batches[-1] == [8, 9]  # last batch cut at the cap
    batches.clear()
    easy = experiment.run_experiment(sc, replications=4, seed=5, precision=10.0, max_replications=24)
    assert easy.provenance["replications"] == 4 and batches == [[0, 1, 2, 3]]
