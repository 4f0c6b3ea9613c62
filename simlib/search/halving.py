"""Successive halving: the screened candidates are cut down rung by rung, each rung keeping the
best 1/``halving_factor`` of the previous one and simulating them on ``halving_factor`` times as
many runs (Jamieson & Talwalkar 2016; Li et al. 2018, Hyperband's inner loop), until at most
``finalists`` are left or the next rung would need the full number of runs — which only the
final selection spends, on fresh runs.

Every rung's runs are the same patients for every candidate (common random numbers) and a rung
re-uses the runs of the rung before it (replication numbers 0 … n−1 of the search's own range),
so promoting a candidate costs only its extra runs.
"""
from __future__ import annotations

import math

from simlib.search.evaluate import SEARCH_REPLICATION_BASE, Evaluator
from simlib.search.objectives import Goal, Score, ranked, score
from simlib.search.space import Candidate


def rung_replications(screening: int, factor: int, full: int) -> list[int]:
    """Runs per candidate on each rung: ``screening``, × factor, … while below ``full``."""
    out = [screening]
    while out[-1] * factor < full:
        out.append(out[-1] * factor)
    return out


def search_replications(n: int) -> range:
    return range(SEARCH_REPLICATION_BASE, SEARCH_REPLICATION_BASE + n)


def rung_scores(evaluator: Evaluator, goal: Goal, candidates: list[Candidate], n: int,
                accounts_share: float = 1.0) -> dict[str, Score]:
    return {c.key: score(goal, evaluator.metrics(c, search_replications(n), accounts_share)) for c in candidates}


def successive_halving(candidates: list[Candidate], evaluator: Evaluator, goal: Goal, settings,
                       full_replications: int, bar=None) -> tuple[list[Candidate], list[dict]]:
    """Finalists, best first, from ``candidates`` (distinct, already simulated on the screening
    rung), and one record per rung: its runs, how many candidates and the best objective."""
    reps = rung_replications(settings.screening_replications, settings.halving_factor, full_replications)
    share = settings.screening_accounts_share
    scores = rung_scores(evaluator, goal, candidates, reps[0], share)
    order = ranked(scores)
    by_key = {c.key: c for c in candidates}
    history = [_record(0, reps[0], share, order, scores)]
    for rung, n in enumerate(reps[1:], start=1):
        if len(order) <= settings.finalists:
            break
        keep = max(settings.finalists, math.ceil(len(order) / settings.halving_factor))
        promoted = [by_key[k] for k in order[:keep]]
        evaluator.run(promoted, search_replications(n), bar=bar)
        scores = rung_scores(evaluator, goal, promoted, n)
        order = ranked(scores)
        history.append(_record(rung, n, 1.0, order, scores))
    return [by_key[k] for k in order[:settings.finalists]], history


def _record(rung: int, n: int, share: float, order: list[str], scores: dict[str, Score]) -> dict:
    best = scores[order[0]] if order else None
    return {"rung": rung, "replications": n, "accounts_share": share, "candidates": len(order),
            "feasible": sum(1 for s in scores.values() if s.feasible),
            "best_objective": best.objective if best else math.nan}


def halving_cost(n_screened: int, settings, full_replications: int) -> int:
    """Simulations successive halving will spend after screening (for the progress bar)."""
    reps = rung_replications(settings.screening_replications, settings.halving_factor, full_replications)
    total, count, prev = 0, n_screened, reps[0]
    for rung, n in enumerate(reps[1:], start=1):
        if count <= settings.finalists:
            break
        count = max(settings.finalists, math.ceil(count / settings.halving_factor))
        reused = prev if rung > 1 or settings.screening_accounts_share == 1.0 else 0
        total += count * (n - reused)
        prev = n
    return total
