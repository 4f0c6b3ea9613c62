"""Legal action: a court order to pay, then enforcement (France's mise en demeure → injonction de
payer → commissaire de justice; Chile's cobranza judicial; a US suit).

A patient balance of at least ``balance_min`` still held by the hospital ``filing_days``
after the statement is taken to court once a formal demand (a channel marked ``notice``) is at
least ``notice_days_before`` days old; without one the hospital sends ``notice_channel`` first
and files when it is old enough (France: the mise en demeure by registered letter, commonly 8-15
days to pay). Filing takes the account over: the hospital's reminders and write-off stop and the
patient's own payment clock stands still (the procedure, not the reminders, decides). The
hospital pays ``filing_fee`` at filing and ``service_fee`` when the order is served
``order_days`` later (``COST_LEGAL`` rows). ``opposition_days`` later the order is enforceable
(France: one month to oppose, CPC art. 1416) and ``enforcement_days`` after that the case ends:
with probability ``success_rate`` (the lever's own uniform draw per encounter) the patient pays
the whole balance (``PAYMENT_PATIENT``), the enforcement fee ``enforcement_fee_rate`` × that
payment is the hospital's (``COST_LEGAL``) and ``costs_recovered_rate`` of the filing and
service fees is reimbursed by the patient (``LEGAL_COSTS_RECOVERED``, the dépens); otherwise the
balance is written off as bad debt. Counters: ``legal_filings``, ``legal_notices_sent``,
``legal_filings_deferred_for_notice``, ``legal_judgments_paid``, ``legal_write_offs``.

The jurisdiction's rules bound it (:mod:`simlib.scenario.jurisdiction_rules`): filing must come
before the limitation period ends; for a US nonprofit a suit is an extraordinary collection
action (IRS §501(r)(6): not before day 120, 30 days' notice).
"""
from __future__ import annotations

from simlib.core.language import N_

import math

from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, cents
from simlib.levers.base import Assumption, Lever, register_lever

STREAM = "legal_action"


class LegalAction(Strict):
    """Court recovery after a formal demand: filing on ``filing_days`` (balances of at least
    ``balance_min``), the order served ``order_days`` later, enforceable ``opposition_days``
    after that, paid with ``success_rate`` ``enforcement_days`` later, or written off."""

    filing_days: Positive
    balance_min: NonNeg = 0.0
    notice_days_before: NonNeg = 15.0
    notice_channel: str = "formal_demand"
    filing_fee: NonNeg = 0.0
    service_fee: NonNeg = 0.0
    order_days: NonNeg = 45.0
    opposition_days: NonNeg = 30.0
    enforcement_days: NonNeg = 60.0
    success_rate: Fraction
    enforcement_fee_rate: Fraction = 0.0
    costs_recovered_rate: Fraction = 0.0

    @property
    def days_to_end(self) -> float:
        """Days from filing to the end of the case (payment or write-off)."""
        return self.order_days + self.opposition_days + self.enforcement_days


def _draw(rng, n: int, scenario) -> dict:
    """Per encounter: the uniform the case's success is compared with."""
    return {"legal_u": rng.random(n)}


@register_lever
class LegalActionLever(Lever):
    key = "legal_action"
    title = N_("Legal action")
    settings = LegalAction | None
    order = 6  # after an agency's placement (5) on the same day
    random_draws = {STREAM: _draw}
    risk = (N_("Legal action"),
            N_("A court case costs fees and staff time and may end the relationship with the patient; its "
            "success rate and duration are assumptions, and the limitation period bounds when it may start."))
    glossary = ((N_("Legal action"), N_("Taking an unpaid bill to court for an order to pay, then having the "
                 "order enforced.")),)
    assumptions = (Assumption("success_rate", N_("Court cases that end in payment"), 0.5, 1.5, upper=1.0),)
    counters = {"legal_filings": "balances taken to court",
                "legal_notices_sent": "formal demands sent because a filing was due without one",
                "legal_filings_deferred_for_notice": "filings deferred until the formal demand was old enough",
                "legal_judgments_paid": "court cases that ended in payment",
                "legal_write_offs": "court cases that ended in a write-off"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        floor = f" of at least {settings.balance_min:,.0f}" if settings.balance_min > 0 else ""
        return (f"legal action from day {settings.filing_days:g} for balances{floor} "
                f"({settings.success_rate * 100:g} % paid after {settings.days_to_end:g} days)")

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        if settings is None:
            return []
        out = []
        notice = scenario.channels.get(settings.notice_channel)
        if notice is None or notice.kind != "message" or not notice.notice:
            having = sorted(n for n, c in scenario.channels.items() if c.kind == "message" and c.notice)
            out.append(f"{at}.notice_channel: expected a message channel marked notice: true "
                       f"({', '.join(having) or 'none in this scenario'}); found {settings.notice_channel!r}")
        wait = settings.notice_days_before
        if wait != int(wait):
            out.append(f"{at}.notice_days_before: expected a whole number of days (the filing waits until the "
                       f"formal demand is that many calendar days old); found {wait:g}")
        elif wait == 0 and strategy.contact_limits.quiet_hours is not None:
            out.append(f"{at}.notice_days_before: 0 with quiet hours (contact_limits.quiet_hours) would try the "
                       f"filing again and again while the quiet hours hold the formal demand back; expected at least 1")
        after = strategy.write_off.after_days
        if settings.filing_days >= after:
            out.append(f"{at}.filing_days: must be before the hospital's write-off (write_off.after_days = "
                       f"{after:g}), or no balance is ever taken to court; found {settings.filing_days:g}")
        return out

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.min_cents = cents(settings.balance_min)
        self.u = world.pop.lever_draws["legal_u"]
        self._file, self._serve, self._end = self.file, self.serve, self.end

    def schedule(self, acct, bill: float, items: list) -> None:
        if acct.bal >= self.min_cents:
            items.append((bill + self.cfg.filing_days, 6, self._file, None))

    def file(self, acct, _) -> None:
        if not acct.deadline(self._file) or acct.bal < self.min_cents:
            return
        now, cfg = acct.now, self.cfg
        if not self._noticed(acct, now):
            return
        acct.take_over(self, pause_clock=True)
        acct.book(Kind.COST_LEGAL, cents(cfg.filing_fee), now)
        self.world.count("legal_filings")
        self.world.trace(acct.r, "taken to court", now)
        acct.at(now + cfg.order_days, 6, self._serve)
        acct.at(now + cfg.days_to_end, 6, self._end)

    def _noticed(self, acct, now: float) -> bool:
        """Whether the formal demand is at least ``notice_days_before`` calendar days old; if not,
        the filing waits for it (sending it now if none went out)."""
        world, cfg = self.world, self.cfg
        sent = world.limits.notice_day.get(acct.r)
        if sent is not None and math.floor(now) - math.floor(sent) >= cfg.notice_days_before:
            return True
        if sent is None:
            world.count("legal_notices_sent")
            acct.contact(cfg.notice_channel)
            sent = world.limits.notice_day.get(acct.r, now)
        world.count("legal_filings_deferred_for_notice")
        acct.at(math.floor(sent) + cfg.notice_days_before, 6, self._file)
        return False

    def serve(self, acct, _) -> None:
        if acct.held_by is self:
            acct.book(Kind.COST_LEGAL, cents(self.cfg.service_fee), acct.now)

    def end(self, acct, _) -> None:
        if acct.held_by is not self or acct.bal <= 0:
            return
        world, cfg, now = self.world, self.cfg, acct.now
        if self.u[acct.i] < cfg.success_rate:
            paid = acct.bal
            acct.close(Kind.PAYMENT_PATIENT, now)
            acct.book(Kind.COST_LEGAL, int(round(cfg.enforcement_fee_rate * paid)), now)
            fees = cents(cfg.filing_fee) + cents(cfg.service_fee)
            acct.book(Kind.LEGAL_COSTS_RECOVERED, int(round(cfg.costs_recovered_rate * fees)), now)
            world.count("legal_judgments_paid")
        else:
            acct.close(Kind.WRITE_OFF_BAD_DEBT, now)
            world.count("legal_write_offs")
            world.count("bad_debt_write_offs")
