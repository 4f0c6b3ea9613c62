"""``simlib calibrate report``: the calibration page, built and published like the scenario reports::

    HISTORY.csv [fitted.yaml] [OTHER.csv] ─read, checked─▶ History ─report_data (fit, curves, checks)─▶
        <out>/calibration-<history>/results/{calibration.json, fitted.yaml}
        ─papermill (notebooks/calibration.ipynb, results_dir=…)─▶ nbconvert (no code) ─▶ calibration.html
        ─▶ manifest.json (kind "calibration", with its headline) ─▶ <out>/index.html

Everything the scenario pipeline guarantees holds here, through the same pieces
(:mod:`~simlib.report.notebooks`, :mod:`~simlib.report.export`, :func:`simlib.core.atomic.publishing`,
:mod:`~simlib.report.index_page`, the pipeline's per-build kernel directory): bad input stops the
build before anything is computed, a failing cell writes no page, and the directory's results,
page and manifest are published together or not at all.

A payment history has no scenario, so the page's language is an option (``language``: en, fr or
es, default English) and its money the history's (``currency``, default the language's usual one:
US dollars, euros, Chilean pesos); the saved numbers are the same in every language.
"""
from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path

from simlib.core.atomic import clean_dead_temporaries, publishing
from simlib.core.language import DEFAULT_LANGUAGE, _, page_speech, speaking
from simlib.calibration.history import load_mapping, read_history
from simlib.calibration.report_data import FittedModel, ReportOptions, calibration_report_data, save_report_data
from simlib.core.paths import child_dir
from simlib.report.calibration_blocks import headline
from simlib.report.export import notebook_to_html
from simlib.report.index_page import write_index, write_manifest
from simlib.report.navigation import page_links
from simlib.report.notebooks import check_parameters, execute_notebook, notebook_parameters
from simlib.report.pages import page as registered_page
from simlib.report.pipeline import _kernel_files
from simlib.report.publish import atomic_write_text

NOTEBOOK = "calibration"
PAGE = f"{NOTEBOOK}.html"
PAGE_TITLE = registered_page(NOTEBOOK).title
KIND = "calibration"


def report_directory(out_dir: str | Path, history_path: str | Path) -> Path:
    """``<out>/calibration-<history file's stem>`` (slugged; always directly inside ``out_dir``)."""
    return child_dir(out_dir, f"calibration-{Path(history_path).stem}")


def _notebook_params(history_file: str, results_dir: str, speech=None, notebook: Path | None = None) -> dict:
    """The notebook's parameters; the page's language and money to a notebook that declares them
    (the package's does; a notebook of one's own from before languages need not)."""
    params = {"history_file": history_file, "results_dir": results_dir}
    if speech is not None and notebook is not None and "language" in notebook_parameters(notebook):
        params.update(language=speech.language, currency=speech.currency)
    return params


def build_calibration_report(history_path: str | Path, out_dir: str | Path = "reports", *,
                             fitted_path: str | Path | None = None, check_path: str | Path | None = None,
                             mapping_path: str | Path | None = None, extraction_date: str | None = None,
                             options: ReportOptions = ReportOptions(), notebook_dir: str | Path | None = None,
                             language: str | None = None, currency: str | None = None, log=print) -> list[Path]:
    """Build the calibration page of ``history_path`` into ``out_dir``; return [page, index].

    Fits the history unless ``fitted_path`` (a fitted.yaml) is given; ``check_path`` adds
    ``simlib calibrate check``'s numbers on a second history; ``options.cross_validate`` adds the
    customer-level hold-out. ``language`` and ``currency``: the page's (default English, and the
    language's usual money). Input problems raise the calibration package's one-line errors
    (``HistoryError``, ``FittedFileError``; ValueError for an unknown language or currency) before
    anything runs; a failing cell raises :class:`~simlib.report.errors.ReportError`.
    """
    speech = page_speech(language, currency)
    out_dir = Path(out_dir).resolve()
    nb = registered_page(NOTEBOOK).path(notebook_dir)
    check_parameters(nb, _notebook_params("x", "x"))
    mapping = load_mapping(mapping_path) if mapping_path else None
    history = read_history(history_path, mapping, extraction_date)
    model = FittedModel.from_file(fitted_path) if fitted_path else None
    other = read_history(check_path, mapping) if check_path else None
    target = report_directory(out_dir, history_path)

    t0 = time.perf_counter()
    log(f"{history_path}: {history.n_invoices} invoices; "
        f"{'fitting, ' if model is None else ''}computing curves and checks…")
    data, model = calibration_report_data(history, model, other, options)
    log(f"{history_path}: numbers in {time.perf_counter() - t0:.1f} s; rendering the notebook…")
    clean_dead_temporaries(out_dir)
    with _kernel_files() as scratch, publishing(target) as stage:
        results = stage / "results"
        save_report_data(data, results, model)
        failed = out_dir / f"{target.name}.{NOTEBOOK}.failed.ipynb"
        with scratch():
            executed = execute_notebook(nb, _notebook_params(str(Path(history_path).resolve()), str(results),
                                                             speech, nb),
                                        cwd=nb.parent, failed_copy=failed)
        with speaking(speech.language, speech.currency):
            title = _(PAGE_TITLE)
            page = notebook_to_html(executed, f"{title} — {history.source}", nav=page_links([(PAGE, title)], PAGE))
            atomic_write_text(stage / PAGE, page)
            if failed.exists():
                failed.unlink()
            write_manifest(stage, {
                "kind": KIND, "scenario_name": _("Calibration {file}").format(file=history.source),
                "scenario_label": _("Payment model calibration: {file}").format(file=history.source),
                "description": _("Does the payment model look like this hospital? Its fit to a payment history, "
                                 "and its predictions of invoices the fit did not see."),
                "data_file": history.source, "headline": headline(data),
                "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "seed": options.seed, "reports": [{"file": PAGE, "title": title}],
                # the index lists the calibration in its language (absent: English)
                **({"language": speech.language} if speech.language != DEFAULT_LANGUAGE else {}),
            })
    index = write_index(out_dir)
    log(f"  {target / PAGE} ({time.perf_counter() - t0:.1f} s)")
    log(f"index: {index}")
    return [target / PAGE, index]
