"""Patient portal: a web page where patients see their bill, pay it or set up a payment plan
themselves.

A share ``visit_rate`` of patients visit the portal once, an exponential time of mean
``visit_delay_days`` after the statement (both from one row of uniforms per encounter of the lever's
own stream ``patient_portal``: the same patients for every strategy; who visits is correlated with
the patient's propensity to pay, ``propensity_correlation``, the deposit's Gaussian copula). A visit while the balance is
open and the hospital holds the account:

- tells the patient of the bill (a statement not yet arrived: :func:`simlib.world.contact_response.learn_of_bill`);
- the patient pays the whole balance with probability ``pay_rate`` × P(they can pay it in full)
  (:func:`simlib.levers.self_service.can_pay_in_full`);
- otherwise, when the strategy offers a payment plan and the balance qualifies, they set one up
  with probability ``plan_rate``, on the plan lever's terms (its instalments, misses, autopay and
  costs: :mod:`simlib.levers.payment_plan`).

Costs: the vendor's ``monthly_fee`` for each month of the measured encounters and
``fee_per_payment`` per payment made on the portal (``COST_SELF_SERVICE``).
Counters: ``portal_visits``, ``portal_payments``, ``portal_plans``.
"""
from __future__ import annotations

import math

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.core.settings import Fraction, NonNeg, Positive, Strict, cents
from simlib.levers.base import Assumption, Lever, register_lever
from simlib.levers.self_service import book_monthly_fee, can_pay_in_full, pay_in_full_through, take_up_draws
from simlib.world.contact_response import learn_of_bill


class PatientPortal(Strict):
    """Who visits, when, and what they do there (assumptions, declared uncertain:
    ``simlib/scenario/assumption_register.yaml``; the AccessOne survey: 25 % of patients say they
    pay within five minutes of a notice pointing to a portal)."""

    visit_rate: Fraction = 0.3
    visit_delay_days: Positive = 10.0
    pay_rate: Fraction = 0.4
    plan_rate: Fraction = 0.3
    monthly_fee: NonNeg = 1000.0
    fee_per_payment: NonNeg = 0.0
    propensity_correlation: Fraction = 0.5


@register_lever
class PatientPortalLever(Lever):
    key = "patient_portal"
    title = N_("Patient portal")
    settings = PatientPortal | None
    order = 22
    counters = {"portal_visits": "patients who visited the portal with a balance open",
                "portal_payments": "balances paid in full on the portal",
                "portal_plans": "payment plans the patient set up on the portal"}
    glossary = ((N_("Patient portal"), N_("A web page where patients see their bill and pay it or set up a payment "
                                          "plan themselves, at any hour.")),)
    risk = (N_("Patient portal"), N_("A portal holds health and payment data: it must meet the health privacy "
                                     "law (HIPAA in the US, the GDPR in Europe, Ley 19.628 in Chile) and the card "
                                     "industry's security standard; the share of patients who use it is an "
                                     "assumption, and patients without internet access are left out."))
    assumptions = (Assumption("visit_rate", N_("Share of patients who visit the portal"), 0.5, 1.5, upper=1.0),
                   Assumption("pay_rate", N_("Share of portal visitors who pay there"), 0.5, 1.5, upper=1.0),
                   Assumption("propensity_correlation", N_("How much portal visitors are the patients who pay anyway"),
                              0.2, 0.8, mode="set"),)

    @classmethod
    def describe(cls, settings) -> str:
        if settings is None:
            return ""
        return _("patient portal ({fee} a month): {share} % of patients visit it about {days} days after the "
                 "statement").format(fee=money_text(settings.monthly_fee),
                                     share=short_number_text(settings.visit_rate * 100),
                                     days=short_number_text(settings.visit_delay_days))

    def __init__(self, world, settings):
        super().__init__(world, settings)
        self.u, visit_u = take_up_draws(world, self.key, 3, settings.propensity_correlation)
        self.visitors = (visit_u < settings.visit_rate).tolist()
        self.payment_cents = cents(settings.fee_per_payment)
        self.plans = world.levers.get("payment_plan")  # built before: registry order
        self._visit = self.visit
        book_monthly_fee(world, settings.monthly_fee)

    def schedule(self, acct, bill_day: float, items: list) -> None:
        i = acct.i
        if self.visitors[i]:
            delay = -self.cfg.visit_delay_days * math.log1p(-float(self.u[i, 1]))  # Exp(mean delay)
            items.append((bill_day + delay, self.order, self._visit, None))

    def visit(self, acct, _) -> None:
        world = self.world
        if acct.bal <= 0 or acct.held_by is not None:
            return
        world.count("portal_visits")
        world.trace(acct.r, "portal visit", acct.now)
        learn_of_bill(acct)
        u = float(self.u[acct.i, 2])
        p_pay = self.cfg.pay_rate * can_pay_in_full(world, acct)
        if u < p_pay:
            pay_in_full_through(world, acct, "paid on the portal", self.payment_cents, "portal_payments")
            return
        # the same uniform, rescaled above the payers: independent of whether they could pay
        plans = self.plans
        if plans is not None and acct.bal >= plans.min_cents and (u - p_pay) / (1.0 - p_pay) < self.cfg.plan_rate:
            plans.offer(acct, None)
            if acct.held_by is plans:
                world.count("portal_plans")
