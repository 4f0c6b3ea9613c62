"""Calibration inputs (a payment history, a column mapping, a fitted file) read like scenario
files (issue 21): a regular file only (a FIFO, device or directory is refused at once instead of
hanging), read once (a process substitution ``<(…)`` cannot be read twice), of bounded size, and
without NUL bytes (a binary file or a UTF-16 export), each problem one line naming the file.
"""
from __future__ import annotations

from pathlib import Path

from simlib.core.yaml_reading import read_bytes

#: Largest history read: 1 GiB (the shipped export is 0.2 MB; a hospital's year is well under this).
HISTORY_MAX_BYTES = 1 << 30
#: Largest mapping or fitted file: 1 MiB, as a scenario file.
SMALL_FILE_MAX_BYTES = 1 << 20


def read_input(path: str | Path, what: str, expected: str, error: type[Exception],
               limit: int = SMALL_FILE_MAX_BYTES) -> bytes:
    """The bytes of ``path`` (the ``what``: "history file"), read once, or
    ``error("<path>: cannot read the <what>: <reason>")`` (one line)."""
    name = str(path)
    try:
        raw = read_bytes(Path(path), limit, expected)
    except ValueError as exc:
        raise error(f"{name}: cannot read the {what}: {exc}") from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise error(f"{name}: line {line} holds a NUL byte (a binary file, or UTF-16 text); expected {expected} "
                    f"as UTF-8 text")
    return raw


def read_input_text(path: str | Path, what: str, expected: str, error: type[Exception]) -> str:
    """:func:`read_input` decoded as UTF-8 (a byte-order mark is fine)."""
    raw = read_input(path, what, expected, error)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}: line {line} is not UTF-8 text; expected {expected} as UTF-8") from None
