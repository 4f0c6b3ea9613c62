"""The schema of a scenario file: pydantic models that refuse unknown keys and out-of-range values.

A scenario file (YAML) describes one hospital (payers, patients, behaviour, operations) and the
strategies to compare. Units are in the field names (``_days``, ``_per_day``, ``_rate``); amounts are in the scenario's ``currency``
(:mod:`simlib.core.money_names`).
Rates of the payment intensity are per day; the literature's per-year figures divide by 365.

The world's sections are defined here; a strategy's sections are the registered levers'
(:mod:`simlib.levers`: each lever module holds its own settings model), and the capacities' in
:mod:`simlib.world.capacities`. Every section model is importable from this module.

Errors name the file, the field path, what was expected and what was found
(:func:`load_scenario` raises :class:`ScenarioError`, which the CLI prints without a traceback).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_serializer, model_validator)

from simlib.scenario.uncertain import Uncertain
from simlib.scenario.variants import ScenarioVariants
from simlib.world.capacities.billing_team import BillingTeam
from simlib.world.capacities.denials_team import DenialsTeam
from simlib.world.contact_response import Harm
from simlib.world.channels import Channel, default_channels, registered_channels  # noqa: F401 (re-exported)
from simlib.levers import registered_levers
import simlib.policies  # noqa: F401  registers the policy sections (contact_outcomes, policy, barrier_policy)
from simlib.levers.agency import Agency
from simlib.levers.base import dump_sections, validate_sections
from simlib.levers.contact_limits import ContactLimits
from simlib.levers.deposit import Deposit
from simlib.levers.disputes import PriceEstimate
from simlib.levers.factoring import (DailyFee, FactoringOffer, FactoringTermination, FeeSchedule,
                                     FeeTier, FlatFee, TableFee, TieredFee)
from simlib.levers.financial_assistance import FinancialAssistance
from simlib.levers.financing import Financing
from simlib.levers.payment_plan import PaymentPlan
from simlib.levers.phone_team import PhoneTeam
from simlib.levers.prompt_pay_discount import PromptPayDiscount
from simlib.levers.reminders import Step
from simlib.levers.write_off import WriteOff
from simlib.scenario.finance_section import Finance
from simlib.core.currencies import DEFAULT_CURRENCY
from simlib.core.money_names import modernise
from simlib.scenario.jurisdiction_rules import jurisdiction_problems
from simlib.scenario.jurisdiction import (DEFAULT_JURISDICTION, check_currency, check_jurisdiction, fill_defaults,
                                         jurisdiction)
from simlib.scenario.liquidity import CreditLine
from simlib.scenario.materiality import Decision
from simlib.scenario.open_book import read_open_book
from simlib.scenario.simulation_section import Simulation
from simlib.scenario.team_sizing import apply_sizing
from simlib.scenario.value_bounds import value_problems
from simlib.scenario.text_safety import text_problems
from simlib.scenario.file_checks import boolean_number_problems, file_problems
from simlib.core.payment_timing import PaymentTimingSettings, resolve_block
from simlib.core.yaml_reading import read_yaml
from simlib.scenario.search_section import SearchSection
from simlib.scenario.sensitivity_section import SensitivitySection
from simlib.core.settings import Fraction, NonNeg, Positive, ScenarioError, Strict, Targeting

__all__ = [  # the world's sections, and the levers' and capacities' re-exported
    "Agency", "Behaviour", "BillingTeam", "Channel", "ContactLimits", "CreditLine", "DailyFee", "DenialsTeam",
    "Deposit", "FactoringOffer", "FinancialAssistance", "FactoringTermination", "FeeSchedule", "FeeTier", "Finance",
    "Financing", "FlatFee", "Operations", "Patients", "Payer", "PaymentPlan", "PhoneTeam",
    "PriceEstimate", "PromptPayDiscount", "Scenario", "ScenarioError", "Simulation", "Step",
    "Strategy", "Strict", "TableFee", "Targeting", "TieredFee", "WriteOff", "load_scenario",
    "scenario_from_dict"]

CHANNELS_BUILTIN = ("email", "sms", "whatsapp", "letter", "formal_demand", "call")


# --------------------------------------------------------------------------- world
class Payer(Strict):
    """A payer class: the claim it pays and the patient share it leaves."""

    share: Fraction
    allowed_median: Positive
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

    ability_monthly_median: Positive = 97.0
    ability_sigma: NonNeg = 0.8
    propensity_sigma: NonNeg = 0.8
    price_sensitivity_mean: NonNeg = 1.0
    score_noise_sd: NonNeg = 0.7
    # contact responsiveness: its own lognormal trait (mean 1), Gaussian copula with propensity
    contact_responsiveness_sigma: NonNeg | None = None  # None: propensity_sigma
    contact_propensity_correlation: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.3


class Behaviour(Strict):
    """Controlled self-exciting payment intensity (Chehrazi & Weber 2015), per day.

    lambda(t) decays toward ``floor_per_day`` at rate ``decay_per_day``; the statement sets it to
    ``initial_per_day`` scaled by (balance / balance_ref) ** -balance_elasticity and the
    patient's latent propensity; payments add ``payment_jump_base_per_day`` +
    ``payment_jump_fraction_per_day`` * R. ``payment_timing`` (optional): planners and bill
    covariates, the block ``simlib calibrate fit`` writes, pasted or named by path
    (:mod:`simlib.core.payment_timing`).
    """

    initial_per_day: NonNeg = 0.03
    floor_per_day: NonNeg = 0.0
    decay_per_day: NonNeg = 0.03      # 0: no fading (a fitted history may say so)
    balance_ref: Positive = 500.0
    balance_elasticity: float = 0.6   # may be < 0 (fitted); |value| bounded by simlib.scenario.value_bounds
    payment_jump_base_per_day: NonNeg = 0.001
    payment_jump_fraction_per_day: NonNeg = 0.01
    partial_fraction_min: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1
    partial_fraction_max: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    full_payment: Literal["ability", "never", "always"] = "ability"
    full_payment_months: Positive = 3.0
    due_date_jump_per_day: NonNeg = 0.005
    max_payments: Annotated[int, Field(ge=1, le=64)] = 12
    payment_timing: PaymentTimingSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _payment_timing(cls, data: Any, info: ValidationInfo) -> Any:
        return resolve_block(data, (info.context or {}).get("source"))
    # contact response (simlib.world.contact_response; docs/model.md "Contacts")
    unreached_statement_share: Fraction = 0.3
    contact_fatigue_per_contact: Fraction = 0.8
    contact_fatigue_window_days: Positive = 30.0
    contact_age_decay_days: Positive | None = 180.0  # None: no decay with the debt's age
    # prompt-pay discount dose-response: multiplier 1 + uplift_max x sensitivity x r / (r + half_rate)
    discount_uplift_max: NonNeg = 1.2
    discount_half_rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.10
    corrected_statement_jump_per_day: NonNeg = 0.02  # a resolved dispute's corrected statement

    @model_validator(mode="after")
    def _check(self) -> "Behaviour":
        if self.partial_fraction_min > self.partial_fraction_max:
            raise ValueError("partial_fraction_min must be <= partial_fraction_max")
        return self


class Operations(Strict):
    statement_lag_days: NonNeg = 5.0
    denials_team: DenialsTeam = DenialsTeam()
    billing_team: BillingTeam = BillingTeam()


class Strategy(Strict):
    """A named, declarative set of collection actions: a description, the baseline flag, and one
    optional section per registered lever (``deposit``, ``payment_plan``, …; see
    :func:`simlib.levers.registered_levers`). Sections are attributes (``strategy.deposit``);
    unknown keys are refused as for any other section."""

    model_config = ConfigDict(extra="allow", frozen=True)  # the levers' sections, validated below

    label: Annotated[str, Field(min_length=1, max_length=60)] | None = None  # the board's name for it
    description: str = ""
    baseline: bool = False

    @model_validator(mode="wrap")
    @classmethod
    def _lever_sections(cls, data: Any, handler: Any) -> "Strategy":
        return validate_sections(cls, data, handler)

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any, info: Any) -> dict:
        return dump_sections(self, handler, info)


class Scenario(ScenarioVariants, Strict):
    """One hospital and the strategies to compare on it (changed copies: ``variant``, ``with_values``)."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    label: Annotated[str, Field(min_length=1, max_length=80)] | None = None  # the board's name for it
    description: str = ""
    simulation: Simulation = Simulation()
    decision: Decision = Decision()  # materiality of differences (simlib.scenario.materiality)
    # whose laws apply and what the money is in (simlib.scenario.jurisdiction; docs/jurisdictions.md)
    jurisdiction: Annotated[str, AfterValidator(check_jurisdiction)] = DEFAULT_JURISDICTION
    currency: Annotated[str, AfterValidator(check_currency)] = DEFAULT_CURRENCY  # omitted: the jurisdiction's
    language: Literal["en", "fr", "es"] = "en"  # the reports' language (simlib.core.language)
    finance: Finance = Finance()
    payers: dict[str, Payer]
    patients: Patients = Patients()
    behaviour: Behaviour = Behaviour()
    channels: dict[str, Channel] = Field(default_factory=default_channels)
    operations: Operations = Operations()
    harm: Harm = Harm()  # what harm to patients costs (simlib.world.contact_response)
    strategies: dict[str, Strategy]
    search: SearchSection | None = None  # what `simlib search` may change (simlib.scenario.search_section)
    uncertain: Uncertain = []  # after every section it names: simlib.scenario.uncertain
    sensitivity: SensitivitySection = None  # after strategies: its paths are checked against them

    @model_validator(mode="before")
    @classmethod
    def _jurisdiction_defaults(cls, data: Any) -> Any:
        return fill_defaults(data)

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
        problems = apply_sizing(self) + _cross_field_problems(self)  # teams sized for the volume first
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def law(self):
        """The rules of the scenario's jurisdiction (:class:`simlib.scenario.jurisdiction.Jurisdiction`)."""
        return jurisdiction(self.jurisdiction)

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
    book = sc.simulation.open_book
    if book is not None:  # every bad row of the A/R aging report, one line each
        try:
            read_open_book(Path(book.file), book.columns, tuple(sc.payers))
        except ValueError as err:
            out.extend(f"simulation.open_book: {line}" for line in str(err).splitlines())
    levers = registered_levers()
    for sname, st in sc.strategies.items():
        for key, lever in levers.items():
            out.extend(lever.check(getattr(st, key), st, sc, f"strategies.{sname}.{key}"))
    return out + jurisdiction_problems(sc)


# --------------------------------------------------------------------------- loading
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
    data, clashes = modernise(data, source)
    if clashes:
        raise ScenarioError(source, clashes)
    try:
        sc = Scenario.model_validate(data, context={"source": source})
    except ValidationError as exc:
        lines = [line for e in exc.errors() for line in _describe(e).splitlines()]
        raise ScenarioError(source, lines) from None
    dumped = sc.model_dump(mode="json")  # bounds; visible text; no yes/no read as a number
    problems = value_problems(sc) + text_problems(dumped) + boolean_number_problems(data, dumped)
    if problems:
        raise ScenarioError(source, problems)
    return sc


ScenarioVariants.variant_validator = staticmethod(scenario_from_dict)  # variants are validated as files are


#: The calibrated hospital that a scenario file's omitted sections come from (never the models'
#: built-in defaults, which are not a calibrated hospital): the package's own copy of the repository's
#: ``parameters/baseline.yaml`` (package data, so an installed simlib needs no checkout; kept
#: identical by tests/test_templates.py). ``simlib new`` writes from the same file.
CALIBRATED_BASELINE = Path(__file__).resolve().parent / "templates" / "baseline.yaml"
#: The hospital's sections a file may omit (they are then the calibrated baseline's, said by validate).
INHERITABLE_SECTIONS = ("simulation", "finance", "patients", "behaviour", "operations")


def inherited_sections(data: Any) -> list[str]:
    """The hospital sections a scenario file's mapping leaves out (taken from the baseline)."""
    return [k for k in INHERITABLE_SECTIONS if isinstance(data, dict) and k not in data]


def inherited_note(path: str | Path) -> str:
    """``"; finance, behaviour from the calibrated baseline"`` for `simlib validate`, or ``""``."""
    missing = inherited_sections(read_yaml(path))
    return f"; {', '.join(missing)} from the calibrated baseline" if missing else ""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file; raise ScenarioError naming file and fields.

    The file is read by :func:`simlib.core.yaml_reading.read_yaml` (regular UTF-8 file, size,
    nesting depth and duplicate keys checked; each problem is one line). A hospital section the
    file omits (``finance:``, ``behaviour:`` …) is the calibrated baseline's, whole; a ``finance:``
    section must state the hospital's ``starting_cash`` (the cash curve starts there)."""
    data, clashes = modernise(read_yaml(path), str(path))  # files of the `_usd` era still load
    if clashes:
        raise ScenarioError(str(path), clashes)
    missing = inherited_sections(data)
    money = (fill_defaults(data) if isinstance(data, dict) else {}).get("currency", DEFAULT_CURRENCY)
    in_dollars = [k for k in missing if k != "simulation"]
    if money != DEFAULT_CURRENCY and in_dollars:  # the baseline's amounts are US dollars
        raise ScenarioError(str(path), [f"{k}: section missing; expected it in the file: the calibrated baseline's "
                                        f"amounts are US dollars and this scenario's money is {money}" for k in in_dollars])
    if missing and Path(path).resolve() != CALIBRATED_BASELINE:
        if not CALIBRATED_BASELINE.is_file():
            raise ScenarioError(str(path), [f"{k}: section missing; expected it in the file (the calibrated "
                                            f"baseline {CALIBRATED_BASELINE} is missing from this installation: "
                                            "reinstall simlib)" for k in missing])
        base = read_yaml(CALIBRATED_BASELINE)
        data = {**data, **{k: base[k] for k in missing if k in base}}
    if isinstance(data, dict) and isinstance(data.get("finance"), dict) \
            and "starting_cash" not in data["finance"]:
        raise ScenarioError(str(path), ["finance.starting_cash: expected the hospital's cash at day 0 "
                                        "(the cash curve and its low point start there; write 0 if that is "
                                        "true); found nothing"])
    sc = scenario_from_dict(data, str(path))
    problems = file_problems(sc)  # what the models accept but would silently change the answer
    if problems:
        raise ScenarioError(str(path), problems)
    return sc
