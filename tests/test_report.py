"""Board-report pipeline: parameter checks, failing cells, atomic writes, code-free HTML, index.

The end-to-end tests build the real reports of a tiny scenario (a few encounters a day, three
replications) once per module: ~20 s, most of it kernel start-up.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from simlib import report

from simlib.core import atomic
from simlib.run import result_cache
from simlib.report.labels import label_of
from simlib.report import ReportError

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "parameters" / "baseline.yaml"
NOTEBOOKS = ("board_summary", "strategy_comparison", "factoring_offers", "sensitivity")
NASTY_NAME = 'Tiny <b>bold</b> & "co"'


def tiny_yaml(path: Path, name: str = NASTY_NAME, **simulation) -> Path:
    """A copy of the shipped baseline scenario, shrunk to run in well under a second."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["name"] = name
    data.pop("label", None)  # the name is what these tests print (and escape)
    data["simulation"].update({"encounters_per_day": 3, "billing_window_days": 60, "horizon_days": 240,
                               "measurement_day": 120, "ar_window_days": 60, "replications": 3,
                               "workers": 1, **simulation})
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_notebook(path: Path, *sources: str, params: str = "scenario_file = ''\nresults_dir = ''\n") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


# --------------------------------------------------------------------------- notebook parameters
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shipped_notebooks_declare_literal_parameters(name):
    params = report.notebook_parameters(ROOT / "notebooks" / f"{name}.ipynb")
    assert {"scenario_file", "results_dir", "replications", "seed"} <= set(params)
    assert params["results_dir"] == ""
    assert params["scenario_file"] == "../parameters/baseline.yaml"
    nb = nbformat.read(str(ROOT / "notebooks" / f"{name}.ipynb"), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # notebooks present; the computation lives in simlib: no function or class definitions
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class|for|while)\b", code, re.MULTILINE)


def test_unknown_notebook_parameter_is_an_error():
    nb = ROOT / "notebooks" / "strategy_comparison.ipynb"
    report.check_parameters(nb, {"scenario_file": "x", "results_dir": "y"})
    with pytest.raises(ReportError, match=r"strategy_comparison\.ipynb: unknown parameter\(s\) 'replicatoins'"):
        report.check_parameters(nb, {"replicatoins": 3})


def test_parameters_cell_must_hold_plain_literals(tmp_path):
    nb = write_notebook(tmp_path / "bad.ipynb", params="import os\nx = os.getcwd()\n")
    with pytest.raises(ReportError, match="only 'name = literal'"):
        report.notebook_parameters(nb)
    nb = write_notebook(tmp_path / "bad2.ipynb", params="x = len('abc')\n")
    with pytest.raises(ReportError, match="plain literal default"):
        report.notebook_parameters(nb)


def test_missing_parameters_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, str(tmp_path / "none.ipynb"))
    with pytest.raises(ReportError, match="exactly one cell tagged 'parameters'"):
        report.notebook_parameters(tmp_path / "none.ipynb")


# --------------------------------------------------------------------------- execution errors
def test_failing_cell_is_named_and_kept(tmp_path):
    nb = write_notebook(tmp_path / "boom.ipynb", "x = 1", "y = x / 0  # the broken cell", "z = 3")
    kept = tmp_path / "boom.failed.ipynb"
    with pytest.raises(ReportError) as err:
        report.execute_notebook(nb, {"results_dir": "r"}, cwd=tmp_path, failed_copy=kept)
    msg = str(err.value)
    assert "boom.ipynb" in msg
    assert "cell 3" in msg  # parameters, injected parameters, x = 1, then the failing cell
    assert "ZeroDivisionError" in msg and "y = x / 0" in msg
    assert kept.exists()


def test_notebook_runs_in_the_given_working_directory(tmp_path):
    (tmp_path / "marker.txt").write_text("here")
    nb = write_notebook(tmp_path / "cwd.ipynb", "print(open('marker.txt').read())")
    other = tmp_path / "elsewhere"
    other.mkdir()
    nb2 = other / "cwd.ipynb"
    nb.rename(nb2)
    executed = report.execute_notebook(nb2, {}, cwd=tmp_path)
    assert "here" in executed.cells[-1].outputs[0]["text"]


# --------------------------------------------------------------------------- atomic writes
def test_atomic_write_leaves_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    report.atomic_write_text(target, "old report")

    def broken_replace(src, dst):
        raise KeyboardInterrupt  # the run is interrupted just before the swap

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        report.atomic_write_text(target, "new report")
    monkeypatch.undo()
    assert target.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temp file left behind
    report.atomic_write_text(target, "new report")
    assert target.read_text() == "new report"


# --------------------------------------------------------------------------- HTML safety
def test_external_loads_are_detected():
    bad = ['<img src="https://x.org/a.png">', "<link rel=stylesheet href='http://cdn/x.css'>",
           '<script src="//cdn.example/require.js"></script>', "<style>a{background:url(https://x)}</style>",
           "<style>@import 'x.css';</style>", "<script>alert(1)</script>", '<a href="https://x.org">x</a>']
    for text in bad:
        assert report.external_loads(text), text
    ok = '<img src="data:image/png;base64,AAAA" alt="a"><a href="other/report.html">r</a><a href="#s">s</a>'
    assert report.external_loads(ok) == []


def test_notebook_with_external_resource_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("![logo](https://example.org/logo.png)")]
    with pytest.raises(ReportError, match="external resources"):
        report.notebook_to_html(nb, "t")


def test_export_drops_code_and_stderr():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("secret_code_marker = 1\nprint('shown')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="shown\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="DeprecationWarning: noise\n")]
    nb.cells = [cell]
    page = report.notebook_to_html(nb, "A <title>")
    assert "secret_code_marker" not in page and "noise" not in page and "shown" in page
    assert "<title>A &lt;title&gt;</title>" in page
    assert "Content-Security-Policy" in page


# --------------------------------------------------------------------------- index
def test_index_escapes_and_links(tmp_path):
    for d, name in (("a", "<b>Bold</b> hospital"), ("b", "Plain & simple")):
        report.write_manifest(tmp_path / d, {
            "scenario_name": name, "headline": "Adopt “<i>x</i>”: it raises NPV",
            "created": "2026-01-02T03:04:05+00:00",
            "reports": [{"file": "strategy_comparison.html", "title": "Collection strategy comparison"},
                        {"file": "sensitivity.html", "title": "Sensitivity"}]})
    page = report.write_index(tmp_path).read_text()
    assert "&lt;b&gt;Bold&lt;/b&gt; hospital" in page and "<b>Bold</b>" not in page
    assert "&lt;i&gt;x&lt;/i&gt;" in page and "Plain &amp; simple" in page
    assert "2026-01-02 03:04" in page
    for d in ("a", "b"):
        for f in ("strategy_comparison.html", "sensitivity.html"):
            assert f'href="{d}/{f}"' in page
    assert report.external_loads(page) == []


# --------------------------------------------------------------------------- pipeline errors
def test_broken_parameter_file_fails_clearly_without_html(tmp_path):
    bad = tiny_yaml(tmp_path / "bad.yaml")
    text = bad.read_text().replace("initial_denial_rate: 0.15", "initial_denial_rate: 1.5")
    bad.write_text(text.replace("encounters_per_day: 3", "encounters_per_dya: 3"))
    out = tmp_path / "out"
    with pytest.raises(ReportError) as err:
        report.build_reports([bad], out_dir=out)
    msg = str(err.value)
    assert "bad.yaml" in msg and "no report was built" in msg
    assert "simulation.encounters_per_dya: unknown field" in msg
    assert "payers.commercial.initial_denial_rate" in msg
    assert not list(out.rglob("*.html")) if out.exists() else True


def test_missing_parameter_file(tmp_path):
    with pytest.raises(ReportError, match="nope.yaml: file not found"):
        report.build_reports([tmp_path / "nope.yaml"], out_dir=tmp_path / "out")


def test_notebook_without_declared_parameter_fails_before_running(tmp_path):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    write_notebook(nbdir / "old.ipynb", "x = 1", params="scenario_file = ''\n")
    with pytest.raises(ReportError, match=r"old\.ipynb: unknown parameter\(s\) 'results_dir'"):
        report.build_reports([tiny_yaml(tmp_path / "t.yaml")], out_dir=tmp_path / "out",
                             pages=["old"], notebook_dir=nbdir)
    assert not (tmp_path / "out").exists()


def test_failing_notebook_writes_no_html_and_keeps_old_report(tmp_path):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    write_notebook(nbdir / "fragile.ipynb", "from simlib.run.experiment import Results",
                   "res = Results.load(results_dir)", "raise ValueError('chart data missing')")
    out = tmp_path / "out"
    old = report.atomic_write_text(out / "t" / "fragile.html", "previous good report")
    with pytest.raises(ReportError) as err:
        report.build_reports([tiny_yaml(tmp_path / "t.yaml")], out_dir=out, pages=["fragile"],
                             notebook_dir=nbdir, log=lambda *a: None)
    msg = str(err.value)
    assert "fragile.ipynb failed in cell 4" in msg and "ValueError: chart data missing" in msg
    assert old.read_text() == "previous good report"
    assert not (out / "index.html").exists()
    # all or nothing: the new results are not published beside the old page (issue 14) …
    assert sorted(p.name for p in (out / "t").iterdir()) == ["fragile.html"]
    # … the failed notebook is kept beside the scenario directories, and no staging is left
    assert f"executed notebook kept at {out / 't.fragile.failed.ipynb'}" in msg
    assert sorted(p.name for p in out.iterdir()) == ["t", "t.fragile.failed.ipynb"]


# --------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_result_cache):
    tmp = tmp_path_factory.mktemp("reports")
    param = tiny_yaml(tmp / "tiny.yaml")
    out = tmp / "out"
    with pytest.MonkeyPatch.context() as mp:  # the browser tests build this scenario's runs too
        mp.setenv(result_cache.ENV, str(shared_result_cache))
        pages = report.build_reports([param], out_dir=out, log=lambda *a: None)
    return out, pages


def test_pipeline_writes_every_report_and_the_index(built):
    out, pages = built
    names = sorted(p.relative_to(out).as_posix() for p in pages)
    assert names == sorted([f"tiny/{n}.html" for n in NOTEBOOKS] + ["index.html"])
    assert (out / "tiny" / "results" / "provenance.json").exists()
    assert not list(out.rglob("*.failed.ipynb")) and not list(out.rglob(".*.tmp"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_html_is_code_free_and_self_contained(built, name):
    out, _ = built
    page = (out / "tiny" / f"{name}.html").read_text(encoding="utf-8")
    assert "<pre" not in page  # no code listings
    for marker in ("jp-InputArea", "input_area", "In&nbsp;[", "report.load_results", "from simlib import",
                   "scenario_file =", "Traceback"):
        assert marker not in page, marker
    assert report.external_loads(page) == []
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower()
    assert "Content-Security-Policy" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    for img in re.findall(r"<img\b[^>]*>", page):
        assert 'src="data:image/png;base64,' in img and re.search(r'alt="[^"]{20,}"', img)


def test_strategy_comparison_content(built):
    out, _ = built
    page = (out / "tiny" / "strategy_comparison.html").read_text(encoding="utf-8")
    for text in ("Executive summary", "95 % CI", "simulated runs", "Financial results",
                 "Cash position over time", "Reading the cash curve", "Patient experience", "Operations",
                 "Strategies compared", "Limitations and risks", "EMTALA", "anti-assignment", "Glossary",
                 "Appendix: the assumptions in plain words", "Reproducibility", "Master seed: 20261123",
                 "Parameter hash", "Status quo: letters <span class=\"tag\">status quo</span>"):
        assert text in page, text
    assert re.search(r"(Adopt|Keep the status quo)", page)
    assert len(re.findall(r"<img\b", page)) >= 4
    # the sections come in this order: the assumptions are an appendix, not in the middle
    order = [page.index(f">{t}<") for t in ("Executive summary", "Key performance indicators",
                                            "Limitations and risks", "Glossary",
                                            "Appendix: the assumptions in plain words", "Reproducibility")]
    assert order == sorted(order)
    # the JupyterLab-only "how to explore" cell is not in the board's page
    assert "How to explore this notebook" not in page


def test_board_summary_page_says_the_decision_in_one_sentence(built):
    """The page's answer is the one the results' decision gives (computed once, not ranked again)."""
    from simlib.run.experiment import Results

    out, _ = built
    page = (out / "tiny" / "board_summary.html").read_text(encoding="utf-8")
    res = Results.load(out / "tiny" / "results")
    assert f'<p class="headline answer">{report.esc(report.answer_sentence(res))}</p>' in page
    assert len(re.findall(r"<img\b", page)) == 1 and page.count("<li><strong>") == 3
    assert "How to explore this notebook" not in page


def _headlines(page: str) -> list[str]:
    found = re.findall(r"<(h[1-3])\b[^>]*>(.*?)</\1>", page, re.DOTALL)
    found += [("p", t) for t in re.findall(r'<p class="headline[^"]*">(.*?)</p>', page, re.DOTALL)]
    return [re.sub(r"<[^>]+>", "", t) for _, t in found]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_headlines_name_strategies_by_label_never_by_id(built, name):
    out, _ = built
    page = (out / "tiny" / f"{name}.html").read_text(encoding="utf-8")
    heads = _headlines(page)
    assert heads
    for text in heads:
        assert not re.search(r"\b[a-z]+_[a-z0-9_]+\b", text), text


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pages_link_the_index_their_siblings_and_their_sections(built, name):
    out, _ = built
    page = (out / "tiny" / f"{name}.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert "../index.html" in hrefs
    assert {f"{n}.html" for n in NOTEBOOKS if n != name} <= set(hrefs)
    for href in hrefs:
        if href.startswith("#"):
            assert f'id="{href[1:]}"' in page, href  # every contents entry has its section
        else:
            assert (out / "tiny" / href).resolve().exists(), href
    assert ('class="toc"' in page) == (name != "board_summary")  # one printed page needs no contents


def test_factoring_report_shows_the_baseline_offer(built):
    """The shipped baseline factors its insurer claims in one strategy: that offer is compared."""
    out, _ = built
    page = (out / "tiny" / "factoring_offers.html").read_text(encoding="utf-8")
    assert "Status quo with insurer claims factored" in page and "No factoring offers" not in page
    assert "effective annual cost" in page and "How to read the factoring offers" in page


def test_factoring_section_without_offers(fake):
    assert "No factoring offers in this scenario" in report.factoring_section(fake).data


def test_sensitivity_report(built):
    out, _ = built
    page = (out / "tiny" / "sensitivity.html").read_text(encoding="utf-8")
    assert "Sensitivity of the" in page and "Gain at each setting" in page
    assert "Cost of capital" in page


def test_index_links_every_report_and_escapes_names(built):
    out, _ = built
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Tiny &lt;b&gt;bold&lt;/b&gt; &amp; &quot;co&quot;" in page
    assert "<b>bold</b>" not in page
    links = re.findall(r'href="([^"]+)"', page)
    assert sorted(links) == sorted(f"tiny/{n}.html" for n in NOTEBOOKS)
    for link in links:
        assert (out / link).exists()
    assert re.search(r"(Adopt|Keep the status quo)", page)
    assert re.search(r"built \d{4}-\d\d-\d\d \d\d:\d\d", page)
    # the parameter file by name only: no machine path on a board's page
    assert "parameters: tiny.yaml" in page and str(out.parent) not in page


def test_second_scenario_keeps_first_in_index(built, tmp_path):
    out, _ = built
    param = tiny_yaml(tmp_path / "second.yaml", name="Second hospital", replications=2)
    report.build_reports([param], out_dir=out, pages=["factoring_offers"], log=lambda *a: None)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Second hospital" in page and "Tiny &lt;b&gt;" in page
    assert 'href="second/factoring_offers.html"' in page


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_run_standalone_as_in_jupyterlab(tmp_path, name):
    """With results_dir empty the notebook prepares its result folder by the pipeline's own step (a
    small experiment and the page's tables; JupyterLab defaults), then loads it."""
    param = tiny_yaml(tmp_path / "t.yaml")
    nb = report.execute_notebook(ROOT / "notebooks" / f"{name}.ipynb",
                                 {"scenario_file": str(param), "replications": 2},
                                 cwd=ROOT / "notebooks")
    html_outputs = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
                    for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    # the one-page board summary has no appendix: its heading shows it rendered
    expected = "Board summary" if name == "board_summary" else "Reproducibility"
    assert any(expected in h for h in html_outputs), expected
    # no warning printed in the notebook (e.g. tqdm's "IProgress not found" without ipywidgets)
    streams = [o.get("text", "") for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert streams == [], streams


# --------------------------------------------------------------------------- presentation helpers
class FakeResults:
    """Results-shaped object with hand-made metrics (no simulation)."""

    def __init__(self, scenario, metrics):
        self.scenario, self.metrics = scenario, metrics
        self.provenance = {"seed": 7, "replications": 4, "created": "2026-01-01T00:00:00+00:00"}

    @property
    def baseline(self):
        return self.scenario.baseline_strategy


@pytest.fixture
def fake(tmp_path):
    from simlib.scenario.schema import load_scenario

    scen = load_scenario(tiny_yaml(tmp_path / "t.yaml"))
    rows = []
    for rep in range(4):
        for i, s in enumerate(scen.strategies):
            rows += [(rep, s, "npv_net_cash", 1000.0 + 100 * i + rep),
                     (rep, s, "cash_trough", -500.0 + 10 * i),
                     (rep, s, "days_in_ar", 50.0 - i + 0.1 * rep)]
    return FakeResults(scen, pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"]))


def test_recommendation_sentence_from_numbers(fake):
    from simlib.scenario.materiality import NO_THRESHOLD

    fake.scenario = fake.scenario.model_copy(update={"decision": NO_THRESHOLD})  # $100 steps are material
    text = report.recommendation_sentence(fake)
    names = list(fake.scenario.strategies)
    best, gain = names[-1], 100 * (len(names) - 1)   # the fake NPV rises by $100 per strategy
    label = label_of(best, fake.scenario.strategies[best])
    second = label_of(names[-2], fake.scenario.strategies[names[-2]])
    assert text.startswith(f"Adopt “{label}”: +${gain} NPV of net collections over 240 days compared "
                           f"with the status quo, “Status quo: letters”; the runner-up, “{second}”, is $100 behind")
    assert "95 % CI" not in text  # the same gain in every run: a zero-width interval is not shown
    assert "100 % of 4 simulated runs" in text
    summary = report.executive_summary(fake).data
    assert "Days in A/R" in summary and "— better" in summary


def test_status_quo_wins(fake):
    m = fake.metrics.copy()
    base = fake.baseline
    m.loc[(m["strategy"] == base) & (m["metric"] == "npv_net_cash"), "value"] += 10_000
    fake.metrics = m
    assert report.recommendation_sentence(fake).startswith(f"Keep the status quo, “{label_of(base, fake.scenario.strategies[base])}”")
    assert "What changes with" in report.executive_summary(fake).data  # the best alternative


def test_factoring_section_with_offers(fake):
    extra = fake.metrics[fake.metrics["metric"] == "npv_net_cash"].assign(
        metric="factoring_fees", value=lambda d: d["value"] / 10)
    fake.metrics = pd.concat([fake.metrics, extra], ignore_index=True)
    html = report.factoring_section(fake).data
    assert "Factoring offers compared" in html and "Factoring fees" in html
    assert "Lowest cash position" in html and "No factoring offers" not in html


def test_helpers_escape_strategy_names(fake):
    from simlib.scenario.schema import Scenario

    data = fake.scenario.model_dump()
    data["strategies"] = {"<script>x</script>" if k == list(data["strategies"])[1] else k: v
                          for k, v in data["strategies"].items()}
    fake.scenario = Scenario.model_validate(data)
    old = list(fake.metrics["strategy"].unique())[1]
    name = list(fake.scenario.strategies)[1]
    fake.metrics = fake.metrics.assign(strategy=fake.metrics["strategy"].replace(old, name))
    for block in (report.strategies_table(fake), report.metric_table(fake, ["npv_net_cash"]),
                  report.difference_table(fake, ["npv_net_cash"]), report.executive_summary(fake)):
        assert "<script>" not in block.data
    assert "&lt;script&gt;" in report.strategies_table(fake).data


def test_assumptions_cover_every_section(fake):
    html = report.assumptions(fake).data
    assert "Appendix: the assumptions in plain words" in html
    for caption in ("Payers", "Patients", "Payment behaviour", "Contact channels", "Denials team", "Billing team"):
        assert f"<caption>{caption}" in html
    assert "cost of capital of 8.0 % a year" in html and "starts with $2.00M in cash" in html
    assert "<th scope=\"col\">Medicare</th>" in html and "Claims denied at first" in html
    assert "<th scope=\"col\">Self-pay</th>" in html and "_" not in re.sub(r"<[^>]+>", "", html)


def test_output_directory_names_are_safe():
    assert report.slug("../../etc/passwd") == "etc-passwd"
    assert report.slug("<b>x</b>") == "b-x-b"
    assert report.slug("") == "scenario"


def test_footer_states_the_replications_a_precision_target_needed():
    from types import SimpleNamespace

    from simlib.report import reproducibility_footer

    res = SimpleNamespace(scenario=SimpleNamespace(name="s", parameter_hash=lambda: "abc"), metrics=pd.DataFrame({"replication": range(36)}),
                          provenance={
        "scenario_name": "s", "seed": 1, "replications": 36, "precision_target": 0.02,
        "parameter_hash": "abc", "created": "2026-11-23T14:00:00+00:00"})
    html = str(getattr(reproducibility_footer(res), "data", reproducibility_footer(res)))
    assert "under 2.0% of its mean" in html and "36 replications were needed" in html
