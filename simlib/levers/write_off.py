"""Write-off: what is still open ``after_days`` after the statement is written off as bad debt
(counter ``bad_debt_write_offs``), and a balance a payment leaves below ``below_balance`` is
adjusted off at once (``WRITE_OFF_SMALL``). A plan in good standing defers the write-off until it
defaults; an agency placement supersedes it (the agency's recall writes off instead)."""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text

from simlib.core.ledger import Kind
from simlib.levers.base import Lever, register_lever
from simlib.core.settings import NonNeg, Positive, Strict


class WriteOff(Strict):
    after_days: Positive = 180.0
    below_balance: NonNeg = 0.0


@register_lever
class WriteOffLever(Lever):
    key = "write_off"
    title = N_("Write-off")
    settings = WriteOff
    default = WriteOff()
    order = 1000  # last of the actions due on the same day
    counters = {"bad_debt_write_offs": "balances written off as bad debt (agency recalls included)"}

    @classmethod
    def active(cls, settings) -> bool:
        return True

    @classmethod
    def describe(cls, settings) -> str:
        return (_("write-off after {days} days").format(days=short_number_text(settings.after_days)) +
                (_(" or below {amount}").format(amount=money_text(settings.below_balance, 2))
                 if settings.below_balance > 0 else ""))

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.small_balance = settings.below_balance
        self._write_off = self.write_off

    def schedule(self, acct, bill: float, items: list) -> None:
        items.append((bill + self.cfg.after_days, 1000, self._write_off, None))

    def write_off(self, acct, _) -> None:
        if not acct.deadline(self._write_off):
            return
        acct.close(Kind.WRITE_OFF_BAD_DEBT, acct.now)
        self.world.count("bad_debt_write_offs")
        self.world.trace(acct.r, "written off", acct.now)

    def after_payment(self, acct) -> None:
        bal = acct.bal
        if 0 < bal < self.small_balance * 100.0:
            acct.reduce(Kind.WRITE_OFF_SMALL, bal, acct.now)
