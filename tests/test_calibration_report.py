"""The calibration report's numbers and words (no notebook run): Kaplan–Meier against a hand-computed
censored example, the fitted curve against its closed form, observed vs fitted on a history drawn
from known parameters, the checks exactly as `simlib calibrate check` computes them, labels not ids."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from simlib.calibration.check import check
from simlib.calibration.crossval import cross_validated_check
from simlib.calibration.engine_sim import simulate_with_engine
from simlib.calibration.fit import fit
from simlib.calibration.history import read_history
from simlib.calibration.parameters import SPECS, PaymentTiming
from simlib.calibration.payment_timing import Invoices
from simlib.calibration.report_data import (FittedModel, ReportOptions, calibration_report_data, fitted_settled,
                                            kaplan_meier_settled, load_report_data, save_report_data,
                                            settle_curves)
from simlib.calibration.synthetic import synthetic_history
from simlib.report import calibration_blocks as cal
from simlib.report.calibration_figures import weekly_settled
from simlib.report.calibration_words import (PARAMETER_WORDS, interval_text, method_text, number,
                                             parameter_value_text)

TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     due_date_jump_per_day=0.5, dispute_intensity_factor=0.3, paper_intensity_factor=0.5,
                     balance_elasticity=0.4, balance_ref=60.0)
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ar_payment_history" / "invoices.csv"
README = Path(__file__).resolve().parents[1] / "README.md"
QUICK = ReportOptions(seed=3, replications=4, bootstrap=100, curve_bootstrap=40, cross_validate=True, splits=3)


def synthetic(tmp_path, name: str, n: int, seed: int, timing: PaymentTiming = TRUE, open_invoices: bool = True):
    table = synthetic_history(timing, n, seed=seed, window_days=300, extraction_day=300 if open_invoices else None)
    path = tmp_path / f"{name}.csv"
    table.to_csv(path, index=False)
    return path, table.attrs.get("extraction_date")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    path, extraction = synthetic(tmp_path_factory.mktemp("h"), "history", 1500, seed=11)
    return read_history(path, extraction_date=extraction)


@pytest.fixture(scope="module")
def report(history):
    return calibration_report_data(history, options=QUICK)


# --------------------------------------------------------------------------- Kaplan–Meier
def test_kaplan_meier_matches_a_hand_computed_censored_example():
    # settled on days 1, 3, 3, 6; open after 3 and 5 days. At risk: 6 on day 1 (1 settles), 5 on day 3
    # (2 settle; the one open after 3 days is still at risk that day), 1 on day 6 (settles).
    settle = np.array([1, 3, 3, 6, np.nan, np.nan])
    open_days = np.array([np.nan, np.nan, np.nan, np.nan, 3, 5])
    s1 = 5 / 6
    s3 = s1 * (1 - 2 / 5)
    expected = 1 - np.array([1, s1, s1, s3, s3, s3, 0.0, 0.0])
    np.testing.assert_allclose(kaplan_meier_settled(settle, open_days, np.arange(8)), expected, atol=1e-12)


def test_kaplan_meier_without_open_invoices_is_the_share_settled():
    settle = np.array([0, 2, 2, 4, 9.0])
    got = kaplan_meier_settled(settle, np.full(5, np.nan), np.arange(11))
    np.testing.assert_allclose(got, [(settle <= x).mean() for x in range(11)], atol=1e-12)
    assert np.all(kaplan_meier_settled(np.full(3, np.nan), np.array([2.0, 4, 5]), np.arange(6)) == 0)


def test_fitted_curve_is_the_closed_form_of_whole_days():
    # planners only, no delay, Weibull(scale 0.5 x 30 days, shape 2): F(t) = 1 - exp(-(t / 15)^2), and a
    # settle date x days after the invoice means a settle time in [x, x + 1)
    timing = TRUE.replace(planner_share=1.0, planned_day_scale_of_terms=0.5, planned_day_shape=2.0)
    inv = Invoices(np.full(4, 30.0), np.zeros(4, bool), np.zeros(4, bool), np.full(4, 60.0))
    days = np.arange(0, 40)
    np.testing.assert_allclose(fitted_settled(timing, inv, days), 1 - np.exp(-((days + 1) / 15.0) ** 2), atol=1e-12)


def test_weekly_shares_add_up_to_the_curve():
    curve = np.linspace(0, 1, 20)
    weeks = weekly_settled(curve)
    assert len(weeks) == 3 and weeks.sum() == pytest.approx(1.0)
    assert weeks[0] == pytest.approx(curve[6]) and weeks[1] == pytest.approx(curve[13] - curve[6])


# --------------------------------------------------------------------------- observed vs fitted
def test_the_true_model_follows_the_observed_curves_and_a_wrong_one_does_not(history):
    right = settle_curves(history, TRUE, resamples=40, seed=2)
    wrong = settle_curves(history, TRUE.replace(dispute_delay_days=25.0, paper_delay_days=0.0), resamples=40, seed=2)
    assert set(right["groups"]) == {"all", "disputed", "undisputed", "paper", "electronic"}
    assert right["groups"]["all"]["open"] > 0  # the history has open invoices: censored, not dropped
    for g, c in right["groups"].items():
        assert c["largest_gap"] < 0.06, g
        lo, hi = np.array(c["observed_low"]), np.array(c["observed_high"])
        assert np.all(lo <= np.array(c["observed"]) + 1e-12) and np.all(np.array(c["observed"]) <= hi + 1e-12)
    assert wrong["groups"]["disputed"]["largest_gap"] > 0.2
    assert wrong["groups"]["disputed"]["largest_outside_band"] > 0.1
    # curves rise from day 0 and stop once 99 % is settled (rounded to 10 days) or at the follow-up's end
    days = right["days"]
    assert days[0] == 0 and days[-1] % 10 == 0 and np.all(np.diff(right["groups"]["all"]["observed"]) >= 0)


def test_the_report_numbers_are_the_commands_numbers(history, report):
    data, model = report
    assert json.loads(json.dumps(data)) == data
    assert model.result is not None and data["fit"]["source"] == "history" and data["fit"]["same_history"]
    result = fit(history)
    assert data["timing"] == result.timing.as_dict()
    assert data["in_sample"] == check(result.timing, history, 4, 3, simulate=simulate_with_engine, bootstrap=100)
    assert data["cross_validation"] == cross_validated_check(history, 3, 0.3, 3, 4, 100, simulate=simulate_with_engine)
    assert data["other"] is None
    # the fit to a history drawn from TRUE agrees with it on every group, within the customer-bootstrap CIs
    for stat in [data["in_sample"]["mean_days"], *data["in_sample"]["mean_days_by_group"].values()]:
        lo, hi = stat["difference_ci95"]
        assert lo <= 0 <= hi


def test_parameter_rows_carry_every_parameter_with_its_interval(report):
    data, _ = report
    rows = {r["name"]: r for r in data["fit"]["parameters"]}
    assert list(rows) == list(SPECS)
    assert rows["floor_per_day"]["ci95"] is None and rows["floor_per_day"]["method"] == "fixed"
    lo, hi = rows["planner_share"]["ci95"]
    assert lo <= rows["planner_share"]["value"] <= hi and lo <= TRUE.planner_share <= hi


def test_the_same_seed_gives_the_same_numbers(history, report, tmp_path):
    again, _ = calibration_report_data(history, options=QUICK)
    first = dict(report[0], settings={k: v for k, v in report[0]["settings"].items() if k != "created"})
    again["settings"].pop("created")
    assert again == first
    save_report_data(report[0], tmp_path, report[1])
    assert load_report_data(tmp_path) == report[0]
    assert "planner_share" in (tmp_path / "fitted.yaml").read_text()


def test_a_fitted_file_and_a_second_history(tmp_path, history, report):
    report[1].write(tmp_path / "fitted.yaml")
    other_path, _ = synthetic(tmp_path, "other", 600, seed=12, open_invoices=False)
    other = read_history(other_path)
    model = FittedModel.from_file(tmp_path / "fitted.yaml")
    options = ReportOptions(seed=3, replications=4, bootstrap=100, curve_bootstrap=20)
    data, _ = calibration_report_data(other, model, other, options)
    assert data["fit"]["source"] == "file" and data["fit"]["file"] == "fitted.yaml"
    assert not data["fit"]["same_history"]  # fitted to `history`, shown on `other`
    assert data["other"]["check"] == check(model.timing, other, 4, 3, simulate=simulate_with_engine, bootstrap=100)
    words = cal.title_block(data).data
    assert "read from fitted.yaml" in words and "not this history" in words
    assert "predicts the days to settle of the invoices in other.csv" in cal.headline(data)


# --------------------------------------------------------------------------- words
def test_numbers_are_read_as_a_board_reads_them():
    assert [number(x) for x in (0.1153, 27.43, 2.6104, 0.0, -0.0287, 1234.6, 0.00475)] == \
        ["0.115", "27.4", "2.61", "0", "\N{MINUS SIGN}0.0287", "1,235", "0.00475"]
    assert parameter_value_text("planner_share", 0.8451) == "84.5 %"
    assert parameter_value_text("planned_day_scale_of_terms", 0.9146, 30) == \
        "0.915 × the credit terms (27.4 days at 30 days' terms)"
    assert parameter_value_text("dispute_intensity_factor", 0.0788) == "× 0.0788"
    assert parameter_value_text("initial_per_day", 0.115) == "0.115 a day"
    assert interval_text("planner_share", (0.7976, 0.8831)) == "79.8 to 88.3 %"
    assert interval_text("floor_per_day", None) == ""
    assert method_text("profile (estimate on its bound)").startswith("one-sided")
    assert method_text("not used: no disputed invoice") == "not fitted: no disputed invoice"
    assert set(PARAMETER_WORDS) == set(SPECS)


def test_blocks_speak_in_labels_never_ids(report):
    data, _ = report
    html = "".join(block.data for block in (
        cal.title_block(data), cal.settle_curves(data), cal.group_shifts(data), cal.parameter_table(data),
        cal.prediction(data), cal.limitations(data), cal.glossary(), cal.reproducibility_footer(data)))
    text = re.sub(r"<[^>]+>", " ", re.sub(r'<img\b[^>]*>', "", html))
    for name in [*SPECS, "disputed_minus_undisputed", "paper_minus_electronic", "mean_days"]:
        assert name not in text, name
    for term in ("Kaplan–Meier", "KS distance", "censored"):
        assert term in text
    assert not re.search(r"\d\.\d{5,}", text), "raw floats on the page"
    assert "Predicting customers the fit did not see" in text and "Customers paying on a planned day" in text
    assert cal.headline(data).startswith("The fitted model predicts unseen customers' days to settle within KS ")
    for img in re.findall(r"<img\b[^>]*>", html):
        assert 'src="data:image/png;base64,' in img and re.search(r'alt="[^"]{40,}"', img)


def test_without_a_held_out_check_the_headline_says_so(report):
    data = dict(report[0], cross_validation=None, other=None)
    assert "no check on unseen invoices was run" in cal.headline(data)
    assert "Invoices the fit did not see" in cal.prediction(data).data


@pytest.mark.slow
def test_the_shared_invoices_report_says_what_the_readme_quotes():
    """`python3 dev.py reports`' calibration of the shared invoices (seed 1, 10 splits through the engine):
    unseen customers predicted within chance, and the README quotes the page's headline."""
    if not SHARED.exists():
        pytest.skip(f"shared invoice history not found at {SHARED}")
    data, _ = calibration_report_data(read_history(SHARED), options=ReportOptions(seed=1, cross_validate=True))
    cv = data["cross_validation"]
    assert cv["ks"]["value"] <= 0.08 and cv["ks"]["value"] < cv["ks"]["noise_95"]
    for stat in [cv["mean_days"], *cv["group_shifts"].values()]:
        assert abs(stat["difference"]) <= 2.0
    quoted = " ".join(README.read_text(encoding="utf-8").replace("*", "").split())
    sentence = cal.headline(data).removeprefix("The fitted model ").removesuffix(".")
    assert sentence in quoted, sentence
