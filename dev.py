#!/usr/bin/env python3
"""One-file set-up for simlib: `python3 dev.py reports` or `python3 dev.py test`.

`test` runs every test, the slow statistical and browser ones included (plain `pytest` runs
only the fast ones), on one pytest-xdist worker per core up to four. `reports` builds the reports of every `parameters/*.yaml` — with their PDFs
and each scenario's board pack (`board_pack.pdf`) when a headless Chromium is installed — and, when the shared
invoice history `../shared/data/ar_payment_history/invoices.csv` is beside the checkout, its
calibration report (`simlib calibrate report … --cross-validate`). `reports` reuses runs already
simulated with the same inputs and code from `.cache/results` (delete it to clear; set
`SIMLIB_RESULT_CACHE=` to switch the cache off).

Creates (or refreshes, when pyproject.toml changed) a local virtual environment in `.venv`,
installs simlib with its test extras into it, then runs the requested task inside it.
Needs only Python 3.11+ with pip and venv; standard library only.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".simlib-installed"
INVOICES = ROOT.parent / "shared" / "data" / "ar_payment_history" / "invoices.csv"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    if not PY.exists():
        print("dev.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _fingerprint():
        print("dev.py: installing simlib and its dependencies into .venv", flush=True)
        subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"])
        subprocess.check_call([str(PY), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"])
        STAMP.write_text(_fingerprint())


def _workers(rest: list[str]) -> list[str]:
    """pytest-xdist options for the whole suite: one worker per core up to four (the suite is
    mostly simulation, CPU-bound; more workers than cores only add contention), test files kept
    whole on one worker (``loadfile``: a module's shared fixtures are built once). None when the
    caller chose (``-n``/``-p no:xdist``) or the machine has a single core."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) or "xdist" in a for a in rest):
        return []
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = min(cores, 4)
    return ["-n", str(n), "--dist", "loadfile"] if n > 1 else []


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"reports", "test", "setup"}:
        print(__doc__)
        return 2
    ensure_env()
    task, rest = argv[0], argv[1:]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")
    if task == "setup":
        return 0
    if task == "test":  # the full suite: fast, slow statistical and browser tests
        return subprocess.call([str(PY), "-m", "pytest", "-m", "", *_workers(rest), *rest], cwd=ROOT, env=env)
    files = rest or sorted(str(p) for p in (ROOT / "parameters").glob("*.yaml"))
    # reuse runs (simlib.run.result_cache): a run the main experiment, the contributions, the
    # sensitivity sweep or an earlier build already simulated with the same inputs and code is
    # read, not simulated again; SIMLIB_RESULT_CACHE= (empty) switches it off
    env.setdefault("SIMLIB_RESULT_CACHE", str(ROOT / ".cache" / "results"))
    # the printed pages and the board pack need a headless Chromium (simlib.report.pdf); the HTML does not
    chromium = os.environ.get("SIMLIB_CHROMIUM") or next(
        (n for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable") if shutil.which(n)), None)
    pdf = ["--pdf"] if chromium else []
    if not chromium:
        print("dev.py: no headless Chromium found: HTML reports only, no PDF or board pack "
              "(apt-get install chromium, or set SIMLIB_CHROMIUM)", flush=True)
    status = subprocess.call([str(PY), "-m", "simlib", "report", *files, "--out", str(ROOT / "reports"), *pdf],
                             cwd=ROOT, env=env)
    if status == 0 and not rest and INVOICES.exists():
        # the calibration report of the shared invoice history: fitted to every customer, and each
        # customer predicted by fits that never saw it (10 seeded splits holding 30 % out)
        status = subprocess.call([str(PY), "-m", "simlib", "calibrate", "report", str(INVOICES),
                                  "--cross-validate", "--seed", "1", "--out", str(ROOT / "reports")],
                                 cwd=ROOT, env=env)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
