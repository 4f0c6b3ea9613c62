"""HTML text primitives every block and page uses: escaping, the ``IPython.display.HTML`` wrapper
the notebooks display, and dates as a board reads them.

Every block returns an ``IPython.display.HTML`` (its ``.data`` is the markup), built from escaped
strings only.
"""
from __future__ import annotations

import datetime as _dt
import html
from typing import Any


# Where a page's table of contents goes: the title block emits it, the export replaces it.
TOC_MARKER = "<!--simlib:toc-->"


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included) for text and attribute positions."""
    return html.escape(str(value), quote=True)


def _html(markup: str):
    from IPython.display import HTML

    return HTML(markup)


def _format_date(iso: str) -> str:
    try:
        return _dt.datetime.fromisoformat(str(iso)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)
