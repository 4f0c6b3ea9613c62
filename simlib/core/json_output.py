"""``--json``: a command's outcome as one JSON document on stdout, for scripts and other tools.

With ``--json`` (on ``simlib run``, ``validate``, ``search`` and ``calibrate``, or before any
command: ``simlib --json run …``) everything the command would print — its text on stdout, its
errors and warnings on stderr, progress bars, output of worker processes — is captured, and
stdout gets exactly one document::

    {"command": "run", "argv": [...], "ok": true, "exit_code": 0,
     "result": {...what the command records...}, "messages": [...stdout lines],
     "errors": [...stderr lines]}

``ok`` is ``exit_code == 0``; a failure has ``ok`` false, the same exit code as without
``--json`` (2 for bad input, …) and its one-line explanation in ``errors``. Commands add their
numbers to ``result`` with :func:`record`, which does nothing without ``--json``.
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from typing import Any

#: Commands that accept ``--json``. ``calibrate check`` also has ``--json FILE`` (write the comparison
#: to FILE): there a ``--json`` followed by a value is that option, a bare one is this.
COMMANDS = ("run", "validate", "search", "calibrate")

_result: dict[str, Any] | None = None  # the document's "result" while a --json command runs


def active() -> bool:
    """True while a command runs with ``--json`` (commands then skip progress bars)."""
    return _result is not None


def record(key: str, value: Any, append: bool = True) -> None:
    """Add ``value`` under ``key`` of the document's ``result`` (a list of them when ``append``); a
    callable ``value`` is called first, only with ``--json``."""
    if _result is None:
        return
    value = value() if callable(value) else value
    if append:
        _result.setdefault(key, []).append(value)
    else:
        _result[key] = value


def split_flag(argv: list[str]) -> tuple[bool, list[str]]:
    """``(True, argv without the flag)`` when ``argv`` asks for JSON output, else ``(False, argv)``.
    The flag is ``--json`` before the command, or anywhere after one of :data:`COMMANDS` — except
    ``calibrate check``'s ``--json FILE``."""
    if argv[:1] == ["--json"]:
        return True, argv[1:]
    if not argv or argv[0] not in COMMANDS:
        return False, argv
    for i, token in enumerate(argv):
        if token != "--json":
            continue
        takes_file = argv[:2] == ["calibrate", "check"] and i + 1 < len(argv) and not argv[i + 1].startswith("-")
        if not takes_file:
            return True, argv[:i] + argv[i + 1:]
    return False, argv


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy and pandas scalars plain numbers, paths text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _lines(text: str) -> list[str]:
    """Printed text as lines, progress-bar redraws (carriage returns) and blank lines left out."""
    return [line.split("\r")[-1].rstrip() for line in text.splitlines() if line.split("\r")[-1].strip()]


@contextlib.contextmanager
def _captured_fds(out: io.StringIO, err: io.StringIO):
    """Send file descriptors 1 and 2 (worker processes, C libraries) to temp files while the
    command runs, and their text into ``out`` / ``err`` after."""
    try:
        saved = os.dup(1), os.dup(2)
    except OSError:  # no real descriptors (an embedding application): Python-level capture only
        yield
        return
    with tempfile.TemporaryFile() as fd_out, tempfile.TemporaryFile() as fd_err:
        sys.__stdout__ and sys.__stdout__.flush()
        sys.__stderr__ and sys.__stderr__.flush()
        os.dup2(fd_out.fileno(), 1)
        os.dup2(fd_err.fileno(), 2)
        try:
            yield
        finally:
            sys.__stdout__ and sys.__stdout__.flush()
            sys.__stderr__ and sys.__stderr__.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for src, dst in ((fd_out, out), (fd_err, err)):
                src.seek(0)
                dst.write(src.read().decode("utf-8", errors="replace"))


def json_capable(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Decorate a command line's ``main(argv)`` so that the ``--json`` flag (:func:`split_flag`)
    runs it through :func:`run_as_json`."""
    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        argv = sys.argv[1:] if argv is None else list(argv)
        as_json, rest = split_flag(argv)
        return run_as_json(rest, wrapper) if as_json else main(rest)
    return wrapper


def run_as_json(argv: list[str], main: Callable[[list[str]], int]) -> int:
    """Run ``main(argv)`` capturing all its output, print the one JSON document, return its exit code."""
    global _result
    out, err = io.StringIO(), io.StringIO()
    _result = {}
    stdout = sys.stdout
    try:
        with _captured_fds(out, err), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse usage errors and --help
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
                if isinstance(stop.code, str):
                    print(stop.code, file=sys.stderr)
            except Exception as exc:  # noqa: BLE001 - a bug: still one parseable document, exit 1
                code = 1
                print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
                print(traceback.format_exc(), file=sys.stderr)
        result = _result
    finally:
        _result = None
    doc = {"command": argv[0] if argv else "", "argv": argv, "ok": code == 0, "exit_code": int(code or 0),
           "result": result, "messages": _lines(out.getvalue()), "errors": _lines(err.getvalue())}
    stdout.write(json.dumps(_plain(doc), indent=2, allow_nan=False) + "\n")
    stdout.flush()
    return int(code or 0)
