"""The board pack: one PDF per scenario holding its pages in order — the one-page board summary
first, then the strategy comparison, then the scenario's other pages.

The pages' bodies (:func:`simlib.report.export.notebook_body`, the same bodies as the HTML pages)
are joined into one page, each part starting on a new sheet (the page CSS's ``.pack-part``), and
that page is printed once by headless Chromium (:func:`simlib.report.pdf.print_pdf`), so the
footer's "Page n of N" counts the whole pack. Ids and in-page links are prefixed with each part's
key, so the contents of one part never jump into another. The combined page itself is not kept:
only its PDF is published, with the scenario's other files.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from simlib.report.board_words import board_text
from simlib.report.export import checked_page
from simlib.report.pdf import print_pdf
from simlib.report.publish import slug

#: The board pack's file name in each scenario's report folder.
PACK_FILE = "board_pack.pdf"

_ID = re.compile(r"""(\bid\s*=\s*["'])""", re.IGNORECASE)
_HREF = re.compile(r"""(\bhref\s*=\s*["']#)""", re.IGNORECASE)


def scoped(body: str, key: str) -> str:
    """``body`` with every ``id`` and in-page link (``href="#…"``) prefixed by ``key``: the parts of
    a pack keep their own contents links when two parts have a section of the same name."""
    prefix = slug(key) + "--"
    return _HREF.sub(lambda m: m.group(1) + prefix, _ID.sub(lambda m: m.group(1) + prefix, body))


def pack_html(title: str, parts: Sequence[tuple[str, str]]) -> str:
    """The pack as one self-contained page: ``parts`` are (page key, page body) in print order,
    each in a ``<section class="pack-part">`` that starts a new printed page."""
    if not parts:
        raise ValueError("a board pack needs at least one page")
    sections = "\n".join(f"<section class=\"pack-part\" id=\"{slug(key)}\">\n{scoped(body, key)}\n</section>"
                         for key, body in parts)
    return checked_page(title, sections)


def pack_title(scenario_label: str) -> str:
    """The pack's title (also its printed footer): "Board pack — <scenario>"."""
    return board_text("pack_title", scenario=scenario_label)


def write_board_pack(pdf_path: str | Path, title: str, parts: Sequence[tuple[str, str]], *,
                     chromium: str | None = None) -> Path:
    """Print the pack of ``parts`` (:func:`pack_html`) to ``pdf_path``; return its path. The
    combined page is written to a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="simlib-pack-") as tmp:
        html_path = Path(tmp) / "board_pack.html"
        html_path.write_text(pack_html(title, parts), encoding="utf-8")
        return print_pdf(html_path, pdf_path, chromium=chromium)
