"""Reading one table of a saved result directory in the format its ``provenance.json`` names.

:meth:`simlib.run.experiment.Results.save` writes every table (the experiment's own and the extra
ones a report adds: lever contributions, the targeted offer's uplift, the policies' actions) in
one format, parquet or CSV, and records that format in ``provenance.json`` last. A reader must
take that format, never guess from the files present: a stale table of the other format may sit
beside the current one in a directory written before the format was recorded."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from simlib.core.csv_cells import read_csv


def read_table_file(path: Path, fmt: str) -> pd.DataFrame:
    """A table file in ``fmt`` ("parquet" or "csv"; CSV cells read back as written)."""
    return pd.read_parquet(path) if fmt == "parquet" else read_csv(path)


def read_saved_table(results_dir: str | Path, name: str) -> pd.DataFrame | None:
    """Table ``name`` of a complete result directory, or None when the directory is not complete
    (no readable ``provenance.json``) or was saved without that table."""
    d = Path(results_dir)
    try:
        fmt = json.loads((d / "provenance.json").read_text(encoding="utf-8")).get("format", "parquet")
    except (OSError, ValueError):
        return None
    path = d / f"{name}.{fmt}"
    return read_table_file(path, fmt) if path.is_file() else None
