"""The registry of report pages: each page's key, its notebook, its title and the derived tables it
reads from the result folder.

The pipeline (:mod:`simlib.report.pipeline`) knows pages only through this registry: it computes
the union of the tables the pages it builds need (:mod:`simlib.report.derived`) into the result
folder, then executes each page's notebook, which only loads and presents. A page the registry
does not list (a notebook of one's own, ``build_reports(pages=["mine"])``) is ``mine.ipynb`` in the
notebook folder, titled from its name, needing only the main tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"

#: Derived tables a page may need (computed by :mod:`simlib.report.derived`; the decision is always
#: saved with the results): the lever contributions, the sensitivity sweep with its flip points, and
#: the actions of the collection policies (:mod:`simlib.report.policy_data`).
CONTRIBUTIONS, SENSITIVITY, POLICY_ACTIONS = "contributions", "sensitivity", "policy_actions"


@dataclass(frozen=True)
class Page:
    """One report page: ``key`` (also its HTML file's stem), ``notebook`` (file name in the
    notebook folder), ``title`` and the derived ``tables`` it reads."""

    key: str
    notebook: str
    title: str
    tables: tuple[str, ...] = ()

    @property
    def html(self) -> str:
        return f"{self.key}.html"

    def path(self, notebook_dir: str | Path | None = None) -> Path:
        """The notebook's file (in ``notebook_dir``, default the repository's ``notebooks/``)."""
        return (Path(notebook_dir).resolve() if notebook_dir is not None else NOTEBOOK_DIR) / self.notebook


PAGES: dict[str, Page] = {p.key: p for p in (
    Page("board_summary", "board_summary.ipynb", "Board summary"),
    Page("strategy_comparison", "strategy_comparison.ipynb", "Collection strategy comparison",
         (CONTRIBUTIONS, SENSITIVITY, POLICY_ACTIONS)),
    Page("factoring_offers", "factoring_offers.ipynb", "Factoring offers"),
    Page("sensitivity", "sensitivity.ipynb", "Sensitivity of the recommendation", (SENSITIVITY,)),
    Page("strategy_search", "strategy_search.ipynb", "Strategy search"),
    Page("calibration", "calibration.ipynb", "Calibration report"),
)}

#: The pages ``simlib report`` builds for every scenario, in the order of the navigation bar and of
#: the board pack (:mod:`simlib.report.board_pack`): the one-page summary first, then the comparison.
DEFAULT_PAGES: tuple[str, ...] = ("board_summary", "strategy_comparison", "factoring_offers", "sensitivity")


def page(key: str) -> Page:
    """The registered page ``key`` (a trailing ``.ipynb`` is ignored), or a page of one's own."""
    key = key.removesuffix(".ipynb")
    return PAGES.get(key) or Page(key, f"{key}.ipynb", key.replace("_", " ").capitalize())


def tables_needed(keys) -> tuple[str, ...]:
    """The derived tables the pages ``keys`` need, each once, in registry order."""
    return tuple(dict.fromkeys(t for k in keys for t in page(k).tables))
