"""Coding audits: an auditor reviews a sample of coded charts and claims each month and the coders
correct their habits, so fewer claims are denied for coding or medical necessity and fewer bills
carry an error. Effects and price: :mod:`simlib.levers.quality`.

Defaults: 8 % of first-pass denials prevented (``denial_reduction`` 0.08): medical-necessity denials
are 0.98 % of claims out of 11.81 % denied (Kodiak 2024, domain-research §1.3), 8.3 % of denials —
the most coding fixes can reach, taken whole — range 0.03–0.083; 15 % of billing errors
(``billing_error_reduction``) — **assumption**, range 0.05–0.3; $30,000 a year (an external
auditor's days) — **assumption**, range $15,000–$60,000.
"""
from __future__ import annotations

from simlib.core.language import N_
from simlib.core.settings import Fraction, NonNeg
from simlib.levers.base import Assumption, register_lever
from simlib.levers.quality import QualityInvestment, QualityLever


class CodingAudit(QualityInvestment):
    denial_reduction: Fraction = 0.08
    billing_error_reduction: Fraction = 0.15
    fixed_cost_per_year: NonNeg = 30000.0


@register_lever
class CodingAuditLever(QualityLever):
    key = "coding_audit"
    settings = CodingAudit | None
    title = N_("Coding audits")
    glossary = ((N_("Coding audit"), N_("A review of a sample of coded charts and claims against the "
                 "records, so that coders fix the errors that get claims denied.")),)
    assumptions = (Assumption("denial_reduction", N_("Claim denials prevented by coding audits"), 0.03, 0.083,
                              mode="set"),)
