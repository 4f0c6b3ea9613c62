"""The calibration page in a real browser (the helpers of test_browser.py): it fits a 1024-pixel screen
with no table cut off, no element overlaps another, its images load, and its links resolve."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.synthetic import synthetic_history
from simlib.cli import main
from test_browser import BOXES, browser, open_page  # noqa: F401  (browser is a fixture)

pytestmark = pytest.mark.browser

TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     due_date_jump_per_day=0.5, dispute_intensity_factor=0.3, paper_intensity_factor=0.5,
                     balance_elasticity=0.4, balance_ref=60.0)
PAGES = ["index.html", "calibration-history/calibration.html"]

TABLES = """() => ({
  vw: document.documentElement.clientWidth, pageWidth: document.documentElement.scrollWidth,
  clipped: [...document.querySelectorAll('.table-scroll')].filter(b => b.scrollWidth > b.clientWidth + 1)
             .map(b => (b.querySelector('caption') || {}).textContent || ''),
  tables: document.querySelectorAll('table.calibration').length,
})"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calbrowser")
    history = tmp / "history.csv"
    synthetic_history(TRUE, 1000, seed=31, window_days=300, extraction_day=300).to_csv(history, index=False)
    other = tmp / "other.csv"
    synthetic_history(TRUE, 400, seed=32, window_days=300).to_csv(other, index=False)
    out = tmp / "reports"
    assert main(["calibrate", "report", str(history), "--check", str(other), "--cross-validate", "--splits", "3",
                 "--replications", "3", "--bootstrap", "50", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("width", [1024, 800])
def test_the_calibration_page_fits_the_screen(browser, reports, width):  # noqa: F811
    page = open_page(browser, reports / PAGES[1], width=width)
    m = page.evaluate(TABLES)
    assert m["pageWidth"] <= m["vw"], f"the page scrolls sideways: {m['pageWidth']} > {m['vw']}"
    assert m["tables"] == 4  # group shifts, parameters, held-out customers, the second file
    if width == 1024:
        assert m["clipped"] == [], f"tables cut off in their scroll box: {m['clipped']}"
    page.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_no_element_overlaps_another_and_images_load(browser, reports, page_path):  # noqa: F811
    page = open_page(browser, reports / page_path)
    m = page.evaluate(BOXES)
    assert m["overlaps"] == []
    for img in m["images"]:
        assert img["w"] > 0 and img["right"] <= m["vw"]
    page.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_links_resolve(browser, reports, page_path):  # noqa: F811
    page = open_page(browser, reports / page_path)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert hrefs
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file", href
        target = Path(unquote(url.path)).resolve()
        assert target.exists(), href
        if url.fragment:
            assert f'id="{url.fragment}"' in target.read_text(encoding="utf-8"), href
    targets = {Path(unquote(urlparse(h).path)).resolve() for h in hrefs}
    other = PAGES[1] if page_path == "index.html" else PAGES[0]
    assert (reports / other).resolve() in targets
    page.close()
