"""`simlib calibrate report` end to end on small synthetic histories: the page (no code, self-contained,
in the index with its headline beside the scenario reports), its saved numbers, one-line errors on bad
input, and a failing notebook that leaves the previous page in place."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from simlib import report
from simlib.calibration.parameters import PaymentTiming
from simlib.calibration.synthetic import synthetic_history
from simlib.cli import main
from simlib.report.calibration_pipeline import build_calibration_report
from simlib.report.errors import ReportError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "calibration.ipynb"
TRUE = PaymentTiming(planner_share=0.8, planned_day_scale_of_terms=0.9, planned_day_shape=2.6,
                     dispute_delay_days=8.0, paper_delay_days=4.5, initial_per_day=0.08, decay_per_day=0.05,
                     due_date_jump_per_day=0.5, dispute_intensity_factor=0.3, paper_intensity_factor=0.5,
                     balance_elasticity=0.4, balance_ref=60.0)
QUICK = ["--replications", "3", "--bootstrap", "50", "--splits", "3"]


def write_history(path: Path, n: int, seed: int, extraction_day: int | None = 300) -> Path:
    synthetic_history(TRUE, n, seed=seed, window_days=300, extraction_day=extraction_day).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calrep")
    history = write_history(tmp / "St Mary's history.csv", 1200, seed=21)
    other = write_history(tmp / "other.csv", 500, seed=22, extraction_day=None)
    out = tmp / "reports"
    # a scenario's report is already there: the calibration is listed beside it, after it
    report.write_manifest(out / "baseline", {
        "scenario_name": "baseline", "scenario_label": "Community hospital", "headline": "Adopt “SMS”",
        "parameter_file": "baseline.yaml",
        "reports": [{"file": "strategy_comparison.html", "title": "Collection strategy comparison"}]})
    (out / "baseline" / "strategy_comparison.html").write_text("<p>scenario page</p>")
    code = main(["calibrate", "report", str(history), "--check", str(other), "--cross-validate",
                 "--extraction-date", "2012-10-27", "--out", str(out), *QUICK])
    assert code == 0
    return out, history, other


def page_of(out: Path) -> str:
    return (out / "calibration-St-Mary-s-history" / "calibration.html").read_text(encoding="utf-8")


def test_the_page_and_its_numbers_are_published_together(built):
    out, _, _ = built
    folder = out / "calibration-St-Mary-s-history"
    assert sorted(p.name for p in folder.iterdir()) == ["calibration.html", "manifest.json", "results"]
    assert sorted(p.name for p in (folder / "results").iterdir()) == ["calibration.json", "fitted.yaml"]
    data = json.loads((folder / "results" / "calibration.json").read_text())
    assert data["history"]["open"] > 0 and data["history"]["extraction_date"] == "2012-10-27"
    assert data["cross_validation"]["holdout_share"] == 0.3 and len(data["cross_validation"]["splits"]) == 3
    assert data["other"]["history"]["file"] == "other.csv"
    assert not list(out.rglob("*.failed.ipynb")) and not list(out.glob(".*"))


def test_the_page_has_no_code_and_loads_nothing(built):
    page = page_of(built[0])
    assert "<pre" not in page
    for marker in ("jp-InputArea", "input_area", "In&nbsp;[", "calibration_data(", "from simlib", "history_file =",
                   "Traceback", "jupyterlab-only", "How to explore this notebook"):
        assert marker not in page, marker
    assert report.external_loads(page) == [] and "<script" not in page.lower()
    assert "Content-Security-Policy" in page
    assert "St Mary&#x27;s history.csv" in page  # the file's name, escaped


def test_the_page_says_what_the_board_needs(built):
    page = page_of(built[0])
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<img\b[^>]*>", "", page)))
    for heading in ("Observed and fitted days to settle", "Group shifts: who pays later", "The fitted parameters",
                    "Predicting customers the fit did not see", "Check on other.csv", "What the fit cannot tell",
                    "Glossary", "Reproducibility"):
        assert heading in text, heading
    assert text.count("KS distance between the observed and the model's days to settle") == 2
    assert "were still open on the extraction date 2012-10-27" in text
    assert "planner_share" not in text and "dispute_delay_days" not in text
    assert len(re.findall(r"<img\b", page)) == 2
    assert 'href="../index.html"' in page and 'href="#the-fitted-parameters"' in page


def test_the_index_lists_the_calibration_with_its_headline_after_the_scenarios(built):
    out, _, _ = built
    index = (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "calibration-St-Mary-s-history" / "manifest.json").read_text())
    assert manifest["kind"] == "calibration"
    assert manifest["headline"].startswith("The fitted model predicts the days to settle of the invoices in other.csv")
    assert index.index("Community hospital") < index.index("Payment model calibration")
    assert 'href="calibration-St-Mary-s-history/calibration.html"' in index
    assert 'href="baseline/strategy_comparison.html"' in index
    assert "payment history: St Mary&#x27;s history.csv" in index
    assert "The fitted model predicts the days to settle of the invoices in other.csv within KS 0." in index
    assert str(built[1].parent) not in index  # no machine path on a board's page


def test_a_rebuild_replaces_the_page_and_keeps_one_index_entry(built, tmp_path):
    out, history, _ = built
    fitted = out / "calibration-St-Mary-s-history" / "results" / "fitted.yaml"
    copy = tmp_path / "fitted.yaml"
    copy.write_text(fitted.read_text())
    assert main(["calibrate", "report", str(history), "--fitted", str(copy), "--out", str(out), *QUICK]) == 0
    page = page_of(out)
    assert "read from fitted.yaml" in page and "Predicting customers the fit did not see" not in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("Payment model calibration") == 1
    assert "no check on unseen invoices was run" in index


# --------------------------------------------------------------------------- bad input
def _bad_history(tmp_path: Path) -> Path:
    path = write_history(tmp_path / "bad.csv", 60, seed=3)
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "13/45/2012"  # InvoiceDate
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("case, expected", [
    ("missing", "nope.csv: cannot read the history file"),
    ("bad_date", "bad.csv: row 4, column 'InvoiceDate': expected a date in format %m/%d/%Y; found '13/45/2012'"),
    ("bad_other", "bad.csv: row 4, column 'InvoiceDate'"),
    ("bad_fitted", "fitted.yaml: expected a 'behaviour: payment_timing:' block"),
    ("bad_mapping", "map.yaml: field 'amount_column': Extra inputs are not permitted"),
    ("bad_share", "argument --holdout-share: expected a share between 0 and 1 (exclusive); found '1.5'"),
    ("no_out_dir", "--out: cannot create"),
    ("bad_currency", "--currency: expected an ISO 4217 code such as USD, EUR or CLP; found 'EURO'"),
])
def test_bad_input_is_one_line_and_builds_nothing(tmp_path, capsys, case, expected):
    good = write_history(tmp_path / "good.csv", 200, seed=4)
    out = tmp_path / "reports"
    args = {"missing": [str(tmp_path / "nope.csv")],
            "bad_date": [str(_bad_history(tmp_path))],
            "bad_other": [str(good), "--check", str(_bad_history(tmp_path))],
            "bad_fitted": [str(good), "--fitted", str(tmp_path / "fitted.yaml")],
            "bad_mapping": [str(good), "--mapping", str(tmp_path / "map.yaml")],
            "bad_share": [str(good), "--cross-validate", "--holdout-share", "1.5"],
            "no_out_dir": [str(good)],
            "bad_currency": [str(good), "--language", "fr", "--currency", "EURO"]}[case]
    (tmp_path / "fitted.yaml").write_text("behaviour: {}\n")
    (tmp_path / "map.yaml").write_text("amount_column: Amount\n")
    if case == "no_out_dir":
        (tmp_path / "file").write_text("")
        out = tmp_path / "file" / "reports"
    assert main(["calibrate", "report", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("simlib calibrate report: error: ") and expected in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() or not list(out.rglob("*.html"))


def test_a_failing_notebook_writes_no_page_and_keeps_the_previous_one(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("history_file = ''\nresults_dir = ''\n")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("raise ValueError('curve data missing')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "nbs").mkdir()
    nbformat.write(nb, str(tmp_path / "nbs" / "calibration.ipynb"))
    history = write_history(tmp_path / "h.csv", 300, seed=5)
    out = tmp_path / "reports"
    old = report.atomic_write_text(out / "calibration-h" / "calibration.html", "previous good page")
    from simlib.calibration.report_data import ReportOptions
    with pytest.raises(ReportError) as err:
        build_calibration_report(history, out, notebook_dir=tmp_path / "nbs", log=lambda *a: None,
                                 options=ReportOptions(replications=2, bootstrap=20, curve_bootstrap=10))
    assert "calibration.ipynb failed in cell 2" in str(err.value) and "curve data missing" in str(err.value)
    assert old.read_text() == "previous good page"
    assert sorted(p.name for p in (out / "calibration-h").iterdir()) == ["calibration.html"]
    assert not (out / "index.html").exists()
    assert sorted(p.name for p in out.iterdir()) == ["calibration-h", "calibration-h.calibration.failed.ipynb"]


# --------------------------------------------------------------------------- the notebook
def test_the_notebook_declares_literal_parameters_and_only_presents():
    params = report.notebook_parameters(NOTEBOOK)
    assert params["results_dir"] == "" and params["history_file"].endswith("ar_payment_history/invoices.csv")
    assert {"fitted_file", "check_file", "mapping_file", "cross_validate", "seed"} <= set(params)
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class|for|while|import numpy|import pandas)\b", code, re.MULTILINE)


@pytest.mark.slow
def test_the_notebook_runs_standalone_as_in_jupyterlab(tmp_path):
    """With results_dir empty the notebook reads and fits the history itself (JupyterLab defaults)."""
    history = write_history(tmp_path / "h.csv", 500, seed=6)
    nb = report.execute_notebook(NOTEBOOK, {"history_file": str(history)}, cwd=NOTEBOOK.parent)
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert any("Reproducibility" in h for h in html) and any("The fitted parameters" in h for h in html)
    streams = [o.get("text", "") for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert streams == [], streams


# --------------------------------------------------------------------------- languages (issue 23)
@pytest.fixture(scope="module")
def in_other_languages(built):
    """The numbers ``built`` saved, rendered by the notebook in French (the language's euros) and in
    Spanish in US dollars (``language`` and ``currency``: what ``--language``/``--currency`` pass)."""
    from simlib.core.language import speaking

    out, history, _other = built
    results = out / "calibration-St-Mary-s-history" / "results"
    pages = {"en": page_of(out)}
    for lang, currency, speech in (("fr", "", ("fr", "EUR")), ("es", "USD", ("es", "USD"))):
        nb = report.execute_notebook(NOTEBOOK, {"history_file": str(history), "results_dir": str(results),
                                                "language": lang, "currency": currency}, cwd=NOTEBOOK.parent)
        with speaking(*speech):
            pages[lang] = report.notebook_to_html(nb, "calibration")
    return pages


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_no_english_sentence_leaks_into_the_calibration_page(in_other_languages, lang):
    """The leak check of tests/test_languages_browser.py (texts of three words or more of the English
    page absent from the French and Spanish ones), the rerun command (code) aside."""
    from test_languages_browser import sentences, texts

    english = sentences(in_other_languages["en"]) - {"simlib calibrate report"}
    assert len(english) > 50
    leaked = sorted(english & {t for _s, t in texts(in_other_languages[lang])})
    assert leaked == [], f"{len(leaked)} English texts on the {lang} calibration page, e.g. {leaked[:8]}"


def test_the_calibration_page_speaks_the_language_asked(in_other_languages):
    fr, es = in_other_languages["fr"], in_other_languages["es"]
    assert '<html lang="fr">' in fr and "Le modèle de paiement ressemble-t-il à cet hôpital ?" in fr
    assert re.search(r"\d,\d{2}\u00a0€", fr)  # the typical amount in euros, written the French way
    assert "Délai moyen de règlement" in fr and "IC à 95 %" in fr
    assert '<html lang="es">' in es and "Lo que el ajuste no puede decir" in es
    assert re.search(r"US\$\d+,\d{2}", es)  # dollars as Spanish (Chile) writes them


def test_language_option_reaches_the_page_and_the_index(tmp_path):
    """``--language fr``: the page, its manifest entry and the index in French (one small build)."""
    history = write_history(tmp_path / "h.csv", 300, seed=8)
    out = tmp_path / "reports"
    assert main(["calibrate", "report", str(history), "--language", "fr", "--out", str(out),
                 "--replications", "2", "--bootstrap", "20"]) == 0
    page = (out / "calibration-h" / "calibration.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "Rapport de calibrage" in page
    manifest = json.loads((out / "calibration-h" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["language"] == "fr" and manifest["reports"][0]["title"] == "Rapport de calibrage"
    assert manifest["headline"].startswith("Le modèle ajusté reproduit")
    assert "Calibrage du modèle de paiement : h.csv" in (out / "index.html").read_text(encoding="utf-8")
