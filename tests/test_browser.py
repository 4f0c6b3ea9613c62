"""A real browser opens the reports from disk: they render, say what they should, fetch nothing.

Drives Debian's headless Chromium with subprocess (no driver library, no browser download).
Network isolation is checked with Chromium's own net log: no request initiated by a report page
may have an http(s) URL. (Chromium's own background requests — update checks and the like —
are not initiated by the page; they are sent to a black-hole proxy on 127.0.0.1 so that nothing
leaves the machine during the test either.) A control page with an external image proves the
check sees page requests.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from simlib import report

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--no-pings", "--hide-scrollbars",
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
NAME = 'Browser <b>bold</b> hospital'


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run installs Debian's 'chromium'")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return CHROMIUM


def run_chromium(chromium: str, tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    proc = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args, url],
                          capture_output=True, text=True, timeout=180, cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def page_requests(netlog: Path) -> list[str]:
    """http(s) URLs of the requests a web page initiated (not Chromium's own background ones)."""
    data = json.loads(netlog.read_text(encoding="utf-8", errors="replace"))
    kinds = {v: k for k, v in data["constants"]["logEventTypes"].items()}
    urls = []
    for event in data["events"]:
        params = event.get("params") or {}
        url = str(params.get("url", ""))
        if kinds.get(event["type"]) != "URL_REQUEST_START_JOB" or not url.startswith(("http:", "https:")):
            continue
        if params.get("initiator") != "not an origin" or "file://" in str(params.get("network_isolation_key")):
            urls.append(url)
    return urls


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    data = yaml.safe_load((ROOT / "parameters" / "baseline.yaml").read_text(encoding="utf-8"))
    data["name"] = NAME
    data["simulation"].update({"encounters_per_day": 3, "billing_window_days": 60, "horizon_days": 240,
                               "measurement_day": 120, "ar_window_days": 60, "replications": 3,
                               "workers": 1})
    param = tmp / "browser.yaml"
    param.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp / "reports"
    report.build_reports([param], out_dir=out, notebooks=["strategy_comparison"], log=lambda *a: None)
    return out


def screenshot_ok(png: Path) -> None:
    import matplotlib.image as mpimg

    assert png.stat().st_size > 20_000, png.stat().st_size
    pixels = mpimg.imread(str(png))
    assert pixels.shape[0] >= 800 and pixels.shape[1] >= 1000
    assert float(pixels[..., :3].std()) > 0.05  # not a blank page


@pytest.mark.parametrize("page", ["index.html", "browser/strategy_comparison.html"])
def test_report_renders_in_chromium(chromium, reports, tmp_path, page):
    url = (reports / page).as_uri()
    png = tmp_path / "shot.png"
    run_chromium(chromium, tmp_path, url, f"--screenshot={png}", "--window-size=1200,2400")
    screenshot_ok(png)

    dom = run_chromium(chromium, tmp_path, url, "--dump-dom").stdout
    # the name is shown as text, never interpreted as markup
    assert "Browser &lt;b&gt;bold&lt;/b&gt; hospital" in dom
    assert "<b>bold</b>" not in dom
    if page == "index.html":
        assert 'href="browser/strategy_comparison.html"' in dom
        assert "Collection strategy comparison" in dom
    else:
        for text in ("Executive summary", "simulated runs", "Financial results", "Reproducibility"):
            assert text in dom, text
        assert "Adopt “" in dom or "Keep the status quo" in dom
        assert dom.count("<img") >= 4


@pytest.mark.parametrize("page", ["index.html", "browser/strategy_comparison.html"])
def test_no_request_leaves_the_machine(chromium, reports, tmp_path, page):
    netlog = tmp_path / "net.json"
    run_chromium(chromium, tmp_path, (reports / page).as_uri(), f"--log-net-log={netlog}",
                 "--virtual-time-budget=3000", "--dump-dom")
    assert page_requests(netlog) == []


def test_net_log_check_sees_page_requests(chromium, tmp_path):
    """Control: a page that does load from the network is caught by the same check."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><html><body><p>leak</p>'
                     '<img src="https://example.invalid/pixel.png"></body></html>', encoding="utf-8")
    netlog = tmp_path / "net.json"
    run_chromium(chromium, tmp_path, leaky.as_uri(), f"--log-net-log={netlog}",
                 "--virtual-time-budget=3000", "--dump-dom")
    assert "https://example.invalid/pixel.png" in page_requests(netlog)
