"""Issue 23: a scenario's jurisdiction and currency, and the rules each jurisdiction's file holds.

Every rule of simlib/scenario/jurisdictions/*.yaml has one test here: a strategy that breaks it
is refused naming the rule and its source; the same strategy under a jurisdiction without the
rule is accepted.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simlib.cli import main
from simlib.core.currencies import CURRENCIES
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from simlib.scenario.value_bounds import BILL_MEDIAN_USD_MAX

ROOT = Path(__file__).resolve().parents[1]
BASELINE = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))


def scenario(**top):
    """The baseline's mapping with top-level keys replaced."""
    return {**BASELINE, **top}


def with_median(data: dict, median: float, sigma: float | None = None) -> dict:
    payers = {k: {**v, "allowed_median_usd": median, **({"allowed_sigma": sigma} if sigma else {})}
              for k, v in data["payers"].items()}
    return {**data, "payers": payers}


def errors(data: dict) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data, "clinic.yaml")
    return exc.value.problems if hasattr(exc.value, "problems") else str(exc.value).splitlines()


def test_defaults_are_the_us_and_its_dollar():
    sc = scenario_from_dict(scenario())
    assert (sc.jurisdiction, sc.currency) == ("US", "USD")


@pytest.mark.parametrize("code,money", [("FR", "EUR"), ("CL", "CLP"), ("US", "USD")])
def test_currency_defaults_to_the_jurisdictions(code, money):
    assert scenario_from_dict(scenario(jurisdiction=code)).currency == money


def test_currency_may_differ_from_the_jurisdictions():
    assert scenario_from_dict(scenario(jurisdiction="CL", currency="USD")).currency == "USD"


@pytest.mark.parametrize("key,value,words", [
    ("jurisdiction", "XX", "jurisdiction: expected one of ['CL', 'FR', 'US']"),
    ("jurisdiction", "fr", "found 'fr'"),
    ("currency", "GBP", "currency: expected one of ['CLP', 'EUR', 'USD'] (ISO 4217 code); found 'GBP'"),
])
def test_unknown_codes_are_one_clear_line(key, value, words):
    lines = errors(scenario(**{key: value}))
    assert len(lines) == 1 and words in lines[0], lines


def test_unknown_code_through_validate_is_exit_2_without_traceback(tmp_path, capsys):
    f = tmp_path / "clinic.yaml"
    f.write_text(yaml.safe_dump(scenario(currency="GBP"), sort_keys=False), encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "clinic.yaml" in err and "currency" in err and "GBP" in err and "Traceback" not in err


def test_a_chilean_bill_in_pesos_is_valid():
    """A median bill of 5,000,000 CLP (≈ $5,300) is refused in dollars, accepted in pesos."""
    bill = 5_000_000
    assert any("allowed_median_usd" in line for line in errors(with_median(scenario(), bill)))
    sc = scenario_from_dict(with_median(scenario(jurisdiction="CL"), bill))
    assert sc.currency == "CLP"


def test_money_bounds_scale_with_the_rough_rate():
    """The bound in pesos is the dollar bound × 950 CLP per USD: just above it is refused."""
    rate = CURRENCIES["CLP"].units_per_usd
    over = BILL_MEDIAN_USD_MAX * rate * 1.01
    lines = errors(with_median(scenario(jurisdiction="CL"), over))
    assert any("allowed_median_usd" in line and "950,000,000" in line and "CLP" in line for line in lines), lines
    scenario_from_dict(with_median(scenario(jurisdiction="CL"), BILL_MEDIAN_USD_MAX * rate * 0.99,
                                   sigma=0.5))


def test_total_billed_stays_within_int64_cents():
    """At the peso bound with log-sd 3 and 1,000/day for 5 years, the expected total billed
    (1.8 M accounts × 90 × 9.4e8 pesos × 100 ≈ 1.5e19 cents) would overflow int64: refused."""
    data = with_median(scenario(jurisdiction="CL"), 9.4e8, sigma=3.0)
    data["simulation"] = {**data["simulation"], "encounters_per_day": 1000, "billing_window_days": 1825,
                          "horizon_days": 2000}
    lines = errors(data)
    assert any("total billed per replication" in line for line in lines), lines
