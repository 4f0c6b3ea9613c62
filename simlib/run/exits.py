"""Exit codes of the command line, and the one mapper every command uses to turn a failure into one.

``simlib run|report`` (:mod:`simlib.cli`), ``simlib search`` (:mod:`simlib.search.command`) and
``simlib calibrate`` (:mod:`simlib.calibration.command`) share them; the codes are listed in
docs/robustness.md. :func:`exit_code` decides the code of a failure from its cause chain; each
command only words the line it prints.
"""
from __future__ import annotations

from collections.abc import Sequence

EXIT_OK, EXIT_INPUT, EXIT_MONEY, EXIT_REPORT, EXIT_REPLICATION, EXIT_CLUSTER = 0, 2, 3, 4, 5, 6
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so a run stops the way Ctrl-C stops it."""


def on_sigterm(signum, frame):
    """A SIGTERM handler: raise :class:`Terminated`."""
    raise Terminated()


def causes(err: BaseException) -> list[BaseException]:
    """``err`` and what caused it (``raise … from``, ExperimentError.cause), outermost first."""
    out, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        out.append(err)
        err = getattr(err, "cause", None) or err.__cause__
    return out


def exit_code(err: BaseException, extra: Sequence[tuple[type, int]] = ()) -> tuple[int, BaseException] | None:
    """``(code, the exception that decided it)`` for a failure, or None for an unexpected one (let
    it raise). In order: an interrupt (:data:`EXIT_SIGTERM` for :class:`Terminated`, else
    :data:`EXIT_SIGINT`); along the cause chain (:func:`causes`), money lost or created
    (:data:`EXIT_MONEY`), a Dask cluster out of reach (:data:`EXIT_CLUSTER`), bad input — a
    ``ScenarioError`` anywhere, an ``OSError`` (a file or folder that cannot be read or written) at
    the top — (:data:`EXIT_INPUT`), a command's own ``extra`` (exception type, code) pairs, a report
    that failed (:data:`EXIT_REPORT`), a replication that failed (:data:`EXIT_REPLICATION`)."""
    from simlib.core.ledger import ConservationError
    from simlib.core.settings import ScenarioError
    from simlib.run.dask_cluster import ClusterError

    if isinstance(err, KeyboardInterrupt):
        return (EXIT_SIGTERM if isinstance(err, Terminated) else EXIT_SIGINT), err
    chain = causes(err)
    rules = [(ConservationError, EXIT_MONEY), (ClusterError, EXIT_CLUSTER), (ScenarioError, EXIT_INPUT),
             *extra]
    for kind, code in rules:
        hit = next((c for c in chain if isinstance(c, kind)), None)
        if hit is not None:
            return code, hit
    if isinstance(err, OSError):
        return EXIT_INPUT, err
    named = {"ReportError": EXIT_REPORT, "ExperimentError": EXIT_REPLICATION}  # in the layers above
    return (named[type(err).__name__], err) if type(err).__name__ in named else None
