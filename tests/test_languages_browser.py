"""The strategy comparison page in French and Spanish, opened in a real browser, and checked for
English left on it.

One small scenario (the shipped baseline, shrunk as in tests/test_browser.py) is built once with
``language: fr`` by ``simlib report``'s pipeline; the same results are rendered again by the page's
notebook in Spanish and in English (the notebook takes the language as a papermill parameter). The
French and Spanish pages are opened in Chromium through Playwright (``executable_path``: Debian's
Chromium, no browser download). The leak check compares text: every text node (and alt, title and
aria-label text) of the English page with three words or more must be absent from the French and
the Spanish pages — except the scenario author's own words (its description, the strategies'
labels and descriptions, the uncertain assumptions' names and sources), which are in the author's
language whatever the page's.
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
from simlib.core.language import speaking

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
NOTEBOOK = ROOT / "notebooks" / "strategy_comparison.ipynb"


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


def sentences(page: str, skip_sections=()) -> set[str]:
    """The texts of three words or more (sentences, labels, captions), outside ``skip_sections``."""
    return {t for s, t in texts(page) if s not in skip_sections and len(re.findall(r"[A-Za-z]{2,}", t)) >= 3}


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
def built(tmp_path_factory):
    """{language: page HTML} of one scenario's strategy comparison, and the scenario's data."""
    tmp = tmp_path_factory.mktemp("languages")
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["language"] = "fr"
    data["simulation"].update({"encounters_per_day": 3, "billing_window_days": 60, "horizon_days": 240,
                               "measurement_day": 120, "ar_window_days": 60, "replications": 3, "workers": 1})
    param = tmp / "clinique.yaml"
    param.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out = tmp / "reports"
    report.build_reports([param], out_dir=out, pages=["strategy_comparison"], log=lambda *a: None)
    pages = {"fr": (out / "clinique" / "strategy_comparison.html").read_text(encoding="utf-8")}
    for lang in ("es", "en"):  # the same results, the notebook in another language
        executed = report.execute_notebook(NOTEBOOK, {"scenario_file": str(param), "language": lang,
                                                      "results_dir": str(out / "clinique" / "results")},
                                           cwd=NOTEBOOK.parent)
        with speaking(lang):
            pages[lang] = report.notebook_to_html(executed, lang)
        (out / "clinique" / f"strategy_comparison.{lang}.html").write_text(pages[lang], encoding="utf-8")
    return {"pages": pages, "scenario": data, "dir": out / "clinique"}


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_no_english_sentence_leaks(built, lang):
    english = sentences(built["pages"]["en"]) - author_words(built["scenario"])
    assert len(english) > 50  # the English page says a lot: the check has something to find
    leaked = sorted(english & {t for _s, t in texts(built["pages"][lang])})
    assert leaked == [], f"{len(leaked)} English texts on the {lang} page, e.g. {leaked[:8]}"


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_page_in_the_browser_speaks_its_language(built, lang):
    chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is a test dependency (pip install -e '.[test]')")
        pytest.skip("playwright not installed")
    path = built["dir"] / ("strategy_comparison.html" if lang == "fr" else f"strategy_comparison.{lang}.html")
    expected = {"fr": ("Synthèse", "Glossaire", "Limites et risques", "Stratégies comparées", "Sommaire"),
                "es": ("Resumen ejecutivo", "Glosario", "Limitaciones y riesgos", "Estrategias comparadas",
                       "Contenido")}[lang]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9",
                                          "--proxy-bypass-list=<-loopback>"])
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 800})
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.lang") == lang
            headings = page.eval_on_selector_all("h1, h2, nav.toc strong", "els => els.map(e => e.textContent)")
            body = page.inner_text("body")
        finally:
            browser.close()
    for word in expected:
        assert any(word in h for h in headings), (word, headings)
    # money and shares in the locale: a decimal comma before a space and %, never "US dollars"
    assert re.search(r"\d,\d\s%", body) and "US dollars" not in body
