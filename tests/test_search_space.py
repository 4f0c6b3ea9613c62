"""The ``search:`` section: bad input is one line naming the file and the field, and the
candidates it makes are what the section says."""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from conftest import tiny
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from simlib.search.space import Space

EMAIL = {"statement_channel": "email", "write_off": {"after_days": 10000}}
STRATEGIES = {
    "plain": dict(EMAIL, baseline=True),
    "rich": dict(EMAIL, prompt_pay_discount={"rate": 0.05, "window_days": 30},
                 phone_team={"agents": 2}, ladder=[{"day": 20, "channel": "call"}],
                 deposit={"share": 0.5, "compliance_rate": 0.6}),
    "factored": dict(EMAIL, factoring={"scope": "insurer", "advance_rate": 0.8,
                                       "fee": {"schedule": "flat", "rate": 0.02}}),
}
GOOD = {"start_from": "rich",
        "variables": [{"path": "prompt_pay_discount.rate", "low": 0.0, "high": 0.2, "step": 0.01},
                      {"path": "phone_team.agents", "low": 1, "high": 3},
                      {"path": "factoring", "choices": ["none", "factored"]},
                      {"path": "credit_terms_days", "choices": [15, 30]}],
        "ladder": [{"channels": ["none", "sms", "call"], "day_low": 3, "day_high": 30}]}


def data(search=None, **replace) -> dict:
    d = tiny(copy.deepcopy(STRATEGIES))
    d["search"] = copy.deepcopy(GOOD if search is None else search)
    d["search"].update(replace)
    return d


def problems(search=None, **replace) -> list[str]:
    """The problems `simlib validate` and `simlib search` report: those found when the file is
    loaded, then the strict check of references to other strategies."""
    from simlib.scenario.search_section import search_problems

    try:
        sc = scenario_from_dict(data(search, **replace), "file.yaml")
    except ScenarioError as err:
        return [str(err)]
    found = search_problems(sc)
    assert found, "expected a problem"
    return [str(ScenarioError("file.yaml", found))]


def test_a_good_section_validates():
    sc = scenario_from_dict(data(), "file.yaml")
    assert sc.search.start_from == "rich"


@pytest.mark.parametrize("change, expected", [
    ({"start_from": "ritch"}, "search: start_from: expected one of the strategies"),
    ({"variables": [{"path": "deposit.shar", "low": 0, "high": 1}]}, "search: variables.0.path: deposit.shar: no parameter 'shar'"),
    ({"variables": [{"path": "deposit.share", "low": 0, "high": 1.5}]}, "search: variables.0.high (deposit.share = 1.5): deposit.share: expected less than or equal to 1"),
    ({"variables": [{"path": "deposit.share", "low": 0.5, "high": 0.1}]}, "search.variables.0: low must be <= high"),
    ({"variables": [{"path": "deposit.share", "low": 0, "high": 1, "step": 0.3}]}, "high - low must be a whole number of steps"),
    ({"variables": [{"path": "deposit.share", "low": 0, "high": 1, "choices": [0.1]}]}, "give either choices or low/high"),
    ({"variables": [{"path": "deposit.share"}]}, "expected low and high"),
    ({"variables": [{"path": "phone_team.agents", "low": 1, "high": 2.5}]}, "phone_team.agents is a whole number"),
    ({"variables": [{"path": "factoring", "choices": ["none", "plain"]}]}, "expected none, keep or a strategy with a factoring section (factored); found 'plain'"),
    ({"variables": [{"path": "contact_limits.messages_per_7_days_max", "low": 1, "high": 3}]}, "contact_limits cannot be searched"),
    ({"variables": [{"path": "agency.placement_days", "low": 120, "high": 180}]}, "the template 'rich' has no agency; add one under search.add"),
    ({"variables": [{"path": "strategies.plain.deposit.share", "low": 0, "high": 1}]}, "expected a setting of the template strategy 'rich'"),
    ({"variables": [{"path": "deposit.share", "low": 0, "high": 1}, {"path": "deposit.share", "low": 0, "high": 1}]}, "variables.1.path: deposit.share is already variable 0"),
    ({"variables": [{"path": "agncy", "choices": ["none"]}]}, "'agncy' is not a strategy setting"),
    ({"ladder": [{"channels": ["sms", "pigeon"], "day_low": 1, "day_high": 5}]}, "search: ladder.0.channels: expected channels among"),
    ({"ladder": [{"channels": ["sms"], "day_low": 9, "day_high": 5}]}, "day_low must be <= day_high"),
    ({"add": {"agency": {"placement_days": 60}}}, "search: add: agency.placement_days: a bad-debt placement is an extraordinary"),
    ({"add": {"agncy": {}}}, "search: add: expected lever sections among"),
    ({"variables": [], "ladder": None}, "nothing to search: give variables or ladder"),
    ({"budget": 0}, "search.budget: expected greater than or equal to 1"),
    ({"burden": "complaints"}, "search.burden: expected 'contacts_per_account'"),
])
def test_bad_search_input_is_one_line_naming_file_and_field(change, expected):
    lines = problems(**change)[0].splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("file.yaml: search"), lines[0]
    assert expected in lines[0], lines[0]


def test_a_scenario_derived_without_the_template_still_loads():
    """A sensitivity run or a test keeps some strategies only: the section is then unchecked at
    load time (the search and `simlib validate` check it strictly)."""
    from simlib.scenario.search_section import search_problems

    d = data()
    d["strategies"] = {"plain": d["strategies"]["plain"]}
    sc = scenario_from_dict(d, "derived")
    assert search_problems(sc)[0].startswith("search: start_from: expected one of the strategies ['plain']")
    d = data(variables=[{"path": "factoring", "choices": ["none", "factored"]}])
    del d["strategies"]["factored"]
    sc = scenario_from_dict(d, "derived")  # the template is there; the offer's strategy is not
    assert "found 'factored'" in search_problems(sc)[0]


def test_validate_checks_the_search_section_strictly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data(start_from="ritch")), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "simlib", "validate", str(bad)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and "search: start_from: expected one of the strategies" in out.stderr


def test_a_call_slot_needs_a_phone_team():
    (msg,) = problems({"start_from": "plain", "ladder": [{"channels": ["call"], "day_low": 1, "day_high": 5}]})
    assert "ladder.0.channels: a call step needs a phone_team in the template 'plain'" in msg


def test_the_cli_says_the_problem_in_one_line_with_exit_code_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data(start_from="ritch")), encoding="utf-8")
    nosearch = tmp_path / "nosearch.yaml"
    d = data()
    del d["search"]
    nosearch.write_text(yaml.safe_dump(d), encoding="utf-8")
    for args, expected in (([str(bad)], "search: start_from: expected one of the strategies"),
                           ([str(nosearch)], "the scenario has no search: section"),
                           ([str(bad), "--budget", "0"], "--budget: expected a whole number >= 1"),
                           ([str(tmp_path / "missing.yaml")], "no such file"),
                           ([str(nosearch), "--workers", "x"], "--workers: expected a whole number")):
        out = subprocess.run([sys.executable, "-m", "simlib", "search", *args, "--out", str(tmp_path / "o")],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 2, out.stderr
        assert expected in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


# ---------------------------------------------------------------------------- candidates
def test_candidates_apply_section_choices_numbers_and_the_ladder():
    sc = scenario_from_dict(data(contact_limits={"messages_per_7_days_max": 1}), "file.yaml")
    space = Space(sc)
    assert space.parameter_names() == ["prompt_pay_discount.rate", "phone_team.agents", "factoring",
                                       "credit_terms_days", "ladder.0.channel", "ladder.0.day"]
    cand = space.candidate({"prompt_pay_discount.rate": 0.07, "phone_team.agents": 3.0, "factoring": "factored",
                            "credit_terms_days": 15, "ladder.0.channel": "call", "ladder.0.day": 12.0})
    d = cand.data
    assert d["prompt_pay_discount"]["rate"] == 0.07 and d["phone_team"]["agents"] == 3
    assert isinstance(d["phone_team"]["agents"], int)
    assert d["factoring"] == sc.strategies["factored"].model_dump(mode="json")["factoring"]
    assert d["credit_terms_days"] == 15
    assert [(s["day"], s["channel"]) for s in d["ladder"]] == [(12.0, "call")]
    assert d["contact_limits"]["messages_per_7_days_max"] == 1  # the regulator's caps on every candidate
    assert d["deposit"] == sc.strategies["rich"].model_dump(mode="json")["deposit"]  # the rest: the template's
    no_call = space.candidate({**cand.values, "ladder.0.channel": "sms", "factoring": "none"}).data
    assert no_call["phone_team"] is None and no_call["factoring"] is None  # no calls: no team to pay
    none = space.candidate({**cand.values, "ladder.0.channel": "none"}).data
    assert none["ladder"] == []
    assert space.candidate(cand.values).key == cand.key  # the same values, the same candidate
    assert space.candidate({**cand.values, "credit_terms_days": 30}).key != cand.key


def test_keep_and_add_switch_an_added_lever_on_and_off():
    search = {"start_from": "plain", "add": {"agency": {"placement_days": 150}},
              "variables": [{"path": "agency", "choices": ["none", "keep"]},
                            {"path": "agency.placement_days", "low": 120, "high": 210, "step": 30}]}
    sc = scenario_from_dict(data(search), "file.yaml")
    space = Space(sc)
    on = space.candidate({"agency": "keep", "agency.placement_days": 180.0}).data
    assert on["agency"]["placement_days"] == 180.0
    off = space.candidate({"agency": "none", "agency.placement_days": 180.0}).data
    assert off["agency"] is None


def test_the_returned_strategy_is_checked_for_the_hard_constraints():
    from simlib.search.run import _check_hard_constraints
    from simlib.search.study import SearchError

    sc = scenario_from_dict(data(contact_limits={"messages_per_7_days_max": 1}), "file.yaml")
    space = Space(sc)
    model = type(sc.strategies["rich"])
    values = {"prompt_pay_discount.rate": 0.07, "phone_team.agents": 2, "factoring": "none",
              "credit_terms_days": 15, "ladder.0.channel": "call", "ladder.0.day": 12.0}
    good = model.model_validate(space.candidate(values).data)
    _check_hard_constraints(space, good, "file.yaml")
    lost = model.model_validate(dict(space.candidate(values).data, contact_limits={}))
    with pytest.raises(SearchError, match="lost the contact limits"):
        _check_hard_constraints(space, lost, "file.yaml")
    big = model.model_validate(dict(space.candidate(values).data, phone_team={"agents": 9}))
    with pytest.raises(SearchError, match="outside"):
        _check_hard_constraints(space, big, "file.yaml")
