"""Insurer claims: first adjudication, denials, rework by the denials team, payer review, overturn.

A claim is adjudicated a pre-drawn lag after service. Paid at once, it is booked without a SimPy
process. Denied (per payer ``initial_denial_rate``), it becomes a process: each rework round waits
for the denials team (a capacity, :mod:`simlib.world.capacities.denials_team`) within the filing limit,
costs ``cost_per_rework``, and is followed by a payer review of 45–60 days after which the
denial is overturned with the payer's ``overturn_rate``; after the last round (or the filing limit)
the claim is a final denial, written off. Counters: ``claims_adjudicated``, ``claims_denied``,
``reworks``, ``reworks_expired``, ``denials_overturned``, ``claims_final_denial``.

A payer with ``tiers_payant`` owes a penalty for a claim paid on first adjudication after its
deadline in working days (a ``LATE_PAYMENT_PENALTY`` row on the claim: income, no balance
movement; :mod:`simlib.scenario.second_payer`). A denied claim paid after review owes none (the
penalty is for the insurer's delay, and a denial's delay is the rework's).

A secondary payer's claim (receivable ``2n + i``) is decided at once too: paid, or denied and
passed to the patient (two transfer rows; the patient's statement follows the decision). Counters:
``secondary_claims``, ``secondary_denials``, ``late_penalty_claims``.
"""
from __future__ import annotations

from simlib.core.ledger import Kind
from simlib.core.receivables import secondary_receivable
from simlib.core.settings import cents
from simlib.scenario.second_payer import late_penalty_cents, working_day_of_payment

COUNTERS = {"claims_adjudicated": "claims adjudicated before the horizon",
            "claims_denied": "claims denied on first adjudication", "reworks": "rework rounds done",
            "reworks_expired": "denied claims whose filing limit passed while waiting for the team",
            "denials_overturned": "denials overturned on payer review",
            "claims_final_denial": "claims finally denied and written off",
            "secondary_claims": "secondary payers' claims decided before the horizon",
            "secondary_denials": "secondary payers' claims denied (passed to the patient)",
            "late_penalty_claims": "claims a tiers-payant insurer paid late (a penalty owed)"}


def adjudicate(world, i: int) -> None:
    """Claim ``i`` at its adjudication day: paid, or denied and handed to the denials team."""
    t = world.adjudication_day[i]
    if t > world.horizon:
        return
    world.counters["claims_adjudicated"] += 1
    decide(world, i, t)


def decide(world, i: int, t: float) -> None:
    """Claim ``i`` decided on day ``t`` (counted already): paid, or denied and handed to the
    denials team (the hybrid engine calls it for the paid claims it does not book in bulk,
    :mod:`simlib.model.hybrid_bills`, and runs the denied ones in :mod:`simlib.model.hybrid_denials`)."""
    if world.denied[i]:
        world.env.process(denied_claim(world, i, t))
    else:
        insurer_pays(world, 2 * i, world.claim_cents[i], t)
        if world.tiers_payant is not None and world.tiers_payant[i] is not None:
            _late_penalty(world, i, t)


def _late_penalty(world, i: int, paid_day: float) -> None:
    """The tiers-payant penalty the insurer owes for claim ``i`` paid on ``paid_day``, if late."""
    pop = world.pop
    submitted = float(pop.service_day[i] + pop.submit_lag[i])
    due = late_penalty_cents(world.tiers_payant[i], world.claim_cents[i],
                             working_day_of_payment(submitted, paid_day))
    if due:
        world.count("late_penalty_claims")
        world.ledger.post(2 * i, paid_day, Kind.LATE_PAYMENT_PENALTY, due)
        world.trace(2 * i, "late-payment penalty", paid_day)


def secondary_claim(world, i: int) -> int:
    """Book encounter ``i``'s secondary claim (billed at service, decided at its day): paid, or
    denied and passed to the patient. Returns the cents passed to the patient (0 if paid or still
    undecided at the horizon)."""
    pop, amount = world.pop, world.secondary_cents[i]
    rs = secondary_receivable(i, pop.n)
    world.ledger.post(rs, world.service_day[i], Kind.BILLED, amount)
    day = float(world.adjudication_day_secondary[i])
    if day > world.horizon:
        world.open_cents[rs] = amount
        return 0
    world.count("secondary_claims")
    if pop.secondary_denied[i]:
        world.count("secondary_denials")
        world.ledger.post(rs, day, Kind.TRANSFER_TO_PATIENT, amount)
        world.ledger.post(2 * i + 1, day, Kind.TRANSFER_FROM_PAYER, amount)
        world.trace(rs, "secondary denied: passed to the patient", day)
        return amount
    world.ledger.post(rs, day, Kind.PAYMENT_INSURER, amount)
    world.trace(rs, "secondary paid", day)
    return 0


def denied_claim(world, i: int, t: float):
    """A denied claim: rework rounds by the denials team (a capacity), payer reviews, overturn.
    (The hybrid engine's :mod:`simlib.model.hybrid_denials` is the same steps without a process:
    change both together; ``tests/test_hybrid.py`` holds them equal.)"""
    env, pop, ops = world.env, world.pop, world.sc.operations
    r, amount = 2 * i, int(world.claim_cents[i])
    payer = world.sc.payers[world.payer_of[i]]
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
    """The insurer pays claim ``r``; a vendor owed a share of it (``world.insurer_payment_fees``:
    coverage discovery's contingency fee) is paid the same day."""
    world.ledger.post(r, day, Kind.PAYMENT_INSURER, amount)
    fee = world.insurer_payment_fees.get(r)
    if fee is not None:
        world.ledger.post(r, day, fee[1], int(round(amount * fee[0])))
    world.open_cents[r] = 0
    world.trace(r, "insurer paid", day)
