"""The package's shape: layers that import downward only, no import cycle, small modules, and a
lever registry that does not depend on import order.

The import graph is read from the source with ``ast``: every ``import`` and ``from … import`` in a
module, wherever it stands (inside functions and ``TYPE_CHECKING`` blocks too), is an edge. The
implicit import of a parent package (``simlib.levers`` before ``simlib.levers.agency``) is not.
"""
from __future__ import annotations

import ast
import fnmatch
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simlib"
MAX_LINES = 400

#: Layers, lowest first. A module may import modules of its own layer or of a lower one.
LAYERS = [
    ("base: settings, maths, money, streams, metric names, safe input and output",
     ["simlib.settings", "simlib.behaviour", "simlib.ledger", "simlib.rng", "simlib.catalogue",
      "simlib.limits", "simlib.bounds", "simlib.scenario_file", "simlib.scheduler_address", "simlib.words",
      "simlib.atomic", "simlib.paths", "simlib.versions", "simlib.payment_timing",
      "simlib.parameter_paths", "simlib.exits", "simlib.materiality", "simlib.attribution", "simlib.assumption_checks",
      "simlib.assumptions", "simlib.liquidity",
      "simlib.sensitivity_settings"]),
    ("mechanisms: contact kinds, the account core, the capacities",
     ["simlib.channels", "simlib.contact_response", "simlib.account", "simlib.capacities",
      "simlib.capacities.*"]),
    ("levers: one module per lever, and the registry", ["simlib.levers", "simlib.levers.*"]),
    ("scenario: the schema of a scenario file", ["simlib.params", "simlib.search_space"]),
    ("model: population, claims, the world, factoring settlement, metrics",
     ["simlib.population", "simlib.claims", "simlib.engine", "simlib.factoring", "simlib.metrics",
      "simlib.vectorized"]),
    ("runs: experiments, analysis, reports, command line",
     ["simlib.experiment", "simlib.distributed", "simlib.run_options", "simlib.resources",
      "simlib.checkpoint", "simlib.pool", "simlib.calibration", "simlib.calibration.*", "simlib.analysis", "simlib.sensitivity", "simlib.contributions", "simlib.spread", "simlib.flip_points",
      "simlib.plots", "simlib.report", "simlib.report.*", "simlib.search", "simlib.search.*", "simlib.authoring", "simlib.cli", "simlib", "simlib.__main__"]),
]


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
    for rank, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return rank
    raise AssertionError(f"module {name} is in no layer of tests/test_architecture.py: add it to the "
                         "layer it belongs to (it may import only its own layer and those below)")


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_only_its_own_layer_or_lower():
    bad = [f"{a} ({LAYERS[layer_of(a)][0].split(':')[0]}) imports {b} ({LAYERS[layer_of(b)][0].split(':')[0]})"
           for a, targets in graph().items() for b in sorted(targets) if layer_of(b) > layer_of(a)]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_the_import_reader_sees_imports_inside_functions():
    g = graph()
    assert "simlib.experiment" in g["simlib.cli"]          # imported inside a function
    assert "simlib.levers.agency" in g["simlib.levers"]    # `from simlib.levers import agency`
    assert "simlib.factoring" in g["simlib.experiment"]    # `from simlib import factoring as _f`


def test_no_module_is_longer_than_about_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"


BUILT_IN_ORDER = ["credit_terms_days", "statement_channel", "ladder", "phone_team", "contact_limits",
                  "prompt_pay_discount", "deposit", "price_estimate", "write_off", "fap_screening",
                  "payment_plan",
                  "financing", "agency", "factoring"]


@pytest.mark.parametrize("first", ["simlib", "simlib.capacities.phone_team", "simlib.levers.agency",
                                   "simlib.levers.base", "simlib.population", "simlib.engine"])
def test_built_in_levers_register_in_the_same_order_whatever_is_imported_first(first):
    code = (f"import {first}\nfrom simlib.levers import registered_levers\n"
            "print(','.join(registered_levers()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().split(",") == BUILT_IN_ORDER


def test_every_counter_a_run_adds_is_declared_by_a_lever_or_the_core():
    from simlib import account, channels, claims
    from simlib.engine import World
    from simlib.levers import registered_levers
    from simlib.params import scenario_from_dict
    from simlib.population import draw_population

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
    per_channel = {f"{prefix}_{ch}" for ch in sc.channels for prefix in ("contacts", "reached")}
    assert seen - declared - per_channel == set()
    assert {"plans", "agency_placements", "financed", "deposits", "discounts", "calls"} <= seen
