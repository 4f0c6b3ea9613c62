"""The report package stays small and layered: every module under 400 lines, no import loop among
its modules, and the building blocks and page shell never import the pipeline."""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import simlib.report

PACKAGE = "simlib.report"
PACKAGE_DIR = Path(simlib.report.__file__).resolve().parent
MAX_LINES = 400

# Which layer each module belongs to. The pipeline may import anything below it; the page shell
# and the building blocks never import the pipeline, and the building blocks not the page shell.
# (``catalogue``: the message catalogue's command, ``python -m simlib.report.catalogue update|check``,
# at the top beside the pipeline: nothing of the report imports it)
PIPELINE = {"pipeline", "notebooks", "export", "publish", "index_page", "pdf", "calibration_pipeline", "board_pack",
            "catalogue"}
PAGE_SHELL = {"page", "navigation"}
BUILDING_BLOCKS = {"summary", "tables", "figures", "factoring_blocks", "sensitivity_blocks", "liquidity_blocks",
                   "assumption_tables", "uncertainty_blocks", "reproducibility", "strategy_words", "results",
                   "explanations", "limitations", "glossary", "contribution_blocks", "uplift_blocks", "search_blocks",
                   "labels", "plots", "metric_words", "param_words", "markup", "errors",
                   "calibration_blocks", "calibration_figures", "calibration_notes", "calibration_words", "pages", "derived", "explore",
                   "plausibility_blocks", "policy_data", "policy_blocks", "board_summary", "board_words"}


def _modules() -> dict[str, Path]:
    """Module name (``simlib.report.x``; the package itself for ``__init__``) → file."""
    found = {}
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        found[PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"] = path
    return found


def _internal_imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports anywhere (top level or inside a function).

    ``from simlib.report import x`` counts as an import of the package (its ``__init__``, which
    imports every module) unless ``x`` is a module, then it is that module.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module if node.level == 0 else f"{PACKAGE}.{node.module}"
            if node.level == 0 and not base.startswith(PACKAGE):
                continue
            if base not in modules and node.level == 0:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _internal_imports(path, set(modules)) - {name} for name, path in modules.items()}


def test_every_report_module_is_short():
    long = {p.name: n for p in _modules().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_LINES}
    assert not long, f"report modules of {MAX_LINES} lines or more: {long}"


def test_import_graph_is_read_from_the_sources():
    graph = _graph()
    # known edges: the pipeline uses the summary's headline, the factoring section the tables
    assert f"{PACKAGE}.summary" in graph[f"{PACKAGE}.pipeline"]
    assert f"{PACKAGE}.tables" in graph[f"{PACKAGE}.factoring_blocks"]
    assert f"{PACKAGE}.pipeline" in graph[PACKAGE]


def test_report_modules_import_no_cycle():
    graph = _graph()
    for name, deps in graph.items():
        if name != PACKAGE:
            assert PACKAGE not in deps, f"{name} imports the package {PACKAGE} itself (a loop via __init__)"
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as err:
        raise AssertionError(f"import cycle among report modules: {' → '.join(err.args[1])}") from None


def test_report_layers_import_downward_only():
    graph = _graph()
    short = {name.removeprefix(f"{PACKAGE}."): {d.removeprefix(f"{PACKAGE}.") for d in deps}
             for name, deps in graph.items() if name != PACKAGE}
    unclassified = set(short) - PIPELINE - PAGE_SHELL - BUILDING_BLOCKS
    assert not unclassified, f"put each new report module in a layer of this test: {sorted(unclassified)}"
    for name, deps in short.items():
        if name not in PIPELINE:
            assert not deps & PIPELINE, f"{name} (below the pipeline) imports {sorted(deps & PIPELINE)}"
        if name in BUILDING_BLOCKS:
            assert not deps & PAGE_SHELL, f"building block {name} imports the page shell"
