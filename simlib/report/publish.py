"""Atomic publication on disk: a file or a directory is replaced whole or not at all, so an
interrupted run leaves the previous report intact; and safe directory names."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path


def slug(text: str) -> str:
    """A file-system-safe directory name: letters, digits, ``.``, ``_`` and ``-``."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return s or "scenario"


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temp file in the same directory and ``os.replace``.

    A reader (or an interrupted run) sees either the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _replace_dir(new: Path, target: Path) -> None:
    """Swap a freshly written directory into place (rename old aside, rename new in, delete old)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
