"""A payer's ``secondary:`` and ``tiers_payant:`` blocks (issue 23 item 3). Re-exported by
:mod:`simlib.scenario.schema` through :class:`~simlib.scenario.schema.Payer`.

``secondary``: a complementary insurer on the same encounter — the French *mutuelle*, a US
secondary (Medigap, Medicaid crossover), a Chilean complementary insurance. It sits on the payer
mix entry whose patients hold it (``holders_share`` of them), because who holds which cover
depends on the primary (Medicare patients hold Medigap; AMO patients a mutuelle). Coordination of
benefits: the primary pays its share; of what it leaves (the payer's ``patient_share`` of the
allowed amount) the secondary pays ``covered_share``, decided ``lag_days_min`` + Exp(mean −
min) days after the primary's first decision; a secondary denial (``denial_rate``) passes its
amount to the patient (a transfer row on each side of the ledger). The patient statement goes out
after the secondary's decision (what the patient owes is known only then).

``tiers_payant``: the mandatory insurer pays electronic claims within ``deadline_working_days``
working days (Décret 2016-1069: 7); a claim paid later owes the hospital ``late_claim_penalty``
(€1) when paid by working day ``fixed_penalty_last_working_day`` (9), else
``late_share_penalty_rate`` (10 %) of the insurer's share — income with its own ledger line.
Working days are Monday to Friday counted from the claim's submission (day 0 of a run is a
Monday; public holidays are not modelled).
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from simlib.core.language import N_, _, money_text, number_text
from simlib.core.settings import Fraction, NonNeg, Strict

WorkingDays = Annotated[int, Field(ge=1, le=60)]

#: The board's glossary terms of the two blocks: (term, explanation, the payer field that brings it up)
GLOSSARY = (
    (N_("Second payer (complementary insurer)"),
     N_("An insurer that pays part of what the first payer leaves on the same bill (a mutuelle after the "
        "mandatory health insurance, Medigap after Medicare). What it refuses, the patient owes; the "
        "patient's statement waits for its decision."), "secondary"),
    (N_("Tiers payant"),
     N_("The insurers pay the hospital directly and the patient advances nothing. The mandatory insurer "
        "must pay within 7 working days; later, it owes the hospital a late-payment penalty (€1 a claim, "
        "then 10 % of its share)."), "tiers_payant"),
)


class SecondaryPayer(Strict):
    """A complementary insurer paying part of what the primary payer left (coordination of benefits)."""

    name: Annotated[str, Field(min_length=1, max_length=60)] = "secondary"
    holders_share: Fraction = 1.0   # share of this payer's patients who hold the complementary cover
    covered_share: Fraction = 0.8   # share of what the primary left that the secondary pays
    lag_days_min: NonNeg = 2.0      # from the primary's decision to the secondary's
    lag_days_mean: NonNeg = 10.0
    denial_rate: Fraction = 0.05    # the secondary refuses: its share passes to the patient

    @model_validator(mode="after")
    def _check(self) -> "SecondaryPayer":
        if self.lag_days_mean < self.lag_days_min:
            raise ValueError("lag_days_mean must be >= lag_days_min")
        return self

    def in_words(self) -> str:
        """The block as a board reads it (the appendix's payer table), in the page's language."""
        from simlib.core.words import humanise_id

        return _("{name}: pays {covered} of what the first payer leaves, for {holders} of its patients, "
                 "{lag} days after it on average; refuses {denied} (the patient then owes it); the "
                 "patient's statement waits for its decision").format(
            name=humanise_id(self.name), covered=_percent(self.covered_share), holders=_percent(self.holders_share),
            lag=number_text(self.lag_days_mean, 0), denied=_percent(self.denial_rate))


class TiersPayant(Strict):
    """The mandatory insurer's payment deadline and the penalties it owes when late (Décret 2016-1069)."""

    deadline_working_days: WorkingDays = 7
    late_claim_penalty: NonNeg = 1.0             # per claim paid just after the deadline (currency units)
    fixed_penalty_last_working_day: WorkingDays = 9
    late_share_penalty_rate: Fraction = 0.10     # of the insurer's share, for claims paid later still

    @model_validator(mode="after")
    def _check(self) -> "TiersPayant":
        if self.fixed_penalty_last_working_day < self.deadline_working_days:
            raise ValueError("fixed_penalty_last_working_day must be >= deadline_working_days")
        return self

    def in_words(self) -> str:
        """The block as a board reads it (the appendix's payer table), in the page's language."""
        return _("pays within {days} working days; later it owes {fixed} per claim up to working day "
                 "{last}, then {rate} of its share").format(
            days=self.deadline_working_days, fixed=money_text(self.late_claim_penalty, 2),
            last=self.fixed_penalty_last_working_day, rate=_percent(self.late_share_penalty_rate))


def _percent(share: float) -> str:
    return number_text(100.0 * share, 0 if round(100.0 * share, 6) == round(100.0 * share) else 1) + "\u00a0%"


def working_day_of_payment(submitted_day: float, paid_day: float) -> int:
    """The working day (Monday–Friday, day 0 a Monday) on which a claim submitted on
    ``submitted_day`` is paid on ``paid_day``: the count of working days in
    (floor(submitted), floor(paid)] — a claim paid the next Monday after a Friday submission is
    paid on working day 1."""
    start, end = int(submitted_day // 1), int(paid_day // 1)
    if end <= start:
        return 0
    weeks, extra = divmod(end - start, 7)
    count = 5 * weeks
    for d in range(start + 1, start + 1 + extra):
        if d % 7 < 5:
            count += 1
    return count


def late_penalty_cents(rule: TiersPayant, claim_cents: int, working_day: int) -> int:
    """What the mandatory insurer owes for paying claim of ``claim_cents`` on ``working_day``."""
    if working_day <= rule.deadline_working_days:
        return 0
    if working_day <= rule.fixed_penalty_last_working_day:
        return int(round(rule.late_claim_penalty * 100.0))
    return int(round(rule.late_share_penalty_rate * claim_cents))
