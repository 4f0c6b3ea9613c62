"""Synthetic payment histories drawn from known parameters (parameter-recovery tests, examples).

``synthetic_history`` returns a table in the layout of ``invoices.csv`` (the default
``HistoryMapping``), so it goes through exactly the reader a real export goes through. Invoice
attributes and the accounts' latent (E, U, and the dispute delay's Z) come from two streams of
``SeedSequence(seed, spawn_key=(0, stream))``: the same seed gives the same invoices and the
same accounts under any parameters (common random numbers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.payment_timing import (Invoices, draw_delay_normal, draw_latent, latent_generator,
                                               settle_days)

INVOICE_STREAM, LATENT_STREAM = 111, 112
DATE_FORMAT = "%m/%d/%Y"


def synthetic_history(timing: PaymentTiming, n_invoices: int, seed: int, *,
                      invoices_per_customer: int = 24, disputed_share: float = 0.23,
                      paper_share: float = 0.54, terms_days: int = 30, amount_median: float = 60.0,
                      amount_sigma: float = 0.35, window_days: int = 730,
                      extraction_day: int | None = None, start: str = "2012-01-01") -> pd.DataFrame:
    """Invoices dated uniformly over ``window_days`` from ``start``, settled by the model.

    ``extraction_day`` (days after ``start``): invoices not settled by then have no settle date
    (open); ``None`` follows every invoice to settlement (never-settling ones stay open).
    """
    rng = latent_generator(seed, 0, INVOICE_STREAM)
    invoice_day = np.sort(rng.integers(0, window_days, n_invoices))
    n_customers = max(1, n_invoices // invoices_per_customer)
    customer = rng.integers(0, n_customers, n_invoices)
    disputed = rng.random(n_invoices) < disputed_share
    paper = rng.random(n_invoices) < paper_share
    amount = np.round(amount_median * np.exp(amount_sigma * rng.standard_normal(n_invoices)), 2)
    amount = np.maximum(amount, 0.01)
    terms = np.full(n_invoices, float(terms_days))

    latent = latent_generator(seed, 0, LATENT_STREAM)
    threshold, uniform = draw_latent(latent, n_invoices)
    normal = draw_delay_normal(latent, n_invoices)  # after (E, U): the dispute delay's Z
    days = np.floor(settle_days(timing, Invoices(terms, disputed, paper, amount), threshold, uniform, normal))
    settle_day = invoice_day + days
    if extraction_day is not None:
        settle_day = np.where(settle_day <= extraction_day, settle_day, np.inf)

    origin = pd.Timestamp(start)

    def dates(offsets):
        finite = np.isfinite(offsets)
        stamps = origin + pd.to_timedelta(np.where(finite, offsets, 0), unit="D")
        return np.where(finite, stamps.strftime(DATE_FORMAT), "")

    table = pd.DataFrame({
        "customerID": [f"C{c:04d}" for c in customer],
        "invoiceNumber": np.arange(1, n_invoices + 1),
        "InvoiceDate": dates(invoice_day.astype(float)),
        "DueDate": dates(invoice_day + terms),
        "InvoiceAmount": amount,
        "Disputed": np.where(disputed, "Yes", "No"),
        "SettledDate": dates(settle_day),
        "PaperlessBill": np.where(paper, "Paper", "Electronic"),
    })
    if extraction_day is not None:
        table.attrs["extraction_date"] = (origin + pd.Timedelta(days=extraction_day)).date().isoformat()
    return table
