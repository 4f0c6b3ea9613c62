"""The page shell: a complete, self-contained HTML page (print CSS, a Content-Security-Policy that
lets nothing load from outside) and :func:`external_loads`, the check that a page keeps to it."""
from __future__ import annotations

import re

from simlib.report.markup import esc


PAGE_CSS = """
:root { color-scheme: light; }
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #1a1a1a; background: #fff;
       max-width: 72rem; margin: 2rem auto; padding: 0 1.25rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: .2rem 0 .6rem; } h2 { font-size: 1.3rem; margin-top: 2rem;
     border-bottom: 1px solid #ccc; padding-bottom: .2rem; } h3 { font-size: 1.1rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #bbb; padding: .25rem .55rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; } td.num { text-align: right; white-space: nowrap; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: .3rem; }
figure { margin: 1rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; } figcaption { font-size: .88rem; color: #444; }
.summary { background: #f4f8fb; border-left: 4px solid #2b6cb0; padding: .6rem 1rem; margin: 1rem 0; }
.headline { font-size: 1.15rem; font-weight: bold; }
.note { color: #444; font-size: .9rem; } .footer { color: #555; font-size: .82rem; margin-top: 2rem; }
a.anchor-link { display: none; } .jp-OutputPrompt, .jp-InputPrompt, .prompt { display: none; }
pre { white-space: pre-wrap; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; break-after: avoid; }
               table, figure { page-break-inside: avoid; break-inside: avoid; } a { color: inherit; } }
"""


# Only inline styles and data: images may load: nothing can leave the machine from a report.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def html_page(title: str, body: str, *, extra_head: str = "") -> str:
    """A complete, self-contained HTML page around ``body`` (``title`` is escaped here)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"simlib.report\">\n"
        f"<title>{esc(title)}</title>\n<style>{PAGE_CSS}</style>\n{extra_head}</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n")


_EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data|action|background|formaction|xlink:href)\s*=\s*["']?\s*"""
    r"""(?:https?:|ftp:|//))|(?:url\(\s*["']?\s*(?:https?:|//))|(?:@import)""", re.IGNORECASE)


def external_loads(text: str) -> list[str]:
    """Every place in ``text`` that would make a browser load or link something off the machine."""
    problems = [m.group(0) for m in _EXTERNAL.finditer(text)]
    problems += [m.group(0)[:60] for m in re.finditer(r"<script\b[^>]*>", text, re.IGNORECASE)]
    return problems
