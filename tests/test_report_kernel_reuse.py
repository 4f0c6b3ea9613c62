"""The report build lends each page's notebook a kernel and lends it again to a later page (stop 37:
a kernel's start and the imports of simlib cost seconds of CPU per page, 36 times a build). A page
must not notice: it sees none of the names a page before it defined, its execution counts start at
1 as in a new kernel, and a kernel whose notebook failed is never lent again. The board pack prints
beside the pages' PDFs, its pages in order."""
from __future__ import annotations

import os

import pytest

from test_robustness_runs import _wait_until, report_notebooks, scenario_file


def _gone(pid: str) -> bool:
    """The process has exited (or is a zombie waiting to be reaped)."""
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _counts(nb) -> list:
    return [c.execution_count for c in nb.cells if c.cell_type == "code"]


def test_a_lent_kernel_is_a_new_session_and_a_failed_one_is_not_lent_again(tmp_path):
    from simlib import report
    from simlib.report.notebooks import RunningKernels

    nbdir = report_notebooks(tmp_path / "nbs", {
        "first": "import os\nleft_behind = 1\nprint('pid', os.getpid())",
        "second": "import os\nprint('pid', os.getpid())\nprint('sees', 'left_behind' in dir())",
        "failing": "import os\nprint('pid', os.getpid())\nraise ValueError('broken page')",
    })
    alone = report.execute_notebook(nbdir / "second.ipynb", {"results_dir": "r"}, cwd=nbdir)  # its own kernel
    kernels = RunningKernels()
    try:
        first = report.execute_notebook(nbdir / "first.ipynb", {"results_dir": "r"}, cwd=nbdir, kernels=kernels)
        second = report.execute_notebook(nbdir / "second.ipynb", {"results_dir": "r"}, cwd=nbdir, kernels=kernels)
        pid = _stdout(first).split()[1]
        assert _stdout(second).split() == ["pid", pid, "sees", "False"]  # the same kernel, a clean namespace
        assert _counts(second) == _counts(alone) == [1, 2, 3]  # as in a kernel of its own
        assert _stdout(alone).split()[2:] == ["sees", "False"]
        try:
            report.execute_notebook(nbdir / "failing.ipynb", {"results_dir": "r"}, cwd=nbdir, kernels=kernels,
                                    failed_copy=tmp_path / "failing.ipynb")
        except report.ReportError as exc:
            assert "broken page" in str(exc)
        else:
            raise AssertionError("the failing notebook did not fail")
        import nbformat

        assert _stdout(nbformat.read(str(tmp_path / "failing.ipynb"), as_version=4)).split()[1] == pid
        _wait_until(lambda: _gone(pid), "the failed page's kernel to be shut down")
        again = report.execute_notebook(nbdir / "first.ipynb", {"results_dir": "r"}, cwd=nbdir, kernels=kernels)
        new_pid = _stdout(again).split()[1]
        assert new_pid != pid  # a new kernel, not the failed page's
    finally:
        kernels.close()
    _wait_until(lambda: _gone(new_pid), "the idle kernel to be shut down at the end")
    assert os.getcwd() != str(nbdir)


@pytest.mark.slow
def test_the_board_pack_prints_beside_the_pages_with_the_pages_in_order(tmp_path):
    """Stop 37: the board pack prints as soon as every page's body is there (in the pages' pool, not
    after their PDFs); its parts stay in page order when the second page finishes first. The fake
    Chromium writes the printed page's HTML into the "PDF"."""
    import json
    import stat

    from simlib import report

    mark = tmp_path / "second-ran"
    nbdir = report_notebooks(tmp_path / "nbs", {
        "first": f"import os, time\nfor _ in range(1200):\n    if os.path.exists({str(mark)!r}): break\n"
                 "    time.sleep(0.1)\nprint('the first page')",
        "second": f"open({str(mark)!r}, 'w').close()\nprint('the second page')",
    })
    fake = tmp_path / "fake-chromium"
    fake.write_text('#!/bin/bash\nfor a in "$@"; do case $a in --print-to-pdf=*) out=${a#--print-to-pdf=};; '
                    'file://*) src=${a#file://};; esac; done\n{ printf "%%PDF-"; cat "$src"; } > "$out"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    f = scenario_file(tmp_path, name="t.yaml")
    report.build_reports([f], out_dir=tmp_path / "out", replications=2, workers=2, pages=["first", "second"],
                         notebook_dir=nbdir, pdf=True, chromium=str(fake), log=lambda *a: None)
    scen = tmp_path / "out" / "t"
    pack = (scen / "board_pack.pdf").read_text(encoding="utf-8")
    assert 0 < pack.index("the first page") < pack.index("the second page")
    assert "the second page" in (scen / "second.pdf").read_text(encoding="utf-8")
    manifest = json.loads((scen / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["board_pack"] == "board_pack.pdf"
    assert [r.get("pdf") for r in manifest["reports"]] == ["first.pdf", "second.pdf"]
