"""What each collection policy does, as a table computed once beside the results (derived table
``policy_actions``; rendered by :mod:`simlib.report.policy_blocks`).

The main run keeps only counts; to show *when* a policy acts and *on which accounts*, the first
:data:`POLICY_REPLICATIONS` runs of every strategy with a policy (:func:`simlib.policies.base.policy_keys`)
are replayed with the policy recording each action it takes (:class:`simlib.policies.base.ActionRecord`):
the same seed, the same drawn assumptions and patients, so the replay is the main run's world
action for action. Each action is counted three ways — by the days since the account's statement,
by the last contact outcome the policy had heard, by the balance then — with the channel's cost of
the contacts. Counts are summed over the replayed runs, with the patient accounts billed in them,
so the block can show them per 1,000 accounts as the metrics do.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.core.language import N_
from simlib.core.words import id_words
from simlib.policies.base import ActionRecord, policy_keys
from simlib.policies.outcomes import OUTCOMES
from simlib.run.saved_tables import read_saved_table

TABLE = "policy_actions"
#: runs replayed per policy strategy (at most the main run's): each run is every account of the
#: scenario, so per-1,000 figures are already steady over one or two
POLICY_REPLICATIONS = 2

#: days since the statement: upper edges (inclusive) and their labels, then what is beyond
DAY_EDGES = (14.0, 30.0, 60.0, 90.0, 180.0)
DAY_LABELS = (N_("days 0–14"), N_("days 15–30"), N_("days 31–60"), N_("days 61–90"), N_("days 91–180"),
              N_("after day 180"))
#: the balance when the policy acts: lower edges in dollars and their labels
BALANCE_EDGES = (0.0, 200.0, 500.0, 1000.0, 5000.0)
BALANCE_LABELS = ("under $200", "$200–500", "$500–1,000", "$1,000–5,000", "$5,000 and more")
NO_OUTCOME = N_("no outcome heard yet")
DIMENSIONS = {"day": N_("days since the statement"), "last_outcome": N_("the last contact outcome heard"),
              "balance": N_("the balance owed")}
COLUMNS = ["strategy", "dimension", "state", "order", "action", "actions", "channel_cost",
           "accounts", "replications"]


def action_label(record: ActionRecord) -> str:
    """An action in the board's words: the channel for a contact, else what was done."""
    if record.action == "contact":
        return id_words(record.channel)
    if record.action == "final_notice":
        return FINAL_NOTICE.format(channel=id_words(record.channel))
    return ACTION_WORDS[record.action]


#: the table keeps the board's English words; the page translates them where it shows them
#: (:mod:`simlib.report.policy_blocks`)
ACTION_WORDS = {"offer_plan": N_("plan offered"), "settlement_discount": N_("settlement offered"),
                "agency": N_("placed with the agency"), "pause_days": N_("pause"), "stop": N_("stop")}
FINAL_NOTICE = N_("final notice by {channel}")


def day_bucket(days: float) -> int:
    return int(np.searchsorted(DAY_EDGES, days, side="left"))


def balance_bucket(cents: int) -> int:
    return int(np.searchsorted(BALANCE_EDGES, cents / 100.0, side="right")) - 1


def outcome_state(outcome: str) -> tuple[int, str]:
    if not outcome:
        return 0, NO_OUTCOME
    return 1 + list(OUTCOMES).index(outcome), id_words(outcome)


def states(record: ActionRecord) -> dict[str, tuple[int, str]]:
    """The record's state in each dimension: (sort order, label)."""
    d, b = day_bucket(record.days_since_statement), balance_bucket(record.balance_cents)
    return {"day": (d, DAY_LABELS[d]), "last_outcome": outcome_state(record.last_outcome),
            "balance": (b, BALANCE_LABELS[b])}


def replay(scenario, strategy: str, replication: int, seed: int) -> tuple[list[ActionRecord], int]:
    """Run ``strategy`` on the main run's ``replication`` with its policies recording: the actions
    and the number of patient accounts billed. With a result cache (:mod:`simlib.run.result_cache`)
    a replay of the same inputs and code is read, not run again (a rebuilt report simulates nothing)."""
    from simlib.run import result_cache
    from simlib.scenario.uncertain import draw_assumptions

    sc, _ = draw_assumptions(scenario, replication, seed)
    cache = result_cache.active()
    if cache is None:
        return _replay(sc, strategy, replication, seed)
    data = sc.model_dump(mode="json")
    # the run's key, told apart from the main runs', with every strategy of the scenario (the
    # population is drawn for all of them) and this module's code (the report wing is not in the
    # cache's code version)
    flags = {"replay": TABLE, "strategies": data["strategies"], "replay_code": _REPLAY_CODE}
    key = result_cache.run_key(sc, strategy, seed, replication, flags, data)
    stored = cache.load(key)
    if stored is None:
        stored = _replay(sc, strategy, replication, seed)
        cache.store(key, stored)
    return stored


_REPLAY_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _replay(sc, strategy: str, replication: int, seed: int) -> tuple[list[ActionRecord], int]:
    """:func:`replay` of the drawn scenario ``sc``, simulated."""
    from simlib.model.engine import World
    from simlib.model.population import draw_population

    pop = draw_population(sc, replication, seed)
    world = World(sc, strategy, pop)
    record: list[ActionRecord] = []
    for key in policy_keys(sc.strategies[strategy]):
        world.levers[key].record = record
    world.run()
    return record, int(np.count_nonzero(pop.patient_cents))


def tabulate(records_by_strategy: dict[str, list[ActionRecord]], accounts: dict[str, int],
             replications: int) -> pd.DataFrame:
    """Counts and channel costs by strategy, dimension, state and action (long table)."""
    rows = []
    for name, records in records_by_strategy.items():
        for rec in records:
            label = action_label(rec)
            for dim, (order, state) in states(rec).items():
                rows.append((name, dim, state, order, label, 1, rec.channel_cost_cents / 100.0))
    if not rows:
        return pd.DataFrame({c: [] for c in COLUMNS})
    df = pd.DataFrame(rows, columns=COLUMNS[:7])
    out = df.groupby(["strategy", "dimension", "state", "order", "action"], as_index=False, sort=False).sum()
    out["accounts"] = out["strategy"].map(accounts).astype(int)
    out["replications"] = replications
    return out.sort_values(["strategy", "dimension", "order", "action"], kind="stable").reset_index(drop=True)


def policy_action_data(res, replications: int = POLICY_REPLICATIONS) -> pd.DataFrame | None:
    """The ``policy_actions`` table of ``res`` (None when no strategy runs a policy): the first
    ``replications`` runs (at most the main run's) of each policy strategy, replayed."""
    scenario = res.scenario
    names = [n for n, st in scenario.strategies.items() if policy_keys(st)]
    if not names:
        return None
    n = max(1, min(int(replications), int(res.metrics["replication"].nunique())))
    seed = (getattr(res, "provenance", {}) or {}).get("seed", scenario.simulation.seed)
    records: dict[str, list[ActionRecord]] = {name: [] for name in names}
    accounts = {name: 0 for name in names}
    for rep in range(n):
        for name in names:
            recs, billed = replay(scenario, name, rep, seed)
            records[name].extend(recs)
            accounts[name] += billed
    return tabulate(records, accounts, n)


def load_policy_actions(results_dir: str | Path) -> pd.DataFrame | None:
    """The ``policy_actions`` table saved with the results (None when the results have none)."""
    return read_saved_table(results_dir, TABLE)
