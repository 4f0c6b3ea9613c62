"""Agency placement: balances still open ``placement_days`` after the statement (at least
``balance_min``) go to a collection agency, which takes the account over: the hospital's
reminders and write-off stop, and the patient pays at the agency's intensity (its own start,
decay, floor and contact jumps, on a fresh payment clock and fresh Exp(1) thresholds). The agency
books collections gross (``PAYMENT_AGENCY``) and charges its contingency fee (``FEE_AGENCY``);
after ``recall_days`` it returns what is still open, which is written off as bad debt. A plan in
good standing defers the placement until the plan defaults. A bad-debt placement is an
extraordinary collection action: IRS §501(r)(6) forbids it to a US nonprofit hospital before day
120, and it waits until a final notice is ``notice_days_before`` (30) days old (the hospital
sends one first if none went out). Counters: ``agency_placements``, ``agency_placed_cents``, ``agency_contacts``,
``agency_payments``, ``agency_recalls``."""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text

import math
from typing import Annotated, Literal

from pydantic import Field

from simlib.core.ledger import Kind
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.core.settings import NonNeg, Positive, Strict, cents


class Agency(Strict):
    """Placement with a collection agency ``placement_days`` after the statement, for balances of
    at least ``balance_min`` still open (and not on a payment plan).

    From placement the hospital stops its own reminders and the patient's payment intensity is the
    agency's: it starts at ``initial_per_day`` (scaled by the patient's responsiveness, like the
    hospital's), decays at ``decay_per_day`` toward ``floor_per_day`` and jumps by
    ``contact_jump_per_day`` (scaled likewise) at each of ``contact_days`` after placement, on a fresh
    payment clock. Collections are booked gross (payment_agency) with the contingency fee
    ``fee_rate`` × collected as a cost (fee_agency). After ``recall_days`` the agency returns what is
    still open and the hospital writes it off as bad debt. Placement supersedes the hospital's own
    write-off: a placed account is written off at recall, never at ``write_off.after_days``.

    ``kind: bad_debt`` is an extraordinary collection action (credit reporting, suits) under
    IRS §501(r)(6): a US nonprofit may not place before day 120 after the first statement.
    ``kind: early_out`` is a soft, in-the-hospital's-name service (no ECA), usually at 30–60 days
    with a lower fee.
    """

    kind: Literal["early_out", "bad_debt"] = "bad_debt"
    placement_days: Positive = 120.0
    balance_min: NonNeg = 0.0
    fee_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.30
    initial_per_day: NonNeg = 0.01
    floor_per_day: NonNeg = 0.0
    decay_per_day: Positive = 0.02
    contact_days: list[NonNeg] = []
    contact_jump_per_day: NonNeg = 0.005
    recall_days: Positive = 180.0
    #: a bad-debt placement waits until a final notice (a channel marked ``notice``) is at least
    #: this old; without one the hospital sends ``notice_channel`` first (IRS §1.501(r)-6(c)(4):
    #: written notice at least 30 days before an extraordinary collection action)
    #: (``null``: no wait, where no rule requires the notice; refused for a US nonprofit)
    notice_days_before: NonNeg | None = 30.0
    notice_channel: str = "formal_demand"


class _Placement:
    """One placed account: what the agency collected (gross) and the fee charged so far (cents)."""

    __slots__ = ("fee_rate", "gross", "fee", "world")

    def __init__(self, world, fee_rate: float):
        self.world, self.fee_rate, self.gross, self.fee = world, fee_rate, 0, 0

    def collect(self, acct, amount: int, now: float) -> None:
        """Gross collection plus the contingency fee, rounded on the running total so that the
        fees on an account sum to round(fee_rate × collected) exactly."""
        world = self.world
        acct.book(Kind.PAYMENT_AGENCY, amount, now)
        self.gross += amount
        fee = int(round(self.fee_rate * self.gross))
        acct.book(Kind.FEE_AGENCY, fee - self.fee, now)
        self.fee = fee
        world.count("agency_payments")


def _draw(rng, n: int, scenario) -> dict:
    """Per account: Exp(1) thresholds of the agency's payment clock."""
    return {"agency_threshold": rng.standard_exponential((n, 4))}


@register_lever
class AgencyLever(Lever):
    key = "agency"
    title = N_("Collection agency")
    random_draws = {"agency": _draw}
    glossary = ()  # its legal terms (ECA, mise en demeure, …) are the jurisdiction's
    assumptions = (Assumption("initial_per_day", N_("Agency's recovery (payment intensity at placement)"), 0.5, 1.5),)
    settings = Agency | None
    order = 5  # placement; the agency's contacts are order 7, its recall 8
    counters = {"agency_placements": "accounts placed", "agency_placed_cents": "balances placed (cents)",
                "agency_contacts": "the agency's contacts", "agency_payments": "payments to the agency",
                "agency_recalls": "accounts recalled and written off",
                "eca_notices_sent": "final notices the hospital sent because a bad-debt placement was due without one",
                "placements_deferred_for_notice": "bad-debt placements deferred until the final notice was old enough"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        message = (_("early-out agency from day {day} for balances{floor} ({fee} % contingency fee), recalled "
                     "and written off after {recall} days") if settings.kind == "early_out" else
                   _("bad-debt agency from day {day} for balances{floor} ({fee} % contingency fee), recalled "
                     "and written off after {recall} days"))
        floor = (_(" of at least {amount}").format(amount=money_text(settings.balance_min))
                 if settings.balance_min > 0 else "")
        return message.format(day=short_number_text(settings.placement_days), floor=floor,
                              fee=short_number_text(settings.fee_rate * 100),
                              recall=short_number_text(settings.recall_days))

    @classmethod
    def risk_notes(cls, strategies, scenario) -> list:
        """A bad-debt placement is an ECA (IRS §501(r)(6) for a nonprofit; Regulation F); an
        early-out service is not. The laws are the jurisdiction's (its file's ``board.risks``,
        joined to this topic by :mod:`simlib.report.limitations`): the note here is empty."""
        used = {k: getattr(s, cls.key) for k, s in strategies.items() if getattr(s, cls.key, None) is not None}
        bad_debt = [k for k, ag in used.items() if ag.kind == "bad_debt"]
        early = [k for k in used if k not in bad_debt]
        out = []
        if bad_debt:
            out.append(("Collection agency (bad debt)", bad_debt, ""))
        if early:
            out.append((_("Early-out agency"), early,
                        _("An early-out service works in the hospital's name and is not an extraordinary "
                          "collection action, but it must follow the hospital's financial-assistance policy; "
                          "its recovery rate and fee are assumptions.")))
        return out

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        ag, out = settings, []
        if ag is None:
            return out
        if ag.kind == "bad_debt" and scenario.finance.us_nonprofit and ag.placement_days < 120:
            out.append(f"{at}.placement_days: a bad-debt placement is an extraordinary "
                       f"collection action, which IRS §501(r)(6) forbids a US nonprofit hospital "
                       f"(finance.us_nonprofit: true) before 120 days after the first statement; "
                       f"expected >= 120; found {ag.placement_days:g} (use kind: early_out for a "
                       f"soft placement that is not an ECA)")
        after = strategy.write_off.after_days
        if ag.placement_days >= after:
            out.append(f"{at}.placement_days: must be before the hospital's write-off "
                       f"(write_off.after_days = {after:g}), or no account is "
                       f"ever placed; found {ag.placement_days:g}")
        if ag.kind == "bad_debt" and scenario.finance.us_nonprofit and (
                ag.notice_days_before is None or ag.notice_days_before < 30):
            out.append(f"{at}.notice_days_before: a US nonprofit hospital must give written notice at "
                       f"least 30 days before an extraordinary collection action (IRS §1.501(r)-6(c)(4)); "
                       f"expected >= 30; found {ag.notice_days_before}")
        wait = ag.notice_days_before
        if ag.kind == "bad_debt" and wait is not None and wait != int(wait):
            out.append(f"{at}.notice_days_before: expected a whole number of days (the placement waits "
                       f"until the final notice is that many calendar days old); found {wait:g}")
        elif ag.kind == "bad_debt" and wait == 0 and strategy.contact_limits.quiet_hours is not None:
            out.append(f"{at}.notice_days_before: 0 with quiet hours (contact_limits.quiet_hours) would "
                       f"try the placement again and again while the quiet hours hold the final notice "
                       f"back; expected at least 1")
        notice = scenario.channels.get(ag.notice_channel)
        if ag.kind == "bad_debt" and (notice is None or notice.kind != "message" or not notice.notice):
            having = sorted(n for n, c in scenario.channels.items() if c.kind == "message" and c.notice)
            out.append(f"{at}.notice_channel: expected a message channel marked notice: true "
                       f"({', '.join(having) or 'none in this scenario'}); found {ag.notice_channel!r}")
        if any(d >= ag.recall_days for d in ag.contact_days):
            out.append(f"{at}.contact_days: every contact must fall before the recall "
                       f"(recall_days = {ag.recall_days:g}); found {sorted(ag.contact_days)}")
        return out

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.min_cents = cents(settings.balance_min)
        self._place, self._contact, self._recall = self.place, self.contact, self.recall

    def schedule(self, acct, bill: float, items: list) -> None:
        if acct.bal >= self.min_cents:
            items.append((bill + self.cfg.placement_days, 5, self._place, None))

    def place(self, acct, _) -> None:
        if not acct.deadline(self._place) or acct.bal < self.min_cents:
            return
        world, ag, now = self.world, self.cfg, acct.now
        if ag.kind == "bad_debt" and ag.notice_days_before is not None and not self._noticed(acct, now):
            return
        acct.take_over(self)
        acct.restart_clock(ag.initial_per_day * acct.responsiveness, ag.floor_per_day,
                           ag.decay_per_day, world.pop.agency_threshold[acct.i])
        acct.collector = _Placement(world, ag.fee_rate).collect
        world.count("agency_placements")
        world.count("agency_placed_cents", acct.bal)
        world.trace(acct.r, f"placed ({ag.kind})", now)
        for d in ag.contact_days:
            acct.at(now + d, 7, self._contact)
        acct.at(now + ag.recall_days, 8, self._recall)

    def _noticed(self, acct, now: float) -> bool:
        """Whether the final notice went out at least ``notice_days_before`` calendar days ago. If not, the
        placement waits until it has (sending the notice now if none went out) and is counted."""
        world, ag = self.world, self.cfg
        sent = world.limits.notice_day.get(acct.r)
        if sent is not None and math.floor(now) - math.floor(sent) >= ag.notice_days_before:
            return True  # calendar days: a notice on day 90 allows a placement on day 120
        if sent is None:
            world.count("eca_notices_sent")
            world.trace(acct.r, "final notice before placement", now)
            acct.contact(ag.notice_channel)
            sent = world.limits.notice_day.get(acct.r, now)  # a moved notice: its day is still to come
        world.count("placements_deferred_for_notice")
        acct.at(math.floor(sent) + ag.notice_days_before, 5, self._place)
        return False

    def contact(self, acct, _) -> None:
        if acct.held_by is self:
            acct.contact(None, "agency", jump_per_day=self.cfg.contact_jump_per_day, sent="agency_contacts")

    def recall(self, acct, _) -> None:
        if acct.held_by is not self or acct.bal <= 0:
            return
        world = self.world
        acct.close(Kind.WRITE_OFF_BAD_DEBT, acct.now)
        world.count("agency_recalls")
        world.count("bad_debt_write_offs")
        world.trace(acct.r, "recalled, written off", acct.now)
