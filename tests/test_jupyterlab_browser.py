"""The notebooks as a strategist sees them: a real JupyterLab server, the strategy comparison
notebook run cell by cell in Debian's headless Chromium (Playwright, ``executable_path``: no
browser download), and the rendered DOM checked.

JupyterLab typesets pairs of ``$`` in HTML and Markdown output as LaTeX (MathJax), which turned
"gains $53.8k ... costs $12k" into italic math; every block therefore marks its markup as not to
be typeset. The checks: no MathJax element anywhere in the notebook, money sentences shown with
their ``$``, no output cut at the right edge (wide tables scroll in their own box), and the long
cells show a progress bar while they compute.

The server is isolated: a free port, a random token, ``--no-browser``, its root, settings,
workspaces and runtime files in a temp dir; Chromium sends anything not on the loopback to a
black-hole proxy. A screenshot of the rendered executive summary is written beside the test's
temp files (``docs/screenshots/jupyterlab-summary.png`` is one kept from a run).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_report import tiny_yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
WIDTH = 1280  # a laptop screen, JupyterLab's side bar open


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need(what: str, ok: bool, hint: str) -> None:
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{what} missing: {hint}")
        pytest.skip(f"{what} missing: {hint}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free port with a token, rooted in a temp dir holding a tiny
    scenario and the comparison notebook parameterised for it (not yet run)."""
    import papermill as pm

    _need("Chromium", Path(CHROMIUM).exists(), ".ci/run installs Debian's 'chromium'")
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    root.mkdir()
    tiny_yaml(root / "tiny.yaml", name="Lab hospital", replications=2)
    pm.execute_notebook(str(ROOT / "notebooks" / "strategy_comparison.ipynb"), str(root / "comparison.ipynb"),
                        parameters={"scenario_file": "tiny.yaml", "replications": 2, "seed": 5},
                        prepare_only=True, progress_bar=False)
    settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell in the DOM (JupyterLab 4 otherwise only attaches the cells on screen)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    config = tmp / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "ws"),
           "MPLBACKEND": "agg"}
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                               "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                               "--ServerApp.port_retries=0", "--allow-root", "--LabApp.extension_manager=readonly",
                               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                              stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not start:\n" + (tmp / "server.log").read_text()[-3000:])
                time.sleep(0.5)
        yield {"base": base, "token": token, "tmp": tmp}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def notebook_page(lab):
    """The comparison notebook opened in JupyterLab and run to the end (Run ▸ Run All Cells)."""
    try:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright
    except ImportError:
        _need("playwright", False, "a test dependency (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.goto(f"{lab['base']}/lab/tree/comparison.ipynb?token={lab['token']}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        try:  # JupyterLab may ask which kernel to start
            page.click(".jp-Dialog button.jp-mod-accept", timeout=10_000)
        except PlaywrightTimeout:
            pass
        page.wait_for_selector(".jp-Notebook .jp-InputPrompt", timeout=60_000)
        page.wait_for_function(JS_KERNEL_IDLE, timeout=120_000)
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
        deadline = time.monotonic() + float(os.environ.get('LAB_TIMEOUT', 300))
        while not page.evaluate(JS_ALL_RUN):
            if time.monotonic() > deadline:
                page.screenshot(path=str(lab["tmp"] / "timeout.png"))
                raise AssertionError(f"the notebook did not finish in 5 minutes: {lab['tmp'] / 'timeout.png'}, "
                                     + str(page.evaluate(JS_PROMPTS)))
            assert not page.evaluate(JS_ERRORS), page.evaluate(JS_ERRORS)
            page.wait_for_timeout(250)
        page.wait_for_timeout(1500)  # MathJax typesets after the outputs attach
        yield {"page": page, "tmp": lab["tmp"]}
        browser.close()


JS_KERNEL_IDLE = """() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar').textContent)"""
JS_ALL_RUN = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  return cells.length > 0 && cells.every(c => /\\[\\d+\\]/.test(c.querySelector('.jp-InputPrompt').textContent));
}"""
JS_PROMPTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')].map(e => e.textContent)"""
JS_ERRORS = """() => [...document.querySelectorAll('.jp-Notebook [data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(e => e.textContent).filter(t => /Error|Traceback/.test(t)).slice(0, 2)"""
JS_PROGRESS_BARS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
  .filter(c => c.querySelector('.jp-OutputArea .widget-hprogress'))
  .map(c => [c.querySelector('.jp-InputArea .cm-content').textContent,
             c.querySelectorAll('.jp-OutputArea .widget-hprogress').length])"""
JS_MATH = """() => document.querySelectorAll(
  '.jp-Notebook mjx-container, .jp-Notebook .MathJax, .jp-Notebook .MathJax_Preview, .jp-Notebook math').length"""
JS_OVERFLOW = """() => {
  const cut = [];
  for (const o of document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')) {
    if (o.scrollWidth > o.clientWidth + 1) cut.push([o.textContent.slice(0, 60), o.scrollWidth, o.clientWidth]);
    for (const t of o.querySelectorAll('table')) {
      const box = t.parentElement, style = getComputedStyle(box);
      const scrolls = ['auto', 'scroll'].includes(style.overflowX) && box.clientWidth <= o.clientWidth + 1;
      if (!scrolls && t.getBoundingClientRect().right > o.getBoundingClientRect().right + 1)
        cut.push(['table ' + ((t.caption || {}).textContent || ''), t.getBoundingClientRect().right,
                  o.getBoundingClientRect().right]);
    }
  }
  const panel = document.querySelector('.jp-NotebookPanel-notebook') || document.querySelector('.jp-Notebook');
  if (panel.scrollWidth > panel.clientWidth + 1) cut.push(['notebook', panel.scrollWidth, panel.clientWidth]);
  return cut;
}"""


def test_no_money_is_typeset_as_math(notebook_page):
    page = notebook_page["page"]
    summary = page.locator(".jp-OutputArea-output:has(h2:has-text('Executive summary'))").first
    summary.screenshot(path=str(notebook_page["tmp"] / "jupyterlab-summary.png"))
    assert page.evaluate(JS_MATH) == 0
    text = summary.inner_text()
    assert text.count("$") >= 2, text[:400]  # money shown as money


def test_no_output_is_cut_at_the_right_edge(notebook_page):
    page = notebook_page["page"]
    assert page.evaluate(JS_OVERFLOW) == []
    assert page.locator(".jp-Notebook table").count() >= 5  # the tables are there to be measured


def test_long_cells_show_a_progress_bar(notebook_page):
    """The cell that computes when no saved results are given (the experiment, then the lever
    contributions: tens of seconds) leaves a finished progress bar (tqdm's widget) for each."""
    bars = dict(notebook_page["page"].evaluate(JS_PROGRESS_BARS))
    computing = [n for source, n in bars.items() if "load_results" in source]
    assert computing and computing[0] >= 2, bars
