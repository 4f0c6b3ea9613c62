"""Issue 23: the laws, glossary and limitations on a French or Spanish page are the jurisdiction's,
in the page's language — no US law on a French or Chilean page, and no English sentence left.

Each jurisdiction's board words (``simlib/scenario/jurisdictions/*.yaml``: ``board.risks`` and
``board.glossary``) are read in the language of its shipped scenario and compared with English;
then the "Limitations and risks" section and the glossary of the shipped French and Chilean clinics
are rendered as their pages render them.
"""
from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from simlib.core.language import _, speaking
from simlib.scenario.jurisdiction import jurisdiction
from simlib.scenario.schema import load_scenario

ROOT = Path(__file__).resolve().parent.parent
#: laws of the United States a French or Chilean page must not name
US_LAW = re.compile(r"EMTALA|Regulation F|TCPA|501\(r\)|FDCPA|Anti-Kickback|Medicare|Medicaid|IRS\b|CFPB")
CASES = [("FR", "fr", "france_clinic.yaml"), ("CL", "es", "chile_clinic.yaml")]


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 2]


def _texts(html: str) -> list[str]:
    """The text between tags, whitespace collapsed."""
    return [" ".join(t.split()) for t in re.split(r"<[^>]+>", html) if t.strip()]


@pytest.mark.parametrize("code, lang, _file", CASES)
def test_jurisdiction_board_words_are_in_the_language(code, lang, _file):
    board = jurisdiction(code).board
    names = [r.topic for r in board.risks] + [g.term for g in board.glossary]  # may be the law's own name
    texts = [r.text for r in board.risks] + [g.text for g in board.glossary]
    assert texts, f"{code} has no board words to check"
    for english in (t for t in names + texts if t):
        assert not US_LAW.search(english), f"{code}'s board names a US law: {english}"
    for english in (t for t in texts if t and len(_words(t)) >= 3):
        with speaking(lang):
            assert _(english) != english, f"{code} board words left in English on a {lang} page: {english}"


@pytest.mark.parametrize("code, lang, file", CASES)
def test_limitations_and_glossary_of_the_shipped_clinic(code, lang, file):
    from simlib.report.glossary import glossary
    from simlib.report.limitations import limitations_section

    scenario = load_scenario(ROOT / "parameters" / file)
    assert (scenario.jurisdiction, scenario.language) == (code, lang)
    res = types.SimpleNamespace(scenario=scenario, baseline=next(iter(scenario.strategies)))
    render = lambda: limitations_section(res).data + glossary(res).data  # noqa: E731
    with speaking("en", scenario.currency):
        english = {t for t in _texts(render()) if len(_words(t)) >= 3}
    with speaking(lang, scenario.currency):
        local = render()
    labels = {(s.label or "") for s in scenario.strategies.values()}  # the author's words
    board = jurisdiction(code).board
    labels |= {r.topic for r in board.risks} | {g.term for g in board.glossary}  # the law's own names
    assert len(english) > 10  # the section says something: the check has something to find
    leaked = sorted(t for t in english & set(_texts(local)) if t.strip("“”()") not in labels)
    assert leaked == [], f"English on the {lang} page: {leaked[:5]}"
    assert not US_LAW.search(local), US_LAW.search(local)
