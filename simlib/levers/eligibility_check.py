"""Eligibility checks before service: the patient's cover is verified electronically (an X12 270/271
transaction) at scheduling or registration, so fewer claims are denied for registration or
eligibility. Effects and price: :mod:`simlib.levers.quality`.

Defaults: 20 % of first-pass denials prevented (``denial_reduction`` 0.2): registration and
eligibility cause 23.9 % of denials (Change Healthcare 2016, domain-research §1.3), most of which a
check before service catches — range 0.1–0.239 (all of them); $1 per encounter (a vendor's
real-time transaction and a minute of registration staff) and $6,000 a year (the vendor's
subscription) — **assumption**, range $0.25–$3 per encounter.
"""
from __future__ import annotations

from simlib.core.language import N_
from simlib.core.settings import Fraction, NonNeg
from simlib.levers.base import Assumption, register_lever
from simlib.levers.quality import QualityInvestment, QualityLever


class EligibilityCheck(QualityInvestment):
    denial_reduction: Fraction = 0.2
    fixed_cost_per_year: NonNeg = 6000.0
    cost_per_account: NonNeg = 1.0


@register_lever
class EligibilityCheckLever(QualityLever):
    key = "eligibility_check"
    settings = EligibilityCheck | None
    title = N_("Eligibility checks before service")
    glossary = ((N_("Eligibility check"), N_("An electronic check, before care, that the patient's insurance "
                 "is active and covers the service, so that the claim is not denied for it.")),)
    assumptions = (Assumption("denial_reduction", N_("Claim denials prevented by eligibility checks"), 0.1, 0.239,
                              mode="set"),)
