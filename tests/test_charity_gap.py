"""Charity care ÷ bad debt beside the published ratio (issue 25, item 3): the numbers by hand, and
the board page's paragraph computed from the run it describes (met or not, why, what would close it)."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy import stats

from simlib import report, run_experiment
from simlib.analysis.charity_gap import PUBLISHED_RATIO, charity_gap
from simlib.core.language import speaking
from simlib.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


def table(charity: list[float], bad_debt: list[float], strategy: str = "sq") -> pd.DataFrame:
    rows = [(r, strategy, "charity_care_share", c) for r, c in enumerate(charity)]
    rows += [(r, strategy, "bad_debt_rate", b) for r, b in enumerate(bad_debt)]
    rows += [(r, "other", "charity_care_share", 0.5) for r in range(len(charity))]
    return pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"])


def test_the_ratio_its_interval_and_what_would_close_it_by_hand():
    gap = charity_gap(table([0.08, 0.09, 0.07], [0.04, 0.045, 0.035]), "sq")
    assert gap.runs == 3 and gap.ratio == pytest.approx(2.0)  # every run's charity is twice its bad debt
    assert gap.ratio_low == pytest.approx(2.0) and gap.ratio_high == pytest.approx(2.0)
    assert gap.met is False and gap.published == pytest.approx(2.06 / 3.26)
    assert gap.charity_share == pytest.approx(0.08) and gap.bad_debt_share == pytest.approx(0.04)
    assert gap.charity_at_published == pytest.approx(0.04 * 2.06 / 3.26)       # 2.53 % of net revenue
    assert gap.excess_charity == pytest.approx(0.08 - 0.04 * 2.06 / 3.26)       # 5.47 % to move

    gap = charity_gap(table([0.02, 0.03, 0.025, 0.022], [0.04, 0.04, 0.035, 0.04]), "sq")
    r = pd.Series([0.5, 0.75, 0.025 / 0.035, 0.55])
    half = stats.t.ppf(0.975, 3) * r.std(ddof=1) / math.sqrt(4)
    assert gap.ratio == pytest.approx(r.mean())
    assert (gap.ratio_low, gap.ratio_high) == pytest.approx((r.mean() - half, r.mean() + half))
    assert gap.met is True and gap.ratio_low <= PUBLISHED_RATIO <= gap.ratio_high


def test_no_ratio_without_charity_or_bad_debt_and_no_verdict_from_one_run():
    assert charity_gap(table([0.0, 0.0], [0.04, 0.05]), "sq") is None      # no financial assistance
    assert charity_gap(table([0.05, 0.06], [0.0, 0.05]), "sq") is None      # a run with no bad debt
    assert charity_gap(table([0.05], [0.04]), "nobody") is None
    one = charity_gap(table([0.05], [0.04]), "sq")
    assert one.met is None and math.isnan(one.ratio_low)


def small_baseline(**finance) -> Scenario:
    """The status quo of parameters/baseline.yaml at 10 encounters a day, its assumptions at the
    file's values (no draws), a 120-day warm-up."""
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["strategies"] = {"letters_only": data["strategies"]["letters_only"]}
    data["uncertain"] = []
    data.pop("search", None)
    data.pop("sensitivity", None)
    data["simulation"].update(encounters_per_day=10, warm_up_days=120, replications=3)
    data["finance"].update(finance)
    return Scenario.model_validate(data)


#: The financial assistance policy of parameters/baseline.yaml before issue 25's re-fit on Kodiak's
#: definition (docs/calibration.md §10.4): it books charity at about twice its bad debt.
BEFORE_REFIT = {"financial_assistance": {"free_care_ability_max": 63, "discount_ability_max": 125,
                                        "discount_min_rate": 0.5, "identification_rate": 0.9,
                                        "screening": "presumptive"}}


def test_the_board_page_says_the_status_quo_misses_the_published_ratio_with_its_own_numbers():
    res = run_experiment(small_baseline(**BEFORE_REFIT), seed=7, workers=1)
    gap = charity_gap(res.metrics, "letters_only")
    assert gap.met is False and gap.ratio > 1.5  # the known gap before the re-fit: about 2 against 0.63
    section = report.plausibility_section(res).data
    assert "Charity care against bad debt" in section
    assert (f"Charity care ÷ bad debt under “Status quo: letters”: {gap.ratio:.2f} (95 % CI "
            f"{gap.ratio_low:.2f}–{gap.ratio_high:.2f}, 3 runs), against about 0.63 published") in section
    assert ": not met." in section
    assert f"forgives {gap.charity_share * 100:.1f} % of net patient revenue against " \
           f"{gap.bad_debt_share * 100:.1f} % of bad debt" in section
    gross = res.metrics.query("metric == 'patient_responsibility_collection_rate'").value.mean()
    net = res.metrics.query("metric == 'patient_collection_rate'").value.mean()
    assert gap.responsibility_collection_rate == pytest.approx(gross) and gross < net
    assert (f"on that definition “Status quo: letters” collects {gross * 100:.1f} %, where its patient "
            f"collection rate, net of charity care, reads {net * 100:.1f} %.") in section
    assert f"charity care of {gap.charity_at_published * 100:.1f} % of net patient revenue, so " \
           f"{gap.excess_charity * 100:.1f} % would have to be booked" in section
    limits = report.limitations_section(res).data
    assert "Charity care follows an assumed financial assistance policy" in limits
    assert "Financial-assistance (charity care) screening" not in limits  # it is modelled
    with speaking("fr"):
        french = report.plausibility_section(res).data
    assert "Soins gratuits rapportés aux créances irrécouvrables" in french and "non atteint" in french

    # without a financial assistance policy there is no charity care and nothing to compare
    res = run_experiment(small_baseline(financial_assistance=None), seed=7, workers=1)
    assert charity_gap(res.metrics, "letters_only") is None
    assert "Charity care against bad debt" not in report.plausibility_section(res).data
    assert "Charity care follows" not in report.limitations_section(res).data


def test_kodiaks_rate_counts_what_patients_owed_charity_included():
    """Closed forms on self-pay patients of $800: without financial assistance the two collection
    rates are the same number; when every balance is forgiven on its statement (free care for all,
    everyone identified) nobody pays, so Kodiak's rate is 0 and the rate net of charity has no
    denominator."""
    from tests.test_financial_assistance import run, scenario

    out, _ = run(scenario({"s": {}}, {"financial_assistance": None}))
    m = out["s"][1]
    assert 0.2 < m["patient_collection_rate"] < 0.9
    assert m["patient_responsibility_collection_rate"] == m["patient_collection_rate"]
    everyone = {"financial_assistance": {"free_care_ability_max": 1e9, "discount_ability_max": 1e9,
                                         "identification_rate": 1.0}}
    out, _ = run(scenario({"s": {}}, everyone))
    m = out["s"][1]
    assert m["patient_responsibility_collection_rate"] == 0.0 and math.isnan(m["patient_collection_rate"])
    assert m["charity_care"] > 0 and math.isnan(m["bad_debt_rate"])  # no net patient revenue left
