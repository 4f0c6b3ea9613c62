"""Finding one's way: a table of contents built from a page's section headings, and the bar of
links back to the index and to the other reports of the same scenario.

Both work on the exported HTML, so they see every heading whether it came from a markdown cell or
from a block's output. A block marks where the contents go with :data:`TOC_MARKER` (the title
block does); without the marker the contents go at the top of the page.
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence

from simlib.core.language import _
from simlib.report.markup import TOC_MARKER, esc
_H2 = re.compile(r"<h2(\s[^>]*)?>(.*?)</h2>", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def _text(markup: str) -> str:
    text = re.sub(r"<a\b[^>]*class=\"anchor-link\"[^>]*>.*?</a>", "", markup, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(html.unescape(text).replace("¶", "").split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def section_headings(body: str) -> tuple[str, list[tuple[str, str]]]:
    """``body`` with an id on every ``<h2>``, and the (id, text) of each in page order."""
    found: list[tuple[str, str]] = []
    used = set(_ID.findall(body))

    def fix(match: re.Match) -> str:
        attrs, inner = match.group(1) or "", match.group(2)
        text = _text(inner)
        has = _ID.search(attrs)
        if has:
            ident = html.unescape(has.group(1))
        else:
            base = ident = _slug(text)
            n = 2
            while ident in used:
                ident, n = f"{base}-{n}", n + 1
            used.add(ident)
            attrs = f"{attrs} id=\"{esc(ident)}\""
        if text:
            found.append((ident, text))
        return f"<h2{attrs}>{inner}</h2>"

    return _H2.sub(fix, body), found


def table_of_contents(headings: Sequence[tuple[str, str]]) -> str:
    if len(headings) < 3:
        return ""
    items = "".join(f"<li><a href=\"#{esc(i)}\">{esc(t)}</a></li>" for i, t in headings)
    contents = esc(_("Contents"))
    return f"<nav class=\"toc\" aria-label=\"{contents}\"><strong>{contents}</strong><ol>{items}</ol></nav>"


def with_table_of_contents(body: str) -> str:
    """Ids on every section heading and the contents at :data:`TOC_MARKER` (else at the top)."""
    body, headings = section_headings(body)
    toc = table_of_contents(headings)
    if TOC_MARKER in body:
        return body.replace(TOC_MARKER, toc, 1).replace(TOC_MARKER, "")
    return toc + body


def page_links(pages: Sequence[tuple[str, str]], current: str, index_href: str | None = "../index.html") -> str:
    """The bar of links at the top of a report: every scenario's index, then each report of this
    scenario as (file name, title), the current one in bold without a link."""
    from urllib.parse import quote

    links = []
    if index_href:
        links.append(f"<a href=\"{esc(quote(index_href))}\">{esc(_('← All reports'))}</a>")
    for file, title in pages:
        if file == current:
            links.append(f"<span class=\"here\" aria-current=\"page\">{esc(title)}</span>")
        else:
            links.append(f"<a href=\"{esc(quote(file))}\">{esc(title)}</a>")
    if not links:
        return ""
    return f"<nav class=\"pages\" aria-label=\"{esc(_('Reports'))}\">{''.join(links)}</nav>"
