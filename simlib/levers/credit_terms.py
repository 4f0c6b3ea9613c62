"""Credit terms: the bill falls due ``credit_terms_days`` after the statement (on receipt, net 15,
net 30). The due date pulls payments forward: it raises the payment intensity by the scenario's
``behaviour.due_date_jump_per_day`` (scaled by the patient's responsiveness), unless a plan or an
agency holds the account. Reminder steps may be timed from the due date."""
from __future__ import annotations

from simlib.core.language import N_, _, short_number_text

from simlib.levers.base import Assumption, Lever, register_lever
from simlib.core.settings import NonNeg


@register_lever
class CreditTerms(Lever):
    key = "credit_terms_days"
    title = N_("Payment terms")
    assumptions = (Assumption("behaviour.due_date_jump_per_day", N_("Pull of the due date (payment intensity jump on it)"), 0.5, 1.5),)
    settings = NonNeg
    default = 30.0
    order = 0

    @classmethod
    def active(cls, settings) -> bool:
        return True

    @classmethod
    def describe(cls, settings) -> str:
        return _("due in {days} days").format(days=short_number_text(settings))

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.due_jump = world.sc.behaviour.due_date_jump_per_day
        self._due = self.due  # one bound method for every account

    def schedule(self, acct, bill: float, items: list) -> None:
        acct.due_day = due = bill + self.cfg
        items.append((due, 0, self._due, None))

    def due(self, acct, _) -> None:
        if acct.held_by is None:
            acct.jump(self.due_jump * acct.responsiveness)
