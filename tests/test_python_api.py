"""The Python API: validated variants, numbers from summary() and compare(), help(simlib), and
docs/python_api.md executed block by block (its printed errors compared with the doc's)."""
from __future__ import annotations

import contextlib
import io
import math
import pydoc
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simlib
from simlib.analysis.summaries import paired_differences

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "python_api.md"


@pytest.fixture(scope="module")
def baseline():
    return simlib.load_scenario(ROOT / "parameters" / "baseline.yaml")


# --------------------------------------------------------------------------- variants
def test_variant_copies_a_strategy_and_merges_the_changes(baseline):
    sc = baseline.variant("deposit_70", from_="deposit", label="Deposit of 70 %", deposit={"share": 0.7})
    new, old = sc.strategies["deposit_70"], baseline.strategies["deposit"]
    assert new.deposit.share == 0.7 and new.deposit.compliance_rate == old.deposit.compliance_rate
    assert new.label == "Deposit of 70 %" and not new.baseline
    assert new.ladder == old.ladder and new.write_off == old.write_off
    assert "deposit_70" not in baseline.strategies  # the original is unchanged
    assert list(sc.strategies)[:-1] == list(baseline.strategies)
    # from the status quo by default; None removes a lever
    plain = baseline.variant("sq_copy")
    assert plain.strategies["sq_copy"].ladder == baseline.strategies[baseline.baseline_strategy].ladder
    assert plain.baseline_strategy == baseline.baseline_strategy
    gone = baseline.variant("combined_no_deposit", from_="combined", deposit=None)
    assert baseline.strategies["combined"].deposit is not None
    assert gone.strategies["combined_no_deposit"].deposit is None


@pytest.mark.parametrize("make, expected", [
    (lambda sc: sc.variant("x", from_="deposit", deposit={"shar": 0.7}), "strategies.x.deposit.shar: unknown field"),
    (lambda sc: sc.variant("x", from_="deposit", deposit={"share": 1.7}),
     "strategies.x.deposit.share: expected less than or equal to 1; found 1.7"),
    (lambda sc: sc.variant("x", from_="nowhere"), "from_: no strategy 'nowhere'"),
    (lambda sc: sc.variant("deposit"), "strategies.deposit: a strategy of that name exists"),
    (lambda sc: sc.with_values({"simulation.replicatons": 3}), "simulation.replicatons: unknown field"),
    (lambda sc: sc.with_values({"behaviour.nothing.here": "x"}), "behaviour.nothing: no section 'nothing'"),
    (lambda sc: sc.with_values({"strategies.*.deposit.share": 7}), "deposit.share: expected less than or equal to 1"),
    (lambda sc: sc.with_values({"simulation.encounters_per_day": -1}), "simulation.encounters_per_day"),
])
def test_a_bad_change_is_one_clear_scenario_error(baseline, make, expected):
    with pytest.raises(simlib.ScenarioError) as err:
        make(baseline)
    text = str(err.value)
    assert expected in text, text
    assert all(line.startswith("<variant>: ") for line in text.splitlines())


def test_with_values_sets_numbers_everywhere_a_star_says(baseline):
    sc = baseline.with_values({"strategies.*.deposit.share": 0.25, "simulation.replications": 3,
                               "strategies.calls.statement_channel": "email"})
    shares = [s.deposit.share for s in sc.strategies.values() if s.deposit is not None]
    assert shares and set(shares) == {0.25}
    assert sc.simulation.replications == 3 and sc.strategies["calls"].statement_channel == "email"
    assert sc.parameter_hash() != baseline.parameter_hash()
    assert baseline.with_values({}).parameter_hash() == baseline.parameter_hash()  # a round trip changes nothing


# --------------------------------------------------------------------------- results as numbers
@pytest.fixture(scope="module")
def results(baseline):
    small = baseline.with_values({"simulation.encounters_per_day": 3, "simulation.billing_window_days": 60,
                                  "simulation.horizon_days": 200, "simulation.measurement_day": 100,
                                  "simulation.ar_window_days": 60})
    two = small.model_copy(update={"strategies": {k: small.strategies[k] for k in ("letters_only", "deposit")}})
    return simlib.run_experiment(two, replications=4, seed=11, workers=1)


def test_summary_is_numbers_matching_a_hand_computed_t_interval(results):
    table = results.summary()
    assert list(table.columns) == ["strategy", "metric", "label", "unit", "better", "n", "mean", "ci_low", "ci_high"]
    assert list(pd.unique(table["strategy"])) == ["letters_only", "deposit"]  # status quo first
    assert table["mean"].dtype.kind == "f"
    row = table[(table.strategy == "deposit") & (table.metric == "patient_collection_rate")].iloc[0]
    values = results.metrics.query("strategy == 'deposit' and metric == 'patient_collection_rate'")["value"]
    half = 3.182446305284263 * values.std(ddof=1) / 2  # t(0.975, 3) × sd / √4
    assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert row["ci_high"] - row["mean"] == pytest.approx(half, rel=1e-9)
    assert row["unit"] == "share" and row["better"] == "higher" and row["n"] == 4
    assert isinstance(results.summary(formatted=True).iloc[0, 0], str)


def test_compare_is_the_paired_difference(results):
    frame = results.compare("deposit")  # against the status quo
    assert set(frame["strategy"]) == {"deposit"} and set(frame["against"]) == {"letters_only"}
    ref = paired_differences(results.metrics, "letters_only").set_index("metric")
    for r in frame.itertuples():
        assert r.diff == pytest.approx(ref.at[r.metric, "mean_diff"], abs=1e-9)
        if not math.isnan(r.diff_ci_low):
            assert r.diff_ci_low == pytest.approx(ref.at[r.metric, "ci_low"], abs=1e-9)
        assert r.diff == pytest.approx(r.mean - r.mean_against, abs=1e-6 * max(1.0, abs(r.mean)))
    wide = results.metrics.pivot_table(index="replication", columns=["metric", "strategy"], values="value")
    npv = frame.set_index("metric").loc["npv_net_cash"]
    diffs = wide[("npv_net_cash", "deposit")] - wide[("npv_net_cash", "letters_only")]
    assert npv["diff"] == pytest.approx(float(np.mean(diffs)))
    verdicts = {"better", "worse", "unclear", "different"}
    assert set(frame["verdict"]) <= verdicts
    for r in frame.itertuples():  # the verdict follows the interval and the direction
        if r.verdict == "better":
            assert (r.diff_ci_low > 0) if r.better == "higher" else (r.diff_ci_high < 0)
        if r.verdict == "unclear":
            assert not (r.diff_ci_low > 0 or r.diff_ci_high < 0)
    back = results.compare("letters_only", "deposit", metrics=["npv_net_cash"])
    assert back["diff"].iloc[0] == pytest.approx(-npv["diff"])
    with pytest.raises(ValueError, match="no results for strategy 'nope'"):
        results.compare("nope")
    with pytest.raises(ValueError, match="no results for metric"):
        results.compare("deposit", metrics=["nope"])


def test_help_lists_the_public_api():
    text = pydoc.render_doc(simlib, renderer=pydoc.plaintext)
    for name in ("load_scenario", "run_experiment", "class Results", "class Scenario", "variant(",
                 "with_values(", "compare(", "METRICS"):
        assert name in text, name
    assert set(simlib.__all__) <= set(dir(simlib))


# --------------------------------------------------------------------------- the doc, executed
def test_python_api_doc_runs_and_prints_what_it_says(monkeypatch):
    doc = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) >= 3
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 (the doc's own code)
    printed = out.getvalue()
    for text in re.findall(r"prints\n\n```text\n(.*?)```", doc, re.S):
        for line in text.strip().splitlines():
            assert line in printed, line
    res = namespace["res"]
    assert set(res.metrics["strategy"]) >= {"deposit_70", "combined_no_discount"}
    assert namespace["gain"]["verdict"].notna().all()
