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
    payers = {k: {**v, "allowed_median": median, **({"allowed_sigma": sigma} if sigma else {})}
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
    assert scenario_from_dict(country(code)).currency == money


def test_currency_may_differ_from_the_jurisdictions():
    assert scenario_from_dict({**country("CL"), "currency": "USD"}).currency == "USD"


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
    assert any("allowed_median" in line for line in errors(with_median(scenario(), bill)))
    sc = scenario_from_dict(with_median(country("CL"), bill))
    assert sc.currency == "CLP"


def test_money_bounds_scale_with_the_rough_rate():
    """The bound in pesos is the dollar bound × 950 CLP per USD: just above it is refused."""
    rate = CURRENCIES["CLP"].units_per_usd
    over = BILL_MEDIAN_USD_MAX * rate * 1.01
    lines = errors(with_median(country("CL"), over))
    assert any("allowed_median" in line and "950,000,000" in line and "CLP" in line for line in lines), lines
    scenario_from_dict(with_median(country("CL"), BILL_MEDIAN_USD_MAX * rate * 0.99,
                                   sigma=0.5))


def test_total_billed_stays_within_int64_cents():
    """At the peso bound with log-sd 3 and 1,000/day for 5 years, the expected total billed
    (1.8 M accounts × 90 × 9.4e8 pesos × 100 ≈ 1.5e19 cents) would overflow int64: refused."""
    data = with_median(country("CL"), 9.4e8, sigma=3.0)
    data["simulation"] = {**data["simulation"], "encounters_per_day": 1000, "billing_window_days": 1825,
                          "horizon_days": 2000}
    lines = errors(data)
    assert any("total billed per replication" in line for line in lines), lines


# --------------------------------------------------------------------------- the rules, one test each
STATUS_QUO = BASELINE["strategies"]["letters_only"]


def country(code: str, **strategy) -> dict:
    """The baseline hospital under ``code``'s law (its finance as the law's default) with the
    status quo and one strategy ``s`` = the status quo plus ``strategy``'s sections."""
    finance = {k: v for k, v in BASELINE["finance"].items()
               if code == "US" or k not in ("us_nonprofit", "financial_assistance")}
    data = scenario(jurisdiction=code, finance=finance, strategies={
        "status_quo": STATUS_QUO, "s": {**STATUS_QUO, "baseline": False, "label": "Changed", **strategy}})
    return {k: v for k, v in data.items() if k not in ("uncertain", "sensitivity", "search")}


def refused(data: dict, field: str, *words: str) -> str:
    """The one line naming ``field`` (and ``words``): the scenario is refused for it."""
    lines = [line for line in errors(data) if field in line]
    assert len(lines) == 1, errors(data)
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_every_jurisdiction_names_a_source_for_every_rule():
    from simlib.scenario.jurisdiction import jurisdictions
    assert set(jurisdictions()) == {"US", "FR", "CL"}
    for j in jurisdictions().values():
        for rule in (j.contact, j.charity, j.collection_charges, j.limitation_period, j.late_payment,
                     *j.forbidden_levers):
            assert rule.rule and rule.source.startswith("http"), (j.code, rule)


def test_cl_forbids_deposits_ley_20394():
    deposit = BASELINE["strategies"]["deposit"]["deposit"]
    refused(country("CL", deposit=deposit), "strategies.s.deposit", "forbidden in Chile", "Ley 20.394",
            "Ley 19.650", "bcn.cl")
    scenario_from_dict(country("FR", deposit=deposit))
    scenario_from_dict(country("US", deposit=deposit))


def test_cl_strategy_without_contact_limits_gets_the_laws():
    sc = scenario_from_dict(country("CL"))
    cl = sc.strategies["s"].contact_limits
    assert (cl.calls_per_7_days_max, cl.messages_per_7_days_max, cl.quiet_hours) == (1, 2, (20.0, 8.0))
    assert {"letter", "formal_demand", "sms", "email", "whatsapp"} <= set(cl.message_cap_channels)
    assert scenario_from_dict(country("FR")).strategies["s"].contact_limits.calls_per_7_days_max is None


LAW_CL = {"calls_per_7_days_max": 1, "messages_per_7_days_max": 2, "quiet_hours": [20, 8],
          "message_cap_channels": ["letter", "formal_demand", "sms", "email", "whatsapp"]}


@pytest.mark.parametrize("field,value,words", [
    ("calls_per_7_days_max", 2, ("expected at most 1 in Chile", "Ley 21.320", "found 2")),
    ("messages_per_7_days_max", 3, ("expected at most 2 in Chile", "Ley 21.320", "found 3")),
    ("message_cap_channels", ["sms", "email", "whatsapp"], ("mail too", "not counted: formal_demand, letter")),
    ("quiet_hours", [21, 8], ("outside 8:00-20:00", "found [21, 8]")),
])
def test_cl_contact_caps_ley_21320(field, value, words):
    refused(country("CL", contact_limits={**LAW_CL, field: value}), f"contact_limits.{field}", *words,
            "garrigues.com")
    scenario_from_dict(country("CL", contact_limits=LAW_CL))
    scenario_from_dict(country("FR", contact_limits={**LAW_CL, field: value}))


def test_cl_messages_two_days_apart_ley_21320():
    ladder = [{"day": 30, "channel": "letter"}, {"day": 31, "channel": "sms"}]
    refused(country("CL", ladder=ladder), "strategies.s.ladder.1.day", "at least 2 days apart",
            "1 days apart")
    scenario_from_dict(country("CL", ladder=[ladder[0], {**ladder[1], "day": 32}]))
    due = [{"day": 30, "channel": "letter"}, {"day": 1, "channel": "sms", "relative_to": "due_date"}]
    refused(country("CL", ladder=due, credit_terms_days=30), "ladder.1.day", "day 30 and 31")


def test_cl_phone_team_hours_and_days_ley_19496():
    calls = BASELINE["strategies"]["calls"]
    team = calls["phone_team"]
    refused(country("CL", phone_team={**team, "hours": [9, 21]}, ladder=calls["ladder"]),
            "phone_team.hours: expected within [8, 20]", "found [9, 21]")
    refused(country("CL", phone_team={**team, "working_days": [0, 1, 6]}, ladder=calls["ladder"]),
            "phone_team.working_days", "weekday(s) [6]")
    scenario_from_dict(country("CL", phone_team={**team, "hours": [9, 17], "working_days": [0, 5]},
                               ladder=calls["ladder"]))


def test_us_agency_calls_regulation_f_7_in_7():
    agency = {"kind": "early_out", "placement_days": 60, "contact_days": [1, 1.5, 2, 2.5, 3, 3.5, 4, 7.5]}
    refused(country("US", agency=agency), "strategies.s.agency.contact_days", "at most 7", "Regulation F",
            "found 8")
    scenario_from_dict(country("US", agency={**agency, "contact_days": [1, 2, 3, 4, 5, 6, 8, 9]}))
    scenario_from_dict(country("FR", agency=agency))


def test_us_501r_only_in_the_us():
    """A US nonprofit's charity rules (IRS §501(r)) are refused in France and Chile, and not their
    default there; in the US they stay the default."""
    for code, name in (("FR", "France"), ("CL", "Chile")):
        data = country(code)
        assert scenario_from_dict(data).finance.us_nonprofit is False
        assert scenario_from_dict(data).finance.financial_assistance is None
        data["finance"] = {**data["finance"], "us_nonprofit": True}
        refused(data, "finance.us_nonprofit", f"expected false in {name}", "501(r)")
    assert scenario_from_dict(country("US")).finance.us_nonprofit is True


# --------------------------------------------------------------------------- the board's words
US_LAW = ("EMTALA", "Regulation F", "TCPA", "Telephone Consumer", "501(r)", "Anti-Kickback", "Medicare",
          "IRS", "CFR", "U.S.C.")


def _words_of(data: dict) -> str:
    """Every risk and glossary entry the board page of ``data`` shows."""
    import types
    from simlib.report.glossary import glossary
    from simlib.report.limitations import lever_risks

    res = types.SimpleNamespace(scenario=scenario_from_dict(data))
    return " ".join(" ".join(r) for r in lever_risks(res)) + glossary(res).data


def _every_lever(code: str) -> dict:
    """The baseline (texts, calls, prompt-pay, deposits unless forbidden, factoring) plus a bad-debt
    agency, under ``code``'s law."""
    levers = yaml.safe_load((ROOT / "parameters" / "finance_levers.yaml").read_text(encoding="utf-8"))
    strategies = {**BASELINE["strategies"], **{k: v for k, v in levers["strategies"].items() if "agency" in v}}
    if code == "CL":
        strategies = {k: {f: v for f, v in st.items() if f not in ("deposit", "contact_limits")}
                      for k, st in strategies.items()}
        strategies = {k: st for k, st in strategies.items() if "phone_team" not in st}
    return {**country(code), "strategies": strategies}


@pytest.mark.parametrize("code,own", [("FR", ("Mise en demeure", "L111-8")),
                                      ("CL", ("Ley 21.320", "Cobranza extrajudicial"))])
def test_a_french_or_chilean_page_names_no_us_law(code, own):
    words = _words_of(_every_lever(code))
    assert not [law for law in US_LAW if law in words], words
    for w in own:
        assert w in words


def test_a_us_page_names_the_us_laws():
    words = _words_of(_every_lever("US"))
    for law in ("EMTALA", "Regulation F", "Telephone Consumer Protection Act", "501(r)", "Anti-Kickback",
                "anti-assignment"):
        assert law in words, law


def test_a_scenario_in_euros_does_not_inherit_the_baselines_dollars(tmp_path):
    from simlib.scenario.schema import load_scenario
    data = {k: v for k, v in country("FR").items() if k not in ("behaviour", "patients")}
    f = tmp_path / "clinic.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    assert exc.value.problems == [
        f"{k}: section missing; expected it in the file: the calibrated baseline's amounts are US dollars "
        f"and this scenario's money is EUR" for k in ("patients", "behaviour")]
    f.write_text(yaml.safe_dump({k: v for k, v in country("US").items() if k != "behaviour"}), encoding="utf-8")
    assert load_scenario(f).behaviour.balance_ref == BASELINE["behaviour"]["balance_ref"]


@pytest.mark.parametrize("code,words", [("US", "US dollars"), ("FR", "euros"), ("CL", "Chilean pesos")])
def test_the_pages_name_the_scenarios_money(code, words):
    """The summary, the money table and the board page say "Money is in …" from the currency."""
    from simlib.core.currencies import currency_name
    from simlib.report.board_words import board_text

    sc = scenario_from_dict(country(code))
    assert currency_name(sc) == words
    assert f"Money in {words}." in board_text("scope", what="x", days="1", runs="2 runs", computed="",
                                              money=currency_name(sc))
