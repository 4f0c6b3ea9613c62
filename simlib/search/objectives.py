"""What the search maximises and what it must respect, read from a candidate's metrics.

* Objective: the NPV of net collections after the cost of keeping the cash floor
  (``npv_after_liquidity``) when the scenario reports it, else ``npv_net_cash``.
* Optional second objective (``search.burden``): a patient burden to keep low, contacts, calls or
  complaints per account: the search then returns a Pareto front (NSGA-II).
* Soft constraints (means over the runs): the caps of ``search.constraints`` on contacts, calls and
  complaints per account, and, when the scenario reports ``liquidity_infeasible`` (a cash floor),
  the share of runs in which the floor cannot be held even with the credit line.
* The plausibility envelope (``search.constraints.within_reported_ranges``, on by default): a
  candidate whose mean KPIs leave what hospitals have reported
  (:mod:`simlib.analysis.plausibility`) is infeasible, by its relative distance outside.
* Hard constraints are not scored here: the regulator's contact limits are part of every
  candidate and the engine never makes a contact they forbid; staff other than the phone team
  are the scenario's; the phone team stays within the variable's bounds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simlib.analysis import plausibility
from simlib.core.metric_catalogue import KEY_METRIC

LIQUIDITY_NPV, LIQUIDITY_INFEASIBLE = "npv_after_liquidity", "liquidity_infeasible"
CAPS = (("contacts_per_account", "contacts_per_account_max"), ("calls_per_account", "calls_per_account_max"),
        ("complaints_per_1000_accounts", "complaints_per_1000_accounts_max"))
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Goal:
    """The objective metric (maximised), the burden metric (minimised, or None) and the caps."""

    objective: str
    burden: str | None
    caps: tuple[tuple[str, float], ...]
    envelope: bool = False  # keep within the plausibility envelope

    @property
    def directions(self) -> list[str]:
        return ["maximize"] + (["minimize"] if self.burden else [])


@dataclass(frozen=True)
class Score:
    """A candidate's means over some runs: objective, burden, and each cap's excess (<= 0: met)."""

    objective: float
    burden: float | None
    excess: tuple[float, ...]
    replications: int
    outside: float = 0.0  # relative distance outside the plausibility envelope (0: inside)

    @property
    def feasible(self) -> bool:
        return all(e <= TOLERANCE for e in self.excess) and self.outside <= TOLERANCE

    @property
    def violation(self) -> float:
        return float(sum(max(0.0, e) for e in self.excess)) + self.outside

    def values(self) -> list[float]:
        return [self.objective] + ([self.burden] if self.burden is not None else [])


def goal_for(settings, metric_names) -> Goal:
    """The goal of a ``search:`` section, given the metrics the scenario's runs report."""
    names = set(metric_names)
    objective = LIQUIDITY_NPV if LIQUIDITY_NPV in names else KEY_METRIC
    c = settings.constraints
    caps = [(metric, getattr(c, field)) for metric, field in CAPS if getattr(c, field) is not None]
    if LIQUIDITY_INFEASIBLE in names:
        caps.append((LIQUIDITY_INFEASIBLE, c.liquidity_infeasible_share_max))
    return Goal(objective, settings.burden, tuple(caps), bool(c.within_reported_ranges))


def score(goal: Goal, runs: list[dict[str, float]]) -> Score:
    """Means of the goal's metrics over ``runs`` (one metrics dict per replication)."""
    def mean(metric: str) -> float:
        vals = [r.get(metric, math.nan) for r in runs]
        return float(np.mean(vals)) if vals else math.nan

    excess = tuple(mean(m) - cap for m, cap in goal.caps)
    outside = 0.0
    if goal.envelope:
        present = {m for r in runs for m in r}
        means = {m: mean(m) for m in plausibility.envelope() if m in present}
        outside = plausibility.excess(plausibility.check("candidate", means))
    return Score(mean(goal.objective), mean(goal.burden) if goal.burden else None, excess, len(runs), outside)


def constraint_values(goal: Goal, s: Score) -> list[float]:
    """Optuna's constraint values (<= 0 feasible): each cap's excess relative to the cap, then the
    distance outside the plausibility envelope when the goal keeps to it."""
    values = [e / max(abs(cap), 1.0) for e, (_, cap) in zip(s.excess, goal.caps)]
    return values + ([s.outside] if goal.envelope else [])


def dominates(a: Score, b: Score) -> bool:
    """``a`` is at least as good on both objectives and better on one (objective up, burden down)."""
    return (a.objective >= b.objective and a.burden <= b.burden
            and (a.objective > b.objective or a.burden < b.burden))


def front_ranks(scores: dict[str, Score]) -> dict[str, int]:
    """Non-dominated sorting: 0 for the Pareto front, 1 for the front once it is removed, …"""
    left, ranks, rank = dict(scores), {}, 0
    while left:
        front = [k for k, s in left.items() if not any(dominates(o, s) for j, o in left.items() if j != k)]
        for k in front:
            ranks[k] = rank
            del left[k]
        rank += 1
    return ranks


def ranked(scores: dict[str, Score]) -> list[str]:
    """Keys best first: feasible before infeasible (less excess first); then by Pareto rank when
    there is a burden; then by objective (higher first); ties by key (a stable order)."""
    two = any(s.burden is not None for s in scores.values())
    feasible = {k: s for k, s in scores.items() if s.feasible and math.isfinite(s.objective)}
    ranks = front_ranks(feasible) if two else {}
    good = sorted(feasible, key=lambda k: (ranks.get(k, 0), -feasible[k].objective, k))
    bad = sorted((k for k in scores if k not in feasible),
                 key=lambda k: (scores[k].violation, -np.nan_to_num(scores[k].objective, nan=-np.inf), k))
    return good + bad
