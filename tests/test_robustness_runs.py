"""Issue 14: no interruption leaves wrong or mixed results, and no worker process survives.

A result directory is the previous complete result or the new one, never a mix; finished
replications are checkpointed as they arrive and ``--resume`` reaches the numbers of an
uninterrupted run byte for byte; SIGINT, SIGTERM and SIGKILL of a real ``simlib run`` leave no
worker behind; a lost Dask scheduler is said as such; a conservation or factoring P&L failure has
its own exit code and names receivables.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simlib.run import experiment
from simlib.cli import main
from simlib.run.experiment import Results

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("metrics", "curves", "aging", "assumptions", "summary", "paired_differences", "probability_best",
          "data_dictionary")


def scenario_file(tmp_path: Path, encounters_per_day: float = 2, name: str = "small.yaml") -> Path:
    d = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    d["simulation"].update(encounters_per_day=encounters_per_day, billing_window_days=200,
                           horizon_days=300, measurement_day=200, ar_window_days=30, workers=1)
    f = tmp_path / name
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    return f


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file of a directory tree and its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def hidden_leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------- publishing
def test_an_interrupted_save_leaves_the_previous_result_untouched(tmp_path, monkeypatch, capsys):
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(f), "--replications", "2", "--seed", "1", "--out", str(out), "--quiet"]) == 0
    before = snapshot(out / "baseline")
    real, calls = pd.DataFrame.to_csv, []

    def interrupted_after_two_tables(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of writing the tables
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted_after_two_tables)
    assert main(["run", str(f), "--replications", "2", "--seed", "2", "--out", str(out), "--quiet"]) == 130
    assert len(calls) == 3
    assert snapshot(out / "baseline") == before  # the old complete result, every byte
    assert json.loads(before["provenance.json"])["seed"] == 1
    # the temporary directory is gone; the finished replications wait in the checkpoint
    assert hidden_leftovers(out) == [".baseline.checkpoint"]


def test_a_csv_run_after_a_parquet_run_leaves_no_stale_parquet(tmp_path, capsys):
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(f), "--replications", "2", "--seed", "1", "--format", "parquet",
                 "--out", str(out), "--quiet"]) == 0
    assert (out / "baseline" / "metrics.parquet").exists()
    assert main(["run", str(f), "--replications", "3", "--seed", "2", "--format", "csv",
                 "--out", str(out), "--quiet"]) == 0
    names = sorted(p.name for p in (out / "baseline").iterdir())
    assert names == sorted([f"{t}.csv" for t in TABLES] + ["decision.json", "provenance.json", "scenario.yaml"])
    res = Results.load(out / "baseline")
    assert res.provenance["format"] == "csv" and sorted(res.metrics.replication.unique()) == [0, 1, 2]
    assert hidden_leftovers(out) == []


def test_loading_refuses_to_guess_between_two_formats(tmp_path):
    d = tmp_path / "old"
    d.mkdir()
    for ext in ("csv", "parquet"):
        (d / f"metrics.{ext}").write_text("x")
    (d / "provenance.json").write_text("{}")
    from simlib.scenario.schema import ScenarioError
    with pytest.raises(ScenarioError, match="both metrics.csv and metrics.parquet exist"):
        Results.load(d)


# --------------------------------------------------------------------------- resume
def test_resume_refuses_a_checkpoint_of_another_run(tmp_path, monkeypatch, capsys):
    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    real = experiment._run_one

    def fail_third(task):
        if task[1] == 2:
            raise RuntimeError("stop here")
        return real(task)

    monkeypatch.setattr(experiment, "_run_one", fail_third)
    assert main(["run", str(f), "--replications", "4", "--seed", "1", "--out", str(out), "--quiet"]) == 5
    capsys.readouterr()
    monkeypatch.setattr(experiment, "_run_one", real)
    assert main(["run", str(f), "--replications", "4", "--seed", "2", "--resume", "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--resume: the checkpoint" in err and "seed 1 ≠ 2" in err
    assert not (out / "baseline").exists()


# --------------------------------------------------------------------------- signals and orphans
def _children(pid: int) -> list:
    try:
        import psutil
        return psutil.Process(pid).children(recursive=True)
    except ImportError:  # /proc: direct children are enough (workers are forked by the main process)
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
        return out


def _alive(proc) -> bool:
    try:
        import psutil
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except ImportError:
        try:
            state = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"
    except Exception:  # psutil.NoSuchProcess
        return False


def report_notebooks(folder: Path, bodies: dict) -> Path:
    """A folder of one-cell page notebooks (name -> code) that take the pipeline's parameters."""
    import nbformat

    folder.mkdir()
    for name, body in bodies.items():
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell("scenario_file = ''\nresults_dir = ''\n")
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(body)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return folder


def _wait_until(condition, what: str, limit_s: float = 60.0) -> None:
    """Poll ``condition`` (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def _start_run(f: Path, out: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simlib", "run", str(f), "--replications", "12",
                             "--seed", "4", "--workers", "2", "--out", str(out), "--quiet", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _checkpointed(out: Path) -> list[int]:
    ck = out / ".baseline.checkpoint"
    reps = []
    for d in sorted(ck.glob("rep-*")):
        assert sorted(p.name for p in d.iterdir()) == ["aging.parquet", "assumptions.parquet", "curves.parquet",
                                                       "metrics.parquet", "replication.json"]
        reps.append(int(d.name.split("-")[1]))
    return reps


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run (12 replications, seed 4) and an older complete result (seed 9)."""
    tmp = tmp_path_factory.mktemp("reference")
    f = scenario_file(tmp, encounters_per_day=8)
    assert main(["run", str(f), "--replications", "12", "--seed", "4", "--workers", "2",
                 "--out", str(tmp / "full"), "--quiet"]) == 0
    assert main(["run", str(f), "--replications", "2", "--seed", "9", "--out", str(tmp / "old"),
                 "--quiet"]) == 0
    return f, snapshot(tmp / "full" / "baseline"), snapshot(tmp / "old" / "baseline")


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_signal_keeps_the_old_result_and_finished_replications_and_leaves_no_worker(
        tmp_path, reference, sig, code):
    f, full, old = reference
    out = tmp_path / "out"
    (out / "baseline").mkdir(parents=True)
    for name, data in old.items():  # a previous complete result (seed 9) in the output directory
        (out / "baseline" / name).write_bytes(data)
    proc = _start_run(f, out)
    _wait_until(lambda: (out / ".baseline.checkpoint").is_dir() and _checkpointed(out) or proc.poll() is not None,
                "the first checkpointed replication")
    assert proc.poll() is None, proc.communicate()
    workers = _children(proc.pid)
    assert len(workers) >= 2  # the pool is up
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert "Traceback" not in err
    if sig != signal.SIGKILL:
        assert "interrupted by" in err and "checkpointed in" in err and "--resume" in err
    _wait_until(lambda: not any(_alive(w) for w in workers), "the workers to exit")
    assert snapshot(out / "baseline") == old  # never a mix: the old result, every byte
    done = _checkpointed(out)
    assert done and len(done) < 12
    if sig == signal.SIGKILL:  # resume: only the missing replications run; the tables are identical
        resumed = subprocess.run([sys.executable, "-m", "simlib", "run", str(f), "--replications", "12",
                                  "--seed", "4", "--workers", "2", "--out", str(out), "--quiet",
                                  "--resume"], capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert f"({len(done)} resumed from the checkpoint)" in resumed.stdout
        new = snapshot(out / "baseline")
        for t in TABLES:
            assert new[f"{t}.csv"] == full[f"{t}.csv"], t
        assert hidden_leftovers(out) == []


@pytest.mark.slow
def test_a_kill_while_publishing_leaves_the_old_result(tmp_path, reference):
    """SIGKILL after half the new tables are written: the folder still holds the old result, and
    the next run removes the dead writer's temporary directory."""
    f, _full, old = reference
    out = tmp_path / "out"
    (out / "baseline").mkdir(parents=True)
    for name, data in old.items():
        (out / "baseline" / name).write_bytes(data)
    child = textwrap.dedent(f"""
        import sys, time
        import pandas as pd
        real, n = pd.DataFrame.to_csv, []
        def slow(self, *a, **k):
            r = real(self, *a, **k)
            n.append(1)
            if len(n) == 3:
                print("HALF", flush=True)
                time.sleep(600)
            return r
        pd.DataFrame.to_csv = slow
        from simlib.cli import main
        sys.exit(main(["run", {str(f)!r}, "--replications", "2", "--seed", "5", "--out", {str(out)!r},
                       "--quiet"]))
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "HALF"
    proc.kill()
    proc.wait(timeout=60)
    assert snapshot(out / "baseline") == old
    leftovers = hidden_leftovers(out)
    assert any(n.startswith(".baseline.tmp-") for n in leftovers)
    assert main(["run", str(f), "--replications", "2", "--seed", "5", "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "baseline" / "provenance.json").read_text())["seed"] == 5
    assert hidden_leftovers(out) == []


def test_workers_exit_when_the_main_process_dies(tmp_path):
    """The pool initializer alone (no CLI): a process that starts a pool and is SIGKILLed."""
    child = textwrap.dedent("""
        import os, sys, time
        from simlib.run.pool import run_tasks
        def task(i):
            open(f"{os.getpid()}.pid", "w").close()  # one file per worker: nothing to interleave
            time.sleep(600)
        run_tasks(task, [0, 1], workers=2)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], cwd=str(tmp_path),
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    _wait_until(lambda: len(list(tmp_path.glob("*.pid"))) == 2, "both workers to start")
    pids = {int(p.stem) for p in tmp_path.glob("*.pid")}
    workers = [w for w in _children(proc.pid) if (getattr(w, "pid", w)) in pids]
    assert len(workers) == 2
    proc.kill()
    proc.wait(timeout=60)
    _wait_until(lambda: not any(_alive(w) for w in workers), "the orphaned workers to exit")


# --------------------------------------------------------------------------- Dask
def test_a_lost_scheduler_is_said_as_such_and_finished_replications_are_kept(tmp_path, monkeypatch, capsys):
    distributed = pytest.importorskip("distributed")
    from simlib.run import checkpoint

    f = scenario_file(tmp_path)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None, silence_logs=50)
    real_save = checkpoint.Checkpoint.save

    def save_then_lose_the_scheduler(self, replication, tables):
        real_save(self, replication, tables)
        if cluster.status.name == "running":
            cluster.close()

    monkeypatch.setattr(checkpoint.Checkpoint, "save", save_then_lose_the_scheduler)
    try:
        code = main(["run", str(f), "--replications", "6", "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "out"), "--quiet"])
    finally:
        cluster.close()
    err = capsys.readouterr().err
    assert code == 6
    assert "lost the connection to the Dask scheduler after 1 of 6 replications" in err
    assert "failed" not in err  # a lost connection is not a failed replication
    assert "1 finished replication checkpointed in" in err
    assert len(list((tmp_path / "out" / ".baseline.checkpoint").glob("rep-*"))) == 1
    assert not (tmp_path / "out" / "baseline").exists()


# --------------------------------------------------------------------------- money checks
def test_a_factoring_pnl_failure_stops_the_run_with_exit_3_naming_receivables(tmp_path, monkeypatch, capsys):
    from simlib.model import factoring_settlement as factoring

    real = factoring.settle

    def off_by_a_cent(*args, **kwargs):
        s = real(*args, **kwargs)
        r = int(np.flatnonzero(s.factored)[0])
        s.rebates[r] += 1  # the factor pays one cent it never booked
        return s

    monkeypatch.setattr(factoring, "settle", off_by_a_cent)
    f = scenario_file(tmp_path)
    assert main(["run", str(f), "--replications", "2", "--out", str(tmp_path / "out"), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "money was lost or created in replication 0" in err
    assert "strategy 'letters_factored' (factoring): the factor's P&L identity" in err
    assert "fails for 1 receivable(s) (cents): #" in err and "gap -1" in err
    assert not (tmp_path / "out" / "baseline").exists()
    # the report command says the same with the same code
    assert main(["report", str(f), "--replications", "2", "--out", str(tmp_path / "rep")]) == 3
    assert "the factor's P&L identity" in capsys.readouterr().err


def test_a_lost_cent_in_the_collection_path_stops_the_run_with_exit_3(tmp_path, monkeypatch, capsys):
    from simlib.core import ledger
    from simlib.core.ledger import Kind

    real, lost = ledger.LedgerWriter.post, []

    def post(self, receivable, day, kind, amount_cents):
        if kind == Kind.PAYMENT_PATIENT and not lost:
            lost.append(receivable)
            amount_cents -= 1  # the payment row misses a cent the balance lost
        return real(self, receivable, day, kind, amount_cents)

    monkeypatch.setattr(ledger.LedgerWriter, "post", post)
    # the SimPy engine's writer (on the hybrid every patient balance of this scenario runs in NumPy,
    # whose rows do not pass through it; the conservation check reads the ledger either way)
    monkeypatch.setenv("SIMLIB_ENGINE", "simpy")
    f = scenario_file(tmp_path)
    assert main(["run", str(f), "--replications", "2", "--out", str(tmp_path / "out"), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "ledger does not balance for 1 receivable(s) (cents): " in err and f"#{lost[0]}:" in err


# --------------------------------------------------------------------------- reports
@pytest.mark.slow
def test_an_interrupted_report_keeps_the_old_pages_and_leaves_no_kernel_or_temporary_file(tmp_path):
    """SIGTERM while the second notebook runs: the scenario's directory is the previous complete
    report, no staging or temporary kernel directory is left, and no kernel survives. Leftovers
    of an earlier killed build (a dead process's staging and kernel directories) are removed."""
    import tempfile

    from simlib import report

    nbdir = report_notebooks(tmp_path / "nbs", {
        "quick": "print('quick')",
        "slow": "import os, time\nif os.environ.get('SIMLIB_TEST_MARK'):\n"
                "    open(os.environ['SIMLIB_TEST_MARK'], 'w').close()\n"
                "    time.sleep(600)"})
    f = scenario_file(tmp_path, name="t.yaml")
    out = tmp_path / "out"
    report.build_reports([f], out_dir=out, replications=2, pages=["quick", "slow"],
                         notebook_dir=nbdir, log=lambda *a: None)
    old = snapshot(out / "t")
    assert {"quick.html", "slow.html", "manifest.json", "results/provenance.json"} <= set(old)

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale_stage = out / f".t.tmp-{dead}-0a1b2c3d"
    (stale_stage / "results").mkdir(parents=True)
    (stale_stage / "manifest.json").write_text("{}")
    stale_scratch = Path(tempfile.gettempdir()) / f"simlib-report-{dead}-stale"
    (stale_scratch / "runtime").mkdir(parents=True)
    (stale_scratch / "runtime" / "kernel-1.json").write_text("{}")

    mark = tmp_path / "slow-started"
    child = textwrap.dedent(f"""
        import signal, sys
        from simlib.cli import _on_sigterm
        from simlib.report import build_reports
        signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            build_reports([{str(f)!r}], out_dir={str(out)!r}, replications=2, seed=99,
                          pages=["quick", "slow"], notebook_dir={str(nbdir)!r}, log=lambda *a: None)
        except KeyboardInterrupt:
            sys.exit(143)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SIMLIB_TEST_MARK": str(mark)})
    _wait_until(lambda: mark.exists() or proc.poll() is not None, "the second notebook to start")
    assert proc.poll() is None, proc.communicate()
    kernels = _children(proc.pid)
    assert kernels
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    _wait_until(lambda: not any(_alive(k) for k in kernels), "the kernel to exit")
    assert snapshot(out / "t") == old
    assert hidden_leftovers(out) == []  # the killed build's stage and this build's stage are gone
    assert not stale_scratch.exists()
    assert not list(Path(tempfile.gettempdir()).glob(f"simlib-report-{proc.pid}-*"))


def test_a_full_disk_while_publishing_is_one_line_and_keeps_the_old_result(tmp_path, monkeypatch, capsys):
    import errno

    f = scenario_file(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(f), "--replications", "2", "--seed", "1", "--out", str(out), "--quiet"]) == 0
    before = snapshot(out / "baseline")

    def no_space(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", no_space)
    assert main(["run", str(f), "--replications", "2", "--seed", "2", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"{f}: cannot write {out / 'baseline'}: No space left on device")
    assert "2 finished replications checkpointed in" in err and "--resume" in err
    assert snapshot(out / "baseline") == before
    assert hidden_leftovers(out) == [".baseline.checkpoint"]
    monkeypatch.undo()  # space again: --resume publishes the checkpointed replications
    assert main(["run", str(f), "--replications", "2", "--seed", "2", "--out", str(out), "--quiet",
                 "--resume"]) == 0
    assert "(2 resumed from the checkpoint)" in capsys.readouterr().out
    assert json.loads((out / "baseline" / "provenance.json").read_text())["seed"] == 2
