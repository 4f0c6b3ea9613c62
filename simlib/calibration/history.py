"""A payment history: one row per invoice, read from a CSV export into a tidy, checked table.

The column mapping (``HistoryMapping``) names the export's columns, its date format and the
spellings of its flags; the defaults read ``../shared/data/ar_payment_history/invoices.csv``.
Invoices without a settle date are *open*: right-censored at the extraction date (given, or the
latest date in the file). Any problem is a ``HistoryError`` whose message is one line naming the
file, the row (the CSV line number, header = line 1) and the column.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

#: Dates a history may hold (issue 21: a year-1 invoice or a settle date in 9999 is a typo, not data).
DATE_MIN, DATE_MAX = pd.Timestamp("1950-01-01"), pd.Timestamp("2100-12-31")
#: Largest invoice amount: the scenario's bound on dollar amounts (sums stay in int64 cents).
AMOUNT_MAX = 1e9

#: Columns of the tidy table returned by ``read_history``.
TIDY_COLUMNS = ("customer_id", "invoice_date", "due_date", "settle_date", "amount",
                "disputed", "paper", "terms_days", "settled", "days_to_settle", "days_open")


class HistoryError(ValueError):
    """A malformed payment history; ``str(err)`` is one line naming file, row and column."""


class HistoryMapping(BaseModel):
    """Where each field is in the export, how its dates are written and how its flags are spelled.

    ``customer_id``, ``disputed`` and ``paper`` may be ``null``: each invoice is then its own
    customer, or no invoice is disputed / on paper. Flag values are matched after stripping
    blanks, case-insensitively.
    """

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = "customerID"
    invoice_id: str | None = Field("invoiceNumber", description=(
        "column of the invoice number: an invoice listed twice is refused, naming both rows (the "
        "default column is checked when the export has it)"))
    invoice_date: str = "InvoiceDate"
    due_date: str = "DueDate"
    settle_date: str = "SettledDate"
    amount: str = "InvoiceAmount"
    disputed: str | None = "Disputed"
    disputed_values: list[str] = Field(default_factory=lambda: ["Yes", "Y", "1", "true"])
    undisputed_values: list[str] = Field(default_factory=lambda: ["No", "N", "0", "false"])
    paper: str | None = "PaperlessBill"
    paper_values: list[str] = Field(default_factory=lambda: ["Paper"])
    electronic_values: list[str] = Field(default_factory=lambda: ["Electronic"])
    date_format: str = Field("%m/%d/%Y", description="strftime format of every date column")

    @field_validator("disputed_values", "undisputed_values", "paper_values", "electronic_values", mode="before")
    @classmethod
    def _spellings_as_text(cls, value):
        return [str(v) for v in value] if isinstance(value, list) else value
    extraction_date: date | None = Field(
        None, description="day the export was taken (ISO); default the latest date in the file")


class _LiteralLoader(yaml.SafeLoader):
    """YAML without the 1.1 booleans: ``Yes``, ``No``, ``on``, ``true`` stay the words a CSV holds."""


_LiteralLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_mapping(path: str | Path) -> HistoryMapping:
    """Read a mapping YAML file (any subset of ``HistoryMapping``'s fields).

    Flag spellings are read as written: ``disputed_values: [Yes, 1]`` means the cells "Yes" and "1".
    """
    from simlib.calibration.input_files import read_input_text

    text = read_input_text(path, "mapping file", "a column-mapping YAML file", HistoryError)
    try:
        data = yaml.load(text, Loader=_LiteralLoader) or {}
    except yaml.YAMLError as exc:
        raise HistoryError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise HistoryError(f"{path}: expected a mapping of fields; found {type(data).__name__}")
    try:
        return HistoryMapping.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise HistoryError(f"{path}: field '{where}': {e['msg']}") from None


@dataclass(frozen=True)
class History:
    """A checked payment history: the tidy ``table`` and where it came from."""

    table: pd.DataFrame
    source: str
    sha256: str
    extraction_date: pd.Timestamp

    @property
    def n_invoices(self) -> int:
        return len(self.table)

    @property
    def n_settled(self) -> int:
        return int(self.table["settled"].sum())

    @property
    def n_open(self) -> int:
        return self.n_invoices - self.n_settled

    @property
    def n_customers(self) -> int:
        return int(self.table["customer_id"].nunique())

    def subset(self, mask: np.ndarray | pd.Series, label: str) -> "History":
        """The invoices selected by ``mask`` (e.g. a customer-level split), same provenance."""
        table = self.table[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        return History(table, f"{self.source} [{label}]", self.sha256, self.extraction_date)

    def provenance(self) -> dict:
        return {"file": self.source, "sha256": self.sha256, "rows": self.n_invoices,
                "settled": self.n_settled, "open": self.n_open, "customers": self.n_customers,
                "extraction_date": self.extraction_date.date().isoformat()}


def read_history(path: str | Path, mapping: HistoryMapping | None = None,
                 extraction_date: date | str | None = None) -> History:
    """Read and check a payment-history CSV; see the module docstring for the rules."""
    mapping = mapping or HistoryMapping()
    name = str(path)
    from simlib.calibration.input_files import HISTORY_MAX_BYTES, read_input

    raw_bytes = read_input(path, "history file", "a payment-history CSV file", HistoryError, HISTORY_MAX_BYTES)  # read once
    try:
        raw = pd.read_csv(io.BytesIO(raw_bytes), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise HistoryError(f"{name}: not a readable CSV file ({str(exc).splitlines()[0]})") from None
    _require_columns(name, raw, mapping)
    if raw.empty:
        raise HistoryError(f"{name}: no invoices (the file has a header but no rows)")
    raw = raw.apply(lambda col: col.str.strip())
    line = np.arange(len(raw)) + 2  # CSV line numbers: the header is line 1

    invoice = _dates(name, raw, mapping.invoice_date, mapping.date_format, line, required=True)
    due = _dates(name, raw, mapping.due_date, mapping.date_format, line, required=True)
    settle = _dates(name, raw, mapping.settle_date, mapping.date_format, line, required=False)
    amount = _amounts(name, raw, mapping.amount, line)
    disputed = _flag(name, raw, mapping.disputed, mapping.disputed_values,
                     mapping.undisputed_values, line)
    paper = _flag(name, raw, mapping.paper, mapping.paper_values, mapping.electronic_values, line)
    if mapping.customer_id is None:
        customer = pd.Series([f"invoice-{n}" for n in line])
    else:
        customer = raw[mapping.customer_id]
        _first_bad(name, customer.eq("").to_numpy(), line, mapping.customer_id,
                   lambda i: "expected a customer id; found an empty cell")

    _unique_invoices(name, raw, mapping, line)
    _order(name, invoice, due, line, mapping.due_date, "due date", mapping.invoice_date)
    _order(name, invoice, settle, line, mapping.settle_date, "settle date", mapping.invoice_date)

    given = extraction_date if extraction_date is not None else mapping.extraction_date
    if given is not None:
        try:
            extracted = pd.Timestamp(given)
        except ValueError:
            raise HistoryError(f"{name}: extraction date {given!r} is not an ISO date (YYYY-MM-DD)") from None
        late = (invoice > extracted).to_numpy()
        _first_bad(name, late, line, mapping.invoice_date,
                   lambda i: f"invoice date {invoice.iloc[i].date()} is after the extraction date "
                             f"{extracted.date()}")
        settle = settle.where(settle <= extracted)  # settled after the extraction: open then
    else:
        # Latest invoice or settle date (not due dates: a recent invoice is due after the export).
        extracted = max(invoice.max(), settle.max()) if settle.notna().any() else invoice.max()

    settled = settle.notna().to_numpy()
    table = pd.DataFrame({
        "customer_id": customer.astype(str).to_numpy(),
        "invoice_date": invoice.to_numpy(), "due_date": due.to_numpy(),
        "settle_date": settle.to_numpy(), "amount": amount, "disputed": disputed, "paper": paper,
        "terms_days": (due - invoice).dt.days.to_numpy(),
        "settled": settled,
        "days_to_settle": np.where(settled, (settle - invoice).dt.days.to_numpy(dtype=float, na_value=np.nan), np.nan),
        "days_open": np.where(settled, np.nan, (extracted - invoice).dt.days.to_numpy(dtype=float)),
    }, columns=list(TIDY_COLUMNS))
    return History(table, Path(name).name, hashlib.sha256(raw_bytes).hexdigest(), extracted)


# --------------------------------------------------------------------------- checks
def _require_columns(name: str, raw: pd.DataFrame, m: HistoryMapping) -> None:
    explicit_id = m.invoice_id if "invoice_id" in m.model_fields_set else None
    wanted = {"invoice_id": explicit_id, "invoice_date": m.invoice_date, "due_date": m.due_date, "settle_date": m.settle_date,
              "amount": m.amount, "customer_id": m.customer_id, "disputed": m.disputed, "paper": m.paper}
    missing = [f"'{col}' (mapping field {field})" for field, col in wanted.items()
               if col is not None and col not in raw.columns]
    if missing:
        found = ", ".join(raw.columns[:12]) + (", ..." if len(raw.columns) > 12 else "")
        raise HistoryError(f"{name}: missing column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(missing)}; found columns: {found}")


def _first_bad(name: str, bad: np.ndarray, line: np.ndarray, column: str, describe) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        more = int(bad.sum()) - 1
        tail = f" ({more} more row{'s' if more > 1 else ''} like this)" if more else ""
        raise HistoryError(f"{name}: row {line[i]}, column '{column}': {describe(i)}{tail}")


def _dates(name, raw, column, fmt, line, required: bool) -> pd.Series:
    text = raw[column]
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    empty = text.eq("").to_numpy()
    bad = parsed.isna().to_numpy() & (~empty if not required else np.ones_like(empty))
    _first_bad(name, bad, line, column,
               lambda i: (f"expected a date in format {fmt}; found an empty cell" if empty[i]
                          else f"expected a date in format {fmt}; found '{text.iloc[i]}'"))
    outside = (parsed.notna() & ((parsed < DATE_MIN) | (parsed > DATE_MAX))).to_numpy()
    _first_bad(name, outside, line, column,
               lambda i: f"expected a date from {DATE_MIN.date()} to {DATE_MAX.date()}; found '{text.iloc[i]}'")
    return parsed


def _amounts(name, raw, column, line) -> np.ndarray:
    text = raw[column]
    value = pd.to_numeric(text.str.replace(",", "", regex=False).str.lstrip("$"), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(value) | (value <= 0)
    _first_bad(name, bad, line, column,
               lambda i: f"expected an amount > 0; found '{text.iloc[i]}'")
    _first_bad(name, value > AMOUNT_MAX, line, column,  # beyond it, sums overflow int64 cents
               lambda i: f"expected an amount of at most ${AMOUNT_MAX:,.0f}; found '{text.iloc[i]}'")
    return value


def _unique_invoices(name, raw, m: HistoryMapping, line) -> None:
    """An invoice listed twice would be counted twice: refused, naming both rows."""
    column = m.invoice_id
    if column is None or column not in raw.columns:
        return
    ids = raw[column]
    dup = ids.duplicated(keep="first").to_numpy() & ids.ne("").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])
        raise HistoryError(f"{name}: rows {line[first]} and {line[i]}, column '{column}': invoice "
                           f"'{ids.iloc[i]}' is listed twice; expected each invoice once "
                           f"({int(dup.sum())} repeated row{'s' if dup.sum() > 1 else ''} in all)")


def _flag(name, raw, column, yes, no, line) -> np.ndarray:
    if column is None:
        return np.zeros(len(raw), dtype=bool)
    norm = raw[column].str.lower()
    yes_l, no_l = {v.strip().lower() for v in yes}, {v.strip().lower() for v in no}
    is_yes, is_no = norm.isin(yes_l).to_numpy(), norm.isin(no_l).to_numpy()
    allowed = ", ".join(list(yes) + list(no))
    _first_bad(name, ~(is_yes | is_no), line, column,
               lambda i: f"expected one of {allowed}; found '{raw[column].iloc[i]}'")
    return is_yes


def _order(name, invoice, later, line, column, what, invoice_column) -> None:
    bad = (later < invoice).to_numpy()
    _first_bad(name, bad, line, column,
               lambda i: f"{what} {later.iloc[i].date()} is before the invoice date "
                         f"{invoice.iloc[i].date()} (column '{invoice_column}')")
