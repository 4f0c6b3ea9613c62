"""Issue 23: the index of all reports lists each scenario in its own language. The index's own
words are in the language its scenarios share (English when they differ); a scenario's section
declares its language (``lang``) when it is not the page's, and its words (built, replications,
parameters, the board pack's link) are in that language. English manifests give the page as it
always was."""
from __future__ import annotations

import re

from simlib.report.index_page import index_html

US = {"directory": "baseline", "scenario_name": "Baseline", "headline": "Adopt “Deposit”: +$53.8k.",
      "created": "2026-12-07T05:00:00+00:00", "replications": 20, "parameter_file": "baseline.yaml",
      "board_pack": "board_pack.pdf", "reports": [{"file": "board_summary.html", "title": "Board summary"}]}
FR = {"directory": "france_clinic", "scenario_name": "Clinique", "language": "fr",
      "headline": "Adoptez « Relance » : +12,3 k€.", "created": "2026-12-07T05:00:00+00:00", "replications": 4,
      "parameter_file": "france_clinic.yaml", "board_pack": "board_pack.pdf",
      "reports": [{"file": "board_summary.html", "title": "Synthèse pour le conseil"}]}


def _section(html: str, name: str) -> str:
    return re.search(rf"<section[^>]*>\s*<h2>{name}</h2>.*?</section>", html, re.S).group(0)


def test_english_index_reads_as_before():
    html = index_html([US])
    assert '<html lang="en">' in html and "<section class=\"scenario\">" in html
    assert "<h1>Collection strategy reports</h1>" in html
    assert "built 2026-12-07 05:00 · 20 replications · parameters: baseline.yaml" in html
    assert "Board pack (PDF)" in html


def test_a_french_scenario_is_listed_in_french_beside_an_english_one():
    html = index_html([US, FR])
    assert '<html lang="en">' in html  # the scenarios differ: the page's own words in English
    fr = _section(html, "Clinique")
    assert fr.startswith('<section class="scenario" lang="fr">')
    assert "produit le 2026-12-07 05:00 · 4 simulations · paramètres : france_clinic.yaml" in fr
    assert "Dossier du conseil (PDF)" in fr
    assert "Board pack (PDF)" not in fr and "replications" not in fr
    assert "built 2026-12-07" in _section(html, "Baseline")


def test_an_index_of_french_scenarios_is_french():
    html = index_html([FR])
    assert '<html lang="fr">' in html and 'lang="fr">' not in html.split("<section", 1)[1].split(">", 1)[0]
    assert "<h1>Rapports sur les stratégies de recouvrement</h1>" in html
    assert "Monte Carlo simulation" not in html
