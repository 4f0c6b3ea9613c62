"""``simlib calibrate fit|check|kpis|report``: entry points ``fit_main`` / ``check_main`` / ``kpis_main`` /
``report_main``.

Bad input (a malformed history or mapping, a broken fitted.yaml or scenario, a wrong option)
prints one line ``simlib calibrate <cmd>: error: ...`` on stderr and returns 2; no traceback.
``kpis`` returns 1 when the optimiser does not converge or a target is not reached (the fitted
file is still written), 5 when a replication fails and 3 when money is lost or created; ``report``
returns 4 when the notebook fails (the message names the cell; no page is written).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from simlib.calibration.check import check
from simlib.core import json_output
from simlib.calibration.engine_sim import SIMULATORS, EngineCheckError
from simlib.calibration.fit import FitError, fit
from simlib.calibration.fitted_file import FittedFileError, load_fitted
from simlib.calibration.history import History, HistoryError, load_mapping, read_history
from simlib.calibration.kpis import (BOUNDS_FACTOR_DEFAULT, DEFAULT_PARAMETERS, MAX_EVALUATIONS_DEFAULT,
                                     KpiCalibrationError, KpiFit, at_bound, calibrate_kpis, parse_target)
from simlib.calibration.parameters import DEFAULT_FREE, SPECS
from simlib.run.exits import EXIT_INPUT, EXIT_MONEY, EXIT_REPLICATION, EXIT_REPORT, EXIT_SIGTERM, exit_code
from simlib.scenario.schema import ScenarioError

NOT_CONVERGED = 1  # the KPI calibration did not converge (its own code; the others are simlib.run.exits')


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message, and no SystemExit
        raise _UsageError(f"{message} (see --help)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; found {text!r}")
    return value


def _fix(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or name not in SPECS:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with NAME one of {', '.join(SPECS)}; found {text!r}")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: expected a number; found {value!r}") from None


def _history_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mapping", metavar="MAP.yaml",
                   help="column names, date format and flag spellings (defaults read invoices.csv)")
    p.add_argument("--extraction-date", metavar="YYYY-MM-DD",
                   help="day the export was taken (default: the mapping's, else the latest date in the file)")


def _read(path: str, args) -> History:
    mapping = load_mapping(args.mapping) if args.mapping else None
    return read_history(path, mapping, args.extraction_date)


def _run(prog: str, parser: argparse.ArgumentParser, argv, body) -> int:
    try:
        args = parser.parse_args(argv)
        return body(args)
    except _UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
    except (HistoryError, FitError, FittedFileError, EngineCheckError, KpiCalibrationError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
    except ScenarioError as exc:
        print(f"{prog}: error: {exc.source}: {'; '.join(exc.problems)}", file=sys.stderr)
    except OSError as exc:
        print(f"{prog}: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM, as `simlib run`: one line, 130 / 143
        code, _ = exit_code(exc)
        what = "SIGTERM" if code == EXIT_SIGTERM else "Ctrl-C (SIGINT)"
        print(f"{prog}: interrupted by {what}; no output file was written or changed", file=sys.stderr)
        return code
    return EXIT_INPUT


# --------------------------------------------------------------------------- fit
def fit_main(argv: list[str] | None = None) -> int:
    """``simlib calibrate fit HISTORY.csv --out fitted.yaml [--mapping MAP.yaml] ...``"""
    prog = "simlib calibrate fit"
    p = _Parser(prog=prog, description="Fit the payment-timing model to a payment history "
                                      "(maximum likelihood) and write fitted.yaml.")
    p.add_argument("history", metavar="HISTORY.csv")
    p.add_argument("--out", required=True, metavar="fitted.yaml")
    _history_options(p)
    p.add_argument("--fix", action="append", type=_fix, default=[], metavar="NAME=VALUE",
                   help="hold a parameter at a value (repeatable)")
    p.add_argument("--free", action="append", choices=list(SPECS), default=[], metavar="NAME",
                   help="also fit a parameter held by default (floor_per_day, dispute_delay_log_sd)")

    def body(args) -> int:
        out = Path(args.out)
        if not out.parent.is_dir():
            raise _UsageError(f"--out: folder {out.parent} does not exist")
        history = _read(args.history, args)
        started = time.perf_counter()
        result = fit(history, free=tuple(dict.fromkeys(DEFAULT_FREE + tuple(args.free))), fixed=dict(args.fix))
        elapsed = time.perf_counter() - started
        result.write_yaml(out)
        print(result.summary())
        print(f"fitted in {elapsed:.1f} s; wrote {out}")
        json_output.record("fit", {"out": str(out), "elapsed_seconds": elapsed, "parameters": {
            name: {"estimate": getattr(result.timing, name), "ci95": result.confidence_95.get(name),
                   "free": name in result.free} for name in SPECS}}, append=False)
        return 0

    return _run(prog, p, argv, body)


# --------------------------------------------------------------------------- check
def check_main(argv: list[str] | None = None) -> int:
    """``simlib calibrate check fitted.yaml OTHER.csv [--json FILE] ...``"""
    prog = "simlib calibrate check"
    p = _Parser(prog=prog, description="Simulate another history's invoices with fitted parameters "
                                      "and compare days to settle (KS distance, means by group).")
    p.add_argument("fitted", metavar="fitted.yaml")
    p.add_argument("history", metavar="OTHER.csv")
    p.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    _history_options(p)
    p.add_argument("--replications", type=_positive_int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bootstrap", type=_positive_int, default=1000,
                   help="customer-level bootstrap resamples for the intervals (>= 10)")
    p.add_argument("--simulator", choices=sorted(SIMULATORS), default="engine",
                   help="engine: the invoices as simlib patient accounts (default); "
                        "model: the fitted model's own sampler")

    def body(args) -> int:
        if args.bootstrap < 10:
            raise _UsageError(f"--bootstrap: expected a whole number >= 10; found {args.bootstrap}")
        fitted = load_fitted(args.fitted)
        history = _read(args.history, args)
        report = check(fitted.timing, history, args.replications, args.seed, bootstrap=args.bootstrap,
                       simulate=SIMULATORS[args.simulator])
        report["simulator"] = args.simulator
        print(format_report(report))
        json_output.record("check", report, append=False)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
            print(f"wrote {args.json}")
        return 0

    return _run(prog, p, argv, body)


# --------------------------------------------------------------------------- kpis
def _target(text: str) -> tuple[str, float]:
    try:
        return parse_target(text)
    except KpiCalibrationError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--target ").removeprefix("--target: ")) from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0; found {text!r}")
    return value


def kpis_main(argv: list[str] | None = None) -> int:
    """``simlib calibrate kpis SCENARIO.yaml --target NAME=VALUE ... [--param PATH[=START] ...] --out F``"""
    from simlib.run.experiment import ExperimentError
    from simlib.core.ledger import ConservationError
    from simlib.run.options import CLI_LABELS

    prog = "simlib calibrate kpis"
    p = _Parser(prog=prog, description="Adjust behaviour parameters by simulation until the status-quo "
                                      "strategy's KPIs meet targets (common random numbers, least squares "
                                      "on log-parameters); write the fitted blocks with the KPIs achieved.")
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("--target", action="append", type=_target, default=[], metavar="KPI=VALUE",
                   help="a KPI of simlib.core.metric_catalogue and its target, e.g. days_in_ar=52 (repeatable)")
    p.add_argument("--param", action="append", default=[], metavar="PATH[=START]",
                   help="a numeric scenario field to fit, optionally with a starting value (repeatable; "
                        f"default {' '.join(DEFAULT_PARAMETERS)}, as many as there are targets)")
    p.add_argument("--out", required=True, metavar="fitted.yaml")
    p.add_argument("--strategy", help="strategy to simulate (default: the scenario's baseline)")
    p.add_argument("--replications", type=int, default=10,
                   help="replications per evaluation, the same ones every time (default 10)")
    p.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
    p.add_argument("--encounters-per-day", type=_positive_float, metavar="N",
                   help="scale the scenario's encounter stream down (or up) for a quicker fit")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--bounds-factor", type=_positive_float, default=BOUNDS_FACTOR_DEFAULT, metavar="F",
                   help=f"search each parameter within [start/F, start*F] (default {BOUNDS_FACTOR_DEFAULT:g})")
    p.add_argument("--max-evaluations", type=_positive_int, default=MAX_EVALUATIONS_DEFAULT, metavar="N",
                   help=f"simulations allowed, each of all replications (default {MAX_EVALUATIONS_DEFAULT})")

    def body(args) -> int:
        out = Path(args.out)
        if not out.parent.is_dir():
            raise _UsageError(f"--out: folder {out.parent} does not exist")
        if not args.target:
            raise _UsageError("--target: give at least one KPI target, e.g. --target days_in_ar=52")
        targets = dict(args.target)
        if len(targets) < len(args.target):
            raise _UsageError("--target: a KPI is given twice")
        try:
            result = calibrate_kpis(args.scenario, targets, args.param, strategy=args.strategy,
                                    replications=args.replications, seed=args.seed,
                                    encounters_per_day=args.encounters_per_day, workers=args.workers,
                                    bounds_factor=args.bounds_factor, max_evaluations=args.max_evaluations,
                                    labels=CLI_LABELS)
        except ExperimentError as err:
            if isinstance(err.cause, ConservationError):
                print(f"{prog}: error: money was lost or created in replication {err.replication}: "
                      f"{err.cause}", file=sys.stderr)
                return EXIT_MONEY
            print(f"{prog}: error: {err}", file=sys.stderr)
            return EXIT_REPLICATION
        result.write_yaml(out)
        print(format_kpi_fit(result))
        print(f"wrote {out}")
        json_output.record("kpis", {"out": str(out), "ok": result.ok, "message": result.message,
                                    "fitted": result.fitted, "fitted_ci95": result.fitted_ci95,
                                    "kpis": result.kpis, "evaluations": result.evaluations}, append=False)
        if not result.ok:
            print(f"{prog}: {result.message}", file=sys.stderr)
            return NOT_CONVERGED
        return 0

    return _run(prog, p, argv, body)


def format_kpi_fit(fit: KpiFit) -> str:
    """Fitted parameters and targets vs achieved KPIs as a short text table."""
    rows = [f"{'parameter':<40} {'start':>10} {'fitted':>10}  Monte Carlo 95 % interval"]
    for p in fit.parameters:
        ci, value = fit.fitted_ci95[p.path], fit.fitted[p.path]
        rows.append(f"{p.path:<40} {p.start:>10.4g} {value:>10.4g}  "
                    f"{f'[{ci[0]:.4g}, {ci[1]:.4g}]' if ci else 'n/a'}"
                    f"{'  (at an end of its search range)' if at_bound(p, value) else ''}")
    rows.append(f"{'KPI':<26} {'target':>10} {'achieved':>10}  {'95 % CI':<22} {'residual':>10}")
    for name, k in fit.kpis.items():
        ci = f"[{k['ci95'][0]:.4g}, {k['ci95'][1]:.4g}]"
        rows.append(f"{name:<26} {k['target']:>10.4g} {k['achieved']:>10.4g}  {ci:<22} "
                    f"{k['residual']:>+10.3g}{'' if k['met'] else '  not met'}")
    rows.append(f"strategy {fit.strategy}, {fit.replications} replications, seed {fit.seed}, "
                f"{fit.encounters_per_day:g} encounters a day; {fit.evaluations} simulations "
                f"in {fit.elapsed_seconds:.0f} s; {fit.message}")
    return "\n".join(rows)


def format_report(report: dict) -> str:
    """The check's numbers as a short text table."""
    def ci(pair):
        return f"[{pair[0]:.3g}, {pair[1]:.3g}]" if pair else "[n/a]"

    def num(x):
        return f"{x:.2f}" if x is not None else "n/a"

    ks = report["ks"]
    lines = [f"{report['invoices']} invoices of {report['customers']} customers, "
             f"{report['replications']} replications (seed {report['seed']}, "
             f"simulator {report.get('simulator', 'model')})",
             f"KS distance of days to settle: {ks['value']:.3f}  95 % CI {ci(ks['ci95'])}  "
             f"(resampling noise alone reaches {ks['noise_95']:.3f})",
             f"{'mean days':<28} {'observed':>9} {'simulated':>10} {'difference':>11}  difference 95 % CI"]
    rows = {"all invoices": report["mean_days"], **report["mean_days_by_group"],
            **{k.replace("_", " "): v for k, v in report["group_shifts"].items()}}
    for label, r in rows.items():
        lines.append(f"{label:<28} {num(r['observed']):>9} {num(r['simulated']):>10} "
                     f"{num(r['difference']):>11}  {ci(r['difference_ci95'])}")
    if report.get("interval_note"):
        lines.append(report["interval_note"])
    return "\n".join(lines)


# --------------------------------------------------------------------------- report
def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1 (exclusive); found {text!r}")
    return value


def report_main(argv: list[str] | None = None) -> int:
    """``simlib calibrate report HISTORY.csv [--fitted F] [--check OTHER.csv] [--cross-validate] --out DIR``"""
    from simlib.calibration.report_data import ReportOptions
    from simlib.report.calibration_pipeline import build_calibration_report
    from simlib.report.errors import ReportError

    prog = "simlib calibrate report"
    p = _Parser(prog=prog, description="Build the calibration report (does the model look like this "
                                      "hospital?) into DIR and list it in DIR/index.html.")
    p.add_argument("history", metavar="HISTORY.csv")
    p.add_argument("--out", default="reports", metavar="DIR", help="reports folder (default reports)")
    p.add_argument("--fitted", metavar="fitted.yaml", help="show these parameters (default: fit HISTORY)")
    p.add_argument("--check", metavar="OTHER.csv", help="also predict a second history (simlib calibrate check)")
    p.add_argument("--cross-validate", action="store_true",
                   help="also predict customers held out of the fit (balanced customer splits)")
    p.add_argument("--splits", type=_positive_int, default=10, help="customer splits (default 10)")
    p.add_argument("--holdout-share", type=_share, default=0.3, help="customers held out per split (default 0.3)")
    _history_options(p)
    p.add_argument("--replications", type=_positive_int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bootstrap", type=_positive_int, default=1000,
                   help="customer-level bootstrap resamples for the intervals (>= 10)")
    p.add_argument("--simulator", choices=sorted(SIMULATORS), default="engine")
    p.add_argument("--language", choices=("en", "fr", "es"), default="en",
                   help="the page's language: en (default), fr or es (a history has no scenario to say it)")
    p.add_argument("--currency", metavar="CODE",
                   help="the history's money, an ISO 4217 code (default: the language's usual one: "
                        "USD for en, EUR for fr, CLP for es)")

    def body(args) -> int:
        from simlib.core.language import page_speech

        if args.bootstrap < 10:
            raise _UsageError(f"--bootstrap: expected a whole number >= 10; found {args.bootstrap}")
        try:
            page_speech(args.language, args.currency)
        except ValueError as exc:
            raise _UsageError(f"--{exc}") from None
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _UsageError(f"--out: cannot create {out}: {exc.strerror}") from None
        options = ReportOptions(seed=args.seed, replications=args.replications, bootstrap=args.bootstrap,
                                simulator=args.simulator, cross_validate=args.cross_validate,
                                splits=args.splits, holdout_share=args.holdout_share)
        try:
            build_calibration_report(args.history, out, fitted_path=args.fitted, check_path=args.check,
                                     mapping_path=args.mapping, extraction_date=args.extraction_date,
                                     options=options, language=args.language, currency=args.currency)
        except ReportError as exc:
            print(f"{prog}: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return EXIT_REPORT
        json_output.record("report", {"out": str(out), "pages": sorted(str(p) for p in out.rglob("*.html"))},
                           append=False)
        return 0

    return _run(prog, p, argv, body)


def main(argv: list[str]) -> int:
    """`simlib calibrate fit|check|kpis|report …`."""
    actions = {"fit": fit_main, "check": check_main, "kpis": kpis_main, "report": report_main}
    if not argv or argv[0] not in actions:
        print("usage: simlib calibrate {fit,check,kpis,report} …  (simlib calibrate fit --help for one action's options)",
              file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    import signal

    from simlib.run.exits import on_sigterm
    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)  # SIGTERM stops it as Ctrl-C does
    except ValueError:  # not the main thread (an embedding application): leave signals alone
        previous = None
    try:
        return actions[argv[0]](argv[1:])
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
