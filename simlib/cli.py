"""Command line: ``simlib new|validate|run|report|schema|calibrate|search`` (see :data:`DESCRIPTION`).

Errors in input are printed as ``file: field: what was expected; found …`` with no traceback;
exit codes are listed in :data:`DESCRIPTION` and docs/robustness.md.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from simlib.core import json_output
from simlib.levers.financial_assistance import fap_origin
from simlib.run.json_records import run_record, validate_record
from simlib.scenario.schema import ScenarioError, inherited_note, load_scenario
from simlib.studies.command_checks import command_problems

from simlib.run.exits import (EXIT_CLUSTER, EXIT_INPUT, EXIT_MONEY, EXIT_OK, EXIT_REPLICATION,  # noqa: F401
                          EXIT_REPORT, EXIT_SIGINT, EXIT_SIGTERM, Terminated)
from simlib.run.exits import exit_code
from simlib.run.exits import on_sigterm as _on_sigterm


def _validate(args) -> int:
    status = EXIT_OK
    for f in args.files:
        try:
            sc = load_scenario(f)
            if command_problems(sc):  # what `search` and `report` check beyond the file itself
                raise ScenarioError(str(f), command_problems(sc))
        except ScenarioError as err:
            json_output.record("files", lambda: validate_record(f, None, err.problems))
            if len(err.problems) == 1:
                print(f"{f}: {err.problems[0]}", file=sys.stderr)
            else:
                print(f"{f}: {len(err.problems)} problems", file=sys.stderr)
                for p in err.problems:
                    print(f"  - {p}", file=sys.stderr)
            status = EXIT_INPUT
        else:
            json_output.record("files", lambda: validate_record(f, sc, []))
            print(f"{f}: OK (scenario {sc.name!r}, {len(sc.strategies)} strategies, "
                  f"baseline {sc.baseline_strategy!r}){inherited_note(f)}")
            print(f"{f}: {fap_origin(sc.finance)}")
            from simlib.scenario.team_sizing import sizing_notes, sizing_warnings
            for line in sizing_notes(sc):  # teams sized from the volume (issue 20)
                print(f"{f}: {line}")
            for line in sizing_warnings(sc):  # teams far from the volume's needs (issue 20)
                print(f"{f}: warning: {line}")
    return status


def _load_all(files) -> list:
    scenarios, problems = [], []
    for f in files:
        try:
            scenarios.append((f, load_scenario(f)))
        except ScenarioError as err:
            problems.append(str(err))
    if problems:
        raise ScenarioError("input", ["\n".join(problems)])
    return scenarios


def _writable_dir(out: Path) -> None:
    """Refuse an output directory that cannot be created or written (exit 2), before any run."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".simlib-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError("--out", [f"cannot write to {out}: {reason}; expected a directory "
                                      f"you can write"]) from None


def _options(args, sc, source):
    from simlib.run.options import CLI_LABELS, resolve

    return resolve(sc, replications=args.replications, seed=args.seed, workers=args.workers,
                   scheduler=args.scheduler, precision=args.precision,
                   connect_timeout=args.connect_timeout, max_hours=args.max_hours,
                   source=source, labels=CLI_LABELS)


def _plan(args) -> list[tuple[str, object, object, Path]]:
    """Every file loaded, every option checked, every output path and estimate settled — all
    before the first replication runs. Returns (file, scenario, options, result directory)."""
    from simlib.run import budget as resources
    from simlib.core.paths import child_dir

    scenarios = _load_all(args.files)
    out_root = Path(args.out)
    problems, plan, where = [], [], {}
    for f, sc in scenarios:
        try:
            opts = _options(args, sc, f)
        except ScenarioError as err:
            problems.append(str(err))
            continue
        try:
            out = child_dir(out_root, sc.name)
        except ValueError as exc:
            problems.append(f"{f}: name: {exc}")
            continue
        if out in where:
            problems.append(f"{f}: name: {sc.name!r} writes to {out}, as {where[out]} does; "
                            f"expected a different scenario name")
            continue
        where[out] = f
        plan.append((f, sc, opts, out))
    if problems:
        raise ScenarioError("input", ["\n".join(problems)])
    _writable_dir(out_root)
    for f, sc, opts, out in plan:
        resources.check(sc, opts.max_replications if opts.precision else opts.replications,
                        opts.workers, local=not opts.scheduler, max_hours=opts.max_hours,
                        out_dir=out_root, source=f)
    return plan


def _run(args) -> int:
    from simlib.run.folder_lock import writer_lock

    plan = _plan(args)
    with writer_lock(args.out, "simlib run"):  # one writer per --out (a second one is refused)
        return _run_plan(args, plan)


def _run_plan(args, plan) -> int:
    from simlib.analysis.summaries import paired_differences, probability_best, summarize
    from simlib.core.metric_catalogue import METRICS
    from simlib.run.checkpoint import Checkpoint, checkpoint_dir
    from simlib.run.dask_cluster import ClusterError
    from simlib.run.experiment import ExperimentError, run_experiment
    from simlib.core.ledger import ConservationError

    for f, sc, opts, out in plan:
        ck_dir = checkpoint_dir(out)
        try:
            res = run_experiment(sc, replications=opts.replications, seed=opts.seed,
                                 workers=opts.workers, scheduler=opts.scheduler,
                                 progress=not (args.quiet or json_output.active()), precision=opts.precision,
                                 connect_timeout=opts.connect_timeout, max_hours=opts.max_hours,
                                 checkpoint=ck_dir, resume=args.resume, check_resources=False)
        except ExperimentError as err:
            kept = _kept(ck_dir)
            kept = (f"; {kept} (`simlib run {f} --resume` continues)" if kept[0].isdigit() else
                    f"; {kept}") + f"; {out} is unchanged"
            if isinstance(err.cause, ConservationError):
                print(f"{f}: error: money was lost or created in replication {err.replication}: "
                      f"{err.cause}{kept}", file=sys.stderr)
                return EXIT_MONEY
            print(f"{f}: {err}{kept}", file=sys.stderr)
            return EXIT_REPLICATION
        except ClusterError as err:
            kept = _kept(ck_dir)
            hint = f" (`simlib run {f} --resume` continues)" if kept[0].isdigit() else ""
            print(f"{f}: {err}; {kept}{hint}; {out} is unchanged", file=sys.stderr)
            return EXIT_CLUSTER
        except KeyboardInterrupt as exc:
            what = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C (SIGINT)"
            kept = _kept(ck_dir)
            hint = f" (`simlib run {f} --resume` continues)" if kept[0].isdigit() else ""
            print(f"{f}: interrupted by {what}; {kept}{hint}; {out} is unchanged", file=sys.stderr)
            return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
        summary = summarize(res.metrics)
        diffs = paired_differences(res.metrics, res.baseline)
        extra = {"summary": summary, "paired_differences": diffs}
        if res.decision is not None:  # ranked on the decision's metric (after credit-line interest with a floor)
            key = res.decision.metric
            best = probability_best(res.metrics, key, METRICS[key].higher_is_better)
            extra["probability_best"] = best.rename("probability_best").rename_axis("strategy").reset_index() \
                .assign(metric=key)
        try:
            res.save(out, fmt=args.format, extra_tables=extra)
        except OSError as exc:  # a full disk, a vanished directory: the previous result stays
            print(f"{f}: cannot write {out}: {exc.strerror or exc}; {out} is unchanged; "
                  f"{_kept(ck_dir)} (`simlib run {f} --resume` publishes them without running again)",
                  file=sys.stderr)
            return EXIT_INPUT
        Checkpoint(ck_dir, {}).remove()
        resumed = res.provenance.get("resumed_replications")
        print(f"{f}: {res.provenance['replications']} replications × {len(sc.strategies)} strategies "
              f"in {res.provenance['elapsed_seconds']:.1f} s"
              f"{f' ({resumed} resumed from the checkpoint)' if resumed else ''} → {out}")
        if not args.quiet:
            _print_headline(res)
        json_output.record("scenarios", lambda: run_record(f, res, out, args.format))
    return EXIT_OK


def _print_headline(res) -> None:
    """The recommendation and the key metrics, in plain text, after a run."""
    import pandas as pd

    if res.decision is None:  # a scenario without the decision metric: nothing to recommend
        return
    headline, table = res.headline(), res.summary(intervals=False, formatted=True)
    print(f"  {headline}")
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.max_colwidth", 40):
        print("\n".join("  " + line for line in table.to_string().splitlines()))


def _failure_line(err: BaseException, code: int, cause: BaseException) -> str:
    """The one line a failure prints (its exit code decided by :func:`simlib.run.exits.exit_code`)."""
    if code in (EXIT_SIGINT, EXIT_SIGTERM):
        return "interrupted; result directories are unchanged"
    if isinstance(cause, ScenarioError):
        return str(cause).removeprefix("input: ") if cause is err else str(cause)
    if isinstance(cause, OSError):  # the disk filled up, a directory vanished, …: the old result is kept
        where = f" {cause.filename}" if cause.filename else ""
        return f"error: cannot write{where}: {cause.strerror or cause}; result directories are unchanged"
    if code == EXIT_MONEY:
        return f"error: money was lost or created: {cause}"
    return f"error: {cause}"


def _kept(ck_dir: Path) -> str:
    """What the checkpoint holds, in words; an empty checkpoint is removed."""
    from simlib.run.checkpoint import Checkpoint

    ck = Checkpoint(ck_dir, {})
    n = len(ck.replications()) if ck_dir.is_dir() else 0
    if n == 0:
        ck.remove()
        return "no replication had finished"
    return f"{n} finished replication{'' if n == 1 else 's'} checkpointed in {ck_dir}"


def _report(args) -> int:
    from simlib.report import build_reports

    from simlib.run import budget as resources

    for f, sc in _load_all(args.files):  # every file and option is checked before any work starts
        if command_problems(sc):  # an invalid sensitivity factor is bad input (exit 2), as in validate
            raise ScenarioError(str(f), command_problems(sc))
        opts = _options(args, sc, f)
        resources.check(sc, opts.max_replications if opts.precision else opts.replications,
                        opts.workers, local=not opts.scheduler, max_hours=opts.max_hours,
                        out_dir=args.out, source=f)
    from simlib.run.folder_lock import writer_lock

    with writer_lock(args.out, "simlib report"):  # one writer per --out
        paths = build_reports(args.files, out_dir=args.out, replications=args.replications,
                              seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                              precision=args.precision, pdf=args.pdf, chromium=args.chromium)
    for p in paths:
        print(p)
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (exit 2), like every other input error."""

    def error(self, message: str):
        self.exit(EXIT_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


DESCRIPTION = """Simulate how a hospital's bills get paid under collection strategies, and report.

  simlib new NAME                 write NAME.yaml, a scenario started from the calibrated baseline
  simlib validate FILE...         check scenario files and explain every error
  simlib run FILE...              run the Monte Carlo and write result tables
  simlib report FILE...           run, then render the HTML board reports (index.html)
  simlib schema                   JSON Schema of a scenario file (editor completion), or the key reference
  simlib calibrate fit|check|...  fit the payment model to a payment history
  simlib search FILE              search lever settings for the best strategy under the constraints

Exit codes: 0 success, 2 bad input, 3 money not conserved, 4 report failed, 5 replication failed,
6 cluster unreachable, 130/143 interrupted (docs/robustness.md)."""


class _Help(argparse.RawDescriptionHelpFormatter):
    """Plain-text help: the description as written, each option's default shown."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" not in text and action.default not in (None, False, argparse.SUPPRESS)
                and action.option_strings):
            text += " (default: %(default)s)"
        return text


def build_parser() -> argparse.ArgumentParser:
    from simlib.core.versions import versions

    ap = _Parser(prog="simlib", description=DESCRIPTION, formatter_class=_Help)
    ap.add_argument("--version", action="version", version=f"simlib {versions()['simlib']}")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    v = sub.add_parser("validate", help="check scenario files and explain every error",
                       description="Check scenario files and explain every error (file: field: "
                                   "expected …; found …). Exit code 2 when a file is invalid.",
                       formatter_class=_Help)
    v.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    v.set_defaults(func=_validate)
    n = sub.add_parser("new", help="write a starter scenario from the calibrated baseline", formatter_class=_Help,
                       description="Write NAME.yaml: the calibrated baseline, or (--minimal) what a hospital changes first.")
    n.add_argument("name", metavar="NAME", help="scenario name (letters, digits, _ - .)")
    n.add_argument("--out", default=".", metavar="DIR", help="folder to write NAME.yaml into")
    n.add_argument("--force", action="store_true", help="overwrite an existing file")
    n.add_argument("--minimal", action="store_true", help="only the numbers a hospital changes first (17)")
    n.set_defaults(func=lambda args: _authoring('new_command', args))
    s = sub.add_parser("schema", help="write the JSON Schema of a scenario file, or the key reference",
                       description="The JSON Schema of a scenario file for editor completion.", formatter_class=_Help)
    s.add_argument("--out", default=None, metavar="FILE", help="write the JSON Schema here (default: stdout)")
    s.add_argument("--markdown", default=None, metavar="FILE",
                   help="also write the key reference (docs/scenarios.md) here")
    s.set_defaults(func=lambda args: _authoring('schema_command', args))
    for name, func, out in (("run", _run, "runs"), ("report", _report, "reports")):
        what = ("run the Monte Carlo and write result tables" if name == "run"
                else "run, then render the HTML board reports")
        p = sub.add_parser(name, help=what, description=what[0].upper() + what[1:] + ". Options left "
                           "unset take the scenario file's `simulation:` values.", formatter_class=_Help)
        p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
        p.add_argument("--replications", type=int, default=None, help="Monte Carlo replications "
                       "(default: the file's simulation.replications)")
        p.add_argument("--seed", type=int, default=None, help="random seed (default: the file's)")
        p.add_argument("--workers", type=int, default=None, help="local worker processes (default: the file's)")
        p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
        p.add_argument("--connect-timeout", type=float, default=None, metavar="SECONDS",
                       help="give up reaching the Dask scheduler after this long (default 10)")
        p.add_argument("--precision", type=float, default=None,
                       help="add replications until the key metric's CI half-width < this × mean")
        p.add_argument("--max-hours", type=float, default=None,
                       help="refuse a run estimated to take longer (default 24)")
        p.add_argument("--out", default=out, metavar="DIR", help="output folder (one sub-folder per scenario)")
        if name == "report":
            p.add_argument("--pdf", action="store_true", help="also print each page to PDF (headless Chromium)")
            p.add_argument("--chromium", default=None, metavar="PATH", help="Chromium for --pdf "
                           "(default: $SIMLIB_CHROMIUM or chromium on the PATH)")
        if name == "run":
            p.add_argument("--format", choices=["parquet", "csv"], default="csv", help="table format")
            p.add_argument("--quiet", action="store_true", help="no progress bar")
            p.add_argument("--resume", action="store_true",
                           help="reuse the replications an interrupted run checkpointed")
        p.set_defaults(func=func)
    for name, (what, usage) in DELEGATED.items():  # each hands its arguments to its package's parser
        sub.add_parser(name, help=what, description=usage, formatter_class=_Help)
    return ap


DELEGATED = {  # command: (help, usage); `simlib.<package>.cli.main(argv)` parses the rest
    "calibrate": ("fit the payment model to a payment history, check it on another",
                  "simlib calibrate fit HISTORY.csv --out fitted.yaml | simlib calibrate check fitted.yaml "
                  "OTHER.csv [--json FILE] | simlib calibrate kpis SCENARIO --target NAME=VALUE … | "
                  "simlib calibrate report HISTORY.csv [--check OTHER.csv] --out reports"),
    "search": ("search lever settings for the best strategy under the scenario's constraints",
               "simlib search SCENARIO [--budget N] [--workers N | --scheduler ADDRESS] [--out DIR]"),
}


def _authoring(command: str, args) -> int:
    import simlib.scenario.authoring
    return getattr(simlib.scenario.authoring, command)(args)


def _delegate(args) -> int:
    """Hand over to the command's own package (it names the file, row and column of a bad input)."""
    import importlib
    package = {"calibrate": "calibration"}.get(args.delegate, args.delegate)
    return importlib.import_module(f"simlib.{package}.command").main(args.rest)


@json_output.json_capable  # --json: one JSON document on stdout, whatever happens
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:  # its package parses the rest, `--help` included
        args = argparse.Namespace(command=argv[0], func=_delegate, delegate=argv[0], rest=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    previous = None
    if args.command in ("run", "report"):
        try:
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread (an embedding application): leave signals alone
            previous = None
    try:
        return args.func(args)
    except (Exception, KeyboardInterrupt) as err:  # noqa: BLE001 - known failures get one clear line
        mapped = exit_code(err)  # the code, from the cause chain (simlib.run.exits)
        if mapped is None:
            raise
        code, cause = mapped
        print(_failure_line(err, code, cause), file=sys.stderr)
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
