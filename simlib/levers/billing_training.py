"""Billing staff training: fewer billing errors, so fewer disputed bills (the Chilean article:
"train staff to make fewer billing errors"). Effects and price: :mod:`simlib.levers.quality`.

Defaults: a third of billing errors prevented (``billing_error_reduction`` 0.3) — **assumption**,
range 0.1–0.5 (no published trial; vendor figures only); $12,000 a year: 8 billing and registration
staff × 24 hours of training at the model's $31 an hour ($5,952) plus a course or trainer
(≈ $750 a head) — **assumption**, range $5,000–$25,000 a year.
"""
from __future__ import annotations

from simlib.core.language import N_
from simlib.core.settings import Fraction, NonNeg
from simlib.levers.base import Assumption, register_lever
from simlib.levers.quality import QualityInvestment, QualityLever


class BillingTraining(QualityInvestment):
    billing_error_reduction: Fraction = 0.3
    fixed_cost_per_year: NonNeg = 12000.0


@register_lever
class BillingTrainingLever(QualityLever):
    key = "billing_training"
    settings = BillingTraining | None
    title = N_("Billing staff training")
    glossary = ((N_("Billing staff training"), N_("Regular training of the staff who register patients and "
                 "prepare bills, so that fewer bills carry an error the patient disputes.")),)
    assumptions = (Assumption("billing_error_reduction", N_("Billing errors prevented by training"), 0.1, 0.5,
                              mode="set"),)
