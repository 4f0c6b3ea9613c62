"""The report pipeline (:func:`build_reports`, called by ``simlib report FILE…``)::

    parameter file ─load_scenario─▶ Scenario ─run_experiment (once)─▶ <out>/<scenario>/results/
        ─papermill (each notebook, results_dir=…)─▶ executed notebook (temp file)
        ─nbconvert (basic template, no inputs)─▶ <out>/<scenario>/<notebook>.html
        ─▶ <out>/<scenario>/manifest.json ─▶ <out>/index.html

Guarantees, each one tested:

* an invalid parameter file stops the run with the validation message and writes no HTML;
* a notebook parameter the notebook does not declare is an error (papermill only warns);
* a cell that raises stops the run with a :class:`ReportError` naming notebook, cell and
  exception, and no HTML is written for it;
* pages are self-contained: no scripts, no stylesheet or image from the network (a
  Content-Security-Policy forbids every load but inline styles and ``data:`` images, and
  :func:`external_loads` re-checks the text before it is written);
* writes are atomic (temp file + ``os.replace``): an interrupted run leaves the old report intact.
"""
from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from simlib.report.errors import ReportError
from simlib.report.export import notebook_to_html
from simlib.report.index_page import write_index, write_manifest
from simlib.report.labels import scenario_label
from simlib.report.navigation import page_links
from simlib.report.notebooks import check_parameters, execute_notebook
from simlib.report.pdf import find_chromium, print_pdf
from simlib.report.publish import _replace_dir, atomic_write_text, slug
from simlib.report.summary import headline

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"


DEFAULT_NOTEBOOKS: tuple[str, ...] = ("strategy_comparison", "factoring_offers", "sensitivity")


NOTEBOOK_TITLES = {
    "strategy_comparison": "Collection strategy comparison",
    "factoring_offers": "Factoring offers",
    "sensitivity": "Sensitivity of the recommendation",
}


def _scenario_dirs(paths: Sequence[Path]) -> list[str]:
    names = [slug(p.stem) for p in paths]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ReportError(f"several parameter files map to the same report directory {dupes}: "
                          "rename one of them")
    return names


def build_reports(paths: Iterable[str | Path], out_dir: str | Path = "reports", replications: int | None = None,
                  seed: int | None = None, workers: int | None = None,
                  notebooks: Sequence[str] = DEFAULT_NOTEBOOKS, *, scheduler: str | None = None,
                  precision: float | None = None, notebook_dir: str | Path | None = None,
                  pdf: bool = False, chromium: str | None = None, log=print) -> list[Path]:
    """Build the HTML reports of every parameter file; return the pages written (index last).

    Each file is validated first (all of them, before anything runs); then per scenario the
    experiment runs once, its results are saved to ``<out>/<scenario>/results/`` and every
    notebook reads them from there. Raises :class:`ReportError` with a clear message on any
    invalid file, unknown notebook parameter or failing cell; nothing is exported from a
    failed notebook. ``scheduler`` (a Dask address) and ``precision`` (sequential stopping on
    the key metric's relative CI half-width) pass through to :func:`simlib.experiment.run_experiment`.
    With ``pdf=True`` each page is also printed to ``<notebook>.pdf`` beside it by headless Chromium
    (:func:`simlib.report.pdf.print_pdf`; ``chromium`` names the executable), and the index links
    the PDFs; a missing Chromium is reported before anything runs.
    """
    from simlib.params import ScenarioError, load_scenario

    paths = [Path(p) for p in paths]
    if not paths:
        raise ReportError("no parameter files given")
    out_dir = Path(out_dir).resolve()
    nb_dir = Path(notebook_dir).resolve() if notebook_dir is not None else NOTEBOOK_DIR
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
    if problems:
        raise ReportError("invalid parameter file(s); no report was built:\n" + "\n".join(problems))
    dirs = _scenario_dirs(paths)

    nb_paths = [nb_dir / f"{name.removesuffix('.ipynb')}.ipynb" for name in notebooks]
    for nb in nb_paths:  # fail before any long run on a missing notebook or a bad parameter name
        check_parameters(nb, _notebook_params(nb, "x", "x"))
    chromium = find_chromium(chromium) if pdf else None  # fail before any long run
    siblings = [(f"{nb.stem}.html", notebook_title(nb.stem)) for nb in nb_paths]

    written: list[Path] = []
    for path, scenario, dname in zip(paths, scenarios, dirs):
        scen_dir = out_dir / dname
        t0 = time.perf_counter()
        log(f"{path}: running {scenario.name!r} "
            f"({replications or scenario.simulation.replications} replications)…")
        res = _run(scenario, replications, seed, workers, scheduler, precision)
        results_dir = _save_results(res, scen_dir)
        log(f"{path}: experiment done in {time.perf_counter() - t0:.1f} s; rendering notebooks…")
        reports = []
        for nb in nb_paths:
            t1 = time.perf_counter()
            params = _notebook_params(nb, str(path.resolve()), str(results_dir))
            executed = execute_notebook(nb, params, cwd=nb.parent,
                                        failed_copy=scen_dir / f"{nb.stem}.failed.ipynb")
            title = f"{notebook_title(nb.stem)} — {scenario_label(scenario)}"
            page = notebook_to_html(executed, title, nav=page_links(siblings, f"{nb.stem}.html"))
            target = atomic_write_text(scen_dir / f"{nb.stem}.html", page)
            stale = scen_dir / f"{nb.stem}.failed.ipynb"
            if stale.exists():
                stale.unlink()
            written.append(target)
            entry = {"file": target.name, "title": notebook_title(nb.stem)}
            if pdf:
                entry["pdf"] = print_pdf(target, chromium=chromium).name
            else:  # a PDF of an earlier build would no longer match the page
                target.with_suffix(".pdf").unlink(missing_ok=True)
            reports.append(entry)
            log(f"  {target}{' (+ PDF)' if pdf else ''} ({time.perf_counter() - t1:.1f} s)")
        prov = dict(getattr(res, "provenance", {}) or {})
        write_manifest(scen_dir, {
            "scenario_name": scenario.name, "scenario_label": scenario_label(scenario),
            "description": scenario.description, "parameter_file": path.name, "headline": headline(res),
            "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "replications": prov.get("replications"), "seed": prov.get("seed"),
            "parameter_hash": prov.get("parameter_hash"), "reports": reports,
        })
    written.append(write_index(out_dir))
    log(f"index: {written[-1]}")
    return written


def notebook_title(stem: str) -> str:
    """A report's title from its notebook's file name (known ones have a fixed title)."""
    return NOTEBOOK_TITLES.get(stem, stem.replace("_", " ").capitalize())


def _notebook_params(nb: Path, scenario_file: str, results_dir: str) -> dict[str, Any]:
    """What the pipeline passes to every notebook: the parameter file and the shared results."""
    return {"scenario_file": scenario_file, "results_dir": results_dir}


def _run(scenario, replications, seed, workers, scheduler=None, precision=None):
    from simlib.experiment import run_experiment

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


def _save_results(res, scen_dir: Path) -> Path:
    """Save results into ``<scenario>/results`` atomically (a new directory swapped into place)."""
    scen_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".results-", dir=scen_dir))
    try:
        res.save(tmp)
        target = scen_dir / "results"
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
