"""``simlib new NAME --minimal``: a short scenario file holding the numbers a hospital changes first.

The full starter (``simlib new NAME``) is the whole calibrated baseline with its sources — over 400
lines. The minimal one writes only what a hospital must state to get a first answer, each number
marked ``# <- yours``: patient encounters a day, starting cash and cost of capital, each payer's
share of encounters, median allowed amount and patient share, and the smallest difference worth
acting on. It names no file outside the package. Everything it leaves out — patients' means and
payment behaviour, staff, channel costs — is the calibrated US baseline, whole sections at a time,
which ``simlib validate`` says; three of the baseline's strategies (the status quo of letters, text
reminders, a deposit at service) give a first comparison.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

#: The numbers a hospital changes first, by section (key names inside that section).
YOURS = {
    "simulation": {"encounters_per_day": "patient encounters a day, all payers"},
    "decision": {"materiality": "the smallest gain in dollars worth acting on",
                 "materiality_pp": "the smallest change in a rate worth acting on, in percentage points"},
    "finance": {"starting_cash": "cash at day 0", "cost_of_capital_annual": "a year's cost of money"},
    "payers": {"share": "share of encounters", "allowed_median": "median allowed amount per encounter",
               "patient_share": "share of the allowed amount the patient owes"},
}
#: The baseline's strategies the minimal file keeps (the status quo first).
STRATEGIES = ("letters_only", "sms_reminders", "deposit")
#: Sections written whole (the rest come from the calibrated baseline when the file is loaded).
SECTIONS = ("simulation", "decision", "finance", "payers")


def _annotated(section: str, value) -> list[str]:
    """``section:`` dumped as YAML, the lines of :data:`YOURS` marked ``# <- yours: what``."""
    text = yaml.safe_dump({section: value}, sort_keys=False, default_flow_style=False, width=100)
    marks = YOURS.get(section, {})
    out = []
    for line in text.splitlines():
        key = line.strip().split(":", 1)[0]
        out.append(f"{line}  # <- yours: {marks[key]}" if key in marks and ":" in line else line)
    return out


def minimal_scenario(name: str, baseline: str | Path) -> str:
    """The text of the minimal scenario file ``name`` made from the calibrated ``baseline`` file."""
    data = yaml.safe_load(Path(baseline).read_text(encoding="utf-8"))
    lines = [
        f"# {name}: your hospital in the numbers marked '<- yours': change them to yours (keep the",
        "# payers' shares summing to 1). Everything this file leaves out - patients' means and payment",
        "# behaviour, staff, channel costs - is simlib's calibrated US baseline, whole sections at a",
        f"# time: `simlib validate {name}.yaml` names them; copy a section here to change it. Every key",
        "# with its unit and bounds: `simlib schema --markdown keys.md`.",
        f"name: {name}",
        "description: >",
        f"  {name}: a first comparison of collection strategies from the hospital's own numbers.",
    ]
    for section in SECTIONS:
        lines += _annotated(section, copy.deepcopy(data[section]))
    strategies = {k: copy.deepcopy(data["strategies"][k]) for k in STRATEGIES}
    for strategy in strategies.values():
        strategy["description"] = " ".join(str(strategy.get("description", "")).split())
    lines += ["# Strategies to compare: the status quo first (baseline: true). Add your own from the keys in",
              "# `simlib schema --markdown keys.md`, or in Python: scenario.variant(...)."]
    lines += yaml.safe_dump({"strategies": strategies}, sort_keys=False, default_flow_style=None,
                            width=100).splitlines()
    return "\n".join(lines) + "\n"
