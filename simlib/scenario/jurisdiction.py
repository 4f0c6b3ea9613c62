"""Jurisdictions as data: one YAML file per country in ``simlib/scenario/jurisdictions/``.

A scenario names its jurisdiction (``jurisdiction: FR``; ISO 3166-1 alpha-2, default ``US``) and
its currency (``currency: EUR``; ISO 4217, default the jurisdiction's own). The jurisdiction's
file holds its rules with their sources; adding a country is adding a file (docs/jurisdictions.md).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from simlib.core.currencies import CURRENCIES, DEFAULT_CURRENCY
from simlib.core.settings import Strict
from simlib.core.yaml_reading import read_yaml

FOLDER = Path(__file__).resolve().parent / "jurisdictions"
DEFAULT_JURISDICTION = "US"


Weekday = Annotated[int, Field(ge=0, le=6)]
Hour = Annotated[float, Field(ge=0, le=24)]


class Sourced(Strict):
    """A rule in words and where it is written (a law's article, an official page)."""

    rule: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]


class ContactRule(Sourced):
    """Who the contact caps bind (``all``: the hospital too; ``agency``: third-party collectors
    only; ``none``: no numeric rule) and the caps: calls and messages per rolling 7 days (mail
    counted with messages or not), days between two messages, the hours and weekdays allowed."""

    applies_to: Literal["all", "agency", "none"]
    calls_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    messages_per_7_days_max: Annotated[int, Field(ge=0)] | None = None
    messages_include_mail: bool = False
    message_spacing_days_min: Annotated[float, Field(ge=0)] | None = None
    contact_hours: tuple[Hour, Hour] | None = None
    no_contact_weekdays: list[Weekday] = []


class Charity(Sourced):
    """Whether the US nonprofit charity rules (IRS §501(r)) exist in this jurisdiction."""

    us_501r: bool


class ForbiddenLever(Sourced):
    """A lever this jurisdiction's law forbids outright (its key in a strategy)."""

    lever: str


class Bracket(Strict):
    """A marginal rate on the part of the overdue amount up to ``up_to_uf`` (``None``: above)."""

    up_to_uf: Annotated[float, Field(gt=0)] | None
    rate: Annotated[float, Field(ge=0, le=1)]


class CollectionCharges(Sourced):
    """Whether charges for collecting may be added to the patient's bill, from which day past
    due, and their cap by bracket of the overdue amount in UF (Chile's unidad de fomento)."""

    allowed: bool
    after_days_past_due: Annotated[float, Field(ge=0)] = 0.0
    uf_value_clp: Annotated[float, Field(gt=0)] | None = None
    uf_source: str = ""
    brackets: list[Bracket] = []


class LimitationPeriod(Sourced):
    years: Annotated[float, Field(gt=0)]


class PublicRecovery(Sourced):
    """How a public hospital's bills are recovered by the public accountant (France: the
    comptable public of the DGFiP), where the jurisdiction has that path: the least days between
    the formal demand and an enforcement with fees (``demand_wait_days``), and the balance below
    which no garnishment (saisie administrative à tiers détenteur) may be made, by garnishee
    (``seizure_min_balance``: ``bank``, ``employer``; the seuil de poursuites), with its source."""

    demand_wait_days: Annotated[float, Field(ge=0)]
    seizure_min_balance: dict[Literal["bank", "employer"], Annotated[float, Field(ge=0)]]
    threshold_rule: Annotated[str, Field(min_length=1)]
    threshold_source: Annotated[str, Field(min_length=1)]


class PublicHospital(Sourced):
    """What a public hospital may not use because the public accountant alone recovers its bills
    (``levers``: their keys in a strategy)."""

    levers: list[str]


class CreditReporting(Sourced):
    """Whether a hospital (or its agency) may report an unpaid patient balance to a credit bureau
    here, and the bureaus' limits where it may: the least balance (``balance_min``, in the
    jurisdiction's ``currency``) and days after the statement (``wait_days``) before reporting."""

    allowed: bool
    balance_min: Annotated[float, Field(ge=0)] = 0.0
    wait_days: Annotated[float, Field(ge=0)] = 0.0


class BoardRisk(Strict):
    """A law a lever meets here, for the board's "Limitations and risks": said before the lever's
    own note of the same topic (``replace``: instead of it, and only where the lever has one);
    ``kind``: only for that kind of the lever's settings; ``when: us_nonprofit``: only for a US
    nonprofit hospital."""

    lever: str
    topic: str
    text: str
    kind: str | None = None
    when: Literal["us_nonprofit"] | None = None
    replace: bool = False


class BoardTerm(Strict):
    """A legal term of a lever, for the board's glossary when a strategy uses the lever."""

    lever: str
    term: str
    text: str
    first: bool = False  # before the lever's own terms (default: after them)


class Board(Strict):
    risks: list[BoardRisk] = []
    glossary: list[BoardTerm] = []


class Jurisdiction(Strict):
    """One country's file: code (ISO 3166-1), name, currency, and its rules with their sources."""

    code: str
    name: str
    currency: str
    contact: ContactRule
    charity: Charity
    forbidden_levers: list[ForbiddenLever] = []
    collection_charges: CollectionCharges
    limitation_period: LimitationPeriod
    late_payment: Sourced
    credit_reporting: CreditReporting
    public_recovery: PublicRecovery | None = None
    public_hospital: PublicHospital | None = None
    board: Board = Board()


@cache
def jurisdictions() -> dict[str, Jurisdiction]:
    """Every jurisdiction file of the package, by code (read once)."""
    out = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        try:
            j = Jurisdiction.model_validate(read_yaml(path))
        except ValidationError as exc:  # a broken package file is a bug, said with its path
            raise RuntimeError(f"{path}: {exc}") from None
        if j.code != path.stem.upper() or j.currency not in CURRENCIES:
            raise RuntimeError(f"{path}: code must be {path.stem.upper()!r} and currency one of "
                               f"{sorted(CURRENCIES)}; found {j.code!r}, {j.currency!r}")
        out[j.code] = j
    return out


def jurisdiction(code: str) -> Jurisdiction:
    """The jurisdiction of ``code`` (a code the scenario schema has already checked)."""
    return jurisdictions()[code]


def check_jurisdiction(code: str) -> str:
    """The field validator of ``jurisdiction:``: a known code, or one clear line."""
    known = jurisdictions()
    if code not in known:
        raise ValueError(f"expected one of {sorted(known)} (a country with a file in "
                         f"simlib/scenario/jurisdictions, ISO 3166-1 code); found {code!r}")
    return code


def check_currency(code: str) -> str:
    """The field validator of ``currency:``: an ISO 4217 code the package knows."""
    if code not in CURRENCIES:
        raise ValueError(f"expected one of {sorted(CURRENCIES)} (ISO 4217 code); found {code!r}")
    return code


def fill_defaults(data: Any) -> Any:
    """What a scenario mapping leaves out that its jurisdiction decides: the currency (USD without
    either); outside the US, ``finance.us_nonprofit: false`` (IRS §501(r) is US law); where the
    contact caps bind the hospital (Chile), a strategy without ``contact_limits`` gets the law's."""
    if not isinstance(data, dict):
        return data
    code = data.get("jurisdiction", DEFAULT_JURISDICTION)
    known = jurisdictions().get(code) if isinstance(code, str) else None
    if data.get("currency") is None:
        data = {**data, "currency": known.currency if known else DEFAULT_CURRENCY}
    if known is None:
        return data
    finance = data.get("finance", {})
    if not known.charity.us_501r and isinstance(finance, dict) and "us_nonprofit" not in finance:
        data = {**data, "finance": {**finance, "us_nonprofit": False}}
    strategies = data.get("strategies")
    if known.contact.applies_to == "all" and isinstance(strategies, dict):
        limits = law_contact_limits(known.contact, data.get("channels"))
        data = {**data, "strategies": {
            name: ({**st, "contact_limits": limits} if isinstance(st, dict) and "contact_limits" not in st else st)
            for name, st in strategies.items()}}
    return data


def message_channels(channels: Any) -> list[str]:
    """Names of the message channels (built-in and the file's) of a scenario mapping's channels."""
    from simlib.world.channels import default_channels

    kinds = {n: c.kind for n, c in default_channels().items()}
    for name, fields in (channels if isinstance(channels, dict) else {}).items():
        if isinstance(fields, dict):
            kinds[name] = fields.get("kind", kinds.get(name))
    return [n for n, k in kinds.items() if k == "message"]


def law_contact_limits(rule: ContactRule, channels: Any) -> dict:
    """The ``contact_limits`` section that is the law's own caps and hours."""
    out: dict[str, Any] = {}
    if rule.calls_per_7_days_max is not None:
        out["calls_per_7_days_max"] = rule.calls_per_7_days_max
    if rule.messages_per_7_days_max is not None:
        out["messages_per_7_days_max"] = rule.messages_per_7_days_max
        if rule.messages_include_mail:
            out["message_cap_channels"] = message_channels(channels)
    if rule.contact_hours is not None:
        out["quiet_hours"] = [rule.contact_hours[1], rule.contact_hours[0]]
    return out
