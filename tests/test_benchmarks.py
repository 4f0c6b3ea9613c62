"""The benchmark command runs on today's model (issue 27): a benchmark that crashes is a failing test.

Tiny sizes only (a few hundred accounts a year, one replication); nothing is timed or written."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "parameters").glob("*.yaml")) + sorted((ROOT / "parameters" / "examples").glob("*.yaml"))


def bench():
    spec = importlib.util.spec_from_file_location("benchmarks_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_runs_on_the_baseline(capsys):
    """Every measurement but the Dask cluster, at 300 accounts a year: the NumPy model agrees
    with the engine on every capacity-free strategy and names why the others stay on the engine;
    the hybrid engine's ledgers equal pure SimPy's."""
    assert bench().main(["--accounts", "300", "--sections", "1", "2", "3", "5", "6", "--no-write"]) == 0
    out = capsys.readouterr().out
    assert "| letters_only |" in out and "| True |" in out and "| False |" not in out
    assert "`calls` (a phone team" in out
    assert "### 6. Hybrid engine" in out  # and its ledgers equal pure SimPy's: no "| False |" above


@pytest.mark.parametrize("path", [p for p in SHIPPED if p.name != "baseline.yaml"], ids=lambda p: p.stem)
def test_the_benchmark_runs_on_every_shipped_scenario(path, capsys):
    assert bench().main(["--scenario", str(path), "--accounts", "200", "--sections", "1", "2", "5", "6",
                         "--no-write"]) == 0
    assert "| False |" not in capsys.readouterr().out  # every capacity-free strategy agrees


@pytest.mark.slow
def test_the_benchmarks_monte_carlo_runs_with_a_dask_cluster(capsys):
    assert bench().main(["--accounts", "300", "--replications", "1", "--sections", "4", "--no-write"]) == 0
    assert "Dask results identical to local: True" in capsys.readouterr().out


def test_the_large_hospital_benchmark_runs(capsys):
    """The one-replication measurement of a large health system, at 400 encounters a year and two
    strategies: it runs, reports CPU seconds and peak memory, and holds one world at a time."""
    spec = importlib.util.spec_from_file_location("benchmarks_large", ROOT / "benchmarks" / "large_hospital.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    m = module.measure(400, 2)
    assert m["strategies"] == 2 and m["worlds_held_at_once"] == 1 and m["metrics_rows"] > 0
    assert m["cpu_s"] > 0 and m["peak_bytes"] > 50e6
    assert module.main(["--encounters", "400", "--strategies", "1", "--no-write"]) == 0
    assert "400 encounters a year, 1 strategy " in capsys.readouterr().out


def test_the_called_accounts_fixed_point_is_the_engines_run(capsys):
    """benchmarks/calls_fixed_point.py on a small hospital's `calls` (disputes included) and `llamadas`:
    the replica of the phone team grants every call at the engine's moment in the engine's order, and
    the iteration reaches a fixed point whose ledger and counters are the engine's (the premise of a
    NumPy form of the called accounts, issue 27); the compiled queue gives the replica's answers."""
    spec = importlib.util.spec_from_file_location("benchmarks_fixed_point", ROOT / "benchmarks" / "calls_fixed_point.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for scenario, strategy in (("baseline.yaml", "calls"), ("chile_clinic.yaml", "llamadas")):
        assert module.main(["--scenario", str(ROOT / "parameters" / scenario), "--strategies", strategy,
                            "--encounters-per-day", "3", "--no-write"]) == 0
        row = module.LAST_ROWS[0]
        assert row["call_requests"] > 100 and row["replica_keeps_the_engines_order"], row
        assert row["compiled_queue_agrees"] and row["speed"]["compiled_equals_simpy_replica"], row
        assert row["converged"] and row["same_ledger"] and row["same_counters"], row
        assert row["speed"]["fixed_point_applies"] and row["speed"]["fixed_point_same_ledger"], row
    assert "| calls |" in capsys.readouterr().out
