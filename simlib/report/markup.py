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


def html_words(template: str, **values: Any) -> str:
    """A sentence of the catalogue as HTML text: the (translated) template with ``&``, ``<`` and
    ``>`` escaped, each ``{name}`` filled with its value escaped by :func:`esc`. Apostrophes of the
    sentence stay as written, so an English page reads byte for byte as before it had a catalogue.
    A value that is itself a sentence of the catalogue (:class:`Sentence`) is escaped like the
    template; one that is markup already (:class:`Markup`, a tag around some words) goes in as it is."""
    def filled(value: Any) -> str:
        if isinstance(value, Markup):
            return str(value)
        return html.escape(value, quote=False) if isinstance(value, Sentence) else esc(value)

    return html.escape(template, quote=False).format(**{k: filled(v) for k, v in values.items()})


class Markup(str):
    """Markup built by the package (a tag's start or end) put inside a sentence (:func:`html_words`)."""


class Sentence(str):
    """A piece of sentence from the catalogue put inside another (:func:`html_words`)."""


# JupyterLab typesets HTML output with MathJax, which reads any two "$" as the ends of a formula
# ("gains $53.8k ... costs $12k" became italic math); MathJax skips elements of this class.
NO_MATH_CLASS = "mathjax_ignore tex2jax_ignore"
# The page's stylesheet scrolls wide tables in their box; JupyterLab has no such stylesheet, so the
# box carries the rule itself (the print stylesheet lets it overflow again, ``!important``).
SCROLL_BOX = '<div class="table-scroll">'
SCROLL_BOX_INLINE = '<div class="table-scroll" style="overflow-x: auto">'


def _html(markup: str):
    """A block's markup as ``IPython.display.HTML``, wrapped in an element MathJax leaves alone
    and with its wide tables in boxes that scroll in JupyterLab as in the board page."""
    from IPython.display import HTML

    if not markup.strip():
        return HTML(markup)
    markup = markup.replace(SCROLL_BOX, SCROLL_BOX_INLINE)
    return HTML(f'<div class="simlib-block {NO_MATH_CLASS}">{markup}</div>')


def _format_date(iso: str) -> str:
    try:
        return _dt.datetime.fromisoformat(str(iso)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)
