"""Issue 21, item 7 (adversarial corpus): an honest memory estimate.

On af304e3 the estimate read the host's memory and ignored a container's cgroup limit (a 600 MB
cgroup run was accepted and a worker OOM-killed), and assumed 9.5 kB per account where 12.6 kB was
measured. The budget now takes the least room a cgroup level leaves, and its per-account figures
are the benchmark's measurement (benchmarks/memory.py) with a margin.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from simlib.cli import main
from simlib.run import budget
from simlib.run.cgroup_memory import cgroup_available_bytes

ROOT = Path(__file__).resolve().parents[1]


def _v2(tmp_path, limit: str, current: int, inactive: int = 0, parent_limit: str = "max"):
    root = tmp_path / "cg"
    (root / "job").mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    (root / "memory.max").write_text(parent_limit + "\n")
    (root / "memory.current").write_text(f"{current}\n")
    (root / "job" / "memory.max").write_text(limit + "\n")
    (root / "job" / "memory.current").write_text(f"{current}\n")
    (root / "job" / "memory.stat").write_text(f"anon 1\ninactive_file {inactive}\n")
    proc = tmp_path / "cgroup"
    proc.write_text("0::/job\n")
    return root, proc


def test_a_cgroup_v2_limit_is_the_room_left(tmp_path):
    root, proc = _v2(tmp_path, str(600 << 20), 100 << 20, inactive=20 << 20)
    assert cgroup_available_bytes(root, proc) == (600 << 20) - (80 << 20)
    root, proc = _v2(tmp_path / "b", "max", 100 << 20, parent_limit=str(300 << 20))  # a limit above
    assert cgroup_available_bytes(root, proc) == (300 << 20) - (100 << 20)
    root, proc = _v2(tmp_path / "c", "max", 100 << 20)
    assert cgroup_available_bytes(root, proc) is None  # no limit anywhere


def test_a_cgroup_v1_limit_is_read_and_no_limit_is_none(tmp_path):
    level = tmp_path / "cg" / "memory" / "docker" / "abc"
    level.mkdir(parents=True)
    (level / "memory.limit_in_bytes").write_text(f"{600 << 20}\n")
    (level / "memory.usage_in_bytes").write_text(f"{50 << 20}\n")
    (level / "memory.stat").write_text(f"total_inactive_file {10 << 20}\n")
    proc = tmp_path / "cgroup"
    proc.write_text("4:memory:/docker/abc\n0::/\n")
    assert cgroup_available_bytes(tmp_path / "cg", proc) == (600 << 20) - (40 << 20)
    (level / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert cgroup_available_bytes(tmp_path / "cg", proc) is None


def test_a_run_a_600_mb_container_cannot_hold_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(budget, "host_available_bytes", lambda: 20e9)  # a big host …
    monkeypatch.setattr("simlib.run.cgroup_memory.cgroup_available_bytes", lambda: 600e6)  # … a small container
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    d["simulation"].update(encounters_per_day=100)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    assert main(["run", str(f), "--workers", "2", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "more than the 0.6 GB of memory available" in err


def test_the_per_account_figures_are_the_measured_ones_with_a_margin():
    measured = json.loads((ROOT / "benchmarks" / "memory_results.json").read_text())
    assert budget.POPULATION_BYTES_PER_ACCOUNT >= budget.MEMORY_MARGIN * measured["population_bytes_per_account"]
    assert budget.STRATEGY_BYTES_PER_ACCOUNT >= budget.MEMORY_MARGIN * measured["strategy_bytes_per_account"]
    per_account = budget.POPULATION_BYTES_PER_ACCOUNT + measured["strategies"] * budget.STRATEGY_BYTES_PER_ACCOUNT
    assert per_account >= budget.MEMORY_MARGIN * measured["bytes_per_account"][str(measured["strategies"])]
    assert budget.MEMORY_MARGIN >= 1.2
    s = measured["strategies"]
    small = next(p for p in measured["points"] if p["strategies"] == s)
    fixed = small["peak"] - small["accounts"] * measured["bytes_per_account"][str(s)]  # the intercept
    assert budget.WORKER_BASE_BYTES >= budget.MEMORY_MARGIN * fixed
    for p in measured["points"]:  # every measured peak is at least 20 % under the estimate of its run
        estimate = budget.WORKER_BASE_BYTES + p["accounts"] * (
            budget.POPULATION_BYTES_PER_ACCOUNT + p["strategies"] * budget.STRATEGY_BYTES_PER_ACCOUNT)
        assert 1.2 * p["peak"] <= estimate, (p, estimate)
