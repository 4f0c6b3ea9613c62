"""The self-service levers in NumPy (issue 27: pay link, card on file, patient portal) agree with
the SimPy engine: on the hybrid engine their strategies' accounts run in NumPy with every ledger
row (day to the last bit, kind, cent), open balance, counter and metric of the pure SimPy engine;
seeded. The shipped strategies (self_service.yaml, operations.yaml's pay links), random settings of
the three levers beside contact limits, a payment plan, a prompt-pay discount, the payment methods,
a targeted offer and a call step, the combinations kept on SimPy, and mutations of the NumPy form
that the checks catch."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from simlib.core.ledger import Kind
from simlib.model import hybrid, vectorized as V
from simlib.model import vectorized_self_service as S
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.model.vectorized_rows import canonical_order
from simlib.scenario.schema import scenario_from_dict

from tests.test_hybrid import assert_identical, small

ROOT = Path(__file__).resolve().parents[1]
SELF_SERVICE = ROOT / "parameters" / "self_service.yaml"


def self_service_data() -> dict:
    """self_service.yaml as data, without its search and its uncertain inputs (a test changes
    the values they draw)."""
    data = yaml.safe_load(SELF_SERVICE.read_text(encoding="utf-8"))
    data.pop("search", None)
    data.pop("uncertain", None)
    return data


def numpy_counters(sc, strategy, pop):
    """The counters of the accounts the hybrid engine runs in NumPy (their share, counters)."""
    mask = World(sc, strategy, pop, hybrid=True).numpy_accounts
    assert mask is not None
    v = V.simulate(sc, strategy, pop, accounts=mask)
    return mask.sum() / (pop.patient_cents > 0).sum(), v


@pytest.mark.parametrize("strategy", ["pay_links", "card_on_file", "portal", "all_self_service"])
def test_the_shipped_self_service_strategies_run_in_numpy_identically(strategy):
    sc = small(SELF_SERVICE, encounters_per_day=4.0, warm_up_days=60)
    assert V.capacity_free_problems(sc, strategy, per_account=True) == []
    pop = draw_population(sc, 2)
    share = assert_identical(sc, strategy, pop)
    assert share > 0.9  # all but the disputed
    _, v = numpy_counters(sc, strategy, pop)
    c = v.counters
    if strategy in ("pay_links", "all_self_service"):  # teeth: every branch taken in NumPy
        assert c["pay_links_sent"] > 300 and c["pay_links_read"] > 200 and c["pay_link_payments"] > 20
        assert c["complaints"] + c["opt_outs"] > 0
    if strategy in ("card_on_file", "all_self_service"):
        assert c["card_on_file_consents"] > 100 and c["card_charges_paid"] > 20
        assert c["card_charges_failed"] > 20 and c["card_charges"] > 100
    if strategy in ("portal", "all_self_service"):
        assert c["portal_visits"] > 50 and c["portal_payments"] > 10 and c["portal_plans"] > 5
        assert c["plan_instalments"] > 20
    if strategy != "portal":  # the vendor's fees per link and per charge (the portal's are 0)
        assert (v.rows.kind == Kind.COST_SELF_SERVICE).sum() > 100


def test_operations_pay_links_run_in_numpy_identically():
    sc = small(ROOT / "parameters" / "operations.yaml", encounters_per_day=4.0, warm_up_days=60)
    pop = draw_population(sc, 1)
    assert assert_identical(sc, "pay_links", pop) > 0.9
    assert numpy_counters(sc, "pay_links", pop)[1].counters["pay_link_payments"] > 10


def test_chargebacks_retries_and_a_balance_cap_in_numpy():
    """Many chargebacks (within the horizon or not), declined charges retried up to four times
    (the engine's float additions for their days), a balance cap, the portal's plans beside them."""
    data = self_service_data()
    st = data["strategies"]["all_self_service"]
    st["card_on_file"].update(consent_rate=0.8, failure_rate=0.6, retries=4, retry_days=3.3, chargeback_rate=0.4,
                              chargeback_days=200, balance_max=800)
    st["prompt_pay_discount"] = {"rate": 0.1, "window_days": 45}
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=30)
    sc = scenario_from_dict(data, "chargebacks")
    pop = draw_population(sc, 4)
    assert assert_identical(sc, "all_self_service", pop) > 0.9
    c = numpy_counters(sc, "all_self_service", pop)[1].counters
    assert c["chargebacks"] > 10 and c["card_charges_failed"] > 100 and c["discounts"] > 10


def test_the_same_in_any_block_size(monkeypatch):
    """The levers' draws and take-up uniforms (the propensity copula) read at a block's encounters:
    the same rows, counters and balances in blocks of 7 and of 1 as on pure SimPy."""
    sc = small(SELF_SERVICE, encounters_per_day=1.0, warm_up_days=0)
    pop = draw_population(sc, 3)
    simpy = World(sc, "all_self_service", pop, hybrid=False).run()
    for block in (7, 1):
        monkeypatch.setattr(hybrid, "BLOCK_ACCOUNTS", block)
        world = World(sc, "all_self_service", pop, hybrid=True)
        result = world.run()
        assert world.numpy_accounts.sum() > 7 * 20
        oa, ob = canonical_order(simpy.ledger), canonical_order(result.ledger)
        for column in ("receivable", "day", "kind", "amount"):
            np.testing.assert_array_equal(getattr(simpy.ledger, column)[oa], getattr(result.ledger, column)[ob])
        np.testing.assert_array_equal(simpy.open_cents, result.open_cents)
        assert +simpy.counters == +result.counters


_CHANNELS = ("letter", "sms", "email", "whatsapp", "formal_demand")


@hst.composite
def random_self_service(draw):
    """A random strategy with any of the three levers, a ladder (a call step), contact limits, a plan, a
    discount, a targeted offer."""
    steps = [{"day": draw(hst.sampled_from([3, 10, 30.5, 60])), "channel": draw(hst.sampled_from(_CHANNELS)),
              "hour": draw(hst.sampled_from([None, 9.0, 22.5]))} for _ in range(draw(hst.integers(0, 3)))]
    st = {"credit_terms_days": draw(hst.sampled_from([15, 30])), "statement_channel": "letter", "ladder": steps,
          "write_off": {"after_days": draw(hst.sampled_from([90, 240])), "below_balance": 5},
          "contact_limits": {"messages_per_7_days_max": draw(hst.sampled_from([None, 1, 3])),
                             "message_cap_channels": draw(hst.sampled_from([None, ["sms", "email", "formal_demand"]])),
                             "quiet_hours": draw(hst.sampled_from([None, [21, 8]]))}}
    if draw(hst.booleans()):
        st["pay_link"] = {"day": draw(hst.sampled_from([0, 3, 7.25, 30])),
                          "channel": draw(hst.sampled_from(["sms", "email", "whatsapp"])),
                          "pay_at_once_rate": draw(hst.sampled_from([0.3, 1.0])),
                          "friction": draw(hst.sampled_from([0.0, 0.2])),
                          "jump_per_day": draw(hst.sampled_from([None, 0.05])),
                          "fee_per_payment": draw(hst.sampled_from([0.0, 0.5])),
                          "propensity_correlation": draw(hst.sampled_from([0.0, 0.5, 0.9]))}
    if draw(hst.booleans()):
        st["card_on_file"] = {"consent_rate": draw(hst.sampled_from([0.3, 1.0])),
                              "days_after_due": draw(hst.sampled_from([0.0, 2.5])),
                              "balance_max": draw(hst.sampled_from([None, 300])),
                              "failure_rate": draw(hst.sampled_from([0.1, 0.7])),
                              "retries": draw(hst.integers(0, 4)), "retry_days": draw(hst.sampled_from([3.0, 0.1])),
                              "chargeback_rate": draw(hst.sampled_from([0.0, 0.3])),
                              "chargeback_days": draw(hst.sampled_from([45.0, 250.0]))}
    if draw(hst.booleans()):
        st["patient_portal"] = {"visit_rate": draw(hst.sampled_from([0.3, 1.0])),
                                "visit_delay_days": draw(hst.sampled_from([2.0, 40.0])),
                                "pay_rate": draw(hst.sampled_from([0.0, 0.4])),
                                "plan_rate": draw(hst.sampled_from([0.0, 0.6])),
                                "fee_per_payment": draw(hst.sampled_from([0.0, 1.0]))}
    if draw(hst.booleans()):
        st["payment_plan"] = {"balance_min": draw(hst.sampled_from([0, 300])),
                              "uptake_rate": draw(hst.sampled_from([0.0, 0.0, 0.5])),
                              "max_months": draw(hst.sampled_from([3, 12])),
                              "miss_base_rate": draw(hst.sampled_from([0.05, 0.5])),
                              "default_after_misses": draw(hst.sampled_from([1, 2]))}
    if draw(hst.booleans()):
        st["prompt_pay_discount"] = {"rate": 0.1, "window_days": draw(hst.sampled_from([10, 45]))}
    if draw(hst.booleans()):
        st["payment_methods"] = {"card_share": 0.5, "card_fee_rate": 0.029, "card_fee_fixed": 0.3}
    offers = [key for key in ("prompt_pay_discount", "payment_plan") if key in st]
    if offers and draw(hst.booleans()):  # offers withheld outside a score band (not the portal's plans: the engine's)
        st["targeted_offer"] = {"score_max": 0.5, "offers": offers}
    if draw(hst.booleans()):  # a call step: the accounts it may call stay on SimPy
        steps.append({"day": 40, "channel": "call", "target": {"balance_min": 400}})
        st["phone_team"] = {"agents": 1, "hours": [9, 17], "working_days": [0, 1, 2, 3, 4],
                            "call_minutes_mean": 8, "right_party_contact_rate": 0.4}
    behaviour = {"full_payment": draw(hst.sampled_from(["ability", "always", "never"])),
                 "contact_fatigue_per_contact": draw(hst.sampled_from([0.8, 1.0])),
                 "unreached_statement_share": draw(hst.sampled_from([0.3, 1.0]))}
    return st, behaviour, draw(hst.integers(0, 50))


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_self_service())
def test_random_self_service_settings_are_identical_on_both_engines(case):
    strategy, behaviour, replication = case
    data = self_service_data()
    data["simulation"].update(encounters_per_day=1.5, warm_up_days=30, horizon_days=300,
                              billing_window_days=200, measurement_day=200, ar_window_days=60)
    data["behaviour"].update(behaviour)
    data["strategies"] = {"random": {**strategy, "baseline": True}}
    sc = scenario_from_dict(data, "random")
    assert_identical(sc, "random", draw_population(sc, replication))


def _with(strategy: str, **sections):
    data = self_service_data()
    data["strategies"][strategy].update(sections)
    return scenario_from_dict(data, "kept")


@pytest.mark.parametrize("strategy, sections, problem", [
    ("pay_links", {"agency": {"placement_days": 120}}, "a self-service lever beside an agency, the public accountant or legal action"),
    ("portal", {"payment_plan": {"balance_min": 300, "uptake_rate": 0.2}},
     "a patient portal that sets up payment plans beside plans offered to all (uptake_rate > 0)"),
    ("pay_links", {"pay_link": {"channel": "letter"}}, "a pay link by a legal notice's channel or one delivered later"),
    ("pay_links", {"contact_limits": {"messages_per_7_days_max": 1, "message_cap_channels": ["sms", "formal_demand"]},
                   "ladder": [{"day": 9, "channel": "formal_demand"}]},
     "a pay link the message cap counts in the 7 days before a notice it counts"),
    ("card_on_file", {"ladder": [{"day": d, "channel": "letter"} for d in range(12)]},
     "a ladder of more than 11 steps beside a self-service lever"),
])
def test_what_stays_on_simpy(strategy, sections, problem):
    """Each combination the NumPy form cannot make exact keeps the strategy on SimPy, with its line."""
    sc = _with(strategy, **sections)
    assert problem in V.capacity_free_problems(sc, strategy, per_account=True)
    pop = draw_population(small_copy(sc), 1)
    assert World(small_copy(sc), strategy, pop, hybrid=True).numpy_accounts is None


def small_copy(sc):
    data = sc.model_dump(mode="json", exclude_none=False)
    data["simulation"].update(encounters_per_day=1.0, warm_up_days=0)
    return type(sc).model_validate(data)


def _retry_every_time(self, ii, codes, days):
    return np.zeros(ii.size, bool)


def _retries_by_multiplication(self, statement, due, stated):
    cols, codes = ORIGINAL_COLUMNS(self, statement, due, stated)
    attempts = [j for j, code in enumerate(codes) if code == S.CHARGE]
    for a, j in enumerate(attempts):  # due + d + a × r instead of the engine's a additions of r
        cols[j] = cols[attempts[0]] + a * self.card.retry_days
    return cols, codes


ORIGINAL_COLUMNS = S.SelfService.columns


@pytest.mark.parametrize("name, mutation", [
    ("a retry where the attempt before did not fail", ("unscheduled", _retry_every_time)),
    ("retry days by multiplication", ("columns", _retries_by_multiplication)),
    ("P(can pay in full) left out", ("_can_pay", lambda self, jj, bal: np.ones(jj.size))),
    ("the link's fatigue not recorded", ("__init__", None)),
])
def test_a_mutated_numpy_form_fails_the_identity(monkeypatch, name, mutation):
    """The identity check has teeth: each of these slips in the NumPy form is caught."""
    attribute, replacement = mutation
    if attribute == "__init__":  # the link's reach not kept for later contacts' fatigue
        original = S.SelfService.__init__

        def replacement(self, *args, **kwargs):
            original(self, *args, **kwargs)
            if self.link is not None:
                self.contacts.respond = _forgetting(self.contacts, self.column)
    monkeypatch.setattr(S.SelfService, attribute, replacement)
    data = self_service_data()
    st = data["strategies"]["all_self_service"]
    st["card_on_file"].update(consent_rate=0.8, failure_rate=0.6, retries=4, retry_days=3.3, balance_max=500)
    st["ladder"] = [{"day": 5, "channel": "sms"}, *st["ladder"]]
    data["simulation"].update(encounters_per_day=3.0, warm_up_days=30)
    sc = scenario_from_dict(data, "mutated")
    with pytest.raises(AssertionError):
        assert_identical(sc, "all_self_service", draw_population(sc, 4))


def _forgetting(contacts, column):
    """``contacts.respond`` that does not keep the link's reach for later contacts' fatigue."""
    respond = contacts.respond

    def respond_forgetting(s, ii, at, jump):
        respond(s, ii, at, jump)
        if s == column:
            contacts.state.reached[ii, column] = -np.inf
    return respond_forgetting
