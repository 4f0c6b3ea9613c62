"""Insurer claims: first adjudication, denials, rework by the denials team, payer review, overturn.

A claim is adjudicated a pre-drawn lag after service. Paid at once, it is booked without a SimPy
process. Denied (per payer ``initial_denial_rate``), it becomes a process: each rework round waits
for the denials team (a capacity, :mod:`simlib.world.capacities.denials_team`) within the filing limit,
costs ``cost_per_rework``, and is followed by a payer review of 45–60 days after which the
denial is overturned with the payer's ``overturn_rate``; after the last round (or the filing limit)
the claim is a final denial, written off. Counters: ``claims_adjudicated``, ``claims_denied``,
``reworks``, ``reworks_expired``, ``denials_overturned``, ``claims_final_denial``.
"""
from __future__ import annotations

from simlib.core.ledger import Kind
from simlib.core.settings import cents

COUNTERS = {"claims_adjudicated": "claims adjudicated before the horizon",
            "claims_denied": "claims denied on first adjudication", "reworks": "rework rounds done",
            "reworks_expired": "denied claims whose filing limit passed while waiting for the team",
            "denials_overturned": "denials overturned on payer review",
            "claims_final_denial": "claims finally denied and written off"}


def adjudicate(world, i: int) -> None:
    """Claim ``i`` at its adjudication day: paid, or denied and handed to the denials team."""
    t = world.adjudication_day[i]
    if t > world.horizon:
        return
    world.counters["claims_adjudicated"] += 1
    if world.denied[i]:
        world.env.process(denied_claim(world, i, t))
    else:
        insurer_pays(world, 2 * i, world.claim_cents[i], t)


def denied_claim(world, i: int, t: float):
    """A denied claim: rework rounds by the denials team (a capacity), payer reviews, overturn."""
    env, pop, ops = world.env, world.pop, world.sc.operations
    r, amount = 2 * i, int(pop.claim_cents[i])
    payer = world.sc.payers[pop.payer_names[pop.payer[i]]]
    if t > env.now:
        yield env.timeout(t - env.now)
    world.count("claims_denied")
    world.trace(r, "denied")
    team, dt = world.denials, ops.denials_team
    limit = env.now + dt.filing_limit_days
    for k in range(dt.max_rounds if team is not None else 0):
        req = team.request()
        if not req.triggered:
            yield req | env.timeout(max(0.0, limit - env.now))
        if not req.triggered:
            req.cancel()
            world.count("reworks_expired")
            break
        yield env.timeout(dt.hours_per_rework / dt.hours_per_day)
        team.release(req)
        world.count("reworks")
        world.ledger.post(r, env.now, Kind.COST_REWORK, cents(dt.cost_per_rework))
        review = dt.payer_review_days_min + (dt.payer_review_days_max - dt.payer_review_days_min) \
            * pop.review_u[i, k]
        yield env.timeout(review)
        if pop.overturn_u[i, k] < payer.overturn_rate:
            world.count("denials_overturned")
            insurer_pays(world, r, amount, env.now)
            return
    world.count("claims_final_denial")
    world.ledger.post(r, env.now, Kind.WRITE_OFF_DENIAL, amount)
    world.open_cents[r] = 0
    world.trace(r, "final denial")


def insurer_pays(world, r: int, amount: int, day: float) -> None:
    world.ledger.post(r, day, Kind.PAYMENT_INSURER, amount)
    world.open_cents[r] = 0
    world.trace(r, "insurer paid", day)
