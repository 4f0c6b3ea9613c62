"""Board reports: run the Monte Carlo once per scenario, execute the notebooks, export code-free HTML.

Pipeline (:func:`build_reports`, called by ``simlib report FILE…``)::

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

The second half of the module holds the presentation helpers the notebooks call
(:func:`executive_summary`, :func:`metric_table`, …): notebooks hold no model logic.
"""
from __future__ import annotations

import ast
import copy
import datetime as _dt
import html
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
DEFAULT_NOTEBOOKS: tuple[str, ...] = ("strategy_comparison", "factoring_offers", "sensitivity")
KERNEL_NAME = "python3"
MANIFEST = "manifest.json"

NOTEBOOK_TITLES = {
    "strategy_comparison": "Collection strategy comparison",
    "factoring_offers": "Factoring offers",
    "sensitivity": "Sensitivity of the recommendation",
}


class ReportError(Exception):
    """A report could not be built; ``str(err)`` says which file, notebook or cell and why."""


# =========================================================================== small utilities
def esc(value: Any) -> str:
    """HTML-escape any value (quotes included) for text and attribute positions."""
    return html.escape(str(value), quote=True)


def slug(text: str) -> str:
    """A file-system-safe directory name: letters, digits, ``.``, ``_`` and ``-``."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return s or "scenario"


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temp file in the same directory and ``os.replace``.

    A reader (or an interrupted run) sees either the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _replace_dir(new: Path, target: Path) -> None:
    """Swap a freshly written directory into place (rename old aside, rename new in, delete old)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# =========================================================================== notebook parameters
def _load_notebook(path: Path):
    import nbformat

    if not path.exists():
        raise ReportError(f"notebook {path} not found")
    return nbformat.read(str(path), as_version=4)


def notebook_parameters(notebook: str | Path) -> dict[str, Any]:
    """The names and literal defaults of the notebook's cell tagged ``parameters``.

    Every statement there must be ``name = <literal>`` so papermill can override it and
    JupyterLab runs the same defaults.
    """
    path = Path(notebook)
    nb = _load_notebook(path)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ReportError(f"notebook {path.name}: expected exactly one cell tagged 'parameters', "
                          f"found {len(cells)}")
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise ReportError(f"notebook {path.name}: parameters cell is not valid Python: {exc}") from None
    params: dict[str, Any] = {}
    for node in tree.body:
        if not (isinstance(node, (ast.Assign, ast.AnnAssign))):
            raise ReportError(f"notebook {path.name}: parameters cell line {node.lineno}: "
                              "only 'name = literal' assignments are allowed")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
            raise ReportError(f"notebook {path.name}: parameters cell line {node.lineno}: "
                              "only 'name = literal' assignments are allowed")
        try:
            params[targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ReportError(f"notebook {path.name}: parameter {targets[0].id!r} must have a plain "
                              "literal default (number, string, True/False/None)") from None
    return params


def check_parameters(notebook: str | Path, parameters: Mapping[str, Any]) -> None:
    """Raise :class:`ReportError` if ``parameters`` names anything the notebook does not declare."""
    declared = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            f"notebook {Path(notebook).name}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"it accepts {', '.join(map(repr, sorted(declared)))}")


# =========================================================================== execution
def execute_notebook(notebook: str | Path, parameters: Mapping[str, Any], *, cwd: str | Path | None = None,
                     failed_copy: str | Path | None = None, start_timeout: int = 120):
    """Execute ``notebook`` with papermill into a temp file and return the executed NotebookNode.

    The parameter names are checked first. On a cell error raise :class:`ReportError` naming the
    notebook, the failing cell (index in the executed notebook and execution count) and the
    exception; the failed notebook is kept at ``failed_copy`` (if given) for inspection.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook).resolve()
    check_parameters(notebook, parameters)
    cwd = Path(cwd).resolve() if cwd is not None else notebook.parent
    with tempfile.TemporaryDirectory(prefix="simlib-nb-") as tmp:
        out = Path(tmp) / notebook.name
        try:
            pm.execute_notebook(str(notebook), str(out), parameters=dict(parameters),
                                kernel_name=KERNEL_NAME, cwd=str(cwd), progress_bar=False,
                                log_output=False, start_timeout=start_timeout)
        except PapermillExecutionError as exc:
            where = ""
            if failed_copy is not None and out.exists():
                Path(failed_copy).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(out, failed_copy)
                where = f" (executed notebook kept at {failed_copy})"
            first_line = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
            raise ReportError(
                f"notebook {notebook.name} failed in cell {exc.cell_index} "
                f"(execution count {exc.exec_count}, starting {first_line.strip()!r}): "
                f"{exc.ename}: {exc.evalue}{where}") from None
        except Exception as exc:  # kernel did not start, notebook unreadable, …
            raise ReportError(f"notebook {notebook.name} could not be executed: "
                              f"{type(exc).__name__}: {exc}") from exc
        return nbformat.read(str(out), as_version=4)


# =========================================================================== HTML export
PAGE_CSS = """
:root { color-scheme: light; }
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #1a1a1a; background: #fff;
       max-width: 72rem; margin: 2rem auto; padding: 0 1.25rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: .2rem 0 .6rem; } h2 { font-size: 1.3rem; margin-top: 2rem;
     border-bottom: 1px solid #ccc; padding-bottom: .2rem; } h3 { font-size: 1.1rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #bbb; padding: .25rem .55rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; } td.num { text-align: right; white-space: nowrap; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: .3rem; }
figure { margin: 1rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; } figcaption { font-size: .88rem; color: #444; }
.summary { background: #f4f8fb; border-left: 4px solid #2b6cb0; padding: .6rem 1rem; margin: 1rem 0; }
.headline { font-size: 1.15rem; font-weight: bold; }
.note { color: #444; font-size: .9rem; } .footer { color: #555; font-size: .82rem; margin-top: 2rem; }
a.anchor-link { display: none; } .jp-OutputPrompt, .jp-InputPrompt, .prompt { display: none; }
pre { white-space: pre-wrap; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; break-after: avoid; }
               table, figure { page-break-inside: avoid; break-inside: avoid; } a { color: inherit; } }
"""

# Only inline styles and data: images may load: nothing can leave the machine from a report.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def html_page(title: str, body: str, *, extra_head: str = "") -> str:
    """A complete, self-contained HTML page around ``body`` (``title`` is escaped here)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"simlib.report\">\n"
        f"<title>{esc(title)}</title>\n<style>{PAGE_CSS}</style>\n{extra_head}</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n")


_EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data|action|background|formaction|xlink:href)\s*=\s*["']?\s*"""
    r"""(?:https?:|ftp:|//))|(?:url\(\s*["']?\s*(?:https?:|//))|(?:@import)""", re.IGNORECASE)


def external_loads(text: str) -> list[str]:
    """Every place in ``text`` that would make a browser load or link something off the machine."""
    problems = [m.group(0) for m in _EXTERNAL.finditer(text)]
    problems += [m.group(0)[:60] for m in re.finditer(r"<script\b[^>]*>", text, re.IGNORECASE)]
    return problems


def _strip_noise(nb) -> None:
    """Drop stderr streams (warnings) and empty outputs: a board reads results, not logs."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.get("outputs", [])
                        if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def notebook_to_html(nb, title: str) -> str:
    """Export an executed notebook to a self-contained page without any input (code) cell."""
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)  # the caller keeps its outputs
    _strip_noise(nb)
    # 'basic' renders cells only: no require.js, MathJax or mermaid <script> from a CDN as the
    # 'lab' and 'classic' templates emit; html_page adds the document shell and print CSS.
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_raw=True)
    body, _ = exporter.from_notebook_node(nb)
    page = html_page(title, body)
    bad = external_loads(page)
    if bad:
        raise ReportError(f"report {title!r} would load external resources: {bad[:5]}")
    return page


# =========================================================================== index page
def write_manifest(scenario_dir: Path, data: Mapping[str, Any]) -> Path:
    return atomic_write_text(scenario_dir / MANIFEST, json.dumps(dict(data), indent=2, sort_keys=True))


def read_manifests(out_dir: str | Path) -> list[dict[str, Any]]:
    """Manifests of every scenario report under ``out_dir``, sorted by scenario name."""
    found = []
    for path in sorted(Path(out_dir).glob(f"*/{MANIFEST}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        data["directory"] = path.parent.name
        found.append(data)
    return sorted(found, key=lambda d: (str(d.get("scenario_name", "")).lower(), d["directory"]))


def index_html(manifests: Sequence[Mapping[str, Any]], title: str = "Collection strategy reports") -> str:
    """The ``index.html`` page: one section per scenario, its headline, date and report links."""
    from urllib.parse import quote

    parts = [f"<h1>{esc(title)}</h1>",
             "<p class=\"note\">Monte Carlo simulation of hospital bill-collection strategies. "
             "Each scenario links its reports; the headline is the recommendation of the "
             "strategy comparison.</p>"]
    if not manifests:
        parts.append("<p>No reports have been built yet.</p>")
    for m in manifests:
        name = m.get("scenario_name") or m["directory"]
        parts.append("<section class=\"scenario\">")
        parts.append(f"<h2>{esc(name)}</h2>")
        if m.get("description"):
            parts.append(f"<p class=\"note\">{esc(m['description'])}</p>")
        if m.get("headline"):
            parts.append(f"<p class=\"headline\">{esc(m['headline'])}</p>")
        meta = []
        if m.get("created"):
            meta.append(f"built {esc(_format_date(m['created']))}")
        if m.get("replications"):
            meta.append(f"{esc(m['replications'])} replications")
        if m.get("parameter_file"):
            meta.append(f"parameters: {esc(m['parameter_file'])}")
        if meta:
            parts.append(f"<p class=\"note\">{' · '.join(meta)}</p>")
        parts.append("<ul>")
        for rep in m.get("reports", []):
            href = quote(f"{m['directory']}/{rep['file']}")
            parts.append(f"<li><a href=\"{esc(href)}\">{esc(rep.get('title', rep['file']))}</a></li>")
        parts.append("</ul></section>")
    return html_page(title, "\n".join(parts))


def write_index(out_dir: str | Path) -> Path:
    """(Re)write ``<out_dir>/index.html`` from every scenario manifest found there."""
    out_dir = Path(out_dir)
    return atomic_write_text(out_dir / "index.html", index_html(read_manifests(out_dir)))


def _format_date(iso: str) -> str:
    try:
        return _dt.datetime.fromisoformat(str(iso)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)


# =========================================================================== the pipeline
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
                  log=print) -> list[Path]:
    """Build the HTML reports of every parameter file; return the pages written (index last).

    Each file is validated first (all of them, before anything runs); then per scenario the
    experiment runs once, its results are saved to ``<out>/<scenario>/results/`` and every
    notebook reads them from there. Raises :class:`ReportError` with a clear message on any
    invalid file, unknown notebook parameter or failing cell; nothing is exported from a
    failed notebook. ``scheduler`` (a Dask address) and ``precision`` (sequential stopping on
    the key metric's relative CI half-width) pass through to :func:`simlib.experiment.run_experiment`.
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
            title = f"{NOTEBOOK_TITLES.get(nb.stem, nb.stem.replace('_', ' ').capitalize())} — {scenario.name}"
            page = notebook_to_html(executed, title)
            target = atomic_write_text(scen_dir / f"{nb.stem}.html", page)
            stale = scen_dir / f"{nb.stem}.failed.ipynb"
            if stale.exists():
                stale.unlink()
            written.append(target)
            reports.append({"file": target.name, "title": NOTEBOOK_TITLES.get(nb.stem, nb.stem)})
            log(f"  {target} ({time.perf_counter() - t1:.1f} s)")
        prov = dict(getattr(res, "provenance", {}) or {})
        write_manifest(scen_dir, {
            "scenario_name": scenario.name, "description": scenario.description,
            "parameter_file": str(path), "headline": headline(res),
            "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "replications": prov.get("replications"), "seed": prov.get("seed"),
            "parameter_hash": prov.get("parameter_hash"), "reports": reports,
        })
    written.append(write_index(out_dir))
    log(f"index: {written[-1]}")
    return written


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


def headline(res) -> str:
    """The one-sentence recommendation used as the index headline and the summary's first line."""
    return recommendation_sentence(res)


# =========================================================================== presentation helpers
# The notebooks call these; each returns an ``IPython.display.HTML`` (its ``.data`` is the
# markup), built from escaped strings only.

def _html(markup: str):
    from IPython.display import HTML

    return HTML(markup)


def load_results(scenario_file: str = "", results_dir: str = "", replications: int = 4,
                 seed: int | None = None, workers: int | None = None):
    """The notebooks' entry point: saved results when ``results_dir`` is set (the pipeline
    computes them once per scenario), otherwise a small fresh experiment on ``scenario_file``
    (JupyterLab defaults)."""
    if results_dir:
        from simlib.experiment import Results

        path = Path(results_dir)
        if not path.is_dir():
            raise ReportError(f"results directory {path} not found")
        return Results.load(path)
    if not scenario_file:
        raise ReportError("set scenario_file (a parameter file) or results_dir (saved results)")
    from simlib.experiment import run_experiment
    from simlib.params import load_scenario

    return run_experiment(load_scenario(scenario_file), replications=replications, seed=seed,
                          workers=workers, progress=False)


def _unit_of(metric: str) -> str:
    from simlib.catalogue import METRICS

    if metric in METRICS:
        return METRICS[metric].unit
    if metric.endswith("_usd"):
        return "usd"
    if metric.endswith(("_days", "_day")):
        return "days"
    if metric.endswith(("_rate", "_share", "_apr", "_ratio")):
        return "share"
    if metric.endswith("_hours"):
        return "hours"
    return "count"


def _label_of(metric: str) -> str:
    from simlib.catalogue import METRICS

    if metric in METRICS:
        return METRICS[metric].label
    text = metric
    for suffix, unit in (("_usd", ""), ("_apr", " (APR)")):
        if text.endswith(suffix):
            text = text[: -len(suffix)] + unit
    return text.replace("_", " ").strip().capitalize()


def _strategies(res) -> list[str]:
    """Strategies in the scenario's order (baseline first)."""
    present = list(dict.fromkeys(res.metrics["strategy"]))
    order = [s for s in getattr(res.scenario, "strategies", {}) if s in present] or present
    order += [s for s in present if s not in order]
    base = res.baseline
    return [base] + [s for s in order if s != base] if base in order else order


def recommendation(res) -> dict:
    """:func:`simlib.analysis.recommend` on the key metric against the results' baseline."""
    from simlib.analysis import recommend
    from simlib.catalogue import KEY_METRIC

    return recommend(res.metrics, res.baseline, KEY_METRIC)


def _replications(res) -> int:
    return int(res.metrics["replication"].nunique())


def recommendation_sentence(res) -> str:
    """One plain sentence: what to adopt, by how much it beats the status quo, how sure we are."""
    from simlib.analysis import format_value
    from simlib.catalogue import KEY_METRIC, METRICS

    rec = recommendation(res)
    info = METRICS[KEY_METRIC]
    n = _replications(res)
    k = len(_strategies(res))
    p = f"{rec['probability_best'] * 100:.0f} %"
    if rec["strategy"] == rec["baseline"]:
        return (f"Keep the status quo, “{rec['baseline']}”: none of the {k - 1} alternative "
                f"strateg{'y' if k == 2 else 'ies'} raised the {_label_lower(info.label)} on average; it "
                f"was the best strategy in {p} of {n} simulated runs.")
    unit = info.unit
    verb = "raises" if rec["gain"] >= 0 else "lowers"
    sentence = (f"Adopt “{rec['strategy']}”: it {verb} the {_label_lower(info.label)} by "
                f"{format_value(abs(rec['gain']), unit)} (95 % CI {format_value(rec['ci_low'], unit)} to "
                f"{format_value(rec['ci_high'], unit)}) compared with the status quo, "
                f"“{rec['baseline']}”, and was the best of {k} strategies in {p} of {n} simulated runs.")
    if not rec["significant"]:
        sentence += (" The interval includes zero, so this gain is not yet distinguishable "
                     "from chance at this number of runs.")
    return sentence


def _label_lower(label: str) -> str:
    """Lower-case a label's first word for use mid-sentence, keeping acronyms (NPV, A/R)."""
    first, _, rest = label.partition(" ")
    if len(first) > 1 and first[1:2].isupper():
        return label
    return first.lower() + (" " + rest if rest else "")


def _signed(value: float, unit: str) -> str:
    """``format_value`` with an explicit ``+`` on gains."""
    from simlib.analysis import format_value

    text = format_value(value, unit)
    return f"+{text}" if value > 0 and text != "n/a" else text


def title_block(res, report_title: str):
    """``<h1>`` with the report and scenario names, and the scenario description."""
    scen = res.scenario
    prov = getattr(res, "provenance", {}) or {}
    parts = [f"<h1>{esc(report_title)}: {esc(scen.name)}</h1>"]
    if scen.description:
        parts.append(f"<p>{esc(scen.description)}</p>")
    sim = scen.simulation
    what = []
    if sim.encounters_per_day > 0:
        what.append(f"{sim.encounters_per_day:g} new patient encounters a day for "
                    f"{sim.billing_window_days:g} days")
    if sim.open_book_accounts > 0:
        what.append(f"an open book of {sim.open_book_accounts:,} receivables")
    when = _format_date(prov["created"]) if prov.get("created") else ""
    parts.append(
        f"<p class=\"note\">Simulated: {esc(' and '.join(what))}, followed to day "
        f"{sim.horizon_days:g}; {_replications(res)} Monte Carlo runs per strategy"
        f"{', computed ' + esc(when) if when else ''}.</p>")
    return _html("\n".join(parts))


_SUMMARY_METRICS = ("net_collection_rate", "cash_collected_usd", "days_in_ar", "ar_over_90_share",
                    "cost_to_collect", "bad_debt_rate", "cash_trough_usd", "contacts_per_account",
                    "calls_per_account", "disputes_per_account", "agency_share")


def executive_summary(res):
    """The summary box: the recommendation sentence, then what changes for the recommended
    strategy (or the best alternative) against the status quo, in words with CIs."""
    from simlib.analysis import format_value, paired_differences, summarize
    from simlib.catalogue import METRICS

    rec = recommendation(res)
    chosen = rec["strategy"]
    if chosen == rec["baseline"] and len(_strategies(res)) > 1:
        from simlib.sensitivity import choose_strategy

        chosen = choose_strategy(res.metrics, rec["baseline"])  # the best alternative
    parts = ["<div class=\"summary\">", "<h2>Executive summary</h2>",
             f"<p class=\"headline\">{esc(recommendation_sentence(res))}</p>"]
    if chosen != rec["baseline"]:
        present = [m for m in _SUMMARY_METRICS if m in set(res.metrics["metric"])]
        rows = res.metrics[res.metrics["metric"].isin(present)]
        means = summarize(rows).set_index(["strategy", "metric"])["mean"]
        diffs = paired_differences(rows, rec["baseline"]).set_index(["strategy", "metric"])
        items = []
        for m in present:
            info = METRICS[m]
            if (chosen, m) not in diffs.index:
                continue
            d = diffs.loc[(chosen, m)]
            verdict = ""
            if info.higher_is_better is not None and (d["ci_low"] > 0 or d["ci_high"] < 0):
                better = (d["mean_diff"] > 0) == info.higher_is_better
                verdict = " — better" if better else " — worse"
            elif d["ci_low"] <= 0 <= d["ci_high"]:
                verdict = " — no clear difference"
            items.append(
                f"<li><strong>{esc(info.label)}</strong>: "
                f"{esc(format_value(means[(rec['baseline'], m)], info.unit))} → "
                f"{esc(format_value(means[(chosen, m)], info.unit))} "
                f"({esc(_signed(d['mean_diff'], info.unit))}, 95 % CI "
                f"{esc(format_value(d['ci_low'], info.unit))} to "
                f"{esc(format_value(d['ci_high'], info.unit))}){esc(verdict)}</li>")
        if items:
            parts.append(f"<p>What changes with “{esc(chosen)}” compared with the status quo "
                         f"“{esc(rec['baseline'])}” (status quo → {esc(chosen)}, paired "
                         "difference):</p>")
            parts.append("<ul>" + "".join(items) + "</ul>")
    parts.append("<p class=\"note\">“Best” means the highest net present value of collections "
                 "net of collection costs, at the hospital's cost of capital. Every strategy is "
                 "run on the same simulated patients (common random numbers), so differences are "
                 "paired run by run. CI: 95 % confidence interval over the Monte Carlo runs.</p>")
    parts.append("</div>")
    return _html("\n".join(parts))


def metric_table(res, metrics: Sequence[str] | None = None, caption: str = "", group: str | None = None):
    """Strategies as columns, metrics as rows: mean with its 95 % CI underneath."""
    from simlib.analysis import format_value, summarize
    from simlib.catalogue import METRICS

    present = list(dict.fromkeys(res.metrics["metric"]))
    if metrics is None:
        metrics = [m for m in METRICS if m in present and (group is None or METRICS[m].group == group)]
    metrics = [m for m in metrics if m in present]
    if not metrics:
        return _html(f"<p class=\"note\">No {esc(caption.lower() or 'metrics')} in these results.</p>")
    strategies = _strategies(res)
    summ = summarize(res.metrics[res.metrics["metric"].isin(metrics)]).set_index(["strategy", "metric"])
    head = "".join(f"<th scope=\"col\">{esc(s)}{' (status quo)' if s == res.baseline else ''}</th>"
                   for s in strategies)
    rows = []
    for m in metrics:
        unit = _unit_of(m)
        cells = []
        for s in strategies:
            if (s, m) not in summ.index:
                cells.append("<td class=\"num\">n/a</td>")
                continue
            r = summ.loc[(s, m)]
            ci = ""
            if r["n"] >= 2 and pd_notna(r["ci_low"]):
                ci = (f"<br><span class=\"note\">{esc(format_value(r['ci_low'], unit))} to "
                      f"{esc(format_value(r['ci_high'], unit))}</span>")
            cells.append(f"<td class=\"num\">{esc(format_value(r['mean'], unit))}{ci}</td>")
        desc = METRICS[m].description if m in METRICS else ""
        direction = ""
        if m in METRICS and METRICS[m].higher_is_better is not None:
            direction = " ↑ higher is better" if METRICS[m].higher_is_better else " ↓ lower is better"
        rows.append(f"<tr><th scope=\"row\" title=\"{esc(desc)}\">{esc(_label_of(m))}"
                    f"<br><span class=\"note\">{esc(direction.strip())}</span></th>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return _html(f"<table>{cap}<thead><tr><th scope=\"col\">Metric</th>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>"
                 "<p class=\"note\">Mean over the Monte Carlo runs; underneath, its 95 % "
                 "confidence interval.</p>")


def pd_notna(x) -> bool:
    import math

    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def difference_table(res, metrics: Sequence[str], caption: str = ""):
    """Paired differences of each strategy minus the status quo, with CIs, one row per metric."""
    from simlib.analysis import format_value, paired_differences

    present = set(res.metrics["metric"])
    metrics = [m for m in metrics if m in present]
    others = [s for s in _strategies(res) if s != res.baseline]
    if not metrics or not others:
        return _html("<p class=\"note\">No alternative strategy to compare.</p>")
    diffs = paired_differences(res.metrics[res.metrics["metric"].isin(metrics)], res.baseline)
    diffs = diffs.set_index(["strategy", "metric"])
    head = "".join(f"<th scope=\"col\">{esc(s)} − {esc(res.baseline)}</th>" for s in others)
    rows = []
    for m in metrics:
        unit = _unit_of(m)
        cells = []
        for s in others:
            if (s, m) in diffs.index:
                d = diffs.loc[(s, m)]
                ci = ""
                if pd_notna(d["ci_low"]):
                    ci = (f"<br><span class=\"note\">{esc(format_value(d['ci_low'], unit))} to "
                          f"{esc(format_value(d['ci_high'], unit))}</span>")
                cells.append(f"<td class=\"num\">{esc(_signed(d['mean_diff'], unit))}{ci}</td>")
            else:
                cells.append("<td class=\"num\">n/a</td>")
        rows.append(f"<tr><th scope=\"row\">{esc(_label_of(m))}</th>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return _html(f"<table>{cap}<thead><tr><th scope=\"col\">Metric</th>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>"
                 "<p class=\"note\">Mean paired difference over the runs; underneath, its 95 % "
                 "confidence interval.</p>")


def figure_block(fig, caption: str = ""):
    """A figure as an embedded PNG (alt text from the plot) with a caption; the figure is closed."""
    from simlib.plots import figure_to_html

    img = figure_to_html(fig)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return _html(f"<figure>{img}{cap}</figure>")


def cash_and_ar_charts(res):
    """Cash position and open A/R over time, and the A/R aging mix."""
    from simlib import plots

    blocks = [
        figure_block(plots.cash_curve(res.curves),
                     "Cash position of the hospital by day: mean over runs (line) and the 5th–95th "
                     "percentile range (band). Cash is starting cash less the cost of care plus net collections.").data,
        figure_block(plots.ar_curve(res.curves),
                     "Open accounts receivable by day: money billed but not yet collected, "
                     "adjusted or written off.").data,
        figure_block(plots.aging_bars(res.aging),
                     "Open A/R by age from the date of service at the measurement day; older "
                     "balances are less likely to be collected.").data,
    ]
    return _html("\n".join(blocks))


def difference_chart(res, metric: str | None = None):
    """Dot-and-interval chart of each strategy's paired gain over the status quo on ``metric``."""
    from simlib import plots
    from simlib.analysis import paired_differences
    from simlib.catalogue import KEY_METRIC

    metric = metric or KEY_METRIC
    rows = res.metrics[res.metrics["metric"] == metric]
    if rows["strategy"].nunique() < 2:
        return _html("<p class=\"note\">Only one strategy: nothing to compare.</p>")
    diffs = paired_differences(rows, res.baseline)
    return figure_block(plots.paired_difference_chart(diffs, metric, res.baseline),
                        "Difference from the status quo, run by run on the same patients, with "
                        "its 95 % confidence interval; an interval clear of the vertical line is "
                        "a difference beyond chance.")


# ---------------------------------------------------------------- assumptions & reproducibility
def _humanise(name: str) -> str:
    text = name
    for suffix, repl in (("_usd", " ($)"), ("_per_day", " per day"), ("_days", " (days)"),
                         ("_annual", " (annual)"), ("_hours", " (hours)")):
        if text.endswith(suffix):
            text = text[: -len(suffix)] + repl
    return text.replace("_", " ").strip().capitalize()


def _short_name(name: str) -> str:
    """A field name in words without its unit suffix (the formatted value carries the unit)."""
    for suffix in ("_usd", "_days", "_rate", "_per_day", "_hours"):
        if name.endswith(suffix) and name != suffix.lstrip("_"):
            name = name[: -len(suffix)] + (" (days)" if suffix == "_days" else " rate" if suffix == "_rate"
                                          else " per day" if suffix == "_per_day" else "")
            break
    return name.replace("_", " ").strip()


def _fmt_param(name: str, value: Any) -> str:
    from simlib.analysis import format_value

    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        if name.endswith(("_rate", "_share", "_annual")) or name in {"share", "rate", "patient_share", "reach",
                                                                     "compliance_rate"}:
            return format_value(float(value), "share")
        if name.endswith("_usd"):
            return f"${value:,.2f}" if abs(value) < 100 and value != int(value) else format_value(float(value), "usd")
        return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt_param(name, v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_short_name(k)} {_fmt_param(k, v)}" for k, v in value.items()
                         if v is not None) or "—"
    return str(value)


def _kv_table(caption: str, model) -> str:
    rows = []
    for name, value in model.model_dump().items():
        if isinstance(value, dict):
            continue
        rows.append(f"<tr><th scope=\"row\">{esc(_humanise(name))}</th>"
                    f"<td class=\"num\">{esc(_fmt_param(name, value))}</td></tr>")
    return f"<table><caption>{esc(caption)}</caption><tbody>{''.join(rows)}</tbody></table>"


def _wide_table(caption: str, models: Mapping[str, Any], first: str) -> str:
    dumps = {k: m.model_dump() for k, m in models.items()}
    fields = list(dict.fromkeys(f for d in dumps.values() for f in d))
    head = "".join(f"<th scope=\"col\">{esc(_humanise(f))}</th>" for f in fields)
    rows = []
    for key, d in dumps.items():
        cells = "".join(f"<td class=\"num\">{esc(_fmt_param(f, d.get(f)))}</td>" for f in fields)
        rows.append(f"<tr><th scope=\"row\">{esc(key)}</th>{cells}</tr>")
    return (f"<table><caption>{esc(caption)}</caption><thead><tr><th scope=\"col\">{esc(first)}</th>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def strategy_summary(strategy) -> str:
    """The levers of one strategy in a line of plain words (plain text: escape before use)."""
    s = strategy
    parts = [f"statement by {s.statement_channel}", f"due in {s.credit_terms_days:g} days"]
    if s.ladder:
        steps = []
        for step in s.ladder:
            t = step.target
            extra = []
            if t.score_min > 0 or t.score_max < 1:
                extra.append(f"score {t.score_min:g}–{t.score_max:g}")
            if t.balance_max_usd is not None:
                extra.append(f"balance ${t.balance_min_usd:,.0f}–${t.balance_max_usd:,.0f}")
            elif t.balance_min_usd > 0:
                extra.append(f"balance ≥ ${t.balance_min_usd:,.0f}")
            if t.payers:
                extra.append("payers " + ", ".join(t.payers))
            rel = "" if step.relative_to == "statement" else " after due date"
            steps.append(f"day {step.day:g}{rel} {step.channel}" + (f" ({'; '.join(extra)})" if extra else ""))
        parts.append("reminders: " + ", ".join(steps))
    if s.phone_team:
        pt = s.phone_team
        parts.append(f"phone team of {pt.agents} agent{'s' if pt.agents != 1 else ''} "
                     f"{pt.hours[0]:g}–{pt.hours[1]:g} h")
    lim = s.contact_limits
    limits = []
    if lim.calls_per_7_days_max is not None:
        limits.append(f"at most {lim.calls_per_7_days_max} calls")
    if lim.messages_per_7_days_max is not None:
        limits.append(f"at most {lim.messages_per_7_days_max} messages")
    if limits:
        parts.append(" and ".join(limits) + " per 7 days")
    if lim.quiet_hours:
        parts.append(f"no contact {lim.quiet_hours[0]:g}–{lim.quiet_hours[1]:g} h")
    if s.prompt_pay_discount:
        d = s.prompt_pay_discount
        parts.append(f"{d.rate * 100:g} % prompt-pay discount within {d.window_days:g} days")
    if s.deposit:
        parts.append(f"deposit of {s.deposit.share * 100:g} % at service "
                     f"({s.deposit.compliance_rate * 100:g} % compliance)")
    if s.price_estimate:
        parts.append("price estimate / portal")
    wo = s.write_off
    parts.append(f"write-off after {wo.after_days:g} days" +
                 (f" or below ${wo.below_balance_usd:,.2f}" if wo.below_balance_usd > 0 else ""))
    if getattr(s, "factoring", None) is not None:
        parts.append("factoring: " + _factoring_terms(s))
    known = {"factoring", "description", "baseline", "credit_terms_days", "statement_channel", "ladder", "phone_team",
             "contact_limits", "prompt_pay_discount", "deposit", "price_estimate", "write_off"}
    for name, value in s.model_dump(exclude_defaults=True).items():
        if name not in known and value not in (None, [], {}):
            parts.append(f"{_humanise(name).lower()}: {_fmt_param(name, value)}")
    return "; ".join(parts)


def strategies_table(res):
    """The strategies compared: name, description and levers in words."""
    rows = []
    for name, strat in res.scenario.strategies.items():
        tag = " (status quo)" if name == res.baseline else ""
        rows.append(f"<tr><th scope=\"row\">{esc(name)}{esc(tag)}</th><td>{esc(strat.description)}</td>"
                    f"<td>{esc(strategy_summary(strat))}</td></tr>")
    return _html("<table><caption>Strategies compared</caption><thead><tr><th scope=\"col\">Strategy</th>"
                 "<th scope=\"col\">Description</th><th scope=\"col\">Levers</th></tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>")


def assumptions(res):
    """Every resolved parameter of the scenario, grouped, generated from the parameters themselves."""
    scen = res.scenario
    parts = [
        _kv_table("Simulation", scen.simulation),
        _kv_table("Finance", scen.finance),
        _wide_table("Payers", scen.payers, "Payer"),
        _kv_table("Patients (latent traits)", scen.patients),
        _kv_table("Payment behaviour (intensities per day)", scen.behaviour),
        _wide_table("Contact channels", scen.channels, "Channel"),
        _kv_table("Operations", scen.operations),
        _kv_table("Denials team", scen.operations.denials_team),
        _kv_table("Billing team (disputes)", scen.operations.billing_team),
    ]
    return _html("\n".join(parts))


def reproducibility_footer(res):
    """Seed, replications, parameter hash, simlib and package versions, date: enough to rerun."""
    prov = dict(getattr(res, "provenance", {}) or {})
    versions = prov.get("versions") or {}
    items = [
        ("Scenario", prov.get("scenario_name", res.scenario.name)),
        ("Master seed", prov.get("seed")),
        ("Replications", prov.get("replications", _replications(res))),
        ("Parameter hash", prov.get("parameter_hash", res.scenario.parameter_hash())),
        ("simlib version", prov.get("simlib_version")),
        ("Computed", _format_date(prov["created"]) if prov.get("created") else None),
        ("Workers", prov.get("workers")),
        ("Packages", ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or None),
    ]
    body = " · ".join(f"{esc(k)}: {esc(v)}" for k, v in items if v not in (None, ""))
    if prov.get("precision_target"):
        body += (f"</p><p>Replications were added in batches until the 95 % confidence half-width of "
                 f"the NPV of net collections was under {prov['precision_target']:.1%} of its mean "
                 f"for every strategy (or the cap was reached): {esc(prov.get('replications'))} "
                 f"replications were needed.")
    return _html(f"<div class=\"footer\"><h2>Reproducibility</h2><p>{body}</p>"
                 "<p>Rerun with <code>simlib report</code> on the same parameter file with the same "
                 "seed and number of replications to get identical numbers (independent of the "
                 "number of workers).</p></div>")


# ---------------------------------------------------------------- factoring & sensitivity
FACTORING_PREFIX = "factoring_"


def factoring_metrics(res) -> list[str]:
    return [m for m in dict.fromkeys(res.metrics["metric"]) if str(m).startswith(FACTORING_PREFIX)]


def factoring_strategies(res) -> list[str]:
    """Strategies that sold anything to a factor (a factoring metric non-zero in some run)."""
    fact = factoring_metrics(res)
    if not fact:
        return []
    rows = res.metrics[res.metrics["metric"].isin(fact)]
    active = rows[rows["value"].fillna(0) != 0]["strategy"].unique()
    return [s for s in _strategies(res) if s in set(active)]


def factoring_section(res):
    """Factoring offers against no factoring: their own metrics plus cash trough and NPV."""
    offers = factoring_strategies(res)
    if not offers:
        return _html("<h2>No factoring offers in this scenario</h2>"
                     "<p>None of the strategies in this scenario sells receivables to a factor, "
                     "so there is nothing to compare here. Add a strategy with a factoring offer to "
                     "the parameter file to see cash now against cash lost, the effective annual "
                     "cost (APR), the lowest cash position, NPV and buy-back exposure.</p>")
    shown = [s for s in _strategies(res) if s == res.baseline or s in offers]
    sub = _Subset(res, shown)
    metrics = factoring_metrics(res) + [m for m in ("cash_trough_usd", "npv_net_cash_usd", "cash_collected_usd")
                                        if m in set(res.metrics["metric"])]
    terms = "".join(f"<li><strong>{esc(s)}</strong>: {esc(_factoring_terms(res.scenario.strategies[s]))}</li>"
                    for s in offers if s in res.scenario.strategies)
    listing = f"<p>The offers:</p><ul>{terms}</ul>" if terms else ""
    listing += _factoring_findings(res, offers)
    parts = [
        "<h2>Factoring offers compared</h2>",
        f"<p>{len(offers)} factoring offer{'s' if len(offers) != 1 else ''} against the status quo "
        f"“{esc(res.baseline)}”. Factoring brings cash forward (a higher lowest cash position) at a "
        "price (fees, charge-backs, buy-backs). The highest advance is not always the cheapest "
        "money: compare the effective annual cost with the liquidity it buys.</p>",
        listing,
        metric_table(sub, metrics, "Factoring offers: key figures").data,
        difference_table(sub, ["cash_trough_usd", "npv_net_cash_usd", "cash_collected_usd",
                               "factoring_fees_usd", "factoring_buybacks_usd", "factoring_chargebacks_usd"],
                         "Difference from the status quo (paired, 95 % CI)").data,
    ]
    return _html("\n".join(parts))


def _factoring_findings(res, offers: Sequence[str]) -> str:
    """Per offer, in words: the liquidity bought (cash trough) against its price (NPV, APR)."""
    from simlib.analysis import format_value, paired_differences, summarize

    wanted = {"cash_trough_usd", "npv_net_cash_usd", "factoring_apr"}
    rows = res.metrics[res.metrics["metric"].isin(wanted) & res.metrics["strategy"].isin([res.baseline, *offers])]
    if rows.empty:
        return ""
    diffs = paired_differences(rows[rows["metric"] != "factoring_apr"], res.baseline).set_index(["strategy", "metric"])
    means = summarize(rows).set_index(["strategy", "metric"])["mean"]
    items = []
    for s in offers:
        bits = []
        for m, what in (("cash_trough_usd", "lowest cash position"), ("npv_net_cash_usd", "NPV")):
            if (s, m) in diffs.index:
                d = diffs.loc[(s, m)]
                bits.append(f"{what} {_signed(d['mean_diff'], 'usd')} (95 % CI "
                            f"{format_value(d['ci_low'], 'usd')} to {format_value(d['ci_high'], 'usd')})")
        if (s, "factoring_apr") in means.index and pd_notna(means[(s, "factoring_apr")]):
            bits.append(f"effective annual cost {format_value(means[(s, 'factoring_apr')], 'share')}")
        if bits:
            items.append(f"<li><strong>{esc(s)}</strong>: {esc('; '.join(bits))}</li>")
    if not items:
        return ""
    return (f"<p>Against the status quo “{esc(res.baseline)}” (paired differences):</p>"
            f"<ul>{''.join(items)}</ul>")


class _Subset:
    """The same results restricted to some strategies (for tables that compare a few)."""

    def __init__(self, res, strategies: Sequence[str]):
        self.scenario, self.baseline = res.scenario, res.baseline
        self.provenance = getattr(res, "provenance", {})
        keep = set(strategies)
        self.metrics = res.metrics[res.metrics["strategy"].isin(keep)]
        self.curves = res.curves[res.curves["strategy"].isin(keep)] if hasattr(res, "curves") else None
        self.aging = res.aging[res.aging["strategy"].isin(keep)] if hasattr(res, "aging") else None


def _factoring_terms(strategy) -> str:
    offer = getattr(strategy, "factoring", None)
    if offer is None:
        return "no factoring"
    parts = [f"{offer.scope} receivables", f"{offer.advance_rate * 100:g} % advance on "
             + ("face" if offer.advance_base == "face" else "expected collectable value")]
    fee = offer.fee.model_dump()
    schedule = fee.pop("schedule", "")
    parts.append(f"{schedule} fee (" + ", ".join(f"{_humanise(k).lower()} {_fmt_param(k, v)}"
                                                  for k, v in fee.items() if v is not None) + ")")
    parts.append(f"recourse at {offer.recourse_days:g} days" if offer.recourse_days else "non-recourse")
    if offer.termination:
        parts.append(f"stops at day {offer.termination.stop_day:g} ({offer.termination.settle.replace('_', '-')})")
    return ", ".join(parts)


def sensitivity_section(table):
    """Text and table for a :func:`simlib.sensitivity.sweep` result (the tornado is separate)."""
    if table is None:
        return _html("")
    from simlib.analysis import format_value
    from simlib.catalogue import KEY_METRIC, METRICS

    metric = table.attrs.get("metric", KEY_METRIC)
    info = METRICS[metric]
    strategy, baseline = table.attrs.get("strategy", "?"), table.attrs.get("baseline", "?")
    base = float(table["base_value"].iloc[0]) if len(table) else float("nan")
    flips = []
    for r in table.itertuples():
        for lab, val in ((r.low_label, r.low_value), (r.high_label, r.high_value)):
            if (val > 0) != (base > 0):
                flips.append(f"{r.parameter} at {lab}")
    intro = (f"<p>The gain of “{esc(strategy)}” over the status quo “{esc(baseline)}” on "
             f"{esc(_label_lower(info.label))} is {esc(format_value(base, info.unit))} with the scenario's "
             "assumptions. Each uncertain assumption below was moved to a low and a high setting, "
             "one at a time, on the same simulated patients.</p>")
    if table.empty:
        verdict = ""
    elif flips:
        verdict = ("<p class=\"headline\">The sign of the gain flips when: "
                   f"{esc('; '.join(flips))}. The recommendation hinges on these assumptions.</p>")
    else:
        top = table.iloc[0]
        verdict = (f"<p class=\"headline\">The gain keeps its sign at every setting tested; it "
                   f"depends most on {esc(top['parameter'].lower())}.</p>")
    rows = "".join(
        f"<tr><th scope=\"row\">{esc(r.parameter)}</th><td class=\"num\">{esc(r.low_label)}: "
        f"{esc(format_value(r.low_value, info.unit))}</td><td class=\"num\">{esc(r.high_label)}: "
        f"{esc(format_value(r.high_value, info.unit))}</td><td class=\"num\">"
        f"{esc(format_value(abs(r.high_value - r.low_value), info.unit))}</td></tr>"
        for r in table.itertuples())
    tbl = ("<table><caption>Gain at each setting</caption><thead><tr><th scope=\"col\">Assumption</th>"
           "<th scope=\"col\">Low setting</th><th scope=\"col\">High setting</th>"
           "<th scope=\"col\">Swing</th></tr></thead>"
           f"<tbody>{rows}</tbody></table>")
    note = (f"<p class=\"note\">{esc(table.attrs.get('replications', '?'))} runs per setting (the base "
            "case too, so its gain may differ slightly from the strategy comparison's estimate), seed "
            f"{esc(table.attrs.get('seed', '?'))}; “×0.5” multiplies the scenario's value(s) by 0.5; "
            "“all channels” and “all payers” move every channel's or payer's value together.</p>")
    return _html(intro + verdict + tbl + note)


DIFFERENCE_METRICS = ("npv_net_cash_usd", "cash_collected_usd", "net_collection_rate", "days_in_ar",
                      "collection_cost_usd", "bad_debt_rate", "cash_trough_usd")


def factoring_charts(res):
    """Cash position over time (what factoring buys), shown only when there are factoring offers."""
    offers = factoring_strategies(res)
    if not offers:
        return _html("")
    from simlib import plots

    sub = _Subset(res, [res.baseline] + offers)
    return figure_block(plots.cash_curve(sub.curves),
                        "Cash position by day per strategy: factoring lifts early cash; fees and "
                        "buy-backs lower it later.")


def run_sensitivity(res, replications: int = 2, seed: int | None = None, factors=None,
                    workers: int | None = None):
    """:func:`simlib.sensitivity.sweep` for the strategy the results recommend (or the best
    alternative to the status quo), with the results' seed unless ``seed`` is given."""
    from simlib import sensitivity

    if len(_strategies(res)) < 2:
        return None
    strategy = sensitivity.choose_strategy(res.metrics, res.baseline)
    prov = getattr(res, "provenance", {}) or {}
    seed = seed if seed is not None else prov.get("seed")
    return sensitivity.sweep(res.scenario, factors or sensitivity.DEFAULT_FACTORS,
                             replications=replications, seed=seed, strategy=strategy,
                             baseline=res.baseline, workers=workers or res.scenario.simulation.workers)


def tornado_block(table):
    """The tornado chart of a sensitivity table (or a note when there is nothing to sweep)."""
    if table is None or len(table) == 0:
        return _html("<p>This scenario has a single strategy: there is no gain to test.</p>")
    from simlib import plots

    return figure_block(plots.tornado(table, table.attrs.get("metric") or "npv_net_cash_usd"),
                        "Gain over the status quo with each assumption at its low and high "
                        "setting; the vertical line is the gain with the scenario's values.")
