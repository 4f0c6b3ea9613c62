"""Documented upper bounds of a run and of a scenario's values (docs/robustness.md).

Far above any hospital, low enough that a typo (an extra zero, ``1e308``) is refused when the
file is validated instead of becoming a run that cannot finish or overflows integer cents.
This module imports nothing from simlib, so the parameter models can use it.
"""
from __future__ import annotations

HORIZON_DAYS_MAX = 36_500.0        # a hundred years: an account's whole life (issue 20, item 5)
WINDOW_DAYS_MAX = 3650.0           # ten years of encounters, of warm-up, of an open book's ages
ENCOUNTERS_PER_DAY_MAX = 10_000.0  # a very large hospital sees about 1,000 a day
ACCOUNTS_MAX = 10_000_000          # encounters per replication (several kB of memory each)
REPLICATIONS_MAX = 100_000
WORKERS_MAX = 256
SEED_MAX = 2**63 - 1
CONNECT_TIMEOUT_S_MAX = 3600.0
