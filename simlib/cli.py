"""Command line: ``simlib validate FILE…``, ``simlib run FILE…``, ``simlib report FILE…``.

Errors in input are printed as ``file: field: what was expected; found …`` with no traceback,
and the exit status is non-zero.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simlib.params import ScenarioError, load_scenario


def _validate(args) -> int:
    status = 0
    for f in args.files:
        try:
            sc = load_scenario(f)
        except ScenarioError as err:
            n = len(err.problems)
            print(f"{f}: {n} problem{'s' if n > 1 else ''}", file=sys.stderr)
            for p in err.problems:
                print(f"  - {p}", file=sys.stderr)
            status = 1
        else:
            print(f"{f}: OK (scenario {sc.name!r}, {len(sc.strategies)} strategies, "
                  f"baseline {sc.baseline_strategy!r})")
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


def _run(args) -> int:
    from simlib.analysis import paired_differences, probability_best, summarize
    from simlib.catalogue import KEY_METRIC, METRICS
    from simlib.experiment import run_experiment

    from simlib.experiment import ExperimentError

    scenarios = _load_all(args.files)
    for f, sc in scenarios:
        out = Path(args.out) / sc.name
        try:
            res = run_experiment(sc, replications=args.replications, seed=args.seed,
                                 workers=args.workers, scheduler=args.scheduler,
                                 progress=not args.quiet, precision=args.precision)
        except ExperimentError as err:
            kept = ""
            if err.results is not None:
                err.results.save(out, fmt=args.format)
                kept = f"; the {err.results.provenance['replications']} replications completed before it are saved in {out}"
            print(f"{f}: {err}{kept}", file=sys.stderr)
            return 5
        res.save(out, fmt=args.format)
        summary = summarize(res.metrics)
        diffs = paired_differences(res.metrics, res.baseline)
        best = probability_best(res.metrics, KEY_METRIC, METRICS[KEY_METRIC].higher_is_better)
        best = best.rename("probability_best").rename_axis("strategy").reset_index().assign(metric=KEY_METRIC)
        ext = "csv" if args.format == "csv" else "parquet"
        for name, table in (("summary", summary), ("paired_differences", diffs), ("probability_best", best)):
            if ext == "csv":
                table.to_csv(out / f"{name}.csv", index=False)
            else:
                table.to_parquet(out / f"{name}.parquet", index=False)
        print(f"{f}: {res.provenance['replications']} replications × {len(sc.strategies)} strategies "
              f"in {res.provenance['elapsed_seconds']:.1f} s → {out}")
    return 0


def _report(args) -> int:
    from simlib.report import build_reports

    _load_all(args.files)  # every file is checked before any work starts
    paths = build_reports(args.files, out_dir=args.out, replications=args.replications,
                          seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                          precision=args.precision)
    for p in paths:
        print(p)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="simlib", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check parameter files and explain every error")
    v.add_argument("files", nargs="+")
    v.set_defaults(func=_validate)
    for name, func, out in (("run", _run, "runs"), ("report", _report, "reports")):
        p = sub.add_parser(name, help="run the Monte Carlo and write result tables" if name == "run"
                           else "run, then render the HTML board reports")
        p.add_argument("files", nargs="+")
        p.add_argument("--replications", type=int, default=None)
        p.add_argument("--seed", type=int, default=None)
        p.add_argument("--workers", type=int, default=None)
        p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
        p.add_argument("--precision", type=float, default=None,
                       help="add replications until the key metric's CI half-width < this × mean")
        p.add_argument("--out", default=out)
        if name == "run":
            p.add_argument("--format", choices=["parquet", "csv"], default="csv")
            p.add_argument("--quiet", action="store_true")
        p.set_defaults(func=func)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as err:
        print(str(err).removeprefix("input: "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; files already written are kept", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - report-level failures get one clear line
        from simlib.ledger import ConservationError
        if isinstance(err, ConservationError):
            print(f"error: money was lost or created: {err}", file=sys.stderr)
            return 3
        name = type(err).__name__
        if name in {"ReportError"}:
            print(f"error: {err}", file=sys.stderr)
            return 4
        raise


if __name__ == "__main__":
    sys.exit(main())
