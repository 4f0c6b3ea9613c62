"""Shared helpers: tiny scenarios built from dictionaries (so tests state every assumption)."""
from __future__ import annotations

import copy
import signal

import pytest

from simlib.scenario.schema import scenario_from_dict

# Ctrl-C as a terminal delivers it, whatever launched the tests: a shell's background job (`cmd &`,
# nohup, some CI runners) starts with SIGINT ignored, which Python then leaves ignored and every
# child process inherits, so the tests of what simlib does on Ctrl-C would see nothing arrive.
# A Python-level handler is reset to the default on exec: the children get Ctrl-C back too.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: The simple contact model of the closed forms (before issue 9): every statement reaches at once,
#: contacts never tire nor age, nobody opts out, contact effects scale with the propensity to pay.
SIMPLE_CONTACT_BEHAVIOUR = {"unreached_statement_share": 1.0, "contact_fatigue_per_contact": 1.0,
                            "contact_age_decay_days": None}
SIMPLE_CONTACT_PATIENTS = {"contact_propensity_correlation": 1.0}
SIMPLE_CHANNELS = {name: {"delivery_days": 0.0, "opt_out_rate": 0.0, "complaint_rate": 0.0}
                   for name in ("email", "sms", "whatsapp", "letter", "formal_demand", "call")}

SELF_PAY_500 = {"share": 1.0, "allowed_median": 500.0, "allowed_sigma": 0.0, "patient_share": 1.0,
                "emergency_share": 1.0}


@pytest.fixture(scope="session")
def shared_result_cache(tmp_path_factory):
    """A result cache (:mod:`simlib.run.result_cache`) shared by every xdist worker of this session,
    for the fixtures that build the same small scenario's reports under another name or language
    (no simulated number depends on either, so their runs are the same runs): set it with
    ``monkeypatch.setenv(result_cache.ENV, str(shared_result_cache))`` around the build. The cache
    guards itself against two processes writing one entry."""
    import os

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # a worker's basetemp is its own
    folder = root / "shared-result-cache"
    folder.mkdir(exist_ok=True)
    return folder


def assert_refused(data: dict, *words: str) -> None:
    """``data`` is refused as a scenario, and the error names every one of ``words``."""
    from simlib.scenario.schema import ScenarioError

    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data)
    text = str(exc.value)
    for w in words:
        assert w in text, text


def tiny(strategies: dict | None = None, **sections) -> dict:
    """A scenario dict: one self-pay payer with $500 balances, no disputes, no noise in traits,
    the simple contact model (``SIMPLE_*``)."""
    base = {
        "name": "tiny",
        "simulation": {"horizon_days": 200, "billing_window_days": 100, "encounters_per_day": 0,
                       "open_book_accounts": 200, "open_book_age_days_max": 0.0,
                       "measurement_day": 100, "ar_window_days": 50, "replications": 2, "seed": 7},
        "payers": {"self_pay": dict(SELF_PAY_500)},
        "patients": {"propensity_sigma": 0.0, "ability_sigma": 0.0, "price_sensitivity_mean": 1.0,
                     **SIMPLE_CONTACT_PATIENTS},
        "behaviour": {"initial_per_day": 0.03, "floor_per_day": 0.0, "decay_per_day": 0.04,
                      "balance_elasticity": 0.0, "full_payment": "always",
                      "payment_jump_base_per_day": 0.0, "payment_jump_fraction_per_day": 0.0,
                      "due_date_jump_per_day": 0.0, **SIMPLE_CONTACT_BEHAVIOUR},
        "channels": copy.deepcopy(SIMPLE_CHANNELS),
        "operations": {"statement_lag_days": 0.0,
                       "billing_team": {"billing_error_rate": 0.0}},
        "strategies": strategies or {"none": {"statement_channel": "email",
                                              "write_off": {"after_days": 10000}}},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged = copy.deepcopy(base[key])
            for k, v in value.items():
                if isinstance(v, dict) and isinstance(merged.get(k), dict):
                    merged[k] = {**merged[k], **v}
                else:
                    merged[k] = v
            base[key] = merged
        else:
            base[key] = value
    return base


@pytest.fixture
def make_scenario():
    def make(strategies=None, **sections):
        return scenario_from_dict(tiny(strategies, **sections), "test")
    return make
