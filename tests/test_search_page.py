"""The strategy search page: built by the report machinery from a search's outputs, in the
board's words, self-contained, listed in the index, kept by a later `simlib report`, and laid out
within a 1024-pixel screen."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from simlib import report
from simlib.report import search_blocks as sb
from test_search import ladder_toy, toy

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("The answer", "What it does", "What it gains", "How sure", "What it asks of patients and staff",
            "How the search worked", "Glossary", "Reproducibility")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A two-objective search of the ladder toy, from the command line, with its page."""
    tmp = tmp_path_factory.mktemp("searchpage")
    param = tmp / "ladder.yaml"
    param.write_text(yaml.safe_dump(ladder_toy(burden="contacts_per_account", finalists=3)), encoding="utf-8")
    out = tmp / "out"
    proc = subprocess.run([sys.executable, "-m", "simlib", "search", str(param), "--out", str(out),
                           "--workers", "1", "--quiet"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def page_text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r"<img[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_notebook_only_presents():
    nb = nbformat.read(str(ROOT / "notebooks" / "strategy_search.ipynb"), as_version=4)
    assert report.notebook_parameters(ROOT / "notebooks" / "strategy_search.ipynb") == {
        "scenario_file": "../parameters/baseline.yaml", "search_dir": "../reports/baseline/search", "language": ""}
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class|for|while)\b", code, re.MULTILINE)


def test_the_page_says_what_the_board_needs(built):
    out, stdout = built
    page = (out / "ladder" / "search" / "strategy_search.html").read_text(encoding="utf-8")
    assert report.external_loads(page) == []
    assert "<code" not in page.split("Reproducibility")[0]  # no code cells, only the rerun command
    text = page_text(page)
    for section in SECTIONS + ("Gain against patient burden",):
        assert section in text, section
    assert "against the status quo" in text and "Probability of correct selection" in text
    assert "Contacts per patient account" in text and "Pareto front" in text
    assert not re.search(r"\d\.\d{5,}", text), "a raw float reached the page"
    assert "candidate_" not in text and "search_finalist" not in text  # labels, never ids
    assert "found: searched" in stdout


def test_the_index_and_manifest_list_the_page(built):
    out, _ = built
    manifest = json.loads((out / "ladder" / "manifest.json").read_text(encoding="utf-8"))
    assert {"file": "search/strategy_search.html", "title": "Strategy search"} in manifest["reports"]
    assert manifest["headline"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="ladder/search/strategy_search.html"' in index


def test_the_outputs_of_two_objectives(built):
    out, _ = built
    d = out / "ladder" / "search"
    for name in ("best_strategy.yaml", "front_strategies.yaml", "pareto_front.csv", "trials.csv", "search.json",
                 "study.sqlite3", "results/provenance.json"):
        assert (d / name).is_file(), name


def test_a_later_report_keeps_the_search_page(tmp_path):
    """The pipeline republishes a scenario's folder whole; it carries ``search/`` over."""
    from simlib.report.pipeline import _keep_search_pages

    scen = tmp_path / "scen"
    (scen / "search").mkdir(parents=True)
    (scen / "search" / "strategy_search.html").write_text("page", encoding="utf-8")
    (scen / "manifest.json").write_text(json.dumps({"reports": [
        {"file": "strategy_comparison.html", "title": "x"},
        {"file": "search/strategy_search.html", "title": "Strategy search"}]}), encoding="utf-8")
    stage = tmp_path / "stage"
    stage.mkdir()
    kept = _keep_search_pages(scen, stage)
    assert kept == [{"file": "search/strategy_search.html", "title": "Strategy search"}]
    assert (stage / "search" / "strategy_search.html").read_text(encoding="utf-8") == "page"
    assert _keep_search_pages(tmp_path / "none", stage) == []


def test_blocks_in_words_for_one_objective(tmp_path):
    """The single-objective blocks from a search's outputs, without the notebook."""
    from test_search import search

    run = search(toy(n=1500, budget=8), tmp_path, workers=1)
    view = sb.load_search(str(run.directory))
    headline = sb.headline_text(run.directory)
    assert headline.startswith("“Best strategy found by the search” changes the NPV of net collections by +$")
    assert "against the status quo (95 % CI" in headline
    assert "against the best hand-written strategy, “Discount 5”" in headline
    does = sb.what_it_does(view).data
    assert "Discount" in does and "prompt-pay discount" in does
    gains = sb.what_it_gains(view).data
    assert "vs No discount" in gains and "vs Discount 5" in gains and "better" in gains
    sure = sb.how_sure(view).data
    assert "Kim–Nelson" in sure and "selected" in sure
    with pytest.raises(report.ReportError, match="run `simlib search"):
        sb.load_search(str(tmp_path / "nothing"))


@pytest.mark.browser
def test_the_page_fits_a_1024_pixel_screen_and_nothing_overlaps(built):
    from test_browser import BOXES, open_page

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed")
    from test_browser import CHROMIUM
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed")
    out, _ = built
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9",
                                          "--proxy-bypass-list=<-loopback>"])
        page = open_page(browser, out / "ladder" / "search" / "strategy_search.html")
        m = page.evaluate(BOXES)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= m["vw"], f"the page scrolls sideways: {width} > {m['vw']}"
        assert m["overlaps"] == []
        for img in m["images"]:
            assert img["w"] > 0 and img["right"] <= m["vw"]
        clipped = page.evaluate("() => [...document.querySelectorAll('.table-scroll')]"
                                ".filter(b => b.scrollWidth > b.clientWidth + 1).length")
        assert clipped == 0, "a table is wider than its box"
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            if href.startswith("file:"):
                from urllib.parse import unquote, urlparse
                assert Path(unquote(urlparse(href).path)).exists(), href
        browser.close()


# --------------------------------------------------------------------------- languages (issue 23)
@pytest.fixture(scope="module")
def in_other_languages(built, tmp_path_factory):
    """The ladder search of ``built`` published as a French clinic's would be (``language: fr``,
    ``currency: EUR``: :func:`simlib.search.page.build_page` and ``list_page``), and rendered by the
    notebook in Spanish; with the English page ``built`` wrote."""
    import shutil
    from types import SimpleNamespace

    from simlib.core.language import speaking
    from simlib.scenario.schema import scenario_from_dict
    from simlib.search.page import build_page, list_page
    from test_search import ladder_toy

    out, _ = built
    english = (out / "ladder" / "search" / "strategy_search.html").read_text(encoding="utf-8")
    tmp = tmp_path_factory.mktemp("searchfr")
    shutil.copytree(out / "ladder" / "search", tmp / "out" / "clinique" / "search")
    data = dict(ladder_toy(burden="contacts_per_account", finalists=3), language="fr", currency="EUR")
    source = tmp / "clinique.yaml"
    source.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    run = SimpleNamespace(scenario=scenario_from_dict(data, str(source)), source=str(source), seed=7,
                          directory=tmp / "out" / "clinique" / "search")
    french = build_page(run, run.directory).read_text(encoding="utf-8")
    list_page(run)
    nb = ROOT / "notebooks" / "strategy_search.ipynb"
    executed = report.execute_notebook(nb, {"search_dir": str(run.directory), "language": "es"}, cwd=nb.parent)
    with speaking("es"):
        spanish = report.notebook_to_html(executed, "Búsqueda de estrategia")
    return {"en": english, "fr": french, "es": spanish, "dir": run.directory, "data": data}


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_no_english_sentence_leaks_into_the_search_page(in_other_languages, lang):
    """The leak check of tests/test_languages_browser.py: no text of three words or more of the
    English page (the scenario author's own labels aside) is on the French or Spanish page."""
    from test_languages_browser import author_words, sentences, texts

    pages = in_other_languages
    english = sentences(pages["en"]) - author_words(pages["data"])
    assert len(english) > 50  # the Pareto front, the rungs, the glossary: the check has much to find
    leaked = sorted(english & {t for _s, t in texts(pages[lang])})
    assert leaked == [], f"{len(leaked)} English texts on the {lang} search page, e.g. {leaked[:8]}"


def test_a_french_scenario_s_search_page_speaks_french(in_other_languages):
    """Built by the search's own publishing path: lang="fr", numbers written the French way, the
    title, the index entry and the headline in French; and the Spanish page in Spanish."""
    fr, es = in_other_languages["fr"], in_other_languages["es"]
    assert '<html lang="fr">' in fr and "Recherche de stratégie : Tiny" in fr
    assert re.search(r"\+\d+,\d\u00a0k\u00a0", fr)  # money the French way (in the saved results' dollars)
    assert "Front de Pareto" in fr and "Quelle certitude" in fr
    manifest = json.loads((in_other_languages["dir"].parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["language"] == "fr" and manifest["reports"][0]["title"] == "Recherche de stratégie"
    assert manifest["headline"].startswith("Avec « Meilleure stratégie trouvée par la recherche », l'indicateur")
    assert '<html lang="es">' in es and "La respuesta" in es and "Frontera de Pareto" in es
