"""The board's pages in French and Spanish, opened in a real browser, and checked for English left
on them.

One small scenario (the shipped baseline, shrunk as in tests/test_browser.py) is built once with
``language: fr`` by ``simlib report``'s pipeline (its four pages and the index); the same results are
rendered again by the pages' notebooks in English and in Spanish (a notebook takes the language as a
papermill parameter). Every French and Spanish page, and the index, is opened in Chromium through
Playwright (``executable_path``: Debian's Chromium, no browser download). The leak
check compares text: every text node (and alt, title and aria-label text) of an English page with
three words or more must be absent from the same page in French or Spanish — except the scenario
author's own words (its description, the strategies' labels and descriptions, the uncertain
assumptions' names and sources), which are in the author's language whatever the page's.
"""
from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from simlib import report
from simlib.run import result_cache
from simlib.core.language import speaking

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
PAGES = ("board_summary", "strategy_comparison", "factoring_offers", "sensitivity")


class _Texts(HTMLParser):
    """Text nodes and alt / title / aria-label texts of a page, outside <style>, each with the id
    of the <h2> section it follows."""

    def __init__(self):
        super().__init__()
        self.skip, self.section, self.out = 0, "", []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script"):
            self.skip += 1
        if tag == "h2" and attrs.get("id"):
            self.section = attrs["id"]
        for key in ("alt", "title", "aria-label"):
            if attrs.get(key):
                self.out.append((self.section, attrs[key]))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.out.append((self.section, data))


def texts(page: str) -> list[tuple[str, str]]:
    parser = _Texts()
    parser.feed(page)
    return [(section, " ".join(text.split())) for section, text in parser.out]


def words(text: str) -> list[str]:
    """The words of a text (an id such as ``letters_only`` or a number is not a word)."""
    return [w for w in (w.strip(".,:;!?()[]“”«»'\"") for w in text.split()) if len(w) >= 2 and w.isalpha()]


def sentences(page: str) -> set[str]:
    """The texts of three words or more: sentences, labels, captions."""
    return {t for _s, t in texts(page) if len(words(t)) >= 3}


def author_words(scenario: dict) -> set[str]:
    """What the scenario's author wrote, in whatever language they wrote it."""
    words = {scenario.get("description", ""), scenario.get("label") or ""}
    for s in scenario["strategies"].values():
        words |= {s.get("label") or "", s.get("description") or ""}
    for u in scenario.get("uncertain") or []:
        words |= {str(u.get("label") or ""), str(u.get("source") or "")}
    return {" ".join(w.split()) for w in words if w}


def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run installs Debian's 'chromium'")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_result_cache):
    """{(page, language): HTML} of one scenario's pages, and the scenario's data: every page in French
    (the scenario's language, built by the pipeline), and from the same results every page in English
    and the strategy comparison in Spanish (the notebooks run again with another ``language``)."""
    tmp = tmp_path_factory.mktemp("languages")
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["language"] = "fr"
    data["simulation"].update({"encounters_per_day": 3, "billing_window_days": 60, "horizon_days": 240,
                               "measurement_day": 120, "ar_window_days": 60, "replications": 3, "workers": 1})
    param = tmp / "clinique.yaml"
    param.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out = tmp / "reports"
    with pytest.MonkeyPatch.context() as mp:  # tests/test_report.py builds this scenario's runs too
        mp.setenv(result_cache.ENV, str(shared_result_cache))
        report.build_reports([param], out_dir=out, pages=PAGES, log=lambda *a: None)
    folder = out / "clinique"
    pages = {(p, "fr"): (folder / f"{p}.html").read_text(encoding="utf-8") for p in PAGES}
    for page, lang in [(p, "en") for p in PAGES] + [(p, "es") for p in PAGES]:
        notebook = ROOT / "notebooks" / f"{page}.ipynb"
        executed = report.execute_notebook(notebook, {"scenario_file": str(param), "language": lang,
                                                      "results_dir": str(folder / "results")}, cwd=notebook.parent)
        with speaking(lang):
            pages[(page, lang)] = report.notebook_to_html(executed, lang)
        (folder / f"{page}.{lang}.html").write_text(pages[(page, lang)], encoding="utf-8")
    return {"pages": pages, "scenario": data, "dir": folder}


@pytest.mark.parametrize("page, lang", [(p, lang) for lang in ("fr", "es") for p in PAGES])
def test_no_english_sentence_leaks(built, page, lang):
    english = sentences(built["pages"][(page, "en")]) - author_words(built["scenario"])
    assert len(english) > 5  # the English page says something: the check has something to find
    leaked = sorted(english & {t for _s, t in texts(built["pages"][(page, lang)])})
    assert leaked == [], f"{len(leaked)} English texts on the {lang} {page} page, e.g. {leaked[:8]}"


#: words each page kind shows in its heading or contents, per language
HEADINGS = {
    "fr": {"strategy_comparison": ("Synthèse", "Glossaire", "Limites et risques", "Stratégies comparées", "Sommaire")},
    "es": {"strategy_comparison": ("Resumen ejecutivo", "Glosario", "Limitaciones y riesgos", "Estrategias comparadas",
                                   "Contenido")},
}


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_page_in_the_browser_speaks_its_language(built, lang):
    """Every page kind (the four pages and the index), opened in Chromium: the page declares its
    language, its numbers are in the locale (a decimal comma), and the comparison's headings are in
    the language."""
    chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is a test dependency (pip install -e '.[test]')")
        pytest.skip("playwright not installed")
    folder = built["dir"]
    paths = {p: folder / (f"{p}.html" if lang == "fr" else f"{p}.{lang}.html") for p in PAGES}
    if lang == "fr":
        paths["index"] = folder.parent / "index.html"  # the French scenario's index: all in French
    seen = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9",
                                          "--proxy-bypass-list=<-loopback>"])
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 800})
            for kind, path in paths.items():
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                headings = page.eval_on_selector_all("h1, h2, nav.toc strong", "els => els.map(e => e.textContent)")
                seen[kind] = (page.evaluate("document.documentElement.lang"), headings, page.inner_text("body"))
        finally:
            browser.close()
    for kind, (declared, headings, body) in seen.items():
        assert declared == lang, (kind, declared)
        assert "US dollars" not in body, kind
        if kind != "index":  # money and shares in the locale: a decimal comma before a space and %
            assert re.search(r"\d,\d\s%", body), kind
        for word in HEADINGS[lang].get(kind, ()):
            assert any(word in h for h in headings), (kind, word, headings)
