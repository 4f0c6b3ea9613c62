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
    m = budget.MEMORY_MARGIN
    assert m >= 1.2
    assert budget.POPULATION_BYTES_PER_ACCOUNT >= m * measured["population_bytes_per_account"]
    assert budget.WORLD_BYTES_PER_ACCOUNT >= m * measured["strategy_bytes_per_account"]
    assert budget.RESULT_BYTES_PER_ACCOUNT_STRATEGY >= m * measured["retained_bytes_per_account_strategy"]

    def per_account(strategies: int, held: int) -> float:
        return (budget.POPULATION_BYTES_PER_ACCOUNT + held * budget.WORLD_BYTES_PER_ACCOUNT
                + strategies * budget.RESULT_BYTES_PER_ACCOUNT_STRATEGY)

    s = measured["strategies"]
    assert per_account(s, measured["held"]) >= m * measured["bytes_per_account"][str(s)]
    small = next(p for p in measured["points"] if p["strategies"] == s)
    fixed = small["peak"] - small["accounts"] * measured["bytes_per_account"][str(s)]  # the intercept
    assert budget.WORKER_BASE_BYTES >= m * fixed
    for p in measured["points"]:  # every measured peak is at least 20 % under the estimate of its run
        estimate = budget.WORKER_BASE_BYTES + p["accounts"] * (
            budget.POPULATION_BYTES_PER_ACCOUNT if p["strategies"] == 0 else per_account(p["strategies"], p["held"]))
        assert 1.2 * p["peak"] <= estimate, (p, estimate)


def test_a_replication_holds_one_world_at_a_time_unless_strategies_share_one():
    """Strategies that differ only by a factoring offer share a world, kept from the first that
    needs it to the last; every other world is freed after its strategy (run_replication)."""
    from simlib.run.replication import worlds_held_at_once
    from simlib.scenario.schema import load_scenario

    sc = load_scenario(ROOT / "parameters" / "baseline.yaml")
    assert worlds_held_at_once(sc) == 1
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    first = list(d["strategies"])[0]
    offer = next(s["factoring"] for s in d["strategies"].values() if s.get("factoring"))
    # a factored twin of the first strategy placed last: the first world lives until then
    twin = {k: v for k, v in d["strategies"][first].items() if k != "baseline"}
    d["strategies"]["twin"] = {**twin, "factoring": offer}
    from simlib.scenario.schema import scenario_from_dict
    assert worlds_held_at_once(scenario_from_dict(d, "twin")) == 2
    d["strategies"] = {first: d["strategies"][first], "twin": d["strategies"]["twin"]}  # adjacent: one
    assert worlds_held_at_once(scenario_from_dict(d, "twin")) == 1
