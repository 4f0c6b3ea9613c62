"""Payment methods and their processing fees: what the hospital pays its payment processor on each
payment a patient makes to it.

A patient pays by card (a share ``card_share`` of patients, decided by one uniform per encounter
from the lever's own stream ``payment_methods``; a charge to a card on file is always by card) or
by bank transfer (ACH, SEPA, a Chilean transferencia). Each payment the patient makes to the
hospital — of their own, through a pay link, the portal or a card on file — costs

- by card: ``card_fee_rate`` × the amount + ``card_fee_fixed`` (rounded to the cent);
- by bank transfer: ``bank_transfer_fee``;

booked as a ``FEE_PROCESSING`` row on the patient's receivable: the patient's payment is booked
whole (``PAYMENT_PATIENT``) and the fee is a cost of its own, so the receivable balances to the
cent and the fee shows in the cost to collect. Not charged here: a payment an agency collects (its
fee covers it), a plan's instalments (the plan's ``cost_per_instalment`` includes processing) and a
deposit taken at registration. Counters: ``card_payments``, ``bank_transfer_payments``.

Defaults (declared uncertain, ``simlib/scenario/assumption_register.yaml``): a US card
processor's published blended rate (2.9 % + $0.30) and an ACH transfer's $0.25; in the EU and
Chile card fees are lower (interchange capped at 0.2–0.3 % in the EU) — set them per scenario.
"""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Strict, cents
from simlib.levers.base import Lever, register_lever


class PaymentMethods(Strict):
    """The share of patients who pay by card and each method's processing fee."""

    card_share: Fraction = 0.7
    card_fee_rate: Fraction = 0.029
    card_fee_fixed: NonNeg = 0.30
    bank_transfer_fee: NonNeg = 0.25


def processing_fee_cents(amount_cents: int, by_card: bool, cfg: PaymentMethods) -> int:
    """The processor's fee on a payment of ``amount_cents``: card rate × amount + fixed fee (rounded
    to the cent), or the bank transfer's fixed fee."""
    if by_card:
        return int(round(cfg.card_fee_rate * amount_cents)) + cents(cfg.card_fee_fixed)
    return cents(cfg.bank_transfer_fee)


@register_lever
class PaymentMethodsLever(Lever):
    key = "payment_methods"
    title = N_("Payment methods")
    settings = PaymentMethods | None
    order = 2
    counters = {"card_payments": "patient payments by card (processing fee: rate and fixed part)",
                "bank_transfer_payments": "patient payments by bank transfer (fixed processing fee)"}
    glossary = ((N_("Processing fee"), N_("What the card processor or the bank charges the hospital on each payment "
                                          "a patient makes: a percentage and a fixed part for cards, a fixed fee "
                                          "for a bank transfer.")),)

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return _("{card} % of patients pay by card ({rate} % + {fixed} a payment), the others by bank transfer "
                 "({transfer} a payment)").format(card=short_number_text(settings.card_share * 100),
                                                  rate=short_number_text(settings.card_fee_rate * 100),
                                                  fixed=money_text(settings.card_fee_fixed, 2),
                                                  transfer=money_text(settings.bank_transfer_fee, 2))

    def __init__(self, world, settings):
        super().__init__(world, settings)
        u = world.pop.draws("payment_methods", lambda rng, n: rng.random(n))
        self.by_card = (u < settings.card_share).tolist()
        #: a card on file being charged: that payment is by card whatever the patient's method
        self.card_charge_r = -1

    def after_payment(self, acct) -> None:
        if acct.collector is not None or acct.paid <= 0:  # an agency's collection: its fee covers it
            return
        card = self.by_card[acct.i] or acct.r == self.card_charge_r
        acct.book(Kind.FEE_PROCESSING, processing_fee_cents(acct.paid, card, self.cfg), acct.now)
        self.world.count("card_payments" if card else "bank_transfer_payments")
