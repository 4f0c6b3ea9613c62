"""What each lever contributes to a strategy that combines several: its gain over the status quo
split by lever, on common random numbers.

**Which levers a strategy combines.** Each registered lever's section of the strategy
(:func:`simlib.levers.registered_levers`) is compared with the status quo's; a section that
differs is a lever of the combination, with three rules that keep every part a strategy a
hospital could run (and a valid scenario):

1. the reminder ladder counts *by channel kind*: its message steps (letters, e-mail, SMS, …) and
   its calls are separate levers when both change ("text messages" and "calls"); steps of one
   kind are compared as a list, so moving a letter from day 30 to day 20 is a change of messages;
2. the phone team goes with the calls (a call step needs a team; a team without calls is idle);
3. the contact limits go with the messages they restrain (with the calls when only calls change;
   on their own when the ladder does not change): they bring no money of their own.

**The sub-strategies.** For a set S of those levers, the sub-strategy is the status quo with the
combined strategy's sections of the levers in S swapped in (for the ladder: the combined
strategy's steps of the kinds in S, the status quo's steps of the other kinds, in order of day).
Each is built as data and validated through the :class:`~simlib.scenario.schema.Scenario` model, so a
part that is not a valid strategy is refused with the scenario's own message. All of them run in
**one experiment** with the seed of the main run: every sub-strategy sees the same patients in each
replication (seeds never depend on the strategy), and the empty and full sets reproduce the
status quo and the combined strategy of the main run exactly, run by run.

**The split.** With v(S) a run's key metric under sub-strategy S:

* up to :data:`SHAPLEY_MAX_LEVERS` levers, the **Shapley value** φ_i = Σ_S |S|!(n−|S|−1)!/n! ·
  (v(S ∪ {i}) − v(S)) over the 2^n subsets: the lever's gain averaged over every order in which
  the levers could be added. The φ_i sum exactly to v(all) − v(none) (efficiency; computed in
  exact rational arithmetic), a lever that changes nothing gets exactly 0, and two levers that
  act the same get the same share;
* above it, **add-one** (v({i}) − v(∅): the lever alone on the status quo) and **leave-one-out**
  (v(all) − v(all without i): what removing it from the combination loses), 2n + 2 runs; they do
  not sum to the total, and the difference total − Σ add-one is reported as the **interaction**.

Every contribution is computed run by run and given with its t-based 95 % CI across runs.
"""
from __future__ import annotations

from simlib.core.language import _

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any, Literal

import pandas as pd

from simlib.core.attribution import add_one, leave_one_out, shapley_values
from simlib.core.metric_catalogue import KEY_METRIC

#: Shapley values up to this many levers (2^5 = 32 sub-strategies); add-one and leave-one-out above.
SHAPLEY_MAX_LEVERS = 5

def lever_title(key: str) -> str:
    """The board's short name of a lever (its ``title``, in its module; unknown: its key in words)."""
    from simlib.levers import registered_levers

    lever = registered_levers().get(key)
    return lever.board_title() if lever is not None else key.replace("_", " ").capitalize()


MESSAGE_KIND, CALL_KIND = "message", "call"


class ContributionError(ValueError):
    """The strategy cannot be split into levers (one lever, or a part that is not a valid strategy)."""


@dataclass(frozen=True)
class LeverGroup:
    """One lever of a combination: the strategy sections it swaps in whole, and the channel kinds
    whose ladder steps it swaps in; ``label`` and ``changes`` are its plain words."""

    key: str
    label: str
    changes: str
    sections: tuple[str, ...] = ()
    channel_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    """The decomposition of ``strategy``: its levers, the method, and the scenario that runs every
    needed sub-strategy (``subsets``: the levers switched on -> the sub-strategy's name)."""

    strategy: str
    baseline: str
    method: Literal["shapley", "add_one"]
    groups: tuple[LeverGroup, ...]
    subsets: dict[frozenset, str]
    scenario: Any


# ------------------------------------------------------------------------------- the levers
def _kind(scenario, step) -> str:
    return scenario.channels[step.channel].kind


def _steps_of(scenario, ladder, kind: str) -> list:
    return [s for s in ladder if _kind(scenario, s) == kind]


def _differing_kinds(scenario, base, full) -> list[str]:
    kinds = dict.fromkeys(_kind(scenario, s) for s in [*base.ladder, *full.ladder])
    return [k for k in kinds if _steps_of(scenario, base.ladder, k) != _steps_of(scenario, full.ladder, k)]


def differing_sections(scenario, strategy: str, baseline: str | None = None) -> list[str]:
    """The registered levers' keys whose section in ``strategy`` differs from the status quo's."""
    from simlib.levers import registered_levers

    base = scenario.strategies[baseline or scenario.baseline_strategy]
    full = scenario.strategies[strategy]
    return [k for k in registered_levers() if getattr(full, k) != getattr(base, k)]


def _words(key: str, settings) -> str:
    from simlib.levers import registered_levers

    return registered_levers()[key].describe(settings)


def _ladder_words(scenario, base, full, kind: str) -> str:
    from simlib.levers.reminders import Ladder

    before, after = _steps_of(scenario, base.ladder, kind), _steps_of(scenario, full.ladder, kind)
    added = [s for s in after if s not in before]
    removed = [s for s in before if s not in after]
    prefix = _("reminders: {steps}").split("{steps}")[0]
    parts = [_("adds {steps}").format(steps=Ladder.describe(added).removeprefix(prefix))] if added else []
    if removed:
        parts.append(_("drops {steps}").format(steps=Ladder.describe(removed).removeprefix(prefix)))
    return "; ".join(parts)


def _kind_label(scenario, base, full, kind: str) -> str:
    from simlib.core.words import id_words

    if kind == CALL_KIND:
        return _("Phone calls")
    steps = [*_steps_of(scenario, base.ladder, kind), *_steps_of(scenario, full.ladder, kind)]
    changed = [s for s in steps if (s in base.ladder) != (s in full.ladder)] or steps
    channels = list(dict.fromkeys(id_words(s.channel) for s in changed))
    names = _(" and ").join([", ".join(channels[:-1]), channels[-1]] if len(channels) > 1 else channels)
    if kind == MESSAGE_KIND and channels == ["SMS"]:
        return _("Text-message reminders")
    label = (_("{channels} reminders") if kind == MESSAGE_KIND else _("{channels} {kind} contacts")).format(
        channels=names, kind=id_words(kind))
    return label[:1].upper() + label[1:]


def group_words() -> dict[str, tuple[str, str]]:
    """The label and words of the interaction and total rows, in the language in force."""
    return {"interaction": (_("Interaction"), _("the total gain less the levers' gains added one at a time")),
            "total": (_("All levers together"), _("the whole strategy against the status quo"))}


def lever_groups(scenario, strategy: str, baseline: str | None = None) -> list[LeverGroup]:
    """The levers ``strategy`` combines against the status quo, by the rules of the module's
    docstring (ladder by channel kind; the phone team with the calls; contact limits with the
    messages), in the registry's order."""
    baseline = baseline or scenario.baseline_strategy
    base, full = scenario.strategies[baseline], scenario.strategies[strategy]
    keys = differing_sections(scenario, strategy, baseline)
    kinds = _differing_kinds(scenario, base, full) if "ladder" in keys else []
    joined: dict[str, list[str]] = {k: [] for k in kinds}
    if "phone_team" in keys and CALL_KIND in joined:
        joined[CALL_KIND].append("phone_team")
    if "contact_limits" in keys and joined:
        joined[MESSAGE_KIND if MESSAGE_KIND in joined else next(iter(joined))].append("contact_limits")
    taken = {k for ks in joined.values() for k in ks}
    groups = []
    for key in keys:
        if key == "ladder" and kinds:
            for kind in kinds:
                words = [_ladder_words(scenario, base, full, kind)]
                words += [_words(k, getattr(full, k)) for k in joined[kind]]
                label = _kind_label(scenario, base, full, kind)
                others = [lever_title(k).lower() for k in joined[kind] if k != "phone_team"]
                if others:
                    label = _("{label} with {levers}").format(label=label, levers=_(" and ").join(others))
                groups.append(LeverGroup(kind, label,
                                         "; ".join(w for w in words if w), tuple(joined[kind]), (kind,)))
        elif key not in taken:
            now, before = _words(key, getattr(full, key)), _words(key, getattr(base, key))
            changes = (now or _("none")) + (_(" (status quo: {before})").format(before=before) if before else "")
            groups.append(LeverGroup(key, lever_title(key),
                                     changes, (key,)))
    return groups


# ------------------------------------------------------------------------------- sub-strategies
def _merged_ladder(scenario, base, full, kinds_on: set[str], differing: set[str]) -> list[dict]:
    """The combined strategy's steps of the kinds switched on and the status quo's of the others,
    in order of day (the full and the empty sets give either ladder exactly as written)."""
    if differing <= kinds_on:
        steps = list(full.ladder)
    elif not (differing & kinds_on):
        steps = list(base.ladder)
    else:
        steps = sorted([s for s in full.ladder if _kind(scenario, s) in kinds_on]
                       + [s for s in base.ladder if _kind(scenario, s) not in kinds_on], key=lambda s: s.day)
    return [s.model_dump(mode="json") for s in steps]


def sub_strategy(scenario, strategy: str, groups: Sequence[LeverGroup], on: Iterable[str],
                 baseline: str | None = None) -> dict:
    """The data of the status quo with the levers ``on`` (group keys) of ``strategy`` swapped in."""
    baseline = baseline or scenario.baseline_strategy
    base, full = scenario.strategies[baseline], scenario.strategies[strategy]
    on = set(on)
    data = base.model_dump(mode="json")
    full_data = full.model_dump(mode="json")
    for group in groups:
        if group.key in on:
            for key in group.sections:
                data[key] = full_data[key]
    kinds = {k for g in groups for k in g.channel_kinds}
    if kinds:
        kinds_on = {k for g in groups if g.key in on for k in g.channel_kinds}
        data["ladder"] = _merged_ladder(scenario, base, full, kinds_on, kinds)
    names = [g.label for g in groups if g.key in on]
    data.update(baseline=False, label=None,
                description=f"The status quo with: {', '.join(names)}" if names else "The status quo")
    return data


def _subsets(n: int, method: str) -> list[tuple[int, ...]]:
    if method == "shapley":
        return [c for size in range(n + 1) for c in combinations(range(n), size)]
    every = tuple(range(n))
    out = [(), every, *((i,) for i in every), *(tuple(j for j in every if j != i) for i in every)]
    return list(dict.fromkeys(out))


def _sections(strategy) -> dict:
    """A strategy's lever sections as data (what it does; not its name, words or baseline flag)."""
    return {k: v for k, v in strategy.model_dump(mode="json").items() if k not in ("label", "description", "baseline")}


def design(scenario, strategy: str, *, baseline: str | None = None, shapley_max: int = SHAPLEY_MAX_LEVERS,
           reuse: bool = False) -> Design:
    """The levers of ``strategy``, the method (Shapley up to ``shapley_max`` levers) and a
    validated scenario holding every sub-strategy the method needs. With ``reuse``, a part that is
    one of the scenario's own strategies (the status quo, the strategy itself, a hand-written
    one-lever strategy) is named by that strategy and left out of the scenario to run: its runs
    are the main run's (the same patients, by common random numbers); ``scenario`` is None when
    every part is one of them."""
    from simlib.scenario.schema import ScenarioError, scenario_from_dict

    baseline = baseline or scenario.baseline_strategy
    if strategy not in scenario.strategies:
        raise ContributionError(f"strategy {strategy!r} is not in the scenario; expected one of "
                                f"{sorted(scenario.strategies)}")
    groups = tuple(lever_groups(scenario, strategy, baseline))
    if len(groups) < 2:
        raise ContributionError(f"strategy {strategy!r} changes {len(groups)} lever(s) of the status quo "
                                f"{baseline!r}; a decomposition needs at least two")
    method = "shapley" if len(groups) <= shapley_max else "add_one"
    subsets: dict[frozenset, str] = {}
    strategies: dict[str, dict] = {}
    for combo in _subsets(len(groups), method):
        on = frozenset(groups[i].key for i in combo)
        if not on:
            name = baseline
            strategies[name] = scenario.strategies[baseline].model_dump(mode="json")
        else:
            name = f"{strategy}[{'+'.join(g.key for g in groups if g.key in on)}]"
            while name in scenario.strategies:  # never a name of the scenario's own strategies
                name += "'"
            strategies[name] = sub_strategy(scenario, strategy, groups, on, baseline)
        subsets[on] = name
    data = scenario.model_dump(mode="json")

    def validated(parts: dict[str, dict]):
        try:
            return scenario_from_dict({**data, "strategies": parts}, f"the levers of strategy {strategy!r}")
        except ScenarioError as exc:
            raise ContributionError(f"the levers of {strategy!r} cannot be run apart: "
                                    f"{'; '.join(exc.problems)}") from None

    sc = validated(strategies)  # every part, so that each is checked as a strategy
    if reuse:
        own = {name: _sections(st) for name, st in scenario.strategies.items()}
        for on, name in list(subsets.items()):
            match = next((k for k, sec in own.items() if sec == _sections(sc.strategies[name])), None)
            if match is not None:
                strategies.pop(name)
                subsets[on] = match
        sc = validated(strategies) if strategies else None
    return Design(strategy, baseline, method, groups, subsets, sc)


# ------------------------------------------------------------------------------- the split
def per_replication(metrics: pd.DataFrame, plan: Design, metric: str = KEY_METRIC) -> pd.DataFrame:
    """Run by run: each lever's ``contribution`` (Shapley value, or add-one), ``alone`` (add-one)
    and ``last`` (leave-one-out), and the ``total`` gain; one row per replication and lever
    (lever ``total``, and ``interaction`` = total − Σ add-one for the add-one method)."""
    rows = metrics[metrics["metric"] == metric]
    if rows.empty:
        raise ContributionError(f"no values of {metric!r} in the decomposition's results")
    wide = rows.pivot(index="replication", columns="strategy", values="value")
    players = [g.key for g in plan.groups]
    every = frozenset(players)
    out = []
    for rep, row in wide.iterrows():
        v = {on: Fraction(float(row[name])) for on, name in plan.subsets.items()}
        total = v[every] - v[frozenset()]
        alone, last = add_one(v, players), leave_one_out(v, players)
        main = shapley_values(v, players) if plan.method == "shapley" else alone
        for p in players:
            out.append((rep, p, main[p], alone[p], last[p]))
        if plan.method == "add_one":
            out.append((rep, "interaction", total - sum(alone.values()), math.nan, math.nan))
        out.append((rep, "total", total, total, total))
    return pd.DataFrame(out, columns=["replication", "lever", "contribution", "alone", "last"])


def contribution_table(metrics: pd.DataFrame, plan: Design, metric: str = KEY_METRIC,
                       confidence: float = 0.95) -> pd.DataFrame:
    """One row per lever (then ``interaction`` for add-one, then ``total``): its words, the mean
    contribution with its ``confidence`` CI across runs, its ``share`` of the total gain, and the
    add-one (``alone``) and leave-one-out (``last``) gains with their CIs."""
    from simlib.analysis.summaries import summarize

    runs = per_replication(metrics, plan, metric)
    tidy = runs.melt(id_vars=["replication", "lever"], var_name="metric", value_name="value")
    tidy["value"] = tidy["value"].astype(float)
    tidy = tidy.rename(columns={"lever": "strategy"}).dropna(subset=["value"])
    summ = summarize(tidy, confidence).set_index(["strategy", "metric"])
    exact_total = sum(runs.loc[runs["lever"] == "total", "contribution"], Fraction(0))
    total = float(exact_total / max(1, int((runs["lever"] == "total").sum())))
    words = {g.key: (g.label, g.changes) for g in plan.groups}
    words.update(group_words())
    order = [g.key for g in plan.groups] + (["interaction"] if plan.method == "add_one" else []) + ["total"]
    out = []
    for key in order:
        rec = {"lever": key, "label": words[key][0], "changes": words[key][1]}
        for col in ("contribution", "alone", "last"):
            if (key, col) in summ.index:
                r = summ.loc[(key, col)]
                rec.update({col: float(r["mean"]), f"{col}_ci_low": float(r["ci_low"]),
                            f"{col}_ci_high": float(r["ci_high"])})
            else:
                rec.update({col: math.nan, f"{col}_ci_low": math.nan, f"{col}_ci_high": math.nan})
        rec["share"] = rec["contribution"] / total if total != 0 else math.nan
        out.append(rec)
    table = pd.DataFrame(out)
    table["strategy"], table["baseline"], table["method"] = plan.strategy, plan.baseline, plan.method
    table["metric"], table["replications"] = metric, int(runs["replication"].nunique())
    return table


def run_contributions(scenario, strategy: str, replications: int, seed: int | None = None,
                      workers: int | None = None, scheduler: str | None = None,
                      metric: str = KEY_METRIC, shapley_max: int = SHAPLEY_MAX_LEVERS,
                      known_metrics: pd.DataFrame | None = None, progress: bool = False) -> pd.DataFrame:
    """Run every sub-strategy of ``strategy`` in one experiment and return
    :func:`contribution_table`. ``seed`` should be the main run's: the runs are then the main
    run's first ``replications`` runs, and with ``known_metrics`` (the main run's metrics table)
    the parts that are strategies of the scenario are taken from it instead of run again.
    ``progress`` shows a progress bar (tqdm: a widget in JupyterLab)."""
    from simlib.run.experiment import run_experiment

    plan = design(scenario, strategy, shapley_max=shapley_max, reuse=known_metrics is not None)
    parts = []
    if plan.scenario is not None:
        parts.append(run_experiment(plan.scenario, replications=replications, seed=seed, workers=workers,
                                    scheduler=scheduler, progress=progress).metrics)
    reused = set(plan.subsets.values()) & set(scenario.strategies) - (
        set(plan.scenario.strategies) if plan.scenario is not None else set())
    if reused:
        known = known_metrics[known_metrics["strategy"].isin(reused) & (known_metrics["metric"] == metric)
                              & (known_metrics["replication"] < replications)]
        have = known.groupby("strategy")["replication"].nunique().reindex(sorted(reused)).fillna(0)
        if (have < replications).any():
            raise ContributionError(f"the main run lacks runs 0–{replications - 1} of "
                                    f"{sorted(have[have < replications].index)}")
        parts.append(known)
    return contribution_table(pd.concat(parts, ignore_index=True), plan, metric)
