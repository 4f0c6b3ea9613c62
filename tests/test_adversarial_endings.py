"""Issue 21, item 6 (adversarial corpus): quiet, correct endings.

On af304e3 ``simlib calibrate kpis`` died on SIGTERM with no message (rc -15) where ``run`` and
``search`` exit 143, and a lost Dask scheduler printed 26 lines of ``distributed.client`` logging
with two tracebacks before the one line that said so.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from conftest import tiny
from simlib.run.dask_cluster import captured_dask_logs

ROOT = Path(__file__).resolve().parents[1]


def _catches_sigterm(pid: int) -> bool:
    """Whether process ``pid`` has a SIGTERM handler (Linux /proc: the SigCgt mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("SigCgt:")), 16)
    return bool(mask & (1 << (signal.SIGTERM - 1)))


def test_calibrate_kpis_handles_sigterm_like_run(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(tiny(simulation={"open_book_accounts": 3000})))
    out = tmp_path / "fitted.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "simlib", "calibrate", "kpis", str(scenario), "--out", str(out),
                             "--replications", "20", "--seed", "3", "--target", "patient_collection_rate=0.6",
                             "--param", "behaviour.initial_per_day=0.015"],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not _catches_sigterm(proc.pid):  # past the imports: its SIGTERM handler is installed
            assert proc.poll() is None and time.time() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(1.0)  # inside the fit
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    lines = [ln for ln in err.splitlines() if ln.strip() and "%|" not in ln]
    assert lines == ["simlib calibrate kpis: interrupted by SIGTERM; no output file was written or changed"], err
    assert not out.exists()


def test_dask_logging_is_captured_not_printed(capfd):
    with captured_dask_logs() as log:
        logging.getLogger("distributed.client").error("Failed to reconnect to scheduler after 30.00 seconds")
        logging.getLogger("distributed.core").exception("Exception while handling op", exc_info=(ValueError, ValueError("x"), None))
    assert capfd.readouterr().err == ""
    assert len(log) == 2 and log[0].startswith("distributed.client ERROR: Failed to reconnect")
    # and the loggers are as they were afterwards
    assert logging.getLogger("distributed").propagate is not False or logging.getLogger("distributed").handlers
