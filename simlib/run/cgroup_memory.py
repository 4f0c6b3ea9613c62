"""The memory a container (Linux control group) still allows this process, for the run's budget.

Why (issue 21): the budget read the host's available memory; in a container limited to 600 MB a
run the host could hold was accepted and a worker was OOM-killed. The kernel enforces the
smallest limit among the process's cgroup and its ancestors, so the room left is, over every level
that has a limit, the least of ``limit − usage``, where usage leaves out the inactive file cache
(reclaimed before the OOM killer acts, as ``docker stats`` counts it). Both cgroup versions:

* v2 (unified): ``memory.max`` ("max" = none), ``memory.current``, ``memory.stat: inactive_file``
  under the ``0::<path>`` line of ``/proc/self/cgroup``;
* v1: ``memory.limit_in_bytes`` (a value near 2^63 = none), ``memory.usage_in_bytes``,
  ``memory.stat: total_inactive_file`` under the ``<n>:memory:<path>`` line.
"""
from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
UNLIMITED_V1 = 1 << 60  # v1 writes 2^63 rounded down to a page for "no limit"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _stat(path: Path, key: str) -> float:
    text = _read(path) or ""
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return float(value)
    return 0.0


def _levels(mount: Path, relative: str) -> list[Path]:
    """The cgroup directory of this process and its ancestors up to ``mount`` (existing ones)."""
    here = mount / relative.strip("/") if relative.strip("/") else mount
    out = []
    while True:
        if here.is_dir():
            out.append(here)
        if here == mount or mount not in here.parents:
            break
        here = here.parent
    return out


def cgroup_available_bytes(root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> float | None:
    """Bytes the process's memory cgroup(s) still allow, or None when no level has a limit."""
    lines = (_read(proc_cgroup) or "").splitlines()
    rooms: list[float] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, relative = parts
        if controllers == "":  # v2
            for mount in (root, root / "unified"):
                if (mount / "cgroup.controllers").exists():
                    for level in _levels(mount, relative):
                        limit = _read(level / "memory.max")
                        usage = _read(level / "memory.current")
                        if limit and limit != "max" and limit.isdigit() and usage and usage.isdigit():
                            used = float(usage) - _stat(level / "memory.stat", "inactive_file")
                            rooms.append(float(limit) - max(0.0, used))
                    break
        elif "memory" in controllers.split(","):  # v1
            for level in _levels(root / "memory", relative):
                limit = _read(level / "memory.limit_in_bytes")
                usage = _read(level / "memory.usage_in_bytes")
                if limit and limit.isdigit() and int(limit) < UNLIMITED_V1 and usage and usage.isdigit():
                    used = float(usage) - _stat(level / "memory.stat", "total_inactive_file")
                    rooms.append(float(limit) - max(0.0, used))
    return max(0.0, min(rooms)) if rooms else None
