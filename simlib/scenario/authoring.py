"""Writing scenarios without reading code: the JSON Schema, the key reference and a starter file.

All three come from the pydantic models themselves (the world's sections in :mod:`simlib.scenario.schema`
and every registered lever's settings), so they cannot drift from what ``simlib validate``
accepts:

* :func:`scenario_json_schema` — a JSON Schema (draft 2020-12) for editor completion
  (``simlib schema``);
* :func:`scenario_reference` — ``docs/scenarios.md``: every key, its type, unit, default and range
  (``simlib schema --markdown``; a test keeps the committed file current);
* :func:`starter_scenario` — a new scenario file copied from the calibrated baseline
  (``simlib new NAME``), read from the package's own copy (:data:`BASELINE_FILE`), never from a checkout.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from simlib.levers import registered_levers
from simlib.scenario.schema import CALIBRATED_BASELINE, Scenario

#: The template ``simlib new`` starts from: the calibrated baseline, shipped inside the package (package
#: data) so an installed simlib needs no checkout; a copy of the repository's
#: ``parameters/baseline.yaml``, kept identical by tests/test_templates.py.
BASELINE_FILE = CALIBRATED_BASELINE

#: What each top-level section is for, in one line (the reference's headings).
SECTION_PURPOSE = {
    "name": "Identifier of the scenario; result and report folders are named after it.",
    "label": "The scenario's name as the board reads it (falls back to a humanised `name`).",
    "description": "One paragraph shown under the report's title.",
    "jurisdiction": "Whose laws apply (ISO 3166-1 code: US, FR or CL; docs/jurisdictions.md): contact rules, "
                    "legal stages, caps and forbidden levers, and the laws the board page names.",
    "currency": "What every amount of the file is in (ISO 4217 code: USD, EUR or CLP; omitted: the "
                "jurisdiction's). Every amount (costs, fees, balances, cash) is in this currency.",
    "language": "The reports' language: en (US English), fr (French) or es (Spanish); numbers in its locale.",
    "simulation": "How much to simulate: horizon, billing window, volume, replications, seed, workers.",
    "decision": "How large a difference must be to matter: materiality in dollars and percentage points.",
    "finance": "Money: cost of capital, starting cash, cost of care, nonprofit status, minimum cash and credit line.",
    "payers": "The payer mix: one entry per payer class (share, allowed amounts, denials, lags).",
    "patients": "Latent patient traits: ability to pay, propensity to pay, price sensitivity.",
    "behaviour": "The payment intensity model (docs/model.md): decay, jumps, partial payments.",
    "channels": "Contact channels (built-in email, sms, whatsapp, letter, formal_demand, call); "
                "a file may override any field or add channels.",
    "operations": "Teams with limited capacity: denials, billing; statement lag.",
    "harm": "What harm to patients costs: complaint handling, patients who do not come back, the margin "
            "of care deferred (docs/model.md \"Harm has a price\").",
    "strategies": "The strategies to compare: one entry per strategy, exactly one `baseline: true`.",
    "search": "What `simlib search` may change to find the best strategy, and its constraints (docs/search.md).",
    "uncertain": "Assumptions given as distributions, drawn once per run for every strategy "
                 "([uncertainty.md](uncertainty.md)).",
    "sensitivity": "What the sensitivity report moves (factors: path, low, high), its runs per setting and "
                   "flip points (docs/sensitivity.md).",
}

#: Units read from the suffix of a field name (names carry their units, see ../shared/STYLE.md).
UNIT_SUFFIXES = (
    ("_per_day", "per day"), ("_days", "days"), ("_day", "day"),
    ("_hours", "hours"), ("_hour", "hour"), ("_minutes", "minutes"), ("_rate", "share (0–1)"),
    ("_share", "share (0–1)"), ("_annual", "per year"), ("_months", "months"), ("_sigma", "log-scale σ"),
)


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, the levers' sections included (they are registered at run
    time, so the Strategy model alone does not list them)."""
    schema = Scenario.model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    strategy = defs["Strategy"]
    props = strategy.setdefault("properties", {})
    for key, lever in registered_levers().items():
        sub = TypeAdapter(lever.settings).json_schema(mode="validation")
        for name, definition in sub.pop("$defs", {}).items():
            defs.setdefault(name, definition)
        doc = (lever.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        if doc and "description" not in sub:
            sub["description"] = doc
        if lever.default is not None:
            sub["default"] = _jsonable(lever.default)
        props[key] = sub
    strategy["additionalProperties"] = False
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "simlib scenario"
    return schema


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def write_schema(json_path: str | Path | None, markdown_path: str | Path | None, stdout) -> list[Path]:
    """``simlib schema``: the JSON Schema to ``json_path`` (or ``stdout`` when neither path is
    given) and the key reference to ``markdown_path``; returns the files written."""
    written = []
    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if json_path:
        written.append(_write(Path(json_path), text))
    elif not markdown_path:
        stdout.write(text)
    if markdown_path:
        written.append(_write(Path(markdown_path), scenario_reference()))
    return written


def _write(path: Path, text: str) -> Path:
    from simlib.core.atomic import atomic_write_text

    atomic_write_text(path, text)
    return path


# ---------------------------------------------------------------------------- reference (markdown)
def _resolve(schema: dict, node: dict) -> dict:
    """Follow ``$ref`` and single-branch ``anyOf``/``allOf`` to the definition that says what a value is."""
    node = dict(node)
    while "$ref" in node:
        target = schema["$defs"][node.pop("$ref").split("/")[-1]]
        node = {**target, **node}
    for key in ("allOf",):
        if key in node and len(node[key]) == 1:
            inner = _resolve(schema, node.pop(key)[0])
            node = {**inner, **node}
    return node


def _type_words(schema: dict, node: dict) -> str:
    node = _resolve(schema, node)
    if "anyOf" in node:
        parts = [_type_words(schema, n) for n in node["anyOf"]]
        parts = [p for p in parts if p != "null"]
        optional = len(parts) < len(node["anyOf"])
        words = " or ".join(dict.fromkeys(parts))
        return f"{words} (optional)" if optional else words
    if "oneOf" in node:
        return " or ".join(dict.fromkeys(_type_words(schema, n) for n in node["oneOf"]))
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    t = node.get("type")
    if t == "array":
        items = node.get("items") or node.get("prefixItems")
        if isinstance(items, list):
            return "[" + ", ".join(_type_words(schema, i) for i in items) + "]"
        return f"list of {_type_words(schema, items or {})}"
    if t == "object":
        if "properties" in node:
            return f"section `{node.get('title', 'object')}`"
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return f"map of name → {_type_words(schema, extra)}"
        return "map"
    return {"number": "number", "integer": "integer", "string": "text", "boolean": "true/false",
            "null": "null"}.get(t, t or "any")


def _range_words(node: dict) -> str:
    parts = []
    if "minimum" in node:
        parts.append(f"≥ {node['minimum']:g}")
    if "exclusiveMinimum" in node:
        parts.append(f"> {node['exclusiveMinimum']:g}")
    if "maximum" in node:
        parts.append(f"≤ {node['maximum']:g}")
    if "exclusiveMaximum" in node:
        parts.append(f"< {node['exclusiveMaximum']:g}")
    if "minLength" in node or "maxLength" in node:
        parts.append(f"{node.get('minLength', 0)}–{node.get('maxLength', '…')} characters")
    if "minItems" in node or "maxItems" in node:
        parts.append(f"{node.get('minItems', 0)}–{node.get('maxItems', '…')} items")
    return ", ".join(parts)


def _unit_of(name: str) -> str:
    from simlib.core.money_names import is_money

    if is_money(name):
        return "the scenario's currency"
    name = re.sub(r"_(min|max|mean|median|sd)$", "", name)
    per_period = re.search(r"_per_(\d+)_days$", name)
    if per_period:
        return f"count per {per_period.group(1)} days"
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def _default_words(node: dict, required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in node:
        return "—"
    value = node["default"]
    if isinstance(value, (dict, list)) and len(json.dumps(value)) > 40:
        return "see below" if isinstance(value, dict) else "(list)"
    return f"`{json.dumps(value)}`" if value is not None else "none"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _model_table(schema: dict, model: dict, prefix: str, out: list[str], seen: set[str]) -> None:
    """One table for ``model`` (a resolved object schema), then a table per nested section."""
    props = model.get("properties", {})
    required = set(model.get("required", []))
    described = any(node.get("description") for node in props.values())
    out.append("| key | type | unit | default | range |" + (" meaning |" if described else ""))
    out.append("|---|---|---|---|---|" + ("---|" if described else ""))
    nested: list[tuple[str, dict]] = []
    for name, node in props.items():
        full = _resolve(schema, node)
        rng = _range_words(full) or _range_words(node)
        meaning = node.get("description") or (full.get("description", "") if "properties" not in full else "")
        row = (f"| `{name}` | {_cell(_type_words(schema, node))} | {_unit_of(name)} | "
               f"{_cell(_default_words(node, name in required))} | {rng} |")
        if described:
            row += f" {_cell(meaning.strip().split(chr(10) + chr(10))[0])} |"
        out.append(row)
        for candidate in _object_branches(schema, node):
            title = candidate.get("title", name)
            if title not in seen:
                seen.add(title)
                nested.append((f"{prefix}.{name}" if prefix else name, candidate))
    out.append("")
    for path, sub in nested:
        out.append(f"#### `{path}` ({sub.get('title', '')})")
        out.append("")
        doc = (sub.get("description") or "").strip().split("\n\n")[0].replace("\n", " ")
        if doc:
            out.extend([doc, ""])
        _model_table(schema, sub, path, out, seen)


def _object_branches(schema: dict, node: dict) -> list[dict]:
    """The object schemas a value may be (a section, a map's values, a list's items, any branch)."""
    node = _resolve(schema, node)
    if "properties" in node:
        return [node]
    found: list[dict] = []
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key, []):
            found.extend(_object_branches(schema, branch))
    if isinstance(node.get("additionalProperties"), dict):
        found.extend(_object_branches(schema, node["additionalProperties"]))
    if isinstance(node.get("items"), dict):
        found.extend(_object_branches(schema, node["items"]))
    return found


def scenario_reference() -> str:
    """``docs/scenarios.md``: every key of a scenario file with type, unit, default and range."""
    schema = scenario_json_schema()
    top = schema["properties"]
    required = set(schema.get("required", []))
    out = [
        "# Writing a scenario file",
        "",
        "<!-- Generated by `simlib schema --markdown docs/scenarios.md` from the pydantic models;",
        "     tests/test_authoring.py fails when this file is out of date. Do not edit by hand. -->",
        "",
        "A scenario is one YAML file: the hospital (sections below) and the strategies to compare.",
        "Start from the calibrated baseline with `simlib new NAME` (it writes `NAME.yaml`), check it",
        "with `simlib validate NAME.yaml`, and get completion in an editor from the JSON Schema that",
        "`simlib schema --out simlib-scenario.schema.json` writes (VS Code: `yaml.schemas`).",
        "Unknown keys are refused, numbers must be finite, and units are in the key names",
        "(`_days`, `_per_day`, `_rate` …); amounts (costs, fees, balances, cash) are in the scenario's `currency`",
        "(an old file's `_usd` names still load, with a note). Model definitions: [model.md](model.md).",
        "",
        "A file may omit a whole hospital section (`simulation`, `finance`, `patients`, `behaviour`,",
        "`operations`): it is then the calibrated baseline's (`parameters/baseline.yaml`), never the",
        "defaults below, and `simlib validate` says which sections were taken. A section that is",
        "present takes the defaults below for the keys it leaves out, except `finance.starting_cash`,",
        "which must be stated. Quiet hours run from evening to morning (`[21, 8]`); a window holding",
        "midday is refused as swapped.",
        "",
        "## Top level",
        "",
        "| key | type | default | what it is |",
        "|---|---|---|---|",
    ]
    for name, node in top.items():
        out.append(f"| `{name}` | {_cell(_type_words(schema, node))} | "
                   f"{_cell(_default_words(node, name in required))} | {SECTION_PURPOSE.get(name, '')} |")
    out.append("")
    seen: set[str] = set()
    for name, node in top.items():
        branches = _object_branches(schema, node)
        if not branches:
            continue
        out.append(f"## `{name}`")
        out.append("")
        if name in SECTION_PURPOSE:
            out.extend([SECTION_PURPOSE[name], ""])
        for sub in branches:
            title = sub.get("title", name)
            if title in seen:
                continue
            seen.add(title)
            if name == "strategies":
                out.extend(["Each strategy has these keys; every lever key is optional and a strategy "
                            "without it does not use that lever.", ""])
            _model_table(schema, sub, name, out, seen)
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------- starter scenario
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def write_starter(name: str, out_dir: str | Path = ".", *, force: bool = False, minimal: bool = False) -> Path:
    """``simlib new NAME``: write ``out_dir/NAME.yaml`` from the calibrated baseline (``minimal``: only
    the numbers a hospital changes first, :mod:`simlib.scenario.minimal`) and check that it
    validates. ValueError (one line) for a bad name, a missing folder or an existing file."""
    from simlib.scenario.minimal import minimal_scenario
    from simlib.scenario.schema import load_scenario

    if not BASELINE_FILE.is_file():
        raise ValueError(f"{BASELINE_FILE}: the scenario template is missing from this simlib installation; "
                         "expected the package's templates: reinstall simlib (pip install --force-reinstall "
                         "simlib-hospital, or pip install -e . in a checkout)")
    text = starter_scenario(name)
    if minimal:
        text = minimal_scenario(name, BASELINE_FILE)
    out = Path(out_dir)
    if not out.is_dir():
        raise ValueError(f"{out}: not a folder; expected an existing folder for --out")
    target = out / f"{name}.yaml"
    if target.exists() and not force:
        raise ValueError(f"{target} exists; expected a new file name (or --force to overwrite)")
    _write(target, text)
    load_scenario(target)  # the starter must validate; a failure here is a bug, not bad input
    return target


def starter_scenario(name: str, source: str | Path = BASELINE_FILE) -> str:
    """The text of a new scenario file named ``name``: the calibrated baseline, comments kept,
    with its name, label and description replaced."""
    if not _NAME_OK.match(name):
        raise ValueError(f"scenario name {name!r}: expected 1–80 letters, digits, '_', '-' or '.', "
                         "starting with a letter or digit")
    text = Path(source).read_text(encoding="utf-8")
    lines = text.splitlines()
    out: list[str] = [
        f"# {name}: a new scenario, started from the calibrated baseline ({Path(source).name}).",
        "# Every section states the hospital; change what differs for yours and keep the sources",
        "# in comments. Key reference: docs/scenarios.md. Check with: simlib validate <this file>",
    ]
    skip_block = False
    for line in lines:
        if skip_block:
            if line.startswith((" ", "\t")) or not line.strip():
                continue
            skip_block = False
        if re.match(r"^name:", line):
            out.append(f"name: {name}")
        elif re.match(r"^label:", line):
            continue
        elif re.match(r"^description:", line):
            out.append("description: >")
            out.append(f"  {name}: describe the hospital and what the strategies test.")
            skip_block = line.rstrip().endswith((">", "|", ">-", "|-"))
        else:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"



def new_command(args) -> int:
    """`simlib new NAME [--out DIR] [--force] [--minimal]`: exit 0, or 2 with one line when NAME or the
    file is refused."""
    minimal = getattr(args, "minimal", False)
    try:
        target = write_starter(args.name, args.out, force=args.force, minimal=minimal)
    except ValueError as err:
        print(f"simlib new: {err}", file=sys.stderr)
        return 2
    what = ("the numbers marked '<- yours' to change; the rest is the calibrated baseline" if minimal
            else "the calibrated baseline")
    print(f"wrote {target} ({what}; edit it, then `simlib validate {target}`)")
    return 0


def schema_command(args) -> int:
    """`simlib schema [--out FILE] [--markdown FILE]`."""
    for path in write_schema(args.out, args.markdown, sys.stdout):
        print(f"wrote {path}", file=sys.stderr)
    return 0
