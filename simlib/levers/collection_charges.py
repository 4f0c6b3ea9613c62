"""Collection charges: a charge for collecting added to an overdue patient balance (Chile's gastos
de cobranza extrajudicial), capped by the jurisdiction's law.

``after_days_past_due`` days after the due date, a balance the hospital still holds (not on a plan,
not placed) is charged ``rate`` × the balance, at most the jurisdiction's cap: in Chile (Ley
19.496 art. 37) 9 % of the part up to 10 UF, 6 % of the part from 10 to 50 UF and 3 % above,
only after 20 days of delay; the UF value (pesos per unidad de fomento) is the jurisdiction
file's ``collection_charges.uf_value_clp`` unless the section sets ``uf_value_clp``. The charge is
billed to the patient (a second ``BILLED`` row on their receivable: the books still balance, and
collection rates count it as billed). Where the law allows no charge (France: CPCE L111-8; the US:
FDCPA 1692f(1)) the section is refused (:mod:`simlib.scenario.jurisdiction_rules`). Counter
``collection_charges``.
"""
from __future__ import annotations

from simlib.core.language import N_, _, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Positive, Strict
from simlib.levers.base import Lever, register_lever


class CollectionChargesSettings(Strict):
    """``rate`` × the overdue balance charged once, ``after_days_past_due`` days after the due date,
    capped by the jurisdiction's brackets (UF value ``uf_value_clp``; None: the jurisdiction's)."""

    rate: Fraction
    after_days_past_due: NonNeg = 20.0
    uf_value_clp: Positive | None = None


def capped_charge_cents(balance_cents: int, rate: float, brackets, uf_cents: float) -> int:
    """``rate`` × balance, at most the sum over brackets of its rate × the part of the balance in
    it (bracket bounds in UF × ``uf_cents``; no brackets: no cap), in whole cents (rounded down)."""
    wanted = rate * balance_cents
    if not brackets:
        return int(wanted)
    cap, low = 0.0, 0.0
    for b in brackets:
        high = float("inf") if b.up_to_uf is None else b.up_to_uf * uf_cents
        cap += b.rate * max(0.0, min(balance_cents, high) - low)
        low = high
    return int(min(wanted, cap))


@register_lever
class CollectionChargesLever(Lever):
    key = "collection_charges"
    title = N_("Collection charges")
    settings = CollectionChargesSettings | None
    order = 4
    risk = (N_("Collection charges"),
            N_("A charge for collecting must be stated to the patient in advance and may be refused by a "
               "court if it exceeds the legal cap; patients charged may complain or not come back."))
    glossary = ((N_("Collection charge"), N_("A charge for the cost of collecting added to an overdue bill, "
                                             "where the law allows it and up to its cap.")),)
    counters = {"collection_charges": "overdue balances charged for collection"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return _("collection charge of {share} % (at most the legal cap) {days} days after the due date").format(
            share=short_number_text(settings.rate * 100), days=short_number_text(settings.after_days_past_due))

    def __init__(self, world, settings):
        super().__init__(world, settings)
        law = world.sc.law.collection_charges  # the jurisdiction's file (simlib.scenario.jurisdiction)
        uf = settings.uf_value_clp or law.uf_value_clp or 0.0
        self.brackets, self.uf_cents = law.brackets, uf * 100.0
        self._charge = self.charge

    def schedule(self, acct, bill: float, items: list) -> None:
        items.append((acct.due_day + self.cfg.after_days_past_due, 4, self._charge, None))

    def charge(self, acct, _) -> None:
        if acct.held_by is not None or acct.plan is not None or acct.bal <= 0:
            return
        amount = capped_charge_cents(acct.bal, self.cfg.rate, self.brackets, self.uf_cents)
        if amount <= 0:
            return
        world = self.world
        world.ledger.post(acct.r, acct.now, Kind.BILLED, amount)
        acct.bal += amount
        world.open_cents[acct.r] = acct.bal
        world.count("collection_charges")
        world.trace(acct.r, "collection charge", acct.now)
