"""The package's shape: layers that import downward only, no import cycle, small modules, and a
lever registry that does not depend on import order.

The import graph is read from the source with ``ast``: every ``import`` and ``from … import`` in a
module, wherever it stands (inside functions and ``TYPE_CHECKING`` blocks too), is an edge. The
implicit import of a parent package (``simlib.levers`` before ``simlib.levers.agency``) is not.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simlib"
MAX_LINES = 400

#: Layers, lowest first: the folders of ``simlib/``. A module may import modules of its own layer or
#: of a lower one. The wings (report, calibration, search) share a layer and may import each other;
#: the command line and the package's front door sit on top. A new module joins the layer of the
#: folder it is put in: nothing here names a module.
LAYERS = [
    ("core", "settings base, money, streams, payment-intensity maths, metric names, safe files"),
    ("world", "the account and its contact verb, channels, contact response, capacities"),
    ("levers", "one module per lever, and the registry"),
    ("policies", "collection policies that react to the patient: outcomes, rules, barrier"),
    ("scenario", "the schema of a scenario file and its sections"),
    ("model", "population, claims, the world, factoring settlement, metrics"),
    ("analysis", "summaries, the decision, spread, number formatting"),
    ("run", "experiments, executors, checkpoints, options, budget, exit codes"),
    ("studies", "contributions, sensitivity, flip points: re-running a scenario"),
    ("report|calibration|search", "the wings: board reports, calibration, the strategy search"),
    ("simlib|cli|__main__", "the command line and the package's front door"),
]
#: At most about a dozen entries at the top of the package (folders and modules).
TOP_LEVEL = {"__init__.py", "__main__.py", "cli.py"} | {f for names, _ in LAYERS[:-1] for f in names.split("|")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The simlib modules ``name`` imports (an imported name that is a submodule counts as it)."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "simlib")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "simlib":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, …, a]``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state and (found := visit(n)):
            return found
    return None


def layer_of(name: str) -> int:
    """The rank of the folder ``name`` lives in (``simlib.model.engine`` → model)."""
    parts = name.split(".")
    folder = parts[1] if len(parts) > 1 else "simlib"
    for rank, (folders, _) in enumerate(LAYERS):
        if folder in folders.split("|"):
            return rank
    raise AssertionError(f"module {name} is in no layer: simlib/{folder} is not a folder of "
                         "tests/test_architecture.py's LAYERS (put the module in one of them)")


def test_the_top_of_the_package_is_a_table_of_contents():
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries <= TOP_LEVEL, f"unexpected entries at the top of simlib/: {sorted(entries - TOP_LEVEL)}"
    assert len(entries) <= 15


def test_every_layer_is_a_folder_with_a_docstring():
    for folders, _ in LAYERS[:-1]:
        for folder in folders.split("|"):
            init = PACKAGE / folder / "__init__.py"
            assert init.exists(), f"simlib/{folder}/ is a layer but has no __init__.py"
            assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"simlib/{folder}: no docstring"


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_only_its_own_layer_or_lower():
    bad = [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
           for a, targets in graph().items() for b in sorted(targets) if layer_of(b) > layer_of(a)]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_the_import_reader_sees_imports_inside_functions():
    g = graph()
    assert "simlib.run.experiment" in g["simlib.cli"]          # imported inside a function
    assert "simlib.levers.agency" in g["simlib.levers"]    # `from simlib.levers import agency`
    assert "simlib.model.factoring_settlement" in g["simlib.run.replication"]    # `from simlib.model import factoring_settlement`


def test_no_module_is_longer_than_about_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"


BUILT_IN_ORDER = ["credit_terms_days", "statement_channel", "ladder", "phone_team", "contact_limits",
                  "prompt_pay_discount", "deposit", "billing_training", "coding_audit", "eligibility_check",
                  "claims_scrubber", "coverage_discovery", "price_estimate", "write_off", "fap_screening",
                  "collection_charges", "payment_plan", "payment_methods", "pay_link", "card_on_file",
                  "patient_portal", "financing", "targeted_offer", "agency", "legal_action", "public_accountant",
                  "credit_reporting", "factoring", "contact_outcomes", "policy", "barrier_policy"]


@pytest.mark.parametrize("first", ["simlib", "simlib.world.capacities.phone_team", "simlib.levers.agency",
                                   "simlib.levers.base", "simlib.model.population", "simlib.model.engine"])
def test_built_in_levers_register_in_the_same_order_whatever_is_imported_first(first):
    code = (f"import {first}\nimport simlib.scenario.schema\nfrom simlib.levers import registered_levers\n"
            "print(','.join(registered_levers()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().split(",") == BUILT_IN_ORDER


def test_every_counter_a_run_adds_is_declared_by_a_lever_or_the_core():
    from simlib.world import account
    from simlib.world import channels
    from simlib.model import claims
    from simlib.model.engine import World
    from simlib.levers import registered_levers
    from simlib.scenario.schema import scenario_from_dict
    from simlib.model.population import draw_population

    declared = set(account.COUNTERS) | set(claims.COUNTERS) | {
        k for k in channels.COUNTERS if "<" not in k}
    for lever in registered_levers().values():
        declared |= set(lever.counters)
    data = yaml.safe_load((ROOT / "tests" / "golden" / "levers_combined.yaml").read_text(encoding="utf-8"))
    data["simulation"]["encounters_per_day"] = 1.0
    sc = scenario_from_dict(data)
    pop = draw_population(sc, 0)
    seen = set()
    for name in sc.strategies:
        seen |= set(World(sc, name, pop).run().counters)
    patterns = {k for k in channels.COUNTERS if "<name>" in k}
    for lever in registered_levers().values():
        patterns |= {k for k in lever.counters if "<name>" in k}
    per_channel = {p.replace("<name>", ch) for ch in sc.channels for p in patterns}
    assert seen - declared - per_channel == set()
    assert {"plans", "agency_placements", "financed", "deposits", "discounts", "calls"} <= seen


def test_every_folder_of_the_package_is_a_regular_package():
    """A folder without ``__init__.py`` would import as a namespace package and hide a misplaced move."""
    missing = [str(d.relative_to(ROOT)) for d in PACKAGE.rglob("*") if d.is_dir() and d.name != "__pycache__"
               and any(d.glob("*.py")) and not (d / "__init__.py").exists()]
    assert not missing, f"folders without __init__.py: {missing}"
    nested = [str(d.relative_to(ROOT)) for d in PACKAGE.rglob("*") if d.is_dir() and d.name == d.parent.name]
    assert not nested, f"a folder inside a folder of the same name (a move gone wrong): {nested}"
