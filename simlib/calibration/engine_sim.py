"""The check's simulator through the simlib engine: a history's invoices run as patient accounts.

``simulate_with_engine(timing, history, replication, seed)`` has the signature of
:data:`simlib.calibration.check.SettleDaySimulator`. It builds a one-off scenario
(:func:`engine_scenario`) whose behaviour is the fitted one (``behaviour.payment_timing`` from
``timing``, the prompted payer's intensity at ``behaviour``'s level) and whose only strategy is
the history's own collection: the statement at the invoice date (no statement lag, self-pay, no
insurer), the credit terms of the invoice, no reminders, no billing errors (the history's dispute
flags say which bills are disputed), no write-off or agency within the horizon, every payment in
full (an invoice settles once), no latent propensity (``propensity_sigma: 0``: the fitted model
has no frailty). The accounts are the history's invoices (:class:`simlib.model.population.Bills`: day,
amount, dispute and paper flags); every latent draw comes from the engine's own streams of
``seed`` and ``replication``. Invoices with other credit terms run in one world per terms value
(a strategy has one ``credit_terms_days``); each world sees the same population.

Returns each invoice's settle day after the invoice (``inf``: not settled within the horizon,
``CHECK_HORIZON_DAYS`` days after the first invoice).
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from simlib.calibration.check import simulate_with_model
from simlib.calibration.history import History
from simlib.calibration.parameters import PaymentTiming
from simlib.model.engine import World
from simlib.core.ledger import REDUCTIONS
from simlib.scenario.value_bounds import DAYS_MAX
from simlib.scenario.size_limits import WINDOW_DAYS_MAX

CHECK_HORIZON_DAYS = WINDOW_DAYS_MAX  # ten years: a history's invoices, each followed to its end
from simlib.scenario.schema import Scenario, scenario_from_dict
from simlib.core.payment_timing import INTENSITY_KEYS
from simlib.model.population import Bills, draw_population

PLANNER_KEYS = ("planner_share", "planned_day_scale_of_terms", "planned_day_shape", "dispute_delay_days",
                "dispute_delay_log_sd", "paper_delay_days", "dispute_intensity_factor", "paper_intensity_factor")


class EngineCheckError(ValueError):
    """Fitted parameters or a history the engine cannot simulate; one line."""


def engine_scenario(timing: PaymentTiming, terms_days: float, seed: int = 1) -> Scenario:
    """The one-off scenario of a history with credit terms ``terms_days`` (see the module doc)."""
    if timing.floor_per_day > 0:
        raise EngineCheckError("floor_per_day > 0: the engine's floor is not scaled by the bill's "
                               "covariates as the fitted model's is; check with --simulator model")
    values = timing.as_dict()
    horizon = CHECK_HORIZON_DAYS
    return scenario_from_dict({
        "name": "calibration check",
        "description": "a payment history's invoices under fitted payment timing",
        "simulation": {"horizon_days": horizon, "billing_window_days": horizon, "encounters_per_day": 1.0,
                       "measurement_day": horizon, "ar_window_days": 90.0, "seed": seed},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": 100.0, "patient_share": 1.0,
                                "emergency_share": 0.0}},
        "finance": {"financial_assistance": None},  # the history's balances are what was owed
        "patients": {"propensity_sigma": 0.0},
        # the history's own bill is the statement and it reached the customer on the invoice date
        # (paper vs electronic is the fitted covariate, not the channel's reach or delivery)
        "channels": {"letter": {"reach": 1.0, "delivery_days": 0.0}},
        "behaviour": {"payment_timing": {k: values[k] for k in PLANNER_KEYS + INTENSITY_KEYS},
                      "full_payment": "always", "payment_jump_base_per_day": 0.0,
                      "payment_jump_fraction_per_day": 0.0, "unreached_statement_share": 1.0},
        "operations": {"statement_lag_days": 0.0, "billing_team": {"billing_error_rate": 0.0}},
        "strategies": {"history": {"baseline": True, "credit_terms_days": float(terms_days),
                                   "write_off": {"after_days": DAYS_MAX}}},
    }, "<calibration check>")


@lru_cache(maxsize=32)
def _cached_scenario(timing: PaymentTiming, terms_days: float, seed: int) -> Scenario:
    return engine_scenario(timing, terms_days, seed)


def bills_of(history: History) -> Bills:
    """The history's invoices as bills: days from the first invoice, cents, flags."""
    table = history.table
    day = (table["invoice_date"] - table["invoice_date"].min()).dt.days.to_numpy(float)
    if day.size and day.max() >= CHECK_HORIZON_DAYS:
        raise EngineCheckError(f"the history spans {day.max():.0f} days of invoices; the engine simulates "
                               f"at most {CHECK_HORIZON_DAYS:.0f}: check a shorter period")
    amount = np.round(table["amount"].to_numpy(float) * 100.0).astype(np.int64)
    return Bills(day, np.maximum(amount, 1), table["disputed"].to_numpy(bool), table["paper"].to_numpy(bool))


def simulate_with_engine(timing: PaymentTiming, history: History, replication: int, seed: int) -> np.ndarray:
    """Settle day after the invoice of each invoice of ``history``, through the engine."""
    bills = bills_of(history)
    terms = history.table["terms_days"].to_numpy(float)
    out = np.full(len(terms), np.inf)
    pop = None
    for value in np.unique(terms):
        sc = _cached_scenario(timing, float(value), seed)
        if pop is None:  # one population: the latent draws do not depend on the terms
            pop = draw_population(sc, replication, seed, bills=bills)
        mine = terms == value
        sub = pop if mine.all() else replace(pop, patient_cents=np.where(mine, pop.patient_cents, 0))
        out[mine] = settle_days_of(World(sc, "history", sub).run(), bills)[mine]
    return out


def settle_days_of(result, bills: Bills) -> np.ndarray:
    """Days from each bill to the last movement that closed it (``inf`` if still open)."""
    n = len(bills.service_day)
    led = result.ledger
    rows = np.isin(led.kind, REDUCTIONS) & (led.receivable >= 0) & (led.receivable % 2 == 1)
    last = np.full(n, -np.inf)
    np.maximum.at(last, led.receivable[rows] // 2, led.day[rows])
    closed = (result.open_cents[1::2] == 0) & np.isfinite(last)
    return np.where(closed, last - bills.service_day, np.inf)


#: The check's simulators by name (``--simulator``): ``engine``, the invoices as simlib patient
#: accounts (the default of ``simlib calibrate check`` and ``report``); ``model``, the fitted
#: model's own sampler.
SIMULATORS = {"engine": simulate_with_engine, "model": simulate_with_model}
