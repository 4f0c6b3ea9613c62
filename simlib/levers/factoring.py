"""Medical factoring: the contract a strategy may sign (DESIGN §4, domain-research §4).

The offer is an overlay on the simulated collection path: patients and insurers behave exactly
as without factoring; the contract only decides who gets the cash and when. This module holds the
contract's terms (what is sold, what is advanced, the fee schedule, recourse, termination), their
checks against the scenario and their words; the settlement rules that turn terms and the
collection ledger into cash rows are in :mod:`simlib.model.factoring_settlement`.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simlib.levers.base import Lever, register_lever
from simlib.core.settings import NonNeg, Positive, Strict, Targeting

FactoringRate = Annotated[float, Field(ge=0.0, le=1.0)]


class FlatFee(Strict):
    """One fee, ``rate`` × base, whatever the days outstanding."""

    schedule: Literal["flat"]
    rate: FactoringRate


class TieredFee(Strict):
    """``first_rate`` for the first ``first_days`` days, then ``step_rate`` per started ``step_days``.

    fee(n) = base × (first_rate + step_rate × ⌈max(0, n − first_days) / step_days⌉), capped at
    ``max_rate``; n is whole days outstanding (a part day counts as a day: day 30 is in the first
    tier, day 30.2 is day 31 and pays the first step).
    """

    schedule: Literal["tiered"]
    first_rate: FactoringRate
    first_days: Positive
    step_rate: FactoringRate
    step_days: Positive
    max_rate: FactoringRate | None = None

    @model_validator(mode="after")
    def _check(self) -> "TieredFee":
        if self.max_rate is not None and self.max_rate < self.first_rate:
            raise ValueError(f"max_rate ({self.max_rate}) must be >= first_rate ({self.first_rate})")
        return self


class DailyFee(Strict):
    """``rate_per_day`` × base per whole day outstanding (e.g. φ/360 for an annual rate φ)."""

    schedule: Literal["daily"]
    rate_per_day: FactoringRate
    max_rate: FactoringRate | None = None


class FeeTier(Strict):
    up_to_days: Positive
    rate: FactoringRate


class TableFee(Strict):
    """A fee table by days outstanding (e.g. 2 % to day 10, 3 % to day 20, …, then ``beyond_rate``)."""

    schedule: Literal["table"]
    tiers: Annotated[list[FeeTier], Field(min_length=1)]
    beyond_rate: FactoringRate

    @model_validator(mode="after")
    def _check(self) -> "TableFee":
        days = [t.up_to_days for t in self.tiers]
        if any(b <= a for a, b in zip(days, days[1:])):
            raise ValueError(f"tiers: up_to_days must be strictly increasing; found {days}")
        rates = [t.rate for t in self.tiers] + [self.beyond_rate]
        if any(b < a for a, b in zip(rates, rates[1:])):
            raise ValueError(f"tiers: rates must not fall with days outstanding; found {rates}")
        return self


FeeSchedule = Annotated[FlatFee | TieredFee | DailyFee | TableFee, Field(discriminator="schedule")]


class FactoringTermination(Strict):
    """Stop submitting receivables at ``stop_day``; after ``notice_days`` either let the factored
    book run off under the contract or buy back everything still open (source article 000)."""

    stop_day: NonNeg
    notice_days: NonNeg = 90.0
    settle: Literal["buy_back", "run_off"] = "buy_back"


class FactoringOffer(Strict):
    """A factoring contract: what is sold, what is advanced, what it costs, who bears what risk.

    - ``scope``/``segment``: insurer claims, patient balances or both, optionally narrowed to payer
      classes, a balance band (face at purchase, USD) and a score band;
    - ``mode``: ``flow`` sells each receivable ``funding_lag_days`` after it is submitted (claims)
      or statemented (patient balances); ``cohort`` sells the book open at ``cohort_day``;
    - advance = ``advance_rate`` × base, base = face or face × ``ecv_rate`` (expected collectable
      value, per payer class or one rate); an upfront ``admin_fee_rate`` × base is deducted;
    - ``recourse_days``: the hospital buys back what is still open then (advance share + fee
      accrued); ``null`` = non-recourse (the factor bears bad debt, not denials or disputes);
    - anti-assignment payers (Medicare/Medicaid) are factored only through a sweep of the
      hospital's account, ``sweep_lag_days`` later, or excluded if ``allow_anti_assignment`` is false.
    """

    description: str = ""
    scope: Literal["insurer", "patient", "all"] = "insurer"
    segment: Targeting | None = None
    mode: Literal["flow", "cohort"] = "flow"
    cohort_day: NonNeg = 0.0
    funding_lag_days: NonNeg = 2.0
    advance_rate: Annotated[float, Field(gt=0.0, le=1.0)]
    advance_base: Literal["face", "ecv"] = "face"
    ecv_rate: FactoringRate | dict[str, FactoringRate] | None = None
    admin_fee_rate: FactoringRate = 0.0
    fee: FeeSchedule
    fee_on: Literal["base", "advance"] = "base"
    recourse_days: Positive | None = 90.0
    allow_anti_assignment: bool = True
    sweep_lag_days: NonNeg = 2.0
    termination: FactoringTermination | None = None

    @model_validator(mode="after")
    def _check(self) -> "FactoringOffer":
        problems = []
        if self.advance_base == "ecv" and self.ecv_rate is None:
            problems.append("ecv_rate: required when advance_base is 'ecv' (one rate or one per payer)")
        if self.advance_base == "face" and self.ecv_rate is not None:
            problems.append("ecv_rate: only used with advance_base: ecv; found advance_base 'face'")
        first = {"tiered": getattr(self.fee, "first_days", None),
                 "table": self.fee.tiers[0].up_to_days if isinstance(self.fee, TableFee) else None
                 }.get(self.fee.schedule)
        if self.recourse_days is not None and first is not None and self.recourse_days < first:
            problems.append(f"recourse_days: must be >= the first fee tier ({first:g} days); "
                            f"found {self.recourse_days:g}")
        if self.admin_fee_rate > self.advance_rate:
            problems.append(f"admin_fee_rate: is deducted from the advance, so must be <= "
                            f"advance_rate ({self.advance_rate}); found {self.admin_fee_rate}")
        if self.mode == "flow" and self.cohort_day:
            problems.append("cohort_day: only used with mode: cohort")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def _pct(rate: float) -> str:
    return f"{rate * 100:g} %"


def _fee_words(fee) -> str:
    """A fee schedule in words: "fee 2.5 % for the first 30 days, then 2 % per 30 days"."""
    kind = getattr(fee, "schedule", "")
    cap = getattr(fee, "max_rate", None)
    cap_text = f", at most {_pct(cap)}" if cap is not None else ""
    if kind == "flat":
        return f"flat fee {_pct(fee.rate)}"
    if kind == "tiered":
        return (f"fee {_pct(fee.first_rate)} for the first {fee.first_days:g} days, then {_pct(fee.step_rate)} "
                f"per {fee.step_days:g} days{cap_text}")
    if kind == "daily":
        return f"fee {_pct(fee.rate_per_day)} a day{cap_text}"
    if kind == "table":
        tiers = ", ".join(f"{_pct(t.rate)} to day {t.up_to_days:g}" for t in fee.tiers)
        return f"fee {tiers}, then {_pct(fee.beyond_rate)}"
    data = {k: v for k, v in fee.model_dump().items() if k != "schedule" and v is not None}
    return f"{kind} fee (" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items()) + ")"


def terms_in_words(offer: FactoringOffer | None) -> str:
    """The contract in one line: scope, advance, fee schedule, recourse, termination."""
    if offer is None:
        return "no factoring"
    parts = [f"{offer.scope} receivables", f"{offer.advance_rate * 100:g} % advance on "
             + ("face" if offer.advance_base == "face" else "expected collectable value"),
             _fee_words(offer.fee),
             f"recourse at {offer.recourse_days:g} days" if offer.recourse_days else "non-recourse"]
    if offer.termination:
        parts.append(f"stops at day {offer.termination.stop_day:g} "
                     f"({offer.termination.settle.replace('_', '-')})")
    return ", ".join(parts)


@register_lever
class FactoringLever(Lever):
    """Settled after the collection run by :func:`simlib.model.factoring_settlement.overlay` (no account hooks)."""

    key = "factoring"
    title = "Factoring"
    settings = FactoringOffer | None
    # the law on assignment (US anti-assignment, …) is the jurisdiction's: simlib/scenario/jurisdictions
    risk = ("Factoring",
            "Recourse offers make the hospital buy back what is unpaid at the end of the recourse period; "
            "termination needs notice and a buy-back or a run-off. The factor may also demand "
            "audits and exclusivity not modelled here.")
    glossary = (
        ("Factoring", "Selling receivables to a factor, who pays an advance now and the rest (less its fee) "
         "when the bill is paid."),
        ("Advance rate", "The share of a receivable's value the factor pays at once."),
        ("Recourse", "The hospital must buy back receivables still unpaid after the recourse period; "
         "non-recourse offers leave the patients' non-payment with the factor."),
        ("Effective annual cost (APR)", "The factoring fees as a yearly interest rate on the money advanced, "
         "to compare with the cost of capital."),
    )

    @classmethod
    def active(cls, settings) -> bool:
        return False  # no hook in the collection run: the contract is settled on its ledger

    @classmethod
    def describe(cls, settings) -> str:
        return "" if settings is None else "factoring: " + terms_in_words(settings)

    @classmethod
    def check(cls, settings, strategy, scenario, at) -> list[str]:
        """Cross-field checks of a factoring offer against the scenario's payers and horizon."""
        f, out, payers = settings, [], sorted(scenario.payers)
        if f is None:
            return out
        if isinstance(f.ecv_rate, dict):
            unknown = sorted(set(f.ecv_rate) - set(payers))
            if unknown:
                out.append(f"{at}.ecv_rate: expected payers among {payers}; found unknown {unknown}")
            missing = sorted(set(payers) - set(f.ecv_rate))
            if missing:
                out.append(f"{at}.ecv_rate: missing a rate for payers {missing}")
        if f.segment and f.segment.payers:
            bad = [p for p in f.segment.payers if p not in scenario.payers]
            if bad:
                out.append(f"{at}.segment.payers: expected payers among {payers}; found unknown {bad}")
        horizon = scenario.simulation.horizon_days
        if f.termination and f.termination.stop_day > horizon:
            out.append(f"{at}.termination.stop_day: must be <= simulation.horizon_days "
                       f"({horizon:g}); found {f.termination.stop_day:g}")
        if f.mode == "cohort" and scenario.simulation.open_book_accounts == 0 and f.cohort_day == 0:
            out.append(f"{at}.mode: cohort sells the book open at cohort_day 0, but the scenario has "
                       "no open book (set simulation.open_book_accounts > 0)")
        return out
