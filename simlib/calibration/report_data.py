"""The numbers of the calibration report ("does the model look like this hospital?").

Computed once by ``simlib calibrate report`` (or by the notebook itself when opened in
JupyterLab) and saved as JSON beside the page; the notebook only presents them:

- **settle curves**: the share of invoices settled within x days, observed and fitted, for all
  invoices and for each group (disputed / undisputed, paper / electronic). Observed: one minus the
  Kaplan–Meier estimate of days to settle (``scipy.stats.ecdf`` on ``scipy.stats.CensoredData``;
  an open invoice is right-censored at its days open on the extraction date), with a 95 % band
  from a bootstrap over *customers* (a customer's invoices are alike, so resampling invoices
  would give too narrow a band). Fitted: the model's closed-form distribution averaged over the
  same invoices, mean_i F_i(x + 1) (dates are whole days: settled "x days after the invoice"
  means a settle time in [x, x + 1));
- **in-sample check**: ``check.check`` of the fitted parameters on the same invoices (mean days
  overall and by group, observed and simulated, with customer-bootstrap intervals);
- **parameters**: each fitted value with its 95 % interval and how the interval was obtained;
- **prediction**: ``crossval.cross_validated_check`` (fit on 70 % of the customers, predict the
  other 30 %, pooled over balanced splits) and/or ``check.check`` on a second history.
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from simlib.calibration.check import GROUPS, check
from simlib.calibration.crossval import cross_validated_check
from simlib.calibration.engine_sim import SIMULATORS
from simlib.calibration.fit import FitResult, fit
from simlib.calibration.fitted_file import load_fitted
from simlib.calibration.history import History, load_mapping, read_history
from simlib.calibration.parameters import SPECS, PaymentTiming
from simlib.calibration.payment_timing import Invoices, cdf, latent_generator

REPORT_FILE = "calibration.json"
FITTED_FILE = "fitted.yaml"
#: Spawn-key stream id of the settle curves' customer bootstrap (check: 101, 102; splits: 103).
CURVE_BOOTSTRAP_STREAM = 104
#: The curves' groups: every invoice, then check's groups.
CURVE_GROUPS = ("all", *GROUPS)
#: The curves stop once this share of the history is settled (or at its longest follow-up).
CURVE_END_SHARE = 0.99
MAX_CURVE_DAYS = 730


@dataclass(frozen=True)
class ReportOptions:
    """How the report's numbers are computed (each one seeded)."""

    seed: int = 1
    replications: int = 20
    bootstrap: int = 1000
    curve_bootstrap: int = 200
    simulator: str = "engine"
    cross_validate: bool = False
    splits: int = 10
    holdout_share: float = 0.3

    def __post_init__(self) -> None:
        if self.simulator not in SIMULATORS:
            raise ValueError(f"simulator: expected one of {', '.join(sorted(SIMULATORS))}; found {self.simulator!r}")
        if self.replications < 1 or self.bootstrap < 10 or self.curve_bootstrap < 10 or self.splits < 1:
            raise ValueError("replications and splits must be >= 1, bootstrap resamples >= 10")
        if not 0.0 < self.holdout_share < 1.0:
            raise ValueError(f"holdout_share: expected a share in (0, 1); found {self.holdout_share}")


@dataclass(frozen=True)
class FittedModel:
    """Parameters shown on the report: fitted here (``result``) or read from a fitted.yaml (``path``)."""

    timing: PaymentTiming
    confidence_95: dict[str, tuple[float, float]]
    interval_method: dict[str, str]
    fitted_on: dict
    log_likelihood: float | None = None
    result: FitResult | None = None
    path: Path | None = None

    @classmethod
    def fitted_to(cls, history: History) -> "FittedModel":
        result = fit(history)
        return cls(result.timing, result.confidence_95, result.ci_method, result.provenance,
                   result.log_likelihood, result=result)

    @classmethod
    def from_file(cls, path: str | Path) -> "FittedModel":
        loaded = load_fitted(path)
        return cls(loaded.timing, loaded.confidence_95, loaded.interval_method, loaded.provenance,
                   path=Path(path))

    def write(self, path: Path) -> None:
        """The fitted.yaml behind the page: the one written now, or a copy of the one given."""
        if self.result is not None:
            self.result.write_yaml(path)
        else:
            shutil.copyfile(self.path, path)


# --------------------------------------------------------------------------- settle curves
def kaplan_meier_settled(settle_day: np.ndarray, open_day: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Share settled within x days for each x of ``days``: 1 − the Kaplan–Meier survival.

    ``settle_day`` is NaN where the invoice is open, ``open_day`` (days open at the extraction
    date) NaN where it is settled: an open invoice is known unsettled up to that day (right-censored
    there; an invoice settled on a day counts before one censored on it).
    """
    settle_day, open_day = np.asarray(settle_day, float), np.asarray(open_day, float)
    settled = ~np.isnan(settle_day)
    if not settled.any():
        return np.zeros(len(days))
    result = stats.ecdf(stats.CensoredData(uncensored=settle_day[settled], right=open_day[~settled]))
    return 1.0 - result.sf.evaluate(np.asarray(days, float))


def fitted_settled(timing: PaymentTiming, invoices: Invoices, days: np.ndarray) -> np.ndarray:
    """Share settled within x whole days by the model, averaged over ``invoices``: mean_i F_i(x + 1)."""
    if len(invoices) == 0:
        return np.zeros(len(days))
    t = np.asarray(days, float)[:, None] + 1.0
    return cdf(timing, invoices, t).mean(axis=1)


def _group_masks(table) -> dict[str, np.ndarray]:
    masks = {"all": np.ones(len(table), bool)}
    masks |= {g: table[col].to_numpy(bool) == val for g, (col, val) in GROUPS.items()}
    return masks


def _curve_days(settle_day: np.ndarray, open_day: np.ndarray) -> np.ndarray:
    """Whole days 0..x_max: until CURVE_END_SHARE is settled (rounded up to 10 days), at most the
    longest follow-up and MAX_CURVE_DAYS."""
    longest = int(np.nanmax(np.concatenate([settle_day, open_day, [0.0]])))
    days = np.arange(0, min(longest, MAX_CURVE_DAYS) + 1)
    km = kaplan_meier_settled(settle_day, open_day, days)
    reached = np.flatnonzero(km >= CURVE_END_SHARE)
    end = int(days[reached[0]]) if reached.size else int(days[-1])
    end = min(int(np.ceil(max(end, 1) / 10.0) * 10), MAX_CURVE_DAYS)
    return np.arange(0, end + 1)


def settle_curves(history: History, timing: PaymentTiming, resamples: int = 200, seed: int = 1) -> dict:
    """Observed (Kaplan–Meier, customer-bootstrap 95 % band) and fitted settle curves per group."""
    table = history.table
    settle_day = table["days_to_settle"].to_numpy(float)
    open_day = table["days_open"].to_numpy(float)
    invoices = Invoices.from_table(table)
    days = _curve_days(settle_day, open_day)
    _, customer = np.unique(table["customer_id"].to_numpy(str), return_inverse=True)
    members = np.split(np.argsort(customer, kind="stable"), np.cumsum(np.bincount(customer))[:-1])
    rng = latent_generator(seed, 0, CURVE_BOOTSTRAP_STREAM)
    picks = rng.integers(0, len(members), size=(resamples, len(members)))
    resampled = [np.concatenate([members[c] for c in pick]) for pick in picks]
    groups = {}
    for name, mask in _group_masks(table).items():
        if not mask.any():
            continue
        observed = kaplan_meier_settled(settle_day[mask], open_day[mask], days)
        fitted = fitted_settled(timing, invoices.take(np.flatnonzero(mask)), days)
        boot = np.array([kaplan_meier_settled(settle_day[rows[mask[rows]]], open_day[rows[mask[rows]]], days)
                         for rows in resampled])
        low, high = np.percentile(boot, [2.5, 97.5], axis=0)
        gap = np.abs(observed - fitted)
        beyond = np.maximum(low - fitted, fitted - high).clip(min=0.0)   # how far outside the band
        groups[name] = {"invoices": int(mask.sum()), "open": int(np.isnan(settle_day[mask]).sum()),
                        "observed": observed.tolist(), "observed_low": low.tolist(), "observed_high": high.tolist(),
                        "fitted": fitted.tolist(), "largest_gap": float(gap.max()),
                        "largest_gap_day": int(days[int(np.argmax(gap))]),
                        "days_outside_band": int(np.sum(beyond > 1e-12)),
                        "largest_outside_band": float(beyond.max())}
    return {"days": days.tolist(), "resamples": resamples, "groups": groups}


# --------------------------------------------------------------------------- the report's numbers
def parameter_rows(model: FittedModel) -> list[dict]:
    """Each parameter: value, 95 % interval (``None`` when held fixed) and how it was obtained."""
    rows = []
    for name, spec in SPECS.items():
        ci = model.confidence_95.get(name)
        rows.append({"name": name, "value": float(getattr(model.timing, name)), "unit": spec.unit,
                     "ci95": [float(ci[0]), float(ci[1])] if ci else None,
                     "method": model.interval_method.get(name, "fixed" if not ci else "")})
    return rows


def history_facts(history: History) -> dict:
    """What the history is: provenance, its period and the shares of each kind of invoice."""
    t = history.table
    return {**history.provenance(),
            "first_invoice": t["invoice_date"].min().date().isoformat(),
            "last_invoice": t["invoice_date"].max().date().isoformat(),
            "terms_days_median": float(np.median(t["terms_days"])),
            "amount_median": float(np.median(t["amount"])),
            "disputed_share": float(t["disputed"].mean()), "paper_share": float(t["paper"].mean()),
            "customer_mean_days_p10_p90": _customer_spread(t)}


def _customer_spread(table) -> list[float] | None:
    """10th and 90th percentiles of the customers' own mean days to settle (settled invoices)."""
    means = table[table["settled"]].groupby("customer_id")["days_to_settle"].mean()
    if len(means) < 2:
        return None
    return [float(v) for v in np.percentile(means.to_numpy(float), [10, 90])]


def calibration_report_data(history: History, model: FittedModel | None = None, other: History | None = None,
                            options: ReportOptions = ReportOptions()) -> tuple[dict, FittedModel]:
    """Every number of the report (JSON-ready) and the parameters it shows (fitted here if ``model``
    is ``None``)."""
    model = model or FittedModel.fitted_to(history)
    simulate = SIMULATORS[options.simulator]
    o = options
    data: dict = {
        "history": history_facts(history),
        "fit": {"source": "file" if model.path is not None else "history",
                "file": model.path.name if model.path is not None else None,
                "fitted_on": model.fitted_on,
                "same_history": model.fitted_on.get("sha256") == history.sha256
                and model.fitted_on.get("rows") == history.n_invoices,
                "log_likelihood": model.log_likelihood,
                "balance_ref": model.timing.balance_ref,
                "parameters": parameter_rows(model)},
        "timing": model.timing.as_dict(),
        "curves": settle_curves(history, model.timing, o.curve_bootstrap, o.seed),
        "in_sample": check(model.timing, history, o.replications, o.seed, simulate=simulate, bootstrap=o.bootstrap),
        "cross_validation": None, "other": None,
        "settings": {**asdict(o), "simlib_version": _simlib_version(),
                     "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds")},
    }
    if o.cross_validate:
        data["cross_validation"] = cross_validated_check(history, o.splits, o.holdout_share, o.seed,
                                                         o.replications, o.bootstrap, simulate=simulate)
    if other is not None:
        data["other"] = {"history": history_facts(other),
                         "check": check(model.timing, other, o.replications, o.seed, simulate=simulate,
                                        bootstrap=o.bootstrap)}
    return data, model


def _simlib_version() -> str:
    from simlib.core.versions import SIMLIB_VERSION

    return SIMLIB_VERSION


def save_report_data(data: dict, folder: str | Path, model: FittedModel | None = None) -> Path:
    """Write ``calibration.json`` (and the fitted.yaml behind it) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT_FILE
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    if model is not None:
        model.write(folder / FITTED_FILE)
    return path


def load_report_data(folder: str | Path) -> dict:
    return json.loads((Path(folder) / REPORT_FILE).read_text(encoding="utf-8"))


def calibration_data(history_file: str, results_dir: str = "", fitted_file: str = "", check_file: str = "",
                     mapping_file: str = "", cross_validate: bool = False, seed: int = 1) -> dict:
    """The notebook's data: saved numbers from ``results_dir``, or (left empty, as in JupyterLab)
    computed here from the history and the optional fitted file, second history and mapping."""
    if results_dir:
        return load_report_data(results_dir)
    mapping = load_mapping(mapping_file) if mapping_file else None
    history = read_history(history_file, mapping)
    model = FittedModel.from_file(fitted_file) if fitted_file else None
    other = read_history(check_file, mapping) if check_file else None
    data, _ = calibration_report_data(history, model, other, ReportOptions(seed=seed, cross_validate=cross_validate))
    return data
