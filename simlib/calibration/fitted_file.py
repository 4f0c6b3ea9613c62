"""``fitted.yaml``: the fitted behaviour block, its 95 % intervals and the data's provenance.

Layout (one top-level ``behaviour`` block that a scenario can include or reference)::

    behaviour:
      payment_timing:      {parameter: value}   # unit and 95 % interval as a comment on each line
      confidence_95:       {parameter: [low, high]}
      interval_method:     {parameter: how the interval was obtained, or "fixed"}
      fit:                 log-likelihood, convergence
      provenance:          file, sha256, rows, settled, open, customers, extraction date, versions
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from simlib.calibration.parameters import SPECS, PaymentTiming

HEADER = """\
# Payment timing fitted by `simlib calibrate fit` (maximum likelihood, right-censored).
# Model, likelihood and interval methods: docs/calibration.md.
"""


class FittedFileError(ValueError):
    """A fitted.yaml that cannot be used; ``str(err)`` is one line naming file and field."""


@dataclass(frozen=True)
class FittedTiming:
    """What ``check`` needs from a fitted file, plus what it says about its origin."""

    timing: PaymentTiming
    confidence_95: dict[str, tuple[float, float]]
    provenance: dict
    interval_method: dict[str, str] = field(default_factory=dict)


def write_fitted(result, path: str | Path) -> None:
    """Write a ``fit.FitResult`` as ``fitted.yaml``."""
    from simlib.core.versions import SIMLIB_VERSION

    t = result.timing
    width = max(len(n) for n in SPECS) + 2
    lines = [HEADER.rstrip("\n"), "behaviour:", "  payment_timing:"]
    for name, spec in SPECS.items():
        value = getattr(t, name)
        if name in result.free:
            lo, hi = result.confidence_95[name]
            note = f"{spec.unit}; 95 % CI [{lo:.4g}, {hi:.4g}]"
        else:
            note = f"{spec.unit}; {result.ci_method.get(name, 'fixed')}"
        lines.append(f"    {name + ':':<{width}} {value!r:<22} # {note}")
    lines.append(f"    {'balance_ref:':<{width}} {t.balance_ref!r:<22} # USD; reference balance, not fitted")
    lines.append("  confidence_95:")
    lines += [f"    {n}: [{a!r}, {b!r}]" for n, (a, b) in result.confidence_95.items()]
    rest = {
        "interval_method": dict(result.ci_method),
        "fit": {"log_likelihood": round(float(result.log_likelihood), 6), "free": list(result.free),
                **result.optimiser},
        "provenance": {**result.provenance, "simlib_version": SIMLIB_VERSION,
                       "fitted_on": _dt.date.today().isoformat()},
    }
    body = yaml.safe_dump(rest, sort_keys=False, default_flow_style=False, width=120)
    lines += ["  " + line for line in body.rstrip("\n").splitlines()]
    from simlib.core.atomic import atomic_write_text
    atomic_write_text(path, "\n".join(lines) + "\n")  # the old file or the new one, never half of it


#: Parameters added after fitted files were first written, with the value that reproduces the older
#: model (issue 25: the dispute delay's spread; 0 is the constant delay those files were fitted with).
OPTIONAL = {"dispute_delay_log_sd": 0.0}


def load_fitted(path: str | Path) -> FittedTiming:
    """Read a fitted.yaml back; every problem is a one-line ``FittedFileError``."""
    name = str(path)
    from simlib.calibration.input_files import read_input_text

    text = read_input_text(path, "fitted file", "a fitted YAML file (written by `simlib calibrate fit`)", FittedFileError)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FittedFileError(f"{name}: not valid YAML ({str(exc).splitlines()[0]})") from None
    block = (data or {}).get("behaviour") if isinstance(data, dict) else None
    timing = block.get("payment_timing") if isinstance(block, dict) else None
    if not isinstance(timing, dict):
        raise FittedFileError(f"{name}: expected a 'behaviour: payment_timing:' block (written by "
                              f"`simlib calibrate fit`)")
    known = [f.name for f in fields(PaymentTiming)]
    unknown = sorted(set(timing) - set(known))
    if unknown:
        raise FittedFileError(f"{name}: behaviour.payment_timing.{unknown[0]}: unknown parameter; "
                              f"expected one of {', '.join(known)}")
    timing = {**OPTIONAL, **timing}  # a file written before a parameter existed: its neutral value
    missing = [k for k in known if k not in timing]
    if missing:
        raise FittedFileError(f"{name}: behaviour.payment_timing.{missing[0]}: required parameter is missing")
    for k in known:
        v = timing[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise FittedFileError(f"{name}: behaviour.payment_timing.{k}: expected a number; found {v!r}")
    result = PaymentTiming(**{k: float(timing[k]) for k in known})
    try:
        result.check()
    except ValueError as exc:
        raise FittedFileError(f"{name}: behaviour.payment_timing.{exc}") from None
    intervals = block.get("confidence_95") or {}
    try:
        ci = {str(k): (float(v[0]), float(v[1])) for k, v in intervals.items()}
    except (AttributeError, TypeError, ValueError, IndexError, KeyError):
        raise FittedFileError(f"{name}: behaviour.confidence_95: expected parameter: [low, high] pairs "
                              f"of numbers") from None
    methods = block.get("interval_method")
    methods = {str(k): str(v) for k, v in methods.items()} if isinstance(methods, dict) else {}
    return FittedTiming(result, ci, dict(block.get("provenance") or {}), methods)
