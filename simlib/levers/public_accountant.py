"""Recovery by the public accountant: a French public hospital's bills after the statement
(the *avis des sommes à payer* of the enforceable title the hospital issues).

The hospital does not collect its own bills: its public accountant (*comptable public*, DGFiP)
does, in three steps (domain-research §5.7; the jurisdiction's ``public_recovery`` rule):

1. ``reminder_days`` after the statement, a balance still open gets a reminder (*lettre de
   relance*) on ``reminder_channel`` (CHU de Caen: 45 days after the avis);
2. ``demand_days`` after the statement, a balance still open gets the formal demand (*mise en
   demeure de payer*) on ``demand_channel`` and passes to the accountant: the hospital's own
   reminders stop (``take_over``) but the patient's payment clock runs on — a payment goes to
   the accountant, who passes it to the hospital. The garnishment follows a formal demand that
   went out: when the strategy's contact limits (quiet hours, a message cap counting the demand
   channel) hold the demand back, the demand itself moves to the next slot they allow (counted
   ``notices_moved`` and ``moved_<channel>``, as the channel counts a notice it moves; order 9,
   the channels' order of a moved notice) and the hospital keeps the account until then; at that
   slot the demand is sent, the accountant takes the account over and the garnishment falls due
   ``seizure_days_after_demand`` later — unless the balance was paid, or a plan holding the
   account defers the demand, as on its own day;
3. ``seizure_days_after_demand`` later (the law's 30 days at least, LPF L257-0 A), a balance of at
   least the *seuil de poursuites* for the ``garnishee`` (the jurisdiction's, CGCT R1617-22: €130
   at a bank, €30 at an employer; ``balance_min`` may set a higher one) is garnished (*saisie
   administrative à tiers détenteur*): the hospital bears ``cost_per_seizure`` (a ``COST_LEGAL``
   row: the accountant's work is free to it, its own staff time is not), the patient's clock
   stands still, and ``payment_days`` later (the garnishee pays within 30 days) with probability
   ``seizure_success_rate`` (the lever's own uniform per encounter) the garnishee pays the whole
   balance (``PAYMENT_PATIENT``: the patient's money). A seizure that fails, or a balance below the
   threshold (no enforcement allowed), goes back to the hospital's books: it stays open to the
   patient's own payment until the hospital's write-off (the accountant's *admission en
   non-valeur*), which waited while the accountant held it.

Counters: ``accountant_reminders``, ``accountant_demands``, ``accountant_seizures``,
``accountant_seizures_paid``, ``accountant_seizures_failed``, ``accountant_below_threshold``.
The jurisdiction rules (:mod:`simlib.scenario.jurisdiction_rules`) refuse the lever outside a
public hospital of a jurisdiction with this path, a seizure sooner than the law's wait after the
demand, and a threshold below the law's.
"""
from __future__ import annotations

from typing import Literal

from simlib.core.language import N_, _, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, cents
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.world.channels import SAME_INSTANT_DAYS
from simlib.world.contacts import hour_of_day

STREAM = "public_accountant"
#: the order of a notice the contact limits moved, among the actions due at its slot (the channels')
MOVED_NOTICE_ORDER = 9


class PublicAccountant(Strict):
    """The accountant's reminder on ``reminder_days`` (``None``: none), the formal demand on
    ``demand_days``, the garnishment ``seizure_days_after_demand`` later at the ``garnishee``
    (balances of at least the law's threshold or ``balance_min``), paid ``payment_days`` later with
    probability ``seizure_success_rate``."""

    reminder_days: Positive | None = 45.0
    reminder_channel: str = "letter"
    demand_days: Positive = 90.0
    demand_channel: str = "formal_demand"
    seizure_days_after_demand: NonNeg = 30.0
    garnishee: Literal["bank", "employer"] = "bank"
    balance_min: NonNeg | None = None
    cost_per_seizure: NonNeg = 0.0
    payment_days: NonNeg = 30.0
    seizure_success_rate: Fraction


def _draw(rng, n: int, scenario) -> dict:
    """Per encounter: the uniform the seizure's success is compared with."""
    return {"accountant_u": rng.random(n)}


def seizure_threshold(settings: PublicAccountant, law) -> float:
    """The least balance garnished: the law's for the garnishee, or the section's if higher."""
    floor = law.seizure_min_balance.get(settings.garnishee, 0.0) if law is not None else 0.0
    return max(floor, settings.balance_min or 0.0)


@register_lever
class PublicAccountantLever(Lever):
    key = "public_accountant"
    title = N_("Public accountant")
    settings = PublicAccountant | None
    order = 6  # with legal action: after an agency's placement (5) on the same day
    random_draws = {STREAM: _draw}
    risk = (N_("Public accountant"),
            N_("The public accountant, not the hospital, decides the reminders, the formal demand and the "
               "garnishments; no garnishment is allowed below the legal threshold, and the success of a "
               "garnishment (money on the account, an employer) and its delays are assumptions."))
    glossary = ((N_("Public accountant"), N_("The State's accountant (DGFiP) who recovers a public "
                                             "hospital's bills, with powers of enforcement without a court.")),
                (N_("Garnishment (SATD)"), N_("The saisie administrative à tiers détenteur: the public accountant "
                                              "has the patient's bank or employer pay the debt directly.")))
    assumptions = (Assumption("seizure_success_rate", N_("Garnishments that end in payment"), 0.5, 1.5,
                              upper=1.0),)
    counters = {"accountant_reminders": "reminders the public accountant sent",
                "accountant_demands": "formal demands the public accountant sent (balances it took over)",
                "accountant_seizures": "garnishments (saisie administrative à tiers détenteur) made",
                "accountant_seizures_paid": "garnishments that ended in payment",
                "accountant_seizures_failed": "garnishments that found nothing to take",
                "accountant_below_threshold": "balances below the threshold for a garnishment"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return _("recovery by the public accountant: formal demand on day {days}, garnishment {wait} days "
                 "later ({rate} % paid)").format(days=short_number_text(settings.demand_days),
                                                 wait=short_number_text(settings.seizure_days_after_demand),
                                                 rate=short_number_text(settings.seizure_success_rate * 100))

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None:
            return []
        out = []
        for field, kind, notice in (("reminder_channel", "message", False), ("demand_channel", "message", True)):
            name = getattr(settings, field)
            channel = scenario.channels.get(name)
            if channel is None or channel.kind != kind or (notice and not channel.notice):
                having = sorted(n for n, c in scenario.channels.items()
                                if c.kind == kind and (c.notice or not notice))
                marked = " marked notice: true" if notice else ""
                out.append(f"{at}.{field}: expected a {kind} channel{marked} ({', '.join(having) or 'none'}); "
                           f"found {name!r}")
        if settings.reminder_days is not None and settings.reminder_days >= settings.demand_days:
            out.append(f"{at}.reminder_days: expected before demand_days ({settings.demand_days:g}); "
                       f"found {settings.reminder_days:g}")
        end = settings.demand_days + settings.seizure_days_after_demand
        if end >= strategy.write_off.after_days:
            out.append(f"{at}.demand_days: the garnishment (day {end:g}) must come before the hospital's "
                       f"write-off (write_off.after_days = {strategy.write_off.after_days:g})")
        return out

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.threshold_cents = cents(seizure_threshold(settings, world.sc.law.public_recovery))
        self.u = world.pop.lever_draws["accountant_u"]
        self._remind, self._demand, self._seize, self._settle = self.remind, self.demand, self.seize, self.settle

    def schedule(self, acct, bill: float, items: list) -> None:
        cfg = self.cfg
        if cfg.reminder_days is not None:
            items.append((bill + cfg.reminder_days, 6, self._remind, None))
        items.append((bill + cfg.demand_days, 6, self._demand, None))

    def remind(self, acct, _) -> None:
        if acct.held_by is None and acct.bal > 0:
            self.world.count("accountant_reminders")
            return acct.contact(self.cfg.reminder_channel)
        return None

    def demand(self, acct, _) -> None:
        if not acct.deadline(self._demand) or acct.bal <= 0:
            return
        world, now = self.world, acct.now
        slot = self.held_back_to(acct, now)
        if slot is not None:  # the demand itself waits for the slot: no take-over before it goes out
            name = self.cfg.demand_channel
            world.count("notices_moved")
            world.count(f"moved_{name}")
            world.trace(acct.r, f"{name} moved to day {round(slot, 6):g}", now)
            acct.at(slot, MOVED_NOTICE_ORDER, self._demand)
            return
        acct.contact(self.cfg.demand_channel)
        acct.take_over(self)
        world.count("accountant_demands")
        world.trace(acct.r, "formal demand by the public accountant", now)
        acct.at(now + self.cfg.seizure_days_after_demand, 6, self._seize)

    def held_back_to(self, acct, now: float) -> float | None:
        """The slot the contact limits move the formal demand to (``None``: it may go now): what
        the demand channel (a notice) would do with it (:class:`simlib.world.channels.Message`)."""
        limits, name = self.world.limits, self.cfg.demand_channel
        hour = hour_of_day(now) if limits.quiet is not None else None
        if limits.message_allowed(acct, name, now, hour):
            return None
        slot = limits.next_message_slot(acct, name, now)
        return slot if slot > now + SAME_INSTANT_DAYS else None

    def while_holding(self, acct, action, argument) -> None:
        """The hospital's deadlines (its write-off) wait until the account comes back to it."""
        acct.defer(action, argument)

    def seize(self, acct, _) -> None:
        if acct.held_by is not self or acct.bal <= 0:
            return
        world, now = self.world, acct.now
        if acct.bal < self.threshold_cents:
            world.count("accountant_below_threshold")
            world.trace(acct.r, "below the threshold for a garnishment", now)
            acct.hand_back()
            return
        acct.take_over(self, pause_clock=True)
        acct.book(Kind.COST_LEGAL, cents(self.cfg.cost_per_seizure), now)
        world.count("accountant_seizures")
        world.trace(acct.r, "garnishment", now)
        acct.at(now + self.cfg.payment_days, 6, self._settle)

    def settle(self, acct, _) -> None:
        if acct.held_by is not self or acct.bal <= 0:
            return
        world, now = self.world, acct.now
        if self.u[acct.i] < self.cfg.seizure_success_rate:
            acct.close(Kind.PAYMENT_PATIENT, now)
            world.count("accountant_seizures_paid")
            world.trace(acct.r, "garnishment paid", now)
        else:
            world.count("accountant_seizures_failed")
            world.trace(acct.r, "garnishment failed", now)
            acct.hand_back()
