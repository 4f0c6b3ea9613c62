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
from simlib.core.language import N_, _, localised, money_text, ngettext, number_text, speech
from simlib.report.markup import _html, esc, html_words
from simlib.report.policy_data import (ACTION_WORDS, BALANCE_EDGES, BALANCE_LABELS, DAY_LABELS, DIMENSIONS,
                                       FINAL_NOTICE, load_policy_actions)
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


#: the outcomes as the policy table keeps them (``id_words`` of simlib.policies.outcomes.OUTCOMES), for the catalogue
OUTCOME_WORDS = (N_("no answer"), N_("right party"), N_("promise"), N_("plan requested"), N_("dispute"),
                 N_("assistance application"), N_("refusal"), N_("promise kept"), N_("promise broken"),
                 N_("bounced"), N_("returned"), N_("inbound"))
#: the busiest days since the statement, inside a sentence ("most of them in days 0–14")
DAY_WHEN = (N_("in days 0–14"), N_("in days 15–30"), N_("in days 31–60"), N_("in days 61–90"),
            N_("in days 91–180"), N_("after day 180"))


def per_1000_text(value: float) -> str:
    """A rate per 1,000 accounts: one decimal below 10, none above; a dash for none."""
    if value == 0:
        return "–"
    return localised(f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}")


def balance_words(order: int) -> str:
    """The balance bracket ``order`` (:data:`BALANCE_EDGES`) in the money and language in force:
    the saved label in US English and dollars (``"$200–500"``), else ``"200 €–500 €"``."""
    if speech().is_us_default:
        return BALANCE_LABELS[order]
    edges = BALANCE_EDGES
    if order == 0:
        return _("under {amount}").format(amount=money_text(edges[1]))
    if order == len(edges) - 1:
        return _("{amount} and more").format(amount=money_text(edges[-1]))
    return f"{money_text(edges[order])}–{money_text(edges[order + 1])}"


def state_words(dimension: str, order: int, state: str) -> str:
    """A state of the policy table (saved in English) in the language in force; a channel's name,
    which is the scenario author's, as written."""
    if dimension == "balance":
        return balance_words(int(order))
    return _(state)


def action_words(action: str) -> str:
    """An action of the policy table (saved in English) in the language in force: a channel's name
    as the scenario's author wrote it."""
    head = FINAL_NOTICE.split("{", 1)[0]
    if action.startswith(head):
        return _(FINAL_NOTICE).format(channel=channel_words(action[len(head):]))
    return _(action) if action in ACTION_WORDS.values() else channel_words(action)


def channel_words(channel: str) -> str:
    """A channel's name as the table keeps it: a built-in channel (call, letter, email, …) in the
    language in force, a name of the scenario's author as written."""
    from simlib.core.words import BUILT_IN_WORDS

    word = channel[:1].upper() + channel[1:]
    if word not in BUILT_IN_WORDS:
        return channel
    text = _(word)
    first = text.split(" ", 1)[0]
    return text if any(c.isupper() for c in first[1:]) else text[:1].lower() + text[1:]


def pivot(table: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Actions per 1,000 accounts of one strategy: ``dimension``'s states as rows (in their order, in
    the language in force), actions as columns (most frequent first)."""
    sub = table[table["dimension"] == dimension]
    accounts = float(sub["accounts"].iloc[0])
    sub = sub.assign(state=[state_words(dimension, o, st) for o, st in zip(sub["order"], sub["state"])],
                     action=sub["action"].map(action_words))
    counts = sub.pivot_table(index=["order", "state"], columns="action", values="actions", aggfunc="sum",
                             fill_value=0)
    counts = counts[counts.sum().sort_values(ascending=False, kind="stable").index]
    return counts.droplevel("order").rename_axis(index=None, columns=None) * 1000.0 / accounts


def _pivot_table(frame: pd.DataFrame, caption: str, first: str) -> str:
    """``frame`` with a total column and a total row."""
    everything = _("all")
    frame = frame.assign(**{everything: frame.sum(axis=1)})
    head = f"<th scope=\"col\">{esc(first)}</th>" + "".join(f"<th scope=\"col\">{esc(c)}</th>" for c in frame.columns)
    rows = [f"<tr><th scope=\"row\">{esc(state)}</th>"
            + "".join(f"<td class=\"num\">{esc(per_1000_text(v))}</td>" for v in values) + "</tr>"
            for state, values in zip(frame.index, frame.to_numpy())]
    total = frame.sum(axis=0)
    rows.append(f"<tr class=\"total\"><th scope=\"row\">{esc(everything)}</th>"
                + "".join(f"<td class=\"num\">{esc(per_1000_text(v))}</td>" for v in total) + "</tr>")
    return _table(caption, head, rows, "kpi")


def strategy_block(res, name: str, table: pd.DataFrame) -> str:
    """One policy strategy: its policy in words, its actions by day and by account state, their
    channel cost."""
    labels = strategy_labels(res)
    label = labels.get(name, name)
    st = res.scenario.strategies[name]
    words = lever_descriptions(st)
    policy = "; ".join(words[k] for k in policy_keys(st) if k in words)
    sub = table[table["strategy"] == name]
    parts = [f"<h3>{esc(label)}</h3>", f"<p>{esc(policy[:1].upper() + policy[1:])}.</p>"]
    if sub.empty:
        return "".join(parts + ["<p class=\"note\">" + html_words(_("The policy took no action in these runs."))
                                + "</p>"])
    by_day = sub[sub["dimension"] == "day"]
    accounts, runs = float(by_day["accounts"].iloc[0]), int(by_day["replications"].iloc[0])
    actions, cost = by_day["actions"].sum(), by_day["channel_cost"].sum()
    day = pivot(sub, "day")
    busiest = int(by_day.groupby("order")["actions"].sum().idxmax())
    parts.append("<p>" + html_words(ngettext(
        "{actions} actions per 1,000 patient accounts, most of them {when}; the channels' cost of its contacts "
        "{cost} per 1,000 accounts (agent time, discounts and agency fees are in the collection cost). {runs} run "
        "replayed.",
        "{actions} actions per 1,000 patient accounts, most of them {when}; the channels' cost of its contacts "
        "{cost} per 1,000 accounts (agent time, discounts and agency fees are in the collection cost). {runs} runs "
        "replayed.", runs), actions=number_text(actions * 1000.0 / accounts), when=_(DAY_WHEN[busiest]),
        cost=money_text(cost * 1000.0 / accounts), runs=runs) + "</p>")
    day = day.reindex([_(d) for d in DAY_LABELS if _(d) in day.index])
    parts.append(_pivot_table(day.T, _("{strategy}: actions per 1,000 accounts by {dimension}").format(
        strategy=label, dimension=_(DIMENSIONS["day"])), _("action")))
    for dim in ("last_outcome", "balance"):
        parts.append(_pivot_table(pivot(sub, dim), _("{strategy}: actions per 1,000 accounts by {dimension}").format(
            strategy=label, dimension=_(DIMENSIONS[dim])), _("when the policy acted")))
    return "".join(parts)


def policy_section(res):
    """The block (empty when no strategy runs a policy): a heading, the cost and burden of every
    strategy, what contacts ended in, then each policy strategy's actions by day and by state."""
    folder = getattr(res, "directory", None)
    table = load_policy_actions(folder) if folder is not None else None
    names = [n for n, st in res.scenario.strategies.items() if policy_keys(st)]
    if table is None or not names:
        return _html("")
    parts = [f"<h2 id=\"policies\">{esc(_('What the collection policies do'))}</h2>",
             "<p>" + html_words(_(
                 "A policy reacts to each account — a call not answered, a promise broken, no payment weeks "
                 "after a letter — instead of following a calendar fixed at the statement. Below: what each "
                 "strategy asks of patients and costs, what its contacts ended in, and for each policy the "
                 "actions it took, by the days since the statement and by what the policy knew of the account "
                 "when it acted (per 1,000 patient accounts billed).")) + "</p>",
             metric_table(res, list(BURDEN_METRICS), N_("Cost and burden on patients"), note=False).data,
             metric_table(res, list(OUTCOME_METRICS), N_("What the contacts ended in (per 1,000 accounts)")).data]
    parts.extend(strategy_block(res, name, table) for name in names)
    return _html("".join(parts))
