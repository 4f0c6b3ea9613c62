"""The manifest of each scenario's reports and ``index.html``, built from every manifest found."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

from simlib.core.language import DEFAULT_LANGUAGE, _, speaking
from simlib.report.board_words import board_text
from simlib.report.markup import _format_date, esc, html_words
from simlib.report.page import html_page
from simlib.report.publish import atomic_write_text


MANIFEST = "manifest.json"


def write_manifest(scenario_dir: Path, data: Mapping[str, Any]) -> Path:
    return atomic_write_text(scenario_dir / MANIFEST, json.dumps(dict(data), indent=2, sort_keys=True))


def read_manifests(out_dir: str | Path) -> list[dict[str, Any]]:
    """Manifests of every scenario report under ``out_dir``, sorted by scenario name."""
    found = []
    for path in sorted(Path(out_dir).glob(f"*/{MANIFEST}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        data["directory"] = path.parent.name
        found.append(data)
    # scenarios first, then the calibration reports (``"kind": "calibration"``)
    return sorted(found, key=lambda d: (d.get("kind") == "calibration", str(d.get("scenario_name", "")).lower(),
                                        d["directory"]))


def index_language(manifests: Sequence[Mapping[str, Any]]) -> str:
    """The index's own language: the one its scenarios share, English when they differ (each
    scenario's section then declares its own, ``lang``)."""
    languages = {m.get("language") or DEFAULT_LANGUAGE for m in manifests}
    return languages.pop() if len(languages) == 1 else DEFAULT_LANGUAGE


def _scenario_section(m: Mapping[str, Any], page_language: str) -> list[str]:
    """One scenario's section, in the scenario's language (its headline and titles are already)."""
    from urllib.parse import quote

    language = m.get("language") or DEFAULT_LANGUAGE
    name = m.get("scenario_label") or m.get("scenario_name") or m["directory"]
    own = f" lang=\"{esc(language)}\"" if language != page_language else ""
    parts = [f"<section class=\"scenario\"{own}>", f"<h2>{esc(name)}</h2>"]
    if m.get("description"):
        parts.append(f"<p class=\"note\">{esc(m['description'])}</p>")
    if m.get("headline"):
        parts.append(f"<p class=\"headline\">{esc(m['headline'])}</p>")
    meta = []
    if m.get("created"):
        meta.append(esc(_("built {date}").format(date=_format_date(m["created"]))))
    if m.get("replications"):
        meta.append(esc(_("{n} replications").format(n=m["replications"])))
    if m.get("parameter_file"):  # the file name only: no machine path on a board's page
        meta.append(esc(_("parameters: {file}").format(file=PurePath(str(m["parameter_file"])).name)))
    if m.get("data_file"):  # a calibration report's history, by name only
        meta.append(esc(_("payment history: {file}").format(file=PurePath(str(m["data_file"])).name)))
    if meta:
        parts.append(f"<p class=\"note\">{' · '.join(meta)}</p>")
    parts.append("<ul>")
    if m.get("board_pack"):  # the whole scenario in one printable file, first
        href = quote(f"{m['directory']}/{m['board_pack']}")
        parts.append(f"<li><a href=\"{esc(href)}\">{esc(board_text('pack_link'))}</a>: "
                     f"{esc(board_text('pack_what'))}</li>")
    for rep in m.get("reports", []):
        href = quote(f"{m['directory']}/{rep['file']}")
        pdf = ""
        if rep.get("pdf"):
            pdf = f" (<a href=\"{esc(quote(m['directory'] + '/' + rep['pdf']))}\">PDF</a>)"
        parts.append(f"<li><a href=\"{esc(href)}\">{esc(rep.get('title', rep['file']))}</a>{pdf}</li>")
    parts.append("</ul></section>")
    return parts


def index_html(manifests: Sequence[Mapping[str, Any]], title: str | None = None) -> str:
    """The ``index.html`` page: one section per scenario, its headline, date and report links, each
    in its scenario's language (the manifest's ``language``; the page's own words in the language
    the scenarios share, English when they differ)."""
    page_language = index_language(manifests)
    with speaking(page_language):
        title = title or _("Collection strategy reports")
        parts = [f"<h1>{esc(title)}</h1>",
                 "<p class=\"note\">" + html_words(_(
                     "Monte Carlo simulation of hospital bill-collection strategies. Each scenario links its "
                     "reports; the headline is the recommendation of the strategy comparison.")) + "</p>"]
        if any(m.get("kind") == "calibration" for m in manifests):
            parts.append("<p class=\"note\">" + html_words(_(
                "Calibration sections say how well the payment model fits a payment history and predicts "
                "invoices the fit did not see.")) + "</p>")
        if not manifests:
            parts.append("<p>" + html_words(_("No reports have been built yet.")) + "</p>")
    for m in manifests:
        with speaking(m.get("language") or DEFAULT_LANGUAGE):
            parts.extend(_scenario_section(m, page_language))
    with speaking(page_language):
        return html_page(title, "\n".join(parts))


def write_index(out_dir: str | Path) -> Path:
    """(Re)write ``<out_dir>/index.html`` from every scenario manifest found there."""
    out_dir = Path(out_dir)
    return atomic_write_text(out_dir / "index.html", index_html(read_manifests(out_dir)))
