"""Maximum-likelihood fit: recovery of known parameters, interval coverage, boundaries, fitted.yaml."""
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from simlib.calibration.fit import BOUNDARY_CHI2_95, FitError, _Objective, _optimise, fit
from simlib.calibration.fitted_file import FittedFileError, load_fitted
from simlib.calibration.history import read_history
from simlib.calibration.parameters import DEFAULT_FREE, SPECS, PaymentTiming
from simlib.calibration.payment_timing import Invoices
from simlib.calibration.synthetic import synthetic_history

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ar_payment_history" / "invoices.csv"

# Interior values near the shared invoices' fit, with a measurable decay (so every parameter is identified).
TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     floor_per_day=0.0, due_date_jump_per_day=0.5, dispute_intensity_factor=0.3,
                     paper_intensity_factor=0.5, balance_elasticity=0.4, balance_ref=60.0)


def _history(tmp_path, seed, n=2000, extraction_day=None, window_days=730, timing=TRUE):
    table = synthetic_history(timing, n, seed, window_days=window_days, extraction_day=extraction_day)
    path = tmp_path / f"synthetic_{seed}.csv"
    table.to_csv(path, index=False)
    return read_history(path, extraction_date=table.attrs.get("extraction_date"))


def _standard_error_free(result, name):
    lo, hi = (SPECS[name].to_free(v) for v in result.confidence_95[name])
    return (hi - lo) / (2 * 1.959963984540054)


@pytest.fixture(scope="module")
def shared():
    if not SHARED.exists():
        pytest.skip(f"shared invoice history not found at {SHARED}")
    return read_history(SHARED)


def test_fit_recovers_known_parameters_within_four_standard_errors(tmp_path):
    result = fit(_history(tmp_path, seed=1, n=4000), balance_ref=60.0)
    assert result.optimiser["converged"]
    for name in DEFAULT_FREE:
        z_hat = SPECS[name].to_free(getattr(result.timing, name))
        z_true = SPECS[name].to_free(getattr(TRUE, name))
        assert abs(z_hat - z_true) < 4 * _standard_error_free(result, name), name
    assert result.timing.floor_per_day == 0.0 and result.ci_method["floor_per_day"] == "fixed"


def test_fit_is_deterministic(tmp_path):
    h = _history(tmp_path, seed=2, n=800)
    a, b = fit(h), fit(h)
    assert a.timing == b.timing and a.confidence_95 == b.confidence_95


def _coverage(tmp_path, seeds, **history_options):
    covered = {n: 0 for n in DEFAULT_FREE}
    open_shares = []
    for seed in seeds:
        h = _history(tmp_path, seed, **history_options)
        open_shares.append(h.n_open / h.n_invoices)
        result = fit(h, balance_ref=60.0)
        for n in DEFAULT_FREE:
            lo, hi = result.confidence_95[n]
            covered[n] += lo <= getattr(TRUE, n) <= hi
    return covered, float(np.mean(open_shares))


def _assert_nominal(covered, replications):
    """Each parameter's count of covering 95 % intervals ~ Binomial(R, 0.95) if the intervals are right.

    Tolerance: the two-sided 99.9 % binomial band, Bonferroni-corrected over the 11 parameters
    (each tail 0.0005 / 11); over all parameters the mean coverage must lie in the same band for
    R x 11 independent intervals widened x sqrt(11) (the intervals of one fit are correlated).
    """
    tail = 0.0005 / len(covered)
    lo, hi = stats.binom.ppf(tail, replications, 0.95), stats.binom.isf(tail, replications, 0.95)
    bad = {n: c for n, c in covered.items() if not lo <= c <= hi}
    assert not bad, f"coverage outside [{lo:.0f}, {hi:.0f}] of {replications}: {bad}"
    mean = np.mean(list(covered.values())) / replications
    half = stats.norm.isf(0.0005) * np.sqrt(0.95 * 0.05 / replications)
    assert abs(mean - 0.95) < half, mean


@pytest.mark.slow
def test_intervals_cover_the_truth_at_the_nominal_rate(tmp_path):
    covered, open_share = _coverage(tmp_path, range(100), n=2000)
    assert open_share < 0.02   # complete follow-up: only the never-payers stay open
    _assert_nominal(covered, 100)


@pytest.mark.slow
def test_intervals_cover_the_truth_with_30_percent_open(tmp_path):
    # Invoices over 84 days, extracted on the last day: about 30 % are still open.
    covered, open_share = _coverage(tmp_path, range(100, 200), n=2000, window_days=84, extraction_day=84)
    assert 0.27 < open_share < 0.33
    _assert_nominal(covered, 100)


def test_estimate_on_its_bound_gets_a_one_sided_profile_interval(shared):
    result = fit(shared)
    assert result.timing.decay_per_day == 0.0
    assert result.ci_method["decay_per_day"].startswith("profile")
    lo, hi = result.confidence_95["decay_per_day"]
    assert lo == 0.0 and 0.0 < hi < 0.05
    # At the upper limit the likelihood-ratio statistic is the boundary law's 95 % point.
    t = shared.table
    names = tuple(n for n in result.free if n != "decay_per_day")
    at_limit = _Objective(result.timing.replace(decay_per_day=hi), names, Invoices.from_table(t),
                          t["days_to_settle"].to_numpy(float), t["days_open"].to_numpy(float))
    z0 = np.array([SPECS[n].to_free(getattr(result.timing, n)) for n in names])
    refit = _optimise(at_limit, z0)
    assert 2 * (refit.fun + result.log_likelihood) == pytest.approx(BOUNDARY_CHI2_95, abs=0.02)


def test_fitted_yaml_round_trip(shared, tmp_path):
    result = fit(shared)
    path = tmp_path / "fitted.yaml"
    result.write_yaml(path)
    text = path.read_text()
    assert "planner_share:" in text and "# share of accounts; 95 % CI [" in text
    loaded = load_fitted(path)
    assert loaded.timing == result.timing
    assert loaded.confidence_95 == result.confidence_95
    assert loaded.provenance["sha256"] == shared.sha256 and loaded.provenance["rows"] == 1692
    path.write_text(text.replace("planner_share:", "planner_shar:"))
    with pytest.raises(FittedFileError, match=r"behaviour\.payment_timing\.planner_shar: unknown parameter"):
        load_fitted(path)
    path.write_text(text.replace("    planner_share: ", "    planner_share: 2.5 #"))
    with pytest.raises(FittedFileError, match=r"planner_share: expected a share in \[0, 1\]; found 2\.5"):
        load_fitted(path)


def test_bad_fit_requests_are_clear(tmp_path):
    h = _history(tmp_path, seed=3, n=300)
    with pytest.raises(FitError, match="unknown parameter 'speed'"):
        fit(h, fixed={"speed": 1.0})
    with pytest.raises(FitError, match="fixed value out of range: planner_share"):
        fit(h, fixed={"planner_share": 3.0})
    with pytest.raises(FitError, match="no settled invoice"):
        fit(h.subset(~h.table["settled"], "open only"))


def test_shared_invoices_fit_matches_the_documented_table(shared):
    """Back test: the estimates and intervals printed in docs/calibration.md §5."""
    result = fit(shared)
    documented = {"planner_share": (0.845, 0.798, 0.883), "planned_day_scale_of_terms": (0.915, 0.881, 0.949),
                  "planned_day_shape": (2.61, 2.46, 2.78), "dispute_delay_days": (8.42, 6.56, 10.81),
                  "paper_delay_days": (4.59, 3.49, 6.03), "initial_per_day": (0.115, 0.076, 0.173),
                  "due_date_jump_per_day": (1.45, 0.28, 4.94), "dispute_intensity_factor": (0.079, 0.016, 0.382),
                  "paper_intensity_factor": (0.409, 0.262, 0.640), "balance_elasticity": (0.33, -0.03, 0.69)}
    for name, (value, lo, hi) in documented.items():
        got = (getattr(result.timing, name), *result.confidence_95[name])
        assert got == pytest.approx((value, lo, hi), rel=0.006, abs=0.006), name
    assert result.timing.decay_per_day == 0.0
    assert result.confidence_95["decay_per_day"][1] == pytest.approx(0.0047, abs=5e-5)
    assert result.log_likelihood == pytest.approx(-6448.29, abs=0.01)
