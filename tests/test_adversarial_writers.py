"""Issue 21, item 1 (adversarial corpus): one writer per result folder.

On af304e3 a second ``simlib run`` into the same ``--out`` deleted the first one's checkpoint, the
first kept writing replications into the second's folder, and ``--resume`` with another seed then
published replications of one seed under the provenance of the other. Now the folder is locked
(:mod:`simlib.run.folder_lock`) and every stored replication carries its own seed and parameter hash.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from simlib.cli import main
from simlib.run import experiment
from simlib.run.checkpoint import checkpoint_dir
from simlib.run.folder_lock import LOCK_NAME, writer_lock
from simlib.run.experiment import Results
from simlib.scenario.schema import ScenarioError

ROOT = Path(__file__).resolve().parents[1]


def scenario_file(tmp_path: Path) -> Path:
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    d["simulation"].update(encounters_per_day=2, billing_window_days=200, horizon_days=300,
                           measurement_day=200, ar_window_days=30, workers=1)
    f = tmp_path / "small.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    return f


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_two_concurrent_runs_into_one_folder_never_mix(tmp_path):
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    a = subprocess.Popen([sys.executable, "-m", "simlib", "run", str(f), "--replications", "12", "--seed", "7",
                          "--out", str(out), "--quiet"], env=_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        ck = checkpoint_dir(out / "baseline")
        deadline = time.time() + 120
        while not (ck.is_dir() and any(p.name.startswith("rep-") for p in ck.iterdir())):
            assert a.poll() is None and time.time() < deadline, "run A ended before a replication was stored"
            time.sleep(0.1)
        b = subprocess.run([sys.executable, "-m", "simlib", "run", str(f), "--replications", "3", "--seed", "1",
                            "--out", str(out), "--quiet"], env=_env(), capture_output=True, text=True,
                           timeout=120)
        assert b.returncode == 2
        assert b.stderr.count("\n") == 1, b.stderr
        assert "is being written by simlib run (pid" in b.stderr and f"pid {a.pid} " in b.stderr
        out_a, err_a = a.communicate(timeout=300)
    finally:
        if a.poll() is None:
            a.kill()
    assert a.returncode == 0, err_a
    res = Results.load(out / "baseline")
    assert res.provenance["seed"] == 7 and sorted(res.metrics["replication"].unique()) == list(range(12))
    assert not (out / LOCK_NAME).exists()  # released
    # every replication of A is A's: the same numbers as a run of seed 7 alone
    alone = experiment.run_replication(res.scenario, 11, 7)["metrics"]
    got = res.metrics[res.metrics["replication"] == 11].reset_index(drop=True)
    assert np.array_equal(got["value"].to_numpy(), alone["value"].to_numpy(), equal_nan=True)


def test_a_live_holder_is_named_and_a_second_writer_refused(tmp_path, capsys):
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from simlib.run.folder_lock import writer_lock
        with writer_lock({str(out)!r}, "simlib search"):
            print("held", flush=True)
            sys.stdin.read()
        """)], env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for argv in (["run", str(f), "--replications", "2", "--out", str(out), "--quiet"],
                     ["run", str(f), "--replications", "2", "--out", str(out), "--quiet", "--resume"],
                     ["report", str(f), "--replications", "2", "--out", str(out)]):
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and f"simlib search (pid {holder.pid} on {socket.gethostname()}" in err
        from simlib.search.command import main as search_main
        assert search_main([str(f), "--out", str(out), "--quiet"]) == 2
        assert "one writer per folder" in capsys.readouterr().err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not (out / LOCK_NAME).exists()
    assert not (out / "baseline").exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(),
                                             "started": "2026-01-01T00:00:00+00:00", "command": "simlib run"}))
    assert main(["run", str(f), "--replications", "2", "--seed", "1", "--out", str(out), "--quiet"]) == 0
    assert not (out / LOCK_NAME).exists()


def test_a_lock_of_another_host_is_refused_with_the_file_to_remove(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": 1234, "host": "another-host.invalid",
                                             "started": "2026-01-01T00:00:00+00:00", "command": "simlib run"}))
    with pytest.raises(ScenarioError, match=f"if that process has ended, remove {out / LOCK_NAME}"):
        with writer_lock(out):
            pass
    assert (out / LOCK_NAME).exists()  # not ours to remove


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    with writer_lock(tmp_path, "simlib search"):
        with writer_lock(tmp_path, "simlib run"):
            assert (tmp_path / LOCK_NAME).exists()
        assert json.loads((tmp_path / LOCK_NAME).read_text())["command"] == "simlib search"
    assert not (tmp_path / LOCK_NAME).exists()


def test_resume_refuses_replications_of_another_seed_behind_a_rewritten_run_json(tmp_path, monkeypatch, capsys):
    """The corruption of af304e3: run.json says seed 1, replications were stored by seed 7."""
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    real = experiment._run_one

    def fail_third(task):
        if task[1] == 2:
            raise RuntimeError("stop here")
        return real(task)

    monkeypatch.setattr(experiment, "_run_one", fail_third)
    assert main(["run", str(f), "--replications", "4", "--seed", "7", "--out", str(out), "--quiet"]) == 5
    monkeypatch.setattr(experiment, "_run_one", real)
    run_json = checkpoint_dir(out / "baseline") / "run.json"
    data = json.loads(run_json.read_text())
    data["seed"] = 1  # what a second writer with seed 1 left behind
    run_json.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["run", str(f), "--replications", "4", "--seed", "1", "--resume", "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stored replication 0 is of a different run (seed 7 ≠ 1)" in err
    assert not (out / "baseline").exists()


def test_resume_with_another_seed_is_refused(tmp_path, monkeypatch, capsys):
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    real = experiment._run_one
    monkeypatch.setattr(experiment, "_run_one",
                        lambda task: (_ for _ in ()).throw(RuntimeError("stop")) if task[1] == 1 else real(task))
    assert main(["run", str(f), "--replications", "3", "--seed", "7", "--out", str(out), "--quiet"]) == 5
    monkeypatch.setattr(experiment, "_run_one", real)
    capsys.readouterr()
    assert main(["run", str(f), "--replications", "3", "--seed", "8", "--resume", "--out", str(out), "--quiet"]) == 2
    assert "seed 7 ≠ 8" in capsys.readouterr().err
