"""Board reports: run the Monte Carlo once per scenario, execute the notebooks, export code-free HTML.

The package in layers, each importing only from the layers below it (a test checks this and
that no module imports another in a loop):

* **pipeline** — :mod:`~simlib.report.pipeline` (:func:`build_reports`: validate, run once,
  execute every notebook, export, publish, index), :mod:`~simlib.report.notebooks` (papermill
  execution and the ``parameters`` cell check), :mod:`~simlib.report.export` (nbconvert to HTML),
  :mod:`~simlib.report.publish` (atomic writes), :mod:`~simlib.report.index_page` (manifests and
  ``index.html``), :mod:`~simlib.report.pdf` (printing a page to PDF with headless Chromium);
* **page shell** — :mod:`~simlib.report.page` (the HTML page, its CSS and Content-Security-Policy,
  the external-load check), :mod:`~simlib.report.navigation` (table of contents, links between pages);
* **building blocks** the notebooks call — :mod:`~simlib.report.summary` (recommendation, title,
  executive summary), :mod:`~simlib.report.board_summary` (the board pack's one-page summary, its
  words in :mod:`~simlib.report.board_words`), :mod:`~simlib.report.tables`, :mod:`~simlib.report.figures`,
  :mod:`~simlib.report.factoring_blocks`, :mod:`~simlib.report.sensitivity_blocks`,
  :mod:`~simlib.report.assumption_tables` (the appendix in plain words),
  :mod:`~simlib.report.uncertainty_blocks` (the uncertain assumptions and where the spread comes from),
  :mod:`~simlib.report.reproducibility`, :mod:`~simlib.report.explanations` ("how to read it"),
  :mod:`~simlib.report.limitations` (limitations and risks of the levers in use),
  :mod:`~simlib.report.plausibility_blocks` (results beyond what hospitals have reported),
  :mod:`~simlib.report.glossary`, :mod:`~simlib.report.strategy_words` (every lever in words), on
  top of :mod:`~simlib.report.results` (loading results, strategy order, the recommendation);
* **words and markup** — :mod:`~simlib.report.labels` (display labels), :mod:`~simlib.analysis.numbers`
  (numbers and verdicts as displayed), :mod:`~simlib.report.metric_words`,
  :mod:`~simlib.report.param_words`, :mod:`~simlib.report.markup`, :mod:`~simlib.report.errors`.

Everything is re-exported here, so notebooks and callers keep writing
``from simlib import report; report.executive_summary(res)``.
"""
from __future__ import annotations

from simlib.report.assumption_tables import assumptions
from simlib.report.board_summary import answer_sentence, board_bullets, board_summary
from simlib.report.errors import ReportError
from simlib.report.explanations import cash_curve_explanation, factoring_explanation, finance_levers_explanation
from simlib.report.export import JUPYTERLAB_ONLY, notebook_to_html
from simlib.report.factoring_blocks import (
    FACTORING_PREFIX,
    factoring_charts,
    factoring_metrics,
    factoring_section,
    factoring_strategies,
)
from simlib.report.figures import cash_and_ar_charts, difference_chart, figure_block, styles
from simlib.report.glossary import glossary
from simlib.report.index_page import MANIFEST, index_html, read_manifests, write_index, write_manifest
from simlib.report.labels import humanise_id, scenario_label, strategy_labels
from simlib.report.limitations import limitations_section
from simlib.report.markup import esc
from simlib.report.metric_words import pd_notna
from simlib.report.navigation import page_links, with_table_of_contents
from simlib.report.notebooks import KERNEL_NAME, check_parameters, execute_notebook, notebook_parameters
from simlib.report.page import CSP, PAGE_CSS, external_loads, html_page
from simlib.report.pdf import find_chromium, print_pdf
from simlib.report.pages import DEFAULT_PAGES, NOTEBOOK_DIR, PAGES, REPO_ROOT
from simlib.report.pipeline import build_reports
from simlib.report.publish import atomic_write_text, slug
from simlib.report.plausibility_blocks import plausibility_section
from simlib.report.reproducibility import reproducibility_footer
from simlib.report.derived import load_results
from simlib.report.sensitivity_blocks import flip_sentence, sensitivity_section, tornado_block
from simlib.report.strategy_words import strategy_summary
from simlib.report.summary import (
    executive_summary,
    headline,
    recommendation,
    recommendation_sentence,
    title_block,
)
from simlib.report.tables import DIFFERENCE_METRICS, difference_table, kpi_tables, metric_table, strategies_table
from simlib.report.uncertainty_blocks import uncertain_assumptions_section

__all__ = [
    "CSP", "DEFAULT_PAGES", "DIFFERENCE_METRICS", "FACTORING_PREFIX", "JUPYTERLAB_ONLY", "KERNEL_NAME",
    "MANIFEST", "NOTEBOOK_DIR", "PAGES", "PAGE_CSS", "REPO_ROOT", "ReportError", "assumptions",
    "answer_sentence", "atomic_write_text", "board_bullets", "board_summary", "build_reports",
    "cash_and_ar_charts", "cash_curve_explanation", "check_parameters",
    "difference_chart", "difference_table", "esc", "executive_summary", "flip_sentence", "execute_notebook", "external_loads",
    "factoring_charts", "factoring_explanation", "factoring_metrics", "factoring_section",
    "factoring_strategies", "figure_block", "finance_levers_explanation", "find_chromium", "glossary",
    "headline", "html_page", "humanise_id", "index_html", "kpi_tables", "limitations_section",
    "load_results", "metric_table", "notebook_parameters", "notebook_to_html", "page_links", "pd_notna",
    "plausibility_section", "print_pdf", "read_manifests", "recommendation", "recommendation_sentence",
    "reproducibility_footer", "scenario_label", "sensitivity_section", "slug", "strategies_table",
    "strategy_labels", "strategy_summary", "styles", "title_block", "tornado_block",
    "uncertain_assumptions_section", "with_table_of_contents", "write_index", "write_manifest",
]
