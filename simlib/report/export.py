"""HTML export with nbconvert: an executed notebook to a self-contained page without code, inside
the page shell, refused if it would load anything from outside."""
from __future__ import annotations

import copy

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


def notebook_body(nb) -> str:
    """The body of an executed notebook's page: every output, no input (code) cell, no
    JupyterLab-only cell, log or widget, with ids on the section headings and their table of
    contents. The page (:func:`notebook_to_html`) and the board pack (:mod:`simlib.report.board_pack`)
    both wrap it."""
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)  # the caller keeps its outputs
    _strip_noise(nb)
    # 'basic' renders cells only: no require.js, MathJax or mermaid <script> from a CDN as the
    # 'lab' and 'classic' templates emit; html_page adds the document shell and print CSS.
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_raw=True)
    body, _ = exporter.from_notebook_node(nb)
    return with_table_of_contents(body)


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
