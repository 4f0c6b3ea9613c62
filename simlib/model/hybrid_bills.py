"""The hybrid engine's bills and first adjudications in bulk (issue 27): what needs no process.

The pure engine books each encounter one by one (:meth:`simlib.model.engine.World._start_encounter`):
the claim's ``BILLED`` row, its first adjudication (:func:`simlib.model.claims.adjudicate`), the
secondary's claim, the patient's ``BILLED`` row, what levers take at service, and the patient
account. With the hybrid engine, :func:`start_encounters` books with NumPy, once for all
encounters, the rows whose day and cents are known before the run and touch nothing shared:

- every claim's ``BILLED`` row (receivable ``2i``, at service) and its open balance;
- the ``claims_adjudicated`` counter (every claim decided by the horizon) and the
  ``PAYMENT_INSURER`` row of a claim paid on first adjudication (at its adjudication day; its
  open balance back to 0) — unless the claim is denied (it waits for the denials team, a shared
  capacity), its payer has a tiers-payant deadline (a late-payment penalty, per claim) or
  a vendor takes a share of what the insurer pays (coverage discovery's fee);
- the patient's ``BILLED`` row and open balance of a balance the NumPy model simulates
  (:func:`simlib.model.hybrid.numpy_accounts`) when every lever that takes something at service
  (``service_hooks``) has a bulk form of its hook
  (:meth:`simlib.levers.base.Lever.at_service_in_bulk`: the price estimate's does), or skips
  them (the deposit's and the presumptive screening's: the NumPy model does their work); with its
  secondary payer's claim (:func:`simlib.model.claims.secondary_claim`: billed at service, paid or
  denied on its day, a denial's share passed to the patient after the hooks), and the secondary
  claim of an encounter whose patient owes nothing (no bill, and no share passed).

The denied claims (they wait for the denials team, a capacity nothing else uses) run after, as a
queue of their own without SimPy processes (:mod:`simlib.model.hybrid_denials`). Everything else
— tiers-payant and fee-paying claims, the secondary claims of the other encounters, the service
hooks without a bulk form and the SimPy patient accounts — stays on the per-encounter path, taken in the pure engine's
encounter order, so the SimPy processes are created in the same order and see the same events. The bulk rows are returned as a :class:`~simlib.core.ledger.Ledger` that
the world joins to its own before the conservation check; the rows are the pure engine's (same
receivable, day, kind, cents), in another order. Identity: ``tests/test_hybrid.py``.
"""
from __future__ import annotations

import numpy as np

from simlib.core.ledger import Kind, Ledger
from simlib.core.packed import packed
from simlib.core.receivables import secondary_receivable
from simlib.levers.base import Lever
from simlib.model import claims, hybrid_denials
from simlib.model.hybrid_disputes import team_work
from simlib.model.vectorized_secondary import passed_cents


def start_encounters(world) -> Ledger:
    """Book every encounter of ``world`` at the start of the run: in bulk what needs no process,
    the rest one by one in encounter order (claims left to :func:`simlib.model.claims.decide`,
    patient sides to ``world._start_patient``). Returns the bulk rows."""
    pop, n = world.pop, world.pop.n
    service_day = pop.service_day
    claim = np.asarray(world.claim_cents, dtype=np.int64)
    balance = np.asarray(world.patient_cents, dtype=np.int64)
    adjudication_day = np.asarray(world.adjudication_day, dtype=float)
    has_claim = claim != 0
    decided = has_claim & ~(adjudication_day > world.horizon)  # as claims.adjudicate reads it
    claim_by_hand = np.asarray(world.denied, dtype=bool)
    if world.tiers_payant is not None:
        claim_by_hand = claim_by_hand | np.array([rule is not None for rule in world.tiers_payant], dtype=bool)
    if world.insurer_payment_fees:
        fee = np.zeros(n, dtype=bool)
        fee[[r // 2 for r in world.insurer_payment_fees if r < 2 * n and r % 2 == 0]] = True
        claim_by_hand = claim_by_hand | fee
    claim_by_hand &= decided
    paid = decided & ~claim_by_hand

    secondary = np.zeros(n, dtype=bool) if not world.secondary_cents \
        else np.asarray(world.secondary_cents, dtype=np.int64) != 0
    has_balance = balance != 0
    patient_in_bulk = np.zeros(n, dtype=bool)
    bulk_service = world.numpy_accounts is not None and all(_in_bulk(hook) for hook in world.service_hooks)
    if bulk_service:
        patient_in_bulk = (has_balance | secondary) & world.numpy_accounts
    if secondary.any():  # a secondary claim and nothing the patient owes (paid, or undecided): no account
        patient_in_bulk |= secondary & ~has_balance & (passed_cents(world) == 0)
    patient_by_hand = (has_balance | secondary) & ~patient_in_bulk
    opened = np.zeros(len(world.open_cents), dtype=np.int64)
    passed, blocks = _secondary_claims(world, np.flatnonzero(patient_in_bulk & secondary), opened)
    patient_in_bulk &= has_balance  # a bill of 0: only the share passed (no BILLED row, no hooks)
    bulk_patients = np.flatnonzero(patient_in_bulk)
    patient_days, left = service_day[bulk_patients], balance[bulk_patients]
    blocks.append((2 * bulk_patients + 1, patient_days, Kind.BILLED, left))
    for hook in world.service_hooks if bulk_service else ():  # registry order, each on what the previous left
        if not getattr(hook, "skips_numpy_accounts", False):
            left, rows = hook.__self__.at_service_in_bulk(bulk_patients, patient_days, left)
            blocks += rows

    billed = np.flatnonzero(has_claim)
    opened[2 * billed] = claim[billed]
    opened[2 * np.flatnonzero(paid)] = 0
    opened[2 * bulk_patients + 1] = left
    opened[1::2][:n] += passed  # after the hooks, as World._start_patient adds it
    world.open_cents = packed(opened)  # as the world's own (simlib.core.packed)
    n_decided = int(np.count_nonzero(decided))
    if n_decided:
        world.count("claims_adjudicated", n_decided)

    decide, start_patient, denied, denied_claims = claims.decide, world._start_patient, world.denied, []
    # beside calls, a NumPy account's dispute joins the billing team's queue on SimPy, started where
    # its account would have been (simlib.model.hybrid_disputes.team_work)
    disputing = np.zeros(n, dtype=bool) if world.dispute_day is None \
        else ~np.isnan(np.asarray(world.dispute_day)) & ~patient_by_hand
    by_hand = np.flatnonzero(claim_by_hand | patient_by_hand | disputing)
    for i, claim_here, patient_here in zip(by_hand.tolist(), claim_by_hand[by_hand].tolist(),
                                           patient_by_hand[by_hand].tolist()):
        if claim_here:
            if denied[i]:
                denied_claims.append(i)
            else:
                decide(world, i, world.adjudication_day[i])
        if patient_here:
            start_patient(i)
        elif disputing[i]:
            world._start(team_work(world, i, world.dispute_day[i]))
    hybrid_denials.run_denied_claims(world, denied_claims)

    payments = np.flatnonzero(paid)
    return _rows([(2 * billed, service_day[billed], Kind.BILLED, claim[billed]),
                  (2 * payments, adjudication_day[payments], Kind.PAYMENT_INSURER, claim[payments]), *blocks])


def _secondary_claims(world, encounters: np.ndarray, opened: np.ndarray) -> tuple[np.ndarray, list]:
    """:func:`simlib.model.claims.secondary_claim` for ``encounters`` at once: their counters, the
    open balance of a claim undecided at the horizon (in ``opened``), and returns the cents each
    encounter's denial passes to the patient (0: none) and the rows."""
    passed = np.zeros(world.pop.n, dtype=np.int64)
    if not encounters.size:
        return passed, []
    amount = np.asarray(world.secondary_cents, dtype=np.int64)[encounters]
    day = np.asarray(world.adjudication_day_secondary, dtype=float)[encounters]
    rs = secondary_receivable(encounters, world.pop.n)
    decided = ~(day > world.horizon)
    denied = decided & np.asarray(world.pop.secondary_denied, dtype=bool)[encounters]
    paid = decided & ~denied
    opened[rs[~decided]] = amount[~decided]
    if decided.any():
        world.count("secondary_claims", int(decided.sum()))
    if denied.any():
        world.count("secondary_denials", int(denied.sum()))
    passed[encounters[denied]] = amount[denied]
    return passed, [(rs, world.pop.service_day[encounters], Kind.BILLED, amount),
                    (rs[denied], day[denied], Kind.TRANSFER_TO_PATIENT, amount[denied]),
                    (2 * encounters[denied] + 1, day[denied], Kind.TRANSFER_FROM_PAYER, amount[denied]),
                    (rs[paid], day[paid], Kind.PAYMENT_INSURER, amount[paid])]


def _in_bulk(hook) -> bool:
    """Whether an ``at_service`` hook can be taken in bulk for the NumPy accounts: it skips them
    (the NumPy model does its work: :func:`simlib.model.hybrid.numpy_accounts` marks it), or its
    lever has a bulk form (``at_service_in_bulk``). Any other hook: one by one."""
    if getattr(hook, "skips_numpy_accounts", False):
        return True
    lever = getattr(hook, "__self__", None)
    return isinstance(lever, Lever) and type(lever).at_service_in_bulk is not Lever.at_service_in_bulk


def _rows(blocks) -> Ledger:
    """One ledger of ``(receivables, days, kind, cents)`` blocks (no amount is 0: claims and
    balances that exist, and the hooks leave rows of 0 cents out)."""
    return Ledger(receivable=np.concatenate([b[0] for b in blocks]).astype(np.int64),
                  day=np.concatenate([b[1] for b in blocks]).astype(np.float64),
                  kind=np.concatenate([np.full(len(b[0]), int(b[2]), np.int8) for b in blocks]),
                  amount=np.concatenate([b[3] for b in blocks]).astype(np.int64))
