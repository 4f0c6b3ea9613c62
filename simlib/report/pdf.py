"""Print a report page to PDF with headless Chromium (``--print-to-pdf``), run as a subprocess.

No browser driver and no browser download: the system's Chromium (Debian's ``chromium``) or the
one named by ``SIMLIB_CHROMIUM``. The page is opened from disk with every network request sent to
a black-hole proxy on 127.0.0.1 (the pages load nothing anyway: their Content-Security-Policy
forbids it). The PDF is written to a temporary file beside the target and moved into place, so a
failed print leaves any previous PDF intact.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from simlib.report.errors import ReportError

CHROMIUM_ENV = "SIMLIB_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# headless, no first-run work, nothing fetched in the background, nothing leaves the machine.
# --no-sandbox: Chromium's sandbox needs user namespaces that containers and root sessions often
# lack; the pages printed are our own, script-free and network-free.
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-extensions", "--disable-default-apps", "--no-pings", "--hide-scrollbars",
          "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--no-pdf-header-footer")


def find_chromium(explicit: str | os.PathLike | None = None) -> str:
    """The Chromium executable to print with: ``explicit``, else ``$SIMLIB_CHROMIUM``, else the
    first of chromium, chromium-browser, google-chrome on the PATH. Raises :class:`ReportError`
    saying how to install one."""
    wanted = explicit or os.environ.get(CHROMIUM_ENV)
    if wanted:
        path = shutil.which(str(wanted))
        if path is None:
            raise ReportError(f"Chromium not found at {wanted!r} (from "
                              f"{'the chromium argument' if explicit else '$' + CHROMIUM_ENV}); "
                              "PDF output needs a headless Chromium or Chrome executable")
        return path
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise ReportError("PDF output needs headless Chromium, which was not found on the PATH: install it "
                      "(Debian/Ubuntu: apt-get install chromium) or set SIMLIB_CHROMIUM to a Chromium "
                      "or Chrome executable; the HTML reports need no browser")


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike | None = None, *,
              chromium: str | os.PathLike | None = None, timeout_s: float = 180) -> Path:
    """Print ``html_path`` to ``pdf_path`` (default: the same name with ``.pdf``); return the PDF's path.

    Page size, margins and orientation come from the page's print CSS. Raises
    :class:`ReportError` when Chromium is missing, fails, times out or writes no PDF.
    """
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise ReportError(f"cannot print {html_path}: no such file")
    pdf_path = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    pdf_path = pdf_path.resolve()
    exe = find_chromium(chromium)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{pdf_path.name}.", suffix=".tmp", dir=pdf_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with tempfile.TemporaryDirectory(prefix="simlib-chromium-") as profile:
            cmd = [exe, *_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html_path.as_uri()]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=profile)
            except subprocess.TimeoutExpired:
                raise ReportError(f"Chromium did not print {html_path.name} within {timeout_s:g} s") from None
        data_ok = tmp.exists() and tmp.stat().st_size > 0 and tmp.read_bytes()[:5] == b"%PDF-"
        if proc.returncode != 0 or not data_ok:
            detail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
            raise ReportError(f"Chromium could not print {html_path.name} to PDF (exit code {proc.returncode})"
                              + (": " + " | ".join(detail) if detail else ""))
        os.chmod(tmp, 0o644)
        os.replace(tmp, pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path
