"""The versions a result depends on: Python, simlib and the packages of a run (provenance)."""
from __future__ import annotations

import platform
from importlib import metadata

#: The version of this package (``simlib.__version__`` is this value).
SIMLIB_VERSION = "0.1.0"

#: The distribution name on the package index (pyproject.toml): ``pip install simlib-hospital``;
#: the import name is ``simlib`` ("simlib" on the index is an unrelated molecular-dynamics toolkit).
DISTRIBUTION = "simlib-hospital"

PACKAGES = ("simlib", "numpy", "scipy", "pandas", "simpy", "pydantic", "dask", "distributed")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(DISTRIBUTION if pkg == "simlib" else pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out
