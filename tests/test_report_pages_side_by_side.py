"""A scenario's pages render side by side (issue 27: the report build's notebooks were one after
another on one core): each page's notebook in its own kernel, in a worker thread, its kernel in the
notebooks' folder, the page in the scenario's language; a page that fails stops the others' kernels
at once. The two notebooks below can only both finish if they run at the same time (the first waits
for a file the second writes), so the test fails if the pages render one after another."""
from __future__ import annotations

import os
import time

import pytest

from test_robustness_runs import _alive, _children, _wait_until, report_notebooks, scenario_file

pytestmark = pytest.mark.slow


def test_pages_render_at_the_same_time_in_the_notebooks_folder(tmp_path):
    from simlib import report

    mark = tmp_path / "second-ran"
    nbdir = report_notebooks(tmp_path / "nbs", {
        # waits for the second page's notebook (a hang guard of 120 s, then the page fails)
        "first": f"import os, time\nfor _ in range(1200):\n    if os.path.exists({str(mark)!r}): break\n"
                 "    time.sleep(0.1)\nelse:\n    raise RuntimeError('the second page never ran beside the first')\n"
                 "print('cwd', os.getcwd())",
        "second": f"open({str(mark)!r}, 'w').close()\nprint('second')",
    })
    f = scenario_file(tmp_path, name="t.yaml")
    # a notebook executed here first leaves jupyter_core's event loop in this thread's context: the
    # pages' threads must not share it ("This event loop is already running")
    report.execute_notebook(nbdir / "second.ipynb", {}, cwd=nbdir)
    mark.unlink()
    lines = []
    written = report.build_reports([f], out_dir=tmp_path / "out", replications=2, workers=2,
                                   pages=["first", "second"], notebook_dir=nbdir, log=lines.append)
    first = (tmp_path / "out" / "t" / "first.html").read_text(encoding="utf-8")
    assert f"cwd {nbdir}" in first  # the kernel started in the notebooks' folder
    assert "second" in (tmp_path / "out" / "t" / "second.html").read_text(encoding="utf-8")
    assert [p.name for p in written[:2]] == ["first.html", "second.html"]
    pages = [ln for ln in lines if ln.startswith("  ")]
    assert [p.split()[0].rsplit("/", 1)[-1] for p in pages] == ["first.html", "second.html"]  # in page order
    assert os.getcwd() != str(nbdir)  # the build never changed the process's directory


def test_one_worker_renders_one_page_after_another(tmp_path):
    """``workers=1``: one page at a time (the first page's notebook fails waiting for the second)."""
    from simlib import report
    from simlib.report import ReportError

    mark = tmp_path / "second-ran"
    nbdir = report_notebooks(tmp_path / "nbs", {
        "first": f"import os\nif not os.path.exists({str(mark)!r}):\n    raise RuntimeError('alone')",
        "second": f"open({str(mark)!r}, 'w').close()",
    })
    f = scenario_file(tmp_path, name="t.yaml")
    with pytest.raises(ReportError, match="first.ipynb failed.*alone"):
        report.build_reports([f], out_dir=tmp_path / "out", replications=2, workers=1,
                             pages=["first", "second"], notebook_dir=nbdir, log=lambda *a: None)
    assert not mark.exists()  # the second page never started


def test_a_failing_page_stops_the_kernel_of_the_page_beside_it(tmp_path):
    """The first page fails while the second sleeps: the build reports the failure at once, kills
    the second page's kernel, publishes nothing."""
    from simlib import report
    from simlib.report import ReportError

    started = tmp_path / "slow-started"
    nbdir = report_notebooks(tmp_path / "nbs", {
        "failing": f"import os, time\nfor _ in range(1200):\n    if os.path.exists({str(started)!r}): break\n"
                   "    time.sleep(0.1)\nraise ValueError('broken page')",
        "slow": f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(600)",
    })
    f = scenario_file(tmp_path, name="t.yaml")
    t0 = time.monotonic()
    with pytest.raises(ReportError, match="failing.ipynb failed.*ValueError: broken page"):
        report.build_reports([f], out_dir=tmp_path / "out", replications=2, workers=2,
                             pages=["failing", "slow"], notebook_dir=nbdir, log=lambda *a: None)
    assert started.exists()
    assert time.monotonic() - t0 < 300  # a hang guard: the slow page's 600 s sleep did not run out
    assert not (tmp_path / "out" / "t").exists()  # nothing published
    _wait_until(lambda: not any(_alive(k) for k in _children(os.getpid())
                                if "ipykernel" in " ".join(_cmdline(k))), "the kernels to exit")


def _cmdline(proc) -> list[str]:
    try:
        return proc.cmdline()
    except AttributeError:  # /proc fallback of _children: a pid
        try:
            return open(f"/proc/{proc}/cmdline", "rb").read().decode(errors="replace").split("\0")
        except OSError:
            return []
    except Exception:  # the process is gone
        return []
