"""A claims platform (clearinghouse) with a claim scrubber: each claim is checked against the payer's
edits before it is sent, and statements are produced by the platform as soon as the claim is
adjudicated. Fewer claims are denied for missing or invalid data, and statements go out sooner (the
Chilean article's "standardise billing and send statements on time", the English one's "raise the
first-pass claim rate"). Effects and price: :mod:`simlib.levers.quality`.

Defaults: 12 % of first-pass denials prevented (``denial_reduction`` 0.12): missing or invalid claim
data cause 14.6 % of denials (Change Healthcare 2016, domain-research §1.3), most of which a
scrubber's edits catch — range 0.05–0.146; statements 2 days sooner (``statement_lag_days_saved``)
— **assumption**, range 0–4 days of the 5-day default lag; $0.50 per encounter (a
clearinghouse's per-claim fee) and $12,000 a year (licence) — **assumption**, range $0.25–$1 per
encounter.
"""
from __future__ import annotations

from simlib.core.language import N_
from simlib.core.settings import Fraction, NonNeg
from simlib.levers.base import Assumption, register_lever
from simlib.levers.quality import QualityInvestment, QualityLever


class ClaimsScrubber(QualityInvestment):
    denial_reduction: Fraction = 0.12
    statement_lag_days_saved: NonNeg = 2.0
    fixed_cost_per_year: NonNeg = 12000.0
    cost_per_account: NonNeg = 0.5


@register_lever
class ClaimsScrubberLever(QualityLever):
    key = "claims_scrubber"
    settings = ClaimsScrubber | None
    title = N_("Claims platform with a scrubber")
    glossary = ((N_("Claim scrubber"), N_("Software that checks each claim against the payer's rules before it "
                 "is sent, so that claims with missing or invalid data are fixed instead of denied.")),)
    assumptions = (Assumption("denial_reduction", N_("Claim denials prevented by the scrubber"), 0.05, 0.146,
                              mode="set"),)
