"""A one-account world for the policy tests: one self-pay patient owing exactly $1,000, statement
on day 0, who never pays on their own (initial intensity 0) unless a contact moves them; a call
channel whose team is always open and always reaches the right party."""
from __future__ import annotations

import copy

from simlib.core.ledger import Kind
from simlib.model.engine import World
from simlib.model.population import draw_population
from simlib.scenario.schema import scenario_from_dict

ALWAYS_OPEN = {"agents": 1, "hours": [0, 24], "working_days": [0, 1, 2, 3, 4, 5, 6], "call_minutes_mean": 1.0,
               "right_party_contact_rate": 1.0, "cost_per_agent_hour": 0.0}


def one_account(strategy: dict, horizon: float = 400.0, propensity_sigma: float = 0.0, **behaviour) -> dict:
    beh = {"initial_per_day": 0.0, "decay_per_day": 0.03, "balance_elasticity": 0.0,
           "full_payment": "always", "due_date_jump_per_day": 0.0, "payment_jump_base_per_day": 0.0,
           "payment_jump_fraction_per_day": 0.0}
    beh.update(behaviour)
    return {
        "name": "one account",
        "simulation": {"horizon_days": horizon, "billing_window_days": 10, "encounters_per_day": 0,
                       "open_book_accounts": 1, "open_book_age_days_max": 0, "measurement_day": 300,
                       "ar_window_days": 90, "seed": 7},
        "payers": {"self_pay": {"share": 1.0, "allowed_median": 1000.0, "allowed_sigma": 0.0,
                                "patient_share": 1.0}},
        "patients": {"ability_monthly_median": 97.0, "ability_sigma": 0.0, "propensity_sigma": propensity_sigma},
        "behaviour": beh,
        "operations": {"statement_lag_days": 0, "billing_team": {"billing_error_rate": 0.0}},
        "channels": {"letter": {"cost": 1.0, "reach": 1.0, "delivery_days": 7.0},
                     "email": {"cost": 0.05, "reach": 1.0},
                     "call": {"kind": "call", "cost": 2.0, "reach": 1.0, "jump_per_day": 0.0}},
        "strategies": {"s": {"statement_channel": "email", "write_off": {"after_days": 10000}, **strategy}},
    }


def run(data: dict, strategy: str = "s", replication: int = 0):
    sc = scenario_from_dict(copy.deepcopy(data), "test")
    pop = draw_population(sc, replication)
    world = World(sc, strategy, pop, trace=True)
    return world.run()


def events(res) -> list[tuple[float, str]]:
    return [(round(day, 4), what) for _, day, what in res.events]


def rows(res, receivable: int = 1) -> list[tuple[float, str, int]]:
    led = res.ledger
    m = led.receivable == receivable
    return [(round(float(d), 6), Kind(int(k)).name, int(a)) for d, k, a in zip(led.day[m], led.kind[m], led.amount[m])]
