"""Money names (issue 23): amounts carry no currency in their names; files of the `_usd` era load.

Checked against the files themselves: the shipped baseline, rewritten with every old name, must load
into the same scenario (a warning naming the renames), a name given twice is refused naming the
field, and every amount the models and the metric catalogue define is known as money (its unit and
bounds come from :mod:`simlib.core.money_names`, not from a suffix).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import yaml

from simlib.core.metric_catalogue import METRICS
from simlib.core.money_names import MONEY_NAMES, OLD_NAMES, MoneyNameDeprecation, is_money, modernise
from simlib.scenario.authoring import scenario_json_schema
from simlib.scenario.schema import ScenarioError, load_scenario
from simlib.scenario.value_bounds import bound_of

ROOT = Path(__file__).resolve().parents[1]
NEW_TO_OLD = {new: old for old, new in OLD_NAMES.items()}


def _old_style(node):
    """The data as a file of the `_usd` era wrote it (keys and dotted paths)."""
    if isinstance(node, dict):
        return {NEW_TO_OLD.get(k, k): _old_style(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_old_style(v) for v in node]
    if isinstance(node, str) and re.fullmatch(r"[\w*]+(\.[\w*]+)+", node):
        return ".".join(NEW_TO_OLD.get(part, part) if part in MONEY_NAMES else part for part in node.split("."))
    return node


@pytest.mark.parametrize("name", ["baseline.yaml", "france_clinic.yaml"])
def test_a_file_of_the_usd_era_loads_into_the_same_scenario(tmp_path, name):
    data = yaml.safe_load((ROOT / "parameters" / name).read_text())
    old = _old_style(data)
    assert old != data  # the file has amounts to rename
    path = tmp_path / name
    path.write_text(yaml.safe_dump(old, sort_keys=False, allow_unicode=True))
    with pytest.warns(MoneyNameDeprecation, match=r"deprecated.*starting_cash_usd → starting_cash"):
        sc_old = load_scenario(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MoneyNameDeprecation)  # today's names: no note
        sc_new = load_scenario(ROOT / "parameters" / name)
    assert sc_old.model_dump(mode="json") == sc_new.model_dump(mode="json")


def test_a_dotted_path_with_an_old_name_is_renamed():
    with pytest.warns(MoneyNameDeprecation, match="f.yaml: money names ending in _usd are deprecated"):
        data, clashes = modernise({"uncertain": [{"path": "behaviour.balance_ref_usd"}],
                                   "sensitivity": {"factors": [{"path": "channels.*.cost_usd"}]}}, "f.yaml")
    assert clashes == []
    assert data["uncertain"][0]["path"] == "behaviour.balance_ref"
    assert data["sensitivity"]["factors"][0]["path"] == "channels.*.cost"


def test_a_name_given_twice_is_refused_naming_the_field(tmp_path):
    text = (ROOT / "parameters" / "baseline.yaml").read_text()
    path = tmp_path / "twice.yaml"
    path.write_text(text.replace("  starting_cash:", "  starting_cash_usd: 1\n  starting_cash:", 1))
    with pytest.raises(ScenarioError, match=r"finance\.starting_cash: given twice, as starting_cash and as its "
                                            r"old name starting_cash_usd"):
        load_scenario(path)


def _numeric_fields(schema: dict) -> set[str]:
    out: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                kinds = {sub.get("type")} | {a.get("type") for a in sub.get("anyOf", []) if isinstance(a, dict)}
                if kinds & {"number", "integer"}:
                    out.add(key)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(schema)
    return out


AMOUNT_WORDS = re.compile(r"(^|_)(cost|costs|fee|fees|cash|price|balance|amount|deposit|charge|penalty)(_|$)")
NOT_AMOUNTS = re.compile(r"_(rate|share|days|day|months|per_day|sigma|multiplier|ratio|elasticity|hours|pp|count|exponent|annual)$"
                         r"|sensitivity")


def test_every_amount_the_models_define_is_known_as_money():
    """A new field whose name says it is an amount must be in MONEY_NAMES (else its unit, bounds
    and board words would be read as a plain number)."""
    fields = _numeric_fields(scenario_json_schema())
    amounts = {f for f in fields if AMOUNT_WORDS.search(f) and not NOT_AMOUNTS.search(f)}
    assert amounts, "the scenario's schema names no amount: the check would be empty"
    assert sorted(amounts - MONEY_NAMES) == []


def test_every_money_metric_is_known_as_money():
    money = {name for name, info in METRICS.items() if info.unit == "usd"}
    assert money and sorted(money - MONEY_NAMES) == []


def test_money_bounds_follow_the_name_list_and_scale_with_the_currency():
    assert is_money("cost_per_hour") and not is_money("cost_share")
    usd, what = bound_of("cost_per_hour")
    clp, what_clp = bound_of("cost_per_hour", "CLP")
    assert usd == 1e4 and "cost per contact" in what
    assert clp > 100 * usd and "in CLP" in what_clp
    assert bound_of("starting_cash")[0] == 1e12
    assert bound_of("cost_share")[0] != 1e4  # not money: the rule of `_share`


def test_every_money_field_is_a_field_of_the_scenario():
    """MONEY_FIELDS lists scenario fields only (a section or a Python name there would read as money)."""
    from simlib.core.money_names import MONEY_FIELDS

    assert sorted(MONEY_FIELDS - _numeric_fields(scenario_json_schema())) == []


def test_a_drawn_assumption_keeps_the_draws_it_had_under_its_old_name():
    """The rename moved no number: an uncertain amount's stream is keyed by its path as it was
    written before (``channels.*.cost_usd``); a path without money names is its own key."""
    from simlib.core.money_names import _RENAMED, stream_key
    from simlib.core.rng import keyed_stream
    from simlib.scenario.uncertain import STREAM, _uniform

    assert _RENAMED <= MONEY_NAMES
    assert stream_key("channels.*.cost") == "channels.*.cost_usd"
    assert stream_key("behaviour.decay_per_day") == "behaviour.decay_per_day"
    old = float(keyed_stream(7, 3, STREAM, "operations.phone_team.cost_per_agent_hour_usd").random())
    assert _uniform(7, 3, "operations.phone_team.cost_per_agent_hour") == old
