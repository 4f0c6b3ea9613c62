"""`simlib new` reads its template from the package, never from a checkout.

The template is the calibrated baseline, shipped as package data
(``simlib/scenario/templates/baseline.yaml``, ``[tool.setuptools.package-data]``). These tests
check that it is the repository's ``parameters/baseline.yaml`` byte for byte, that ``simlib new``
works from a copy of the package alone (no ``parameters/`` anywhere near it) in a folder outside the
repository, and (``-m slow``) that the source distribution carries the template.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from simlib.scenario.authoring import BASELINE_FILE

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_template_is_the_repositorys_baseline():
    assert BASELINE_FILE.is_relative_to(ROOT / "simlib")  # inside the package, not beside it
    assert BASELINE_FILE.read_bytes() == (ROOT / "parameters" / "baseline.yaml").read_bytes(), (
        "parameters/baseline.yaml changed: copy it to simlib/scenario/templates/baseline.yaml "
        "(the template `simlib new` ships with)")


def _run_new(python_path: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(python_path)
    code = ("import sys, simlib, simlib.cli; print(simlib.__file__, file=sys.stderr); "
            "sys.exit(simlib.cli.main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, "new", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_new_works_from_the_package_alone_outside_the_repository(tmp_path):
    """A copy of the package with no checkout around it: both starters are written and validate."""
    from simlib.scenario.schema import load_scenario

    site = tmp_path / "site"
    shutil.copytree(ROOT / "simlib", site / "simlib", ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "hospital"
    work.mkdir()
    for args, name in ((("st_mary", "--minimal"), "st_mary"), (("st_john",), "st_john")):
        proc = _run_new(site, work, *args)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert str(site / "simlib") in proc.stderr  # the copy was imported, not the checkout
        written = work / f"{name}.yaml"
        assert load_scenario(written).name == name
    full = yaml.safe_load((work / "st_john.yaml").read_text(encoding="utf-8"))
    assert set(full["strategies"]) == set(yaml.safe_load(BASELINE_FILE.read_text(encoding="utf-8"))["strategies"])


def test_a_missing_template_is_one_clear_line(tmp_path):
    """A broken install (template deleted) fails in one line naming the file, exit code 2."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "simlib", site / "simlib", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "simlib" / "scenario" / "templates" / "baseline.yaml").unlink()
    proc = _run_new(site, tmp_path, "st_mary", "--minimal")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "templates/baseline.yaml" in proc.stderr and "reinstall" in proc.stderr


@pytest.mark.slow
def test_the_source_distribution_carries_the_template(tmp_path):
    """An sdist built by setuptools' own backend from a copy of the project (no network, no build
    package; ~10 s): the template is in it, as package data, identical to the baseline."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "simlib", src / "simlib", ignore=shutil.ignore_patterns("__pycache__"))
    code = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "dist")], cwd=src, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sdist = tmp_path / "dist" / proc.stdout.split()[-1]
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
        assert "simlib/analysis/plausibility.yaml" in members
        template = tar.extractfile(members["simlib/scenario/templates/baseline.yaml"]).read()
    assert template == BASELINE_FILE.read_bytes()
