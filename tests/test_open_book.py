"""Issue 20, item 2: the hospital's own open book, read from an A/R aging report (CSV) as the
unpaid bills on day 0, with one clear line per bad row (file, row, column); the shipped example."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from simlib.model.engine import World
from simlib.model.metrics import compute, open_at
from simlib.model.open_book import split_evenly
from simlib.model.population import draw_population
from simlib.scenario.schema import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "parameters" / "examples" / "open_book.yaml"
REPORT = ROOT / "parameters" / "examples" / "open_book.csv"


def _copy(tmp_path: Path, rows: list[str] | None = None, **simulation) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["simulation"].update(simulation)
    path = tmp_path / "hospital.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if rows is None:
        shutil.copy(REPORT, tmp_path / "open_book.csv")
    else:
        (tmp_path / "open_book.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_report_is_the_book_on_day_0():
    """Every row's accounts and dollars are on the book to the cent, at ages inside their bucket,
    as claims or patient balances of their payer; their care is not in the cash curve."""
    sc = load_scenario(EXAMPLE)
    rows = list(csv.DictReader(REPORT.open(encoding="utf-8")))
    pop = draw_population(sc, 0)
    book = pop.open_book
    assert book.sum() == sum(int(r["accounts"]) for r in rows)
    assert pop.claim_cents[book].sum() == round(100 * sum(float(r["balance"]) for r in rows
                                                          if r["responsibility"] == "insurer"))
    assert pop.patient_cents[book].sum() == round(100 * sum(float(r["balance"]) for r in rows
                                                            if r["responsibility"] == "patient"))
    age = -pop.service_day[book]
    assert age.min() >= 0 and age.max() <= max(int(r["age_to_days"]) for r in rows)
    medicare = np.array(pop.payer_names)[pop.payer[book]] == "medicare"
    assert pop.claim_cents[book][medicare].sum() == 170250000  # the five medicare insurer rows
    # nothing of the book is adjudicated before day 0
    adjudicated = pop.service_day + pop.submit_lag + pop.adjudication_lag
    assert (adjudicated[book & (pop.claim_cents > 0)] >= 0).all()
    res = World(sc, "letters_only", pop).run()
    m, curves, _ = compute(res, pop, sc)
    day, amount = res.ledger.cash_flows()  # day 0: the starting cash and the statements mailed, no care
    assert curves["cash"][0] == pytest.approx(sc.finance.starting_cash + amount[day <= 0].sum() / 100.0)
    assert amount[day <= 0].sum() > -0.01 * sc.finance.starting_cash * 100
    assert open_at(res, 2 * pop.n, 0.0)[0::2].sum() == pop.claim_cents[book].sum()  # claims all open on day 0


def test_split_evenly_adds_up_to_the_cent():
    parts = split_evenly(1001, 7)
    assert parts.sum() == 1001 and parts.max() - parts.min() <= 1


def test_one_line_per_bad_row_naming_file_row_and_column(tmp_path):
    path = _copy(tmp_path, [
        "payer,responsibility,age_from_days,age_to_days,balance,accounts",
        "medicare,insurer,0,30,1000.00,10",
        "medicar,insurer,0,30,1000.00,10",          # line 3: unknown payer
        "commercial,insurer,31,20,1000.00,10",       # line 4: bucket ends before it starts
        "self_pay,patient,0,30,12.345,1",            # line 5: a fraction of a cent
        "self_pay,someone,0,30,100,1",               # line 6: responsibility
        "self_pay,patient,0,30,100,0",               # line 7: no accounts
    ])
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    lines = [p for p in err.value.problems if "open_book" in p]
    book = str(tmp_path / "open_book.csv")
    assert len(lines) == 5, lines
    for line, (row, column) in zip(lines, [(3, "payer"), (4, "age_to_days"), (5, "balance"),
                                           (6, "responsibility"), (7, "accounts")]):
        assert f"{book}: row {row}, column '{column}': expected" in line and "found" in line, line


def test_a_missing_column_and_a_book_with_a_warm_up_are_refused(tmp_path):
    path = _copy(tmp_path, ["payer,responsibility,age_from_days,balance,accounts",
                            "medicare,insurer,0,1000.00,10"])
    with pytest.raises(ScenarioError, match=r"missing column 'age_to_days'; found columns: payer,"):
        load_scenario(path)
    path = _copy(tmp_path, warm_up_days=364)
    with pytest.raises(ScenarioError, match=r"warm_up_days and open_book: the book on day 0 is either"):
        load_scenario(path)


@pytest.mark.slow
def test_the_shipped_example_builds_a_report(tmp_path):
    """The example, shrunk (its book and 3 encounters a day, 2 runs), builds the strategy comparison."""
    from simlib import report
    path = _copy(tmp_path, encounters_per_day=3, billing_window_days=60, horizon_days=240,
                 measurement_day=120, ar_window_days=60, replications=2, workers=1)
    pages = report.build_reports([path], out_dir=tmp_path / "out", pages=["strategy_comparison"],
                                 log=lambda *a: None)
    page = next(p for p in pages if p.name == "strategy_comparison.html").read_text(encoding="utf-8")
    assert "starting from an open book of" in page and "whose care was paid before day 0" in page


def test_the_hospitals_book_is_not_screened_again_on_day_0():
    """The report's patient balances were screened before day 0 (and are listed net of the charity
    already posted): presumptive screening gives them no charity care; the encounters of the
    billing window still get it; screening before write-off (a strategy's fap_screening) still
    reaches the book. Replication 0 of the shipped example."""
    from simlib.core.ledger import Kind

    sc = load_scenario(EXAMPLE)
    pop = draw_population(sc, 0)
    n_book = int(pop.open_book.sum())

    def charity_on_book(scenario) -> tuple[int, int]:
        led = World(scenario, "letters_only", pop).run().ledger
        rows = led.kind == Kind.CHARITY_CARE
        account = (led.receivable[rows] - 1) // 2
        return int((account < n_book).sum()), int((account >= n_book).sum())

    on_book, on_new = charity_on_book(sc)
    assert on_book == 0 and on_new > 0
    later = sc.variant("screened_at_write_off", from_="letters_only", fap_screening="at_write_off")
    led = World(later, "screened_at_write_off", pop).run().ledger
    rows = led.kind == Kind.CHARITY_CARE
    assert ((led.receivable[rows] - 1) // 2 < n_book).any()


def test_a_report_with_the_old_balance_usd_header_still_reads(tmp_path):
    """Issue 23: the balance column lost its currency (`balance`); a report of the `_usd` era reads the same."""
    from simlib.scenario.open_book import OpenBookColumns, read_open_book

    sc = load_scenario(EXAMPLE)
    old = tmp_path / "old.csv"
    old.write_text(REPORT.read_text(encoding="utf-8").replace(",balance,", ",balance_usd,", 1), encoding="utf-8")
    new_rows = read_open_book(REPORT, OpenBookColumns(), tuple(sc.payers))
    old_rows = read_open_book(old, OpenBookColumns(), tuple(sc.payers))
    assert repr(old_rows) == repr(new_rows)
