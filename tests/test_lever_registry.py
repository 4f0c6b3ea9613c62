"""The lever registry: strategy keys, words for the report, registration rules, plug-in draws."""
from __future__ import annotations

import numpy as np
import pytest

from simlib.levers import Lever, describe_strategy, lever_descriptions, register_lever, registered_levers
from simlib.scenario.schema import ScenarioError, load_scenario, scenario_from_dict
from simlib.model.population import draw_population
from tests.conftest import tiny


def test_every_lever_key_is_a_strategy_attribute_with_its_default():
    sc = scenario_from_dict(tiny())
    st = sc.strategies["none"]
    for key, lever in registered_levers().items():
        assert hasattr(st, key)
    assert st.credit_terms_days == 30.0 and st.ladder == [] and st.deposit is None
    assert st.write_off.after_days == 10000  # given in the file


def test_the_strategy_table_words_of_the_shipped_baseline():
    sc = load_scenario("parameters/baseline.yaml")
    words = lever_descriptions(sc.strategies["calls"])
    assert list(words) == ["credit_terms_days", "statement_channel", "ladder", "phone_team",
                           "write_off"]
    assert describe_strategy(sc.strategies["calls"]) == (
        "due in 30 days; statement by letter; reminders: day 20 call (balance ≥ $200), day 30 letter, "
        "day 45 call (balance ≥ $200), day 60 letter, day 75 call (balance ≥ $200), day 90 formal demand; "
        "phone team of 2 agents 9–17 h; "
        "write-off after 240 days or below $5.00")
    assert "factoring: insurer receivables, 80 % advance on expected collectable value, fee 2 % for the " \
           "first 30 days, then 2 % per 30 days, recourse at 90 days" \
           in describe_strategy(sc.strategies["letters_factored"])


def test_finance_levers_are_described_in_plain_words():
    sc = load_scenario("parameters/finance_levers.yaml")
    st = sc.strategies
    assert "payment plan offered on the statement for balances ≥ $300 (35 % take it at a balance of " \
           "6 months of their ability to pay, more for larger balances, at most 80 %): instalments " \
           "sized to the patient's ability to pay over up to 24 months, default after 2 missed" \
           in describe_strategy(st["payment_plans"])
    assert "patient financing offered on the statement for balances ≥ $1,000 (15 % take it at a " \
           "balance of 6 months of their ability to pay, more for larger balances, at most 80 %; the " \
           "lender approves fewer of those less able to pay and pays at once less a 7 % fee)" in describe_strategy(st["financing_partner"])
    assert "early-out agency from day 45 for balances of at least $25 (12 % contingency fee), " \
           "recalled and written off after 135 days" in describe_strategy(st["early_out_agency"])


def test_a_key_cannot_be_taken_twice_or_be_a_strategy_field():
    class Again(Lever):
        key = "deposit"
    with pytest.raises(TypeError, match="already the lever"):
        register_lever(Again)

    class Clash(Lever):
        key = "baseline"
    with pytest.raises(TypeError, match="strategy field"):
        register_lever(Clash)
    assert registered_levers()["deposit"].__name__ == "DepositLever"


def test_section_errors_keep_their_paths_and_are_all_reported():
    data = tiny({"s": {"deposit": {"share": 2.0}, "payment_plan": {"max_months": 0},
                       "ladder": [{"day": -1, "channel": "sms"}], "colour": "red", "baseline": "maybe"}})
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data, "f.yaml")
    text = str(exc.value)
    for expected in ("f.yaml: strategies.s.deposit.share: expected less than or equal to 1",
                     "f.yaml: strategies.s.deposit.compliance_rate: required field is missing",
                     "f.yaml: strategies.s.payment_plan.max_months: expected greater than or equal to 1",
                     "f.yaml: strategies.s.ladder.0.day: expected greater than or equal to 0",
                     "f.yaml: strategies.s.colour: unknown field (typo?)",
                     "f.yaml: strategies.s.baseline: expected a valid boolean"):
        assert expected in text, text


def test_a_plug_in_lever_draws_its_own_stream_once_per_population():
    sc = scenario_from_dict(tiny())
    pop0, pop1 = draw_population(sc, 0), draw_population(sc, 1)
    before = pop0.threshold.copy()
    a = pop0.draws("my_lever", lambda rng, n: rng.random(n))
    again = pop0.draws("my_lever", lambda rng, n: rng.random(n) + 1)  # cached: same values
    assert a is again and a.shape == (pop0.n,)
    assert not np.array_equal(a, pop1.draws("my_lever", lambda rng, n: rng.random(n)))
    assert np.array_equal(draw_population(sc, 0).draws("my_lever", lambda rng, n: rng.random(n)), a)
    assert np.array_equal(pop0.threshold, before)
    with pytest.raises(ValueError, match="built-in"):
        pop0.draws("deposits", lambda rng, n: rng.random(n))


def test_the_numpy_oracle_refuses_every_lever_it_does_not_simulate():
    from simlib.model import vectorized
    agency = {"kind": "early_out", "placement_days": 30}
    no_wait = {"kind": "bad_debt", "placement_days": 30, "notice_days_before": 0}  # no US nonprofit
    data = tiny({"plan": {"payment_plan": {}}, "agency": {"agency": agency, "write_off": {"after_days": 100}},
                 "plan_and_agency": {"payment_plan": {}, "agency": agency},
                 "plan_and_no_wait": {"payment_plan": {}, "agency": no_wait},
                 "plan_and_financing": {"payment_plan": {}, "financing": {}},
                 "plain": {"ladder": [{"day": 5, "channel": "sms"}]}})
    data["finance"] = {"financial_assistance": None, "us_nonprofit": False}
    sc = scenario_from_dict(data)
    vectorized.check_capacity_free(sc, "plain")
    vectorized.check_capacity_free(sc, "plan")    # NumPy forms: simlib.model.vectorized_plans,
    vectorized.check_capacity_free(sc, "agency")  # simlib.model.vectorized_agency
    vectorized.check_capacity_free(sc, "plan_and_agency")  # a plan in good standing defers the placement
    # but not a plan beside a bad-debt placement with no notice wait; no financing while one holds
    with pytest.raises(ValueError, match="a payment plan beside a bad-debt agency with no notice wait"):
        vectorized.check_capacity_free(sc, "plan_and_no_wait")
    with pytest.raises(ValueError, match="financing beside a lever that holds accounts"):
        vectorized.check_capacity_free(sc, "plan_and_financing")
    data["finance"] = {"us_nonprofit": False}  # the default policy: charity care, which the oracle simulates (issue 27)
    vectorized.check_capacity_free(scenario_from_dict(data), "plain")
    data["strategies"]["plain"]["deposit"] = {"share": 0.5, "compliance_rate": 0.6}  # and the deposit beside it
    vectorized.check_capacity_free(scenario_from_dict(data), "plain")


@pytest.mark.parametrize("name, hook", [("at_statment", "at_statement"), ("after_payments", "after_payment"),
                                        ("schedual", "schedule"), ("At_Service", "at_service"),
                                        ("while_holdin", "while_holding")])
def test_a_misspelt_hook_is_refused_with_the_hook_it_resembles(name, hook):
    def method(self, acct):
        acct.jump(1.0)
    Misspelt = type("Misspelt", (Lever,), {"key": "misspelt", name: method})
    with pytest.raises(TypeError) as exc:
        register_lever(Misspelt)
    text = str(exc.value)
    assert "Misspelt" in text and repr(name) in text and f"did you mean {hook!r}" in text, text
    assert "misspelt" not in registered_levers()


def test_a_hook_with_the_wrong_parameters_is_refused():
    class Short(Lever):
        key = "short_schedule"

        def schedule(self, acct, bill_day):  # forgot items
            pass
    with pytest.raises(TypeError, match=r"Short .*'schedule' takes \(account, bill_day, items\); found \(acct, bill_day\)"):
        register_lever(Short)
    assert "short_schedule" not in registered_levers()


def test_the_world_calls_only_the_hooks_a_lever_overrides():
    """Hooks come from the declared table; a lever that overrides none adds no call, and one that
    picks its hook in ``__init__`` (the FAP's screening) is found too."""
    from simlib.levers.base import HOOKS, lever_hooks
    from simlib.model.engine import World

    assert list(HOOKS) == ["at_service", "at_statement", "schedule", "after_payment", "while_holding", "on_event"]
    sc = scenario_from_dict(tiny({"s": {"ladder": [{"day": 5, "channel": "sms"}]}}))
    world = World(sc, "s", draw_population(sc, 0))
    owners = {name: [h.__self__.key for h in getattr(world, hook.world_list)]
              for name, hook in HOOKS.items() if hook.world_list}
    for name, keys in owners.items():
        for key, lv in world.levers.items():
            overrides = getattr(type(lv), name) is not getattr(Lever, name) or name in vars(lv)
            assert (key in keys) == overrides, (name, key)
    assert "credit_terms_days" in owners["schedule"] and "credit_terms_days" not in owners["at_statement"]
    assert lever_hooks([Lever(world, None)], "schedule") == []


def test_every_built_in_lever_owns_one_title_and_its_risk_words():
    """One title per lever, in its module: the search page and the contributions read the same one."""
    from simlib.report.limitations import lever_risks
    from simlib.studies.contributions import lever_title

    levers = registered_levers()
    titles = {key: lever.board_title() for key, lever in levers.items()}
    assert all(lever.title for lever in levers.values()), titles
    assert len(set(titles.values())) == len(titles)
    assert lever_title("credit_terms_days") == titles["credit_terms_days"] == "Payment terms"
    assert lever_title("no_such_lever") == "No such lever"

    # the statement's and the ladder's texts-and-calls notes merge into one, strategies in file order
    data = tiny({"sms_statement": {"statement_channel": "sms"},
                 "sms_ladder": {"ladder": [{"day": 5, "channel": "sms"}]},
                 "letters": {"ladder": [{"day": 5, "channel": "letter"}]}})
    sc = scenario_from_dict(data)
    res = type("Res", (), {"scenario": sc, "metrics": None})()
    notes = [(topic, who) for topic, who, _ in lever_risks(res)]
    assert notes == [("Texts and calls", "“SMS statement”, “SMS ladder”")], notes


def test_a_lever_declares_its_draws_and_the_population_makes_them_from_its_stream():
    """Built-in levers' draws are declared in their modules and fill the population's fields from
    their own streams; a plug-in's declared draws come from its hashed stream; two levers cannot
    declare the same draw."""
    from simlib.core.rng import lever_stream, stream
    from simlib.levers import base

    sc = scenario_from_dict(tiny())
    assert set(registered_levers()["deposit"].random_draws) == {"deposits", "deposit_estimate"}
    pop = draw_population(sc, 3)
    assert np.array_equal(pop.deposit_u, stream(sc.simulation.seed, 3, "deposits").random(pop.n))
    plans = stream(sc.simulation.seed, 3, "plans")
    assert np.array_equal(pop.plan_u, plans.random((pop.n, 2)))
    assert np.array_equal(pop.plan_miss_u, plans.random((pop.n, 36)))

    class Drawing(Lever):
        key = "drawing_lever"
        random_draws = {"drawing_lever": lambda rng, n, scenario: {"drawing_u": rng.random(n)}}
    register_lever(Drawing)
    try:
        pop = draw_population(sc, 3)
        assert np.array_equal(pop.lever_draws["drawing_u"],
                              lever_stream(sc.simulation.seed, 3, "drawing_lever").random(pop.n))
        assert np.array_equal(pop.deposit_u, draw_population(sc, 3).deposit_u)

        class Twice(Lever):
            key = "twice_lever"
            random_draws = {"twice_lever": lambda rng, n, scenario: {"deposit_u": rng.random(n)}}
        register_lever(Twice)
        with pytest.raises(ValueError, match="Twice: draw 'deposit_u' is already another lever's"):
            draw_population(sc, 3)
    finally:
        base._LEVERS.pop("drawing_lever", None)
        base._LEVERS.pop("twice_lever", None)
