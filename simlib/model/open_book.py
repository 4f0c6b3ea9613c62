"""The accounts of the hospital's own open book (an A/R aging report, :mod:`simlib.scenario.open_book`)
as encounters of a population: served before day 0 at ages drawn in their bucket, the bucket's
dollars split evenly to the cent, insurer rows as open claims and patient rows as patient balances."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from simlib.core.rng import stream
from simlib.scenario.open_book import OpenBookRows, read_open_book


@functools.lru_cache(maxsize=8)
def _rows(path: str, mtime_ns: int, columns_json: str, payers: tuple[str, ...]) -> OpenBookRows:
    from simlib.scenario.open_book import OpenBookColumns
    return read_open_book(Path(path), OpenBookColumns.model_validate_json(columns_json), payers)


def book_rows(sc) -> OpenBookRows | None:
    """The scenario's open book, read once per file version (``None`` without one)."""
    book = sc.simulation.open_book
    if book is None:
        return None
    path = Path(book.file)
    return _rows(str(path), path.stat().st_mtime_ns, book.columns.model_dump_json(), tuple(sc.payers))


def split_evenly(total_cents: int, n: int) -> np.ndarray:
    """``n`` amounts in cents that add up to ``total_cents`` exactly, differing by at most a cent."""
    base, extra = divmod(int(total_cents), int(n))
    out = np.full(n, base, np.int64)
    out[:extra] += 1
    return out


def book_encounters(sc, seed: int, replication: int) -> dict[str, np.ndarray] | None:
    """Service day, payer index, claim and patient cents of every account of the book, or ``None``."""
    rows = book_rows(sc)
    if rows is None:
        return None
    rng = stream(seed, replication, "open_book")
    payer_index = {name: k for k, name in enumerate(sc.payers)}
    days, payer, claim, patient = [], [], [], []
    for k in range(len(rows.payer)):
        n = int(rows.accounts[k])
        age = rng.uniform(rows.age_from[k], rows.age_to[k], n) if rows.age_to[k] > rows.age_from[k] \
            else np.full(n, rows.age_from[k])
        days.append(-age)
        cents = split_evenly(int(rows.balance_cents[k]), n)
        payer.append(np.full(n, payer_index[rows.payer[k]], np.int64))
        claim.append(cents if rows.insurer[k] else np.zeros(n, np.int64))
        patient.append(np.zeros(n, np.int64) if rows.insurer[k] else cents)
    return {"service_day": np.concatenate(days), "payer": np.concatenate(payer),
            "claim_cents": np.concatenate(claim), "patient_cents": np.concatenate(patient)}


def claims_pending_from_day_0(pop, n_book: int, sc) -> None:
    """An open claim of the book is adjudicated its remaining lag after day 0: the exponential part
    of its adjudication lag (no memory), not at once on day 0 as a claim past its lag would be."""
    idx = np.arange(n_book)
    adj_min = np.array([p.adjudication_days_min for p in sc.payers.values()])[pop.payer[idx]]
    remaining = np.maximum(pop.adjudication_lag[idx] - adj_min, 0.0)
    due = pop.service_day[idx] + pop.submit_lag[idx] + pop.adjudication_lag[idx]
    late = (pop.claim_cents[idx] > 0) & (due < remaining)
    pop.adjudication_lag[idx[late]] = remaining[late] - pop.service_day[idx[late]] - pop.submit_lag[idx[late]]
    pop.bill_day = pop.patient_bill_day()
