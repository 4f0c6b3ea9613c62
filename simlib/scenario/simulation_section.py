"""The ``simulation:`` section of a scenario file: time frame, volume, the book on day 0 (a warm-up,
a drawn open book or the hospital's own A/R aging report) and sample size. Re-exported by
:mod:`simlib.scenario.schema`."""
from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from simlib.core.settings import Positive, Strict
from simlib.scenario.open_book import OpenBook
from simlib.scenario.open_book import resolve as resolve_open_book
from simlib.scenario.size_limits import (ACCOUNTS_MAX, ENCOUNTERS_PER_DAY_MAX, HORIZON_DAYS_MAX, REPLICATIONS_MAX,
                                         WINDOW_DAYS_MAX,
                                         SEED_MAX, WORKERS_MAX)


class Simulation(Strict):
    """Time frame and sample size of a run. Upper bounds are documented in docs/robustness.md."""

    own_bounds: ClassVar[bool] = True  # bounded by its own fields (simlib.scenario.size_limits), not simlib.scenario.value_bounds

    horizon_days: Annotated[float, Field(gt=0.0, le=HORIZON_DAYS_MAX)] = 540.0
    billing_window_days: Annotated[float, Field(gt=0.0, le=WINDOW_DAYS_MAX)] = 365.0
    encounters_per_day: Annotated[float, Field(ge=0.0, le=ENCOUNTERS_PER_DAY_MAX)] = 40.0
    open_book_accounts: Annotated[int, Field(ge=0, le=ACCOUNTS_MAX)] = 0
    open_book_age_days_max: Annotated[float, Field(ge=0.0, le=WINDOW_DAYS_MAX)] = 120.0
    # simulated before day 0 and left out of every metric (simlib.model.measurement_window)
    warm_up_days: Annotated[float, Field(ge=0.0, le=WINDOW_DAYS_MAX)] = 0.0
    # the hospital's own A/R aging report as the book on day 0 (simlib.scenario.open_book)
    open_book: OpenBook | None = None

    @field_validator("open_book")
    @classmethod
    def _book_path(cls, value: OpenBook | None, info: ValidationInfo) -> OpenBook | None:
        if value is None:
            return None
        path = resolve_open_book(value, (info.context or {}).get("source"))
        return value.model_copy(update={"file": str(path)})
    measurement_day: Positive = 365.0
    ar_window_days: Positive = 90.0
    replications: Annotated[int, Field(ge=2, le=REPLICATIONS_MAX)] = 20
    seed: Annotated[int, Field(ge=0, le=SEED_MAX)] = 20261123
    workers: Annotated[int, Field(ge=1, le=WORKERS_MAX)] = 1
    scheduler: Annotated[str, Field(min_length=1, max_length=2048)] | None = None

    @field_validator("scheduler")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        from simlib.scenario.scheduler_address import parse_scheduler_address
        return None if value is None else parse_scheduler_address(value)

    @model_validator(mode="after")
    def _check(self) -> "Simulation":
        if self.measurement_day > self.horizon_days:
            raise ValueError("measurement_day must be <= horizon_days")
        if self.ar_window_days > self.measurement_day:
            raise ValueError("ar_window_days must be <= measurement_day")
        if self.encounters_per_day == 0 and self.open_book_accounts == 0 and self.open_book is None:
            raise ValueError("no accounts: set encounters_per_day > 0, open_book_accounts > 0 or open_book")
        books = [k for k, on in (("warm_up_days", self.warm_up_days > 0),
                                 ("open_book_accounts", self.open_book_accounts > 0),
                                 ("open_book", self.open_book is not None)) if on]
        if len(books) > 1:
            raise ValueError(f"{' and '.join(books)}: the book on day 0 is either the model's steady state "
                             "(a warm-up), a drawn open book or the hospital's own A/R aging report, not "
                             "more than one; keep one")
        accounts = self.simulated_accounts
        if accounts > ACCOUNTS_MAX:
            raise ValueError(f"expected at most {ACCOUNTS_MAX:,} accounts per replication "
                             f"(encounters_per_day × (warm_up_days + billing_window_days) + "
                             f"open_book_accounts); found {accounts:,.0f}")
        return self

    @property
    def simulated_accounts(self) -> float:
        """Expected encounters simulated per replication: the warm-up's, the window's and the book."""
        return self.encounters_per_day * (self.warm_up_days + self.billing_window_days) + self.open_book_accounts
