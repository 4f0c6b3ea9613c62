"""Issue 22, item 7: the report section on what a policy does (simlib.report.policy_data computes
the actions by day and by account state; simlib.report.policy_blocks renders them)."""
from __future__ import annotations

import copy

import pytest

from simlib.report.policy_data import NO_OUTCOME, policy_action_data, replay, tabulate
from simlib.scenario.schema import scenario_from_dict
from tests.policy_world import ALWAYS_OPEN, one_account

NOTHING = {"promise_rate": 0.0, "plan_request_rate": 0.0, "dispute_rate": 0.0, "assistance_rate": 0.0,
           "refusal_rate": 0.0}
CALL_AT_14 = {"when": "no_payment", "days": 14, "after": "statement", "do": {"contact": "call"}}
BROKEN_THEN_EMAIL = {"phone_team": dict(ALWAYS_OPEN),
                     "contact_outcomes": {**NOTHING, "promise_rate": 1.0, "promise_keep_rate": 0.0,
                                          "promise_days": 10},
                     "policy": {"rules": [CALL_AT_14, {"when": "promise_broken", "do": {"contact": "email"}}]}}


def test_one_account_the_record_counts_each_action_by_day_outcome_and_balance():
    """The call at day 14 (no outcome heard yet, $1,000 owed) and the email after the promise broken
    at day 24: each counted once in each dimension, with its channel's cost (call $2, email $0.05)."""
    sc = scenario_from_dict(one_account(BROKEN_THEN_EMAIL), "test")
    records, accounts = replay(sc, "s", 0, sc.simulation.seed)
    assert accounts == 1
    assert [(round(r.days_since_statement, 6), r.action, r.channel, r.balance_cents, r.last_outcome)
            for r in records] == [(14.0, "contact", "call", 100000, ""), (24.0, "contact", "email", 100000,
                                                                          "promise_broken")]
    t = tabulate({"s": records}, {"s": accounts}, 1)
    got = {(d, s, a): (n, c) for d, s, a, n, c in t[["dimension", "state", "action", "actions", "channel_cost"]]
           .itertuples(index=False)}
    assert got == {("day", "days 0–14", "call"): (1, 2.0), ("day", "days 15–30", "email"): (1, 0.05),
                   ("last_outcome", NO_OUTCOME, "call"): (1, 2.0),
                   ("last_outcome", "promise broken", "email"): (1, 0.05),
                   ("balance", "$1,000–5,000", "call"): (1, 2.0), ("balance", "$1,000–5,000", "email"): (1, 0.05)}


def _small(tmp_path=None):
    data = one_account(BROKEN_THEN_EMAIL, horizon=200.0, initial_per_day=0.002, propensity_sigma=0.8)
    data["simulation"].update(open_book_accounts=150, measurement_day=150)
    data["payers"]["self_pay"]["allowed_sigma"] = 1.0
    data["channels"]["call"]["jump_per_day"] = 0.02
    data["strategies"] = {"letters": {"statement_channel": "email", "write_off": {"after_days": 10000},
                                      "baseline": True},
                          "s": data["strategies"]["s"]}
    data["strategies"]["s"]["contact_outcomes"]["promise_keep_rate"] = 0.5
    return scenario_from_dict(copy.deepcopy(data), "test")


def test_the_replay_is_the_main_run_action_for_action():
    """The actions replayed for the report sum to the main run's policy_actions metric × accounts,
    run by run (same seed, same patients: the replay is the run)."""
    from simlib.run.experiment import run_experiment

    res = run_experiment(_small(), replications=2, seed=5, workers=1, check_resources=False)
    table = policy_action_data(res, replications=2)
    assert set(table["strategy"]) == {"s"}
    day = table[table["dimension"] == "day"]
    m = res.metrics[(res.metrics["strategy"] == "s") & (res.metrics["metric"] == "policy_actions_per_account")]
    accounts = int(day["accounts"].iloc[0])
    assert accounts == 300  # 150 accounts, 2 runs
    assert day["actions"].sum() == pytest.approx(m["value"].sum() * accounts / 2, abs=1e-9)
    assert day["actions"].sum() > 150  # a call for nearly everyone, emails after broken promises
    for dim in ("last_outcome", "balance"):
        assert table[table["dimension"] == dim]["actions"].sum() == day["actions"].sum()
    from simlib.report.policy_blocks import pivot
    assert pivot(table, "day").to_numpy().sum() == pytest.approx(1000.0 * m["value"].mean(), rel=1e-12)


def test_the_section_shows_the_policy_strategies_and_is_empty_without_a_policy(tmp_path):
    from simlib.report.derived import save_results
    from simlib.report.pages import POLICY_ACTIONS
    from simlib.report.policy_blocks import policy_section
    from simlib.run.experiment import Results, run_experiment

    res = run_experiment(_small(), replications=2, seed=5, workers=1, check_resources=False)
    folder = save_results(res, tmp_path / "r", (POLICY_ACTIONS,), log=lambda *a: None)
    html = policy_section(Results.load(folder)).data
    assert "What the collection policies do" in html and "Cost and burden on patients" in html
    assert "actions per 1,000 accounts by days since the statement" in html
    assert "actions per 1,000 accounts by the last contact outcome heard" in html
    assert "promise broken" in html and "no outcome heard yet" in html
    plain = _small()
    plain = scenario_from_dict({**plain.model_dump(mode="json"),
                                "strategies": {"letters": plain.strategies["letters"].model_dump(mode="json")}}, "t")
    res2 = run_experiment(plain, replications=2, seed=5, workers=1, check_resources=False)
    folder2 = save_results(res2, tmp_path / "r2", (POLICY_ACTIONS,), log=lambda *a: None)
    assert not (folder2 / "policy_actions.parquet").exists()
    assert policy_section(Results.load(folder2)).data == ""


@pytest.mark.parametrize("lang, currency, money", [("fr", "EUR", "moins de 200\u00a0€"), ("es", "CLP", "menos de $200")])
def test_the_section_speaks_the_page_language(tmp_path, lang, currency, money):
    """Issue 23: in French or Spanish no English text of three words or more is left in the policy
    section (headings, captions, the policy's rules, the states and actions of its tables), and the
    balance brackets are in the scenario's money."""
    import re

    from simlib.core.language import speaking
    from simlib.report.derived import save_results
    from simlib.report.pages import POLICY_ACTIONS
    from simlib.report.policy_blocks import policy_section
    from simlib.run.experiment import Results, run_experiment

    res = run_experiment(_small(), replications=2, seed=5, workers=1, check_resources=False)
    loaded = Results.load(save_results(res, tmp_path / "r", (POLICY_ACTIONS,), log=lambda *a: None))
    texts = lambda html: {" ".join(t.split()) for t in re.split(r"<[^>]+>", html) if t.strip()}  # noqa: E731
    english = {t for t in texts(policy_section(loaded).data) if len(re.findall(r"[A-Za-z]{2,}", t)) >= 3}
    with speaking(lang, currency):
        local = policy_section(loaded).data
    assert len(english) > 10
    assert sorted(english & texts(local)) == []
    assert money in local and "promise broken" not in local and "$1,000" not in local


def test_a_replay_is_read_from_the_result_cache_with_the_same_actions(tmp_path, monkeypatch):
    """Stop 37: a rebuilt report simulates nothing, the policies' replays included: the second
    replay of the same inputs is read from the result cache, action for action; another
    replication, seed or scenario is simulated."""
    from simlib.run import result_cache

    sc = scenario_from_dict(one_account(BROKEN_THEN_EMAIL), "test")
    plain = replay(sc, "s", 0, sc.simulation.seed)  # no cache
    monkeypatch.setenv(result_cache.ENV, str(tmp_path / "cache"))
    cache = result_cache.active()
    assert replay(sc, "s", 0, sc.simulation.seed) == plain
    assert (cache.hits, cache.writes) == (0, 1)
    assert replay(sc, "s", 0, sc.simulation.seed) == plain
    assert (cache.hits, cache.writes) == (1, 1)
    replay(sc, "s", 1, sc.simulation.seed)
    replay(sc, "s", 0, sc.simulation.seed + 1)
    other = copy.deepcopy(BROKEN_THEN_EMAIL)
    other["contact_outcomes"]["promise_days"] = 12
    replay(scenario_from_dict(one_account(other), "test"), "s", 0, sc.simulation.seed)
    assert (cache.hits, cache.writes) == (1, 4)
