"""Credit reporting: an unpaid patient balance reported to the credit bureaus, where the law allows it.

``report_days`` after the statement, a balance of at least ``balance_min`` still open (and not on
a payment plan in good standing; at an agency it is, the agency reporting for the hospital) is reported
(counter ``credit_reports``; the hospital, or its agency on its behalf, pays ``cost_per_report``:
a ``COST_CONTACT`` row, a collection cost). Reporting
raises the patient's payment intensity by ``intensity_uplift`` × the intensity their statement
gave them (a jump that fades like any other; an assumption: the effect of a report on medical-debt
payment is not measured — docs/jurisdictions.md "Credit reporting" gives the range and why), and
may hurt: with probability ``complaint_rate`` (the lever's own uniform per encounter) the patient
complains (a ``COST_COMPLAINT`` row of the scenario's ``harm.cost_per_complaint``, counter
``complaints``) and may not come back (the rise of P(lost) by ``harm.attrition_per_complaint``,
booked as lost future margin, counter ``patients_lost_micro``: the same price of harm as a
contact's complaint, :mod:`simlib.world.contact_response`). A reported balance that is paid is
removed from the report (the bureaus' rule; counter ``credit_reports_removed_paid``).

Where the law forbids it (France: no private credit bureau; Chile: Ley 21.504) the section is
refused, and in the US a report before one year or below $500 (the bureaus' 2022-23 policy) is
refused (:mod:`simlib.scenario.jurisdiction_rules`).
"""
from __future__ import annotations

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.core.ledger import Kind
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, cents
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.world.contact_response import encounter_margin_cents, lost_probability

STREAM = "credit_reporting"
#: the report's complaint among the account's complaints (a bit above any channel's index), so
#: that P(lost) counts it with the channels' complaints (simlib.world.contact_response)
REPORT_COMPLAINT_BIT = 1 << 62


class CreditReporting(Strict):
    """Report balances of at least ``balance_min`` still open ``report_days`` after the statement,
    at ``cost_per_report`` each; the report raises the payment intensity by ``intensity_uplift`` ×
    the statement's, and the patient complains with probability ``complaint_rate``."""

    report_days: Positive
    balance_min: NonNeg = 0.0
    cost_per_report: NonNeg = 0.0
    intensity_uplift: NonNeg = 0.1
    complaint_rate: Fraction = 0.05


def _draw(rng, n: int, scenario) -> dict:
    """Per encounter: the uniform a complaint about the report is compared with."""
    return {"credit_report_u": rng.random(n)}


@register_lever
class CreditReportingLever(Lever):
    key = "credit_reporting"
    title = N_("Credit reporting")
    settings = CreditReporting | None
    order = 6
    random_draws = {STREAM: _draw}
    risk = (N_("Credit reporting"),
            N_("Reporting a medical bill to the credit bureaus is allowed only where the law allows it and "
               "within the bureaus' limits; its effect on payment is an assumption (studies find small "
               "medical debts say little about a patient's credit), and reported patients complain and "
               "may not come back."))
    glossary = ((N_("Credit reporting"), N_("Telling the credit bureaus that a bill is unpaid, so that it "
                                            "appears on the patient's credit report until it is paid.")),)
    assumptions = (Assumption("intensity_uplift", N_("Payment effect of a credit report"), 0.0, 3.0),
                   Assumption("complaint_rate", N_("Reported patients who complain"), 0.5, 2.0, upper=1.0))
    counters = {"credit_reports": "balances reported to the credit bureaus",
                "credit_reports_removed_paid": "reported balances paid, and so removed from the report"}

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        floor = (_(" of at least {amount}").format(amount=money_text(settings.balance_min))
                 if settings.balance_min > 0 else "")
        return _("credit bureau report on day {days} for balances{floor}").format(
            days=short_number_text(settings.report_days), floor=floor)

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.min_cents = cents(settings.balance_min)
        self.u = world.pop.lever_draws["credit_report_u"]
        self.reported: set[int] = set()
        self._report = self.report

    def schedule(self, acct, bill: float, items: list) -> None:
        items.append((bill + self.cfg.report_days, 6, self._report, None))

    def report(self, acct, _) -> None:
        holder = acct.held_by
        if acct.bal <= 0 or acct.bal < self.min_cents or (holder is not None and holder.key == "payment_plan"):
            return  # nothing reported for a patient paying on a plan in good standing
        world, cfg, now = self.world, self.cfg, acct.now
        self.reported.add(acct.r)
        acct.book(Kind.COST_CONTACT, cents(cfg.cost_per_report), now)
        acct.jump(cfg.intensity_uplift * acct.initial_lam)
        world.count("credit_reports")
        world.trace(acct.r, "reported to the credit bureaus", now)
        if self.u[acct.i] < cfg.complaint_rate:
            self._complaint(acct, now)

    def _complaint(self, acct, now: float) -> None:
        """The patient complains about the report: its handling cost and the rise of P(lost)."""
        world, harm = self.world, self.world.sc.harm
        world.count("complaints")
        handling = cents(harm.cost_per_complaint)
        if handling > 0:
            acct.book(Kind.COST_COMPLAINT, handling, now)
        complaints, opt_outs = bin(acct.complained_of).count("1"), bin(acct.opted_out_of).count("1")
        acct.complained_of |= REPORT_COMPLAINT_BIT
        rise = lost_probability(complaints + 1, opt_outs, harm) - lost_probability(complaints, opt_outs, harm)
        if rise > 0.0:
            world.count("patients_lost_micro", int(round(rise * 1e6)))
            margin = rise * harm.future_encounters_per_patient * encounter_margin_cents(world, acct.i)
            acct.book(Kind.LOST_MARGIN_ATTRITION, int(round(margin)), now)

    def after_payment(self, acct) -> None:
        if acct.bal <= 0 and acct.r in self.reported:
            self.reported.discard(acct.r)
            self.world.count("credit_reports_removed_paid")
