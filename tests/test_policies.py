"""Issue 22: contact outcomes and rule-based policies, each checked on the exact event log and
ledger of a one-account world (tests/policy_world.py: one patient owing $1,000 who never pays
unless a contact moves them; an always-open phone team that always reaches the right party)."""
from __future__ import annotations

import copy
import math

import pytest

from simlib.policies.outcomes import ContactOutcomes, conversation_outcome, keep_probability
from simlib.scenario.schema import ScenarioError, scenario_from_dict
from tests.policy_world import ALWAYS_OPEN, events, one_account, rows, run

NOTHING = {"promise_rate": 0.0, "plan_request_rate": 0.0, "dispute_rate": 0.0, "assistance_rate": 0.0,
           "refusal_rate": 0.0}
CALL_AT_14 = {"when": "no_payment", "days": 14, "after": "statement", "do": {"contact": "call"}}


def outcome_strategy(rules: list, **outcomes) -> dict:
    return {"phone_team": dict(ALWAYS_OPEN), "contact_outcomes": {**NOTHING, **outcomes},
            "policy": {"rules": rules}}


def only_policy(evs):
    return [e for e in evs if e[1] not in ("call connected",)]


# --------------------------------------------------------------------------- outcomes
def test_a_kept_promise_pays_the_balance_on_the_promised_date():
    st = outcome_strategy([CALL_AT_14], promise_rate=1.0, promise_keep_rate=1.0, promise_keep_elasticity=0.0)
    res = run(one_account(st))
    assert only_policy(events(res)) == [(0.0, "statement"), (14.0, "policy contact call (no payment 14 days after statement)"),
                                        (14.0, "promise"), (21.0, "promise kept")]
    assert rows(res) == [(0.0, "BILLED", 100000), (0.0, "COST_STATEMENT", 5), (14.0, "COST_CONTACT", 200),
                         (21.0, "PAYMENT_PATIENT", 100000)]
    c = res.counters
    assert (c["outcome_promise"], c["outcome_promise_kept"], c["outcome_promise_broken"], c["policy_contacts"]) == (1, 1, 0, 1)


def test_a_broken_promise_is_an_event_a_rule_answers():
    rules = [CALL_AT_14, {"when": "promise_broken", "do": {"contact": "email"}}]
    res = run(one_account(outcome_strategy(rules, promise_rate=1.0, promise_keep_rate=0.0, promise_days=10)))
    assert only_policy(events(res)) == [(0.0, "statement"), (14.0, "policy contact call (no payment 14 days after statement)"),
                                        (14.0, "promise"), (24.0, "promise broken"),
                                        (24.0, "policy contact email (promise_broken)")]
    assert res.counters["outcome_promise_broken"] == 1 and res.open_cents[1] == 100000
    assert rows(res)[-1] == (24.0, "COST_CONTACT", 5)


def test_promises_are_kept_more_by_likelier_payers():
    cfg = ContactOutcomes(promise_keep_rate=0.6, promise_keep_elasticity=0.5)
    assert keep_probability(cfg, 1.0) == pytest.approx(0.6, abs=1e-15)
    assert keep_probability(cfg, 0.25) == pytest.approx(0.3, abs=1e-15)
    assert keep_probability(cfg, 4.0) == 1.0
    # across 400 accounts with spread propensities, the kept share rises with the propensity
    data = one_account(outcome_strategy([CALL_AT_14], promise_rate=1.0), propensity_sigma=1.0)
    data["simulation"]["open_book_accounts"] = 400
    from simlib.model.engine import World
    from simlib.model.population import draw_population
    sc = scenario_from_dict(data, "test")
    pop = draw_population(sc, 0)
    res = World(sc, "s", pop, trace=True).run()
    kept = {r for r, _, what in res.events if what == "promise kept"}
    promised = sorted({r for r, _, what in res.events if what == "promise"})
    assert len(promised) == 400
    expected = [keep_probability(sc.strategies["s"].contact_outcomes, float(pop.propensity[(r - 1) // 2])) for r in promised]
    high = [r for r, p in zip(promised, expected) if p >= 0.6]
    low = [r for r, p in zip(promised, expected) if p < 0.6]
    share = lambda rs: sum(r in kept for r in rs) / len(rs)  # noqa: E731
    assert share(high) > share(low) + 0.2
    # the kept count is within 4 standard deviations of the sum of the keep probabilities
    mean, var = sum(expected), sum(p * (1 - p) for p in expected)
    assert abs(len(kept) - mean) < 4 * var ** 0.5


def test_conversation_outcomes_cut_the_uniform_in_order():
    cfg = ContactOutcomes(promise_rate=0.3, plan_request_rate=0.1, dispute_rate=0.1, assistance_rate=0.1,
                          refusal_rate=0.1)
    cuts = [(0.0, "promise"), (0.299, "promise"), (0.3, "plan_requested"), (0.45, "dispute"),
            (0.55, "assistance_application"), (0.65, "refusal"), (0.7, "right_party"), (0.99, "right_party")]
    assert [conversation_outcome(cfg, u) for u, _ in cuts] == [o for _, o in cuts]


@pytest.mark.parametrize("outcome,rate", [("plan_requested", "plan_request_rate"), ("dispute", "dispute_rate"),
                                          ("assistance_application", "assistance_rate"), ("refusal", "refusal_rate")])
def test_each_conversation_outcome_is_an_event_and_a_counter(outcome, rate):
    res = run(one_account(outcome_strategy([CALL_AT_14], **{rate: 1.0})))
    assert only_policy(events(res))[-1] == (14.0, outcome.replace("_", " "))
    assert res.counters[f"outcome_{outcome}"] == 1


def test_an_unanswered_call_is_no_answer_and_a_reached_call_without_commitment_is_right_party():
    st = outcome_strategy([CALL_AT_14])
    st["phone_team"]["right_party_contact_rate"] = 0.0
    res = run(one_account(st))
    assert only_policy(events(res))[-1] == (14.0, "no answer")
    res = run(one_account(outcome_strategy([CALL_AT_14])))
    assert only_policy(events(res))[-1] == (14.0, "right party")
    assert res.counters["outcome_right_party"] == 1 and res.counters["outcome_no_answer"] == 0


def test_emails_bounce_at_once_and_letters_return_after_delivery_and_return_days():
    rules = [{"when": "no_payment", "days": 5, "after": "statement", "do": {"contact": "email"}},
             {"when": "no_payment", "days": 6, "after": "statement", "do": {"contact": "letter"}},
             {"when": "returned", "do": {"contact": "call"}}]
    data = one_account(outcome_strategy(rules, bounce_share=1.0, return_share=1.0, return_days=14.0))
    data["channels"]["email"]["reach"] = 0.0
    data["channels"]["letter"]["reach"] = 0.0
    data["strategies"]["s"]["statement_channel"] = "call_free_statement"
    data["channels"]["call_free_statement"] = {"cost": 0.0, "reach": 1.0}
    res = run(data)
    assert only_policy(events(res)) == [
        (0.0, "statement"), (5.0, "policy contact email (no payment 5 days after statement)"), (5.0, "bounced"),
        (6.0, "policy contact letter (no payment 6 days after statement)"), (27.0, "returned"),
        (27.0, "policy contact call (returned)"), (27.0, "right party")]
    assert res.counters["outcome_bounced"] == 1 and res.counters["outcome_returned"] == 1


def test_without_a_policy_no_outcome_is_drawn_or_counted():
    st = {"phone_team": dict(ALWAYS_OPEN), "ladder": [{"day": 14, "channel": "call", "hour": None}]}
    res = run(one_account(st))
    assert not [k for k in res.counters if k.startswith(("outcome_", "policy_"))]
    assert [e for e in events(res) if e[1] not in ("statement",)] == [(14.0, "call"), (14.0, "call connected")]


# --------------------------------------------------------------------------- rules
def test_a_workflow_letter_call_plan_final_notice_agency():
    """statement → no payment 14 days → call → the patient asks for a plan → plan; a refusal
    instead → final notice → no payment 30 days after it → agency."""
    rules = [CALL_AT_14, {"when": "plan_requested", "do": "offer_plan"},
             {"when": "refusal", "do": {"final_notice": "letter"}},
             {"when": "no_payment", "days": 30, "after": "final_notice", "do": "agency"}]
    base = {"payment_plan": {"balance_min": 100, "uptake_rate": 0.0, "sizing": "even", "max_months": 4,
                             "miss_base_rate": 0.0},
            "agency": {"kind": "early_out", "placement_days": 5000, "recall_days": 100, "initial_per_day": 0.0}}
    res = run(one_account({**outcome_strategy(rules, plan_request_rate=1.0), **base}))
    assert only_policy(events(res)) == [
        (0.0, "statement"), (14.0, "policy contact call (no payment 14 days after statement)"),
        (14.0, "plan requested"), (14.0, "policy offer a payment plan (plan_requested)"), (14.0, "plan"),
        (14.0, "instalment"), (44.0, "instalment"), (74.0, "instalment"), (104.0, "instalment")]
    assert [r for r in rows(res) if r[1] == "PAYMENT_PATIENT"] == [(14.0 + 30 * m, "PAYMENT_PATIENT", 25000) for m in range(4)]
    assert res.counters["policy_plans_taken"] == 1
    res = run(one_account({**outcome_strategy(rules, refusal_rate=1.0), **base}))
    assert only_policy(events(res)) == [
        (0.0, "statement"), (14.0, "policy contact call (no payment 14 days after statement)"), (14.0, "refusal"),
        (14.0, "policy final notice letter (refusal)"), (44.0, "policy place with the agency (no payment 30 days after final_notice)"),
        (44.0, "placed (early_out)"), (144.0, "recalled, written off")]
    assert res.counters["final_notices"] == 1 and res.counters["policy_placements"] == 1


def test_conditions_score_band_opt_out_and_last_outcome():
    rules = [{"when": "no_payment", "days": 3, "after": "statement", "target": {"balance_min": 2000},
              "do": {"contact": "letter"}},
             {"when": "no_payment", "days": 4, "after": "statement", "opted_out": "email", "do": {"contact": "letter"}},
             CALL_AT_14,
             {"when": "no_payment", "days": 20, "after": "statement", "last_outcome": "right_party",
              "do": {"contact": "email"}},
             {"when": "no_payment", "days": 21, "after": "statement", "last_outcome": "refusal",
              "do": {"contact": "email"}}]
    res = run(one_account(outcome_strategy(rules)))
    assert only_policy(events(res)) == [
        (0.0, "statement"), (14.0, "policy contact call (no payment 14 days after statement)"), (14.0, "right party"),
        (20.0, "policy contact email (no payment 20 days after statement)")]


def test_a_partial_payment_triggers_and_a_pause_and_a_stop_silence_the_policy():
    rules = [{"when": "partial_payment", "do": {"contact": "email"}}]
    data = one_account({"policy": {"rules": rules}}, initial_per_day=1.0, full_payment="never",
                       partial_fraction_min=0.5, partial_fraction_max=0.5)
    res = run(data)
    parts = [d for d, what in events(res) if what == "paid part"]
    assert parts and [d for d, what in events(res) if what.startswith("policy contact email")] == parts
    paused = one_account({"policy": {"rules": [{"when": "statement", "do": {"pause_days": 1000}}] + rules}},
                         initial_per_day=1.0, full_payment="never", partial_fraction_min=0.5, partial_fraction_max=0.5)
    res = run(paused)
    assert [what for _, what in events(res) if what.startswith("policy")] == ["policy pause 1000 days (statement)"]
    stopped = copy.deepcopy(paused)
    stopped["strategies"]["s"]["policy"]["rules"][0]["do"] = "stop"
    res = run(stopped)
    assert [what for _, what in events(res) if what.startswith("policy")] == ["policy stop (statement)"]
    assert res.counters["policy_stops"] == 1


def test_a_settlement_discount_books_the_discount_on_a_payment_in_full():
    rules = [{"when": "statement", "do": {"settlement_discount": 0.2, "settlement_days": 30}}]
    res = run(one_account({"policy": {"rules": rules}}, initial_per_day=1.0))
    pay = [r for r in rows(res) if r[1] in ("PAYMENT_PATIENT", "DISCOUNT")]
    assert [(k, a) for _, k, a in pay] == [("DISCOUNT", 20000), ("PAYMENT_PATIENT", 80000)] and pay[0][0] < 30
    assert res.counters["settlement_offers"] == 1 and res.counters["settlements"] == 1


def test_a_looping_rule_stops_at_the_cap_on_actions():
    """Every email sent triggers another, at the same moment: only the cap ends the loop."""
    rules = [{"when": "sent", "do": {"contact": "email"}}, {"when": "statement", "do": {"contact": "email"}}]
    res = run(one_account({"policy": {"rules": rules, "max_actions_per_account": 5}}))
    assert res.counters["policy_actions"] == 5 and res.counters["policy_actions_capped"] == 1
    assert res.counters["contacts_email"] == 5


def test_rules_are_described_in_words():
    from simlib.levers import lever_descriptions
    rules = [CALL_AT_14, {"when": "promise_broken", "target": {"score_min": 0.5}, "do": {"final_notice": "letter"}},
             {"when": "refusal", "delay_days": 2, "do": "agency"}]
    st = {**outcome_strategy(rules), "agency": {"placement_days": 5000}}
    sc = scenario_from_dict(one_account(st), "test")
    assert lever_descriptions(sc.strategies["s"])["policy"] == (
        "policy: no payment 14 days after the statement → call; promise broken (score 0.5–1) → final notice "
        "by letter; refusal → place with the agency 2 days later")


@pytest.mark.parametrize("rule,strategy,message", [
    ({"when": "no_pay", "do": "stop"}, {}, "strategies.s.policy.rules.0.when: expected a trigger among no_payment"),
    ({"when": "refusal", "do": {"contact": "fax"}}, {"contact_outcomes": {}},
     "strategies.s.policy.rules.0.do.contact: expected one of ['call', 'email', 'formal_demand', 'letter', 'sms', 'whatsapp']; found 'fax'"),
    ({"when": "statement", "do": "offer_plan"}, {}, "strategies.s.policy.rules.0.do.offer_plan: expected a payment_plan section"),
    ({"when": "promise_broken", "do": "stop"}, {}, "strategies.s.policy.rules.0.when: the outcome 'promise_broken' is reported only with a contact_outcomes section"),
    ({"when": "statement", "do": {"contact": "call", "stop": True}}, {}, "exactly one action"),
    ({"when": "no_payment", "do": "stop"}, {}, "days is required with when: no_payment"),
])
def test_bad_rules_get_one_line_naming_the_field(rule, strategy, message):
    data = one_account({"phone_team": dict(ALWAYS_OPEN), **strategy, "policy": {"rules": [rule]}})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, "policy.yaml")
    assert message in str(err.value)


def test_the_json_schema_accepts_bare_word_actions_and_refuses_a_misspelt_one():
    import jsonschema
    import yaml
    from pathlib import Path

    from simlib.scenario import authoring
    schema = authoring.scenario_json_schema()
    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "parameters" / "policies.yaml").read_text())
    rules = data["strategies"]["workflow"]["policy"]["rules"]
    rules[-1]["do"] = "agency"
    jsonschema.validate(data, schema)
    rules[-1]["do"] = "agenc"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_an_opt_out_rate_of_one_opts_out_at_the_first_contact_and_a_rule_answers_the_opt_out():
    """``opt_out_rate: 1.0`` (the limit, P(opt out by the k-th contact) = 1): the first email that
    reaches opts the patient out; the second is not made, an ``opted_out`` event the rule answers."""
    rules = [{"when": "statement", "do": {"contact": "email"}},
             {"when": "no_payment", "days": 5, "after": "statement", "do": {"contact": "email"}},
             {"when": "opted_out", "channel": "email", "do": {"contact": "letter"}}]
    data = one_account({"policy": {"rules": rules}})
    data["channels"]["email"]["opt_out_rate"] = 1.0
    res = run(data)
    assert [e for e in events(res) if e[1].startswith("policy")] == [
        (0.0, "policy contact email (statement)"), (5.0, "policy contact email (no payment 5 days after statement)"),
        (5.0, "policy contact letter (opted_out)")]
    c = res.counters
    assert (c["opt_outs"], c["opted_out_contacts"], c["contacts_email"], c["contacts_letter"]) == (1, 1, 1, 1)


# --------------------------------------------------------------------------- outcome and policy metrics
def test_every_outcome_and_policy_counter_is_a_metric():
    from simlib.core.metric_catalogue import METRICS, POLICY_COUNTER_METRICS
    from simlib.policies.base import COUNTERS
    from simlib.policies.outcomes import ContactOutcomesLever
    counters = set(COUNTERS) | set(ContactOutcomesLever.counters)
    assert set(POLICY_COUNTER_METRICS) == counters
    assert all(METRICS[m].group == "policies" for m, _, _ in POLICY_COUNTER_METRICS.values())


def test_outcome_and_policy_metrics_on_one_account_and_absent_without_a_policy():
    """One account, one call by the policy, a promise kept: 1,000 promises and 1,000 kept per
    1,000 accounts, all promises kept, one policy contact per account; a scenario whose strategies
    neither record outcomes nor run a policy has none of these metrics."""
    from simlib.core.metric_catalogue import METRICS
    from simlib.model.engine import World
    from simlib.model.metrics import compute
    from simlib.model.population import draw_population

    def metrics(data):
        sc = scenario_from_dict(copy.deepcopy(data), "test")
        pop = draw_population(sc, 0)
        return compute(World(sc, "s", pop).run(), pop, sc)[0]

    st = outcome_strategy([CALL_AT_14], promise_rate=1.0, promise_keep_rate=1.0, promise_keep_elasticity=0.0)
    m = metrics(one_account(st))
    assert (m["outcome_promise_per_1000_accounts"], m["outcome_promise_kept_per_1000_accounts"],
            m["outcome_promise_broken_per_1000_accounts"], m["promise_kept_share"]) == (1000.0, 1000.0, 0.0, 1.0)
    assert (m["policy_actions_per_account"], m["policy_contacts_per_account"], m["contacts_per_account"]) == (1.0, 1.0, 1.0)
    plain = metrics(one_account({"ladder": [{"day": 14, "channel": "email"}]}))
    assert not [k for k in plain if k in METRICS and METRICS[k].group == "policies"]


# --------------------------------------------------------------------------- inbound contacts
def test_a_patient_who_contacts_the_hospital_is_an_event_a_rule_answers_and_their_promise_pays_nothing():
    """inbound_share 1: the patient calls in once, at −ln(1 − u) × inbound_days_mean after the
    statement (u their pre-drawn uniform), promises (promise_rate 1), and the rule answers the
    inbound contact with an email; the patient never pays, so the promise is broken 7 days later,
    and no payment row appears (an inbound promise pays nothing of itself)."""
    import math

    from simlib.model.population import draw_population

    rules = [{"when": "inbound", "do": {"contact": "email"}}]
    data = one_account({"contact_outcomes": {**NOTHING, "promise_rate": 1.0, "inbound_share": 1.0,
                                             "inbound_days_mean": 20.0}, "policy": {"rules": rules}})
    sc = scenario_from_dict(copy.deepcopy(data), "test")
    u = draw_population(sc, 0).draws("contact_outcomes_inbound", lambda rng, n: rng.random((n, 3)))[0]
    day = round(-math.log1p(-float(u[1])) * 20.0, 4)
    res = run(data)
    assert events(res) == [(0.0, "statement"), (day, "inbound"), (day, "promise"),
                           (day, "policy contact email (inbound)"), (round(day + 7.0, 4), "promise broken")]
    assert [k for _, k, _ in rows(res)] == ["BILLED", "COST_STATEMENT", "COST_CONTACT"]
    c = res.counters
    assert (c["outcome_inbound"], c["outcome_promise"], c["outcome_promise_broken"], c["outcome_promise_kept"]) == (1, 1, 1, 0)
    data["strategies"]["s"]["contact_outcomes"]["inbound_share"] = 0.0
    assert events(run(data)) == [(0.0, "statement")]


def test_inbound_contacts_come_from_the_declared_share_and_mean_delay():
    """400 accounts that never pay, inbound_share 0.25, mean 30 days: the share who call in and
    their mean delay agree with the settings within 4 standard errors (seeded)."""
    from simlib.model.engine import World
    from simlib.model.population import draw_population

    data = one_account({"contact_outcomes": {"inbound_share": 0.25, "inbound_days_mean": 30.0}})
    data["simulation"]["open_book_accounts"] = 400
    sc = scenario_from_dict(data, "test")
    res = World(sc, "s", draw_population(sc, 0), trace=True).run()
    days = [d for _, d, what in res.events if what == "inbound"]
    share = len(days) / 400
    assert abs(share - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 400)
    assert abs(sum(days) / len(days) - 30.0) < 4 * 30.0 / math.sqrt(len(days))
