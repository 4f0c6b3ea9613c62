"""Scenario parameters: pydantic models that refuse unknown keys and out-of-range values.

A scenario file (YAML) describes one hospital (payers, patients, behaviour, operations) and the
strategies to compare. Units are in the field names (``_days``, ``_per_day``, ``_rate``, ``_usd``).
Rates of the payment intensity are per day; the literature's per-year figures divide by 365.

Errors name the file, the field path, what was expected and what was found
(:func:`load_scenario` raises :class:`ScenarioError`, which the CLI prints without a traceback).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simlib.limits import (ACCOUNTS_MAX, ENCOUNTERS_PER_DAY_MAX, HORIZON_DAYS_MAX, REPLICATIONS_MAX,
                           SEED_MAX, WORKERS_MAX)

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]

CHANNELS_BUILTIN = ("email", "sms", "whatsapp", "letter", "formal_demand", "call")


class Strict(BaseModel):
    # allow_inf_nan=False: NaN and ±inf are refused in every numeric field (YAML .nan/.inf, 1e999)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- world
class Simulation(Strict):
    """Time frame and sample size of a run. Upper bounds are documented in docs/robustness.md."""

    horizon_days: Annotated[float, Field(gt=0.0, le=HORIZON_DAYS_MAX)] = 540.0
    billing_window_days: Annotated[float, Field(gt=0.0, le=HORIZON_DAYS_MAX)] = 365.0
    encounters_per_day: Annotated[float, Field(ge=0.0, le=ENCOUNTERS_PER_DAY_MAX)] = 40.0
    open_book_accounts: Annotated[int, Field(ge=0, le=ACCOUNTS_MAX)] = 0
    open_book_age_days_max: Annotated[float, Field(ge=0.0, le=HORIZON_DAYS_MAX)] = 120.0
    measurement_day: Positive = 365.0
    ar_window_days: Positive = 90.0
    replications: Annotated[int, Field(ge=2, le=REPLICATIONS_MAX)] = 20
    seed: Annotated[int, Field(ge=0, le=SEED_MAX)] = 20261123
    workers: Annotated[int, Field(ge=1, le=WORKERS_MAX)] = 1
    scheduler: Annotated[str, Field(min_length=1, max_length=2048)] | None = None

    @field_validator("scheduler")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        from simlib.scheduler_address import parse_scheduler_address
        return None if value is None else parse_scheduler_address(value)

    @model_validator(mode="after")
    def _check(self) -> "Simulation":
        if self.measurement_day > self.horizon_days:
            raise ValueError("measurement_day must be <= horizon_days")
        if self.ar_window_days > self.measurement_day:
            raise ValueError("ar_window_days must be <= measurement_day")
        if self.encounters_per_day == 0 and self.open_book_accounts == 0:
            raise ValueError("no accounts: set encounters_per_day > 0 or open_book_accounts > 0")
        accounts = self.encounters_per_day * self.billing_window_days + self.open_book_accounts
        if accounts > ACCOUNTS_MAX:
            raise ValueError(f"expected at most {ACCOUNTS_MAX:,} accounts per replication "
                             f"(encounters_per_day × billing_window_days + open_book_accounts); "
                             f"found {accounts:,.0f}")
        return self


class Finance(Strict):
    """The hospital's money context."""

    cost_of_capital_annual: Annotated[float, Field(ge=0.0, le=1.0)] = 0.08
    starting_cash_usd: float = 0.0
    cost_of_care_ratio: Fraction = 0.0
    us_nonprofit: bool = True


class Payer(Strict):
    """A payer class: the claim it pays and the patient share it leaves."""

    share: Fraction
    allowed_median_usd: Positive
    allowed_sigma: NonNeg = 1.0
    patient_share: Fraction = 0.15
    submission_lag_days: NonNeg = 3.0
    adjudication_days_min: NonNeg = 14.0
    adjudication_days_mean: NonNeg = 30.0
    initial_denial_rate: Fraction = 0.12
    overturn_rate: Fraction = 0.6
    anti_assignment: bool = False
    emergency_share: Fraction = 0.25

    @model_validator(mode="after")
    def _check(self) -> "Payer":
        if self.adjudication_days_mean < self.adjudication_days_min:
            raise ValueError("adjudication_days_mean must be >= adjudication_days_min")
        return self


class Patients(Strict):
    """Latent patient traits, drawn once per account."""

    ability_monthly_median_usd: Positive = 97.0
    ability_sigma: NonNeg = 0.8
    propensity_sigma: NonNeg = 0.8
    price_sensitivity_mean: NonNeg = 1.0
    score_noise_sd: NonNeg = 0.7


class Behaviour(Strict):
    """Controlled self-exciting payment intensity (Chehrazi & Weber 2015), per day.

    lambda(t) decays toward ``floor_per_day`` at rate ``decay_per_day``; the statement sets it to
    ``initial_per_day`` scaled by (balance / balance_ref_usd) ** -balance_elasticity and the
    patient's latent propensity; payments add ``payment_jump_base_per_day`` +
    ``payment_jump_fraction_per_day`` * R.
    """

    initial_per_day: NonNeg = 0.03
    floor_per_day: NonNeg = 0.0
    decay_per_day: Positive = 0.03
    balance_ref_usd: Positive = 500.0
    balance_elasticity: NonNeg = 0.6
    payment_jump_base_per_day: NonNeg = 0.001
    payment_jump_fraction_per_day: NonNeg = 0.01
    partial_fraction_min: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1
    partial_fraction_max: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    full_payment: Literal["ability", "never", "always"] = "ability"
    full_payment_months: Positive = 3.0
    due_date_jump_per_day: NonNeg = 0.005
    max_payments: Annotated[int, Field(ge=1, le=64)] = 12

    @model_validator(mode="after")
    def _check(self) -> "Behaviour":
        if self.partial_fraction_min > self.partial_fraction_max:
            raise ValueError("partial_fraction_min must be <= partial_fraction_max")
        return self


class Channel(Strict):
    """A contact channel: what a contact costs, who it reaches and how much it moves intensity."""

    cost_usd: NonNeg = 0.0
    reach: Fraction = 1.0
    jump_per_day: NonNeg = 0.0
    kind: str = "message"


def default_channels() -> dict[str, Channel]:
    return {
        "email": Channel(cost_usd=0.05, reach=0.6, jump_per_day=0.004),
        "sms": Channel(cost_usd=0.03, reach=0.75, jump_per_day=0.008),
        "whatsapp": Channel(cost_usd=0.04, reach=0.45, jump_per_day=0.008),
        "letter": Channel(cost_usd=1.10, reach=0.95, jump_per_day=0.004),
        "formal_demand": Channel(cost_usd=8.0, reach=0.95, jump_per_day=0.010),
        "call": Channel(cost_usd=0.0, reach=1.0, jump_per_day=0.03, kind="call"),
    }


class DenialsTeam(Strict):
    """Staff who rework denied claims (a SimPy Resource)."""

    staff: Annotated[int, Field(ge=0)] = 2
    hours_per_rework: Positive = 1.5
    hours_per_day: Annotated[float, Field(gt=0.0, le=24.0)] = 7.0
    payer_review_days_min: NonNeg = 45.0
    payer_review_days_max: NonNeg = 60.0
    max_rounds: Annotated[int, Field(ge=0, le=10)] = 3
    cost_per_rework_usd: NonNeg = 57.23
    filing_limit_days: Positive = 180.0
    final_denial_to_patient_share: Fraction = 0.0

    @model_validator(mode="after")
    def _check(self) -> "DenialsTeam":
        if self.payer_review_days_max < self.payer_review_days_min:
            raise ValueError("payer_review_days_max must be >= payer_review_days_min")
        return self


class BillingTeam(Strict):
    """Staff who resolve patient disputes caused by billing errors (a SimPy Resource)."""

    staff: Annotated[int, Field(ge=1)] = 1
    hours_per_dispute: Positive = 2.0
    hours_per_day: Annotated[float, Field(gt=0.0, le=24.0)] = 7.0
    billing_error_rate: Fraction = 0.05
    dispute_delay_days_mean: NonNeg = 14.0
    patient_favour_rate: Fraction = 0.7
    correction_fraction_mean: Fraction = 0.3
    cost_per_dispute_usd: NonNeg = 25.0


class Operations(Strict):
    statement_lag_days: NonNeg = 5.0
    denials_team: DenialsTeam = DenialsTeam()
    billing_team: BillingTeam = BillingTeam()


# --------------------------------------------------------------------------- strategy
class Targeting(Strict):
    """Who a reminder step is for. Score bands are percentiles of the observed score (0–1)."""

    score_min: Fraction = 0.0
    score_max: Fraction = 1.0
    balance_min_usd: NonNeg = 0.0
    balance_max_usd: float | None = None
    payers: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> "Targeting":
        if self.score_min > self.score_max:
            raise ValueError("score_min must be <= score_max")
        if self.balance_max_usd is not None and self.balance_max_usd < self.balance_min_usd:
            raise ValueError("balance_max_usd must be >= balance_min_usd")
        return self


class Step(Strict):
    """One rung of a reminder ladder: on ``day`` after the statement (or due date), use ``channel``."""

    day: NonNeg
    channel: str
    hour: Annotated[float, Field(ge=0.0, lt=24.0)] | None = 10.0  # None: exactly `day` days later
    relative_to: Literal["statement", "due_date"] = "statement"
    target: Targeting = Targeting()


class PhoneTeam(Strict):
    """Agents who place calls: a SimPy Resource open during working hours."""

    agents: Annotated[int, Field(ge=1)] = 2
    hours: tuple[Annotated[float, Field(ge=0, le=24)], Annotated[float, Field(ge=0, le=24)]] = (9.0, 17.0)
    working_days: list[Annotated[int, Field(ge=0, le=6)]] = [0, 1, 2, 3, 4]
    call_minutes_mean: Positive = 8.0
    right_party_contact_rate: Fraction = 0.35
    cost_per_agent_hour_usd: NonNeg = 28.0
    max_wait_days: Positive = 5.0

    @model_validator(mode="after")
    def _check(self) -> "PhoneTeam":
        if self.hours[0] >= self.hours[1]:
            raise ValueError("hours must be [start, end] with start < end")
        if not self.working_days:
            raise ValueError("working_days must list at least one day (0=Monday … 6=Sunday)")
        return self


class ContactLimits(Strict):
    """Contact-frequency limits (Reg F 7-in-7; Chile 1 call + 2 messages a week) and quiet hours."""

    calls_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    messages_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    quiet_hours: tuple[Annotated[float, Field(ge=0, le=24)], Annotated[float, Field(ge=0, le=24)]] | None = None


class PromptPayDiscount(Strict):
    rate: Annotated[float, Field(gt=0.0, lt=1.0)]
    window_days: Positive
    eligible_payers: list[str] | None = None
    intensity_multiplier: Annotated[float, Field(ge=1.0)] = 1.5


class Deposit(Strict):
    share: Fraction
    compliance_rate: Fraction


class PriceEstimate(Strict):
    dispute_rate_multiplier: Fraction = 0.5
    resolution_hours_multiplier: Fraction = 0.7


class WriteOff(Strict):
    after_days: Positive = 180.0
    below_balance_usd: NonNeg = 0.0


# ----------------------------------------------------------- finance levers: plans, financing, agency
class PaymentPlan(Strict):
    """An instalment plan offered on ``offer_day`` after the statement to balances of at least
    ``balance_min_usd``; a patient takes it when their uptake uniform is below ``uptake_rate``.

    Instalment: ``sizing: even`` → balance ÷ ``max_months``; ``sizing: ability`` → the patient's
    monthly ability to pay × ``affordability_share``, raised to balance ÷ ``max_months`` when that
    would take longer than ``max_months`` (and never below ``instalment_min_usd``). Instalments fall
    every ``month_days``, the first on the day the plan starts; the last takes the rounding.
    Each instalment is missed with probability
    ``min(1, miss_base_rate × (instalment ÷ ability) ** miss_elasticity)``, times
    ``autopay_miss_factor`` for patients on autopay (``autopay_rate`` of takers). A missed instalment
    is not paid and the plan runs one month longer; after ``default_after_misses`` misses in total
    (not necessarily consecutive) the plan defaults and the account returns to normal collection.
    """

    balance_min_usd: NonNeg = 200.0
    offer_day: NonNeg = 0.0
    uptake_rate: Fraction = 0.3
    sizing: Literal["ability", "even"] = "ability"
    affordability_share: Positive = 1.0
    instalment_min_usd: NonNeg = 0.0
    max_months: Annotated[int, Field(ge=1, le=36)] = 12
    month_days: Positive = 30.0
    autopay_rate: Fraction = 0.5
    autopay_miss_factor: Fraction = 0.5
    miss_base_rate: Fraction = 0.02
    miss_elasticity: NonNeg = 1.0
    default_after_misses: Annotated[int, Field(ge=1)] = 3

    @model_validator(mode="after")
    def _check(self) -> "PaymentPlan":
        from simlib.population import PLAN_MONTHS_MAX  # pre-drawn miss uniforms per account
        if self.max_months + self.default_after_misses - 1 > PLAN_MONTHS_MAX:
            raise ValueError(f"max_months + default_after_misses - 1 must be <= {PLAN_MONTHS_MAX} "
                             f"(instalment months drawn per account); found "
                             f"{self.max_months} + {self.default_after_misses} - 1")
        return self


class Financing(Strict):
    """Third-party patient financing: offered on ``offer_day`` after the statement to balances in
    [balance_min_usd, balance_max_usd]; a taker's lender pays the hospital the whole balance at once
    (the receivable closes) and the hospital pays ``merchant_fee_rate`` × balance. The lender bears
    the patient's default risk."""

    balance_min_usd: NonNeg = 500.0
    balance_max_usd: Positive | None = None
    offer_day: NonNeg = 0.0
    uptake_rate: Fraction = 0.15
    merchant_fee_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.06

    @model_validator(mode="after")
    def _check(self) -> "Financing":
        if self.balance_max_usd is not None and self.balance_max_usd < self.balance_min_usd:
            raise ValueError("balance_max_usd must be >= balance_min_usd")
        return self


class Agency(Strict):
    """Placement with a collection agency ``placement_days`` after the statement, for balances of
    at least ``balance_min_usd`` still open (and not on a payment plan).

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
    balance_min_usd: NonNeg = 0.0
    fee_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.30
    initial_per_day: NonNeg = 0.01
    floor_per_day: NonNeg = 0.0
    decay_per_day: Positive = 0.02
    contact_days: list[NonNeg] = []
    contact_jump_per_day: NonNeg = 0.005
    recall_days: Positive = 180.0


def _lever_problems(at: str, st: "Strategy", sc: "Scenario") -> list[str]:
    """Cross-field problems of a strategy's payment plan, financing and agency sections."""
    out = []
    ag = st.agency
    if ag is not None:
        if ag.kind == "bad_debt" and sc.finance.us_nonprofit and ag.placement_days < 120:
            out.append(f"{at}.agency.placement_days: a bad-debt placement is an extraordinary "
                       f"collection action, which IRS §501(r)(6) forbids a US nonprofit hospital "
                       f"(finance.us_nonprofit: true) before 120 days after the first statement; "
                       f"expected >= 120; found {ag.placement_days:g} (use kind: early_out for a "
                       f"soft placement that is not an ECA)")
        if ag.placement_days >= st.write_off.after_days:
            out.append(f"{at}.agency.placement_days: must be before the hospital's write-off "
                       f"(write_off.after_days = {st.write_off.after_days:g}), or no account is "
                       f"ever placed; found {ag.placement_days:g}")
        if any(d >= ag.recall_days for d in ag.contact_days):
            out.append(f"{at}.agency.contact_days: every contact must fall before the recall "
                       f"(recall_days = {ag.recall_days:g}); found {sorted(ag.contact_days)}")
    return out


# --------------------------------------------------------------------------- factoring
# Medical factoring offers (DESIGN §4, domain-research §4). The contract is an overlay on the
# simulated collection path: patients and insurers behave the same, the offer only decides who
# gets the cash and when (see simlib/factoring.py for the exact settlement rules).
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


def _factoring_problems(sc: "Scenario") -> list[str]:
    """Cross-field checks of factoring offers against the scenario's payers."""
    out, payers = [], sorted(sc.payers)
    for sname, st in sc.strategies.items():
        f = st.factoring
        if f is None:
            continue
        at = f"strategies.{sname}.factoring"
        if isinstance(f.ecv_rate, dict):
            unknown = sorted(set(f.ecv_rate) - set(payers))
            if unknown:
                out.append(f"{at}.ecv_rate: expected payers among {payers}; found unknown {unknown}")
            missing = sorted(set(payers) - set(f.ecv_rate))
            if missing:
                out.append(f"{at}.ecv_rate: missing a rate for payers {missing}")
        if f.segment and f.segment.payers:
            bad = [p for p in f.segment.payers if p not in sc.payers]
            if bad:
                out.append(f"{at}.segment.payers: expected payers among {payers}; found unknown {bad}")
        if f.termination and f.termination.stop_day > sc.simulation.horizon_days:
            out.append(f"{at}.termination.stop_day: must be <= simulation.horizon_days "
                       f"({sc.simulation.horizon_days:g}); found {f.termination.stop_day:g}")
        if f.mode == "cohort" and sc.simulation.open_book_accounts == 0 and f.cohort_day == 0:
            out.append(f"{at}.mode: cohort sells the book open at cohort_day 0, but the scenario has "
                       "no open book (set simulation.open_book_accounts > 0)")
    return out
# --------------------------------------------------------------------------- end factoring


class Strategy(Strict):
    """A named, declarative set of collection actions; everything optional."""

    description: str = ""
    baseline: bool = False
    credit_terms_days: NonNeg = 30.0
    statement_channel: str = "letter"
    ladder: list[Step] = []
    phone_team: PhoneTeam | None = None
    contact_limits: ContactLimits = ContactLimits()
    prompt_pay_discount: PromptPayDiscount | None = None
    deposit: Deposit | None = None
    price_estimate: PriceEstimate | None = None
    write_off: WriteOff = WriteOff()
    payment_plan: PaymentPlan | None = None
    financing: Financing | None = None
    agency: Agency | None = None
    factoring: FactoringOffer | None = None


class Scenario(Strict):
    """One hospital and the strategies to compare on it."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    description: str = ""
    simulation: Simulation = Simulation()
    finance: Finance = Finance()
    payers: dict[str, Payer]
    patients: Patients = Patients()
    behaviour: Behaviour = Behaviour()
    channels: dict[str, Channel] = Field(default_factory=default_channels)
    operations: Operations = Operations()
    strategies: dict[str, Strategy]

    @field_validator("channels", mode="before")
    @classmethod
    def _merge_default_channels(cls, value: Any) -> Any:
        """Channels given in a file override the built-in ones field by field; new names are added."""
        if not isinstance(value, dict):
            return value
        merged = {name: ch.model_dump() for name, ch in default_channels().items()}
        for name, fields in value.items():
            if isinstance(fields, dict) and name in merged:
                merged[name] = {**merged[name], **fields}
            else:
                merged[name] = fields
        return merged

    @model_validator(mode="after")
    def _check(self) -> "Scenario":
        problems = _cross_field_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def baseline_strategy(self) -> str:
        for name, s in self.strategies.items():
            if s.baseline:
                return name
        return next(iter(self.strategies))

    def parameter_hash(self) -> str:
        """A stable hash of the resolved parameters (provenance)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _cross_field_problems(sc: "Scenario") -> list[str]:
    """Every problem that involves more than one field, so all are reported at once."""
    from simlib.channels import registered_channels

    out = []
    total = sum(p.share for p in sc.payers.values())
    if abs(total - 1.0) > 1e-6:
        out.append(f"payers: shares must sum to 1; found {total:.4f}")
    if not sc.strategies:
        out.append("strategies: at least one strategy is required")
    baselines = [n for n, s in sc.strategies.items() if s.baseline]
    if len(baselines) > 1:
        out.append(f"strategies: only one may have baseline: true; found {baselines}")
    kinds = registered_channels()
    for cname, ch in sc.channels.items():
        if ch.kind not in kinds:
            out.append(f"channels.{cname}.kind: expected one of {sorted(kinds)}; found {ch.kind!r}")
    known, payers = sorted(sc.channels), sorted(sc.payers)

    def unknown_payers(where, names):
        bad = [p for p in names or [] if p not in sc.payers]
        if bad:
            out.append(f"{where}: expected payers among {payers}; found unknown {bad}")

    for sname, st in sc.strategies.items():
        at = f"strategies.{sname}"
        if st.statement_channel not in sc.channels:
            out.append(f"{at}.statement_channel: expected one of {known}; found {st.statement_channel!r}")
        for i, step in enumerate(st.ladder):
            if step.channel not in sc.channels:
                out.append(f"{at}.ladder.{i}.channel: expected one of {known}; found {step.channel!r}")
            elif sc.channels[step.channel].kind == "call" and st.phone_team is None:
                out.append(f"{at}.ladder.{i}: a call step needs a phone_team in the strategy")
            unknown_payers(f"{at}.ladder.{i}.target.payers", step.target.payers)
        if st.prompt_pay_discount:
            unknown_payers(f"{at}.prompt_pay_discount.eligible_payers", st.prompt_pay_discount.eligible_payers)
        lim = st.contact_limits
        if st.phone_team and lim.quiet_hours and _overlaps_quiet(*st.phone_team.hours, *lim.quiet_hours):
            out.append(f"{at}.phone_team.hours: calls would fall in the quiet hours "
                       f"{list(lim.quiet_hours)}; found working hours {list(st.phone_team.hours)}")
        out.extend(_lever_problems(at, st, sc))
    out.extend(_factoring_problems(sc))
    return out


def _overlaps_quiet(h0: float, h1: float, q0: float, q1: float) -> bool:
    """Quiet hours [q0, q1) may wrap midnight (e.g. 21 → 8)."""
    hours = [h0 + (h1 - h0) * k / 96 for k in range(97)][:-1]
    if q0 > q1:
        return any(h >= q0 or h < q1 for h in hours)
    return any(q0 <= h < q1 for h in hours)


# --------------------------------------------------------------------------- loading
class ScenarioError(Exception):
    """Invalid scenario input; ``str(err)`` lists every problem found, each on its own line."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    typ = err["type"]
    found = err.get("input")
    found_s = repr(found) if not isinstance(found, (dict, list)) else type(found).__name__
    if len(found_s) > 60:
        found_s = found_s[:57] + "..."
    if typ == "extra_forbidden":
        return f"{loc}: unknown field (typo?); found {found_s}"
    if typ == "missing":
        return f"{loc}: required field is missing"
    msg = err["msg"]
    if typ == "value_error":
        msg = msg.removeprefix("Value error, ")
        return msg if loc == "(top level)" else "\n".join(f"{loc}: {m}" for m in msg.splitlines())
    msg = msg.removeprefix("Input should be ")
    return f"{loc}: expected {msg[0].lower() + msg[1:]}; found {found_s}"


def scenario_from_dict(data: Any, source: str = "<dict>") -> Scenario:
    if data is None:
        raise ScenarioError(source, ["the document is empty; expected a mapping with name, payers "
                                     "and strategies"])
    if not isinstance(data, dict):
        raise ScenarioError(source, [f"expected a mapping of fields at the top level; found {type(data).__name__}"])
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [line for e in exc.errors() for line in _describe(e).splitlines()]
        raise ScenarioError(source, lines) from None
    from simlib.bounds import value_problems  # bounds of values the models leave open
    problems = value_problems(sc)
    if problems:
        raise ScenarioError(source, problems)
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file; raise ScenarioError naming file and fields.

    The file is read by :func:`simlib.scenario_file.read_yaml` (regular UTF-8 file, size,
    nesting depth and duplicate keys checked; each problem is one line)."""
    from simlib.scenario_file import read_yaml
    return scenario_from_dict(read_yaml(path), str(path))
