"""Pay link (text-to-pay): a message carrying a link to a payment page, ``day`` days after the
statement, by a message channel (SMS, e-mail, WhatsApp).

The link is a contact like any other (the account's contact verb): it is not sent while a plan or
an agency holds the account, nor to a patient who opted out of the channel, it counts against the
contact limits and quiet hours, costs what the channel costs, and may make the patient opt out or
complain (the channel's rates: the harm, priced by the scenario's ``harm:``). A patient it reaches
pays the whole balance at once with probability

    ``pay_at_once_rate`` × (1 − ``friction``) × P(they can pay it in full)

(P: the engine's rule for a payment in full, :func:`simlib.levers.self_service.can_pay_in_full`),
decided by one uniform per encounter from the lever's own stream ``pay_link`` (the same patients
for every strategy), correlated with the patient's propensity to pay their bill
(``propensity_correlation``, the deposit's Gaussian copula: those who pay through a link are more
often those who would pay anyway, so a link is not credited with their money). ``friction`` is the share of those who open the link meaning to pay and give
up on the page (a log-in, a card number to type). A reached patient who does not pay at once gets
the reminder's jump (``jump_per_day``; the channel's when unset), like after any contact.

Costs: the carrying channel's cost per link (``COST_CONTACT``), the vendor's ``fee_per_link`` per
link sent and ``fee_per_payment`` per payment made through a link, and its ``monthly_fee`` for each
month of the measured encounters (``COST_SELF_SERVICE`` rows, :mod:`simlib.levers.self_service`).
Counters: ``pay_links_sent``, ``pay_links_read``, ``pay_link_payments``.
"""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Strict, cents
from simlib.core.words import id_words
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.levers.self_service import book_monthly_fee, can_pay_in_full, pay_in_full_through, take_up_draws


class PayLink(Strict):
    """A payment link sent ``day`` days after the statement by ``channel`` (a message channel).

    Vendor figures (declared uncertain, ranges in ``simlib/scenario/assumption_register.yaml``):
    32 % of patients say they pay within five minutes of a secure text with a link (AccessOne
    survey), 30 % of unique links were clicked over 13,755 texts (Auburn Community Hospital, a
    dialoghealth case); the fees are typical of patient-payment platforms' published plans
    (a few hundred a month and cents a message), not a quote."""

    day: NonNeg = 3.0
    channel: str = "sms"
    pay_at_once_rate: Fraction = 0.3
    friction: Fraction = 0.2
    jump_per_day: NonNeg | None = None
    monthly_fee: NonNeg = 500.0
    fee_per_link: NonNeg = 0.05
    fee_per_payment: NonNeg = 0.5
    propensity_correlation: Fraction = 0.5


def message_channel_problems(channel: str, scenario, at: str) -> list[str]:
    """The problem line when ``channel`` is not one of the scenario's message channels."""
    ch = scenario.channels.get(channel)
    if ch is None or ch.kind != "message":
        messages = sorted(k for k, c in scenario.channels.items() if c.kind == "message")
        return [f"{at}.channel: expected a message channel, one of {messages}; found {channel!r}"]
    return []


@register_lever
class PayLinkLever(Lever):
    key = "pay_link"
    title = N_("Pay link")
    settings = PayLink | None
    order = 20  # after the built-in actions due the same day
    counters = {"pay_links_sent": "messages with a payment link sent",
                "pay_links_read": "payment links that reached the patient",
                "pay_link_payments": "balances paid in full through a payment link"}
    glossary = ((N_("Pay link"), N_("A text or e-mail with a link to a page where the patient pays the balance "
                                    "in a few taps (text-to-pay).")),)
    risk = (N_("Pay links"), N_("A link in a text needs the patient's consent to texts and must lead to a page "
                                "patients recognise as the hospital's: links in texts are a common phishing lure. "
                                "The share who pay at once and the vendor's fees are vendor figures, declared "
                                "uncertain."))
    assumptions = (Assumption("pay_at_once_rate", N_("Share of reached patients who pay at once through a link"),
                              0.5, 1.5, upper=1.0),
                   Assumption("friction", N_("Share who give up on the payment page"), 0.0, 0.5, mode="set"),
                   Assumption("propensity_correlation", N_("How much link payers are the patients who pay anyway"),
                              0.2, 0.8, mode="set"),)

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return _("pay link by {channel} on day {day} ({fee} a month)").format(
            channel=id_words(settings.channel), day=short_number_text(settings.day),
            fee=money_text(settings.monthly_fee))

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        return [] if settings is None else message_channel_problems(settings.channel, scenario, at)

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.p_pay = settings.pay_at_once_rate * (1.0 - settings.friction)
        self.link_cents, self.payment_cents = cents(settings.fee_per_link), cents(settings.fee_per_payment)
        self.u = take_up_draws(world, self.key, 1, settings.propensity_correlation)[1].tolist()
        self._send, self._opened = self.send, self.opened
        book_monthly_fee(world, settings.monthly_fee)

    def schedule(self, acct, bill_day: float, items: list) -> None:
        items.append((bill_day + self.cfg.day, self.order, self._send, None))

    def send(self, acct, _):
        world = self.world
        sent = world.counters["pay_links_sent"]
        out = acct.contact(self.cfg.channel, jump_per_day=self.cfg.jump_per_day, sent="pay_links_sent",
                           reached="pay_links_read", on_reach=self._opened)
        if world.counters["pay_links_sent"] > sent:  # the contact was made: the vendor's fee per link
            acct.book(Kind.COST_SELF_SERVICE, self.link_cents, acct.now)
        return out

    def opened(self, acct, _) -> None:
        """The link reached the patient (after the reminder's response): they pay in full now with
        probability pay_at_once_rate × (1 − friction) × P(can pay in full)."""
        if acct.bal <= 0 or acct.held_by is not None:
            return
        if self.u[acct.i] < self.p_pay * can_pay_in_full(self.world, acct):
            pay_in_full_through(self.world, acct, "paid by link", self.payment_cents, "pay_link_payments")
