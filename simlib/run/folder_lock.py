"""One writer per result folder: ``simlib run``, ``report`` and ``search`` hold a lock on their
``--out`` folder for as long as they write into it.

Why: two runs into one folder used to delete each other's checkpoint and write replications of
one seed into the other's result (issue 21). The lock is the file ``<out>/.simlib.lock``, holding
the writer's process id, host, process start time and command, and kept under an exclusive
``flock`` (released by the kernel when the process dies, however it dies). A second writer finds
the lock held and is refused with one line naming the holder. A lock file left by a process that
no longer exists on this host is stale and taken over; one left by another host's process cannot
be checked from here and is refused, with the file to remove if that process has ended.

The lock is re-entrant within a process (``simlib search`` holds it while its final runs, which
publish through the same machinery, run) and is removed when its holder releases it.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from simlib.core.atomic import pid_alive
from simlib.scenario.schema import ScenarioError

try:  # POSIX; elsewhere the record alone decides (a live process on this host holds it)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = ".simlib.lock"
_HELD: dict[str, int] = {}  # lock path -> how many times this process holds it


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux ``/proc``), to tell a
    live holder from a new process that was given the dead holder's id; None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _record(command: str) -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "process_start": process_start(os.getpid()),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "command": command}


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        data = json.loads(os.read(fd, 65536).decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def holder_alive(record: dict) -> bool | None:
    """Whether the process a lock record names still runs: True or False on this host, None
    (cannot tell) for another host's process."""
    if record.get("host") != socket.gethostname():
        return None
    try:
        pid = int(record.get("pid", 0))
    except (TypeError, ValueError):
        return False
    if not pid_alive(pid):
        return False
    started = record.get("process_start")
    return started is None or process_start(pid) in (None, started)


def _busy(folder: Path, path: Path, record: dict, alive: bool | None) -> ScenarioError:
    who = (f"{record.get('command', 'simlib')} (pid {record.get('pid', '?')} on {record.get('host', '?')}, "
           f"since {record.get('started', '?')})")
    hint = ("wait until it finishes or stop it" if alive else
            f"if that process has ended, remove {path}")
    return ScenarioError("--out", [f"{folder} is being written by {who}; one writer per folder: {hint}, "
                                   f"or choose another --out"])


def _acquire(folder: Path, path: Path, command: str) -> int:
    for _ in range(50):  # the file can be replaced between open and lock by a releasing holder
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    record = _read(fd)
                    raise _busy(folder, path, record, holder_alive(record) is not False) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if not same:  # its holder removed it as we opened it: take the new one
                os.close(fd)
                continue
            record = _read(fd)
            if record and record.get("pid") != os.getpid() and holder_alive(record) is not False:
                # a record with no lock under it: a host the lock cannot reach, or no flock here
                raise _busy(folder, path, record, holder_alive(record))
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(_record(command)).encode("utf-8"))
            os.fsync(fd)
            return fd
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
    raise ScenarioError("--out", [f"{folder}: the lock {path} keeps changing; another writer is starting"])


@contextlib.contextmanager
def writer_lock(folder: str | Path, command: str = "simlib") -> Iterator[Path]:
    """Hold ``folder``'s writer lock for the duration (creating ``folder``); a folder another live
    writer holds raises :class:`ScenarioError` (one line naming the holder; exit 2)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    key = os.path.realpath(path)
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield path
        finally:
            _HELD[key] -= 1
        return
    fd = _acquire(folder, path, command)
    _HELD[key] = 1
    try:
        yield path
    finally:
        _HELD.pop(key, None)
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                os.unlink(path)  # before unlocking: a waiter that opened it re-checks the path
        os.close(fd)
