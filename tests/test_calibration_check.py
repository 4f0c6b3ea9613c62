"""Hold-out check and the calibrate CLI: JSON report, swapping the simulator, customer-level prediction."""
import json
from pathlib import Path

import numpy as np
import pytest

from simlib.calibration.check import check, simulate_with_model
from simlib.calibration.command import check_main, fit_main
from simlib.calibration.crossval import cross_validated_check, customer_split, customer_splits
from simlib.calibration.fit import fit
from simlib.calibration.history import read_history
from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.synthetic import synthetic_history

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ar_payment_history" / "invoices.csv"
TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     due_date_jump_per_day=0.5, dispute_intensity_factor=0.3, paper_intensity_factor=0.5,
                     balance_elasticity=0.4, balance_ref=60.0)


@pytest.fixture(scope="module")
def shared():
    if not SHARED.exists():
        pytest.skip(f"shared invoice history not found at {SHARED}")
    return read_history(SHARED)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    table = synthetic_history(TRUE, 3000, seed=5, window_days=200, extraction_day=200)
    path = tmp_path_factory.mktemp("hist") / "synthetic.csv"
    table.to_csv(path, index=False)
    return read_history(path, extraction_date=table.attrs["extraction_date"])


def test_report_is_json_with_the_promised_keys(synthetic):
    report = check(TRUE, synthetic, replications=5, seed=3, bootstrap=200)
    assert json.loads(json.dumps(report)) == report
    assert {"ks", "mean_days", "mean_days_by_group"} <= set(report)
    assert set(report["mean_days_by_group"]) == {"disputed", "undisputed", "paper", "electronic"}
    for stat in [report["mean_days"], *report["mean_days_by_group"].values(), *report["group_shifts"].values()]:
        for key in ("observed_ci95", "simulated_ci95", "difference_ci95"):
            lo, hi = stat[key]
            assert lo <= hi
    assert report["censored_at_extraction"] and report["invoices"] == 3000
    assert report == check(TRUE, synthetic, replications=5, seed=3, bootstrap=200)   # seeded


def test_the_true_model_passes_its_own_check(synthetic):
    """A history drawn from TRUE, checked against TRUE: distances within resampling noise."""
    report = check(TRUE, synthetic, replications=20, seed=8)
    assert report["ks"]["value"] <= report["ks"]["noise_95"]
    for stat in [report["mean_days"], *report["mean_days_by_group"].values(), *report["group_shifts"].values()]:
        lo, hi = stat["difference_ci95"]
        assert lo <= 0.0 <= hi


def test_a_wrong_model_fails_the_check(synthetic):
    report = check(TRUE.replace(dispute_delay_days=20.0, planner_share=0.5), synthetic, replications=5, seed=8)
    assert report["ks"]["value"] > report["ks"]["noise_95"]
    lo, hi = report["group_shifts"]["disputed_minus_undisputed"]["difference_ci95"]
    assert lo > 0.0


def test_swapping_the_simulator_is_one_function(synthetic):
    calls = []

    def engine_stand_in(timing, history, replication, seed):
        calls.append(replication)
        return simulate_with_model(timing, history, replication, seed) + 1.0   # everything one day later

    moved = check(TRUE, synthetic, replications=3, seed=1, simulate=engine_stand_in, bootstrap=50)
    base = check(TRUE, synthetic, replications=3, seed=1, bootstrap=50)
    assert calls == [0, 1, 2]
    assert moved["mean_days"]["simulated"] > base["mean_days"]["simulated"]


def test_customer_splits_hold_every_customer_out_equally_often(shared):
    pairs = customer_splits(shared, 0.3, 10, seed=1)
    held = np.concatenate([np.unique(h.table["customer_id"]) for _, h in pairs])
    _, times = np.unique(held, return_counts=True)
    assert len(times) == 70 and set(times) == {3}
    for train, out in pairs:
        assert train.n_customers == 49 and out.n_customers == 21
        assert not set(train.table["customer_id"]) & set(out.table["customer_id"])


@pytest.mark.slow
def test_customer_level_holdout_predicts_unseen_customers(shared):
    """Fit on 70 % of customers, check on the other 30 %, over 10 splits that hold each customer out
    three times; pooled, the held-out invoices are the whole history (so the observed shifts are the
    data's). Issue 10's targets: KS <= 0.08, group mean shifts within +-2 days of the data's."""
    report = cross_validated_check(shared, splits=10, holdout_share=0.3, seed=1)
    assert report["ks"]["value"] <= 0.08
    shifts = report["group_shifts"]
    assert shifts["disputed_minus_undisputed"]["observed"] == pytest.approx(12.18, abs=0.01)
    assert shifts["paper_minus_electronic"]["observed"] == pytest.approx(5.79, abs=0.01)
    for name in ("disputed_minus_undisputed", "paper_minus_electronic"):
        assert abs(shifts[name]["difference"]) <= 2.0, name


@pytest.mark.slow
def test_the_intensity_alone_cannot_predict_the_peak_before_the_due_date(shared):
    """Issue 10's diagnosis: without planners the density can only fall from day 0 (KS ~0.16)."""
    report = cross_validated_check(shared, splits=10, holdout_share=0.3, seed=1, fixed={"planner_share": 0.0})
    assert report["ks"]["value"] > 0.12


@pytest.mark.slow
def test_one_customer_split_is_as_good_as_the_other_customers_own_distribution(shared):
    """One 70/30 split: the fitted model predicts the held-out customers no worse than the training
    customers' own settle-day distribution would, and both group shifts are inside their intervals."""
    train, held = customer_split(shared, 0.3, seed=1)
    report = check(fit(train).timing, held, replications=20, seed=1)
    a, b = np.sort(train.table["days_to_settle"]), np.sort(held.table["days_to_settle"])
    grid = np.arange(0, 200)
    empirical = np.max(np.abs(np.searchsorted(a, grid, "right") / len(a) - np.searchsorted(b, grid, "right") / len(b)))
    assert report["ks"]["value"] <= empirical + 0.01
    for name in ("disputed_minus_undisputed", "paper_minus_electronic"):
        lo, hi = report["group_shifts"][name]["difference_ci95"]
        assert lo <= 0.0 <= hi, name


# --------------------------------------------------------------------------- command line
def test_fit_and_check_commands(shared, tmp_path, capsys):
    fitted, out = tmp_path / "fitted.yaml", tmp_path / "check.json"
    assert fit_main([str(SHARED), "--out", str(fitted)]) == 0
    assert "planner_share" in capsys.readouterr().out
    assert check_main([str(fitted), str(SHARED), "--json", str(out), "--replications", "5",
                       "--bootstrap", "100"]) == 0
    text = capsys.readouterr().out
    assert "KS distance of days to settle" in text and "disputed minus undisputed" in text
    report = json.loads(out.read_text())
    assert report["ks"]["value"] <= 0.08 and report["invoices"] == 1692


@pytest.mark.parametrize("command, argv, message", [
    ("fit", ["{missing}", "--out", "{tmp}/f.yaml"], "cannot read the history file"),
    ("fit", ["{bad}", "--out", "{tmp}/f.yaml"], "row 2, column 'InvoiceAmount': expected an amount > 0"),
    ("fit", ["{bad}"], "the following arguments are required: --out"),
    ("fit", ["{bad}", "--out", "{tmp}/f.yaml", "--fix", "speed=3"], "argument --fix: expected NAME=VALUE"),
    ("fit", ["{bad}", "--out", "{tmp}/f.yaml", "--mapping", "{missing}"], "cannot read the mapping file"),
    ("fit", ["{bad}", "--out", "{tmp}/no/f.yaml"], "--out: folder"),
    ("check", ["{missing}", "{bad}"], "cannot read the fitted file"),
    ("check", ["{notfitted}", "{bad}"], "expected a 'behaviour: payment_timing:' block"),
    ("check", ["{notfitted}", "{bad}", "--replications", "0"], "expected a whole number >= 1"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, command, argv, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("customerID,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill\n"
                   "A,1/5/2013,2/4/2013,-3,No,2/20/2013,Paper\n")
    notfitted = tmp_path / "scenario.yaml"
    notfitted.write_text("name: x\n")
    names = {"missing": tmp_path / "missing.file", "bad": bad, "notfitted": notfitted, "tmp": tmp_path}
    args = [a.format(**names) for a in argv]
    main = fit_main if command == "fit" else check_main
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"simlib calibrate {command}: error: ") and message in err
