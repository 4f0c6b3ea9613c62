"""The search's report page, built by the report machinery: the notebook
``notebooks/strategy_search.ipynb`` executed by papermill (:func:`simlib.report.notebooks.execute_notebook`),
exported without code by nbconvert (:func:`simlib.report.export.notebook_to_html`), written
atomically, and listed in the scenario's manifest so that ``index.html`` links it.

The page lives in ``<out>/<scenario>/search/``. ``simlib report`` republishes ``<out>/<scenario>/``
whole; it carries the ``search/`` folder and its manifest entry over (see
:func:`simlib.report.pipeline.build_reports`), so a later report keeps the search page.
"""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from simlib.report.pages import page as registered_page

NOTEBOOK = "strategy_search"
TITLE = registered_page(NOTEBOOK).title
PAGE_FILE = f"{NOTEBOOK}.html"
ENTRY_FILE = f"search/{PAGE_FILE}"


def _scenario_pages(manifest: dict) -> list[tuple[str, str]]:
    return [(f"../{r['file']}", r.get("title", r["file"])) for r in manifest.get("reports", [])
            if r.get("file") != ENTRY_FILE]


def publish_page(run) -> Path:
    """Execute the notebook on the search's outputs, write the page, update manifest and index."""
    from simlib.report.export import notebook_to_html
    from simlib.report.index_page import MANIFEST, write_index, write_manifest
    from simlib.report.labels import scenario_label
    from simlib.report.navigation import page_links
    from simlib.report.notebooks import execute_notebook
    from simlib.report.pipeline import _kernel_files
    from simlib.report.publish import atomic_write_text

    d = run.directory.resolve()
    scen_dir, out_dir = d.parent, d.parent.parent
    manifest_path = scen_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    nb = registered_page(NOTEBOOK).path()
    source = Path(run.source)
    params = {"scenario_file": str(source.resolve()) if source.is_file() else "", "search_dir": str(d)}
    with _kernel_files() as scratch, scratch():
        executed = execute_notebook(nb, params, cwd=nb.parent, failed_copy=d / f"{NOTEBOOK}.failed.ipynb")
    nav = page_links(_scenario_pages(manifest) + [(PAGE_FILE, TITLE)], PAGE_FILE, index_href="../../index.html")
    page = notebook_to_html(executed, f"{TITLE} — {scenario_label(run.scenario)}", nav=nav)
    path = atomic_write_text(d / PAGE_FILE, page)
    (d / f"{NOTEBOOK}.failed.ipynb").unlink(missing_ok=True)
    entry = {"file": ENTRY_FILE, "title": TITLE}
    if not manifest:
        from simlib.report.search_blocks import headline_text
        manifest = {"scenario_name": run.scenario.name, "scenario_label": scenario_label(run.scenario),
                    "description": run.scenario.description, "parameter_file": source.name,
                    "headline": headline_text(d),
                    "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "replications": run.scenario.simulation.replications, "seed": run.seed, "reports": []}
    manifest["reports"] = [r for r in manifest.get("reports", []) if r.get("file") != ENTRY_FILE] + [entry]
    write_manifest(scen_dir, manifest)
    write_index(out_dir)
    return path
