"""The hospital's own open book: an A/R aging report read as the unpaid bills on day 0 (issue 20).

A scenario names the report in ``simulation.open_book`` (``file``, relative to the scenario file,
and ``columns``, the column mapping). The report is a CSV with one row per payer, responsibility
and age bucket — the layout of a standard A/R aging report, one line per cell of its table:

====================  =====================================================================
column (default name)  meaning
====================  =====================================================================
``payer``              a payer class of the scenario (``medicare``, ``self_pay`` …)
``responsibility``     who owes it: ``insurer`` (an open claim) or ``patient`` (a patient balance)
``age_from_days``      the bucket's first age, days since service (e.g. 0, 31, 61, 91, 121)
``age_to_days``        the bucket's last age (≥ ``age_from_days``)
``balance``        dollars open in the bucket (> 0, at most two decimals)
``accounts``           number of open accounts in the bucket (a whole number ≥ 1)
====================  =====================================================================

Each row becomes ``accounts`` receivables of that payer and responsibility, served at ages drawn
uniformly in the bucket (their own random stream), the bucket's dollars split evenly (to the cent).
Their care was paid before day 0: it is not in the cash curve, which starts at the hospital's actual
cash (``finance.starting_cash``). A patient balance of the book is stated again on day 0 and
follows the strategy's ladder from there; an open claim is adjudicated its remaining lag after day 0
(exponential lags have no memory). The book's receivables are in the measured cohort of the rates
(:mod:`simlib.model.measurement_window`). Every problem is one line naming the file, the row (the
CSV line, header = line 1) and the column; every bad row is reported, up to ``PROBLEMS_MAX``.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from simlib.core.settings import Strict

PROBLEMS_MAX = 20
ROWS_MAX = 100_000
BYTES_MAX = 20_000_000


class OpenBookColumns(Strict):
    """Where each field is in the report, and how the responsibility is spelled (case-insensitive)."""

    payer: str = "payer"
    responsibility: str = "responsibility"
    age_from_days: str = "age_from_days"
    age_to_days: str = "age_to_days"
    balance: str = "balance"
    accounts: str = "accounts"
    insurer_values: list[str] = ["insurer", "claim", "payer"]
    patient_values: list[str] = ["patient", "self", "guarantor"]


class OpenBook(Strict):
    """``simulation.open_book``: the A/R aging report (``file``) and its column mapping."""

    file: str
    columns: OpenBookColumns = OpenBookColumns()


@dataclass(frozen=True)
class OpenBookRows:
    """The report's rows, checked: one entry per row."""

    payer: tuple[str, ...]
    insurer: np.ndarray       # bool: an open claim (else a patient balance)
    age_from: np.ndarray
    age_to: np.ndarray
    balance_cents: np.ndarray  # int64
    accounts: np.ndarray       # int64

    @property
    def total_accounts(self) -> int:
        return int(self.accounts.sum())


def resolve(book: OpenBook, source: str | None) -> Path:
    """The report's path: as written if absolute, else beside the scenario file ``source``."""
    path = Path(book.file)
    if not path.is_absolute() and source and not source.startswith("<"):
        path = Path(source).resolve().parent / path
    return path


def read_open_book(path: Path, columns: OpenBookColumns, payers) -> OpenBookRows:
    """Read and check the report; raise ``ValueError`` whose lines each name file, row and column."""
    name = str(path)
    try:
        if path.stat().st_size > BYTES_MAX:
            raise ValueError(f"{name}: expected an A/R aging report under {BYTES_MAX // 1_000_000} MB; "
                             f"found {path.stat().st_size:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"{name}: cannot read the open book ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name}: expected a UTF-8 CSV file; found undecodable bytes") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    if columns.balance == "balance" and "balance" not in header and "balance_usd" in header:
        columns = columns.model_copy(update={"balance": "balance_usd"})  # a report of the `_usd` era
    wanted = [columns.payer, columns.responsibility, columns.age_from_days, columns.age_to_days,
              columns.balance, columns.accounts]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ValueError(f"{name}: missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                         f"found columns: {', '.join(header) or '(none)'}")
    insurer_words = {v.strip().lower() for v in columns.insurer_values}
    patient_words = {v.strip().lower() for v in columns.patient_values}
    rows, problems = [], []
    for line, raw in enumerate(reader, start=2):
        if line - 1 > ROWS_MAX:
            problems.append(f"{name}: expected at most {ROWS_MAX:,} rows; found more")
            break
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        problem = _row_problem(row, columns, payers, insurer_words, patient_words)
        if problem is not None:
            problems.append(f"{name}: row {line}, column {problem[0]!r}: {problem[1]}")
            if len(problems) >= PROBLEMS_MAX:
                problems.append(f"{name}: stopped after {PROBLEMS_MAX} bad rows")
                break
            continue
        rows.append(_parsed(row, columns, insurer_words))
    if problems:
        raise ValueError("\n".join(problems))
    if not rows:
        raise ValueError(f"{name}: no rows (the file has a header but no open accounts)")
    payer, insurer, lo, hi, cents, n = zip(*rows)
    return OpenBookRows(tuple(payer), np.array(insurer, bool), np.array(lo, float), np.array(hi, float),
                        np.array(cents, np.int64), np.array(n, np.int64))


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _row_problem(row, c: OpenBookColumns, payers, insurer_words, patient_words):
    """(column, what was expected and found) of the row's first problem, or None."""
    if row.get(c.payer, "") not in payers:
        return c.payer, f"expected a payer of the scenario ({', '.join(payers)}); found {row.get(c.payer, '')!r}"
    who = row.get(c.responsibility, "").lower()
    if who not in insurer_words | patient_words:
        return c.responsibility, (f"expected one of {sorted(insurer_words | patient_words)}; "
                                  f"found {row.get(c.responsibility, '')!r}")
    lo, hi = _number(row.get(c.age_from_days, "")), _number(row.get(c.age_to_days, ""))
    if lo is None or lo < 0 or lo > 3650:
        return c.age_from_days, f"expected days since service from 0 to 3,650; found {row.get(c.age_from_days, '')!r}"
    if hi is None or hi < lo or hi > 3650:
        return c.age_to_days, (f"expected days since service from {c.age_from_days} ({lo:g}) to 3,650; "
                               f"found {row.get(c.age_to_days, '')!r}")
    try:
        dollars = Decimal(row.get(c.balance, "").replace(",", "").replace("$", ""))
    except InvalidOperation:
        dollars = None
    if dollars is None or not dollars.is_finite() or dollars <= 0 or dollars > Decimal(10) ** 10 \
            or dollars != dollars.quantize(Decimal("0.01")):
        return c.balance, f"expected dollars > 0 with at most two decimals; found {row.get(c.balance, '')!r}"
    n = row.get(c.accounts, "")
    if not n.isdigit() or int(n) < 1 or int(n) > 10_000_000:
        return c.accounts, f"expected a whole number of accounts ≥ 1; found {n!r}"
    if int(dollars * 100) < int(n):
        return c.balance, f"expected at least one cent per account ({n} accounts); found {row.get(c.balance)!r}"
    return None


def _parsed(row, c: OpenBookColumns, insurer_words):
    dollars = Decimal(row[c.balance].replace(",", "").replace("$", ""))
    return (row[c.payer], row[c.responsibility].lower() in insurer_words, float(_number(row[c.age_from_days])),
            float(_number(row[c.age_to_days])), int(dollars * 100), int(row[c.accounts]))
