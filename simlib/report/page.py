"""The page shell: a complete, self-contained HTML page (print CSS, a Content-Security-Policy that
lets nothing load from outside) and :func:`external_loads`, the check that a page keeps to it."""
from __future__ import annotations

import re

from simlib.report.markup import esc


PAGE_CSS = """
:root { color-scheme: light; }
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #1a1a1a; background: #fff;
       max-width: 72rem; margin: 1.5rem auto; padding: 0 1.25rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: .2rem 0 .6rem; } h2 { font-size: 1.3rem; margin-top: 2rem;
     border-bottom: 1px solid #ccc; padding-bottom: .2rem; } h3 { font-size: 1.1rem; }
img { max-width: 100%; height: auto; }
.table-scroll { max-width: 100%; overflow-x: auto; margin: .6rem 0 1rem; }
table { border-collapse: collapse; margin: 0; font-size: .92rem; }
th, td { border: 1px solid #bbb; padding: .25rem .55rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; } th .note, th .tag { font-weight: normal; } td.num { text-align: right; white-space: nowrap; }
thead th { vertical-align: bottom; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: .3rem; }
table.kpi th[scope="col"] { min-width: 6.5rem; max-width: 11rem; }
table.kpi th[scope="row"] { min-width: 9rem; max-width: 16rem; }
.ci { color: #555; font-size: .82rem; }
.tag { display: inline-block; font-size: .72rem; font-weight: normal; border: 1px solid #777; border-radius: .6rem;
       padding: 0 .35rem; margin-left: .15rem; color: #333; background: #fff; white-space: nowrap; }
.tag.rec { border-color: #7a5500; background: #ffe7a3; }
tr.recommended > th, tr.recommended > td { background: #fff6d8; }
tr.recommended > th { border-left: 4px solid #e69f00; }
td.best, .best-key { font-weight: bold; background: #dcebf7 !important; }
td.better .ci:last-child { color: #005a8c; font-weight: bold; } td.worse .ci:last-child { color: #a33d00; font-weight: bold; }
figure { margin: 1rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { display: block; } figcaption { font-size: .88rem; color: #444; margin-top: .3rem; }
.summary { background: #f4f8fb; border-left: 4px solid #2b6cb0; padding: .6rem 1rem; margin: 1rem 0; }
.explain { background: #f7f7f7; border-left: 4px solid #999; padding: .4rem 1rem; margin: .8rem 0; }
.explain h3 { margin: .3rem 0; font-size: 1rem; }
.headline { font-size: 1.15rem; font-weight: bold; }
.note { color: #444; font-size: .9rem; } .footer { color: #555; font-size: .82rem; margin-top: 2rem; }
nav.pages { font-size: .9rem; border-bottom: 1px solid #ddd; padding-bottom: .4rem; margin-bottom: .8rem; }
nav.pages a, nav.pages span { margin-right: 1rem; } nav.pages .here { font-weight: bold; }
nav.toc { font-size: .92rem; border: 1px solid #ddd; padding: .3rem 1rem; margin: .8rem 0; display: inline-block; }
nav.toc ol { margin: .2rem 0; padding-left: 1.3rem; } nav.toc h2 { border: 0; font-size: 1rem; margin: .3rem 0; }
dl.glossary dt { font-weight: bold; margin-top: .4rem; } dl.glossary dd { margin-left: 1.2rem; }
a.anchor-link { display: none; } .jp-OutputPrompt, .jp-InputPrompt, .prompt { display: none; }
pre { white-space: pre-wrap; }
.board .answer { font-size: 1.3rem; } .board-points li { margin: .4rem 0; }
.pack-part + .pack-part { break-before: page; page-break-before: always; }
@page { size: A4; margin: 14mm 12mm 14mm 12mm; }
@media print {
  html { font-size: 10pt; } body { margin: 0; max-width: none; padding: 0; }
  nav.pages { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  .table-scroll { overflow: visible !important; }
  table { font-size: 8.5pt; width: 100%; } th, td { padding: .15rem .3rem; } .ci { font-size: 7.5pt; }
  table.kpi th[scope="col"] { min-width: 0; } table.kpi th[scope="row"] { min-width: 0; }
  thead { display: table-header-group; } tr, figure, .explain, li { page-break-inside: avoid; break-inside: avoid; }
  nav.toc { display: block; border: 0; padding: 0; } nav.toc ol { columns: 2; }
  dl.glossary { columns: 2; column-gap: 2rem; } dl.glossary dt { break-after: avoid; } dl.glossary dd { break-before: avoid; }
  caption { page-break-after: avoid; break-after: avoid; }
  figure img { max-height: 100mm; width: auto; } .board figure img { max-height: 95mm; }
  .settings { columns: 2; column-gap: 1.2rem; } .settings .table-scroll { break-inside: avoid; margin-top: 0; }
  a { color: inherit; text-decoration: none; }
  tr.recommended > th, tr.recommended > td, td.best, .best-key, .tag.rec, .summary, .explain, th {
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


# Only inline styles and data: images may load: nothing can leave the machine from a report.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


#: The printed footer's disclaimer (every page of the PDF, beside the title, the date and the page number).
NOT_A_FORECAST = "simulation, not a forecast"


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot end the string or the <style> element."""
    out = str(text).replace("\\", "\\5C ").replace('"', "\\22 ").replace("<", "\\3C ").replace(">", "\\3E ")
    return '"' + " ".join(out.split()) + '"'


def print_footer_css(title: str, date: str | None = None) -> str:
    """Page margin boxes for print and PDF: ``title — date — simulation, not a forecast`` at the
    bottom left, ``Page n of N`` at the bottom right (Chromium 131+ prints CSS margin boxes)."""
    import datetime as _dt

    date = date or _dt.date.today().isoformat()
    box = "font: 7.5pt system-ui, sans-serif; color: #555;"
    return (f"@page {{ @bottom-left {{ content: {_css_string(f'{title} — {date} — {NOT_A_FORECAST}')}; {box} }}"
            f" @bottom-right {{ content: \"Page \" counter(page) \" of \" counter(pages); {box} }} }}")


def html_page(title: str, body: str, *, extra_head: str = "") -> str:
    """A complete, self-contained HTML page around ``body`` (``title`` is escaped here), whose
    printed pages carry a footer (:func:`print_footer_css`)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"simlib.report\">\n"
        f"<title>{esc(title)}</title>\n<style>{PAGE_CSS}{print_footer_css(title)}</style>\n{extra_head}</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n")


_EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data|action|background|formaction|xlink:href)\s*=\s*["']?\s*"""
    r"""(?:https?:|ftp:|//))|(?:url\(\s*["']?\s*(?:https?:|//))|(?:@import)""", re.IGNORECASE)


def external_loads(text: str) -> list[str]:
    """Every place in ``text`` that would make a browser load or link something off the machine."""
    problems = [m.group(0) for m in _EXTERNAL.finditer(text)]
    problems += [m.group(0)[:60] for m in re.finditer(r"<script\b[^>]*>", text, re.IGNORECASE)]
    return problems
