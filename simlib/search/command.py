"""``simlib search SCENARIO [--budget N] [--workers N | --scheduler ADDRESS] [--seed S] [--out DIR]
[--resume]``: search the scenario's ``search:`` section for the best strategy (docs/search.md).

Exit codes: 0 done; 2 bad input (one line naming the file, field or option); 1 no strategy met
the constraints; 3 money was lost or created; 4 the report page failed; 5 a simulation failed;
6 the Dask cluster was lost; 130 / 143 interrupted by Ctrl-C / SIGTERM (``--resume`` continues).
"""
from __future__ import annotations

import argparse
import signal
import sys
import time

from simlib.core import json_output
from simlib.run.exits import EXIT_INPUT, EXIT_MONEY, EXIT_OK, EXIT_REPLICATION, EXIT_REPORT, exit_code
from simlib.run.exits import on_sigterm as _on_sigterm

EXIT_NOTHING = 1  # no candidate met the constraints
PROG = "simlib search"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message, and no SystemExit
        raise _UsageError(f"{message} (see --help)")


def _whole(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}; found {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}; found {text!r}")
        return value
    return parse


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Search lever settings for the best strategy under the scenario's "
                                       "constraints (the scenario's search: section; docs/search.md).")
    p.add_argument("scenario", metavar="SCENARIO", help="a parameter file with a search: section")
    p.add_argument("--budget", type=_whole(1), help="candidates to screen (default: search.budget)")
    p.add_argument("--workers", type=_whole(1), help="local worker processes (default: simulation.workers)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the simulations on a Dask cluster")
    p.add_argument("--seed", type=_whole(0), help="master seed (default: simulation.seed)")
    p.add_argument("--out", default="reports", metavar="DIR",
                   help="output folder: writes DIR/<scenario>/search/ and DIR/index.html (default: reports)")
    p.add_argument("--resume", action="store_true", help="continue the search saved in the output folder")
    p.add_argument("--no-page", action="store_true", help="write the results but not the report page")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> int:
    from simlib.scenario.schema import ScenarioError
    from simlib.search.evaluate import EvaluationError
    from simlib.search.study import SearchError

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread
        previous = None
    try:
        args = parser().parse_args(argv)
        return _search(args)
    except _UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except SearchError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_NOTHING if "no finalist meets" in str(exc) else EXIT_INPUT
    except (Exception, KeyboardInterrupt) as err:  # noqa: BLE001 - one clear line for the failures we know
        mapped = exit_code(err, extra=((EvaluationError, EXIT_REPLICATION),))  # simlib.run.exits
        if mapped is None:
            raise
        code, cause = mapped
        print(_failure_line(err, code, cause, ScenarioError), file=sys.stderr)
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _failure_line(err: BaseException, code: int, cause: BaseException, scenario_error: type) -> str:
    """The one line a failure prints (its exit code decided by :func:`simlib.run.exits.exit_code`)."""
    if isinstance(err, KeyboardInterrupt):
        return f"{PROG}: interrupted; what was simulated is saved: run again with --resume to continue"
    if isinstance(cause, scenario_error):
        return str(cause)
    if isinstance(cause, OSError):
        return f"{PROG}: error: cannot write {cause.filename or ''}: {cause.strerror or cause}"
    if code == EXIT_REPORT:
        return f"{PROG}: error: the search finished but its page failed: {cause}"
    if code == EXIT_MONEY:
        return f"{PROG}: error: money was lost or created: {err}"
    return f"{PROG}: error: {err if code == EXIT_REPLICATION else cause}"


def _search(args) -> int:
    from pathlib import Path

    from simlib.search.run import run_search

    if not Path(args.scenario).is_file():
        raise _UsageError(f"SCENARIO: no such file {args.scenario!r}")
    started = time.perf_counter()
    run = run_search(args.scenario, budget=args.budget, seed=args.seed, workers=args.workers,
                     scheduler=args.scheduler, out=args.out, resume=args.resume,
                     progress=not (args.quiet or json_output.active()),
                     page=not args.no_page, log=print)
    sel = run.selection
    print(f"found: {run.settings.name} — {run.directory / 'best_strategy.yaml'}")
    if sel.selected == run.found_name:
        print(f"selected over the best hand-written strategy ({run.best_hand_written}) "
              f"with P(correct selection) >= {sel.confidence:.0%} (indifference ${sel.indifference:,.0f})"
              + ("" if sel.guaranteed else "; NOT guaranteed: stopped at selection_replications_max"))
    else:
        print(f"not better than the hand-written strategy {sel.selected!r}")
    json_output.record("search", {
        "scenario": args.scenario, "out": str(run.directory), "found": run.settings.name,
        "best_strategy_file": str(run.directory / "best_strategy.yaml"), "selected": sel.selected,
        "selected_found": sel.selected == run.found_name, "best_hand_written": run.best_hand_written,
        "confidence": sel.confidence, "indifference": sel.indifference, "guaranteed": sel.guaranteed,
        "simulations": run.simulations}, append=False)
    print(f"done in {time.perf_counter() - started:.0f} s ({run.simulations} strategy-runs simulated by the search "
          "before the final runs)")
    return EXIT_OK
