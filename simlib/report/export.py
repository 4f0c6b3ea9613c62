"""HTML export with nbconvert: an executed notebook to a self-contained page without code, inside
the page shell, refused if it would load anything from outside."""
from __future__ import annotations

import copy
import queue

from simlib.core.language import _, currency_name, speech
from simlib.report.errors import ReportError
from simlib.report.navigation import with_table_of_contents
from simlib.report.page import external_loads, html_page

# A cell with this tag is for people exploring the notebook in JupyterLab (how to change the
# parameters, run the cells); it is left out of the board's HTML.
JUPYTERLAB_ONLY = "jupyterlab-only"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _strip_noise(nb) -> None:
    """Drop JupyterLab-only cells, stderr streams (warnings) and widgets (progress bars): a board
    reads results, not logs."""
    nb.cells = [c for c in nb.cells if JUPYTERLAB_ONLY not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.get("outputs", [])
                        if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                        and WIDGET_VIEW not in o.get("data", {})]


def _translate_markdown(nb) -> None:
    """Every markdown cell in the language in force, from the catalogue (a cell is one message,
    :func:`simlib.report.catalogue.extract_markdown`); ``{currency}`` in a translation is the
    scenario's currency in words. US English is left as written."""
    if speech().language == "en":
        return
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = _(cell.source.strip()).replace("{currency}", currency_name())


def notebook_body(nb) -> str:
    """The body of an executed notebook's page: every output, no input (code) cell, no
    JupyterLab-only cell, log or widget, with ids on the section headings and their table of
    contents. The page (:func:`notebook_to_html`) and the board pack (:mod:`simlib.report.board_pack`)
    both wrap it."""
    nb = copy.deepcopy(nb)  # the caller keeps its outputs
    _strip_noise(nb)
    _translate_markdown(nb)
    exporter = _exporter()
    body, _resources = exporter.from_notebook_node(nb)
    _IDLE_EXPORTERS.put(exporter)  # for the next page (not if it failed: a new one then)
    return with_table_of_contents(body)


#: HTML exporters free for a page: one is made only when none is (pages render side by side, each
#: with its own), as an exporter reads and compiles its templates at its first page (a fifth of a
#: second a page)
_IDLE_EXPORTERS: queue.SimpleQueue = queue.SimpleQueue()


def _exporter():
    """An idle HTML exporter, or a new one. 'basic' renders cells only: no require.js, MathJax or
    mermaid <script> from a CDN as the 'lab' and 'classic' templates emit; html_page adds the
    document shell and print CSS."""
    try:
        return _IDLE_EXPORTERS.get_nowait()
    except queue.Empty:
        from nbconvert import HTMLExporter

        return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_raw=True)


def checked_page(title: str, body: str) -> str:
    """``body`` in the page shell, refused (:class:`ReportError`) if it would load anything from outside."""
    page = html_page(title, body)
    bad = external_loads(page)
    if bad:
        raise ReportError(f"report {title!r} would load external resources: {bad[:5]}")
    return page


def notebook_to_html(nb, title: str, nav: str = "") -> str:
    """Export an executed notebook to a self-contained page without any input (code) cell, with a
    table of contents of its sections and ``nav`` (links to the index and sibling reports) on top."""
    return checked_page(title, nav + notebook_body(nb))
