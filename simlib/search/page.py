"""The search's report page, built by the report machinery: the notebook
``notebooks/strategy_search.ipynb`` executed by papermill (:func:`simlib.report.notebooks.execute_notebook`),
exported without code by nbconvert (:func:`simlib.report.export.notebook_to_html`), written
atomically, and listed in the scenario's manifest so that ``index.html`` links it.

The page lives in ``<out>/<scenario>/search/``. ``simlib report`` republishes ``<out>/<scenario>/``
whole; it carries the ``search/`` folder and its manifest entry over (see
:func:`simlib.report.pipeline.build_reports`), so a later report keeps the search page.

The page, its title and its manifest entry are in the searched scenario's language and money
(its ``language`` and ``currency`` keys); the search's saved outputs stay in English.
"""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from simlib.core.language import DEFAULT_LANGUAGE, _, scenario_speech, speaking
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
    path = build_page(run, run.directory.resolve())
    list_page(run)
    return path


def build_page(run, directory: Path) -> Path:
    """Execute the notebook on the outputs in ``directory`` (the search folder being published)
    and write the page there; a failed notebook is kept in the published search folder."""
    from simlib.report.export import notebook_to_html
    from simlib.report.index_page import MANIFEST
    from simlib.report.labels import scenario_label
    from simlib.report.navigation import page_links
    from simlib.report.notebooks import execute_notebook
    from simlib.report.pipeline import _kernel_files
    from simlib.report.publish import atomic_write_text

    d, live = Path(directory).resolve(), run.directory.resolve()
    manifest = _manifest(live.parent / MANIFEST)
    nb = registered_page(NOTEBOOK).path()
    source = Path(run.source)
    speech = scenario_speech(run.scenario)
    params = {"scenario_file": str(source.resolve()) if source.is_file() else "", "search_dir": str(d),
              "language": speech.language}
    failed = live / f"{NOTEBOOK}.failed.ipynb"
    live.mkdir(parents=True, exist_ok=True)
    with _kernel_files() as scratch, scratch():
        executed = execute_notebook(nb, params, cwd=nb.parent, failed_copy=failed)
    with speaking(speech.language, speech.currency):
        nav = page_links(_scenario_pages(manifest) + [(PAGE_FILE, _(TITLE))], PAGE_FILE, index_href="../../index.html")
        page = notebook_to_html(executed, f"{_(TITLE)} — {scenario_label(run.scenario)}", nav=nav)
    atomic_write_text(d / PAGE_FILE, page)
    failed.unlink(missing_ok=True)
    return live / PAGE_FILE


def _manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def list_page(run) -> None:
    """List the published page in the scenario's manifest and rewrite ``index.html`` (last)."""
    from simlib.report.index_page import MANIFEST, write_index, write_manifest
    from simlib.report.labels import scenario_label

    d = run.directory.resolve()
    scen_dir, out_dir = d.parent, d.parent.parent
    manifest = _manifest(scen_dir / MANIFEST)
    source = Path(run.source)
    speech = scenario_speech(run.scenario)
    with speaking(speech.language, speech.currency):
        entry = {"file": ENTRY_FILE, "title": _(TITLE)}
    if not manifest or all(r.get("file") == ENTRY_FILE for r in manifest.get("reports", [])):
        # the search's own entry: its headline is this search's (a report's manifest keeps its own)
        from simlib.report.search_blocks import headline_text
        with speaking(speech.language, speech.currency):
            headline = headline_text(d)
        manifest = {"scenario_name": run.scenario.name, "scenario_label": scenario_label(run.scenario),
                    "description": run.scenario.description, "parameter_file": source.name,
                    "headline": headline,
                    "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "replications": run.scenario.simulation.replications, "seed": run.seed, "reports": [],
                    # the index lists the scenario in its language (absent: English)
                    **({"language": speech.language} if speech.language != DEFAULT_LANGUAGE else {})}
    manifest["reports"] = [r for r in manifest.get("reports", []) if r.get("file") != ENTRY_FILE] + [entry]
    write_manifest(scen_dir, manifest)
    write_index(out_dir)
