"""CSV files a spreadsheet can open safely: every CSV the project writes goes through :func:`write_csv`.

Why (issue 21): strategy keys and labels are free text, and a finance team opens the result
tables in a spreadsheet, which *executes* a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return (CSV or formula injection: ``=1+1+cmd|' /C calc'!A0``). The OWASP rule is applied
to every text cell and to the header: such a cell is written with a leading ``'``, which a
spreadsheet shows as text and never evaluates. A text cell that itself starts with ``'`` gets one
more, so the rule is reversible: :func:`read_csv` removes exactly one leading ``'`` from every
text cell and header and gives back the table that was written. Numbers are never touched (a
negative number is a number, not a formula).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

#: First characters that make a spreadsheet evaluate a cell (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value):
    """``value`` as it is safe in a CSV cell: a text starting with a formula character (or with the
    quote itself) gets a leading ``'``; anything else is returned unchanged."""
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or value[0] == QUOTE):
        return QUOTE + value
    return value


def restore(value):
    """The inverse of :func:`neutralise` (one leading ``'`` removed from a text)."""
    if isinstance(value, str) and value.startswith(QUOTE):
        return value[1:]
    return value


def _text_columns(table: pd.DataFrame) -> list:
    return [c for c in table.columns
            if table[c].dtype == object or isinstance(table[c].dtype, (pd.StringDtype, pd.CategoricalDtype))]


def safe_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with every text cell and column name neutralised."""
    out = table.copy()
    for c in _text_columns(out):
        out[c] = out[c].astype(object).map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def write_csv(table: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """Write ``table`` as CSV (``index=False`` unless told) with every text cell neutralised."""
    kwargs.setdefault("index", False)
    if kwargs["index"]:
        table = table.reset_index()
        kwargs["index"] = False
    safe_table(table).to_csv(path, **kwargs)
    return Path(path)


def read_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` back to the table that was written."""
    table = pd.read_csv(path, **kwargs)
    table.columns = [restore(c) for c in table.columns]
    for c in _text_columns(table):
        table[c] = table[c].map(restore)
    return table
