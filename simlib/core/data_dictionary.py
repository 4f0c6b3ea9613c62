"""The data dictionary: every metric of the catalogue with its label, unit, direction and
definition, as a table written beside every run's results (``data_dictionary.csv``) and as the
Markdown table of ``docs/metrics.md`` — both generated from :data:`simlib.core.metric_catalogue.METRICS`,
so a metric added there is documented everywhere at once (a test checks the doc is current).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from simlib.core.metric_catalogue import KEY_METRIC, LIQUIDITY_KEY_METRIC, METRICS

#: What each unit means in the result tables (one unit per metric; never mixed in one column).
UNIT_MEANINGS = {
    "usd": "US dollars (totals over the simulated days unless stated)",
    "share": "a fraction between 0 and 1 (0.25 = 25 %)",
    "days": "days",
    "count": "a count (per account where the name says so)",
    "hours": "hours",
}

def _direction(higher_is_better: bool | None) -> str:
    return {True: "higher is better", False: "lower is better"}.get(higher_is_better, "neither (context)")


def _role(metric: str) -> str:
    if metric == KEY_METRIC:
        return "decision metric (no cash floor)"
    if metric == LIQUIDITY_KEY_METRIC:
        return "decision metric (with a cash floor)"
    return ""


def data_dictionary() -> pd.DataFrame:
    """One row per metric, in the catalogue's order: ``metric, label, unit, direction, group,
    role, definition`` (``unit_meaning`` says what the unit is)."""
    rows = [{"metric": name, "label": info.label, "unit": info.unit, "unit_meaning": UNIT_MEANINGS[info.unit],
             "direction": _direction(info.higher_is_better), "group": info.group, "role": _role(name),
             "definition": info.description} for name, info in METRICS.items()]
    return pd.DataFrame(rows)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    """The data dictionary as the Markdown table of ``docs/metrics.md``."""
    lines = ["| metric | label | unit | direction | group | definition |", "|---|---|---|---|---|---|"]
    for r in data_dictionary().itertuples():
        role = f" **{r.role}**." if r.role else ""
        lines.append(f"| `{r.metric}` | {_cell(r.label)} | {r.unit} | {r.direction} | {r.group} | "
                     f"{_cell(r.definition)}{role} |")
    units = "\n".join(f"- `{u}`: {m}" for u, m in UNIT_MEANINGS.items())
    return "\n".join(lines) + "\n\nUnits:\n\n" + units + "\n"


BEGIN = "<!-- generated from simlib/core/metric_catalogue.py by simlib.core.data_dictionary.write_doc: do not edit -->"
END = "<!-- end of generated table -->"


def write_doc(path: str | Path) -> bool:
    """Put :func:`markdown_table` between the markers of the Markdown file ``path``; True when it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{markdown_table()}{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
