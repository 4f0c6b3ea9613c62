"""Compute, then render: every table a page needs beyond the main run, computed once into the
result folder before any notebook runs.

:func:`save_results` writes the main run's tables and its decision (``decision.json``,
:mod:`simlib.analysis.decision`) and the derived tables the pages ask for
(:data:`simlib.report.pages.Page.tables`):

* ``contributions`` — what each lever of the recommended (or best combined) strategy contributes
  (:func:`simlib.report.contribution_blocks.contribution_data`), a table beside the others, and
  with it ``uplift``, who a targeted offer changes (:func:`simlib.report.uplift_blocks.uplift_data`);
* ``policy_actions`` — what each collection policy does, its actions by day and by account state
  (:func:`simlib.report.policy_data.policy_action_data`; only when a strategy runs a policy);
* ``sensitivity`` — the one-at-a-time sweep of the recommended strategy against the runner-up and
  its flip points (:func:`simlib.report.sensitivity_blocks.save_sensitivity`: ``sensitivity.csv``,
  ``flip_points.csv``).

The pipeline calls it once per scenario; :func:`prepare_results` is the same step for a notebook
opened in JupyterLab without saved results. Either way a notebook only loads the folder.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from simlib.report.errors import ReportError
from simlib.report.pages import CONTRIBUTIONS, POLICY_ACTIONS, SENSITIVITY


def _contributions(res, workers, scheduler, log, progress: bool = False) -> dict:
    from simlib.report.contribution_blocks import TABLE, contribution_data

    t0 = time.perf_counter()
    try:
        table = contribution_data(res, workers=workers or res.scenario.simulation.workers, scheduler=scheduler,
                                  progress=progress)
    except Exception as exc:
        raise ReportError(f"scenario {res.scenario.name!r}: the lever contributions failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    out = {}
    if table is not None:
        log(f"  lever contributions of {table['strategy'].iloc[0]!r} in {time.perf_counter() - t0:.1f} s")
        out[TABLE] = table
    from simlib.report.uplift_blocks import TABLE as UPLIFT, uplift_data

    t0 = time.perf_counter()
    try:
        uplift = uplift_data(res)
    except Exception as exc:
        raise ReportError(f"scenario {res.scenario.name!r}: the targeted offer's uplift failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    if uplift is not None:
        log(f"  uplift of the targeted offer of {uplift['strategy'].iloc[0]!r} in {time.perf_counter() - t0:.1f} s")
        out[UPLIFT] = uplift
    return out


def _policy_actions(res, log) -> dict:
    from simlib.report.policy_data import TABLE, policy_action_data

    t0 = time.perf_counter()
    try:
        table = policy_action_data(res)
    except Exception as exc:
        raise ReportError(f"scenario {res.scenario.name!r}: the record of the policies' actions failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    if table is None:
        return {}
    log(f"  policies' actions: {int(table['replications'].max()) if len(table) else 0} run(s) replayed in "
        f"{time.perf_counter() - t0:.1f} s")
    return {TABLE: table}


def _sensitivity(res, results_dir: Path, workers, log) -> None:
    from simlib.report.sensitivity_blocks import save_sensitivity

    t0 = time.perf_counter()
    try:
        table, _ = save_sensitivity(res, results_dir, workers=workers)
    except Exception as exc:
        raise ReportError(f"scenario {res.scenario.name!r}: the sensitivity analysis failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    if table is not None:
        log(f"  sensitivity and flip points: {table.attrs.get('runs_total')} two-strategy runs of "
            f"{table.attrs.get('replications')} replications in {time.perf_counter() - t0:.1f} s")


def save_results(res, results_dir: str | Path, tables: Sequence[str] = (), *, workers=None,
                 scheduler=None, log=print, progress: bool = False) -> Path:
    """Save ``res`` (its tables and decision) and the derived ``tables`` into ``results_dir``
    (``progress``: a progress bar while the lever contributions run). The words saved with the
    derived tables (a lever group's label, a flip point's words) are English whatever the language
    in force: a page says them again in its own language (:mod:`simlib.core.language`)."""
    from simlib.core.language import speaking

    known = (CONTRIBUTIONS, SENSITIVITY, POLICY_ACTIONS)
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise ReportError(f"unknown derived table(s) {unknown}; expected one of {', '.join(map(repr, known))}")
    with speaking():
        extra = _contributions(res, workers, scheduler, log, progress) if CONTRIBUTIONS in tables else {}
        if POLICY_ACTIONS in tables:
            extra.update(_policy_actions(res, log))
        target = Path(results_dir)
        res.save(target, extra_tables=extra)
        if SENSITIVITY in tables:
            _sensitivity(res, target, workers, log)
    return target


def prepare_results(scenario_file: str, page_key: str, replications: int = 4, seed: int | None = None,
                    workers: int | None = None) -> Path:
    """For a notebook opened without saved results (JupyterLab): a small run of ``scenario_file``
    and the tables page ``page_key`` needs, saved into a new temporary folder (returned). Progress
    bars (tqdm: widgets in JupyterLab) show while it runs, which takes tens of seconds."""
    from simlib.report.pages import page
    from simlib.run.experiment import run_experiment
    from simlib.scenario.schema import load_scenario

    res = run_experiment(load_scenario(scenario_file), replications=replications, seed=seed,
                         workers=workers, progress=True)
    folder = Path(tempfile.mkdtemp(prefix="simlib-notebook-")) / "results"
    return save_results(res, folder, page(page_key).tables, workers=workers, log=lambda *a: None, progress=True)


def load_results(scenario_file: str = "", results_dir: str = "", replications: int = 4,
                 seed: int | None = None, workers: int | None = None, page: str = "", language: str = ""):
    """The notebooks' entry point: the result folder ``results_dir`` (the pipeline computes it once
    per scenario, every table the pages need included). Without one (JupyterLab), the same step
    first prepares a folder from a small run of ``scenario_file`` with the tables the page ``page``
    needs (:func:`prepare_results`): a notebook only ever loads. The notebook's kernel then speaks
    ``language`` (empty: the scenario's ``language``) with the scenario's currency
    (:func:`simlib.core.language.set_language`)."""
    from simlib.run.experiment import Results

    if not results_dir:
        if not scenario_file:
            raise ReportError("set scenario_file (a parameter file) or results_dir (saved results)")
        results_dir = prepare_results(scenario_file, page, replications, seed, workers)
    path = Path(results_dir)
    if not path.is_dir():
        raise ReportError(f"results directory {path} not found")
    res = Results.load(path)
    from simlib.core.language import scenario_speech, set_language

    try:
        speech = scenario_speech(res.scenario, language)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    set_language(speech.language, speech.currency)
    return res
