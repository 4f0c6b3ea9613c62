"""The manifest of each scenario's reports and ``index.html``, built from every manifest found."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

from simlib.report.board_words import board_text
from simlib.report.markup import _format_date, esc
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


def index_html(manifests: Sequence[Mapping[str, Any]], title: str = "Collection strategy reports") -> str:
    """The ``index.html`` page: one section per scenario, its headline, date and report links."""
    from urllib.parse import quote

    parts = [f"<h1>{esc(title)}</h1>",
             "<p class=\"note\">Monte Carlo simulation of hospital bill-collection strategies. "
             "Each scenario links its reports; the headline is the recommendation of the "
             "strategy comparison.</p>"]
    if any(m.get("kind") == "calibration" for m in manifests):
        parts.append("<p class=\"note\">Calibration sections say how well the payment model fits a payment "
                     "history and predicts invoices the fit did not see.</p>")
    if not manifests:
        parts.append("<p>No reports have been built yet.</p>")
    for m in manifests:
        name = m.get("scenario_label") or m.get("scenario_name") or m["directory"]
        parts.append("<section class=\"scenario\">")
        parts.append(f"<h2>{esc(name)}</h2>")
        if m.get("description"):
            parts.append(f"<p class=\"note\">{esc(m['description'])}</p>")
        if m.get("headline"):
            parts.append(f"<p class=\"headline\">{esc(m['headline'])}</p>")
        meta = []
        if m.get("created"):
            meta.append(f"built {esc(_format_date(m['created']))}")
        if m.get("replications"):
            meta.append(f"{esc(m['replications'])} replications")
        if m.get("parameter_file"):  # the file name only: no machine path on a board's page
            meta.append(f"parameters: {esc(PurePath(str(m['parameter_file'])).name)}")
        if m.get("data_file"):  # a calibration report's history, by name only
            meta.append(f"payment history: {esc(PurePath(str(m['data_file'])).name)}")
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
    return html_page(title, "\n".join(parts))


def write_index(out_dir: str | Path) -> Path:
    """(Re)write ``<out_dir>/index.html`` from every scenario manifest found there."""
    out_dir = Path(out_dir)
    return atomic_write_text(out_dir / "index.html", index_html(read_manifests(out_dir)))
