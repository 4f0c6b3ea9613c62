"""Deposit at service: ``share`` of the patient's responsibility collected when care is given, by
``compliance_rate`` of the patients (never for emergencies, nor for the open book that was billed
before the simulation starts). Booked as a patient payment at service (counter ``deposits``);
the statement is for what is left."""
from __future__ import annotations

from simlib.ledger import Kind
from simlib.levers.base import Lever, register_lever
from simlib.settings import Fraction, Strict, cents


class Deposit(Strict):
    share: Fraction
    compliance_rate: Fraction


@register_lever
class DepositLever(Lever):
    key = "deposit"
    settings = Deposit | None
    counters = {"deposits": "deposits collected at service"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return (f"deposit of {settings.share * 100:g} % at service "
                f"({settings.compliance_rate * 100:g} % compliance)")

    def at_service(self, i: int, r: int, day: float, bal: int) -> int:
        world, pop, dep = self.world, self.world.pop, self.cfg
        if pop.emergency[i] or pop.open_book[i] or not pop.deposit_u[i] < dep.compliance_rate:
            return bal
        paid = min(bal, cents(dep.share * bal / 100.0))
        world.ledger.post(r, max(day, 0.0), Kind.PAYMENT_PATIENT, paid)
        world.count("deposits")
        world.trace(r, "deposit", max(day, 0.0))
        return bal - paid
