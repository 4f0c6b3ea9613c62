"""The report pipeline (:func:`build_reports`, called by ``simlib report FILE…``)::

    parameter file ─load_scenario─▶ Scenario ─run_experiment (once)─▶ Results
        ─derived.save_results─▶ <out>/<scenario>/results/ (tables, decision.json, and every derived
                                table the pages need: contributions, sensitivity, flip points)
        ─papermill (each page's notebook, results_dir=…: it only loads)─▶ executed notebook (temp file)
        ─nbconvert (basic template, no inputs)─▶ <out>/<scenario>/<page>.html
        ─with --pdf: headless Chromium─▶ <page>.pdf and board_pack.pdf (every page, summary first)
        ─▶ <out>/<scenario>/manifest.json ─▶ <out>/index.html

Guarantees, each one tested:

* an invalid parameter file stops the run with the validation message and writes no HTML;
* a notebook parameter the notebook does not declare is an error (papermill only warns);
* a cell that raises stops the run with a :class:`ReportError` naming notebook, cell and
  exception, and no HTML is written for it;
* pages are self-contained: no scripts, no stylesheet or image from the network (a
  Content-Security-Policy forbids every load but inline styles and ``data:`` images, and
  :func:`external_loads` re-checks the text before it is written);
* a scenario's reports are published together or not at all: its results, pages and manifest
  are built in a hidden staging directory that replaces ``<out>/<scenario>/`` in one rename
  (:func:`simlib.core.atomic.publishing`), so a failed or interrupted build (Ctrl-C, SIGTERM, a
  failing cell) leaves the previous complete report and never pages of two runs side by side;
  ``index.html`` is rewritten after each scenario is published;
* a page's notebook sees no name a page before it defined: a kernel is lent again only after its
  namespace is reset (:class:`simlib.report.notebooks.RunningKernels`);
* temporary kernel files (connection files in ``JUPYTER_RUNTIME_DIR`` and executed notebooks)
  live in one per-build temporary directory, removed on every exit path; one left by a killed
  build (SIGKILL) is removed by the next build.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from simlib.core.atomic import clean_dead_temporaries, pid_alive, publishing
from simlib.core.language import DEFAULT_LANGUAGE, _, scenario_speech, speaking
from simlib.report.errors import ReportError
from simlib.report.board_pack import PACK_FILE, pack_title, write_board_pack
from simlib.report.export import checked_page, notebook_body
from simlib.report.index_page import MANIFEST, write_index, write_manifest
from simlib.report.labels import scenario_label
from simlib.report.navigation import page_links
from simlib.report.notebooks import RunningKernels, check_parameters, execute_notebook, notebook_parameters
from simlib.report.pdf import find_chromium, print_pdf
from simlib.report.publish import atomic_write_text, slug
from simlib.report.derived import save_results
from simlib.report.pages import DEFAULT_PAGES, page, tables_needed
from simlib.report.sensitivity_blocks import sensitivity_problems
from simlib.report.summary import headline


def _scenario_dirs(paths: Sequence[Path]) -> list[str]:
    names = [slug(p.stem) for p in paths]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ReportError(f"several parameter files map to the same report directory {dupes}: "
                          "rename one of them")
    return names


def build_reports(paths: Iterable[str | Path], out_dir: str | Path = "reports", replications: int | None = None,
                  seed: int | None = None, workers: int | None = None,
                  pages: Sequence[str] = DEFAULT_PAGES, *, scheduler: str | None = None,
                  precision: float | None = None, notebook_dir: str | Path | None = None,
                  pdf: bool = False, chromium: str | None = None, log=print) -> list[Path]:
    """Build the HTML reports of every parameter file; return the pages written (index last).

    Each file is validated first (all of them, before anything runs); then per scenario the
    experiment runs once, its results, its decision and every derived table the ``pages`` need
    (:mod:`simlib.report.pages`, :mod:`simlib.report.derived`) are saved to
    ``<out>/<scenario>/results/``, and every page's notebook only reads them from there. Raises
    :class:`ReportError` with a clear message on any invalid file, unknown notebook parameter or
    failing cell; nothing is exported from a failed notebook. ``scheduler`` (a Dask address) and ``precision`` (sequential stopping on
    the key metric's relative CI half-width) pass through to :func:`simlib.run.experiment.run_experiment`.
    With ``pdf=True`` each page is also printed to ``<page>.pdf`` beside it by headless Chromium
    (:func:`simlib.report.pdf.print_pdf`; ``chromium`` names the executable), every page of the
    scenario together to ``board_pack.pdf`` (:mod:`simlib.report.board_pack`: the board summary
    first), and the index links the PDFs; a missing Chromium is reported before anything runs.
    """
    from simlib.scenario.schema import ScenarioError, load_scenario

    paths = [Path(p) for p in paths]
    if not paths:
        raise ReportError("no parameter files given")
    out_dir = Path(out_dir).resolve()
    if replications is not None and replications < 2:
        raise ReportError(f"replications must be at least 2 (confidence intervals need two); got {replications}")
    if workers is not None and workers < 1:
        raise ReportError(f"workers must be at least 1; got {workers}")

    scenarios = []
    problems = []
    for p in paths:
        try:
            scenarios.append(load_scenario(p))
        except ScenarioError as exc:
            problems.append(str(exc))
    for p, scenario in zip(paths, scenarios):  # the file's sensitivity factors, before any run
        problems.extend(f"{p}: {line}" for line in sensitivity_problems(scenario))
    if problems:
        raise ReportError("invalid parameter file(s); no report was built:\n" + "\n".join(problems))
    dirs = _scenario_dirs(paths)

    built = [page(key) for key in pages]
    for p in built:  # fail before any long run on a missing notebook or a bad parameter name
        check_parameters(p.path(notebook_dir), _notebook_params("x", "x"))
    chromium = find_chromium(chromium) if pdf else None  # fail before any long run
    tables = tables_needed(p.key for p in built)

    written: list[Path] = []
    clean_dead_temporaries(out_dir)  # staging directories of killed builds
    kernels = RunningKernels()  # lent to every page of every scenario (simlib.report.notebooks)
    with _kernel_files() as scratch, contextlib.closing(kernels):
        for path, scenario, dname in zip(paths, scenarios, dirs):
            scen_dir = out_dir / dname
            t0 = time.perf_counter()
            log(f"{path}: running {scenario.name!r} "
                f"({replications or scenario.simulation.replications} replications)…")
            res = _run(scenario, replications, seed, workers, scheduler, precision)
            written_pages, reports = [], []
            speech = scenario_speech(scenario)
            with publishing(scen_dir) as stage:  # results, pages and manifest: together or not at all
                log(f"{path}: experiment done in {time.perf_counter() - t0:.1f} s")
                results_dir = save_results(res, stage / "results", tables, workers=workers,
                                           scheduler=scheduler, log=log)  # compute, then render
                kept = _keep_search_pages(scen_dir, stage)  # `simlib search`'s page survives a rebuild
                # the pages in the scenario's language; the saved results stay language-neutral (English words)
                with speaking(speech.language, speech.currency):
                    log(f"{path}: rendering notebooks…")
                    siblings = [(p.html, _(p.title)) for p in built]
                    jobs = [(p, p.path(notebook_dir)) for p in built]
                    renderers = max(1, min(len(jobs), workers or scenario.simulation.workers))
                    # pages render side by side, each in a kernel of its own while it runs (a process, lent
                    # again to a later page: RunningKernels), each worker thread
                    # speaking the scenario's language (a thread's own context: not this one's, which
                    # may hold an event loop of a notebook executed here before — jupyter_core's)
                    with scratch(), ThreadPoolExecutor(renderers, thread_name_prefix="simlib-page") as pool:
                        # the board pack: every page of the scenario in one PDF, numbered throughout,
                        # printed as soon as every page's body is there (beside the last pages' PDFs)
                        packing = _PackWhenReady(pool, [p.key for p in built], functools.partial(
                            _print_pack, speech, stage / PACK_FILE, pack_title(scenario_label(scenario)),
                            chromium)) if pdf else None
                        futures = [pool.submit(_render_page, speech, kernels, p, nb,
                                               _notebook_params(str(path.resolve()), str(results_dir),
                                                                speech.language, nb),
                                               out_dir / f"{dname}.{p.key}.failed.ipynb", stage,
                                               f"{_(p.title)} — {scenario_label(scenario)}", siblings,
                                               chromium if pdf else None, packing)
                                   for p, nb in jobs]
                        waiting = futures + ([packing.future] if packing is not None else [])
                        try:
                            _first_failure(waiting)  # a page that fails stops the build at once
                            for (p, _nb), future in zip(jobs, futures):
                                pdf_name, seconds = future.result()
                                written_pages.append(scen_dir / p.html)
                                entry = {"file": p.html, "title": _(p.title)}
                                if pdf_name is not None:
                                    entry["pdf"] = pdf_name
                                reports.append(entry)
                                log(f"  {written_pages[-1]}{' (+ PDF)' if pdf else ''} ({seconds:.1f} s)")
                            pack = None
                            if packing is not None:
                                pack, seconds = packing.future.result()
                                log(f"  {scen_dir / pack} ({seconds:.1f} s)")
                        except BaseException:
                            for future in waiting:  # the pages not started (and a pack not started)
                                future.cancel()
                            kernels.stop()  # and the notebooks executing: their kernels killed
                            raise
                    reports.extend(kept)
                    prov = dict(getattr(res, "provenance", {}) or {})
                    write_manifest(stage, {
                        "scenario_name": scenario.name, "scenario_label": scenario_label(scenario),
                        "description": scenario.description, "parameter_file": path.name, "headline": headline(res),
                        "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                        "replications": prov.get("replications"), "seed": prov.get("seed"),
                        "parameter_hash": prov.get("parameter_hash"), "reports": reports,
                        **({"board_pack": pack} if pack else {}),
                        # the index lists the scenario in its language (absent: English)
                        **({"language": speech.language} if speech.language != DEFAULT_LANGUAGE else {}),
                    })
            written.extend(written_pages)
            write_index(out_dir)  # the index never lists a scenario's old pages beside new ones
    written.append(write_index(out_dir))
    log(f"index: {written[-1]}")
    return written


def _first_failure(futures) -> None:
    """Wait for every page, raising the first failure as soon as it happens (the pages beside it
    are then stopped), not when the pages before it are done."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is not None:
            raise failed.exception()


def _render_page(speech, kernels: RunningKernels, p, nb: Path, params: dict, failed: Path, stage: Path,
                 title: str, siblings, chromium, packing=None):
    """Execute page ``p``'s notebook, write its HTML to ``stage`` in ``speech`` (the scenario's
    language and currency), hand its body to ``packing`` (the board pack) and, with ``chromium``,
    print it (the printed page is published with the HTML, or not at all); returns its PDF's name
    (``None``: none) and the seconds it took."""
    with speaking(speech.language, speech.currency):
        return _render_page_here(kernels, p, nb, params, failed, stage, title, siblings, chromium, packing)


def _render_page_here(kernels, p, nb, params, failed, stage, title, siblings, chromium, packing):
    t1 = time.perf_counter()
    executed = execute_notebook(nb, params, cwd=nb.parent, failed_copy=failed, kernels=kernels)
    body = notebook_body(executed)
    staged = atomic_write_text(stage / p.html, checked_page(title, page_links(siblings, p.html) + body))
    if failed.exists():
        failed.unlink()
    if packing is not None:
        packing.add(p.key, body)
    pdf_name = print_pdf(staged, chromium=chromium).name if chromium is not None else None
    return pdf_name, time.perf_counter() - t1


class _PackWhenReady:
    """The board pack of one scenario, printed in the pages' pool as soon as the last page's body is
    there, so it prints beside the last pages' PDFs rather than after them (stop 37). ``future``
    holds (the pack's file name, the seconds its printing took); the parts are in page order."""

    def __init__(self, pool, keys: Sequence[str], print_pack) -> None:
        self.future: Future = Future()
        self._pool, self._keys, self._print = pool, list(keys), print_pack
        self._bodies: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, key: str, body: str) -> None:
        with self._lock:
            self._bodies[key] = body
            ready = len(self._bodies) == len(self._keys)
        if ready and self.future.set_running_or_notify_cancel():  # not if the build gave up
            inner = self._pool.submit(self._print, [(k, self._bodies[k]) for k in self._keys])
            inner.add_done_callback(self._relay)

    def _relay(self, inner) -> None:
        if inner.cancelled():
            self.future.set_exception(ReportError("the board pack was not printed: the build stopped"))
        elif inner.exception() is not None:
            self.future.set_exception(inner.exception())
        else:
            self.future.set_result(inner.result())


def _print_pack(speech, target: Path, title: str, chromium, parts) -> tuple[str, float]:
    """Print the board pack of ``parts`` to ``target`` in ``speech`` (the scenario's language)."""
    t1 = time.perf_counter()
    with speaking(speech.language, speech.currency):
        name = write_board_pack(target, title, parts, chromium=chromium).name
    return name, time.perf_counter() - t1


_SCRATCH = re.compile(r"^simlib-report-(\d+)-")


@contextlib.contextmanager
def _kernel_files() -> Iterator:
    """A per-build temporary directory for kernel connection files (``JUPYTER_RUNTIME_DIR``, read
    by the kernels this build starts) and, while a notebook executes, for Python's temporary files
    (papermill's executed notebook). Removed on every exit path; the directories of builds that
    were killed (their process is gone) are removed here first. Yields ``scratch()``, the context
    in which a notebook executes."""
    base = Path(tempfile.gettempdir())
    for old in base.glob("simlib-report-*"):
        m = _SCRATCH.match(old.name)
        if m and not pid_alive(int(m[1])):
            shutil.rmtree(old, ignore_errors=True)
    root = Path(tempfile.mkdtemp(prefix=f"simlib-report-{os.getpid()}-"))
    runtime = root / "runtime"
    runtime.mkdir()
    previous = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)

    @contextlib.contextmanager
    def scratch() -> Iterator[None]:
        saved = tempfile.tempdir
        tempfile.tempdir = str(root)
        try:
            yield
        finally:
            tempfile.tempdir = saved

    try:
        yield scratch
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = previous
        shutil.rmtree(root, ignore_errors=True)


def _keep_search_pages(scen_dir: Path, stage: Path) -> list[dict]:
    """The ``search/`` folder ``simlib search`` wrote (simlib.search.page), copied into the new build
    of the scenario, and its entries of the old manifest (the index keeps linking its page)."""
    if not (scen_dir / "search").is_dir():
        return []
    shutil.copytree(scen_dir / "search", stage / "search")
    try:
        entries = json.loads((scen_dir / MANIFEST).read_text(encoding="utf-8")).get("reports", [])
    except (OSError, ValueError, AttributeError):
        entries = []
    return [e for e in entries if isinstance(e, dict) and str(e.get("file", "")).startswith("search/")]


def _notebook_params(scenario_file: str, results_dir: str, language: str | None = None,
                     notebook: Path | None = None) -> dict[str, Any]:
    """What the pipeline passes to every notebook: the parameter file, the shared results and the
    language of the page (the scenario's), to a notebook that declares ``language`` (the package's
    pages all do; a notebook of one's own may not)."""
    params: dict[str, Any] = {"scenario_file": scenario_file, "results_dir": results_dir}
    if language is not None and (notebook is None or "language" in notebook_parameters(notebook)):
        params["language"] = language
    return params


def _run(scenario, replications, seed, workers, scheduler=None, precision=None):
    from simlib.run.experiment import run_experiment

    kwargs: dict[str, Any] = {"replications": replications or scenario.simulation.replications,
                              "seed": seed, "workers": workers or scenario.simulation.workers}
    if scheduler is not None:
        kwargs["scheduler"] = scheduler
    if precision is not None:
        kwargs["precision"] = precision
    try:
        return run_experiment(scenario, progress=False, **kwargs)
    except Exception as exc:
        raise ReportError(f"scenario {scenario.name!r}: the simulation failed: "
                          f"{type(exc).__name__}: {exc}") from exc
