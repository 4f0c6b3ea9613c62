"""Card on file / autopay outside plans: the patient leaves a card and consents to be charged the
balance on the due date.

A patient consents with probability ``consent_rate`` (one uniform per encounter from the lever's
own stream ``card_on_file``, decided when the statement's actions are scheduled), more often a
patient who would pay anyway (``propensity_correlation``: the deposit's Gaussian copula). On the due date
(``days_after_due`` later) the card is charged the whole balance — unless a plan or an agency holds
the account, the balance is paid, or it is above ``balance_max`` (what the patient consented to).
A charge succeeds with probability (1 − ``failure_rate``) × P(the patient can pay it in full)
(:func:`simlib.levers.self_service.can_pay_in_full`: a card over its limit is declined); a failed
charge is retried ``retry_days`` later, at most ``retries`` times, each attempt its own uniform.
A successful charge is a payment in full by card (the payment methods lever's card fee applies).

Harm: with probability ``chargeback_rate`` the patient disputes the charge with their bank, which
takes it back ``chargeback_days`` later: a ``CHARGEBACK`` row (the payment reversed: the balance is
owed again) written off at once as bad debt (the hospital does not charge a disputed card again),
the processor's ``chargeback_fee`` (``FEE_PROCESSING``) and, as for a complaint, the expected
future margin of a patient who may not come back (``harm.attrition_per_complaint``, a
``LOST_MARGIN_ATTRITION`` row). A chargeback after the horizon is not booked.

Costs: the vendor's ``fee_per_charge`` per attempt and ``monthly_fee`` (``COST_SELF_SERVICE``).
Counters: ``card_on_file_consents``, ``card_charges``, ``card_charges_failed``,
``card_charges_paid``, ``chargebacks``.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, cents
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.levers.self_service import book_monthly_fee, can_pay_in_full, take_up_draws
from simlib.world.contact_response import encounter_margin_cents

#: the most retries a strategy may set (one uniform each is drawn per encounter)
RETRIES_MAX = 10


class CardOnFile(Strict):
    """Autopay of the balance on the due date for the patients who consent (assumptions, declared
    uncertain: ``simlib/scenario/assumption_register.yaml``)."""

    consent_rate: Fraction = 0.3
    days_after_due: NonNeg = 0.0
    balance_max: NonNeg | None = None
    failure_rate: Fraction = 0.1
    retries: Annotated[int, Field(ge=0, le=RETRIES_MAX)] = 2
    retry_days: Positive = 3.0
    chargeback_rate: Fraction = 0.005
    chargeback_days: NonNeg = 45.0
    chargeback_fee: NonNeg = 20.0
    fee_per_charge: NonNeg = 0.1
    monthly_fee: NonNeg = 200.0
    propensity_correlation: Fraction = 0.5


@register_lever
class CardOnFileLever(Lever):
    key = "card_on_file"
    title = N_("Card on file")
    settings = CardOnFile | None
    order = 21  # on the due date, after the due date's own jump
    counters = {"card_on_file_consents": "patients who consented to be charged on the due date",
                "card_charges": "charges attempted on a card on file (retries included)",
                "card_charges_failed": "charges declined", "card_charges_paid": "balances paid by a charge",
                "chargebacks": "charges the patient disputed with their bank (taken back, written off)"}
    glossary = ((N_("Card on file"), N_("A card the patient leaves with the hospital, charged the balance on the "
                                        "due date with their consent (autopay).")),
                (N_("Chargeback"), N_("A card payment the patient disputes with their bank, which takes the "
                                      "money back and charges the hospital a fee.")),)
    risk = (N_("Card on file"), N_("Charging a stored card needs the patient's written consent for each kind of "
                                   "charge (in the US, the card networks' rules and Regulation E for debit cards; "
                                   "in Europe, strong customer authentication for the first charge); a charge the "
                                   "patient did not expect leads to chargebacks and complaints."))
    assumptions = (Assumption("consent_rate", N_("Share of patients who leave a card and consent to autopay"),
                              0.5, 1.5, upper=1.0),
                   Assumption("failure_rate", N_("Share of card charges declined"), 0.5, 2.0, upper=1.0),
                   Assumption("propensity_correlation", N_("How much card-on-file patients are those who pay anyway"),
                              0.2, 0.8, mode="set"),)

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        when = (_("on the due date") if settings.days_after_due == 0 else
                _("{days} days after the due date").format(days=short_number_text(settings.days_after_due)))
        words = _("card on file charged {when} for the patients who consent, {retries} retries").format(
            when=when, retries=settings.retries)
        if settings.balance_max is not None:
            words += _(", balances up to {amount}").format(amount=money_text(settings.balance_max))
        return words

    def __init__(self, world, settings):
        super().__init__(world, settings)
        u, consent_u = take_up_draws(world, self.key, 2 + RETRIES_MAX + 1, settings.propensity_correlation)
        self.consents = (consent_u < settings.consent_rate).tolist()
        self.u = u
        self.max_cents = None if settings.balance_max is None else cents(settings.balance_max)
        self.charge_cents, self.chargeback_fee_cents = cents(settings.fee_per_charge), cents(settings.chargeback_fee)
        self.methods = world.levers.get("payment_methods")  # built before: registry order
        self._charge = self.charge
        book_monthly_fee(world, settings.monthly_fee)

    def schedule(self, acct, bill_day: float, items: list) -> None:
        if self.consents[acct.i]:
            self.world.count("card_on_file_consents")
            items.append((acct.due_day + self.cfg.days_after_due, self.order, self._charge, 0))

    def charge(self, acct, attempt: int) -> None:
        """Attempt ``attempt`` (0: on the due date) to charge the balance to the card."""
        world, cfg, i = self.world, self.cfg, acct.i
        if acct.bal <= 0 or acct.held_by is not None or (self.max_cents is not None and acct.bal > self.max_cents):
            return
        world.count("card_charges")
        acct.book(Kind.COST_SELF_SERVICE, self.charge_cents, acct.now)
        if self.u[i, 2 + attempt] >= (1.0 - cfg.failure_rate) * can_pay_in_full(world, acct):
            world.count("card_charges_failed")
            world.trace(acct.r, "card declined", acct.now)
            if attempt < cfg.retries:
                acct.at(acct.now + cfg.retry_days, self.order, self._charge, attempt + 1)
            return
        if self.methods is not None:
            self.methods.card_charge_r = acct.r
        acct.pay_in_full("paid by card on file")
        if self.methods is not None:
            self.methods.card_charge_r = -1
        world.count("card_charges_paid")
        if self.u[i, 1] < cfg.chargeback_rate:
            self._chargeback(acct, acct.paid, acct.now + cfg.chargeback_days)

    def _chargeback(self, acct, amount: int, day: float) -> None:
        """The bank takes the payment back on ``day``; the hospital writes it off and pays the fee;
        the patient may not come back (priced like a complaint)."""
        world = self.world
        if day > world.horizon or amount <= 0:
            return
        world.count("chargebacks")
        world.trace(acct.r, "chargeback", day)
        acct.book(Kind.CHARGEBACK, amount, day)
        acct.book(Kind.WRITE_OFF_BAD_DEBT, amount, day)
        acct.book(Kind.FEE_PROCESSING, self.chargeback_fee_cents, day)
        harm = world.sc.harm
        world.count("patients_lost_micro", int(round(harm.attrition_per_complaint * 1e6)))
        lost = harm.attrition_per_complaint * harm.future_encounters_per_patient * encounter_margin_cents(world, acct.i)
        acct.book(Kind.LOST_MARGIN_ATTRITION, int(round(lost)), day)
