"""The strategy comparison's section on collection policies: what each policy does (its actions
by day and by account state, their cost) and what it asks of patients (contacts, complaints), for
the strategies that run a policy (``docs/policies.md``). The actions come from the derived table
``policy_actions`` (:mod:`simlib.report.policy_data`, computed before the notebooks run); the cost
and burden from the run's metrics. Empty when no strategy runs a policy.
"""
from __future__ import annotations

import pandas as pd

from simlib.levers.base import lever_descriptions
from simlib.policies.base import policy_keys
from simlib.report.labels import strategy_labels
from simlib.report.markup import _html, esc
from simlib.report.policy_data import DAY_LABELS, DIMENSIONS, load_policy_actions
from simlib.report.tables import _table, metric_table

#: cost and burden, per strategy (every strategy: the status quo is the yardstick)
BURDEN_METRICS = ("policy_actions_per_account", "policy_contacts_per_account", "contacts_per_account",
                  "calls_per_account", "complaints_per_1000_accounts", "patients_lost", "collection_cost")
#: what the contacts ended in
OUTCOME_METRICS = ("outcome_promise_per_1000_accounts", "promise_kept_share", "outcome_plan_requested_per_1000_accounts",
                   "outcome_refusal_per_1000_accounts", "outcome_no_answer_per_1000_accounts",
                   "outcome_bounced_per_1000_accounts", "outcome_returned_per_1000_accounts",
                   "final_notices_per_1000_accounts", "policy_plans_taken_per_1000_accounts",
                   "policy_placements_per_1000_accounts")


def per_1000_text(value: float) -> str:
    """A rate per 1,000 accounts: one decimal below 10, none above; a dash for none."""
    if value == 0:
        return "–"
    return f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}"


def pivot(table: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Actions per 1,000 accounts of one strategy: ``dimension``'s states as rows (in their order),
    actions as columns (most frequent first)."""
    sub = table[table["dimension"] == dimension]
    accounts = float(sub["accounts"].iloc[0])
    counts = sub.pivot_table(index=["order", "state"], columns="action", values="actions", aggfunc="sum",
                             fill_value=0)
    counts = counts[counts.sum().sort_values(ascending=False, kind="stable").index]
    return counts.droplevel("order").rename_axis(index=None, columns=None) * 1000.0 / accounts


def _pivot_table(frame: pd.DataFrame, caption: str, first: str) -> str:
    """``frame`` with a total column and a total row."""
    frame = frame.assign(all=frame.sum(axis=1))
    head = f"<th scope=\"col\">{esc(first)}</th>" + "".join(f"<th scope=\"col\">{esc(c)}</th>" for c in frame.columns)
    rows = [f"<tr><th scope=\"row\">{esc(state)}</th>"
            + "".join(f"<td class=\"num\">{esc(per_1000_text(v))}</td>" for v in values) + "</tr>"
            for state, values in zip(frame.index, frame.to_numpy())]
    total = frame.sum(axis=0)
    rows.append("<tr class=\"total\"><th scope=\"row\">all</th>"
                + "".join(f"<td class=\"num\">{esc(per_1000_text(v))}</td>" for v in total) + "</tr>")
    return _table(caption, head, rows, "kpi")


def strategy_block(res, name: str, table: pd.DataFrame) -> str:
    """One policy strategy: its policy in words, its actions by day and by account state, their
    channel cost."""
    labels = strategy_labels(res)
    st = res.scenario.strategies[name]
    words = lever_descriptions(st)
    policy = "; ".join(words[k] for k in policy_keys(st) if k in words)
    sub = table[table["strategy"] == name]
    parts = [f"<h3>{esc(labels.get(name, name))}</h3>", f"<p>{esc(policy[:1].upper() + policy[1:])}.</p>"]
    if sub.empty:
        return "".join(parts + ["<p class=\"note\">The policy took no action in these runs.</p>"])
    by_day = sub[sub["dimension"] == "day"]
    accounts, runs = float(by_day["accounts"].iloc[0]), int(by_day["replications"].iloc[0])
    actions, cost = by_day["actions"].sum(), by_day["channel_cost"].sum()
    day = pivot(sub, "day")
    busiest = day.sum(axis=1).idxmax()
    parts.append(f"<p>{actions * 1000.0 / accounts:,.0f} actions per 1,000 patient accounts, most of them "
                 f"{esc(busiest.replace('days', 'in days'))}; the channels' "
                 f"cost of its contacts ${cost * 1000.0 / accounts:,.0f} per 1,000 accounts (agent time, "
                 f"discounts and agency fees are in the collection cost). {runs} run{'s' * (runs != 1)} "
                 f"replayed.</p>")
    day = day.reindex([d for d in DAY_LABELS if d in day.index])
    parts.append(_pivot_table(day.T, f"{labels.get(name, name)}: actions per 1,000 accounts by "
                              f"{DIMENSIONS['day']}", "action"))
    for dim in ("last_outcome", "balance"):
        parts.append(_pivot_table(pivot(sub, dim), f"{labels.get(name, name)}: actions per 1,000 accounts by "
                                  f"{DIMENSIONS[dim]}", "when the policy acted"))
    return "".join(parts)


def policy_section(res):
    """The block (empty when no strategy runs a policy): a heading, the cost and burden of every
    strategy, what contacts ended in, then each policy strategy's actions by day and by state."""
    folder = getattr(res, "directory", None)
    table = load_policy_actions(folder) if folder is not None else None
    names = [n for n, st in res.scenario.strategies.items() if policy_keys(st)]
    if table is None or not names:
        return _html("")
    parts = ["<h2 id=\"policies\">What the collection policies do</h2>",
             "<p>A policy reacts to each account — a call not answered, a promise broken, no payment weeks "
             "after a letter — instead of following a calendar fixed at the statement. Below: what each "
             "strategy asks of patients and costs, what its contacts ended in, and for each policy the "
             "actions it took, by the days since the statement and by what the policy knew of the account "
             "when it acted (per 1,000 patient accounts billed).</p>",
             metric_table(res, list(BURDEN_METRICS), "Cost and burden on patients", note=False).data,
             metric_table(res, list(OUTCOME_METRICS), "What the contacts ended in (per 1,000 accounts)").data]
    parts.extend(strategy_block(res, name, table) for name in names)
    return _html("".join(parts))
