"""Issue 25, item 3: would a factor make this offer? The factor's expected P&L per offer, against
hand-computed values, and the flag on the factoring page when it expects to lose money."""
from __future__ import annotations

import pandas as pd
import pytest

from simlib.analysis.factor_side import FLAG_WORDS, factor_pnl_per_run, factor_side
from simlib.model.factoring_settlement import simple_apr
from simlib.report.factoring_blocks import factor_side_html


def _metrics(strategy: str, runs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"replication": r, "strategy": strategy, "metric": f"factoring_{k}", "value": v}
                         for r, run in enumerate(runs) for k, v in run.items()])


OFFER_A = [  # recourse-like: small credit loss
    {"advanced": 100_000.0, "fees": 10_000.0, "credit_loss": 4_000.0, "apr": 0.365},
    {"advanced": 100_000.0, "fees": 12_000.0, "credit_loss": 6_000.0, "apr": 0.365},
]
OFFER_B = [  # non-recourse on balances that mostly go bad
    {"advanced": 70_000.0, "fees": 5_000.0, "credit_loss": 20_000.0, "apr": 0.2},
    {"advanced": 70_000.0, "fees": 5_000.0, "credit_loss": 22_000.0, "apr": 0.2},
]


def test_the_factors_pnl_is_fees_less_credit_loss_less_its_cost_of_funds():
    """Run 1: 10,000 − 4,000 − 10,000 × 0.08 ÷ 0.365 (= 2,191.78) = 3,808.22; run 2: 12,000 − 6,000 −
    2,630.14 = 3,369.86; mean 3,589.04."""
    m = _metrics("a", OFFER_A)
    per = factor_pnl_per_run(m, "a", 0.08)
    assert per["cost_of_funds"].tolist() == pytest.approx([2191.7808, 2630.1370], abs=1e-3)
    assert per["pnl"].tolist() == pytest.approx([3808.2192, 3369.8630], abs=1e-3)
    side = factor_side(m, "a", 0.08)
    assert side.pnl == pytest.approx(3589.0411, abs=1e-3) and not side.loses_money
    assert side.pnl_ci[0] < side.pnl < side.pnl_ci[1]


def test_the_cost_of_funds_equals_advance_dollar_days_at_the_rate():
    """MedBanker's example: $75 advanced for 30 days, fee $2. Money out = 75 × 30 dollar-days; at 8 %
    a year it costs 75 × 30 × 0.08 ÷ 365 = $0.4932 — the same as fee × rate ÷ APR."""
    apr = simple_apr(2.0, 75.0, 30.0)
    m = _metrics("x", [{"advanced": 75.0, "fees": 2.0, "credit_loss": 0.0, "apr": apr}])
    per = factor_pnl_per_run(m, "x", 0.08)
    assert per["cost_of_funds"].iloc[0] == pytest.approx(75 * 30 * 0.08 / 365, rel=1e-12)
    assert per["pnl"].iloc[0] == pytest.approx(2.0 - 0.49315, abs=1e-5)


def test_an_offer_on_which_the_factor_loses_money_is_flagged():
    """Offer B: 5,000 − 20,000 − 2,000 = −17,000 and 5,000 − 22,000 − 2,000 = −19,000: flagged."""
    side_b = factor_side(_metrics("b", OFFER_B), "b", 0.08)
    assert side_b.pnl == pytest.approx(-18_000.0) and side_b.loses_money
    side_a = factor_side(_metrics("a", OFFER_A), "a", 0.08)
    html = factor_side_html([side_a, side_b], {"a": "Offer A", "b": "Offer B"})
    assert html.count(FLAG_WORDS) == 2  # the warning sentence and offer B's row
    assert "“Offer B”: " + FLAG_WORDS in html and "Profitable for the factor" in html
    assert "“Offer A”" not in html.split("<div")[0]  # the warning names only the losing offer


def test_a_strategy_without_factoring_metrics_is_refused():
    m = pd.DataFrame([{"replication": 0, "strategy": "s", "metric": "npv_net_cash", "value": 1.0}])
    with pytest.raises(ValueError, match="not a factoring offer"):
        factor_pnl_per_run(m, "s", 0.08)


def test_the_issues_non_recourse_patient_offer_is_one_no_factor_would_make():
    """factoring_offers.yaml, small and cold: a non-recourse 70 % advance on patient balances loses the
    factor money (credit loss ≫ fees); the shipped offer A (recourse, insurer claims) does not."""
    from pathlib import Path

    import yaml

    from simlib.run.experiment import run_experiment
    from simlib.scenario.schema import scenario_from_dict

    d = yaml.safe_load((Path(__file__).resolve().parents[1] / "parameters" / "factoring_offers.yaml").read_text())
    d["simulation"].update(encounters_per_day=4, billing_window_days=120, horizon_days=420, measurement_day=120,
                           ar_window_days=60, workers=1, warm_up_days=0)
    base = d["strategies"]["no_factoring"]
    plain = {k: v for k, v in base.items() if k not in ("baseline", "label", "description")}
    d["strategies"] = {"no_factoring": base, "offer_a_90_face": d["strategies"]["offer_a_90_face"],
                       "patient_non_recourse": {**plain, "label": "Non-recourse patient balances", "factoring": {
                           "scope": "patient", "advance_rate": 0.7, "advance_base": "face", "recourse_days": None,
                           "fee": {"schedule": "tiered", "first_rate": 0.03, "first_days": 30, "step_rate": 0.02,
                                   "step_days": 30}}}}
    res = run_experiment(scenario_from_dict(d, "test"), replications=3, seed=20261207)
    bad = factor_side(res.metrics, "patient_non_recourse", 0.08)
    good = factor_side(res.metrics, "offer_a_90_face", 0.08)
    assert bad.loses_money and bad.pnl_ci[1] < 0 and bad.credit_loss > 10 * bad.fees
    assert not good.loses_money and good.pnl_ci[0] > 0 and good.credit_loss == 0
