"""Names that become paths: a scenario's name becomes one directory inside ``--out``, never more.

A name is slugged (letters, digits, ``.``, ``_``, ``-``; no leading dot, no ``..``, no separator,
no Windows device name) and the resulting path is checked to be a direct child of the output
directory, so ``name: ../../x`` or ``name: /etc`` cannot write anywhere else.
"""
from __future__ import annotations

import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
SLUG_MAX = 80


def slug(name: str) -> str:
    """A file-system-safe directory name for ``name`` (``"scenario"`` if nothing is left)."""
    s = _UNSAFE.sub("-", str(name))
    s = re.sub(r"\.{2,}", ".", s).strip("-.")[:SLUG_MAX].strip("-.")
    if s.split(".")[0].lower() in _RESERVED:
        s = f"{s}-scenario"
    return s or "scenario"


def child_dir(out_dir: str | Path, name: str) -> Path:
    """``out_dir / slug(name)``, checked to lie directly inside ``out_dir``."""
    out = Path(out_dir)
    path = out / slug(name)
    if path.resolve(strict=False).parent != out.resolve(strict=False):
        raise ValueError(f"{name!r} would be written outside {out}")
    return path
