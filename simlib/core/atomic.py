"""Publishing files and directories so a reader sees the old complete version or the new one.

A directory is built under a hidden temporary name beside its target (same file system), every
file is flushed to disk, and the new directory is swapped in by one ``rename``: on Linux
``renameat2(RENAME_EXCHANGE)`` swaps the two directories atomically; elsewhere the old one is
renamed aside and the new one renamed in (a crash between the two leaves the old one under
``.<name>.old-<pid>-…``, which :func:`publish_dir` puts back on the next run). Temporary names
carry the writer's process id, so leftovers of a killed writer are recognised and removed.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def temp_path(target: Path, kind: str = "tmp") -> Path:
    """A hidden sibling of ``target`` named after it, this process and a random token."""
    return target.with_name(f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush every file under ``path`` and the directories themselves."""
    for root, _dirs, files in os.walk(path):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(Path(root))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temp file in the same directory and ``os.replace``."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``: a
    reader sees the old file or the whole new one, never part of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux renameat2); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def replace_dir(new: Path, target: Path) -> None:
    """Put the complete directory ``new`` in place of ``target`` (which may not exist)."""
    new, target = Path(new), Path(target)
    if target.exists() or target.is_symlink():
        if _exchange(new, target):  # `new` now holds the old directory
            fsync_dir(target.parent)
            shutil.rmtree(new, ignore_errors=True)
            return
        old = temp_path(target, "old")
        os.replace(target, old)
        try:
            os.replace(new, target)
        except BaseException:
            os.replace(old, target)
            raise
        fsync_dir(target.parent)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)
        fsync_dir(target.parent)


def clean_leftovers(target: Path) -> None:
    """Remove temporary siblings of ``target`` left by dead writers; restore an old directory
    that a crash left renamed aside while ``target`` itself is missing."""
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        m = _TEMP.match(entry.name)
        if not m or m["name"] != target.name or pid_alive(int(m["pid"])):
            continue
        if m["kind"] == "old" and not target.exists():
            os.replace(entry, target)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def clean_dead_temporaries(parent: Path) -> None:
    """:func:`clean_leftovers` for every target that has temporary siblings in ``parent``."""
    parent = Path(parent)
    if parent.is_dir():
        for name in {m["name"] for e in parent.iterdir() if (m := _TEMP.match(e.name))}:
            clean_leftovers(parent / name)


@contextlib.contextmanager
def publishing(target: str | Path) -> Iterator[Path]:
    """``with publishing(dir) as tmp:`` write into ``tmp``; on a normal exit it replaces ``dir``
    at once, on any exception (Ctrl-C included) it is removed and ``dir`` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    tmp = temp_path(target)
    tmp.mkdir()
    try:
        yield tmp
        fsync_tree(tmp)
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
