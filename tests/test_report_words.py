"""The board's words and numbers: display labels, money and percentage points, verdicts that agree
with the numbers shown, tables with strategies as rows, contents and links, limitations and
glossary from the levers in use, the JupyterLab-only cell, quiet kernels and PDF printing."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

from simlib import report
from simlib.report.labels import label_of
from simlib.report import ReportError
from simlib.analysis.numbers import ci_text, diff_text, plus_minus_text, value_text, verdict

from test_report import FakeResults, tiny_yaml, write_notebook

ROOT = Path(__file__).resolve().parent.parent
MINUS = "\N{MINUS SIGN}"


# --------------------------------------------------------------------------- labels
@pytest.mark.parametrize("key, label", [
    ("deposit_short_terms", "Deposit short terms"), ("offer_a_90_face", "Offer A 90 face"),
    ("self_pay", "Self-pay"), ("early_out_agency", "Early-out agency"), ("sms", "SMS"),
    ("npv_net_cash", "NPV net cash"), ("formal_demand", "Formal demand"), ("whatsapp", "WhatsApp"),
    ("Already nice", "Already nice"), ("LETTERS_ONLY", "Letters only"),
])
def test_ids_are_humanised(key, label):
    assert report.humanise_id(key) == label


def test_a_label_in_the_settings_wins_and_labels_stay_unique():
    from simlib.report.labels import label_of, scenario_label, unique_labels

    assert label_of("deposit_short_terms", SimpleNamespace(label="Deposit at booking, net 15")) == \
        "Deposit at booking, net 15"
    assert label_of("deposit_short_terms", SimpleNamespace(label="  ")) == "Deposit short terms"
    assert label_of("deposit_short_terms", SimpleNamespace()) == "Deposit short terms"
    assert scenario_label(SimpleNamespace(name="finance_levers")) == "Finance levers"
    assert scenario_label(SimpleNamespace(name="Tiny <b>bold</b>")) == "Tiny <b>bold</b>"  # free text kept
    assert scenario_label(SimpleNamespace(name="baseline", label="Community hospital")) == "Community hospital"
    clash = unique_labels(["late_fee", "late__fee", "c"])
    assert clash == {"late_fee": "Late fee (late_fee)", "late__fee": "Late fee (late__fee)", "c": "C"}


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("value, unit, text", [
    (1_008_514, "usd", "$1.01M"), (34_187_744, "usd", "$34.2M"), (999_600, "usd", "$1.00M"),
    (999_400, "usd", "$999k"), (12_345, "usd", "$12.3k"), (850, "usd", "$850"), (-1_266_456, "usd", f"{MINUS}$1.27M"),
    (-0.004, "usd", "$0"), (-0.4, "usd", f"{MINUS}$0.40"), (0.902, "share", "90.2 %"), (0.0066, "share", "0.66 %"), (54.56, "days", "54.6 days"),
    (1.273, "count", "1.27"), (float("nan"), "usd", "n/a"),
])
def test_values_as_a_board_reads_them(value, unit, text):
    assert value_text(value, unit) == text


def test_differences_of_rates_are_percentage_points():
    assert diff_text(0.026, "share") == "+2.6 pp"
    assert diff_text(-0.0005, "share") == f"{MINUS}0.05 pp"
    assert diff_text(1_021_807, "usd") == "+$1.02M"
    assert diff_text(-6.3, "days") == f"{MINUS}6.3 days"
    assert diff_text(0.00001, "share") == "0.00 pp"  # no sign on a zero
    assert ci_text(0.024, 0.027, "share", diff=True) == "95 % CI +2.4 to +2.7 pp"
    assert ci_text(982_126, 1_061_488, "usd") == "95 % CI $982k to $1.06M"
    assert plus_minus_text(982_126, 1_061_488, "usd") == "± $39.7k"


def test_zero_width_intervals_are_not_shown():
    assert ci_text(0.0, 0.0, "count", diff=True) == ""
    assert ci_text(500.0, 500.0, "usd") == ""
    assert plus_minus_text(0.0, 0.00001, "share") == ""


def test_verdicts_agree_with_the_numbers_shown():
    # "0.00 → 0.00 (0.00, CI 0.00 to 0.00) — better" must read "no difference"
    assert verdict(0.0001, 0.00005, 0.00015, "count", False) == "no difference"
    assert verdict(0.00002, 0.00001, 0.00003, "share", True) == "no difference"
    assert verdict(0.026, 0.024, 0.027, "share", True) == "better"
    assert verdict(-6.3, -6.7, -5.8, "days", False) == "better"
    assert verdict(-6.3, -6.7, -5.8, "days", True) == "worse"
    assert verdict(5_000, -1_000, 11_000, "usd", True) == "no clear difference"
    assert verdict(0.3, 0.2, 0.4, "count", None) == "higher"
    assert verdict(float("nan"), 0, 0, "usd", True) == ""


# --------------------------------------------------------------------------- tables
@pytest.fixture
def fake(tmp_path):
    from simlib.scenario.schema import load_scenario

    scen = load_scenario(tiny_yaml(tmp_path / "t.yaml"))
    rows = []
    for rep in range(4):
        for i, s in enumerate(scen.strategies):
            rows += [(rep, s, "npv_net_cash", 1_000_000.0 + 20_000 * i + 1_000 * rep * (i % 2)),
                     (rep, s, "cash_trough", -500_000.0 + 10_000 * i),
                     (rep, s, "days_in_ar", 50.0 - i + 0.1 * rep),
                     (rep, s, "net_collection_rate", 0.90 + 0.004 * i + 0.001 * rep),
                     (rep, s, "bad_debt_rate", 0.08 - 0.002 * i),
                     (rep, s, "cost_to_collect", 0.006 + 0.0001 * i),
                     (rep, s, "ar_over_90_share", 0.25),
                     (rep, s, "days_to_resolution", 50.0),
                     (rep, s, "agency_share", 0.0),
                     (rep, s, "disputes_per_account", 0.04 + 0.00001 * i),
                     (rep, s, "plan_default_rate", float("nan"))]
    return FakeResults(scen, pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"]))


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html, re.DOTALL)


def test_metric_table_has_one_row_per_strategy_and_few_columns(fake):
    html = report.metric_table(fake, group="finance", caption="Financial results").data
    labels = [label_of(s, st) for s, st in fake.scenario.strategies.items()]  # labels from the file
    for table in re.findall(r"<table.*?</table>", html, re.DOTALL):
        body = re.search(r"<tbody>(.*)</tbody>", table, re.DOTALL).group(1)
        heads = re.findall(r'<th scope="row">(.*?)(?:<span|</th>)', body)
        assert [h.strip() for h in heads] == labels  # every strategy, in the scenario's order
        assert table.count('<th scope="col"') <= 1 + report.tables.MAX_COLUMNS
    assert "(1 of 2)" in html  # eight finance metrics do not fit one table
    assert "table-scroll" in html


def test_recommended_row_and_best_values_are_marked(fake):
    html = report.metric_table(fake, ["npv_net_cash", "days_in_ar", "bad_debt_rate"], "t").data
    best = list(fake.scenario.strategies)[-1]  # the fake's NPV rises with each strategy
    rec_rows = [r for r in _rows(html) if 'class="recommended"' in r]
    assert len(rec_rows) == 1 and label_of(best, fake.scenario.strategies[best]) in rec_rows[0] and ">recommended<" in rec_rows[0]
    assert all(r.count('class="num best') == 3 for r in rec_rows)  # best on all three columns
    status_quo = next(r for r in _rows(html) if ">status quo<" in r)
    assert "best" not in status_quo


def test_metrics_zero_or_na_for_every_strategy_are_hidden_and_named(fake):
    html = report.metric_table(fake, group="patients", caption="Patient experience").data
    assert "Disputes per patient account" in html
    head = re.search(r"<thead>.*?</thead>", html, re.DOTALL).group(0)
    assert "Accounts sent to an agency" not in head and "Payment plans defaulted" not in head
    assert re.search(r"Not shown, zero or n/a for every strategy: Accounts sent to an agency, "
                     r"Payment plans defaulted\.", html)
    # a column whose values all read the same has no "best"
    assert 'class="num best"' not in report.metric_table(fake, ["ar_over_90_share"], "x").data


def test_difference_table_uses_pp_and_verdicts_that_match(fake):
    html = report.difference_table(fake, ["net_collection_rate", "bad_debt_rate", "days_to_resolution",
                                          "disputes_per_account"], "d").data
    assert " pp" in html and "%" not in re.sub(r"<p class=\"note\">.*?</p>", "", html)
    assert "Days to resolution" not in re.search(r"<thead>.*?</thead>", html, re.DOTALL).group(0)
    assert "Not shown, no difference from the status quo (or n/a) for any strategy: Days to resolution" in html
    for cell in re.findall(r"<td[^>]*>.*?</td>", html, re.DOTALL):
        text = re.sub(r"<[^>]+>", " ", cell).split()
        if text and re.fullmatch(r"0\.0+", text[0].lstrip("+")):
            assert "better" not in cell and "worse" not in cell, cell
    assert "better" in html  # the fake's collection rate rises with each strategy, without noise


def test_summary_never_calls_a_zero_change_better(fake):
    html = report.executive_summary(fake).data
    for item in re.findall(r"<li>.*?</li>", html, re.DOTALL):
        text = re.sub(r"<[^>]+>", "", item)
        if re.search(r"\(\+?0\.0+ ?(pp|%)?[,)]", text) or re.search(r": (\S+) → \1 ", text):
            assert "— no difference" in text or "no clear" in text, text
    assert "Disputes per patient account</strong>: 0.04 → 0.04 — no difference" in html
    assert "Accounts sent to an agency" not in html  # 0.0 % → 0.0 %: nothing to say
    assert "pp" in html and "$" in html and "_" not in re.sub(r"<[^>]+>", "", html)


# --------------------------------------------------------------------------- navigation
def test_contents_are_built_from_the_page_headings():
    body = ("<h1>T</h1><p>x</p>" + report.markup.TOC_MARKER +
            '<h2 id="Given-id">Given<a class="anchor-link" href="#Given-id">¶</a></h2>'
            "<h2>Limitations &amp; risks</h2><h2>Glossary</h2><h2>Glossary</h2>")
    out = report.with_table_of_contents(body)
    assert out.index('class="toc"') < out.index("<h2")  # at the marker, after the title
    assert '<a href="#Given-id">Given</a>' in out
    assert '<h2 id="limitations-risks">' in out and '<a href="#limitations-risks">Limitations &amp; risks</a>' in out
    assert 'id="glossary"' in out and 'id="glossary-2"' in out
    assert report.markup.TOC_MARKER not in out
    assert 'class="toc"' not in report.with_table_of_contents("<h2>Only one</h2>")


def test_page_links_name_the_current_page_without_linking_it():
    nav = report.page_links([("a.html", "A"), ("b b.html", "B <i>")], "a.html")
    assert '<a href="../index.html">← All reports</a>' in nav
    assert '<span class="here" aria-current="page">A</span>' in nav and 'href="a.html"' not in nav
    assert '<a href="b%20b.html">B &lt;i&gt;</a>' in nav


# --------------------------------------------------------------------------- words for the board
def _results_of(path: Path):
    from simlib.scenario.schema import load_scenario

    scen = load_scenario(path)
    metrics = pd.DataFrame([(r, s, "npv_net_cash", 1.0 * i) for r in range(2)
                            for i, s in enumerate(scen.strategies)],
                           columns=["replication", "strategy", "metric", "value"])
    return FakeResults(scen, metrics)


def test_limitations_follow_the_levers_in_use():
    base = report.limitations_section(_results_of(ROOT / "parameters" / "baseline.yaml")).data
    assert "EMTALA" in base and "“Deposit at service”" in base
    assert "anti-assignment" in base and "1395g(c)" in base and "“Status quo with insurer claims factored”" in base
    assert "Anti-Kickback" in base  # the prompt-pay discount
    assert "501(r)" not in base  # no agency in the baseline
    levers = report.limitations_section(_results_of(ROOT / "parameters" / "finance_levers.yaml")).data
    assert "501(r)" in levers and "120 days" in levers and "Regulation F" in levers
    assert "EMTALA" not in levers and "anti-assignment" not in levers
    assert "What the model leaves out" in base
    assert "no unpaid bills on the books" not in base  # the baseline warms up: a running hospital (issue 20)


def test_glossary_explains_the_terms_the_reports_use():
    base = report.glossary(_results_of(ROOT / "parameters" / "baseline.yaml")).data
    for term in ("NPV (net present value)", "A/R (accounts receivable)", "Days in A/R", "CI (95 % confidence interval)",
                 "Lowest cash position (cash low point)", "pp (percentage points)", "Anti-assignment", "EMTALA"):
        assert f"<dt>{term}</dt>" in base, term
    levers = report.glossary(_results_of(ROOT / "parameters" / "finance_levers.yaml")).data
    assert "Anti-assignment" not in levers and "ECA (extraordinary collection action)" in levers


def test_cash_curve_explanation_names_the_low_point_and_the_turn(fake):
    fake.scenario = fake.scenario.model_copy(update={  # a cold start: the curve below falls from day 0
        "simulation": fake.scenario.simulation.model_copy(update={"warm_up_days": 0.0})})
    days = range(0, 241, 10)
    fake.curves = pd.DataFrame([(r, fake.baseline, d, 2e6 - 1e5 * min(d, 60) + 2e5 * max(0, d - 60) / 10, 0.0)
                                for r in range(2) for d in days],
                               columns=["replication", "strategy", "day", "cash", "open_ar"])
    text = report.cash_curve_explanation(fake).data
    assert "85 % of the allowed amount" in text and "to a low of $-4.00M" not in text
    assert f"a low of {MINUS}$4.00M around day 60" in text
    assert "The turn at day 60: the billing window ends" in text
    assert "no unpaid bills on the books" in text


def test_cash_curve_explanation_of_a_running_hospital_says_its_care_was_paid(fake):
    """With a warm-up the curve is read as a running hospital's: no 'working capital tied up' story."""
    days = range(0, 241, 10)
    fake.curves = pd.DataFrame([(r, fake.baseline, d, 2e6 - 1e3 * min(d, 60), 0.0) for r in range(2) for d in days],
                               columns=["replication", "strategy", "day", "cash", "open_ar"])
    text = report.cash_curve_explanation(fake).data
    assert "already collecting the bills of earlier patients" in text and "working capital" not in text
    assert "a warm-up of 364 days before day 0" in text


# --------------------------------------------------------------------------- notebooks
@pytest.mark.parametrize("name", ["board_summary", "strategy_comparison", "factoring_offers", "sensitivity"])
def test_notebooks_start_with_a_jupyterlab_only_how_to_explore_cell(name):
    nb = nbformat.read(str(ROOT / "notebooks" / f"{name}.ipynb"), as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and report.JUPYTERLAB_ONLY in first.metadata.get("tags", [])
    assert "How to explore this notebook" in first.source and "results_dir" in first.source
    assert "parameters" in nb.cells[1].metadata.get("tags", [])


def test_jupyterlab_only_cells_are_left_out_of_the_html():
    nb = nbformat.v4.new_notebook()
    lab = nbformat.v4.new_markdown_cell("Only for JupyterLab users")
    lab.metadata["tags"] = [report.JUPYTERLAB_ONLY]
    nb.cells = [lab, nbformat.v4.new_markdown_cell("## For the board")]
    page = report.notebook_to_html(nb, "t")
    assert "For the board" in page and "Only for JupyterLab users" not in page


def test_kernel_runs_quietly(tmp_path, capfd):
    nb = write_notebook(tmp_path / "quiet.ipynb", "x = 1")
    report.execute_notebook(nb, {"scenario_file": "", "results_dir": ""})
    err = capfd.readouterr().err
    assert "without encryption" not in err and "KeyboardInterrupt" not in err


# --------------------------------------------------------------------------- PDF
def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_missing_chromium_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("SIMLIB_CHROMIUM", raising=False)
    with pytest.raises(ReportError, match=r"PDF output needs headless Chromium.*apt-get install chromium"):
        report.find_chromium()
    monkeypatch.setenv("SIMLIB_CHROMIUM", str(tmp_path / "nope"))
    with pytest.raises(ReportError, match=r"Chromium not found at .*nope.*SIMLIB_CHROMIUM"):
        report.find_chromium()


def test_build_with_pdf_fails_before_running_without_chromium(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("SIMLIB_CHROMIUM", raising=False)
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="PDF output needs headless Chromium"):
        report.build_reports([tiny_yaml(tmp_path / "t.yaml")], out_dir=out, pdf=True, log=lambda *a: None)
    assert not out.exists()  # nothing ran


def test_failed_print_keeps_the_previous_pdf(tmp_path):
    page = tmp_path / "r.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    old = tmp_path / "r.pdf"
    old.write_bytes(b"%PDF-old")
    broken = _script(tmp_path / "broken-chromium", "echo 'cannot open display' >&2; exit 3")
    with pytest.raises(ReportError, match=r"could not print r\.html to PDF \(exit code 3\): cannot open display"):
        report.print_pdf(page, chromium=str(broken))
    not_pdf = _script(tmp_path / "liar-chromium",
                      'for a in "$@"; do case $a in --print-to-pdf=*) echo hello > "${a#--print-to-pdf=}";; esac; done')
    with pytest.raises(ReportError, match="could not print"):
        report.print_pdf(page, chromium=str(not_pdf))
    assert old.read_bytes() == b"%PDF-old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


def test_print_pdf_passes_the_page_and_moves_the_pdf_into_place(tmp_path):
    page = tmp_path / "r.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    args = tmp_path / "args.txt"
    fake = _script(tmp_path / "fake-chromium",
                   f'echo "$@" > {args}\n'
                   'for a in "$@"; do case $a in --print-to-pdf=*) printf "%%PDF-1.4 fake" > "${a#--print-to-pdf=}";; esac; done')
    out = report.print_pdf(page, tmp_path / "out" / "r.pdf", chromium=str(fake))
    assert out == (tmp_path / "out" / "r.pdf").resolve() and out.read_bytes().startswith(b"%PDF-")
    called = args.read_text()
    assert page.as_uri() in called and "--headless" in called and "--no-pdf-header-footer" in called
    assert "--proxy-server=http://127.0.0.1:9" in called  # nothing leaves the machine
    assert os.stat(out).st_mode & 0o777 == 0o644


def test_labels_written_in_the_parameter_file_reach_every_block(tmp_path):
    import yaml

    from simlib.scenario.schema import load_scenario

    path = tiny_yaml(tmp_path / "t.yaml", name="tiny_hospital")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["label"] = "Community hospital, 2027 plan"
    data["strategies"]["deposit"]["label"] = "Deposit at booking (net 15)"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    scen = load_scenario(path)
    rows = [(r, s, "npv_net_cash", 100_000.0 * (s == "deposit") + r) for r in range(3)  # material
            for s in scen.strategies]
    fake = FakeResults(scen, pd.DataFrame(rows, columns=["replication", "strategy", "metric", "value"]))
    assert report.recommendation_sentence(fake).startswith("Adopt “Deposit at booking (net 15)”")
    assert "<h1>Comparison: Community hospital, 2027 plan</h1>" in report.title_block(fake, "Comparison").data
    for block in (report.metric_table(fake, ["npv_net_cash"]), report.strategies_table(fake),
                  report.difference_table(fake, ["npv_net_cash"]), report.executive_summary(fake)):
        assert "Deposit at booking (net 15)" in block.data
    assert report.scenario_label(scen) == "Community hospital, 2027 plan"


@pytest.mark.browser
def test_printed_pages_carry_page_numbers_and_the_footer(tmp_path):
    """Every printed page: 'Page n of N' and 'title — date — simulation, not a forecast' (CSS
    margin boxes, printed by Chromium); a title with markup stays text in the CSS string."""
    import shutil

    from pypdf import PdfReader

    from simlib.report.page import html_page
    from simlib.report.pdf import print_pdf

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Chromium not installed")
    body = "".join(f"<h2>Section {i}</h2><p>{'Words of a long report. ' * 60}</p>" for i in range(12))
    page = tmp_path / "long.html"
    page.write_text(html_page('Comparison — "St <b>Mary</b>"', body), encoding="utf-8")
    reader = PdfReader(str(print_pdf(page, chromium=chromium)))
    n = len(reader.pages)
    assert n >= 2
    for i, p in enumerate(reader.pages, start=1):
        text = " ".join(p.extract_text().split())
        assert f"Page {i} of {n}" in text, text[-300:]
        assert "simulation, not a forecast" in text and 'St <b>Mary</b>' in text
