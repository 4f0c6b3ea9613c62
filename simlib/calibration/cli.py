"""``simlib calibrate fit`` and ``simlib calibrate check``: entry points ``fit_main`` / ``check_main``.

Bad input (a malformed history or mapping, a broken fitted.yaml, a wrong option) prints one
line ``simlib calibrate <cmd>: error: ...`` on stderr and returns 2; no traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from simlib.calibration.check import check
from simlib.calibration.fit import FitError, fit
from simlib.calibration.fitted_file import FittedFileError, load_fitted
from simlib.calibration.history import History, HistoryError, load_mapping, read_history
from simlib.calibration.parameters import DEFAULT_FREE, SPECS

BAD_INPUT = 2


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
    except (HistoryError, FitError, FittedFileError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"{prog}: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
    return BAD_INPUT


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
                   help="also fit a parameter held by default (floor_per_day)")

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

    def body(args) -> int:
        if args.bootstrap < 10:
            raise _UsageError(f"--bootstrap: expected a whole number >= 10; found {args.bootstrap}")
        fitted = load_fitted(args.fitted)
        history = _read(args.history, args)
        report = check(fitted.timing, history, args.replications, args.seed, bootstrap=args.bootstrap)
        print(format_report(report))
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
            print(f"wrote {args.json}")
        return 0

    return _run(prog, p, argv, body)


def format_report(report: dict) -> str:
    """The check's numbers as a short text table."""
    def ci(pair):
        return f"[{pair[0]:.3g}, {pair[1]:.3g}]" if pair else "[n/a]"

    def num(x):
        return f"{x:.2f}" if x is not None else "n/a"

    ks = report["ks"]
    lines = [f"{report['invoices']} invoices of {report['customers']} customers, "
             f"{report['replications']} replications (seed {report['seed']})",
             f"KS distance of days to settle: {ks['value']:.3f}  95 % CI {ci(ks['ci95'])}  "
             f"(resampling noise alone reaches {ks['noise_95']:.3f})",
             f"{'mean days':<28} {'observed':>9} {'simulated':>10} {'difference':>11}  difference 95 % CI"]
    rows = {"all invoices": report["mean_days"], **report["mean_days_by_group"],
            **{k.replace("_", " "): v for k, v in report["group_shifts"].items()}}
    for label, r in rows.items():
        lines.append(f"{label:<28} {num(r['observed']):>9} {num(r['simulated']):>10} "
                     f"{num(r['difference']):>11}  {ci(r['difference_ci95'])}")
    return "\n".join(lines)
