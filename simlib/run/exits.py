"""Exit codes of the command line, and the pieces every command uses to turn a failure into one.

``simlib run|report`` (:mod:`simlib.cli`) and ``simlib search`` (:mod:`simlib.search.command`) share
them; the codes are listed in docs/robustness.md.
"""
from __future__ import annotations

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
